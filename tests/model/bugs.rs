//! Bugs the model test found in the crate, each pinned by a failing test marked
//! `#[ignore = "BUG: ..."]` (run them with `cargo test --all-features --test model -- --ignored`).
//! The model predicts today's behaviour for each (marked KNOWN BUG in `reference`) so that the
//! model test keeps running; fixing a bug turns its prediction into a failure, to be deleted.

use secure_ticket::service::{Command, Request, Service};
use secure_ticket::store::{MemoryStore, Record};
use secure_ticket::strategies::{EPOCH, POINT_OF_SALE, agency, issued_ticket, person};
use secure_ticket::take_back::TakeBackTicket;
use secure_ticket::{CommandId, OrganizerId, OrganizerSettings, PointOfSale, TicketId};

/// B3: a regular take back (here: a secure mobile ticket not injected yet) creates no ticket, so
/// the command's `new_ticket` is unused ("unused by a regular one", says `TakeBackTicket`). The
/// shell nevertheless counts it among the records the command creates, finds the ticket itself
/// under that id when `new_ticket == ticket`, and refuses with `IdInUse(ticket)`.
#[test]
fn b3_regular_take_back_ignores_its_unused_new_ticket_id() {
    let service = Service::new(MemoryStore::new());
    let ticket = issued_ticket(1, Some(person(1)));
    service
        .create([
            Record::Ticket(ticket.clone()),
            Record::PointOfSale(PointOfSale::b2b(OrganizerId::from_u128(1), POINT_OF_SALE)),
            Record::Settings(OrganizerSettings::new(OrganizerId::from_u128(1))),
        ])
        .unwrap();
    let request = |id: u128, new_ticket: TicketId| Request {
        id: CommandId::from_u128(id),
        organizer: OrganizerId::from_u128(1),
        command: Command::TakeBack(TakeBackTicket {
            contact: secure_ticket::ContactKind::Individual,
            ticket: ticket.id,
            point_of_sale: POINT_OF_SALE,
            actor: agency(),
            new_ticket,
            at: EPOCH,
        }),
    };
    // Any other unused id works:
    assert!(
        service
            .execute(&request(1, TicketId::from_u128(77)))
            .is_ok()
    );
    // The same regular take back naming the ticket itself as the (unused) new id is refused:
    let outcome = service.execute(&request(2, ticket.id));
    assert!(
        outcome.is_ok(),
        "a regular take back must not care about its unused new_ticket: {outcome:?}"
    );
}

/// Q4, A2: a sign-in completes "every PENDING group addressed to the actor that completes on
/// sign-in"; `SIGN_IN_GROUPS` says that beyond 1,000 "the rest wait for the next sign-in". The
/// shell once read the 1,000 *newest* PENDING groups addressed to the actor, those waiting for an
/// explicit answer (A1 on) included, and only then kept those that complete on sign-in: with
/// 1,000 newer FORWARD groups awaiting alice's answer, her older BACKWARD group (A2) never
/// completed. Sign-in now reads its own index (`Index::CompletesAtSignIn`, oldest first).
#[test]
fn q4_sign_in_completes_a_backward_group_behind_1000_explicit_ones() {
    use secure_ticket::service::SIGN_IN_GROUPS;
    use secure_ticket::transfer::{
        AcceptTransfer, InitiateTransfer, NewGroupIds, ReturnToSender, SignIn,
    };
    use secure_ticket::{
        AcceptanceSettings, TransferGroupId, TransferLimit, UsageRule, UsageRuleId, Wallet,
    };

    let organizer = OrganizerId::from_u128(1);
    let (alice, bob, carol) = (person(0), person(1), person(2));
    let rule = UsageRuleId::from_u128(1);
    let explicit = OrganizerSettings::new(organizer).with_acceptance(AcceptanceSettings {
        explicit_acceptance: true,
        expire_after: None,
    });
    let mut records = vec![
        Record::Settings(explicit),
        Record::UsageRule(UsageRule::new(organizer, rule).with_max_transfers(TransferLimit::MAX)),
    ];
    let n = u128::from(SIGN_IN_GROUPS) + 1;
    for id in 0..=n {
        let mut ticket = issued_ticket(id + 1, None);
        let owner = if id == 0 {
            alice.clone()
        } else {
            carol.clone()
        };
        ticket.distribution.printed = true;
        ticket.wallet = Some(Wallet::injected(rule, owner, EPOCH));
        records.push(Record::Ticket(ticket));
    }
    let service = Service::new(MemoryStore::new());
    for chunk in records.chunks(secure_ticket::service::MAX_BATCH) {
        service.create(chunk.iter().cloned()).unwrap();
    }
    let mut command = 0u128;
    let mut run = |c: Command| {
        command += 1;
        service
            .execute(&Request {
                id: CommandId::from_u128(command),
                organizer,
                command: c,
            })
            .unwrap()
    };
    let at = |minutes: i64| EPOCH + time::Duration::minutes(minutes);
    let group = |n: u128| TransferGroupId::from_u128(n);
    // Alice gives ticket 1 to bob, who accepts, then returns it: a BACKWARD group to alice.
    run(Command::Initiate(InitiateTransfer {
        actor: alice.clone(),
        recipient: bob.clone(),
        tickets: vec![TicketId::from_u128(1)],
        groups: NewGroupIds::new(group(1), group(2)),
        at: at(0),
    }));
    run(Command::Accept(AcceptTransfer {
        group: group(1),
        actor: bob.clone(),
        at: at(1),
    }));
    run(Command::ReturnToSender(ReturnToSender {
        ticket: TicketId::from_u128(1),
        actor: bob,
        group: group(3),
        at: at(2),
    }));
    // Then carol sends alice 1,000 tickets, one group each, FORWARD: alice must answer each.
    for id in 2..=n {
        run(Command::Initiate(InitiateTransfer {
            actor: carol.clone(),
            recipient: alice.clone(),
            tickets: vec![TicketId::from_u128(id)],
            groups: NewGroupIds::new(group(id * 4), group(id * 4 + 1)),
            at: at(10),
        }));
    }
    let signed_in = run(Command::SignIn(SignIn {
        actor: alice,
        at: at(20),
    }));
    assert!(
        !signed_in.events.is_empty(),
        "alice's BACKWARD group (A2) did not complete at her sign-in"
    );
}
