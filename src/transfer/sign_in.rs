use time::OffsetDateTime;

use super::shared::{CompletionError, complete_group, is_past_deadline};
use crate::decision::Decision;
use crate::email::Email;
use crate::error_kind::ErrorKind;
use crate::id::TicketId;
use crate::input_error::InputError;
use crate::ticket::{Ticket, WalletStatus};
use crate::transfer_group::TransferGroup;
use crate::usage_rule::UsageRule;

/// Command: a spectator's wallet app signed in or synced (SPEC A1, A2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignIn {
    /// The spectator who signed in.
    pub actor: Email,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why the groups of a sign-in could not be completed. Nothing changed.
///
/// ### Handling
/// [`Input`](Self::Input) means a group names a missing record, or the records read disagree:
/// read them again and retry. [`TicketDeleted`](Self::TicketDeleted): the group's transfer must be
/// cancelled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum SignInError {
    /// A ticket of a completable group is DELETION_PENDING or DELETED (W4).
    #[error(
        "ticket {ticket} is {status} and can no longer change hands; its transfer must be cancelled"
    )]
    TicketDeleted {
        /// The ticket.
        ticket: TicketId,
        /// Its wallet status.
        status: WalletStatus,
    },
    /// A record a completable group names is missing, or the records given disagree: a ticket
    /// ([`InputError::TicketNotFound`], [`InputError::TicketNotInGroup`]) or its usage rule
    /// ([`InputError::UsageRuleNotFound`]).
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl SignInError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. [`Input`](Self::Input) gives its
    /// [`InputError::code`]. A released code never changes (`tests/fixtures/error_codes.txt` lists
    /// them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::SignInError;
    /// use secure_ticket::{ErrorKind, TicketId, WalletStatus};
    ///
    /// let error = SignInError::TicketDeleted { ticket: TicketId::from_u128(1), status: WalletStatus::Deleted };
    /// assert_eq!(error.code(), "TICKET_DELETED");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Input(input) => input.code(),
            Self::TicketDeleted { .. } => "TICKET_DELETED",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer. A
    /// nested error gives its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::SignInError;
    /// use secure_ticket::{ErrorKind, TicketId, WalletStatus};
    ///
    /// let error = SignInError::TicketDeleted { ticket: TicketId::from_u128(1), status: WalletStatus::Deleted };
    /// assert_eq!(error.kind(), ErrorKind::Refused);
    /// assert_eq!(error.kind().http_status(), 422);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(input) => input.kind(),
            Self::TicketDeleted { .. } => ErrorKind::Refused,
        }
    }
}

impl CompletionError for SignInError {
    fn ticket_deleted(ticket: TicketId, status: WalletStatus) -> Self {
        Self::TicketDeleted { ticket, status }
    }
}

/// Completes, at the recipient's sign-in or sync, every group that needs no explicit acceptance
/// (SPEC A1 off, or any BACKWARD group, A2).
///
/// `groups` are candidate groups (typically the PENDING groups addressed to the actor); those that
/// are not PENDING, not addressed to the actor, past their deadline (A4), past their performance's
/// end (E1: the expiry sweep expires them) or waiting for an explicit acceptance are left alone. A
/// back-office group never waits for one (S7). An empty decision means there was nothing to complete.
///
/// # Errors
///
/// For the first completable group with a problem, per ticket:
/// [`Input`](SignInError::Input) with [`InputError::TicketNotFound`] or
/// [`InputError::TicketNotInGroup`], [`TicketDeleted`](SignInError::TicketDeleted),
/// [`Input`](SignInError::Input) with [`InputError::UsageRuleNotFound`].
///
/// # Examples
///
/// ```
/// use secure_ticket::transfer::{self, Context, InitiateTransfer, NewGroupIds};
/// use secure_ticket::{injection, AcceptanceSettings, Email, TransferGroupId, UsageRule, UsageRuleId};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let ticket = Ticket::new(secure_ticket::OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let (alice, bob) = (Email::parse("alice@example.com")?, Email::parse("bob@example.com")?);
/// let rules = [UsageRule::new(secure_ticket::OrganizerId::from_u128(1), UsageRuleId::from_u128(1))];
/// let injected = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: alice.clone(), usage_rule: rules[0].id, at,
/// })?.tickets.remove(0).ok_or("no ticket")?;
/// let context = Context::new(&rules).with_settings(AcceptanceSettings::automatic());
/// let sent = transfer::initiate(&[injected.clone()], &context, &InitiateTransfer {
///     actor: alice.clone(), recipient: bob.clone(), tickets: vec![injected.id],
///     groups: NewGroupIds::single(TransferGroupId::from_u128(7)), at,
/// })?;
/// let group = sent.groups[0].clone();
/// use secure_ticket::transfer::SignIn;
/// // A1 off: the group completes at Bob's next sign-in.
/// let done = transfer::complete_on_sign_in(&[group], &sent.tickets, &rules, &SignIn { actor: bob.clone(), at })?;
/// assert_eq!(done.tickets[0].wallet.as_ref().map(|w| &w.owners.current), Some(&bob));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn complete_on_sign_in(
    groups: &[TransferGroup],
    tickets: &[Ticket],
    rules: &[UsageRule],
    command: &SignIn,
) -> Result<Decision, SignInError> {
    let mut decision = Decision::default();
    for group in groups.iter().filter(|g| {
        g.is_pending()
            && g.recipient == command.actor
            && !g.needs_explicit_acceptance()
            && !is_past_deadline(g, command.at)
            && g.performance_ends_at.is_none_or(|end| end > command.at)
    }) {
        if decision.group(group.id).is_some() {
            continue; // the same group listed twice completes once
        }
        // W5: a group holding a ticket taken back meanwhile stays pending (it can be declined,
        // cancelled or expired); the actor's other groups still complete.
        let frozen = group.tickets.iter().any(|&id| {
            tickets
                .iter()
                .any(|t| t.id == id && t.distribution.invalidation.is_some())
        });
        if frozen {
            continue;
        }
        complete_group::<SignInError>(group, tickets, rules, true, command.at, &mut decision)?;
    }
    Ok(decision)
}
