use crate::error_kind::ErrorKind;
use crate::organizer::TakeBackPolicy;
use crate::record_key::RecordKey;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::changes::Changes;
use crate::decision::Decision;
use crate::email::Email;
use crate::event::Event;
use crate::feedback::LifecycleStatus;
use crate::id::{PointOfSaleId, TicketId};
use crate::input_error::InputError;
use crate::interface::TixngoInterface;
use crate::point_of_sale::{ContactKind, DownloadedTakeBack, PointOfSale};
use crate::ticket::{Invalidation, InvalidationReason, Ticket};

/// Command: a B2B contact takes a ticket back through a point of sale (SPEC B3-B7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeBackTicket {
    /// The ticket to take back.
    pub ticket: TicketId,
    /// The POS it is taken back through: must be the one that distributed it (B6).
    pub point_of_sale: PointOfSaleId,
    /// The B2B contact who takes it back: must be the ticket's
    /// [`b2b_contact`](crate::Distribution::b2b_contact) (B13); the replacement's cultural and B2B
    /// contact (B7).
    pub actor: Email,
    /// The id of the replacement ticket, for a mobile take back (B7); unused by a regular one.
    pub new_ticket: TicketId,
    /// The actor's contact kind (D2): it decides whether they may take back a downloaded ticket.
    /// Stored only when `RELAY`; absent, it reads as `INDIVIDUAL`, the kind that may do the least.
    #[serde(default, skip_serializing_if = "is_individual")]
    pub contact: ContactKind,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Whether `kind` is the default contact kind (not stored).
fn is_individual(kind: &ContactKind) -> bool {
    matches!(kind, ContactKind::Individual)
}

/// Why a ticket could not be taken back. Nothing changed.
///
/// ### Handling
/// Show the message to the operator: each variant says what to do. [`Input`](Self::Input) means
/// the request names a ticket or a point of sale that does not exist. Configuration variants
/// ([`MobileTakeBackDisabled`](Self::MobileTakeBackDisabled),
/// [`AdvancedViewInactive`](Self::AdvancedViewInactive),
/// [`ReplacementWouldGoToLatestOwner`](Self::ReplacementWouldGoToLatestOwner)) are also listed in
/// advance by [`check_configuration`](crate::take_back::check_configuration).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum TakeBackError {
    /// The ticket is already invalidated.
    #[error(
        "ticket {ticket} is invalidated ({reason}); only a valid ticket can be taken back: take back its \
         replacement, if it has one"
    )]
    TicketInvalidated {
        /// The ticket.
        ticket: TicketId,
        /// Why it was invalidated.
        reason: InvalidationReason,
    },
    /// Take back is a B2B distribution feature.
    #[error(
        "point of sale {point_of_sale} does not belong to an Internet B2B channel; tickets are taken back through B2B points of sale"
    )]
    NotB2bPointOfSale {
        /// The POS.
        point_of_sale: PointOfSaleId,
    },
    /// Only the POS that distributed the ticket may take it back (B6).
    #[error(
        "ticket {ticket} was not distributed through point of sale {point_of_sale}; take it back through \
         the point of sale that sold it"
    )]
    WrongPointOfSale {
        /// The ticket.
        ticket: TicketId,
        /// The POS asked.
        point_of_sale: PointOfSaleId,
    },
    /// The ticket was sold to no B2B customer, so no one may take it back (B13).
    #[error(
        "ticket {ticket} has no B2B contact, so no one may take it back; only a ticket sold to a B2B \
         customer (its `b2b_contact`) is taken back, by that customer's contact"
    )]
    NoB2bContact {
        /// The ticket.
        ticket: TicketId,
    },
    /// Only the ticket's B2B contact may take it back (B13).
    #[error(
        "{actor} is not the B2B contact of ticket {ticket}; only the B2B customer's contact the ticket \
         was sold to may take it back"
    )]
    NotB2bContact {
        /// The ticket.
        ticket: TicketId,
        /// Who asked.
        actor: Email,
    },
    /// B1's setting is off on this POS.
    #[error(
        "point of sale {point_of_sale} does not allow taking back injected mobile tickets; tick \
         \"Allow taking back the injected mobile ticket that has not been downloaded\" in its Internet Parameters"
    )]
    MobileTakeBackDisabled {
        /// The POS.
        point_of_sale: PointOfSaleId,
    },
    /// B2's prerequisite is missing.
    #[error(
        "point of sale {point_of_sale} does not use the advanced distribution view; set \
         `distribution.list.activateAdvancedView = true` in the Advanced tab of its Internet theme"
    )]
    AdvancedViewInactive {
        /// The POS.
        point_of_sale: PointOfSaleId,
    },
    /// B9: the interface would inject the replacement back to the wrong email.
    #[error(
        "the TIXnGO interface would inject the replacement of ticket {ticket} back to its latest owner; add \
         MOBILE_TAKE_BACK to the custom parameter resetInjectionInvalidationReasons of the interface"
    )]
    ReplacementWouldGoToLatestOwner {
        /// The ticket.
        ticket: TicketId,
    },
    /// The take-back shipment mode is injected automatically: the replacement would go out again
    /// before the customer can redistribute it.
    #[error(
        "point of sale {point_of_sale} assigns taken-back tickets to shipment mode {shipment_mode}, which S360 \
         injects automatically; choose a mode injected on request in \"Assign the taken back ticket to a new \
         shipment mode\""
    )]
    TakeBackModeInjectsAutomatically {
        /// The POS.
        point_of_sale: PointOfSaleId,
        /// The shipment mode.
        shipment_mode: crate::id::ShipmentModeId,
    },
    /// B4: no feedback from TIXnGO yet.
    #[error(
        "ticket {ticket} was injected but S360 has no feedback from TIXnGO yet; run the feedback interface, \
         then try again"
    )]
    NoFeedbackYet {
        /// The ticket.
        ticket: TicketId,
    },
    /// B4: the feedback says the ticket is no longer just injected.
    #[error(
        "ticket {ticket} is {status} according to TIXnGO; only an injected ticket that was never downloaded \
         or transferred can be taken back"
    )]
    NoLongerInjected {
        /// The ticket.
        ticket: TicketId,
        /// The last feedback's status.
        status: LifecycleStatus,
    },
    /// D2: the ticket is downloaded, and the point of sale's `downloaded_take_back` does not let
    /// this kind of contact take it back.
    #[error(
        "ticket {ticket} is downloaded, and point of sale {point_of_sale} lets only {setting} contacts take back \
         downloaded tickets (this contact is {contact}); ask a relay contact, or change the point of sale's setting"
    )]
    DownloadedTakeBackNotAllowed {
        /// The ticket.
        ticket: TicketId,
        /// The point of sale.
        point_of_sale: PointOfSaleId,
        /// Its downloaded take-back setting.
        setting: DownloadedTakeBack,
        /// The actor's contact kind.
        contact: ContactKind,
    },
    /// B5: ticket-holder details are set.
    #[error(
        "ticket {ticket} has ticket-holder details and cannot be taken back (a known restriction, lifted in \
         the next major version); remove its holder details first"
    )]
    HasTicketHolder {
        /// The ticket.
        ticket: TicketId,
    },
    /// The replacement would have the old ticket's id.
    #[error(
        "the replacement of ticket {ticket} needs a new id, not {ticket}; give the replacement a new ticket id"
    )]
    ReplacementIdReused {
        /// The ticket.
        ticket: TicketId,
    },
    /// A record the command names is missing: the ticket ([`InputError::TicketNotFound`]) or
    /// the point of sale ([`InputError::PointOfSaleNotFound`]).
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl TakeBackError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. [`Input`](Self::Input) gives its
    /// [`InputError::code`]. A released code never changes (`tests/fixtures/error_codes.txt` lists
    /// them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::take_back::TakeBackError;
    /// use secure_ticket::{ErrorKind, TicketId};
    ///
    /// let error = TakeBackError::NoFeedbackYet { ticket: TicketId::from_u128(1) };
    /// assert_eq!(error.code(), "NO_FEEDBACK_YET");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Input(input) => input.code(),
            Self::TicketInvalidated { .. } => "TICKET_INVALIDATED",
            Self::NotB2bPointOfSale { .. } => "NOT_B2B_POINT_OF_SALE",
            Self::WrongPointOfSale { .. } => "WRONG_POINT_OF_SALE",
            Self::NoB2bContact { .. } => "NO_B2B_CONTACT",
            Self::NotB2bContact { .. } => "NOT_B2B_CONTACT",
            Self::MobileTakeBackDisabled { .. } => "MOBILE_TAKE_BACK_DISABLED",
            Self::AdvancedViewInactive { .. } => "ADVANCED_VIEW_INACTIVE",
            Self::ReplacementWouldGoToLatestOwner { .. } => "REPLACEMENT_WOULD_GO_TO_LATEST_OWNER",
            Self::TakeBackModeInjectsAutomatically { .. } => "TAKE_BACK_MODE_INJECTS_AUTOMATICALLY",
            Self::NoFeedbackYet { .. } => "NO_FEEDBACK_YET",
            Self::NoLongerInjected { .. } => "NO_LONGER_INJECTED",
            Self::DownloadedTakeBackNotAllowed { .. } => "DOWNLOADED_TAKE_BACK_NOT_ALLOWED",
            Self::HasTicketHolder { .. } => "HAS_TICKET_HOLDER",
            Self::ReplacementIdReused { .. } => "REPLACEMENT_ID_REUSED",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer. A
    /// nested error gives its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::take_back::TakeBackError;
    /// use secure_ticket::{ErrorKind, TicketId};
    ///
    /// let error = TakeBackError::NoFeedbackYet { ticket: TicketId::from_u128(1) };
    /// assert_eq!(error.kind(), ErrorKind::Refused);
    /// assert_eq!(error.kind().http_status(), 422);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(input) => input.kind(),
            Self::TicketInvalidated { .. }
            | Self::NotB2bPointOfSale { .. }
            | Self::WrongPointOfSale { .. }
            | Self::NoB2bContact { .. }
            | Self::NotB2bContact { .. }
            | Self::MobileTakeBackDisabled { .. }
            | Self::AdvancedViewInactive { .. }
            | Self::ReplacementWouldGoToLatestOwner { .. }
            | Self::TakeBackModeInjectsAutomatically { .. }
            | Self::NoFeedbackYet { .. }
            | Self::NoLongerInjected { .. }
            | Self::DownloadedTakeBackNotAllowed { .. }
            | Self::HasTicketHolder { .. } => ErrorKind::Refused,
            Self::ReplacementIdReused { .. } => ErrorKind::InvalidInput,
        }
    }
}

/// Takes a ticket back (SPEC B3-B9).
///
/// Only the ticket's B2B contact ([`Distribution::b2b_contact`](crate::Distribution::b2b_contact))
/// may take it back, through the POS that distributed it (B6, B13).
///
/// - **Regular take back** (B3): a ticket that is not secure mobile, or a secure mobile ticket S360
///   has not injected: it goes back to the B2B contact (its cultural contact) for redistribution; no
///   new ticket.
/// - **Mobile take back** (B4-B9): an injected secure mobile ticket, in one atomic step (B7): a new
///   ticket (`new_ticket`) for the same right, not injected, holder cleared, cultural and B2B
///   contact = the B2B contact, shipment mode = the POS's take-back mode when set, else the old
///   one; the old ticket INVALIDATED with reason `MOBILE_TAKE_BACK`, each pointing to the other.
///   The decision lists the old ticket, then the new one.
///
/// The decision rests on S360's facet only (the last feedback, never the wallet facet), as S360 does.
///
/// # Errors
///
/// In this order: [`Input`](TakeBackError::Input) with [`InputError::TicketNotFound`], then with
/// [`InputError::PointOfSaleNotFound`],
/// [`NotB2bPointOfSale`](TakeBackError::NotB2bPointOfSale),
/// [`WrongPointOfSale`](TakeBackError::WrongPointOfSale) (B6),
/// [`NoB2bContact`](TakeBackError::NoB2bContact) and
/// [`NotB2bContact`](TakeBackError::NotB2bContact) (B13): who asks is checked before anything
/// about the ticket is told (X2); then
/// [`TicketInvalidated`](TakeBackError::TicketInvalidated); for a mobile take back then
/// [`MobileTakeBackDisabled`](TakeBackError::MobileTakeBackDisabled) (B1),
/// [`AdvancedViewInactive`](TakeBackError::AdvancedViewInactive) (B2),
/// [`ReplacementWouldGoToLatestOwner`](TakeBackError::ReplacementWouldGoToLatestOwner) (B9),
/// [`TakeBackModeInjectsAutomatically`](TakeBackError::TakeBackModeInjectsAutomatically),
/// [`NoFeedbackYet`](TakeBackError::NoFeedbackYet) and
/// [`NoLongerInjected`](TakeBackError::NoLongerInjected) (B4),
/// [`HasTicketHolder`](TakeBackError::HasTicketHolder) (B5),
/// [`ReplacementIdReused`](TakeBackError::ReplacementIdReused).
///
/// # Examples
///
/// A ticket sold to a B2B customer was injected to a misspelled email; TIXnGO reports it still
/// INJECTED, so the customer's contact takes it back and gets a replacement to redistribute:
///
/// ```
/// use secure_ticket::take_back::{self, TakeBackPolicy, TakeBackTicket};
/// use secure_ticket::{
///     injection, ContactKind, Distribution, Email, InternetTheme, InvalidationReason, OrganizerId,
///     PointOfSale, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId,
///     TixngoInterface, UsageRuleId,
/// };
///
/// let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// let agency = Email::parse("tickets@agency.example.com")?;
/// let typo = Email::parse("dave@exmaple.com")?;
/// let pos = PointOfSale::b2b(OrganizerId::from_u128(1), PointOfSaleId::from_u128(50))
///     .with_mobile_take_back(true)
///     .with_theme(InternetTheme::parse("distribution.list.activateAdvancedView = true")?);
/// let interface = TixngoInterface::from_custom_parameters([(
///     TixngoInterface::RESET_REASONS,
///     "MOBILE_TAKE_BACK",
/// )])?;
/// let mobile = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1));
/// let distribution = Distribution::new(pos.id, mobile)
///     .with_b2b_contact(agency.clone())
///     .with_cultural_contact(typo.clone());
/// let ticket = Ticket::new(OrganizerId::from_u128(1), TicketId::from_u128(200), RightId::from_u128(8), distribution);
///
/// // Injected to the wrong email; S360 records TIXnGO's first feedback: INJECTED.
/// let injection = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: typo, usage_rule: UsageRuleId::from_u128(1), at,
/// })?;
/// let injected = &injection.tickets[0];
/// let feedback = &injection::feedback_for(1, &injection.events)[0];
/// let injected = &injection::record_feedback(injected, feedback)?.tickets[0];
///
/// let take_back = TakeBackTicket {
///     ticket: injected.id, point_of_sale: pos.id, actor: agency.clone(),
///     new_ticket: TicketId::from_u128(201), contact: ContactKind::Relay, at,
/// };
/// let decision = take_back::take_back(injected, &pos, &interface, &TakeBackPolicy::default(), &take_back)?;
/// let (old, new) = (&decision.tickets[0], &decision.tickets[1]);
/// let reason = old.distribution.invalidation.as_ref().map(|i| &i.reason);
/// assert_eq!(reason, Some(&InvalidationReason::MobileTakeBack));
/// assert_eq!(new.distribution.cultural_contact, Some(agency));
///
/// // The misspelled email's owner is not the B2B contact: refused before anything is told.
/// let stranger = TakeBackTicket { actor: Email::parse("dave@exmaple.com")?, ..take_back };
/// let refused = take_back::take_back(injected, &pos, &interface, &TakeBackPolicy::default(), &stranger);
/// assert_eq!(refused.unwrap_err().code(), "NOT_B2B_CONTACT");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn take_back(
    ticket: &Ticket,
    point_of_sale: &PointOfSale,
    interface: &TixngoInterface,
    policy: &TakeBackPolicy,
    command: &TakeBackTicket,
) -> Result<Decision, TakeBackError> {
    use TakeBackError as E;
    let named = (command.ticket, command.point_of_sale);
    super::pos_ticket::check_ticket_at_pos(
        ticket,
        point_of_sale,
        named,
        || match point_of_sale.b2b {
            true => Ok(()),
            false => Err(E::NotB2bPointOfSale {
                point_of_sale: point_of_sale.id,
            }),
        },
        // B13: the B2B customer's contact the ticket was sold to, and no one else.
        || match &ticket.distribution.b2b_contact {
            None => Err(E::NoB2bContact { ticket: ticket.id }),
            Some(contact) if *contact != command.actor => Err(E::NotB2bContact {
                ticket: ticket.id,
                actor: command.actor.clone(),
            }),
            Some(_) => Ok(()),
        },
    )?;
    let taken_back = Event::TicketTakenBack {
        ticket: ticket.id,
        point_of_sale: point_of_sale.id,
        by: command.actor.clone(),
        replacement: None,
        at: command.at,
    };
    if !(ticket.distribution.shipment_mode.is_secure_mobile() && ticket.distribution.printed) {
        // B3: a regular take back, unaffected by B1.
        let mut back = ticket.clone();
        back.distribution.cultural_contact = Some(command.actor.clone());
        return Ok(Decision {
            spectators: Changes::new(),
            relies_on: Changes::new(),
            created: Changes::new(),
            tickets: Changes::one(back),
            groups: Changes::new(),
            events: Changes::one(taken_back),
        });
    }
    if !point_of_sale.allow_mobile_take_back {
        return Err(E::MobileTakeBackDisabled {
            point_of_sale: point_of_sale.id,
        });
    }
    if !point_of_sale.advanced_view() {
        return Err(E::AdvancedViewInactive {
            point_of_sale: point_of_sale.id,
        });
    }
    if !interface.resets_injection_for(&InvalidationReason::MobileTakeBack) {
        return Err(E::ReplacementWouldGoToLatestOwner { ticket: ticket.id });
    }
    if let Some(mode) = point_of_sale.take_back_shipment_mode
        && mode.is_secure_mobile()
        && mode.automatic_injection
    {
        return Err(E::TakeBackModeInjectsAutomatically {
            point_of_sale: point_of_sale.id,
            shipment_mode: mode.id,
        });
    }
    // D1, D2: a downloaded ticket is taken back only as the point of sale's setting says.
    let downloaded_allowed = || match point_of_sale.downloaded_take_back {
        DownloadedTakeBack::Off => Err(E::NoLongerInjected {
            ticket: ticket.id,
            status: LifecycleStatus::Downloaded,
        }),
        setting if setting.allows(command.contact) => Ok(()),
        setting => Err(E::DownloadedTakeBackNotAllowed {
            ticket: ticket.id,
            point_of_sale: point_of_sale.id,
            setting,
            contact: command.contact,
        }),
    };
    match ticket.distribution.last_feedback {
        None => return Err(E::NoFeedbackYet { ticket: ticket.id }),
        Some(last) if last.status == LifecycleStatus::Downloaded => downloaded_allowed()?,
        Some(last) if last.status != LifecycleStatus::Injected => {
            return Err(E::NoLongerInjected {
                ticket: ticket.id,
                status: last.status,
            });
        }
        Some(_) => {}
    }
    // B12: the wallet facet is in the same record; what it shows wins over a feedback the
    // interface has not reported yet, so a take back and a wallet move racing never both land.
    match ticket.wallet.as_ref().and_then(wallet_moved_on) {
        None => {}
        Some(LifecycleStatus::Downloaded) => downloaded_allowed()?,
        Some(status) => {
            return Err(E::NoLongerInjected {
                ticket: ticket.id,
                status,
            });
        }
    }
    // B4: a holder its owner assigned (H5) is an ASSIGNED ticket, even before the feedback says
    // so and whatever B5's switch is.
    if ticket.distribution.holder_assigned_at.is_some() {
        return Err(E::NoLongerInjected {
            ticket: ticket.id,
            status: LifecycleStatus::Assigned,
        });
    }
    if policy.refuse_ticket_holder_details && ticket.distribution.holder.is_some() {
        return Err(E::HasTicketHolder { ticket: ticket.id });
    }
    if command.new_ticket == ticket.id {
        return Err(E::ReplacementIdReused { ticket: ticket.id });
    }

    let mut old = ticket.clone();
    old.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::MobileTakeBack,
        at: command.at,
        replaced_by: Some(command.new_ticket),
    });
    let mut distribution = crate::ticket::Distribution::new(
        point_of_sale.id,
        point_of_sale
            .take_back_shipment_mode
            .unwrap_or(ticket.distribution.shipment_mode),
    )
    .with_b2b_contact(command.actor.clone())
    .with_cultural_contact(command.actor.clone());
    distribution.replaces = Some(ticket.id);
    let mut new = Ticket::new(
        ticket.organizer,
        command.new_ticket,
        ticket.right,
        distribution,
    );
    new.performance = ticket.performance;
    let events = vec![
        Event::TicketTakenBack {
            ticket: ticket.id,
            point_of_sale: point_of_sale.id,
            by: command.actor.clone(),
            replacement: Some(new.id),
            at: command.at,
        },
        Event::TicketInvalidated {
            ticket: ticket.id,
            reason: InvalidationReason::MobileTakeBack,
            replaced_by: Some(new.id),
            at: command.at,
        },
        Event::TicketReplaced {
            ticket: new.id,
            replaces: ticket.id,
            right: ticket.right,
            shipment_mode: new.distribution.shipment_mode.id,
            cultural_contact: command.actor.clone(),
            at: command.at,
        },
    ];
    Ok(Decision {
        spectators: Changes::new(),
        relies_on: Changes::new(),
        created: Changes::one(RecordKey::Ticket(new.id)),
        tickets: Changes::two(old, new),
        groups: Changes::new(),
        events: events.into(),
    })
}

impl super::pos_ticket::PosTicketError for TakeBackError {
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

/// What the wallet facet shows that the INJECTED feedback does not (B4, B12): the status
/// TIXnGO would report, when the ticket is no longer just injected.
fn wallet_moved_on(wallet: &crate::ticket::Wallet) -> Option<LifecycleStatus> {
    if wallet.deleted_at.is_some() {
        Some(LifecycleStatus::Deleted)
    } else if wallet.deletion_requested_at.is_some() {
        Some(LifecycleStatus::DeletionPending)
    } else if wallet.pending_group.is_some() {
        Some(LifecycleStatus::PendingTransfer)
    } else if wallet.forward_transfers > 0
        || wallet.backward_transfers > 0
        || wallet.owners.current != wallet.owners.initial
    {
        Some(LifecycleStatus::Transferred)
    } else if wallet.controlled_at.is_some() {
        Some(LifecycleStatus::Controlled)
    } else if let Some(activation) = wallet.activated {
        Some(LifecycleStatus::activated(activation.method))
    } else if wallet.downloaded_at.is_some() {
        Some(LifecycleStatus::Downloaded)
    } else {
        None
    }
}
