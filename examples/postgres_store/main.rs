//! The PostgreSQL store, as a service instance uses it: connect (the schema is created on first
//! use), run commands through the shell, read them back through a second connection.
//!
//! `SECURE_TICKET_PG_URL="host=/var/run/postgresql user=postgres dbname=postgres" cargo run
//! --example postgres_store` (`.ci/run` starts a throwaway server and exports the variable).
//!
//! `postgres_store race ...` is one worker process of the many-process test (see `worker.rs`).

#[allow(
    unreachable_pub,
    dead_code,
    reason = "store.rs is written as a library module, to be copied into a crate"
)]
mod store;
mod worker;

use std::error::Error;

use secure_ticket::injection::InjectTicket;
use secure_ticket::service::{Command, Request, Service};
use secure_ticket::store::Record;
use secure_ticket::{
    CommandId, Distribution, Email, OrganizerId, OrganizerSettings, PointOfSaleId, RightId,
    ShipmentMode, ShipmentModeId, Ticket, TicketId, UsageRule, UsageRuleId,
};
use time::macros::datetime;

use store::PgBlockingStore;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((first, rest)) if first == "race" => return worker::run(rest),
        Some((first, rest)) if first == "race-setup" => return worker::set_up(rest),
        _ => {}
    }
    let Ok(url) = std::env::var("SECURE_TICKET_PG_URL") else {
        println!(
            "set SECURE_TICKET_PG_URL to a PostgreSQL connection string, e.g. \
             \"host=/var/run/postgresql user=postgres dbname=postgres\""
        );
        return Ok(());
    };
    let schema = format!("example_{}", std::process::id());
    let store = PgBlockingStore::connect(&url, &schema)?;
    println!(
        "connected; tables in schema {schema}, version {}",
        store::SCHEMA_VERSION
    );
    let organizer = OrganizerId::from_u128(1);
    let service = Service::new(&store);
    let rule = UsageRule::new(organizer, UsageRuleId::from_u128(1));
    let ticket = Ticket::new(
        organizer,
        TicketId::from_u128(1),
        RightId::from_u128(1),
        Distribution::new(
            PointOfSaleId::from_u128(1),
            ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1)),
        ),
    );
    service.create([
        Record::Settings(OrganizerSettings::new(organizer)),
        Record::UsageRule(rule),
        Record::Ticket(ticket),
    ])?;
    let before = store.inner().round_trips();
    let outcome = service.execute(&Request {
        id: CommandId::from_u128(1),
        organizer,
        command: Command::Inject(InjectTicket {
            ticket: TicketId::from_u128(1),
            to: Email::parse("alice@example.com")?,
            usage_rule: UsageRuleId::from_u128(1),
            at: datetime!(2026-11-23 12:00 UTC),
        }),
    })?;
    println!(
        "injected: {} event(s), {} round trip(s)",
        outcome.events.len(),
        store.inner().round_trips().saturating_sub(before)
    );
    let other = store.reconnect()?;
    let seen = Service::new(&other).ticket(TicketId::from_u128(1))?;
    println!(
        "a second connection reads ticket 1 at version {:?}",
        seen.map(|t| t.version)
    );
    store.block_on(
        store
            .inner()
            .execute_raw(&format!("DROP SCHEMA {schema} CASCADE"), &[]),
    )?;
    println!("dropped schema {schema}");
    Ok(())
}
