//! Which record: the key of every stored record, its kind and id.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::feed::ReaderName;
use crate::id::{
    CommandId, OrganizerId, PerformanceId, PointOfSaleId, SpectatorId, TicketId, TransferGroupId,
    UsageRuleId,
};

/// The kind of a stored record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum RecordKind {
    /// A [`Ticket`](crate::Ticket).
    Ticket,
    /// A [`TransferGroup`](crate::TransferGroup).
    TransferGroup,
    /// A [`PointOfSale`](crate::PointOfSale).
    PointOfSale,
    /// A [`UsageRule`](crate::UsageRule).
    UsageRule,
    /// An [`OrganizerSettings`](crate::OrganizerSettings).
    Settings,
    /// A processed command's [`CommandRecord`](crate::command::CommandRecord) (X3).
    Command,
    /// A [`Performance`](crate::Performance).
    Performance,
    /// A feed reader's [`ReaderCursor`](crate::feed::ReaderCursor) (F3).
    Reader,
    /// What an organizer keeps about a spectator: its lock (L1).
    Spectator,
}

impl RecordKind {
    /// A stable lower-case name, for table names or key prefixes.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ticket => "ticket",
            Self::TransferGroup => "transfer_group",
            Self::PointOfSale => "point_of_sale",
            Self::UsageRule => "usage_rule",
            Self::Settings => "settings",
            Self::Command => "command",
            Self::Performance => "performance",
            Self::Reader => "reader",
            Self::Spectator => "spectator",
        }
    }
}

/// The key of a stored record: its kind and id.
///
/// # Examples
///
/// ```
/// use secure_ticket::TicketId;
/// use secure_ticket::store::{RecordKey, RecordKind};
///
/// let key = RecordKey::Ticket(TicketId::from_u128(1));
/// assert_eq!(key.kind(), RecordKind::Ticket);
/// assert_eq!(key.to_string(), "ticket 00000000-0000-0000-0000-000000000001");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum RecordKey {
    /// A ticket.
    Ticket(TicketId),
    /// A transfer group.
    TransferGroup(TransferGroupId),
    /// A point of sale.
    PointOfSale(PointOfSaleId),
    /// A usage rule.
    UsageRule(UsageRuleId),
    /// An organizer's settings.
    Settings(OrganizerId),
    /// A processed command: command ids are scoped per organizer (X7).
    Command(CommandKey),
    /// A performance.
    Performance(PerformanceId),
    /// A feed reader's cursor.
    Reader(ReaderKey),
    /// A spectator's record ([`Spectator`](crate::spectator::Spectator)).
    Spectator(SpectatorId),
}

/// The key of a command record: command ids are scoped per organizer (X7), so two organizers may
/// use the same command id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CommandKey {
    /// The organizer that sent the command.
    pub organizer: OrganizerId,
    /// The command's id.
    pub id: CommandId,
}

impl CommandKey {
    /// The key of command `id` of `organizer`.
    #[must_use]
    pub const fn new(organizer: OrganizerId, id: CommandId) -> Self {
        Self { organizer, id }
    }
}

/// The key of a feed reader's cursor: readers are named per organizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReaderKey {
    /// The organizer whose feed it reads.
    pub organizer: OrganizerId,
    /// The reader's name.
    pub name: ReaderName,
}

impl RecordKey {
    /// The record's kind.
    #[must_use]
    pub const fn kind(&self) -> RecordKind {
        match self {
            Self::Ticket(_) => RecordKind::Ticket,
            Self::TransferGroup(_) => RecordKind::TransferGroup,
            Self::PointOfSale(_) => RecordKind::PointOfSale,
            Self::UsageRule(_) => RecordKind::UsageRule,
            Self::Settings(_) => RecordKind::Settings,
            Self::Command(_) => RecordKind::Command,
            Self::Performance(_) => RecordKind::Performance,
            Self::Reader(_) => RecordKind::Reader,
            Self::Spectator(_) => RecordKind::Spectator,
        }
    }

    /// The record's id as a UUID, unique within its kind: what a store keys the record by,
    /// next to [`kind`](Self::kind).
    ///
    /// For a command record and a reader cursor, whose keys hold an organizer too, it is derived
    /// from the whole key: [`digest::derive_uuid`](crate::digest::derive_uuid)`(organizer,
    /// command, "command", 0)` for a command; for a reader, the UUID version 8 made of the
    /// [`Digester`](crate::digest::Digester) of domain `"secure-ticket/reader-key"` over the
    /// organizer and the name.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::store::{CommandKey, RecordKey};
    /// use secure_ticket::{CommandId, OrganizerId};
    ///
    /// let one = RecordKey::Command(CommandKey::new(OrganizerId::from_u128(1), CommandId::from_u128(5)));
    /// let two = RecordKey::Command(CommandKey::new(OrganizerId::from_u128(2), CommandId::from_u128(5)));
    /// assert_ne!(one.uuid(), two.uuid()); // the same command id, two organizers
    /// ```
    #[must_use]
    pub fn uuid(&self) -> uuid::Uuid {
        match self {
            Self::Ticket(id) => id.as_uuid(),
            Self::TransferGroup(id) => id.as_uuid(),
            Self::PointOfSale(id) => id.as_uuid(),
            Self::UsageRule(id) => id.as_uuid(),
            Self::Settings(id) => id.as_uuid(),
            Self::Command(key) => {
                crate::digest::derive_uuid(key.organizer.as_uuid(), key.id.as_uuid(), "command", 0)
            }
            Self::Performance(id) => id.as_uuid(),
            Self::Reader(key) => {
                let mut digester = crate::digest::Digester::new("secure-ticket/reader-key");
                digester.write(&key.organizer);
                digester.write(key.name.as_str());
                let bytes = *digester.finish().as_bytes();
                uuid::Builder::from_custom_bytes(bytes).into_uuid()
            }
            Self::Spectator(id) => id.as_uuid(),
        }
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            self.kind().as_str().replace('_', " "),
            self.uuid()
        )
    }
}
