//! X3, as HTTP servers make retries: the time stamped and new ids minted per request.

use secure_ticket::command::{RecordedOutcome, Refusal};
use secure_ticket::service::Command;
use secure_ticket::store::{Record, RecordKey, Store};
use secure_ticket::take_back::TakeBackTicket;
use secure_ticket::transfer::{InitiateTransfer, NewGroupIds};
use secure_ticket::wallet::DownloadTicket;
use secure_ticket::{AcceptanceSettings, CommandId, Error, TicketId, TransferGroupId};

use crate::common::*;

/// What a server makes of an HTTP request "alice sends ticket 1 to bob" with idempotency key
/// `key`: the time of arrival, and the group id derived from the key.
fn as_a_server_makes_it(
    key: u128,
    arrived: time::OffsetDateTime,
) -> secure_ticket::service::Request {
    let command = CommandId::from_u128(key);
    req(
        key,
        Command::Initiate(InitiateTransfer {
            actor: alice(),
            recipient: bob(),
            tickets: vec![tid(1)],
            groups: NewGroupIds::derived(ORG, command),
            at: arrived,
        }),
    )
}

#[test]
fn x3_a_retry_stamped_later_with_derived_ids_is_a_retry() {
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), None);
    let first = service.execute(&as_a_server_makes_it(77, at(1))).unwrap();
    let retry = service.execute(&as_a_server_makes_it(77, at(9))).unwrap();
    assert!(retry.replayed && !first.replayed);
    assert_eq!(retry.events, first.events);
    let group = NewGroupIds::derived(ORG, CommandId::from_u128(77)).forward;
    assert!(service.group(group).unwrap().unwrap().value.is_pending());
    // A server that minted a random id for the retry still gets the first result: the ids of
    // created records are not part of what the caller sent.
    let mut minted = as_a_server_makes_it(77, at(10));
    if let Command::Initiate(c) = &mut minted.command {
        c.groups = NewGroupIds::single(TransferGroupId::from_u128(0xdead));
    }
    assert_eq!(service.execute(&minted).unwrap().events, first.events);
    assert!(
        service
            .group(TransferGroupId::from_u128(0xdead))
            .unwrap()
            .is_none()
    );
}

#[test]
fn x3_the_same_id_with_other_content_is_command_id_reused() {
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), None);
    service.execute(&as_a_server_makes_it(77, at(1))).unwrap();
    let mut other = as_a_server_makes_it(77, at(1));
    if let Command::Initiate(c) = &mut other.command {
        c.recipient = carol();
    }
    assert!(matches!(
        service.execute(&other),
        Err(Error::CommandIdReused { command }) if command == CommandId::from_u128(77)
    ));
}

#[test]
fn x3_a_retry_of_a_refused_command_returns_the_same_refusal_even_once_it_would_pass() {
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), None);
    let download = |actor| {
        req(
            60,
            Command::Download(DownloadTicket {
                ticket: tid(1),
                actor,
                at: at(1),
            }),
        )
    };
    // Bob is not the owner: refused, and the refusal is recorded.
    let refused = service.execute(&download(bob())).unwrap_err();
    let record = service
        .store()
        .load(&[RecordKey::Command(download(bob()).key())])
        .unwrap();
    let Some(Record::Command(stored)) = record.into_iter().next().map(|v| v.value) else {
        panic!("a refused command is recorded");
    };
    assert!(matches!(
        stored.outcome,
        RecordedOutcome::Refused {
            refusal: Refusal::Rule { .. }
        }
    ));
    // Its retry gets the same refusal, not a new decision.
    let again = service.execute(&download(bob())).unwrap_err();
    assert_eq!(again.to_string(), refused.to_string());
    assert_eq!(again.code(), refused.code());
    // The same id with other content (alice, who may download) is a reuse, not a new command.
    assert!(matches!(
        service.execute(&download(alice())),
        Err(Error::CommandIdReused { .. })
    ));
    assert!(
        service
            .ticket(tid(1))
            .unwrap()
            .unwrap()
            .value
            .wallet
            .unwrap()
            .downloaded_at
            .is_none()
    );
}

#[test]
fn x3_an_input_error_writes_nothing_and_its_retry_is_decided_again() {
    let service = world(AcceptanceSettings::explicit());
    let missing = req(
        61,
        Command::Download(DownloadTicket {
            ticket: tid(1),
            actor: alice(),
            at: at(1),
        }),
    );
    let before = service.store().len().unwrap();
    assert!(matches!(
        service.execute(&missing),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        service.store().len().unwrap(),
        before,
        "nothing written, not even a command record"
    );
    assert!(
        service
            .feed_after(ORG, secure_ticket::feed::Position::START, 10)
            .unwrap()
            .is_empty()
    );
    // Once the ticket exists, the same request is decided (it was never recorded).
    inject(&service, 1, &alice(), None);
    assert!(!service.execute(&missing).unwrap().replayed);
}

#[test]
fn x3_derived_ids_differ_by_organizer_command_and_purpose() {
    let (one, two) = (CommandId::from_u128(1), CommandId::from_u128(2));
    let ids = NewGroupIds::derived(ORG, one);
    assert_ne!(ids.forward, ids.backward);
    assert_ne!(ids, NewGroupIds::derived(ORG, two));
    assert_ne!(ids, NewGroupIds::derived(OTHER_ORG, one));
    assert_eq!(TransferGroupId::derived(ORG, one), ids.forward);
    assert_ne!(TicketId::derived(ORG, one).as_uuid(), ids.forward.as_uuid());
    assert_eq!(TicketId::derived(ORG, one).as_uuid().get_version_num(), 8);
}

#[test]
fn x3_a_take_back_retried_with_a_derived_replacement_id_is_a_retry() {
    let service = world(AcceptanceSettings::explicit());
    service
        .register_reader(ORG, secure_ticket::service::FeedbackReader::name())
        .unwrap();
    inject(&service, 1, &email("typo@exmaple.com"), None);
    service.advance_feedback(ORG, 100).unwrap();
    let command = CommandId::from_u128(90);
    let take_back = |when| {
        req(
            90,
            Command::TakeBack(TakeBackTicket {
                contact: secure_ticket::ContactKind::Individual,
                ticket: tid(1),
                point_of_sale: POS,
                actor: agency(),
                new_ticket: TicketId::derived(ORG, command),
                at: when,
            }),
        )
    };
    let first = service.execute(&take_back(at(1))).unwrap();
    let retry = service.execute(&take_back(at(2))).unwrap();
    assert!(retry.replayed);
    assert_eq!(first.events, retry.events);
    assert!(
        service
            .ticket(TicketId::derived(ORG, command))
            .unwrap()
            .is_some()
    );
}

#[test]
fn x11_a_batch_over_the_limit_is_refused_before_anything_is_read() {
    use secure_ticket::service::MAX_BATCH;
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), None);
    let before = service.store().len().unwrap();
    let requests: Vec<_> = (0..=u128::try_from(MAX_BATCH).unwrap())
        .map(|n| {
            req(
                70_000 + n,
                Command::Download(DownloadTicket {
                    ticket: tid(1),
                    actor: alice(),
                    at: at(1),
                }),
            )
        })
        .collect();
    assert!(matches!(
        service.execute_batch(&requests),
        Err(Error::BatchTooLarge { count, max }) if count == MAX_BATCH + 1 && max == MAX_BATCH
    ));
    assert_eq!(service.store().len().unwrap(), before);
    // The largest allowed batch runs (the first download wins, the others are refused).
    let results = service.execute_batch(&requests[..MAX_BATCH]).unwrap();
    assert_eq!(results.len(), MAX_BATCH);
    assert!(results[0].is_ok());
}
