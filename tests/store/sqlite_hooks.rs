//! What only the tests need from the SQLite example store, kept out of the example: planting a body
//! as is (damaged bytes, an envelope of a newer format) under a key, or damaged events in a feed
//! row; and the checks of what only that store has (its schema version and upgrade, its feed rows).
//!
//! It writes with plain rusqlite on the store's file, through a connection of its own, so it knows
//! the example's table layout (schema version 2): `records (kind, id, version, body)`, the id as
//! the UUID's 16 bytes, for every record but command records; `commands (organizer, id, version,
//! at, digest, events, body)` for those, where a non-NULL `body` is the envelope to decode; `feed
//! (position, organizer, command, at, events)`. Being another connection's commit, a planted row
//! moves SQLite's `data_version` for the store's connection, which then drops its cache at the
//! next load: the plant is seen as any other writer's commit would be.

use rusqlite::{Connection, params};
use secure_ticket::feed::Position;
use secure_ticket::store::{RecordKey, Version};

use crate::sqlite_store::SqliteStore;

const PLANT_RECORD: &str =
    "INSERT OR REPLACE INTO records (kind, id, version, body) VALUES (?1, ?2, ?3, ?4)";
/// A planted command row keeps its `at` (retention still finds it) and drops its columns: the
/// body is what a load reads.
const PLANT_COMMAND: &str = "INSERT INTO commands \
    (organizer, id, version, at, digest, events, body) VALUES (?1, ?2, ?3, NULL, NULL, NULL, ?4) \
    ON CONFLICT (organizer, id) DO UPDATE \
    SET version = excluded.version, digest = NULL, events = NULL, body = excluded.body";
const PLANT_EVENTS: &str = "UPDATE feed SET events = ?1 WHERE position = ?2";

/// Test hooks on [`SqliteStore`].
pub(crate) trait SqliteHooks {
    /// Stores `body` as is under `key` at `version`, replacing what is there.
    fn plant_raw(&self, key: RecordKey, version: Version, body: &str) -> rusqlite::Result<()>;

    /// Replaces the events of the feed entry at `position` with `events`, as is.
    fn plant_feed_events(&self, position: Position, events: &str) -> rusqlite::Result<()>;
}

fn connect(store: &SqliteStore) -> rusqlite::Result<Connection> {
    let connection = Connection::open(store.path())?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(connection)
}

fn column(value: u64) -> rusqlite::Result<i64> {
    i64::try_from(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

impl SqliteHooks for SqliteStore {
    fn plant_raw(&self, key: RecordKey, version: Version, body: &str) -> rusqlite::Result<()> {
        let connection = connect(self)?;
        let version = column(version.get())?;
        match key {
            RecordKey::Command(command) => connection.execute(
                PLANT_COMMAND,
                params![
                    command.organizer.as_uuid().as_bytes(),
                    command.id.as_uuid().as_bytes(),
                    version,
                    body
                ],
            )?,
            _ => connection.execute(
                PLANT_RECORD,
                params![key.kind().as_str(), key.uuid().as_bytes(), version, body],
            )?,
        };
        Ok(())
    }

    fn plant_feed_events(&self, position: Position, events: &str) -> rusqlite::Result<()> {
        let changed =
            connect(self)?.execute(PLANT_EVENTS, params![events, column(position.get())?])?;
        match changed {
            1 => Ok(()),
            _ => Err(rusqlite::Error::QueryReturnedNoRows),
        }
    }
}

mod checks {
    use rusqlite::Connection;
    use secure_ticket::command::{CommandRecord, RecordedOutcome};
    use secure_ticket::feed::{FeedAppend, FeedQuery, Position};
    use secure_ticket::index::{Index, Lookup, Term};
    use secure_ticket::store::{
        Batch, CommandKey, Decoded, Envelope, Record, RecordKey, Store, StoreError, Version,
    };
    use secure_ticket::{CommandId, Digest, RightId};

    use super::SqliteHooks;
    use crate::common::{AT, ORGANIZER, TRUNCATED, TempDb, ticket};
    use crate::sqlite_store::{OpenError, SCHEMA_VERSION, SqliteStore};

    fn command(n: u128) -> CommandRecord {
        CommandRecord {
            organizer: ORGANIZER,
            id: CommandId::from_u128(n),
            digest: Digest::from_bytes([n as u8; 16]),
            at: AT,
            outcome: RecordedOutcome::Accepted { events: 1 },
        }
    }

    fn key(n: u128) -> RecordKey {
        RecordKey::Command(CommandKey::new(ORGANIZER, CommandId::from_u128(n)))
    }

    #[test]
    fn x5_a_file_of_a_newer_schema_is_refused_at_open() {
        let db = TempDb::new("newer-schema");
        drop(db.open());
        let connection = Connection::open(db.path()).unwrap();
        connection
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(connection);
        match SqliteStore::open(db.path()) {
            Err(e @ OpenError::NewerSchema { found, .. }) if found == SCHEMA_VERSION + 1 => {
                assert!(e.to_string().contains("newer"), "{e}");
            }
            other => panic!("expected NewerSchema, got {other:?}"),
        }
    }

    /// A file of the first layout (`records` alone, no `user_version`) is upgraded on open: its
    /// command records move to `commands`, its records get their index entries.
    #[test]
    fn x5_an_unversioned_file_is_upgraded() {
        let db = TempDb::new("upgrade");
        let t = ticket(1);
        let c = command(2);
        let connection = Connection::open(db.path()).unwrap();
        connection
            .execute_batch(
                "CREATE TABLE records (kind TEXT NOT NULL, id BLOB NOT NULL, \
                 version INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id))",
            )
            .unwrap();
        for record in [
            Record::Ticket(t.clone()),
            Record::Command(Box::new(c.clone())),
        ] {
            let key = record.key();
            let body = serde_json::to_string(&Envelope::new(record)).unwrap();
            connection
                .execute(
                    "INSERT INTO records (kind, id, version, body) VALUES (?1, ?2, 3, ?3)",
                    rusqlite::params![key.kind().as_str(), key.uuid().as_bytes(), body],
                )
                .unwrap();
        }
        drop(connection);
        let store = db.open();
        let mut loaded = store.load(&[RecordKey::Ticket(t.id), key(2)]).unwrap();
        loaded.sort_by_key(|r| r.value.key());
        assert_eq!(
            loaded
                .iter()
                .map(|r| (&r.value, r.version))
                .collect::<Vec<_>>(),
            [
                (&Record::Ticket(t.clone()), Version::new(3)),
                (&Record::Command(Box::new(c)), Version::new(3))
            ]
        );
        let by_right = Lookup::new(
            Index::TicketsByRight,
            t.organizer,
            Term::Id(RightId::from_u128(1).as_uuid()),
            10,
        );
        assert_eq!(store.query(&by_right).unwrap().len(), 1);
        let by_time = Lookup::new(Index::CommandsByTime, ORGANIZER, Term::All, 10);
        assert_eq!(store.query(&by_time).unwrap().len(), 1);
        let connection = Connection::open(db.path()).unwrap();
        let left: i64 = connection
            .query_row(
                "SELECT COUNT(*) FROM records WHERE kind = 'command'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        let version: i64 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!((left, version), (0, SCHEMA_VERSION));
    }

    #[test]
    fn x5_an_accepted_command_record_is_its_columns_and_a_planted_body_is_read() {
        let db = TempDb::new("command-row");
        let store = db.open();
        store
            .commit(Batch::new().with(Record::Command(Box::new(command(1))), Version::NEW))
            .unwrap();
        let connection = Connection::open(db.path()).unwrap();
        let body: Option<String> = connection
            .query_row("SELECT body FROM commands", [], |row| row.get(0))
            .unwrap();
        assert_eq!(
            body, None,
            "an accepted command record in UTC needs no envelope"
        );
        assert_eq!(
            store.load(&[key(1)]).unwrap()[0].value,
            Record::Command(Box::new(command(1)))
        );

        store.plant_raw(key(1), Version::new(2), TRUNCATED).unwrap();
        assert!(matches!(
            store.load(&[key(1)]),
            Err(StoreError::Corrupt { key: k, .. }) if k == key(1)
        ));
        let newer = command(1);
        let body = serde_json::to_string(&Envelope::new(Record::Command(Box::new(newer.clone()))))
            .unwrap()
            .replacen(
                r#""format":2,"min_reader":2"#,
                r#""format":3,"min_reader":2"#,
                1,
            );
        assert!(matches!(
            serde_json::from_str::<Decoded>(&body),
            Ok(Decoded::Current(_))
        ));
        store.plant_raw(key(1), Version::new(3), &body).unwrap();
        let loaded = store.load(&[key(1)]).unwrap();
        assert_eq!(
            (&loaded[0].value, loaded[0].version),
            (&Record::Command(Box::new(newer)), Version::new(3))
        );
    }

    #[test]
    fn f2_a_damaged_feed_row_is_corrupt_naming_its_command() {
        let db = TempDb::new("damaged-feed");
        let store = db.open();
        let mut batch = Batch::new();
        batch.feed.push(FeedAppend {
            organizer: ORGANIZER,
            command: CommandId::from_u128(7),
            at: AT,
            events: Vec::new(),
        });
        store.commit(batch).unwrap();
        let after = FeedQuery::After {
            organizer: ORGANIZER,
            after: Position::START,
            limit: 10,
        };
        let first = store.feed(&after).unwrap();
        assert_eq!(first.len(), 1);
        store
            .plant_feed_events(first[0].position, r#"[{"type":"NOT_AN_EVENT"}]"#)
            .unwrap();
        for query in [
            after,
            FeedQuery::Of {
                commands: vec![CommandKey::new(ORGANIZER, CommandId::from_u128(7))],
            },
        ] {
            match store.feed(&query) {
                Err(StoreError::Corrupt { key: k, .. }) if k == key(7) => {}
                other => panic!("expected Corrupt for {}, got {other:?}", key(7)),
            }
        }
    }
}
