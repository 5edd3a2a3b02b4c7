//! Writes that land together or not at all.

use crate::feed::FeedAppend;
use crate::index::IndexChanges;
use crate::record_key::RecordKey;
use crate::store::{Record, Version};

/// One write of a [`Batch`]: the new state of a record and the version the writer based it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// The record, in full.
    pub record: Record,
    /// The version the record must have now: [`Version::NEW`] to create it.
    pub expected: Version,
}

/// Writes that land together or not at all, with the index changes they make (Q1) and the feed
/// entries they append (F1).
///
/// # Examples
///
/// ```
/// use secure_ticket::store::{Batch, MemoryStore, Record, RecordKey, Store, Version};
/// use secure_ticket::{UsageRule, UsageRuleId};
///
/// let store = MemoryStore::new();
/// let rule = UsageRule::new(secure_ticket::OrganizerId::from_u128(1), UsageRuleId::from_u128(1));
/// store.commit(Batch::new().with(Record::UsageRule(rule), Version::NEW))?;
/// let loaded = store.load(&[RecordKey::UsageRule(rule.id)])?;
/// assert_eq!(loaded[0].version, Version::NEW.next());
/// # Ok::<(), secure_ticket::store::StoreError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Batch {
    /// The writes, each record at most once.
    pub writes: Vec<Write>,
    /// The index entries the writes remove and add: applied in the same commit, removals first.
    pub index: IndexChanges,
    /// The feed entries to append, in order: the store gives them the next positions when the
    /// commit lands, so positions follow commit order.
    pub feed: Vec<FeedAppend>,
}

impl Batch {
    /// An empty batch.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            writes: Vec::new(),
            index: IndexChanges::new(),
            feed: Vec::new(),
        }
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
            index: IndexChanges::new(),
            feed: Vec::new(),
        }
    }

    /// Adds a write, with the index changes it makes: a record created (`expected` is
    /// [`Version::NEW`]) adds all its entries. For an update, use [`push_update`](Self::push_update)
    /// with the record as read, so that its old entries are removed.
    pub fn push(&mut self, record: Record, expected: Version) {
        self.index.diff(None, &record);
        self.writes.push(Write { record, expected });
    }

    /// Adds the write of `record` over `old` (the record as read at `expected`), with the index
    /// entries that change between them.
    pub fn push_update(&mut self, old: Option<&Record>, record: Record, expected: Version) {
        self.index.diff(old, &record);
        self.writes.push(Write { record, expected });
    }

    /// Adds a write, builder style.
    #[must_use]
    pub fn with(mut self, record: Record, expected: Version) -> Self {
        self.push(record, expected);
        self
    }

    /// The first key written twice, if any: such a batch is refused with
    /// [`StoreError::DuplicateKey`](crate::store::StoreError::DuplicateKey).
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
