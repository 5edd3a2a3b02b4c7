//! The storage contract, [`Store`].

use std::sync::Arc;

use crate::record_key::RecordKey;
#[cfg(doc)]
use crate::store::{AsyncStore, Blocking, Decoded, Envelope, Version};
use crate::store::{Batch, ReadPlan, Record, StoreError, Versioned};

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
