use time::OffsetDateTime;

use crate::changes::Changes;
use crate::decision::Decision;
use crate::error_kind::ErrorKind;
use crate::event::Event;
use crate::id::TicketId;
use crate::input_error::InputError;
use crate::ticket::{Ticket, WalletStatus};

/// Command: S360 pushes an invalidated ticket to TIXnGO (SPEC B10). The actor is S360 itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequestDeletion {
    /// The invalidated ticket.
    pub ticket: TicketId,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Command: TIXnGO finished removing a ticket from the wallet (SPEC B10). The actor is TIXnGO.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CompleteDeletion {
    /// The ticket.
    pub ticket: TicketId,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a deletion step was refused. Nothing changed.
///
/// ### Handling
/// [`StillValid`](Self::StillValid) protects a valid ticket from deletion (B11): invalidate it in
/// S360 first. The others mean the step was already done, or the request names a ticket that does
/// not exist ([`Input`](Self::Input)) or that was never injected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum DeletionError {
    /// The ticket is not in any wallet.
    #[error("ticket {ticket} was never injected into TIXnGO; there is nothing to delete")]
    #[serde(rename = "TICKET_NOT_INJECTED")]
    NotInjected {
        /// The ticket.
        ticket: TicketId,
    },
    /// Only invalidated tickets are deleted from the wallet.
    #[error(
        "ticket {ticket} is still valid in S360; invalidate it before deleting it from the wallet"
    )]
    #[serde(rename = "TICKET_STILL_VALID")]
    StillValid {
        /// The ticket.
        ticket: TicketId,
    },
    /// The step does not fit the ticket's status (deletion already requested, not requested yet, or done).
    #[error(
        "ticket {ticket} is {status}; this deletion step does not apply: request deletion once, then \
         complete it once"
    )]
    #[serde(rename = "DELETION_WRONG_STATUS")]
    WrongStatus {
        /// The ticket.
        ticket: TicketId,
        /// Its wallet status.
        status: WalletStatus,
    },
    /// The ticket passed is not the one the command names ([`InputError::TicketNotFound`]).
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl DeletionError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. [`Input`](Self::Input) gives its
    /// [`InputError::code`]. A released code never changes (`tests/fixtures/error_codes.txt` lists
    /// them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::wallet::DeletionError;
    /// use secure_ticket::{ErrorKind, TicketId};
    ///
    /// let error = DeletionError::StillValid { ticket: TicketId::from_u128(1) };
    /// assert_eq!(error.code(), "TICKET_STILL_VALID");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Input(input) => input.code(),
            Self::NotInjected { .. } => "TICKET_NOT_INJECTED",
            Self::StillValid { .. } => "TICKET_STILL_VALID",
            Self::WrongStatus { .. } => "DELETION_WRONG_STATUS",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer. A
    /// nested error gives its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::wallet::DeletionError;
    /// use secure_ticket::{ErrorKind, TicketId};
    ///
    /// let error = DeletionError::StillValid { ticket: TicketId::from_u128(1) };
    /// assert_eq!(error.kind(), ErrorKind::Refused);
    /// assert_eq!(error.kind().http_status(), 422);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(input) => input.kind(),
            Self::NotInjected { .. } | Self::StillValid { .. } | Self::WrongStatus { .. } => {
                ErrorKind::Refused
            }
        }
    }
}

fn check(ticket: &Ticket, id: TicketId) -> Result<WalletStatus, DeletionError> {
    if ticket.id != id {
        return Err(InputError::TicketNotFound { ticket: id }.into());
    }
    let wallet = ticket
        .wallet
        .as_ref()
        .ok_or(DeletionError::NotInjected { ticket: ticket.id })?;
    if ticket.is_valid() {
        return Err(DeletionError::StillValid { ticket: ticket.id });
    }
    Ok(wallet.status())
}

/// The invalidated ticket reaches TIXnGO: it becomes DELETION_PENDING (SPEC B10). A pending
/// transfer it is in can then only be declined, cancelled or expired (W4).
///
/// # Errors
///
/// In this order: [`Input`](DeletionError::Input) with [`InputError::TicketNotFound`],
/// [`NotInjected`](DeletionError::NotInjected), [`StillValid`](DeletionError::StillValid),
/// [`WrongStatus`](DeletionError::WrongStatus) when deletion was already requested.
///
/// # Examples
///
/// See the take-back chapter of the `quickstart` example.
pub fn request_deletion(
    ticket: &Ticket,
    command: &RequestDeletion,
) -> Result<Decision, DeletionError> {
    let status = check(ticket, command.ticket)?;
    if matches!(
        status,
        WalletStatus::DeletionPending | WalletStatus::Deleted
    ) {
        return Err(DeletionError::WrongStatus {
            ticket: ticket.id,
            status,
        });
    }
    let mut pushed = ticket.clone();
    if let Some(w) = pushed.wallet.as_mut() {
        w.deletion_requested_at = Some(command.at);
    }
    Ok(Decision {
        spectators: Changes::new(),
        relies_on: Changes::new(),
        created: Changes::new(),
        tickets: Changes::one(pushed),
        groups: Changes::new(),
        events: Changes::one(Event::TicketDeletionRequested {
            ticket: ticket.id,
            at: command.at,
        }),
    })
}

/// TIXnGO removed the ticket: DELETION_PENDING → DELETED (SPEC B10).
///
/// # Errors
///
/// In this order: [`Input`](DeletionError::Input) with [`InputError::TicketNotFound`],
/// [`NotInjected`](DeletionError::NotInjected), [`StillValid`](DeletionError::StillValid),
/// [`WrongStatus`](DeletionError::WrongStatus) unless the ticket is DELETION_PENDING.
///
/// # Examples
///
/// See the take-back chapter of the `quickstart` example.
pub fn complete_deletion(
    ticket: &Ticket,
    command: &CompleteDeletion,
) -> Result<Decision, DeletionError> {
    let status = check(ticket, command.ticket)?;
    if status != WalletStatus::DeletionPending {
        return Err(DeletionError::WrongStatus {
            ticket: ticket.id,
            status,
        });
    }
    let mut deleted = ticket.clone();
    if let Some(w) = deleted.wallet.as_mut() {
        w.deleted_at = Some(command.at);
    }
    Ok(Decision {
        spectators: Changes::new(),
        relies_on: Changes::new(),
        created: Changes::new(),
        tickets: Changes::one(deleted),
        groups: Changes::new(),
        events: Changes::one(Event::TicketDeleted {
            ticket: ticket.id,
            at: command.at,
        }),
    })
}
