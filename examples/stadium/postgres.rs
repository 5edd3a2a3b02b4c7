//! The stadium on PostgreSQL: `--postgres 1,2,4` runs it once per instance count, each instance a
//! thread with its own connection (its own `PgBlockingStore`), one command per request, over one
//! schema; then raw `tokio-postgres` replays the same per-command writes with as many
//! connections. Printed per run: commands per second, p50/p99 per command, round trips and
//! attempts per command, WAL bytes per command, bytes on disk per ticket (tables with their
//! indexes), and the ratio to the raw replay. The server is `SECURE_TICKET_PG_URL`.

use std::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use secure_ticket::index::Index;
use secure_ticket::store::{Batch, Envelope, MemoryStore, Record, json};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Statement};

use crate::postgres_store::PgBlockingStore;
use crate::{Recording, Replay, Report, START, Stadium, run, setup};

/// Runs the stadium of `tickets` on PostgreSQL with each instance count of `instances` (`1,2,4`).
pub(crate) fn runs(tickets: u32, instances: &str) -> Result<(), Box<dyn Error>> {
    let url = std::env::var("SECURE_TICKET_PG_URL").map_err(|_| {
        "--postgres needs SECURE_TICKET_PG_URL, a connection string such as \
         \"host=/var/run/postgresql user=postgres dbname=postgres\""
    })?;
    let counts = instances
        .split(',')
        .map(str::parse::<usize>)
        .collect::<Result<Vec<_>, _>>()?;
    if counts.contains(&0) {
        return Err("--postgres takes instance counts of at least 1, e.g. 1,2,4".into());
    }
    println!("recording the per-command writes for the raw replay (an untimed run on MemoryStore)");
    let recorder = Recording::on(MemoryStore::new());
    setup(&recorder)?;
    run(
        std::slice::from_ref(&recorder),
        &recorder,
        per_request(tickets),
        &mut || Ok(()),
    )?;
    let replay = recorder.into_batches()?;
    let mut lines = Vec::new();
    for &n in &counts {
        let figures = measure(&url, tickets, n)?;
        let raw = raw_replay(&url, &replay, n)?;
        figures.report.print(
            &format!("PostgreSQL, {n} instance(s)"),
            Some((raw, "raw tokio-postgres")),
        );
        lines.push(figures.line(n, raw));
    }
    println!(
        "\n| instances | commands/s | p50 | p99 | round trips / command | attempts / command | WAL bytes / command | bytes / ticket on disk | × raw |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

const fn per_request(tickets: u32) -> Stadium {
    Stadium {
        tickets,
        offset: 0,
        start: START,
        per_request: true,
    }
}

/// What one run on PostgreSQL measured.
struct Figures {
    report: Report,
    round_trips: u64,
    conflicts: u64,
    wal_bytes: i64,
    disk_bytes: i64,
}

impl Figures {
    fn line(&self, instances: usize, raw: Duration) -> String {
        let commands = self.report.commands.max(1) as f64;
        let mut all: Vec<f64> = self.report.per_op.values().flatten().copied().collect();
        all.sort_by(f64::total_cmp);
        let pick = |q: f64| {
            all.get(((all.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        format!(
            "| {instances} | {:.0} | {:.2} ms | {:.2} ms | {:.2} | {:.3} | {:.0} | {:.0} | {:.2} |",
            commands / self.report.total.as_secs_f64(),
            pick(0.5) / 1e3,
            pick(0.99) / 1e3,
            self.round_trips as f64 / commands,
            (commands + self.conflicts as f64) / commands,
            self.wal_bytes as f64 / commands,
            self.disk_bytes as f64 / self.report.tickets_stored.max(1) as f64,
            self.report.total.as_secs_f64() / raw.as_secs_f64(),
        )
    }
}

/// The stadium through `n` instances over a fresh schema, dropped after.
fn measure(url: &str, tickets: u32, n: usize) -> Result<Figures, Box<dyn Error>> {
    let schema = format!("stadium_{}_{n}", std::process::id());
    let stores = (0..n)
        .map(|_| PgBlockingStore::connect(url, &schema).map(Recording::off))
        .collect::<Result<Vec<_>, _>>()?;
    let admin = PgBlockingStore::connect(url, &schema)?;
    let result = measure_on(&stores, &admin, tickets);
    admin.block_on(
        admin
            .inner()
            .execute_raw(&format!("DROP SCHEMA {schema} CASCADE"), &[]),
    )?;
    result
}

fn measure_on(
    stores: &[Recording<PgBlockingStore>],
    admin: &PgBlockingStore,
    tickets: u32,
) -> Result<Figures, Box<dyn Error>> {
    let first = stores.first().ok_or("no instance")?;
    setup(first)?;
    let wal = || -> Result<i64, Box<dyn Error>> {
        let rows = admin.block_on(
            admin
                .inner()
                .query_raw("SELECT (pg_current_wal_lsn() - '0/0')::bigint", &[]),
        )?;
        Ok(rows.first().ok_or("no WAL position")?.try_get(0)?)
    };
    let trips = || {
        stores
            .iter()
            .map(|s| s.inner.inner().round_trips())
            .sum::<u64>()
    };
    let conflicts = || {
        stores
            .iter()
            .map(|s| s.inner.inner().conflicts())
            .sum::<u64>()
    };
    let mut before = (0, 0, 0);
    let report = run(stores, admin, per_request(tickets), &mut || {
        before = (wal()?, trips(), conflicts());
        Ok(())
    })?;
    let wal_bytes = wal()? - before.0;
    let (round_trips, conflicts) = (trips() - before.1, conflicts() - before.2);
    let schema = admin.inner().schema().to_owned();
    let rows = admin.block_on(admin.inner().query_raw(
        "SELECT c.relname::text, pg_total_relation_size(c.oid)::bigint FROM pg_class c \
         JOIN pg_namespace s ON s.oid = c.relnamespace \
         WHERE s.nspname = $1 AND c.relkind = 'r' ORDER BY 2 DESC",
        &[&schema],
    ))?;
    let mut disk_bytes = 0;
    println!(
        "\nPostgreSQL tables (with their indexes and TOAST), {} instance(s):",
        stores.len()
    );
    for row in rows {
        let (name, bytes): (String, i64) = (row.try_get(0)?, row.try_get(1)?);
        println!("   {name:<22} {:>8.1} MB", bytes as f64 / 1e6);
        disk_bytes += bytes;
    }
    Ok(Figures {
        report,
        round_trips,
        conflicts,
        wal_bytes,
        disk_bytes,
    })
}

const UPSERT_RECORD: &str = "INSERT INTO records (kind, id, version, body) VALUES ($1, $2, $3, $4) \
    ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, body = excluded.body";
const UPSERT_COMMAND: &str = "INSERT INTO commands (organizer, id, version, at, body) \
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organizer, id) DO UPDATE \
    SET version = excluded.version, at = excluded.at, body = excluded.body";
const DELETE_ENTRIES: &str = "DELETE FROM index_entries e \
    USING unnest($1::smallint[], $2::bytea[], $3::text[], $4::bytea[]) AS u(ix, organizer, term, sort) \
    WHERE e.ix = u.ix AND e.organizer = u.organizer AND e.term = u.term AND e.sort = u.sort";
const DELETE_UNIQUES: &str = "DELETE FROM unique_entries e \
    USING unnest($1::smallint[], $2::bytea[], $3::text[], $4::bytea[]) AS u(ix, organizer, term, sort) \
    WHERE e.ix = u.ix AND e.organizer = u.organizer AND e.term = u.term AND e.sort = u.sort";
const PUT_ENTRIES: &str = "INSERT INTO index_entries (ix, organizer, term, sort, key_kind, key_id) \
    SELECT * FROM unnest($1::smallint[], $2::bytea[], $3::text[], $4::bytea[], $5::text[], \
    $6::bytea[]) ON CONFLICT (ix, organizer, term, sort) DO UPDATE \
    SET key_kind = excluded.key_kind, key_id = excluded.key_id";
const PUT_UNIQUES: &str = "INSERT INTO unique_entries (ix, organizer, term, sort, key_kind, key_id) \
    SELECT * FROM unnest($1::smallint[], $2::bytea[], $3::text[], $4::bytea[], $5::text[], \
    $6::bytea[]) ON CONFLICT (ix, organizer, term) DO NOTHING";
const PUT_FEED: &str = "INSERT INTO feed (position, organizer, command, at, events) \
    SELECT nextval('raw_feed'), * FROM unnest($1::bytea[], $2::bytea[], $3::bigint[], $4::text[])";

/// Index rows as columns.
#[derive(Default)]
struct Entries {
    ix: Vec<i16>,
    organizer: Vec<Vec<u8>>,
    term: Vec<String>,
    sort: Vec<Vec<u8>>,
    kind: Vec<&'static str>,
    id: Vec<Vec<u8>>,
}

impl Entries {
    fn push(&mut self, entry: &secure_ticket::index::IndexEntry) {
        self.ix.push(i16::from(entry.index.number()));
        self.organizer
            .push(entry.organizer.as_uuid().as_bytes().to_vec());
        self.term.push(entry.term.to_string());
        self.sort.push(entry.sort.to_bytes().to_vec());
        self.kind.push(entry.key.kind().as_str());
        self.id.push(entry.key.uuid().as_bytes().to_vec());
    }
}

/// A command record's row: organizer, command id, version, time, body.
type CommandRow = (Vec<u8>, Vec<u8>, i64, i64, String);

/// The feed's rows as columns: organizers, command ids, times, bodies.
type FeedRows = (Vec<Vec<u8>>, Vec<Vec<u8>>, Vec<i64>, Vec<String>);

/// One committed batch as the rows the PostgreSQL store writes, encoded beforehand.
#[derive(Default)]
struct RawBatch {
    records: Vec<(&'static str, Vec<u8>, i64, String)>,
    commands: Vec<CommandRow>,
    removed: (Entries, Entries),
    added: (Entries, Entries),
    feed: FeedRows,
}

impl RawBatch {
    fn new(batch: &Batch) -> Result<Self, Box<dyn Error>> {
        let mut raw = Self::default();
        let nanos = |at: time::OffsetDateTime| i64::try_from(at.unix_timestamp_nanos());
        for write in &batch.writes {
            let key = write.record.key();
            let body = json::to_string(&Envelope::borrowed(&write.record))?;
            let version = i64::try_from(write.expected.next().get())?;
            match &write.record {
                Record::Command(command) => raw.commands.push((
                    command.organizer.as_uuid().as_bytes().to_vec(),
                    command.id.as_uuid().as_bytes().to_vec(),
                    version,
                    nanos(command.at)?,
                    body,
                )),
                _ => raw.records.push((
                    key.kind().as_str(),
                    key.uuid().as_bytes().to_vec(),
                    version,
                    body,
                )),
            }
        }
        for (entries, into) in [
            (&batch.index.removed, &mut raw.removed),
            (&batch.index.added, &mut raw.added),
        ] {
            for entry in entries {
                match entry.index {
                    Index::CommandsByTime => {}
                    index if index.is_unique() => into.1.push(entry),
                    _ => into.0.push(entry),
                }
            }
        }
        for append in &batch.feed {
            raw.feed
                .0
                .push(append.organizer.as_uuid().as_bytes().to_vec());
            raw.feed
                .1
                .push(append.command.as_uuid().as_bytes().to_vec());
            raw.feed.2.push(nanos(append.at)?);
            raw.feed.3.push(json::to_string(&append.events)?);
        }
        Ok(raw)
    }

    /// The batch in one transaction, every statement sent before any answer is read: one
    /// round trip.
    async fn write(
        &self,
        client: &Client,
        prepared: &Prepared,
    ) -> Result<(), tokio_postgres::Error> {
        let mut pending: Vec<Pending<'_>> = vec![Box::pin(client.batch_execute("BEGIN"))];
        for (kind, id, version, body) in &self.records {
            pending.push(execute(
                client,
                &prepared.upsert_record,
                vec![kind, id, version, body],
            ));
        }
        for (organizer, id, version, at, body) in &self.commands {
            pending.push(execute(
                client,
                &prepared.upsert_command,
                vec![organizer, id, version, at, body],
            ));
        }
        for (entries, statement) in [
            (&self.removed.0, &prepared.delete_entries),
            (&self.removed.1, &prepared.delete_uniques),
        ] {
            if !entries.ix.is_empty() {
                pending.push(execute(
                    client,
                    statement,
                    vec![
                        &entries.ix,
                        &entries.organizer,
                        &entries.term,
                        &entries.sort,
                    ],
                ));
            }
        }
        for (entries, statement) in [
            (&self.added.0, &prepared.put_entries),
            (&self.added.1, &prepared.put_uniques),
        ] {
            if !entries.ix.is_empty() {
                pending.push(execute(
                    client,
                    statement,
                    vec![
                        &entries.ix,
                        &entries.organizer,
                        &entries.term,
                        &entries.sort,
                        &entries.kind,
                        &entries.id,
                    ],
                ));
            }
        }
        if !self.feed.0.is_empty() {
            pending.push(execute(
                client,
                &prepared.put_feed,
                vec![&self.feed.0, &self.feed.1, &self.feed.2, &self.feed.3],
            ));
        }
        pending.push(Box::pin(client.batch_execute("COMMIT")));
        // The first poll of each sends its request; then the answers, in order.
        for future in &mut pending {
            let _ = future
                .as_mut()
                .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
        }
        for future in pending {
            future.await?;
        }
        Ok(())
    }
}

/// A request on its way.
type Pending<'a> = Pin<Box<dyn Future<Output = Result<(), tokio_postgres::Error>> + 'a>>;

fn execute<'a>(
    client: &'a Client,
    statement: &'a Statement,
    params: Vec<&'a (dyn ToSql + Sync)>,
) -> Pending<'a> {
    Box::pin(async move { client.execute(statement, &params).await.map(|_| ()) })
}

/// The replay's statements, prepared on one connection.
struct Prepared {
    upsert_record: Statement,
    upsert_command: Statement,
    delete_entries: Statement,
    delete_uniques: Statement,
    put_entries: Statement,
    put_uniques: Statement,
    put_feed: Statement,
}

impl Prepared {
    async fn on(client: &Client) -> Result<Self, tokio_postgres::Error> {
        Ok(Self {
            upsert_record: client.prepare(UPSERT_RECORD).await?,
            upsert_command: client.prepare(UPSERT_COMMAND).await?,
            delete_entries: client.prepare(DELETE_ENTRIES).await?,
            delete_uniques: client.prepare(DELETE_UNIQUES).await?,
            put_entries: client.prepare(PUT_ENTRIES).await?,
            put_uniques: client.prepare(PUT_UNIQUES).await?,
            put_feed: client.prepare(PUT_FEED).await?,
        })
    }
}

/// Raw `tokio-postgres` replaying the timed per-command writes of `replay` (after its setup,
/// untimed) over `n` connections, each taking its turn of them: the wall time of the timed part.
fn raw_replay(url: &str, replay: &Replay, n: usize) -> Result<Duration, Box<dyn Error>> {
    let schema = format!("stadium_raw_{}_{n}", std::process::id());
    // The store creates the same tables; the replay then writes them by hand.
    let admin = PgBlockingStore::connect(url, &schema)?;
    admin.block_on(
        admin
            .inner()
            .execute_raw("CREATE SEQUENCE IF NOT EXISTS raw_feed", &[]),
    )?;
    let encoded = replay
        .batches
        .iter()
        .map(RawBatch::new)
        .collect::<Result<Vec<_>, _>>()?;
    let (untimed, timed) = encoded.split_at(replay.setup.min(encoded.len()));
    let barrier = Barrier::new(n + 1);
    let result = std::thread::scope(|scope| -> Result<Duration, Box<dyn Error>> {
        let handles: Vec<_> = (0..n)
            .map(|k| {
                let (barrier, schema) = (&barrier, &schema);
                scope.spawn(move || -> Result<(), String> {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| e.to_string())?;
                    let work = async {
                        let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
                        tokio::spawn(connection);
                        // The store's plan settings (no hash or merge joins, no JIT): the
                        // same rows reached the same way.
                        client
                            .batch_execute(&format!(
                                "SET search_path TO {schema}; SET enable_hashjoin = off; \
                                 SET enable_mergejoin = off; SET jit = off"
                            ))
                            .await?;
                        let prepared = Prepared::on(&client).await?;
                        if k == 0 {
                            for batch in untimed {
                                batch.write(&client, &prepared).await?;
                            }
                        }
                        Ok::<_, tokio_postgres::Error>((client, prepared))
                    };
                    let client = runtime.block_on(work);
                    barrier.wait();
                    let (client, prepared) = client.map_err(|e| e.to_string())?;
                    runtime
                        .block_on(async {
                            for batch in timed.iter().skip(k).step_by(n) {
                                batch.write(&client, &prepared).await?;
                            }
                            Ok::<_, tokio_postgres::Error>(())
                        })
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        for handle in handles {
            handle.join().map_err(|_| "a replay thread panicked")??;
        }
        Ok(start.elapsed())
    });
    admin.block_on(
        admin
            .inner()
            .execute_raw(&format!("DROP SCHEMA {schema} CASCADE"), &[]),
    )?;
    result
}
