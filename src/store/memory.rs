use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::hash::Hash;
use std::ops::Bound;
use std::sync::{Arc, RwLock};

use time::OffsetDateTime;

use super::plan::Pass;
use super::{
    Batch, CommandKey, Operation, Pruned, Read, ReadPlan, Record, RecordKey, Store, StoreError,
    Version, Versioned,
};
use crate::command::CommandRecord;
use crate::feed::{FeedAppend, FeedEntry, FeedQuery, Position};
use crate::id::{OrganizerId, TicketId, TransferGroupId};
use crate::id_hash::{IdHashState, IdMap, IdSet};
use crate::index::{self, Hit, Index, IndexEntry, Lookup, SortKey, Term};
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
/// let rule = Record::UsageRule(UsageRule::new(secure_ticket::OrganizerId::from_u128(1), UsageRuleId::from_u128(1)));
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

/// One table per kind of record, as a database would have: a command record costs its own
/// 128 bytes, not the room of a ticket.
#[derive(Debug, Default)]
struct Tables {
    tickets: IdMap<TicketId, Slot<Ticket>>,
    groups: IdMap<TransferGroupId, Slot<TransferGroup>>,
    commands: IdMap<CommandKey, Slot<CommandRecord>>,
    /// Usage rules, points of sale, settings, performances and reader cursors: few, and read by
    /// many commands.
    others: IdMap<RecordKey, Slot<Record>>,
    /// Index entries (Q1): one list per (index, organizer, term), in sort order.
    index: IdMap<(Index, OrganizerId, Term), List>,
    /// The entries of the unique indexes (contract item 10): one per (index, organizer, term),
    /// without a list around it (a valid ticket per right would otherwise cost a tree node).
    unique: IdMap<(Index, OrganizerId, Term), (SortKey, RecordKey)>,
    /// The organizers with command records: retention (X8) walks their `CommandsByTime` lists.
    command_organizers: BTreeSet<OrganizerId>,
    /// The feed (F2): consecutive positions from the first entry kept (retention removes a
    /// prefix), each command's entry, and each organizer's positions in order.
    feed: VecDeque<FeedEntry>,
    feed_of: IdMap<CommandKey, Position>,
    feed_by_organizer: IdMap<OrganizerId, VecDeque<Position>>,
    last_position: Position,
}

/// One list of an index, in sort order. Most lists hold one entry (a spectator's one ticket, a
/// right's one ticket): those are kept without a tree node.
#[derive(Debug)]
enum List {
    One(SortKey, RecordKey),
    Many(BTreeMap<SortKey, RecordKey>),
}

impl List {
    /// Adds (or replaces) the entry at `sort`.
    fn insert(&mut self, sort: SortKey, key: RecordKey) {
        match self {
            Self::One(at, held) if *at == sort => *held = key,
            Self::One(at, held) => *self = Self::Many(BTreeMap::from([(*at, *held), (sort, key)])),
            Self::Many(list) => {
                list.insert(sort, key);
            }
        }
    }

    /// Removes the entry at `sort`; whether the list is empty then.
    fn remove(&mut self, sort: SortKey) -> bool {
        match self {
            Self::One(at, _) => *at == sort,
            Self::Many(list) => {
                list.remove(&sort);
                list.is_empty()
            }
        }
    }

    /// The first entry.
    fn first(&self) -> Option<(SortKey, RecordKey)> {
        match self {
            Self::One(sort, key) => Some((*sort, *key)),
            Self::Many(list) => list.first_key_value().map(|(sort, key)| (*sort, *key)),
        }
    }

    /// At most `limit` entries in `(from, until]`, in order.
    fn hits(&self, from: Bound<SortKey>, until: SortKey, limit: usize) -> Vec<Hit> {
        match self {
            Self::One(sort, key) => {
                let after_from = match from {
                    Bound::Excluded(from) => *sort > from,
                    Bound::Included(from) => *sort >= from,
                    Bound::Unbounded => true,
                };
                if after_from && *sort <= until && limit > 0 {
                    vec![Hit {
                        sort: *sort,
                        key: *key,
                    }]
                } else {
                    Vec::new()
                }
            }
            Self::Many(list) => list
                .range((from, Bound::Included(until)))
                .take(limit)
                .map(|(sort, key)| Hit {
                    sort: *sort,
                    key: *key,
                })
                .collect(),
        }
    }
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
            RecordKey::Command(key) => self.commands.get(key).map(|s| s.version),
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
            RecordKey::Command(command) => {
                Some(self.commands.get(command)?.read(key, Record::Command))
            }
            other => Some(self.others.get(other)?.read(key, |record| record)),
        }
    }

    /// Stores `record` at `version`.
    fn write(&mut self, record: Record, version: Version) {
        match record {
            Record::Ticket(t) => put(&mut self.tickets, t.id, Slot::readable(t, version)),
            Record::TransferGroup(g) => put(&mut self.groups, g.id, Slot::readable(g, version)),
            Record::Command(c) => {
                let key = CommandKey::new(c.organizer, c.id);
                if !self.command_organizers.contains(&c.organizer) {
                    self.command_organizers.insert(c.organizer);
                }
                put(&mut self.commands, key, Slot::readable(c, version));
            }
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
            RecordKey::Command(command) => {
                put(
                    &mut tables.commands,
                    command,
                    Slot::unreadable(problem, version),
                );
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

impl Tables {
    fn query(&self, lookup: &Lookup) -> Vec<Hit> {
        if lookup.index.is_unique() {
            let found = self
                .unique
                .get(&(lookup.index, lookup.organizer, lookup.term.clone()));
            return found
                .filter(|(sort, _)| lookup.limit > 0 && lookup.contains(*sort))
                .map(|&(sort, key)| Hit { sort, key })
                .into_iter()
                .collect();
        }
        let Some(list) = self
            .index
            .get(&(lookup.index, lookup.organizer, lookup.term.clone()))
        else {
            return Vec::new();
        };
        let from = match lookup.after {
            Some(after) => Bound::Excluded(after),
            None => Bound::Unbounded,
        };
        if lookup.after.is_some_and(|after| after >= lookup.until) {
            return Vec::new();
        }
        let limit = usize::try_from(lookup.limit).unwrap_or(usize::MAX);
        list.hits(from, lookup.until, limit)
    }

    /// The entry at `position`, if kept.
    fn entry(&self, position: Position) -> Option<&FeedEntry> {
        let first = self.feed.front()?.position.get();
        let offset = position.get().checked_sub(first)?;
        self.feed.get(usize::try_from(offset).ok()?)
    }

    fn read_feed(&self, query: &FeedQuery) -> Vec<FeedEntry> {
        match query {
            FeedQuery::After {
                organizer,
                after,
                limit,
            } => {
                let Some(positions) = self.feed_by_organizer.get(organizer) else {
                    return Vec::new();
                };
                let limit = usize::try_from(*limit).unwrap_or(usize::MAX);
                let start = positions.partition_point(|p| p <= after);
                positions
                    .range(start..)
                    .take(limit)
                    .filter_map(|&position| self.entry(position).cloned())
                    .collect()
            }
            FeedQuery::Of { commands } => commands
                .iter()
                .filter_map(|key| self.entry(*self.feed_of.get(key)?).cloned())
                .collect(),
            #[allow(unreachable_patterns, reason = "non_exhaustive across crates only")]
            _ => Vec::new(),
        }
    }

    fn remove_entry(&mut self, entry: IndexEntry) {
        let list_key = (entry.index, entry.organizer, entry.term);
        if list_key.0.is_unique() {
            if self
                .unique
                .get(&list_key)
                .is_some_and(|(sort, _)| *sort == entry.sort)
            {
                self.unique.remove(&list_key);
            }
            return;
        }
        // One lookup whether the list stays or goes.
        if let Entry::Occupied(mut list) = self.index.entry(list_key)
            && list.get_mut().remove(entry.sort)
        {
            list.remove();
        }
    }

    /// Contract item 10: the first entry `added` puts in a unique index under an (organizer,
    /// term) that another record holds after the batch (an entry `removed` does not take away,
    /// or one added earlier in the batch). Linear in the batch's entries (hashed).
    fn unique_taken(&self, removed: &[IndexEntry], added: &[IndexEntry]) -> Option<StoreError> {
        let mut adds = added.iter().filter(|e| e.index.is_unique()).peekable();
        adds.peek()?;
        let gone: IdSet<(Index, OrganizerId, &Term, SortKey)> = removed
            .iter()
            .filter(|e| e.index.is_unique())
            .map(|e| (e.index, e.organizer, &e.term, e.sort))
            .collect();
        let mut claimed: IdMap<(Index, OrganizerId, &Term), RecordKey> = IdMap::default();
        for entry in adds {
            let taken = |holder: RecordKey| StoreError::UniqueEntryTaken {
                index: entry.index,
                key: entry.key,
                holder,
            };
            match claimed.entry((entry.index, entry.organizer, &entry.term)) {
                Entry::Occupied(held) if *held.get() != entry.key => {
                    return Some(taken(*held.get()));
                }
                Entry::Occupied(_) => {}
                Entry::Vacant(place) => {
                    place.insert(entry.key);
                }
            }
            let stored = self
                .unique
                .get(&(entry.index, entry.organizer, entry.term.clone()));
            let holder = stored.filter(|(sort, key)| {
                *key != entry.key
                    && !gone.contains(&(entry.index, entry.organizer, &entry.term, *sort))
            });
            if let Some((_, holder)) = holder {
                return Some(taken(*holder));
            }
        }
        None
    }

    fn apply_index(&mut self, removed: Vec<IndexEntry>, added: Vec<IndexEntry>) {
        for entry in removed {
            self.remove_entry(entry);
        }
        for entry in added {
            let list_key = (entry.index, entry.organizer, entry.term);
            if list_key.0.is_unique() {
                self.unique.insert(list_key, (entry.sort, entry.key));
                continue;
            }
            match self.index.entry(list_key) {
                Entry::Occupied(mut list) => list.get_mut().insert(entry.sort, entry.key),
                Entry::Vacant(place) => {
                    place.insert(List::One(entry.sort, entry.key));
                }
            }
        }
    }

    fn append(&mut self, append: FeedAppend) {
        let position = self.last_position.next();
        self.last_position = position;
        self.feed_of
            .insert(CommandKey::new(append.organizer, append.command), position);
        self.feed_by_organizer
            .entry(append.organizer)
            .or_default()
            .push_back(position);
        self.feed
            .push_back(FeedEntry::at_position(append, position));
    }

    /// The oldest command record of every organizer, by its `CommandsByTime` entry.
    fn oldest_command(&self) -> Option<(SortKey, RecordKey)> {
        self.command_organizers
            .iter()
            .filter_map(|&organizer| {
                let list = self
                    .index
                    .get(&(Index::CommandsByTime, organizer, Term::All))?;
                list.first()
            })
            .min()
    }

    /// The lowest position some reader of `organizer` has not passed (`None`: no reader). A
    /// reader whose cursor cannot be read holds everything: nothing it may not have read is
    /// pruned.
    fn read_up_to(&self, organizer: OrganizerId) -> Option<Position> {
        self.others
            .iter()
            .filter_map(|(key, slot)| match (key, &slot.value) {
                (RecordKey::Reader(r), Stored::Readable(Record::Reader(cursor)))
                    if r.organizer == organizer =>
                {
                    Some(cursor.position)
                }
                #[cfg(feature = "testkit")]
                (RecordKey::Reader(r), Stored::Unreadable(_)) if r.organizer == organizer => {
                    Some(Position::START)
                }
                _ => None,
            })
            .min()
    }

    fn prune(&mut self, before: OffsetDateTime, limit: u32) -> Pruned {
        let mut pruned = Pruned::default();
        let mut budget = limit;
        let horizon = SortKey::oldest_first(before);
        while let Some((sort, key)) = self.oldest_command() {
            if sort.major >= horizon {
                break;
            }
            if budget == 0 {
                pruned.more = true;
                return pruned;
            }
            let removed = match key {
                RecordKey::Command(command) => self.commands.remove(&command),
                _ => None,
            };
            match removed {
                Some(Slot {
                    value: Stored::Readable(record),
                    ..
                }) => {
                    for entry in index::entries(&Record::Command(record)) {
                        self.remove_entry(entry);
                    }
                }
                // An entry whose record is gone or unreadable: the entry goes alone.
                _ => {
                    if let RecordKey::Command(command) = key {
                        self.remove_entry(IndexEntry {
                            index: Index::CommandsByTime,
                            organizer: command.organizer,
                            term: Term::All,
                            sort,
                            key,
                        });
                    }
                }
            }
            budget = budget.saturating_sub(1);
            pruned.commands = pruned.commands.saturating_add(1);
        }
        // Feed entries: lowest positions first, while old enough and passed by every reader.
        let mut readers: BTreeMap<OrganizerId, Option<Position>> = BTreeMap::new();
        while let Some(entry) = self.feed.front() {
            let (organizer, position) = (entry.organizer, entry.position);
            let passed = *readers
                .entry(organizer)
                .or_insert_with(|| self.read_up_to(organizer));
            if entry.at >= before || passed.is_some_and(|p| position > p) {
                break;
            }
            if budget == 0 {
                pruned.more = true;
                break;
            }
            if let Some(entry) = self.feed.pop_front() {
                self.feed_of
                    .remove(&CommandKey::new(entry.organizer, entry.command));
                if let Some(positions) = self.feed_by_organizer.get_mut(&entry.organizer) {
                    positions.pop_front();
                }
            }
            budget = budget.saturating_sub(1);
            pruned.feed_entries = pruned.feed_entries.saturating_add(1);
        }
        pruned
    }
}

impl Store for MemoryStore {
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        let tables = self.tables.read().map_err(|_| poisoned(Operation::Load))?;
        // Room for the records the keys lead to (a group's tickets), so that the list of loaded
        // records, each the size of a ticket, is not moved while it grows.
        let room = keys.len().saturating_mul(2);
        let mut seen = IdSet::with_capacity_and_hasher(room, IdHashState::default());
        let mut out = Vec::with_capacity(room);
        Self::load_into(&tables, keys.iter().copied(), &mut seen, &mut out)?;
        Ok(out)
    }

    fn read(&self, plan: &ReadPlan) -> Result<Read, StoreError> {
        let tables = self.tables.read().map_err(|_| poisoned(Operation::Load))?;
        let keys = plan.keys();
        // Room for the records the keys lead to (a group's tickets), so that the list of loaded
        // records, each the size of a ticket, is not moved while it grows.
        let room = keys.len().saturating_mul(2);
        let mut seen = IdSet::with_capacity_and_hasher(room, IdHashState::default());
        let mut out = Vec::with_capacity(room);
        Self::load_into(&tables, keys.iter().copied(), &mut seen, &mut out)?;
        let mut hits = Vec::with_capacity(plan.lookups().len());
        for lookup in plan.lookups() {
            let found = tables.query(lookup);
            Self::load_into(&tables, found.iter().map(|h| h.key), &mut seen, &mut out)?;
            hits.push(found);
        }
        for pass in [Pass::Groups, Pass::Tickets] {
            let mut next = Vec::with_capacity(out.len());
            for record in &out {
                plan.leads(&record.value, pass, &mut next);
            }
            if !next.is_empty() {
                Self::load_into(&tables, next, &mut seen, &mut out)?;
            }
        }
        let feed = match plan.replayed(&out) {
            Some(query) => tables.read_feed(&query),
            None => Vec::new(),
        };
        Ok(Read {
            records: out,
            hits,
            feed,
        })
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
        if let Some(taken) = tables.unique_taken(&batch.index.removed, &batch.index.added) {
            return Err(taken);
        }
        let Batch {
            writes,
            index,
            feed,
        } = batch;
        for write in writes {
            tables.write(write.record, write.expected.next());
        }
        tables.apply_index(index.removed, index.added);
        for append in feed {
            tables.append(append);
        }
        Ok(())
    }

    fn query(&self, lookup: &Lookup) -> Result<Vec<Hit>, StoreError> {
        let tables = self.tables.read().map_err(|_| poisoned(Operation::Load))?;
        Ok(tables.query(lookup))
    }

    fn feed(&self, query: &FeedQuery) -> Result<Vec<FeedEntry>, StoreError> {
        let tables = self.tables.read().map_err(|_| poisoned(Operation::Load))?;
        Ok(tables.read_feed(query))
    }

    fn prune(&self, before: OffsetDateTime, limit: u32) -> Result<Pruned, StoreError> {
        let mut tables = self
            .tables
            .write()
            .map_err(|_| poisoned(Operation::Commit))?;
        Ok(tables.prune(before, limit))
    }
}
