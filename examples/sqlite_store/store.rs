//! A SQLite [`Store`]: the worked example of implementing the storage contract for a SQL database
//! (SPEC X4, X5). This file is the reusable part of the `sqlite_store` example (`main.rs` beside it
//! is the demo): [`SqliteStore`] and its [`Store`] implementation, nothing else.
//!
//! The recipe carries over to PostgreSQL, MySQL or CockroachDB:
//!
//! - One table, `records (kind, id, version, body)`, keyed by `(kind, id)`, the id as the UUID's 16
//!   bytes. The body is the record's [`Envelope`] as JSON; the version sits in its own column so
//!   the database can compare it.
//!   Keep the body as written (TEXT or bytes): [`Decoded`] skips a newer record only when
//!   `min_reader` comes before `record`, and a JSON type that reorders keys (PostgreSQL's JSONB)
//!   breaks that.
//! - `load`: one `SELECT .. WHERE (kind, id) IN (VALUES (?, ?), ..)` for all the keys (chunked to
//!   stay under the database's parameter limit). Each body is decoded as [`Decoded`] and checked by
//!   [`Decoded::into_record`], which refuses newer formats and records under the wrong key.
//! - `commit`: one transaction per batch, opened with `BEGIN IMMEDIATE` so it holds the write lock
//!   from the start. A write that expects [`Version::NEW`] is an `INSERT`, and a duplicate primary
//!   key means [`StoreError::Conflict`]. Any other write is
//!   `UPDATE records SET version = version + 1, body = ? WHERE kind = ? AND id = ? AND version = ?`,
//!   which must change exactly one row; otherwise the batch is rolled back and the conflict names
//!   the version actually stored. The `WHERE .. version = ?` is the compare-and-swap: it is what
//!   keeps many service instances on one database correct without locks held across requests.
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
//! bodies) lives with them, in `tests/store/sqlite_hooks.rs`, and works on the file with plain
//! rusqlite.

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use secure_ticket::store::{
    Batch, BoxError, Decoded, Envelope, Operation, ReadPlan, Record, RecordKey, Store, StoreError,
    Version, Versioned,
};

/// Room reserved per body when encoding a batch: a ticket is about 600 bytes, a command record
/// about 700.
const BODY_BYTES: usize = 768;

/// The keys of one `SELECT`: two parameters each, under SQLite's historical limit of 999.
const KEYS_PER_QUERY: usize = 400;

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    id BLOB NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
)";
const INSERT: &str = "INSERT INTO records (kind, id, version, body) VALUES (?1, ?2, ?3, ?4)";
const UPDATE: &str = "UPDATE records SET version = version + 1, body = ?1 \
                      WHERE kind = ?2 AND id = ?3 AND version = ?4";
const SELECT_VERSION: &str = "SELECT version FROM records WHERE kind = ?1 AND id = ?2";

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
/// wrote; a refused batch drops its keys. Two generations bound it: when the young one is full it
/// becomes the old one and the previous old one is dropped; a hit in the old one moves up. Command
/// records are written once and read only on a retry, so commits leave them out.
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

impl SqliteStore {
    /// Opens (or creates) the database at `path`: WAL journal, `synchronous=NORMAL`, a 5 s busy
    /// timeout, and the `records` table if absent.
    ///
    /// # Errors
    ///
    /// SQLite's error if the file cannot be opened or set up.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, rusqlite::Error> {
        Self::open_with_cache(path, Self::CACHED_RECORDS)
    }

    /// How many decoded records [`SqliteStore::open`] keeps at most.
    pub const CACHED_RECORDS: usize = 65_536;

    /// [`SqliteStore::open`], keeping at most `records` decoded records (0: none, every load reads
    /// and decodes).
    ///
    /// # Errors
    ///
    /// SQLite's error if the file cannot be opened or set up.
    pub fn open_with_cache(
        path: impl AsRef<Path>,
        records: usize,
    ) -> Result<Self, rusqlite::Error> {
        let path = path.as_ref().to_path_buf();
        let connection = Connection::open(&path)?;
        // Setting the busy timeout first lets the other setup steps wait for a concurrent opener.
        connection.execute_batch("PRAGMA busy_timeout=5000")?;
        connection.execute_batch("PRAGMA journal_mode=WAL")?;
        connection.execute_batch("PRAGMA synchronous=NORMAL")?;
        connection.execute_batch(CREATE_TABLE)?;
        let data_version = connection.pragma_query_value(None, "data_version", |row| row.get(0))?;
        Ok(Self {
            inner: Mutex::new(Inner {
                connection,
                cache: Cache::new(records, data_version),
            }),
            path,
        })
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The settings in force on this connection, as `(pragma, value)`: `journal_mode`,
    /// `synchronous` and `busy_timeout`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when SQLite fails.
    pub fn pragmas(&self) -> Result<Vec<(&'static str, String)>, StoreError> {
        let operation = Operation::Load;
        let inner = self.lock(operation)?;
        let mut out = Vec::new();
        for name in ["journal_mode", "synchronous", "busy_timeout"] {
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

impl SqliteStore {
    /// Runs `read` in one read transaction (one snapshot of the file), after checking the cache
    /// against `PRAGMA data_version` in that same transaction.
    fn in_snapshot(
        &self,
        read: impl FnOnce(&Transaction<'_>, &mut Cache) -> Result<Vec<Versioned<Record>>, StoreError>,
    ) -> Result<Vec<Versioned<Record>>, StoreError> {
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
    snapshot: &Transaction<'_>,
    cache: &mut Cache,
    keys: &[RecordKey],
) -> Result<Vec<Versioned<Record>>, StoreError> {
    let mut wanted = keys.to_vec();
    wanted.sort_unstable();
    wanted.dedup(); // each key once in the result
    let mut found = Vec::with_capacity(wanted.len());
    let mut missing = Vec::new();
    for &key in &wanted {
        match cache.get(key) {
            Some(hit) => found.push(hit),
            None => missing.push(key),
        }
    }
    let from_cache = found.len();
    for chunk in missing.chunks(KEYS_PER_QUERY) {
        load_chunk(snapshot, chunk, &mut found)?;
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

    /// The whole plan in one read transaction: the keys, the groups' tickets, their usage rules.
    fn read(&self, plan: &ReadPlan) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.in_snapshot(|snapshot, cache| plan.read_with(|keys| load_keys(snapshot, cache, keys)))
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        if let Some(key) = batch.duplicate_key() {
            return Err(StoreError::DuplicateKey { key });
        }
        // Encode outside the transaction (it holds the database's write lock), every body into one
        // buffer: one allocation per batch, not a growing `String` per record.
        let mut buffer = Vec::with_capacity(batch.writes.len().saturating_mul(BODY_BYTES));
        let mut ends = Vec::with_capacity(batch.writes.len());
        for write in &batch.writes {
            serde_json::to_writer(&mut buffer, &Envelope::borrowed(&write.record))
                .map_err(|e| backend(Operation::Commit, Some(write.record.key()), e))?;
            ends.push(buffer.len());
        }
        let text = String::from_utf8(buffer).map_err(|e| backend(Operation::Commit, None, e))?;
        let mut writes = Vec::with_capacity(batch.writes.len());
        let mut start = 0;
        for (write, &end) in batch.writes.iter().zip(&ends) {
            let key = write.record.key();
            // JSON ends on an ASCII byte, so every end is a char boundary.
            let body = text.get(start..end).ok_or_else(|| StoreError::Backend {
                operation: Operation::Commit,
                key: Some(key),
                source: "an encoded body is not where it was written".into(),
            })?;
            writes.push((key, write.expected, body));
            start = end;
        }
        let mut guard = self.lock(Operation::Commit)?;
        let Inner { connection, cache } = &mut *guard;
        if let Err(refused) = write_all(connection, &writes) {
            // Nothing landed; a refusal may mean the cache is behind the file, so drop the keys.
            for (key, ..) in &writes {
                cache.forget(*key);
            }
            return Err(refused);
        }
        // The batch is ours: its records move into the cache, uncopied.
        for (write, &(key, ..)) in batch.writes.into_iter().zip(&writes) {
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
}

/// The writes of one batch, in one `BEGIN IMMEDIATE` transaction: all land, or none.
fn write_all(
    connection: &mut Connection,
    writes: &[(RecordKey, Version, &str)],
) -> Result<(), StoreError> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate) // BEGIN IMMEDIATE
        .map_err(|e| backend(Operation::Commit, None, e))?;
    for &(key, expected, body) in writes {
        if let Err(refused) = write(&transaction, key, expected, body) {
            // Nothing of the batch lands: undo the writes made so far.
            transaction
                .rollback()
                .map_err(|e| backend(Operation::Commit, Some(key), e))?;
            return Err(refused);
        }
    }
    transaction
        .commit()
        .map_err(|e| backend(Operation::Commit, None, e))
}

/// One `SELECT` for `keys` (at most [`KEYS_PER_QUERY`], each once); found records go to `found`.
fn load_chunk(
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
        "SELECT kind, id, version, body FROM records WHERE (kind, id) IN (VALUES {values})"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(failed)?;
    let mut rows = statement
        .query(rusqlite::params_from_iter(&parameters))
        .map_err(failed)?;
    while let Some(row) = rows.next().map_err(failed)? {
        let kind = row.get_ref(0).map_err(failed)?.as_str().unwrap_or_default();
        let id = row
            .get_ref(1)
            .map_err(failed)?
            .as_blob()
            .unwrap_or_default();
        let Some(&key) = <[u8; 16]>::try_from(id)
            .ok()
            .and_then(|id| by_column.get(&(kind, id)))
        else {
            continue; // not asked for: the IN list makes this impossible
        };
        let corrupt = |e: BoxError| StoreError::Corrupt {
            key,
            operation: Operation::Load,
            source: e,
        };
        let version: i64 = row.get(2).map_err(failed)?;
        let version = u64::try_from(version).map_err(|e| corrupt(Box::new(e)))?;
        // Read the body as bytes: a BLOB or bad UTF-8 then fails to decode, as Corrupt.
        let body = row
            .get_ref(3)
            .map_err(failed)?
            .as_bytes()
            .map_err(|e| corrupt(Box::new(e)))?;
        let decoded: Decoded = serde_json::from_slice(body).map_err(|e| corrupt(Box::new(e)))?;
        found.push(Versioned {
            value: decoded.into_record(key)?, // UnsupportedFormat for a newer format
            version: Version::new(version),
        });
    }
    Ok(())
}

/// One write of a batch, inside its transaction: the compare-and-swap.
fn write(
    transaction: &Transaction<'_>,
    key: RecordKey,
    expected: Version,
    body: &str,
) -> Result<(), StoreError> {
    let failed = |e: rusqlite::Error| backend(Operation::Commit, Some(key), e);
    let (kind, id) = (key.kind().as_str(), id_bytes(key));
    if expected == Version::NEW {
        let mut insert = transaction.prepare_cached(INSERT).map_err(failed)?;
        let first = column_version(Version::NEW.next(), key)?;
        match insert.execute(params![kind, id, first, body]) {
            Ok(_) => Ok(()),
            Err(e) if is_primary_key_violation(&e) => Err(conflict(transaction, key, expected)?),
            Err(e) => Err(failed(e)),
        }
    } else {
        let mut update = transaction.prepare_cached(UPDATE).map_err(failed)?;
        let version = column_version(expected, key)?;
        match update.execute(params![body, kind, id, version]) {
            Ok(1) => Ok(()),
            Ok(_) => Err(conflict(transaction, key, expected)?),
            Err(e) => Err(failed(e)),
        }
    }
}

/// The conflict for `key`, with the version actually stored ([`Version::NEW`] when absent).
fn conflict(
    transaction: &Transaction<'_>,
    key: RecordKey,
    expected: Version,
) -> Result<StoreError, StoreError> {
    let failed = |e: rusqlite::Error| backend(Operation::Commit, Some(key), e);
    let stored: Option<i64> = transaction
        .prepare_cached(SELECT_VERSION)
        .map_err(failed)?
        .query_row(params![key.kind().as_str(), id_bytes(key)], |row| {
            row.get(0)
        })
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

/// A version as SQLite's signed 64-bit integer.
fn column_version(version: Version, key: RecordKey) -> Result<i64, StoreError> {
    i64::try_from(version.get()).map_err(|e| backend(Operation::Commit, Some(key), e))
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
