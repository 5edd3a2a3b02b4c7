//! What the commands on a group share: finding its tickets and rules, checking it is PENDING,
//! releasing, closing and completing it (SPEC T8-T10, T13).

use time::OffsetDateTime;

use crate::changes::Changes;
use crate::event::Event;
use crate::id::{TicketId, TransferGroupId, UsageRuleId};
use crate::input_error::InputError;
use crate::ticket::{Ticket, WalletStatus};
use crate::transfer_group::{Direction, TransferGroup, TransferStatus};
use crate::usage_rule::{TransferBackward, UsageRule};

/// The error of a command on a PENDING group: input errors, and its own "not pending" refusal (T13).
pub(crate) trait GroupCommandError: From<InputError> {
    /// The group already has a final status.
    fn not_pending(group: TransferGroupId, status: TransferStatus) -> Self;
}

/// The error of a command that completes a group: input errors, and its own refusal of a
/// ticket that is DELETION_PENDING or DELETED (W4).
pub(crate) trait CompletionError: From<InputError> {
    /// A ticket of the group can no longer change hands.
    fn ticket_deleted(ticket: TicketId, status: WalletStatus) -> Self;
}

/// The first id of `ids`, in their order, that `ids` holds twice: O(n log n), one sorted copy,
/// nothing allocated for a list of one.
pub(crate) fn first_repeated<T: Ord + Copy>(ids: &[T]) -> Option<T> {
    if ids.len() < 2 {
        return None;
    }
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    if !sorted.windows(2).any(|w| matches!(w, [a, b] if a == b)) {
        return None;
    }
    let repeated = |id: &T| {
        sorted.binary_search(id).is_ok_and(|at| {
            sorted.get(at.saturating_add(1)) == Some(id)
                || at.checked_sub(1).and_then(|b| sorted.get(b)) == Some(id)
        })
    };
    ids.iter().copied().find(|id| repeated(id))
}

pub(crate) fn find_ticket(tickets: &[Ticket], id: TicketId) -> Option<&Ticket> {
    tickets.iter().find(|t| t.id == id)
}

pub(crate) fn find_rule(rules: &[UsageRule], id: UsageRuleId) -> Option<&UsageRule> {
    rules.iter().find(|r| r.id == id)
}

/// Checks that `group` is the one the command names and that it is still PENDING.
pub(crate) fn check_pending<E: GroupCommandError>(
    group: &TransferGroup,
    named: TransferGroupId,
) -> Result<(), E> {
    check_named::<E>(group, named)?;
    check_open::<E>(group)
}

/// The group given is the one the command names.
pub(crate) fn check_named<E: GroupCommandError>(
    group: &TransferGroup,
    named: TransferGroupId,
) -> Result<(), E> {
    if group.id != named {
        return Err(InputError::GroupNotFound { group: named }.into());
    }
    Ok(())
}

/// The command is not dated before the group was created (A4: time that cannot be gamed).
pub(crate) fn check_not_before<E: GroupCommandError>(
    group: &TransferGroup,
    at: OffsetDateTime,
) -> Result<(), E> {
    if at < group.created_at {
        return Err(InputError::DatedBeforeGroup {
            group: group.id,
            at,
            created_at: group.created_at,
        }
        .into());
    }
    Ok(())
}

/// The group is still PENDING (T13). Checked after the actor (X2): a stranger does not learn a
/// group's final status.
pub(crate) fn check_open<E: GroupCommandError>(group: &TransferGroup) -> Result<(), E> {
    if !group.is_pending() {
        return Err(E::not_pending(group.id, group.status));
    }
    Ok(())
}

/// The group's tickets, each back in its sender's wallet as before the transfer (T10), appended to
/// `released`. Every ticket is checked before any is cloned, so an error costs no copies.
pub(crate) fn release_tickets(
    group: &TransferGroup,
    tickets: &[Ticket],
    released: &mut Changes<Ticket>,
) -> Result<(), InputError> {
    for &id in &group.tickets {
        let ticket = find_ticket(tickets, id).ok_or(InputError::TicketNotFound { ticket: id })?;
        if ticket.wallet.as_ref().and_then(|w| w.pending_group) != Some(group.id) {
            return Err(InputError::TicketNotInGroup {
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
) -> Result<crate::decision::Decision, InputError> {
    let mut decision = crate::decision::Decision::default();
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
            back_office: group.back_office.clone(),
        },
        _ => Event::TransferCancelled {
            group: group_id,
            sender,
            recipient,
            tickets: ticket_ids,
            at,
            back_office: group.back_office.clone(),
            cancelled_by: None,
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
pub(crate) fn complete_group<E: CompletionError>(
    group: &TransferGroup,
    tickets: &[Ticket],
    rules: &[UsageRule],
    automatic: bool,
    at: OffsetDateTime,
    decision: &mut crate::decision::Decision,
) -> Result<(), E> {
    decision.events.push(Event::TransferAccepted {
        group: group.id,
        automatic,
        at,
        back_office: group.back_office.clone(),
    });
    for &id in &group.tickets {
        let ticket = find_ticket(tickets, id).ok_or(InputError::TicketNotFound { ticket: id })?;
        let not_in_group = InputError::TicketNotInGroup {
            ticket: id,
            group: group.id,
        };
        let wallet = match &ticket.wallet {
            Some(w) if w.pending_group == Some(group.id) => w,
            _ => return Err(not_in_group.into()),
        };
        if wallet.is_deleted_or_pending_deletion() {
            return Err(E::ticket_deleted(id, wallet.status()));
        }
        let rule = find_rule(rules, wallet.usage_rule).ok_or(InputError::UsageRuleNotFound {
            ticket: id,
            rule: wallet.usage_rule,
        })?;
        let mut moved = ticket.clone();
        let level_before = wallet.level;
        let Some(w) = moved.wallet.as_mut() else {
            return Err(not_in_group.into());
        };
        apply_level(w, group.direction, rule.transfer_backward);
        w.owners.previous = Some(group.sender.clone());
        w.owners.current = group.recipient.clone();
        w.pending_group = None;
        w.downloaded_at = None;
        let level_after = w.level;
        // H5: the holder was the sender's choice; the new owner assigns their own.
        moved.distribution.holder = None;
        moved.distribution.holder_assigned_at = None;
        decision.events.push(Event::TicketTransferred {
            ticket: id,
            group: group.id,
            direction: group.direction,
            from: group.sender.clone(),
            to: group.recipient.clone(),
            level_before,
            level_after,
            at,
            back_office: group.back_office.clone(),
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
fn apply_level(
    wallet: &mut crate::ticket::Wallet,
    direction: Direction,
    backward: TransferBackward,
) {
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

/// Unit tests of the shared transfer machinery (level arithmetic, release, completion).
#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::decision::Decision;
    use crate::email::Email;
    use crate::id::{TicketId, TransferGroupId, UsageRuleId};
    use crate::ticket::Wallet;
    use crate::transfer_group::Acceptance;
    use crate::usage_rule::TransferBackward;

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    fn wallet_at(level: u16, before: u16) -> Wallet {
        let mut w = Wallet::injected(
            UsageRuleId::from_u128(1),
            email("a@x.io"),
            datetime!(2026-01-01 0:00 UTC),
        );
        w.level = level;
        w.level_before_last_forward = before;
        w
    }

    #[test]
    fn t8_forward_records_the_level_it_leaves() {
        let mut w = wallet_at(2, 0);
        apply_level(&mut w, Direction::Forward, TransferBackward::Neutral);
        assert_eq!(
            (w.level, w.level_before_last_forward, w.forward_transfers),
            (3, 2, 1)
        );
    }

    #[test]
    fn t9_level_saturates_at_256_forward_and_increase() {
        let mut w = wallet_at(256, 255);
        apply_level(&mut w, Direction::Forward, TransferBackward::Neutral);
        assert_eq!(w.level, 256);
        apply_level(&mut w, Direction::Backward, TransferBackward::Increase);
        assert_eq!(w.level, 256);
    }

    #[test]
    fn t9_decrease_never_goes_below_the_level_before_the_last_forward() {
        let mut w = wallet_at(3, 2);
        apply_level(&mut w, Direction::Backward, TransferBackward::Decrease);
        assert_eq!(w.level, 2);
        apply_level(&mut w, Direction::Backward, TransferBackward::Decrease);
        assert_eq!((w.level, w.backward_transfers), (2, 2));
    }

    #[test]
    fn t10_release_refuses_a_ticket_pending_elsewhere() {
        let at = datetime!(2026-01-01 0:00 UTC);
        let ticket = Ticket {
            wallet: Some(Wallet {
                pending_group: Some(TransferGroupId::from_u128(9)),
                ..wallet_at(0, 0)
            }),
            ..Ticket::new(
                crate::OrganizerId::from_u128(1),
                TicketId::from_u128(1),
                crate::id::RightId::from_u128(1),
                crate::ticket::Distribution::new(
                    crate::id::PointOfSaleId::from_u128(1),
                    crate::ticket::ShipmentMode::secure_mobile(
                        crate::id::ShipmentModeId::from_u128(1),
                    ),
                ),
            )
        };
        let group = TransferGroup {
            id: TransferGroupId::from_u128(1),
            organizer: crate::OrganizerId::from_u128(1),
            sender: email("a@x.io"),
            recipient: email("b@x.io"),
            direction: Direction::Forward,
            tickets: vec![ticket.id].into(),
            status: TransferStatus::Pending,
            acceptance: Acceptance::Explicit,
            created_at: at,
            expires_at: None,
            closed_at: None,
            replaces: None,
            performance_ends_at: None,
            back_office: None,
        };
        assert!(matches!(
            release_tickets(&group, std::slice::from_ref(&ticket), &mut Changes::new()),
            Err(InputError::TicketNotInGroup { ticket: t, group: g }) if t == ticket.id && g == group.id
        ));
        let mut decision = Decision::default();
        let rules = [UsageRule::new(
            crate::OrganizerId::from_u128(1),
            UsageRuleId::from_u128(1),
        )];
        assert!(matches!(
            complete_group::<crate::transfer::SignInError>(
                &group,
                std::slice::from_ref(&ticket),
                &rules,
                false,
                at,
                &mut decision
            ),
            Err(crate::transfer::SignInError::Input(
                InputError::TicketNotInGroup { .. }
            ))
        ));
    }

    #[test]
    fn a4_deadline_is_inclusive() {
        let at = datetime!(2026-01-01 0:00 UTC);
        let group = TransferGroup {
            id: TransferGroupId::from_u128(1),
            organizer: crate::OrganizerId::from_u128(1),
            sender: email("a@x.io"),
            recipient: email("b@x.io"),
            direction: Direction::Forward,
            tickets: vec![].into(),
            status: TransferStatus::Pending,
            acceptance: Acceptance::Explicit,
            created_at: at,
            expires_at: Some(at),
            closed_at: None,
            replaces: None,
            performance_ends_at: None,
            back_office: None,
        };
        assert!(is_past_deadline(&group, at));
        assert!(!is_past_deadline(&group, datetime!(2025-12-31 23:59 UTC)));
    }
}
