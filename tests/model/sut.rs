//! The system under test: a `MemoryStore` wrapped in a recording store (which can also seed a bug
//! for the negative controls), driven by `Service` in even cases and by `AsyncService` in odd ones
//! (both drive the same `Execution`), and every check run after a step.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use secure_ticket::service::{AsyncService, Command, Outcome, Request, Service};
use secure_ticket::store::{
    Batch, Blocking, Decoded, Envelope, MemoryStore, ReadPlan, Record, RecordKey, Store,
    StoreError, Versioned,
};
use secure_ticket::{
    Direction, Email, Event, RightId, Ticket, TicketId, TransferGroup, UsageRule, UsageRuleId,
};

use crate::kinds::{command_kind, error_kind, event_kind, success_label};
use crate::reference::{MGroup, MTicket, Model, Predicted, Step};

/// A bug seeded by the test store, never by the crate: the negative controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bug {
    /// An accepted FORWARD transfer keeps the ticket's level (T8).
    LevelNotRaisedOnAccept,
    /// A declined transfer moves the tickets to the recipient anyway (T10).
    DeclineMovesTicket,
    /// A mobile take back leaves the old ticket valid (B7, B11).
    TakeBackLeavesOldValid,
    /// The command record is not written, so a retry runs the command again (X3).
    CommandRecordLost,
}

/// `MemoryStore`, remembering every key ever written (so the whole state can be read back), and
/// rewriting committed batches when a bug is seeded.
#[derive(Debug)]
pub(crate) struct TestStore {
    inner: MemoryStore,
    written: Mutex<BTreeSet<RecordKey>>,
    bug: Option<Bug>,
}

impl Store for TestStore {
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.inner.load(keys)
    }

    /// `MemoryStore`'s own read: the whole plan under one lock.
    fn read(&self, plan: &ReadPlan) -> Result<Vec<Versioned<Record>>, StoreError> {
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
            .extend(keys);
        Ok(())
    }
}

/// The batch as a buggy shell would write it.
fn seed(bug: Bug, mut batch: Batch) -> Batch {
    if bug == Bug::CommandRecordLost {
        batch
            .writes
            .retain(|w| !matches!(w.record, Record::Command(_)));
        return batch;
    }
    let Some(command) = batch.writes.iter().find_map(|w| match &w.record {
        Record::Command(c) => Some((**c).clone()),
        _ => None,
    }) else {
        return batch;
    };
    let tickets = batch.writes.iter_mut().filter_map(|w| match &mut w.record {
        Record::Ticket(t) => Some(t),
        _ => None,
    });
    match bug {
        Bug::LevelNotRaisedOnAccept => {
            let kept: BTreeMap<TicketId, u16> = command
                .events
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
            let moved: Vec<(Email, Email, Vec<TicketId>)> = command
                .events
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
        Bug::TakeBackLeavesOldValid => {
            if let Command::TakeBack(c) = &command.request.command {
                for t in tickets {
                    if t.id == c.ticket {
                        t.distribution.invalidation = None;
                    }
                }
            }
        }
        Bug::CommandRecordLost => {}
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
    /// B11: at most one valid ticket per right.
    pub(crate) const ONE_VALID: Self = Self(1 << 4);
    /// B11: no ticket lost (an invalidated ticket leads to a valid replacement).
    pub(crate) const NONE_LOST: Self = Self(1 << 5);
    /// T2, T9: the level stays within 0..=limit.
    pub(crate) const LEVEL: Self = Self(1 << 6);
    /// §1, W2: the initial owner never changes.
    pub(crate) const INITIAL_OWNER: Self = Self(1 << 7);
    /// T6: BACKWARD goes to the previous owner at initiation (and FORWARD never does).
    pub(crate) const BACKWARD: Self = Self(1 << 8);
    /// T4, T13: a ticket is in at most one PENDING group, the one its wallet names.
    pub(crate) const ONE_PENDING: Self = Self(1 << 9);
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

type Snapshot = BTreeMap<RecordKey, Stored>;

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

    fn execute(&self, request: &Request) -> Result<Outcome, secure_ticket::Error> {
        match self {
            Self::Sync(service) => service.execute(request),
            Self::Async(service) => ready(service.execute(request)),
        }
    }
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
    /// Every right ever seen.
    rights: BTreeSet<RightId>,
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
            rights: BTreeSet::new(),
        };
        sut.now = sut.snapshot(&Snapshot::new())?;
        sut.before = sut.now.clone();
        sut.remember();
        Ok(sut)
    }

    /// Reads every record back, serializing each new version (and checking its round trip).
    fn snapshot(&self, cache: &Snapshot) -> Result<Snapshot, String> {
        let keys: Vec<RecordKey> = self
            .service
            .store()
            .written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect();
        let loaded = self
            .service
            .store()
            .inner
            .load(&keys)
            .map_err(|e| format!("load: {e}"))?;
        let mut snapshot = Snapshot::new();
        for Versioned { value, version } in loaded {
            let key = value.key();
            let version = version.get();
            let json = match cache.get(&key) {
                Some(old) if old.version == version && old.record == value => old.json.clone(),
                _ => self.serialize(key, &value)?,
            };
            snapshot.insert(
                key,
                Stored {
                    version,
                    record: value,
                    json,
                },
            );
        }
        if snapshot.len() != keys.len() {
            return Err(format!(
                "the store lost records: {} written, {} found",
                keys.len(),
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
    /// writes nothing) and X3 (a retry replays and writes nothing).
    pub(crate) fn apply(&mut self, model: &Model, step: &Step) -> Result<(), String> {
        let request = &step.request;
        let kind = command_kind(&request.command);
        let result = self.service.execute(request);
        let after = self.snapshot(&self.now)?;
        let outcome = match &result {
            Ok(o) => success_label(&request.command, &o.events, o.replayed),
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
        let unchanged = |after: &Snapshot| -> Option<String> {
            let keys_before: Vec<_> = self.now.keys().collect();
            let keys_after: Vec<_> = after.keys().collect();
            if keys_before != keys_after {
                return Some(format!(
                    "records written: {:?}",
                    after
                        .keys()
                        .filter(|k| !self.now.contains_key(k))
                        .collect::<Vec<_>>()
                ));
            }
            self.now.iter().find_map(|(key, old)| {
                let new = &after[key];
                (old.version != new.version || old.json != new.json).then(|| {
                    format!(
                        "{key} changed from v{} {} to v{} {}",
                        old.version, old.json, new.version, new.json
                    )
                })
            })
        };
        match &result {
            Err(e) => {
                if self.checks.has(Checks::X1)
                    && let Some(change) = unchanged(&after)
                {
                    return Err(format!(
                        "x1_error_leaves_state_byte_identical: {kind} refused with {} but {change}",
                        error_kind(e)
                    ));
                }
            }
            Ok(first) if self.checks.has(Checks::X3) => {
                if first.replayed
                    && let Some(change) = unchanged(&after)
                {
                    return Err(format!(
                        "x3_retry_changes_nothing: a replayed {kind} wrote: {change}"
                    ));
                }
                let retry = self.service.execute(request).map_err(|e| {
                    format!("x3_retry_changes_nothing: the retry of {kind} failed: {e}")
                })?;
                if !retry.replayed || retry.events != first.events {
                    return Err(format!(
                        "x3_retry_changes_nothing: the retry of {kind} was not a replay of the first result: {retry:?} after {first:?}"
                    ));
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
            }
            Ok(_) => {}
        }
        self.before = std::mem::replace(&mut self.now, after);
        self.remember();
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
        }
        if self.checks.has(Checks::NONE_LOST) {
            for t in tickets.values() {
                let mut current = *t;
                let mut hops = 0;
                while let Some(invalidation) = &current.distribution.invalidation {
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
                if !tickets.values().any(|t| t.right == *right && t.is_valid()) {
                    return Err(format!(
                        "b11_no_ticket_lost: right {right} has no valid ticket"
                    ));
                }
            }
        }
        if self.checks.has(Checks::LEVEL) {
            for t in tickets.values() {
                let Some(w) = &t.wallet else { continue };
                let limit = rules
                    .get(&w.usage_rule)
                    .map_or(256, |r| r.max_transfers.get());
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
    Ok(())
}
