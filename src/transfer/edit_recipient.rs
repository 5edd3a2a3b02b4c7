use time::OffsetDateTime;

use super::InitiateTransferError;
use super::context::Context;
use super::initiate::{Initiation, decide};
use super::shared::{GroupCommandError, check_named, check_not_before, check_open, close_group};
use crate::decision::Decision;
use crate::email::Email;
use crate::error_kind::ErrorKind;
use crate::id::TransferGroupId;
use crate::input_error::InputError;
use crate::ticket::Ticket;
use crate::transfer_group::{NewGroupIds, TransferGroup, TransferStatus};

/// Command: the sender replaces the recipient of a PENDING group (SPEC T12).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EditRecipient {
    /// The group to edit.
    pub group: TransferGroupId,
    /// Who edits: must be the sender (A3).
    pub actor: Email,
    /// The new recipient.
    pub recipient: Email,
    /// Ids for the new groups, one per direction (T6, T7).
    pub new_groups: NewGroupIds,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a recipient could not be edited. Nothing changed.
///
/// ### Handling
/// [`NotPending`](Self::NotPending), [`NotSender`](Self::NotSender),
/// [`SameRecipient`](Self::SameRecipient), [`GroupIdReused`](Self::GroupIdReused) and
/// [`Initiate`](Self::Initiate) refuse the spectator's request; [`Input`](Self::Input) means the
/// request names a missing record, or the records read disagree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum EditRecipientError {
    /// The group already has a final status (T13).
    #[error(
        "transfer group {group} is {status}, not PENDING; its recipient can no longer be edited"
    )]
    #[serde(rename = "TRANSFER_NOT_PENDING")]
    NotPending {
        /// The group.
        group: TransferGroupId,
        /// Its status.
        status: TransferStatus,
    },
    /// Only the sender may edit the recipient (A3).
    #[error(
        "{actor} is not the sender of transfer group {group}; only the sender may edit its recipient"
    )]
    NotSender {
        /// The group.
        group: TransferGroupId,
        /// Who asked.
        actor: Email,
    },
    /// The new recipient is the current one.
    #[error(
        "{recipient} is already the recipient of transfer group {group}; enter a different email"
    )]
    SameRecipient {
        /// The group.
        group: TransferGroupId,
        /// The recipient.
        recipient: Email,
    },
    /// A new group id equals the edited group's id.
    #[error(
        "the new transfer group must have a new id, not {group}, the id of the group being edited"
    )]
    GroupIdReused {
        /// The reused id.
        group: TransferGroupId,
    },
    /// The group is a back-office transfer (S8): only the organizer's staff may end it, by
    /// cancelling it, or it completes at the recipient's next sign-in.
    #[error(
        "transfer group {group} was started by the organizer's staff; only staff may cancel it, and it completes at the recipient's next sign-in"
    )]
    BackOfficeGroup {
        /// The group.
        group: TransferGroupId,
    },
    /// A record the command names is missing, or the records given disagree: the group
    /// ([`InputError::GroupNotFound`]), a ticket ([`InputError::TicketNotFound`],
    /// [`InputError::TicketNotInGroup`]) or its usage rule ([`InputError::UsageRuleNotFound`]).
    /// The new initiation's input errors come here too.
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
    /// The initiation to the new recipient was refused (T1-T7). Never an
    /// [`InitiateTransferError::Input`]: input errors are [`Input`](Self::Input), whichever check
    /// found them.
    #[error(transparent)]
    #[serde(untagged)]
    Initiate(InitiateTransferError),
}

impl EditRecipientError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. [`Input`](Self::Input) gives its
    /// [`InputError::code`]; [`Initiate`](Self::Initiate) the code of the error it holds. A
    /// released code never changes (`tests/fixtures/error_codes.txt` lists them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::EditRecipientError;
    /// use secure_ticket::{ErrorKind, TransferGroupId};
    ///
    /// let error = EditRecipientError::GroupIdReused { group: TransferGroupId::from_u128(1) };
    /// assert_eq!(error.code(), "GROUP_ID_REUSED");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Input(input) => input.code(),
            Self::BackOfficeGroup { .. } => "BACK_OFFICE_GROUP",
            Self::NotPending { .. } => "TRANSFER_NOT_PENDING",
            Self::NotSender { .. } => "NOT_SENDER",
            Self::SameRecipient { .. } => "SAME_RECIPIENT",
            Self::GroupIdReused { .. } => "GROUP_ID_REUSED",
            Self::Initiate(inner) => inner.code(),
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer. A
    /// nested error gives its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::EditRecipientError;
    /// use secure_ticket::{ErrorKind, TransferGroupId};
    ///
    /// let error = EditRecipientError::GroupIdReused { group: TransferGroupId::from_u128(1) };
    /// assert_eq!(error.kind(), ErrorKind::InvalidInput);
    /// assert_eq!(error.kind().http_status(), 400);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(input) => input.kind(),
            Self::BackOfficeGroup { .. } => ErrorKind::Refused,
            Self::NotPending { .. } | Self::NotSender { .. } | Self::SameRecipient { .. } => {
                ErrorKind::Refused
            }
            Self::GroupIdReused { .. } => ErrorKind::InvalidInput,
            Self::Initiate(inner) => inner.kind(),
        }
    }
}

impl From<InitiateTransferError> for EditRecipientError {
    /// The initiation's input errors become [`Input`](Self::Input), its refusals
    /// [`Initiate`](Self::Initiate).
    fn from(error: InitiateTransferError) -> Self {
        match error {
            InitiateTransferError::Input(input) => Self::Input(input),
            refusal => Self::Initiate(refusal),
        }
    }
}

impl GroupCommandError for EditRecipientError {
    fn not_pending(group: TransferGroupId, status: TransferStatus) -> Self {
        Self::NotPending { group, status }
    }
}

/// Edits the recipient of a PENDING group (SPEC T12): the group becomes CANCELLED and its tickets go
/// into a new group (or two, if they split, T7) for the new recipient, direction computed afresh (T6)
/// and every initiation rule checked again.
///
/// # Errors
///
/// In this order: [`Input`](EditRecipientError::Input) with [`InputError::GroupNotFound`],
/// [`NotPending`](EditRecipientError::NotPending), [`NotSender`](EditRecipientError::NotSender),
/// [`BackOfficeGroup`](EditRecipientError::BackOfficeGroup),
/// [`SameRecipient`](EditRecipientError::SameRecipient),
/// [`GroupIdReused`](EditRecipientError::GroupIdReused), then per ticket
/// [`Input`](EditRecipientError::Input) with [`InputError::TicketNotFound`] or
/// [`InputError::TicketNotInGroup`], and finally [`Initiate`](EditRecipientError::Initiate) with
/// the reason the new initiation is refused (or [`Input`](EditRecipientError::Input) with
/// [`InputError::UsageRuleNotFound`] in its place).
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
/// let context = Context::new(&rules).with_settings(AcceptanceSettings::explicit());
/// let sent = transfer::initiate(&[injected.clone()], &context, &InitiateTransfer {
///     actor: alice.clone(), recipient: bob.clone(), tickets: vec![injected.id],
///     groups: NewGroupIds::single(TransferGroupId::from_u128(7)), at,
/// })?;
/// let group = sent.groups[0].clone();
/// use secure_ticket::transfer::{EditRecipient, TransferStatus};
/// let carol = Email::parse("carol@example.com")?;
/// let edited = transfer::edit_recipient(&group, &sent.tickets, &context, &EditRecipient {
///     group: group.id, actor: alice, recipient: carol.clone(),
///     new_groups: NewGroupIds::single(TransferGroupId::from_u128(8)), at,
/// })?;
/// assert_eq!(edited.groups[0].status, TransferStatus::Cancelled);
/// assert_eq!(edited.groups[1].recipient, carol);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn edit_recipient(
    group: &TransferGroup,
    tickets: &[Ticket],
    context: &Context<'_>,
    command: &EditRecipient,
) -> Result<Decision, EditRecipientError> {
    use EditRecipientError as E;
    check_named::<E>(group, command.group)?;
    if group.sender != command.actor {
        return Err(E::NotSender {
            group: group.id,
            actor: command.actor.clone(),
        });
    }
    check_open::<E>(group)?;
    if group.is_back_office() {
        return Err(E::BackOfficeGroup { group: group.id });
    }
    check_not_before::<E>(group, command.at)?;
    if group.recipient == command.recipient {
        return Err(E::SameRecipient {
            group: group.id,
            recipient: command.recipient.clone(),
        });
    }
    if command.new_groups.forward == group.id || command.new_groups.backward == group.id {
        return Err(E::GroupIdReused { group: group.id });
    }
    let mut decision = close_group(group, tickets, TransferStatus::Cancelled, command.at)?;
    let released = std::mem::take(&mut decision.tickets);
    decide(
        &Initiation {
            tickets: &released,
            context,
            actor: &command.actor,
            recipient: &command.recipient,
            ticket_ids: &group.tickets,
            groups: command.new_groups,
            at: command.at,
            replaces: Some(group.id),
            keep_one: false,
        },
        &mut decision,
    )?;
    Ok(decision)
}
