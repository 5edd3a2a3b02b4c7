use time::OffsetDateTime;

use super::shared::{
    CompletionError, GroupCommandError, check_named, check_not_before, check_open, complete_group,
    is_past_deadline,
};
use crate::decision::Decision;
use crate::email::Email;
use crate::error_kind::ErrorKind;
use crate::id::{TicketId, TransferGroupId};
use crate::input_error::InputError;
use crate::rfc3339::rfc3339;
use crate::ticket::InvalidationReason;
use crate::ticket::{Ticket, WalletStatus};
use crate::transfer_group::{TransferGroup, TransferStatus};
use crate::usage_rule::UsageRule;

/// Command: the recipient accepts a PENDING group (SPEC T8, A1, A3).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AcceptTransfer {
    /// The group to accept.
    pub group: TransferGroupId,
    /// Who accepts: must be the recipient (A3).
    pub actor: Email,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a group could not be accepted. Nothing changed.
///
/// ### Handling
/// [`NotPending`](Self::NotPending), [`NotRecipient`](Self::NotRecipient),
/// [`PastDeadline`](Self::PastDeadline) and [`TicketDeleted`](Self::TicketDeleted) refuse the
/// spectator's request; [`Input`](Self::Input) means the request names a missing record, or the
/// records read disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum AcceptTransferError {
    /// The ticket is invalidated (taken back): it takes no wallet transition but deletion (W5).
    #[error(
        "ticket {ticket} is invalidated ({reason}); it only awaits its deletion from the wallet"
    )]
    TicketInvalidated {
        /// The ticket.
        ticket: TicketId,
        /// Why it was invalidated.
        reason: InvalidationReason,
    },
    /// The group already has a final status (T13).
    #[error("transfer group {group} is {status}, not PENDING; it can no longer be accepted")]
    #[serde(rename = "TRANSFER_NOT_PENDING")]
    NotPending {
        /// The group.
        group: TransferGroupId,
        /// Its status.
        status: TransferStatus,
    },
    /// Only the recipient may accept (A3).
    #[error(
        "{actor} is not the recipient of transfer group {group}; only the recipient may accept it"
    )]
    NotRecipient {
        /// The group.
        group: TransferGroupId,
        /// Who asked.
        actor: Email,
    },
    /// The group's deadline has passed (A4).
    #[error(
        "transfer group {group} expired at {}; ask the sender to transfer the tickets again",
        rfc3339(*expires_at)
    )]
    #[serde(rename = "TRANSFER_PAST_DEADLINE")]
    PastDeadline {
        /// The group.
        group: TransferGroupId,
        /// Its deadline.
        #[serde(with = "crate::rfc3339")]
        expires_at: OffsetDateTime,
    },
    /// The performance of the group's tickets has ended (E1), as the group recorded it at
    /// initiation ([`TransferGroup::performance_ends_at`]).
    #[error(
        "the performance of the tickets of transfer group {group} ended at {}; the transfer can no longer complete",
        rfc3339(*ended_at)
    )]
    PerformanceEnded {
        /// The group.
        group: TransferGroupId,
        /// When the performance ended.
        #[serde(with = "crate::rfc3339")]
        ended_at: OffsetDateTime,
    },
    /// A ticket of the group is DELETION_PENDING or DELETED (W4).
    #[error(
        "ticket {ticket} is {status} and can no longer change hands; decline or cancel the transfer"
    )]
    TicketDeleted {
        /// The ticket.
        ticket: TicketId,
        /// Its wallet status.
        status: WalletStatus,
    },
    /// A record the command names is missing, or the records given disagree: the group
    /// ([`InputError::GroupNotFound`]), a ticket ([`InputError::TicketNotFound`],
    /// [`InputError::TicketNotInGroup`]) or its usage rule ([`InputError::UsageRuleNotFound`]).
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl AcceptTransferError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. [`Input`](Self::Input) gives its
    /// [`InputError::code`]. A released code never changes (`tests/fixtures/error_codes.txt` lists
    /// them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::AcceptTransferError;
    /// use secure_ticket::{Email, ErrorKind, InputError, TransferGroupId};
    ///
    /// let error = AcceptTransferError::NotRecipient { group: TransferGroupId::from_u128(1), actor: Email::parse("carol@example.com")? };
    /// assert_eq!(error.code(), "NOT_RECIPIENT");
    /// let missing = AcceptTransferError::from(InputError::GroupNotFound { group: TransferGroupId::from_u128(1) });
    /// assert_eq!(missing.code(), "TRANSFER_GROUP_NOT_FOUND");
    /// # Ok::<(), secure_ticket::EmailError>(())
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TicketInvalidated { .. } => "TICKET_INVALIDATED",
            Self::Input(input) => input.code(),
            Self::NotPending { .. } => "TRANSFER_NOT_PENDING",
            Self::NotRecipient { .. } => "NOT_RECIPIENT",
            Self::PastDeadline { .. } => "TRANSFER_PAST_DEADLINE",
            Self::PerformanceEnded { .. } => "PERFORMANCE_ENDED",
            Self::TicketDeleted { .. } => "TICKET_DELETED",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer. A
    /// nested error gives its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::AcceptTransferError;
    /// use secure_ticket::{Email, ErrorKind, InputError, TransferGroupId};
    ///
    /// let error = AcceptTransferError::NotRecipient { group: TransferGroupId::from_u128(1), actor: Email::parse("carol@example.com")? };
    /// assert_eq!(error.kind(), ErrorKind::Refused);
    /// assert_eq!(error.kind().http_status(), 422);
    /// # Ok::<(), secure_ticket::EmailError>(())
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::TicketInvalidated { .. } => ErrorKind::Refused,
            Self::Input(input) => input.kind(),
            Self::NotPending { .. }
            | Self::NotRecipient { .. }
            | Self::PastDeadline { .. }
            | Self::PerformanceEnded { .. }
            | Self::TicketDeleted { .. } => ErrorKind::Refused,
        }
    }
}

impl GroupCommandError for AcceptTransferError {
    fn not_pending(group: TransferGroupId, status: TransferStatus) -> Self {
        Self::NotPending { group, status }
    }
}

impl CompletionError for AcceptTransferError {
    fn ticket_deleted(ticket: TicketId, status: WalletStatus) -> Self {
        Self::TicketDeleted { ticket, status }
    }
}

/// Accepts a PENDING group: every ticket changes hands (SPEC T8, T9) under the usage rule in force now.
///
/// Works for any pending group, including one that would complete automatically at sign-in (A1).
/// `tickets` and `rules` must contain the group's tickets and their usage rules.
///
/// # Errors
///
/// In this order: [`Input`](AcceptTransferError::Input) with [`InputError::GroupNotFound`],
/// [`NotPending`](AcceptTransferError::NotPending), [`NotRecipient`](AcceptTransferError::NotRecipient),
/// [`PastDeadline`](AcceptTransferError::PastDeadline),
/// [`PerformanceEnded`](AcceptTransferError::PerformanceEnded); then per ticket
/// [`Input`](AcceptTransferError::Input) with [`InputError::TicketNotFound`] or
/// [`InputError::TicketNotInGroup`], [`TicketDeleted`](AcceptTransferError::TicketDeleted),
/// [`Input`](AcceptTransferError::Input) with [`InputError::UsageRuleNotFound`].
///
/// # Examples
///
/// The seed's FORWARD example: the level goes 0 → 1.
///
/// ```
/// use secure_ticket::transfer::{self, AcceptTransfer, InitiateTransfer, NewGroupIds};
/// use secure_ticket::{injection, AcceptanceSettings, Email, TransferGroupId, UsageRule, UsageRuleId};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let ticket = Ticket::new(secure_ticket::OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let (alice, bob) = (Email::parse("alice@example.com")?, Email::parse("bob@example.com")?);
/// let rule = UsageRule::new(secure_ticket::OrganizerId::from_u128(1), UsageRuleId::from_u128(1));
/// let injected = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: alice.clone(), usage_rule: rule.id, at,
/// })?.tickets.remove(0).ok_or("no ticket")?;
/// let mut sent = transfer::initiate(&[injected.clone()], &transfer::Context::new(&[rule]).with_settings(AcceptanceSettings::explicit()), &InitiateTransfer {
///     actor: alice.clone(), recipient: bob.clone(), tickets: vec![injected.id],
///     groups: NewGroupIds::single(TransferGroupId::from_u128(7)), at,
/// })?;
/// let group = sent.groups.remove(0).ok_or("no group")?;
///
/// let done = transfer::accept(&group, &sent.tickets, &[rule], &AcceptTransfer { group: group.id, actor: bob.clone(), at })?;
/// let wallet = done.tickets[0].wallet.as_ref().unwrap();
/// assert_eq!((wallet.level, &wallet.owners.current, wallet.owners.previous.as_ref()), (1, &bob, Some(&alice)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn accept(
    group: &TransferGroup,
    tickets: &[Ticket],
    rules: &[UsageRule],
    command: &AcceptTransfer,
) -> Result<Decision, AcceptTransferError> {
    use AcceptTransferError as E;
    check_named::<E>(group, command.group)?;
    if group.recipient != command.actor {
        return Err(E::NotRecipient {
            group: group.id,
            actor: command.actor.clone(),
        });
    }
    check_open::<E>(group)?;
    check_not_before::<E>(group, command.at)?;
    if let Some(expires_at) = group
        .expires_at
        .filter(|_| is_past_deadline(group, command.at))
    {
        return Err(E::PastDeadline {
            group: group.id,
            expires_at,
        });
    }
    if let Some(ended_at) = group.performance_ends_at.filter(|&end| end <= command.at) {
        return Err(E::PerformanceEnded {
            group: group.id,
            ended_at,
        });
    }
    let mut decision = Decision::default();
    complete_group::<E>(group, tickets, rules, false, command.at, &mut decision)?;
    // W5: a ticket taken back meanwhile is frozen: the group cannot complete (it can still be
    // declined, cancelled or expired).
    if let Some((ticket, invalidation)) = group.tickets.iter().find_map(|&id| {
        let ticket = tickets.iter().find(|t| t.id == id)?;
        Some((id, ticket.distribution.invalidation.as_ref()?))
    }) {
        return Err(E::TicketInvalidated {
            ticket,
            reason: invalidation.reason.clone(),
        });
    }
    Ok(decision)
}
