//! The shell without I/O (X4): how many reads a command costs, torn reads across rounds retried
//! like conflicts, the `Execution` state machine driven by hand, and the async driver.

use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll, Waker};

use secure_ticket::service::{AsyncService, Command, Execution, Request, Service, Step};
use secure_ticket::store::{
    AsyncStore, Batch, Blocking, MemoryStore, Operation, ReadPlan, Record, RecordKey, Store,
    StoreError, Version, Versioned,
};
use secure_ticket::transfer::{
    AcceptTransfer, CancelTransfer, DeclineTransfer, DeclineTransferError, InitiateTransfer,
    NewGroupIds,
};
use secure_ticket::{Error, RuleError, TicketId, TransferGroupId};

use crate::common::{AT, alice, bob, inject, request, rule, settings, ticket};

const T1: TicketId = TicketId::from_u128(1);
const G1: TransferGroupId = TransferGroupId::from_u128(1);

fn send(id: u128, group: TransferGroupId) -> Request {
    request(
        id,
        Command::Initiate(InitiateTransfer {
            actor: alice(),
            recipient: bob(),
            tickets: vec![T1],
            groups: NewGroupIds::single(group),
            at: AT,
        }),
    )
}

fn accept(id: u128) -> Request {
    request(
        id,
        Command::Accept(AcceptTransfer {
            group: G1,
            actor: bob(),
            at: AT,
        }),
    )
}

/// Explicit acceptance, ticket 1 injected to Alice and sent to Bob in group 1.
fn pending_world(store: &MemoryStore) {
    crate::common::explicit_world(store);
    Service::new(store).execute(&send(2, G1)).unwrap();
}

/// A `MemoryStore` that counts its calls; `follows_plan: false` reads the plan's keys only (the
/// default `Store::read`), as a store that cannot expand a plan does.
struct Counting {
    inner: MemoryStore,
    follows_plan: bool,
    reads: AtomicU32,
    commits: AtomicU32,
}

impl Counting {
    fn new(inner: MemoryStore, follows_plan: bool) -> Self {
        Self {
            inner,
            follows_plan,
            reads: AtomicU32::new(0),
            commits: AtomicU32::new(0),
        }
    }

    fn calls(&self) -> (u32, u32) {
        (
            self.reads.load(Ordering::SeqCst),
            self.commits.load(Ordering::SeqCst),
        )
    }
}

impl Store for Counting {
    forward_reads!(inner);

    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.load(keys)
    }

    fn read(&self, plan: &ReadPlan) -> Result<secure_ticket::store::Read, StoreError> {
        if self.follows_plan {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.inner.read(plan)
        } else {
            Ok(secure_ticket::store::Read::records(self.load(plan.keys())?))
        }
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        self.inner.commit(batch)
    }
}

#[test]
fn x4_accept_is_one_read_and_one_commit_on_a_store_that_follows_the_plan() {
    let store = MemoryStore::new();
    pending_world(&store);
    let counting = Counting::new(store, true);
    let outcome = Service::new(&counting).execute(&accept(3)).unwrap();
    assert_eq!(outcome.attempts, 1);
    assert_eq!(counting.calls(), (1, 1));
}

#[test]
fn x4_accept_reads_in_three_rounds_on_a_store_that_reads_keys_only() {
    let store = MemoryStore::new();
    pending_world(&store);
    let counting = Counting::new(store, false);
    let outcome = Service::new(&counting).execute(&accept(3)).unwrap();
    assert_eq!(outcome.attempts, 1);
    // The group; its ticket; the ticket's usage rule.
    assert_eq!(counting.calls(), (3, 1));
    let group = Service::new(&counting).group(G1).unwrap().unwrap();
    assert_eq!(group.value.status, secure_ticket::TransferStatus::Accepted);
}

#[test]
fn x4_every_command_of_a_batch_shares_one_read() {
    let store = MemoryStore::new();
    let service = Service::new(&store);
    service
        .create(
            [Record::UsageRule(rule()), Record::Settings(settings())]
                .into_iter()
                .chain((1..=50).map(|n| Record::Ticket(ticket(n)))),
        )
        .unwrap();
    let counting = Counting::new(store, true);
    let requests: Vec<Request> = (1..=50)
        .map(|n| inject(n, TicketId::from_u128(n), alice()))
        .collect();
    let results = Service::new(&counting).execute_batch(&requests).unwrap();
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(counting.calls(), (1, 1));
}

/// Reads the plan's keys only, and runs `between` once, after the first read round of the first
/// attempt: another writer committing between two rounds, deterministically.
struct CommitsBetweenRounds<F: Fn()> {
    inner: MemoryStore,
    between: F,
    reads: AtomicU32,
}

impl<F: Fn()> Store for CommitsBetweenRounds<F> {
    forward_reads!(inner);

    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        if self.reads.fetch_add(1, Ordering::SeqCst) == 1 {
            (self.between)();
        }
        self.inner.load(keys)
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        self.inner.commit(batch)
    }
}

#[test]
fn x4_torn_read_is_retried_like_a_conflict_never_answered_with_a_refusal() {
    let store = MemoryStore::new();
    pending_world(&store);
    // Bob declines; between the read of the group and the read of its ticket, Alice cancels.
    let other = store.clone();
    let torn = CommitsBetweenRounds {
        inner: store,
        between: move || {
            Service::new(&other)
                .execute(&request(
                    9,
                    Command::Cancel(CancelTransfer {
                        group: G1,
                        actor: alice(),
                        at: AT,
                    }),
                ))
                .unwrap();
        },
        reads: AtomicU32::new(0),
    };
    let decline = request(
        3,
        Command::Decline(DeclineTransfer {
            group: G1,
            actor: bob(),
            at: AT,
        }),
    );
    let refused = Service::new(&torn).execute(&decline).unwrap_err();
    // Not "ticket 1 is not pending in group 1" (what the torn read showed): the second attempt
    // read the group as cancelled.
    assert!(
        matches!(
            refused,
            Error::Rule(RuleError::Decline(DeclineTransferError::NotPending { .. }))
        ),
        "{refused:?}"
    );
    assert!(torn.reads.load(Ordering::SeqCst) >= 3, "read again");
}

#[test]
fn x4_the_same_contradiction_in_one_read_is_the_rules_refusal() {
    // A store whose records disagree within one read (not a race): the ticket is not pending in
    // the group that lists it. Retrying cannot help; the rule says what is wrong.
    let store = MemoryStore::new();
    pending_world(&store);
    let loaded = store.load(&[RecordKey::Ticket(T1)]).unwrap();
    let mut released = match loaded.into_iter().next().unwrap() {
        Versioned {
            value: Record::Ticket(t),
            version,
        } => (t, version),
        other => panic!("expected a ticket, got {other:?}"),
    };
    released.0.wallet.as_mut().unwrap().pending_group = None;
    store
        .commit(Batch::new().with(Record::Ticket(released.0), released.1))
        .unwrap();
    let counting = Counting::new(store, true);
    let refused = Service::new(&counting).execute(&accept(3)).unwrap_err();
    assert!(
        matches!(refused, Error::Rule(RuleError::Accept(_))),
        "{refused:?}"
    );
    assert_eq!(
        counting.calls(),
        (1, 1),
        "one read, no retry; one commit: the refusal's command record (X3)"
    );
}

fn versioned(record: Record, version: u64) -> Versioned<Record> {
    Versioned {
        value: record,
        version: Version::new(version),
    }
}

/// The records of `pending_world`: the group and its ticket, pending in it.
fn pending_records() -> (Versioned<Record>, Versioned<Record>) {
    let store = MemoryStore::new();
    pending_world(&store);
    let group = store.load(&[RecordKey::TransferGroup(G1)]).unwrap();
    let ticket = store.load(&[RecordKey::Ticket(T1)]).unwrap();
    (
        group.into_iter().next().unwrap(),
        ticket.into_iter().next().unwrap(),
    )
}

#[test]
fn x4_execution_gives_up_on_torn_reads_with_changed_during_read_after_the_last_attempt() {
    let (group, ticket) = pending_records();
    let mut released = ticket.clone();
    if let Record::Ticket(t) = &mut released.value {
        t.wallet.as_mut().unwrap().pending_group = None;
    }
    let requests = [accept(3)];
    let mut step = Execution::start(&requests, 2);
    let mut rounds = 0;
    let result = loop {
        step = match step {
            Step::Read { plan, then } => {
                rounds += 1;
                // Every attempt: the group first (pending), then its ticket (released meanwhile).
                if plan.keys().contains(&RecordKey::TransferGroup(G1)) {
                    then.read(Ok(secure_ticket::store::Read::records(vec![group.clone()])))
                } else if plan.keys().contains(&RecordKey::Ticket(T1)) {
                    then.read(Ok(secure_ticket::store::Read::records(vec![
                        released.clone(),
                    ])))
                } else {
                    then.read(Ok(secure_ticket::store::Read::records(Vec::new())))
                }
            }
            Step::Commit { .. } => panic!("a torn read must not be committed"),
            Step::Done(result) => break result,
        };
    };
    match result {
        Err(error @ Error::Store(StoreError::ChangedDuringRead { key })) => {
            assert_eq!(key, RecordKey::Ticket(T1));
            assert!(error.is_conflict());
        }
        other => panic!("expected ChangedDuringRead, got {other:?}"),
    }
    assert_eq!(
        rounds, 6,
        "the group, its ticket, the ticket's rule: in each of two attempts"
    );
}

#[test]
fn x4_execution_steps_read_commit_done_and_retries_a_conflicting_commit() {
    let (group, ticket) = pending_records();
    let requests = [accept(3)];
    let mut step = Execution::start(&requests, 3);
    let mut commits = 0;
    let outcomes = loop {
        step = match step {
            Step::Read { plan, then } => {
                assert!(plan.group_tickets() && plan.usage_rules());
                // A store that follows the plan: everything in the first read.
                then.read(Ok(secure_ticket::store::Read::records(vec![
                    group.clone(),
                    ticket.clone(),
                    versioned(Record::UsageRule(rule()), 1),
                ])))
            }
            Step::Commit { batch, then } => {
                commits += 1;
                assert_eq!(then.attempt(), commits);
                assert_eq!(batch.writes.len(), 3, "group, ticket, command record");
                if commits == 1 {
                    then.committed(Err(StoreError::Conflict {
                        key: RecordKey::TransferGroup(G1),
                        expected: Version::new(1),
                        actual: Version::new(2),
                    }))
                } else {
                    then.committed(Ok(()))
                }
            }
            Step::Done(result) => break result.unwrap(),
        };
    };
    assert_eq!(commits, 2);
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].as_ref().unwrap().attempts, 2);
}

#[test]
fn x4_execution_stops_at_a_store_failure_and_on_an_empty_batch() {
    let requests = [accept(3)];
    let step = Execution::start(&requests, 8);
    let Step::Read { then, .. } = step else {
        panic!("the first step reads")
    };
    let failed = then.read(Err(StoreError::Backend {
        operation: Operation::Load,
        key: None,
        source: "disk on fire".into(),
    }));
    assert!(matches!(
        failed,
        Step::Done(Err(Error::Store(StoreError::Backend { .. })))
    ));
    assert!(matches!(Execution::start(&[], 8), Step::Done(Ok(results)) if results.is_empty()));
}

#[test]
fn x4_a_refused_batch_commits_nothing() {
    let requests = [accept(3)];
    let Step::Read { then, .. } = Execution::start(&requests, 8) else {
        panic!("the first step reads")
    };
    // Nothing found: the group is missing, nothing to write.
    match then.read(Ok(secure_ticket::store::Read::records(Vec::new()))) {
        Step::Done(Ok(results)) => assert!(matches!(
            results[0],
            Err(Error::NotFound {
                key: RecordKey::TransferGroup(G1)
            })
        )),
        other => panic!("expected the end, got {other:?}"),
    }
}

/// Polls a future whose store never waits.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the store's futures are ready at once"),
    }
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

#[test]
fn x4_async_service_runs_the_same_commands_with_send_futures() {
    let store = MemoryStore::new();
    pending_world(&store);
    let service = AsyncService::new(Blocking::new(store));
    let outcome = ready(assert_send(service.execute(&accept(3)))).unwrap();
    assert_eq!(outcome.attempts, 1);
    let replay = ready(service.execute(&accept(3))).unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.events, outcome.events);
    let group = ready(service.group(G1)).unwrap().unwrap();
    assert_eq!(group.value.status, secure_ticket::TransferStatus::Accepted);
    let ticket = ready(service.ticket(T1)).unwrap().unwrap();
    assert_eq!(ticket.value.wallet.unwrap().owners.current, bob());
}

/// An async store that conflicts on its first `conflicts` commits, counting reads.
struct Flaky {
    inner: MemoryStore,
    conflicts: Mutex<u32>,
    reads: AtomicU32,
}

impl AsyncStore for Flaky {
    fn query(
        &self,
        lookup: &secure_ticket::index::Lookup,
    ) -> impl Future<Output = Result<Vec<secure_ticket::index::Hit>, StoreError>> + Send {
        std::future::ready(self.inner.query(lookup))
    }

    fn feed(
        &self,
        query: &secure_ticket::feed::FeedQuery,
    ) -> impl Future<Output = Result<Vec<secure_ticket::feed::FeedEntry>, StoreError>> + Send {
        std::future::ready(self.inner.feed(query))
    }

    fn prune(
        &self,
        before: time::OffsetDateTime,
        limit: u32,
    ) -> impl Future<Output = Result<secure_ticket::store::Pruned, StoreError>> + Send {
        std::future::ready(self.inner.prune(before, limit))
    }

    fn load(
        &self,
        keys: &[RecordKey],
    ) -> impl Future<Output = Result<Vec<Versioned<Record>>, StoreError>> + Send {
        self.reads.fetch_add(1, Ordering::SeqCst);
        std::future::ready(self.inner.load(keys))
    }

    fn commit(&self, batch: Batch) -> impl Future<Output = Result<(), StoreError>> + Send {
        let mut left = self.conflicts.lock().unwrap();
        let result = if *left > 0 {
            *left -= 1;
            Err(StoreError::Conflict {
                key: RecordKey::TransferGroup(G1),
                expected: Version::new(1),
                actual: Version::new(2),
            })
        } else {
            self.inner.commit(batch)
        };
        std::future::ready(result)
    }
}

#[test]
fn x4_async_service_retries_conflicts_up_to_the_same_bound_as_the_sync_one() {
    let store = MemoryStore::new();
    pending_world(&store);
    let flaky = Flaky {
        inner: store,
        conflicts: Mutex::new(2),
        reads: AtomicU32::new(0),
    };
    let service = AsyncService::new(&flaky);
    let outcome = ready(service.execute(&accept(3))).unwrap();
    assert_eq!(outcome.attempts, 3);
    // The default `read` reads keys only: three rounds per attempt.
    assert_eq!(flaky.reads.load(Ordering::SeqCst), 9);

    let fresh = MemoryStore::new();
    pending_world(&fresh);
    let always = Flaky {
        inner: fresh,
        conflicts: Mutex::new(u32::MAX),
        reads: AtomicU32::new(0),
    };
    let bounded = AsyncService::new(&always).with_attempts(4);
    let error = ready(bounded.execute(&accept(4))).unwrap_err();
    assert!(error.is_conflict(), "{error:?}");
    assert_eq!(
        always.reads.load(Ordering::SeqCst),
        12,
        "4 attempts x 3 rounds"
    );
}

#[test]
fn x4_blocking_runs_a_sync_store_under_the_async_contract() {
    let store = MemoryStore::new();
    pending_world(&store);
    let service = AsyncService::new(Blocking::new(store));
    let outcome = ready(assert_send(service.execute(&accept(3)))).unwrap();
    assert!(!outcome.events.is_empty());
    let plan = ReadPlan::new(vec![RecordKey::TransferGroup(G1)]).with_group_tickets();
    let found = ready(service.store().read(&plan)).unwrap();
    assert_eq!(found.records.len(), 2, "the group and its ticket");
}
