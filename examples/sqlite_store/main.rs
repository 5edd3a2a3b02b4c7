//! The SQLite store at work: `cargo run --example sqlite_store` opens a database in a temporary
//! file, injects, sends and accepts a ticket through [`Service`], shows a stale write refused and a
//! client retry answered from the feed without writing, reads a wallet through the index and the
//! organizer's feed, prunes what retention allows, prints the PRAGMAs in force, and removes the
//! file.
//!
//! The store itself, [`SqliteStore`] and its [`Store`] implementation, is in `store.rs` beside
//! this file: that is the part to copy (or to include with `#[path]`, as the store tests do), and
//! its header says how the recipe carries over to other SQL databases.

#[allow(
    unreachable_pub,
    reason = "store.rs is written as a library module, to be copied into a crate"
)]
mod store;

use std::error::Error;
use std::path::Path;

use secure_ticket::feed::Position;
use secure_ticket::injection::InjectTicket;
use secure_ticket::service::{Command, Request, Service, WalletRequest};
use secure_ticket::store::{Batch, Record, Store, StoreError, Versioned};
use secure_ticket::transfer::{AcceptTransfer, InitiateTransfer, NewGroupIds};
use secure_ticket::{
    AcceptanceSettings, CommandId, Distribution, Email, Event, OrganizerId, OrganizerSettings,
    PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId, TransferBackward,
    TransferGroupId, TransferLimit, UsageRule, UsageRuleId,
};
use store::SqliteStore;
use time::macros::datetime;

fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::temp_dir().join(format!(
        "secure-ticket-sqlite-example-{}.db",
        std::process::id()
    ));
    let result = demo(&path);
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file); // absent files are fine
    }
    println!("\nremoved {}", path.display());
    result
}

fn demo(path: &Path) -> Result<(), Box<dyn Error>> {
    let at = datetime!(2026-11-23 18:00 UTC); // the caller's clock, passed in
    let organizer = OrganizerId::from_u128(1);
    let (alice, bob) = (
        Email::parse("alice@example.com")?,
        Email::parse("bob@example.com")?,
    );

    let store = SqliteStore::open(path)?;
    println!("== opened {}", store.path().display());
    let service = Service::new(store);

    println!("== create a usage rule, the organizer's settings and a ticket");
    let rule = UsageRule::new(organizer, UsageRuleId::from_u128(1))
        .with_max_transfers(TransferLimit::new(2)?)
        .with_transfer_backward(TransferBackward::Neutral);
    let settings =
        OrganizerSettings::new(organizer).with_acceptance(AcceptanceSettings::explicit());
    let ticket = Ticket::new(
        organizer,
        TicketId::from_u128(100),
        RightId::from_u128(7),
        Distribution::new(
            PointOfSaleId::from_u128(1),
            ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1)),
        ),
    );
    service.create([
        Record::UsageRule(rule),
        Record::Settings(settings),
        Record::Ticket(ticket.clone()),
    ])?;
    print_version(&service, ticket.id)?;

    let request = |n: u128, command: Command| Request {
        id: CommandId::from_u128(n),
        organizer,
        command,
    };
    let group = TransferGroupId::from_u128(10);
    let steps = [
        (
            format!("inject the ticket to {alice}"),
            request(
                1,
                Command::Inject(InjectTicket {
                    ticket: ticket.id,
                    to: alice.clone(),
                    usage_rule: rule.id,
                    at,
                }),
            ),
        ),
        (
            format!("{alice} sends it to {bob}"),
            request(
                2,
                Command::Initiate(InitiateTransfer {
                    actor: alice.clone(),
                    recipient: bob.clone(),
                    tickets: vec![ticket.id],
                    groups: NewGroupIds::single(group),
                    at,
                }),
            ),
        ),
        (
            format!("{bob} accepts"),
            request(
                3,
                Command::Accept(AcceptTransfer {
                    group,
                    actor: bob.clone(),
                    at,
                }),
            ),
        ),
    ];
    let mut after_inject = None;
    for (what, request) in &steps {
        println!("== {what}");
        let outcome = service.execute(request)?;
        for event in &outcome.events {
            println!("   event: {}", describe(event));
        }
        let loaded = print_version(&service, ticket.id)?;
        after_inject.get_or_insert(loaded);
    }

    println!("== a writer still holding the ticket as loaded after the injection writes it back");
    let stale = after_inject.flatten().ok_or("the ticket vanished")?;
    let batch = Batch::new().with(Record::Ticket(stale.value), stale.version);
    match service.store().commit(batch) {
        Err(refused) => println!("   refused: {refused}"),
        Ok(()) => return Err("the stale write went through".into()),
    }
    print_version(&service, ticket.id)?;

    println!("== the same accept again (a client retry): the first result, nothing written");
    if let Some((_, accept)) = steps.last() {
        let retry = service.execute(accept)?;
        println!(
            "   replayed: {}, {} events",
            retry.replayed,
            retry.events.len()
        );
        print_version(&service, ticket.id)?;
    }

    println!("== {bob}'s wallet, found through index_entries (tickets by owner)");
    let wallet = service.wallet(organizer, &WalletRequest::first(bob.clone(), 10))?;
    for performance in &wallet.tickets.items {
        for line in &performance.tickets {
            println!("   ticket {}", line.ticket.id);
        }
    }
    let held: usize = wallet.tickets.items.iter().map(|p| p.tickets.len()).sum();
    println!(
        "   {held} ticket(s), {} incoming transfer(s)",
        wallet.incoming.items.len()
    );

    println!("== the organizer's feed, in commit order");
    let feed = service.feed_after(organizer, Position::START, 100)?;
    for entry in &feed {
        println!(
            "   position {}: command {}, {} event(s)",
            entry.position,
            entry.command,
            entry.events.len()
        );
    }

    println!("== retention a day later: command records and feed entries no reader still needs");
    let a_day_later = datetime!(2026-11-24 18:00 UTC);
    let pruned = service.prune(a_day_later, 1000)?;
    println!(
        "   removed {} command record(s) and {} feed entr{} (more to do: {})",
        pruned.commands,
        pruned.feed_entries,
        if pruned.feed_entries == 1 { "y" } else { "ies" },
        pruned.more
    );

    println!("== PRAGMAs in force");
    for (name, value) in service.store().pragmas()? {
        let meaning = match (name, value.as_str()) {
            ("synchronous", "1") => " (NORMAL)",
            ("wal_autocheckpoint", "0") => " (the store's checkpoint thread checkpoints instead)",
            ("busy_timeout", _) => " ms",
            ("user_version", _) => " (the store's schema version)",
            _ => "",
        };
        println!("   {name} = {value}{meaning}");
    }
    Ok(())
}

/// Prints and returns the ticket as stored.
fn print_version(
    service: &Service<SqliteStore>,
    id: TicketId,
) -> Result<Option<Versioned<Ticket>>, StoreError> {
    let loaded = service.ticket(id)?;
    match &loaded {
        Some(t) => {
            let owner = t.value.wallet.as_ref().map_or_else(
                || "not injected".to_owned(),
                |w| format!("owner {}, level {}", w.owners.current, w.level),
            );
            println!("   ticket {id} is at {} ({owner})", t.version);
        }
        None => println!("   ticket {id} is absent"),
    }
    Ok(loaded)
}

fn describe(event: &Event) -> String {
    match event {
        Event::TicketInjected { ticket, owner, .. } => {
            format!("TICKET_INJECTED ticket {ticket} to {owner}")
        }
        Event::TransferInitiated {
            group,
            direction,
            sender,
            recipient,
            ..
        } => format!("TRANSFER_INITIATED group {group} {direction} {sender} -> {recipient}"),
        Event::TransferAccepted {
            group, automatic, ..
        } => format!("TRANSFER_ACCEPTED group {group} (automatic: {automatic})"),
        Event::TicketTransferred {
            ticket,
            from,
            to,
            level_before,
            level_after,
            ..
        } => format!(
            "TICKET_TRANSFERRED ticket {ticket} {from} -> {to}, level {level_before} -> {level_after}"
        ),
        other => format!("{other:?}"),
    }
}
