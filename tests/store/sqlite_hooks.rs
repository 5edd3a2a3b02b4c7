//! What only the tests need from the SQLite example store, kept out of the example: planting a body
//! as is (damaged bytes, an envelope of a newer format) under a key.
//!
//! It writes with plain rusqlite on the store's file, through a connection of its own, so it knows
//! the example's table layout (`records (kind, id, version, body)`, the id as the UUID's 16 bytes).
//! Being another connection's commit, a planted body moves SQLite's `data_version` for the store's
//! connection, which then drops its cache at the next load: the plant is seen as any other writer's
//! commit would be.

use rusqlite::{Connection, params};
use secure_ticket::store::{RecordKey, Version};

use crate::sqlite_store::SqliteStore;

const PLANT: &str =
    "INSERT OR REPLACE INTO records (kind, id, version, body) VALUES (?1, ?2, ?3, ?4)";

/// Test hooks on [`SqliteStore`].
pub(crate) trait SqliteHooks {
    /// Stores `body` as is under `key` at `version`, replacing what is there.
    fn plant_raw(&self, key: RecordKey, version: Version, body: &str) -> rusqlite::Result<()>;
}

impl SqliteHooks for SqliteStore {
    fn plant_raw(&self, key: RecordKey, version: Version, body: &str) -> rusqlite::Result<()> {
        let connection = Connection::open(self.path())?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        let version = i64::try_from(version.get())
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        connection.execute(
            PLANT,
            params![key.kind().as_str(), key.uuid().as_bytes(), version, body],
        )?;
        Ok(())
    }
}
