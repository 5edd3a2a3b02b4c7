//! Holder assignment (SPEC H1-H5): the current owner names the person a nominative ticket is for,
//! or clears it, as the usage rule and the organizer's data-collection rule allow.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::decision::Decision;
use crate::email::Email;
use crate::error_kind::ErrorKind;
use crate::event::Event;
use crate::id::{TicketId, TransferGroupId, UsageRuleId};
use crate::input_error::InputError;
use crate::organizer::{HolderField, OrganizerSettings};
use crate::spectator::{Spectator, SpectatorLocked};
use crate::staff::Reason;
use crate::text_limit::HOLDER_FIELD_BYTES;
use crate::ticket::{InvalidationReason, Ticket, TicketHolder, WalletStatus};
use crate::usage_rule::UsageRule;

/// Command: the current owner assigns the ticket's holder (H1), replacing any holder it had.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AssignHolder {
    /// The ticket.
    pub ticket: TicketId,
    /// Who assigns: must be the current owner (H1).
    pub actor: Email,
    /// The holder: the organizer's data-collection rule says which fields must be filled (H4).
    pub holder: TicketHolder,
    /// Why, when the organizer requires a reason (`mandatory_assign_reason`, H4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// When (recorded on the ticket, H5).
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Command: the current owner clears the ticket's holder (H1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClearHolder {
    /// The ticket.
    pub ticket: TicketId,
    /// Who clears: must be the current owner (H1).
    pub actor: Email,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a holder could not be assigned or cleared. Nothing changed.
///
/// ### Handling
/// [`Input`](Self::Input), [`MissingField`](Self::MissingField),
/// [`FieldTooLong`](Self::FieldTooLong) and [`ReasonRequired`](Self::ReasonRequired): fix the
/// request; the others refuse it (the ticket or the owner cannot take a holder now).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum HolderError {
    /// The ticket is not in any wallet yet.
    #[error(
        "ticket {ticket} has not been injected into TIXnGO; only a ticket in a wallet takes a holder"
    )]
    #[serde(rename = "TICKET_NOT_INJECTED")]
    NotInjected {
        /// The ticket.
        ticket: TicketId,
    },
    /// Only the current owner assigns or clears the holder (H1).
    #[error(
        "{actor} is not the current owner of ticket {ticket}; only the current owner may change its holder"
    )]
    NotCurrentOwner {
        /// The ticket.
        ticket: TicketId,
        /// Who asked.
        actor: Email,
    },
    /// The ticket is DELETION_PENDING or DELETED (H3).
    #[error("ticket {ticket} is {status}; its holder can no longer change")]
    TicketDeleted {
        /// The ticket.
        ticket: TicketId,
        /// Its wallet status.
        status: WalletStatus,
    },
    /// The ticket is invalidated (taken back): it only awaits its deletion (W5).
    #[error(
        "ticket {ticket} is invalidated ({reason}); it only awaits its deletion from the wallet"
    )]
    TicketInvalidated {
        /// The ticket.
        ticket: TicketId,
        /// Why.
        reason: InvalidationReason,
    },
    /// The ticket is PENDING_TRANSFER (H3).
    #[error(
        "ticket {ticket} is pending in transfer group {group}; wait for that transfer to end, or cancel it"
    )]
    #[serde(rename = "TICKET_PENDING_TRANSFER")]
    AlreadyPendingTransfer {
        /// The ticket.
        ticket: TicketId,
        /// Its pending group.
        group: TransferGroupId,
    },
    /// The owner is locked by the organizer's staff (L2, H3).
    #[error(transparent)]
    SpectatorLocked(SpectatorLocked),
    /// The usage rule has `assignment` off (H2).
    #[error("the usage rule {rule} of ticket {ticket} does not allow assigning a holder")]
    AssignmentDisabled {
        /// The ticket.
        ticket: TicketId,
        /// Its usage rule.
        rule: UsageRuleId,
    },
    /// The ticket is activated and the rule has `assignment_after_activation` off (H2).
    #[error(
        "ticket {ticket} is activated and its usage rule {rule} does not allow assigning a holder after activation"
    )]
    #[serde(rename = "TICKET_ACTIVATED")]
    ActivatedTicket {
        /// The ticket.
        ticket: TicketId,
        /// Its usage rule.
        rule: UsageRuleId,
    },
    /// The ticket was checked and the rule has `assignment_after_check` off (H2).
    #[error(
        "ticket {ticket} was checked and its usage rule {rule} does not allow assigning a holder after check"
    )]
    #[serde(rename = "TICKET_CHECKED")]
    CheckedTicket {
        /// The ticket.
        ticket: TicketId,
        /// Its usage rule.
        rule: UsageRuleId,
    },
    /// The holder leaves a field the organizer requires empty (H4).
    #[error("the holder of ticket {ticket} has no {field}; the organizer requires it")]
    #[serde(rename = "HOLDER_FIELD_MISSING")]
    MissingField {
        /// The ticket.
        ticket: TicketId,
        /// The first required field left empty.
        field: HolderField,
    },
    /// A holder field is longer than [`HOLDER_FIELD_BYTES`].
    #[error("the holder's {field} of ticket {ticket} has {len} bytes, more than {max}; shorten it")]
    #[serde(rename = "HOLDER_FIELD_TOO_LONG")]
    FieldTooLong {
        /// The ticket.
        ticket: TicketId,
        /// The field.
        field: HolderField,
        /// Its length in bytes.
        len: usize,
        /// [`HOLDER_FIELD_BYTES`].
        max: usize,
    },
    /// The organizer requires a reason for every assignment (H4).
    #[error("the organizer requires a reason to assign the holder of ticket {ticket}; give one")]
    #[serde(rename = "ASSIGN_REASON_REQUIRED")]
    ReasonRequired {
        /// The ticket.
        ticket: TicketId,
    },
    /// The ticket has no holder to clear.
    #[error("ticket {ticket} has no holder; there is nothing to clear")]
    NoHolder {
        /// The ticket.
        ticket: TicketId,
    },
    /// A record the command names is missing: the ticket's usage rule.
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl From<SpectatorLocked> for HolderError {
    fn from(locked: SpectatorLocked) -> Self {
        Self::SpectatorLocked(locked)
    }
}

impl HolderError {
    /// The error's stable code; [`Input`](Self::Input) gives its [`InputError::code`].
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::holder::HolderError;
    /// use secure_ticket::TicketId;
    ///
    /// assert_eq!(HolderError::NoHolder { ticket: TicketId::from_u128(1) }.code(), "NO_HOLDER");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NotInjected { .. } => "TICKET_NOT_INJECTED",
            Self::NotCurrentOwner { .. } => "NOT_CURRENT_OWNER",
            Self::TicketDeleted { .. } => "TICKET_DELETED",
            Self::TicketInvalidated { .. } => "TICKET_INVALIDATED",
            Self::AlreadyPendingTransfer { .. } => "TICKET_PENDING_TRANSFER",
            Self::SpectatorLocked(_) => "SPECTATOR_LOCKED",
            Self::AssignmentDisabled { .. } => "ASSIGNMENT_DISABLED",
            Self::ActivatedTicket { .. } => "TICKET_ACTIVATED",
            Self::CheckedTicket { .. } => "TICKET_CHECKED",
            Self::MissingField { .. } => "HOLDER_FIELD_MISSING",
            Self::FieldTooLong { .. } => "HOLDER_FIELD_TOO_LONG",
            Self::ReasonRequired { .. } => "ASSIGN_REASON_REQUIRED",
            Self::NoHolder { .. } => "NO_HOLDER",
            Self::Input(input) => input.code(),
        }
    }

    /// What kind of failure this is.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::MissingField { .. } | Self::FieldTooLong { .. } | Self::ReasonRequired { .. } => {
                ErrorKind::InvalidInput
            }
            Self::Input(input) => input.kind(),
            Self::NotInjected { .. }
            | Self::NotCurrentOwner { .. }
            | Self::TicketDeleted { .. }
            | Self::TicketInvalidated { .. }
            | Self::AlreadyPendingTransfer { .. }
            | Self::SpectatorLocked(_)
            | Self::AssignmentDisabled { .. }
            | Self::ActivatedTicket { .. }
            | Self::CheckedTicket { .. }
            | Self::NoHolder { .. } => ErrorKind::Refused,
        }
    }
}

/// The checks assigning and clearing share (H1, H3, L2): the owner, the ticket's state, the lock.
fn check_owner(
    ticket: &Ticket,
    actor: &Email,
    actor_record: Option<&Spectator>,
    at: OffsetDateTime,
) -> Result<(), HolderError> {
    use HolderError as E;
    let id = ticket.id;
    let wallet = ticket
        .wallet
        .as_ref()
        .ok_or(E::NotInjected { ticket: id })?;
    // Authorization first (X2).
    if wallet.owners.current != *actor {
        return Err(E::NotCurrentOwner {
            ticket: id,
            actor: actor.clone(),
        });
    }
    if at < wallet.injected_at {
        return Err(InputError::DatedBeforeInjection {
            ticket: id,
            at,
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
    if let Some(invalidation) = &ticket.distribution.invalidation {
        return Err(E::TicketInvalidated {
            ticket: id,
            reason: invalidation.reason.clone(),
        });
    }
    if let Some(group) = wallet.pending_group {
        return Err(E::AlreadyPendingTransfer { ticket: id, group });
    }
    if let Some(locked) = SpectatorLocked::of(actor_record) {
        return Err(locked.into());
    }
    Ok(())
}

/// Assigns the ticket's holder (H1-H5): the holder and the time are recorded on the ticket, a
/// `HOLDER_ASSIGNED` event reports it (feedback ASSIGNED, I2); owners, level, counters and status
/// do not change.
///
/// `rules` must hold the ticket's usage rule (H2); `settings` are the organizer's (its
/// data-collection rule, H4); `actor_record` the owner's spectator record, if any (L2).
///
/// # Errors
///
/// In this order: [`NotInjected`](HolderError::NotInjected),
/// [`NotCurrentOwner`](HolderError::NotCurrentOwner),
/// [`Input`](HolderError::Input) with [`InputError::DatedBeforeInjection`],
/// [`TicketDeleted`](HolderError::TicketDeleted),
/// [`TicketInvalidated`](HolderError::TicketInvalidated),
/// [`AlreadyPendingTransfer`](HolderError::AlreadyPendingTransfer),
/// [`SpectatorLocked`](HolderError::SpectatorLocked),
/// [`Input`](HolderError::Input) with [`InputError::UsageRuleNotFound`],
/// [`AssignmentDisabled`](HolderError::AssignmentDisabled),
/// [`ActivatedTicket`](HolderError::ActivatedTicket),
/// [`CheckedTicket`](HolderError::CheckedTicket),
/// [`FieldTooLong`](HolderError::FieldTooLong), [`MissingField`](HolderError::MissingField),
/// [`ReasonRequired`](HolderError::ReasonRequired).
///
/// # Examples
///
/// ```
/// use secure_ticket::holder::{self, AssignHolder, HolderError};
/// use secure_ticket::{injection, Email, HolderField, OrganizerId, OrganizerSettings, TicketHolder, UsageRule, UsageRuleId};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let ticket = Ticket::new(OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let rules = [UsageRule::new(OrganizerId::from_u128(1), UsageRuleId::from_u128(1))];
/// let alice = Email::parse("alice@example.com")?;
/// let injected = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: alice.clone(), usage_rule: rules[0].id, at,
/// })?.tickets.remove(0).ok_or("no ticket")?;
/// let settings = OrganizerSettings::new(OrganizerId::from_u128(1));
///
/// let mut command = AssignHolder {
///     ticket: injected.id,
///     actor: alice,
///     holder: TicketHolder { first_name: "Ada".into(), ..TicketHolder::default() },
///     reason: None,
///     at,
/// };
/// // The default data-collection rule needs the last name too (H4).
/// assert!(matches!(
///     holder::assign(&injected, &rules, &settings, None, &command),
///     Err(HolderError::MissingField { field: HolderField::LastName, .. })
/// ));
/// command.holder.last_name = "Lovelace".into();
/// let decision = holder::assign(&injected, &rules, &settings, None, &command)?;
/// assert_eq!(decision.tickets[0].distribution.holder_assigned_at, Some(at));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn assign(
    ticket: &Ticket,
    rules: &[UsageRule],
    settings: &OrganizerSettings,
    actor_record: Option<&Spectator>,
    command: &AssignHolder,
) -> Result<Decision, HolderError> {
    use HolderError as E;
    let id = ticket.id;
    check_owner(ticket, &command.actor, actor_record, command.at)?;
    let Some(wallet) = ticket.wallet.as_ref() else {
        return Err(E::NotInjected { ticket: id });
    };
    let rule =
        rules
            .iter()
            .find(|r| r.id == wallet.usage_rule)
            .ok_or(InputError::UsageRuleNotFound {
                ticket: id,
                rule: wallet.usage_rule,
            })?;
    if !rule.assignment {
        return Err(E::AssignmentDisabled {
            ticket: id,
            rule: rule.id,
        });
    }
    if wallet.activated.is_some() && !rule.assignment_after_activation {
        return Err(E::ActivatedTicket {
            ticket: id,
            rule: rule.id,
        });
    }
    if wallet.checked_at.is_some() && !rule.assignment_after_check {
        return Err(E::CheckedTicket {
            ticket: id,
            rule: rule.id,
        });
    }
    let holder = &command.holder;
    for (field, value) in [
        (HolderField::FirstName, Some(holder.first_name.as_str())),
        (HolderField::LastName, Some(holder.last_name.as_str())),
        (HolderField::BirthDate, holder.birth_date.as_deref()),
        (
            HolderField::IdentityNumber,
            holder.identity_number.as_deref(),
        ),
    ] {
        let len = value.map_or(0, str::len);
        if len > HOLDER_FIELD_BYTES {
            return Err(E::FieldTooLong {
                ticket: id,
                field,
                len,
                max: HOLDER_FIELD_BYTES,
            });
        }
    }
    if let Some(field) = settings.data_collection.missing(holder) {
        return Err(E::MissingField { ticket: id, field });
    }
    if settings.data_collection.mandatory_assign_reason && command.reason.is_none() {
        return Err(E::ReasonRequired { ticket: id });
    }
    let mut assigned = ticket.clone();
    assigned.distribution.holder = Some(Arc::new(holder.clone()));
    assigned.distribution.holder_assigned_at = Some(command.at);
    let mut decision = Decision::default();
    decision.tickets.push(assigned);
    decision.events.push(Event::HolderAssigned {
        ticket: id,
        owner: command.actor.clone(),
        reason: command.reason.clone(),
        at: command.at,
    });
    Ok(decision)
}

/// Clears the ticket's holder (H1): a `HOLDER_CLEARED` event reports it; nothing else changes.
/// The same checks as [`assign`] apply to the owner and the ticket (H1, H3, L2); the usage rule's
/// gates and the data-collection rule do not (they govern assigning).
///
/// # Errors
///
/// As [`assign`] up to [`SpectatorLocked`](HolderError::SpectatorLocked), then
/// [`NoHolder`](HolderError::NoHolder).
///
/// # Examples
///
/// ```
/// use secure_ticket::holder::{self, ClearHolder, HolderError};
/// use secure_ticket::{injection, Email, OrganizerId, UsageRuleId};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let ticket = Ticket::new(OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let alice = Email::parse("alice@example.com")?;
/// let injected = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: alice.clone(), usage_rule: UsageRuleId::from_u128(1), at,
/// })?.tickets.remove(0).ok_or("no ticket")?;
/// let clear = ClearHolder { ticket: injected.id, actor: alice, at };
/// assert!(matches!(holder::clear(&injected, None, &clear), Err(HolderError::NoHolder { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn clear(
    ticket: &Ticket,
    actor_record: Option<&Spectator>,
    command: &ClearHolder,
) -> Result<Decision, HolderError> {
    check_owner(ticket, &command.actor, actor_record, command.at)?;
    if ticket.distribution.holder.is_none() {
        return Err(HolderError::NoHolder { ticket: ticket.id });
    }
    let mut cleared = ticket.clone();
    cleared.distribution.holder = None;
    cleared.distribution.holder_assigned_at = None;
    let mut decision = Decision::default();
    decision.tickets.push(cleared);
    decision.events.push(Event::HolderCleared {
        ticket: ticket.id,
        owner: command.actor.clone(),
        at: command.at,
    });
    Ok(decision)
}
