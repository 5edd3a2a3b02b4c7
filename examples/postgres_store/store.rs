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
//! - `records (kind, id, version, body, leads)`, keyed by `(kind, id)`, the id as 16 bytes (`bytea`,
//!   which compares bytewise as the contract's sort keys need); the body is the record's
//!   [`Envelope`] as JSON `text` (not `jsonb`, which would reorder its keys). `commands
//!   (organizer, id, version, at, body)` keyed by the command key, `at` in unix nanoseconds with
//!   an index on `(at, id, organizer)`: that index is [`Index::CommandsByTime`].
//! - `load`: one round trip for every key, both tables in one statement, each key an index
//!   lookup ([`LOAD_ALL`]). `read`: the whole [`ReadPlan`] in one `REPEATABLE READ READ ONLY`
//!   transaction (one snapshot) whose `BEGIN` goes out with the plan's first statement and whose
//!   `COMMIT` goes out with the connection's next request, neither waited for. Each row of
//!   `records` keeps its leads ([`Lead`]: a group's tickets, a ticket's pending group, rule,
//!   performance, point of sale) in `leads`, so one statement ([`READ_FOLLOWED`]) reads the
//!   plan's keys and the records they lead to, two steps deep, as [`ReadPlan::follow`] does: a
//!   command is one read and one commit. Lookups and feed reads add a statement each when the
//!   plan has them (a sign-in, a retry's events).
//! - `commit`: one round trip, `SELECT secure_ticket_commit(..)`, a PL/pgSQL function the schema
//!   defines ([`COMMIT_FUNCTION`]), given the whole batch as 25 arrays; the statement is its own
//!   transaction, so the batch lands whole or not at all. Inside it, the writes in key order (two
//!   instances committing overlapping batches take their row locks in the same order: no
//!   deadlock between them); a create is `INSERT .. ON CONFLICT DO NOTHING` and its row count (a
//!   failed plain `INSERT` would abort the whole transaction: 25P02), an update `UPDATE .. WHERE
//!   version = $n` and its row count; a count of 0 raises SQLSTATE `ST409` with the version
//!   actually stored, which the store turns into [`StoreError::Conflict`]. Serialization failures
//!   and deadlocks (40001, 40P01) are [`StoreError::ChangedDuringRead`]: the shell decides again.
//!   Connections plan every statement generically (`plan_cache_mode = force_generic_plan`): its
//!   arrays' lengths change from call to call, and planning anew for each costs more than the call.
//!   A generic plan is kept for the connection's life, so none may depend on a table's size: reads
//!   look each key up (`LATERAL .. LIMIT 1`), and the commit function runs without hash or merge
//!   joins (a plan made while a table was nearly empty would otherwise scan it whole at every call).
//! - Index entries (item 7) in `index_entries (ix, organizer, term, sort, key_kind, key_id)`;
//!   unique ones (item 10) in `unique_entries`, whose primary key `(ix, organizer, term)` is the
//!   uniqueness: `INSERT .. ON CONFLICT DO NOTHING`, the holder read when no row was written,
//!   SQLSTATE `ST423` ([`StoreError::UniqueEntryTaken`]) when another record holds it. The batch's
//!   removals run before its additions, so a take back that adds the replacement and invalidates
//!   the old ticket passes in either write order without a deferred constraint (and `ON CONFLICT`
//!   cannot take a deferrable constraint as its arbiter). Removals are one `DELETE .. USING
//!   unnest(..)` per table, additions one `INSERT .. SELECT * FROM unnest(..)`.
//! - The feed (item 8) under concurrent writers: a sequence hands out numbers before commit, so a
//!   reader could pass a number whose row becomes visible later. Here positions come from the
//!   one row of `feed_counter`, updated by the commit function's last statement (which also
//!   writes the batch's feed rows, from arrays): its row lock is held until the commit, so a
//!   later writer gets higher positions and becomes visible later; positions follow commit
//!   order, and a rolled back commit gives its numbers back. The price: commits that append to
//!   the feed pass that row one at a time, each holding it for the end of its function and its
//!   commit's WAL flush.
//! - `prune` (item 9): in one transaction, the oldest command rows (one statement), then the
//!   lowest feed rows while old enough and passed by every reader of their organizer
//!   (`reader_positions`, written with each reader cursor).
//! - Timeouts: give the connection string `options='-c statement_timeout=..'` (and
//!   `lock_timeout`): a statement cancelled by it is [`StoreError::Backend`] (kind
//!   `Unavailable`) and the batch rolls back whole; the next call works.
//! - Damaged storage (item 6): run the cluster with data checksums (`initdb --data-checksums`):
//!   PostgreSQL then refuses a damaged page itself; a body that does not decode is
//!   [`StoreError::Corrupt`].

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use secure_ticket::feed::{FeedEntry, FeedQuery, Position};
use secure_ticket::index::{Hit, Index, IndexEntry, Lookup, SortKey, Term};
use secure_ticket::store::{
    AsyncStore, Batch, BoxError, CommandKey, Decoded, Envelope, Lead, Operation, Pruned, Read,
    ReadPlan, Record, RecordKey, RecordKind, Store, StoreError, Version, Versioned, Write, json,
};
use secure_ticket::{CommandId, Events, OrganizerId};
use time::OffsetDateTime;
use tokio::sync::Mutex;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, GenericClient, NoTls, Statement, Transaction};
use uuid::Uuid;

/// The schema this file creates and reads, kept in `secure_ticket_schema`.
pub const SCHEMA_VERSION: i32 = 3;

/// Every table and index, created if absent.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS secure_ticket_schema (version integer NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    kind text NOT NULL, id bytea NOT NULL, version bigint NOT NULL, body text NOT NULL,
    leads bytea[], PRIMARY KEY (kind, id));
ALTER TABLE records ADD COLUMN IF NOT EXISTS leads bytea[];
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
/// The records and command records under the keys asked for, in one statement. Each key is an
/// index lookup (`LATERAL .. LIMIT 1`), whatever the planner guesses: a generic
/// plan made while a table was nearly empty would otherwise join by hashing and scan the whole
/// table, at every call, until its plans are made again after the next `ANALYZE`.
const LOAD_ALL: &str = "SELECT r.kind, r.id, r.version, r.body, false \
    FROM unnest($1::text[], $2::bytea[]) AS k (kind, id), LATERAL (SELECT * FROM records AS r \
    WHERE r.kind = k.kind AND r.id = k.id LIMIT 1) AS r \
    UNION ALL \
    SELECT '*command', c.organizer || c.id, c.version, c.body, false \
    FROM unnest($3::bytea[], $4::bytea[]) AS k (organizer, id), LATERAL (SELECT * \
    FROM commands AS c WHERE c.organizer = k.organizer AND c.id = k.id LIMIT 1) AS c";

/// [`LOAD_ALL`] and, in the same statement, the records the found ones lead to, two steps
/// deep, as [`ReadPlan::follow`] reads them: `$5` has bit `n` set when the plan follows the
/// `n`th of [`Lead::ALL`]. Each row of `records` keeps its leads in `leads`, one 17-byte element
/// per lead ([`lead_bytes`]); the last column says a row of the first two steps has none
/// (written by schema version 2): the store then follows the plan itself. Every step is an
/// index lookup per key (`LATERAL .. LIMIT 1`), as in [`LOAD_ALL`].
static READ_FOLLOWED: LazyLock<String> = LazyLock::new(|| {
    let kinds: Vec<String> = Lead::ALL
        .iter()
        .map(|lead| format!("'{}'", lead.key(Uuid::nil()).kind().as_str()))
        .collect();
    let leads_of = |step: &str| {
        format!(
            "SELECT DISTINCT (ARRAY[{kinds}])[get_byte(e, 0) + 1] AS kind, \
             substring(e FROM 2) AS id FROM {step} AS l, unnest(l.leads) AS e \
             WHERE $5 & (1 << get_byte(e, 0)) <> 0",
            kinds = kinds.join(", ")
        )
    };
    let lookup = |keys: &str| {
        format!(
            "FROM {keys}, LATERAL (SELECT * FROM records AS r \
             WHERE r.kind = {keys}.kind AND r.id = {keys}.id LIMIT 1) AS r"
        )
    };
    let not_in = |step: &str, keys: &str| {
        format!(
            "NOT EXISTS (SELECT FROM {step} WHERE {step}.kind = {keys}.kind AND {step}.id = {keys}.id)"
        )
    };
    format!(
        "WITH l0 AS (SELECT r.kind, r.id, r.version, r.body, r.leads \
             FROM unnest($1::text[], $2::bytea[]) AS k (kind, id), LATERAL (SELECT * FROM \
             records AS r WHERE r.kind = k.kind AND r.id = k.id LIMIT 1) AS r), \
         k1 AS ({k1}), \
         l1 AS (SELECT r.kind, r.id, r.version, r.body, r.leads {l1} WHERE {l1_new}), \
         k2 AS ({k2}), \
         l2 AS (SELECT r.kind, r.id, r.version, r.body {l2} WHERE {l2_new0} AND {l2_new1}) \
         SELECT kind, id, version, body, leads IS NULL FROM l0 \
         UNION ALL SELECT kind, id, version, body, leads IS NULL FROM l1 \
         UNION ALL SELECT kind, id, version, body, false FROM l2 \
         UNION ALL SELECT '*command', c.organizer || c.id, c.version, c.body, false \
             FROM unnest($3::bytea[], $4::bytea[]) AS k (organizer, id), LATERAL (SELECT * \
             FROM commands AS c WHERE c.organizer = k.organizer AND c.id = k.id LIMIT 1) AS c",
        k1 = leads_of("l0"),
        l1 = lookup("k1"),
        l1_new = not_in("l0", "k1"),
        k2 = leads_of("l1"),
        l2 = lookup("k2"),
        l2_new0 = not_in("l0", "k2"),
        l2_new1 = not_in("l1", "k2"),
    )
});

/// [`READ_FOLLOWED`] whose first keys also take the hits of one lookup of `index_entries`
/// (`$6` to `$11`, as in [`QUERY`]): the read of a plan with one lookup in one statement, sent
/// with the lookup's own statement (for the hits' sort keys) in the same round trip. Both run in
/// the read's snapshot, so they agree.
static READ_FOLLOWED_LOOKUP: LazyLock<String> = LazyLock::new(|| {
    READ_FOLLOWED.replacen(
        "FROM unnest($1::text[], $2::bytea[]) AS k (kind, id), LATERAL",
        "FROM (SELECT u.kind, u.id FROM unnest($1::text[], $2::bytea[]) AS u (kind, id) \
         UNION SELECT h.key_kind, h.key_id FROM (SELECT key_kind, key_id FROM index_entries \
         WHERE ix = $6 AND organizer = $7 AND term = $8 AND sort > $9 AND sort <= $10 \
         ORDER BY sort LIMIT $11) AS h) AS k (kind, id), LATERAL",
        1,
    )
});

/// The place of `lead` in [`Lead::ALL`]: its byte in the `leads` column, its bit in
/// [`READ_FOLLOWED`]'s mask.
fn lead_tag(lead: Lead) -> u8 {
    Lead::ALL
        .iter()
        .position(|l| *l == lead)
        .and_then(|n| u8::try_from(n).ok())
        .unwrap_or(u8::MAX)
}

/// The leads of `record`, as the commit function takes them: for each key it leads to
/// ([`Lead::each`]), the lead's tag (one byte) then the key's 16 bytes; the function stores each
/// 17 bytes as one element of the `leads` column.
fn lead_bytes(record: &Record) -> Vec<u8> {
    let mut out = Vec::new();
    Lead::each(record, |lead, key| {
        out.push(lead_tag(lead));
        out.extend_from_slice(key.uuid().as_bytes());
    });
    out
}

/// [`READ_FOLLOWED`]'s mask for `plan`.
fn follow_mask(plan: &ReadPlan) -> i32 {
    Lead::ALL
        .iter()
        .filter(|lead| plan.follows(**lead))
        .fold(0, |mask, lead| {
            mask | 1_i32.checked_shl(u32::from(lead_tag(*lead))).unwrap_or(0)
        })
}

/// The lead whose records have `kind` (to name a followed row, which no key asked for).
fn lead_of_kind(kind: &str) -> Option<Lead> {
    Lead::ALL
        .into_iter()
        .find(|lead| lead.key(Uuid::nil()).kind().as_str() == kind)
}

/// The SQLSTATE the commit function raises when a write finds another version than it expects;
/// its detail is `place actual` (the write's place in the call's arrays, from 1, and the version
/// stored, 0 when absent).
const VERSION_CONFLICT: &str = "ST409";
/// The SQLSTATE the commit function raises when another record holds a unique entry's term;
/// its detail is `place kind id` (the entry's place among the additions, the holder's kind and id).
const UNIQUE_TAKEN: &str = "ST423";

/// The whole commit, in the database: a batch is one call of this function, so one statement in
/// its own transaction and one round trip. The writes come in key order and are made in that
/// order (two instances committing overlapping batches lock rows in the same order: no deadlock
/// between them). A create is `INSERT .. ON CONFLICT DO NOTHING` (a failed plain `INSERT` would
/// abort the transaction: 25P02), an update `UPDATE .. WHERE version = $n`; either changing no
/// row raises [`VERSION_CONFLICT`], which rolls the whole call back. Then the index removals,
/// the additions (a unique term held by another record raises [`UNIQUE_TAKEN`]), and last the
/// feed rows, whose positions come from the one row of `feed_counter`: its lock is held until
/// the commit, so positions follow commit order.
const COMMIT_FUNCTION: &str = r#"
CREATE OR REPLACE FUNCTION secure_ticket_commit(
    w_kind text[], w_id bytea[], w_expected bigint[], w_at bigint[], w_body text[],
    w_leads bytea[],
    rd_organizer bytea[], rd_name text[], rd_position bigint[],
    x_unique boolean[], x_ix smallint[], x_organizer bytea[], x_term text[], x_sort bytea[],
    a_unique boolean[], a_ix smallint[], a_organizer bytea[], a_term text[], a_sort bytea[],
    a_kind text[], a_id bytea[],
    f_organizer bytea[], f_command bytea[], f_at bigint[], f_events text[])
RETURNS void LANGUAGE plpgsql
-- Every statement below reaches its rows through a key. Plans are kept for the connection's
-- life; one made while a table was nearly empty would join by hashing and scan the whole table
-- at every call until the next ANALYZE: without hash and merge joins, every join is a loop of
-- index lookups. JIT compiling pays only for long queries.
SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off
AS $body$
DECLARE
    i integer;
    stored bigint;
    holder_kind text;
    holder_id bytea;
    count bigint;
BEGIN
    FOR i IN 1 .. coalesce(array_length(w_kind, 1), 0) LOOP
        IF w_kind[i] = '*command' THEN
            IF w_expected[i] = 0 THEN
                INSERT INTO commands (organizer, id, version, at, body)
                VALUES (substring(w_id[i] FROM 1 FOR 16), substring(w_id[i] FROM 17), 1,
                        w_at[i], w_body[i])
                ON CONFLICT DO NOTHING;
            ELSE
                UPDATE commands SET version = version + 1, at = w_at[i], body = w_body[i]
                WHERE organizer = substring(w_id[i] FROM 1 FOR 16)
                  AND id = substring(w_id[i] FROM 17) AND version = w_expected[i];
            END IF;
            IF NOT FOUND THEN
                SELECT version INTO stored FROM commands
                WHERE organizer = substring(w_id[i] FROM 1 FOR 16)
                  AND id = substring(w_id[i] FROM 17);
                RAISE EXCEPTION 'version conflict' USING ERRCODE = 'ST409',
                    DETAIL = i || ' ' || coalesce(stored, 0);
            END IF;
        ELSE
            IF w_expected[i] = 0 THEN
                INSERT INTO records (kind, id, version, body, leads)
                VALUES (w_kind[i], w_id[i], 1, w_body[i], ARRAY(
                    SELECT substring(w_leads[i] FROM n * 17 + 1 FOR 17)
                    FROM generate_series(0, length(w_leads[i]) / 17 - 1) AS n))
                ON CONFLICT DO NOTHING;
            ELSE
                UPDATE records SET version = version + 1, body = w_body[i], leads = ARRAY(
                    SELECT substring(w_leads[i] FROM n * 17 + 1 FOR 17)
                    FROM generate_series(0, length(w_leads[i]) / 17 - 1) AS n)
                WHERE kind = w_kind[i] AND id = w_id[i] AND version = w_expected[i];
            END IF;
            IF NOT FOUND THEN
                SELECT version INTO stored FROM records WHERE kind = w_kind[i] AND id = w_id[i];
                RAISE EXCEPTION 'version conflict' USING ERRCODE = 'ST409',
                    DETAIL = i || ' ' || coalesce(stored, 0);
            END IF;
        END IF;
    END LOOP;
    INSERT INTO reader_positions (organizer, name, position)
    SELECT * FROM unnest(rd_organizer, rd_name, rd_position)
    ON CONFLICT (organizer, name) DO UPDATE SET position = excluded.position;
    DELETE FROM index_entries e
    USING unnest(x_unique, x_ix, x_organizer, x_term, x_sort) AS u(uniq, ix, organizer, term, sort)
    WHERE NOT u.uniq AND e.ix = u.ix AND e.organizer = u.organizer AND e.term = u.term
      AND e.sort = u.sort;
    DELETE FROM unique_entries e
    USING unnest(x_unique, x_ix, x_organizer, x_term, x_sort) AS u(uniq, ix, organizer, term, sort)
    WHERE u.uniq AND e.ix = u.ix AND e.organizer = u.organizer AND e.term = u.term
      AND e.sort = u.sort;
    INSERT INTO index_entries (ix, organizer, term, sort, key_kind, key_id)
    SELECT u.ix, u.organizer, u.term, u.sort, u.kind, u.id
    FROM unnest(a_unique, a_ix, a_organizer, a_term, a_sort, a_kind, a_id)
        AS u(uniq, ix, organizer, term, sort, kind, id)
    WHERE NOT u.uniq
    ON CONFLICT (ix, organizer, term, sort) DO UPDATE
    SET key_kind = excluded.key_kind, key_id = excluded.key_id;
    FOR i IN 1 .. coalesce(array_length(a_ix, 1), 0) LOOP
        CONTINUE WHEN NOT a_unique[i];
        INSERT INTO unique_entries (ix, organizer, term, sort, key_kind, key_id)
        VALUES (a_ix[i], a_organizer[i], a_term[i], a_sort[i], a_kind[i], a_id[i])
        ON CONFLICT (ix, organizer, term) DO NOTHING;
        CONTINUE WHEN FOUND;
        SELECT key_kind, key_id INTO holder_kind, holder_id FROM unique_entries
        WHERE ix = a_ix[i] AND organizer = a_organizer[i] AND term = a_term[i];
        IF holder_kind IS NULL THEN
            -- the holder went away since the insert looked: decide again
            RAISE EXCEPTION 'unique entry moved' USING ERRCODE = '40001';
        END IF;
        -- held by this record already (an update adds its entries again): no conflict
        IF holder_kind <> a_kind[i] OR holder_id <> a_id[i] THEN
            RAISE EXCEPTION 'unique entry taken' USING ERRCODE = 'ST423',
                DETAIL = i || ' ' || holder_kind || ' ' || encode(holder_id, 'hex');
        END IF;
    END LOOP;
    count := coalesce(array_length(f_organizer, 1), 0);
    IF count > 0 THEN
        WITH counter AS (UPDATE feed_counter SET last = last + count RETURNING last)
        INSERT INTO feed (position, organizer, command, at, events)
        SELECT counter.last - count + u.n, u.organizer, u.command, u.at, u.events
        FROM counter, unnest(f_organizer, f_command, f_at, f_events) WITH ORDINALITY
            AS u(organizer, command, at, events, n);
    END IF;
END
$body$;
"#;
const CALL_COMMIT: &str = "SELECT secure_ticket_commit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
    $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)";
/// The commit function of schema version 2, which took no leads.
const DROP_COMMIT_V2: &str = "DROP FUNCTION IF EXISTS secure_ticket_commit(text[], bytea[], \
    bigint[], bigint[], text[], bytea[], text[], bigint[], boolean[], smallint[], bytea[], text[], \
    bytea[], boolean[], smallint[], bytea[], text[], bytea[], text[], bytea[], bytea[], bytea[], \
    bigint[], text[])";
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
/// The last feed row of each command asked for (a command appends at most one).
/// An index lookup per command, as in [`LOAD_ALL`].
const FEED_OF: &str = "SELECT f.position, f.organizer, f.command, f.at, f.events \
    FROM unnest($1::bytea[], $2::bytea[]) AS u (organizer, command), LATERAL (SELECT * \
    FROM feed AS f WHERE f.organizer = u.organizer AND f.command = u.command \
    ORDER BY f.position DESC LIMIT 1) AS f";

/// The oldest command rows up to a time, at most a number of them, in one statement: the rows are
/// found through the time index and removed by their tuple ids (no join to plan).
const DELETE_OLDEST_COMMANDS: &str = "DELETE FROM commands WHERE ctid = ANY (ARRAY( \
    SELECT ctid FROM commands WHERE at <= $1 ORDER BY at, id, organizer LIMIT $2))";
const ANY_COMMAND_UP_TO: &str = "SELECT 1 FROM commands WHERE at <= $1 LIMIT 1";
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
            Some(SCHEMA_VERSION) => {}
            // Version 1 had no commit function and version 2 no `leads` column (added by
            // `SCHEMA`): rows written before have none, and reads follow them step by step.
            older => {
                transaction.batch_execute(DROP_COMMIT_V2).await?;
                transaction.batch_execute(COMMIT_FUNCTION).await?;
                let sql = if older.is_some() {
                    "UPDATE secure_ticket_schema SET version = $1"
                } else {
                    "INSERT INTO secure_ticket_schema (version) VALUES ($1)"
                };
                transaction.execute(sql, &[&SCHEMA_VERSION]).await?;
            }
        }
        transaction.commit().await?;
        client.batch_execute(&session(schema)).await?;
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

    /// Runs a raw query on this store's connection: its rows (for measurements, such as the
    /// WAL position or the size of the tables).
    ///
    /// # Errors
    ///
    /// The driver's error.
    pub async fn query_raw(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
        self.client.lock().await.query(sql, params).await
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
                .batch_execute(&session(&self.schema))
                .await
                .map_err(failed)?;
            // Statements belong to the connection that prepared them.
            if let Ok(mut statements) = self.statements.lock() {
                statements.clear();
            }
        }
        Ok(client)
    }

    fn trip(&self, n: u64) {
        self.trips.fetch_add(n, Ordering::Relaxed);
    }

    /// The records under `keys`; with `follow`, also those they lead to as the plan follows
    /// them ([`READ_FOLLOWED`]), and whether a row had no leads to follow (written by schema
    /// version 2).
    async fn load_in<C: GenericClient>(
        &self,
        client: &C,
        keys: &[RecordKey],
        follow: Option<&ReadPlan>,
    ) -> Result<(Vec<Versioned<Record>>, bool), StoreError> {
        self.load_with(client, keys, follow, None).await
    }

    /// [`load_in`](Self::load_in); with `lookup` (and `follow`), the lookup's records too, in the
    /// same statement ([`READ_FOLLOWED_LOOKUP`]).
    async fn load_with<C: GenericClient>(
        &self,
        client: &C,
        keys: &[RecordKey],
        follow: Option<&ReadPlan>,
        lookup: Option<&Lookup>,
    ) -> Result<(Vec<Versioned<Record>>, bool), StoreError> {
        let failed = |e| backend(Operation::Load, None, e);
        let (mut kinds, mut ids, mut organizers, mut commands) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // A row is matched to the key asked for: a reader cursor's key is a hash of its parts,
        // which its row's id alone does not give back.
        let mut asked: HashMap<(&str, [u8; 16]), RecordKey> = HashMap::with_capacity(keys.len());
        // Each key once: the statement looks every key up, so a repeated key would repeat its row.
        let mut asked_commands: HashSet<CommandKey> = HashSet::new();
        for &key in keys {
            match key {
                RecordKey::Command(command) => {
                    if asked_commands.insert(command) {
                        organizers.push(command.organizer.as_uuid().as_bytes().to_vec());
                        commands.push(command.id.as_uuid().as_bytes().to_vec());
                    }
                }
                key => {
                    if asked
                        .insert((key.kind().as_str(), *key.uuid().as_bytes()), key)
                        .is_none()
                    {
                        kinds.push(key.kind().as_str());
                        ids.push(key.uuid().as_bytes().to_vec());
                    }
                }
            }
        }
        let mut found = Vec::with_capacity(keys.len());
        let mut unfollowed = false;
        if keys.is_empty() && lookup.is_none() {
            return Ok((found, unfollowed));
        }
        // Both tables in one statement, one round trip: a command row comes back under the
        // marker kind `*command`, its id the organizer's 16 bytes then the command's.
        self.trip(1);
        let rows = match (follow, lookup) {
            (Some(plan), Some(lookup)) => {
                let statement =
                    prepared(client, &self.statements, READ_FOLLOWED_LOOKUP.as_str()).await?;
                let mask = follow_mask(plan);
                let after = lookup.after.map(SortKey::to_bytes);
                let after: &[u8] = after.as_ref().map_or(&[], |bytes| bytes.as_slice());
                let until = lookup.until.to_bytes();
                client
                    .query(
                        &statement,
                        &[
                            &kinds,
                            &ids,
                            &organizers,
                            &commands,
                            &mask,
                            &i16::from(lookup.index.number()),
                            &lookup.organizer.as_uuid().as_bytes().as_slice(),
                            &lookup.term.to_string(),
                            &after,
                            &until.as_slice(),
                            &i64::from(lookup.limit),
                        ],
                    )
                    .await
            }
            (Some(plan), None) => {
                let statement = prepared(client, &self.statements, READ_FOLLOWED.as_str()).await?;
                let mask = follow_mask(plan);
                client
                    .query(&statement, &[&kinds, &ids, &organizers, &commands, &mask])
                    .await
            }
            (None, _) => {
                let statement = prepared(client, &self.statements, LOAD_ALL).await?;
                client
                    .query(&statement, &[&kinds, &ids, &organizers, &commands])
                    .await
            }
        }
        .map_err(failed)?;
        for row in rows {
            unfollowed |= row.try_get::<_, bool>(4).map_err(failed)?;
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
                let Ok(id) = <[u8; 16]>::try_from(id) else {
                    continue; // not a key: ids are 16 bytes
                };
                match asked.get(&(kind, id)) {
                    Some(&key) => key,
                    // A record a found one leads to.
                    None => match lead_of_kind(kind) {
                        Some(lead) => lead.key(Uuid::from_bytes(id)),
                        None => continue, // neither asked for nor led to
                    },
                }
            };
            let version: i64 = row.try_get(2).map_err(failed)?;
            let body: &str = row.try_get(3).map_err(failed)?;
            found.push(decode(key, version, body)?);
        }
        Ok((found, unfollowed))
    }

    async fn query_in<C: GenericClient>(
        &self,
        client: &C,
        lookup: &Lookup,
    ) -> Result<Vec<Hit>, StoreError> {
        self.trip(1);
        self.hits_of(client, lookup).await
    }

    /// The hits of `lookup`: [`query_in`](Self::query_in) without counting a round trip (for a
    /// statement sent with another one).
    async fn hits_of<C: GenericClient>(
        &self,
        client: &C,
        lookup: &Lookup,
    ) -> Result<Vec<Hit>, StoreError> {
        let failed = |e| backend(Operation::Load, None, e);
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
                if commands.is_empty() {
                    return Ok(Vec::new());
                }
                // Each command once: the statement looks every command up.
                let mut commands = commands.clone();
                commands.sort_unstable();
                commands.dedup();
                let organizers: Vec<Vec<u8>> = commands
                    .iter()
                    .map(|key| key.organizer.as_uuid().as_bytes().to_vec())
                    .collect();
                let ids: Vec<Vec<u8>> = commands
                    .iter()
                    .map(|key| key.id.as_uuid().as_bytes().to_vec())
                    .collect();
                self.trip(1);
                let rows = client
                    .query(
                        &prepared(client, &self.statements, FEED_OF).await?,
                        &[&organizers, &ids],
                    )
                    .await
                    .map_err(failed)?;
                rows.iter().map(feed_entry).collect()
            }
            _ => Ok(Vec::new()),
        }
    }

    async fn read_in(&self, transaction: &Client, plan: &ReadPlan) -> Result<Read, StoreError> {
        let mut hits = Vec::with_capacity(plan.lookups().len());
        let (records, unfollowed) = match plan.lookups() {
            // One lookup of `index_entries` (a wallet, a sign-in's groups): its hits and the
            // read of the keys with them, two statements sent together, one round trip.
            [lookup] if !lookup.index.is_unique() && lookup.index != Index::CommandsByTime => {
                // Sent together: one round trip for the two (`load_with` counts it).
                let (found, loaded) = tokio::join!(
                    biased;
                    self.hits_of(transaction, lookup),
                    self.load_with(transaction, plan.keys(), Some(plan), Some(lookup)),
                );
                hits.push(found?);
                loaded?
            }
            lookups => {
                let mut keys = plan.keys().to_vec();
                for lookup in lookups {
                    let found = self.query_in(transaction, lookup).await?;
                    keys.extend(found.iter().map(|hit| hit.key));
                    hits.push(found);
                }
                // The keys and what they lead to, in one statement (which asks each key once).
                self.load_in(transaction, &keys, Some(plan)).await?
            }
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
        if !unfollowed {
            return Ok(read);
        }
        // Rows without their leads: the records the plan leads to, at most two more loads (as
        // `ReadPlan::follow`).
        let mut asked: Vec<RecordKey> = Vec::new();
        for _ in 0..2 {
            let mut next = plan.missing(&read);
            next.retain(|key| !asked.contains(key));
            if next.is_empty() {
                break;
            }
            asked.extend_from_slice(&next);
            let (more, _) = self.load_in(transaction, &next, None).await?;
            read.records.extend(more);
        }
        Ok(read)
    }

    /// The batch as the arguments of [`COMMIT_FUNCTION`]; `writes` are the batch's writes in key
    /// order (the function's errors name them by their place in it).
    fn commit_arguments(batch: &Batch, writes: &[&Write]) -> Result<CommitArguments, StoreError> {
        let mut args = CommitArguments::default();
        for write in writes {
            let key = write.record.key();
            args.w_body.push(
                json::to_string(&Envelope::borrowed(&write.record))
                    .map_err(|e| backend(Operation::Commit, Some(key), e))?,
            );
            args.w_expected.push(column_version(write.expected, key)?);
            match &write.record {
                Record::Command(command) => {
                    args.w_kind.push(COMMAND_MARKER);
                    let mut id = command.organizer.as_uuid().as_bytes().to_vec();
                    id.extend_from_slice(command.id.as_uuid().as_bytes());
                    args.w_id.push(id);
                    args.w_at.push(Some(nanos(command.at, key)?));
                    args.w_leads.push(None);
                }
                record => {
                    args.w_kind.push(key.kind().as_str());
                    args.w_id.push(key.uuid().as_bytes().to_vec());
                    args.w_at.push(None);
                    args.w_leads.push(Some(lead_bytes(record)));
                    if let Record::Reader(cursor) = record {
                        args.rd_organizer
                            .push(cursor.organizer.as_uuid().as_bytes().to_vec());
                        args.rd_name.push(cursor.name.as_str().to_owned());
                        args.rd_position
                            .push(i64::try_from(cursor.position.get()).unwrap_or(i64::MAX));
                    }
                }
            }
        }
        for entry in &batch.index.removed {
            if let Some(row) = EntryRow::new(entry)? {
                args.removed.push(row);
            }
        }
        for entry in &batch.index.added {
            if let Some(row) = EntryRow::new(entry)? {
                args.added.push(row);
            }
        }
        for append in &batch.feed {
            let key = RecordKey::Command(CommandKey::new(append.organizer, append.command));
            args.f_organizer
                .push(append.organizer.as_uuid().as_bytes().to_vec());
            args.f_command
                .push(append.command.as_uuid().as_bytes().to_vec());
            args.f_at.push(nanos(append.at, key)?);
            args.f_events.push(
                json::to_string(&append.events)
                    .map_err(|e| backend(Operation::Commit, Some(key), e))?,
            );
        }
        Ok(args)
    }

    /// The error of a failed [`COMMIT_FUNCTION`] call: the conflicts it raised, as the contract
    /// names them.
    fn commit_error(
        error: tokio_postgres::Error,
        writes: &[&Write],
        added: &[EntryRow],
    ) -> StoreError {
        let Some(db) = error.as_db_error() else {
            return backend(Operation::Commit, None, error);
        };
        let detail = db.detail().unwrap_or_default();
        let mut parts = detail.split(' ');
        let place = parts
            .next()
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1));
        match db.code().code() {
            VERSION_CONFLICT => {
                let actual = parts.next().and_then(|v| v.parse::<u64>().ok());
                if let (Some(write), Some(actual)) = (place.and_then(|i| writes.get(i)), actual) {
                    return StoreError::Conflict {
                        key: write.record.key(),
                        expected: write.expected,
                        actual: Version::new(actual),
                    };
                }
            }
            UNIQUE_TAKEN => {
                let row = place.and_then(|i| added.get(i));
                let holder = match (parts.next(), parts.next()) {
                    (Some(kind), Some(id)) => {
                        Uuid::try_parse(id).ok().and_then(|id| key_of(kind, id))
                    }
                    _ => None,
                };
                let index = row.and_then(|row| {
                    Index::ALL
                        .into_iter()
                        .find(|index| i16::from(index.number()) == row.ix)
                });
                if let (Some(index), Some(key), Some(holder)) =
                    (index, row.and_then(EntryRow::key), holder)
                {
                    return StoreError::UniqueEntryTaken { index, key, holder };
                }
            }
            _ => {}
        }
        let key = writes.first().map(|write| write.record.key());
        retryable(backend(Operation::Commit, key, error), key)
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
        // The oldest command rows, in one statement.
        self.trip(1);
        let deleted = transaction
            .execute(
                &prepared(transaction, &self.statements, DELETE_OLDEST_COMMANDS).await?,
                &[&last, &i64::from(limit)],
            )
            .await
            .map_err(failed)?;
        let count = u32::try_from(deleted).unwrap_or(u32::MAX);
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

/// A connection's settings: the schema, and plans prepared once. The store's statements take
/// arrays whose length the planner cannot know; a generic plan (index scans driven by the
/// arrays) is the right one for every length a batch has, and planning it again for every call
/// (PostgreSQL's default for the first calls of a statement) costs more than running it.
fn session(schema: &str) -> String {
    format!("SET search_path TO {schema}; SET plan_cache_mode TO force_generic_plan")
}

/// The start of [`PgStore::read`]'s snapshot.
const BEGIN_SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// Sends the request of `future` (its first poll puts the request on the connection) and drops
/// it: the connection reads and discards the answer. Requests on a connection run in the order
/// sent, so the next one runs after this one.
fn send_only<F: Future>(future: F) {
    let mut future = std::pin::pin!(future);
    let _ = future
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
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
    prepared_raw(client, statements, sql)
        .await
        .map_err(|e| backend(Operation::Load, None, e))
}

/// As [`prepared`], with the driver's error.
async fn prepared_raw<C: GenericClient>(
    client: &C,
    statements: &Statements,
    sql: &'static str,
) -> Result<Statement, tokio_postgres::Error> {
    let known = statements
        .lock()
        .ok()
        .and_then(|cache| cache.get(sql).cloned());
    if let Some(statement) = known {
        return Ok(statement);
    }
    let statement = client.prepare(sql).await?;
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
        Ok(self.load_in(&*client, keys, None).await?.0)
    }

    /// The whole plan in one `REPEATABLE READ READ ONLY` transaction: one snapshot. Its `BEGIN`
    /// goes out with the first statement and its `COMMIT` with the connection's next request,
    /// neither waited for: one round trip per step of the plan.
    async fn read(&self, plan: &ReadPlan) -> Result<Read, StoreError> {
        let client = self.connection().await?;
        // Polled first, BEGIN is sent first; both answers are read as they come, so the
        // connection never waits on an answer nobody polls.
        let (begun, read) = tokio::join!(
            biased;
            client.batch_execute(BEGIN_SNAPSHOT),
            self.read_in(&client, plan),
        );
        let end = if read.is_ok() && begun.is_ok() {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        send_only(client.batch_execute(end));
        begun.map_err(|e| backend(Operation::Load, None, e))?;
        read
    }

    /// The batch in one call of the database's commit function ([`COMMIT_FUNCTION`]): one
    /// round trip, all or nothing.
    async fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        if let Some(key) = batch.duplicate_key() {
            return Err(StoreError::DuplicateKey { key });
        }
        let mut writes: Vec<&Write> = batch.writes.iter().collect();
        writes.sort_by_key(|write| write.record.key());
        let arguments = Self::commit_arguments(&batch, &writes)?;
        let client = self.connection().await?;
        self.trip(1);
        let committed = arguments
            .call(&client, &self.statements)
            .await
            .map_err(|e| Self::commit_error(e, &writes, &arguments.added));
        if let Err(e) = &committed
            && e.is_conflict()
        {
            self.conflicts.fetch_add(1, Ordering::Relaxed);
        }
        committed
    }

    async fn query(&self, lookup: &Lookup) -> Result<Vec<Hit>, StoreError> {
        let client = self.connection().await?;
        self.query_in(&*client, lookup).await
    }

    /// One statement: one snapshot.
    async fn feed(&self, query: &FeedQuery) -> Result<Vec<FeedEntry>, StoreError> {
        let client = self.connection().await?;
        self.feed_in(&*client, query).await
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

/// The arguments of one [`COMMIT_FUNCTION`] call: the batch as arrays, one per column.
#[derive(Debug, Default)]
struct CommitArguments {
    w_kind: Vec<&'static str>,
    w_id: Vec<Vec<u8>>,
    w_expected: Vec<i64>,
    w_at: Vec<Option<i64>>,
    w_body: Vec<String>,
    w_leads: Vec<Option<Vec<u8>>>,
    rd_organizer: Vec<Vec<u8>>,
    rd_name: Vec<String>,
    rd_position: Vec<i64>,
    removed: Vec<EntryRow>,
    added: Vec<EntryRow>,
    f_organizer: Vec<Vec<u8>>,
    f_command: Vec<Vec<u8>>,
    f_at: Vec<i64>,
    f_events: Vec<String>,
}

impl CommitArguments {
    /// Calls the function: one statement, its own transaction, one round trip.
    async fn call(
        &self,
        client: &Client,
        statements: &Statements,
    ) -> Result<(), tokio_postgres::Error> {
        let (x, a) = (
            EntryColumns::of(&self.removed),
            EntryColumns::of(&self.added),
        );
        let statement = prepared_raw(client, statements, CALL_COMMIT).await?;
        client
            .execute(
                &statement,
                &[
                    &self.w_kind,
                    &self.w_id,
                    &self.w_expected,
                    &self.w_at,
                    &self.w_body,
                    &self.w_leads,
                    &self.rd_organizer,
                    &self.rd_name,
                    &self.rd_position,
                    &x.unique,
                    &x.ix,
                    &x.organizer,
                    &x.term,
                    &x.sort,
                    &a.unique,
                    &a.ix,
                    &a.organizer,
                    &a.term,
                    &a.sort,
                    &a.kind,
                    &a.id,
                    &self.f_organizer,
                    &self.f_command,
                    &self.f_at,
                    &self.f_events,
                ],
            )
            .await
            .map(|_| ())
    }
}

/// Index rows as the columns the commit function takes.
struct EntryColumns<'a> {
    unique: Vec<bool>,
    ix: Vec<i16>,
    organizer: Vec<&'a [u8]>,
    term: Vec<&'a str>,
    sort: Vec<&'a [u8]>,
    kind: Vec<&'a str>,
    id: Vec<&'a [u8]>,
}

impl<'a> EntryColumns<'a> {
    fn of(rows: &'a [EntryRow]) -> Self {
        Self {
            unique: rows.iter().map(|r| r.unique).collect(),
            ix: rows.iter().map(|r| r.ix).collect(),
            organizer: rows.iter().map(|r| r.organizer.as_slice()).collect(),
            term: rows.iter().map(|r| r.term.as_str()).collect(),
            sort: rows.iter().map(|r| r.sort.as_slice()).collect(),
            kind: rows.iter().map(|r| r.key_kind).collect(),
            id: rows.iter().map(|r| r.key_id.as_slice()).collect(),
        }
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
    let events: Events = serde_json::from_str(events).map_err(|e| corrupt(Box::new(e)))?;
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
        k if k == RecordKind::Spectator.as_str() => RecordKey::Spectator(id.into()),
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
