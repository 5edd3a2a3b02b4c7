//! Which record: the key of every stored record, its kind and id.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::id::{CommandId, OrganizerId, PointOfSaleId, TicketId, TransferGroupId, UsageRuleId};

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
    /// A processed command.
    Command(CommandId),
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
        }
    }

    /// The record's id as a UUID (unique within its kind).
    #[must_use]
    pub const fn uuid(&self) -> uuid::Uuid {
        match self {
            Self::Ticket(id) => id.as_uuid(),
            Self::TransferGroup(id) => id.as_uuid(),
            Self::PointOfSale(id) => id.as_uuid(),
            Self::UsageRule(id) => id.as_uuid(),
            Self::Settings(id) => id.as_uuid(),
            Self::Command(id) => id.as_uuid(),
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
