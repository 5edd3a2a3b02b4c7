//! The async driver: [`AsyncService`] carries an [`Execution`]'s steps to an [`AsyncStore`].

use crate::command::Request;
use crate::error::Error;
use crate::id::{TicketId, TransferGroupId};
use crate::record_key::RecordKey;
use crate::service::execution::{
    DEFAULT_ATTEMPTS, Execution, Results, Step, creation, one_group, one_ticket, only_result,
};
use crate::service::outcome::Outcome;
use crate::store::{AsyncStore, Record, StoreError, Versioned};
use crate::ticket::Ticket;
use crate::transfer_group::TransferGroup;

/// Runs commands against an [`AsyncStore`]: [`Service`](crate::service::Service) for async services, with the same
/// retry loop, attempt bound and conflict handling (both drive one [`Execution`]).
///
/// Its futures are `Send` when the store is `Sync`, so a handler can run on a multi-threaded
/// executor; the crate depends on no runtime.
///
/// # Examples
///
/// ```
/// use secure_ticket::injection::InjectTicket;
/// use secure_ticket::service::{AsyncService, Command, Request};
/// use secure_ticket::store::{Blocking, MemoryStore, Record};
/// use secure_ticket::{CommandId, Distribution, Email, OrganizerId, PointOfSaleId, RightId};
/// use secure_ticket::{ShipmentMode, ShipmentModeId, Ticket, TicketId, UsageRuleId};
///
/// async fn handler(service: &AsyncService<Blocking<MemoryStore>>, request: Request) -> Result<usize, secure_ticket::Error> {
///     Ok(service.execute(&request).await?.events.len())
/// }
///
/// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
/// #     // Any executor (tokio, smol, ...) runs it; MemoryStore's futures are ready at once.
/// #     let waker = std::task::Waker::noop();
/// #     let mut future = std::pin::pin!(future);
/// #     loop {
/// #         if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut std::task::Context::from_waker(&waker)) { return out; }
/// #     }
/// # }
/// let service = AsyncService::new(Blocking::new(MemoryStore::new()));
/// let ticket = Ticket::new(TicketId::from_u128(1), RightId::from_u128(1),
///     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// block_on(service.create([Record::Ticket(ticket.clone())]))?;
/// let request = Request {
///     id: CommandId::from_u128(1),
///     organizer: OrganizerId::from_u128(1),
///     command: Command::Inject(InjectTicket {
///         ticket: ticket.id, to: Email::parse("alice@example.com")?, usage_rule: UsageRuleId::from_u128(1),
///         at: time::macros::datetime!(2026-11-23 12:00 UTC),
///     }),
/// };
/// assert_eq!(block_on(handler(&service, request))?, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct AsyncService<S> {
    store: S,
    attempts: u32,
}

impl<S: AsyncStore + Sync> AsyncService<S> {
    /// The default number of read-decide-commit rounds before a conflict is returned, as
    /// [`Service::DEFAULT_ATTEMPTS`](crate::service::Service::DEFAULT_ATTEMPTS).
    pub const DEFAULT_ATTEMPTS: u32 = DEFAULT_ATTEMPTS;

    /// A service over `store`, with [`Self::DEFAULT_ATTEMPTS`].
    #[must_use]
    pub const fn new(store: S) -> Self {
        Self {
            store,
            attempts: DEFAULT_ATTEMPTS,
        }
    }

    /// Sets how many read-decide-commit rounds a command may take (at least 1).
    #[must_use]
    pub const fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = if attempts == 0 { 1 } else { attempts };
        self
    }

    /// The store.
    #[must_use]
    pub const fn store(&self) -> &S {
        &self.store
    }

    /// Creates records that must not exist yet, as [`Service::create`](crate::service::Service::create).
    ///
    /// # Errors
    ///
    /// [`StoreError::Conflict`] if one exists already (nothing written), or the store's own error.
    pub async fn create(
        &self,
        records: impl IntoIterator<Item = Record>,
    ) -> Result<(), StoreError> {
        self.store.commit(creation(records)).await
    }

    /// Loads one ticket.
    ///
    /// # Errors
    ///
    /// The store's error.
    pub async fn ticket(&self, id: TicketId) -> Result<Option<Versioned<Ticket>>, StoreError> {
        Ok(one_ticket(self.store.load(&[RecordKey::Ticket(id)]).await?))
    }

    /// Loads one transfer group.
    ///
    /// # Errors
    ///
    /// The store's error.
    pub async fn group(
        &self,
        id: TransferGroupId,
    ) -> Result<Option<Versioned<TransferGroup>>, StoreError> {
        Ok(one_group(
            self.store.load(&[RecordKey::TransferGroup(id)]).await?,
        ))
    }

    /// Runs a command, as [`Service::execute`](crate::service::Service::execute).
    ///
    /// # Errors
    ///
    /// As [`Service::execute`](crate::service::Service::execute).
    pub async fn execute(&self, request: &Request) -> Result<Outcome, Error> {
        only_result(
            request,
            self.execute_batch(std::slice::from_ref(request)).await,
        )
    }

    /// Runs many commands with one read per round and one atomic commit, as
    /// [`Service::execute_batch`](crate::service::Service::execute_batch).
    ///
    /// # Errors
    ///
    /// As [`Service::execute_batch`](crate::service::Service::execute_batch).
    pub async fn execute_batch(&self, requests: &[Request]) -> Results {
        let mut step = Execution::start(requests, self.attempts);
        loop {
            step = match step {
                Step::Read { plan, then } => then.read(self.store.read(&plan).await),
                Step::Commit { batch, then } => then.committed(self.store.commit(batch).await),
                Step::Done(results) => return results,
            };
        }
    }
}
