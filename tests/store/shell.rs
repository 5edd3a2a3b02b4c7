//! The shell (`Service`) over both stores: command ids (X3), missing records, ids in use, refusals,
//! and the bounded load-decide-commit loop (X4).
//!
//! Each scenario is a function of two handles on one fresh database; `on_both_stores!` runs it on
//! `MemoryStore` (two clones) and on SQLite (two connections on one temporary file).

use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use secure_ticket::service::{Command, Outcome, Request, Service};
use secure_ticket::store::{
    Batch, Operation, Record, RecordKey, Store, StoreError, Version, Versioned,
};
use secure_ticket::transfer::{InitiateTransfer, InitiateTransferError, NewGroupIds, SignIn};
use secure_ticket::{Email, Error, Event, OrganizerId, RuleError, TicketId, TransferGroupId};

use crate::common::{AT, alice, bob, carol, inject, request, rule, settings, ticket};

on_both_stores!(
    x3_same_command_twice_replays_first_events_and_writes_nothing,
    x3_twins_racing_on_two_handles_write_once,
    x3_same_id_different_content_is_command_id_reused,
    x3_missing_group_is_not_found,
    x3_missing_ticket_or_settings_is_not_found,
    x3_new_group_id_already_taken_is_id_in_use,
    x3_rule_refusal_writes_only_its_command_record,
    x4_shell_gives_up_after_exactly_the_configured_attempts,
    x4_shell_reloads_and_decides_again_after_a_conflict,
);

const T1: TicketId = TicketId::from_u128(1);
const T2: TicketId = TicketId::from_u128(2);
const G10: TransferGroupId = TransferGroupId::from_u128(10);
const G11: TransferGroupId = TransferGroupId::from_u128(11);

fn send(id: u128, ticket: TicketId, group: TransferGroupId, from: Email, to: Email) -> Request {
    request(
        id,
        Command::Initiate(InitiateTransfer {
            actor: from,
            recipient: to,
            tickets: vec![ticket],
            groups: NewGroupIds::single(group),
            at: AT,
        }),
    )
}

/// The stored version of `key` ([`Version::NEW`] when absent).
fn version<S: Store>(store: &S, key: RecordKey) -> Version {
    store
        .load(&[key])
        .unwrap()
        .first()
        .map_or(Version::NEW, |v| v.version)
}

/// Rule, settings (automatic acceptance) and tickets 1 and 2, both injected to Alice (commands 1, 2).
fn setup<S: Store>(store: S) -> Service<S> {
    let service = Service::new(store);
    service
        .create([
            Record::UsageRule(rule()),
            Record::Settings(settings()),
            Record::Ticket(ticket(1)),
            Record::Ticket(ticket(2)),
        ])
        .unwrap();
    service.execute(&inject(1, T1, alice())).unwrap();
    service.execute(&inject(2, T2, alice())).unwrap();
    service
}

fn x3_same_command_twice_replays_first_events_and_writes_nothing<S: Store>(store: S, _: S) {
    let service = setup(store);
    let sent = send(3, T1, G10, alice(), bob());
    let first = service.execute(&sent).unwrap();
    assert!(!first.replayed);
    assert_eq!(first.attempts, 1);
    assert!(matches!(
        first.events.as_slice(),
        [Event::TransferInitiated { group, .. }] if *group == G10
    ));
    let keys = [
        RecordKey::Ticket(T1),
        RecordKey::TransferGroup(G10),
        RecordKey::Command(sent.key()),
    ];
    let before: Vec<Version> = keys.iter().map(|&k| version(service.store(), k)).collect();
    assert_eq!(before, [Version::new(3), Version::new(1), Version::new(1)]);

    let again = service.execute(&sent).unwrap();
    assert_eq!(
        again,
        Outcome {
            events: first.events,
            replayed: true,
            attempts: 1,
        }
    );
    let after: Vec<Version> = keys.iter().map(|&k| version(service.store(), k)).collect();
    assert_eq!(after, before, "a replay wrote something");
}

fn x3_twins_racing_on_two_handles_write_once<S: Store + Send + Sync>(a: S, b: S) {
    // The same request sent twice at once (a client retry racing the original) through two
    // handles: one writes, the other returns the first result.
    let service_a = setup(a);
    let service_b = Service::new(b);
    let tickets: Vec<TicketId> = (10..30).map(TicketId::from_u128).collect();
    service_a
        .create((10..30).map(|n| Record::Ticket(ticket(n))))
        .unwrap();
    for (n, &id) in (100..).zip(&tickets) {
        service_a.execute(&inject(n, id, alice())).unwrap();
    }
    for (n, &id) in (200..).zip(&tickets) {
        let group = TransferGroupId::from_u128(n);
        let twin = send(n, id, group, alice(), bob());
        let barrier = Barrier::new(2);
        let run = |service: &Service<S>| {
            barrier.wait();
            service.execute(&twin)
        };
        let (ra, rb) = std::thread::scope(|s| {
            let ta = s.spawn(|| run(&service_a));
            let tb = s.spawn(|| run(&service_b));
            (ta.join().unwrap().unwrap(), tb.join().unwrap().unwrap())
        });
        assert_eq!(ra.events, rb.events);
        assert!(
            ra.replayed != rb.replayed,
            "exactly one of the twins writes: {ra:?} {rb:?}"
        );
        assert_eq!(
            version(service_a.store(), RecordKey::Ticket(id)),
            Version::new(3)
        );
        assert_eq!(
            version(service_a.store(), RecordKey::TransferGroup(group)),
            Version::new(1)
        );
    }
}

fn x3_same_id_different_content_is_command_id_reused<S: Store>(store: S, _: S) {
    let service = setup(store);
    let sent = send(3, T1, G10, alice(), bob());
    service.execute(&sent).unwrap();
    let ticket_version = version(service.store(), RecordKey::Ticket(T1));

    let mut changed = send(3, T2, G11, alice(), carol());
    changed.id = sent.id;
    match service.execute(&changed) {
        Err(Error::CommandIdReused { command }) => assert_eq!(command, sent.id),
        other => panic!("expected CommandIdReused, got {other:?}"),
    }
    // Command ids are per organizer (X7): the same id from another organizer is another
    // command, which does not reach this organizer's ticket.
    let other_organizer = Request {
        organizer: OrganizerId::from_u128(2),
        ..sent.clone()
    };
    assert!(matches!(
        service.execute(&other_organizer),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        version(service.store(), RecordKey::Ticket(T1)),
        ticket_version
    );
    assert_eq!(
        version(service.store(), RecordKey::Ticket(T2)),
        Version::new(2)
    );
    assert_eq!(
        version(service.store(), RecordKey::TransferGroup(G11)),
        Version::NEW
    );
}

fn x3_missing_group_is_not_found<S: Store>(store: S, _: S) {
    let service = setup(store);
    let missing = TransferGroupId::from_u128(99);
    let sign_in = request(
        3,
        Command::Accept(secure_ticket::transfer::AcceptTransfer {
            group: missing,
            actor: bob(),
            at: AT,
        }),
    );
    match service.execute(&sign_in) {
        Err(Error::NotFound { key }) => assert_eq!(key, RecordKey::TransferGroup(missing)),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(
        version(service.store(), RecordKey::Command(sign_in.key())),
        Version::NEW,
        "a command that found nothing was recorded"
    );
}

fn x3_missing_ticket_or_settings_is_not_found<S: Store>(store: S, _: S) {
    let service = setup(store);
    let missing = TicketId::from_u128(99);
    match service.execute(&inject(3, missing, alice())) {
        Err(Error::NotFound { key }) => assert_eq!(key, RecordKey::Ticket(missing)),
        other => panic!("expected NotFound for the ticket, got {other:?}"),
    }
    let elsewhere = Request {
        organizer: OrganizerId::from_u128(2),
        ..send(4, T1, G10, alice(), bob())
    };
    match service.execute(&elsewhere) {
        Err(Error::NotFound { key }) => {
            assert_eq!(key, RecordKey::Settings(OrganizerId::from_u128(2)));
        }
        other => panic!("expected NotFound for the settings, got {other:?}"),
    }
    assert_eq!(
        version(service.store(), RecordKey::Ticket(T1)),
        Version::new(2)
    );
}

fn x3_new_group_id_already_taken_is_id_in_use<S: Store>(store: S, _: S) {
    let service = setup(store);
    service.execute(&send(3, T1, G10, alice(), bob())).unwrap();
    let reused = send(4, T2, G10, alice(), bob());
    match service.execute(&reused) {
        Err(Error::IdInUse { key }) => assert_eq!(key, RecordKey::TransferGroup(G10)),
        other => panic!("expected IdInUse, got {other:?}"),
    }
    assert_eq!(
        version(service.store(), RecordKey::Ticket(T2)),
        Version::new(2)
    );
    assert_eq!(
        version(service.store(), RecordKey::TransferGroup(G10)),
        Version::new(1)
    );
    assert_eq!(
        version(service.store(), RecordKey::Command(reused.key())),
        Version::NEW
    );
    // The group still holds ticket 1 only.
    let group = service.group(G10).unwrap().unwrap();
    assert_eq!(group.value.tickets, [T1]);
}

fn x3_rule_refusal_writes_only_its_command_record<S: Store>(store: S, _: S) {
    let service = setup(store);
    let stranger = send(3, T1, G10, carol(), bob());
    match service.execute(&stranger) {
        Err(Error::Rule(RuleError::Initiate(InitiateTransferError::NotCurrentOwner {
            ticket,
            actor,
        }))) => assert_eq!((ticket, actor), (T1, carol())),
        other => panic!("expected NotCurrentOwner, got {other:?}"),
    }
    assert_eq!(
        version(service.store(), RecordKey::Ticket(T1)),
        Version::new(2)
    );
    assert_eq!(
        version(service.store(), RecordKey::TransferGroup(G10)),
        Version::NEW
    );
    // Only the command record, so that a retry gets the same refusal.
    assert_eq!(
        version(service.store(), RecordKey::Command(stranger.key())),
        Version::new(1)
    );
    let again = service.execute(&stranger).unwrap_err();
    assert!(matches!(
        again,
        Error::Rule(RuleError::Initiate(
            InitiateTransferError::NotCurrentOwner { .. }
        ))
    ));
    // A sign-in with nothing to complete is no refusal: no events, the command recorded.
    let idle = request(
        4,
        Command::SignIn(SignIn {
            actor: bob(),
            at: AT,
        }),
    );
    assert!(service.execute(&idle).unwrap().events.is_empty());
    assert_eq!(
        version(service.store(), RecordKey::Ticket(T1)),
        Version::new(2)
    );
}

/// A store whose commits always conflict on ticket 1, counting them; loads go through.
struct AlwaysConflict<S> {
    inner: S,
    commits: AtomicU32,
}

impl<S: Store> Store for AlwaysConflict<S> {
    forward_reads!(inner);

    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.inner.load(keys)
    }

    fn commit(&self, _: Batch) -> Result<(), StoreError> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        Err(StoreError::Conflict {
            key: RecordKey::Ticket(T1),
            expected: Version::new(2),
            actual: Version::new(3),
        })
    }
}

fn x4_shell_gives_up_after_exactly_the_configured_attempts<S: Store>(store: S, _: S) {
    let service = setup(store);
    let conflicting = AlwaysConflict {
        inner: service.store(),
        commits: AtomicU32::new(0),
    };
    let sent = send(3, T1, G10, alice(), bob());
    for (configured, expected) in [
        (None, Service::<S>::DEFAULT_ATTEMPTS),
        (Some(0), 1),
        (Some(1), 1),
        (Some(3), 3),
    ] {
        conflicting.commits.store(0, Ordering::SeqCst);
        let base = Service::new(&conflicting);
        let service = configured.map_or(base.clone(), |n| base.with_attempts(n));
        match service.execute(&sent) {
            Err(
                e @ Error::Store(StoreError::Conflict {
                    key,
                    expected: v2,
                    actual: v3,
                }),
            ) => {
                assert!(e.is_conflict());
                assert_eq!(
                    (key, v2, v3),
                    (RecordKey::Ticket(T1), Version::new(2), Version::new(3))
                );
            }
            other => panic!("expected the last Conflict, got {other:?}"),
        }
        assert_eq!(
            conflicting.commits.load(Ordering::SeqCst),
            expected,
            "with_attempts({configured:?})"
        );
    }
    assert_eq!(
        version(conflicting.inner, RecordKey::Ticket(T1)),
        Version::new(2)
    );
}

/// A store where another writer changes ticket 1 just before the first commit lands.
struct InterferesOnce<S> {
    inner: S,
    interfered: AtomicBool,
    commits: AtomicU32,
}

impl<S: Store> Store for InterferesOnce<S> {
    forward_reads!(inner);

    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.inner.load(keys)
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        if !self.interfered.swap(true, Ordering::SeqCst) {
            let [current] = <[_; 1]>::try_from(self.inner.load(&[RecordKey::Ticket(T1)])?)
                .unwrap_or_else(|_| panic!("ticket 1 is missing"));
            self.inner
                .commit(Batch::new().with(current.value, current.version))?;
        }
        self.inner.commit(batch)
    }
}

fn x4_shell_reloads_and_decides_again_after_a_conflict<S: Store>(store: S, _: S) {
    let setup = setup(store);
    let racy = InterferesOnce {
        inner: setup.store(),
        interfered: AtomicBool::new(false),
        commits: AtomicU32::new(0),
    };
    let service = Service::new(&racy);
    let outcome = service.execute(&send(3, T1, G10, alice(), bob())).unwrap();
    assert_eq!(outcome.attempts, 2);
    assert!(!outcome.replayed);
    assert_eq!(racy.commits.load(Ordering::SeqCst), 2);
    // Injected v2, the other writer v3, this transfer v4.
    assert_eq!(version(racy.inner, RecordKey::Ticket(T1)), Version::new(4));
    let pending = setup.ticket(T1).unwrap().unwrap().value.wallet.unwrap();
    assert_eq!(pending.pending_group, Some(G10));
}

/// A store that keeps reporting a conflict on the command's own record, which its loads never
/// show (as a store reading from a lagging replica would). It stops the loop after 100 commits.
struct CommandKeyConflict<S> {
    inner: S,
    commits: AtomicU32,
}

impl<S: Store> Store for CommandKeyConflict<S> {
    forward_reads!(inner);

    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.inner.load(keys)
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        let n = self.commits.fetch_add(1, Ordering::SeqCst) + 1;
        if n >= 100 {
            return Err(StoreError::Backend {
                operation: Operation::Commit,
                key: None,
                source: "the test stopped the loop".into(),
            });
        }
        let key = batch
            .writes
            .iter()
            .map(|w| w.record.key())
            .find(|k| matches!(k, RecordKey::Command(_)))
            .unwrap();
        Err(StoreError::Conflict {
            key,
            expected: Version::NEW,
            actual: Version::new(1),
        })
    }
}

#[test]
fn x4_shell_bounds_rounds_even_when_the_command_key_conflicts() {
    let setup = setup(secure_ticket::store::MemoryStore::new());
    let lagging = CommandKeyConflict {
        inner: setup.store(),
        commits: AtomicU32::new(0),
    };
    let result = Service::new(&lagging)
        .with_attempts(3)
        .execute(&send(3, T1, G10, alice(), bob()));
    let commits = lagging.commits.load(Ordering::SeqCst);
    assert!(
        commits <= 3,
        "{commits} commits with 3 attempts configured; ended with {result:?}"
    );
}

/// A contract-abiding store that runs a batch's creations before its updates (as a SQL store doing
/// all its `INSERT`s first might), so of several conflicts it reports a creation's. On its first
/// commit, a twin of the request (same id, same content) lands just before.
struct TwinLandsFirst<S> {
    inner: S,
    twin: Request,
    landed: AtomicBool,
}

impl<S: Store> Store for TwinLandsFirst<S> {
    forward_reads!(inner);

    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.inner.load(keys)
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        if !self.landed.swap(true, Ordering::SeqCst) {
            Service::new(&self.inner).execute(&self.twin).unwrap();
        }
        let mut creations_first = batch;
        creations_first
            .writes
            .sort_by_key(|w| w.expected != Version::NEW);
        self.inner.commit(creations_first)
    }
}

#[test]
fn x3_twin_that_landed_first_is_replayed_whatever_conflict_the_store_reports() {
    let setup = setup(secure_ticket::store::MemoryStore::new());
    let sent = send(3, T1, G10, alice(), bob());
    let racy = TwinLandsFirst {
        inner: setup.store(),
        twin: sent.clone(),
        landed: AtomicBool::new(false),
    };
    match Service::new(&racy).execute(&sent) {
        Ok(outcome) => assert!(outcome.replayed, "{outcome:?}"),
        Err(e) => panic!("expected the twin's result, replayed; got {e:?}"),
    }
}
