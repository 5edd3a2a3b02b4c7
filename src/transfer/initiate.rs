use time::OffsetDateTime;

use super::context::{self, Context};
use super::shared::{find_rule, find_ticket, first_repeated};
use crate::changes::TicketIds;
use crate::decision::Decision;
use crate::email::Email;
use crate::error_kind::ErrorKind;
use crate::event::Event;
use crate::id::{PerformanceId, TicketId, TransferGroupId, UsageRuleId};
use crate::input_error::InputError;
use crate::record_key::RecordKey;
use crate::rfc3339::rfc3339;
use crate::spectator::SpectatorLocked;
use crate::ticket::InvalidationReason;
use crate::ticket::{Ticket, WalletStatus};
use crate::transfer_group::{Acceptance, Direction, NewGroupIds, TransferGroup, TransferStatus};

/// Command: the current owner sends one or more tickets to a recipient (SPEC T1-T7).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InitiateTransfer {
    /// The spectator who initiates: must be the current owner of every ticket (T1).
    pub actor: Email,
    /// The future owner: any valid email, with or without an account (T5).
    pub recipient: Email,
    /// The tickets to send, each once (T4).
    pub tickets: Vec<TicketId>,
    /// Ids for the new groups, one per direction (T7).
    pub groups: NewGroupIds,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a transfer could not be initiated. Nothing changed.
///
/// ### Handling
/// Every variant but [`Input`](Self::Input) is the spectator's request breaking a rule: refuse it
/// with the message. [`Input`](Self::Input) means the request names a ticket or a usage rule that
/// does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum InitiateTransferError {
    /// More tickets than one initiation may carry ([`MAX_TICKETS`]); checked before anything
    /// else (X11).
    #[error("an initiation carries at most {max} tickets, not {count}; split it into several")]
    TooManyTickets {
        /// How many were given.
        count: usize,
        /// The most allowed.
        max: usize,
    },
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
    /// The command lists no ticket (T4).
    #[error("the transfer lists no ticket; choose at least one ticket to send")]
    EmptyTicketList,
    /// The command lists a ticket twice (T4).
    #[error("ticket {ticket} is listed twice in the transfer; list each ticket once")]
    DuplicateTicket {
        /// The repeated ticket.
        ticket: TicketId,
    },
    /// The ticket is not in any wallet yet.
    #[error("ticket {ticket} has not been injected into TIXnGO; inject it before transferring it")]
    #[serde(rename = "TICKET_NOT_INJECTED")]
    NotInjected {
        /// The ticket.
        ticket: TicketId,
    },
    /// The ticket is DELETION_PENDING or DELETED (T4, W4).
    #[error("ticket {ticket} is {status} and can no longer be transferred")]
    TicketDeleted {
        /// The ticket.
        ticket: TicketId,
        /// Its wallet status.
        status: WalletStatus,
    },
    /// The ticket is already in a PENDING group (T4).
    #[error(
        "ticket {ticket} is already pending in transfer group {group}; \
         wait for that transfer to end, or cancel it first"
    )]
    #[serde(rename = "TICKET_PENDING_TRANSFER")]
    AlreadyPendingTransfer {
        /// The ticket.
        ticket: TicketId,
        /// The group it is pending in.
        group: TransferGroupId,
    },
    /// The actor is not the ticket's current owner (T1).
    #[error(
        "{actor} is not the current owner of ticket {ticket}; only the current owner may transfer it"
    )]
    NotCurrentOwner {
        /// The ticket.
        ticket: TicketId,
        /// Who asked.
        actor: Email,
    },
    /// The recipient is the sender (T4).
    #[error(
        "ticket {ticket} cannot be transferred to its own owner {recipient}; choose another recipient"
    )]
    RecipientIsSender {
        /// The ticket.
        ticket: TicketId,
        /// The recipient, who is the sender.
        recipient: Email,
    },
    /// The usage rule has `transfer` off (U2).
    #[error(
        "the usage rule {rule} of ticket {ticket} does not allow transfers; only the organizer can allow them"
    )]
    TransferDisabled {
        /// The ticket.
        ticket: TicketId,
        /// Its usage rule.
        rule: UsageRuleId,
    },
    /// The ticket is activated and the rule forbids transfer after activation (T3).
    #[error(
        "ticket {ticket} is activated and its usage rule {rule} does not allow transfer after activation; \
         deactivate it first"
    )]
    #[serde(rename = "TICKET_ACTIVATED")]
    ActivatedTicket {
        /// The ticket.
        ticket: TicketId,
        /// Its usage rule.
        rule: UsageRuleId,
    },
    /// The ticket was checked and the rule forbids transfer after check (T3).
    #[error(
        "ticket {ticket} was checked and its usage rule {rule} does not allow transfer after check; a \
         checked ticket stays with its owner"
    )]
    #[serde(rename = "TICKET_CHECKED")]
    CheckedTicket {
        /// The ticket.
        ticket: TicketId,
        /// Its usage rule.
        rule: UsageRuleId,
    },
    /// The ticket is controlled and the rule forbids transfer after control (T3).
    #[error(
        "ticket {ticket} is controlled and its usage rule {rule} does not allow transfer after control; \
         check it out first"
    )]
    #[serde(rename = "TICKET_CONTROLLED")]
    ControlledTicket {
        /// The ticket.
        ticket: TicketId,
        /// Its usage rule.
        rule: UsageRuleId,
    },
    /// The level has reached the limit (T2).
    #[error(
        "ticket {ticket} reached its transfer limit ({level} of {limit}); the usage rule allows no more transfers"
    )]
    TransferLimitReached {
        /// The ticket.
        ticket: TicketId,
        /// Its transfer level.
        level: u16,
        /// The rule's limit.
        limit: u16,
    },
    /// The tickets split into both directions but both group ids are the same (T7).
    #[error(
        "the tickets go FORWARD and BACKWARD, so two groups are created, but both were given the id {group}; \
         give two different ids"
    )]
    SameGroupIdForBothDirections {
        /// The id given twice.
        group: TransferGroupId,
    },
    /// The actor is locked by the organizer's staff (L2).
    #[error(transparent)]
    SpectatorLocked(SpectatorLocked),
    /// The ticket's performance has ended (E1).
    #[error(
        "the performance {performance} of ticket {ticket} ended at {}; its tickets can no longer be transferred",
        rfc3339(*ended_at)
    )]
    PerformanceEnded {
        /// The ticket.
        ticket: TicketId,
        /// Its performance.
        performance: PerformanceId,
        /// When it ended.
        #[serde(with = "crate::rfc3339")]
        ended_at: OffsetDateTime,
    },
    /// Keep One (K2-K4): the sender would keep no ticket of the performance.
    #[error(
        "the usage rule {rule} keeps one ticket of performance {performance} with its owner, and this transfer \
         would leave the sender none; keep at least one ticket of that performance"
    )]
    #[serde(rename = "KEEP_ONE")]
    KeepOne {
        /// The performance.
        performance: PerformanceId,
        /// The usage rule that enforces it.
        rule: UsageRuleId,
    },
    /// A record the command names is missing: a ticket ([`InputError::TicketNotFound`]) or its
    /// usage rule ([`InputError::UsageRuleNotFound`]).
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl From<SpectatorLocked> for InitiateTransferError {
    fn from(locked: SpectatorLocked) -> Self {
        Self::SpectatorLocked(locked)
    }
}

impl InitiateTransferError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. [`Input`](Self::Input) gives its
    /// [`InputError::code`]. A released code never changes (`tests/fixtures/error_codes.txt` lists
    /// them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::InitiateTransferError;
    /// use secure_ticket::{ErrorKind, TicketId};
    ///
    /// let error = InitiateTransferError::TransferLimitReached { ticket: TicketId::from_u128(1), level: 1, limit: 1 };
    /// assert_eq!(error.code(), "TRANSFER_LIMIT_REACHED");
    /// assert_eq!(InitiateTransferError::EmptyTicketList.code(), "EMPTY_TICKET_LIST");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooManyTickets { .. } => "TOO_MANY_TICKETS",
            Self::TicketInvalidated { .. } => "TICKET_INVALIDATED",
            Self::EmptyTicketList => "EMPTY_TICKET_LIST",
            Self::DuplicateTicket { .. } => "DUPLICATE_TICKET",
            Self::Input(input) => input.code(),
            Self::NotInjected { .. } => "TICKET_NOT_INJECTED",
            Self::TicketDeleted { .. } => "TICKET_DELETED",
            Self::AlreadyPendingTransfer { .. } => "TICKET_PENDING_TRANSFER",
            Self::NotCurrentOwner { .. } => "NOT_CURRENT_OWNER",
            Self::RecipientIsSender { .. } => "RECIPIENT_IS_SENDER",
            Self::TransferDisabled { .. } => "TRANSFER_DISABLED",
            Self::ActivatedTicket { .. } => "TICKET_ACTIVATED",
            Self::CheckedTicket { .. } => "TICKET_CHECKED",
            Self::ControlledTicket { .. } => "TICKET_CONTROLLED",
            Self::TransferLimitReached { .. } => "TRANSFER_LIMIT_REACHED",
            Self::SameGroupIdForBothDirections { .. } => "SAME_GROUP_ID_FOR_BOTH_DIRECTIONS",
            Self::SpectatorLocked(_) => "SPECTATOR_LOCKED",
            Self::PerformanceEnded { .. } => "PERFORMANCE_ENDED",
            Self::KeepOne { .. } => "KEEP_ONE",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer. A
    /// nested error gives its own kind.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::InitiateTransferError;
    /// use secure_ticket::{ErrorKind, TicketId};
    ///
    /// let error = InitiateTransferError::TransferLimitReached { ticket: TicketId::from_u128(1), level: 1, limit: 1 };
    /// assert_eq!(error.kind(), ErrorKind::Refused);
    /// assert_eq!(error.kind().http_status(), 422);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::TooManyTickets { .. } => ErrorKind::InvalidInput,
            Self::TicketInvalidated { .. } => ErrorKind::Refused,
            Self::EmptyTicketList
            | Self::DuplicateTicket { .. }
            | Self::RecipientIsSender { .. }
            | Self::SameGroupIdForBothDirections { .. } => ErrorKind::InvalidInput,
            Self::Input(input) => input.kind(),
            Self::NotInjected { .. }
            | Self::TicketDeleted { .. }
            | Self::AlreadyPendingTransfer { .. }
            | Self::NotCurrentOwner { .. }
            | Self::TransferDisabled { .. }
            | Self::ActivatedTicket { .. }
            | Self::CheckedTicket { .. }
            | Self::ControlledTicket { .. }
            | Self::TransferLimitReached { .. }
            | Self::SpectatorLocked(_)
            | Self::PerformanceEnded { .. }
            | Self::KeepOne { .. } => ErrorKind::Refused,
        }
    }
}

/// Initiates a transfer (SPEC T1-T7, K2-K4, L2, E1): the tickets become PENDING_TRANSFER in one
/// new group per direction; owners, level and counters do not change yet.
///
/// `tickets` must contain the tickets the command names (other records are ignored);
/// `context` their usage rules, the organizer's acceptance settings (A1, A4, recorded in the new
/// groups), their performances (E1), every ticket the actor owns (Keep One) and the actor's
/// spectator record (L2).
///
/// # Errors
///
/// Checked in this order, the first failure wins:
/// [`EmptyTicketList`](InitiateTransferError::EmptyTicketList),
/// [`DuplicateTicket`](InitiateTransferError::DuplicateTicket),
/// [`SpectatorLocked`](InitiateTransferError::SpectatorLocked); then for each ticket in order:
/// [`Input`](InitiateTransferError::Input) with [`InputError::TicketNotFound`],
/// [`NotInjected`](InitiateTransferError::NotInjected),
/// [`NotCurrentOwner`](InitiateTransferError::NotCurrentOwner),
/// [`TicketDeleted`](InitiateTransferError::TicketDeleted),
/// [`AlreadyPendingTransfer`](InitiateTransferError::AlreadyPendingTransfer),
/// [`RecipientIsSender`](InitiateTransferError::RecipientIsSender),
/// [`PerformanceEnded`](InitiateTransferError::PerformanceEnded),
/// [`Input`](InitiateTransferError::Input) with [`InputError::UsageRuleNotFound`],
/// [`TransferDisabled`](InitiateTransferError::TransferDisabled),
/// [`ActivatedTicket`](InitiateTransferError::ActivatedTicket),
/// [`CheckedTicket`](InitiateTransferError::CheckedTicket),
/// [`ControlledTicket`](InitiateTransferError::ControlledTicket),
/// [`TransferLimitReached`](InitiateTransferError::TransferLimitReached); then
/// [`KeepOne`](InitiateTransferError::KeepOne) per performance; finally
/// [`SameGroupIdForBothDirections`](InitiateTransferError::SameGroupIdForBothDirections).
///
/// # Examples
///
/// ```
/// use secure_ticket::transfer::{self, Context, Direction, InitiateTransfer, NewGroupIds};
/// use secure_ticket::{injection, AcceptanceSettings, Email, TransferGroupId, UsageRule, UsageRuleId, WalletStatus};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let ticket = Ticket::new(secure_ticket::OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let alice = Email::parse("alice@example.com")?;
/// let bob = Email::parse("bob@example.com")?;
/// let rules = [UsageRule::new(secure_ticket::OrganizerId::from_u128(1), UsageRuleId::from_u128(1))];
/// let injected = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: alice.clone(), usage_rule: rules[0].id, at,
/// })?.tickets.remove(0).ok_or("no ticket")?;
///
/// let context = Context::new(&rules).with_settings(AcceptanceSettings::explicit());
/// let decision = transfer::initiate(&[injected.clone()], &context, &InitiateTransfer {
///     actor: alice,
///     recipient: bob,
///     tickets: vec![injected.id],
///     groups: NewGroupIds::single(TransferGroupId::from_u128(7)),
///     at,
/// })?;
/// assert_eq!(decision.groups[0].direction, Direction::Forward);
/// assert_eq!(decision.tickets[0].wallet_status(), Some(WalletStatus::PendingTransfer));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn initiate(
    tickets: &[Ticket],
    context: &Context<'_>,
    command: &InitiateTransfer,
) -> Result<Decision, InitiateTransferError> {
    let mut decision = Decision::default();
    decide(
        &Initiation {
            tickets,
            context,
            actor: &command.actor,
            recipient: &command.recipient,
            ticket_ids: &command.tickets,
            groups: command.groups,
            at: command.at,
            replaces: None,
            keep_one: true,
        },
        &mut decision,
    )?;
    Ok(decision)
}

/// The most tickets one initiation carries (X11): a larger list is refused with
/// [`InitiateTransferError::TooManyTickets`] before any other check.
pub const MAX_TICKETS: usize = 100;

/// Everything an initiation needs; shared with return to sender and edit recipient.
pub(crate) struct Initiation<'a> {
    pub(crate) tickets: &'a [Ticket],
    pub(crate) context: &'a Context<'a>,
    pub(crate) actor: &'a Email,
    pub(crate) recipient: &'a Email,
    pub(crate) ticket_ids: &'a [TicketId],
    pub(crate) groups: NewGroupIds,
    pub(crate) at: OffsetDateTime,
    pub(crate) replaces: Option<TransferGroupId>,
    /// Whether Keep One applies (an initiation and a return to sender; not an edit of the
    /// recipient, whose tickets are pending already).
    pub(crate) keep_one: bool,
}

/// Checks an initiation and appends its new groups, tickets and events to `decision`.
pub(crate) fn decide(
    input: &Initiation<'_>,
    decision: &mut Decision,
) -> Result<(), InitiateTransferError> {
    // The size first (X11): nothing else is looked at for a list over the limit.
    if input.ticket_ids.len() > MAX_TICKETS {
        return Err(InitiateTransferError::TooManyTickets {
            count: input.ticket_ids.len(),
            max: MAX_TICKETS,
        });
    }
    if input.ticket_ids.is_empty() {
        return Err(InitiateTransferError::EmptyTicketList);
    }
    // Duplicates in O(n log n); the first repeated id in the command's order.
    if let Some(ticket) = first_repeated(input.ticket_ids) {
        return Err(InitiateTransferError::DuplicateTicket { ticket });
    }
    if let Some(locked) = input.context.locked() {
        return Err(locked.into());
    }
    let (mut forward, mut backward) = (0usize, 0usize);
    for &id in input.ticket_ids {
        match check_ticket(input, id)? {
            Direction::Forward => forward = forward.saturating_add(1),
            Direction::Backward => backward = backward.saturating_add(1),
        }
    }
    if input.keep_one {
        match context::keep_one(input.context, input.actor, input.tickets, input.ticket_ids) {
            Ok(kept) => decision
                .relies_on
                .extend(kept.into_iter().map(RecordKey::Ticket)),
            Err(breach) => {
                return Err(InitiateTransferError::KeepOne {
                    performance: breach.performance,
                    rule: breach.rule,
                });
            }
        }
    }
    if forward > 0 && backward > 0 && input.groups.forward == input.groups.backward {
        return Err(InitiateTransferError::SameGroupIdForBothDirections {
            group: input.groups.forward,
        });
    }
    for (direction, count, group_id) in [
        (Direction::Forward, forward, input.groups.forward),
        (Direction::Backward, backward, input.groups.backward),
    ] {
        if count == 0 {
            continue;
        }
        // Usually every ticket goes one way: the group reuses the command's ids (no allocation
        // for a single ticket); a split (T7) filters them.
        let ids: TicketIds = if count == input.ticket_ids.len() {
            TicketIds::from(input.ticket_ids)
        } else {
            input
                .ticket_ids
                .iter()
                .copied()
                .filter(|&id| direction_of(input, id) == direction)
                .collect()
        };
        for &id in &ids {
            if let Some(ticket) = find_ticket(input.tickets, id) {
                let mut pending = ticket.clone();
                if let Some(wallet) = pending.wallet.as_mut() {
                    wallet.pending_group = Some(group_id);
                }
                decision.tickets.push(pending);
            }
        }
        let acceptance =
            if input.context.settings.explicit_acceptance && direction == Direction::Forward {
                Acceptance::Explicit
            } else {
                Acceptance::Automatic
            };
        decision.events.push(Event::TransferInitiated {
            group: group_id,
            direction,
            sender: input.actor.clone(),
            recipient: input.recipient.clone(),
            tickets: ids.clone(),
            at: input.at,
            back_office: None,
        });
        decision.created.push(RecordKey::TransferGroup(group_id));
        // The group belongs to its tickets' organizer (X7; the shell never mixes organizers).
        let organizer = ids
            .first()
            .and_then(|&id| find_ticket(input.tickets, id))
            .map(|t| t.organizer)
            .unwrap_or_default();
        let performance_ends_at = input
            .context
            .earliest_end(ids.iter().filter_map(|&id| find_ticket(input.tickets, id)));
        decision.groups.push(TransferGroup {
            id: group_id,
            organizer,
            sender: input.actor.clone(),
            recipient: input.recipient.clone(),
            direction,
            tickets: ids,
            status: TransferStatus::Pending,
            acceptance,
            created_at: input.at,
            // A deadline past the representable range is no deadline at all.
            expires_at: input
                .context
                .settings
                .expire_after
                .and_then(|after| input.at.checked_add(after.duration())),
            closed_at: None,
            replaces: input.replaces,
            performance_ends_at,
            back_office: None,
        });
    }
    Ok(())
}

/// The direction of a ticket that passed [`check_ticket`] (T6).
fn direction_of(input: &Initiation<'_>, id: TicketId) -> Direction {
    let previous = find_ticket(input.tickets, id)
        .and_then(|t| t.wallet.as_ref())
        .and_then(|w| w.owners.previous.as_ref());
    if previous == Some(input.recipient) {
        Direction::Backward
    } else {
        Direction::Forward
    }
}

/// Checks one ticket against T1-T4 and returns its direction (T6).
fn check_ticket(input: &Initiation<'_>, id: TicketId) -> Result<Direction, InitiateTransferError> {
    use InitiateTransferError as E;
    let ticket = find_ticket(input.tickets, id).ok_or(InputError::TicketNotFound { ticket: id })?;
    let wallet = ticket
        .wallet
        .as_ref()
        .ok_or(E::NotInjected { ticket: id })?;
    // Authorization first (X2): a stranger learns nothing about the ticket's state.
    if wallet.owners.current != *input.actor {
        return Err(E::NotCurrentOwner {
            ticket: id,
            actor: input.actor.clone(),
        });
    }
    if input.at < wallet.injected_at {
        return Err(InputError::DatedBeforeInjection {
            ticket: id,
            at: input.at,
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
    if wallet.owners.current == *input.recipient {
        return Err(E::RecipientIsSender {
            ticket: id,
            recipient: input.recipient.clone(),
        });
    }
    if let Some(performance) = input.context.ended(ticket, input.at) {
        return Err(E::PerformanceEnded {
            ticket: id,
            performance: performance.id,
            ended_at: performance.ends_at,
        });
    }
    let rule =
        find_rule(input.context.rules, wallet.usage_rule).ok_or(InputError::UsageRuleNotFound {
            ticket: id,
            rule: wallet.usage_rule,
        })?;
    if !rule.transfer {
        return Err(E::TransferDisabled {
            ticket: id,
            rule: rule.id,
        });
    }
    if wallet.activated.is_some() && !rule.transfer_after_activation {
        return Err(E::ActivatedTicket {
            ticket: id,
            rule: rule.id,
        });
    }
    if wallet.checked_at.is_some() && !rule.transfer_after_check {
        return Err(E::CheckedTicket {
            ticket: id,
            rule: rule.id,
        });
    }
    if wallet.controlled_at.is_some() && !rule.transfer_after_control {
        return Err(E::ControlledTicket {
            ticket: id,
            rule: rule.id,
        });
    }
    if wallet.level >= rule.max_transfers.get() {
        return Err(E::TransferLimitReached {
            ticket: id,
            level: wallet.level,
            limit: rule.max_transfers.get(),
        });
    }
    Ok(
        if wallet.owners.previous.as_ref() == Some(input.recipient) {
            Direction::Backward
        } else {
            Direction::Forward
        },
    )
}
