//! The storage contract: how the shell loads and commits records, with optimistic concurrency
//! (SPEC X4, X5).
//!
//! Callers implement [`Store`] over their own database; [`MemoryStore`] is the embedded default,
//! and the crate's `examples/sqlite_store.rs` is a worked SQL implementation. Records travel in a
//! versioned [`Envelope`] so that old and new service instances can share one database during a
//! rolling upgrade.

mod async_store;
mod envelope;
mod memory;
mod plan;

#[cfg(feature = "testkit")]
pub mod conformance;

pub use crate::record_key::{RecordKey, RecordKind};
pub use async_store::{AsyncStore, Blocking};
pub use envelope::{Decoded, Envelope};
pub use memory::MemoryStore;
#[cfg(feature = "testkit")]
pub use memory::Unreadable;
pub use plan::ReadPlan;

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::command::CommandRecord;
use crate::error_kind::ErrorKind;
use crate::organizer::OrganizerSettings;
use crate::point_of_sale::PointOfSale;
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

/// One write of a [`Batch`]: the new state of a record and the version the writer based it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// The record, in full.
    pub record: Record,
    /// The version the record must have now: [`Version::NEW`] to create it.
    pub expected: Version,
}

/// Writes that land together or not at all.
///
/// # Examples
///
/// ```
/// use secure_ticket::store::{Batch, MemoryStore, Record, RecordKey, Store, Version};
/// use secure_ticket::{UsageRule, UsageRuleId};
///
/// let store = MemoryStore::new();
/// let rule = UsageRule::new(UsageRuleId::from_u128(1));
/// store.commit(Batch::new().with(Record::UsageRule(rule), Version::NEW))?;
/// let loaded = store.load(&[RecordKey::UsageRule(rule.id)])?;
/// assert_eq!(loaded[0].version, Version::NEW.next());
/// # Ok::<(), secure_ticket::store::StoreError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Batch {
    /// The writes, each record at most once.
    pub writes: Vec<Write>,
}

impl Batch {
    /// An empty batch.
    #[must_use]
    pub const fn new() -> Self {
        Self { writes: Vec::new() }
    }

    /// An empty batch with room for `writes` writes (no reallocation while it fills).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::store::Batch;
    ///
    /// let batch = Batch::with_capacity(3);
    /// assert!(batch.writes.is_empty() && batch.writes.capacity() >= 3);
    /// ```
    #[must_use]
    pub fn with_capacity(writes: usize) -> Self {
        Self {
            writes: Vec::with_capacity(writes),
        }
    }

    /// Adds a write.
    pub fn push(&mut self, record: Record, expected: Version) {
        self.writes.push(Write { record, expected });
    }

    /// Adds a write, builder style.
    #[must_use]
    pub fn with(mut self, record: Record, expected: Version) -> Self {
        self.push(record, expected);
        self
    }

    /// The first key written twice, if any: such a batch is refused with
    /// [`StoreError::DuplicateKey`].
    #[must_use]
    pub fn duplicate_key(&self) -> Option<RecordKey> {
        let mut seen = crate::id_hash::IdSet::default();
        seen.reserve(self.writes.len());
        self.writes
            .iter()
            .map(|w| w.record.key())
            .find(|key| !seen.insert(*key))
    }
}

/// What a store was doing when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Loading records.
    Load,
    /// Committing a batch.
    Commit,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Load => "loading",
            Self::Commit => "committing",
        })
    }
}

/// A boxed backend error.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Why a store could not load or commit.
///
/// ### Handling
/// [`Conflict`](Self::Conflict): another writer got there first; reload and decide again (the
/// shell does), and when retries run out answer 409/503 so the client retries.
/// [`UnsupportedFormat`](Self::UnsupportedFormat): a newer service version wrote the record;
/// upgrade this instance. [`Corrupt`](Self::Corrupt) and [`Backend`](Self::Backend): operator
/// attention. [`DuplicateKey`](Self::DuplicateKey): a bug in the caller's batch.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A write expected another version than the stored one (X4); nothing was written.
    #[error(
        "conflict when committing {key}: expected {expected}, found {actual}; reload and decide again"
    )]
    Conflict {
        /// The record.
        key: RecordKey,
        /// The version the write expected.
        expected: Version,
        /// The version stored ([`Version::NEW`] when absent).
        actual: Version,
    },
    /// The record was written by a newer, incompatible format (X5).
    #[error(
        "{key} is stored in format {format}, which needs a reader of format {min_reader} or later; this build \
         reads up to {reader}: upgrade this service"
    )]
    UnsupportedFormat {
        /// The record.
        key: RecordKey,
        /// The format it was written in.
        format: u32,
        /// The oldest reader format that can read it.
        min_reader: u32,
        /// The newest format this build reads.
        reader: u32,
    },
    /// The stored bytes are not a record.
    #[error("{key} is unreadable when {operation}: {source}")]
    Corrupt {
        /// The record.
        key: RecordKey,
        /// What was being done.
        operation: Operation,
        /// Why it could not be read.
        source: BoxError,
    },
    /// Records read in different rounds of one attempt contradict each other: another writer
    /// committed between the rounds (a torn read). Like [`Conflict`](Self::Conflict), the shell
    /// reads again and decides again; this is returned only when the attempts ran out.
    #[error(
        "{key} changed while the command was being read (another writer committed meanwhile); try again"
    )]
    ChangedDuringRead {
        /// The record whose state contradicts a record read earlier.
        key: RecordKey,
    },
    /// The same record appears twice in one batch; nothing was written.
    #[error("{key} is written twice in one batch; write each record once")]
    DuplicateKey {
        /// The record.
        key: RecordKey,
    },
    /// The database failed.
    #[error("the store failed when {operation}{}: {source}", key.map(|k| format!(" {k}")).unwrap_or_default())]
    Backend {
        /// What was being done.
        operation: Operation,
        /// The record concerned, when known.
        key: Option<RecordKey>,
        /// The backend's error.
        source: BoxError,
    },
}

impl StoreError {
    /// Whether another writer got there first: a [`Conflict`](Self::Conflict) or a
    /// [`ChangedDuringRead`](Self::ChangedDuringRead). Retrying the command may succeed.
    #[must_use]
    pub const fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict { .. } | Self::ChangedDuringRead { .. })
    }
}

impl StoreError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE: `STORE_CONFLICT`, `CHANGED_DURING_READ`,
    /// `UNSUPPORTED_FORMAT`, `CORRUPT_RECORD`, `DUPLICATE_KEY_IN_BATCH` or `STORE_BACKEND`.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::store::{RecordKey, StoreError};
    /// use secure_ticket::TicketId;
    ///
    /// let error = StoreError::DuplicateKey { key: RecordKey::Ticket(TicketId::from_u128(1)) };
    /// assert_eq!(error.code(), "DUPLICATE_KEY_IN_BATCH");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Conflict { .. } => "STORE_CONFLICT",
            Self::ChangedDuringRead { .. } => "CHANGED_DURING_READ",
            Self::UnsupportedFormat { .. } => "UNSUPPORTED_FORMAT",
            Self::Corrupt { .. } => "CORRUPT_RECORD",
            Self::DuplicateKey { .. } => "DUPLICATE_KEY_IN_BATCH",
            Self::Backend { .. } => "STORE_BACKEND",
        }
    }

    /// What kind of failure this is: [`ErrorKind::Conflict`] for [`Conflict`](Self::Conflict)
    /// and [`ChangedDuringRead`](Self::ChangedDuringRead) (a retry may succeed),
    /// [`ErrorKind::InvalidInput`] for [`DuplicateKey`](Self::DuplicateKey) (the batch is
    /// wrong), [`ErrorKind::Unavailable`] for the others (operator attention).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::store::{RecordKey, StoreError, Version};
    /// use secure_ticket::{ErrorKind, TicketId};
    ///
    /// let key = RecordKey::Ticket(TicketId::from_u128(1));
    /// let error = StoreError::Conflict { key, expected: Version::NEW, actual: Version::NEW.next() };
    /// assert_eq!(error.kind(), ErrorKind::Conflict);
    /// assert_eq!(error.kind().http_status(), 409);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Conflict { .. } | Self::ChangedDuringRead { .. } => ErrorKind::Conflict,
            Self::DuplicateKey { .. } => ErrorKind::InvalidInput,
            Self::UnsupportedFormat { .. } | Self::Corrupt { .. } | Self::Backend { .. } => {
                ErrorKind::Unavailable
            }
        }
    }
}

/// Storage for secure-ticket records, implemented over the caller's database.
///
/// Synchronous and `&self`: an implementation is a handle to a pool, shared by threads and by
/// several service instances on one database. Its async twin is [`AsyncStore`], with the same
/// contract; [`Blocking`] runs a `Store` under it.
///
/// # Implementing this trait
///
/// Store each record as its [`Envelope`] (`Envelope::new(record)`), encoded however you like (a
/// JSON text or `jsonb` column, bytes), with its version in a column you can compare; any key
/// order decodes ([`Envelope`] says how `jsonb` keeps it readable). Decode with [`Decoded`]
/// (`Deserialize`) and turn it into a record with [`Decoded::into_record`], which refuses newer
/// formats and records stored under the wrong key. Run the conformance suite of the `testkit`
/// feature (`store::conformance::run_all`) against your implementation.
///
/// # To ensure correctness
///
/// 1. `commit` is atomic: every write of the batch lands, or none does.
/// 2. Each write carries `expected`. If the stored version differs (an absent record has version
///    [`Version::NEW`]), return [`StoreError::Conflict`] `{ key, expected, actual }` and write
///    nothing. A batch that writes a key twice is refused with [`StoreError::DuplicateKey`].
/// 3. On success each written record's version becomes `expected.next()`. Versions never go
///    backwards and are never reused.
/// 4. A successful commit is visible to every later `load`, through any handle on the same database.
/// 5. `load` is batched: one round trip for all the keys. Missing keys are absent from the result,
///    not errors. The result holds each found key once, in no particular order: match by
///    [`Record::key`]. `read` returns what `load` would for the plan's keys, and may add the
///    records the plan leads to; whatever it returns was true at one moment (one snapshot), or
///    the shell may decide on records that never coexisted.
/// 6. An unreadable record gives [`StoreError::Corrupt`], one of a newer format
///    [`StoreError::UnsupportedFormat`]; never a panic, never a silently wrong record.
pub trait Store {
    /// Loads the records stored under `keys`, in one round trip.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`], [`StoreError::UnsupportedFormat`] for an unreadable record;
    /// [`StoreError::Backend`] when the database fails.
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError>;

    /// Reads what a [`ReadPlan`] asks for: the records under its keys and, if the store can, in
    /// the same read, the records it leads to (a group's tickets, the tickets' usage rules).
    ///
    /// The default reads the keys only ([`load`](Self::load)); the shell then asks again for
    /// the rest, one round per step. Override it with [`ReadPlan::read_with`] inside one read
    /// transaction so that a command costs one read.
    ///
    /// # Errors
    ///
    /// As [`load`](Self::load).
    fn read(&self, plan: &ReadPlan) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.load(plan.keys())
    }

    /// Writes a batch atomically, each write checked against its expected version.
    ///
    /// The batch is taken by value, as `sled` and `rocksdb` take theirs: a store that keeps
    /// records in memory moves them in rather than copying them. A caller that wants to retry the
    /// same batch after an error clones it first (the shell decides again instead).
    ///
    /// # Errors
    ///
    /// [`StoreError::Conflict`] when a version differs, [`StoreError::DuplicateKey`] when a key is
    /// written twice (nothing written in both cases); [`StoreError::Backend`] when the database fails.
    fn commit(&self, batch: Batch) -> Result<(), StoreError>;
}

impl<S: Store + ?Sized> Store for &S {
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        (**self).load(keys)
    }

    fn read(&self, plan: &ReadPlan) -> Result<Vec<Versioned<Record>>, StoreError> {
        (**self).read(plan)
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        (**self).commit(batch)
    }
}

impl<S: Store + ?Sized> Store for Arc<S> {
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        (**self).load(keys)
    }

    fn read(&self, plan: &ReadPlan) -> Result<Vec<Versioned<Record>>, StoreError> {
        (**self).read(plan)
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        (**self).commit(batch)
    }
}

impl<S: Store + ?Sized> Store for Box<S> {
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        (**self).load(keys)
    }

    fn read(&self, plan: &ReadPlan) -> Result<Vec<Versioned<Record>>, StoreError> {
        (**self).read(plan)
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        (**self).commit(batch)
    }
}
