//! Bugs the model test found in the crate, each pinned by a failing test marked
//! `#[ignore = "BUG: ..."]` (run them with `cargo test --all-features --test model -- --ignored`).
//! The model predicts today's behaviour for each (marked KNOWN BUG in `reference`) so that the
//! model test keeps running; fixing a bug turns its prediction into a failure, to be deleted.

use secure_ticket::service::{Command, Request, Service};
use secure_ticket::store::{MemoryStore, Record};
use secure_ticket::strategies::{EPOCH, POINT_OF_SALE, issued_ticket, person};
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
            Record::PointOfSale(PointOfSale::b2b(POINT_OF_SALE)),
            Record::Settings(OrganizerSettings::new(OrganizerId::from_u128(1))),
        ])
        .unwrap();
    let request = |id: u128, new_ticket: TicketId| Request {
        id: CommandId::from_u128(id),
        organizer: OrganizerId::from_u128(1),
        command: Command::TakeBack(TakeBackTicket {
            ticket: ticket.id,
            point_of_sale: POINT_OF_SALE,
            actor: person(0),
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
