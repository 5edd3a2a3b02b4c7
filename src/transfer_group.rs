use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::changes::TicketIds;
use crate::email::Email;
use crate::id::{CommandId, OrganizerId, TransferGroupId};
use crate::staff::StaffAction;

/// The record created by each transfer initiation (SPEC T5).
///
/// # Examples
///
/// A group is created by [`initiate`](crate::transfer::initiate); see there for a full example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferGroup {
    /// The caller-given id.
    pub id: TransferGroupId,
    /// The organizer of its tickets (X7). A format-1 record reads as [`OrganizerId::default()`].
    #[serde(default)]
    pub organizer: OrganizerId,
    /// The current owner who initiated the transfer.
    pub sender: Email,
    /// The future owner, if the transfer completes.
    pub recipient: Email,
    /// FORWARD or BACKWARD (T6); one direction per group (T7).
    pub direction: Direction,
    /// The tickets that move together (T13: no partial acceptance).
    pub tickets: TicketIds,
    /// Where the group stands.
    pub status: TransferStatus,
    /// Whether the recipient must accept explicitly, as decided at initiation (A1, A2).
    pub acceptance: Acceptance,
    /// When the group was initiated.
    #[serde(with = "crate::rfc3339")]
    pub created_at: OffsetDateTime,
    /// After this instant the group can be expired and no longer accepted (A4).
    #[serde(
        default,
        with = "crate::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub expires_at: Option<OffsetDateTime>,
    /// When the group reached its final status.
    #[serde(
        default,
        with = "crate::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub closed_at: Option<OffsetDateTime>,
    /// For a group created by editing a recipient (T12): the group it replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<TransferGroupId>,
    /// The earliest end of its tickets' performances, as known at initiation (E1): from then on
    /// the group can no longer complete, and the expiry sweep expires it.
    #[serde(
        default,
        with = "crate::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub performance_ends_at: Option<OffsetDateTime>,
    /// For a back-office transfer (S1): the staff member who initiated it, their role and reason
    /// (S3). Such a group completes at the recipient's next sign-in (S7) and only staff cancel it
    /// (S8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_office: Option<Arc<StaffAction>>,
}

impl TransferGroup {
    /// Whether the group still waits for an outcome.
    #[must_use]
    pub const fn is_pending(&self) -> bool {
        matches!(self.status, TransferStatus::Pending)
    }

    /// Whether the recipient must accept this group explicitly (A1; never for BACKWARD, A2).
    #[must_use]
    pub const fn needs_explicit_acceptance(&self) -> bool {
        matches!(self.acceptance, Acceptance::Explicit)
    }

    /// When the expiry sweep may expire the group: its deadline (A4) or its performance's end
    /// (E1), whichever comes first; `None` when it has neither.
    ///
    /// # Examples
    ///
    /// ```
    /// # use secure_ticket::{Email, OrganizerId, TransferGroup, TransferGroupId, TransferStatus, Direction, TicketId};
    /// # use secure_ticket::transfer::Acceptance;
    /// use time::macros::datetime;
    /// # let mut group = TransferGroup { id: TransferGroupId::from_u128(1), organizer: OrganizerId::from_u128(1),
    /// #     sender: Email::parse("a@example.com")?, recipient: Email::parse("b@example.com")?,
    /// #     direction: Direction::Forward, tickets: vec![TicketId::from_u128(1)].into(), status: TransferStatus::Pending,
    /// #     acceptance: Acceptance::Automatic, created_at: datetime!(2026-12-01 10:00 UTC), expires_at: None,
    /// #     closed_at: None, replaces: None, performance_ends_at: None, back_office: None };
    /// group.expires_at = Some(datetime!(2026-12-03 10:00 UTC));
    /// group.performance_ends_at = Some(datetime!(2026-12-02 22:00 UTC));
    /// assert_eq!(group.due_at(), Some(datetime!(2026-12-02 22:00 UTC)));
    /// # Ok::<(), secure_ticket::EmailError>(())
    /// ```
    #[must_use]
    pub fn due_at(&self) -> Option<OffsetDateTime> {
        match (self.expires_at, self.performance_ends_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether a back-office transfer created the group (S1).
    #[must_use]
    pub const fn is_back_office(&self) -> bool {
        self.back_office.is_some()
    }
}

/// The direction of a transfer (SPEC T6).
///
/// Serialised as `FORWARD` / `BACKWARD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Direction {
    /// To anyone but the ticket's previous owner.
    Forward,
    /// Back to the ticket's previous owner ("return to sender", or typing that email).
    Backward,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Forward => "FORWARD",
            Self::Backward => "BACKWARD",
        })
    }
}

/// Where a transfer group stands. Every status but `PENDING` is final (T13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum TransferStatus {
    /// Waiting for acceptance, sign-in, decline, cancel, edit or expiry.
    Pending,
    /// Completed: the recipient owns the tickets (T8).
    Accepted,
    /// The recipient declined (T10).
    Declined,
    /// The sender cancelled, or edited the recipient (T10, T12).
    Cancelled,
    /// The system cancelled it past its deadline (A4).
    Expired,
}

impl fmt::Display for TransferStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Pending => "PENDING",
            Self::Accepted => "ACCEPTED",
            Self::Declined => "DECLINED",
            Self::Cancelled => "CANCELLED",
            Self::Expired => "EXPIRED",
        })
    }
}

/// How a group completes (A1, A2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Acceptance {
    /// The recipient must accept or decline.
    Explicit,
    /// The group completes at the recipient's next sign-in or sync.
    Automatic,
}

/// The caller-given ids for the groups an initiation may create: one per direction (T7).
///
/// Only the id of a direction that occurs is used. When every ticket goes one way, the other id is
/// ignored, so both may be equal; when the tickets split, they must differ.
///
/// # Examples
///
/// ```
/// use secure_ticket::{TransferGroupId, transfer::NewGroupIds};
///
/// let ids = NewGroupIds::new(TransferGroupId::from_u128(1), TransferGroupId::from_u128(2));
/// let single = NewGroupIds::single(TransferGroupId::from_u128(3));
/// assert_eq!(single.forward, single.backward);
/// # let _ = ids;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NewGroupIds {
    /// The id of the FORWARD group, if one is created.
    pub forward: TransferGroupId,
    /// The id of the BACKWARD group, if one is created.
    pub backward: TransferGroupId,
}

impl NewGroupIds {
    /// Two ids, for an initiation whose tickets may split.
    #[must_use]
    pub const fn new(forward: TransferGroupId, backward: TransferGroupId) -> Self {
        Self { forward, backward }
    }

    /// The ids a command derives for the groups it creates: the same for every retry of it, so a
    /// server that mints ids per HTTP request still sees a retry as a retry (X3). The FORWARD id
    /// is [`derive_uuid`](crate::digest::derive_uuid)`(organizer, command, "transfer_group", 0)`,
    /// the BACKWARD one the same with index 1.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::NewGroupIds;
    /// use secure_ticket::{CommandId, OrganizerId};
    ///
    /// let first = NewGroupIds::derived(OrganizerId::from_u128(1), CommandId::from_u128(7));
    /// let retry = NewGroupIds::derived(OrganizerId::from_u128(1), CommandId::from_u128(7));
    /// assert_eq!(first, retry);
    /// assert_ne!(first.forward, first.backward);
    /// ```
    #[must_use]
    pub fn derived(organizer: OrganizerId, command: CommandId) -> Self {
        let id = |index| {
            TransferGroupId::new(crate::digest::derive_uuid(
                organizer.as_uuid(),
                command.as_uuid(),
                "transfer_group",
                index,
            ))
        };
        Self {
            forward: id(0),
            backward: id(1),
        }
    }

    /// One id, for an initiation whose tickets all go one way (the usual single-ticket case).
    #[must_use]
    pub const fn single(id: TransferGroupId) -> Self {
        Self {
            forward: id,
            backward: id,
        }
    }
}
