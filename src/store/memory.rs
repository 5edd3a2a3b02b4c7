use crate::fast_hash::{FastMap, FastSet};
use std::collections::hash_map::Entry;
use std::sync::{Arc, RwLock};

use super::{Batch, Operation, Record, RecordKey, Store, StoreError, Version, Versioned};

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
    records: Arc<RwLock<FastMap<RecordKey, Slot>>>,
}

#[allow(
    clippy::large_enum_variant,
    reason = "tickets dominate; boxing them would allocate on every load"
)]
#[derive(Debug, Clone)]
enum Slot {
    Readable(Versioned<Record>),
    #[cfg(feature = "testkit")]
    Unreadable {
        version: Version,
        problem: Unreadable,
    },
}

impl Slot {
    const fn version(&self) -> Version {
        match self {
            Self::Readable(v) => v.version,
            #[cfg(feature = "testkit")]
            Self::Unreadable { version, .. } => *version,
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
            .records
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
        let mut records = self
            .records
            .write()
            .map_err(|_| poisoned(Operation::Commit))?;
        let version = records.get(&key).map_or(Version::NEW, Slot::version).next();
        records.insert(key, Slot::Unreadable { version, problem });
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

impl Store for MemoryStore {
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        let records = self.records.read().map_err(|_| poisoned(Operation::Load))?;
        let mut seen = FastSet::with_capacity_and_hasher(keys.len(), Default::default());
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            if !seen.insert(*key) {
                continue;
            }
            match records.get(key) {
                None => {}
                Some(Slot::Readable(found)) => out.push(found.clone()),
                #[cfg(feature = "testkit")]
                Some(Slot::Unreadable { problem, .. }) => {
                    return Err(match problem {
                        Unreadable::Corrupt(why) => StoreError::Corrupt {
                            key: *key,
                            operation: Operation::Load,
                            source: Box::new(PlantedCorruption(why.clone())),
                        },
                        Unreadable::NewerFormat { format, min_reader } => {
                            StoreError::UnsupportedFormat {
                                key: *key,
                                format: *format,
                                min_reader: *min_reader,
                                reader: super::Envelope::READER,
                            }
                        }
                    });
                }
            }
        }
        Ok(out)
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        let mut records = self
            .records
            .write()
            .map_err(|_| poisoned(Operation::Commit))?;
        let mut keys = FastSet::with_capacity_and_hasher(batch.writes.len(), Default::default());
        let mut conflict = None;
        for write in &batch.writes {
            let key = write.record.key();
            if !keys.insert(key) {
                return Err(StoreError::DuplicateKey { key });
            }
            let actual = records.get(&key).map_or(Version::NEW, Slot::version);
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
            let key = write.record.key();
            let versioned = Versioned {
                value: write.record,
                version: write.expected.next(),
            };
            // In place when the key exists: the old record is dropped where it lies.
            match records.entry(key) {
                Entry::Occupied(mut slot) => *slot.get_mut() = Slot::Readable(versioned),
                Entry::Vacant(slot) => {
                    slot.insert(Slot::Readable(versioned));
                }
            }
        }
        Ok(())
    }
}
