//! The sync driver: [`Service`] carries an [`Execution`]'s steps to a [`Store`].

use crate::command::Request;
use crate::error::Error;
use crate::id::{TicketId, TransferGroupId};
use crate::record_key::RecordKey;
use crate::service::execution::{
    DEFAULT_ATTEMPTS, Execution, Results, Step, creation, one_group, one_ticket, only_result,
};
use crate::service::outcome::Outcome;
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
/// let ticket = Ticket::new(TicketId::from_u128(1), RightId::from_u128(1),
///     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// service.create([Record::Ticket(ticket.clone())])?;
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

    /// Creates records that must not exist yet (setup: tickets S360 issues, rules, POS, settings).
    ///
    /// # Errors
    ///
    /// [`StoreError::Conflict`] if one exists already (nothing written), or the store's own error.
    pub fn create(&self, records: impl IntoIterator<Item = Record>) -> Result<(), StoreError> {
        self.store.commit(creation(records))
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
    /// [`Error::Store`] when the store fails or still conflicts after the last attempt: then
    /// nothing of the batch was written.
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
    ///     .map(|n| Ticket::new(TicketId::from_u128(n), RightId::from_u128(n), Distribution::new(PointOfSaleId::from_u128(1), mode)))
    ///     .collect();
    /// service.create(tickets.iter().cloned().map(Record::Ticket))?;
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
}
