//! A 90,000-seat stadium, through the shell, on `MemoryStore` and on the SQLite store.
//!
//! 90,000 tickets are injected; 30 % go through a chain of 3 transfers (about 10 % of initiations
//! are declined or cancelled, then retried); 1 % are taken back, replaced and re-injected. The run
//! is seeded, so it is the same every time. Commands go through `Service::execute_batch` in batches
//! of 1,000. At the end every invariant is checked (one valid ticket per right, levels within the
//! limit, initial owners unchanged, nothing left pending).
//!
//! Printed: total time, allocations and page faults per command (with the part inside
//! `Store::commit`), per-operation p50/p99 (time per command within a batch, over the batches of
//! that operation), JSON bytes per ticket, and ratios to raw baselines measured in the same run: a
//! `HashMap` and raw rusqlite replaying exactly the writes the shell committed (the same keys,
//! versions and bytes, in the same batches), with no loads and no domain logic. Beside them, the
//! floors: the same writes as plain 160-byte records into a map sized beforehand, and raw rusqlite
//! with the store's multi-row inserts and its checkpoints between batches, untimed.
//!
//! Then, on each store, the wallet query (`Service::wallet`) of 10 extra tickets injected to one
//! new email, among the stadium's: median and p99 over 1,000 queries. On SQLite, the bytes stored
//! (per table and its indexes, from SQLite's `dbstat`), per command and per command record, and
//! the bytes the process wrote (`/proc/self/io`, Linux) during the run; then the store is pruned
//! (`Service::prune`, horizon after every command time) and its sizes printed again.
//!
//! `cargo run --release --example stadium` (add `-- --tickets 9000` for a smaller stadium, and
//! `--memory-only` or `--sqlite-only` to run one store, `--no-baselines` to skip the baselines, as
//! when profiling the shell alone). `--rounds K` runs the SQLite stadium K times on one file, each
//! round with fresh ids (tickets, rights, groups, commands, emails) and a prune after it: command
//! records and feed entries go back to about nothing after each prune, `records` grows with the
//! new tickets only.

#![allow(clippy::arithmetic_side_effects, reason = "counters and ids in a demo")]
#![allow(
    clippy::disallowed_methods,
    reason = "an example is a shell: it reads the clock"
)]
#![allow(
    unsafe_code,
    reason = "the counting allocator delegates to the system allocator"
)]

#[allow(unreachable_pub, dead_code)]
#[path = "../sqlite_store/store.rs"]
mod sqlite_store;

#[allow(unreachable_pub, dead_code)]
#[path = "../postgres_store/store.rs"]
mod postgres_store;

mod postgres;

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::hint::black_box;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use secure_ticket::injection::{self, InjectTicket};
use secure_ticket::service::{Command, Outcome, Request, Service, WalletRequest};
use secure_ticket::store::{
    Batch, Envelope, MemoryStore, ReadPlan, Record, RecordKey, Store, StoreError, Version,
    Versioned, json,
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

/// Counts allocations (and reallocations), to report them per command.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's allocations: what a commit on it made, whatever other threads do.
    static THREAD_ALLOCATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts one allocation, for the process and for this thread.
fn count_allocation() {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    // A const-initialised `Cell` needs no destructor: using it never allocates.
    let _ = THREAD_ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: delegates every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_allocation();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_allocation();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The process's page faults so far, minor and major (Linux; 0 elsewhere).
fn page_faults() -> u64 {
    faults_in("/proc/self/stat")
}

/// This thread's page faults so far.
fn thread_page_faults() -> u64 {
    faults_in("/proc/thread-self/stat")
}

/// The minor and major page faults a `stat` file of `/proc` gives. Read into a buffer on the
/// stack: it allocates nothing, so that it can be called inside the windows whose allocations are
/// counted.
fn faults_in(path: &str) -> u64 {
    use std::io::Read as _;
    let mut buffer = [0u8; 1024];
    let Ok(len) = std::fs::File::open(path).and_then(|mut f| f.read(&mut buffer)) else {
        return 0;
    };
    let stat = std::str::from_utf8(buffer.get(..len).unwrap_or_default()).unwrap_or_default();
    // The fields after the command name (which is in parentheses): minflt is the 10th field of
    // the line, majflt the 12th.
    let mut fields = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace();
    let minor = fields
        .nth(7)
        .and_then(|f| f.parse::<u64>().ok())
        .unwrap_or(0);
    let major = fields
        .nth(1)
        .and_then(|f| f.parse::<u64>().ok())
        .unwrap_or(0);
    minor + major
}

/// Allocations, page faults and nanoseconds inside `Store::commit`, so far, each counted on the
/// committing thread: the store's share of the counts, reported beside them.
static COMMIT_ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static COMMIT_FAULTS: AtomicU64 = AtomicU64::new(0);
static COMMIT_NANOS: AtomicU64 = AtomicU64::new(0);

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
/// The ids of round `r` (tickets, rights, groups, commands, emails) are offset by `r * ROUND_IDS`;
/// the wallet query's tickets come after the last round.
const ROUND_IDS: u64 = 1 << 40;
/// The first command time of the first round; each round starts a day later.
const START: OffsetDateTime = datetime!(2026-11-23 18:00 UTC);
/// The wallet query: its tickets, and how many times it is timed.
const WALLET_TICKETS: u64 = 10;
const WALLET_QUERIES: usize = 1_000;
/// Prune steps: at most this many command records and feed entries each.
const PRUNE_LIMIT: u32 = 1_000;

/// The value after `--name`, if given.
fn flag(name: &str) -> Option<String> {
    std::env::args().skip_while(|a| a != name).nth(1)
}

fn main() -> Result<(), Box<dyn Error>> {
    let tickets = flag("--tickets").map_or(Ok(90_000), |n| n.parse::<u32>())?;
    let rounds = flag("--rounds").map_or(Ok(1), |n| n.parse::<u64>())?;
    if rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    println!(
        "stadium: {tickets} tickets, batches of {BATCH}, seed {SEED:#x}, usage rule limit {LIMIT}, NEUTRAL"
    );
    if let Some(instances) = flag("--postgres") {
        return postgres::runs(tickets, &instances);
    }

    // The timed runs keep no copies of what they write. The run is seeded, so every store commits
    // the same batches: an untimed run afterwards records them for the baselines to replay.
    let memory = if std::env::args().any(|a| a == "--sqlite-only") {
        None
    } else {
        let store = Recording::off(MemoryStore::new());
        setup(&store)?;
        let mut report = run(
            std::slice::from_ref(&store),
            &store,
            Stadium::batched(tickets, 0, START),
            &mut || Ok(()),
        )?;
        let stored = report.tickets_stored;
        report.wallet = Some(wallet_latency(&store, ROUND_IDS, report.end, stored)?);
        Some(report)
    };
    let sqlite = if std::env::args().any(|a| a == "--memory-only") {
        None
    } else {
        Some(sqlite_run(tickets, rounds)?)
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
    setup(&recorder)?;
    run(
        std::slice::from_ref(&recorder),
        &recorder,
        Stadium::batched(tickets, 0, START),
        &mut || Ok(()),
    )?;
    let replay = recorder.into_batches()?;

    if let Some(report) = memory {
        report.print("MemoryStore", Some((raw_map(&replay)?, "raw HashMap")));
        let (floor, writes) = floor_map(&replay)?;
        println!(
            "   floor: the same {writes} writes as plain {FLOOR_RECORD}-byte records into a map sized beforehand: {:.0} ms",
            ms(floor)
        );
    }
    if let Some((report, file_bytes)) = sqlite {
        let raw_path = std::env::temp_dir().join(format!(
            "secure-ticket-stadium-raw-{}.sqlite",
            std::process::id()
        ));
        remove_db(&raw_path);
        let raw = raw_sqlite(&replay, &raw_path, RawShape::RowByRow);
        remove_db(&raw_path);
        let multi_row = raw_sqlite(&replay, &raw_path, RawShape::MultiRow);
        remove_db(&raw_path);
        report.print("SQLite", Some((raw?, "raw rusqlite")));
        println!(
            "   floor: raw rusqlite with the same multi-row inserts, checkpoints between batches untimed: {:.0} ms",
            ms(multi_row?)
        );
        println!(
            "SQLite file (with WAL): {:.1} MB, {} bytes per ticket",
            file_bytes as f64 / 1e6,
            file_bytes / u64::from(tickets)
        );
    }
    Ok(())
}

/// The stadium on SQLite, `rounds` times on one file: the first round's report (with the wallet
/// query, after the last round) and the size of the database after the first round (before its
/// prune). The file is removed since.
fn sqlite_run(tickets: u32, rounds: u64) -> Result<(Report, u64), Box<dyn Error>> {
    let path = std::env::temp_dir().join(format!(
        "secure-ticket-stadium-{}.sqlite",
        std::process::id()
    ));
    remove_db(&path);
    let result = sqlite_run_at(&path, tickets, rounds);
    remove_db(&path);
    result
}

fn sqlite_run_at(
    path: &std::path::Path,
    tickets: u32,
    rounds: u64,
) -> Result<(Report, u64), Box<dyn Error>> {
    let sqlite = Recording::off(SqliteStore::open_with_cache(path, CACHED_RECORDS)?);
    for (pragma, value) in sqlite.inner.pragmas()? {
        println!("sqlite: {pragma} = {value}");
    }
    println!("sqlite store: cache of up to {CACHED_RECORDS} decoded records");
    // The invariants are checked through a second connection with no cache: what the file holds.
    let checker = SqliteStore::open_with_cache(path, 0)?;
    setup(&sqlite)?;
    let service = Service::new(&sqlite);
    let mut first: Option<(Report, u64)> = None;
    let (mut stored, mut end) = (0u64, START);
    for round in 0..rounds {
        let offset = round * ROUND_IDS;
        let start = START.saturating_add(time::Duration::days(i64::try_from(round)?));
        let written = process_bytes_written();
        let report = run(
            std::slice::from_ref(&sqlite),
            &checker,
            Stadium::batched(tickets, offset, start),
            &mut || Ok(()),
        )?;
        let written = process_bytes_written().zip(written).map(|(b, a)| b - a);
        let file_bytes = file_bytes(path);
        stored += report.tickets_stored;
        end = report.end;
        if round == 0 {
            print_storage(path, &report, written)?;
        } else {
            println!(
                "\nSQLite round {}: {} commands in {:.0} ms ({:.2} µs per command); the process wrote {} (issuing included)",
                round + 1,
                report.commands,
                ms(report.total),
                report.total.as_secs_f64() * 1e6 / report.commands as f64,
                written.map_or("? (no /proc/self/io)".to_owned(), |w| format!(
                    "{:.1} MB, {:.0} bytes per command",
                    w as f64 / 1e6,
                    w as f64 / report.commands as f64
                ))
            );
        }
        print_sizes(path, &format!("after round {}", round + 1))?;
        // Prune with a horizon after every command time so far: no feed reader is registered, so
        // every feed entry is prunable too.
        let horizon = report.end.saturating_add(time::Duration::minutes(1));
        let (mut commands, mut feed_entries, mut steps) = (0u64, 0u64, 0u32);
        let started = Instant::now();
        loop {
            let pruned = service.prune(horizon, PRUNE_LIMIT)?;
            commands += u64::from(pruned.commands);
            feed_entries += u64::from(pruned.feed_entries);
            steps += 1;
            if !pruned.more {
                break;
            }
        }
        println!(
            "SQLite prune {} (before {horizon}): {commands} command records, {feed_entries} feed entries in {steps} steps of {PRUNE_LIMIT}, {:.0} ms",
            round + 1,
            ms(started.elapsed())
        );
        print_sizes(path, &format!("after prune {}", round + 1))?;
        if first.is_none() {
            first = Some((report, file_bytes));
        }
    }
    let (mut report, file_bytes) = first.ok_or("no round")?;
    report.wallet = Some(wallet_latency(
        &sqlite,
        rounds * ROUND_IDS,
        end.saturating_add(time::Duration::minutes(2)),
        stored,
    )?);
    Ok((report, file_bytes))
}

/// The database file and its WAL, in bytes.
fn file_bytes(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len()) + wal_bytes(path)
}

fn wal_bytes(path: &std::path::Path) -> u64 {
    std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len())
}

/// What the process has written so far (`wchar` of `/proc/self/io`: every byte passed to a write,
/// WAL frames and checkpoints alike), where Linux tells.
fn process_bytes_written() -> Option<u64> {
    std::fs::read_to_string("/proc/self/io")
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("wchar:")?.trim().parse().ok())
}

/// One table of the database with its indexes.
#[derive(Default)]
struct TableBytes {
    rows: u64,
    /// The table's own b-tree.
    table: u64,
    /// Its indexes' b-trees.
    indexes: u64,
}

impl TableBytes {
    const fn bytes(&self) -> u64 {
        self.table + self.indexes
    }
}

/// What the database holds: its tables and pages.
struct Storage {
    tables: BTreeMap<String, TableBytes>,
    /// The b-trees of the indexes, by name: (their table, bytes).
    indexes: BTreeMap<String, (String, u64)>,
    page_size: u64,
    page_count: u64,
    freelist: u64,
}

impl Storage {
    fn bytes(&self, table: &str) -> u64 {
        self.tables.get(table).map_or(0, TableBytes::bytes)
    }

    fn rows(&self, table: &str) -> u64 {
        self.tables.get(table).map_or(0, |t| t.rows)
    }
}

/// Measures the database through its own connection (SQLite's `dbstat`: the pages of each b-tree,
/// committed WAL frames included).
fn storage(path: &std::path::Path) -> Result<Storage, Box<dyn Error>> {
    let connection = rusqlite::Connection::open(path)?;
    let mut owner: HashMap<String, (String, String)> = HashMap::new();
    {
        let mut statement = connection.prepare("SELECT name, tbl_name, type FROM sqlite_schema")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            owner.insert(row.get(0)?, (row.get(1)?, row.get(2)?));
        }
    }
    let mut tables: BTreeMap<String, TableBytes> = BTreeMap::new();
    let mut indexes = BTreeMap::new();
    for (name, (_, kind)) in &owner {
        if kind == "table" {
            let rows: i64 =
                connection.query_row(&format!("SELECT COUNT(*) FROM \"{name}\""), [], |r| {
                    r.get(0)
                })?;
            tables.entry(name.clone()).or_default().rows = u64::try_from(rows)?;
        }
    }
    {
        let mut statement = connection
            .prepare("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
            .map_err(|e| format!("SQLite's dbstat virtual table: {e}"))?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let name: String = row.get(0)?;
            let bytes = u64::try_from(row.get::<_, i64>(1)?)?;
            match owner.get(&name) {
                Some((table, kind)) if kind == "index" => {
                    tables.entry(table.clone()).or_default().indexes += bytes;
                    indexes.insert(name, (table.clone(), bytes));
                }
                _ => tables.entry(name).or_default().table += bytes,
            }
        }
    }
    let pragma = |name: &str| -> Result<u64, Box<dyn Error>> {
        let value: i64 = connection.pragma_query_value(None, name, |r| r.get(0))?;
        Ok(u64::try_from(value)?)
    };
    Ok(Storage {
        tables,
        indexes,
        page_size: pragma("page_size")?,
        page_count: pragma("page_count")?,
        freelist: pragma("freelist_count")?,
    })
}

/// After the first round: the bytes per table, per command and per command record, and what
/// was written.
fn print_storage(
    path: &std::path::Path,
    report: &Report,
    written: Option<u64>,
) -> Result<(), Box<dyn Error>> {
    let storage = storage(path)?;
    let wal = wal_bytes(path);
    let file = storage.page_size * storage.page_count;
    println!(
        "\nSQLite bytes stored after the first round (dbstat; pages of {} bytes):",
        storage.page_size
    );
    println!(
        "   {:<18} {:>9} {:>12} {:>10} {:>14}",
        "table", "rows", "bytes", "bytes/row", "of which index"
    );
    for (name, table) in &storage.tables {
        println!(
            "   {name:<18} {:>9} {:>12} {:>10} {:>14}",
            table.rows,
            table.bytes(),
            if table.rows == 0 {
                "-".to_owned()
            } else {
                format!("{:.1}", table.bytes() as f64 / table.rows as f64)
            },
            table.indexes
        );
    }
    for (name, (table, bytes)) in &storage.indexes {
        println!(
            "     index {name} on {table}: {bytes} bytes, {:.1} per row",
            *bytes as f64 / storage.rows(table).max(1) as f64
        );
    }
    print_entries_by_index(path)?;
    println!(
        "   file: {} pages = {file} bytes ({} free pages), -wal file: {wal} bytes",
        storage.page_count, storage.freelist
    );
    let commands = storage.rows("commands");
    let per_command =
        storage.bytes("commands") + storage.bytes("feed") + storage.bytes("index_entries");
    println!(
        "   bytes per command ({commands} command records; {} commands executed): file (+WAL) {:.0}; commands + feed + index_entries {:.0}",
        report.commands,
        (file + wal) as f64 / commands.max(1) as f64,
        per_command as f64 / commands.max(1) as f64
    );
    println!(
        "   a command record row (commands + commands_by_time): {:.1} bytes; a feed entry (feed + its indexes): {:.1} bytes",
        storage.bytes("commands") as f64 / commands.max(1) as f64,
        storage.bytes("feed") as f64 / storage.rows("feed").max(1) as f64
    );
    match written {
        Some(written) => println!(
            "   written by the process during the round, issuing the tickets included (/proc/self/io wchar: WAL frames, checkpoints): {:.1} MB, {:.0} bytes per command",
            written as f64 / 1e6,
            written as f64 / report.commands as f64
        ),
        None => println!("   bytes written: not measured (no /proc/self/io)"),
    }
    Ok(())
}

/// The rows of `index_entries` per index, with the bytes of their columns (not of the b-tree).
fn print_entries_by_index(path: &std::path::Path) -> Result<(), Box<dyn Error>> {
    let connection = rusqlite::Connection::open(path)?;
    let mut statement = connection.prepare(
        "SELECT ix, COUNT(*), SUM(16 + LENGTH(term) + LENGTH(sort) + LENGTH(key_kind) + LENGTH(key_id)) \
         FROM index_entries GROUP BY ix ORDER BY ix",
    )?;
    let mut rows = statement.query([])?;
    let mut parts = Vec::new();
    while let Some(row) = rows.next()? {
        let ix: u8 = row.get(0)?;
        let count: i64 = row.get(1)?;
        let bytes: i64 = row.get(2)?;
        let name = secure_ticket::index::Index::from_number(ix)
            .map_or_else(|| format!("ix {ix}"), |i| i.to_string());
        parts.push(format!(
            "{name} {count} ({:.0} column bytes each)",
            bytes as f64 / count.max(1) as f64
        ));
    }
    println!("     index_entries by index: {}", parts.join(", "));
    Ok(())
}

/// One line: the file, its WAL, and the bytes of the tables that matter.
fn print_sizes(path: &std::path::Path, when: &str) -> Result<(), Box<dyn Error>> {
    let storage = storage(path)?;
    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "SQLite {when:<14}: file {:.1} MB (+WAL {:.1} MB; {:.1} MB in free pages); commands {:.2} MB ({} rows), feed {:.2} MB ({} rows), index_entries {:.2} MB ({} rows), records {:.1} MB ({} rows)",
        mb(std::fs::metadata(path).map_or(0, |m| m.len())),
        mb(wal_bytes(path)),
        mb(storage.freelist * storage.page_size),
        mb(storage.bytes("commands")),
        storage.rows("commands"),
        mb(storage.bytes("feed")),
        storage.rows("feed"),
        mb(storage.bytes("index_entries")),
        storage.rows("index_entries"),
        mb(storage.bytes("records")),
        storage.rows("records"),
    );
    Ok(())
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
        let thread_allocations = || {
            THREAD_ALLOCATIONS
                .try_with(std::cell::Cell::get)
                .unwrap_or(0)
        };
        let (faults, allocations) = (thread_page_faults(), thread_allocations());
        let start = Instant::now();
        let committed = self.inner.commit(batch);
        let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        COMMIT_NANOS.fetch_add(nanos, Ordering::Relaxed);
        COMMIT_ALLOCATIONS.fetch_add(thread_allocations() - allocations, Ordering::Relaxed);
        COMMIT_FAULTS.fetch_add(thread_page_faults() - faults, Ordering::Relaxed);
        committed?;
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
    /// Allocations and page faults during the timed calls.
    tally: Counts,
    per_op: BTreeMap<&'static str, Vec<f64>>,
    bytes_per_ticket: f64,
    /// The tickets this run created (the stadium's and their replacements).
    tickets_stored: u64,
    /// The last command time.
    end: OffsetDateTime,
    /// The wallet query after the stadium, when measured.
    wallet: Option<WalletLatency>,
}

/// The wallet query's latency over [`WALLET_QUERIES`] queries.
struct WalletLatency {
    /// Tickets in the store besides the wallet's.
    among: u64,
    median: f64,
    p99: f64,
}

impl Report {
    fn print(&self, store: &str, baseline: Option<(Duration, &str)>) {
        println!(
            "\n== {store}: {} commands in {:.0} ms ({:.2} µs per command; {:.0} ms in the store's commit)",
            self.commands,
            ms(self.total),
            self.total.as_secs_f64() * 1e6 / self.commands as f64,
            self.tally.commit_nanos as f64 / 1e6,
        );
        let per = |n: u64| n as f64 / self.commands as f64;
        println!(
            "   per command: {:.2} allocations ({:.2} of them in the store's commit), {:.4} page faults ({:.4} in the commit)",
            per(self.tally.allocations),
            per(self.tally.commit_allocations),
            per(self.tally.faults),
            per(self.tally.commit_faults),
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
        if let Some(wallet) = &self.wallet {
            println!(
                "   wallet query ({WALLET_TICKETS} tickets, among {} others; {WALLET_QUERIES} queries): median {:.1} µs, p99 {:.1} µs",
                wallet.among, wallet.median, wallet.p99
            );
        }
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

/// Runs commands in batches, timing each batch under `op`; or, with `per_request`, one command per
/// request, each instance (one service over its own store) taking its turn of the requests on a
/// thread of its own, each request timed.
struct Runner<'a, S: Store> {
    services: Vec<Service<&'a Recording<S>>>,
    per_request: bool,
    next_id: u128,
    at: OffsetDateTime,
    total: Duration,
    commands: usize,
    per_op: BTreeMap<&'static str, Vec<f64>>,
    /// Allocations and page faults during the timed calls (every thread's).
    tally: Counts,
}

/// A request's index, its outcome and its time in microseconds.
type Timed = (usize, Result<Outcome, secure_ticket::Error>, f64);

/// Allocations and page faults (every thread's), and the part of them and of the time inside
/// `Store::commit`: the counters at the start of a timed call, or what they counted during the
/// timed calls.
#[derive(Default)]
struct Counts {
    allocations: u64,
    faults: u64,
    commit_allocations: u64,
    commit_faults: u64,
    commit_nanos: u64,
}

impl Counts {
    fn now() -> Self {
        Self {
            faults: page_faults(),
            allocations: ALLOCATIONS.load(Ordering::Relaxed),
            commit_allocations: COMMIT_ALLOCATIONS.load(Ordering::Relaxed),
            commit_faults: COMMIT_FAULTS.load(Ordering::Relaxed),
            commit_nanos: COMMIT_NANOS.load(Ordering::Relaxed),
        }
    }

    /// Adds what the counters counted since `start`.
    fn add(&mut self, start: Self) {
        let now = Self::now();
        self.allocations += now.allocations - start.allocations;
        self.faults += now.faults - start.faults;
        self.commit_allocations += now.commit_allocations - start.commit_allocations;
        self.commit_faults += now.commit_faults - start.commit_faults;
        self.commit_nanos += now.commit_nanos - start.commit_nanos;
    }
}

impl<S: Store + Sync> Runner<'_, S> {
    fn run(
        &mut self,
        op: &'static str,
        commands: Vec<Command>,
    ) -> Result<Vec<Outcome>, Box<dyn Error>> {
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
        if self.per_request {
            return self.run_per_request(op, &requests);
        }
        let service = self.services.first().ok_or("no instance")?;
        let mut outcomes = Vec::with_capacity(requests.len());
        for chunk in requests.chunks(BATCH) {
            let counts = Counts::now();
            let start = Instant::now();
            let results = service.execute_batch(chunk)?;
            let elapsed = start.elapsed();
            self.tally.add(counts);
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

    /// Instance `k` of `n` sends requests `k`, `k + n`, `k + 2n`, ..., one at a time.
    fn run_per_request(
        &mut self,
        op: &'static str,
        requests: &[Request],
    ) -> Result<Vec<Outcome>, Box<dyn Error>> {
        let n = self.services.len();
        let counts = Counts::now();
        let start = Instant::now();
        let done: Vec<Vec<Timed>> = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .services
                .iter()
                .enumerate()
                .map(|(k, service)| {
                    scope.spawn(move || {
                        requests
                            .iter()
                            .enumerate()
                            .skip(k)
                            .step_by(n)
                            .map(|(i, request)| {
                                let started = Instant::now();
                                let outcome = service.execute(request);
                                (i, outcome, started.elapsed().as_secs_f64() * 1e6)
                            })
                            .collect()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap_or_default())
                .collect()
        });
        self.total += start.elapsed();
        self.tally.add(counts);
        self.commands += requests.len();
        let mut outcomes: Vec<Option<Outcome>> = vec![None; requests.len()];
        let samples = self.per_op.entry(op).or_default();
        for (i, outcome, micros) in done.into_iter().flatten() {
            samples.push(micros);
            if let Some(slot) = outcomes.get_mut(i) {
                *slot = Some(outcome?);
            }
        }
        outcomes
            .into_iter()
            .map(|o| o.ok_or_else(|| "an instance stopped early".into()))
            .collect()
    }

    fn tick(&mut self) -> OffsetDateTime {
        self.at = self.at.saturating_add(time::Duration::minutes(1));
        self.at
    }
}

/// The organizer's settings, the usage rule and the point of sale every round uses (setup).
fn setup<S: Store>(store: &Recording<S>) -> Result<(), Box<dyn Error>> {
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
    Ok(())
}

/// A ticket (and its right) of each id, issued to `contact(id)` (setup, not timed).
fn issue<S: Store>(
    service: &Service<&Recording<S>>,
    ids: impl IntoIterator<Item = u64>,
    contact: impl Fn(u64) -> Result<Email, Box<dyn Error>>,
) -> Result<(), Box<dyn Error>> {
    for chunk in ids.into_iter().collect::<Vec<_>>().chunks(BATCH) {
        let mut issued = Vec::with_capacity(chunk.len());
        for &i in chunk {
            let distribution = Distribution::new(POS, MOBILE)
                .with_b2b_contact(email("agency", 0)?)
                .with_cultural_contact(contact(i)?);
            issued.push(Record::Ticket(Ticket::new(
                OrganizerId::from_u128(1),
                TicketId::from_u128(i.into()),
                RightId::from_u128(i.into()),
                distribution,
            )));
        }
        service.create(issued)?;
    }
    Ok(())
}

/// What a stadium run is: its size, its ids (tickets, rights, groups, commands, emails) offset by
/// `offset`, its first command at `start`, in batches or one command per request.
#[derive(Clone, Copy)]
struct Stadium {
    tickets: u32,
    offset: u64,
    start: OffsetDateTime,
    per_request: bool,
}

impl Stadium {
    const fn batched(tickets: u32, offset: u64, start: OffsetDateTime) -> Self {
        Self {
            tickets,
            offset,
            start,
            per_request: false,
        }
    }
}

/// The stadium on `stores` (after [`setup`]; several are instances over one database, each its
/// own connection), `started` called when the untimed issuing is done; the invariants are then
/// checked on `checker` (the same data).
fn run<S: Store + Sync, C: Store>(
    stores: &[Recording<S>],
    checker: &C,
    stadium: Stadium,
    started: &mut dyn FnMut() -> Result<(), Box<dyn Error>>,
) -> Result<Report, Box<dyn Error>> {
    let Stadium {
        tickets,
        offset,
        start,
        per_request,
    } = stadium;
    let n = u64::from(tickets);
    let store = stores.first().ok_or("no store")?;
    let service = Service::new(store);
    // S360 issues the tickets (setup, not timed).
    issue(&service, (1..=n).map(|i| offset + i), |i| email("fan", i))?;
    store.setup_done()?;
    started()?;

    let mut rng = Rng(SEED);
    let mut runner = Runner {
        services: stores.iter().map(Service::new).collect(),
        per_request,
        next_id: offset.into(),
        at: start,
        total: Duration::ZERO,
        commands: 0,
        per_op: BTreeMap::new(),
        tally: Counts::default(),
    };

    // 1. Inject every ticket to its contact.
    let at = runner.tick();
    let injects: Vec<Command> = (1..=n)
        .map(|i| {
            Ok(Command::Inject(InjectTicket {
                ticket: TicketId::from_u128((offset + i).into()),
                to: email("fan", offset + i)?,
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

    // 2. TIXnGO's feedback for the tickets to take back (S360 decides on it, B4), numbered by the
    // injection's place among the commands (I6).
    let feedback: Vec<Command> = take_back
        .iter()
        .filter_map(|&i| injected.get(usize::try_from(i - 1).ok()?).map(|o| (i, o)))
        .flat_map(|(i, outcome)| injection::feedback_for(i, &outcome.events))
        .map(Command::RecordFeedback)
        .collect();
    runner.run("record feedback", feedback)?;

    // 3. Take back, push the invalidated ticket to the wallet, redistribute, re-inject (B3-B10).
    let new_id = |i: u64| TicketId::from_u128(u128::from(offset + n + i));
    let id = |i: u64| TicketId::from_u128(u128::from(offset + i));
    let agency = email("agency", 0)?;
    let at = runner.tick();
    let commands = take_back
        .iter()
        .map(|&i| {
            Command::TakeBack(TakeBackTicket {
                contact: secure_ticket::ContactKind::Individual,
                ticket: id(i),
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
        .map(|&i| Command::RequestDeletion(RequestDeletion { ticket: id(i), at }))
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
                to: email("fixed", offset + i)?,
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
                to: email("fixed", offset + i)?,
                usage_rule: RULE,
                at,
            }))
        })
        .collect::<Result<_, Box<dyn Error>>>()?;
    runner.run("inject replacement", commands)?;

    // 4. Three hops of transfers; about 10 % of initiations are declined or cancelled, then retried.
    let mut owner: HashMap<u64, Email> = transfer
        .iter()
        .map(|&i| Ok((i, email("fan", offset + i)?)))
        .collect::<Result<_, Box<dyn Error>>>()?;
    let mut group_n = u128::from(offset);
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
                let recipient = email(&format!("hop{hop}-"), offset + i)?;
                let sender = owner.get(&i).cloned().ok_or("no owner")?;
                commands.push(Command::Initiate(InitiateTransfer {
                    actor: sender,
                    recipient: recipient.clone(),
                    tickets: vec![id(i)],
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
        .map(|i| RecordKey::Ticket(id(i)))
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
                let original = (ticket.id.as_uuid().as_u128() - u128::from(offset)) as u64;
                let expected_initial = if original > n {
                    email("fixed", offset + original - n)?
                } else {
                    email("fan", offset + original)?
                };
                if wallet.owners.initial != expected_initial {
                    return Err(format!("ticket {}'s initial owner changed", ticket.id).into());
                }
            }
            bytes += json::to_string(&Envelope::borrowed(&value))?.len();
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
        tally: runner.tally,
        per_op: runner.per_op,
        bytes_per_ticket: bytes as f64 / count.max(1) as f64,
        tickets_stored: count as u64,
        end: runner.at,
        wallet: None,
    })
}

/// The wallet query among what `store` holds: [`WALLET_TICKETS`] new tickets (ids after
/// `offset`) injected at `at` to one new email, then [`Service::wallet`] timed
/// [`WALLET_QUERIES`] times. Fails unless the wallet holds exactly those tickets.
fn wallet_latency<S: Store>(
    store: &Recording<S>,
    offset: u64,
    at: OffsetDateTime,
    among: u64,
) -> Result<WalletLatency, Box<dyn Error>> {
    let service = Service::new(store);
    let owner = email("wallet", offset)?;
    let ids: Vec<u64> = (1..=WALLET_TICKETS).map(|i| offset + i).collect();
    issue(&service, ids.iter().copied(), |_| Ok(owner.clone()))?;
    let requests: Vec<Request> = ids
        .iter()
        .map(|&i| Request {
            id: CommandId::from_u128(i.into()),
            organizer: ORGANIZER,
            command: Command::Inject(InjectTicket {
                ticket: TicketId::from_u128(i.into()),
                to: owner.clone(),
                usage_rule: RULE,
                at,
            }),
        })
        .collect();
    for result in service.execute_batch(&requests)? {
        result?;
    }
    let request = WalletRequest::first(owner, 100);
    let mut expected: Vec<TicketId> = ids.iter().map(|&i| TicketId::from_u128(i.into())).collect();
    expected.sort();
    let mut samples = Vec::with_capacity(WALLET_QUERIES);
    for _ in 0..WALLET_QUERIES {
        let start = Instant::now();
        let wallet = service.wallet(ORGANIZER, &request)?;
        samples.push(start.elapsed().as_secs_f64() * 1e6);
        let mut held: Vec<TicketId> = wallet
            .tickets
            .items
            .iter()
            .flat_map(|p| p.tickets.iter().map(|t| t.ticket.id))
            .collect();
        held.sort();
        if held != expected || wallet.tickets.next.is_some() {
            return Err(format!(
                "the wallet holds {} tickets {held:?} (more: {}), expected exactly the {WALLET_TICKETS} injected {expected:?}",
                held.len(),
                wallet.tickets.next.is_some()
            )
            .into());
        }
        black_box(&wallet);
    }
    samples.sort_by(f64::total_cmp);
    Ok(WalletLatency {
        among,
        median: quantile(&samples, 0.5),
        p99: quantile(&samples, 0.99),
    })
}

/// The `q` quantile of sorted samples (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 - 1.0) * q).round() as usize)
        .copied()
        .unwrap_or(0.0)
}

/// A `HashMap` replaying the shell's writes: the same keys and versions (compared, then bumped),
/// the same records (copied before each batch's clock starts, then moved in), the same index
/// changes into sorted lists and the same feed appends into a `Vec`, in the same batches; setup
/// batches untimed.
/// The size of a record of [`floor_map`].
const FLOOR_RECORD: usize = 160;

/// The floor of the in-memory figure: the writes the shell committed (the same keys and versions,
/// in the same batches, versions checked) as plain [`FLOOR_RECORD`]-byte records into a map sized
/// for them all beforehand, with no index and no feed: what storing a command costs when records
/// are small and nothing else is done. The timed total and the number of writes.
fn floor_map(replay: &Replay) -> Result<(Duration, usize), Box<dyn Error>> {
    let writes: usize = replay.batches.iter().map(|b| b.writes.len()).sum();
    let mut map: HashMap<RecordKey, (Version, [u8; FLOOR_RECORD])> = HashMap::with_capacity(writes);
    let mut total = Duration::ZERO;
    let mut timed = 0;
    for (i, batch) in replay.batches.iter().enumerate() {
        let keys: Vec<(RecordKey, Version)> = batch
            .writes
            .iter()
            .map(|w| (w.record.key(), w.expected))
            .collect();
        let start = Instant::now();
        for (n, (key, expected)) in keys.into_iter().enumerate() {
            let stored = map.get(&key).map_or(Version::NEW, |(v, _)| *v);
            if stored != expected {
                return Err(format!("floor: {key} is at {stored}, not {expected}").into());
            }
            map.insert(key, (expected.next(), [n as u8; FLOOR_RECORD]));
        }
        if i >= replay.setup {
            total += start.elapsed();
            timed += batch.writes.len();
        }
    }
    black_box(&map);
    Ok((total, timed))
}

fn raw_map(replay: &Replay) -> Result<Duration, Box<dyn Error>> {
    type List = BTreeMap<secure_ticket::index::SortKey, RecordKey>;
    let mut map: HashMap<RecordKey, (Version, Record)> = HashMap::new();
    // The same index changes and feed appends, in plain std collections.
    let mut index: HashMap<
        (
            secure_ticket::index::Index,
            OrganizerId,
            secure_ticket::index::Term,
        ),
        List,
    > = HashMap::new();
    let mut feed: Vec<secure_ticket::feed::FeedAppend> = Vec::new();
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
        for entry in owned.index.removed {
            if let Some(list) = index.get_mut(&(entry.index, entry.organizer, entry.term)) {
                list.remove(&entry.sort);
            }
        }
        for entry in owned.index.added {
            index
                .entry((entry.index, entry.organizer, entry.term))
                .or_default()
                .insert(entry.sort, entry.key);
        }
        feed.extend(owned.feed);
        if i >= replay.setup {
            total += start.elapsed();
        }
    }
    black_box((&map, &index, &feed));
    Ok(total)
}

/// How the raw rusqlite baseline writes its rows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RawShape {
    /// One statement per row, SQLite's automatic checkpoints inside the commits.
    RowByRow,
    /// The inserts in multi-row statements of up to [`RAW_CHUNK`] rows, as the store writes them,
    /// and no checkpoint inside the timed commits: one after each batch, untimed. The floor of
    /// SQLite's own work for these rows.
    MultiRow,
}

/// Rows per multi-row `INSERT` of the raw baseline.
const RAW_CHUNK: usize = 64;

impl RawShape {
    /// Rows per `INSERT` statement.
    const fn rows_per_insert(self) -> usize {
        match self {
            Self::RowByRow => 1,
            Self::MultiRow => RAW_CHUNK,
        }
    }
}

/// Runs `{head} VALUES (..), (..), ..` over `rows`, `chunk` rows a statement: each statement's
/// text is built and prepared once per call, not per row.
fn insert_rows(
    tx: &rusqlite::Transaction<'_>,
    head: &str,
    rows: &[Vec<&dyn rusqlite::ToSql>],
    chunk: usize,
) -> rusqlite::Result<()> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    let one = format!("({})", vec!["?"; width].join(", "));
    let sql = |n: usize| format!("{head} VALUES {}", vec![one.as_str(); n].join(", "));
    let execute = |statement: &mut rusqlite::CachedStatement<'_>,
                   rows: &[Vec<&dyn rusqlite::ToSql>]| {
        if let [row] = rows {
            statement.execute(row.as_slice())
        } else {
            let params: Vec<&dyn rusqlite::ToSql> = rows.iter().flatten().copied().collect();
            statement.execute(params.as_slice())
        }
    };
    let mut chunks = rows.chunks_exact(chunk.max(1));
    if rows.len() >= chunk {
        let mut full = tx.prepare_cached(&sql(chunk))?;
        for rows in &mut chunks {
            execute(&mut full, rows)?;
        }
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        execute(&mut tx.prepare_cached(&sql(rest.len()))?, rest)?;
    }
    Ok(())
}

/// Raw rusqlite replaying the shell's writes: the same rows and bytes as the store writes
/// (records as JSON, accepted command records as columns, index rows, feed rows; encoded
/// beforehand, untimed), the same `INSERT` / `UPDATE .. WHERE version = ?` statements, one
/// `BEGIN IMMEDIATE` transaction per batch; setup batches untimed. `shape` says whether the
/// inserts go one row a statement or many.
fn raw_sqlite(
    replay: &Replay,
    path: &std::path::Path,
    shape: RawShape,
) -> Result<Duration, Box<dyn Error>> {
    drop(SqliteStore::open(path)?); // the same schema and pragmas
    let mut connection = rusqlite::Connection::open(path)?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    if shape == RawShape::MultiRow {
        connection.pragma_update(None, "wal_autocheckpoint", 0)?;
    }
    let mut total = Duration::ZERO;
    for (i, batch) in replay.batches.iter().enumerate() {
        // Everything encoded before the clock starts: records as JSON, accepted commands as the
        // store's columns, index rows, feed rows with their events as JSON.
        let mut rows = Vec::with_capacity(batch.writes.len());
        let mut commands = Vec::new();
        for write in &batch.writes {
            let key = write.record.key();
            let version = i64::try_from(write.expected.get())?;
            if let Record::Command(c) = &write.record {
                let (events, body) = match &c.outcome {
                    secure_ticket::command::RecordedOutcome::Accepted { events } => {
                        (Some(i64::from(*events)), None)
                    }
                    _ => (
                        None,
                        Some(json::to_string(&Envelope::borrowed(&write.record))?),
                    ),
                };
                commands.push((
                    *c.organizer.as_uuid().as_bytes(),
                    *c.id.as_uuid().as_bytes(),
                    i64::try_from(c.at.unix_timestamp_nanos())?,
                    *c.digest.as_bytes(),
                    events,
                    body,
                ));
                continue;
            }
            let body = json::to_string(&Envelope::borrowed(&write.record))?;
            rows.push((key.kind().as_str(), *key.uuid().as_bytes(), version, body));
        }
        let entry_row = |e: &secure_ticket::index::IndexEntry| {
            (
                e.index.number(),
                *e.organizer.as_uuid().as_bytes(),
                e.term.to_string(),
                e.sort.to_bytes(),
                e.key.kind().as_str(),
                *e.key.uuid().as_bytes(),
            )
        };
        let removed: Vec<_> = batch.index.removed.iter().map(entry_row).collect();
        let added: Vec<_> = batch
            .index
            .added
            .iter()
            .filter(|e| e.index != secure_ticket::index::Index::CommandsByTime)
            .map(entry_row)
            .collect();
        let mut feed_rows = Vec::with_capacity(batch.feed.len());
        for append in &batch.feed {
            feed_rows.push((
                *append.organizer.as_uuid().as_bytes(),
                *append.command.as_uuid().as_bytes(),
                i64::try_from(append.at.unix_timestamp_nanos())?,
                json::to_string(&append.events)?,
            ));
        }
        let chunk = shape.rows_per_insert();
        let updates: Vec<_> = rows.iter().filter(|row| row.2 != 0).collect();
        let inserts: Vec<Vec<&dyn rusqlite::ToSql>> = rows
            .iter()
            .filter(|row| row.2 == 0)
            .map(|(kind, id, _, body)| vec![kind as &dyn rusqlite::ToSql, id, &1i64, body])
            .collect();
        let command_rows: Vec<Vec<&dyn rusqlite::ToSql>> = commands
            .iter()
            .map(|(organizer, id, at, digest, events, body)| {
                vec![
                    organizer as &dyn rusqlite::ToSql,
                    id,
                    &1i64,
                    at,
                    digest,
                    events,
                    body,
                ]
            })
            .collect();
        let added_rows: Vec<Vec<&dyn rusqlite::ToSql>> = added
            .iter()
            .map(|(ix, organizer, term, sort, kind, id)| {
                vec![ix as &dyn rusqlite::ToSql, organizer, term, sort, kind, id]
            })
            .collect();
        let feed_params: Vec<Vec<&dyn rusqlite::ToSql>> = feed_rows
            .iter()
            .map(|(organizer, command, at, events)| {
                vec![organizer as &dyn rusqlite::ToSql, command, at, events]
            })
            .collect();
        let start = Instant::now();
        let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut update = tx.prepare_cached(
                "UPDATE records SET version = version + 1, body = ?1 \
                 WHERE kind = ?2 AND id = ?3 AND version = ?4",
            )?;
            for (kind, id, version, body) in updates {
                if update.execute(rusqlite::params![body, kind, id, version])? != 1 {
                    return Err(
                        format!("replay: {kind} {id:?} at version {version} missing").into(),
                    );
                }
            }
            let mut delete = tx.prepare_cached(
                "DELETE FROM index_entries WHERE ix = ?1 AND organizer = ?2 AND term = ?3 AND sort = ?4",
            )?;
            for (ix, organizer, term, sort, _, _) in &removed {
                delete.execute(rusqlite::params![ix, organizer, term, sort])?;
            }
        }
        insert_rows(
            &tx,
            "INSERT INTO records (kind, id, version, body)",
            &inserts,
            chunk,
        )?;
        insert_rows(
            &tx,
            "INSERT INTO commands (organizer, id, version, at, digest, events, body)",
            &command_rows,
            chunk,
        )?;
        insert_rows(
            &tx,
            "INSERT OR REPLACE INTO index_entries (ix, organizer, term, sort, key_kind, key_id)",
            &added_rows,
            chunk,
        )?;
        insert_rows(
            &tx,
            "INSERT INTO feed (organizer, command, at, events)",
            &feed_params,
            chunk,
        )?;
        tx.commit()?;
        if i >= replay.setup {
            total += start.elapsed();
        }
        if shape == RawShape::MultiRow {
            connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
    }
    Ok(total)
}

fn remove_db(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
