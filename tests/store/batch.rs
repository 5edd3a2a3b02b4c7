//! `Service::execute_batch`: many commands, batched loads, one atomic commit (X3, X4).

use std::sync::atomic::{AtomicU32, Ordering};

use secure_ticket::Error;
use secure_ticket::injection::InjectTicket;
use secure_ticket::service::{Command, Request, Service};
use secure_ticket::store::{
    Batch, MemoryStore, Record, RecordKey, Store, StoreError, Version, Versioned,
};
use secure_ticket::transfer::{AcceptTransfer, InitiateTransfer, NewGroupIds};
use secure_ticket::{CommandId, Event, RuleError, TicketId, TransferGroupId};

use crate::common::{AT, ORGANIZER, RULE, alice, bob, rule, settings, ticket};

/// Counts loads and commits.
#[derive(Default)]
struct Counted {
    inner: MemoryStore,
    loads: AtomicU32,
    commits: AtomicU32,
}

impl Store for Counted {
    forward_reads!(inner);

    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.loads.fetch_add(1, Ordering::Relaxed);
        self.inner.load(keys)
    }
    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.inner.commit(batch)
    }
}

fn request(n: u128, command: Command) -> Request {
    Request {
        id: CommandId::from_u128(n),
        organizer: ORGANIZER,
        command,
    }
}

fn inject(n: u128, ticket: u128) -> Request {
    request(
        n,
        Command::Inject(InjectTicket {
            ticket: TicketId::from_u128(ticket),
            to: alice(),
            usage_rule: RULE,
            at: AT,
        }),
    )
}

fn setup(tickets: u128) -> Service<Counted> {
    let service = Service::new(Counted::default());
    service
        .create([Record::UsageRule(rule()), Record::Settings(settings())])
        .unwrap();
    service
        .create((1..=tickets).map(|n| Record::Ticket(ticket(n))))
        .unwrap();
    service.store().commits.store(0, Ordering::Relaxed);
    service
}

#[test]
fn x4_a_batch_of_1000_commands_loads_in_rounds_and_commits_once() {
    let service = setup(1_000);
    let requests: Vec<Request> = (1..=1_000).map(|n| inject(n, n)).collect();
    let results = service.execute_batch(&requests).unwrap();
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(service.store().commits.load(Ordering::Relaxed), 1);
    assert!(
        service.store().loads.load(Ordering::Relaxed) <= 3,
        "loads are batched"
    );
    for n in [1, 500, 1_000] {
        let stored = service.ticket(TicketId::from_u128(n)).unwrap().unwrap();
        assert_eq!(
            (stored.version, stored.value.wallet.unwrap().owners.current),
            (Version::new(2), alice())
        );
    }
}

#[test]
fn x4_later_commands_see_earlier_ones_and_each_record_is_written_once() {
    let service = setup(1);
    let group = TransferGroupId::from_u128(1);
    let requests = [
        inject(1, 1),
        request(
            2,
            Command::Initiate(InitiateTransfer {
                actor: alice(),
                recipient: bob(),
                tickets: vec![TicketId::from_u128(1)],
                groups: NewGroupIds::single(group),
                at: AT,
            }),
        ),
        request(
            3,
            Command::Accept(AcceptTransfer {
                group,
                actor: bob(),
                at: AT,
            }),
        ),
    ];
    let results = service.execute_batch(&requests).unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert!(matches!(
        results[2].as_ref().unwrap().events[1],
        Event::TicketTransferred { level_after: 1, .. }
    ));
    let stored = service.ticket(TicketId::from_u128(1)).unwrap().unwrap();
    // Three changes, one write: version 1 (created) -> 2.
    assert_eq!(stored.version, Version::new(2));
    assert_eq!(stored.value.wallet.unwrap().owners.current, bob());
    assert_eq!(service.store().commits.load(Ordering::Relaxed), 1);
}

#[test]
fn x1_a_refused_command_in_a_batch_changes_nothing_and_spares_the_others() {
    let service = setup(2);
    let requests = [inject(1, 1), inject(2, 1), inject(3, 2)];
    let results = service.execute_batch(&requests).unwrap();
    assert!(results[0].is_ok() && results[2].is_ok());
    assert!(matches!(results[1], Err(Error::Rule(RuleError::Inject(_)))));
    // The refused command left its command record only (X3): its retry gets the same refusal.
    let key = RecordKey::Command(secure_ticket::store::CommandKey::new(
        ORGANIZER,
        CommandId::from_u128(2),
    ));
    let stored = service.store().load(&[key]).unwrap();
    assert!(matches!(
        &stored[0].value,
        Record::Command(c) if matches!(c.outcome, secure_ticket::command::RecordedOutcome::Refused { .. })
    ));
    let retry = service.execute(&requests[1]).unwrap_err();
    assert_eq!(retry.code(), results[1].as_ref().unwrap_err().code());
}

#[test]
fn x3_a_request_repeated_in_a_batch_or_across_batches_is_replayed() {
    let service = setup(1);
    let results = service
        .execute_batch(&[inject(1, 1), inject(1, 1)])
        .unwrap();
    assert!(!results[0].as_ref().unwrap().replayed);
    assert!(results[1].as_ref().unwrap().replayed);
    assert_eq!(
        results[0].as_ref().unwrap().events,
        results[1].as_ref().unwrap().events
    );
    let again = service.execute_batch(&[inject(1, 1)]).unwrap();
    assert!(again[0].as_ref().unwrap().replayed);
    let other = inject(1, 2);
    assert!(matches!(
        service.execute_batch(&[other]).unwrap()[0],
        Err(Error::CommandIdReused { .. })
    ));
}

#[test]
fn x4_an_empty_batch_writes_nothing() {
    let service = setup(0);
    assert!(service.execute_batch(&[]).unwrap().is_empty());
    assert_eq!(service.store().commits.load(Ordering::Relaxed), 0);
}
