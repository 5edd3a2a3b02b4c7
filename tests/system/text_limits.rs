//! X13: the free text a record may hold is bounded, and `Service::create` checks it, with the
//! number of records (X11), before anything is written.

use secure_ticket::service::{MAX_BATCH, Service};
use secure_ticket::store::{MemoryStore, Record, RecordKey, Store};
use secure_ticket::text_limit::{self, TextField};
use secure_ticket::{
    Error, Invalidation, InvalidationReason, OrganizerSettings, PointOfSale, TicketHolder,
    TixngoInterface,
};

use crate::common::*;

fn holder(first_name: String) -> TicketHolder {
    TicketHolder {
        first_name,
        last_name: "Doe".to_owned(),
        birth_date: Some("1990-01-31".to_owned()),
        identity_number: None,
    }
}

/// Ticket `n` with holder details.
fn held(n: u128, holder: TicketHolder) -> Record {
    let mut ticket = issued(ORG, n, None);
    ticket.distribution = ticket.distribution.with_holder(holder);
    Record::Ticket(ticket)
}

/// `create` refused `records` with `TextTooLong` for `key`'s `field` of length `len`, and wrote
/// none of them.
fn assert_refused(records: Vec<Record>, key: RecordKey, field: TextField, len: usize) {
    let service = Service::new(MemoryStore::new());
    let keys: Vec<RecordKey> = records.iter().map(Record::key).collect();
    let refused = service.create(records);
    match &refused {
        Err(Error::TextTooLong {
            key: k,
            field: f,
            len: l,
            max,
        }) => {
            assert_eq!((*k, *f, *l, *max), (key, field, len, field.max()));
            let message = refused.as_ref().unwrap_err().to_string();
            assert!(message.contains(&field.max().to_string()), "{message}");
            assert!(message.contains(&field.to_string()), "{message}");
            assert_eq!(refused.as_ref().unwrap_err().code(), "TEXT_TOO_LONG");
        }
        other => panic!("expected TextTooLong for {key}'s {field}, got {other:?}"),
    }
    assert!(
        service.store().load(&keys).unwrap().is_empty(),
        "something was written"
    );
}

#[test]
fn x13_a_holder_field_over_256_bytes_is_refused_and_nothing_is_written() {
    let max = text_limit::HOLDER_FIELD_BYTES;
    assert_eq!(max, 256);
    // At the limit, in bytes, whatever the characters: accepted.
    let service = Service::new(MemoryStore::new());
    service
        .create([
            held(1, holder("a".repeat(max))),
            held(2, holder("é".repeat(max / 2))),
        ])
        .unwrap();
    // One byte over, in any field; the valid ticket beside it is not written either.
    let key = RecordKey::Ticket(tid(4));
    assert_refused(
        vec![
            held(3, holder("Ann".to_owned())),
            held(4, holder("é".repeat(max / 2) + "x")),
        ],
        key,
        TextField::HolderFirstName,
        max + 1,
    );
    let mut long = holder("Ann".to_owned());
    long.last_name = "d".repeat(max + 1);
    assert_refused(vec![held(4, long)], key, TextField::HolderLastName, max + 1);
    let mut long = holder("Ann".to_owned());
    long.birth_date = Some("1".repeat(max + 1));
    assert_refused(
        vec![held(4, long)],
        key,
        TextField::HolderBirthDate,
        max + 1,
    );
    let mut long = holder("Ann".to_owned());
    long.identity_number = Some("9".repeat(10_000_000));
    assert_refused(
        vec![held(4, long)],
        key,
        TextField::HolderIdentityNumber,
        10_000_000,
    );
}

#[test]
fn x13_reason_codes_and_their_list_are_bounded() {
    let max = text_limit::REASON_CODE_BYTES;
    let mut ticket = issued(ORG, 1, None);
    ticket.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::from_code(&"R".repeat(max + 1)),
        at: AT,
        replaced_by: None,
    });
    assert_refused(
        vec![Record::Ticket(ticket)],
        RecordKey::Ticket(tid(1)),
        TextField::ReasonCode,
        max + 1,
    );
    let settings = |reasons: Vec<InvalidationReason>| {
        let interface = TixngoInterface {
            reset_injection_invalidation_reasons: reasons,
            ..TixngoInterface::default()
        };
        Record::Settings(OrganizerSettings::new(ORG).with_interface(interface))
    };
    let key = RecordKey::Settings(ORG);
    assert_refused(
        vec![settings(vec![InvalidationReason::from_code(
            &"R".repeat(max + 1),
        )])],
        key,
        TextField::ReasonCode,
        max + 1,
    );
    let many: Vec<_> = (0..=text_limit::RESET_REASONS)
        .map(|n| InvalidationReason::from_code(&format!("R{n}")))
        .collect();
    assert_refused(
        vec![settings(many)],
        key,
        TextField::ResetReasons,
        text_limit::RESET_REASONS + 1,
    );
    let at_limit: Vec<_> = (0..text_limit::RESET_REASONS)
        .map(|n| InvalidationReason::from_code(&format!("{n}")))
        .collect();
    Service::new(MemoryStore::new())
        .create([settings(at_limit)])
        .unwrap();
}

#[test]
fn x13_parameters_kept_verbatim_are_bounded() {
    let pos = |others: Vec<(String, String)>| {
        let mut pos = PointOfSale::b2b(ORG, POS);
        pos.theme.others = others.into_iter().collect();
        Record::PointOfSale(pos)
    };
    let key = RecordKey::PointOfSale(POS);
    let many = (0..=text_limit::PARAMETERS)
        .map(|n| (format!("key{n}"), "v".to_owned()))
        .collect();
    assert_refused(
        vec![pos(many)],
        key,
        TextField::Parameters,
        text_limit::PARAMETERS + 1,
    );
    let long = text_limit::PARAMETER_BYTES + 1;
    assert_refused(
        vec![pos(vec![("colour".to_owned(), "b".repeat(long))])],
        key,
        TextField::Parameter,
        long,
    );
    let mut interface = TixngoInterface::default();
    interface.others.insert("k".repeat(long), "v".to_owned());
    assert_refused(
        vec![Record::Settings(
            OrganizerSettings::new(ORG).with_interface(interface),
        )],
        RecordKey::Settings(ORG),
        TextField::Parameter,
        long,
    );
}

#[test]
fn x11_create_takes_at_most_1000_records_checked_first() {
    let service = Service::new(MemoryStore::new());
    let tickets =
        |range: std::ops::Range<u128>| range.map(|n| Record::Ticket(issued(ORG, n, None)));
    let refused = service.create(tickets(0..MAX_BATCH as u128 + 5));
    assert!(
        matches!(refused, Err(Error::BatchTooLarge { count, max }) if count == MAX_BATCH + 5 && max == MAX_BATCH),
        "{refused:?}"
    );
    assert!(service.ticket(tid(0)).unwrap().is_none());
    service.create(tickets(0..MAX_BATCH as u128)).unwrap();
}
