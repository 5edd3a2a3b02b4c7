//! The input errors every command shares: a record it names is missing, or the records given
//! disagree. Each command error enum nests them in one `Input` variant.

use crate::error_kind::ErrorKind;
use crate::id::{PointOfSaleId, TicketId, TransferGroupId, UsageRuleId};

/// A record the command names is missing, or the records given disagree. Nothing changed.
///
/// Every command error enum has one `Input(InputError)` variant, so a caller can tell "fix the
/// request or reload" from a rule's refusal in one place, whatever the command.
///
/// ### Handling
/// The `*NotFound` variants: the id in the request is wrong, or the record was never created;
/// answer the caller with the id. [`TicketNotInGroup`](Self::TicketNotInGroup): the ticket and the
/// group were read at different times (a stale copy of one of them); read both again and retry.
///
/// # Examples
///
/// ```
/// use secure_ticket::wallet::{self, DownloadError, DownloadTicket};
/// use secure_ticket::{Email, InputError, TicketId};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket};
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let ticket = Ticket::new(secure_ticket::OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// // Ticket 1 is passed, but the command names ticket 2.
/// let command = DownloadTicket { ticket: TicketId::from_u128(2), actor: Email::parse("alice@example.com")?, at };
/// let refused = wallet::download(&ticket, &command).unwrap_err();
/// assert_eq!(refused, DownloadError::Input(InputError::TicketNotFound { ticket: TicketId::from_u128(2) }));
/// assert_eq!(refused.to_string(), format!("ticket {} was not found; check the ticket id", command.ticket));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum InputError {
    /// The ticket the command names was not found.
    #[error("ticket {ticket} was not found; check the ticket id")]
    TicketNotFound {
        /// The ticket the command names.
        ticket: TicketId,
    },
    /// The transfer group the command names was not found.
    #[error("transfer group {group} was not found; check the transfer group id")]
    #[serde(rename = "TRANSFER_GROUP_NOT_FOUND")]
    GroupNotFound {
        /// The group the command names.
        group: TransferGroupId,
    },
    /// The usage rule a ticket follows was not found.
    #[error(
        "usage rule {rule} of ticket {ticket} was not found; create the usage rule, or give the ticket an existing one"
    )]
    UsageRuleNotFound {
        /// The ticket.
        ticket: TicketId,
        /// Its usage rule.
        rule: UsageRuleId,
    },
    /// A ticket listed in a group is not pending in it: the ticket and the group disagree.
    #[error(
        "ticket {ticket} is not pending in transfer group {group}; the ticket and the group disagree (one \
         changed while the command ran): try again"
    )]
    TicketNotInGroup {
        /// The ticket.
        ticket: TicketId,
        /// The group.
        group: TransferGroupId,
    },
    /// The command is dated before the group it acts on was created (an accept before its
    /// initiation): a clock that cannot be trusted, or a forged time (A4).
    #[error(
        "the command is dated {at}, before transfer group {group} was created at {created_at}; stamp it with the current time"
    )]
    #[serde(rename = "COMMAND_BEFORE_GROUP")]
    DatedBeforeGroup {
        /// The group.
        group: TransferGroupId,
        /// The command's time.
        #[serde(with = "crate::rfc3339")]
        at: time::OffsetDateTime,
        /// When the group was created.
        #[serde(with = "crate::rfc3339")]
        created_at: time::OffsetDateTime,
    },
    /// The command is dated before the ticket it acts on was injected (a download before its
    /// injection).
    #[error(
        "the command is dated {at}, before ticket {ticket} was injected at {injected_at}; stamp it with the current time"
    )]
    #[serde(rename = "COMMAND_BEFORE_INJECTION")]
    DatedBeforeInjection {
        /// The ticket.
        ticket: TicketId,
        /// The command's time.
        #[serde(with = "crate::rfc3339")]
        at: time::OffsetDateTime,
        /// When the ticket was injected.
        #[serde(with = "crate::rfc3339")]
        injected_at: time::OffsetDateTime,
    },
    /// The point of sale the command names was not found.
    #[error("point of sale {point_of_sale} was not found; check the point of sale id")]
    PointOfSaleNotFound {
        /// The point of sale the command names.
        point_of_sale: PointOfSaleId,
    },
}

impl InputError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. A released code never changes
    /// (`tests/fixtures/error_codes.txt` lists them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{ErrorKind, InputError, TicketId};
    ///
    /// let error = InputError::TicketNotFound { ticket: TicketId::from_u128(1) };
    /// assert_eq!(error.code(), "TICKET_NOT_FOUND");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::DatedBeforeGroup { .. } => "COMMAND_BEFORE_GROUP",
            Self::DatedBeforeInjection { .. } => "COMMAND_BEFORE_INJECTION",
            Self::TicketNotFound { .. } => "TICKET_NOT_FOUND",
            Self::GroupNotFound { .. } => "TRANSFER_GROUP_NOT_FOUND",
            Self::UsageRuleNotFound { .. } => "USAGE_RULE_NOT_FOUND",
            Self::TicketNotInGroup { .. } => "TICKET_NOT_IN_GROUP",
            Self::PointOfSaleNotFound { .. } => "POINT_OF_SALE_NOT_FOUND",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{ErrorKind, InputError, TicketId};
    ///
    /// let error = InputError::TicketNotFound { ticket: TicketId::from_u128(1) };
    /// assert_eq!(error.kind(), ErrorKind::NotFound);
    /// assert_eq!(error.kind().http_status(), 404);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::DatedBeforeGroup { .. } | Self::DatedBeforeInjection { .. } => {
                ErrorKind::InvalidInput
            }
            Self::TicketNotFound { .. }
            | Self::GroupNotFound { .. }
            | Self::UsageRuleNotFound { .. }
            | Self::PointOfSaleNotFound { .. } => ErrorKind::NotFound,
            Self::TicketNotInGroup { .. } => ErrorKind::Conflict,
        }
    }
}
