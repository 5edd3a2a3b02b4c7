//! The system under test: a `MemoryStore` wrapped in a recording store (which can also seed a bug
//! for the negative controls), driven by `Service` in even cases and by `AsyncService` in odd ones
//! (both drive the same `Execution`), and every check run after a step: the records against the
//! model, the invariants, and the read side (wallets, histories, lists of tickets, the feed).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use secure_ticket::command::{RecordedOutcome, Refusal};
use secure_ticket::feed::{FeedEntry, FeedQuery, Position};
use secure_ticket::index::{Hit, Lookup, PageRequest};
use secure_ticket::service::{
    AsyncService, HistoryFilter, Outcome, Page, Request, Service, TicketStanding,
    Wallet as WalletPage, WalletRequest,
};
use secure_ticket::spectator::Spectator;
use secure_ticket::store::{
    Batch, Blocking, Decoded, Envelope, MemoryStore, Pruned, Read, ReadPlan, Record, RecordKey,
    Store, StoreError, Versioned,
};
use secure_ticket::strategies::POINT_OF_SALE;
use secure_ticket::{
    CommandId, Direction, Email, Error, Event, InvalidationReason, OrganizerId, PointOfSaleId,
    RightId, Ticket, TicketId, TransferGroup, UsageRule, UsageRuleId,
};
use time::{Duration, OffsetDateTime};

use crate::kinds::{command_kind, error_kind, event_kind, success_label};
use crate::reference::{
    MGroup, MSpectator, MTicket, Model, ModelWallet, ORGANIZER, OTHER_POS, Predicted,
    SECOND_B2B_POS, Step, UNKNOWN_ORGANIZER, UNKNOWN_POS, WalletLine, restamp,
};

/// The organizers whose feeds and wallets are read: the one with records, and another (X7).
const ORGANIZERS: [OrganizerId; 2] = [ORGANIZER, UNKNOWN_ORGANIZER];
/// The page size of the paging checks (Q7): small, so that every list spans several pages.
const SMALL_PAGE: u32 = 2;
/// One page holding every entry of a list.
const BIG_PAGE: u32 = 1_000;
/// The paged reads (Q7), the lists of tickets (Q6) and the whole feed (F2) are checked after
/// every `SAMPLE`-th step, and at the end of every case; the wallets and histories (Q2, Q3) and
/// the feed entries a step appends (F1) after every step.
const SAMPLE: usize = 4;

/// A bug seeded by the test store, never by the crate: the negative controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bug {
    /// An accepted FORWARD transfer keeps the ticket's level (T8).
    LevelNotRaisedOnAccept,
    /// A declined transfer moves the tickets to the recipient anyway (T10).
    DeclineMovesTicket,
    /// A mobile take back leaves the old ticket valid (B7, B11).
    TakeBackLeavesOldValid,
    /// A ticket put on resale stays valid while held for its buyer (R2, B11).
    ResaleLeavesTicketValid,
    /// The command record is not written, so a retry runs the command again (X3).
    CommandRecordLost,
    /// A command's index additions are not written: new owners, senders and recipients do not
    /// find their tickets and groups (Q1, Q2).
    IndexAdditionsLost,
    /// A command's feed entry is not appended (F1).
    FeedEntryLost,
    /// A lock or unlock is not written: the spectator's record stays as it was (L1).
    SpectatorRecordLost,
}

/// `MemoryStore`, remembering every key ever written (so the whole state can be read back) and
/// those written since the last snapshot, and rewriting committed batches when a bug is seeded.
#[derive(Debug)]
pub(crate) struct TestStore {
    inner: MemoryStore,
    written: Mutex<BTreeSet<RecordKey>>,
    /// The keys committed since the last snapshot.
    dirty: Mutex<BTreeSet<RecordKey>>,
    bug: Option<Bug>,
}

impl Store for TestStore {
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.inner.load(keys)
    }

    /// `MemoryStore`'s own read: the whole plan under one lock.
    fn read(&self, plan: &ReadPlan) -> Result<Read, StoreError> {
        self.inner.read(plan)
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        let batch = match self.bug {
            Some(bug) => seed(bug, batch),
            None => batch,
        };
        let keys: Vec<RecordKey> = batch.writes.iter().map(|w| w.record.key()).collect();
        self.inner.commit(batch)?;
        self.written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(keys.iter().copied());
        self.dirty
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(keys);
        Ok(())
    }

    fn query(&self, lookup: &Lookup) -> Result<Vec<Hit>, StoreError> {
        self.inner.query(lookup)
    }

    fn feed(&self, query: &FeedQuery) -> Result<Vec<FeedEntry>, StoreError> {
        self.inner.feed(query)
    }

    fn prune(&self, before: OffsetDateTime, limit: u32) -> Result<Pruned, StoreError> {
        self.inner.prune(before, limit)
    }
}

/// The batch as a buggy shell would write it. A command's batch is the one with a feed entry
/// (a refusal writes only its command record; the setup, neither).
fn seed(bug: Bug, mut batch: Batch) -> Batch {
    match bug {
        Bug::CommandRecordLost => {
            batch
                .writes
                .retain(|w| !matches!(w.record, Record::Command(_)));
            return batch;
        }
        Bug::IndexAdditionsLost => {
            if !batch.feed.is_empty() {
                batch.index.added.clear();
            }
            return batch;
        }
        Bug::FeedEntryLost => {
            batch.feed.clear();
            return batch;
        }
        Bug::SpectatorRecordLost => {
            if !batch.feed.is_empty() {
                batch
                    .writes
                    .retain(|w| !matches!(w.record, Record::Spectator(_)));
            }
            return batch;
        }
        _ => {}
    }
    let events: Vec<Event> = batch
        .feed
        .iter()
        .flat_map(|entry| entry.events.iter().cloned())
        .collect();
    let tickets = batch.writes.iter_mut().filter_map(|w| match &mut w.record {
        Record::Ticket(t) => Some(t),
        _ => None,
    });
    match bug {
        Bug::LevelNotRaisedOnAccept => {
            let kept: BTreeMap<TicketId, u16> = events
                .iter()
                .filter_map(|e| match e {
                    Event::TicketTransferred {
                        ticket,
                        direction: Direction::Forward,
                        level_before,
                        ..
                    } => Some((*ticket, *level_before)),
                    _ => None,
                })
                .collect();
            for t in tickets {
                if let (Some(level), Some(w)) = (kept.get(&t.id), t.wallet.as_mut()) {
                    w.level = *level;
                }
            }
        }
        Bug::DeclineMovesTicket => {
            let moved: Vec<(Email, Email, Vec<TicketId>)> = events
                .iter()
                .filter_map(|e| match e {
                    Event::TransferDeclined {
                        sender,
                        recipient,
                        tickets,
                        ..
                    } => Some((
                        sender.clone(),
                        recipient.clone(),
                        tickets.iter().copied().collect(),
                    )),
                    _ => None,
                })
                .collect();
            for t in tickets {
                for (sender, recipient, ids) in &moved {
                    if let (true, Some(w)) = (ids.contains(&t.id), t.wallet.as_mut()) {
                        w.owners.previous = Some(sender.clone());
                        w.owners.current = recipient.clone();
                    }
                }
            }
        }
        Bug::TakeBackLeavesOldValid | Bug::ResaleLeavesTicketValid => {
            // The bug's own invalidation only: a take back's, or a resale's (R2).
            let seeded = if bug == Bug::ResaleLeavesTicketValid {
                InvalidationReason::Resale
            } else {
                InvalidationReason::MobileTakeBack
            };
            let invalidated: Vec<TicketId> = events
                .iter()
                .filter_map(|e| match e {
                    Event::TicketInvalidated { ticket, reason, .. } if *reason == seeded => {
                        Some(*ticket)
                    }
                    _ => None,
                })
                .collect();
            for t in tickets {
                if invalidated.contains(&t.id) {
                    t.distribution.invalidation = None;
                }
            }
        }
        Bug::CommandRecordLost
        | Bug::IndexAdditionsLost
        | Bug::FeedEntryLost
        | Bug::SpectatorRecordLost => {}
    }
    batch
}

/// Which checks a run makes (the model test makes them all; the rule-named tests one each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Checks(u16);

impl Checks {
    /// Outcome and state equal to the model's.
    pub(crate) const MODEL: Self = Self(1);
    /// X1: an error leaves the serialized state byte-identical.
    pub(crate) const X1: Self = Self(1 << 1);
    /// X3: a retried command changes nothing and returns the first result.
    pub(crate) const X3: Self = Self(1 << 2);
    /// X5: every stored state round-trips through the envelope.
    pub(crate) const ROUND_TRIP: Self = Self(1 << 3);
    /// B11: at most one valid ticket per right, and none while a ticket of it is on resale (R2).
    pub(crate) const ONE_VALID: Self = Self(1 << 4);
    /// B11: no ticket lost (an invalidated ticket leads to a valid replacement, or is held on
    /// resale, R2).
    pub(crate) const NONE_LOST: Self = Self(1 << 5);
    /// T2, T9, S9: the level stays within 0..=limit, but for a ticket a staff transfer moved
    /// (within 0..=256 then); a spectator's transfer never takes a ticket above its limit.
    pub(crate) const LEVEL: Self = Self(1 << 6);
    /// §1, W2: the initial owner never changes.
    pub(crate) const INITIAL_OWNER: Self = Self(1 << 7);
    /// T6: BACKWARD goes to the previous owner at initiation (and FORWARD never does).
    pub(crate) const BACKWARD: Self = Self(1 << 8);
    /// T4, T13: a ticket is in at most one PENDING group, the one its wallet names.
    pub(crate) const ONE_PENDING: Self = Self(1 << 9);
    /// Q2: every wallet equals the model's.
    pub(crate) const WALLET: Self = Self(1 << 10);
    /// Q3: every history equals the model's.
    pub(crate) const HISTORY: Self = Self(1 << 11);
    /// Q6: the tickets of every right and point of sale, with their take-back standing, equal
    /// the model's.
    pub(crate) const STANDING: Self = Self(1 << 12);
    /// Q7: paging with a small limit visits exactly the entries of one big page.
    pub(crate) const PAGING: Self = Self(1 << 13);
    /// F1, F2: the feed holds, in order, one entry per accepted command with events, with them.
    pub(crate) const FEED: Self = Self(1 << 14);
    /// X7: another organizer's queries see none of the records.
    pub(crate) const TENANCY: Self = Self(1 << 15);
    /// Everything.
    pub(crate) const ALL: Self = Self(u16::MAX);

    const fn has(self, check: Self) -> bool {
        self.0 & check.0 != 0
    }
}

/// Outcome counts of the model test, by command kind and outcome.
pub(crate) static COVERAGE: Mutex<BTreeMap<(&'static str, String), u64>> =
    Mutex::new(BTreeMap::new());

/// One stored record, as read back, with its serialized envelope.
#[derive(Debug, Clone)]
struct Stored {
    version: u64,
    record: Record,
    json: String,
}

type Snapshot = BTreeMap<RecordKey, Arc<Stored>>;

/// Which driver runs the next case: they alternate.
static CASES: AtomicUsize = AtomicUsize::new(0);

/// The shell's two drivers over the test store.
#[derive(Debug)]
enum Driver {
    Sync(Service<TestStore>),
    Async(AsyncService<Blocking<TestStore>>),
}

impl Driver {
    /// `Service` for even cases, `AsyncService` for odd ones.
    fn next(store: TestStore) -> Self {
        if CASES.fetch_add(1, Ordering::Relaxed).is_multiple_of(2) {
            Self::Sync(Service::new(store))
        } else {
            Self::Async(AsyncService::new(Blocking::new(store)))
        }
    }

    fn store(&self) -> &TestStore {
        match self {
            Self::Sync(service) => service.store(),
            Self::Async(service) => service.store().get(),
        }
    }

    fn execute(&self, request: &Request) -> Result<Outcome, Error> {
        match self {
            Self::Sync(service) => service.execute(request),
            Self::Async(service) => ready(service.execute(request)),
        }
    }

    fn wallet(&self, organizer: OrganizerId, request: &WalletRequest) -> Result<WalletPage, Error> {
        match self {
            Self::Sync(service) => service.wallet(organizer, request),
            Self::Async(service) => ready(service.wallet(organizer, request)),
        }
    }

    fn history(
        &self,
        organizer: OrganizerId,
        email: &Email,
        filter: HistoryFilter,
        page: &PageRequest,
    ) -> Result<Page<TransferGroup>, Error> {
        match self {
            Self::Sync(service) => service.history(organizer, email, filter, page),
            Self::Async(service) => ready(service.history(organizer, email, filter, page)),
        }
    }

    fn tickets(
        &self,
        organizer: OrganizerId,
        list: TicketList,
        page: &PageRequest,
        at: OffsetDateTime,
    ) -> Result<Page<TicketStanding>, Error> {
        match (self, list) {
            (Self::Sync(service), TicketList::Right(right)) => {
                service.tickets_of_right(organizer, right, page, at)
            }
            (Self::Sync(service), TicketList::PointOfSale(pos)) => {
                service.tickets_of_point_of_sale(organizer, pos, page, at)
            }
            (Self::Async(service), TicketList::Right(right)) => {
                ready(service.tickets_of_right(organizer, right, page, at))
            }
            (Self::Async(service), TicketList::PointOfSale(pos)) => {
                ready(service.tickets_of_point_of_sale(organizer, pos, page, at))
            }
        }
    }

    fn feed_after(
        &self,
        organizer: OrganizerId,
        after: Position,
        limit: u32,
    ) -> Result<Vec<FeedEntry>, Error> {
        match self {
            Self::Sync(service) => service.feed_after(organizer, after, limit),
            Self::Async(service) => ready(service.feed_after(organizer, after, limit)),
        }
    }
}

/// A list of tickets S360 asks for (Q6).
#[derive(Clone, Copy, Debug)]
enum TicketList {
    Right(RightId),
    PointOfSale(PointOfSaleId),
}

/// Polls a future whose store never waits (the test store answers at once).
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            return output;
        }
    }
}

/// A feed entry as the checks compare it: organizer, command, time, events.
type Entry = (
    OrganizerId,
    CommandId,
    OffsetDateTime,
    secure_ticket::Events,
);

/// The system under test, with what the checks remember between steps.
#[derive(Debug)]
pub(crate) struct Sut {
    service: Driver,
    checks: Checks,
    coverage: bool,
    /// The state after the last step.
    now: Snapshot,
    /// The state before the last step.
    before: Snapshot,
    /// The initial owner of every ticket, the first time it was seen injected.
    initial_owners: BTreeMap<TicketId, Email>,
    /// S9: the tickets a completed back-office transfer moved, whose level may exceed the limit.
    staff_moved: BTreeSet<TicketId>,
    /// Every right ever seen.
    rights: BTreeSet<RightId>,
    /// F1: the feed entry of every command accepted so far with events, as its outcome said, in
    /// order.
    feed: Vec<Entry>,
    /// F2: the last feed position read, per organizer.
    seen: BTreeMap<OrganizerId, Position>,
    /// Steps run so far.
    steps: usize,
}

impl Sut {
    /// A store holding the model's setup records.
    pub(crate) fn new(
        model: &Model,
        bug: Option<Bug>,
        checks: Checks,
        coverage: bool,
    ) -> Result<Self, String> {
        let store = TestStore {
            inner: MemoryStore::new(),
            written: Mutex::new(BTreeSet::new()),
            dirty: Mutex::new(BTreeSet::new()),
            bug,
        };
        let service = Driver::next(store);
        Service::new(service.store())
            .create(model.setup.iter().cloned())
            .map_err(|e| format!("setup: {e}"))?;
        let mut sut = Self {
            service,
            checks,
            coverage,
            now: Snapshot::new(),
            before: Snapshot::new(),
            initial_owners: BTreeMap::new(),
            staff_moved: BTreeSet::new(),
            rights: BTreeSet::new(),
            feed: Vec::new(),
            seen: ORGANIZERS.iter().map(|&o| (o, Position::START)).collect(),
            steps: 0,
        };
        sut.now = sut.snapshot(&Snapshot::new())?;
        sut.before = sut.now.clone();
        sut.remember();
        Ok(sut)
    }

    /// The state now: `cache` (the last snapshot) with every record committed since read back,
    /// each new version serialized (and its round trip checked). Every write goes through the
    /// test store's `commit`, so a record no commit touched is the one in `cache`.
    fn snapshot(&self, cache: &Snapshot) -> Result<Snapshot, String> {
        let store = self.service.store();
        let keys: Vec<RecordKey> =
            std::mem::take(&mut *store.dirty.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .collect();
        let loaded = store.inner.load(&keys).map_err(|e| format!("load: {e}"))?;
        let mut snapshot = cache.clone();
        let mut found = 0;
        for Versioned { value, version } in loaded {
            let key = value.key();
            let version = version.get();
            found += 1;
            let json = match cache.get(&key) {
                Some(old) if old.version == version && old.record == value => old.json.clone(),
                _ => self.serialize(key, &value)?,
            };
            snapshot.insert(
                key,
                Arc::new(Stored {
                    version,
                    record: value,
                    json,
                }),
            );
        }
        let written = store
            .written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len();
        if found != keys.len() || snapshot.len() != written {
            return Err(format!(
                "the store lost records: {written} written, {} found",
                snapshot.len()
            ));
        }
        Ok(snapshot)
    }

    /// X5: the envelope of a record round-trips: decoded under its key it is the same record, and
    /// encoded again it is the same bytes.
    fn serialize(&self, key: RecordKey, record: &Record) -> Result<String, String> {
        let json = serde_json::to_string(&Envelope::new(record.clone()))
            .map_err(|e| format!("x5_every_state_round_trips: {key} does not encode: {e}"))?;
        if self.checks.has(Checks::ROUND_TRIP) {
            let fail =
                |why: String| Err(format!("x5_every_state_round_trips: {key}: {why}\n{json}"));
            let decoded: Decoded = match serde_json::from_str(&json) {
                Ok(d) => d,
                Err(e) => return fail(format!("does not decode: {e}")),
            };
            let back = match decoded.into_record(key) {
                Ok(r) => r,
                Err(e) => return fail(format!("is refused: {e}")),
            };
            if back != *record {
                return fail(format!("decodes to another record: {back:?}"));
            }
            let again = serde_json::to_string(&Envelope::new(back)).unwrap_or_default();
            if again != json {
                return fail(format!("encodes to other bytes: {again}"));
            }
        }
        Ok(json)
    }

    fn tickets(snapshot: &Snapshot) -> impl Iterator<Item = &Ticket> {
        snapshot.values().filter_map(|s| match &s.record {
            Record::Ticket(t) => Some(t),
            _ => None,
        })
    }

    fn groups(snapshot: &Snapshot) -> impl Iterator<Item = &TransferGroup> {
        snapshot.values().filter_map(|s| match &s.record {
            Record::TransferGroup(g) => Some(g),
            _ => None,
        })
    }

    fn spectators(snapshot: &Snapshot) -> impl Iterator<Item = &Spectator> {
        snapshot.values().filter_map(|s| match &s.record {
            Record::Spectator(r) => Some(r),
            _ => None,
        })
    }

    fn rules(snapshot: &Snapshot) -> BTreeMap<UsageRuleId, UsageRule> {
        snapshot
            .values()
            .filter_map(|s| match &s.record {
                Record::UsageRule(r) => Some((r.id, *r)),
                _ => None,
            })
            .collect()
    }

    /// Runs one step; compares the outcome with the model's prediction; checks X1 (an error
    /// writes nothing but its command record), X3 (the outcome is recorded, and a retry stamped
    /// later replays it and writes nothing) and F1 (an accepted command appends one feed entry,
    /// with its events; a refused or replayed one appends nothing).
    pub(crate) fn apply(&mut self, model: &Model, step: &Step) -> Result<(), String> {
        let request = &step.request;
        let kind = command_kind(&request.command);
        let command_key = RecordKey::Command(request.key());
        let processed_before = self.now.contains_key(&command_key);
        let result = self.service.execute(request);
        let after = self.snapshot(&self.now)?;
        if let Ok(o) = &result
            && !o.replayed
        {
            self.check_transferred(&o.events, &after)?;
        }
        let outcome = match &result {
            Ok(o) => success_label(&request.command, &o.events, o.replayed),
            // X3: a retry of a refused command, refused again from its record.
            Err(e) if processed_before && Refusal::of(e).is_some() => {
                format!("Replayed:{}", error_kind(e))
            }
            Err(e) => error_kind(e),
        };
        if self.coverage {
            let mut coverage = COVERAGE.lock().unwrap_or_else(|e| e.into_inner());
            *coverage.entry((kind, outcome.clone())).or_insert(0) += 1;
        }
        if self.checks.has(Checks::MODEL) {
            let predicted = model.last.as_ref().ok_or("the model predicted nothing")?;
            let actual = match &result {
                Ok(o) => {
                    let events: Vec<&'static str> = o.events.iter().map(event_kind).collect();
                    if o.replayed {
                        Predicted::Replayed(events)
                    } else {
                        Predicted::Ok(events)
                    }
                }
                Err(e) => Predicted::Err(error_kind(e)),
            };
            if actual != *predicted {
                return Err(format!(
                    "model: {kind} predicted {predicted:?}, the core answered {actual:?} ({})\nrequest: {request:?}",
                    match &result {
                        Ok(_) => "success".to_owned(),
                        Err(e) => e.to_string(),
                    }
                ));
            }
        }
        if self.checks.has(Checks::FEED) {
            // A command that produced no event (a sign-in with nothing to complete) has no
            // entry: the feed holds events (F1), its record says it had none.
            let appended = match &result {
                Ok(o) if !o.replayed && !o.events.is_empty() => Some((
                    request.organizer,
                    request.id,
                    request.command.at(),
                    o.events.clone(),
                )),
                _ => None,
            };
            self.check_appended(kind, &outcome, appended)?;
        }
        // The first write of a new command's record, when the command is processed (X3).
        let recorded = match &result {
            Ok(o) => !o.replayed,
            Err(e) => Refusal::of(e).is_some() && !processed_before,
        };
        let except = recorded.then_some(command_key);
        if let Err(e) = &result
            && self.checks.has(Checks::X1)
            && let Some(change) = self.changes(&after, except)
        {
            return Err(format!(
                "x1_error_leaves_state_byte_identical: {kind} refused with {} but {change}",
                error_kind(e)
            ));
        }
        if self.checks.has(Checks::X3) {
            if !recorded && let Some(change) = self.changes(&after, None) {
                return Err(format!(
                    "x3_retry_changes_nothing: a {kind} answered {outcome} wrote: {change}"
                ));
            }
            if recorded {
                Self::check_recorded(kind, request, &result, &after)?;
            }
            // A retry as an HTTP server sends it, stamped later: the first result, nothing written.
            let retry = Request {
                command: restamp(
                    &request.command,
                    request.command.at() + Duration::minutes(7),
                ),
                ..request.clone()
            };
            let again = self.service.execute(&retry);
            match (&result, &again) {
                (Ok(first), Ok(second)) if second.replayed && second.events == first.events => {}
                (Err(first), Err(second))
                    if error_kind(first) == error_kind(second)
                        && Refusal::of(first) == Refusal::of(second) => {}
                _ => {
                    return Err(format!(
                        "x3_retry_changes_nothing: the retry of {kind} was not a replay of the first result: {again:?} after {result:?}"
                    ));
                }
            }
            let again = self.snapshot(&after)?;
            let same = again.len() == after.len()
                && again.iter().all(|(k, s)| {
                    after
                        .get(k)
                        .is_some_and(|a| a.version == s.version && a.json == s.json)
                });
            if !same {
                return Err(format!(
                    "x3_retry_changes_nothing: the retry of {kind} wrote records"
                ));
            }
            if self.checks.has(Checks::FEED) {
                self.check_appended(kind, "its retry", None)?;
            }
        }
        self.before = std::mem::replace(&mut self.now, after);
        self.remember();
        self.steps += 1;
        Ok(())
    }

    /// T2, T9, S9: each ticket a spectator's transfer moved is within its rule's limit after it;
    /// a ticket a staff transfer moved is noted (its level may exceed the limit, never 256).
    fn check_transferred(&mut self, events: &[Event], after: &Snapshot) -> Result<(), String> {
        let rules = Self::rules(after);
        for event in events {
            let Event::TicketTransferred {
                ticket,
                level_after,
                back_office,
                ..
            } = event
            else {
                continue;
            };
            if back_office.is_some() {
                self.staff_moved.insert(*ticket);
                continue;
            }
            let limit = Self::tickets(after)
                .find(|t| t.id == *ticket)
                .and_then(|t| t.wallet.as_ref())
                .and_then(|w| rules.get(&w.usage_rule))
                .map_or(256, |r| r.max_transfers.get());
            if self.checks.has(Checks::LEVEL) && *level_after > limit {
                return Err(format!(
                    "t9_level_within_limit: a spectator's transfer took ticket {ticket} to level {level_after}, above its limit {limit}"
                ));
            }
        }
        Ok(())
    }

    /// The first change from the state before the step to `after`, but for the record under
    /// `except`.
    fn changes(&self, after: &Snapshot, except: Option<RecordKey>) -> Option<String> {
        let keep = |k: &&RecordKey| Some(**k) != except;
        let keys_before: Vec<_> = self.now.keys().filter(keep).collect();
        let keys_after: Vec<_> = after.keys().filter(keep).collect();
        if keys_before != keys_after {
            return Some(format!(
                "records written: {:?}",
                after
                    .keys()
                    .filter(|k| !self.now.contains_key(k))
                    .collect::<Vec<_>>()
            ));
        }
        self.now
            .iter()
            .filter(|(key, _)| Some(**key) != except)
            .find_map(|(key, old)| {
                let new = &after[key];
                (old.version != new.version || old.json != new.json).then(|| {
                    format!(
                        "{key} changed from v{} {} to v{} {}",
                        old.version, old.json, new.version, new.json
                    )
                })
            })
    }

    /// X3: a processed command's record holds the organizer, the id, the digest of what was sent,
    /// the time and the outcome (the refusal, or how many events are in the feed).
    fn check_recorded(
        kind: &str,
        request: &Request,
        result: &Result<Outcome, Error>,
        after: &Snapshot,
    ) -> Result<(), String> {
        let key = RecordKey::Command(request.key());
        let Some(Stored {
            record: Record::Command(record),
            ..
        }) = after.get(&key).map(|s| &**s)
        else {
            return Err(format!(
                "x3_retry_changes_nothing: {kind} ({result:?}) left no command record"
            ));
        };
        let outcome_ok = match (result, &record.outcome) {
            (Ok(o), RecordedOutcome::Accepted { events }) => {
                usize::try_from(*events).ok() == Some(o.events.len())
            }
            (Err(e), RecordedOutcome::Refused { refusal }) => {
                Refusal::of(e).as_ref() == Some(refusal)
            }
            _ => false,
        };
        if !outcome_ok
            || record.organizer != request.organizer
            || record.id != request.id
            || record.digest != request.digest()
            || record.at != request.command.at()
        {
            return Err(format!(
                "x3_retry_changes_nothing: {kind} ({result:?}) recorded {record:?}"
            ));
        }
        Ok(())
    }

    /// F1: the entries the step appended to each organizer's feed are exactly `appended` (the
    /// accepted command's entry, or none), after every position read before.
    fn check_appended(
        &mut self,
        kind: &str,
        outcome: &str,
        appended: Option<Entry>,
    ) -> Result<(), String> {
        for organizer in ORGANIZERS {
            let after = self.seen[&organizer];
            let new = self
                .service
                .feed_after(organizer, after, BIG_PAGE)
                .map_err(|e| format!("feed_after: {e}"))?;
            let expected: Vec<&Entry> = appended
                .iter()
                .filter(|entry| entry.0 == organizer)
                .collect();
            let actual: Vec<Entry> = new.iter().map(entry_of).collect();
            if actual.len() != expected.len()
                || actual.iter().zip(&expected).any(|(a, e)| a != *e)
                || new.iter().any(|entry| entry.position <= after)
            {
                return Err(format!(
                    "f1_f2_feed_holds_every_accepted_command_once_in_order: {kind} ({outcome}) of \
                     organizer {organizer} appended {new:?} after position {after:?}, expected {expected:?}"
                ));
            }
            if let Some(last) = new.last() {
                self.seen.insert(organizer, last.position);
            }
        }
        self.feed.extend(appended);
        Ok(())
    }

    /// Notes every right seen, and the initial owner of every ticket the first time it is seen
    /// injected, for the invariants.
    fn remember(&mut self) {
        for t in Self::tickets(&self.now) {
            self.rights.insert(t.right);
            if let Some(w) = &t.wallet {
                self.initial_owners
                    .entry(t.id)
                    .or_insert_with(|| w.owners.initial.clone());
            }
        }
    }

    /// The invariants, on the state after the last step, and the state compared with the model's.
    pub(crate) fn check_invariants(&self, model: &Model) -> Result<(), String> {
        let tickets: BTreeMap<TicketId, &Ticket> =
            Self::tickets(&self.now).map(|t| (t.id, t)).collect();
        let groups: Vec<&TransferGroup> = Self::groups(&self.now).collect();
        let rules = Self::rules(&self.now);

        if self.checks.has(Checks::ONE_VALID) {
            let mut valid: BTreeMap<RightId, Vec<TicketId>> = BTreeMap::new();
            for t in tickets.values().filter(|t| t.is_valid()) {
                valid.entry(t.right).or_default().push(t.id);
            }
            if let Some((right, ids)) = valid.iter().find(|(_, ids)| ids.len() > 1) {
                return Err(format!(
                    "b11_at_most_one_valid_ticket_per_right: right {right} has valid tickets {ids:?}"
                ));
            }
            // R2: while a ticket is on resale, its right has no valid ticket, and no other
            // ticket of it is on resale.
            let mut held: BTreeMap<RightId, Vec<TicketId>> = BTreeMap::new();
            for t in tickets.values().filter(|t| on_resale(t)) {
                held.entry(t.right).or_default().push(t.id);
            }
            for (right, ids) in &held {
                let valid = valid.get(right).map_or(&[][..], Vec::as_slice);
                if ids.len() > 1 || !valid.is_empty() {
                    return Err(format!(
                        "b11_at_most_one_valid_ticket_per_right: right {right} has tickets {ids:?} on \
                         resale and valid tickets {valid:?}"
                    ));
                }
            }
        }
        if self.checks.has(Checks::NONE_LOST) {
            for t in tickets.values() {
                let mut current = *t;
                let mut hops = 0;
                while let Some(invalidation) = &current.distribution.invalidation {
                    // R2: held for its buyer, not lost.
                    if on_resale(current) {
                        break;
                    }
                    let next = invalidation.replaced_by.and_then(|id| tickets.get(&id));
                    match next {
                        Some(next) if next.right == t.right && hops <= tickets.len() => {
                            current = next;
                            hops += 1;
                        }
                        _ => {
                            return Err(format!(
                                "b11_no_ticket_lost: ticket {} is invalidated and its chain of replacements \
                                 ends at {} ({invalidation:?}) without a valid ticket for right {}",
                                t.id, current.id, t.right
                            ));
                        }
                    }
                }
            }
            for right in &self.rights {
                if !tickets
                    .values()
                    .any(|t| t.right == *right && (t.is_valid() || on_resale(t)))
                {
                    return Err(format!(
                        "b11_no_ticket_lost: right {right} has no valid ticket"
                    ));
                }
            }
        }
        if self.checks.has(Checks::LEVEL) {
            for t in tickets.values() {
                let Some(w) = &t.wallet else { continue };
                // S9: a staff transfer may take the level past the limit, never past 256 (T9).
                let limit = if self.staff_moved.contains(&t.id) {
                    256
                } else {
                    rules
                        .get(&w.usage_rule)
                        .map_or(256, |r| r.max_transfers.get())
                };
                if w.level > limit {
                    return Err(format!(
                        "t9_level_within_limit: ticket {} has level {} above its limit {limit}",
                        t.id, w.level
                    ));
                }
            }
        }
        if self.checks.has(Checks::INITIAL_OWNER) {
            for t in tickets.values() {
                let Some(w) = &t.wallet else { continue };
                let Some(first) = self.initial_owners.get(&t.id) else {
                    continue;
                };
                if *first != w.owners.initial {
                    return Err(format!(
                        "w2_initial_owner_never_changes: ticket {} was injected to {first}, its initial owner is now {}",
                        t.id, w.owners.initial
                    ));
                }
            }
        }
        if self.checks.has(Checks::BACKWARD) {
            let before: BTreeMap<TicketId, &Ticket> =
                Self::tickets(&self.before).map(|t| (t.id, t)).collect();
            for g in groups
                .iter()
                .filter(|g| !self.before.contains_key(&RecordKey::TransferGroup(g.id)))
            {
                for id in &g.tickets {
                    let previous = before
                        .get(id)
                        .and_then(|t| t.wallet.as_ref())
                        .and_then(|w| w.owners.previous.as_ref());
                    let to_previous = previous == Some(&g.recipient);
                    let backward = matches!(g.direction, Direction::Backward);
                    if backward != to_previous {
                        return Err(format!(
                            "t6_backward_goes_to_previous_owner: new group {} is {} to {} but the previous owner \
                             of ticket {id} was {previous:?}",
                            g.id, g.direction, g.recipient
                        ));
                    }
                }
            }
        }
        if self.checks.has(Checks::ONE_PENDING) {
            let mut pending_in: BTreeMap<TicketId, Vec<_>> = BTreeMap::new();
            for g in groups.iter().filter(|g| g.is_pending()) {
                for id in &g.tickets {
                    pending_in.entry(*id).or_default().push(g.id);
                }
            }
            for t in tickets.values() {
                let named = t.wallet.as_ref().and_then(|w| w.pending_group);
                let found = pending_in.get(&t.id).cloned().unwrap_or_default();
                let consistent = match (named, found.as_slice()) {
                    (None, []) => true,
                    (Some(g), [one]) => g == *one,
                    _ => false,
                };
                if !consistent {
                    return Err(format!(
                        "t4_at_most_one_pending_group_per_ticket: ticket {} names pending group {named:?} and is in \
                         the pending groups {found:?}",
                        t.id
                    ));
                }
            }
        }
        if self.checks.has(Checks::MODEL) {
            self.compare(model, &tickets, &groups)?;
            Self::compare_spectators(model, Self::spectators(&self.now))?;
        }
        self.check_reads(model, self.steps.is_multiple_of(SAMPLE))
    }

    /// The read side against the model: wallets and histories after every step; with `all` (a
    /// sample of the steps, and the end of a case) the paged reads, the lists of tickets, the
    /// whole feed and another organizer's view too.
    fn check_reads(&self, model: &Model, all: bool) -> Result<(), String> {
        let emails = model.emails();
        for email in &emails {
            if self.checks.has(Checks::WALLET) {
                self.check_wallet(model, email)?;
            }
            if self.checks.has(Checks::HISTORY) {
                self.check_history(model, email)?;
            }
            if all && self.checks.has(Checks::PAGING) {
                self.check_paging(email)?;
            }
            if all && self.checks.has(Checks::TENANCY) {
                self.check_tenancy(email)?;
            }
        }
        if all && self.checks.has(Checks::STANDING) {
            self.check_standing(model)?;
        }
        if all && self.checks.has(Checks::FEED) {
            self.check_feed(model)?;
        }
        Ok(())
    }

    /// The checks made after a sample of the steps, at the end of a case.
    pub(crate) fn finish(&self, model: &Model) -> Result<(), String> {
        self.check_reads(model, true)
    }

    /// The stored record under `key`.
    fn stored(&self, key: RecordKey) -> Option<&Record> {
        self.now.get(&key).map(|s| &s.record)
    }

    /// A group a query returned is the stored group, as it is now.
    fn is_stored_group(&self, group: &TransferGroup) -> bool {
        matches!(self.stored(RecordKey::TransferGroup(group.id)), Some(Record::TransferGroup(g)) if g == group)
    }

    /// A ticket a query returned is the stored ticket, as it is now.
    fn is_stored_ticket(&self, ticket: &Ticket) -> bool {
        matches!(self.stored(RecordKey::Ticket(ticket.id)), Some(Record::Ticket(t)) if t == ticket)
    }

    /// Q2: one page of a wallet as the model's lines, each ticket and group checked against the
    /// store: grouped by performance (consecutive groups differ, each names the record of its
    /// performance when it exists), each ticket with its PENDING group.
    fn wallet_lines(&self, model: &Model, wallet: &WalletPage) -> Result<Vec<WalletLine>, String> {
        let mut lines = Vec::new();
        let mut previous = None;
        for (i, group) in wallet.tickets.items.iter().enumerate() {
            if i > 0 && previous == Some(group.performance_id) {
                return Err(format!(
                    "two consecutive groups of performance {:?}",
                    group.performance_id
                ));
            }
            previous = Some(group.performance_id);
            let record = group
                .performance_id
                .filter(|id| model.performances.contains(id));
            if group.performance.map(|p| p.id) != record
                || group.performance.is_some_and(|p| {
                    self.stored(RecordKey::Performance(p.id)) != Some(&Record::Performance(p))
                })
            {
                return Err(format!(
                    "performance {:?} shown as {:?}",
                    group.performance_id, group.performance
                ));
            }
            if group.tickets.is_empty() {
                return Err(format!(
                    "an empty group of performance {:?}",
                    group.performance_id
                ));
            }
            for item in &group.tickets {
                let t = &item.ticket;
                if t.performance != group.performance_id || !self.is_stored_ticket(t) {
                    return Err(format!(
                        "ticket {} (performance {:?}) in the group of performance {:?} is not the stored one",
                        t.id, t.performance, group.performance_id
                    ));
                }
                let named = t.wallet.as_ref().and_then(|w| w.pending_group);
                match &item.pending {
                    Some(g)
                        if Some(g.id) != named || !g.is_pending() || !self.is_stored_group(g) =>
                    {
                        return Err(format!(
                            "ticket {} names pending group {named:?}, shown with {g:?}",
                            t.id
                        ));
                    }
                    None if named.is_some() => {
                        return Err(format!(
                            "ticket {} is pending in {named:?}, shown without its group",
                            t.id
                        ));
                    }
                    _ => {}
                }
                lines.push((t.performance, t.id, item.pending.as_ref().map(|g| g.id)));
            }
        }
        for g in wallet.outgoing.items.iter().chain(&wallet.incoming.items) {
            if !g.is_pending() || !self.is_stored_group(g) {
                return Err(format!(
                    "group {} is not the stored PENDING group: {g:?}",
                    g.id
                ));
            }
        }
        Ok(lines)
    }

    /// Q2: the wallet of `email` (one big page) equals the model's.
    fn check_wallet(&self, model: &Model, email: &Email) -> Result<(), String> {
        let fail = |why: String| {
            Err(format!(
                "q2_wallet_matches_reference_model: the wallet of {email}: {why}"
            ))
        };
        let wallet = match self
            .service
            .wallet(ORGANIZER, &WalletRequest::first(email.clone(), BIG_PAGE))
        {
            Ok(w) => w,
            Err(e) => return fail(format!("refused: {e}")),
        };
        if wallet.tickets.next.is_some()
            || wallet.outgoing.next.is_some()
            || wallet.incoming.next.is_some()
        {
            return fail("a page holding every entry has a next page".to_owned());
        }
        let tickets = match self.wallet_lines(model, &wallet) {
            Ok(lines) => lines,
            Err(why) => return fail(why),
        };
        let actual = ModelWallet {
            tickets,
            outgoing: wallet.outgoing.items.iter().map(|g| g.id).collect(),
            incoming: wallet.incoming.items.iter().map(|g| g.id).collect(),
        };
        let expected = model.wallet_of(email);
        if actual != expected {
            return fail(format!("\n  model: {expected:?}\n  store: {actual:?}"));
        }
        Ok(())
    }

    /// Q3: the history of `email` (both directions, one big page) equals the model's.
    fn check_history(&self, model: &Model, email: &Email) -> Result<(), String> {
        let fail = |why: String| {
            Err(format!(
                "q3_history_matches_reference_model: the history of {email}: {why}"
            ))
        };
        let page = match self.service.history(
            ORGANIZER,
            email,
            HistoryFilter::Both,
            &PageRequest::first(BIG_PAGE),
        ) {
            Ok(page) => page,
            Err(e) => return fail(format!("refused: {e}")),
        };
        if page.next.is_some() {
            return fail("a page holding every entry has a next page".to_owned());
        }
        if let Some(g) = page
            .items
            .iter()
            .find(|g| g.is_pending() || !self.is_stored_group(g))
        {
            return fail(format!(
                "group {} is not the stored closed group: {g:?}",
                g.id
            ));
        }
        let actual: Vec<_> = page.items.iter().map(|g| g.id).collect();
        let expected = model.history_of(email);
        if actual != expected {
            return fail(format!("\n  model: {expected:?}\n  store: {actual:?}"));
        }
        Ok(())
    }

    /// Q7: walking each list of `email` with pages of [`SMALL_PAGE`] visits exactly the entries
    /// of one big page, in its order: no repeat, no skip, and no page over its limit.
    fn check_paging(&self, email: &Email) -> Result<(), String> {
        let fail = |list: &str, why: String| {
            Err(format!(
                "q7_paging_neither_repeats_nor_skips: {list} of {email}: {why}"
            ))
        };
        let big = WalletRequest::first(email.clone(), BIG_PAGE);
        let whole = self
            .service
            .wallet(ORGANIZER, &big)
            .map_err(|e| format!("wallet: {e}"))?;
        let flat = |w: &WalletPage| -> Vec<TicketId> {
            w.tickets
                .items
                .iter()
                .flat_map(|g| g.tickets.iter().map(|t| t.ticket.id))
                .collect()
        };
        // Each list of the wallet, paged on its own (the other two stay on one big page).
        for list in ["tickets", "outgoing", "incoming"] {
            let mut request = big.clone();
            let mut seen: Vec<String> = Vec::new();
            for round in 0.. {
                if round > 1_000 {
                    return fail(list, "the pages never end".to_owned());
                }
                match list {
                    "tickets" => request.tickets.limit = SMALL_PAGE,
                    "outgoing" => request.outgoing.limit = SMALL_PAGE,
                    _ => request.incoming.limit = SMALL_PAGE,
                }
                let page = match self.service.wallet(ORGANIZER, &request) {
                    Ok(page) => page,
                    Err(e) => return fail(list, format!("page {round} refused: {e}")),
                };
                let (items, next): (Vec<String>, _) = match list {
                    "tickets" => (
                        flat(&page).iter().map(ToString::to_string).collect(),
                        page.tickets.next,
                    ),
                    "outgoing" => (
                        page.outgoing
                            .items
                            .iter()
                            .map(|g| g.id.to_string())
                            .collect(),
                        page.outgoing.next,
                    ),
                    _ => (
                        page.incoming
                            .items
                            .iter()
                            .map(|g| g.id.to_string())
                            .collect(),
                        page.incoming.next,
                    ),
                };
                if items.len() > SMALL_PAGE as usize {
                    return fail(list, format!("page {round} holds {} entries", items.len()));
                }
                seen.extend(items);
                let Some(cursor) = next else { break };
                let after = PageRequest::after(cursor, SMALL_PAGE);
                match list {
                    "tickets" => request.tickets = after,
                    "outgoing" => request.outgoing = after,
                    _ => request.incoming = after,
                }
            }
            let expected: Vec<String> = match list {
                "tickets" => flat(&whole).iter().map(ToString::to_string).collect(),
                "outgoing" => whole
                    .outgoing
                    .items
                    .iter()
                    .map(|g| g.id.to_string())
                    .collect(),
                _ => whole
                    .incoming
                    .items
                    .iter()
                    .map(|g| g.id.to_string())
                    .collect(),
            };
            if seen != expected {
                return fail(
                    list,
                    format!("pages of {SMALL_PAGE} gave {seen:?}, one page {expected:?}"),
                );
            }
        }
        for filter in [
            HistoryFilter::Both,
            HistoryFilter::Sent,
            HistoryFilter::Received,
        ] {
            let whole = self
                .service
                .history(ORGANIZER, email, filter, &PageRequest::first(BIG_PAGE))
                .map_err(|e| format!("history: {e}"))?;
            let expected: Vec<_> = whole.items.iter().map(|g| g.id).collect();
            let direction_ok = whole.items.iter().all(|g| match filter {
                HistoryFilter::Sent => g.sender == *email,
                HistoryFilter::Received => g.recipient == *email,
                _ => g.sender == *email || g.recipient == *email,
            });
            if !direction_ok {
                return fail("history", format!("{filter:?} lists {:?}", whole.items));
            }
            let mut seen = Vec::new();
            let mut request = PageRequest::first(SMALL_PAGE);
            for round in 0.. {
                if round > 1_000 {
                    return fail("history", "the pages never end".to_owned());
                }
                let page = match self.service.history(ORGANIZER, email, filter, &request) {
                    Ok(page) => page,
                    Err(e) => return fail("history", format!("{filter:?} page {round}: {e}")),
                };
                if page.items.len() > SMALL_PAGE as usize {
                    return fail(
                        "history",
                        format!("{filter:?} page {round} is over its limit"),
                    );
                }
                seen.extend(page.items.iter().map(|g| g.id));
                let Some(cursor) = page.next else { break };
                request = PageRequest::after(cursor, SMALL_PAGE);
            }
            if seen != expected {
                return fail(
                    "history",
                    format!(
                        "{filter:?}: pages of {SMALL_PAGE} gave {seen:?}, one page {expected:?}"
                    ),
                );
            }
        }
        Ok(())
    }

    /// X7: another organizer's wallet and history of `email` are empty (the records are all
    /// [`ORGANIZER`]'s), and so is its list of the point of sale's tickets.
    fn check_tenancy(&self, email: &Email) -> Result<(), String> {
        let wallet = self
            .service
            .wallet(
                UNKNOWN_ORGANIZER,
                &WalletRequest::first(email.clone(), BIG_PAGE),
            )
            .map_err(|e| format!("wallet: {e}"))?;
        let history = self
            .service
            .history(
                UNKNOWN_ORGANIZER,
                email,
                HistoryFilter::Both,
                &PageRequest::first(BIG_PAGE),
            )
            .map_err(|e| format!("history: {e}"))?;
        let tickets = self
            .service
            .tickets(
                UNKNOWN_ORGANIZER,
                TicketList::PointOfSale(POINT_OF_SALE),
                &PageRequest::first(BIG_PAGE),
                OffsetDateTime::UNIX_EPOCH,
            )
            .map_err(|e| format!("tickets: {e}"))?;
        if !wallet.tickets.items.is_empty()
            || !wallet.outgoing.items.is_empty()
            || !wallet.incoming.items.is_empty()
            || !history.items.is_empty()
            || !tickets.items.is_empty()
        {
            return Err(format!(
                "x7_another_organizer_sees_nothing: organizer {UNKNOWN_ORGANIZER} sees {wallet:?}, {history:?}, {tickets:?} of {email}"
            ));
        }
        Ok(())
    }

    /// Q6: the tickets of every right and of every point of sale (one big page, and pages of
    /// [`SMALL_PAGE`]) are the model's, each the stored ticket, with the model's take-back
    /// standing at the model's clock; a right shows exactly one valid ticket (B11).
    fn check_standing(&self, model: &Model) -> Result<(), String> {
        let fail = |list: TicketList, why: String| {
            Err(format!(
                "q6_tickets_of_right_and_point_of_sale_match_reference_model: {list:?}: {why}"
            ))
        };
        let lists = model.rights().into_iter().map(TicketList::Right).chain(
            [POINT_OF_SALE, OTHER_POS, SECOND_B2B_POS, UNKNOWN_POS]
                .into_iter()
                .map(TicketList::PointOfSale),
        );
        for list in lists {
            let whole = match self.service.tickets(
                ORGANIZER,
                list,
                &PageRequest::first(BIG_PAGE),
                model.now,
            ) {
                Ok(page) => page,
                Err(e) => return fail(list, format!("refused: {e}")),
            };
            let ids: Vec<TicketId> = whole.items.iter().map(|s| s.ticket.id).collect();
            let expected = match list {
                TicketList::Right(right) => model.tickets_of_right(right),
                TicketList::PointOfSale(pos) => model.tickets_of_point_of_sale(pos),
            };
            if ids != expected || whole.next.is_some() {
                return fail(list, format!("lists {ids:?}, the model {expected:?}"));
            }
            for standing in &whole.items {
                let t = &standing.ticket;
                if !self.is_stored_ticket(t) {
                    return fail(list, format!("ticket {} is not the stored one", t.id));
                }
                let actual = standing
                    .take_back
                    .clone()
                    .map_err(|refusal| error_kind(&Error::from(refusal)));
                let predicted = model.take_back_now(t.id, model.now);
                if actual != predicted {
                    return fail(
                        list,
                        format!(
                            "ticket {}: take back {actual:?}, the model {predicted:?}",
                            t.id
                        ),
                    );
                }
            }
            if let TicketList::Right(_) = list {
                // B11, R2: one valid ticket, or none while one is on resale.
                let valid = whole.items.iter().filter(|s| s.ticket.is_valid()).count();
                let held = whole.items.iter().filter(|s| on_resale(&s.ticket)).count();
                if valid + held != 1 {
                    return fail(list, format!("{valid} valid tickets, {held} on resale"));
                }
            }
            if self.checks.has(Checks::PAGING) {
                let mut seen = Vec::new();
                let mut request = PageRequest::first(SMALL_PAGE);
                for round in 0.. {
                    if round > 1_000 {
                        return fail(list, "the pages never end".to_owned());
                    }
                    let page = self
                        .service
                        .tickets(ORGANIZER, list, &request, model.now)
                        .map_err(|e| format!("tickets: {e}"))?;
                    if page.items.len() > SMALL_PAGE as usize {
                        return fail(list, format!("page {round} is over its limit"));
                    }
                    seen.extend(page.items.iter().map(|s| s.ticket.id));
                    let Some(cursor) = page.next else { break };
                    request = PageRequest::after(cursor, SMALL_PAGE);
                }
                if seen != ids {
                    return Err(format!(
                        "q7_paging_neither_repeats_nor_skips: {list:?}: pages of {SMALL_PAGE} gave {seen:?}, one page {ids:?}"
                    ));
                }
            }
        }
        Ok(())
    }

    /// F1, F2: each organizer's whole feed, read in one page and in pages of [`SMALL_PAGE`],
    /// holds exactly one entry per accepted command that produced events, in order, with its
    /// events, at strictly increasing positions; the model's accepted commands, with their kinds of events, are the
    /// same list.
    fn check_feed(&self, model: &Model) -> Result<(), String> {
        let fail = |organizer: OrganizerId, why: String| {
            Err(format!(
                "f1_f2_feed_holds_every_accepted_command_once_in_order: the feed of {organizer}: {why}"
            ))
        };
        for organizer in ORGANIZERS {
            let whole = self
                .service
                .feed_after(organizer, Position::START, BIG_PAGE)
                .map_err(|e| format!("feed_after: {e}"))?;
            let mut paged = Vec::new();
            let mut after = Position::START;
            for round in 0.. {
                if round > 1_000 {
                    return fail(organizer, "the pages never end".to_owned());
                }
                let page = self
                    .service
                    .feed_after(organizer, after, SMALL_PAGE)
                    .map_err(|e| format!("feed_after: {e}"))?;
                if page.len() > SMALL_PAGE as usize {
                    return fail(organizer, format!("page {round} is over its limit"));
                }
                let Some(last) = page.last() else { break };
                after = last.position;
                paged.extend(page);
            }
            if paged != whole {
                return fail(
                    organizer,
                    format!("pages of {SMALL_PAGE} gave {paged:?}, one page {whole:?}"),
                );
            }
            if let Some(pair) = whole.windows(2).find(|w| w[0].position >= w[1].position) {
                return fail(organizer, format!("positions out of order: {pair:?}"));
            }
            let actual: Vec<Entry> = whole.iter().map(entry_of).collect();
            let expected: Vec<&Entry> = self.feed.iter().filter(|e| e.0 == organizer).collect();
            if actual.len() != expected.len() || actual.iter().zip(&expected).any(|(a, e)| a != *e)
            {
                return fail(
                    organizer,
                    format!("holds {actual:?}, the accepted commands {expected:?}"),
                );
            }
            let kinds: Vec<(OrganizerId, CommandId, Vec<&'static str>)> = whole
                .iter()
                .map(|e| {
                    (
                        e.organizer,
                        e.command,
                        e.events.iter().map(event_kind).collect(),
                    )
                })
                .collect();
            let predicted: Vec<_> = model
                .feed
                .iter()
                .filter(|(o, ..)| *o == organizer)
                .cloned()
                .collect();
            if self.checks.has(Checks::MODEL) && kinds != predicted {
                return fail(
                    organizer,
                    format!("holds {kinds:?}, the model's accepted commands {predicted:?}"),
                );
            }
        }
        Ok(())
    }

    /// Every ticket and group equal to the model's, and no others.
    fn compare(
        &self,
        model: &Model,
        tickets: &BTreeMap<TicketId, &Ticket>,
        groups: &[&TransferGroup],
    ) -> Result<(), String> {
        let ids: Vec<_> = tickets.keys().copied().collect();
        let expected: Vec<_> = model.tickets.keys().copied().collect();
        if ids != expected {
            return Err(format!(
                "model: the store holds tickets {ids:?}, the model {expected:?}"
            ));
        }
        for (id, expected) in &model.tickets {
            let actual = MTicket::of(tickets[id]);
            if actual != *expected {
                return Err(format!(
                    "model: ticket {id} differs\n  model: {expected:?}\n  store: {actual:?}"
                ));
            }
        }
        let ids: BTreeSet<_> = groups.iter().map(|g| g.id).collect();
        let expected: BTreeSet<_> = model.groups.keys().copied().collect();
        if ids != expected {
            return Err(format!(
                "model: the store holds groups {ids:?}, the model {expected:?}"
            ));
        }
        for g in groups {
            let actual = MGroup::of(g);
            if actual != model.groups[&g.id] {
                return Err(format!(
                    "model: group {} differs\n  model: {:?}\n  store: {actual:?}",
                    g.id, model.groups[&g.id]
                ));
            }
        }
        Ok(())
    }

    /// Every spectator record equal to the model's (the lock in force and the last unlock, L1),
    /// and no others: each the organizer's own (X7; another organizer has no settings, so its
    /// staff lock no one).
    fn compare_spectators<'a>(
        model: &Model,
        records: impl Iterator<Item = &'a Spectator>,
    ) -> Result<(), String> {
        let mut actual = BTreeMap::new();
        for s in records {
            if s.organizer != ORGANIZER {
                return Err(format!(
                    "model: a spectator record of organizer {}: {s:?}",
                    s.organizer
                ));
            }
            actual.insert(s.email.clone(), MSpectator::of(s));
        }
        if actual != model.spectators {
            return Err(format!(
                "model: the spectator records differ\n  model: {:?}\n  store: {actual:?}",
                model.spectators
            ));
        }
        Ok(())
    }
}

/// R2: the ticket is held for a buyer (invalidated with `RESALE`, not yet replaced).
fn on_resale(ticket: &Ticket) -> bool {
    ticket.distribution.resale.is_some()
}

/// A feed entry as the checks compare it.
fn entry_of(entry: &FeedEntry) -> Entry {
    (
        entry.organizer,
        entry.command,
        entry.at,
        entry.events.clone(),
    )
}

/// Runs one case (a setup and its steps) against the core, with the given checks and seeded bug:
/// the same steps as the state-machine test, returning the first failure instead of panicking.
pub(crate) fn run_case(
    init: &Model,
    steps: &[Step],
    seen: Option<&AtomicUsize>,
    bug: Option<Bug>,
    checks: Checks,
) -> Result<(), String> {
    use proptest_state_machine::ReferenceStateMachine;
    let mut model = init.clone();
    let mut sut = Sut::new(&model, bug, checks, false)?;
    sut.check_invariants(&model)?;
    for (i, step) in steps.iter().enumerate() {
        if let Some(seen) = seen {
            // Tells the strategy which steps ran, for shrinking (as `test_sequential` does).
            seen.fetch_add(1, Ordering::SeqCst);
        }
        model = crate::reference::Reference::apply(model, step);
        let at = |e: String| format!("step {} of {}: {e}", i + 1, steps.len());
        sut.apply(&model, step).map_err(at)?;
        sut.check_invariants(&model).map_err(at)?;
    }
    sut.finish(&model)
        .map_err(|e| format!("after the last of {} steps: {e}", steps.len()))
}
