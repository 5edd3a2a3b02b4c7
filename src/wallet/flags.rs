use crate::actor::Actor;
use crate::error_kind::ErrorKind;
use crate::ticket::InvalidationReason;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::activation::ActivationMethod;
use crate::changes::Changes;
use crate::decision::Decision;
use crate::event::Event;
use crate::id::{TicketId, TransferGroupId};
use crate::input_error::InputError;
use crate::ticket::{Activation, Ticket, WalletStatus};

/// A change to one of a ticket's flags (SPEC W1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum FlagChange {
    /// Sets `activated`: by the current owner or the system.
    Activate(ActivationMethod),
    /// Resets `activated`: by the current owner or the system.
    Deactivate,
    /// Sets `checked`: by access control.
    Check,
    /// Sets `controlled`: by access control.
    Control,
    /// Resets `controlled`: by access control.
    CheckOut,
}

impl FlagChange {
    /// Who may make this change, for messages.
    const fn allowed_actors(self) -> &'static str {
        match self {
            Self::Activate(_) | Self::Deactivate => "the current owner or the system",
            Self::Check | Self::Control | Self::CheckOut => "access control",
        }
    }
}

impl fmt::Display for FlagChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Activate(_) => "activate",
            Self::Deactivate => "deactivate",
            Self::Check => "check",
            Self::Control => "control",
            Self::CheckOut => "check out",
        })
    }
}

/// Command: set or reset one of a ticket's flags (SPEC W1, W3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeFlag {
    /// The ticket.
    pub ticket: TicketId,
    /// What changes.
    pub change: FlagChange,
    /// Who changes it.
    pub actor: Actor,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a flag could not change. Nothing changed.
///
/// ### Handling
/// [`ActorNotAllowed`](ChangeFlagError::ActorNotAllowed) and [`TicketDeleted`](ChangeFlagError::TicketDeleted)
/// refuse the request; the others mean the request names a ticket that does not exist
/// ([`Input`](Self::Input)) or that is not in a wallet yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ChangeFlagError {
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
    #[error("ticket {ticket} has not been injected into TIXnGO; it has no flags yet")]
    #[serde(rename = "TICKET_NOT_INJECTED")]
    NotInjected {
        /// The ticket.
        ticket: TicketId,
    },
    /// The ticket is DELETION_PENDING or DELETED (W4).
    #[error("ticket {ticket} is {status}; its flags can no longer change")]
    TicketDeleted {
        /// The ticket.
        ticket: TicketId,
        /// Its wallet status.
        status: WalletStatus,
    },
    /// The ticket is in a PENDING transfer group: it cannot be activated, checked or controlled until
    /// the transfer ends, or the usage rule's after-activation/check/control gates (T3) could be
    /// bypassed. Deactivation and check-out are allowed.
    #[error(
        "ticket {ticket} is pending in transfer group {group}; wait until that transfer is accepted, declined \
         or cancelled before you {change} it"
    )]
    #[serde(rename = "TICKET_PENDING_TRANSFER")]
    PendingTransfer {
        /// The ticket.
        ticket: TicketId,
        /// The group it is pending in.
        group: TransferGroupId,
        /// What was asked.
        change: FlagChange,
    },
    /// The actor may not make this change: activation is for the current owner or the system;
    /// check, control and check-out are for access control.
    #[error("{actor} may not {change} ticket {ticket}; only {} may", change.allowed_actors())]
    ActorNotAllowed {
        /// The ticket.
        ticket: TicketId,
        /// Who asked.
        actor: Actor,
        /// What they asked.
        change: FlagChange,
    },
    /// The ticket passed is not the one the command names ([`InputError::TicketNotFound`]).
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl ChangeFlagError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. [`Input`](Self::Input) gives its
    /// [`InputError::code`]. A released code never changes (`tests/fixtures/error_codes.txt` lists
    /// them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::wallet::{ChangeFlagError, FlagChange};
    /// use secure_ticket::{ErrorKind, TicketId, TransferGroupId};
    ///
    /// let error = ChangeFlagError::PendingTransfer { ticket: TicketId::from_u128(1), group: TransferGroupId::from_u128(2), change: FlagChange::Check };
    /// assert_eq!(error.code(), "TICKET_PENDING_TRANSFER");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TicketInvalidated { .. } => "TICKET_INVALIDATED",
            Self::Input(input) => input.code(),
            Self::NotInjected { .. } => "TICKET_NOT_INJECTED",
            Self::TicketDeleted { .. } => "TICKET_DELETED",
            Self::PendingTransfer { .. } => "TICKET_PENDING_TRANSFER",
            Self::ActorNotAllowed { .. } => "ACTOR_NOT_ALLOWED",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer. A
    /// nested error gives its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::wallet::{ChangeFlagError, FlagChange};
    /// use secure_ticket::{ErrorKind, TicketId, TransferGroupId};
    ///
    /// let error = ChangeFlagError::PendingTransfer { ticket: TicketId::from_u128(1), group: TransferGroupId::from_u128(2), change: FlagChange::Check };
    /// assert_eq!(error.kind(), ErrorKind::Refused);
    /// assert_eq!(error.kind().http_status(), 422);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::TicketInvalidated { .. } => ErrorKind::Refused,
            Self::Input(input) => input.kind(),
            Self::NotInjected { .. }
            | Self::TicketDeleted { .. }
            | Self::PendingTransfer { .. }
            | Self::ActorNotAllowed { .. } => ErrorKind::Refused,
        }
    }
}

/// Sets or resets a flag (SPEC W1, W3). Setting a flag that is already set keeps the time it first
/// became true; resetting a flag that is not set changes nothing. Both return an empty decision.
///
/// # Errors
///
/// In this order: [`Input`](ChangeFlagError::Input) with [`InputError::TicketNotFound`],
/// [`NotInjected`](ChangeFlagError::NotInjected),
/// [`ActorNotAllowed`](ChangeFlagError::ActorNotAllowed) (who asks is checked before anything
/// else about the ticket is told, X2), [`TicketDeleted`](ChangeFlagError::TicketDeleted) (W4),
/// [`Input`](ChangeFlagError::Input) with [`InputError::DatedBeforeInjection`] (A5),
/// [`TicketInvalidated`](ChangeFlagError::TicketInvalidated) (W5),
/// [`PendingTransfer`](ChangeFlagError::PendingTransfer) (a **decision** protecting T3).
///
/// # Examples
///
/// ```
/// use secure_ticket::wallet::{self, Actor, ChangeFlag, FlagChange};
/// use secure_ticket::{injection, ActivationMethod, Email, UsageRuleId};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let ticket = Ticket::new(secure_ticket::OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let alice = Email::parse("alice@example.com")?;
/// let injected = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: alice.clone(), usage_rule: UsageRuleId::from_u128(1), at,
/// })?.tickets.remove(0).ok_or("no ticket")?;
/// let active = wallet::change_flag(&injected, &ChangeFlag {
///     ticket: injected.id, change: FlagChange::Activate(ActivationMethod::Online), actor: Actor::Spectator(alice), at,
/// })?;
/// assert!(active.tickets[0].wallet.as_ref().unwrap().activated.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn change_flag(ticket: &Ticket, command: &ChangeFlag) -> Result<Decision, ChangeFlagError> {
    use ChangeFlagError as E;
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
    // Who asks first (X2): an actor who may not make this change learns nothing more of the
    // ticket, not even that it was deleted.
    let allowed = match (&command.change, &command.actor) {
        (FlagChange::Activate(_) | FlagChange::Deactivate, Actor::Spectator(who)) => {
            *who == wallet.owners.current
        }
        (FlagChange::Activate(_) | FlagChange::Deactivate, Actor::System) => true,
        (FlagChange::Check | FlagChange::Control | FlagChange::CheckOut, Actor::AccessControl) => {
            true
        }
        _ => false,
    };
    if !allowed {
        return Err(E::ActorNotAllowed {
            ticket: ticket.id,
            actor: command.actor.clone(),
            change: command.change,
        });
    }
    if wallet.is_deleted_or_pending_deletion() {
        return Err(E::TicketDeleted {
            ticket: ticket.id,
            status: wallet.status(),
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
    if let Some(invalidation) = &ticket.distribution.invalidation {
        return Err(E::TicketInvalidated {
            ticket: ticket.id,
            reason: invalidation.reason.clone(),
        });
    }
    if let (Some(group), FlagChange::Activate(_) | FlagChange::Check | FlagChange::Control) =
        (wallet.pending_group, command.change)
    {
        return Err(E::PendingTransfer {
            ticket: ticket.id,
            group,
            change: command.change,
        });
    }
    let (id, at) = (ticket.id, command.at);
    let event = match command.change {
        FlagChange::Activate(method) if wallet.activated.is_none() => Event::TicketActivated {
            ticket: id,
            method,
            at,
        },
        FlagChange::Deactivate if wallet.activated.is_some() => {
            Event::TicketDeactivated { ticket: id, at }
        }
        FlagChange::Check if wallet.checked_at.is_none() => Event::TicketChecked { ticket: id, at },
        FlagChange::Control if wallet.controlled_at.is_none() => {
            Event::TicketControlled { ticket: id, at }
        }
        FlagChange::CheckOut if wallet.controlled_at.is_some() => {
            Event::TicketCheckedOut { ticket: id, at }
        }
        _ => return Ok(Decision::default()),
    };
    let mut changed = ticket.clone();
    if let Some(w) = changed.wallet.as_mut() {
        match command.change {
            FlagChange::Activate(method) => w.activated = Some(Activation { at, method }),
            FlagChange::Deactivate => w.activated = None,
            FlagChange::Check => w.checked_at = Some(at),
            FlagChange::Control => w.controlled_at = Some(at),
            FlagChange::CheckOut => w.controlled_at = None,
        }
    }
    Ok(Decision {
        spectators: Changes::new(),
        relies_on: Changes::new(),
        created: Changes::new(),
        tickets: Changes::one(changed),
        groups: Changes::new(),
        events: Changes::one(event),
    })
}
