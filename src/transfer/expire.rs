use time::OffsetDateTime;

use super::shared::{GroupCommandError, check_not_before, check_pending, close_group};
use crate::decision::Decision;
use crate::error_kind::ErrorKind;
use crate::id::TransferGroupId;
use crate::input_error::InputError;
use crate::rfc3339::rfc3339;
use crate::ticket::Ticket;
use crate::transfer_group::{TransferGroup, TransferStatus};

/// Command: the system expires a PENDING group past its deadline (SPEC A4).
///
/// The actor is always the system: run it from a scheduled job with the current time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExpireTransfer {
    /// The group to expire.
    pub group: TransferGroupId,
    /// The current time, as the caller's clock says.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a group could not be expired. Nothing changed.
///
/// ### Handling
/// [`NoDeadline`](Self::NoDeadline), [`NotYetExpired`](Self::NotYetExpired) and
/// [`NotPending`](Self::NotPending) mean the job picked the wrong group or ran early: skip it.
/// [`Input`](Self::Input) means the request names a missing record, or the records read disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ExpireTransferError {
    /// The group already has a final status (T13).
    #[error("transfer group {group} is {status}, not PENDING; there is nothing to expire")]
    #[serde(rename = "TRANSFER_NOT_PENDING")]
    NotPending {
        /// The group.
        group: TransferGroupId,
        /// Its status.
        status: TransferStatus,
    },
    /// The group was created without a deadline.
    #[error("transfer group {group} has no deadline; it never expires")]
    NoDeadline {
        /// The group.
        group: TransferGroupId,
    },
    /// The deadline is still ahead.
    #[error(
        "transfer group {group} expires at {}, after {}; run the expiry again then",
        rfc3339(*expires_at),
        rfc3339(*at)
    )]
    NotYetExpired {
        /// The group.
        group: TransferGroupId,
        /// Its deadline.
        #[serde(with = "crate::rfc3339")]
        expires_at: OffsetDateTime,
        /// The time given.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// A record the command names is missing, or the records given disagree: the group
    /// ([`InputError::GroupNotFound`]) or a ticket ([`InputError::TicketNotFound`],
    /// [`InputError::TicketNotInGroup`]).
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl ExpireTransferError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. [`Input`](Self::Input) gives its
    /// [`InputError::code`]. A released code never changes (`tests/fixtures/error_codes.txt` lists
    /// them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::ExpireTransferError;
    /// use secure_ticket::{ErrorKind, TransferGroupId};
    ///
    /// let error = ExpireTransferError::NoDeadline { group: TransferGroupId::from_u128(1) };
    /// assert_eq!(error.code(), "NO_DEADLINE");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Input(input) => input.code(),
            Self::NotPending { .. } => "TRANSFER_NOT_PENDING",
            Self::NoDeadline { .. } => "NO_DEADLINE",
            Self::NotYetExpired { .. } => "NOT_YET_EXPIRED",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer. A
    /// nested error gives its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::ExpireTransferError;
    /// use secure_ticket::{ErrorKind, TransferGroupId};
    ///
    /// let error = ExpireTransferError::NoDeadline { group: TransferGroupId::from_u128(1) };
    /// assert_eq!(error.kind(), ErrorKind::Refused);
    /// assert_eq!(error.kind().http_status(), 422);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(input) => input.kind(),
            Self::NotPending { .. } | Self::NoDeadline { .. } | Self::NotYetExpired { .. } => {
                ErrorKind::Refused
            }
        }
    }
}

impl GroupCommandError for ExpireTransferError {
    fn not_pending(group: TransferGroupId, status: TransferStatus) -> Self {
        Self::NotPending { group, status }
    }
}

/// Expires a PENDING group whose deadline has passed: status EXPIRED, effects as a cancel (SPEC A4,
/// T10). There is no clock inside: the caller passes the current time.
///
/// # Errors
///
/// In this order: [`Input`](ExpireTransferError::Input) with [`InputError::GroupNotFound`],
/// [`NotPending`](ExpireTransferError::NotPending), [`NoDeadline`](ExpireTransferError::NoDeadline),
/// [`NotYetExpired`](ExpireTransferError::NotYetExpired), then per ticket
/// [`Input`](ExpireTransferError::Input) with [`InputError::TicketNotFound`] or
/// [`InputError::TicketNotInGroup`].
///
/// # Examples
///
/// ```
/// use secure_ticket::transfer::{self, ExpireTransfer, ExpireTransferError, InitiateTransfer, NewGroupIds, TransferStatus};
/// use secure_ticket::{injection, AcceptanceSettings, Email, TransferGroupId, UsageRule, UsageRuleId};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
/// use time::Duration;
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let ticket = Ticket::new(secure_ticket::OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let rule = UsageRule::new(secure_ticket::OrganizerId::from_u128(1), UsageRuleId::from_u128(1));
/// let alice = Email::parse("alice@example.com")?;
/// let injected = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: alice.clone(), usage_rule: rule.id, at,
/// })?.tickets.remove(0).ok_or("no ticket")?;
/// let settings = AcceptanceSettings::explicit().with_expiry(Duration::hours(48)).unwrap();
/// let mut sent = transfer::initiate(&[injected.clone()], &transfer::Context::new(&[rule]).with_settings(settings), &InitiateTransfer {
///     actor: alice, recipient: Email::parse("bob@example.com")?, tickets: vec![injected.id],
///     groups: NewGroupIds::single(TransferGroupId::from_u128(7)), at,
/// })?;
/// let group = sent.groups.remove(0).ok_or("no group")?;
///
/// let early = ExpireTransfer { group: group.id, at: at + Duration::hours(1) };
/// assert!(matches!(transfer::expire(&group, &sent.tickets, &early), Err(ExpireTransferError::NotYetExpired { .. })));
/// let late = ExpireTransfer { group: group.id, at: at + Duration::hours(48) };
/// assert_eq!(transfer::expire(&group, &sent.tickets, &late)?.groups[0].status, TransferStatus::Expired);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn expire(
    group: &TransferGroup,
    tickets: &[Ticket],
    command: &ExpireTransfer,
) -> Result<Decision, ExpireTransferError> {
    use ExpireTransferError as E;
    check_pending::<E>(group, command.group)?;
    check_not_before::<E>(group, command.at)?;
    // The deadline (A4) or the performance's end (E1), whichever comes first.
    let Some(expires_at) = group.due_at() else {
        return Err(E::NoDeadline { group: group.id });
    };
    if command.at < expires_at {
        return Err(E::NotYetExpired {
            group: group.id,
            expires_at,
            at: command.at,
        });
    }
    close_group(group, tickets, TransferStatus::Expired, command.at).map_err(Into::into)
}
