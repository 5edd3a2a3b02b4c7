//! X7: every record belongs to an organizer; one organizer never reaches another's records.

use secure_ticket::injection::InjectTicket;
use secure_ticket::service::{Command, Request};
use secure_ticket::store::{CommandKey, Record, RecordKey};
use secure_ticket::take_back::TakeBackTicket;
use secure_ticket::transfer::{AcceptTransfer, DeclineTransfer};
use secure_ticket::wallet::DownloadTicket;
use secure_ticket::{AcceptanceSettings, CommandId, Error, TicketId};

use crate::common::*;

fn of(organizer: secure_ticket::OrganizerId, id: u128, command: Command) -> Request {
    Request {
        id: CommandId::from_u128(id),
        organizer,
        command,
    }
}

#[test]
fn x7_a_command_naming_another_organizers_ticket_gets_not_found_and_changes_nothing() {
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), None);
    let before = service.ticket(tid(1)).unwrap().unwrap();
    let download = of(
        OTHER_ORG,
        1,
        Command::Download(DownloadTicket {
            ticket: tid(1),
            actor: alice(),
            at: at(1),
        }),
    );
    match service.execute(&download) {
        Err(Error::NotFound { key }) => assert_eq!(key, RecordKey::Ticket(tid(1))),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(service.ticket(tid(1)).unwrap().unwrap(), before);
    // The refusal reveals nothing: it is the answer for a ticket that does not exist at all.
    let missing = of(
        OTHER_ORG,
        2,
        Command::Download(DownloadTicket {
            ticket: tid(99),
            actor: alice(),
            at: at(1),
        }),
    );
    let Err(Error::NotFound { key }) = service.execute(&missing) else {
        panic!("a missing ticket is NotFound");
    };
    assert_eq!(key, RecordKey::Ticket(tid(99)));
}

#[test]
fn x7_another_organizers_group_point_of_sale_and_rule_are_not_found() {
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), None);
    send(&service, 10, &alice(), &bob(), &[1], at(1)).unwrap();
    let accept = of(
        OTHER_ORG,
        11,
        Command::Accept(AcceptTransfer {
            group: gid(10),
            actor: bob(),
            at: at(2),
        }),
    );
    assert!(matches!(
        service.execute(&accept),
        Err(Error::NotFound { key: RecordKey::TransferGroup(g) }) if g == gid(10)
    ));
    let decline = of(
        OTHER_ORG,
        12,
        Command::Decline(DeclineTransfer {
            group: gid(10),
            actor: bob(),
            at: at(2),
        }),
    );
    assert!(matches!(
        service.execute(&decline),
        Err(Error::NotFound { .. })
    ));
    assert!(service.group(gid(10)).unwrap().unwrap().value.is_pending());

    // An organizer's own ticket, injected with another organizer's usage rule: refused.
    service
        .create([Record::Ticket(issued(OTHER_ORG, 2, None))])
        .unwrap();
    let inject = of(
        OTHER_ORG,
        13,
        Command::Inject(InjectTicket {
            ticket: tid(2),
            to: alice(),
            usage_rule: RULE,
            at: AT,
        }),
    );
    assert!(matches!(
        service.execute(&inject),
        Err(Error::NotFound { key: RecordKey::UsageRule(r) }) if r == RULE
    ));
    // And its take back through another organizer's point of sale is refused too.
    let take_back = of(
        OTHER_ORG,
        14,
        Command::TakeBack(TakeBackTicket {
            contact: secure_ticket::ContactKind::Individual,
            ticket: tid(2),
            point_of_sale: POS,
            actor: agency(),
            new_ticket: TicketId::from_u128(3),
            at: at(3),
        }),
    );
    assert!(matches!(
        service.execute(&take_back),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn x7_command_ids_are_scoped_per_organizer() {
    let service = world(AcceptanceSettings::explicit());
    let mut other = setup_records(OTHER_ORG, AcceptanceSettings::explicit());
    // The other organizer's own rule, POS and performances, under other ids.
    other.retain(|r| matches!(r, Record::Settings(_)));
    other.push(Record::UsageRule(secure_ticket::UsageRule::new(
        OTHER_ORG,
        secure_ticket::UsageRuleId::from_u128(2),
    )));
    service.create(other).unwrap();
    inject(&service, 1, &alice(), None);
    service
        .create([Record::Ticket(issued(OTHER_ORG, 2, None))])
        .unwrap();
    // Command 1001 injected ORG's ticket 1; the same id for OTHER_ORG is a new command.
    let theirs = of(
        OTHER_ORG,
        1001,
        Command::Inject(InjectTicket {
            ticket: tid(2),
            to: bob(),
            usage_rule: secure_ticket::UsageRuleId::from_u128(2),
            at: AT,
        }),
    );
    let outcome = service.execute(&theirs).unwrap();
    assert!(!outcome.replayed);
    assert_eq!(
        service
            .ticket(tid(2))
            .unwrap()
            .unwrap()
            .value
            .wallet
            .unwrap()
            .owners
            .current,
        bob()
    );
    let keys = [
        RecordKey::Command(CommandKey::new(ORG, CommandId::from_u128(1001))),
        RecordKey::Command(CommandKey::new(OTHER_ORG, CommandId::from_u128(1001))),
    ];
    assert_ne!(keys[0].uuid(), keys[1].uuid());
    use secure_ticket::store::Store;
    assert_eq!(service.store().load(&keys).unwrap().len(), 2);
}

#[test]
fn x7_settings_always_come_from_the_records_organizer() {
    // ORG accepts automatically; OTHER_ORG demands explicit acceptance. A sign-in of OTHER_ORG
    // cannot complete ORG's groups with OTHER_ORG's settings, nor at all.
    let service = world(AcceptanceSettings::automatic());
    service
        .create([Record::Settings(
            secure_ticket::OrganizerSettings::new(OTHER_ORG)
                .with_acceptance(AcceptanceSettings::explicit()),
        )])
        .unwrap();
    inject(&service, 1, &alice(), None);
    send(&service, 10, &alice(), &bob(), &[1], at(1)).unwrap();
    let theirs = of(
        OTHER_ORG,
        20,
        Command::SignIn(secure_ticket::transfer::SignIn {
            actor: bob(),
            at: at(2),
        }),
    );
    assert!(service.execute(&theirs).unwrap().events.is_empty());
    assert!(service.group(gid(10)).unwrap().unwrap().value.is_pending());
    // ORG's own sign-in completes it, under ORG's automatic acceptance.
    assert!(
        !sign_in(&service, 21, &bob(), at(3))
            .unwrap()
            .events
            .is_empty()
    );
    assert!(!service.group(gid(10)).unwrap().unwrap().value.is_pending());
}
