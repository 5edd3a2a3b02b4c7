//! The SQLite store's cache of decoded records must never serve what the database no longer holds
//! (SPEC X4): another connection's commit, a planted body, a refused batch, and evictions.

use secure_ticket::store::{Batch, Record, RecordKey, Store, StoreError, Version, Versioned};
use secure_ticket::{Ticket, TicketId};

use crate::common::{TRUNCATED, TempDb, ticket};
use crate::sqlite_hooks::SqliteHooks;
use crate::sqlite_store::SqliteStore;

fn key(n: u128) -> RecordKey {
    RecordKey::Ticket(TicketId::from_u128(n))
}

/// Ticket `n`, marked printed or not so two states of it differ.
fn state(n: u128, printed: bool) -> Record {
    let mut t: Ticket = ticket(n);
    t.distribution.printed = printed;
    Record::Ticket(t)
}

fn load_one(store: &SqliteStore, n: u128) -> Versioned<Record> {
    let mut found = store.load(&[key(n)]).unwrap();
    assert_eq!(found.len(), 1, "ticket {n} should be stored");
    found.remove(0)
}

#[test]
fn x4_cached_record_is_dropped_when_another_connection_commits() {
    let db = TempDb::new("cache-other");
    let (a, b) = (db.open(), db.open());
    a.commit(Batch::new().with(state(1, false), Version::NEW))
        .unwrap();
    assert_eq!(load_one(&a, 1).value, state(1, false)); // now cached by `a`

    b.commit(Batch::new().with(state(1, true), Version::new(1)))
        .unwrap();

    let seen = load_one(&a, 1);
    assert_eq!(seen.version, Version::new(2));
    assert_eq!(seen.value, state(1, true));
}

#[test]
fn x4_write_from_a_stale_cache_entry_is_refused() {
    let db = TempDb::new("cache-stale");
    let (a, b) = (db.open(), db.open());
    a.commit(Batch::new().with(state(1, false), Version::NEW))
        .unwrap();
    let cached = load_one(&a, 1);
    b.commit(Batch::new().with(state(1, true), cached.version))
        .unwrap();

    let refused = a.commit(Batch::new().with(state(1, false), cached.version));
    assert!(
        matches!(refused, Err(StoreError::Conflict { expected, actual, .. })
            if expected == Version::new(1) && actual == Version::new(2)),
        "{refused:?}"
    );
    assert_eq!(load_one(&b, 1).value, state(1, true));
}

#[test]
fn x4_own_write_updates_the_cache() {
    let db = TempDb::new("cache-own");
    let a = db.open();
    a.commit(Batch::new().with(state(1, false), Version::NEW))
        .unwrap();
    a.commit(Batch::new().with(state(1, true), Version::new(1)))
        .unwrap();
    let seen = load_one(&a, 1);
    assert_eq!(
        (seen.version, seen.value),
        (Version::new(2), state(1, true))
    );
    // and a fresh connection, with nothing cached, reads the same from the file
    let fresh = load_one(&db.open(), 1);
    assert_eq!(
        (fresh.version, fresh.value),
        (Version::new(2), state(1, true))
    );
}

#[test]
fn x4_refused_batch_leaves_no_cached_write() {
    let db = TempDb::new("cache-refused");
    let a = db.open();
    a.commit(Batch::new().with(state(1, false), Version::NEW))
        .unwrap();
    load_one(&a, 1);
    // The first write would land, the second conflicts: the whole batch is refused.
    let refused = a.commit(
        Batch::new()
            .with(state(1, true), Version::new(1))
            .with(state(2, true), Version::new(5)),
    );
    assert!(
        matches!(refused, Err(StoreError::Conflict { .. })),
        "{refused:?}"
    );
    let seen = load_one(&a, 1);
    assert_eq!(
        (seen.version, seen.value),
        (Version::new(1), state(1, false))
    );
    assert!(a.load(&[key(2)]).unwrap().is_empty());
}

#[test]
fn x5_body_planted_over_a_cached_record_is_read_again() {
    let db = TempDb::new("cache-plant");
    let a = db.open();
    a.commit(Batch::new().with(state(1, false), Version::NEW))
        .unwrap();
    load_one(&a, 1);
    a.plant_raw(key(1), Version::new(1), TRUNCATED).unwrap();
    assert!(matches!(
        a.load(&[key(1)]),
        Err(StoreError::Corrupt { key: k, .. }) if k == key(1)
    ));
}

#[test]
fn x4_small_or_no_cache_loads_the_same_records() {
    for records in [0, 2, 3] {
        let db = TempDb::new("cache-small");
        let store = SqliteStore::open_with_cache(db.path(), records).unwrap();
        for n in 1..=10 {
            store
                .commit(Batch::new().with(state(n, false), Version::NEW))
                .unwrap();
        }
        for n in (1..=10).rev() {
            store
                .commit(Batch::new().with(state(n, true), Version::new(1)))
                .unwrap();
        }
        let keys: Vec<RecordKey> = (1..=10).chain(1..=4).map(key).collect();
        let mut found = store.load(&keys).unwrap();
        found.sort_by_key(|v| v.value.key());
        let expected: Vec<(Version, Record)> = (1..=10)
            .map(|n| (Version::new(2), state(n, true)))
            .collect();
        let got: Vec<(Version, Record)> = found.into_iter().map(|v| (v.version, v.value)).collect();
        assert_eq!(got, expected, "cache of {records} records");
    }
}
