//! The sync driver: [`Service`] carries an [`Execution`]'s steps to a [`Store`].

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
use crate::store::{Record, Store, StoreError, Versioned};
use crate::ticket::Ticket;
use crate::transfer_group::TransferGroup;

/// Runs commands against a store with optimistic concurrency and idempotent command ids.
///
/// # Examples
///
/// ```
/// use secure_ticket::injection::InjectTicket;
/// use secure_ticket::service::{Command, Request, Service};
/// use secure_ticket::store::{MemoryStore, Record};
/// use secure_ticket::{CommandId, Distribution, Email, OrganizerId, PointOfSaleId, RightId};
/// use secure_ticket::{ShipmentMode, ShipmentModeId, Ticket, TicketId, UsageRuleId};
///
/// let service = Service::new(MemoryStore::new());
/// let ticket = Ticket::new(OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
///     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let rule = secure_ticket::UsageRule::new(OrganizerId::from_u128(1), UsageRuleId::from_u128(1));
/// service.create([Record::Ticket(ticket.clone()), Record::UsageRule(rule)])?;
///
/// let request = Request {
///     id: CommandId::from_u128(1),
///     organizer: OrganizerId::from_u128(1),
///     command: Command::Inject(InjectTicket {
///         ticket: ticket.id, to: Email::parse("alice@example.com")?, usage_rule: UsageRuleId::from_u128(1),
///         at: time::macros::datetime!(2026-11-23 12:00 UTC),
///     }),
/// };
/// let first = service.execute(&request)?;
/// let retry = service.execute(&request)?; // same id, same content: nothing written twice
/// assert_eq!((first.events, retry.replayed), (retry.events, true));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Service<S> {
    store: S,
    attempts: u32,
}

impl<S: Store> Service<S> {
    /// The default number of load-decide-commit rounds before a conflict is returned.
    pub const DEFAULT_ATTEMPTS: u32 = DEFAULT_ATTEMPTS;

    /// A service over `store`, with [`Self::DEFAULT_ATTEMPTS`].
    #[must_use]
    pub const fn new(store: S) -> Self {
        Self {
            store,
            attempts: Self::DEFAULT_ATTEMPTS,
        }
    }

    /// Sets how many rounds a command may take (at least 1).
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

    /// Creates records that must not exist yet (setup: tickets S360 issues, rules, POS, settings),
    /// at most [`MAX_BATCH`](crate::service::MAX_BATCH) per call, in one atomic commit.
    ///
    /// # Errors
    ///
    /// Nothing is written in any case:
    /// - [`Error::BatchTooLarge`]: more than [`MAX_BATCH`](crate::service::MAX_BATCH) records
    ///   (X11); [`Error::TextTooLong`]: a record holds more free text than
    ///   [`text_limit`](crate::text_limit) allows (X13). Both are checked before anything else.
    /// - [`Error::Store`] with [`StoreError::Conflict`] if a record exists already, with
    ///   [`StoreError::UniqueEntryTaken`] if a valid ticket would be the second of its right
    ///   (B11: one exists already, or the call holds two); otherwise the store's own error.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::service::Service;
    /// use secure_ticket::store::{MemoryStore, Record, StoreError};
    /// use secure_ticket::{Distribution, Error, OrganizerId, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
    ///
    /// let service = Service::new(MemoryStore::new());
    /// let mobile = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1));
    /// let ticket = |id| Ticket::new(OrganizerId::from_u128(1), TicketId::from_u128(id), RightId::from_u128(8),
    ///     Distribution::new(PointOfSaleId::from_u128(1), mobile));
    /// service.create([Record::Ticket(ticket(1))])?;
    /// // A second valid ticket for right 8 (B11):
    /// let refused = service.create([Record::Ticket(ticket(2))]);
    /// assert!(matches!(refused, Err(Error::Store(StoreError::UniqueEntryTaken { .. }))));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn create(&self, records: impl IntoIterator<Item = Record>) -> Result<(), Error> {
        Ok(self.store.commit(creation(records)?)?)
    }

    /// Loads one ticket.
    ///
    /// # Errors
    ///
    /// The store's error.
    pub fn ticket(&self, id: TicketId) -> Result<Option<Versioned<Ticket>>, StoreError> {
        Ok(one_ticket(self.store.load(&[RecordKey::Ticket(id)])?))
    }

    /// Loads one transfer group.
    ///
    /// # Errors
    ///
    /// The store's error.
    pub fn group(
        &self,
        id: TransferGroupId,
    ) -> Result<Option<Versioned<TransferGroup>>, StoreError> {
        Ok(one_group(self.store.load(&[RecordKey::TransferGroup(id)])?))
    }

    /// Runs a command: load what it names, decide with the pure core, commit the decision with the
    /// versions loaded plus the command's record; on a conflict, reload and decide again, up to the
    /// configured number of attempts (SPEC X3, X4). The same as [`execute_batch`](Self::execute_batch)
    /// with one request.
    ///
    /// # Errors
    ///
    /// - [`Error::Rule`]: the rules refused the command; nothing was written.
    /// - [`Error::CommandIdReused`]: the id was used for a different command; nothing written.
    /// - [`Error::NotFound`]: a record the command needs does not exist (a group, a point of sale,
    ///   the organizer's settings); nothing written.
    /// - [`Error::IdInUse`]: a new record's caller-given id already exists; nothing written.
    /// - [`Error::TimeOutOfRange`]: the command is dated outside [`time_range`](crate::time_range)
    ///   (the same answer on every store); nothing read or written.
    /// - [`Error::Store`]: the store failed, or still conflicted after the last attempt.
    pub fn execute(&self, request: &Request) -> Result<Outcome, Error> {
        only_result(request, self.execute_batch(std::slice::from_ref(request)))
    }

    /// Runs many commands with one batched load per round and one atomic commit: each command is
    /// decided in order against the records as the earlier ones left them, a refused command is
    /// skipped (its result is its error) without affecting the others, and every accepted decision
    /// lands together with its command record, each record written once in its final state. On a
    /// conflict the whole batch is reloaded and decided again, up to the configured attempts.
    ///
    /// Returns one result per request, in order: as [`execute`](Self::execute) would for that
    /// request, had it run alone at that point.
    ///
    /// # Errors
    ///
    /// [`Error::BatchTooLarge`] beyond [`MAX_BATCH`](crate::service::MAX_BATCH) requests, and
    /// [`Error::TimeOutOfRange`] when a request is dated outside [`time_range`](crate::time_range):
    /// nothing read or written. [`Error::Store`] when the store fails or still conflicts after the
    /// last attempt: then nothing of the batch was written.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::injection::InjectTicket;
    /// use secure_ticket::service::{Command, Request, Service};
    /// use secure_ticket::store::{MemoryStore, Record};
    /// use secure_ticket::{CommandId, Distribution, Email, OrganizerId, PointOfSaleId, RightId};
    /// use secure_ticket::{ShipmentMode, ShipmentModeId, Ticket, TicketId, UsageRuleId};
    ///
    /// let service = Service::new(MemoryStore::new());
    /// let mode = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1));
    /// let tickets: Vec<Ticket> = (1..=3)
    ///     .map(|n| Ticket::new(OrganizerId::from_u128(1), TicketId::from_u128(n), RightId::from_u128(n), Distribution::new(PointOfSaleId::from_u128(1), mode)))
    ///     .collect();
    /// let rule = secure_ticket::UsageRule::new(OrganizerId::from_u128(1), UsageRuleId::from_u128(1));
    /// service.create(tickets.iter().cloned().map(Record::Ticket).chain([Record::UsageRule(rule)]))?;
    /// let requests: Vec<Request> = (1..=4u128)
    ///     .map(|n| Request {
    ///         id: CommandId::from_u128(n),
    ///         organizer: OrganizerId::from_u128(1),
    ///         command: Command::Inject(InjectTicket {
    ///             ticket: TicketId::from_u128(n.min(3)), // the 4th injects ticket 3 again
    ///             to: Email::parse("alice@example.com").unwrap(),
    ///             usage_rule: UsageRuleId::from_u128(1),
    ///             at: time::macros::datetime!(2026-11-23 12:00 UTC),
    ///         }),
    ///     })
    ///     .collect();
    /// let results = service.execute_batch(&requests)?;
    /// assert!(results[..3].iter().all(Result::is_ok));
    /// assert!(results[3].is_err()); // already injected, by the 3rd request of the same batch
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute_batch(&self, requests: &[Request]) -> Results {
        let mut step = Execution::start(requests, self.attempts);
        loop {
            step = match step {
                Step::Read { plan, then } => then.read(self.store.read(&plan)),
                Step::Commit { batch, then } => then.committed(self.store.commit(batch)),
                Step::Done(results) => return results,
            };
        }
    }

    /// Q2: the wallet of `request.email` in `organizer` (tickets grouped by performance with
    /// their pending group, outgoing and incoming PENDING groups newest first), in one read.
    ///
    /// Tickets come in a stable order, so that pages never repeat or skip one: tickets without a
    /// performance first, then performances by id, tickets by id within each.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLimit`] for a limit outside 1 to 1,000, [`Error::InvalidCursor`] for a
    /// cursor of another list (nothing read); [`Error::Store`] when the store fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::service::{Service, WalletRequest};
    /// use secure_ticket::store::MemoryStore;
    /// use secure_ticket::{Email, OrganizerId};
    ///
    /// let service = Service::new(MemoryStore::new());
    /// let wallet = service.wallet(OrganizerId::from_u128(1), &WalletRequest::first(Email::parse("alice@example.com")?, 100))?;
    /// assert!(wallet.tickets.items.is_empty() && wallet.incoming.next.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wallet(&self, organizer: OrganizerId, request: &WalletRequest) -> Result<Wallet, Error> {
        let (plan, lookups) = queries::wallet_plan(organizer, request)?;
        let read = self.read_whole(&plan)?;
        Ok(queries::wallet_answer(organizer, request, &lookups, &read))
    }

    /// Q3: the closed groups (ACCEPTED, DECLINED, CANCELLED, EXPIRED) `email` sent, received or
    /// both, newest first.
    ///
    /// # Errors
    ///
    /// As [`wallet`](Self::wallet).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::index::PageRequest;
    /// use secure_ticket::service::{HistoryFilter, Service};
    /// use secure_ticket::store::MemoryStore;
    /// use secure_ticket::{Email, Error, OrganizerId};
    ///
    /// let service = Service::new(MemoryStore::new());
    /// let bob = Email::parse("bob@example.com")?;
    /// let page = service.history(OrganizerId::from_u128(1), &bob, HistoryFilter::Both, &PageRequest::first(20))?;
    /// assert!(page.items.is_empty());
    /// let too_many = service.history(OrganizerId::from_u128(1), &bob, HistoryFilter::Both, &PageRequest::first(1001));
    /// assert!(matches!(too_many, Err(Error::InvalidLimit { limit: 1001 })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn history(
        &self,
        organizer: OrganizerId,
        email: &Email,
        filter: HistoryFilter,
        page: &PageRequest,
    ) -> Result<Page<TransferGroup>, Error> {
        let (plan, lookups) = queries::history_plan(organizer, email, filter, page)?;
        let read = self.read_whole(&plan)?;
        Ok(queries::history_answer(organizer, page, &lookups, &read))
    }

    /// Q6: the tickets of a right (B11 shows as exactly one valid among them), each with whether
    /// a take back is possible at `at` and, if not, the first rule that refuses it.
    ///
    /// # Errors
    ///
    /// As [`wallet`](Self::wallet).
    pub fn tickets_of_right(
        &self,
        organizer: OrganizerId,
        right: RightId,
        page: &PageRequest,
        at: OffsetDateTime,
    ) -> Result<Page<TicketStanding>, Error> {
        self.tickets(organizer, TicketList::Right(right), page, at)
    }

    /// Q6: the tickets a point of sale distributed, as [`tickets_of_right`](Self::tickets_of_right).
    ///
    /// # Errors
    ///
    /// As [`wallet`](Self::wallet).
    pub fn tickets_of_point_of_sale(
        &self,
        organizer: OrganizerId,
        point_of_sale: PointOfSaleId,
        page: &PageRequest,
        at: OffsetDateTime,
    ) -> Result<Page<TicketStanding>, Error> {
        self.tickets(organizer, TicketList::PointOfSale(point_of_sale), page, at)
    }

    fn tickets(
        &self,
        organizer: OrganizerId,
        list: TicketList,
        page: &PageRequest,
        at: OffsetDateTime,
    ) -> Result<Page<TicketStanding>, Error> {
        let (plan, lookup) = queries::tickets_plan(organizer, list, page)?;
        let read = self.read_whole(&plan)?;
        Ok(queries::tickets_answer(organizer, page, &lookup, at, &read))
    }

    /// F2: the organizer's feed entries after `after`, in position order, at most `limit`
    /// (1 to 1,000).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidLimit`]; [`Error::Store`] when the store fails.
    pub fn feed_after(
        &self,
        organizer: OrganizerId,
        after: Position,
        limit: u32,
    ) -> Result<Vec<FeedEntry>, Error> {
        let limit = readers::feed_limit(limit)?;
        Ok(self.store.feed(&FeedQuery::After {
            organizer,
            after,
            limit,
        })?)
    }

    /// F3: registers a reader of the organizer's feed, at the start of the feed.
    ///
    /// # Errors
    ///
    /// [`Error::ReaderExists`] when it is registered already; [`Error::Store`].
    pub fn register_reader(
        &self,
        organizer: OrganizerId,
        name: ReaderName,
    ) -> Result<ReaderCursor, Error> {
        let cursor = ReaderCursor::new(organizer, name);
        match self.store.commit(creation([Record::Reader(cursor)])?) {
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
    pub fn reader(&self, organizer: OrganizerId, name: ReaderName) -> Result<ReaderCursor, Error> {
        let key = RecordKey::Reader(ReaderKey { organizer, name });
        one_reader(self.store.load(&[key])?).ok_or(Error::UnknownReader { reader: name })
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
    pub fn advance_reader(
        &self,
        organizer: OrganizerId,
        name: ReaderName,
        limit: u32,
        mut derive: impl FnMut(&FeedEntry) -> Vec<Request>,
    ) -> Result<Advanced, Error> {
        let limit = readers::feed_limit(limit)?;
        let mut last = None;
        for _ in 0..self.attempts {
            let cursor = self.reader(organizer, name)?;
            let entries = self.store.feed(&FeedQuery::After {
                organizer,
                after: cursor.position,
                limit,
            })?;
            let (requests, to) = readers::derive(cursor.position, &entries, &mut derive);
            readers::own(organizer, &requests)?;
            let key = ReaderKey { organizer, name };
            let mut step = Execution::advance(&requests, self.attempts, key, cursor.position, to);
            let results = loop {
                step = match step {
                    Step::Read { plan, then } => then.read(self.store.read(&plan)),
                    Step::Commit { batch, then } => then.committed(self.store.commit(batch)),
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
    pub fn advance_feedback(&self, organizer: OrganizerId, limit: u32) -> Result<Advanced, Error> {
        self.advance_reader(
            organizer,
            FeedbackReader::name(),
            limit,
            FeedbackReader::requests,
        )
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
    pub fn prune(&self, before: OffsetDateTime, limit: u32) -> Result<Pruned, Error> {
        let limit = readers::feed_limit(limit)?;
        let before = super::execution::in_range(before)?;
        Ok(self.store.prune(before, limit)?)
    }

    /// Reads a query's plan, then what its records lead to that the store did not read with
    /// them (a store that does not follow plans): at most two more reads.
    fn read_whole(&self, plan: &crate::store::ReadPlan) -> Result<crate::store::Read, Error> {
        let mut read = self.store.read(plan)?;
        plan.follow(&mut read, |keys| self.store.load(keys))?;
        Ok(read)
    }
}
