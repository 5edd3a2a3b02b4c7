//! What only the tests need from the SQLite example store, kept out of the example: planting a body
//! as is (damaged bytes, an envelope of a newer format) under a key, or damaged events in a feed
//! row; and the checks of what only that store has (its schema version and upgrade, its feed rows).
//!
//! It writes with plain rusqlite on the store's file, through a connection of its own, so it knows
//! the example's table layout (schema version 3): `records (kind, id, version, body, sum)`, the id
//! as the UUID's 16 bytes, for every record but command records; `commands (organizer, id, version,
//! at, digest, events, body, sum)` for those, where a non-NULL `body` is the envelope to decode;
//! `feed (position, organizer, command, at, events)`. `sum` is the body's checksum (the store's
//! `body_sum`): [`SqliteHooks::plant_raw`] writes the right one, so that what a planted body
//! tests is the decoder, and [`SqliteHooks::plant_damaged_body`] keeps the stored one, as damage
//! on the disk would. Being another connection's commit, a planted row
//! moves SQLite's `data_version` for the store's connection, which then drops its cache at the
//! next load: the plant is seen as any other writer's commit would be.

use rusqlite::{Connection, params};
use secure_ticket::digest::Digester;
use secure_ticket::feed::Position;
use secure_ticket::store::{RecordKey, Version};

use crate::sqlite_store::SqliteStore;

/// The store's checksum of a body (its `body_sum`, restated: the hooks write what it checks).
fn body_sum(body: &[u8]) -> [u8; 16] {
    let mut digester = Digester::new("secure-ticket/sqlite-body");
    digester.write_bytes(body);
    *digester.finish().as_bytes()
}

const PLANT_RECORD: &str =
    "INSERT OR REPLACE INTO records (kind, id, version, body, sum) VALUES (?1, ?2, ?3, ?4, ?5)";
/// A planted command row keeps its `at` (retention still finds it) and drops its columns: the
/// body is what a load reads.
const PLANT_COMMAND: &str = "INSERT INTO commands \
    (organizer, id, version, at, digest, events, body, sum) \
    VALUES (?1, ?2, ?3, NULL, NULL, NULL, ?4, ?5) \
    ON CONFLICT (organizer, id) DO UPDATE \
    SET version = excluded.version, digest = NULL, events = NULL, body = excluded.body, \
    sum = excluded.sum";
/// The body's bytes replaced, its checksum kept (as a BLOB: damaged bytes need not be UTF-8).
const DAMAGE_RECORD: &str = "UPDATE records SET body = ?1 WHERE kind = ?2 AND id = ?3";
const PLANT_EVENTS: &str = "UPDATE feed SET events = ?1 WHERE position = ?2";

/// Test hooks on [`SqliteStore`].
pub(crate) trait SqliteHooks {
    /// Stores `body` as is under `key` at `version`, replacing what is there, with the checksum
    /// of `body` (the store's integrity check passes; the decoder sees `body`).
    fn plant_raw(&self, key: RecordKey, version: Version, body: &str) -> rusqlite::Result<()>;

    /// The stored body of the record (not a command record) under `key`, as bytes.
    fn stored_body(&self, key: RecordKey) -> rusqlite::Result<Vec<u8>>;

    /// Replaces the body of the record (not a command record) under `key` with `body`, keeping
    /// the stored checksum: damage on the disk.
    fn plant_damaged_body(&self, key: RecordKey, body: &[u8]) -> rusqlite::Result<()>;

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
        let sum = body_sum(body.as_bytes());
        match key {
            RecordKey::Command(command) => connection.execute(
                PLANT_COMMAND,
                params![
                    command.organizer.as_uuid().as_bytes(),
                    command.id.as_uuid().as_bytes(),
                    version,
                    body,
                    sum
                ],
            )?,
            _ => connection.execute(
                PLANT_RECORD,
                params![
                    key.kind().as_str(),
                    key.uuid().as_bytes(),
                    version,
                    body,
                    sum
                ],
            )?,
        };
        Ok(())
    }

    fn stored_body(&self, key: RecordKey) -> rusqlite::Result<Vec<u8>> {
        connect(self)?.query_row(
            "SELECT CAST(body AS BLOB) FROM records WHERE kind = ?1 AND id = ?2",
            params![key.kind().as_str(), key.uuid().as_bytes()],
            |row| row.get(0),
        )
    }

    fn plant_damaged_body(&self, key: RecordKey, body: &[u8]) -> rusqlite::Result<()> {
        let changed = connect(self)?.execute(
            DAMAGE_RECORD,
            params![body, key.kind().as_str(), key.uuid().as_bytes()],
        )?;
        match changed {
            1 => Ok(()),
            _ => Err(rusqlite::Error::QueryReturnedNoRows),
        }
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
        for record in [Record::Ticket(t.clone()), Record::Command(c.clone())] {
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
                (&Record::Command(c), Version::new(3))
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
            .commit(Batch::new().with(Record::Command(command(1)), Version::NEW))
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
            Record::Command(command(1))
        );

        store.plant_raw(key(1), Version::new(2), TRUNCATED).unwrap();
        assert!(matches!(
            store.load(&[key(1)]),
            Err(StoreError::Corrupt { key: k, .. }) if k == key(1)
        ));
        let newer = command(1);
        let body = serde_json::to_string(&Envelope::new(Record::Command(newer.clone())))
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
            (&Record::Command(newer), Version::new(3))
        );
    }

    /// Contract item 6: SQLite reads a 0-byte file as an empty database; the store refuses it
    /// (damaged, not empty) and leaves it as it is. A missing file is still a new store.
    #[test]
    fn x5_a_zero_byte_file_is_refused_at_open() {
        let db = TempDb::new("zero-bytes");
        std::fs::File::create(db.path()).unwrap();
        match SqliteStore::open(db.path()) {
            Err(e @ OpenError::EmptyFile { .. }) => {
                let message = e.to_string();
                assert!(
                    message.contains("empty") && message.contains("damaged"),
                    "{message}"
                );
            }
            other => panic!("expected EmptyFile, got {other:?}"),
        }
        assert_eq!(std::fs::metadata(db.path()).unwrap().len(), 0, "untouched");
        std::fs::remove_file(db.path()).unwrap();
        let store = db.open(); // a missing file: a new, empty store
        assert_eq!(store.load(&[RecordKey::Ticket(ticket(1).id)]).unwrap(), []);
        drop(store);
        assert!(std::fs::metadata(db.path()).unwrap().len() > 0);
        drop(SqliteStore::open(db.path()).unwrap()); // and it opens again
    }

    /// Contract item 6: every single-bit flip of a stored ticket's body is `Corrupt` naming the
    /// key, never a different record (without the checksum, many flips inside strings and
    /// numbers decode as valid tickets).
    #[test]
    fn x5_every_single_bit_flip_of_a_stored_body_is_corrupt() {
        let db = TempDb::new("bit-flips");
        let store = SqliteStore::open_with_cache(db.path(), 0).unwrap();
        let t = ticket(1);
        let key = RecordKey::Ticket(t.id);
        store
            .commit(Batch::new().with(Record::Ticket(t.clone()), Version::NEW))
            .unwrap();
        let body = store.stored_body(key).unwrap();
        let (mut flips, mut would_decode) = (0usize, 0usize);
        for bit in 0..body.len() * 8 {
            let mut damaged = body.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            if let Ok(Decoded::Current(envelope)) = serde_json::from_slice::<Decoded>(&damaged)
                && envelope.record.key() == key
                && envelope.record != Record::Ticket(t.clone())
            {
                would_decode += 1; // a different, valid ticket under the same key
            }
            store.plant_damaged_body(key, &damaged).unwrap();
            match store.load(&[key]) {
                Err(StoreError::Corrupt { key: k, .. }) if k == key => flips += 1,
                other => panic!("flip of bit {bit}: expected Corrupt for {key}, got {other:?}"),
            }
        }
        eprintln!(
            "{flips} single-bit flips of a {}-byte body: all Corrupt ({would_decode} would decode \
             as a different valid ticket without the checksum)",
            body.len()
        );
        assert_eq!(flips, body.len() * 8);
        assert!(flips >= 300);
        store.plant_damaged_body(key, &body).unwrap();
        assert_eq!(store.load(&[key]).unwrap()[0].value, Record::Ticket(t));
    }

    /// A file of schema version 2 (no `sum` columns) is upgraded: every body gets its checksum,
    /// in the upgrade's one transaction, and loads as before.
    #[test]
    fn x5_a_version_2_file_gets_its_checksums() {
        let db = TempDb::new("upgrade-2");
        let t = ticket(1);
        // A time with an offset: the command row keeps its envelope (and so a sum).
        let mut refused = command(2);
        refused.at = AT.to_offset(time::UtcOffset::from_hms(1, 0, 0).unwrap());
        let store = db.open();
        store
            .commit(
                Batch::new()
                    .with(Record::Ticket(t.clone()), Version::NEW)
                    .with(Record::Command(refused.clone()), Version::NEW),
            )
            .unwrap();
        drop(store);
        let connection = Connection::open(db.path()).unwrap();
        connection
            .execute_batch(
                "ALTER TABLE records DROP COLUMN sum; ALTER TABLE commands DROP COLUMN sum; \
                 PRAGMA user_version = 2;",
            )
            .unwrap();
        drop(connection);
        let store = db.open();
        let mut loaded = store.load(&[RecordKey::Ticket(t.id), key(2)]).unwrap();
        loaded.sort_by_key(|r| r.value.key());
        assert_eq!(
            loaded.into_iter().map(|r| r.value).collect::<Vec<_>>(),
            [Record::Ticket(t), Record::Command(refused)]
        );
        let connection = Connection::open(db.path()).unwrap();
        let missing: i64 = connection
            .query_row(
                "SELECT (SELECT COUNT(*) FROM records WHERE sum IS NULL) + \
                 (SELECT COUNT(*) FROM commands WHERE body IS NOT NULL AND sum IS NULL)",
                [],
                |row| row.get(0),
            )
            .unwrap();
        let version: i64 = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!((missing, version), (0, SCHEMA_VERSION));
    }

    /// A file of schema version 3 holding tickets `a` and `b`, as the build before unique indexes
    /// left it: no `unique_entries`.
    fn version_3_file_of(db: &TempDb, a: &secure_ticket::Ticket, b: &secure_ticket::Ticket) {
        db.open()
            .commit(
                Batch::new()
                    .with(Record::Ticket(a.clone()), Version::NEW)
                    .with(Record::Ticket(b.clone()), Version::NEW),
            )
            .unwrap();
        let connection = Connection::open(db.path()).unwrap();
        connection
            .execute_batch("DROP TABLE unique_entries; PRAGMA user_version = 3;")
            .unwrap();
    }

    fn valid_of_right(store: &SqliteStore, right: u128) -> Vec<RecordKey> {
        let lookup = Lookup::new(
            Index::ValidTicketByRight,
            ORGANIZER,
            Term::Id(RightId::from_u128(right).as_uuid()),
            10,
        );
        store
            .query(&lookup)
            .unwrap()
            .into_iter()
            .map(|h| h.key)
            .collect()
    }

    /// Version 4 (contract item 10): a version 3 file gets the unique entries of its tickets at
    /// open, and from then on refuses a second valid ticket for a right.
    #[test]
    fn b11_a_version_3_file_gets_its_unique_entries() {
        let db = TempDb::new("upgrade-3");
        let (a, b) = (ticket(0x77), ticket(0x88));
        version_3_file_of(&db, &a, &b);
        let store = db.open();
        assert_eq!(valid_of_right(&store, 0x77), [RecordKey::Ticket(a.id)]);
        assert_eq!(valid_of_right(&store, 0x88), [RecordKey::Ticket(b.id)]);
        let mut second = ticket(0x99);
        second.right = a.right;
        let refused = store.commit(Batch::new().with(Record::Ticket(second), Version::NEW));
        assert!(
            matches!(&refused, Err(StoreError::UniqueEntryTaken { holder, .. }) if *holder == RecordKey::Ticket(a.id)),
            "{refused:?}"
        );
    }

    /// A version 3 file that already holds two valid tickets for one right is refused at open,
    /// naming the ticket whose entry is taken: the store will not serve a file that breaks B11.
    #[test]
    fn b11_a_version_3_file_with_two_valid_tickets_for_a_right_is_refused_at_open() {
        let db = TempDb::new("upgrade-3-broken");
        let (a, mut b) = (ticket(0x77), ticket(0x88));
        b.right = RightId::from_u128(0x99); // not its id, which the body also holds
        version_3_file_of(&db, &a, &b);
        // As an older build could leave it: b's body names a's right.
        let connection = Connection::open(db.path()).unwrap();
        connection
            .execute(
                "UPDATE records SET body = replace(body, ?1, ?2) WHERE kind = 'ticket' AND id = ?3",
                rusqlite::params![
                    b.right.to_string(),
                    a.right.to_string(),
                    b.id.as_uuid().as_bytes()
                ],
            )
            .unwrap();
        drop(connection);
        match SqliteStore::open(db.path()) {
            Err(e @ OpenError::Upgrade { .. }) => {
                let text = e.to_string();
                assert!(text.contains(&b.id.to_string()), "{text}");
            }
            other => panic!("expected Upgrade naming {}, got {other:?}", b.id),
        }
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
            events: secure_ticket::Events::new(),
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
