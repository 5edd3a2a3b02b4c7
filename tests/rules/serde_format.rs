//! Serialized spellings follow the sources, and records round-trip through serde_json.

use secure_ticket::transfer::{Acceptance, Direction, TransferGroup, TransferStatus};
use secure_ticket::{
    Activation, ActivationMethod, Distribution, Event, Invalidation, InvalidationReason, Ticket,
    TicketHolder, TransferBackward, WalletStatus,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::common::{AT, LATER, World, alice, bob, carol, gid, new_group, rule, tid, with_wallet};

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap()
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let text = json(value);
    let back: T = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, value, "{text}");
}

#[test]
fn serde_spellings_are_the_sources() {
    assert_eq!(json(&Direction::Forward), r#""FORWARD""#);
    assert_eq!(json(&Direction::Backward), r#""BACKWARD""#);
    assert_eq!(json(&TransferBackward::Neutral), r#""NEUTRAL""#);
    assert_eq!(json(&TransferBackward::Decrease), r#""DECREASE""#);
    assert_eq!(json(&TransferBackward::Increase), r#""INCREASE""#);
    assert_eq!(json(&TransferStatus::Pending), r#""PENDING""#);
    assert_eq!(json(&TransferStatus::Accepted), r#""ACCEPTED""#);
    assert_eq!(json(&TransferStatus::Declined), r#""DECLINED""#);
    assert_eq!(json(&TransferStatus::Cancelled), r#""CANCELLED""#);
    assert_eq!(json(&TransferStatus::Expired), r#""EXPIRED""#);
    assert_eq!(json(&WalletStatus::NotDownloaded), r#""NOT_DOWNLOADED""#);
    assert_eq!(
        json(&WalletStatus::PendingTransfer),
        r#""PENDING_TRANSFER""#
    );
    assert_eq!(
        json(&WalletStatus::DeletionPending),
        r#""DELETION_PENDING""#
    );
    assert_eq!(
        json(&InvalidationReason::MobileTakeBack),
        r#""MOBILE_TAKE_BACK""#
    );
    // Display agrees with serde.
    assert_eq!(Direction::Backward.to_string(), "BACKWARD");
    assert_eq!(TransferBackward::Decrease.to_string(), "DECREASE");
    assert_eq!(TransferStatus::Pending.to_string(), "PENDING");
    assert_eq!(WalletStatus::NotDownloaded.to_string(), "NOT_DOWNLOADED");
    assert_eq!(
        InvalidationReason::MobileTakeBack.to_string(),
        "MOBILE_TAKE_BACK"
    );
}

#[test]
fn serde_spellings_appear_in_records_and_events() {
    let group = new_group(
        gid(1),
        &alice(),
        &bob(),
        Direction::Forward,
        &[tid(1)],
        Acceptance::Explicit,
    );
    let text = json(&group);
    assert!(text.contains(r#""direction":"FORWARD""#), "{text}");
    assert!(text.contains(r#""status":"PENDING""#), "{text}");
    assert!(text.contains(r#""acceptance":"EXPLICIT""#), "{text}");

    let rule_text = json(&rule(3).with_transfer_backward(TransferBackward::Decrease));
    assert!(
        rule_text.contains(r#""transfer_backward":"DECREASE""#),
        "{rule_text}"
    );

    let mut invalidated = Ticket::new(
        secure_ticket::OrganizerId::from_u128(1),
        tid(1),
        secure_ticket::RightId::from_u128(1),
        world_distribution(),
    );
    invalidated.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::MobileTakeBack,
        at: AT,
        replaced_by: Some(tid(2)),
    });
    let ticket_text = json(&invalidated);
    assert!(
        ticket_text.contains(r#""reason":"MOBILE_TAKE_BACK""#),
        "{ticket_text}"
    );

    let event = Event::TransferInitiated {
        back_office: None,
        group: gid(1),
        direction: Direction::Backward,
        sender: bob(),
        recipient: alice(),
        tickets: vec![tid(1)].into(),
        at: AT,
    };
    let event_text = json(&event);
    assert!(
        event_text.contains(r#""type":"TRANSFER_INITIATED""#),
        "{event_text}"
    );
    assert!(
        event_text.contains(r#""direction":"BACKWARD""#),
        "{event_text}"
    );
    assert!(
        event_text.contains(r#""at":"2026-11-23T12:00:00Z""#),
        "{event_text}"
    );
}

fn world_distribution() -> Distribution {
    crate::common::issued(1).distribution
}

#[test]
fn serde_ticket_round_trips() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    world.transfer(id, &alice(), &bob(), 1);
    world.send(&bob(), &carol(), &[id], 2);

    // Every optional field set.
    let mut ticket = with_wallet(world.ticket(id), |w| {
        w.downloaded_at = Some(LATER);
        w.activated = Some(Activation {
            at: LATER,
            method: ActivationMethod::Bt,
        });
        w.checked_at = Some(LATER);
        w.controlled_at = Some(LATER);
        w.deletion_requested_at = Some(LATER);
        w.deleted_at = Some(LATER);
    });
    ticket.distribution = ticket
        .distribution
        .with_cultural_contact(alice())
        .with_holder(TicketHolder {
            first_name: "Alice".to_owned(),
            last_name: "Martin".to_owned(),
            birth_date: Some("1990-04-01".to_owned()),
            identity_number: Some("X123".to_owned()),
        });
    ticket.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::from_code("SOMETHING_ELSE"),
        at: LATER,
        replaced_by: Some(tid(2)),
    });
    ticket.distribution.replaces = Some(tid(3));

    round_trip(&ticket);
    round_trip(world.ticket(id));
    round_trip(&crate::common::issued(4));
    round_trip::<TransferGroup>(world.group(gid(1)));
    round_trip::<TransferGroup>(world.group(gid(2)));
    round_trip(&world.rules[0]);
    round_trip(&world.settings);
}

#[test]
fn serde_events_round_trip() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    let mut events = world.sent(&alice(), &bob(), &[id], 1).events;
    events.extend(world.accepted(1, &bob()).events);
    events.push(Event::TicketActivated {
        ticket: id,
        method: ActivationMethod::Manual,
        at: AT,
    });
    events.push(Event::TransferExpired {
        back_office: None,
        group: gid(1),
        sender: alice(),
        recipient: bob(),
        tickets: vec![id].into(),
        at: AT,
    });
    for event in &events {
        round_trip(event);
    }
}
