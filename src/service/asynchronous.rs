//! The async driver: [`AsyncService`] carries an [`Execution`]'s steps to an [`AsyncStore`].

use time::OffsetDateTime;

use crate::command::Request;
use crate::email::Email;
use crate::error::Error;
use crate::feed::{FeedEntry, FeedQuery, Position, ReaderCursor, ReaderName};
use crate::id::{OrganizerId, PointOfSaleId, RightId};
use crate::id::{TicketId, TransferGroupId};
use crate::index::PageRequest;
use crate::record_key::ReaderKey;
use crate::record_key::RecordKey;
use crate::service::execution::one_reader;
use crate::service::execution::{
    DEFAULT_ATTEMPTS, Execution, Results, Step, creation, one_group, one_ticket, only_result,
};
use crate::service::outcome::Outcome;
use crate::service::queries::{
    self, HistoryFilter, Page, TicketList, TicketStanding, Wallet, WalletRequest,
};
use crate::service::readers::{self, Advanced, FeedbackReader};
use crate::store::Pruned;
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
/// let ticket = Ticket::new(OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
///     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let rule = secure_ticket::UsageRule::new(OrganizerId::from_u128(1), UsageRuleId::from_u128(1));
/// block_on(service.create([Record::Ticket(ticket.clone()), Record::UsageRule(rule)]))?;
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
    /// As [`Service::create`](crate::service::Service::create): [`Error::BatchTooLarge`],
    /// [`Error::TextTooLong`], [`Error::Store`]; nothing written in any case.
    pub async fn create(&self, records: impl IntoIterator<Item = Record>) -> Result<(), Error> {
        Ok(self.store.commit(creation(records)?).await?)
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

    /// Q2: the wallet of `request.email` in `organizer` (tickets grouped by performance with
    /// their pending group, outgoing and incoming PENDING groups newest first), in one read.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLimit`] for a limit outside 1 to 1,000, [`Error::InvalidCursor`] for a
    /// cursor of another list (nothing read); [`Error::Store`] when the store fails.
    pub async fn wallet(
        &self,
        organizer: OrganizerId,
        request: &WalletRequest,
    ) -> Result<Wallet, Error> {
        let (plan, lookups) = queries::wallet_plan(organizer, request)?;
        let read = self.read_whole(&plan).await?;
        Ok(queries::wallet_answer(organizer, request, &lookups, &read))
    }

    /// Q3: the closed groups (ACCEPTED, DECLINED, CANCELLED, EXPIRED) `email` sent, received or
    /// both, newest first.
    ///
    /// # Errors
    ///
    /// As [`wallet`](Self::wallet).
    pub async fn history(
        &self,
        organizer: OrganizerId,
        email: &Email,
        filter: HistoryFilter,
        page: &PageRequest,
    ) -> Result<Page<TransferGroup>, Error> {
        let (plan, lookups) = queries::history_plan(organizer, email, filter, page)?;
        let read = self.read_whole(&plan).await?;
        Ok(queries::history_answer(organizer, page, &lookups, &read))
    }

    /// Q6: the tickets of a right (B11 shows as exactly one valid among them), each with whether
    /// a take back is possible at `at` and, if not, the first rule that refuses it.
    ///
    /// # Errors
    ///
    /// As [`wallet`](Self::wallet).
    pub async fn tickets_of_right(
        &self,
        organizer: OrganizerId,
        right: RightId,
        page: &PageRequest,
        at: OffsetDateTime,
    ) -> Result<Page<TicketStanding>, Error> {
        self.tickets(organizer, TicketList::Right(right), page, at)
            .await
    }

    /// Q6: the tickets a point of sale distributed, as [`tickets_of_right`](Self::tickets_of_right).
    ///
    /// # Errors
    ///
    /// As [`wallet`](Self::wallet).
    pub async fn tickets_of_point_of_sale(
        &self,
        organizer: OrganizerId,
        point_of_sale: PointOfSaleId,
        page: &PageRequest,
        at: OffsetDateTime,
    ) -> Result<Page<TicketStanding>, Error> {
        self.tickets(organizer, TicketList::PointOfSale(point_of_sale), page, at)
            .await
    }

    async fn tickets(
        &self,
        organizer: OrganizerId,
        list: TicketList,
        page: &PageRequest,
        at: OffsetDateTime,
    ) -> Result<Page<TicketStanding>, Error> {
        let (plan, lookup) = queries::tickets_plan(organizer, list, page)?;
        let read = self.read_whole(&plan).await?;
        Ok(queries::tickets_answer(organizer, page, &lookup, at, &read))
    }

    /// F2: the organizer's feed entries after `after`, in position order, at most `limit`
    /// (1 to 1,000).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLimit`]; [`Error::Store`] when the store fails.
    pub async fn feed_after(
        &self,
        organizer: OrganizerId,
        after: Position,
        limit: u32,
    ) -> Result<Vec<FeedEntry>, Error> {
        let limit = readers::feed_limit(limit)?;
        Ok(self
            .store
            .feed(&FeedQuery::After {
                organizer,
                after,
                limit,
            })
            .await?)
    }

    /// F3: registers a reader of the organizer's feed, at the start of the feed.
    ///
    /// # Errors
    ///
    /// [`Error::ReaderExists`] when it is registered already; [`Error::Store`].
    pub async fn register_reader(
        &self,
        organizer: OrganizerId,
        name: ReaderName,
    ) -> Result<ReaderCursor, Error> {
        let cursor = ReaderCursor::new(organizer, name);
        match self.store.commit(creation([Record::Reader(cursor)])?).await {
            Ok(()) => Ok(cursor),
            Err(conflict) if conflict.is_conflict() => Err(Error::ReaderExists { reader: name }),
            Err(other) => Err(Error::Store(other)),
        }
    }

    /// A reader's cursor.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownReader`] when it was never registered; [`Error::Store`].
    pub async fn reader(
        &self,
        organizer: OrganizerId,
        name: ReaderName,
    ) -> Result<ReaderCursor, Error> {
        let key = RecordKey::Reader(ReaderKey { organizer, name });
        one_reader(self.store.load(&[key]).await?).ok_or(Error::UnknownReader { reader: name })
    }

    /// F3: one step of a named reader: reads at most `limit` entries after its cursor, runs the
    /// commands `derive` makes of them, and moves the cursor past them in the same commit. A
    /// reader stopped at any point and restarted neither skips nor repeats an effect; two
    /// instances of one reader never both apply a step (the loser reads again).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownReader`], [`Error::InvalidLimit`] (nothing written); [`Error::NotFound`]
    /// when `derive` makes a request of another organizer; [`Error::Store`] when the store fails
    /// or the cursor kept moving under other instances for every attempt.
    pub async fn advance_reader(
        &self,
        organizer: OrganizerId,
        name: ReaderName,
        limit: u32,
        mut derive: impl FnMut(&FeedEntry) -> Vec<Request> + Send,
    ) -> Result<Advanced, Error> {
        let limit = readers::feed_limit(limit)?;
        let mut last = None;
        for _ in 0..self.attempts {
            let cursor = self.reader(organizer, name).await?;
            let entries = self
                .store
                .feed(&FeedQuery::After {
                    organizer,
                    after: cursor.position,
                    limit,
                })
                .await?;
            let (requests, to) = readers::derive(cursor.position, &entries, &mut derive);
            readers::own(organizer, &requests)?;
            let key = ReaderKey { organizer, name };
            let mut step = Execution::advance(&requests, self.attempts, key, cursor.position, to);
            let results = loop {
                step = match step {
                    Step::Read { plan, then } => then.read(self.store.read(&plan).await),
                    Step::Commit { batch, then } => then.committed(self.store.commit(batch).await),
                    Step::Done(results) => break results,
                };
            };
            match results {
                Ok(results) => {
                    return Ok(Advanced {
                        from: cursor.position,
                        to,
                        entries: entries.len(),
                        results,
                    });
                }
                Err(error) if error.is_conflict() => last = Some(error),
                Err(error) => return Err(error),
            }
        }
        Err(last.unwrap_or(Error::UnknownReader { reader: name }))
    }

    /// F4: one step of the S360 feedback interface ([`FeedbackReader`]), registered under
    /// [`FeedbackReader::NAME`].
    ///
    /// # Errors
    ///
    /// As [`advance_reader`](Self::advance_reader).
    pub async fn advance_feedback(
        &self,
        organizer: OrganizerId,
        limit: u32,
    ) -> Result<Advanced, Error> {
        self.advance_reader(
            organizer,
            FeedbackReader::name(),
            limit,
            FeedbackReader::requests,
        )
        .await
    }

    /// X8: removes command records and fully read feed entries older than `before`, at most
    /// `limit` (1 to 1,000) per call: call again while [`Pruned::more`] says so. Keep the
    /// horizon at least 24 hours behind the present: a retry whose command record is gone runs
    /// as a new command.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLimit`]; [`Error::TimeOutOfRange`] for a `before` outside [`time_range`](crate::time_range);
    /// [`Error::Store`] when the store fails.
    pub async fn prune(&self, before: OffsetDateTime, limit: u32) -> Result<Pruned, Error> {
        let limit = readers::feed_limit(limit)?;
        let before = super::execution::in_range(before)?;
        Ok(self.store.prune(before, limit).await?)
    }

    /// Reads a query's plan, then what its records lead to that the store did not read with
    /// them (a store that does not follow plans): at most two more reads.
    async fn read_whole(&self, plan: &crate::store::ReadPlan) -> Result<crate::store::Read, Error> {
        let mut read = self.store.read(plan).await?;
        for _ in 0..2 {
            let missing = plan.missing(&read);
            if missing.is_empty() {
                break;
            }
            read.records.extend(self.store.load(&missing).await?);
        }
        Ok(read)
    }
}
