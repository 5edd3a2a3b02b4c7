//! A SQLite [`Store`]: the worked example of implementing the storage contract for a SQL database
//! (SPEC X4, X5, Q1, F1-F3, X8). This file is the reusable part of the `sqlite_store` example
//! (`main.rs` beside it is the demo): [`SqliteStore`] and its [`Store`] implementation, nothing
//! else.
//!
//! The recipe carries over to PostgreSQL, MySQL or CockroachDB:
//!
//! - A versioned schema. `PRAGMA user_version` holds [`SCHEMA_VERSION`] (4). `open` creates the
//!   tables in a new file and upgrades an older file in one `BEGIN IMMEDIATE` transaction: from
//!   version 0 or 1 (the `records` table alone) command records move to `commands` and every
//!   other record gets its index entries; from version 2 or 3, every ticket gets its entries of
//!   the unique indexes (a file with two valid tickets for one right is refused); from version 2
//!   (and after those steps) the `sum` columns are added and filled for every body. A file of a higher version is refused
//!   ([`OpenError::NewerSchema`]): a newer build wrote it, and this one would misread it.
//!   Elsewhere, a one-row `schema_version` table does the same. An existing file of 0 bytes is
//!   refused ([`OpenError::EmptyFile`]): SQLite would read it as an empty database, but this store
//!   never leaves one, so it is damaged, not empty (contract item 6). A missing file is created.
//! - Every stored body has a checksum beside it, `sum`: the 16 bytes of a
//!   [`Digester`] of domain `secure-ticket/sqlite-body` fed the body's bytes, written with every
//!   insert and update and checked at every load before the body is decoded. A mismatch (or a
//!   missing sum) is [`StoreError::Corrupt`] naming the key: a flipped bit inside a JSON string
//!   or number still decodes, as a different, valid record, and only the checksum tells. It costs
//!   17 bytes per row with a body (the BLOB and its 1-byte type in the row header).
//! - `records (kind, id, version, body, sum)`, keyed by `(kind, id)`, the id as the 16 bytes of
//!   [`RecordKey::uuid`]: every record but command records. The body is the record's [`Envelope`]
//!   as JSON; the version sits in its own column so the database can compare it. Keep the body as
//!   written (TEXT or bytes): [`Decoded`] skips a newer record only when `min_reader` comes before
//!   `record`, and a JSON type that reorders keys (PostgreSQL's JSONB) breaks that.
//! - `commands (organizer, id, version, at, digest, events, body, sum) WITHOUT ROWID`, keyed by the
//!   command key: every command writes one, so it is kept small. An accepted command record whose
//!   time is in UTC is its columns alone (`body` NULL): the request's 16-byte digest, the number
//!   of events, `at` in unix nanoseconds. Any other (a refusal, a format-1 record, a time with an
//!   offset) keeps its envelope in `body` (with its `sum`), checked and decoded as in
//!   `records`. The schema version stands in for the envelope's `format`: a build that changes
//!   these columns' meaning bumps it.
//! - `index_entries (ix, organizer, term, sort, key_kind, key_id) WITHOUT ROWID`, primary key
//!   `(ix, organizer, term, sort)`: `ix` is [`Index::number`], `term` the [`Term`]'s text, `sort`
//!   the 32 bytes of [`SortKey::to_bytes`] (a BLOB compares them as the contract orders them),
//!   the key as its kind and UUID. [`Index::CommandsByTime`] has no rows: a command's entry is
//!   `(oldest_first(at), id)`, a function of its row, so the index `commands_by_time ON commands
//!   (at, id)` (which holds `(at, id, organizer)`: the entries in their order, then the key) is
//!   that index, and a command record and its entry come and go together.
//! - `unique_entries`, the same columns, primary key `(ix, organizer, term)`: the entries of the
//!   unique indexes ([`Index::is_unique`], contract item 10: [`Index::ValidTicketByRight`]), so
//!   the primary key is the uniqueness. An entry is written with `INSERT .. ON CONFLICT (ix,
//!   organizer, term) DO NOTHING`; when that changes no row, the holder is read (`SELECT key_kind,
//!   key_id`) to name it in [`StoreError::UniqueEntryTaken`] and the batch is rolled back. A
//!   second table rather than a partial unique index on `index_entries`: one B-tree to maintain,
//!   and no extra `SELECT` on the common path.
//! - `feed (position INTEGER PRIMARY KEY AUTOINCREMENT, organizer, command, at, events)`, `at` in
//!   unix nanoseconds, `events` the JSON array of the command's events; `feed_by_organizer
//!   (organizer)` (which holds `(organizer, position)`) for an organizer's entries in order,
//!   `feed_by_command (organizer, command)` for a command's entry. `AUTOINCREMENT` never gives a
//!   position twice, even after the highest entries are pruned.
//! - `reader_positions (organizer, name, position) WITHOUT ROWID`: each reader cursor's position,
//!   written with its record in the same transaction, so that retention finds the slowest reader
//!   of an organizer in SQL. The cursor itself is a record like any other.
//! - Times in `at` columns are unix nanoseconds in a signed 64-bit integer: 1677-09-21 to
//!   2262-04-11, which holds the crate's [`time_range`](secure_ticket::time_range) (the shell
//!   refuses any other time before it reaches a store). A commit of a time outside it, through the
//!   store directly, is refused with [`StoreError::Backend`].
//! - `load`: one `SELECT .. WHERE (kind, id) IN (VALUES (?, ?), ..)` on `records` and one
//!   `WHERE (organizer, id) IN ..` on `commands` for all the keys (chunked to stay under the
//!   database's parameter limit). Each body is decoded as [`Decoded`] and checked by
//!   [`Decoded::into_record`], which refuses newer formats and records under the wrong key.
//! - `commit`: one transaction per batch, opened with `BEGIN IMMEDIATE` so it holds the write lock
//!   from the start, each of its statements taken from the statement cache once for the batch
//!   (not once per row). The inserts of the batch (new records, command records, index entries,
//!   feed entries) go in multi-row `INSERT OR IGNORE` statements of 64, 16, 4 or 1 rows: one
//!   statement's overhead for many rows, and an `OR IGNORE` statement cannot abort half way, so
//!   SQLite keeps no statement journal for it. When one ignored a row (the key exists: a
//!   conflict, or an index entry added again) or a write fails, the transaction is rolled back
//!   and the batch runs again row by row in batch order, as below, which gives the exact answer. A write that expects [`Version::NEW`] is an `INSERT`, and a duplicate primary
//!   key means [`StoreError::Conflict`]. Any other write is
//!   `UPDATE records SET version = version + 1, body = ?, sum = ? WHERE kind = ? AND id = ? AND
//!   version = ?`,
//!   which must change exactly one row; otherwise the batch is rolled back and the conflict names
//!   the version actually stored. The `WHERE .. version = ?` is the compare-and-swap: it is what
//!   keeps many service instances on one database correct without locks held across requests.
//!   Then, in the same transaction:
//!   - item 7 (index entries): `DELETE FROM index_entries WHERE ix = ? AND organizer = ? AND term
//!     = ? AND sort = ?` for each removed entry, then `INSERT OR REPLACE INTO index_entries` for
//!     each added one (in `unique_entries` for a unique index: `OR REPLACE` there would silently
//!     delete another ticket's row);
//!   - item 8 (feed): `INSERT INTO feed (organizer, command, at, events)` for each entry, in batch
//!     order. `AUTOINCREMENT` gives `MAX(every position ever given) + 1`, inside the write lock:
//!     positions follow commit order, and a rolled back commit appends nothing.
//! - `read`: the whole [`ReadPlan`] inside one read transaction ([`ReadPlan::read_with`] over
//!   the transaction's loads, queries and feed reads): a command is decided on one snapshot.
//! - `query` (item 7): `SELECT sort, key_kind, key_id FROM index_entries WHERE ix = ? AND
//!   organizer = ? AND term = ? AND sort > ? AND sort <= ? ORDER BY sort LIMIT ?` (no `after`: an
//!   empty BLOB, below every key). [`Index::CommandsByTime`] reads `commands` instead: `WHERE
//!   organizer = ? AND (at, id) > (?, ?) AND (at, id) <= (?, ?) ORDER BY at, id`.
//! - `feed` (item 8): `WHERE organizer = ? AND position > ? ORDER BY position LIMIT ?` for
//!   [`FeedQuery::After`]; for [`FeedQuery::Of`], each command's entry by `(organizer, command)`.
//!   A row whose events do not decode is [`StoreError::Corrupt`], named by its command's key.
//! - `prune` (item 9), in one `BEGIN IMMEDIATE` transaction: `SELECT .. FROM commands WHERE at <=
//!   ? ORDER BY at, id, organizer LIMIT ?` (the oldest `CommandsByTime` entries first, in
//!   `(sort, key)` order, through `commands_by_time`), each deleted with its index entries;
//!   then, with what is left of the limit, the lowest feed positions in order while each is old
//!   enough and at or below `SELECT MIN(position) FROM reader_positions WHERE organizer = ?` of
//!   its organizer (no reader: passed), stopping at the first that is not, and `DELETE FROM feed
//!   WHERE position <= ?` the last of them.
//! - Checkpoints off the commit path: the store's connection has `wal_autocheckpoint=0`, and a
//!   thread of the store's, on a connection of its own, runs `PRAGMA wal_checkpoint(PASSIVE)`
//!   after each commit. A batch of 1,000 commands writes about 1,000 pages (4 MB) to the WAL, so
//!   SQLite's own checkpoint (at 1,000 pages) ran inside nearly every commit, with its two
//!   `fsync`s. Should the thread fall behind, a commit that finds the WAL file above
//!   [`WAL_LIMIT`] (128 MiB) checkpoints it with `TRUNCATE` itself, which bounds the WAL. The
//!   durability is WAL with `synchronous=NORMAL` as before: the checkpoint syncs the WAL before it
//!   copies it into the file. In a server database, this is its background writer's job.
//! - A cache of decoded records (optional, bounded): `load` serves cached records without reading
//!   or decoding their bodies, and stays right with other writers by checking SQLite's
//!   `PRAGMA data_version` (which moves when another connection commits) at every load. A cache
//!   can only make a load stale, never a write: the version check above still refuses a write
//!   based on an old version. In another database, use its change counter or a version-only
//!   `SELECT` instead.
//!
//! The store tests (`tests/store/`), the store bench (`benches/store.rs`) and the stadium example
//! include this file with `#[path]`. The tests run the conformance suite and the concurrency test
//! against [`SqliteStore`], two connections on one file; what only tests need (planting damaged
//! rows) lives with them, in `tests/store/sqlite_hooks.rs`, and works on the file with plain
//! rusqlite.

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;

use rusqlite::types::ValueRef;
use rusqlite::{
    CachedStatement, Connection, OptionalExtension, Transaction, TransactionBehavior, params,
};
use secure_ticket::command::{CommandRecord, RecordedOutcome};
use secure_ticket::digest::Digester;
use secure_ticket::feed::{FeedEntry, FeedQuery, Position, ReaderName};
use secure_ticket::index::{self, Hit, Index, IndexEntry, Lookup, SortKey, Term};
use secure_ticket::store::{
    Batch, BoxError, CommandKey, Decoded, Envelope, Operation, Pruned, Read, ReadPlan, Record,
    RecordKey, RecordKind, Store, StoreError, Version, Versioned, json,
};
use secure_ticket::{CommandId, Digest, Events, OrganizerId};
use time::OffsetDateTime;
use uuid::Uuid;

/// The schema this file creates and reads, kept in `PRAGMA user_version`.
pub const SCHEMA_VERSION: i64 = 4;

/// Room reserved per body when encoding a batch: a ticket is about 600 bytes, a feed entry about
/// as much.
const BODY_BYTES: usize = 768;

/// The keys of one `SELECT`: two parameters each, under SQLite's historical limit of 999.
const KEYS_PER_QUERY: usize = 400;

/// Command records read per step of `prune`.
const PRUNE_CHUNK: u32 = 256;

/// The WAL file's size at which a commit checkpoints it itself, with `TRUNCATE` (see
/// [`Checkpointer`]): the bound on the WAL, reached only when the checkpointer falls behind.
const WAL_LIMIT: u64 = 128 << 20;

/// Prepared statements a connection keeps (rusqlite keeps 16 by default).
const STATEMENTS: usize = 64;

/// The domain of the checksum in the `sum` columns: [`body_sum`].
const SUM_DOMAIN: &str = "secure-ticket/sqlite-body";

/// Every table and index, created if absent (the schema of version 4).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    id BLOB NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    sum BLOB,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS commands (
    organizer BLOB NOT NULL,
    id BLOB NOT NULL,
    version INTEGER NOT NULL,
    at INTEGER,
    digest BLOB,
    events INTEGER,
    body TEXT,
    sum BLOB,
    PRIMARY KEY (organizer, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS commands_by_time ON commands (at, id);
CREATE TABLE IF NOT EXISTS index_entries (
    ix INTEGER NOT NULL,
    organizer BLOB NOT NULL,
    term TEXT NOT NULL,
    sort BLOB NOT NULL,
    key_kind TEXT NOT NULL,
    key_id BLOB NOT NULL,
    PRIMARY KEY (ix, organizer, term, sort)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unique_entries (
    ix INTEGER NOT NULL,
    organizer BLOB NOT NULL,
    term TEXT NOT NULL,
    sort BLOB NOT NULL,
    key_kind TEXT NOT NULL,
    key_id BLOB NOT NULL,
    PRIMARY KEY (ix, organizer, term)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    organizer BLOB NOT NULL,
    command BLOB NOT NULL,
    at INTEGER NOT NULL,
    events TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feed_by_organizer ON feed (organizer);
CREATE INDEX IF NOT EXISTS feed_by_command ON feed (organizer, command);
CREATE TABLE IF NOT EXISTS reader_positions (
    organizer BLOB NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (organizer, name)
) WITHOUT ROWID;
";

const INSERT_RECORD: &str =
    "INSERT INTO records (kind, id, version, body, sum) VALUES (?1, ?2, ?3, ?4, ?5)";
const UPDATE_RECORD: &str = "UPDATE records SET version = version + 1, body = ?1, sum = ?2 \
                             WHERE kind = ?3 AND id = ?4 AND version = ?5";
const RECORD_VERSION: &str = "SELECT version FROM records WHERE kind = ?1 AND id = ?2";

const INSERT_COMMAND: &str = "INSERT INTO commands \
    (organizer, id, version, at, digest, events, body, sum) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
const UPDATE_COMMAND: &str = "UPDATE commands \
    SET version = version + 1, at = ?1, digest = ?2, events = ?3, body = ?4, sum = ?5 \
    WHERE organizer = ?6 AND id = ?7 AND version = ?8";
const COMMAND_VERSION: &str = "SELECT version FROM commands WHERE organizer = ?1 AND id = ?2";
/// The columns of a command row, as [`command_record`] reads them.
const COMMAND_COLUMNS: &str = "organizer, id, version, at, digest, events, body, sum";

const PUT_READER: &str = "INSERT INTO reader_positions (organizer, name, position) \
    VALUES (?1, ?2, ?3) ON CONFLICT (organizer, name) DO UPDATE SET position = excluded.position";

const DELETE_ENTRY: &str =
    "DELETE FROM index_entries WHERE ix = ?1 AND organizer = ?2 AND term = ?3 AND sort = ?4";
const PUT_ENTRY: &str = "INSERT OR REPLACE INTO index_entries \
    (ix, organizer, term, sort, key_kind, key_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/// The entries of a unique index live in `unique_entries`, whose primary key is the uniqueness:
/// an insert that finds the (ix, organizer, term) taken changes nothing, and the holder is read.
const DELETE_UNIQUE_ENTRY: &str =
    "DELETE FROM unique_entries WHERE ix = ?1 AND organizer = ?2 AND term = ?3 AND sort = ?4";
const PUT_UNIQUE_ENTRY: &str = "INSERT INTO unique_entries \
    (ix, organizer, term, sort, key_kind, key_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
    ON CONFLICT (ix, organizer, term) DO NOTHING";
const UNIQUE_HOLDER: &str = "SELECT key_kind, key_id FROM unique_entries \
    WHERE ix = ?1 AND organizer = ?2 AND term = ?3";
const QUERY_UNIQUE: &str = "SELECT sort, key_kind, key_id FROM unique_entries \
                     WHERE ix = ?1 AND organizer = ?2 AND term = ?3 AND sort > ?4 AND sort <= ?5 \
                     ORDER BY sort LIMIT ?6";
const QUERY: &str = "SELECT sort, key_kind, key_id FROM index_entries \
                     WHERE ix = ?1 AND organizer = ?2 AND term = ?3 AND sort > ?4 AND sort <= ?5 \
                     ORDER BY sort LIMIT ?6";
const QUERY_COMMANDS: &str = "SELECT at, id FROM commands \
    WHERE organizer = ?1 AND (at, id) > (?2, ?3) AND (at, id) <= (?4, ?5) \
    ORDER BY at, id LIMIT ?6";

const APPEND: &str = "INSERT INTO feed (organizer, command, at, events) VALUES (?1, ?2, ?3, ?4)";
/// The columns of a feed row, as [`feed_entry`] reads them.
const FEED_AFTER: &str = "SELECT position, organizer, command, at, events FROM feed \
                          WHERE organizer = ?1 AND position > ?2 ORDER BY position LIMIT ?3";
const FEED_OF: &str = "SELECT position, organizer, command, at, events FROM feed \
                       WHERE organizer = ?1 AND command = ?2 ORDER BY position DESC LIMIT 1";

const OLDEST_COMMANDS: &str = "SELECT organizer, id, version, at, digest, events, body, sum \
    FROM commands WHERE at <= ?1 ORDER BY at, id, organizer LIMIT ?2";
const ANY_COMMAND_UP_TO: &str = "SELECT 1 FROM commands WHERE at <= ?1 LIMIT 1";
const DELETE_COMMAND: &str = "DELETE FROM commands WHERE organizer = ?1 AND id = ?2";
const OLDEST_FEED: &str = "SELECT position, organizer, at FROM feed ORDER BY position";
const READ_UP_TO: &str = "SELECT MIN(position) FROM reader_positions WHERE organizer = ?1";
const DELETE_FEED: &str = "DELETE FROM feed WHERE position <= ?1";

/// A [`Store`] over one SQLite database file.
///
/// Each `SqliteStore` is one connection, behind a mutex so that `&self` methods work and the store
/// is `Send + Sync`. Open several on the same file for several handles (as several service instances
/// would share one database): WAL mode lets them read while one writes. Each keeps up to
/// [`SqliteStore::CACHED_RECORDS`] decoded records (see [`SqliteStore::open_with_cache`]).
#[derive(Debug)]
pub struct SqliteStore {
    inner: Mutex<Inner>,
    path: PathBuf,
    checkpointer: Checkpointer,
}

/// Checkpoints the WAL off the commit path: a thread with a connection of its own runs
/// `PRAGMA wal_checkpoint(PASSIVE)` after each commit (the store's connection has
/// `wal_autocheckpoint=0`), so that the commit does not wait for the checkpoint's writes and its
/// two `fsync`s. A passive checkpoint never blocks a writer or a reader; once it has copied every
/// frame, the next commit starts the WAL over from its beginning. Durability is WAL with
/// `synchronous=NORMAL` either way: a commit is in the WAL (not yet synced) when it returns, and
/// the checkpoint syncs the WAL before it copies it. Should the thread fall behind (a reader that
/// holds an old snapshot, commits faster than the disk), a commit that finds the WAL file above
/// [`WAL_LIMIT`] checkpoints it with `TRUNCATE` itself: the WAL stays under about that size.
#[derive(Debug)]
struct Checkpointer {
    /// Wakes the thread; one pending wake is enough (it checkpoints every frame there is).
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
    /// The WAL file, whose size bounds the WAL.
    wal: PathBuf,
}

impl Checkpointer {
    /// Starts the thread on its own connection to the database at `path`.
    fn start(path: &Path) -> Result<Self, OpenError> {
        let connection = Connection::open(path)?;
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || {
                while woken.recv().is_ok() {
                    // A failure (SQLITE_BUSY while another checkpoint runs) leaves the frames
                    // for the next wake.
                    let _ = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .map_err(OpenError::Checkpointer)?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        Ok(Self {
            wake: Some(wake),
            thread: Some(thread),
            wal: PathBuf::from(wal),
        })
    }

    /// After a commit on `connection`: wakes the thread, or checkpoints the WAL here when it has
    /// grown past [`WAL_LIMIT`]. The commit has landed already, so a failure here is not the
    /// commit's: it is left for the next one.
    fn committed(&self, connection: &Connection) {
        if std::fs::metadata(&self.wal).is_ok_and(|m| m.len() > WAL_LIMIT) {
            let _ = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        } else if let Some(wake) = &self.wake {
            let _ = wake.try_send(()); // full: a wake is pending already
        }
    }
}

impl Drop for SqliteStore {
    /// Stops the checkpointer before the store's connection closes (the last connection to close
    /// checkpoints the WAL and removes it).
    fn drop(&mut self) {
        self.checkpointer.wake = None; // the thread's `recv` fails: it ends
        if let Some(thread) = self.checkpointer.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The connection and the records it has decoded or written, under one lock.
#[derive(Debug)]
struct Inner {
    connection: Connection,
    cache: Cache,
}

/// Decoded records by key, each with its version: a load serves them without reading or decoding
/// the body again.
///
/// It stays right with other connections on the file: SQLite's `PRAGMA data_version` changes when
/// any *other* connection commits, and every load checks it (inside the load's read transaction)
/// and drops the whole cache when it moved. This connection's own commits update the entries they
/// wrote; a refused batch drops its keys, and `prune` drops the command records it removed. Two
/// generations bound it: when the young one is full it becomes the old one and the previous old
/// one is dropped; a hit in the old one moves up. Command records are written once and read only
/// on a retry, so commits leave them out.
#[derive(Debug)]
struct Cache {
    /// `PRAGMA data_version` when the entries were last known right.
    data_version: i64,
    young: HashMap<RecordKey, Versioned<Record>>,
    old: HashMap<RecordKey, Versioned<Record>>,
    /// Records per generation; 0 turns the cache off.
    generation: usize,
}

impl Cache {
    fn new(records: usize, data_version: i64) -> Self {
        Self {
            data_version,
            young: HashMap::new(),
            old: HashMap::new(),
            generation: records / 2,
        }
    }

    fn clear(&mut self) {
        self.young.clear();
        self.old.clear();
    }

    fn get(&mut self, key: RecordKey) -> Option<Versioned<Record>> {
        if let Some(hit) = self.young.get(&key) {
            return Some(hit.clone());
        }
        let hit = self.old.remove(&key)?;
        self.put(key, hit.clone());
        Some(hit)
    }

    fn put(&mut self, key: RecordKey, record: Versioned<Record>) {
        if self.generation == 0 {
            return;
        }
        if self.young.len() >= self.generation && !self.young.contains_key(&key) {
            self.old = std::mem::take(&mut self.young);
            self.young.reserve(self.generation);
        }
        self.old.remove(&key);
        self.young.insert(key, record);
    }

    fn forget(&mut self, key: RecordKey) {
        self.young.remove(&key);
        self.old.remove(&key);
    }
}

/// Why [`SqliteStore::open`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum OpenError {
    /// SQLite failed: the file cannot be opened, read or set up.
    Sqlite(rusqlite::Error),
    /// The file exists but is empty (0 bytes). Every database this store writes is at least one
    /// page, so an empty file is a damaged or truncated one (or not a database at all), not an
    /// empty store; nothing was changed. A path that does not exist creates a new database.
    EmptyFile {
        /// The database file.
        path: PathBuf,
    },
    /// The file's schema is newer than this build's ([`SCHEMA_VERSION`]): a newer build wrote it.
    /// Nothing was changed; open it with a build that reads that schema.
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// Its `PRAGMA user_version`.
        found: i64,
    },
    /// The checkpointer's thread ([`Checkpointer`]) could not be started.
    Checkpointer(std::io::Error),
    /// Upgrading a file of an older schema met a record it cannot read or place. Nothing was
    /// changed (the upgrade is one transaction): repair or remove the row, then open again.
    Upgrade {
        /// The database file.
        path: PathBuf,
        /// The row's `kind`.
        kind: String,
        /// The row's `id`, as a UUID (nil when it is not 16 bytes).
        id: Uuid,
        /// What is wrong with it.
        source: BoxError,
    },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(e) => write!(f, "SQLite failed to open the store: {e}"),
            Self::Checkpointer(e) => write!(f, "cannot start the store's checkpoint thread: {e}"),
            Self::EmptyFile { path } => write!(
                f,
                "{} is an empty file (0 bytes), not a database: it may be damaged or truncated; \
                 nothing was changed (restore it, or remove it to start a new store)",
                path.display()
            ),
            Self::NewerSchema { path, found } => write!(
                f,
                "{} has schema version {found} (PRAGMA user_version), newer than the version \
                 {SCHEMA_VERSION} this build reads: a newer build wrote it; \
                 open it with that build",
                path.display()
            ),
            Self::Upgrade {
                path,
                kind,
                id,
                source,
            } => write!(
                f,
                "cannot upgrade {} to schema version {SCHEMA_VERSION}: the {kind} row {id} is \
                 unreadable ({source}); nothing was changed",
                path.display()
            ),
        }
    }
}

impl Error for OpenError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Sqlite(e) => Some(e),
            Self::Checkpointer(e) => Some(e),
            Self::NewerSchema { .. } | Self::EmptyFile { .. } => None,
            Self::Upgrade { source, .. } => Some(source.as_ref()),
        }
    }
}

impl From<rusqlite::Error> for OpenError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Sqlite(error)
    }
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`: WAL journal, `synchronous=NORMAL`, a 5 s busy
    /// timeout, checkpoints on a thread of the store's ([`Checkpointer`]), and the schema of
    /// [`SCHEMA_VERSION`] (created, or upgraded from version 0 to 3).
    ///
    /// # Errors
    ///
    /// [`OpenError::EmptyFile`] for an existing file of 0 bytes (damaged, not an empty store),
    /// [`OpenError::NewerSchema`] for a file of a newer schema, [`OpenError::Upgrade`] when an
    /// older file holds a record the upgrade cannot read, [`OpenError::Sqlite`] if the file
    /// cannot be opened or set up.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        Self::open_with_cache(path, Self::CACHED_RECORDS)
    }

    /// How many decoded records [`SqliteStore::open`] keeps at most.
    pub const CACHED_RECORDS: usize = 65_536;

    /// [`SqliteStore::open`], keeping at most `records` decoded records (0: none, every load reads
    /// and decodes).
    ///
    /// # Errors
    ///
    /// As [`SqliteStore::open`].
    pub fn open_with_cache(path: impl AsRef<Path>, records: usize) -> Result<Self, OpenError> {
        let path = path.as_ref().to_path_buf();
        // SQLite reads a 0-byte file as an empty database; this store never leaves one (the
        // journal mode below writes the first page), so it is damaged. A missing file is new.
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == 0) {
            return Err(OpenError::EmptyFile { path });
        }
        let mut connection = Connection::open(&path)?;
        // Setting the busy timeout first lets the other setup steps wait for a concurrent opener.
        connection.execute_batch("PRAGMA busy_timeout=5000")?;
        // Small pages (a new database only; a file keeps the size it was made with): a commit
        // writes every page it changes to the WAL, and the checkpoint writes it again, so a ticket
        // updated alone costs a page. In the stadium, 1 KiB pages write 6,570 bytes per command
        // where the default 4 KiB pages write 9,050, for up to 9 % more time.
        connection.execute_batch("PRAGMA page_size=1024")?;
        connection.execute_batch("PRAGMA journal_mode=WAL")?;
        connection.execute_batch("PRAGMA synchronous=NORMAL")?;
        set_up_schema(&mut connection, &path)?;
        // The checkpointer's thread checkpoints instead, off the commit path.
        connection.execute_batch("PRAGMA wal_autocheckpoint=0")?;
        // The commit's statements (its multi-row inserts: four per table) and the loads' stay
        // prepared.
        connection.set_prepared_statement_cache_capacity(STATEMENTS);
        let data_version = connection.pragma_query_value(None, "data_version", |row| row.get(0))?;
        let checkpointer = Checkpointer::start(&path)?;
        Ok(Self {
            inner: Mutex::new(Inner {
                connection,
                cache: Cache::new(records, data_version),
            }),
            path,
            checkpointer,
        })
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The settings in force on this connection, as `(pragma, value)`: `journal_mode`,
    /// `synchronous`, `wal_autocheckpoint`, `busy_timeout` and `user_version` (the schema
    /// version).
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when SQLite fails.
    pub fn pragmas(&self) -> Result<Vec<(&'static str, String)>, StoreError> {
        let operation = Operation::Load;
        let inner = self.lock(operation)?;
        let mut out = Vec::new();
        for name in [
            "journal_mode",
            "synchronous",
            "wal_autocheckpoint",
            "busy_timeout",
            "user_version",
        ] {
            let value = inner
                .connection
                .pragma_query_value(None, name, |row| Ok(show(row.get_ref(0)?)))
                .map_err(|e| backend(operation, None, e))?;
            out.push((name, value));
        }
        Ok(out)
    }

    fn lock(&self, operation: Operation) -> Result<MutexGuard<'_, Inner>, StoreError> {
        self.inner.lock().map_err(|_| StoreError::Backend {
            operation,
            key: None,
            source: Box::new(Poisoned),
        })
    }
}

/// Creates the schema in a new file, upgrades an older one, refuses a newer one.
fn set_up_schema(connection: &mut Connection, path: &Path) -> Result<(), OpenError> {
    let newer = |found: i64| OpenError::NewerSchema {
        path: path.to_path_buf(),
        found,
    };
    let found = user_version(connection)?;
    if found > SCHEMA_VERSION {
        return Err(newer(found));
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    // Under the write lock, look again: a concurrent opener may have upgraded it meanwhile.
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = user_version(&transaction)?;
    if found > SCHEMA_VERSION {
        return Err(newer(found));
    }
    if found < SCHEMA_VERSION {
        transaction.execute_batch(SCHEMA)?;
        add_sum_columns(&transaction)?;
        if found < 2 {
            upgrade_records(&transaction, path)?;
        } else if found < 4 {
            add_unique_entries(&transaction, path)?;
        }
        fill_sums(&transaction, path)?;
        transaction.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    transaction.commit()?;
    Ok(())
}

fn user_version(connection: &Connection) -> rusqlite::Result<i64> {
    connection.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Version 3: the `sum` column of `records` and `commands`, added to the tables of an older file
/// (`CREATE TABLE IF NOT EXISTS` left them as they were).
fn add_sum_columns(transaction: &Transaction<'_>) -> rusqlite::Result<()> {
    for table in ["records", "commands"] {
        let has_sum: bool = transaction.query_row(
            &format!("SELECT COUNT(*) > 0 FROM pragma_table_info('{table}') WHERE name = 'sum'"),
            [],
            |row| row.get(0),
        )?;
        if !has_sum {
            transaction.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN sum BLOB"))?;
        }
    }
    Ok(())
}

/// Version 3: the checksum of every body that has none yet (the rows of a version 2 file, and
/// those an upgrade from version 0 or 1 moved), inside the upgrade's transaction.
fn fill_sums(transaction: &Transaction<'_>, path: &Path) -> Result<(), OpenError> {
    for (select, update, kind) in [
        (
            "SELECT kind, id, body FROM records WHERE sum IS NULL",
            "UPDATE records SET sum = ?1 WHERE kind = ?2 AND id = ?3",
            None,
        ),
        (
            "SELECT organizer, id, body FROM commands WHERE sum IS NULL AND body IS NOT NULL",
            "UPDATE commands SET sum = ?1 WHERE organizer = ?2 AND id = ?3",
            Some(RecordKind::Command.as_str()),
        ),
    ] {
        let mut sums: Vec<(rusqlite::types::Value, Vec<u8>, [u8; 16])> = Vec::new();
        {
            let mut statement = transaction.prepare(select)?;
            let mut rows = statement.query([])?;
            while let Some(row) = rows.next()? {
                let first: rusqlite::types::Value = row.get(0)?;
                let id: Vec<u8> = row.get(1)?;
                let body = row.get_ref(2)?.as_bytes().map_err(|e| OpenError::Upgrade {
                    path: path.to_path_buf(),
                    kind: match (kind, &first) {
                        (Some(kind), _) => kind.to_owned(),
                        (None, rusqlite::types::Value::Text(kind)) => kind.clone(),
                        (None, _) => String::new(),
                    },
                    id: <[u8; 16]>::try_from(id.as_slice())
                        .map(Uuid::from_bytes)
                        .unwrap_or_default(),
                    source: Box::new(e),
                })?;
                let sum = body_sum(body);
                sums.push((first, id, sum));
            }
        }
        let mut statement = transaction.prepare(update)?;
        for (first, id, sum) in sums {
            statement.execute(params![sum, first, id])?;
        }
    }
    Ok(())
}

/// The checksum a `sum` column holds for `body`: the 16 bytes of a [`Digester`] of domain
/// [`SUM_DOMAIN`] fed the body's bytes. It is not a defence against someone who can write the file
/// (they can write the sum too), only against damage: any change of the stored bytes (a flipped
/// bit, a torn or misdirected write) is caught at load as [`StoreError::Corrupt`] instead of being
/// decoded into a different, valid record.
fn body_sum(body: &[u8]) -> [u8; 16] {
    let mut digester = Digester::new(SUM_DOMAIN);
    digester.write_bytes(body);
    *digester.finish().as_bytes()
}

/// Checks a body against its row's `sum` column.
fn check_sum(stored: ValueRef<'_>, body: &[u8]) -> Result<(), BoxError> {
    match stored {
        ValueRef::Blob(sum) if sum == body_sum(body).as_slice() => Ok(()),
        ValueRef::Null => Err("the row's body has no checksum (sum is NULL): it was not \
                               written by this store"
            .into()),
        _ => Err("the row's body does not match its checksum: the stored bytes are damaged".into()),
    }
}

/// Brings the `records` of a version 0 or 1 file to version 2: command records move to
/// `commands` (their bodies as written), reader cursors get their `reader_positions` row, and
/// every record its index entries. Inside the upgrade's transaction.
fn upgrade_records(transaction: &Transaction<'_>, path: &Path) -> Result<(), OpenError> {
    let mut select = transaction.prepare("SELECT kind, id, version, body FROM records")?;
    let mut rows = select.query([])?;
    let mut moved = 0usize;
    while let Some(row) = rows.next()? {
        let kind: String = row.get(0)?;
        let id = blob16(row.get_ref(1)?).map(Uuid::from_bytes);
        let unreadable = |source: BoxError| OpenError::Upgrade {
            path: path.to_path_buf(),
            kind: kind.clone(),
            id: id.unwrap_or_default(),
            source,
        };
        let version: i64 = row.get(2)?;
        let body = row
            .get_ref(3)?
            .as_bytes()
            .map_err(|e| unreadable(Box::new(e)))?;
        let record = upgraded_record(body).map_err(unreadable)?;
        let key = record.key();
        if kind != key.kind().as_str() || id != Some(key.uuid()) {
            return Err(unreadable(format!("the row holds {key}").into()));
        }
        let failed = |e: StoreError| unreadable(Box::new(e));
        match &record {
            Record::Command(command) => {
                let body = std::str::from_utf8(body).map_err(|e| unreadable(Box::new(e)))?;
                let at = nanos(command.at, key).map_err(failed)?;
                transaction
                    .prepare_cached(INSERT_COMMAND)?
                    .execute(params![
                        command.organizer.as_uuid().as_bytes(),
                        command.id.as_uuid().as_bytes(),
                        version,
                        at,
                        None::<&[u8]>,
                        None::<i64>,
                        body,
                        body_sum(body.as_bytes()),
                    ])?;
                moved = moved.saturating_add(1);
            }
            Record::Reader(cursor) => {
                transaction.prepare_cached(PUT_READER)?.execute(params![
                    cursor.organizer.as_uuid().as_bytes(),
                    cursor.name.as_str(),
                    position_column(cursor.position),
                ])?;
            }
            _ => {}
        }
        for entry in index::entries(&record) {
            if let Some(row) = EntryRow::new(&entry).map_err(failed)? {
                row.put(&mut Statements::new(transaction)).map_err(failed)?;
            }
        }
    }
    drop(rows);
    drop(select);
    if moved > 0 {
        transaction.execute(
            "DELETE FROM records WHERE kind = ?1",
            [RecordKind::Command.as_str()],
        )?;
    }
    Ok(())
}

/// The record in a body an upgrade reads: of the current format, or the reason it is not.
fn upgraded_record(body: &[u8]) -> Result<Record, BoxError> {
    match serde_json::from_slice::<Decoded>(body)? {
        Decoded::Current(envelope) => Ok(envelope.record),
        Decoded::Unsupported { format, min_reader } => {
            Err(format!("format {format}, which needs a reader of format {min_reader}").into())
        }
        _ => Err("an envelope this build does not know".into()),
    }
}

/// Version 4: the entries of the unique indexes ([`Index::ValidTicketByRight`]) of every ticket
/// of a version 2 or 3 file, inside the upgrade's transaction. A file that holds two valid
/// tickets for one right (B11 broken before the store enforced it) is refused, naming the second.
fn add_unique_entries(transaction: &Transaction<'_>, path: &Path) -> Result<(), OpenError> {
    let mut select = transaction.prepare("SELECT id, body FROM records WHERE kind = ?1")?;
    let mut rows = select.query([RecordKind::Ticket.as_str()])?;
    while let Some(row) = rows.next()? {
        let id = blob16(row.get_ref(0)?).map(Uuid::from_bytes);
        let unreadable = |source: BoxError| OpenError::Upgrade {
            path: path.to_path_buf(),
            kind: RecordKind::Ticket.as_str().to_owned(),
            id: id.unwrap_or_default(),
            source,
        };
        let body = row
            .get_ref(1)?
            .as_bytes()
            .map_err(|e| unreadable(Box::new(e)))?;
        let record = upgraded_record(body).map_err(unreadable)?;
        for entry in index::entries(&record) {
            if !entry.index.is_unique() {
                continue;
            }
            if let Some(entry) = EntryRow::new(&entry).map_err(|e| unreadable(Box::new(e)))? {
                entry
                    .put(&mut Statements::new(transaction))
                    .map_err(|e| unreadable(Box::new(e)))?;
            }
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Runs `read` in one read transaction (one snapshot of the file), after checking the cache
    /// against `PRAGMA data_version` in that same transaction.
    fn in_snapshot<T>(
        &self,
        read: impl FnOnce(&Transaction<'_>, &mut Cache) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let failed = |e: rusqlite::Error| backend(Operation::Load, None, e);
        let mut guard = self.lock(Operation::Load)?;
        let Inner { connection, cache } = &mut *guard;
        // One read transaction: the data_version check and the SELECTs see the same snapshot.
        let snapshot = connection.transaction().map_err(failed)?;
        let data_version: i64 = snapshot
            .pragma_query_value(None, "data_version", |row| row.get(0))
            .map_err(failed)?;
        if data_version != cache.data_version {
            cache.clear(); // another connection committed: any entry may be stale
            cache.data_version = data_version;
        }
        let found = read(&snapshot, cache)?;
        snapshot.commit().map_err(failed)?;
        Ok(found)
    }
}

/// The records under `keys` (each once), from the cache or the snapshot.
fn load_keys(
    snapshot: &Connection,
    cache: &mut Cache,
    keys: &[RecordKey],
) -> Result<Vec<Versioned<Record>>, StoreError> {
    let mut wanted = keys.to_vec();
    wanted.sort_unstable();
    wanted.dedup(); // each key once in the result
    let mut found = Vec::with_capacity(wanted.len());
    let mut records = Vec::new();
    let mut commands = Vec::new();
    for &key in &wanted {
        match (cache.get(key), key) {
            (Some(hit), _) => found.push(hit),
            (None, RecordKey::Command(command)) => commands.push(command),
            (None, other) => records.push(other),
        }
    }
    let from_cache = found.len();
    for chunk in records.chunks(KEYS_PER_QUERY) {
        load_records(snapshot, chunk, &mut found)?;
    }
    for chunk in commands.chunks(KEYS_PER_QUERY) {
        load_commands(snapshot, chunk, &mut found)?;
    }
    for read in found.iter().skip(from_cache) {
        cache.put(read.value.key(), read.clone());
    }
    Ok(found)
}

impl Store for SqliteStore {
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.in_snapshot(|snapshot, cache| load_keys(snapshot, cache, keys))
    }

    /// The whole plan in one read transaction: its keys and lookups, the records they lead to,
    /// the feed entries of the commands found.
    fn read(&self, plan: &ReadPlan) -> Result<Read, StoreError> {
        self.in_snapshot(|snapshot, cache| {
            plan.read_with(
                |keys| load_keys(snapshot, cache, keys),
                |lookup| query_index(snapshot, lookup),
                |query| read_feed(snapshot, query),
            )
        })
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        if let Some(key) = batch.duplicate_key() {
            return Err(StoreError::DuplicateKey { key });
        }
        // Encode outside the transaction (it holds the database's write lock).
        let encoded = Encoded::new(&batch)?;
        let mut guard = self.lock(Operation::Commit)?;
        let Inner { connection, cache } = &mut *guard;
        if let Err(refused) = encoded.write_all(connection) {
            // Nothing landed; a refusal may mean the cache is behind the file, so drop the keys.
            for write in &encoded.writes {
                cache.forget(write.key);
            }
            return Err(refused);
        }
        self.checkpointer.committed(connection);
        // The batch is ours: its records move into the cache, uncopied.
        for write in batch.writes {
            let key = write.record.key();
            if matches!(key, RecordKey::Command(_)) {
                cache.forget(key);
            } else {
                cache.put(
                    key,
                    Versioned {
                        value: write.record,
                        version: write.expected.next(),
                    },
                );
            }
        }
        Ok(())
    }

    fn query(&self, lookup: &Lookup) -> Result<Vec<Hit>, StoreError> {
        let inner = self.lock(Operation::Load)?;
        query_index(&inner.connection, lookup)
    }

    /// In one read transaction: the entries of several commands are one snapshot.
    fn feed(&self, query: &FeedQuery) -> Result<Vec<FeedEntry>, StoreError> {
        self.in_snapshot(|snapshot, _| read_feed(snapshot, query))
    }

    fn prune(&self, before: OffsetDateTime, limit: u32) -> Result<Pruned, StoreError> {
        let failed = |e: rusqlite::Error| backend(Operation::Commit, None, e);
        let mut guard = self.lock(Operation::Commit)?;
        let Inner { connection, cache } = &mut *guard;
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate) // BEGIN IMMEDIATE
            .map_err(failed)?;
        let mut removed = Vec::new();
        // On an error the transaction rolls back as it drops: nothing is half removed.
        let pruned = prune_in(&transaction, before, limit, &mut removed)?;
        transaction.commit().map_err(failed)?;
        self.checkpointer.committed(connection);
        for key in removed {
            cache.forget(RecordKey::Command(key));
        }
        Ok(pruned)
    }
}

/// A batch as rows, encoded before its transaction: every JSON text of the batch in one buffer
/// (one allocation per batch, not a growing `String` per record), each row naming its range.
#[derive(Debug)]
struct Encoded {
    text: String,
    writes: Vec<WriteRow>,
    removed: Vec<EntryRow>,
    added: Vec<EntryRow>,
    feed: Vec<FeedRow>,
}

/// One write: its key, the version it expects and its row.
#[derive(Debug)]
struct WriteRow {
    key: RecordKey,
    expected: Version,
    row: RowOf,
}

/// Where a record goes, and what its row holds.
#[derive(Debug)]
enum RowOf {
    /// A `records` row; a reader cursor also updates its `reader_positions` row.
    Record {
        kind: &'static str,
        id: [u8; 16],
        body: Range<usize>,
        /// [`body_sum`] of the body.
        sum: [u8; 16],
        reader: Option<(OrganizerId, ReaderName, i64)>,
    },
    /// A `commands` row.
    Command {
        organizer: [u8; 16],
        id: [u8; 16],
        at: i64,
        form: CommandForm,
    },
}

/// A command row: its columns alone, or its envelope.
#[derive(Debug)]
enum CommandForm {
    /// An accepted command of this format, in UTC: the digest and the number of events.
    Columns { digest: [u8; 16], events: u32 },
    /// Anything else, as the envelope's JSON, with its [`body_sum`].
    Envelope(Range<usize>, [u8; 16]),
}

/// One `index_entries` row.
#[derive(Debug)]
struct EntryRow {
    /// An entry of a unique index (contract item 10): its holder is checked first.
    unique: bool,
    ix: u8,
    organizer: [u8; 16],
    term: String,
    sort: [u8; 32],
    key_kind: &'static str,
    key_id: [u8; 16],
}

/// One `feed` row to append.
#[derive(Debug)]
struct FeedRow {
    key: RecordKey,
    organizer: [u8; 16],
    command: [u8; 16],
    at: i64,
    events: Range<usize>,
}

impl Encoded {
    fn new(batch: &Batch) -> Result<Self, StoreError> {
        let mut buffer = Vec::with_capacity(
            batch
                .writes
                .len()
                .saturating_add(batch.feed.len())
                .saturating_mul(BODY_BYTES),
        );
        let mut writes = Vec::with_capacity(batch.writes.len());
        for write in &batch.writes {
            let key = write.record.key();
            let row = match &write.record {
                Record::Command(command) => {
                    let form = match command.outcome {
                        RecordedOutcome::Accepted { events } if command.at.offset().is_utc() => {
                            CommandForm::Columns {
                                digest: *command.digest.as_bytes(),
                                events,
                            }
                        }
                        _ => {
                            let body =
                                push_json(&mut buffer, key, &Envelope::borrowed(&write.record))?;
                            let sum = sum_of(&buffer, &body);
                            CommandForm::Envelope(body, sum)
                        }
                    };
                    RowOf::Command {
                        organizer: *command.organizer.as_uuid().as_bytes(),
                        id: *command.id.as_uuid().as_bytes(),
                        at: nanos(command.at, key)?,
                        form,
                    }
                }
                record => {
                    let body = push_json(&mut buffer, key, &Envelope::borrowed(record))?;
                    RowOf::Record {
                        kind: key.kind().as_str(),
                        id: id_bytes(key),
                        sum: sum_of(&buffer, &body),
                        body,
                        reader: match record {
                            Record::Reader(cursor) => Some((
                                cursor.organizer,
                                cursor.name,
                                position_column(cursor.position),
                            )),
                            _ => None,
                        },
                    }
                }
            };
            writes.push(WriteRow {
                key,
                expected: write.expected,
                row,
            });
        }
        let mut feed = Vec::with_capacity(batch.feed.len());
        for append in &batch.feed {
            let key = RecordKey::Command(CommandKey::new(append.organizer, append.command));
            feed.push(FeedRow {
                key,
                organizer: *append.organizer.as_uuid().as_bytes(),
                command: *append.command.as_uuid().as_bytes(),
                at: nanos(append.at, key)?,
                events: push_json(&mut buffer, key, &append.events)?,
            });
        }
        let rows = |entries: &[IndexEntry]| -> Result<Vec<EntryRow>, StoreError> {
            let mut out = Vec::with_capacity(entries.len());
            for entry in entries {
                out.extend(EntryRow::new(entry)?);
            }
            Ok(out)
        };
        let removed = rows(&batch.index.removed)?;
        let added = rows(&batch.index.added)?;
        let text = String::from_utf8(buffer).map_err(|e| backend(Operation::Commit, None, e))?;
        Ok(Self {
            text,
            writes,
            removed,
            added,
            feed,
        })
    }

    /// The JSON text at `range` (JSON ends on an ASCII byte, so every end is a char boundary).
    fn text(&self, range: &Range<usize>, key: RecordKey) -> Result<&str, StoreError> {
        self.text
            .get(range.clone())
            .ok_or_else(|| StoreError::Backend {
                operation: Operation::Commit,
                key: Some(key),
                source: "an encoded body is not where it was written".into(),
            })
    }

    /// The batch in one `BEGIN IMMEDIATE` transaction: the writes, the index changes and the
    /// feed entries all land, or none does.
    ///
    /// First grouped ([`Encoded::apply_grouped`]): the inserts of a kind of row go in
    /// multi-row statements. When that path meets anything but success (a conflict, a row its
    /// inserts ignored, an error), its transaction is rolled back and the batch runs again row
    /// by row, in batch order ([`Encoded::apply`]), in a transaction of its own: that answer
    /// (the first write that conflicts, the unique entry taken, or success if another writer
    /// meanwhile made the batch valid) is the commit's.
    fn write_all(&self, connection: &mut Connection) -> Result<(), StoreError> {
        let failed = |e: rusqlite::Error| backend(Operation::Commit, None, e);
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate) // BEGIN IMMEDIATE
            .map_err(failed)?;
        if let Ok(true) = self.apply_grouped(&transaction) {
            return transaction.commit().map_err(failed);
        }
        transaction.rollback().map_err(failed)?;
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        if let Err(refused) = self.apply(&transaction) {
            // Nothing of the batch lands: undo the writes made so far.
            transaction.rollback().map_err(failed)?;
            return Err(refused);
        }
        transaction.commit().map_err(failed)
    }

    /// The batch with its inserts grouped into multi-row `INSERT OR IGNORE` statements (an
    /// `OR IGNORE` statement never aborts half way, so SQLite keeps no statement journal for
    /// it): `Ok(false)` when a row was ignored (a key or an index entry that exists already) or a
    /// write conflicts, for [`Encoded::apply`] to answer.
    fn apply_grouped(&self, transaction: &Transaction<'_>) -> Result<bool, StoreError> {
        let failed = |e: rusqlite::Error| backend(Operation::Commit, None, e);
        let mut statements = Statements::new(transaction);
        let mut records = Vec::new();
        let mut commands = Vec::new();
        for write in &self.writes {
            match (&write.row, write.expected == Version::NEW) {
                (RowOf::Record { reader: None, .. }, true) => records.push(write),
                (RowOf::Command { .. }, true) => commands.push(write),
                _ => self.write(&mut statements, write)?, // an update, or a reader's cursor
            }
        }
        // The version of a new record: 1 (`Version::NEW.next()`).
        let first = i64::try_from(Version::NEW.next().get()).unwrap_or(1);
        let inserted = insert_rows(&mut statements, Rows::Record, &records, |s, at, write| {
            let RowOf::Record {
                kind,
                id,
                body,
                sum,
                ..
            } = &write.row
            else {
                return Err(rusqlite::Error::InvalidQuery);
            };
            let body = self
                .text(body, write.key)
                .map_err(|_| rusqlite::Error::InvalidQuery)?;
            bind_all(s, at, params![kind, id, first, body, sum])
        })
        .map_err(failed)?;
        if inserted != records.len() {
            return Ok(false);
        }
        let inserted = insert_rows(&mut statements, Rows::Command, &commands, |s, at, write| {
            let RowOf::Command {
                organizer,
                id,
                at: time,
                form,
            } = &write.row
            else {
                return Err(rusqlite::Error::InvalidQuery);
            };
            match form {
                CommandForm::Columns { digest, events } => bind_all(
                    s,
                    at,
                    params![
                        organizer,
                        id,
                        first,
                        time,
                        digest,
                        events,
                        None::<&str>,
                        None::<&[u8]>
                    ],
                ),
                CommandForm::Envelope(range, sum) => {
                    let body = self
                        .text(range, write.key)
                        .map_err(|_| rusqlite::Error::InvalidQuery)?;
                    bind_all(
                        s,
                        at,
                        params![
                            organizer,
                            id,
                            first,
                            time,
                            None::<&[u8]>,
                            None::<u32>,
                            body,
                            sum
                        ],
                    )
                }
            }
        })
        .map_err(failed)?;
        if inserted != commands.len() {
            return Ok(false);
        }
        // Contract item 7: removals, then additions (each kind in key order, which keeps the
        // B-tree pages a chunk touches together).
        for entry in &self.removed {
            entry.delete(&mut statements)?;
        }
        let (unique, plain): (Vec<&EntryRow>, Vec<&EntryRow>) =
            self.added.iter().partition(|e| e.unique);
        for (rows, entries) in [(Rows::Entry, plain), (Rows::UniqueEntry, unique)] {
            let mut entries = entries;
            entries.sort_unstable_by(|a, b| {
                (a.ix, a.organizer, &a.term, a.sort).cmp(&(b.ix, b.organizer, &b.term, b.sort))
            });
            let inserted = insert_rows(&mut statements, rows, &entries, |s, at, e| {
                bind_all(
                    s,
                    at,
                    params![e.ix, e.organizer, e.term, e.sort, e.key_kind, e.key_id],
                )
            })
            .map_err(failed)?;
            if inserted != entries.len() {
                return Ok(false);
            }
        }
        // Contract item 8: the next positions, in batch order.
        let feed: Vec<&FeedRow> = self.feed.iter().collect();
        let appended = insert_rows(&mut statements, Rows::Feed, &feed, |s, at, row| {
            let events = self
                .text(&row.events, row.key)
                .map_err(|_| rusqlite::Error::InvalidQuery)?;
            bind_all(s, at, params![row.organizer, row.command, row.at, events])
        })
        .map_err(failed)?;
        Ok(appended == feed.len())
    }

    /// The batch row by row, in batch order: the first write that conflicts is the answer.
    fn apply(&self, transaction: &Transaction<'_>) -> Result<(), StoreError> {
        let mut statements = Statements::new(transaction);
        for write in &self.writes {
            self.write(&mut statements, write)?;
        }
        // Contract item 7: removals, then additions.
        for entry in &self.removed {
            entry.delete(&mut statements)?;
        }
        for entry in &self.added {
            entry.put(&mut statements)?;
        }
        // Contract item 8: the next positions, in batch order.
        for row in &self.feed {
            let failed = |e: rusqlite::Error| backend(Operation::Commit, Some(row.key), e);
            let events = self.text(&row.events, row.key)?;
            statements
                .get(Sql::Append)
                .map_err(failed)?
                .execute(params![row.organizer, row.command, row.at, events])
                .map_err(failed)?;
        }
        Ok(())
    }

    /// One write of the batch, inside its transaction: the compare-and-swap.
    fn write(&self, statements: &mut Statements<'_>, write: &WriteRow) -> Result<(), StoreError> {
        let WriteRow { key, expected, row } = write;
        let (key, expected) = (*key, *expected);
        let failed = |e: rusqlite::Error| backend(Operation::Commit, Some(key), e);
        let changed = match row {
            RowOf::Record {
                kind,
                id,
                body,
                sum,
                reader,
            } => {
                let body = self.text(body, key)?;
                let changed = if expected == Version::NEW {
                    let first = column_version(Version::NEW.next(), key)?;
                    statements
                        .get(Sql::InsertRecord)
                        .map_err(failed)?
                        .execute(params![kind, id, first, body, sum])
                } else {
                    let version = column_version(expected, key)?;
                    statements
                        .get(Sql::UpdateRecord)
                        .map_err(failed)?
                        .execute(params![body, sum, kind, id, version])
                };
                if let (Ok(1), Some((organizer, name, position))) = (&changed, reader) {
                    statements
                        .get(Sql::PutReader)
                        .map_err(failed)?
                        .execute(params![
                            organizer.as_uuid().as_bytes(),
                            name.as_str(),
                            position
                        ])
                        .map_err(failed)?;
                }
                changed
            }
            RowOf::Command {
                organizer,
                id,
                at,
                form,
            } => {
                let (digest, events, body, sum) = match form {
                    CommandForm::Columns { digest, events } => {
                        (Some(digest.as_slice()), Some(*events), None, None)
                    }
                    CommandForm::Envelope(range, sum) => (
                        None,
                        None,
                        Some(self.text(range, key)?),
                        Some(sum.as_slice()),
                    ),
                };
                if expected == Version::NEW {
                    let first = column_version(Version::NEW.next(), key)?;
                    statements
                        .get(Sql::InsertCommand)
                        .map_err(failed)?
                        .execute(params![organizer, id, first, at, digest, events, body, sum])
                } else {
                    let version = column_version(expected, key)?;
                    statements
                        .get(Sql::UpdateCommand)
                        .map_err(failed)?
                        .execute(params![
                            at, digest, events, body, sum, organizer, id, version
                        ])
                }
            }
        };
        match changed {
            Ok(1) => Ok(()),
            Ok(_) => Err(conflict(statements.connection, key, expected)?),
            Err(e) if is_primary_key_violation(&e) => {
                Err(conflict(statements.connection, key, expected)?)
            }
            Err(e) => Err(failed(e)),
        }
    }
}

/// The tables [`insert_rows`] fills, and their columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rows {
    Record,
    Command,
    Entry,
    UniqueEntry,
    Feed,
}

impl Rows {
    /// `INSERT OR IGNORE INTO table (columns) VALUES `, and the number of columns.
    const fn head(self) -> (&'static str, usize) {
        match self {
            Self::Record => (
                "INSERT OR IGNORE INTO records (kind, id, version, body, sum) VALUES ",
                5,
            ),
            Self::Command => (
                "INSERT OR IGNORE INTO commands \
                 (organizer, id, version, at, digest, events, body, sum) VALUES ",
                8,
            ),
            Self::Entry => (
                "INSERT OR IGNORE INTO index_entries \
                 (ix, organizer, term, sort, key_kind, key_id) VALUES ",
                6,
            ),
            Self::UniqueEntry => (
                "INSERT OR IGNORE INTO unique_entries \
                 (ix, organizer, term, sort, key_kind, key_id) VALUES ",
                6,
            ),
            Self::Feed => (
                "INSERT OR IGNORE INTO feed (organizer, command, at, events) VALUES ",
                4,
            ),
        }
    }

    /// The statement of `rows` rows.
    fn sql(self, rows: usize) -> String {
        let (head, columns) = self.head();
        let row = format!("({})", vec!["?"; columns].join(", "));
        format!("{head}{}", vec![row; rows].join(", "))
    }
}

/// Rows per multi-row statement: a batch is cut into statements of 64, 16, 4 and 1 rows, so that
/// four statements per table serve every batch.
const CHUNKS: [usize; 4] = [64, 16, 4, 1];

/// Inserts `rows` into `table` (`bind` binds one row's columns from a parameter index on), in
/// the order given; the number of rows inserted (fewer when some were ignored).
fn insert_rows<R>(
    statements: &mut Statements<'_>,
    table: Rows,
    rows: &[R],
    bind: impl Fn(&mut rusqlite::Statement<'_>, usize, &R) -> rusqlite::Result<()>,
) -> rusqlite::Result<usize> {
    let columns = table.head().1;
    let mut rest = rows;
    let mut inserted = 0usize;
    while !rest.is_empty() {
        let size = CHUNKS
            .into_iter()
            .find(|&size| size <= rest.len())
            .unwrap_or(1);
        let Some((chunk, tail)) = rest.split_at_checked(size) else {
            break;
        };
        let statement = statements.rows(table, size)?;
        for (n, row) in chunk.iter().enumerate() {
            bind(statement, n.saturating_mul(columns).saturating_add(1), row)?;
        }
        inserted = inserted.saturating_add(statement.raw_execute()?);
        rest = tail;
    }
    Ok(inserted)
}

/// Binds `values` to `statement` from parameter `first` on.
fn bind_all(
    statement: &mut rusqlite::Statement<'_>,
    first: usize,
    values: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<()> {
    for (n, value) in values.iter().enumerate() {
        statement.raw_bind_parameter(first.saturating_add(n), value)?;
    }
    Ok(())
}

/// The statements a commit runs, by name.
#[derive(Debug, Clone, Copy)]
enum Sql {
    InsertRecord,
    UpdateRecord,
    PutReader,
    InsertCommand,
    UpdateCommand,
    DeleteEntry,
    PutEntry,
    DeleteUniqueEntry,
    PutUniqueEntry,
    UniqueHolder,
    Append,
}

impl Sql {
    const COUNT: usize = 11;

    const fn text(self) -> &'static str {
        match self {
            Self::InsertRecord => INSERT_RECORD,
            Self::UpdateRecord => UPDATE_RECORD,
            Self::PutReader => PUT_READER,
            Self::InsertCommand => INSERT_COMMAND,
            Self::UpdateCommand => UPDATE_COMMAND,
            Self::DeleteEntry => DELETE_ENTRY,
            Self::PutEntry => PUT_ENTRY,
            Self::DeleteUniqueEntry => DELETE_UNIQUE_ENTRY,
            Self::PutUniqueEntry => PUT_UNIQUE_ENTRY,
            Self::UniqueHolder => UNIQUE_HOLDER,
            Self::Append => APPEND,
        }
    }
}

/// The statements of one transaction, each taken from the connection's statement cache once
/// and kept for every row of the batch: `prepare_cached` per row hashes the SQL text, takes the
/// statement out of the cache and puts it back, about 2,500 instructions a row.
struct Statements<'c> {
    connection: &'c Connection,
    prepared: [Option<CachedStatement<'c>>; Sql::COUNT],
    /// The multi-row inserts, by table and rows.
    inserts: Vec<((Rows, usize), CachedStatement<'c>)>,
}

impl<'c> Statements<'c> {
    fn new(connection: &'c Connection) -> Self {
        Self {
            connection,
            prepared: Default::default(),
            inserts: Vec::new(),
        }
    }

    /// The insert of `rows` rows into `table`.
    fn rows(&mut self, table: Rows, rows: usize) -> rusqlite::Result<&mut CachedStatement<'c>> {
        let at = match self.inserts.iter().position(|(k, _)| *k == (table, rows)) {
            Some(at) => at,
            None => {
                let statement = self.connection.prepare_cached(&table.sql(rows))?;
                self.inserts.push(((table, rows), statement));
                self.inserts.len().saturating_sub(1)
            }
        };
        self.inserts
            .get_mut(at)
            .map(|(_, statement)| statement)
            .ok_or(rusqlite::Error::InvalidQuery)
    }

    fn get(&mut self, sql: Sql) -> rusqlite::Result<&mut CachedStatement<'c>> {
        let slot = self
            .prepared
            .get_mut(sql as usize)
            .ok_or(rusqlite::Error::InvalidQuery)?;
        if slot.is_none() {
            *slot = Some(self.connection.prepare_cached(sql.text())?);
        }
        slot.as_mut().ok_or(rusqlite::Error::InvalidQuery)
    }
}

/// [`body_sum`] of the bytes of `buffer` at `range` (the body just pushed there).
fn sum_of(buffer: &[u8], range: &Range<usize>) -> [u8; 16] {
    body_sum(buffer.get(range.clone()).unwrap_or_default())
}

/// Appends `value` as JSON to `buffer`; its range.
fn push_json(
    buffer: &mut Vec<u8>,
    key: RecordKey,
    value: &impl serde::Serialize,
) -> Result<Range<usize>, StoreError> {
    let start = buffer.len();
    json::write(buffer, value).map_err(|e| backend(Operation::Commit, Some(key), e))?;
    Ok(start..buffer.len())
}

impl EntryRow {
    /// The row of `entry`; `None` for [`Index::CommandsByTime`], which `commands` answers.
    fn new(entry: &IndexEntry) -> Result<Option<Self>, StoreError> {
        if entry.index == Index::CommandsByTime {
            return Ok(None);
        }
        if key_of(entry.key.kind(), entry.key.uuid()) != Some(entry.key) {
            // A command or a reader key is a hash of its parts: it would not read back.
            return Err(StoreError::Backend {
                operation: Operation::Commit,
                key: Some(entry.key),
                source: format!("{} cannot be indexed by this store", entry.index).into(),
            });
        }
        Ok(Some(Self {
            unique: entry.index.is_unique(),
            ix: entry.index.number(),
            organizer: *entry.organizer.as_uuid().as_bytes(),
            term: entry.term.to_string(),
            sort: entry.sort.to_bytes(),
            key_kind: entry.key.kind().as_str(),
            key_id: id_bytes(entry.key),
        }))
    }

    fn failed(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |e| backend(Operation::Commit, key_of_row(self.key_kind, self.key_id), e)
    }

    fn delete(&self, statements: &mut Statements<'_>) -> Result<(), StoreError> {
        let delete = if self.unique {
            Sql::DeleteUniqueEntry
        } else {
            Sql::DeleteEntry
        };
        statements
            .get(delete)
            .map_err(self.failed())?
            .execute(params![self.ix, self.organizer, self.term, self.sort])
            .map_err(self.failed())?;
        Ok(())
    }

    fn put(&self, statements: &mut Statements<'_>) -> Result<(), StoreError> {
        let put = if self.unique {
            Sql::PutUniqueEntry
        } else {
            Sql::PutEntry
        };
        let changed = statements
            .get(put)
            .map_err(self.failed())?
            .execute(params![
                self.ix,
                self.organizer,
                self.term,
                self.sort,
                self.key_kind,
                self.key_id
            ])
            .map_err(self.failed())?;
        if changed == 0 && self.unique {
            return self.taken(statements);
        }
        Ok(())
    }

    /// Contract item 10: the (ix, organizer, term) of this unique entry is held already; by this
    /// record is fine (a batch built with [`Batch::push`] for an update adds its entries again),
    /// by another refuses the batch.
    fn taken(&self, statements: &mut Statements<'_>) -> Result<(), StoreError> {
        let holder = statements
            .get(Sql::UniqueHolder)
            .and_then(|statement| {
                statement.query_row(params![self.ix, self.organizer, self.term], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?))
                })
            })
            .map_err(self.failed());
        let key = key_of_row(self.key_kind, self.key_id);
        let (kind, id) = holder?;
        let holder = <[u8; 16]>::try_from(id.as_slice())
            .ok()
            .and_then(|id| key_of_row(&kind, id));
        match (Index::from_number(self.ix), key, holder) {
            (_, Some(key), Some(holder)) if holder == key => Ok(()),
            (Some(index), Some(key), Some(holder)) => {
                Err(StoreError::UniqueEntryTaken { index, key, holder })
            }
            (_, key, _) => Err(StoreError::Backend {
                operation: Operation::Commit,
                key,
                source: format!("a damaged {kind} row in unique_entries").into(),
            }),
        }
    }
}

/// The key of a record of `kind` whose key is its id `id`; `None` for the kinds whose key is
/// derived from several parts (commands, readers), which an index row cannot name.
fn key_of(kind: RecordKind, id: Uuid) -> Option<RecordKey> {
    Some(match kind {
        RecordKind::Ticket => RecordKey::Ticket(id.into()),
        RecordKind::TransferGroup => RecordKey::TransferGroup(id.into()),
        RecordKind::PointOfSale => RecordKey::PointOfSale(id.into()),
        RecordKind::UsageRule => RecordKey::UsageRule(id.into()),
        RecordKind::Settings => RecordKey::Settings(id.into()),
        RecordKind::Performance => RecordKey::Performance(id.into()),
        RecordKind::Spectator => RecordKey::Spectator(id.into()),
        _ => return None,
    })
}

/// [`key_of`] from an index row's `key_kind` and `key_id`.
fn key_of_row(kind: &str, id: [u8; 16]) -> Option<RecordKey> {
    let kind = [
        RecordKind::Ticket,
        RecordKind::TransferGroup,
        RecordKind::PointOfSale,
        RecordKind::UsageRule,
        RecordKind::Settings,
        RecordKind::Performance,
        RecordKind::Spectator,
    ]
    .into_iter()
    .find(|k| k.as_str() == kind)?;
    key_of(kind, Uuid::from_bytes(id))
}

/// One `SELECT` on `records` for `keys` (at most [`KEYS_PER_QUERY`], each once, none a command);
/// found records go to `found`.
fn load_records(
    connection: &Connection,
    keys: &[RecordKey],
    found: &mut Vec<Versioned<Record>>,
) -> Result<(), StoreError> {
    let failed = |e: rusqlite::Error| backend(Operation::Load, None, e);
    let mut by_column: HashMap<(&str, [u8; 16]), RecordKey> = HashMap::with_capacity(keys.len());
    for &key in keys {
        by_column.insert((key.kind().as_str(), id_bytes(key)), key);
    }
    let mut parameters: Vec<&dyn rusqlite::ToSql> =
        Vec::with_capacity(keys.len().saturating_mul(2));
    for (kind, id) in by_column.keys() {
        parameters.push(kind);
        parameters.push(id);
    }
    let values = vec!["(?, ?)"; keys.len()].join(", ");
    let sql = format!(
        "SELECT kind, id, version, body, sum FROM records WHERE (kind, id) IN (VALUES {values})"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(failed)?;
    let mut rows = statement
        .query(rusqlite::params_from_iter(&parameters))
        .map_err(failed)?;
    while let Some(row) = rows.next().map_err(failed)? {
        let kind = row.get_ref(0).map_err(failed)?.as_str().unwrap_or_default();
        let Some(&key) =
            blob16(row.get_ref(1).map_err(failed)?).and_then(|id| by_column.get(&(kind, id)))
        else {
            continue; // not asked for: the IN list makes this impossible
        };
        let corrupt = |e: BoxError| StoreError::Corrupt {
            key,
            operation: Operation::Load,
            source: e,
        };
        let version = stored_version(row.get_ref(2).map_err(failed)?).map_err(corrupt)?;
        // Read the body as bytes: a BLOB or bad UTF-8 then fails to decode, as Corrupt.
        let body = row
            .get_ref(3)
            .map_err(failed)?
            .as_bytes()
            .map_err(|e| corrupt(Box::new(e)))?;
        // Damaged bytes are refused before they are decoded into a different, valid record.
        check_sum(row.get_ref(4).map_err(failed)?, body).map_err(corrupt)?;
        let decoded: Decoded = serde_json::from_slice(body).map_err(|e| corrupt(Box::new(e)))?;
        found.push(Versioned {
            value: decoded.into_record(key)?, // UnsupportedFormat for a newer format
            version,
        });
    }
    Ok(())
}

/// One `SELECT` on `commands` for `keys` (at most [`KEYS_PER_QUERY`], each once).
fn load_commands(
    connection: &Connection,
    keys: &[CommandKey],
    found: &mut Vec<Versioned<Record>>,
) -> Result<(), StoreError> {
    let failed = |e: rusqlite::Error| backend(Operation::Load, None, e);
    let asked: HashSet<CommandKey> = keys.iter().copied().collect();
    let columns: Vec<([u8; 16], [u8; 16])> = keys
        .iter()
        .map(|k| {
            (
                *k.organizer.as_uuid().as_bytes(),
                *k.id.as_uuid().as_bytes(),
            )
        })
        .collect();
    let mut parameters: Vec<&dyn rusqlite::ToSql> =
        Vec::with_capacity(keys.len().saturating_mul(2));
    for (organizer, id) in &columns {
        parameters.push(organizer);
        parameters.push(id);
    }
    let values = vec!["(?, ?)"; keys.len()].join(", ");
    let sql = format!(
        "SELECT {COMMAND_COLUMNS} FROM commands WHERE (organizer, id) IN (VALUES {values})"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(failed)?;
    let mut rows = statement
        .query(rusqlite::params_from_iter(&parameters))
        .map_err(failed)?;
    while let Some(row) = rows.next().map_err(failed)? {
        let Some(key) = command_key(row, Operation::Load)?.filter(|k| asked.contains(k)) else {
            continue; // not asked for: the IN list makes this impossible
        };
        found.push(command_record(row, key)?);
    }
    Ok(())
}

/// The key of a `commands` row (its first two columns); `None` when they are not 16 bytes each.
fn command_key(
    row: &rusqlite::Row<'_>,
    operation: Operation,
) -> Result<Option<CommandKey>, StoreError> {
    let failed = |e: rusqlite::Error| backend(operation, None, e);
    let organizer = blob16(row.get_ref(0).map_err(failed)?);
    let id = blob16(row.get_ref(1).map_err(failed)?);
    Ok(organizer.zip(id).map(|(organizer, id)| {
        CommandKey::new(
            OrganizerId::from(Uuid::from_bytes(organizer)),
            CommandId::from(Uuid::from_bytes(id)),
        )
    }))
}

/// The record a `commands` row holds ([`COMMAND_COLUMNS`]): its columns when `body` is NULL,
/// else its envelope.
fn command_record(
    row: &rusqlite::Row<'_>,
    key: CommandKey,
) -> Result<Versioned<Record>, StoreError> {
    let record_key = RecordKey::Command(key);
    let failed = |e: rusqlite::Error| backend(Operation::Load, Some(record_key), e);
    let corrupt = |e: BoxError| StoreError::Corrupt {
        key: record_key,
        operation: Operation::Load,
        source: e,
    };
    let version = stored_version(row.get_ref(2).map_err(failed)?).map_err(corrupt)?;
    let value = match row.get_ref(6).map_err(failed)? {
        ValueRef::Null => {
            let at = row
                .get_ref(3)
                .map_err(failed)?
                .as_i64()
                .map_err(|e| corrupt(Box::new(e)))
                .and_then(|at| time_of(at).map_err(corrupt))?;
            let digest = blob16(row.get_ref(4).map_err(failed)?)
                .ok_or_else(|| corrupt("the digest is not 16 bytes".into()))?;
            let events = row
                .get_ref(5)
                .map_err(failed)?
                .as_i64()
                .map_err(|e| corrupt(Box::new(e)))
                .and_then(|n| u32::try_from(n).map_err(|e| corrupt(Box::new(e))))?;
            Record::Command(CommandRecord {
                organizer: key.organizer,
                id: key.id,
                digest: Digest::from_bytes(digest),
                at,
                outcome: RecordedOutcome::Accepted { events },
            })
        }
        body => {
            let body = body.as_bytes().map_err(|e| corrupt(Box::new(e)))?;
            check_sum(row.get_ref(7).map_err(failed)?, body).map_err(corrupt)?;
            let decoded: Decoded =
                serde_json::from_slice(body).map_err(|e| corrupt(Box::new(e)))?;
            decoded.into_record(record_key)?
        }
    };
    Ok(Versioned { value, version })
}

/// Contract item 7: the hits of `lookup`, in ascending sort order.
fn query_index(connection: &Connection, lookup: &Lookup) -> Result<Vec<Hit>, StoreError> {
    if lookup.index == Index::CommandsByTime {
        return query_commands(connection, lookup);
    }
    let failed = |e: rusqlite::Error| backend(Operation::Load, None, e);
    // No `after`: the empty BLOB, below every 32-byte key.
    let after = lookup.after.map(SortKey::to_bytes);
    let after: &[u8] = after.as_ref().map_or(&[], |bytes| bytes.as_slice());
    let sql = if lookup.index.is_unique() {
        QUERY_UNIQUE
    } else {
        QUERY
    };
    let mut statement = connection.prepare_cached(sql).map_err(failed)?;
    let mut rows = statement
        .query(params![
            lookup.index.number(),
            lookup.organizer.as_uuid().as_bytes(),
            lookup.term.to_string(),
            after,
            lookup.until.to_bytes(),
            i64::from(lookup.limit),
        ])
        .map_err(failed)?;
    let mut hits = Vec::new();
    while let Some(row) = rows.next().map_err(failed)? {
        let sort = row
            .get_ref(0)
            .map_err(failed)?
            .as_blob()
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok());
        let kind = row.get_ref(1).map_err(failed)?.as_str().unwrap_or_default();
        let key = blob16(row.get_ref(2).map_err(failed)?).and_then(|id| key_of_row(kind, id));
        let (Some(sort), Some(key)) = (sort, key) else {
            return Err(StoreError::Backend {
                operation: Operation::Load,
                key: None,
                source: format!("a damaged {} row in index_entries", lookup.index).into(),
            });
        };
        hits.push(Hit {
            sort: SortKey::from_bytes(sort),
            key,
        });
    }
    Ok(hits)
}

/// A sort key of [`Index::CommandsByTime`] as the `(at, id)` of a command row: below or above
/// every time a column holds, or at one.
enum TimeBound {
    Below,
    At(i64, [u8; 16]),
    Above,
}

impl TimeBound {
    fn of(sort: SortKey) -> Self {
        // `SortKey::oldest_first` flips the sign bit of the unix nanoseconds.
        const SIGN: u128 = 1 << 127;
        let nanos = (sort.major ^ SIGN) as i128;
        match i64::try_from(nanos) {
            Ok(at) => Self::At(at, sort.minor.to_be_bytes()),
            Err(_) if nanos < 0 => Self::Below,
            Err(_) => Self::Above,
        }
    }
}

/// [`Index::CommandsByTime`] from the command rows: the entry of a command is
/// `(oldest_first(at), id)`, so its order is the rows' `(at, id)`.
fn query_commands(connection: &Connection, lookup: &Lookup) -> Result<Vec<Hit>, StoreError> {
    if lookup.term != Term::All {
        return Ok(Vec::new());
    }
    // Strictly after (at, id): "no bound" is (i64::MIN, the empty BLOB), below every row.
    let (low_at, low_id) = match lookup.after.map(TimeBound::of) {
        None | Some(TimeBound::Below) => (i64::MIN, Vec::new()),
        Some(TimeBound::At(at, id)) => (at, id.to_vec()),
        Some(TimeBound::Above) => return Ok(Vec::new()),
    };
    // At most (at, id): "no bound" is (i64::MAX, 17 bytes 0xFF), above every row.
    let (high_at, high_id) = match TimeBound::of(lookup.until) {
        TimeBound::Below => return Ok(Vec::new()),
        TimeBound::At(at, id) => (at, id.to_vec()),
        TimeBound::Above => (i64::MAX, vec![0xFF; 17]),
    };
    let failed = |e: rusqlite::Error| backend(Operation::Load, None, e);
    let mut statement = connection.prepare_cached(QUERY_COMMANDS).map_err(failed)?;
    let mut rows = statement
        .query(params![
            lookup.organizer.as_uuid().as_bytes(),
            low_at,
            low_id,
            high_at,
            high_id,
            i64::from(lookup.limit),
        ])
        .map_err(failed)?;
    let mut hits = Vec::new();
    while let Some(row) = rows.next().map_err(failed)? {
        let at: i64 = row.get(0).map_err(failed)?;
        let id = blob16(row.get_ref(1).map_err(failed)?).map(Uuid::from_bytes);
        let key = id.map(|id| CommandKey::new(lookup.organizer, CommandId::from(id)));
        let (Some(id), Some(key)) = (id, key) else {
            return Err(StoreError::Backend {
                operation: Operation::Load,
                key: None,
                source: "a command row whose id is not 16 bytes".into(),
            });
        };
        let at = time_of(at).map_err(|source| StoreError::Corrupt {
            key: RecordKey::Command(key),
            operation: Operation::Load,
            source,
        })?;
        hits.push(Hit {
            sort: SortKey::new(SortKey::oldest_first(at), id.as_u128()),
            key: RecordKey::Command(key),
        });
    }
    Ok(hits)
}

/// Contract item 8: what `query` asks of the feed.
fn read_feed(connection: &Connection, query: &FeedQuery) -> Result<Vec<FeedEntry>, StoreError> {
    let failed = |e: rusqlite::Error| backend(Operation::Load, None, e);
    match query {
        FeedQuery::After {
            organizer,
            after,
            limit,
        } => {
            let Ok(after) = i64::try_from(after.get()) else {
                return Ok(Vec::new()); // after every position SQLite can give
            };
            let mut statement = connection.prepare_cached(FEED_AFTER).map_err(failed)?;
            let mut rows = statement
                .query(params![
                    organizer.as_uuid().as_bytes(),
                    after,
                    i64::from(*limit)
                ])
                .map_err(failed)?;
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(failed)? {
                out.push(feed_entry(row)?);
            }
            Ok(out)
        }
        FeedQuery::Of { commands } => {
            // A command's latest entry (a command appends once), in the order asked.
            let mut statement = connection.prepare_cached(FEED_OF).map_err(failed)?;
            let mut out = Vec::with_capacity(commands.len());
            for key in commands {
                let mut rows = statement
                    .query(params![
                        key.organizer.as_uuid().as_bytes(),
                        key.id.as_uuid().as_bytes()
                    ])
                    .map_err(failed)?;
                if let Some(row) = rows.next().map_err(failed)? {
                    out.push(feed_entry(row)?);
                }
            }
            Ok(out)
        }
        _ => Ok(Vec::new()), // a query of a later version of the crate
    }
}

/// The entry a `feed` row holds (`position, organizer, command, at, events`); a row that does not
/// decode is [`StoreError::Corrupt`], named by its command's key.
fn feed_entry(row: &rusqlite::Row<'_>) -> Result<FeedEntry, StoreError> {
    let failed = |e: rusqlite::Error| backend(Operation::Load, None, e);
    let organizer = blob16(row.get_ref(1).map_err(failed)?).map(Uuid::from_bytes);
    let command = blob16(row.get_ref(2).map_err(failed)?).map(Uuid::from_bytes);
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
    let position = row
        .get_ref(0)
        .map_err(failed)?
        .as_i64()
        .map_err(|e| corrupt(Box::new(e)))
        .and_then(|p| u64::try_from(p).map_err(|e| corrupt(Box::new(e))))?;
    let at = row
        .get_ref(3)
        .map_err(failed)?
        .as_i64()
        .map_err(|e| corrupt(Box::new(e)))
        .and_then(|at| time_of(at).map_err(corrupt))?;
    let events = row
        .get_ref(4)
        .map_err(failed)?
        .as_bytes()
        .map_err(|e| corrupt(Box::new(e)))?;
    let events: Events = serde_json::from_slice(events).map_err(|e| corrupt(Box::new(e)))?;
    Ok(FeedEntry {
        position: Position::new(position),
        organizer: OrganizerId::from(organizer),
        command: CommandId::from(command),
        at,
        events,
    })
}

/// Contract item 9, inside the prune's write transaction; the command keys removed go to
/// `removed` (for the cache).
fn prune_in(
    transaction: &Transaction<'_>,
    before: OffsetDateTime,
    limit: u32,
    removed: &mut Vec<CommandKey>,
) -> Result<Pruned, StoreError> {
    let failed = |e: rusqlite::Error| backend(Operation::Commit, None, e);
    let mut pruned = Pruned::default();
    // `at < before` is `at <= last`; nothing is old enough when `before` is below every time.
    let Some(last) = last_before(before) else {
        return Ok(pruned);
    };
    let mut budget = limit;
    // Command records, oldest first, each with its index entries.
    while budget > 0 {
        let chunk = budget.min(PRUNE_CHUNK);
        let mut rows = Vec::new();
        {
            let mut statement = transaction
                .prepare_cached(OLDEST_COMMANDS)
                .map_err(failed)?;
            let mut found = statement
                .query(params![last, i64::from(chunk)])
                .map_err(failed)?;
            while let Some(row) = found.next().map_err(failed)? {
                let Some(key) = command_key(row, Operation::Commit)? else {
                    return Err(StoreError::Backend {
                        operation: Operation::Commit,
                        key: None,
                        source: "a command row whose key is not 16 + 16 bytes".into(),
                    });
                };
                // An unreadable record goes too, without entries to remove (as MemoryStore).
                rows.push((key, command_record(row, key).ok()));
            }
        }
        let count = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        for (key, record) in rows {
            let record_key = RecordKey::Command(key);
            let failed = |e: rusqlite::Error| backend(Operation::Commit, Some(record_key), e);
            if let Some(record) = record {
                for entry in index::entries(&record.value) {
                    if let Some(row) = EntryRow::new(&entry)? {
                        row.delete(&mut Statements::new(transaction))?;
                    }
                }
            }
            transaction
                .prepare_cached(DELETE_COMMAND)
                .map_err(failed)?
                .execute(params![
                    key.organizer.as_uuid().as_bytes(),
                    key.id.as_uuid().as_bytes()
                ])
                .map_err(failed)?;
            removed.push(key);
        }
        budget = budget.saturating_sub(count);
        pruned.commands = pruned.commands.saturating_add(count);
        if count < chunk {
            break; // none left old enough
        }
    }
    if budget == 0 {
        pruned.more = transaction
            .prepare_cached(ANY_COMMAND_UP_TO)
            .map_err(failed)?
            .exists(params![last])
            .map_err(failed)?;
        if pruned.more {
            return Ok(pruned);
        }
    }
    // Feed entries: lowest positions first, while old enough and passed by every reader of their
    // organizer; the first that is not stops the step.
    let mut read_up_to: HashMap<[u8; 16], Option<i64>> = HashMap::new();
    let mut through = None;
    {
        let mut statement = transaction.prepare_cached(OLDEST_FEED).map_err(failed)?;
        let mut rows = statement.query([]).map_err(failed)?;
        while let Some(row) = rows.next().map_err(failed)? {
            let position: i64 = row.get(0).map_err(failed)?;
            let at: i64 = row.get(2).map_err(failed)?;
            let Some(organizer) = blob16(row.get_ref(1).map_err(failed)?) else {
                return Err(StoreError::Backend {
                    operation: Operation::Commit,
                    key: None,
                    source: format!("the feed row at {position} has no 16-byte organizer").into(),
                });
            };
            let passed = match read_up_to.get(&organizer) {
                Some(&passed) => passed,
                None => {
                    let passed: Option<i64> = transaction
                        .prepare_cached(READ_UP_TO)
                        .map_err(failed)?
                        .query_row(params![organizer], |row| row.get(0))
                        .map_err(failed)?;
                    read_up_to.insert(organizer, passed);
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
    }
    if let Some(through) = through {
        transaction
            .prepare_cached(DELETE_FEED)
            .map_err(failed)?
            .execute(params![through])
            .map_err(failed)?;
    }
    Ok(pruned)
}

/// The conflict for `key`, with the version actually stored ([`Version::NEW`] when absent).
fn conflict(
    transaction: &Connection,
    key: RecordKey,
    expected: Version,
) -> Result<StoreError, StoreError> {
    let failed = |e: rusqlite::Error| backend(Operation::Commit, Some(key), e);
    let stored: Option<i64> = match key {
        RecordKey::Command(command) => transaction
            .prepare_cached(COMMAND_VERSION)
            .map_err(failed)?
            .query_row(
                params![
                    command.organizer.as_uuid().as_bytes(),
                    command.id.as_uuid().as_bytes()
                ],
                |row| row.get(0),
            ),
        _ => transaction
            .prepare_cached(RECORD_VERSION)
            .map_err(failed)?
            .query_row(params![key.kind().as_str(), id_bytes(key)], |row| {
                row.get(0)
            }),
    }
    .optional()
    .map_err(failed)?;
    let actual = match stored {
        None => Version::NEW,
        Some(v) => Version::new(u64::try_from(v).map_err(|e| StoreError::Corrupt {
            key,
            operation: Operation::Commit,
            source: Box::new(e),
        })?),
    };
    Ok(StoreError::Conflict {
        key,
        expected,
        actual,
    })
}

fn is_primary_key_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// The id column: the UUID's 16 bytes (a BLOB), which the primary key compares faster than its
/// 36-character text and stores in less than half the room.
fn id_bytes(key: RecordKey) -> [u8; 16] {
    *key.uuid().as_bytes()
}

/// A 16-byte BLOB column (an id), if it is one.
fn blob16(value: ValueRef<'_>) -> Option<[u8; 16]> {
    value
        .as_blob()
        .ok()
        .and_then(|bytes| <[u8; 16]>::try_from(bytes).ok())
}

/// A version as SQLite's signed 64-bit integer.
fn column_version(version: Version, key: RecordKey) -> Result<i64, StoreError> {
    i64::try_from(version.get()).map_err(|e| backend(Operation::Commit, Some(key), e))
}

/// A `version` column as a [`Version`].
fn stored_version(value: ValueRef<'_>) -> Result<Version, BoxError> {
    let version = u64::try_from(value.as_i64()?)?;
    Ok(Version::new(version))
}

/// A reader's position as a column: positions above `i64::MAX` (past every entry SQLite can
/// number) are `i64::MAX`, which compares the same with every stored position.
fn position_column(position: Position) -> i64 {
    i64::try_from(position.get()).unwrap_or(i64::MAX)
}

/// A time as an `at` column: unix nanoseconds, which a signed 64-bit integer holds from
/// 1677-09-21 to 2262-04-11.
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

/// The latest `at` column that is before `before`: `at < before` is `at <= last_before(before)`.
/// `None` when `before` is at or below every storable time.
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
    error: impl Error + Send + Sync + 'static,
) -> StoreError {
    StoreError::Backend {
        operation,
        key,
        source: Box::new(error),
    }
}

fn show(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => "NULL".to_owned(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => r.to_string(),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
    }
}

/// A thread panicked while holding the connection.
#[derive(Debug)]
struct Poisoned;

impl fmt::Display for Poisoned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the SQLite connection's lock is poisoned: a thread panicked while holding it")
    }
}

impl Error for Poisoned {}
