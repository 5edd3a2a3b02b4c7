use time::OffsetDateTime;

use super::shared::{complete_group, from_group_ticket_problem, is_past_deadline};
use crate::decision::Decision;
use crate::email::Email;
use crate::id::{TicketId, TransferGroupId, UsageRuleId};
use crate::ticket::{Ticket, WalletStatus};
use crate::transfer_group::TransferGroup;
use crate::usage_rule::UsageRule;

/// Command: a spectator's wallet app signed in or synced (SPEC A1, A2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignIn {
    /// The spectator who signed in.
    pub actor: Email,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why the groups of a sign-in could not be completed. Nothing changed.
///
/// ### Handling
/// Each variant means the caller did not pass the records a group names, or they disagree: reload
/// them and retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignInError {
    /// A ticket of a completable group was not among the tickets given.
    #[error("ticket {ticket} was not found; load it and pass it to the transition")]
    TicketNotFound {
        /// The ticket.
        ticket: TicketId,
    },
    /// A ticket listed in a group is not pending in it: the stored records disagree.
    #[error(
        "ticket {ticket} is not pending in transfer group {group}; the stored records disagree, reload them"
    )]
    TicketNotInGroup {
        /// The ticket.
        ticket: TicketId,
        /// The group.
        group: TransferGroupId,
    },
    /// A ticket of a completable group is DELETION_PENDING or DELETED (W4).
    #[error(
        "ticket {ticket} is {status} and can no longer change hands; its transfer must be cancelled"
    )]
    TicketDeleted {
        /// The ticket.
        ticket: TicketId,
        /// Its wallet status.
        status: WalletStatus,
    },
    /// A ticket's usage rule was not among the rules given.
    #[error(
        "usage rule {rule} of ticket {ticket} was not found; load it and pass it to the transition"
    )]
    UsageRuleNotFound {
        /// The ticket.
        ticket: TicketId,
        /// Its usage rule.
        rule: UsageRuleId,
    },
}

from_group_ticket_problem!(SignInError);

/// Completes, at the recipient's sign-in or sync, every group that needs no explicit acceptance
/// (SPEC A1 off, or any BACKWARD group, A2).
///
/// `groups` are candidate groups (typically the PENDING groups addressed to the actor); those that
/// are not PENDING, not addressed to the actor, past their deadline (A4) or waiting for an explicit
/// acceptance are left alone. An empty decision means there was nothing to complete.
///
/// # Errors
///
/// For the first completable group with a problem, per ticket:
/// [`TicketNotFound`](SignInError::TicketNotFound), [`TicketNotInGroup`](SignInError::TicketNotInGroup),
/// [`TicketDeleted`](SignInError::TicketDeleted), [`UsageRuleNotFound`](SignInError::UsageRuleNotFound).
///
/// # Examples
///
/// See `tests/rules` (`a1_*`, `a2_*`) and the crate's `quickstart` example.
pub fn complete_on_sign_in(
    groups: &[TransferGroup],
    tickets: &[Ticket],
    rules: &[UsageRule],
    command: &SignIn,
) -> Result<Decision, SignInError> {
    let mut decision = Decision::default();
    for group in groups.iter().filter(|g| {
        g.is_pending()
            && g.recipient == command.actor
            && !g.needs_explicit_acceptance()
            && !is_past_deadline(g, command.at)
    }) {
        if decision.group(group.id).is_some() {
            continue; // the same group listed twice completes once
        }
        complete_group(group, tickets, rules, true, command.at, &mut decision)?;
    }
    Ok(decision)
}
