//! B11 at creation (contract item 10): `Service::create` refuses a second valid ticket for a
//! right, on every store, whoever races to create it. Each scenario gets two handles on one
//! fresh database (on SQLite, two connections on one file).

use secure_ticket::index::Index;
use secure_ticket::service::Service;
use secure_ticket::store::{Record, RecordKey, Store, StoreError};
use secure_ticket::{
    Error, Invalidation, InvalidationReason, OrganizerId, RightId, Ticket, TicketId,
};

use crate::common::{AT, ticket};

on_both_stores!(
    b11_create_refuses_a_second_valid_ticket_for_a_right,
    b11_of_two_racing_creates_for_one_right_exactly_one_wins,
);

/// Ticket `n` for right `right`.
fn of_right(n: u128, right: u128) -> Ticket {
    let mut t = ticket(n);
    t.right = RightId::from_u128(right);
    t
}

fn b11_create_refuses_a_second_valid_ticket_for_a_right<S: Store>(store: S, other: S) {
    let service = Service::new(store);
    service.create([Record::Ticket(of_right(1, 7))]).unwrap();
    let refused = service.create([Record::Ticket(of_right(2, 7))]);
    match &refused {
        Err(Error::Store(StoreError::UniqueEntryTaken {
            index: Index::ValidTicketByRight,
            key,
            holder,
        })) => {
            assert_eq!(*key, RecordKey::Ticket(TicketId::from_u128(2)));
            assert_eq!(*holder, RecordKey::Ticket(TicketId::from_u128(1)));
            let message = refused.as_ref().unwrap_err().to_string();
            assert!(message.contains("B11"), "{message}");
        }
        other => panic!("expected UniqueEntryTaken, got {other:?}"),
    }
    // Nothing was written, as the other handle sees; two in one call are refused as well.
    let reader = Service::new(other);
    assert_eq!(reader.ticket(TicketId::from_u128(2)).unwrap(), None);
    assert!(matches!(
        service.create([
            Record::Ticket(of_right(3, 8)),
            Record::Ticket(of_right(4, 8))
        ]),
        Err(Error::Store(StoreError::UniqueEntryTaken { .. }))
    ));
    assert_eq!(reader.ticket(TicketId::from_u128(3)).unwrap(), None);
    // An invalidated ticket of the right does not count, nor another organizer's right 7.
    let mut old = of_right(5, 7);
    old.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::MobileTakeBack,
        at: AT,
        replaced_by: Some(TicketId::from_u128(1)),
    });
    let mut theirs = of_right(6, 7);
    theirs.organizer = OrganizerId::from_u128(2);
    service
        .create([Record::Ticket(old), Record::Ticket(theirs)])
        .unwrap();
}

fn b11_of_two_racing_creates_for_one_right_exactly_one_wins<S: Store + Sync>(a: S, b: S) {
    let (a, b) = (Service::new(a), Service::new(b));
    for round in 0..20u128 {
        let right = 100 + round;
        let (ra, rb) = std::thread::scope(|s| {
            let ta = s.spawn(|| a.create([Record::Ticket(of_right(1_000 + 2 * round, right))]));
            let tb = s.spawn(|| b.create([Record::Ticket(of_right(1_001 + 2 * round, right))]));
            (ta.join().unwrap(), tb.join().unwrap())
        });
        assert!(
            matches!(
                (&ra, &rb),
                (
                    Ok(()),
                    Err(Error::Store(StoreError::UniqueEntryTaken { .. }))
                ) | (
                    Err(Error::Store(StoreError::UniqueEntryTaken { .. })),
                    Ok(())
                )
            ),
            "round {round}: {ra:?} and {rb:?}"
        );
    }
}
