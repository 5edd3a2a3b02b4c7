//! Feed entries and their positions.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::changes::Events;
use crate::id::{CommandId, OrganizerId};
use crate::record_key::CommandKey;

/// A place in the feed: entries have increasing positions, given by the store in commit order.
/// [`Position::START`] (0) is before the first entry.
///
/// # Examples
///
/// ```
/// use secure_ticket::feed::Position;
///
/// assert!(Position::START < Position::new(1));
/// assert_eq!(Position::new(7).get(), 7);
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Position(u64);

impl Position {
    /// Before the first entry: a new reader starts here.
    pub const START: Self = Self(0);

    /// Wraps a number (as a database column holds it).
    #[must_use]
    pub const fn new(value: u64) -> Self {
        Self(value)
    }

    /// The number.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The next position (saturating).
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The events of one committed command, as the shell hands them to
/// [`Store::commit`](crate::store::Store::commit) in a [`Batch`](crate::store::Batch): the store
/// gives the entry its position when the commit lands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedAppend {
    /// The organizer of the command (X7): only its readers see the entry.
    pub organizer: OrganizerId,
    /// The command that produced the events (its record points here, for retries).
    pub command: CommandId,
    /// The command's time: retention ([`Store::prune`](crate::store::Store::prune)) compares it
    /// with the horizon.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
    /// The events, in the order the command produced them.
    pub events: Events,
}

/// A committed feed entry: the events of one command at their position.
///
/// # Examples
///
/// ```
/// use secure_ticket::feed::{FeedEntry, Position};
/// use secure_ticket::{CommandId, Events, OrganizerId};
/// use time::macros::datetime;
///
/// let entry = FeedEntry {
///     position: Position::new(1),
///     organizer: OrganizerId::from_u128(1),
///     command: CommandId::from_u128(9),
///     at: datetime!(2026-11-23 12:00 UTC),
///     events: Events::new(),
/// };
/// assert!(entry.position > Position::START);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedEntry {
    /// Where it is in the feed.
    pub position: Position,
    /// The organizer of the command.
    pub organizer: OrganizerId,
    /// The command that produced the events.
    pub command: CommandId,
    /// The command's time.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
    /// The events, in order.
    pub events: Events,
}

impl FeedEntry {
    /// The entry an append becomes at `position`.
    #[must_use]
    pub fn at_position(append: FeedAppend, position: Position) -> Self {
        Self {
            position,
            organizer: append.organizer,
            command: append.command,
            at: append.at,
            events: append.events,
        }
    }
}

/// What to read from the feed ([`Store::feed`](crate::store::Store::feed)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedQuery {
    /// The organizer's entries after `after`, in position order, at most `limit` of them.
    After {
        /// Whose entries.
        organizer: OrganizerId,
        /// Strictly after this position.
        after: Position,
        /// At most this many (the shell keeps it within 1 to 1,000).
        limit: u32,
    },
    /// The entries of these commands, in any order (a retry's first result); a command without
    /// an entry is left out.
    Of {
        /// The commands.
        commands: Vec<CommandKey>,
    },
}
