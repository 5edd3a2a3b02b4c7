//! The storage contract, [`Store`].

use std::sync::Arc;

use crate::record_key::RecordKey;
#[cfg(doc)]
use crate::store::{AsyncStore, Blocking, Decoded, Envelope, Version};
use time::OffsetDateTime;

use crate::feed::{FeedEntry, FeedQuery};
use crate::index::{Hit, Lookup};
use crate::store::{Batch, Pruned, Read, ReadPlan, Record, StoreError, Versioned};

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
/// 7. Index entries (Q1): `commit` applies the batch's [`index`](Batch::index) changes (removals,
///    then additions) in the same atomic step as its writes; `query` returns the entries of one
///    (index, organizer, term) in ascending [`SortKey`](crate::index::SortKey) order, strictly
///    after `after`, at most `until`, at most `limit`. An entry is unique by (index, organizer,
///    term, sort).
/// 8. The feed (F1, F2): `commit` appends the batch's [`feed`](Batch::feed) entries in the same
///    atomic step, at positions above every position ever given, in batch order; a failed commit
///    appends nothing. No entry ever becomes visible at a position below one that `feed` has
///    already returned (positions follow commit order: a store whose commits serialize, like
///    SQLite's writers, gets it from a counter inside the write transaction).
/// 9. Retention (X8): `prune(before, limit)` removes at most `limit` records and entries: first
///    command records whose time is before `before` (with their index entries), oldest first
///    (by time, then command id), then, with what is left of `limit`, feed entries whose time is
///    before `before` and that every reader of their organizer has passed (a reader whose
///    cursor cannot be read has passed nothing), lowest positions first, stopping at the first
///    that may not go.
/// 10. Unique indexes (B11): after a commit, no (index, organizer, term) of an index that
///     [`Index::is_unique`](crate::index::Index::is_unique) holds entries of two records. A batch
///     that would break this, counting its own removals first (a take back adds the replacement's
///     entry and removes the old ticket's in one batch, in any order of its writes), is refused
///     with [`StoreError::UniqueEntryTaken`] naming the record that holds the entry; nothing is
///     written. Re-adding an entry a record already holds is not a conflict. In SQL, keep these
///     entries in a table whose primary key is `(index, organizer, term)`, insert with `ON
///     CONFLICT DO NOTHING`, and read the holder only when no row changed.
pub trait Store {
    /// Loads the records stored under `keys`, in one round trip.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`], [`StoreError::UnsupportedFormat`] for an unreadable record;
    /// [`StoreError::Backend`] when the database fails.
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError>;

    /// Reads what a [`ReadPlan`] asks for: the records under its keys and its lookups' entries
    /// and, if the store can, in the same read, the records they lead to (a group's tickets, the
    /// tickets' usage rules), with a retry's feed entry.
    ///
    /// The default reads the keys and the lookups' records in one [`load`](Self::load)
    /// ([`ReadPlan::read_keys_with`]); the shell then asks again for the rest, one round per
    /// step, and checks that the rounds agree. Override it with [`ReadPlan::read_with`] inside
    /// one read transaction so that a command costs one consistent read.
    ///
    /// # Errors
    ///
    /// As [`load`](Self::load).
    fn read(&self, plan: &ReadPlan) -> Result<Read, StoreError> {
        plan.read_keys_with(|keys| self.load(keys), |l| self.query(l), |q| self.feed(q))
    }

    /// Writes a batch atomically, each write checked against its expected version, with its
    /// index changes and feed entries.
    ///
    /// The batch is taken by value, as `sled` and `rocksdb` take theirs: a store that keeps
    /// records in memory moves them in rather than copying them. A caller that wants to retry the
    /// same batch after an error clones it first (the shell decides again instead).
    ///
    /// # Errors
    ///
    /// [`StoreError::Conflict`] when a version differs, [`StoreError::DuplicateKey`] when a key is
    /// written twice, [`StoreError::UniqueEntryTaken`] when a unique index would hold two records
    /// under one term (nothing written in all three cases); [`StoreError::Backend`] when the
    /// database fails.
    fn commit(&self, batch: Batch) -> Result<(), StoreError>;

    /// The entries of one index range, in ascending sort order (contract item 7).
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when the database fails.
    fn query(&self, lookup: &Lookup) -> Result<Vec<Hit>, StoreError>;

    /// Reads the feed (contract item 8): an organizer's entries after a position, or the entries
    /// of some commands.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] for an unreadable entry, [`StoreError::Backend`] when the database
    /// fails.
    fn feed(&self, query: &FeedQuery) -> Result<Vec<FeedEntry>, StoreError>;

    /// Removes old command records and fully read feed entries, at most `limit` of them
    /// (contract item 9). Call it again while [`Pruned::more`] says so.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when the database fails; nothing is half removed.
    fn prune(&self, before: OffsetDateTime, limit: u32) -> Result<Pruned, StoreError>;
}

macro_rules! forward_store {
    ($($t:tt)*) => {
        $($t)* {
            fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
                (**self).load(keys)
            }

            fn read(&self, plan: &ReadPlan) -> Result<Read, StoreError> {
                (**self).read(plan)
            }

            fn commit(&self, batch: Batch) -> Result<(), StoreError> {
                (**self).commit(batch)
            }

            fn query(&self, lookup: &Lookup) -> Result<Vec<Hit>, StoreError> {
                (**self).query(lookup)
            }

            fn feed(&self, query: &FeedQuery) -> Result<Vec<FeedEntry>, StoreError> {
                (**self).feed(query)
            }

            fn prune(&self, before: OffsetDateTime, limit: u32) -> Result<Pruned, StoreError> {
                (**self).prune(before, limit)
            }
        }
    };
}

forward_store!(impl<S: Store + ?Sized> Store for &S);
forward_store!(impl<S: Store + ?Sized> Store for Arc<S>);
forward_store!(impl<S: Store + ?Sized> Store for Box<S>);
