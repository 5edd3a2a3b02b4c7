//! The shell: run a command against a [`Store`]: load, decide with the pure core, commit with the
//! versions loaded; on conflict reload and decide again (SPEC X3, X4).

use crate::fast_hash::FastMap;

pub use crate::command::{Command, CommandRecord, Request};
use crate::decision::Decision;
use crate::error::{Error, RuleError};
use crate::event::Event;
use crate::id::{OrganizerId, TicketId, TransferGroupId};
use crate::injection::{self};
use crate::organizer::OrganizerSettings;
use crate::point_of_sale::PointOfSale;
use crate::record_key::RecordKey;
use crate::store::{Batch, Record, Store, StoreError, Version, Versioned};
use crate::take_back::{self, TakeBackTicket};
use crate::ticket::Ticket;
use crate::transfer::{self};
use crate::transfer_group::TransferGroup;
use crate::usage_rule::UsageRule;
use crate::wallet::{self};

/// What a command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The events, for the caller to publish.
    pub events: Vec<Event>,
    /// `true` when this was a retry of a command already processed: nothing was written and
    /// `events` are the first result's.
    pub replayed: bool,
    /// How many load-decide-commit rounds it took (1 without conflicts).
    pub attempts: u32,
}

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
    pub const DEFAULT_ATTEMPTS: u32 = 8;

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
        let mut batch = Batch::new();
        for record in records {
            batch.push(record, Version::NEW);
        }
        self.store.commit(batch)
    }

    /// Loads one ticket.
    ///
    /// # Errors
    ///
    /// The store's error.
    pub fn ticket(&self, id: TicketId) -> Result<Option<Versioned<Ticket>>, StoreError> {
        Ok(self
            .store
            .load(&[RecordKey::Ticket(id)])?
            .into_iter()
            .find_map(|v| match v.value {
                Record::Ticket(t) => Some(Versioned {
                    value: t,
                    version: v.version,
                }),
                _ => None,
            }))
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
        Ok(self
            .store
            .load(&[RecordKey::TransferGroup(id)])?
            .into_iter()
            .find_map(|v| match v.value {
                Record::TransferGroup(g) => Some(Versioned {
                    value: g,
                    version: v.version,
                }),
                _ => None,
            }))
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
        // A batch returns one result per request, so `pop` always finds this one; the fallback
        // only keeps the code free of panics.
        self.execute_batch(std::slice::from_ref(request))?
            .pop()
            .unwrap_or(Err(Error::NotFound {
                key: RecordKey::Command(request.id),
            }))
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
    pub fn execute_batch(
        &self,
        requests: &[Request],
    ) -> Result<Vec<Result<Outcome, Error>>, Error> {
        let mut attempt: u32 = 0;
        loop {
            attempt = attempt.saturating_add(1);
            match self.attempt(requests, attempt) {
                Err(StoreError::Conflict {
                    key,
                    expected,
                    actual,
                }) if attempt >= self.attempts => {
                    return Err(Error::Store(StoreError::Conflict {
                        key,
                        expected,
                        actual,
                    }));
                }
                Err(StoreError::Conflict { .. }) => {}
                Err(other) => return Err(Error::Store(other)),
                Ok(results) => return Ok(results),
            }
        }
    }

    fn attempt(
        &self,
        requests: &[Request],
        attempt: u32,
    ) -> Result<Vec<Result<Outcome, Error>>, StoreError> {
        let mut state = Loaded::default();
        let mut keys = Vec::with_capacity(requests.len().saturating_mul(4));
        let mut needs_rules_for_any = false;
        for request in requests {
            keys.push(RecordKey::Command(request.id));
            primary_keys(&request.command, request.organizer, &mut keys);
            keys.extend(created_keys(&request.command));
            needs_rules_for_any |= needs_rules(&request.command);
        }
        // Room for every record the keys may find, plus each accepted command's record and
        // usually one group or ticket it creates: the slots are not moved while the batch is
        // decided.
        state
            .slots
            .reserve(keys.len().saturating_add(requests.len().saturating_mul(2)));
        state.fetch(&self.store, &mut keys)?;
        // Second round: the tickets of the groups named; third: the usage rules of all tickets.
        let mut group_tickets: Vec<RecordKey> = state
            .records()
            .filter_map(|r| match r {
                Record::TransferGroup(g) => Some(g),
                _ => None,
            })
            .flat_map(|g| g.tickets.iter().map(|&t| RecordKey::Ticket(t)))
            .collect();
        state.fetch(&self.store, &mut group_tickets)?;
        if needs_rules_for_any {
            let mut rules: Vec<RecordKey> = state
                .records()
                .filter_map(|r| match r {
                    Record::Ticket(t) => t.wallet.as_ref(),
                    _ => None,
                })
                .map(|w| RecordKey::UsageRule(w.usage_rule))
                // Tickets injected earlier in the same batch follow the rule their injection names.
                .chain(requests.iter().filter_map(|r| match &r.command {
                    Command::Inject(c) => Some(RecordKey::UsageRule(c.usage_rule)),
                    _ => None,
                }))
                .collect();
            state.fetch(&self.store, &mut rules)?;
        }

        let mut results = Vec::with_capacity(requests.len());
        for request in requests {
            results.push(state.run(request, attempt));
        }
        let batch = state.into_batch();
        if !batch.writes.is_empty() {
            self.store.commit(batch)?;
        }
        Ok(results)
    }
}

/// The records a command names directly, and the organizer's settings when it needs them.
fn primary_keys(command: &Command, organizer: OrganizerId, keys: &mut Vec<RecordKey>) {
    let ticket = |id: TicketId| RecordKey::Ticket(id);
    let group = |id: TransferGroupId| RecordKey::TransferGroup(id);
    let settings = RecordKey::Settings(organizer);
    match command {
        Command::Inject(c) => keys.push(ticket(c.ticket)),
        Command::Download(c) => keys.push(ticket(c.ticket)),
        Command::ChangeFlag(c) => keys.push(ticket(c.ticket)),
        Command::RecordFeedback(c) => keys.push(ticket(c.ticket)),
        Command::RequestDeletion(c) => keys.push(ticket(c.ticket)),
        Command::CompleteDeletion(c) => keys.push(ticket(c.ticket)),
        Command::Initiate(c) => {
            keys.extend(c.tickets.iter().copied().map(ticket));
            keys.push(settings);
        }
        Command::ReturnToSender(c) => keys.extend([ticket(c.ticket), settings]),
        Command::Accept(c) => keys.push(group(c.group)),
        Command::SignIn { groups, .. } => keys.extend(groups.iter().copied().map(group)),
        Command::Decline(c) => keys.push(group(c.group)),
        Command::Cancel(c) => keys.push(group(c.group)),
        Command::Expire(c) => keys.push(group(c.group)),
        Command::EditRecipient(c) => keys.extend([group(c.group), settings]),
        Command::TakeBack(c) => {
            keys.extend([
                ticket(c.ticket),
                RecordKey::PointOfSale(c.point_of_sale),
                settings,
            ]);
        }
        Command::Redistribute(c) => {
            keys.extend([ticket(c.ticket), RecordKey::PointOfSale(c.point_of_sale)])
        }
    }
}

/// The keys of the records a command creates with caller-given ids: they must not exist yet.
fn created_keys(command: &Command) -> impl Iterator<Item = RecordKey> + use<> {
    let group = |id| Some(RecordKey::TransferGroup(id));
    let (first, second) = match command {
        Command::Initiate(c) => (group(c.groups.forward), group(c.groups.backward)),
        Command::EditRecipient(c) => (group(c.new_groups.forward), group(c.new_groups.backward)),
        Command::ReturnToSender(c) => (group(c.group), None),
        // A regular take back creates nothing; a mobile one with `new_ticket == ticket` is refused
        // by the rules (ReplacementIdReused) before this check matters.
        Command::TakeBack(c) if c.new_ticket != c.ticket => {
            (Some(RecordKey::Ticket(c.new_ticket)), None)
        }
        _ => (None, None),
    };
    first.into_iter().chain(second)
}

const fn needs_rules(command: &Command) -> bool {
    matches!(
        command,
        Command::Initiate(_)
            | Command::ReturnToSender(_)
            | Command::Accept(_)
            | Command::SignIn { .. }
            | Command::EditRecipient(_)
    )
}

/// What one attempt loaded, with the versions to expect when writing back, and the records as the
/// batch's decisions leave them.
///
/// Tickets, groups and command records live in `slots`, found through `index`: applying a
/// decision moves each new record into its slot once, and a hash map never moves a record.
#[derive(Default)]
struct Loaded {
    /// Every key asked for or created: its version as loaded ([`Version::NEW`] when absent) and
    /// its slot, when it is a ticket, group or command record that exists.
    index: FastMap<RecordKey, Entry>,
    /// The tickets, groups and command records, loaded or created (`None` once written out).
    slots: Vec<Option<Record>>,
    /// Read-only records: the shell never writes them.
    rules: Vec<UsageRule>,
    points_of_sale: Vec<PointOfSale>,
    settings: Vec<OrganizerSettings>,
    /// The slots changed by the batch's decisions, in first-change order, with the version each
    /// write expects.
    dirty: Vec<(usize, Version)>,
}

/// A key's version as loaded and where its record is.
#[derive(Clone, Copy)]
struct Entry {
    version: Version,
    slot: Option<usize>,
    dirty: bool,
}

impl Entry {
    const ABSENT: Self = Self {
        version: Version::NEW,
        slot: None,
        dirty: false,
    };
}

impl Loaded {
    fn fetch<S: Store + ?Sized>(
        &mut self,
        store: &S,
        keys: &mut Vec<RecordKey>,
    ) -> Result<(), StoreError> {
        // Keeps each key not yet known once (first occurrence), marking it as absent until
        // loaded: hashing, not sorting, so a batch of n commands costs O(n).
        self.index.reserve(keys.len());
        keys.retain(|key| match self.index.entry(*key) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(Entry::ABSENT);
                true
            }
        });
        if keys.is_empty() {
            return Ok(());
        }
        let found = store.load(keys)?;
        self.slots.reserve(found.len());
        for Versioned { value, version } in found {
            let key = value.key();
            let slot = match value {
                Record::UsageRule(r) => {
                    self.rules.push(r);
                    None
                }
                Record::PointOfSale(p) => {
                    self.points_of_sale.push(p);
                    None
                }
                Record::Settings(s) => {
                    self.settings.push(s);
                    None
                }
                record => {
                    self.slots.push(Some(record));
                    Some(self.slots.len().saturating_sub(1))
                }
            };
            self.index.insert(
                key,
                Entry {
                    version,
                    slot,
                    dirty: false,
                },
            );
        }
        Ok(())
    }

    /// The tickets, groups and command records, as the batch's decisions leave them.
    fn records(&self) -> impl Iterator<Item = &Record> {
        self.slots.iter().flatten()
    }

    /// The record under `key`, when it is a ticket, group or command record that exists.
    fn get(&self, key: RecordKey) -> Option<&Record> {
        let slot = self.index.get(&key)?.slot?;
        self.slots.get(slot)?.as_ref()
    }

    /// Whether a ticket or group exists under `key`, in the store or created by an earlier
    /// decision.
    fn exists(&self, key: RecordKey) -> bool {
        self.get(key).is_some()
    }

    /// Puts a ticket, group or command record in its final state so far, marking it changed.
    fn put(&mut self, record: Record) {
        let Self {
            index,
            slots,
            dirty,
            ..
        } = self;
        let entry = index.entry(record.key()).or_insert(Entry::ABSENT);
        let slot = match entry.slot.and_then(|s| Some((s, slots.get_mut(s)?))) {
            Some((slot, place)) => {
                *place = Some(record);
                slot
            }
            None => {
                slots.push(Some(record));
                let slot = slots.len().saturating_sub(1);
                entry.slot = Some(slot);
                slot
            }
        };
        if !entry.dirty {
            entry.dirty = true;
            dirty.push((slot, entry.version));
        }
    }

    /// Decides one request against the current records and applies an accepted decision.
    fn run(&mut self, request: &Request, attempt: u32) -> Result<Outcome, Error> {
        if let Some(Record::Command(record)) = self.get(RecordKey::Command(request.id)) {
            return if record.request == *request {
                Ok(Outcome {
                    events: record.events.clone(),
                    replayed: true,
                    attempts: attempt,
                })
            } else {
                Err(Error::CommandIdReused {
                    command: request.id,
                })
            };
        }
        let decision = self.decide(request)?;
        let taken = decision
            .tickets
            .iter()
            .map(|t| RecordKey::Ticket(t.id))
            .chain(
                decision
                    .groups
                    .iter()
                    .map(|g| RecordKey::TransferGroup(g.id)),
            )
            .find(|key| created_keys(&request.command).any(|c| c == *key) && self.exists(*key));
        if let Some(key) = taken {
            return Err(Error::IdInUse { key });
        }
        for ticket in decision.tickets {
            self.put(Record::Ticket(ticket));
        }
        for group in decision.groups {
            self.put(Record::TransferGroup(group));
        }
        let events = decision.events.into_vec();
        self.put(Record::Command(Box::new(CommandRecord {
            id: request.id,
            request: request.clone(),
            events: events.clone(),
        })));
        Ok(Outcome {
            events,
            replayed: false,
            attempts: attempt,
        })
    }

    /// The writes of every changed record, in its final state, expecting the version loaded.
    fn into_batch(mut self) -> Batch {
        let mut batch = Batch::with_capacity(self.dirty.len());
        for (slot, expected) in self.dirty {
            if let Some(record) = self.slots.get_mut(slot).and_then(Option::take) {
                batch.push(record, expected);
            }
        }
        batch
    }

    fn ticket(&self, id: TicketId) -> Result<&Ticket, Error> {
        match self.get(RecordKey::Ticket(id)) {
            Some(Record::Ticket(t)) => Ok(t),
            _ => Err(Error::NotFound {
                key: RecordKey::Ticket(id),
            }),
        }
    }

    fn group(&self, id: TransferGroupId) -> Result<&TransferGroup, Error> {
        match self.get(RecordKey::TransferGroup(id)) {
            Some(Record::TransferGroup(g)) => Ok(g),
            _ => Err(Error::NotFound {
                key: RecordKey::TransferGroup(id),
            }),
        }
    }

    /// Calls `decide` with the loaded tickets among `ids`, for the transitions that take a slice
    /// (missing ones are left out: the transition names them in its error). One ticket, the
    /// common case, is lent in place; several are copied into a list.
    fn with_tickets<R>(&self, ids: &[TicketId], decide: impl FnOnce(&[Ticket]) -> R) -> R {
        if let [id] = ids
            && let Ok(ticket) = self.ticket(*id)
        {
            return decide(std::slice::from_ref(ticket));
        }
        decide(&self.gather(ids))
    }

    /// Copies of the loaded tickets among `ids`.
    fn gather<'a>(&self, ids: impl IntoIterator<Item = &'a TicketId>) -> Vec<Ticket> {
        ids.into_iter()
            .filter_map(|id| self.ticket(*id).ok())
            .cloned()
            .collect()
    }

    fn settings(&self, organizer: OrganizerId) -> Result<&OrganizerSettings, Error> {
        self.settings
            .iter()
            .find(|s| s.id == organizer)
            .ok_or(Error::NotFound {
                key: RecordKey::Settings(organizer),
            })
    }

    fn decide(&self, request: &Request) -> Result<Decision, Error> {
        let rule = |e: RuleError| Error::Rule(e);
        let rules = &self.rules[..];
        Ok(match &request.command {
            Command::Inject(c) => {
                injection::inject(self.ticket(c.ticket)?, c).map_err(|e| rule(e.into()))?
            }
            Command::Download(c) => {
                wallet::download(self.ticket(c.ticket)?, c).map_err(|e| rule(e.into()))?
            }
            Command::ChangeFlag(c) => {
                wallet::change_flag(self.ticket(c.ticket)?, c).map_err(|e| rule(e.into()))?
            }
            Command::RecordFeedback(c) => {
                injection::record_feedback(self.ticket(c.ticket)?, c).map_err(|e| rule(e.into()))?
            }
            Command::RequestDeletion(c) => {
                wallet::request_deletion(self.ticket(c.ticket)?, c).map_err(|e| rule(e.into()))?
            }
            Command::CompleteDeletion(c) => {
                wallet::complete_deletion(self.ticket(c.ticket)?, c).map_err(|e| rule(e.into()))?
            }
            Command::Initiate(c) => {
                let settings = &self.settings(request.organizer)?.acceptance;
                self.with_tickets(&c.tickets, |tickets| {
                    transfer::initiate(tickets, rules, settings, c)
                })
                .map_err(|e| rule(e.into()))?
            }
            Command::ReturnToSender(c) => {
                let settings = &self.settings(request.organizer)?.acceptance;
                self.with_tickets(std::slice::from_ref(&c.ticket), |tickets| {
                    transfer::return_to_sender(tickets, rules, settings, c)
                })
                .map_err(|e| rule(e.into()))?
            }
            Command::Accept(c) => {
                let group = self.group(c.group)?;
                self.with_tickets(&group.tickets, |tickets| {
                    transfer::accept(group, tickets, rules, c)
                })
                .map_err(|e| rule(e.into()))?
            }
            Command::SignIn { sign_in, groups } => {
                // Only the groups the command lists: a batch may have loaded others.
                let listed: Vec<TransferGroup> = groups
                    .iter()
                    .filter_map(|id| self.group(*id).ok())
                    .cloned()
                    .collect();
                let tickets = self.gather(listed.iter().flat_map(|g| g.tickets.iter()));
                transfer::complete_on_sign_in(&listed, &tickets, rules, sign_in)
                    .map_err(|e| rule(e.into()))?
            }
            Command::Decline(c) => {
                let group = self.group(c.group)?;
                self.with_tickets(&group.tickets, |tickets| {
                    transfer::decline(group, tickets, c)
                })
                .map_err(|e| rule(e.into()))?
            }
            Command::Cancel(c) => {
                let group = self.group(c.group)?;
                self.with_tickets(&group.tickets, |tickets| {
                    transfer::cancel(group, tickets, c)
                })
                .map_err(|e| rule(e.into()))?
            }
            Command::Expire(c) => {
                let group = self.group(c.group)?;
                self.with_tickets(&group.tickets, |tickets| {
                    transfer::expire(group, tickets, c)
                })
                .map_err(|e| rule(e.into()))?
            }
            Command::EditRecipient(c) => {
                let settings = &self.settings(request.organizer)?.acceptance;
                let group = self.group(c.group)?;
                self.with_tickets(&group.tickets, |tickets| {
                    transfer::edit_recipient(group, tickets, rules, settings, c)
                })
                .map_err(|e| rule(e.into()))?
            }
            Command::TakeBack(c) => {
                let settings = self.settings(request.organizer)?;
                let pos = self.point_of_sale(c)?;
                take_back::take_back(
                    self.ticket(c.ticket)?,
                    pos,
                    &settings.interface,
                    &settings.take_back,
                    c,
                )
                .map_err(|e| rule(e.into()))?
            }
            Command::Redistribute(c) => {
                let pos = self
                    .points_of_sale
                    .iter()
                    .find(|p| p.id == c.point_of_sale)
                    .ok_or(Error::NotFound {
                        key: RecordKey::PointOfSale(c.point_of_sale),
                    })?;
                take_back::redistribute(self.ticket(c.ticket)?, pos, c)
                    .map_err(|e| rule(e.into()))?
            }
        })
    }

    fn point_of_sale(&self, command: &TakeBackTicket) -> Result<&PointOfSale, Error> {
        self.points_of_sale
            .iter()
            .find(|p| p.id == command.point_of_sale)
            .ok_or(Error::NotFound {
                key: RecordKey::PointOfSale(command.point_of_sale),
            })
    }
}
