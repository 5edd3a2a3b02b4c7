//! The async twin of [`Store`], and [`Blocking`], which runs a `Store` under it.

use std::future::{Future, ready};
use std::sync::Arc;

use crate::record_key::RecordKey;
use crate::store::{Batch, ReadPlan, Record, Store, StoreError, Versioned};

/// Storage for secure-ticket records, for async services: the contract of [`Store`], word for
/// word, with methods that return futures.
///
/// The futures are `Send`, so [`AsyncService`](crate::service::AsyncService) runs on any
/// multi-threaded executor; the crate depends on no runtime. Each method's work is decided when it
/// is called (its arguments are read then), as LDK's `KVStore` does: callers may rely on the order
/// in which they call `commit`, not on the order in which the futures are polled.
///
/// # Implementing this trait
///
/// As for [`Store`] (envelopes, versions, the conformance suite of the `testkit` feature through
/// `store::conformance::run_all_async`). Override [`read`](Self::read) when the database can
/// follow a [`ReadPlan`] in one round trip (a join, or several statements in one read
/// transaction): the shell then answers a command with one read and one commit.
///
/// # To ensure correctness
///
/// Exactly the list of [`Store`]: atomic commits, versions checked (`Conflict`, `DuplicateKey`),
/// versions that never go back, reads after writes through every handle, batched loads with
/// missing keys absent, unreadable records refused with a typed error, and a `read` whose
/// records were true at one moment.
///
/// # Examples
///
/// ```
/// use secure_ticket::store::{AsyncStore, Batch, Blocking, MemoryStore, Record, RecordKey, Version};
/// use secure_ticket::{UsageRule, UsageRuleId};
///
/// async fn save_and_load(store: &impl AsyncStore) -> Result<usize, secure_ticket::store::StoreError> {
///     let rule = UsageRule::new(UsageRuleId::from_u128(1));
///     store.commit(Batch::new().with(Record::UsageRule(rule), Version::NEW)).await?;
///     Ok(store.load(&[RecordKey::UsageRule(rule.id)]).await?.len())
/// }
/// # let _ = save_and_load(&Blocking::new(MemoryStore::new()));
/// ```
pub trait AsyncStore {
    /// Loads the records stored under `keys`, in one round trip ([`Store::load`]).
    ///
    /// # Errors
    ///
    /// As [`Store::load`].
    fn load(
        &self,
        keys: &[RecordKey],
    ) -> impl Future<Output = Result<Vec<Versioned<Record>>, StoreError>> + Send;

    /// Reads what a [`ReadPlan`] asks for ([`Store::read`]); the default reads its keys only.
    ///
    /// # Errors
    ///
    /// As [`Store::load`].
    fn read(
        &self,
        plan: &ReadPlan,
    ) -> impl Future<Output = Result<Vec<Versioned<Record>>, StoreError>> + Send {
        self.load(plan.keys())
    }

    /// Writes a batch atomically, each write checked against its expected version
    /// ([`Store::commit`]).
    ///
    /// # Errors
    ///
    /// As [`Store::commit`].
    fn commit(&self, batch: Batch) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl<S: AsyncStore + Sync + ?Sized> AsyncStore for &S {
    fn load(
        &self,
        keys: &[RecordKey],
    ) -> impl Future<Output = Result<Vec<Versioned<Record>>, StoreError>> + Send {
        (**self).load(keys)
    }

    fn read(
        &self,
        plan: &ReadPlan,
    ) -> impl Future<Output = Result<Vec<Versioned<Record>>, StoreError>> + Send {
        (**self).read(plan)
    }

    fn commit(&self, batch: Batch) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).commit(batch)
    }
}

impl<S: AsyncStore + Send + Sync + ?Sized> AsyncStore for Arc<S> {
    fn load(
        &self,
        keys: &[RecordKey],
    ) -> impl Future<Output = Result<Vec<Versioned<Record>>, StoreError>> + Send {
        (**self).load(keys)
    }

    fn read(
        &self,
        plan: &ReadPlan,
    ) -> impl Future<Output = Result<Vec<Versioned<Record>>, StoreError>> + Send {
        (**self).read(plan)
    }

    fn commit(&self, batch: Batch) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).commit(batch)
    }
}

/// A [`Store`] under the async contract: each call runs the sync method at once, on the calling
/// task, and returns a ready future.
///
/// Right for stores that never wait ([`MemoryStore`](crate::store::MemoryStore)) and for tests. A store that blocks on I/O (a SQLite file, a
/// network database through a sync client) blocks the executor's thread for each call: prefer a
/// native async store, or run the sync [`Service`](crate::service::Service) on a blocking pool.
///
/// # Examples
///
/// ```
/// use secure_ticket::service::AsyncService;
/// use secure_ticket::store::{Blocking, MemoryStore};
///
/// let service = AsyncService::new(Blocking::new(MemoryStore::new()));
/// # let _ = service;
/// ```
#[derive(Debug, Clone, Default)]
pub struct Blocking<S>(S);

impl<S> Blocking<S> {
    /// Wraps a sync store.
    #[must_use]
    pub const fn new(store: S) -> Self {
        Self(store)
    }

    /// The sync store.
    #[must_use]
    pub const fn get(&self) -> &S {
        &self.0
    }

    /// Unwraps the sync store.
    #[must_use]
    pub fn into_inner(self) -> S {
        self.0
    }
}

impl<S: Store + Sync> AsyncStore for Blocking<S> {
    fn load(
        &self,
        keys: &[RecordKey],
    ) -> impl Future<Output = Result<Vec<Versioned<Record>>, StoreError>> + Send {
        ready(self.0.load(keys))
    }

    fn read(
        &self,
        plan: &ReadPlan,
    ) -> impl Future<Output = Result<Vec<Versioned<Record>>, StoreError>> + Send {
        ready(self.0.read(plan))
    }

    fn commit(&self, batch: Batch) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.0.commit(batch))
    }
}
