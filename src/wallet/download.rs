use time::OffsetDateTime;

use crate::changes::Changes;
use crate::decision::Decision;
use crate::email::Email;
use crate::error_kind::ErrorKind;
use crate::event::Event;
use crate::id::TicketId;
use crate::input_error::InputError;
use crate::ticket::InvalidationReason;
use crate::ticket::{Ticket, WalletStatus};

/// Command: the current owner's device loads the ticket (SPEC W3).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DownloadTicket {
    /// The ticket.
    pub ticket: TicketId,
    /// The spectator whose device downloads it: must be the current owner.
    pub actor: Email,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a ticket could not be downloaded. Nothing changed.
///
/// ### Handling
/// [`NotCurrentOwner`](Self::NotCurrentOwner) and [`NotDownloadable`](Self::NotDownloadable) refuse
/// the device's request; the others mean the request names a ticket that does not exist
/// ([`Input`](Self::Input)) or that is not in a wallet yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum DownloadError {
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
    /// The ticket is not in any wallet yet.
    #[error("ticket {ticket} has not been injected into TIXnGO; there is nothing to download")]
    #[serde(rename = "TICKET_NOT_INJECTED")]
    NotInjected {
        /// The ticket.
        ticket: TicketId,
    },
    /// Only the current owner's device may download the ticket.
    #[error(
        "{actor} is not the current owner of ticket {ticket}; only the current owner can download it"
    )]
    NotCurrentOwner {
        /// The ticket.
        ticket: TicketId,
        /// Who asked.
        actor: Email,
    },
    /// The ticket is not NOT_DOWNLOADED (already downloaded, pending transfer, or deleted, W4).
    #[error("ticket {ticket} is {status}; only a NOT_DOWNLOADED ticket can be downloaded")]
    NotDownloadable {
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

impl DownloadError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. [`Input`](Self::Input) gives its
    /// [`InputError::code`]. A released code never changes (`tests/fixtures/error_codes.txt` lists
    /// them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::wallet::DownloadError;
    /// use secure_ticket::{ErrorKind, TicketId, WalletStatus};
    ///
    /// let error = DownloadError::NotDownloadable { ticket: TicketId::from_u128(1), status: WalletStatus::Downloaded };
    /// assert_eq!(error.code(), "NOT_DOWNLOADABLE");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TicketInvalidated { .. } => "TICKET_INVALIDATED",
            Self::Input(input) => input.code(),
            Self::NotInjected { .. } => "TICKET_NOT_INJECTED",
            Self::NotCurrentOwner { .. } => "NOT_CURRENT_OWNER",
            Self::NotDownloadable { .. } => "NOT_DOWNLOADABLE",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer. A
    /// nested error gives its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::wallet::DownloadError;
    /// use secure_ticket::{ErrorKind, TicketId, WalletStatus};
    ///
    /// let error = DownloadError::NotDownloadable { ticket: TicketId::from_u128(1), status: WalletStatus::Downloaded };
    /// assert_eq!(error.kind(), ErrorKind::Refused);
    /// assert_eq!(error.kind().http_status(), 422);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::TicketInvalidated { .. } => ErrorKind::Refused,
            Self::Input(input) => input.kind(),
            Self::NotInjected { .. }
            | Self::NotCurrentOwner { .. }
            | Self::NotDownloadable { .. } => ErrorKind::Refused,
        }
    }
}

/// Records a download: NOT_DOWNLOADED → DOWNLOADED, with its time (SPEC W3).
///
/// # Errors
///
/// In this order: [`Input`](DownloadError::Input) with [`InputError::TicketNotFound`],
/// [`NotInjected`](DownloadError::NotInjected), [`NotCurrentOwner`](DownloadError::NotCurrentOwner),
/// [`NotDownloadable`](DownloadError::NotDownloadable).
///
/// # Examples
///
/// ```
/// use secure_ticket::{injection, wallet, Email, UsageRuleId, WalletStatus};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let ticket = Ticket::new(secure_ticket::OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let alice = Email::parse("alice@example.com")?;
/// let injected = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: alice.clone(), usage_rule: UsageRuleId::from_u128(1), at,
/// })?.tickets.remove(0).ok_or("no ticket")?;
/// let downloaded = wallet::download(&injected, &wallet::DownloadTicket { ticket: injected.id, actor: alice, at })?;
/// assert_eq!(downloaded.tickets[0].wallet_status(), Some(WalletStatus::Downloaded));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn download(ticket: &Ticket, command: &DownloadTicket) -> Result<Decision, DownloadError> {
    use DownloadError as E;
    if ticket.id != command.ticket {
        return Err(InputError::TicketNotFound {
            ticket: command.ticket,
        }
        .into());
    }
    let wallet = ticket
        .wallet
        .as_ref()
        .ok_or(E::NotInjected { ticket: ticket.id })?;
    if wallet.owners.current != command.actor {
        return Err(E::NotCurrentOwner {
            ticket: ticket.id,
            actor: command.actor.clone(),
        });
    }
    if command.at < wallet.injected_at {
        return Err(InputError::DatedBeforeInjection {
            ticket: ticket.id,
            at: command.at,
            injected_at: wallet.injected_at,
        }
        .into());
    }
    let status = wallet.status();
    if status != WalletStatus::NotDownloaded {
        return Err(E::NotDownloadable {
            ticket: ticket.id,
            status,
        });
    }
    if let Some(invalidation) = &ticket.distribution.invalidation {
        return Err(E::TicketInvalidated {
            ticket: ticket.id,
            reason: invalidation.reason.clone(),
        });
    }
    let mut downloaded = ticket.clone();
    if let Some(w) = downloaded.wallet.as_mut() {
        w.downloaded_at = Some(command.at);
    }
    Ok(Decision {
        spectators: Changes::new(),
        relies_on: Changes::new(),
        created: Changes::new(),
        tickets: Changes::one(downloaded),
        groups: Changes::new(),
        events: Changes::one(Event::TicketDownloaded {
            ticket: ticket.id,
            owner: command.actor.clone(),
            at: command.at,
        }),
    })
}
