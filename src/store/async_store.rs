//! The async twin of [`Store`], and [`Blocking`], which runs a `Store` under it.

use std::future::{Future, ready};
use std::sync::Arc;

use time::OffsetDateTime;

use crate::feed::{FeedEntry, FeedQuery};
use crate::id_hash::IdSet;
use crate::index::{Hit, Lookup};
use crate::record_key::RecordKey;
use crate::store::{Batch, Pruned, Read, ReadPlan, Record, Store, StoreError, Versioned};

/// Storage for secure-ticket records, for async services (a handle shared by tasks, so `Sync`): the contract of [`Store`], word for
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
///     let rule = UsageRule::new(secure_ticket::OrganizerId::from_u128(1), UsageRuleId::from_u128(1));
///     store.commit(Batch::new().with(Record::UsageRule(rule), Version::NEW)).await?;
///     Ok(store.load(&[RecordKey::UsageRule(rule.id)]).await?.len())
/// }
/// # let _ = save_and_load(&Blocking::new(MemoryStore::new()));
/// ```
pub trait AsyncStore: Sync {
    /// [`Store::load`].
    ///
    /// # Errors
    ///
    /// As [`Store::load`].
    fn load(
        &self,
        keys: &[RecordKey],
    ) -> impl Future<Output = Result<Vec<Versioned<Record>>, StoreError>> + Send;

    /// [`Store::read`]. The default reads the keys and the lookups' records in one load, as
    /// [`ReadPlan::read_keys_with`] does: override it to follow the whole plan in one read
    /// transaction.
    ///
    /// # Errors
    ///
    /// As [`Store::read`].
    fn read(&self, plan: &ReadPlan) -> impl Future<Output = Result<Read, StoreError>> + Send {
        async move {
            let mut hits = Vec::with_capacity(plan.lookups().len());
            let mut keys = plan.keys().to_vec();
            for lookup in plan.lookups() {
                let found = self.query(lookup).await?;
                keys.extend(found.iter().map(|hit| hit.key));
                hits.push(found);
            }
            let mut known: IdSet<RecordKey> = IdSet::default();
            keys.retain(|key| known.insert(*key));
            let records = if keys.is_empty() {
                Vec::new()
            } else {
                self.load(&keys).await?
            };
            let feed = match plan.replayed(&records) {
                Some(query) => self.feed(&query).await?,
                None => Vec::new(),
            };
            Ok(Read {
                records,
                hits,
                feed,
            })
        }
    }

    /// [`Store::commit`].
    ///
    /// # Errors
    ///
    /// As [`Store::commit`].
    fn commit(&self, batch: Batch) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// [`Store::query`].
    ///
    /// # Errors
    ///
    /// As [`Store::query`].
    fn query(&self, lookup: &Lookup) -> impl Future<Output = Result<Vec<Hit>, StoreError>> + Send;

    /// [`Store::feed`].
    ///
    /// # Errors
    ///
    /// As [`Store::feed`].
    fn feed(
        &self,
        query: &FeedQuery,
    ) -> impl Future<Output = Result<Vec<FeedEntry>, StoreError>> + Send;

    /// [`Store::prune`].
    ///
    /// # Errors
    ///
    /// As [`Store::prune`].
    fn prune(
        &self,
        before: OffsetDateTime,
        limit: u32,
    ) -> impl Future<Output = Result<Pruned, StoreError>> + Send;
}

macro_rules! forward_async {
    ($($t:tt)*) => {
        $($t)* {
            fn load(
                &self,
                keys: &[RecordKey],
            ) -> impl Future<Output = Result<Vec<Versioned<Record>>, StoreError>> + Send {
                (**self).load(keys)
            }

            fn read(&self, plan: &ReadPlan) -> impl Future<Output = Result<Read, StoreError>> + Send {
                (**self).read(plan)
            }

            fn commit(&self, batch: Batch) -> impl Future<Output = Result<(), StoreError>> + Send {
                (**self).commit(batch)
            }

            fn query(
                &self,
                lookup: &Lookup,
            ) -> impl Future<Output = Result<Vec<Hit>, StoreError>> + Send {
                (**self).query(lookup)
            }

            fn feed(
                &self,
                query: &FeedQuery,
            ) -> impl Future<Output = Result<Vec<FeedEntry>, StoreError>> + Send {
                (**self).feed(query)
            }

            fn prune(
                &self,
                before: OffsetDateTime,
                limit: u32,
            ) -> impl Future<Output = Result<Pruned, StoreError>> + Send {
                (**self).prune(before, limit)
            }
        }
    };
}

forward_async!(impl<S: AsyncStore + Sync + ?Sized> AsyncStore for &S);
forward_async!(impl<S: AsyncStore + Send + Sync + ?Sized> AsyncStore for Arc<S>);

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

    fn read(&self, plan: &ReadPlan) -> impl Future<Output = Result<Read, StoreError>> + Send {
        ready(self.0.read(plan))
    }

    fn commit(&self, batch: Batch) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(self.0.commit(batch))
    }

    fn query(&self, lookup: &Lookup) -> impl Future<Output = Result<Vec<Hit>, StoreError>> + Send {
        ready(self.0.query(lookup))
    }

    fn feed(
        &self,
        query: &FeedQuery,
    ) -> impl Future<Output = Result<Vec<FeedEntry>, StoreError>> + Send {
        ready(self.0.feed(query))
    }

    fn prune(
        &self,
        before: OffsetDateTime,
        limit: u32,
    ) -> impl Future<Output = Result<Pruned, StoreError>> + Send {
        ready(self.0.prune(before, limit))
    }
}
