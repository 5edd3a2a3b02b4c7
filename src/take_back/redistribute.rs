use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::changes::Changes;
use crate::decision::Decision;
use crate::email::Email;
use crate::error_kind::ErrorKind;
use crate::event::Event;
use crate::id::{PointOfSaleId, TicketId};
use crate::input_error::InputError;
use crate::point_of_sale::PointOfSale;
use crate::ticket::{InvalidationReason, Ticket};

/// Command: a B2B contact distributes a ticket it holds to a contact, after a take back (SPEC B3,
/// B7: "for redistribution").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedistributeTicket {
    /// The ticket.
    pub ticket: TicketId,
    /// The POS the ticket belongs to (B6).
    pub point_of_sale: PointOfSaleId,
    /// The B2B contact who distributes it.
    pub actor: Email,
    /// The contact it goes to: its new cultural contact.
    pub to: Email,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a ticket could not be redistributed. Nothing changed.
///
/// ### Handling
/// Show the message to the B2B customer. [`Input`](Self::Input) means the request names a ticket
/// or a point of sale that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum RedistributeError {
    /// The ticket is invalidated.
    #[error("ticket {ticket} is invalidated ({reason}); redistribute its replacement instead")]
    TicketInvalidated {
        /// The ticket.
        ticket: TicketId,
        /// Why it was invalidated.
        reason: InvalidationReason,
    },
    /// The ticket belongs to another POS (B6).
    #[error(
        "ticket {ticket} was not distributed through point of sale {point_of_sale}; redistribute it from \
         the point of sale that sold it"
    )]
    WrongPointOfSale {
        /// The ticket.
        ticket: TicketId,
        /// The POS asked.
        point_of_sale: PointOfSaleId,
    },
    /// The ticket is in a wallet already: take it back first.
    #[error(
        "ticket {ticket} was already injected into TIXnGO; take it back before redistributing it"
    )]
    AlreadyInjected {
        /// The ticket.
        ticket: TicketId,
    },
    /// The B2B contact does not hold the ticket.
    #[error("{actor} does not hold ticket {ticket}; only its cultural contact may redistribute it")]
    NotHolder {
        /// The ticket.
        ticket: TicketId,
        /// Who asked.
        actor: Email,
    },
    /// A record the command names is missing: the ticket ([`InputError::TicketNotFound`]) or
    /// the point of sale ([`InputError::PointOfSaleNotFound`]).
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl RedistributeError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. [`Input`](Self::Input) gives its
    /// [`InputError::code`]. A released code never changes (`tests/fixtures/error_codes.txt` lists
    /// them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::take_back::RedistributeError;
    /// use secure_ticket::{Email, ErrorKind, TicketId};
    ///
    /// let error = RedistributeError::NotHolder { ticket: TicketId::from_u128(1), actor: Email::parse("dave@example.com")? };
    /// assert_eq!(error.code(), "NOT_HOLDER");
    /// # Ok::<(), secure_ticket::EmailError>(())
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Input(input) => input.code(),
            Self::TicketInvalidated { .. } => "TICKET_INVALIDATED",
            Self::WrongPointOfSale { .. } => "WRONG_POINT_OF_SALE",
            Self::AlreadyInjected { .. } => "ALREADY_INJECTED",
            Self::NotHolder { .. } => "NOT_HOLDER",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer. A
    /// nested error gives its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::take_back::RedistributeError;
    /// use secure_ticket::{Email, ErrorKind, TicketId};
    ///
    /// let error = RedistributeError::NotHolder { ticket: TicketId::from_u128(1), actor: Email::parse("dave@example.com")? };
    /// assert_eq!(error.kind(), ErrorKind::Refused);
    /// assert_eq!(error.kind().http_status(), 422);
    /// # Ok::<(), secure_ticket::EmailError>(())
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(input) => input.kind(),
            Self::TicketInvalidated { .. }
            | Self::WrongPointOfSale { .. }
            | Self::AlreadyInjected { .. }
            | Self::NotHolder { .. } => ErrorKind::Refused,
        }
    }
}

/// Distributes a valid, not-injected ticket held by the acting B2B contact to another contact, who
/// becomes its cultural contact; the ticket is then ready for injection to that contact (B8, I1).
///
/// # Errors
///
/// In this order: [`Input`](RedistributeError::Input) with [`InputError::TicketNotFound`], then
/// with [`InputError::PointOfSaleNotFound`],
/// [`WrongPointOfSale`](RedistributeError::WrongPointOfSale) (B6),
/// [`NotHolder`](RedistributeError::NotHolder) (who asks is checked before anything about the
/// ticket is told, X2),
/// [`TicketInvalidated`](RedistributeError::TicketInvalidated),
/// [`AlreadyInjected`](RedistributeError::AlreadyInjected).
///
/// # Examples
///
/// A B2B customer holds a ticket that was never injected and gives it to a guest:
///
/// ```
/// use secure_ticket::take_back::{self, RedistributeTicket};
/// use secure_ticket::{
///     Distribution, Email, OrganizerId, PointOfSale, PointOfSaleId, RightId,
///     ShipmentMode, ShipmentModeId, Ticket, TicketId,
/// };
///
/// let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// let agency = Email::parse("tickets@agency.example.com")?;
/// let dave = Email::parse("dave@example.com")?;
/// let pos = PointOfSale::b2b(OrganizerId::from_u128(1), PointOfSaleId::from_u128(50));
/// let mobile = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1));
/// let distribution = Distribution::new(pos.id, mobile)
///     .with_b2b_contact(agency.clone())
///     .with_cultural_contact(agency.clone());
/// let ticket = Ticket::new(OrganizerId::from_u128(1), TicketId::from_u128(7), RightId::from_u128(8), distribution);
///
/// let decision = take_back::redistribute(&ticket, &pos, &RedistributeTicket {
///     ticket: ticket.id, point_of_sale: pos.id, actor: agency, to: dave.clone(), at,
/// })?;
/// assert_eq!(decision.tickets[0].distribution.cultural_contact, Some(dave));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn redistribute(
    ticket: &Ticket,
    point_of_sale: &PointOfSale,
    command: &RedistributeTicket,
) -> Result<Decision, RedistributeError> {
    use RedistributeError as E;
    super::pos_ticket::check_ticket_at_pos(
        ticket,
        point_of_sale,
        (command.ticket, command.point_of_sale),
        || Ok(()),
        || match ticket.distribution.cultural_contact.as_ref() == Some(&command.actor) {
            true => Ok(()),
            false => Err(E::NotHolder {
                ticket: ticket.id,
                actor: command.actor.clone(),
            }),
        },
    )?;
    if ticket.distribution.printed || ticket.wallet.is_some() {
        return Err(E::AlreadyInjected { ticket: ticket.id });
    }
    let mut moved = ticket.clone();
    moved.distribution.cultural_contact = Some(command.to.clone());
    Ok(Decision {
        spectators: Changes::new(),
        relies_on: Changes::new(),
        created: Changes::new(),
        tickets: Changes::one(moved),
        groups: Changes::new(),
        events: Changes::one(Event::TicketRedistributed {
            ticket: ticket.id,
            from: command.actor.clone(),
            to: command.to.clone(),
            at: command.at,
        }),
    })
}

impl super::pos_ticket::PosTicketError for RedistributeError {
    fn ticket_invalidated(ticket: TicketId, reason: InvalidationReason) -> Self {
        Self::TicketInvalidated { ticket, reason }
    }

    fn wrong_point_of_sale(ticket: TicketId, point_of_sale: PointOfSaleId) -> Self {
        Self::WrongPointOfSale {
            ticket,
            point_of_sale,
        }
    }
}
