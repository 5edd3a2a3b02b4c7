//! S360's resale of injected mobile tickets (SPEC R1-R3): the ticket's cultural contact puts it on
//! resale; S360 invalidates it (`RESALE`) and holds it until TIXnGO reports it DELETION_PENDING or
//! DELETED; then the resale completes (a new ticket for the right, for the buyer) or, when the
//! ticket left the contact's wallet meanwhile, is cancelled.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::changes::Changes;
use crate::decision::Decision;
use crate::email::Email;
use crate::error_kind::ErrorKind;
use crate::event::Event;
use crate::feedback::LifecycleStatus;
use crate::id::{PointOfSaleId, TicketId, TransferGroupId};
use crate::input_error::InputError;
use crate::point_of_sale::PointOfSale;
use crate::record_key::RecordKey;
use crate::spectator::{Spectator, SpectatorLocked};
use crate::ticket::{Distribution, Invalidation, InvalidationReason, Ticket, WalletStatus};

/// A ticket's pending resale (R2), kept on the ticket while S360 holds it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Resale {
    /// The cultural contact who put it on resale.
    pub by: Email,
    /// Its TIXnGO owner then: the resale is cancelled if another one holds it when it settles.
    pub owner: Email,
    /// Who buys it.
    pub buyer: Email,
    /// The id of the buyer's ticket, created when the resale completes.
    pub buyer_ticket: TicketId,
    /// When it was put on resale.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Command: the ticket's cultural contact puts it on resale through its point of sale (R1-R3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutOnResale {
    /// The ticket.
    pub ticket: TicketId,
    /// The point of sale that distributed it: its switches allow the resale (R1).
    pub point_of_sale: PointOfSaleId,
    /// Who puts it on resale: must be the ticket's cultural contact (R1).
    pub actor: Email,
    /// The buyer.
    pub buyer: Email,
    /// The id of the ticket the buyer gets when the resale completes (a new record).
    pub buyer_ticket: TicketId,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Command: S360 settles a ticket's resale once TIXnGO's feedback says it is DELETION_PENDING or
/// DELETED (R2): the resale completes, or is cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettleResale {
    /// The ticket on resale.
    pub ticket: TicketId,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a ticket could not be put on resale, or its resale settled. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ResaleError {
    /// The ticket was not distributed through this point of sale.
    #[error(
        "ticket {ticket} was not distributed through point of sale {point_of_sale}; resell it through the one that sold it"
    )]
    WrongPointOfSale {
        /// The ticket.
        ticket: TicketId,
        /// The point of sale named.
        point_of_sale: PointOfSaleId,
    },
    /// Only the ticket's cultural contact puts it on resale (R1).
    #[error(
        "{actor} is not the cultural contact of ticket {ticket}; only its cultural contact may put it on resale"
    )]
    NotCulturalContact {
        /// The ticket.
        ticket: TicketId,
        /// Who asked.
        actor: Email,
    },
    /// The ticket is on resale already.
    #[error(
        "ticket {ticket} is on resale already; wait for TIXnGO's deletion feedback to settle it"
    )]
    AlreadyOnResale {
        /// The ticket.
        ticket: TicketId,
    },
    /// The ticket is invalidated (taken back, or resold).
    #[error("ticket {ticket} is invalidated ({reason}); only a valid ticket is put on resale")]
    TicketInvalidated {
        /// The ticket.
        ticket: TicketId,
        /// Why.
        reason: InvalidationReason,
    },
    /// The ticket is not in a TIXnGO wallet: R1's resale is of injected mobile tickets.
    #[error(
        "ticket {ticket} has not been injected into TIXnGO; resale of mobile tickets is of injected ones"
    )]
    #[serde(rename = "TICKET_NOT_INJECTED")]
    NotInjected {
        /// The ticket.
        ticket: TicketId,
    },
    /// The ticket is DELETION_PENDING or DELETED.
    #[error("ticket {ticket} is {status}; it can no longer be resold")]
    TicketDeleted {
        /// The ticket.
        ticket: TicketId,
        /// Its wallet status.
        status: WalletStatus,
    },
    /// The ticket is PENDING_TRANSFER (R3).
    #[error(
        "ticket {ticket} is pending in transfer group {group}; it cannot be put on resale until that transfer ends"
    )]
    #[serde(rename = "TICKET_PENDING_TRANSFER")]
    PendingTransfer {
        /// The ticket.
        ticket: TicketId,
        /// Its pending group.
        group: TransferGroupId,
    },
    /// The point of sale's switch for this ticket is off (R1).
    #[error("point of sale {point_of_sale} does not allow resale of {} mobile tickets; tick the switch in its Internet Parameters", if *transferred { "transferred" } else { "injected" })]
    ResaleDisabled {
        /// The point of sale.
        point_of_sale: PointOfSaleId,
        /// Whether the ticket was transferred (the second switch) or only injected (the first).
        transferred: bool,
    },
    /// The ticket's current owner is locked (L2).
    #[error(transparent)]
    SpectatorLocked(SpectatorLocked),
    /// The buyer's ticket id is the ticket's own.
    #[error("the buyer's ticket needs a new id, not {ticket}, the ticket on resale")]
    BuyerTicketIdReused {
        /// The ticket.
        ticket: TicketId,
    },
    /// A settlement for a ticket that is not on resale.
    #[error("ticket {ticket} is not on resale; there is nothing to settle")]
    NotOnResale {
        /// The ticket.
        ticket: TicketId,
    },
    /// A settlement before TIXnGO reported the ticket DELETION_PENDING or DELETED (R2).
    #[error("TIXnGO has not reported ticket {ticket} deleted yet (last feedback: {}); settle its resale once it has", match status { Some(s) => s.to_string(), None => "none".to_owned() })]
    DeletionNotReported {
        /// The ticket.
        ticket: TicketId,
        /// Its last feedback, if any.
        status: Option<LifecycleStatus>,
    },
    /// A record the command names is missing (the ticket or the point of sale).
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl From<SpectatorLocked> for ResaleError {
    fn from(locked: SpectatorLocked) -> Self {
        Self::SpectatorLocked(locked)
    }
}

impl ResaleError {
    /// The error's stable code; [`Input`](Self::Input) gives its [`InputError::code`].
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::resale::ResaleError;
    /// use secure_ticket::TicketId;
    ///
    /// assert_eq!(ResaleError::AlreadyOnResale { ticket: TicketId::from_u128(1) }.code(), "ALREADY_ON_RESALE");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::WrongPointOfSale { .. } => "WRONG_POINT_OF_SALE",
            Self::NotCulturalContact { .. } => "NOT_CULTURAL_CONTACT",
            Self::AlreadyOnResale { .. } => "ALREADY_ON_RESALE",
            Self::TicketInvalidated { .. } => "TICKET_INVALIDATED",
            Self::NotInjected { .. } => "TICKET_NOT_INJECTED",
            Self::TicketDeleted { .. } => "TICKET_DELETED",
            Self::PendingTransfer { .. } => "TICKET_PENDING_TRANSFER",
            Self::ResaleDisabled { .. } => "RESALE_DISABLED",
            Self::SpectatorLocked(_) => "SPECTATOR_LOCKED",
            Self::BuyerTicketIdReused { .. } => "BUYER_TICKET_ID_REUSED",
            Self::NotOnResale { .. } => "NOT_ON_RESALE",
            Self::DeletionNotReported { .. } => "DELETION_NOT_REPORTED",
            Self::Input(input) => input.code(),
        }
    }

    /// What kind of failure this is.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::BuyerTicketIdReused { .. } => ErrorKind::InvalidInput,
            Self::Input(input) => input.kind(),
            _ => ErrorKind::Refused,
        }
    }
}

/// Puts a ticket on resale (R1-R3): invalidated with reason `RESALE`, held for the buyer until
/// TIXnGO reports it deleted ([`settle_resale`]). B11 holds: while on resale the right has no
/// valid ticket; the buyer's is created when the resale completes.
///
/// `locks` are the spectator records the organizer keeps of the actor and of the ticket's current
/// TIXnGO owner (either may be absent): a lock of either refuses (R1, L2).
///
/// # Errors
///
/// In this order: [`Input`](ResaleError::Input) when `ticket` or `point_of_sale` are not the
/// ones named, [`WrongPointOfSale`](ResaleError::WrongPointOfSale),
/// [`NotCulturalContact`](ResaleError::NotCulturalContact),
/// [`AlreadyOnResale`](ResaleError::AlreadyOnResale),
/// [`TicketInvalidated`](ResaleError::TicketInvalidated),
/// [`NotInjected`](ResaleError::NotInjected), [`TicketDeleted`](ResaleError::TicketDeleted),
/// [`PendingTransfer`](ResaleError::PendingTransfer) (R3),
/// [`ResaleDisabled`](ResaleError::ResaleDisabled) (R1),
/// [`SpectatorLocked`](ResaleError::SpectatorLocked) (L2),
/// [`BuyerTicketIdReused`](ResaleError::BuyerTicketIdReused).
///
/// # Examples
///
/// ```
/// use secure_ticket::resale::{self, PutOnResale, ResaleError};
/// use secure_ticket::{injection, Distribution, Email, InvalidationReason, OrganizerId, PointOfSale,
///     PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId, UsageRuleId};
///
/// let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// let fan = Email::parse("fan@example.com")?;
/// let pos = PointOfSale::b2b(OrganizerId::from_u128(1), PointOfSaleId::from_u128(5));
/// let ticket = Ticket::new(OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
///     Distribution::new(pos.id, ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1)))
///         .with_cultural_contact(fan.clone()));
/// let injected = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: fan.clone(), usage_rule: UsageRuleId::from_u128(1), at,
/// })?.tickets.remove(0).ok_or("no ticket")?;
/// let command = PutOnResale {
///     ticket: injected.id, point_of_sale: pos.id, actor: fan,
///     buyer: Email::parse("buyer@example.com")?, buyer_ticket: TicketId::from_u128(2), at,
/// };
/// // The point of sale's switch is off.
/// assert!(matches!(resale::put_on_resale(&injected, &pos, &[], &command), Err(ResaleError::ResaleDisabled { .. })));
/// let on_sale = resale::put_on_resale(&injected, &pos.with_resale(true, false), &[], &command)?;
/// let held = &on_sale.tickets[0];
/// assert_eq!(held.distribution.invalidation.as_ref().map(|i| &i.reason), Some(&InvalidationReason::Resale));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn put_on_resale(
    ticket: &Ticket,
    point_of_sale: &PointOfSale,
    locks: &[&Spectator],
    command: &PutOnResale,
) -> Result<Decision, ResaleError> {
    use ResaleError as E;
    let id = ticket.id;
    if id != command.ticket {
        return Err(InputError::TicketNotFound {
            ticket: command.ticket,
        }
        .into());
    }
    if point_of_sale.id != command.point_of_sale {
        return Err(InputError::PointOfSaleNotFound {
            point_of_sale: command.point_of_sale,
        }
        .into());
    }
    // Who asks first (X2).
    if ticket.distribution.point_of_sale != point_of_sale.id {
        return Err(E::WrongPointOfSale {
            ticket: id,
            point_of_sale: point_of_sale.id,
        });
    }
    if ticket.distribution.cultural_contact.as_ref() != Some(&command.actor) {
        return Err(E::NotCulturalContact {
            ticket: id,
            actor: command.actor.clone(),
        });
    }
    if ticket.distribution.resale.is_some() {
        return Err(E::AlreadyOnResale { ticket: id });
    }
    if let Some(invalidation) = &ticket.distribution.invalidation {
        return Err(E::TicketInvalidated {
            ticket: id,
            reason: invalidation.reason.clone(),
        });
    }
    let wallet = ticket
        .wallet
        .as_ref()
        .ok_or(E::NotInjected { ticket: id })?;
    if command.at < wallet.injected_at {
        return Err(InputError::DatedBeforeInjection {
            ticket: id,
            at: command.at,
            injected_at: wallet.injected_at,
        }
        .into());
    }
    if wallet.is_deleted_or_pending_deletion() {
        return Err(E::TicketDeleted {
            ticket: id,
            status: wallet.status(),
        });
    }
    // TIXnGO's feedback may say so before the wallet facet does.
    if let Some(last) = ticket.distribution.last_feedback
        && matches!(
            last.status,
            LifecycleStatus::DeletionPending | LifecycleStatus::Deleted
        )
    {
        return Err(E::TicketDeleted {
            ticket: id,
            status: if last.status == LifecycleStatus::Deleted {
                WalletStatus::Deleted
            } else {
                WalletStatus::DeletionPending
            },
        });
    }
    if let Some(group) = wallet.pending_group {
        return Err(E::PendingTransfer { ticket: id, group });
    }
    let transferred = wallet.forward_transfers > 0
        || wallet.backward_transfers > 0
        || wallet.owners.current != wallet.owners.initial;
    let allowed = if transferred {
        point_of_sale.resale_transferred
    } else {
        point_of_sale.resale_injected
    };
    if !allowed {
        return Err(E::ResaleDisabled {
            point_of_sale: point_of_sale.id,
            transferred,
        });
    }
    // L2: a locked actor, or a locked current owner (R1).
    for who in [&command.actor, &wallet.owners.current] {
        let record = locks
            .iter()
            .copied()
            .find(|r| r.email == *who && r.organizer == ticket.organizer);
        if let Some(locked) = SpectatorLocked::of(record) {
            return Err(locked.into());
        }
    }
    if command.buyer_ticket == id {
        return Err(E::BuyerTicketIdReused { ticket: id });
    }
    let mut held = ticket.clone();
    held.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::Resale,
        at: command.at,
        replaced_by: None,
    });
    held.distribution.resale = Some(Box::new(Resale {
        by: command.actor.clone(),
        owner: wallet.owners.current.clone(),
        buyer: command.buyer.clone(),
        buyer_ticket: command.buyer_ticket,
        at: command.at,
    }));
    let mut decision = Decision::default();
    decision.tickets.push(held);
    decision.events.push(Event::TicketPutOnResale {
        ticket: id,
        by: command.actor.clone(),
        buyer: command.buyer.clone(),
        at: command.at,
    });
    decision.events.push(Event::TicketInvalidated {
        ticket: id,
        reason: InvalidationReason::Resale,
        replaced_by: None,
        at: command.at,
    });
    Ok(decision)
}

/// Settles a ticket's resale once TIXnGO reported it DELETION_PENDING or DELETED (R2); recording
/// that feedback ([`record_feedback`](crate::injection::record_feedback)) settles it by itself,
/// this command settles one whose deletion was recorded otherwise. If the ticket left the
/// contact's phone meanwhile (its TIXnGO owner is no longer the one it had when it was put on
/// resale, or a TRANSFERRED feedback made someone else its cultural contact), the resale is
/// cancelled: the ticket is valid again, with its latest owner. Else the
/// resale completes: a new ticket for the same right, for the buyer (its cultural contact, not
/// injected), replaces it. B11 holds either way.
///
/// # Errors
///
/// [`NotOnResale`](ResaleError::NotOnResale), then
/// [`DeletionNotReported`](ResaleError::DeletionNotReported).
///
/// # Examples
///
/// ```
/// use secure_ticket::resale::{self, ResaleError, SettleResale};
/// # use secure_ticket::{Distribution, OrganizerId, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
/// # let ticket = Ticket::new(OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(5), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// let settle = SettleResale { ticket: ticket.id, at };
/// assert!(matches!(resale::settle_resale(&ticket, &settle), Err(ResaleError::NotOnResale { .. })));
/// ```
pub fn settle_resale(ticket: &Ticket, command: &SettleResale) -> Result<Decision, ResaleError> {
    use ResaleError as E;
    let id = ticket.id;
    if id != command.ticket {
        return Err(InputError::TicketNotFound {
            ticket: command.ticket,
        }
        .into());
    }
    let Some(resale) = ticket.distribution.resale.as_deref() else {
        return Err(E::NotOnResale { ticket: id });
    };
    let last = ticket.distribution.last_feedback.map(|f| f.status);
    if !matches!(
        last,
        Some(LifecycleStatus::DeletionPending | LifecycleStatus::Deleted)
    ) {
        return Err(E::DeletionNotReported {
            ticket: id,
            status: last,
        });
    }
    let owner = ticket.wallet.as_ref().map(|w| &w.owners.current);
    let mut old = ticket.clone();
    old.distribution.resale = None;
    let mut decision = Decision::default();
    // It left that contact's phone: another TIXnGO owner now, or TIXnGO's TRANSFERRED feedback
    // made someone else its cultural contact (I4).
    let left = owner.is_some_and(|o| *o != resale.owner)
        || ticket.distribution.cultural_contact.as_ref() != Some(&resale.by);
    if left {
        // It left that wallet first: the resale is cancelled, the ticket stays with its owner.
        old.distribution.invalidation = None;
        // Its latest TIXnGO owner: the one TIXnGO's TRANSFERRED feedback named, else the wallet's.
        let latest = match &ticket.distribution.cultural_contact {
            Some(contact) if *contact != resale.by => contact.clone(),
            _ => owner.cloned().unwrap_or_else(|| resale.owner.clone()),
        };
        decision.events.push(Event::ResaleCancelled {
            ticket: id,
            owner: latest,
            at: command.at,
        });
        decision.tickets.push(old);
        return Ok(decision);
    }
    if let Some(invalidation) = old.distribution.invalidation.as_mut() {
        invalidation.replaced_by = Some(resale.buyer_ticket);
    }
    let mut distribution = Distribution::new(
        ticket.distribution.point_of_sale,
        ticket.distribution.shipment_mode,
    )
    .with_cultural_contact(resale.buyer.clone());
    distribution.replaces = Some(id);
    let mut new = Ticket::new(
        ticket.organizer,
        resale.buyer_ticket,
        ticket.right,
        distribution,
    );
    new.performance = ticket.performance;
    decision.events.push(Event::ResaleCompleted {
        ticket: id,
        buyer: resale.buyer.clone(),
        buyer_ticket: new.id,
        at: command.at,
    });
    decision.created = Changes::one(RecordKey::Ticket(new.id));
    decision.tickets = Changes::two(old, new);
    Ok(decision)
}
