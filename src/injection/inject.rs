use time::OffsetDateTime;

use crate::changes::Changes;
use crate::decision::Decision;
use crate::email::Email;
use crate::error_kind::ErrorKind;
use crate::event::Event;
use crate::id::{ShipmentModeId, TicketId, UsageRuleId};
use crate::input_error::InputError;
use crate::rfc3339::rfc3339;
use crate::ticket::{InvalidationReason, Ticket, Wallet};

/// Command: inject a ticket into TIXnGO for a contact (SPEC I1). The actor is S360 itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InjectTicket {
    /// The ticket.
    pub ticket: TicketId,
    /// The contact to inject it to: its initial and current owner.
    pub to: Email,
    /// The usage rule the ticket will follow in the wallet.
    pub usage_rule: UsageRuleId,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a ticket could not be injected. Nothing changed.
///
/// ### Handling
/// Each variant means S360 asked for an injection the rules do not allow, or named a ticket that
/// does not exist ([`Input`](Self::Input)): do not retry it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum InjectError {
    /// The ticket is invalidated.
    #[error("ticket {ticket} is invalidated ({reason}); inject its valid replacement instead")]
    TicketInvalidated {
        /// The ticket.
        ticket: TicketId,
        /// Why it was invalidated.
        reason: InvalidationReason,
    },
    /// The ticket's shipment mode is not secure mobile.
    #[error(
        "ticket {ticket} has shipment mode {shipment_mode}, which is not secure mobile; only secure mobile tickets are injected"
    )]
    NotSecureMobile {
        /// The ticket.
        ticket: TicketId,
        /// Its shipment mode.
        shipment_mode: ShipmentModeId,
    },
    /// The ticket is in a wallet already.
    #[error(
        "ticket {ticket} was already injected at {}; a ticket is injected once",
        rfc3339(*injected_at)
    )]
    AlreadyInjected {
        /// The ticket.
        ticket: TicketId,
        /// When it was injected.
        #[serde(with = "crate::rfc3339")]
        injected_at: OffsetDateTime,
    },
    /// The ticket passed is not the one the command names ([`InputError::TicketNotFound`]).
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl InjectError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. [`Input`](Self::Input) gives its
    /// [`InputError::code`]. A released code never changes (`tests/fixtures/error_codes.txt` lists
    /// them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::injection::InjectError;
    /// use secure_ticket::{ErrorKind, InputError, ShipmentModeId, TicketId};
    ///
    /// let error = InjectError::NotSecureMobile { ticket: TicketId::from_u128(1), shipment_mode: ShipmentModeId::from_u128(2) };
    /// assert_eq!(error.code(), "NOT_SECURE_MOBILE");
    /// let missing = InjectError::from(InputError::TicketNotFound { ticket: TicketId::from_u128(1) });
    /// assert_eq!(missing.code(), "TICKET_NOT_FOUND");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Input(input) => input.code(),
            Self::TicketInvalidated { .. } => "TICKET_INVALIDATED",
            Self::NotSecureMobile { .. } => "NOT_SECURE_MOBILE",
            Self::AlreadyInjected { .. } => "ALREADY_INJECTED",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer. A
    /// nested error gives its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::injection::InjectError;
    /// use secure_ticket::{ErrorKind, InputError, ShipmentModeId, TicketId};
    ///
    /// let error = InjectError::NotSecureMobile { ticket: TicketId::from_u128(1), shipment_mode: ShipmentModeId::from_u128(2) };
    /// assert_eq!(error.kind(), ErrorKind::Refused);
    /// assert_eq!(error.kind().http_status(), 422);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(input) => input.kind(),
            Self::TicketInvalidated { .. }
            | Self::NotSecureMobile { .. }
            | Self::AlreadyInjected { .. } => ErrorKind::Refused,
        }
    }
}

/// Injects a valid, not-yet-injected secure mobile ticket (SPEC I1): the wallet facet starts as W2
/// says (NOT_DOWNLOADED, level 0, counters 0, initial = current = `to`, no previous owner) and S360
/// marks the ticket printed.
///
/// # Errors
///
/// In this order: [`Input`](InjectError::Input) with [`InputError::TicketNotFound`],
/// [`TicketInvalidated`](InjectError::TicketInvalidated),
/// [`NotSecureMobile`](InjectError::NotSecureMobile), [`AlreadyInjected`](InjectError::AlreadyInjected).
///
/// # Examples
///
/// ```
/// use secure_ticket::{injection, Email, UsageRuleId, WalletStatus};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let ticket = Ticket::new(secure_ticket::OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let alice = Email::parse("alice@example.com")?;
/// let decision = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: alice.clone(), usage_rule: UsageRuleId::from_u128(1), at,
/// })?;
/// let wallet = decision.tickets[0].wallet.as_ref().unwrap();
/// assert_eq!((wallet.level, wallet.status()), (0, WalletStatus::NotDownloaded));
/// assert_eq!(wallet.owners.initial, alice);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn inject(ticket: &Ticket, command: &InjectTicket) -> Result<Decision, InjectError> {
    use InjectError as E;
    if ticket.id != command.ticket {
        return Err(InputError::TicketNotFound {
            ticket: command.ticket,
        }
        .into());
    }
    if let Some(invalidation) = &ticket.distribution.invalidation {
        return Err(E::TicketInvalidated {
            ticket: ticket.id,
            reason: invalidation.reason.clone(),
        });
    }
    let mode = ticket.distribution.shipment_mode;
    if !mode.is_secure_mobile() {
        return Err(E::NotSecureMobile {
            ticket: ticket.id,
            shipment_mode: mode.id,
        });
    }
    if let Some(wallet) = &ticket.wallet {
        return Err(E::AlreadyInjected {
            ticket: ticket.id,
            injected_at: wallet.injected_at,
        });
    }
    let mut injected = ticket.clone();
    injected.distribution.printed = true;
    injected.wallet = Some(Wallet::injected(
        command.usage_rule,
        command.to.clone(),
        command.at,
    ));
    Ok(Decision {
        spectators: Changes::new(),
        relies_on: Changes::new(),
        created: Changes::new(),
        tickets: Changes::one(injected),
        groups: Changes::new(),
        events: Changes::one(Event::TicketInjected {
            ticket: ticket.id,
            right: ticket.right,
            owner: command.to.clone(),
            usage_rule: command.usage_rule,
            at: command.at,
        }),
    })
}
