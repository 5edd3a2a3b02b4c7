use time::OffsetDateTime;

use super::shared::{GroupCommandError, check_named, check_not_before, check_open, close_group};
use crate::decision::Decision;
use crate::email::Email;
use crate::error_kind::ErrorKind;
use crate::id::TransferGroupId;
use crate::input_error::InputError;
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
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a group could not be declined. Nothing changed.
///
/// ### Handling
/// [`NotPending`](Self::NotPending) and [`NotRecipient`](Self::NotRecipient) refuse the spectator's
/// request; [`Input`](Self::Input) means the request names a missing record, or the records read
/// disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum DeclineTransferError {
    /// The group already has a final status (T13).
    #[error("transfer group {group} is {status}, not PENDING; it can no longer be declined")]
    #[serde(rename = "TRANSFER_NOT_PENDING")]
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
    /// The group is a back-office transfer (S8): only the organizer's staff may end it, by
    /// cancelling it, or it completes at the recipient's next sign-in.
    #[error(
        "transfer group {group} was started by the organizer's staff; only staff may cancel it, and it completes at the recipient's next sign-in"
    )]
    BackOfficeGroup {
        /// The group.
        group: TransferGroupId,
    },
    /// A record the command names is missing, or the records given disagree: the group
    /// ([`InputError::GroupNotFound`]) or a ticket ([`InputError::TicketNotFound`],
    /// [`InputError::TicketNotInGroup`]).
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl DeclineTransferError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. [`Input`](Self::Input) gives its
    /// [`InputError::code`]. A released code never changes (`tests/fixtures/error_codes.txt` lists
    /// them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::{DeclineTransferError, TransferStatus};
    /// use secure_ticket::{ErrorKind, TransferGroupId};
    ///
    /// let error = DeclineTransferError::NotPending { group: TransferGroupId::from_u128(1), status: TransferStatus::Accepted };
    /// assert_eq!(error.code(), "TRANSFER_NOT_PENDING");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Input(input) => input.code(),
            Self::BackOfficeGroup { .. } => "BACK_OFFICE_GROUP",
            Self::NotPending { .. } => "TRANSFER_NOT_PENDING",
            Self::NotRecipient { .. } => "NOT_RECIPIENT",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer. A
    /// nested error gives its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::{DeclineTransferError, TransferStatus};
    /// use secure_ticket::{ErrorKind, TransferGroupId};
    ///
    /// let error = DeclineTransferError::NotPending { group: TransferGroupId::from_u128(1), status: TransferStatus::Accepted };
    /// assert_eq!(error.kind(), ErrorKind::Refused);
    /// assert_eq!(error.kind().http_status(), 422);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(input) => input.kind(),
            Self::BackOfficeGroup { .. } => ErrorKind::Refused,
            Self::NotPending { .. } | Self::NotRecipient { .. } => ErrorKind::Refused,
        }
    }
}

impl GroupCommandError for DeclineTransferError {
    fn not_pending(group: TransferGroupId, status: TransferStatus) -> Self {
        Self::NotPending { group, status }
    }
}

/// Declines a PENDING group: it becomes DECLINED and its tickets return to the sender with their
/// status before the transfer; owners, level and counters unchanged (SPEC T10).
///
/// # Errors
///
/// In this order: [`Input`](DeclineTransferError::Input) with [`InputError::GroupNotFound`],
/// [`NotPending`](DeclineTransferError::NotPending),
/// [`NotRecipient`](DeclineTransferError::NotRecipient),
/// [`BackOfficeGroup`](DeclineTransferError::BackOfficeGroup), then per ticket
/// [`Input`](DeclineTransferError::Input) with [`InputError::TicketNotFound`] or
/// [`InputError::TicketNotInGroup`].
///
/// # Examples
///
/// ```
/// use secure_ticket::transfer::{self, Context, InitiateTransfer, NewGroupIds};
/// use secure_ticket::{injection, AcceptanceSettings, Email, TransferGroupId, UsageRule, UsageRuleId};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let ticket = Ticket::new(secure_ticket::OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let (alice, bob) = (Email::parse("alice@example.com")?, Email::parse("bob@example.com")?);
/// let rules = [UsageRule::new(secure_ticket::OrganizerId::from_u128(1), UsageRuleId::from_u128(1))];
/// let injected = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: alice.clone(), usage_rule: rules[0].id, at,
/// })?.tickets.remove(0).ok_or("no ticket")?;
/// let context = Context::new(&rules).with_settings(AcceptanceSettings::explicit());
/// let sent = transfer::initiate(&[injected.clone()], &context, &InitiateTransfer {
///     actor: alice.clone(), recipient: bob.clone(), tickets: vec![injected.id],
///     groups: NewGroupIds::single(TransferGroupId::from_u128(7)), at,
/// })?;
/// let group = sent.groups[0].clone();
/// use secure_ticket::transfer::{DeclineTransfer, TransferStatus};
/// let declined = transfer::decline(&group, &sent.tickets, &DeclineTransfer { group: group.id, actor: bob, at })?;
/// assert_eq!(declined.groups[0].status, TransferStatus::Declined);
/// assert_eq!(declined.tickets[0].wallet.as_ref().map(|w| &w.owners.current), Some(&alice));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decline(
    group: &TransferGroup,
    tickets: &[Ticket],
    command: &DeclineTransfer,
) -> Result<Decision, DeclineTransferError> {
    use DeclineTransferError as E;
    check_named::<E>(group, command.group)?;
    if group.recipient != command.actor {
        return Err(E::NotRecipient {
            group: group.id,
            actor: command.actor.clone(),
        });
    }
    check_open::<E>(group)?;
    if group.is_back_office() {
        return Err(E::BackOfficeGroup { group: group.id });
    }
    check_not_before::<E>(group, command.at)?;
    close_group(group, tickets, TransferStatus::Declined, command.at).map_err(Into::into)
}
