//! Stored formats in SQLite (SPEC X5): damaged bytes and newer formats are refused with typed
//! errors naming the record; older readers still load what they can read.

use secure_ticket::store::{
    Batch, Decoded, Envelope, Operation, Record, RecordKey, Store, StoreError, Version,
};
use secure_ticket::{Ticket, TicketId};

use crate::common::{TRUNCATED, TempDb, newer_envelope, ticket};
use crate::sqlite_hooks::SqliteHooks;
use crate::sqlite_store::SqliteStore;

fn key(n: u128) -> RecordKey {
    RecordKey::Ticket(TicketId::from_u128(n))
}

fn store_with(label: &str, n: u128, body: &str) -> (TempDb, SqliteStore) {
    let db = TempDb::new(label);
    let store = db.open();
    store.plant_raw(key(n), Version::new(1), body).unwrap();
    (db, store)
}

fn envelope_of(t: &Ticket) -> String {
    serde_json::to_string(&Envelope::new(Record::Ticket(t.clone()))).unwrap()
}

fn expect_corrupt(
    result: Result<Vec<secure_ticket::store::Versioned<Record>>, StoreError>,
    n: u128,
) {
    match result {
        Err(
            e @ StoreError::Corrupt {
                key: k,
                operation: Operation::Load,
                ..
            },
        ) if k == key(n) => {
            assert!(e.to_string().contains(&key(n).to_string()), "{e}");
        }
        other => panic!("expected Corrupt for {}, got {other:?}", key(n)),
    }
}

#[test]
fn x5_truncated_json_is_corrupt_naming_the_key() {
    let (_db, store) = store_with("truncated", 1, TRUNCATED);
    expect_corrupt(store.load(&[key(1)]), 1);
}

#[test]
fn x5_half_an_envelope_is_corrupt() {
    let full = envelope_of(&ticket(1));
    let (_db, store) = store_with("half", 1, &full[..full.len() / 2]);
    expect_corrupt(store.load(&[key(1)]), 1);
}

#[test]
fn x5_not_json_is_corrupt() {
    let (_db, store) = store_with("garbage", 1, "\u{fffd}not json at all");
    expect_corrupt(store.load(&[key(1)]), 1);
}

#[test]
fn x5_envelope_without_format_is_corrupt() {
    let body = envelope_of(&ticket(1)).replacen(r#""format":2,"#, "", 1);
    let (_db, store) = store_with("no-format", 1, &body);
    expect_corrupt(store.load(&[key(1)]), 1);
}

#[test]
fn x5_record_under_another_key_is_corrupt() {
    let (_db, store) = store_with("wrong-key", 1, &envelope_of(&ticket(2)));
    expect_corrupt(store.load(&[key(1)]), 1);
}

#[test]
fn x5_one_bad_record_fails_the_whole_load_naming_it() {
    let (_db, store) = store_with("one-bad", 2, TRUNCATED);
    store
        .commit(Batch::new().with(Record::Ticket(ticket(1)), Version::NEW))
        .unwrap();
    expect_corrupt(store.load(&[key(1), key(2)]), 2);
    assert_eq!(store.load(&[key(1)]).unwrap().len(), 1);
}

#[test]
fn x5_newer_format_is_unsupported_naming_the_key() {
    let reader = Envelope::READER;
    let (_db, store) = store_with("newer", 1, &newer_envelope(reader + 2, reader + 1));
    match store.load(&[key(1)]) {
        Err(
            e @ StoreError::UnsupportedFormat {
                key: k,
                format,
                min_reader,
                reader: r,
            },
        ) if k == key(1) => {
            assert_eq!((format, min_reader, r), (reader + 2, reader + 1, reader));
            let message = e.to_string();
            assert!(message.contains(&key(1).to_string()), "{message}");
            assert!(message.contains("upgrade"), "{message}");
        }
        other => panic!("expected UnsupportedFormat, got {other:?}"),
    }
}

#[test]
fn x5_newer_format_this_build_can_read_loads() {
    // A newer writer that only added information keeps min_reader: this build reads it, and
    // ignores the fields it does not know.
    let t = ticket(1);
    let body = envelope_of(&t)
        .replacen(r#""format":2,"#, r#""format":3,"#, 1)
        .replacen(
            r#""record_data":"#,
            r#""added_later":{"x":[1,2]},"record_data":"#,
            1,
        );
    let (_db, store) = store_with("readable-newer", 1, &body);
    let loaded = store.load(&[key(1)]).unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].value, Record::Ticket(t));
    assert_eq!(loaded[0].version, Version::new(1));
}

#[test]
fn x5_stored_body_is_the_envelope_in_json() {
    let db = TempDb::new("body");
    let store = db.open();
    let t = ticket(1);
    store
        .commit(Batch::new().with(Record::Ticket(t.clone()), Version::NEW))
        .unwrap();
    let connection = rusqlite::Connection::open(db.path()).unwrap();
    let (version, body): (i64, String) = connection
        .query_row(
            "SELECT version, body FROM records WHERE kind = 'ticket' AND id = ?1",
            [TicketId::from_u128(1).as_uuid().as_bytes()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(version, 1);
    assert!(
        body.starts_with(r#"{"format":2,"min_reader":2,"record_data":"#),
        "{body}"
    );
    let decoded: Decoded = serde_json::from_str(&body).unwrap();
    assert_eq!(decoded.into_record(key(1)).unwrap(), Record::Ticket(t));
}

#[test]
fn x4_load_of_more_keys_than_one_query_holds() {
    // 450 stored, 1,000 asked (more than two chunks of 400), some twice: each found once.
    let db = TempDb::new("chunks");
    let store = db.open();
    let mut batch = Batch::new();
    for n in 1..=450 {
        batch.push(Record::Ticket(ticket(n)), Version::NEW);
    }
    store.commit(batch).unwrap();
    let mut keys: Vec<RecordKey> = (1..=1_000).map(key).collect();
    keys.extend((1..=10).map(key));
    let mut found: Vec<RecordKey> = store
        .load(&keys)
        .unwrap()
        .into_iter()
        .map(|v| v.value.key())
        .collect();
    found.sort_unstable();
    let expected: Vec<RecordKey> = {
        let mut all: Vec<RecordKey> = (1..=450).map(key).collect();
        all.sort_unstable();
        all
    };
    assert_eq!(found, expected);
}

#[test]
fn x4_refused_batch_leaves_no_transaction_open() {
    // After a conflict the connection is usable at once, and another connection can write.
    let db = TempDb::new("after-conflict");
    let (a, b) = (db.open(), db.open());
    a.commit(Batch::new().with(Record::Ticket(ticket(1)), Version::NEW))
        .unwrap();
    let stale = a.commit(
        Batch::new()
            .with(Record::Ticket(ticket(2)), Version::NEW)
            .with(Record::Ticket(ticket(1)), Version::NEW),
    );
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    b.commit(Batch::new().with(Record::Ticket(ticket(1)), Version::new(1)))
        .unwrap();
    a.commit(Batch::new().with(Record::Ticket(ticket(2)), Version::NEW))
        .unwrap();
    assert_eq!(a.load(&[key(1), key(2)]).unwrap().len(), 2);
}

/// PostgreSQL `jsonb` and MySQL `JSON` store object keys sorted by length, then bytes.
fn in_jsonb_key_order(body: &str) -> String {
    let value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(body).unwrap();
    let mut keys: Vec<&String> = value.keys().collect();
    keys.sort_by(|a, b| (a.len(), a.as_bytes()).cmp(&(b.len(), b.as_bytes())));
    let fields: Vec<String> = keys
        .iter()
        .map(|k| format!("{:?}:{}", k, value[k.as_str()]))
        .collect();
    format!("{{{}}}", fields.join(","))
}

#[test]
fn x5_newer_format_in_jsonb_key_order_is_unsupported() {
    let reader = Envelope::READER;
    let body = in_jsonb_key_order(&format!(
        r#"{{"record_data":{{"kind":"TICKET","value":{{"shape":["new",1]}}}},"format":{},"min_reader":{}}}"#,
        reader + 2,
        reader + 1
    ));
    assert!(
        body.starts_with(r#"{"format":"#)
            && body.contains(&format!(r#""min_reader":{},"record_data":"#, reader + 1)),
        "{body}"
    );
    let (_db, store) = store_with("reordered", 1, &body);
    match store.load(&[key(1)]) {
        Err(StoreError::UnsupportedFormat { key: k, .. }) if k == key(1) => {}
        other => panic!("expected UnsupportedFormat, got {other:?}"),
    }
}

#[test]
fn x6_newer_body_before_min_reader_is_unsupported() {
    // The body first (a migration script's or a pretty-printer's order): still recognised as
    // newer, whatever tool rewrote it.
    let body = r#"{"format":4,"record_data":{"kind":"TICKET","value":{"shape":["new",1]}},"min_reader":3}"#;
    let (_db, store) = store_with("body-first", 1, body);
    match store.load(&[key(1)]) {
        Err(StoreError::UnsupportedFormat {
            key: k,
            min_reader: 3,
            ..
        }) if k == key(1) => {}
        other => panic!("expected UnsupportedFormat, got {other:?}"),
    }
}

/// Every order of the envelope's three keys, as some tool may have rewritten them.
fn in_every_key_order(format: &str, min_reader: &str, record: &str) -> Vec<String> {
    let fields = [
        format!(r#""format":{format}"#),
        format!(r#""min_reader":{min_reader}"#),
        format!(r#""record_data":{record}"#),
    ];
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    orders
        .iter()
        .map(|order| {
            let parts: Vec<&str> = order.iter().map(|&i| fields[i].as_str()).collect();
            format!("{{{}}}", parts.join(","))
        })
        .collect()
}

#[test]
fn x6_decoding_does_not_depend_on_key_order() {
    let current = serde_json::to_string(&Record::Ticket(ticket(1))).unwrap();
    for body in in_every_key_order("2", "2", &current) {
        let decoded: Decoded = serde_json::from_str(&body).unwrap();
        assert_eq!(
            decoded.into_record(key(1)).unwrap(),
            Record::Ticket(ticket(1)),
            "{body}"
        );
    }
    for body in in_every_key_order("4", "3", r#"{"kind":"TICKET","value":{"shape":["new",1]}}"#) {
        let decoded: Decoded = serde_json::from_str(&body).unwrap();
        assert!(
            matches!(
                decoded.into_record(key(1)),
                Err(StoreError::UnsupportedFormat {
                    format: 4,
                    min_reader: 3,
                    ..
                })
            ),
            "{body}"
        );
    }
    // A current-format body that is not a record stays an error in every order.
    for body in in_every_key_order("2", "2", r#"{"kind":"TICKET","value":{"shape":["new",1]}}"#) {
        assert!(serde_json::from_str::<Decoded>(&body).is_err(), "{body}");
    }
    // Pretty-printed, keys sorted: the same record.
    let pretty =
        format!("{{\n  \"format\": 2,\n  \"min_reader\": 2,\n  \"record_data\": {current}\n}}");
    let decoded: Decoded = serde_json::from_str(&pretty).unwrap();
    assert_eq!(
        decoded.into_record(key(1)).unwrap(),
        Record::Ticket(ticket(1))
    );
}

#[test]
fn x5_newer_format_as_a_sequence_is_unsupported() {
    let reader = Envelope::READER;
    let body = format!(r#"[{},{},{{"shape":["new",1]}}]"#, reader + 2, reader + 1);
    let decoded: Result<Decoded, _> = serde_json::from_str(&body);
    match decoded.map(|d| d.into_record(key(1))) {
        Ok(Err(StoreError::UnsupportedFormat { .. })) => {}
        other => panic!("expected UnsupportedFormat, got {other:?}"),
    }
}
