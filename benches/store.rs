//! The shell on `MemoryStore` and on the SQLite example store, with batches of 1, 100 and 1,000
//! commands; baselines measured in the same run: a raw `HashMap` making the same writes, and raw
//! rusqlite writing the same bytes with no domain logic.
//!
//! Each scenario injects `TICKETS` issued tickets (one command each: the ticket's new state and
//! the command's record are written, two records per command) and is repeated; the table gives the
//! median per command and the ratio to its baseline.
//!
//! `cargo bench --bench store`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::disallowed_methods, // a bench is a shell: it reads the clock
    missing_docs,
    dead_code
)]

#[path = "../examples/sqlite_store/store.rs"]
#[allow(unreachable_pub)]
mod sqlite_store;

use std::collections::HashMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use secure_ticket::injection::{self, InjectTicket};
use secure_ticket::service::{Command, CommandRecord, Request, Service};
use secure_ticket::store::{Envelope, MemoryStore, Record, RecordKey, Store};
use secure_ticket::{
    CommandId, Distribution, Email, OrganizerId, PointOfSaleId, RightId, ShipmentMode,
    ShipmentModeId, Ticket, TicketId, UsageRule, UsageRuleId,
};
use sqlite_store::SqliteStore;
use time::macros::datetime;

const TICKETS: u128 = 2_000;
const REPEATS: usize = 7;

fn issued(n: u128) -> Ticket {
    Ticket::new(
        OrganizerId::from_u128(1),
        TicketId::from_u128(n),
        RightId::from_u128(n),
        Distribution::new(
            PointOfSaleId::from_u128(1),
            ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1)),
        ),
    )
}

fn requests() -> Vec<Request> {
    let alice = Email::parse("alice@example.com").unwrap();
    (1..=TICKETS)
        .map(|n| Request {
            id: CommandId::from_u128(n),
            organizer: OrganizerId::from_u128(1),
            command: Command::Inject(InjectTicket {
                ticket: TicketId::from_u128(n),
                to: alice.clone(),
                usage_rule: UsageRuleId::from_u128(1),
                at: datetime!(2026-11-23 12:00 UTC),
            }),
        })
        .collect()
}

/// The records the shell writes for each request, decided once up front: what the raw baselines write.
fn expected_writes(requests: &[Request]) -> Vec<(RecordKey, Record)> {
    let mut writes = Vec::new();
    for request in requests {
        let Command::Inject(inject) = &request.command else {
            panic!("only injections here")
        };
        let decision =
            injection::inject(&issued(inject.ticket.as_uuid().as_u128()), inject).unwrap();
        let ticket = decision.tickets.into_iter().next().unwrap();
        writes.push((RecordKey::Ticket(ticket.id), Record::Ticket(ticket)));
        let record = CommandRecord {
            organizer: request.organizer,
            id: request.id,
            digest: request.digest(),
            at: request.command.at(),
            outcome: secure_ticket::command::RecordedOutcome::Accepted {
                events: u32::try_from(decision.events.len()).unwrap(),
            },
        };
        writes.push((RecordKey::Command(request.key()), Record::Command(record)));
    }
    writes
}

fn temp_db(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "secure-ticket-bench-{}-{name}.sqlite",
        std::process::id()
    ));
    remove_db(&path);
    path
}

fn remove_db(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

fn seed<S: Store>(store: &S) {
    let service = Service::new(store);
    service
        .create([Record::UsageRule(UsageRule::new(
            OrganizerId::from_u128(1),
            UsageRuleId::from_u128(1),
        ))])
        .unwrap();
    for chunk in (1..=TICKETS).collect::<Vec<_>>().chunks(1_000) {
        service
            .create(chunk.iter().map(|&n| Record::Ticket(issued(n))))
            .unwrap();
    }
}

fn run_shell<S: Store>(store: &S, requests: &[Request], batch: usize) -> Duration {
    let service = Service::new(store);
    let start = Instant::now();
    for chunk in requests.chunks(batch) {
        let results = service.execute_batch(chunk).unwrap();
        assert!(results.iter().all(Result::is_ok));
    }
    start.elapsed()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn per_command(d: Duration) -> f64 {
    d.as_nanos() as f64 / TICKETS as f64
}

/// Raw map: the same records, already decided and copied before the clock starts, moved in as
/// values (what the shell's store holds), each after reading the stored version.
fn raw_map(writes: &[(RecordKey, Record)], batch: usize) -> Duration {
    let mut map: HashMap<RecordKey, (u64, Record)> = HashMap::new();
    for n in 1..=TICKETS {
        map.insert(
            RecordKey::Ticket(TicketId::from_u128(n)),
            (1, Record::Ticket(issued(n))),
        );
    }
    let owned: Vec<Vec<(RecordKey, Record)>> =
        writes.chunks(batch * 2).map(<[_]>::to_vec).collect();
    let start = Instant::now();
    for chunk in owned {
        for (key, record) in chunk {
            let version = map.get(&key).map_or(0, |(v, _)| *v);
            map.insert(key, (version + 1, record));
        }
    }
    black_box(&map);
    start.elapsed()
}

/// Raw rusqlite: the same bytes, one transaction per batch, no domain logic.
fn raw_sqlite(
    bodies: &[(String, [u8; 16], bool, String)],
    batch: usize,
    path: &std::path::Path,
) -> Duration {
    let store = SqliteStore::open(path).unwrap(); // same schema and pragmas
    drop(store);
    let mut connection = rusqlite::Connection::open(path).unwrap();
    connection
        .pragma_update(None, "journal_mode", "WAL")
        .unwrap();
    connection
        .pragma_update(None, "synchronous", "NORMAL")
        .unwrap();
    {
        let tx = connection.transaction().unwrap();
        for n in 1..=TICKETS {
            let key = RecordKey::Ticket(TicketId::from_u128(n));
            let body = serde_json::to_string(&Envelope::new(Record::Ticket(issued(n)))).unwrap();
            tx.execute(
                "INSERT INTO records (kind, id, version, body) VALUES (?1, ?2, 1, ?3)",
                rusqlite::params![key.kind().as_str(), key.uuid().as_bytes(), body],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let start = Instant::now();
    for chunk in bodies.chunks(batch * 2) {
        let tx = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        let mut update_stmt = tx
            .prepare_cached("UPDATE records SET version = version + 1, body = ?1 WHERE kind = ?2 AND id = ?3 AND version = 1")
            .unwrap();
        let mut insert_stmt = tx
            .prepare_cached("INSERT INTO records (kind, id, version, body) VALUES (?1, ?2, 1, ?3)")
            .unwrap();
        for (kind, id, update, body) in chunk {
            if *update {
                let n = update_stmt
                    .execute(rusqlite::params![body, kind, id])
                    .unwrap();
                assert_eq!(n, 1);
            } else {
                insert_stmt
                    .execute(rusqlite::params![kind, id, body])
                    .unwrap();
            }
        }
        drop((update_stmt, insert_stmt));
        tx.commit().unwrap();
    }
    start.elapsed()
}

fn main() {
    let requests = requests();
    let writes = expected_writes(&requests);
    let bodies: Vec<(String, [u8; 16], bool, String)> = writes
        .iter()
        .map(|(key, record)| {
            let body = serde_json::to_string(&Envelope::new(record.clone())).unwrap();
            (
                key.kind().as_str().to_owned(),
                *key.uuid().as_bytes(),
                matches!(key, RecordKey::Ticket(_)),
                body,
            )
        })
        .collect();
    println!(
        "store bench: {TICKETS} inject commands per run (2 records written each), median of {REPEATS} runs"
    );
    println!(
        "{:<34} {:>12} {:>14} {:>10}",
        "scenario", "ns/command", "baseline ns", "x baseline"
    );
    for batch in [1usize, 100, 1_000] {
        let mut memory = Vec::new();
        let mut map = Vec::new();
        for _ in 0..REPEATS {
            let store = MemoryStore::new();
            seed(&store);
            memory.push(run_shell(&store, &requests, batch));
            map.push(raw_map(&writes, batch));
        }
        let (m, b) = (per_command(median(memory)), per_command(median(map)));
        println!(
            "{:<34} {m:>12.0} {b:>14.0} {:>10.2}",
            format!("MemoryStore, batches of {batch}"),
            m / b
        );
    }
    for batch in [1usize, 100, 1_000] {
        let repeats = if batch == 1 { 3 } else { REPEATS };
        let mut shell = Vec::new();
        let mut raw = Vec::new();
        for round in 0..repeats {
            let path = temp_db(&format!("shell-{batch}-{round}"));
            let store = SqliteStore::open(&path).unwrap();
            seed(&store);
            shell.push(run_shell(&store, &requests, batch));
            drop(store);
            remove_db(&path);
            let path = temp_db(&format!("raw-{batch}-{round}"));
            raw.push(raw_sqlite(&bodies, batch, &path));
            remove_db(&path);
        }
        let (s, r) = (per_command(median(shell)), per_command(median(raw)));
        println!(
            "{:<34} {s:>12.0} {r:>14.0} {:>10.2}",
            format!("SQLite, batches of {batch}"),
            s / r
        );
    }
}
