//! Back-office transfers by organizer staff (SPEC S1-S9).

use std::collections::BTreeMap;
use std::sync::Arc;

use time::OffsetDateTime;

use super::context::Context;
use super::initiate::MAX_TICKETS;
use super::shared::{
    GroupCommandError, check_named, check_not_before, check_open, close_group, find_ticket,
    first_repeated,
};
use crate::changes::TicketIds;
use crate::decision::Decision;
use crate::email::Email;
use crate::error_kind::ErrorKind;
use crate::event::Event;
use crate::id::{CommandId, OrganizerId, PerformanceId, TicketId, TransferGroupId};
use crate::input_error::InputError;
use crate::organizer::OrganizerSettings;
use crate::record_key::RecordKey;
use crate::rfc3339::rfc3339;
use crate::staff::{Forbidden, Permission, Reason, Staff, StaffAction};
use crate::ticket::{InvalidationReason, Ticket, WalletStatus};
use crate::transfer_group::{Acceptance, Direction, TransferGroup, TransferStatus};

/// Command: a staff member moves tickets from their current owners to a recipient (S1), past the
/// usage rule's gates, Keep One and locks (S4).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackOfficeTransfer {
    /// Who acts: their role must hold [`Permission::InitiateTransfer`] (S2).
    pub staff: Staff,
    /// Why (S3): stored on each group and carried by its events.
    pub reason: Reason,
    /// The future owner of every ticket.
    pub recipient: Email,
    /// The tickets, each once, at most [`MAX_TICKETS`].
    pub tickets: Vec<TicketId>,
    /// Ids for the new groups, one per (owner, direction) in the order of the tickets (S6): the
    /// first group takes the first id, and so on; extra ids are unused.
    /// [`BackOfficeTransfer::derived_groups`] derives enough of them from a command id.
    pub groups: Vec<TransferGroupId>,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

impl BackOfficeTransfer {
    /// `count` group ids derived from the command id (the same on every retry, X3): the `i`-th
    /// is [`derive_uuid`](crate::digest::derive_uuid)`(organizer, command, "transfer_group", i)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::BackOfficeTransfer;
    /// use secure_ticket::{CommandId, OrganizerId};
    ///
    /// let ids = BackOfficeTransfer::derived_groups(OrganizerId::from_u128(1), CommandId::from_u128(2), 3);
    /// assert_eq!(ids.len(), 3);
    /// assert_eq!(ids, BackOfficeTransfer::derived_groups(OrganizerId::from_u128(1), CommandId::from_u128(2), 3));
    /// ```
    #[must_use]
    pub fn derived_groups(
        organizer: OrganizerId,
        command: CommandId,
        count: u32,
    ) -> Vec<TransferGroupId> {
        (0..count.min(MAX_TICKETS as u32))
            .map(|i| {
                TransferGroupId::new(crate::digest::derive_uuid(
                    organizer.as_uuid(),
                    command.as_uuid(),
                    "transfer_group",
                    i,
                ))
            })
            .collect()
    }
}

/// Why a back-office transfer could not be made. Nothing changed.
///
/// ### Handling
/// [`Forbidden`](Self::Forbidden): the staff member's role may not transfer; the list errors and
/// [`Input`](Self::Input): fix the request; the others: the ticket cannot move now (S5).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum BackOfficeTransferError {
    /// More tickets than one command may carry ([`MAX_TICKETS`]), or more group ids.
    #[error(
        "a back-office transfer carries at most {max} tickets and {max} group ids, not {count}; split it"
    )]
    TooManyTickets {
        /// How many were given.
        count: usize,
        /// The most allowed.
        max: usize,
    },
    /// The command lists no ticket.
    #[error("the transfer lists no ticket; choose at least one ticket to send")]
    EmptyTicketList,
    /// The command lists a ticket twice.
    #[error("ticket {ticket} is listed twice in the transfer; list each ticket once")]
    DuplicateTicket {
        /// The repeated ticket.
        ticket: TicketId,
    },
    /// A group id is given twice.
    #[error("the group id {group} is given twice; give each new group its own id")]
    DuplicateGroupId {
        /// The repeated id.
        group: TransferGroupId,
    },
    /// The staff role does not hold [`Permission::InitiateTransfer`] (S2).
    #[error(transparent)]
    Forbidden(Forbidden),
    /// The ticket is not in any wallet yet.
    #[error("ticket {ticket} has not been injected into TIXnGO; inject it before transferring it")]
    #[serde(rename = "TICKET_NOT_INJECTED")]
    NotInjected {
        /// The ticket.
        ticket: TicketId,
    },
    /// The ticket is DELETION_PENDING or DELETED (S5).
    #[error("ticket {ticket} is {status} and can no longer be transferred")]
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
    /// The ticket is in a PENDING group (S5, T4).
    #[error(
        "ticket {ticket} is already pending in transfer group {group}; cancel that transfer first"
    )]
    #[serde(rename = "TICKET_PENDING_TRANSFER")]
    AlreadyPendingTransfer {
        /// The ticket.
        ticket: TicketId,
        /// Its pending group.
        group: TransferGroupId,
    },
    /// The ticket's `controlled` flag is set (S5): a ticket scanned at the gate stays put.
    #[error(
        "ticket {ticket} is controlled; a controlled ticket cannot be transferred, even by staff"
    )]
    #[serde(rename = "TICKET_CONTROLLED")]
    ControlledTicket {
        /// The ticket.
        ticket: TicketId,
    },
    /// The ticket's performance has ended (S5, E1).
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
    /// The recipient already owns the ticket.
    #[error("ticket {ticket} already belongs to {recipient}; choose another recipient")]
    #[serde(rename = "RECIPIENT_IS_SENDER")]
    RecipientIsOwner {
        /// The ticket.
        ticket: TicketId,
        /// The recipient, its owner.
        recipient: Email,
    },
    /// Fewer group ids than groups to create (S6).
    #[error(
        "the tickets make {needed} groups (one per owner and direction) but {given} group ids were given; give at least {needed}"
    )]
    NotEnoughGroupIds {
        /// Groups to create.
        needed: usize,
        /// Ids given.
        given: usize,
    },
    /// A record the command names is missing (a ticket, or a usage rule for the level).
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl From<Forbidden> for BackOfficeTransferError {
    fn from(f: Forbidden) -> Self {
        Self::Forbidden(f)
    }
}

impl BackOfficeTransferError {
    /// The error's stable code; [`Input`](Self::Input) gives its [`InputError::code`].
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::BackOfficeTransferError;
    /// use secure_ticket::TicketId;
    ///
    /// let error = BackOfficeTransferError::ControlledTicket { ticket: TicketId::from_u128(1) };
    /// assert_eq!(error.code(), "TICKET_CONTROLLED");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooManyTickets { .. } => "TOO_MANY_TICKETS",
            Self::EmptyTicketList => "EMPTY_TICKET_LIST",
            Self::DuplicateTicket { .. } => "DUPLICATE_TICKET",
            Self::DuplicateGroupId { .. } => "DUPLICATE_GROUP_ID",
            Self::Forbidden(f) => f.code(),
            Self::NotInjected { .. } => "TICKET_NOT_INJECTED",
            Self::TicketDeleted { .. } => "TICKET_DELETED",
            Self::TicketInvalidated { .. } => "TICKET_INVALIDATED",
            Self::AlreadyPendingTransfer { .. } => "TICKET_PENDING_TRANSFER",
            Self::ControlledTicket { .. } => "TICKET_CONTROLLED",
            Self::PerformanceEnded { .. } => "PERFORMANCE_ENDED",
            Self::RecipientIsOwner { .. } => "RECIPIENT_IS_SENDER",
            Self::NotEnoughGroupIds { .. } => "NOT_ENOUGH_GROUP_IDS",
            Self::Input(input) => input.code(),
        }
    }

    /// What kind of failure this is.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::TooManyTickets { .. }
            | Self::EmptyTicketList
            | Self::DuplicateTicket { .. }
            | Self::DuplicateGroupId { .. }
            | Self::RecipientIsOwner { .. }
            | Self::NotEnoughGroupIds { .. } => ErrorKind::InvalidInput,
            Self::Input(input) => input.kind(),
            Self::Forbidden(_)
            | Self::NotInjected { .. }
            | Self::TicketDeleted { .. }
            | Self::TicketInvalidated { .. }
            | Self::AlreadyPendingTransfer { .. }
            | Self::ControlledTicket { .. }
            | Self::PerformanceEnded { .. } => ErrorKind::Refused,
        }
    }
}

/// A back-office transfer (S1-S9): each ticket leaves its current owner for the recipient, in
/// one group per (owner, direction), all created or none (S6). The groups need no explicit
/// acceptance (S7): they complete at the recipient's next sign-in. U2, T2, T3, Keep One and the
/// owner's lock do not apply (S4); controlled, deleted or invalidated tickets, tickets of an
/// ended performance and pending tickets are refused (S5).
///
/// `context` gives the tickets' usage rules (not read here: completion reads them), the
/// organizer's acceptance settings (A4's deadline applies) and the performances (E1).
///
/// # Errors
///
/// In this order: [`TooManyTickets`](BackOfficeTransferError::TooManyTickets),
/// [`EmptyTicketList`](BackOfficeTransferError::EmptyTicketList),
/// [`DuplicateTicket`](BackOfficeTransferError::DuplicateTicket),
/// [`DuplicateGroupId`](BackOfficeTransferError::DuplicateGroupId),
/// [`Forbidden`](BackOfficeTransferError::Forbidden); per ticket
/// [`Input`](BackOfficeTransferError::Input) with [`InputError::TicketNotFound`],
/// [`NotInjected`](BackOfficeTransferError::NotInjected),
/// [`TicketDeleted`](BackOfficeTransferError::TicketDeleted),
/// [`TicketInvalidated`](BackOfficeTransferError::TicketInvalidated),
/// [`AlreadyPendingTransfer`](BackOfficeTransferError::AlreadyPendingTransfer),
/// [`ControlledTicket`](BackOfficeTransferError::ControlledTicket),
/// [`PerformanceEnded`](BackOfficeTransferError::PerformanceEnded),
/// [`RecipientIsOwner`](BackOfficeTransferError::RecipientIsOwner); then
/// [`NotEnoughGroupIds`](BackOfficeTransferError::NotEnoughGroupIds).
///
/// # Examples
///
/// ```
/// use secure_ticket::staff::{Reason, Staff, StaffRole};
/// use secure_ticket::transfer::{self, BackOfficeTransfer, Context};
/// use secure_ticket::{injection, Email, OrganizerId, OrganizerSettings, StaffId, TransferGroupId, UsageRule, UsageRuleId};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let ticket = Ticket::new(OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let rules = [UsageRule::new(OrganizerId::from_u128(1), UsageRuleId::from_u128(1)).with_transfer(false)];
/// let injected = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: Email::parse("alice@example.com")?, usage_rule: rules[0].id, at,
/// })?.tickets.remove(0).ok_or("no ticket")?;
///
/// // The rule allows no transfer, but staff may still move the ticket (S4).
/// let settings = OrganizerSettings::new(OrganizerId::from_u128(1));
/// let decision = transfer::back_office_transfer(&[injected.clone()], &settings, &Context::new(&rules), &BackOfficeTransfer {
///     staff: Staff::new(StaffId::from_u128(5), StaffRole::Advanced),
///     reason: Reason::parse("seat swap at the box office")?,
///     recipient: Email::parse("bob@example.com")?,
///     tickets: vec![injected.id],
///     groups: vec![TransferGroupId::from_u128(9)],
///     at,
/// })?;
/// assert!(decision.groups[0].is_back_office());
/// assert!(!decision.groups[0].needs_explicit_acceptance());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn back_office_transfer(
    tickets: &[Ticket],
    settings: &OrganizerSettings,
    context: &Context<'_>,
    command: &BackOfficeTransfer,
) -> Result<Decision, BackOfficeTransferError> {
    use BackOfficeTransferError as E;
    let count = command.tickets.len().max(command.groups.len());
    if count > MAX_TICKETS {
        return Err(E::TooManyTickets {
            count,
            max: MAX_TICKETS,
        });
    }
    if command.tickets.is_empty() {
        return Err(E::EmptyTicketList);
    }
    if let Some(ticket) = first_repeated(&command.tickets) {
        return Err(E::DuplicateTicket { ticket });
    }
    if let Some(group) = first_repeated(&command.groups) {
        return Err(E::DuplicateGroupId { group });
    }
    settings
        .roles
        .check(&command.staff, Permission::InitiateTransfer)?;
    // Each ticket's (owner, direction) group, in the order of first appearance (S6).
    let mut order: BTreeMap<(&Email, bool), usize> = BTreeMap::new();
    let mut members: Vec<(usize, &Ticket)> = Vec::with_capacity(command.tickets.len());
    let mut heads: Vec<(&Email, Direction)> = Vec::new();
    for &id in &command.tickets {
        let ticket = find_ticket(tickets, id).ok_or(InputError::TicketNotFound { ticket: id })?;
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
        if let Some(invalidation) = &ticket.distribution.invalidation {
            return Err(E::TicketInvalidated {
                ticket: id,
                reason: invalidation.reason.clone(),
            });
        }
        if let Some(group) = wallet.pending_group {
            return Err(E::AlreadyPendingTransfer { ticket: id, group });
        }
        if wallet.controlled_at.is_some() {
            return Err(E::ControlledTicket { ticket: id });
        }
        if let Some(performance) = context.ended(ticket, command.at) {
            return Err(E::PerformanceEnded {
                ticket: id,
                performance: performance.id,
                ended_at: performance.ends_at,
            });
        }
        if wallet.owners.current == command.recipient {
            return Err(E::RecipientIsOwner {
                ticket: id,
                recipient: command.recipient.clone(),
            });
        }
        let direction = if wallet.owners.previous.as_ref() == Some(&command.recipient) {
            Direction::Backward
        } else {
            Direction::Forward
        };
        let head = (&wallet.owners.current, direction);
        let next = order.len();
        let index = *order
            .entry((head.0, direction == Direction::Backward))
            .or_insert(next);
        if index == heads.len() {
            heads.push(head);
        }
        members.push((index, ticket));
    }
    if heads.len() > command.groups.len() {
        return Err(E::NotEnoughGroupIds {
            needed: heads.len(),
            given: command.groups.len(),
        });
    }
    let action = Arc::new(StaffAction::new(command.staff, command.reason.clone()));
    let mut decision = Decision::default();
    // Members by group, in ticket order within each (a stable sort): O(n log n).
    members.sort_by_key(|(index, _)| *index);
    let groups = members.chunk_by(|a, b| a.0 == b.0);
    for (mine, ((sender, direction), &group_id)) in groups.zip(heads.iter().zip(&command.groups)) {
        let ids: TicketIds = mine.iter().map(|(_, t)| t.id).collect();
        for (_, ticket) in mine {
            let mut pending = (*ticket).clone();
            if let Some(wallet) = pending.wallet.as_mut() {
                wallet.pending_group = Some(group_id);
            }
            decision.tickets.push(pending);
        }
        let performance_ends_at = context.earliest_end(mine.iter().map(|(_, t)| *t));
        decision.events.push(Event::TransferInitiated {
            group: group_id,
            direction: *direction,
            sender: (*sender).clone(),
            recipient: command.recipient.clone(),
            tickets: ids.clone(),
            at: command.at,
            back_office: Some(Arc::clone(&action)),
        });
        decision.created.push(RecordKey::TransferGroup(group_id));
        decision.groups.push(TransferGroup {
            id: group_id,
            organizer: settings.id,
            sender: (*sender).clone(),
            recipient: command.recipient.clone(),
            direction: *direction,
            tickets: ids,
            status: TransferStatus::Pending,
            // S7: completes at the recipient's next sign-in, whatever A1 says.
            acceptance: Acceptance::Automatic,
            created_at: command.at,
            expires_at: context
                .settings
                .expire_after
                .and_then(|after| command.at.checked_add(after.duration())),
            closed_at: None,
            replaces: None,
            performance_ends_at,
            back_office: Some(Arc::clone(&action)),
        });
    }
    Ok(decision)
}

/// Command: a staff member cancels a back-office group (S8).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CancelBackOfficeTransfer {
    /// The group.
    pub group: TransferGroupId,
    /// Who cancels: their role must hold [`Permission::InitiateTransfer`] (S8).
    pub staff: Staff,
    /// Why (recorded on the `TRANSFER_CANCELLED` event).
    pub reason: Reason,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a back-office group could not be cancelled. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum CancelBackOfficeError {
    /// The staff role does not hold [`Permission::InitiateTransfer`] (S8).
    #[error(transparent)]
    Forbidden(Forbidden),
    /// The group is a spectator's transfer: its sender cancels it, not staff.
    #[error("transfer group {group} is a spectator's transfer; only its sender may cancel it")]
    NotBackOfficeGroup {
        /// The group.
        group: TransferGroupId,
    },
    /// The group already has a final status.
    #[error("transfer group {group} is {status}, not PENDING; it can no longer be cancelled")]
    #[serde(rename = "TRANSFER_NOT_PENDING")]
    NotPending {
        /// The group.
        group: TransferGroupId,
        /// Its status.
        status: TransferStatus,
    },
    /// A record the command names is missing, or the records given disagree.
    #[error(transparent)]
    #[serde(untagged)]
    Input(#[from] InputError),
}

impl From<Forbidden> for CancelBackOfficeError {
    fn from(f: Forbidden) -> Self {
        Self::Forbidden(f)
    }
}

impl GroupCommandError for CancelBackOfficeError {
    fn not_pending(group: TransferGroupId, status: TransferStatus) -> Self {
        Self::NotPending { group, status }
    }
}

impl CancelBackOfficeError {
    /// The error's stable code; [`Input`](Self::Input) gives its [`InputError::code`].
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::CancelBackOfficeError;
    /// use secure_ticket::TransferGroupId;
    ///
    /// let error = CancelBackOfficeError::NotBackOfficeGroup { group: TransferGroupId::from_u128(1) };
    /// assert_eq!(error.code(), "NOT_BACK_OFFICE_GROUP");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(f) => f.code(),
            Self::NotBackOfficeGroup { .. } => "NOT_BACK_OFFICE_GROUP",
            Self::NotPending { .. } => "TRANSFER_NOT_PENDING",
            Self::Input(input) => input.code(),
        }
    }

    /// What kind of failure this is.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Input(input) => input.kind(),
            Self::Forbidden(_) | Self::NotBackOfficeGroup { .. } | Self::NotPending { .. } => {
                ErrorKind::Refused
            }
        }
    }
}

/// Cancels a PENDING back-office group (S8): CANCELLED, its tickets back with their owner; the
/// `TRANSFER_CANCELLED` event names the staff member, role and reason (`cancelled_by`).
///
/// # Errors
///
/// In this order: [`Input`](CancelBackOfficeError::Input) with [`InputError::GroupNotFound`],
/// [`Forbidden`](CancelBackOfficeError::Forbidden),
/// [`NotBackOfficeGroup`](CancelBackOfficeError::NotBackOfficeGroup),
/// [`NotPending`](CancelBackOfficeError::NotPending), then per ticket
/// [`Input`](CancelBackOfficeError::Input).
///
/// # Examples
///
/// ```
/// use secure_ticket::staff::{Reason, Staff, StaffRole};
/// use secure_ticket::transfer::{self, CancelBackOfficeError, CancelBackOfficeTransfer};
/// use secure_ticket::{OrganizerId, OrganizerSettings, StaffId, TransferGroupId};
/// # use secure_ticket::{Email, TransferGroup, TransferStatus, Direction, TicketId};
/// # use secure_ticket::transfer::Acceptance;
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
/// # let group = TransferGroup { id: TransferGroupId::from_u128(1), organizer: OrganizerId::from_u128(1),
/// #     sender: Email::parse("a@example.com")?, recipient: Email::parse("b@example.com")?,
/// #     direction: Direction::Forward, tickets: vec![TicketId::from_u128(1)].into(), status: TransferStatus::Pending,
/// #     acceptance: Acceptance::Automatic, created_at: at, expires_at: None,
/// #     closed_at: None, replaces: None, performance_ends_at: None, back_office: None };
/// let settings = OrganizerSettings::new(OrganizerId::from_u128(1));
/// let command = CancelBackOfficeTransfer {
///     group: group.id,
///     staff: Staff::new(StaffId::from_u128(5), StaffRole::Admin),
///     reason: Reason::parse("sent by mistake")?,
///     at,
/// };
/// // A spectator's group is its sender's to cancel.
/// assert!(matches!(
///     transfer::cancel_back_office(&group, &[], &settings, &command),
///     Err(CancelBackOfficeError::NotBackOfficeGroup { .. })
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cancel_back_office(
    group: &TransferGroup,
    tickets: &[Ticket],
    settings: &OrganizerSettings,
    command: &CancelBackOfficeTransfer,
) -> Result<Decision, CancelBackOfficeError> {
    use CancelBackOfficeError as E;
    check_named::<E>(group, command.group)?;
    settings
        .roles
        .check(&command.staff, Permission::InitiateTransfer)?;
    if !group.is_back_office() {
        return Err(E::NotBackOfficeGroup { group: group.id });
    }
    check_open::<E>(group)?;
    check_not_before::<E>(group, command.at)?;
    let mut decision = close_group(group, tickets, TransferStatus::Cancelled, command.at)?;
    for event in decision.events.as_mut_slice() {
        if let Event::TransferCancelled { cancelled_by, .. } = event {
            *cancelled_by = Some(StaffAction::new(command.staff, command.reason.clone()));
        }
    }
    Ok(decision)
}
