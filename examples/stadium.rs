//! A 90,000-seat stadium, through the shell, on `MemoryStore` and on the SQLite store.
//!
//! 90,000 tickets are injected; 30 % go through a chain of 3 transfers (about 10 % of initiations
//! are declined or cancelled, then retried); 1 % are taken back, replaced and re-injected. The run
//! is seeded, so it is the same every time. Commands go through `Service::execute_batch` in batches
//! of 1,000. At the end every invariant is checked (one valid ticket per right, levels within the
//! limit, initial owners unchanged, nothing left pending).
//!
//! Printed: total time, per-operation p50/p99 (time per command within a batch, over the batches of
//! that operation), JSON bytes per ticket, and ratios to raw baselines measured in the same run: a
//! `HashMap` and raw rusqlite replaying exactly the writes the shell committed (the same keys,
//! versions and bytes, in the same batches), with no loads and no domain logic.
//!
//! `cargo run --release --example stadium` (add `-- --tickets 9000` for a smaller stadium, and
//! `--memory-only` or `--sqlite-only` to run one store, `--no-baselines` to skip the baselines, as
//! when profiling the shell alone).

#![allow(clippy::arithmetic_side_effects, reason = "counters and ids in a demo")]
#![allow(
    clippy::disallowed_methods,
    reason = "an example is a shell: it reads the clock"
)]

#[allow(unreachable_pub, dead_code)]
#[path = "sqlite_store/store.rs"]
mod sqlite_store;

use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use secure_ticket::injection::{self, InjectTicket};
use secure_ticket::service::{Command, Outcome, Request, Service};
use secure_ticket::store::{
    Batch, Envelope, MemoryStore, ReadPlan, Record, RecordKey, Store, StoreError, Version,
    Versioned,
};
use secure_ticket::take_back::{RedistributeTicket, TakeBackTicket};
use secure_ticket::transfer::{
    AcceptTransfer, CancelTransfer, DeclineTransfer, InitiateTransfer, NewGroupIds,
};
use secure_ticket::wallet::RequestDeletion;
use secure_ticket::{
    AcceptanceSettings, CommandId, Distribution, Email, Event, InternetTheme, OrganizerId,
    OrganizerSettings, PointOfSale, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket,
    TicketId, TixngoInterface, TransferGroupId, TransferLimit, UsageRule, UsageRuleId,
};
use sqlite_store::SqliteStore;
use time::OffsetDateTime;
use time::macros::datetime;

const BATCH: usize = 1_000;
const LIMIT: u16 = 3;
const ORGANIZER: OrganizerId = OrganizerId::from_u128(1);
const RULE: UsageRuleId = UsageRuleId::from_u128(1);
const POS: PointOfSaleId = PointOfSaleId::from_u128(1);
const MOBILE: ShipmentMode = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1));
const HELD_BACK: ShipmentMode = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(2));
const SEED: u64 = 0x0005_eed9_0000;
/// Decoded records the SQLite store keeps: the stadium's tickets and groups (command records are
/// not cached).
const CACHED_RECORDS: usize = 262_144;

fn main() -> Result<(), Box<dyn Error>> {
    let tickets = std::env::args()
        .skip_while(|a| a != "--tickets")
        .nth(1)
        .map_or(Ok(90_000), |n| n.parse::<u32>())?;
    println!(
        "stadium: {tickets} tickets, batches of {BATCH}, seed {SEED:#x}, usage rule limit {LIMIT}, NEUTRAL"
    );

    // The timed runs keep no copies of what they write. The run is seeded, so every store commits
    // the same batches: an untimed run afterwards records them for the baselines to replay.
    let memory = if std::env::args().any(|a| a == "--sqlite-only") {
        None
    } else {
        let store = Recording::off(MemoryStore::new());
        Some(run(&store, &store, tickets)?)
    };
    let sqlite = if std::env::args().any(|a| a == "--memory-only") {
        None
    } else {
        Some(sqlite_run(tickets)?)
    };
    if std::env::args().any(|a| a == "--no-baselines") {
        if let Some(report) = memory {
            report.print("MemoryStore", None);
        }
        if let Some((report, _)) = sqlite {
            report.print("SQLite", None);
        }
        return Ok(());
    }
    println!("\nrecording the batches for the baselines (an untimed run on MemoryStore)");
    let recorder = Recording::on(MemoryStore::new());
    run(&recorder, &recorder, tickets)?;
    let replay = recorder.into_batches()?;

    if let Some(report) = memory {
        report.print("MemoryStore", Some((raw_map(&replay)?, "raw HashMap")));
    }
    if let Some((report, file_bytes)) = sqlite {
        let raw_path = std::env::temp_dir().join(format!(
            "secure-ticket-stadium-raw-{}.sqlite",
            std::process::id()
        ));
        remove_db(&raw_path);
        let raw = raw_sqlite(&replay, &raw_path);
        remove_db(&raw_path);
        report.print("SQLite", Some((raw?, "raw rusqlite")));
        println!(
            "SQLite file (with WAL): {:.1} MB, {} bytes per ticket",
            file_bytes as f64 / 1e6,
            file_bytes / u64::from(tickets)
        );
    }
    Ok(())
}

/// The stadium on SQLite: its report and the size of the database it left (removed since).
fn sqlite_run(tickets: u32) -> Result<(Report, u64), Box<dyn Error>> {
    let path = std::env::temp_dir().join(format!(
        "secure-ticket-stadium-{}.sqlite",
        std::process::id()
    ));
    remove_db(&path);
    let result = sqlite_run_at(&path, tickets);
    remove_db(&path);
    result
}

fn sqlite_run_at(path: &std::path::Path, tickets: u32) -> Result<(Report, u64), Box<dyn Error>> {
    let sqlite = Recording::off(SqliteStore::open_with_cache(path, CACHED_RECORDS)?);
    for (pragma, value) in sqlite.inner.pragmas()? {
        println!("sqlite: {pragma} = {value}");
    }
    println!("sqlite store: cache of up to {CACHED_RECORDS} decoded records");
    // The invariants are checked through a second connection with no cache: what the file holds.
    let checker = SqliteStore::open_with_cache(path, 0)?;
    let report = run(&sqlite, &checker, tickets)?;
    let file_bytes = std::fs::metadata(path).map_or(0, |m| m.len())
        + std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
    Ok((report, file_bytes))
}

/// A seeded xorshift generator: the same stadium every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A store that can keep a copy of every batch it commits, for the baselines to replay.
struct Recording<S> {
    inner: S,
    /// Every committed batch, and how many of them were setup (not timed); `None` when not kept.
    batches: Option<Mutex<(Vec<Batch>, usize)>>,
}

impl<S> Recording<S> {
    /// A store whose batches are not kept: for the timed runs.
    const fn off(inner: S) -> Self {
        Self {
            inner,
            batches: None,
        }
    }

    /// A store that keeps a copy of every batch it commits: for the untimed run that records what
    /// the baselines replay.
    const fn on(inner: S) -> Self {
        Self {
            inner,
            batches: Some(Mutex::new((Vec::new(), 0))),
        }
    }

    /// Marks the batches committed so far as setup: the baselines replay them untimed.
    fn setup_done(&self) -> Result<(), Box<dyn Error>> {
        if let Some(batches) = &self.batches {
            let mut batches = batches.lock().map_err(|_| "lock")?;
            batches.1 = batches.0.len();
        }
        Ok(())
    }

    fn into_batches(self) -> Result<Replay, Box<dyn Error>> {
        let (batches, setup) = self
            .batches
            .ok_or("batches were not recorded")?
            .into_inner()
            .map_err(|_| "lock")?;
        Ok(Replay { batches, setup })
    }
}

impl<S: Store> Store for Recording<S> {
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.inner.load(keys)
    }

    fn read(&self, plan: &ReadPlan) -> Result<secure_ticket::store::Read, StoreError> {
        self.inner.read(plan)
    }

    fn query(
        &self,
        lookup: &secure_ticket::index::Lookup,
    ) -> Result<Vec<secure_ticket::index::Hit>, StoreError> {
        self.inner.query(lookup)
    }

    fn feed(
        &self,
        query: &secure_ticket::feed::FeedQuery,
    ) -> Result<Vec<secure_ticket::feed::FeedEntry>, StoreError> {
        self.inner.feed(query)
    }

    fn prune(
        &self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<secure_ticket::store::Pruned, StoreError> {
        self.inner.prune(before, limit)
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        let copy = self.batches.as_ref().map(|_| batch.clone());
        self.inner.commit(batch)?;
        if let (Some(copy), Some(Ok(mut batches))) = (copy, self.batches.as_ref().map(Mutex::lock))
        {
            batches.0.push(copy);
        }
        Ok(())
    }
}

/// The batches a store committed, for a baseline to replay.
struct Replay {
    batches: Vec<Batch>,
    /// The first `setup` batches were setup: replayed, not timed.
    setup: usize,
}

struct Report {
    total: Duration,
    commands: usize,
    per_op: BTreeMap<&'static str, Vec<f64>>,
    bytes_per_ticket: f64,
}

impl Report {
    fn print(&self, store: &str, baseline: Option<(Duration, &str)>) {
        println!(
            "\n== {store}: {} commands in {:.0} ms ({:.2} µs per command)",
            self.commands,
            ms(self.total),
            self.total.as_secs_f64() * 1e6 / self.commands as f64
        );
        println!(
            "   {:<22} {:>8} {:>10} {:>10}",
            "operation", "batches", "p50 µs", "p99 µs"
        );
        for (op, samples) in &self.per_op {
            let mut s = samples.clone();
            s.sort_by(f64::total_cmp);
            let pick = |q: f64| {
                s.get(((s.len() as f64 - 1.0) * q).round() as usize)
                    .copied()
                    .unwrap_or(0.0)
            };
            println!(
                "   {op:<22} {:>8} {:>10.2} {:>10.2}",
                s.len(),
                pick(0.5),
                pick(0.99)
            );
        }
        println!(
            "   JSON per ticket (envelope, compact): {:.0} bytes",
            self.bytes_per_ticket
        );
        if let Some((raw, raw_name)) = baseline {
            println!(
                "   {raw_name} replaying the same writes in the same batches: {:.0} ms; ratio {:.2}",
                ms(raw),
                self.total.as_secs_f64() / raw.as_secs_f64()
            );
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn email(kind: &str, n: u64) -> Result<Email, Box<dyn Error>> {
    Ok(Email::parse(&format!("{kind}{n}@stadium.example.com"))?)
}

/// Runs commands in batches, timing each batch under `op`.
struct Runner<'a, S: Store> {
    service: Service<&'a Recording<S>>,
    next_id: u128,
    at: OffsetDateTime,
    total: Duration,
    commands: usize,
    per_op: BTreeMap<&'static str, Vec<f64>>,
}

impl<S: Store> Runner<'_, S> {
    fn run(
        &mut self,
        op: &'static str,
        commands: Vec<Command>,
    ) -> Result<Vec<Outcome>, Box<dyn Error>> {
        let mut outcomes = Vec::with_capacity(commands.len());
        let requests: Vec<Request> = commands
            .into_iter()
            .map(|command| {
                self.next_id += 1;
                Request {
                    id: CommandId::from_u128(self.next_id),
                    organizer: ORGANIZER,
                    command,
                }
            })
            .collect();
        for chunk in requests.chunks(BATCH) {
            let start = Instant::now();
            let results = self.service.execute_batch(chunk)?;
            let elapsed = start.elapsed();
            self.total += elapsed;
            self.commands += chunk.len();
            self.per_op
                .entry(op)
                .or_default()
                .push(elapsed.as_secs_f64() * 1e6 / chunk.len() as f64);
            for result in results {
                outcomes.push(result?);
            }
        }
        Ok(outcomes)
    }

    fn tick(&mut self) -> OffsetDateTime {
        self.at = self.at.saturating_add(time::Duration::minutes(1));
        self.at
    }
}

/// The stadium on `store`; the invariants are then checked on `checker` (the same data).
fn run<S: Store, C: Store>(
    store: &Recording<S>,
    checker: &C,
    tickets: u32,
) -> Result<Report, Box<dyn Error>> {
    let n = u64::from(tickets);
    let service = Service::new(store);
    let rule = UsageRule::new(OrganizerId::from_u128(1), RULE)
        .with_max_transfers(TransferLimit::new(i64::from(LIMIT))?);
    let interface = TixngoInterface::from_custom_parameters([(
        TixngoInterface::RESET_REASONS,
        "MOBILE_TAKE_BACK",
    )])?;
    let pos = PointOfSale::b2b(OrganizerId::from_u128(1), POS)
        .with_mobile_take_back(true)
        .with_take_back_shipment_mode(Some(HELD_BACK))
        .with_theme(InternetTheme::parse(
            "distribution.list.activateAdvancedView = true",
        )?);
    let settings = OrganizerSettings::new(ORGANIZER)
        .with_acceptance(AcceptanceSettings::explicit())
        .with_interface(interface);
    service.create([
        Record::UsageRule(rule),
        Record::PointOfSale(pos),
        Record::Settings(settings),
    ])?;
    // S360 issues the tickets (setup, not timed).
    for chunk in (1..=n).collect::<Vec<_>>().chunks(BATCH) {
        let mut issued = Vec::with_capacity(chunk.len());
        for &i in chunk {
            let distribution =
                Distribution::new(POS, MOBILE).with_cultural_contact(email("fan", i)?);
            issued.push(Record::Ticket(Ticket::new(
                OrganizerId::from_u128(1),
                TicketId::from_u128(i.into()),
                RightId::from_u128(i.into()),
                distribution,
            )));
        }
        service.create(issued)?;
    }
    store.setup_done()?;

    let mut rng = Rng(SEED);
    let mut runner = Runner {
        service: Service::new(store),
        next_id: 0,
        at: datetime!(2026-11-23 18:00 UTC),
        total: Duration::ZERO,
        commands: 0,
        per_op: BTreeMap::new(),
    };

    // 1. Inject every ticket to its contact.
    let at = runner.tick();
    let injects: Vec<Command> = (1..=n)
        .map(|i| {
            Ok(Command::Inject(InjectTicket {
                ticket: TicketId::from_u128(i.into()),
                to: email("fan", i)?,
                usage_rule: RULE,
                at,
            }))
        })
        .collect::<Result<_, Box<dyn Error>>>()?;
    let injected = runner.run("inject", injects)?;

    // Pick 1 % to take back and 30 % (others) to transfer.
    let mut take_back = Vec::new();
    let mut transfer = Vec::new();
    for i in 1..=n {
        match rng.below(100) {
            0 => take_back.push(i),
            1..=30 => transfer.push(i),
            _ => {}
        }
    }

    // 2. TIXnGO's feedback for the tickets to take back (S360 decides on it, B4).
    let feedback: Vec<Command> = take_back
        .iter()
        .filter_map(|&i| injected.get(usize::try_from(i - 1).ok()?))
        .flat_map(|outcome| injection::feedback_for(&outcome.events))
        .map(Command::RecordFeedback)
        .collect();
    runner.run("record feedback", feedback)?;

    // 3. Take back, push the invalidated ticket to the wallet, redistribute, re-inject (B3-B10).
    let new_id = |i: u64| TicketId::from_u128(u128::from(n + i));
    let agency = email("agency", 0)?;
    let at = runner.tick();
    let commands = take_back
        .iter()
        .map(|&i| {
            Command::TakeBack(TakeBackTicket {
                ticket: TicketId::from_u128(i.into()),
                point_of_sale: POS,
                actor: agency.clone(),
                new_ticket: new_id(i),
                at,
            })
        })
        .collect();
    runner.run("take back", commands)?;
    let at = runner.tick();
    let commands = take_back
        .iter()
        .map(|&i| {
            Command::RequestDeletion(RequestDeletion {
                ticket: TicketId::from_u128(i.into()),
                at,
            })
        })
        .collect();
    runner.run("request deletion", commands)?;
    let at = runner.tick();
    let commands = take_back
        .iter()
        .map(|&i| {
            Ok(Command::Redistribute(RedistributeTicket {
                ticket: new_id(i),
                point_of_sale: POS,
                actor: agency.clone(),
                to: email("fixed", i)?,
                at,
            }))
        })
        .collect::<Result<_, Box<dyn Error>>>()?;
    runner.run("redistribute", commands)?;
    let at = runner.tick();
    let commands = take_back
        .iter()
        .map(|&i| {
            Ok(Command::Inject(InjectTicket {
                ticket: new_id(i),
                to: email("fixed", i)?,
                usage_rule: RULE,
                at,
            }))
        })
        .collect::<Result<_, Box<dyn Error>>>()?;
    runner.run("inject replacement", commands)?;

    // 4. Three hops of transfers; about 10 % of initiations are declined or cancelled, then retried.
    let mut owner: HashMap<u64, Email> = transfer
        .iter()
        .map(|&i| Ok((i, email("fan", i)?)))
        .collect::<Result<_, Box<dyn Error>>>()?;
    let mut group_n: u128 = 0;
    for hop in 1..=3u64 {
        let mut pending: Vec<(u64, TransferGroupId, Email)> = Vec::new();
        let mut round: Vec<u64> = transfer.clone();
        let mut retry_round = 0;
        while !round.is_empty() {
            let at = runner.tick();
            let mut commands = Vec::with_capacity(round.len());
            for &i in &round {
                group_n += 1;
                let group = TransferGroupId::from_u128(group_n);
                let recipient = email(&format!("hop{hop}-"), i)?;
                let sender = owner.get(&i).cloned().ok_or("no owner")?;
                commands.push(Command::Initiate(InitiateTransfer {
                    actor: sender,
                    recipient: recipient.clone(),
                    tickets: vec![TicketId::from_u128(i.into())],
                    groups: NewGroupIds::single(group),
                    at,
                }));
                pending.push((i, group, recipient));
            }
            runner.run(
                if retry_round == 0 {
                    "initiate"
                } else {
                    "initiate (retry)"
                },
                commands,
            )?;
            // Close each pending group: accepted, or (about 10 % of first tries) declined / cancelled.
            let at = runner.tick();
            let (mut accepts, mut failures, mut again) = (Vec::new(), Vec::new(), Vec::new());
            for (i, group, recipient) in pending.drain(..) {
                let sender = owner.get(&i).cloned().ok_or("no owner")?;
                match (retry_round, rng.below(20)) {
                    (0, 0) => {
                        failures.push(Command::Decline(DeclineTransfer {
                            group,
                            actor: recipient,
                            at,
                        }));
                        again.push(i);
                    }
                    (0, 1) => {
                        failures.push(Command::Cancel(CancelTransfer {
                            group,
                            actor: sender,
                            at,
                        }));
                        again.push(i);
                    }
                    _ => {
                        accepts.push(Command::Accept(AcceptTransfer {
                            group,
                            actor: recipient.clone(),
                            at,
                        }));
                        owner.insert(i, recipient);
                    }
                }
            }
            runner.run("decline or cancel", failures)?;
            let accepted = runner.run("accept", accepts)?;
            debug_assert!(
                accepted
                    .iter()
                    .all(|o| matches!(o.events.get(1), Some(Event::TicketTransferred { .. })))
            );
            round = again;
            retry_round += 1;
        }
    }

    // 5. Check every invariant on the stored records, and measure their size.
    let ids: Vec<RecordKey> = (1..=n)
        .chain(take_back.iter().map(|&i| n + i))
        .map(|i| RecordKey::Ticket(TicketId::from_u128(i.into())))
        .collect();
    let mut valid_per_right: HashMap<RightId, u32> = HashMap::new();
    let (mut bytes, mut count) = (0usize, 0usize);
    for chunk in ids.chunks(BATCH) {
        for Versioned { value, .. } in checker.load(chunk)? {
            let Record::Ticket(ticket) = &value else {
                return Err("not a ticket".into());
            };
            if ticket.is_valid() {
                *valid_per_right.entry(ticket.right).or_default() += 1;
            }
            if let Some(wallet) = &ticket.wallet {
                if wallet.level > LIMIT {
                    return Err(format!(
                        "ticket {} has level {} above {LIMIT}",
                        ticket.id, wallet.level
                    )
                    .into());
                }
                if wallet.pending_group.is_some() {
                    return Err(format!("ticket {} is still pending", ticket.id).into());
                }
                let original = ticket.id.as_uuid().as_u128();
                let expected_initial = if original > u128::from(n) {
                    email("fixed", (original - u128::from(n)) as u64)?
                } else {
                    email("fan", original as u64)?
                };
                if wallet.owners.initial != expected_initial {
                    return Err(format!("ticket {}'s initial owner changed", ticket.id).into());
                }
            }
            bytes += serde_json::to_string(&Envelope::borrowed(&value))?.len();
            count += 1;
        }
    }
    let rights = valid_per_right.len();
    if rights != n as usize || valid_per_right.values().any(|&v| v != 1) {
        return Err(format!(
            "{rights} rights with a valid ticket, expected {n}, each exactly once"
        )
        .into());
    }
    println!(
        "\ninvariants hold: {rights} rights, one valid ticket each; levels <= {LIMIT}; initial owners unchanged; nothing pending ({} taken back, {} transferred 3 times)",
        take_back.len(),
        transfer.len()
    );
    Ok(Report {
        total: runner.total,
        commands: runner.commands,
        per_op: runner.per_op,
        bytes_per_ticket: bytes as f64 / count.max(1) as f64,
    })
}

/// A `HashMap` replaying the shell's writes: the same keys and versions (compared, then bumped),
/// the same records (copied before each batch's clock starts, then moved in), in the same
/// batches; setup batches untimed.
fn raw_map(replay: &Replay) -> Result<Duration, Box<dyn Error>> {
    let mut map: HashMap<RecordKey, (Version, Record)> = HashMap::new();
    let mut total = Duration::ZERO;
    for (i, batch) in replay.batches.iter().enumerate() {
        // The records are copied before the clock starts: the baseline only moves them in.
        let owned = batch.clone();
        let start = Instant::now();
        for write in owned.writes {
            let key = write.record.key();
            let stored = map.get(&key).map_or(Version::NEW, |(v, _)| *v);
            if stored != write.expected {
                return Err(format!("replay: {key} is at {stored}, not {}", write.expected).into());
            }
            map.insert(key, (write.expected.next(), write.record));
        }
        if i >= replay.setup {
            total += start.elapsed();
        }
    }
    black_box(&map);
    Ok(total)
}

/// Raw rusqlite replaying the shell's writes: the same rows and bytes (encoded beforehand, untimed),
/// the same `INSERT` / `UPDATE .. WHERE version = ?` statements, one `BEGIN IMMEDIATE` transaction
/// per batch; setup batches untimed.
fn raw_sqlite(replay: &Replay, path: &std::path::Path) -> Result<Duration, Box<dyn Error>> {
    drop(SqliteStore::open(path)?); // the same schema and pragmas
    let mut connection = rusqlite::Connection::open(path)?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    let mut total = Duration::ZERO;
    for (i, batch) in replay.batches.iter().enumerate() {
        let mut rows = Vec::with_capacity(batch.writes.len());
        for write in &batch.writes {
            let key = write.record.key();
            let body = serde_json::to_string(&Envelope::borrowed(&write.record))?;
            let version = i64::try_from(write.expected.get())?;
            rows.push((key.kind().as_str(), *key.uuid().as_bytes(), version, body));
        }
        let start = Instant::now();
        let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO records (kind, id, version, body) VALUES (?1, ?2, 1, ?3)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE records SET version = version + 1, body = ?1 \
                 WHERE kind = ?2 AND id = ?3 AND version = ?4",
            )?;
            for (kind, id, version, body) in &rows {
                let changed = if *version == 0 {
                    insert.execute(rusqlite::params![kind, id, body])?
                } else {
                    update.execute(rusqlite::params![body, kind, id, version])?
                };
                if changed != 1 {
                    return Err(
                        format!("replay: {kind} {id:?} at version {version} missing").into(),
                    );
                }
            }
        }
        tx.commit()?;
        if i >= replay.setup {
            total += start.elapsed();
        }
    }
    Ok(total)
}

fn remove_db(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
