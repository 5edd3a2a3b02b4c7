//! Stored records, their versions, and a value with the version it was read at.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::command::CommandRecord;
use crate::feed::ReaderCursor;
use crate::id::OrganizerId;
use crate::organizer::OrganizerSettings;
use crate::performance::Performance;
use crate::point_of_sale::PointOfSale;
use crate::record_key::{CommandKey, ReaderKey, RecordKey};
use crate::spectator::Spectator;
use crate::ticket::Ticket;
use crate::transfer_group::TransferGroup;
use crate::usage_rule::UsageRule;

/// The version of a stored record: 0 ([`Version::NEW`]) for a record that does not exist yet, then
/// 1, 2, ... one more at every successful write.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Version(u64);

impl Version {
    /// The version expected when creating a record: it must not exist.
    pub const NEW: Self = Self(0);

    /// Wraps a number (as a database column holds it).
    #[must_use]
    pub const fn new(value: u64) -> Self {
        Self(value)
    }

    /// The version a successful write produces.
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }

    /// The number.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::NEW {
            f.pad("absent")
        } else {
            write!(f, "v{}", self.0)
        }
    }
}

/// A value with the version it was loaded at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    /// The value.
    pub value: T,
    /// Its stored version.
    pub version: Version,
}

/// A stored record of any kind.
#[allow(
    clippy::large_enum_variant,
    reason = "tickets dominate; boxing them would allocate on every load"
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Record {
    /// A ticket.
    Ticket(Ticket),
    /// A transfer group.
    TransferGroup(TransferGroup),
    /// A point of sale.
    PointOfSale(PointOfSale),
    /// A usage rule.
    UsageRule(UsageRule),
    /// An organizer's settings.
    Settings(OrganizerSettings),
    /// A processed command.
    Command(CommandRecord),
    /// A performance.
    Performance(Performance),
    /// A feed reader's cursor.
    Reader(ReaderCursor),
    /// A spectator's record (its lock, L1).
    Spectator(Spectator),
}

impl Record {
    /// The record's key, derived from its id.
    #[must_use]
    pub fn key(&self) -> RecordKey {
        match self {
            Self::Ticket(t) => RecordKey::Ticket(t.id),
            Self::TransferGroup(g) => RecordKey::TransferGroup(g.id),
            Self::PointOfSale(p) => RecordKey::PointOfSale(p.id),
            Self::UsageRule(r) => RecordKey::UsageRule(r.id),
            Self::Settings(s) => RecordKey::Settings(s.id),
            Self::Command(c) => RecordKey::Command(CommandKey::new(c.organizer, c.id)),
            Self::Performance(p) => RecordKey::Performance(p.id),
            Self::Reader(r) => RecordKey::Reader(ReaderKey {
                organizer: r.organizer,
                name: r.name,
            }),
            Self::Spectator(s) => RecordKey::Spectator(s.id()),
        }
    }

    /// The organizer the record belongs to (X7).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::store::Record;
    /// use secure_ticket::{OrganizerId, UsageRule, UsageRuleId};
    ///
    /// let rule = UsageRule::new(OrganizerId::from_u128(3), UsageRuleId::from_u128(1));
    /// assert_eq!(Record::UsageRule(rule).organizer(), OrganizerId::from_u128(3));
    /// ```
    #[must_use]
    pub fn organizer(&self) -> OrganizerId {
        match self {
            Self::Ticket(t) => t.organizer,
            Self::TransferGroup(g) => g.organizer,
            Self::PointOfSale(p) => p.organizer,
            Self::UsageRule(r) => r.organizer,
            Self::Settings(s) => s.id,
            Self::Command(c) => c.organizer,
            Self::Performance(p) => p.organizer,
            Self::Reader(r) => r.organizer,
            Self::Spectator(s) => s.organizer,
        }
    }
}
