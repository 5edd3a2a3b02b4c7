//! A PostgreSQL store: the second worked example of the storage contract, for many service
//! instances on one database. This file is the reusable part of the `postgres_store` example
//! (`main.rs` beside it is the demo): [`PgStore`] implements the async contract
//! ([`AsyncStore`]) over `tokio-postgres`, and [`PgBlockingStore`] the sync one ([`Store`]) by
//! running a [`PgStore`] on a runtime of its own: one implementation of the SQL, which is how
//! the `postgres` crate itself wraps `tokio-postgres`.
//!
//! The recipe, line by line of the contract:
//!
//! - A versioned schema, in the PostgreSQL schema (namespace) the store is opened on:
//!   `secure_ticket_schema (version)` holds [`SCHEMA_VERSION`]; `connect` creates the tables
//!   under an advisory lock (many instances may start at once) and refuses a newer version
//!   ([`OpenError::NewerSchema`]).
//! - `records (kind, id, version, body)`, keyed by `(kind, id)`, the id as 16 bytes (`bytea`,
//!   which compares bytewise as the contract's sort keys need); the body is the record's
//!   [`Envelope`] as JSON `text` (not `jsonb`, which would reorder its keys). `commands
//!   (organizer, id, version, at, body)` keyed by the command key, `at` in unix nanoseconds with
//!   an index on `(at, id, organizer)`: that index is [`Index::CommandsByTime`].
//! - `load`: one round trip for every key: `SELECT .. FROM records WHERE (kind, id) IN (SELECT *
//!   FROM unnest($1, $2)) UNION ALL SELECT .. FROM commands WHERE (organizer, id) IN ..`. `read`: the whole [`ReadPlan`] in one `REPEATABLE READ READ ONLY` transaction
//!   (one snapshot).
//! - `commit`: one transaction. The writes in key order (two instances committing overlapping
//!   batches take their row locks in the same order: no deadlock between them); a create is
//!   `INSERT .. ON CONFLICT DO NOTHING` and its row count (a failed plain `INSERT` would abort
//!   the whole transaction: 25P02), an update `UPDATE .. WHERE version = $n` and its row count;
//!   a count of 0 is [`StoreError::Conflict`] with the version actually stored. Serialization
//!   failures and deadlocks (40001, 40P01) are [`StoreError::ChangedDuringRead`]: the shell
//!   decides again.
//! - Index entries (item 7) in `index_entries (ix, organizer, term, sort, key_kind, key_id)`;
//!   unique ones (item 10) in `unique_entries`, whose primary key `(ix, organizer, term)` is the
//!   uniqueness: `INSERT .. ON CONFLICT DO NOTHING`, and the holders read when fewer rows were
//!   written than asked. A batch's removals are one `DELETE .. USING unnest(..)` per table, its
//!   additions one `INSERT .. SELECT * FROM unnest(..)` per table, whatever their number.
//! - The feed (item 8) under concurrent writers: a sequence hands out numbers before commit, so a
//!   reader could pass a number whose row becomes visible later. Here positions come from the
//!   one row of `feed_counter`, updated as the last statement before `COMMIT` (in the same
//!   statement that writes the batch's feed rows, from arrays): its row lock is
//!   held until the commit, so a later writer gets higher positions and becomes visible later;
//!   positions follow commit order, and a rolled back commit gives its numbers back.
//! - `prune` (item 9): in one transaction, the oldest command rows, then the lowest feed rows
//!   while old enough and passed by every reader of their organizer (`reader_positions`, written
//!   with each reader cursor).
//! - Timeouts: give the connection string `options='-c statement_timeout=..'` (and
//!   `lock_timeout`): a statement cancelled by it is [`StoreError::Backend`] (kind
//!   `Unavailable`) and the batch rolls back whole; the next call works.
//! - Damaged storage (item 6): run the cluster with data checksums (`initdb --data-checksums`):
//!   PostgreSQL then refuses a damaged page itself; a body that does not decode is
//!   [`StoreError::Corrupt`].

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use secure_ticket::feed::{FeedEntry, FeedQuery, Position};
use secure_ticket::index::{Hit, Index, IndexEntry, Lookup, SortKey, Term};
use secure_ticket::store::{
    AsyncStore, Batch, BoxError, CommandKey, Decoded, Envelope, Operation, Pruned, Read, ReadPlan,
    Record, RecordKey, RecordKind, Store, StoreError, Version, Versioned,
};
use secure_ticket::{CommandId, Event, OrganizerId};
use time::OffsetDateTime;
use tokio::sync::Mutex;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, GenericClient, NoTls, Statement, Transaction};
use uuid::Uuid;

/// The schema this file creates and reads, kept in `secure_ticket_schema`.
pub const SCHEMA_VERSION: i32 = 1;

/// Every table and index, created if absent.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS secure_ticket_schema (version integer NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    kind text NOT NULL, id bytea NOT NULL, version bigint NOT NULL, body text NOT NULL,
    PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS commands (
    organizer bytea NOT NULL, id bytea NOT NULL, version bigint NOT NULL, at bigint NOT NULL,
    body text NOT NULL, PRIMARY KEY (organizer, id));
CREATE INDEX IF NOT EXISTS commands_by_time ON commands (at, id, organizer);
CREATE TABLE IF NOT EXISTS index_entries (
    ix smallint NOT NULL, organizer bytea NOT NULL, term text NOT NULL, sort bytea NOT NULL,
    key_kind text NOT NULL, key_id bytea NOT NULL, PRIMARY KEY (ix, organizer, term, sort));
CREATE TABLE IF NOT EXISTS unique_entries (
    ix smallint NOT NULL, organizer bytea NOT NULL, term text NOT NULL, sort bytea NOT NULL,
    key_kind text NOT NULL, key_id bytea NOT NULL, PRIMARY KEY (ix, organizer, term));
CREATE TABLE IF NOT EXISTS feed (
    position bigint PRIMARY KEY, organizer bytea NOT NULL, command bytea NOT NULL,
    at bigint NOT NULL, events text NOT NULL);
CREATE INDEX IF NOT EXISTS feed_by_organizer ON feed (organizer, position);
CREATE INDEX IF NOT EXISTS feed_by_command ON feed (organizer, command);
CREATE TABLE IF NOT EXISTS feed_counter (
    one boolean PRIMARY KEY DEFAULT true CHECK (one), last bigint NOT NULL);
INSERT INTO feed_counter (one, last) VALUES (true, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS reader_positions (
    organizer bytea NOT NULL, name text NOT NULL, position bigint NOT NULL,
    PRIMARY KEY (organizer, name));
";

/// The advisory lock the schema set-up holds, so that instances starting together take turns.
const SCHEMA_LOCK: i64 = 0x5ec7_1c4e_7000_0001;

/// The kind a command row comes back under from [`LOAD_ALL`] (no record kind starts with `*`).
const COMMAND_MARKER: &str = "*command";
const LOAD_ALL: &str = "SELECT kind, id, version, body FROM records \
    WHERE (kind, id) IN (SELECT * FROM unnest($1::text[], $2::bytea[])) \
    UNION ALL \
    SELECT '*command', organizer || id, version, body FROM commands \
    WHERE (organizer, id) IN (SELECT * FROM unnest($3::bytea[], $4::bytea[]))";
const INSERT_RECORD: &str = "INSERT INTO records (kind, id, version, body) VALUES ($1, $2, $3, $4) \
    ON CONFLICT DO NOTHING";
const UPDATE_RECORD: &str = "UPDATE records SET version = version + 1, body = $1 \
    WHERE kind = $2 AND id = $3 AND version = $4";
const RECORD_VERSION: &str = "SELECT version FROM records WHERE kind = $1 AND id = $2";
const INSERT_COMMAND: &str = "INSERT INTO commands (organizer, id, version, at, body) \
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
const UPDATE_COMMAND: &str = "UPDATE commands SET version = version + 1, at = $1, body = $2 \
    WHERE organizer = $3 AND id = $4 AND version = $5";
const COMMAND_VERSION: &str = "SELECT version FROM commands WHERE organizer = $1 AND id = $2";
const PUT_READER: &str = "INSERT INTO reader_positions (organizer, name, position) \
    VALUES ($1, $2, $3) ON CONFLICT (organizer, name) DO UPDATE SET position = excluded.position";

const UNIQUE_HOLDER: &str =
    "SELECT key_kind, key_id FROM unique_entries WHERE ix = $1 AND organizer = $2 AND term = $3";
const DELETE_ENTRIES: &str = "DELETE FROM index_entries e \
    USING unnest($1::smallint[], $2::bytea[], $3::text[], $4::bytea[], $5::text[], $6::bytea[]) \
    AS u(ix, organizer, term, sort, key_kind, key_id) \
    WHERE e.ix = u.ix AND e.organizer = u.organizer AND e.term = u.term AND e.sort = u.sort";
const DELETE_UNIQUES: &str = "DELETE FROM unique_entries e \
    USING unnest($1::smallint[], $2::bytea[], $3::text[], $4::bytea[], $5::text[], $6::bytea[]) \
    AS u(ix, organizer, term, sort, key_kind, key_id) \
    WHERE e.ix = u.ix AND e.organizer = u.organizer AND e.term = u.term AND e.sort = u.sort";
const PUT_ENTRIES: &str = "INSERT INTO index_entries (ix, organizer, term, sort, key_kind, key_id) \
    SELECT * FROM unnest($1::smallint[], $2::bytea[], $3::text[], $4::bytea[], $5::text[], \
    $6::bytea[]) ON CONFLICT (ix, organizer, term, sort) DO UPDATE \
    SET key_kind = excluded.key_kind, key_id = excluded.key_id";
const PUT_UNIQUES: &str = "INSERT INTO unique_entries (ix, organizer, term, sort, key_kind, key_id) \
    SELECT * FROM unnest($1::smallint[], $2::bytea[], $3::text[], $4::bytea[], $5::text[], \
    $6::bytea[]) ON CONFLICT (ix, organizer, term) DO NOTHING";
const QUERY: &str = "SELECT sort, key_kind, key_id FROM index_entries \
    WHERE ix = $1 AND organizer = $2 AND term = $3 AND sort > $4 AND sort <= $5 \
    ORDER BY sort LIMIT $6";
const QUERY_UNIQUE: &str = "SELECT sort, key_kind, key_id FROM unique_entries \
    WHERE ix = $1 AND organizer = $2 AND term = $3 AND sort > $4 AND sort <= $5 \
    ORDER BY sort LIMIT $6";
const QUERY_COMMANDS: &str = "SELECT at, id FROM commands \
    WHERE organizer = $1 AND (at, id) > ($2, $3) AND (at, id) <= ($4, $5) \
    ORDER BY at, id LIMIT $6";

const APPEND_ALL: &str = "WITH counter AS (UPDATE feed_counter SET last = last + $1 RETURNING last) \
    INSERT INTO feed (position, organizer, command, at, events) \
    SELECT counter.last - $1 + u.n, u.organizer, u.command, u.at, u.events FROM counter, \
    unnest($2::bytea[], $3::bytea[], $4::bigint[], $5::text[]) WITH ORDINALITY \
    AS u(organizer, command, at, events, n)";
const FEED_AFTER: &str = "SELECT position, organizer, command, at, events FROM feed \
    WHERE organizer = $1 AND position > $2 ORDER BY position LIMIT $3";
const FEED_OF: &str = "SELECT position, organizer, command, at, events FROM feed \
    WHERE organizer = $1 AND command = $2 ORDER BY position DESC LIMIT 1";

const OLDEST_COMMANDS: &str = "SELECT organizer, id FROM commands WHERE at <= $1 \
    ORDER BY at, id, organizer LIMIT $2";
const ANY_COMMAND_UP_TO: &str = "SELECT 1 FROM commands WHERE at <= $1 LIMIT 1";
const DELETE_COMMAND: &str = "DELETE FROM commands WHERE organizer = $1 AND id = $2";
const OLDEST_FEED: &str = "SELECT position, organizer, at FROM feed ORDER BY position LIMIT $1";
const READ_UP_TO: &str = "SELECT MIN(position) FROM reader_positions WHERE organizer = $1";
const DELETE_FEED: &str = "DELETE FROM feed WHERE position <= $1";

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The server could not be reached, or refused the connection string.
    #[error("cannot connect to PostgreSQL ({url}): {source}")]
    Connect {
        /// The connection string, as given.
        url: String,
        /// The driver's error.
        source: tokio_postgres::Error,
    },
    /// The schema's name is not a plain lower-case identifier.
    #[error(
        "`{schema}` is not a schema name this store uses: 1 to 63 of a-z, 0-9 and _, starting with a letter"
    )]
    SchemaName {
        /// The name given.
        schema: String,
    },
    /// The database's schema is newer than this build's ([`SCHEMA_VERSION`]).
    #[error(
        "the database has schema version {found}, newer than the version {SCHEMA_VERSION} this build reads: a newer build wrote it; upgrade this service"
    )]
    NewerSchema {
        /// The version found.
        found: i32,
    },
    /// Setting up the schema failed.
    #[error("cannot set up the schema: {0}")]
    Schema(#[from] tokio_postgres::Error),
    /// The runtime of a [`PgBlockingStore`] could not be started.
    #[error("cannot start the store's runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// A [`AsyncStore`] over one PostgreSQL connection, in one PostgreSQL schema.
///
/// One `PgStore` is one connection; its transactions take turns behind a mutex. Run one store
/// per task that needs its own connection (a pool of them), each instance of the service its own.
#[derive(Debug)]
pub struct PgStore {
    client: Mutex<Client>,
    url: String,
    schema: String,
    /// Round trips to the server: each statement sent, and each `BEGIN` and `COMMIT`.
    trips: AtomicU64,
    /// The statements this connection prepared.
    statements: Statements,
    /// The runtime the connection's task runs on (its I/O), whoever awaits the store's futures.
    runtime: tokio::runtime::Handle,
    /// Commits refused because another writer got there first.
    conflicts: AtomicU64,
}

impl PgStore {
    /// Connects to `url` (a `tokio-postgres` connection string: `host=/tmp user=postgres
    /// dbname=postgres`), in the PostgreSQL schema `schema` (created if absent), and creates or
    /// checks the tables. Spawns the connection's task on the current Tokio runtime, which must
    /// keep running while the store is used (its futures may be awaited on any executor).
    ///
    /// # Errors
    ///
    /// [`OpenError`]: the server cannot be reached, the schema name is not plain, the schema is
    /// newer than this build's.
    pub async fn connect(url: &str, schema: &str) -> Result<Self, OpenError> {
        let plain = !schema.is_empty()
            && schema.len() <= 63
            && schema.starts_with(|c: char| c.is_ascii_lowercase())
            && schema
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !plain {
            return Err(OpenError::SchemaName {
                schema: schema.to_owned(),
            });
        }
        let runtime = tokio::runtime::Handle::current();
        let mut client =
            open_client(&runtime, url, schema)
                .await
                .map_err(|source| OpenError::Connect {
                    url: url.to_owned(),
                    source,
                })?;
        let transaction = client.transaction().await?;
        transaction
            .execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .await?;
        transaction
            .batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path TO {schema};"
            ))
            .await?;
        transaction.batch_execute(SCHEMA).await?;
        let found: Option<i32> = transaction
            .query_opt("SELECT max(version) FROM secure_ticket_schema", &[])
            .await?
            .and_then(|row| row.get(0));
        match found {
            Some(found) if found > SCHEMA_VERSION => return Err(OpenError::NewerSchema { found }),
            Some(_) => {}
            None => {
                transaction
                    .execute(
                        "INSERT INTO secure_ticket_schema (version) VALUES ($1)",
                        &[&SCHEMA_VERSION],
                    )
                    .await?;
            }
        }
        transaction.commit().await?;
        client
            .batch_execute(&format!("SET search_path TO {schema}"))
            .await?;
        Ok(Self {
            client: Mutex::new(client),
            url: url.to_owned(),
            schema: schema.to_owned(),
            trips: AtomicU64::new(0),
            statements: Statements::default(),
            runtime,
            conflicts: AtomicU64::new(0),
        })
    }

    /// Another connection on the same database and schema.
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect).
    pub async fn reconnect(&self) -> Result<Self, OpenError> {
        Self::connect(&self.url, &self.schema).await
    }

    /// The PostgreSQL schema the store lives in.
    #[must_use]
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// How many commits this store refused so far because another writer got there first
    /// ([`StoreError::is_conflict`]).
    #[must_use]
    pub fn conflicts(&self) -> u64 {
        self.conflicts.load(Ordering::Relaxed)
    }

    /// How many round trips this store made so far.
    #[must_use]
    pub fn round_trips(&self) -> u64 {
        self.trips.load(Ordering::Relaxed)
    }

    /// Runs raw SQL on this store's connection (tests plant damaged rows with it).
    ///
    /// # Errors
    ///
    /// The driver's error.
    pub async fn execute_raw(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, tokio_postgres::Error> {
        self.client.lock().await.execute(sql, params).await
    }

    /// The connection, opened again first if the server closed it (a restart, a terminated
    /// backend): the call that met the closed connection failed with [`StoreError::Backend`],
    /// the next one works once the server is back.
    async fn connection(&self) -> Result<tokio::sync::MutexGuard<'_, Client>, StoreError> {
        let mut client = self.client.lock().await;
        if client.is_closed() {
            let failed = |e| backend(Operation::Load, None, e);
            *client = open_client(&self.runtime, &self.url, &self.schema)
                .await
                .map_err(failed)?;
            client
                .batch_execute(&format!("SET search_path TO {}", self.schema))
                .await
                .map_err(failed)?;
            // Statements belong to the connection that prepared them.
            if let Ok(mut statements) = self.statements.lock() {
                statements.clear();
            }
        }
        Ok(client)
    }

    /// A `REPEATABLE READ READ ONLY` transaction on `client`: one snapshot for several reads
    /// (its `BEGIN` and its `COMMIT` counted as round trips).
    async fn snapshot<'c>(&self, client: &'c mut Client) -> Result<Transaction<'c>, StoreError> {
        self.trip(2);
        client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(|e| backend(Operation::Load, None, e))
    }

    fn trip(&self, n: u64) {
        self.trips.fetch_add(n, Ordering::Relaxed);
    }

    async fn load_in<C: GenericClient>(
        &self,
        client: &C,
        keys: &[RecordKey],
    ) -> Result<Vec<Versioned<Record>>, StoreError> {
        let failed = |e| backend(Operation::Load, None, e);
        let (mut kinds, mut ids, mut organizers, mut commands) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // A row is matched to the key asked for: a reader cursor's key is a hash of its parts,
        // which its row's id alone does not give back.
        let mut asked: HashMap<(&str, [u8; 16]), RecordKey> = HashMap::with_capacity(keys.len());
        for &key in keys {
            match key {
                RecordKey::Command(command) => {
                    organizers.push(command.organizer.as_uuid().as_bytes().to_vec());
                    commands.push(command.id.as_uuid().as_bytes().to_vec());
                }
                key => {
                    kinds.push(key.kind().as_str());
                    ids.push(key.uuid().as_bytes().to_vec());
                    asked.insert((key.kind().as_str(), *key.uuid().as_bytes()), key);
                }
            }
        }
        let mut found = Vec::with_capacity(keys.len());
        if keys.is_empty() {
            return Ok(found);
        }
        // Both tables in one statement, one round trip: a command row comes back under the
        // marker kind `*command`, its id the organizer's 16 bytes then the command's.
        self.trip(1);
        let rows = client
            .query(
                &prepared(client, &self.statements, LOAD_ALL).await?,
                &[&kinds, &ids, &organizers, &commands],
            )
            .await
            .map_err(failed)?;
        for row in rows {
            let kind: &str = row.try_get(0).map_err(failed)?;
            let id: &[u8] = row.try_get(1).map_err(failed)?;
            let key = if kind == COMMAND_MARKER {
                let (Some(organizer), Some(command)) = (
                    id.get(..16).and_then(uuid_of),
                    id.get(16..).and_then(uuid_of),
                ) else {
                    continue; // not a key asked for
                };
                RecordKey::Command(CommandKey::new(
                    OrganizerId::from(organizer),
                    CommandId::from(command),
                ))
            } else {
                let Some(&key) = <[u8; 16]>::try_from(id)
                    .ok()
                    .and_then(|id| asked.get(&(kind, id)))
                else {
                    continue; // not asked for: the IN list makes this impossible
                };
                key
            };
            let version: i64 = row.try_get(2).map_err(failed)?;
            let body: &str = row.try_get(3).map_err(failed)?;
            found.push(decode(key, version, body)?);
        }
        Ok(found)
    }

    async fn query_in<C: GenericClient>(
        &self,
        client: &C,
        lookup: &Lookup,
    ) -> Result<Vec<Hit>, StoreError> {
        let failed = |e| backend(Operation::Load, None, e);
        self.trip(1);
        if lookup.index == Index::CommandsByTime {
            return query_commands(client, &self.statements, lookup).await;
        }
        let sql = if lookup.index.is_unique() {
            QUERY_UNIQUE
        } else {
            QUERY
        };
        let after = lookup.after.map(SortKey::to_bytes);
        let after: &[u8] = after.as_ref().map_or(&[], |bytes| bytes.as_slice());
        let until = lookup.until.to_bytes();
        let rows = client
            .query(
                &prepared(client, &self.statements, sql).await?,
                &[
                    &i16::from(lookup.index.number()),
                    &lookup.organizer.as_uuid().as_bytes().as_slice(),
                    &lookup.term.to_string(),
                    &after,
                    &until.as_slice(),
                    &i64::from(lookup.limit),
                ],
            )
            .await
            .map_err(failed)?;
        let mut hits = Vec::with_capacity(rows.len());
        for row in rows {
            let sort: &[u8] = row.try_get(0).map_err(failed)?;
            let kind: &str = row.try_get(1).map_err(failed)?;
            let id = uuid_of(row.try_get(2).map_err(failed)?);
            let (Ok(sort), Some(key)) = (
                <[u8; 32]>::try_from(sort),
                id.and_then(|id| key_of(kind, id)),
            ) else {
                return Err(StoreError::Backend {
                    operation: Operation::Load,
                    key: None,
                    source: format!("a damaged {} row", lookup.index).into(),
                });
            };
            hits.push(Hit {
                sort: SortKey::from_bytes(sort),
                key,
            });
        }
        Ok(hits)
    }

    async fn feed_in<C: GenericClient>(
        &self,
        client: &C,
        query: &FeedQuery,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let failed = |e| backend(Operation::Load, None, e);
        match query {
            FeedQuery::After {
                organizer,
                after,
                limit,
            } => {
                let Ok(after) = i64::try_from(after.get()) else {
                    return Ok(Vec::new());
                };
                self.trip(1);
                let rows = client
                    .query(
                        &prepared(client, &self.statements, FEED_AFTER).await?,
                        &[
                            &organizer.as_uuid().as_bytes().as_slice(),
                            &after,
                            &i64::from(*limit),
                        ],
                    )
                    .await
                    .map_err(failed)?;
                rows.iter().map(feed_entry).collect()
            }
            FeedQuery::Of { commands } => {
                let mut out = Vec::with_capacity(commands.len());
                for key in commands {
                    self.trip(1);
                    let row = client
                        .query_opt(
                            &prepared(client, &self.statements, FEED_OF).await?,
                            &[
                                &key.organizer.as_uuid().as_bytes().as_slice(),
                                &key.id.as_uuid().as_bytes().as_slice(),
                            ],
                        )
                        .await
                        .map_err(failed)?;
                    if let Some(row) = row {
                        out.push(feed_entry(&row)?);
                    }
                }
                Ok(out)
            }
            _ => Ok(Vec::new()),
        }
    }

    async fn read_in(
        &self,
        transaction: &Transaction<'_>,
        plan: &ReadPlan,
    ) -> Result<Read, StoreError> {
        let mut hits = Vec::with_capacity(plan.lookups().len());
        let mut keys = plan.keys().to_vec();
        for lookup in plan.lookups() {
            let found = self.query_in(transaction, lookup).await?;
            keys.extend(found.iter().map(|hit| hit.key));
            hits.push(found);
        }
        keys.sort_unstable();
        keys.dedup();
        let records = if keys.is_empty() {
            Vec::new()
        } else {
            self.load_in(transaction, &keys).await?
        };
        let feed = match plan.replayed(&records) {
            Some(query) => self.feed_in(transaction, &query).await?,
            None => Vec::new(),
        };
        let mut read = Read {
            records,
            hits,
            feed,
        };
        // The records the plan leads to, at most two more loads (as `ReadPlan::follow`).
        let mut asked: Vec<RecordKey> = Vec::new();
        for _ in 0..2 {
            let mut next = plan.missing(&read);
            next.retain(|key| !asked.contains(key));
            if next.is_empty() {
                break;
            }
            asked.extend_from_slice(&next);
            let more = self.load_in(transaction, &next).await?;
            read.records.extend(more);
        }
        Ok(read)
    }

    async fn commit_in(
        &self,
        transaction: &Transaction<'_>,
        batch: &Batch,
    ) -> Result<(), StoreError> {
        // Key order: instances committing overlapping batches lock rows in the same order.
        let mut writes: Vec<_> = batch.writes.iter().collect();
        writes.sort_by_key(|write| write.record.key());
        for write in writes {
            let key = write.record.key();
            let failed = |e| backend(Operation::Commit, Some(key), e);
            let body = serde_json::to_string(&Envelope::borrowed(&write.record))
                .map_err(|e| backend(Operation::Commit, Some(key), e))?;
            let expected = column_version(write.expected, key)?;
            self.trip(1);
            let changed = match &write.record {
                Record::Command(command) => {
                    let at = nanos(command.at, key)?;
                    let (organizer, id) = (command.organizer.as_uuid(), command.id.as_uuid());
                    let (organizer, id) =
                        (organizer.as_bytes().as_slice(), id.as_bytes().as_slice());
                    if write.expected == Version::NEW {
                        let first = column_version(Version::NEW.next(), key)?;
                        transaction
                            .execute(
                                &prepared(transaction, &self.statements, INSERT_COMMAND).await?,
                                &[&organizer, &id, &first, &at, &body],
                            )
                            .await
                    } else {
                        transaction
                            .execute(
                                &prepared(transaction, &self.statements, UPDATE_COMMAND).await?,
                                &[&at, &body, &organizer, &id, &expected],
                            )
                            .await
                    }
                }
                record => {
                    let kind = key.kind().as_str();
                    let id = key.uuid();
                    let id = id.as_bytes().as_slice();
                    let changed = if write.expected == Version::NEW {
                        let first = column_version(Version::NEW.next(), key)?;
                        transaction
                            .execute(
                                &prepared(transaction, &self.statements, INSERT_RECORD).await?,
                                &[&kind, &id, &first, &body],
                            )
                            .await
                    } else {
                        transaction
                            .execute(
                                &prepared(transaction, &self.statements, UPDATE_RECORD).await?,
                                &[&body, &kind, &id, &expected],
                            )
                            .await
                    };
                    if let (Ok(1), Record::Reader(cursor)) = (&changed, record) {
                        self.trip(1);
                        transaction
                            .execute(
                                &prepared(transaction, &self.statements, PUT_READER).await?,
                                &[
                                    &cursor.organizer.as_uuid().as_bytes().as_slice(),
                                    &cursor.name.as_str(),
                                    &i64::try_from(cursor.position.get()).unwrap_or(i64::MAX),
                                ],
                            )
                            .await
                            .map_err(failed)?;
                    }
                    changed
                }
            }
            .map_err(failed)?;
            if changed != 1 {
                return Err(self.conflict(transaction, key, write.expected).await);
            }
        }
        // Contract item 7: removals, then additions, each one statement over arrays.
        let mut removed = (Entries::default(), Entries::default());
        for entry in &batch.index.removed {
            if let Some(row) = EntryRow::new(entry)? {
                let list = if row.unique {
                    &mut removed.1
                } else {
                    &mut removed.0
                };
                list.push(row);
            }
        }
        let mut added = (Entries::default(), Entries::default());
        for entry in &batch.index.added {
            if let Some(row) = EntryRow::new(entry)? {
                let list = if row.unique {
                    &mut added.1
                } else {
                    &mut added.0
                };
                list.push(row);
            }
        }
        for (list, sql) in [(&removed.0, DELETE_ENTRIES), (&removed.1, DELETE_UNIQUES)] {
            if !list.rows.is_empty() {
                self.trip(1);
                list.run(transaction, &self.statements, sql).await?;
            }
        }
        if !added.0.rows.is_empty() {
            self.trip(1);
            added
                .0
                .run(transaction, &self.statements, PUT_ENTRIES)
                .await?;
        }
        if !added.1.rows.is_empty() {
            self.trip(1);
            let written = added
                .1
                .run(transaction, &self.statements, PUT_UNIQUES)
                .await?;
            if usize::try_from(written).ok() != Some(added.1.rows.len()) {
                // A term held already: by the same record is no conflict, by another is.
                for row in &added.1.rows {
                    self.trip(1);
                    row.taken(transaction, &self.statements).await?;
                }
            }
        }
        // Contract item 8, last before COMMIT: the counter's row lock orders the commits. One
        // statement takes the positions and writes the rows.
        if !batch.feed.is_empty() {
            let failed = |e| backend(Operation::Commit, None, e);
            let count =
                i64::try_from(batch.feed.len()).map_err(|e| backend(Operation::Commit, None, e))?;
            let (mut organizers, mut commands, mut ats, mut events) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for append in &batch.feed {
                let key = RecordKey::Command(CommandKey::new(append.organizer, append.command));
                organizers.push(append.organizer.as_uuid().as_bytes().to_vec());
                commands.push(append.command.as_uuid().as_bytes().to_vec());
                ats.push(nanos(append.at, key)?);
                events.push(
                    serde_json::to_string(&append.events)
                        .map_err(|e| backend(Operation::Commit, Some(key), e))?,
                );
            }
            self.trip(1);
            transaction
                .execute(
                    &prepared(transaction, &self.statements, APPEND_ALL).await?,
                    &[&count, &organizers, &commands, &ats, &events],
                )
                .await
                .map_err(failed)?;
        }
        Ok(())
    }

    /// The conflict for `key`, with the version stored ([`Version::NEW`] when absent).
    async fn conflict(
        &self,
        transaction: &Transaction<'_>,
        key: RecordKey,
        expected: Version,
    ) -> StoreError {
        let failed = |e| backend(Operation::Commit, Some(key), e);
        self.trip(1);
        let stored = match key {
            RecordKey::Command(command) => {
                transaction
                    .query_opt(
                        &match prepared(transaction, &self.statements, COMMAND_VERSION).await {
                            Ok(statement) => statement,
                            Err(e) => return e,
                        },
                        &[
                            &command.organizer.as_uuid().as_bytes().as_slice(),
                            &command.id.as_uuid().as_bytes().as_slice(),
                        ],
                    )
                    .await
            }
            _ => {
                transaction
                    .query_opt(
                        &match prepared(transaction, &self.statements, RECORD_VERSION).await {
                            Ok(statement) => statement,
                            Err(e) => return e,
                        },
                        &[&key.kind().as_str(), &key.uuid().as_bytes().as_slice()],
                    )
                    .await
            }
        };
        let actual = match stored {
            Ok(None) => Version::NEW,
            Ok(Some(row)) => match row.try_get::<_, i64>(0) {
                Ok(version) => Version::new(u64::try_from(version).unwrap_or_default()),
                Err(e) => return failed(e),
            },
            Err(e) => return failed(e),
        };
        StoreError::Conflict {
            key,
            expected,
            actual,
        }
    }

    async fn prune_in(
        &self,
        transaction: &Transaction<'_>,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<Pruned, StoreError> {
        let failed = |e| backend(Operation::Commit, None, e);
        let mut pruned = Pruned::default();
        let Some(last) = last_before(before) else {
            return Ok(pruned);
        };
        self.trip(1);
        let rows = transaction
            .query(
                &prepared(transaction, &self.statements, OLDEST_COMMANDS).await?,
                &[&last, &i64::from(limit)],
            )
            .await
            .map_err(failed)?;
        for row in &rows {
            let organizer: &[u8] = row.try_get(0).map_err(failed)?;
            let id: &[u8] = row.try_get(1).map_err(failed)?;
            self.trip(1);
            transaction
                .execute(
                    &prepared(transaction, &self.statements, DELETE_COMMAND).await?,
                    &[&organizer, &id],
                )
                .await
                .map_err(failed)?;
        }
        let count = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        pruned.commands = count;
        let mut budget = limit.saturating_sub(count);
        if budget == 0 {
            self.trip(1);
            pruned.more = transaction
                .query_opt(
                    &prepared(transaction, &self.statements, ANY_COMMAND_UP_TO).await?,
                    &[&last],
                )
                .await
                .map_err(failed)?
                .is_some();
            if pruned.more {
                return Ok(pruned);
            }
        }
        // Feed entries, lowest first, while old enough and passed by every reader of their
        // organizer; one more than the budget is read, to know whether more could go.
        self.trip(1);
        let rows = transaction
            .query(
                &prepared(transaction, &self.statements, OLDEST_FEED).await?,
                &[&i64::from(budget).saturating_add(1)],
            )
            .await
            .map_err(failed)?;
        let mut read_up_to: Vec<(Vec<u8>, Option<i64>)> = Vec::new();
        let mut through = None;
        for row in &rows {
            let position: i64 = row.try_get(0).map_err(failed)?;
            let organizer: Vec<u8> = row.try_get(1).map_err(failed)?;
            let at: i64 = row.try_get(2).map_err(failed)?;
            let passed = match read_up_to.iter().find(|(o, _)| *o == organizer) {
                Some((_, passed)) => *passed,
                None => {
                    self.trip(1);
                    let passed: Option<i64> = transaction
                        .query_one(
                            &prepared(transaction, &self.statements, READ_UP_TO).await?,
                            &[&organizer],
                        )
                        .await
                        .map_err(failed)?
                        .try_get(0)
                        .map_err(failed)?;
                    read_up_to.push((organizer, passed));
                    passed
                }
            };
            if at > last || passed.is_some_and(|p| position > p) {
                break;
            }
            if budget == 0 {
                pruned.more = true;
                break;
            }
            through = Some(position);
            budget = budget.saturating_sub(1);
            pruned.feed_entries = pruned.feed_entries.saturating_add(1);
        }
        if let Some(through) = through {
            self.trip(1);
            transaction
                .execute(
                    &prepared(transaction, &self.statements, DELETE_FEED).await?,
                    &[&through],
                )
                .await
                .map_err(failed)?;
        }
        Ok(pruned)
    }
}

/// A connection to `url`, named `secure_ticket_<schema>` in `pg_stat_activity`, its task
/// spawned on `runtime`.
async fn open_client(
    runtime: &tokio::runtime::Handle,
    url: &str,
    schema: &str,
) -> Result<Client, tokio_postgres::Error> {
    let mut config: tokio_postgres::Config = url.parse()?;
    config.application_name(format!("secure_ticket_{schema}"));
    let (client, connection) = config.connect(NoTls).await?;
    runtime.spawn(connection);
    Ok(client)
}

/// The statements a connection prepared, by their SQL: each is parsed once per connection, and
/// every later use is one round trip.
type Statements = std::sync::Mutex<HashMap<&'static str, Statement>>;

/// `sql` prepared on the connection of `client` (a client or one of its transactions).
async fn prepared<C: GenericClient>(
    client: &C,
    statements: &Statements,
    sql: &'static str,
) -> Result<Statement, StoreError> {
    let known = statements
        .lock()
        .ok()
        .and_then(|cache| cache.get(sql).cloned());
    if let Some(statement) = known {
        return Ok(statement);
    }
    let statement = client
        .prepare(sql)
        .await
        .map_err(|e| backend(Operation::Load, None, e))?;
    if let Ok(mut cache) = statements.lock() {
        cache.insert(sql, statement.clone());
    }
    Ok(statement)
}

/// Serialization failures and deadlocks are another writer's doing: the shell decides again.
fn retryable(error: StoreError, key: Option<RecordKey>) -> StoreError {
    if let StoreError::Backend { source, .. } = &error
        && let Some(pg) = source.downcast_ref::<tokio_postgres::Error>()
        && matches!(
            pg.code(),
            Some(&SqlState::T_R_SERIALIZATION_FAILURE | &SqlState::T_R_DEADLOCK_DETECTED)
        )
        && let Some(key) = key
    {
        return StoreError::ChangedDuringRead { key };
    }
    error
}

impl AsyncStore for PgStore {
    async fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        let client = self.connection().await?;
        self.load_in(&*client, keys).await
    }

    /// The whole plan in one `REPEATABLE READ READ ONLY` transaction: one snapshot.
    async fn read(&self, plan: &ReadPlan) -> Result<Read, StoreError> {
        let mut client = self.connection().await?;
        let transaction = self.snapshot(&mut client).await?;
        let read = self.read_in(&transaction, plan).await?;
        transaction
            .commit()
            .await
            .map_err(|e| backend(Operation::Load, None, e))?;
        Ok(read)
    }

    async fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        if let Some(key) = batch.duplicate_key() {
            return Err(StoreError::DuplicateKey { key });
        }
        let first = batch.writes.iter().map(|w| w.record.key()).min();
        let failed = |e| backend(Operation::Commit, None, e);
        let mut client = self.connection().await?;
        self.trip(2);
        let transaction = client.transaction().await.map_err(failed)?;
        // On an error the transaction rolls back as it drops: nothing of the batch lands.
        let committed = match self.commit_in(&transaction, &batch).await {
            Ok(()) => transaction.commit().await.map_err(failed),
            Err(error) => Err(error),
        };
        committed.map_err(|e| {
            let e = retryable(e, first);
            if e.is_conflict() {
                self.conflicts.fetch_add(1, Ordering::Relaxed);
            }
            e
        })
    }

    async fn query(&self, lookup: &Lookup) -> Result<Vec<Hit>, StoreError> {
        let client = self.connection().await?;
        self.query_in(&*client, lookup).await
    }

    async fn feed(&self, query: &FeedQuery) -> Result<Vec<FeedEntry>, StoreError> {
        let mut client = self.connection().await?;
        let transaction = self.snapshot(&mut client).await?;
        let entries = self.feed_in(&transaction, query).await?;
        transaction
            .commit()
            .await
            .map_err(|e| backend(Operation::Load, None, e))?;
        Ok(entries)
    }

    async fn prune(&self, before: OffsetDateTime, limit: u32) -> Result<Pruned, StoreError> {
        let failed = |e| backend(Operation::Commit, None, e);
        let mut client = self.connection().await?;
        self.trip(2);
        let transaction = client.transaction().await.map_err(failed)?;
        let pruned = self.prune_in(&transaction, before, limit).await?;
        transaction.commit().await.map_err(failed)?;
        Ok(pruned)
    }
}

/// The sync contract ([`Store`]): a [`PgStore`] on a runtime of its own, each call run to its end
/// there. Use it from threads; from async code, use the [`PgStore`] itself (blocking on a runtime
/// from inside another would stall it).
#[derive(Debug)]
pub struct PgBlockingStore {
    runtime: Arc<tokio::runtime::Runtime>,
    store: PgStore,
}

impl PgBlockingStore {
    /// Connects as [`PgStore::connect`], on a new one-thread runtime that runs the connection.
    ///
    /// # Errors
    ///
    /// [`OpenError`].
    pub fn connect(url: &str, schema: &str) -> Result<Self, OpenError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let store = runtime.block_on(PgStore::connect(url, schema))?;
        Ok(Self {
            runtime: Arc::new(runtime),
            store,
        })
    }

    /// Another connection on the same database and schema, on the same runtime.
    ///
    /// # Errors
    ///
    /// [`OpenError`].
    pub fn reconnect(&self) -> Result<Self, OpenError> {
        let store = self.runtime.block_on(self.store.reconnect())?;
        Ok(Self {
            runtime: Arc::clone(&self.runtime),
            store,
        })
    }

    /// The async store inside.
    #[must_use]
    pub fn inner(&self) -> &PgStore {
        &self.store
    }

    /// Runs `future` to its end on this store's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl Store for PgBlockingStore {
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.block_on(self.store.load(keys))
    }

    fn read(&self, plan: &ReadPlan) -> Result<Read, StoreError> {
        self.block_on(AsyncStore::read(&self.store, plan))
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        self.block_on(self.store.commit(batch))
    }

    fn query(&self, lookup: &Lookup) -> Result<Vec<Hit>, StoreError> {
        self.block_on(self.store.query(lookup))
    }

    fn feed(&self, query: &FeedQuery) -> Result<Vec<FeedEntry>, StoreError> {
        self.block_on(self.store.feed(query))
    }

    fn prune(&self, before: OffsetDateTime, limit: u32) -> Result<Pruned, StoreError> {
        self.block_on(self.store.prune(before, limit))
    }
}

/// Rows of `index_entries` or `unique_entries`, as the arrays of one statement.
#[derive(Debug, Default)]
struct Entries {
    rows: Vec<EntryRow>,
}

impl Entries {
    fn push(&mut self, row: EntryRow) {
        self.rows.push(row);
    }

    /// Runs `sql` with the rows as six arrays; the number of rows it changed.
    async fn run(
        &self,
        transaction: &Transaction<'_>,
        statements: &Statements,
        sql: &'static str,
    ) -> Result<u64, StoreError> {
        let ix: Vec<i16> = self.rows.iter().map(|r| r.ix).collect();
        let organizer: Vec<&[u8]> = self.rows.iter().map(|r| r.organizer.as_slice()).collect();
        let term: Vec<&str> = self.rows.iter().map(|r| r.term.as_str()).collect();
        let sort: Vec<&[u8]> = self.rows.iter().map(|r| r.sort.as_slice()).collect();
        let kind: Vec<&str> = self.rows.iter().map(|r| r.key_kind).collect();
        let id: Vec<&[u8]> = self.rows.iter().map(|r| r.key_id.as_slice()).collect();
        transaction
            .execute(
                &prepared(transaction, statements, sql).await?,
                &[&ix, &organizer, &term, &sort, &kind, &id],
            )
            .await
            .map_err(|e| backend(Operation::Commit, None, e))
    }
}

/// One row of `index_entries` or `unique_entries`.
#[derive(Debug)]
struct EntryRow {
    unique: bool,
    ix: i16,
    organizer: [u8; 16],
    term: String,
    sort: [u8; 32],
    key_kind: &'static str,
    key_id: [u8; 16],
}

impl EntryRow {
    /// The row of `entry`; `None` for [`Index::CommandsByTime`], which `commands` answers.
    fn new(entry: &IndexEntry) -> Result<Option<Self>, StoreError> {
        if entry.index == Index::CommandsByTime {
            return Ok(None);
        }
        if key_of(entry.key.kind().as_str(), entry.key.uuid()) != Some(entry.key) {
            return Err(StoreError::Backend {
                operation: Operation::Commit,
                key: Some(entry.key),
                source: format!("{} cannot be indexed by this store", entry.index).into(),
            });
        }
        Ok(Some(Self {
            unique: entry.index.is_unique(),
            ix: i16::from(entry.index.number()),
            organizer: *entry.organizer.as_uuid().as_bytes(),
            term: entry.term.to_string(),
            sort: entry.sort.to_bytes(),
            key_kind: entry.key.kind().as_str(),
            key_id: *entry.key.uuid().as_bytes(),
        }))
    }

    fn key(&self) -> Option<RecordKey> {
        key_of(self.key_kind, Uuid::from_bytes(self.key_id))
    }

    /// Contract item 10: the term of this unique entry is held; by this record it is no conflict
    /// (a batch built with `Batch::push` for an update adds its entries again).
    async fn taken(
        &self,
        transaction: &Transaction<'_>,
        statements: &Statements,
    ) -> Result<(), StoreError> {
        let key = self.key();
        let holder = transaction
            .query_one(
                &prepared(transaction, statements, UNIQUE_HOLDER).await?,
                &[&self.ix, &self.organizer.as_slice(), &self.term],
            )
            .await;
        let holder = match holder {
            Ok(row) => match (row.try_get::<_, &str>(0), row.try_get::<_, &[u8]>(1)) {
                (Ok(kind), Ok(id)) => uuid_of(id).and_then(|id| key_of(kind, id)),
                _ => None,
            },
            Err(e) => return Err(backend(Operation::Commit, key, e)),
        };
        let index = Index::ALL
            .into_iter()
            .find(|index| i16::from(index.number()) == self.ix);
        match (index, key, holder) {
            (_, Some(key), Some(holder)) if holder == key => Ok(()),
            (Some(index), Some(key), Some(holder)) => {
                Err(StoreError::UniqueEntryTaken { index, key, holder })
            }
            (_, key, _) => Err(StoreError::Backend {
                operation: Operation::Commit,
                key,
                source: "a damaged row in unique_entries".into(),
            }),
        }
    }
}

/// [`Index::CommandsByTime`] from the command rows, ordered by `(at, id)`.
async fn query_commands<C: GenericClient>(
    client: &C,
    statements: &Statements,
    lookup: &Lookup,
) -> Result<Vec<Hit>, StoreError> {
    if lookup.term != Term::All {
        return Ok(Vec::new());
    }
    let (low_at, low_id) = match lookup.after.map(TimeBound::of) {
        None | Some(TimeBound::Below) => (i64::MIN, Vec::new()),
        Some(TimeBound::At(at, id)) => (at, id.to_vec()),
        Some(TimeBound::Above) => return Ok(Vec::new()),
    };
    let (high_at, high_id) = match TimeBound::of(lookup.until) {
        TimeBound::Below => return Ok(Vec::new()),
        TimeBound::At(at, id) => (at, id.to_vec()),
        TimeBound::Above => (i64::MAX, vec![0xFF; 17]),
    };
    let failed = |e| backend(Operation::Load, None, e);
    let rows = client
        .query(
            &prepared(client, statements, QUERY_COMMANDS).await?,
            &[
                &lookup.organizer.as_uuid().as_bytes().as_slice(),
                &low_at,
                &low_id,
                &high_at,
                &high_id,
                &i64::from(lookup.limit),
            ],
        )
        .await
        .map_err(failed)?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        let at: i64 = row.try_get(0).map_err(failed)?;
        let Some(id) = uuid_of(row.try_get(1).map_err(failed)?) else {
            return Err(StoreError::Backend {
                operation: Operation::Load,
                key: None,
                source: "a command row whose id is not 16 bytes".into(),
            });
        };
        let key = RecordKey::Command(CommandKey::new(lookup.organizer, CommandId::from(id)));
        let at = time_of(at).map_err(|source| StoreError::Corrupt {
            key,
            operation: Operation::Load,
            source,
        })?;
        hits.push(Hit {
            sort: SortKey::new(SortKey::oldest_first(at), id.as_u128()),
            key,
        });
    }
    Ok(hits)
}

/// A sort key of [`Index::CommandsByTime`] as the `(at, id)` of a command row.
enum TimeBound {
    Below,
    At(i64, [u8; 16]),
    Above,
}

impl TimeBound {
    fn of(sort: SortKey) -> Self {
        const SIGN: u128 = 1 << 127;
        let nanos = (sort.major ^ SIGN) as i128;
        match i64::try_from(nanos) {
            Ok(at) => Self::At(at, sort.minor.to_be_bytes()),
            Err(_) if nanos < 0 => Self::Below,
            Err(_) => Self::Above,
        }
    }
}

/// The record a row holds under `key`: [`StoreError::Corrupt`] when it does not decode,
/// [`StoreError::UnsupportedFormat`] when a newer build wrote it.
fn decode(key: RecordKey, version: i64, body: &str) -> Result<Versioned<Record>, StoreError> {
    let corrupt = |e: BoxError| StoreError::Corrupt {
        key,
        operation: Operation::Load,
        source: e,
    };
    let version = u64::try_from(version).map_err(|e| corrupt(Box::new(e)))?;
    let decoded: Decoded = serde_json::from_str(body).map_err(|e| corrupt(Box::new(e)))?;
    Ok(Versioned {
        value: decoded.into_record(key)?,
        version: Version::new(version),
    })
}

/// The entry a `feed` row holds (`position, organizer, command, at, events`).
fn feed_entry(row: &tokio_postgres::Row) -> Result<FeedEntry, StoreError> {
    let failed = |e| backend(Operation::Load, None, e);
    let organizer = uuid_of(row.try_get(1).map_err(failed)?);
    let command = uuid_of(row.try_get(2).map_err(failed)?);
    let key = RecordKey::Command(CommandKey::new(
        OrganizerId::from(organizer.unwrap_or_default()),
        CommandId::from(command.unwrap_or_default()),
    ));
    let corrupt = |e: BoxError| StoreError::Corrupt {
        key,
        operation: Operation::Load,
        source: e,
    };
    let (Some(organizer), Some(command)) = (organizer, command) else {
        return Err(corrupt(
            "the feed row's organizer or command is not 16 bytes".into(),
        ));
    };
    let position: i64 = row.try_get(0).map_err(failed)?;
    let position = u64::try_from(position).map_err(|e| corrupt(Box::new(e)))?;
    let at: i64 = row.try_get(3).map_err(failed)?;
    let at = time_of(at).map_err(corrupt)?;
    let events: &str = row.try_get(4).map_err(failed)?;
    let events: Vec<Event> = serde_json::from_str(events).map_err(|e| corrupt(Box::new(e)))?;
    Ok(FeedEntry {
        position: Position::new(position),
        organizer: OrganizerId::from(organizer),
        command: CommandId::from(command),
        at,
        events,
    })
}

/// The key of a record of kind `kind` (as [`RecordKind::as_str`] spells it) whose key is its
/// id; `None` for the kinds keyed by several parts (commands, readers).
fn key_of(kind: &str, id: Uuid) -> Option<RecordKey> {
    Some(match kind {
        k if k == RecordKind::Ticket.as_str() => RecordKey::Ticket(id.into()),
        k if k == RecordKind::TransferGroup.as_str() => RecordKey::TransferGroup(id.into()),
        k if k == RecordKind::PointOfSale.as_str() => RecordKey::PointOfSale(id.into()),
        k if k == RecordKind::UsageRule.as_str() => RecordKey::UsageRule(id.into()),
        k if k == RecordKind::Settings.as_str() => RecordKey::Settings(id.into()),
        k if k == RecordKind::Performance.as_str() => RecordKey::Performance(id.into()),
        _ => return None,
    })
}

/// A 16-byte `bytea` column as an id.
fn uuid_of(bytes: &[u8]) -> Option<Uuid> {
    <[u8; 16]>::try_from(bytes).ok().map(Uuid::from_bytes)
}

/// A version as PostgreSQL's `bigint`.
fn column_version(version: Version, key: RecordKey) -> Result<i64, StoreError> {
    i64::try_from(version.get()).map_err(|e| backend(Operation::Commit, Some(key), e))
}

/// A time as an `at` column: unix nanoseconds in a `bigint` (1677 to 2262).
fn nanos(at: OffsetDateTime, key: RecordKey) -> Result<i64, StoreError> {
    i64::try_from(at.unix_timestamp_nanos()).map_err(|_| StoreError::Backend {
        operation: Operation::Commit,
        key: Some(key),
        source: format!("{at} is outside the times this store holds (1677 to 2262)").into(),
    })
}

/// An `at` column as a time (in UTC).
fn time_of(nanos: i64) -> Result<OffsetDateTime, BoxError> {
    Ok(OffsetDateTime::from_unix_timestamp_nanos(i128::from(
        nanos,
    ))?)
}

/// The latest `at` before `before`; `None` when `before` is at or below every storable time.
fn last_before(before: OffsetDateTime) -> Option<i64> {
    let last = before.unix_timestamp_nanos().saturating_sub(1);
    match i64::try_from(last) {
        Ok(last) => Some(last),
        Err(_) if last > 0 => Some(i64::MAX),
        Err(_) => None,
    }
}

fn backend(
    operation: Operation,
    key: Option<RecordKey>,
    error: impl std::error::Error + Send + Sync + 'static,
) -> StoreError {
    StoreError::Backend {
        operation,
        key,
        source: Box::new(error),
    }
}
