//! Times every store can hold (X12): a command dated outside them gets the same typed error on
//! `MemoryStore` and on SQLite, before anything is read or written; the edges themselves are
//! stored and read back exactly. Each scenario gets two handles on one fresh database (on SQLite,
//! two connections on one file).

use secure_ticket::injection::InjectTicket;
use secure_ticket::service::{Command, Service};
use secure_ticket::store::{Record, RecordKey, Store, Version};
use secure_ticket::{
    Error, OrganizerId, Performance, PerformanceError, PerformanceId, TicketId, time_range,
};
use time::OffsetDateTime;
use time::macros::{datetime, offset};

use crate::common::{AT, alice, request, rule, settings, ticket};

on_both_stores!(
    x12_a_command_dated_outside_the_range_is_refused_alike_on_every_store,
    x12_the_edges_of_the_range_are_stored_and_read_back_exactly,
);

const T1: TicketId = TicketId::from_u128(1);

/// The usage rule, the settings and tickets 1 and 2, not injected.
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
    service
}

fn inject_at(id: u128, at: OffsetDateTime) -> secure_ticket::service::Request {
    request(
        id,
        Command::Inject(InjectTicket {
            ticket: T1,
            to: alice(),
            usage_rule: rule().id,
            at,
        }),
    )
}

/// Times outside the range: a year RFC 3339 cannot write, the instant before the earliest, one
/// after the latest (the local date is still in range), a year the SQLite example's `at` columns
/// cannot hold, an offset with seconds (RFC 3339 cannot write it).
fn outside() -> [OffsetDateTime; 5] {
    [
        datetime!(-0001-12-31 23:59:59 UTC),
        time_range::EARLIEST - time::Duration::NANOSECOND,
        datetime!(2199-12-31 23:30 -01:00),
        datetime!(2263-01-01 00:00 UTC),
        datetime!(2026-11-23 12:00 +01:00:30),
    ]
}

fn x12_a_command_dated_outside_the_range_is_refused_alike_on_every_store<S: Store>(store: S, _: S) {
    let service = setup(store);
    for (n, at) in (1..).zip(outside()) {
        assert!(!time_range::contains(at), "{at} should be outside");
        let refused = service.execute(&inject_at(n, at)).unwrap_err();
        assert!(
            matches!(refused, Error::TimeOutOfRange { at: given } if given == at),
            "{at}: {refused:?}"
        );
        assert_eq!(refused.code(), "TIME_OUT_OF_RANGE");
        assert_eq!(refused.kind().http_status(), 400);
        // Nothing was written: the ticket is still at its first version, with no command record.
        let loaded = service.store().load(&[RecordKey::Ticket(T1)]).unwrap();
        assert_eq!(loaded[0].version, Version::new(1));
        let record = inject_at(n, at).key();
        assert!(
            service
                .store()
                .load(&[RecordKey::Command(record)])
                .unwrap()
                .is_empty()
        );
        // A horizon outside the range is refused the same way.
        assert!(matches!(
            service.prune(at, 10),
            Err(Error::TimeOutOfRange { at: given }) if given == at
        ));
    }
    // One bad time in a batch refuses the whole batch before anything is read.
    let batch = [inject_at(10, AT), inject_at(11, outside()[0])];
    let results = service.execute_batch(&batch);
    assert!(
        matches!(results, Err(Error::TimeOutOfRange { .. })),
        "{results:?}"
    );
    assert_eq!(
        service.store().load(&[RecordKey::Ticket(T1)]).unwrap()[0].version,
        Version::new(1)
    );
    // Inside the range, the same command is accepted.
    service.execute(&inject_at(12, AT)).unwrap();
}

fn x12_the_edges_of_the_range_are_stored_and_read_back_exactly<S: Store>(store: S, other: S) {
    let service = setup(store);
    let edges = [
        time_range::EARLIEST,
        time_range::LATEST,
        datetime!(1970-01-01 01:00 +01:00),
        datetime!(2199-12-31 22:59:59.999_999_999 -01:00),
        datetime!(2026-11-23 12:00 UTC).to_offset(offset!(+05:45)),
    ];
    for at in edges {
        assert!(time_range::contains(at), "{at} should be inside");
    }
    let tickets = [(T1, edges[0]), (TicketId::from_u128(2), edges[3])];
    for (n, (ticket, at)) in (1..).zip(tickets) {
        let request = request(
            n,
            Command::Inject(InjectTicket {
                ticket,
                to: alice(),
                usage_rule: rule().id,
                at,
            }),
        );
        service.execute(&request).unwrap();
        // Read back through another handle (on SQLite, another connection: decoded from the file).
        let stored = Service::new(&other).ticket(ticket).unwrap().unwrap();
        assert_eq!(stored.value.wallet.unwrap().injected_at, at);
    }
}

#[test]
fn x12_a_performance_dated_outside_the_range_is_refused() {
    let organizer = OrganizerId::from_u128(1);
    let id = PerformanceId::from_u128(1);
    for at in outside() {
        assert_eq!(
            Performance::new(organizer, id, at, AT),
            Err(PerformanceError::TimeOutOfRange {
                performance: id,
                at
            })
        );
        assert_eq!(
            Performance::new(organizer, id, AT, at).map_err(|e| e.code()),
            Err("TIME_OUT_OF_RANGE")
        );
    }
    let edges = Performance::new(organizer, id, time_range::EARLIEST, time_range::LATEST).unwrap();
    let json = serde_json::to_string(&edges).unwrap();
    assert_eq!(serde_json::from_str::<Performance>(&json).unwrap(), edges);
    // The error itself serialises and reads back exactly (RFC 3339 cannot write the time).
    for at in outside() {
        let error = Performance::new(organizer, id, at, AT).unwrap_err();
        let json = serde_json::to_string(&error).unwrap();
        assert!(json.contains(r#""code":"TIME_OUT_OF_RANGE""#), "{json}");
        assert_eq!(
            serde_json::from_str::<PerformanceError>(&json).unwrap(),
            error
        );
    }
}
