//! Stored records, their versions, and a value with the version it was read at.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::command::CommandRecord;
use crate::organizer::OrganizerSettings;
use crate::point_of_sale::PointOfSale;
use crate::record_key::RecordKey;
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
    Command(Box<CommandRecord>),
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
            Self::Command(c) => RecordKey::Command(c.id),
        }
    }
}
