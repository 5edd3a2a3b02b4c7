use time::OffsetDateTime;

use super::InitiateTransferError;
use super::context::Context;
use super::initiate::{Initiation, decide};
use super::shared::find_ticket;
use crate::decision::Decision;
use crate::email::Email;
use crate::error_kind::ErrorKind;
use crate::id::{TicketId, TransferGroupId};
use crate::input_error::InputError;
use crate::ticket::Ticket;
use crate::transfer_group::NewGroupIds;

/// Command: the current owner sends a ticket back to its previous owner (SPEC T11).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReturnToSender {
    /// The ticket to return.
    pub ticket: TicketId,
    /// Who returns it: must be its current owner (T1).
    pub actor: Email,
    /// The id of the new (BACKWARD) group.
    pub group: TransferGroupId,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a ticket could not be returned to its sender. Nothing changed.
///
/// ### Handling
/// [`NoPreviousOwner`](Self::NoPreviousOwner) refuses the request (hide the button for tickets that
/// were never transferred); [`Initiate`](Self::Initiate) carries the initiation's own refusal;
/// [`Input`](Self::Input) means the request names a ticket or a usage rule that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ReturnToSenderError {
    /// The ticket was never transferred: there is nobody to return it to (T11).
    #[error("ticket {ticket} has no previous owner to return it to; it was never transferred")]
    NoPreviousOwner {
        /// The ticket.
        ticket: TicketId,
    },
    /// A record the command names is missing: the ticket ([`InputError::TicketNotFound`]) or its
    /// usage rule ([`InputError::UsageRuleNotFound`]). The initiation's input errors come here too.
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
    /// The BACKWARD initiation was refused (T1-T7). Never an [`InitiateTransferError::Input`]:
    /// input errors are [`Input`](Self::Input), whichever check found them.
    #[error(transparent)]
    #[serde(untagged)]
    Initiate(InitiateTransferError),
}

impl ReturnToSenderError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. [`Input`](Self::Input) gives its
    /// [`InputError::code`]; [`Initiate`](Self::Initiate) the code of the error it holds. A
    /// released code never changes (`tests/fixtures/error_codes.txt` lists them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::{InitiateTransferError, ReturnToSenderError};
    /// use secure_ticket::{ErrorKind, TicketId};
    ///
    /// let error = ReturnToSenderError::NoPreviousOwner { ticket: TicketId::from_u128(1) };
    /// assert_eq!(error.code(), "NO_PREVIOUS_OWNER");
    /// let limit = InitiateTransferError::TransferLimitReached { ticket: TicketId::from_u128(1), level: 1, limit: 1 };
    /// assert_eq!(ReturnToSenderError::from(limit).code(), "TRANSFER_LIMIT_REACHED");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Input(input) => input.code(),
            Self::NoPreviousOwner { .. } => "NO_PREVIOUS_OWNER",
            Self::Initiate(inner) => inner.code(),
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer. A
    /// nested error gives its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::{InitiateTransferError, ReturnToSenderError};
    /// use secure_ticket::{ErrorKind, TicketId};
    ///
    /// let error = ReturnToSenderError::NoPreviousOwner { ticket: TicketId::from_u128(1) };
    /// assert_eq!(error.kind(), ErrorKind::Refused);
    /// assert_eq!(error.kind().http_status(), 422);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(input) => input.kind(),
            Self::NoPreviousOwner { .. } => ErrorKind::Refused,
            Self::Initiate(inner) => inner.kind(),
        }
    }
}

impl From<InitiateTransferError> for ReturnToSenderError {
    /// The initiation's input errors become [`Input`](Self::Input), its refusals
    /// [`Initiate`](Self::Initiate).
    fn from(error: InitiateTransferError) -> Self {
        match error {
            InitiateTransferError::Input(input) => Self::Input(input),
            refusal => Self::Initiate(refusal),
        }
    }
}

/// Returns a ticket to its previous owner: an ordinary BACKWARD initiation (SPEC T11, T1-T7).
///
/// # Errors
///
/// [`Input`](ReturnToSenderError::Input) with [`InputError::TicketNotFound`], then
/// [`Initiate`](ReturnToSenderError::Initiate) with [`InitiateTransferError::NotInjected`] or
/// [`InitiateTransferError::NotCurrentOwner`], then
/// [`NoPreviousOwner`](ReturnToSenderError::NoPreviousOwner) when the ticket was never transferred;
/// [`Initiate`](ReturnToSenderError::Initiate) with the reason an initiation to the previous owner
/// is refused (for example [`InitiateTransferError::TransferLimitReached`], T2), or
/// [`Input`](ReturnToSenderError::Input) with [`InputError::UsageRuleNotFound`] in its place.
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
/// // Limit 3: the U4 default of 1 would stop the return (T2).
/// let limit = secure_ticket::TransferLimit::new(3)?;
/// let rules = [UsageRule::new(secure_ticket::OrganizerId::from_u128(1), UsageRuleId::from_u128(1)).with_max_transfers(limit)];
/// let injected = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: alice.clone(), usage_rule: rules[0].id, at,
/// })?.tickets.remove(0).ok_or("no ticket")?;
/// let context = Context::new(&rules).with_settings(AcceptanceSettings::explicit());
/// let sent = transfer::initiate(&[injected.clone()], &context, &InitiateTransfer {
///     actor: alice.clone(), recipient: bob.clone(), tickets: vec![injected.id],
///     groups: NewGroupIds::single(TransferGroupId::from_u128(7)), at,
/// })?;
/// let group = sent.groups[0].clone();
/// use secure_ticket::transfer::{AcceptTransfer, Direction, ReturnToSender};
/// let done = transfer::accept(&group, &sent.tickets, &rules, &AcceptTransfer { group: group.id, actor: bob.clone(), at })?;
/// // Bob sends it back to Alice, its previous owner: a BACKWARD group.
/// let back = transfer::return_to_sender(&done.tickets, &context, &ReturnToSender {
///     ticket: injected.id, actor: bob, group: TransferGroupId::from_u128(9), at,
/// })?;
/// assert_eq!(back.groups[0].direction, Direction::Backward);
/// assert_eq!(back.groups[0].recipient, alice);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn return_to_sender(
    tickets: &[Ticket],
    context: &Context<'_>,
    command: &ReturnToSender,
) -> Result<Decision, ReturnToSenderError> {
    let ticket = find_ticket(tickets, command.ticket).ok_or(InputError::TicketNotFound {
        ticket: command.ticket,
    })?;
    let wallet = ticket
        .wallet
        .as_ref()
        .ok_or(InitiateTransferError::NotInjected {
            ticket: command.ticket,
        })?;
    if wallet.owners.current != command.actor {
        // Authorization first (X2): a stranger learns nothing about the ticket's history.
        let actor = command.actor.clone();
        return Err(InitiateTransferError::NotCurrentOwner {
            ticket: command.ticket,
            actor,
        }
        .into());
    }
    let previous = wallet
        .owners
        .previous
        .as_ref()
        .ok_or(ReturnToSenderError::NoPreviousOwner {
            ticket: command.ticket,
        })?;
    let mut decision = Decision::default();
    decide(
        &Initiation {
            tickets,
            context,
            actor: &command.actor,
            recipient: previous,
            ticket_ids: std::slice::from_ref(&command.ticket),
            groups: NewGroupIds::single(command.group),
            at: command.at,
            replaces: None,
            keep_one: true,
        },
        &mut decision,
    )?;
    Ok(decision)
}
