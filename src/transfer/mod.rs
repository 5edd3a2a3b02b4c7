//! Spectator transfers, TIXnGO V4 (SPEC T1-T13, A1-A4).
//!
//! Every initiation creates a [`TransferGroup`]. A group is PENDING until it is accepted (explicitly,
//! or automatically at the recipient's sign-in), declined, cancelled, expired, or replaced by an edit
//! of its recipient; those outcomes are final (T13).
//!
//! | command | function | rules |
//! | --- | --- | --- |
//! | [`InitiateTransfer`] | [`initiate`] | T1-T7 |
//! | [`ReturnToSender`] | [`return_to_sender`] | T11 |
//! | [`AcceptTransfer`] | [`accept`] | T8, T9, A1, A3, A4 |
//! | [`SignIn`] | [`complete_on_sign_in`] | A1, A2, T8 |
//! | [`DeclineTransfer`] | [`decline`] | T10, A3 |
//! | [`CancelTransfer`] | [`cancel`] | T10, A3 |
//! | [`EditRecipient`] | [`edit_recipient`] | T12, A3 |
//! | [`ExpireTransfer`] | [`expire`] | A4 |

mod accept;
mod cancel;
mod decline;
mod edit_recipient;
mod expire;
mod group;
mod initiate;
mod return_to_sender;
mod sign_in;

pub use accept::{AcceptTransfer, AcceptTransferError, accept};
pub use cancel::{CancelTransfer, CancelTransferError, cancel};
pub use decline::{DeclineTransfer, DeclineTransferError, decline};
pub use edit_recipient::{EditRecipient, EditRecipientError, edit_recipient};
pub use expire::{ExpireTransfer, ExpireTransferError, expire};
pub use group::{Acceptance, Direction, NewGroupIds, TransferGroup, TransferStatus};
pub use initiate::{InitiateTransfer, InitiateTransferError, initiate};
pub use return_to_sender::{ReturnToSender, ReturnToSenderError, return_to_sender};
pub use sign_in::{SignIn, SignInError, complete_on_sign_in};

use time::OffsetDateTime;

use crate::{
    Changes, Event, Ticket, TicketId, TransferBackward, TransferGroupId, UsageRule, UsageRuleId,
    WalletStatus,
};

/// A problem with one of a group's tickets, shared by the commands that close a group.
#[derive(Debug)]
pub(crate) enum GroupTicketProblem {
    NotFound {
        ticket: TicketId,
    },
    NotInGroup {
        ticket: TicketId,
        group: TransferGroupId,
    },
    Deleted {
        ticket: TicketId,
        status: WalletStatus,
    },
    UsageRuleNotFound {
        ticket: TicketId,
        rule: UsageRuleId,
    },
}

/// Maps [`GroupTicketProblem`] into a command's error enum, whose variants carry the same names.
macro_rules! from_group_ticket_problem {
    ($error:ident) => {
        impl From<$crate::transfer::GroupTicketProblem> for $error {
            fn from(problem: $crate::transfer::GroupTicketProblem) -> Self {
                use $crate::transfer::GroupTicketProblem as P;
                match problem {
                    P::NotFound { ticket } => Self::TicketNotFound { ticket },
                    P::NotInGroup { ticket, group } => Self::TicketNotInGroup { ticket, group },
                    P::Deleted { ticket, status } => Self::TicketDeleted { ticket, status },
                    P::UsageRuleNotFound { ticket, rule } => {
                        Self::UsageRuleNotFound { ticket, rule }
                    }
                }
            }
        }
    };
}
pub(crate) use from_group_ticket_problem;

pub(crate) fn find_ticket(tickets: &[Ticket], id: TicketId) -> Option<&Ticket> {
    tickets.iter().find(|t| t.id == id)
}

pub(crate) fn find_rule(rules: &[UsageRule], id: UsageRuleId) -> Option<&UsageRule> {
    rules.iter().find(|r| r.id == id)
}

/// The group a command names is not the one passed, or is no longer PENDING (T13): shared by every
/// command on a group.
#[derive(Debug)]
pub(crate) enum GroupProblem {
    NotFound {
        group: TransferGroupId,
    },
    NotPending {
        group: TransferGroupId,
        status: TransferStatus,
    },
}

/// Maps [`GroupProblem`] into a command's error enum, whose variants carry the same names.
macro_rules! from_group_problem {
    ($error:ident) => {
        impl From<$crate::transfer::GroupProblem> for $error {
            fn from(problem: $crate::transfer::GroupProblem) -> Self {
                use $crate::transfer::GroupProblem as P;
                match problem {
                    P::NotFound { group } => Self::GroupNotFound { group },
                    P::NotPending { group, status } => Self::NotPending { group, status },
                }
            }
        }
    };
}
pub(crate) use from_group_problem;

/// Checks that `group` is the one the command names and that it is still PENDING.
pub(crate) fn check_pending(
    group: &TransferGroup,
    named: TransferGroupId,
) -> Result<(), GroupProblem> {
    if group.id != named {
        return Err(GroupProblem::NotFound { group: named });
    }
    if !group.is_pending() {
        return Err(GroupProblem::NotPending {
            group: group.id,
            status: group.status,
        });
    }
    Ok(())
}

/// A problem releasing a group's tickets, shared by decline, cancel, expire and edit.
#[derive(Debug)]
pub(crate) enum ReleaseProblem {
    NotFound {
        ticket: TicketId,
    },
    NotInGroup {
        ticket: TicketId,
        group: TransferGroupId,
    },
}

/// Maps [`ReleaseProblem`] into a command's error enum, whose variants carry the same names.
macro_rules! from_release_problem {
    ($error:ident) => {
        impl From<$crate::transfer::ReleaseProblem> for $error {
            fn from(problem: $crate::transfer::ReleaseProblem) -> Self {
                use $crate::transfer::ReleaseProblem as P;
                match problem {
                    P::NotFound { ticket } => Self::TicketNotFound { ticket },
                    P::NotInGroup { ticket, group } => Self::TicketNotInGroup { ticket, group },
                }
            }
        }
    };
}
pub(crate) use from_release_problem;

/// The group's tickets, each back in its sender's wallet as before the transfer (T10), appended to
/// `released`. Every ticket is checked before any is cloned, so an error costs no copies.
pub(crate) fn release_tickets(
    group: &TransferGroup,
    tickets: &[Ticket],
    released: &mut Changes<Ticket>,
) -> Result<(), ReleaseProblem> {
    for &id in &group.tickets {
        let ticket = find_ticket(tickets, id).ok_or(ReleaseProblem::NotFound { ticket: id })?;
        if ticket.wallet.as_ref().and_then(|w| w.pending_group) != Some(group.id) {
            return Err(ReleaseProblem::NotInGroup {
                ticket: id,
                group: group.id,
            });
        }
    }
    for &id in &group.tickets {
        if let Some(ticket) = find_ticket(tickets, id) {
            released.push(ticket.clone());
            if let Some(wallet) = released.last_mut().and_then(|t| t.wallet.as_mut()) {
                wallet.pending_group = None;
            }
        }
    }
    Ok(())
}

/// Closes a PENDING group without completing it (T10, A4): final status, tickets released.
pub(crate) fn close_group(
    group: &TransferGroup,
    tickets: &[Ticket],
    status: TransferStatus,
    at: OffsetDateTime,
) -> Result<crate::Decision, ReleaseProblem> {
    let mut decision = crate::Decision::default();
    release_tickets(group, tickets, &mut decision.tickets)?;
    let (group_id, ticket_ids) = (group.id, group.tickets.clone());
    let (sender, recipient) = (group.sender.clone(), group.recipient.clone());
    decision.events.push(match status {
        TransferStatus::Declined => Event::TransferDeclined {
            group: group_id,
            sender,
            recipient,
            tickets: ticket_ids,
            at,
        },
        TransferStatus::Expired => Event::TransferExpired {
            group: group_id,
            sender,
            recipient,
            tickets: ticket_ids,
            at,
        },
        _ => Event::TransferCancelled {
            group: group_id,
            sender,
            recipient,
            tickets: ticket_ids,
            at,
        },
    });
    decision.groups.push(group.clone());
    if let Some(closed) = decision.groups.last_mut() {
        closed.status = status;
        closed.closed_at = Some(at);
    }
    Ok(decision)
}

/// Completes a PENDING group whose checks passed: every ticket changes hands (T8, T9).
///
/// On error `decision` is left half-written: callers discard it.
pub(crate) fn complete_group(
    group: &TransferGroup,
    tickets: &[Ticket],
    rules: &[UsageRule],
    automatic: bool,
    at: OffsetDateTime,
    decision: &mut crate::Decision,
) -> Result<(), GroupTicketProblem> {
    decision.events.push(Event::TransferAccepted {
        group: group.id,
        automatic,
        at,
    });
    for &id in &group.tickets {
        let ticket = find_ticket(tickets, id).ok_or(GroupTicketProblem::NotFound { ticket: id })?;
        let wallet = match &ticket.wallet {
            Some(w) if w.pending_group == Some(group.id) => w,
            _ => {
                return Err(GroupTicketProblem::NotInGroup {
                    ticket: id,
                    group: group.id,
                });
            }
        };
        if wallet.is_deleted_or_pending_deletion() {
            return Err(GroupTicketProblem::Deleted {
                ticket: id,
                status: wallet.status(),
            });
        }
        let rule =
            find_rule(rules, wallet.usage_rule).ok_or(GroupTicketProblem::UsageRuleNotFound {
                ticket: id,
                rule: wallet.usage_rule,
            })?;
        let mut moved = ticket.clone();
        let level_before = wallet.level;
        let Some(w) = moved.wallet.as_mut() else {
            return Err(GroupTicketProblem::NotInGroup {
                ticket: id,
                group: group.id,
            });
        };
        apply_level(w, group.direction, rule.transfer_backward);
        w.owners.previous = Some(group.sender.clone());
        w.owners.current = group.recipient.clone();
        w.pending_group = None;
        w.downloaded_at = None;
        let level_after = w.level;
        decision.events.push(Event::TicketTransferred {
            ticket: id,
            group: group.id,
            direction: group.direction,
            from: group.sender.clone(),
            to: group.recipient.clone(),
            level_before,
            level_after,
            at,
        });
        decision.tickets.push(moved);
    }
    let mut closed = group.clone();
    closed.status = TransferStatus::Accepted;
    closed.closed_at = Some(at);
    decision.groups.push(closed);
    Ok(())
}

/// The level change of one completed transfer (T8, T9).
fn apply_level(wallet: &mut crate::Wallet, direction: Direction, backward: TransferBackward) {
    match direction {
        Direction::Forward => {
            wallet.level_before_last_forward = wallet.level;
            wallet.level = wallet.level.saturating_add(1).min(MAX_LEVEL);
            wallet.forward_transfers = wallet.forward_transfers.saturating_add(1);
        }
        Direction::Backward => {
            wallet.backward_transfers = wallet.backward_transfers.saturating_add(1);
            wallet.level = match backward {
                TransferBackward::Neutral => wallet.level,
                TransferBackward::Decrease => wallet.level.min(wallet.level_before_last_forward),
                TransferBackward::Increase => wallet.level.saturating_add(1).min(MAX_LEVEL),
            };
        }
    }
}

/// The level never exceeds 256 (T9).
const MAX_LEVEL: u16 = 256;

/// Whether a pending group's deadline has passed at `at` (A4).
pub(crate) fn is_past_deadline(group: &TransferGroup, at: OffsetDateTime) -> bool {
    group.expires_at.is_some_and(|deadline| at >= deadline)
}

#[cfg(test)]
mod tests;
