use std::collections::hash_map::Entry;
use std::hash::Hash;

use crate::id_hash::{IdHashState, IdMap, IdSet};
use std::sync::{Arc, RwLock};

use super::plan::leads_of;
use super::{Batch, Operation, ReadPlan, Record, RecordKey, Store, StoreError, Version, Versioned};
use crate::command::CommandRecord;
use crate::id::{CommandId, TicketId, TransferGroupId};
use crate::ticket::Ticket;
use crate::transfer_group::TransferGroup;

/// The embedded store: records in memory, behind a lock, with exactly the contract of [`Store`],
/// conflicts included (SPEC X4).
///
/// Cloning a `MemoryStore` gives another handle on the same records, as a second connection to one
/// database would.
///
/// # Examples
///
/// ```
/// use secure_ticket::store::{Batch, MemoryStore, Record, Store, StoreError, Version};
/// use secure_ticket::{UsageRule, UsageRuleId};
///
/// let store = MemoryStore::new();
/// let rule = Record::UsageRule(UsageRule::new(UsageRuleId::from_u128(1)));
/// store.commit(Batch::new().with(rule.clone(), Version::NEW))?;
/// // A second writer that also believed the rule absent loses:
/// let stale = store.commit(Batch::new().with(rule, Version::NEW));
/// assert!(matches!(stale, Err(StoreError::Conflict { .. })));
/// # Ok::<(), StoreError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    tables: Arc<RwLock<Tables>>,
}

/// One table per kind of record, as a database would have: a command record costs its id, its
/// version and a pointer, not the room of a ticket.
#[derive(Debug, Default)]
struct Tables {
    tickets: IdMap<TicketId, Slot<Ticket>>,
    groups: IdMap<TransferGroupId, Slot<TransferGroup>>,
    commands: IdMap<CommandId, Slot<Box<CommandRecord>>>,
    /// Usage rules, points of sale and organizer settings: few, and read by many commands.
    others: IdMap<RecordKey, Slot<Record>>,
}

/// A stored record and its version.
#[derive(Debug)]
struct Slot<T> {
    version: Version,
    value: Stored<T>,
}

#[derive(Debug)]
enum Stored<T> {
    Readable(T),
    #[cfg(feature = "testkit")]
    Unreadable(Unreadable),
}

impl<T> Slot<T> {
    const fn readable(value: T, version: Version) -> Self {
        Self {
            version,
            value: Stored::Readable(value),
        }
    }

    #[cfg(feature = "testkit")]
    const fn unreadable(problem: Unreadable, version: Version) -> Self {
        Self {
            version,
            value: Stored::Unreadable(problem),
        }
    }
}

impl<T: Clone> Slot<T> {
    /// A copy of the record as `wrap` makes it a [`Record`], or the planted problem.
    #[cfg_attr(
        not(feature = "testkit"),
        expect(unused_variables, reason = "only a planted problem names its key")
    )]
    fn read(
        &self,
        key: RecordKey,
        wrap: impl FnOnce(T) -> Record,
    ) -> Result<Versioned<Record>, StoreError> {
        match &self.value {
            Stored::Readable(value) => Ok(Versioned {
                value: wrap(value.clone()),
                version: self.version,
            }),
            #[cfg(feature = "testkit")]
            Stored::Unreadable(problem) => Err(problem.error(key)),
        }
    }
}

/// Stores `slot` under `key`, in place when the key exists (the old record is dropped where it
/// lies).
fn put<K: Eq + Hash, T>(table: &mut IdMap<K, Slot<T>>, key: K, slot: Slot<T>) {
    match table.entry(key) {
        Entry::Occupied(mut found) => *found.get_mut() = slot,
        Entry::Vacant(empty) => {
            empty.insert(slot);
        }
    }
}

impl Tables {
    fn len(&self) -> usize {
        [
            self.tickets.len(),
            self.groups.len(),
            self.commands.len(),
            self.others.len(),
        ]
        .into_iter()
        .fold(0, usize::saturating_add)
    }

    /// The stored version of `key` ([`Version::NEW`] when absent).
    fn version(&self, key: &RecordKey) -> Version {
        match key {
            RecordKey::Ticket(id) => self.tickets.get(id).map(|s| s.version),
            RecordKey::TransferGroup(id) => self.groups.get(id).map(|s| s.version),
            RecordKey::Command(id) => self.commands.get(id).map(|s| s.version),
            other => self.others.get(other).map(|s| s.version),
        }
        .unwrap_or(Version::NEW)
    }

    /// A copy of the record under `key`, if any.
    fn read(&self, key: RecordKey) -> Option<Result<Versioned<Record>, StoreError>> {
        match &key {
            RecordKey::Ticket(id) => Some(self.tickets.get(id)?.read(key, Record::Ticket)),
            RecordKey::TransferGroup(id) => {
                Some(self.groups.get(id)?.read(key, Record::TransferGroup))
            }
            RecordKey::Command(id) => Some(self.commands.get(id)?.read(key, Record::Command)),
            other => Some(self.others.get(other)?.read(key, |record| record)),
        }
    }

    /// Stores `record` at `version`.
    fn write(&mut self, record: Record, version: Version) {
        match record {
            Record::Ticket(t) => put(&mut self.tickets, t.id, Slot::readable(t, version)),
            Record::TransferGroup(g) => put(&mut self.groups, g.id, Slot::readable(g, version)),
            Record::Command(c) => put(&mut self.commands, c.id, Slot::readable(c, version)),
            other => put(
                &mut self.others,
                other.key(),
                Slot::readable(other, version),
            ),
        }
    }
}

/// A bad record to plant in a [`MemoryStore`], for conformance tests (feature `testkit`).
#[cfg(feature = "testkit")]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unreadable {
    /// Bytes that are not a record; the string says why.
    Corrupt(String),
    /// A record of a newer format.
    NewerFormat {
        /// Its format.
        format: u32,
        /// The oldest reader format that can read it.
        min_reader: u32,
    },
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many records are stored.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if a thread panicked while holding the lock.
    pub fn len(&self) -> Result<usize, StoreError> {
        Ok(self
            .tables
            .read()
            .map_err(|_| poisoned(Operation::Load))?
            .len())
    }

    /// Whether the store is empty.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if a thread panicked while holding the lock.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// Puts an unreadable record under `key`, as a damaged or newer database would hold it
    /// (feature `testkit`).
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] if a thread panicked while holding the lock.
    #[cfg(feature = "testkit")]
    pub fn plant_unreadable(&self, key: RecordKey, problem: Unreadable) -> Result<(), StoreError> {
        let mut tables = self
            .tables
            .write()
            .map_err(|_| poisoned(Operation::Commit))?;
        let version = tables.version(&key).next();
        match key {
            RecordKey::Ticket(id) => {
                put(&mut tables.tickets, id, Slot::unreadable(problem, version))
            }
            RecordKey::TransferGroup(id) => {
                put(&mut tables.groups, id, Slot::unreadable(problem, version));
            }
            RecordKey::Command(id) => {
                put(&mut tables.commands, id, Slot::unreadable(problem, version));
            }
            other => put(
                &mut tables.others,
                other,
                Slot::unreadable(problem, version),
            ),
        }
        Ok(())
    }
}

/// The lock was poisoned by a panicking thread.
#[derive(Debug, thiserror::Error)]
#[error("the memory store's lock is poisoned: a thread panicked while holding it")]
struct Poisoned;

fn poisoned(operation: Operation) -> StoreError {
    StoreError::Backend {
        operation,
        key: None,
        source: Box::new(Poisoned),
    }
}

#[cfg(feature = "testkit")]
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct PlantedCorruption(String);

#[cfg(feature = "testkit")]
impl Unreadable {
    /// The error a load of `key` gives.
    fn error(&self, key: RecordKey) -> StoreError {
        match self {
            Self::Corrupt(why) => StoreError::Corrupt {
                key,
                operation: Operation::Load,
                source: Box::new(PlantedCorruption(why.clone())),
            },
            Self::NewerFormat { format, min_reader } => StoreError::UnsupportedFormat {
                key,
                format: *format,
                min_reader: *min_reader,
                reader: super::Envelope::READER,
            },
        }
    }
}

impl MemoryStore {
    /// Appends the records under `keys` that are not in `seen` yet to `out`, from tables already
    /// locked.
    fn load_into(
        tables: &Tables,
        keys: impl IntoIterator<Item = RecordKey>,
        seen: &mut IdSet<RecordKey>,
        out: &mut Vec<Versioned<Record>>,
    ) -> Result<(), StoreError> {
        for key in keys {
            if !seen.insert(key) {
                continue;
            }
            if let Some(found) = tables.read(key) {
                out.push(found?);
            }
        }
        Ok(())
    }
}

impl Store for MemoryStore {
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        let tables = self.tables.read().map_err(|_| poisoned(Operation::Load))?;
        let mut seen = IdSet::with_capacity_and_hasher(keys.len(), IdHashState::default());
        let mut out = Vec::with_capacity(keys.len());
        Self::load_into(&tables, keys.iter().copied(), &mut seen, &mut out)?;
        Ok(out)
    }

    /// Follows the whole plan under one read lock: one consistent read. What
    /// [`ReadPlan::read_with`] does, with one set of the keys seen for every pass (a load per
    /// pass would build its own).
    fn read(&self, plan: &ReadPlan) -> Result<Vec<Versioned<Record>>, StoreError> {
        let tables = self.tables.read().map_err(|_| poisoned(Operation::Load))?;
        let keys = plan.keys();
        let mut seen = IdSet::with_capacity_and_hasher(keys.len(), IdHashState::default());
        let mut out = Vec::with_capacity(keys.len());
        Self::load_into(&tables, keys.iter().copied(), &mut seen, &mut out)?;
        for (group_tickets, usage_rules) in
            [(plan.group_tickets(), false), (false, plan.usage_rules())]
        {
            if !group_tickets && !usage_rules {
                continue;
            }
            let mut next = Vec::new();
            for record in &out {
                leads_of(&record.value, group_tickets, usage_rules, &mut next);
            }
            Self::load_into(&tables, next, &mut seen, &mut out)?;
        }
        Ok(out)
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        let mut tables = self
            .tables
            .write()
            .map_err(|_| poisoned(Operation::Commit))?;
        let mut keys = IdSet::with_capacity_and_hasher(batch.writes.len(), IdHashState::default());
        let mut conflict = None;
        for write in &batch.writes {
            let key = write.record.key();
            if !keys.insert(key) {
                return Err(StoreError::DuplicateKey { key });
            }
            let actual = tables.version(&key);
            if actual != write.expected && conflict.is_none() {
                conflict = Some(StoreError::Conflict {
                    key,
                    expected: write.expected,
                    actual,
                });
            }
        }
        if let Some(conflict) = conflict {
            return Err(conflict);
        }
        for write in batch.writes {
            tables.write(write.record, write.expected.next());
        }
        Ok(())
    }
}
