use time::OffsetDateTime;

use super::shared::{check_pending, close_group, from_group_problem, from_release_problem};
use crate::decision::Decision;
use crate::email::Email;
use crate::id::{TicketId, TransferGroupId};
use crate::ticket::Ticket;
use crate::transfer_group::{TransferGroup, TransferStatus};

/// Command: the recipient declines a PENDING group (SPEC T10, A3).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeclineTransfer {
    /// The group to decline.
    pub group: TransferGroupId,
    /// Who declines: must be the recipient (A3).
    pub actor: Email,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a group could not be declined. Nothing changed.
///
/// ### Handling
/// [`NotPending`](Self::NotPending) and [`NotRecipient`](Self::NotRecipient) refuse the spectator's
/// request; the others mean the caller did not pass the records named, or they disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeclineTransferError {
    /// The group passed is not the one the command names.
    #[error("transfer group {group} was not found; load it and pass it to the transition")]
    GroupNotFound {
        /// The group the command names.
        group: TransferGroupId,
    },
    /// The group already has a final status (T13).
    #[error("transfer group {group} is {status}, not PENDING; it can no longer be declined")]
    NotPending {
        /// The group.
        group: TransferGroupId,
        /// Its status.
        status: TransferStatus,
    },
    /// Only the recipient may decline (A3).
    #[error(
        "{actor} is not the recipient of transfer group {group}; only the recipient may decline it"
    )]
    NotRecipient {
        /// The group.
        group: TransferGroupId,
        /// Who asked.
        actor: Email,
    },
    /// A ticket of the group was not among the tickets given.
    #[error("ticket {ticket} was not found; load it and pass it to the transition")]
    TicketNotFound {
        /// The ticket.
        ticket: TicketId,
    },
    /// A ticket listed in the group is not pending in it: the stored records disagree.
    #[error(
        "ticket {ticket} is not pending in transfer group {group}; the stored records disagree, reload them"
    )]
    TicketNotInGroup {
        /// The ticket.
        ticket: TicketId,
        /// The group.
        group: TransferGroupId,
    },
}

from_release_problem!(DeclineTransferError);
from_group_problem!(DeclineTransferError);

/// Declines a PENDING group: it becomes DECLINED and its tickets return to the sender with their
/// status before the transfer; owners, level and counters unchanged (SPEC T10).
///
/// # Errors
///
/// In this order: [`GroupNotFound`](DeclineTransferError::GroupNotFound),
/// [`NotPending`](DeclineTransferError::NotPending),
/// [`NotRecipient`](DeclineTransferError::NotRecipient), then per ticket
/// [`TicketNotFound`](DeclineTransferError::TicketNotFound),
/// [`TicketNotInGroup`](DeclineTransferError::TicketNotInGroup).
///
/// # Examples
///
/// See [`cancel`](crate::transfer::cancel), which works the same way for the sender.
pub fn decline(
    group: &TransferGroup,
    tickets: &[Ticket],
    command: &DeclineTransfer,
) -> Result<Decision, DeclineTransferError> {
    use DeclineTransferError as E;
    check_pending(group, command.group)?;
    if group.recipient != command.actor {
        return Err(E::NotRecipient {
            group: group.id,
            actor: command.actor.clone(),
        });
    }
    close_group(group, tickets, TransferStatus::Declined, command.at).map_err(Into::into)
}
