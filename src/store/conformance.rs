//! A conformance suite for [`Store`] implementations (feature `testkit`).
//!
//! Each check runs on a fresh database from your [`Harness`] and returns a [`ConformanceFailure`]
//! instead of panicking, so you call it from your own test:
//!
//! ```
//! use secure_ticket::store::conformance::{self, Harness};
//! use secure_ticket::store::{MemoryStore, RecordKey, Unreadable};
//!
//! struct Memory;
//! impl Harness for Memory {
//!     type Store = MemoryStore;
//!     fn fresh(&self) -> Result<MemoryStore, conformance::BoxError> { Ok(MemoryStore::new()) }
//!     fn second_handle(&self, store: &MemoryStore) -> Result<MemoryStore, conformance::BoxError> { Ok(store.clone()) }
//!     fn plant_corrupt(&self, store: &MemoryStore, key: RecordKey) -> Result<(), conformance::BoxError> {
//!         Ok(store.plant_unreadable(key, Unreadable::Corrupt("not json".into()))?)
//!     }
//!     fn plant_newer_format(&self, store: &MemoryStore, key: RecordKey, format: u32, min_reader: u32)
//!         -> Result<(), conformance::BoxError> {
//!         Ok(store.plant_unreadable(key, Unreadable::NewerFormat { format, min_reader })?)
//!     }
//! }
//! assert_eq!(conformance::run_all(&Memory)?, conformance::CHECKS.len());
//! # Ok::<(), conformance::ConformanceFailure>(())
//! ```

use std::fmt;

use time::macros::datetime;

use super::{
    AsyncStore, Batch, ReadPlan, Record, RecordKey, Store, StoreError, Version, Versioned,
};
use crate::command::{Command, CommandRecord, Request};
use crate::email::Email;
use crate::id::{
    CommandId, OrganizerId, PointOfSaleId, RightId, ShipmentModeId, TicketId, TransferGroupId,
    UsageRuleId,
};
use crate::index::{Index, Lookup, Term};
use crate::organizer::OrganizerSettings;
use crate::point_of_sale::PointOfSale;
use crate::ticket::{Distribution, Invalidation, InvalidationReason, ShipmentMode, Ticket};
use crate::transfer_group::{Acceptance, Direction, TransferGroup, TransferStatus};
use crate::usage_rule::UsageRule;
use crate::wallet::DownloadTicket;

pub use super::BoxError;

/// How the suite gets databases and plants bad records in them.
pub trait Harness {
    /// The store under test.
    type Store: Store + Send;

    /// A handle to a new, empty database.
    ///
    /// # Errors
    ///
    /// Any setup failure; the check fails with it.
    fn fresh(&self) -> Result<Self::Store, BoxError>;

    /// Another handle (connection) on the same database as `store`.
    ///
    /// # Errors
    ///
    /// Any setup failure; the check fails with it.
    fn second_handle(&self, store: &Self::Store) -> Result<Self::Store, BoxError>;

    /// Stores bytes under `key` that are not a record.
    ///
    /// # Errors
    ///
    /// Any setup failure; the check fails with it.
    fn plant_corrupt(&self, store: &Self::Store, key: RecordKey) -> Result<(), BoxError>;

    /// Stores under `key` an envelope of format `format` that needs reader `min_reader`.
    ///
    /// # Errors
    ///
    /// Any setup failure; the check fails with it.
    fn plant_newer_format(
        &self,
        store: &Self::Store,
        key: RecordKey,
        format: u32,
        min_reader: u32,
    ) -> Result<(), BoxError>;
}

/// A check that failed: which, and what was seen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("store conformance check `{check}` failed: {detail}")]
pub struct ConformanceFailure {
    /// The check's name.
    pub check: &'static str,
    /// What went wrong.
    pub detail: String,
}

/// A check: its name and its body.
pub type Check<H> = (&'static str, fn(&H) -> Result<(), String>);

/// The names of every check, in the order [`run_all`] runs them.
pub const CHECKS: &[&str] = &[
    "get_after_put",
    "every_record_kind_round_trips",
    "every_record_kind_versioned",
    "update_bumps_version",
    "stale_version_refused_nothing_written",
    "create_over_existing_refused",
    "expected_existing_but_absent_refused",
    "batch_atomic_on_middle_conflict",
    "duplicate_key_in_batch_refused",
    "missing_ids_absent",
    "batched_load_of_many",
    "reads_after_writes_across_handles",
    "racing_handles_exactly_one_winner",
    "unreadable_record_refused",
    "newer_format_refused",
    "read_follows_plan",
    "index_matches_a_scan_after_random_batches",
    "refused_batch_changes_no_index_nor_feed",
    "paging_neither_repeats_nor_skips",
    "feed_is_ordered_and_complete",
    "prune_is_bounded_and_waits_for_readers",
    "one_valid_ticket_per_right",
];

mod system;

fn checks<H: Harness>() -> [Check<H>; 22] {
    [
        ("get_after_put", get_after_put::<H>),
        (
            "every_record_kind_round_trips",
            every_record_kind_round_trips::<H>,
        ),
        (
            "every_record_kind_versioned",
            every_record_kind_versioned::<H>,
        ),
        ("update_bumps_version", update_bumps_version::<H>),
        (
            "stale_version_refused_nothing_written",
            stale_version_refused_nothing_written::<H>,
        ),
        (
            "create_over_existing_refused",
            create_over_existing_refused::<H>,
        ),
        (
            "expected_existing_but_absent_refused",
            expected_existing_but_absent_refused::<H>,
        ),
        (
            "batch_atomic_on_middle_conflict",
            batch_atomic_on_middle_conflict::<H>,
        ),
        (
            "duplicate_key_in_batch_refused",
            duplicate_key_in_batch_refused::<H>,
        ),
        ("missing_ids_absent", missing_ids_absent::<H>),
        ("batched_load_of_many", batched_load_of_many::<H>),
        (
            "reads_after_writes_across_handles",
            reads_after_writes_across_handles::<H>,
        ),
        (
            "racing_handles_exactly_one_winner",
            racing_handles_exactly_one_winner::<H>,
        ),
        ("unreadable_record_refused", unreadable_record_refused::<H>),
        ("newer_format_refused", newer_format_refused::<H>),
        ("read_follows_plan", read_follows_plan::<H>),
        (
            "index_matches_a_scan_after_random_batches",
            system::index_matches_a_scan_after_random_batches::<H>,
        ),
        (
            "refused_batch_changes_no_index_nor_feed",
            system::refused_batch_changes_no_index_nor_feed::<H>,
        ),
        (
            "paging_neither_repeats_nor_skips",
            system::paging_neither_repeats_nor_skips::<H>,
        ),
        (
            "feed_is_ordered_and_complete",
            system::feed_is_ordered_and_complete::<H>,
        ),
        (
            "prune_is_bounded_and_waits_for_readers",
            system::prune_is_bounded_and_waits_for_readers::<H>,
        ),
        (
            "one_valid_ticket_per_right",
            one_valid_ticket_per_right::<H>,
        ),
    ]
}

/// Runs every check, each on a fresh database, and returns how many passed (all of them).
///
/// # Errors
///
/// The first [`ConformanceFailure`].
pub fn run_all<H: Harness>(harness: &H) -> Result<usize, ConformanceFailure> {
    let all = checks::<H>();
    for (check, body) in &all {
        body(harness).map_err(|detail| ConformanceFailure { check, detail })?;
    }
    Ok(all.len())
}

/// Runs one check by name.
///
/// # Errors
///
/// A [`ConformanceFailure`] if it fails or no check has that name.
pub fn run_one<H: Harness>(harness: &H, name: &str) -> Result<(), ConformanceFailure> {
    let all = checks::<H>();
    let (check, body) = all
        .iter()
        .find(|(check, _)| *check == name)
        .ok_or_else(|| ConformanceFailure {
            check: "run_one",
            detail: format!("no check is named `{name}`"),
        })?;
    body(harness).map_err(|detail| ConformanceFailure { check, detail })
}

fn fail(what: impl fmt::Display) -> String {
    what.to_string()
}

fn ticket(n: u128) -> Ticket {
    Ticket::new(
        OrganizerId::from_u128(1),
        TicketId::from_u128(n),
        RightId::from_u128(n),
        Distribution::new(
            PointOfSaleId::from_u128(1),
            ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1)),
        ),
    )
}

fn email(s: &str) -> Result<Email, String> {
    Email::parse(s).map_err(fail)
}

fn one_of_each() -> Result<Vec<Record>, String> {
    let at = datetime!(2026-11-23 12:00 UTC);
    let (alice, bob) = (email("alice@example.com")?, email("bob@example.com")?);
    let group = TransferGroup {
        id: TransferGroupId::from_u128(1),
        organizer: OrganizerId::from_u128(1),
        sender: alice.clone(),
        recipient: bob,
        direction: Direction::Forward,
        tickets: TicketId::from_u128(1).into(),
        status: TransferStatus::Pending,
        acceptance: Acceptance::Explicit,
        created_at: at,
        expires_at: None,
        closed_at: None,
        replaces: None,
        performance_ends_at: None,
        back_office: None,
    };
    let request = Request {
        id: CommandId::from_u128(1),
        organizer: OrganizerId::from_u128(1),
        command: Command::Download(DownloadTicket {
            ticket: TicketId::from_u128(1),
            actor: alice,
            at,
        }),
    };
    Ok(vec![
        Record::Ticket(ticket(1)),
        Record::TransferGroup(group),
        Record::PointOfSale(
            PointOfSale::b2b(OrganizerId::from_u128(1), PointOfSaleId::from_u128(1))
                .with_mobile_take_back(true),
        ),
        Record::UsageRule(UsageRule::new(
            OrganizerId::from_u128(1),
            UsageRuleId::from_u128(1),
        )),
        Record::Settings(OrganizerSettings::new(OrganizerId::from_u128(1))),
        Record::Command(CommandRecord {
            organizer: request.organizer,
            id: request.id,
            digest: request.digest(),
            at,
            outcome: crate::command::RecordedOutcome::Accepted { events: 0 },
        }),
        Record::Spectator(crate::spectator::Spectator {
            lock: Some(crate::spectator::LockChange {
                by: crate::staff::StaffAction::new(
                    crate::staff::Staff::new(
                        crate::id::StaffId::from_u128(1),
                        crate::staff::StaffRole::Admin,
                    ),
                    crate::staff::Reason::parse("conformance").map_err(fail)?,
                ),
                at,
            }),
            ..crate::spectator::Spectator::new(
                OrganizerId::from_u128(1),
                email("carol@example.com")?,
            )
        }),
    ])
}

fn load_one<S: Store>(store: &S, key: RecordKey) -> Result<Option<Versioned<Record>>, String> {
    let mut found = store
        .load(&[key])
        .map_err(|e| format!("load of {key} failed: {e}"))?;
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        n => Err(format!("load of {key} returned {n} records")),
    }
}

fn expect_version<S: Store>(store: &S, key: RecordKey, version: Version) -> Result<(), String> {
    let found = load_one(store, key)?.map_or(Version::NEW, |v| v.version);
    if found == version {
        Ok(())
    } else {
        Err(format!("{key} is at {found}, expected {version}"))
    }
}

fn expect_conflict(
    result: Result<(), StoreError>,
    key: RecordKey,
    expected: Version,
    actual: Version,
) -> Result<(), String> {
    match result {
        Err(StoreError::Conflict {
            key: k,
            expected: e,
            actual: a,
        }) if (k, e, a) == (key, expected, actual) => Ok(()),
        other => Err(format!(
            "expected Conflict {{ {key}, expected {expected}, actual {actual} }}, got {other:?}"
        )),
    }
}

fn put<S: Store>(store: &S, record: Record, expected: Version) -> Result<(), String> {
    store
        .commit(Batch::new().with(record, expected))
        .map_err(|e| format!("commit failed: {e}"))
}

fn get_after_put<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let record = Record::Ticket(ticket(1));
    put(&store, record.clone(), Version::NEW)?;
    match load_one(&store, record.key())? {
        Some(Versioned { value, version }) if value == record && version == Version::NEW.next() => {
            Ok(())
        }
        other => Err(format!("expected the ticket at v1, got {other:?}")),
    }
}

fn every_record_kind_round_trips<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let records = one_of_each()?;
    let mut batch = Batch::new();
    for record in &records {
        batch.push(record.clone(), Version::NEW);
    }
    store
        .commit(batch)
        .map_err(|e| format!("commit failed: {e}"))?;
    for record in records {
        match load_one(&store, record.key())? {
            Some(found) if found.value == record => {}
            other => return Err(format!("{} came back as {other:?}", record.key())),
        }
    }
    Ok(())
}

/// Every kind keeps its own versions: a second creation and a stale update are refused for each
/// (a store that files one kind apart must version it too, or a command could run twice, X3).
fn every_record_kind_versioned<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    for record in one_of_each()? {
        let key = record.key();
        put(&store, record.clone(), Version::NEW)?;
        let again = store.commit(Batch::new().with(record.clone(), Version::NEW));
        expect_conflict(again, key, Version::NEW, Version::new(1))?;
        put(&store, record.clone(), Version::new(1))?;
        let stale = store.commit(Batch::new().with(record, Version::new(1)));
        expect_conflict(stale, key, Version::new(1), Version::new(2))?;
        expect_version(&store, key, Version::new(2))?;
    }
    Ok(())
}

fn update_bumps_version<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let mut t = ticket(1);
    put(&store, Record::Ticket(t.clone()), Version::NEW)?;
    let mut version = Version::NEW.next();
    for n in 0..3u32 {
        t.distribution.printed = n % 2 == 0;
        put(&store, Record::Ticket(t.clone()), version)?;
        version = version.next();
        expect_version(&store, RecordKey::Ticket(t.id), version)?;
    }
    match load_one(&store, RecordKey::Ticket(t.id))? {
        Some(found) if found.value == Record::Ticket(t) => Ok(()),
        other => Err(format!("the last write is not what loads: {other:?}")),
    }
}

fn stale_version_refused_nothing_written<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let mut t = ticket(1);
    let key = RecordKey::Ticket(t.id);
    put(&store, Record::Ticket(t.clone()), Version::NEW)?;
    put(&store, Record::Ticket(t.clone()), Version::new(1))?;
    t.distribution.printed = true;
    let stale = store.commit(Batch::new().with(Record::Ticket(t), Version::new(1)));
    expect_conflict(stale, key, Version::new(1), Version::new(2))?;
    match load_one(&store, key)? {
        Some(found)
            if found.version == Version::new(2) && found.value == Record::Ticket(ticket(1)) =>
        {
            Ok(())
        }
        other => Err(format!("a refused write changed the record: {other:?}")),
    }
}

fn create_over_existing_refused<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let t = ticket(1);
    put(&store, Record::Ticket(t.clone()), Version::NEW)?;
    let again = store.commit(Batch::new().with(Record::Ticket(t.clone()), Version::NEW));
    expect_conflict(
        again,
        RecordKey::Ticket(t.id),
        Version::NEW,
        Version::new(1),
    )?;
    expect_version(&store, RecordKey::Ticket(t.id), Version::new(1))
}

fn expected_existing_but_absent_refused<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let t = ticket(1);
    let result = store.commit(Batch::new().with(Record::Ticket(t.clone()), Version::new(1)));
    expect_conflict(
        result,
        RecordKey::Ticket(t.id),
        Version::new(1),
        Version::NEW,
    )?;
    expect_version(&store, RecordKey::Ticket(t.id), Version::NEW)
}

fn batch_atomic_on_middle_conflict<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    put(&store, Record::Ticket(ticket(2)), Version::NEW)?;
    let mut changed = ticket(2);
    changed.distribution.printed = true;
    let batch = Batch::new()
        .with(Record::Ticket(ticket(1)), Version::NEW)
        .with(Record::Ticket(changed), Version::new(7))
        .with(Record::Ticket(ticket(3)), Version::NEW);
    expect_conflict(
        store.commit(batch),
        RecordKey::Ticket(TicketId::from_u128(2)),
        Version::new(7),
        Version::new(1),
    )?;
    expect_version(
        &store,
        RecordKey::Ticket(TicketId::from_u128(1)),
        Version::NEW,
    )?;
    expect_version(
        &store,
        RecordKey::Ticket(TicketId::from_u128(3)),
        Version::NEW,
    )?;
    match load_one(&store, RecordKey::Ticket(TicketId::from_u128(2)))? {
        Some(found)
            if found.value == Record::Ticket(ticket(2)) && found.version == Version::new(1) =>
        {
            Ok(())
        }
        other => Err(format!("the conflicting record changed: {other:?}")),
    }
}

fn duplicate_key_in_batch_refused<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let batch = Batch::new()
        .with(Record::Ticket(ticket(1)), Version::NEW)
        .with(Record::Ticket(ticket(2)), Version::NEW)
        .with(Record::Ticket(ticket(1)), Version::NEW);
    match store.commit(batch) {
        Err(StoreError::DuplicateKey { key })
            if key == RecordKey::Ticket(TicketId::from_u128(1)) => {}
        other => return Err(format!("expected DuplicateKey for ticket 1, got {other:?}")),
    }
    expect_version(
        &store,
        RecordKey::Ticket(TicketId::from_u128(1)),
        Version::NEW,
    )?;
    expect_version(
        &store,
        RecordKey::Ticket(TicketId::from_u128(2)),
        Version::NEW,
    )
}

fn missing_ids_absent<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    put(&store, Record::Ticket(ticket(1)), Version::NEW)?;
    let keys = [
        RecordKey::Ticket(TicketId::from_u128(9)),
        RecordKey::Ticket(TicketId::from_u128(1)),
        RecordKey::TransferGroup(TransferGroupId::from_u128(1)),
        RecordKey::Settings(OrganizerId::from_u128(1)),
    ];
    let found = store.load(&keys).map_err(|e| format!("load failed: {e}"))?;
    match found.as_slice() {
        [only] if only.value.key() == RecordKey::Ticket(TicketId::from_u128(1)) => Ok(()),
        other => Err(format!(
            "expected only ticket 1, got {} records",
            other.len()
        )),
    }
}

fn batched_load_of_many<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let mut batch = Batch::new();
    for n in 1..=200 {
        batch.push(Record::Ticket(ticket(n)), Version::NEW);
    }
    store
        .commit(batch)
        .map_err(|e| format!("commit of 200 failed: {e}"))?;
    let mut keys: Vec<RecordKey> = (1..=250)
        .map(|n| RecordKey::Ticket(TicketId::from_u128(n)))
        .collect();
    keys.push(RecordKey::Ticket(TicketId::from_u128(5))); // asked twice, returned once
    let found = store.load(&keys).map_err(|e| format!("load failed: {e}"))?;
    let mut ids: Vec<RecordKey> = found.iter().map(|v| v.value.key()).collect();
    ids.sort_unstable();
    ids.dedup();
    if found.len() == 200 && ids.len() == 200 {
        Ok(())
    } else {
        Err(format!(
            "expected the 200 stored tickets once each, got {} ({} distinct)",
            found.len(),
            ids.len()
        ))
    }
}

fn reads_after_writes_across_handles<H: Harness>(harness: &H) -> Result<(), String> {
    let a = harness.fresh().map_err(fail)?;
    let b = harness.second_handle(&a).map_err(fail)?;
    put(&a, Record::Ticket(ticket(1)), Version::NEW)?;
    expect_version(
        &b,
        RecordKey::Ticket(TicketId::from_u128(1)),
        Version::new(1),
    )?;
    put(&b, Record::Ticket(ticket(1)), Version::new(1))?;
    expect_version(
        &a,
        RecordKey::Ticket(TicketId::from_u128(1)),
        Version::new(2),
    )
}

/// What [`race`] gives back: each handle with its commit's result.
type Raced<S> = ((S, Result<(), StoreError>), (S, Result<(), StoreError>));

/// Commits `first` through `a` and `second` through `b` at once, from two threads.
fn race<S: Store + Send>(a: S, b: S, first: Batch, second: Batch) -> Result<Raced<S>, String> {
    let commit = |store: S, batch: Batch| {
        let result = store.commit(batch);
        (store, result)
    };
    let joined = std::thread::scope(|s| {
        let ta = s.spawn(move || commit(a, first));
        let tb = s.spawn(move || commit(b, second));
        (ta.join(), tb.join())
    });
    match joined {
        (Ok(ja), Ok(jb)) => Ok((ja, jb)),
        _ => Err("a committing thread panicked".to_owned()),
    }
}

fn racing_handles_exactly_one_winner<H: Harness>(harness: &H) -> Result<(), String> {
    let mut a = harness.fresh().map_err(fail)?;
    let mut b = harness.second_handle(&a).map_err(fail)?;
    let key = RecordKey::Ticket(TicketId::from_u128(1));
    put(&a, Record::Ticket(ticket(1)), Version::NEW)?;
    for round in 1..=20u64 {
        let version = Version::new(round);
        let batch = || Batch::new().with(Record::Ticket(ticket(1)), version);
        let ((back_a, ra), (back_b, rb)) =
            race(a, b, batch(), batch()).map_err(|e| format!("round {round}: {e}"))?;
        (a, b) = (back_a, back_b);
        match (&ra, &rb) {
            (Ok(()), Err(e)) | (Err(e), Ok(())) if e.is_conflict() => {}
            _ => {
                return Err(format!(
                    "round {round}: expected one winner and one Conflict, got {ra:?} and {rb:?}"
                ));
            }
        }
        expect_version(&a, key, version.next())?;
    }
    Ok(())
}

/// Ticket `n` of `organizer` for right `right`, valid.
fn ticket_of_right(organizer: u128, n: u128, right: u128) -> Ticket {
    let mut ticket = ticket(n);
    ticket.organizer = OrganizerId::from_u128(organizer);
    ticket.right = RightId::from_u128(right);
    ticket
}

/// `ticket`, invalidated by a take back that `replaced_by` replaces it.
fn invalidated(ticket: &Ticket, replaced_by: TicketId) -> Ticket {
    let mut old = ticket.clone();
    old.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::MobileTakeBack,
        at: datetime!(2026-11-23 12:00 UTC),
        replaced_by: Some(replaced_by),
    });
    old
}

/// The tickets the valid-ticket index of `right` (organizer 1) holds.
fn valid_of_right<S: Store>(store: &S, right: u128) -> Result<Vec<RecordKey>, String> {
    let lookup = Lookup::new(
        Index::ValidTicketByRight,
        OrganizerId::from_u128(1),
        Term::Id(RightId::from_u128(right).as_uuid()),
        10,
    );
    Ok(store
        .query(&lookup)
        .map_err(fail)?
        .into_iter()
        .map(|h| h.key)
        .collect())
}

/// Contract item 10 (B11): a second valid ticket for a right is refused with the holder named
/// and nothing written; a batch that invalidates the holder and creates its replacement lands,
/// in either order of its writes; the same right of another organizer is another term; two
/// handles racing to create a valid ticket for one right: exactly one wins.
fn one_valid_ticket_per_right<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let first = ticket_of_right(1, 1, 7);
    put(&store, Record::Ticket(first.clone()), Version::NEW)?;
    let second = ticket_of_right(1, 2, 7);
    let refused = store.commit(Batch::new().with(Record::Ticket(second.clone()), Version::NEW));
    match &refused {
        Err(StoreError::UniqueEntryTaken {
            index: Index::ValidTicketByRight,
            key,
            holder,
            ..
        }) if *key == RecordKey::Ticket(second.id) && *holder == RecordKey::Ticket(first.id) => {}
        other => {
            return Err(format!(
                "a second valid ticket for right 7: expected UniqueEntryTaken held by ticket 1, \
                 got {other:?}"
            ));
        }
    }
    if load_one(&store, RecordKey::Ticket(second.id))?.is_some() {
        return Err("the refused ticket was written".to_owned());
    }
    if valid_of_right(&store, 7)? != [RecordKey::Ticket(first.id)] {
        return Err("the refused batch changed the valid-ticket index".to_owned());
    }
    // Two in one batch are refused too.
    let twins = Batch::new()
        .with(Record::Ticket(ticket_of_right(1, 3, 8)), Version::NEW)
        .with(Record::Ticket(ticket_of_right(1, 4, 8)), Version::NEW);
    if !matches!(
        store.commit(twins),
        Err(StoreError::UniqueEntryTaken { .. })
    ) {
        return Err("two valid tickets for right 8 in one batch were accepted".to_owned());
    }
    // A take back: the replacement's entry added, the old ticket's removed, in either order.
    let v1 = Version::NEW.next();
    let mut take_back = Batch::new();
    take_back.push(Record::Ticket(second.clone()), Version::NEW);
    take_back.push_update(
        Some(&Record::Ticket(first.clone())),
        Record::Ticket(invalidated(&first, second.id)),
        v1,
    );
    store
        .commit(take_back)
        .map_err(|e| format!("a take back batch (new ticket first) was refused: {e}"))?;
    if valid_of_right(&store, 7)? != [RecordKey::Ticket(second.id)] {
        return Err(
            "after the take back, right 7's valid ticket is not the replacement".to_owned(),
        );
    }
    let third = ticket_of_right(1, 5, 7);
    let mut again = Batch::new();
    again.push_update(
        Some(&Record::Ticket(second.clone())),
        Record::Ticket(invalidated(&second, third.id)),
        v1,
    );
    again.push(Record::Ticket(third.clone()), Version::NEW);
    store
        .commit(again)
        .map_err(|e| format!("a take back batch (old ticket first) was refused: {e}"))?;
    // Another organizer's right 7 is another term.
    put(
        &store,
        Record::Ticket(ticket_of_right(2, 6, 7)),
        Version::NEW,
    )
    .map_err(|e| format!("organizer 2's ticket for right 7: {e}"))?;
    // Two handles race to create a valid ticket for one right: exactly one wins.
    let mut b = harness.second_handle(&store).map_err(fail)?;
    let mut a = store;
    for round in 0..20u128 {
        let right = round.saturating_add(100);
        let first = round.saturating_mul(2).saturating_add(1_000);
        let create =
            |n: u128| Batch::new().with(Record::Ticket(ticket_of_right(1, n, right)), Version::NEW);
        let ((back_a, ra), (back_b, rb)) =
            race(a, b, create(first), create(first.saturating_add(1)))
                .map_err(|e| format!("round {round}: {e}"))?;
        (a, b) = (back_a, back_b);
        match (&ra, &rb) {
            (Ok(()), Err(StoreError::UniqueEntryTaken { .. }))
            | (Err(StoreError::UniqueEntryTaken { .. }), Ok(())) => {}
            _ => {
                return Err(format!(
                    "round {round}: expected one winner and one UniqueEntryTaken, got {ra:?} and {rb:?}"
                ));
            }
        }
        if valid_of_right(&a, right)?.len() != 1 {
            return Err(format!(
                "round {round}: right {right} has not one valid ticket"
            ));
        }
    }
    Ok(())
}

fn unreadable_record_refused<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let key = RecordKey::Ticket(TicketId::from_u128(1));
    harness.plant_corrupt(&store, key).map_err(fail)?;
    match store.load(&[key]) {
        Err(StoreError::Corrupt { key: k, .. }) if k == key => Ok(()),
        other => Err(format!("expected Corrupt for {key}, got {other:?}")),
    }
}

fn newer_format_refused<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let key = RecordKey::Ticket(TicketId::from_u128(1));
    let min_reader = super::Envelope::READER.saturating_add(1);
    harness
        .plant_newer_format(&store, key, min_reader.saturating_add(1), min_reader)
        .map_err(fail)?;
    match store.load(&[key]) {
        Err(StoreError::UnsupportedFormat {
            key: k,
            min_reader: m,
            ..
        }) if k == key && m == min_reader => Ok(()),
        other => Err(format!(
            "expected UnsupportedFormat for {key}, got {other:?}"
        )),
    }
}

/// `read` returns the plan's records once each, at the versions `load` gives, and nothing but
/// what the plan leads to (a group's tickets, their usage rule).
fn read_follows_plan<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let at = datetime!(2026-11-23 12:00 UTC);
    let alice = email("alice@example.com")?;
    let rule = UsageRule::new(OrganizerId::from_u128(1), UsageRuleId::from_u128(1));
    let mut records = vec![
        Record::UsageRule(rule),
        Record::UsageRule(UsageRule::new(
            OrganizerId::from_u128(1),
            UsageRuleId::from_u128(2),
        )),
    ];
    for n in 1..=3 {
        let injected = crate::injection::inject(
            &ticket(n),
            &crate::injection::InjectTicket {
                ticket: TicketId::from_u128(n),
                to: alice.clone(),
                usage_rule: rule.id,
                at,
            },
        )
        .map_err(fail)?;
        records.extend(injected.tickets.into_iter().map(Record::Ticket));
    }
    let mut group = match one_of_each()?.into_iter().nth(1) {
        Some(Record::TransferGroup(group)) => group,
        _ => return Err("the sample group is missing".into()),
    };
    group.tickets = vec![TicketId::from_u128(1), TicketId::from_u128(2)].into();
    let group_key = RecordKey::TransferGroup(group.id);
    records.push(Record::TransferGroup(group));
    let mut batch = Batch::new();
    for record in records {
        batch.push(record, Version::NEW);
    }
    store
        .commit(batch)
        .map_err(|e| format!("setup commit failed: {e}"))?;

    let absent = RecordKey::Ticket(TicketId::from_u128(9));
    let plan = ReadPlan::new(vec![group_key, absent])
        .with_group_tickets()
        .with_usage_rules();
    let found = store
        .read(&plan)
        .map_err(|e| format!("read failed: {e}"))?
        .records;
    let mut keys: Vec<RecordKey> = found.iter().map(|v| v.value.key()).collect();
    keys.sort_unstable();
    let allowed = [
        group_key,
        RecordKey::Ticket(TicketId::from_u128(1)),
        RecordKey::Ticket(TicketId::from_u128(2)),
        RecordKey::UsageRule(rule.id),
    ];
    if !keys.contains(&group_key) {
        return Err("read did not return the group it was asked for".into());
    }
    if keys.windows(2).any(|pair| matches!(pair, [a, b] if a == b)) {
        return Err(format!("read returned a record twice: {keys:?}"));
    }
    if let Some(extra) = keys.iter().find(|key| !allowed.contains(key)) {
        return Err(format!(
            "read returned {extra}, which the plan does not lead to"
        ));
    }
    let loaded = store.load(&keys).map_err(|e| format!("load failed: {e}"))?;
    for record in &found {
        let key = record.value.key();
        let same = loaded.iter().any(|l| {
            l.value.key() == key && l.version == record.version && l.value == record.value
        });
        if !same {
            return Err(format!("read and load disagree on {key}"));
        }
    }
    let plain = store
        .read(&ReadPlan::new(vec![RecordKey::Ticket(
            TicketId::from_u128(3),
        )]))
        .map_err(|e| format!("read failed: {e}"))?
        .records;
    match plain.as_slice() {
        [only] if only.value.key() == RecordKey::Ticket(TicketId::from_u128(3)) => Ok(()),
        other => Err(format!(
            "a plan without leads should return ticket 3 alone, got {} records",
            other.len()
        )),
    }
}

/// How the suite gets async databases ([`run_all_async`]): [`Harness`] for an [`AsyncStore`].
/// Setting up may block: the suite runs on the calling thread.
pub trait AsyncHarness {
    /// The store under test.
    type Store: AsyncStore + Send + Sync;

    /// A handle to a new, empty database.
    ///
    /// # Errors
    ///
    /// Any setup failure; the check fails with it.
    fn fresh(&self) -> Result<Self::Store, BoxError>;

    /// Another handle (connection) on the same database as `store`.
    ///
    /// # Errors
    ///
    /// Any setup failure; the check fails with it.
    fn second_handle(&self, store: &Self::Store) -> Result<Self::Store, BoxError>;

    /// Stores bytes under `key` that are not a record.
    ///
    /// # Errors
    ///
    /// Any setup failure; the check fails with it.
    fn plant_corrupt(&self, store: &Self::Store, key: RecordKey) -> Result<(), BoxError>;

    /// Stores under `key` an envelope of format `format` that needs reader `min_reader`.
    ///
    /// # Errors
    ///
    /// Any setup failure; the check fails with it.
    fn plant_newer_format(
        &self,
        store: &Self::Store,
        key: RecordKey,
        format: u32,
        min_reader: u32,
    ) -> Result<(), BoxError>;
}

/// Runs every check of [`run_all`] through the [`AsyncStore`] contract: each store call is a
/// future, awaited on the calling thread (which parks until the store's runtime wakes it).
///
/// # Errors
///
/// The first [`ConformanceFailure`].
///
/// # Examples
///
/// ```
/// use secure_ticket::store::conformance::{self, AsyncHarness};
/// use secure_ticket::store::{Blocking, MemoryStore, RecordKey, Unreadable};
///
/// struct Memory;
/// impl AsyncHarness for Memory {
///     type Store = Blocking<MemoryStore>;
///     fn fresh(&self) -> Result<Self::Store, conformance::BoxError> { Ok(Blocking::new(MemoryStore::new())) }
///     fn second_handle(&self, store: &Self::Store) -> Result<Self::Store, conformance::BoxError> {
///         Ok(store.clone())
///     }
///     fn plant_corrupt(&self, store: &Self::Store, key: RecordKey) -> Result<(), conformance::BoxError> {
///         Ok(store.get().plant_unreadable(key, Unreadable::Corrupt("not json".into()))?)
///     }
///     fn plant_newer_format(&self, store: &Self::Store, key: RecordKey, format: u32, min_reader: u32)
///         -> Result<(), conformance::BoxError> {
///         Ok(store.get().plant_unreadable(key, Unreadable::NewerFormat { format, min_reader })?)
///     }
/// }
/// assert_eq!(conformance::run_all_async(&Memory)?, conformance::CHECKS.len());
/// # Ok::<(), conformance::ConformanceFailure>(())
/// ```
pub fn run_all_async<H: AsyncHarness>(harness: &H) -> Result<usize, ConformanceFailure> {
    run_all(&ViaAsync(harness))
}

/// Runs one check by name through the [`AsyncStore`] contract.
///
/// # Errors
///
/// A [`ConformanceFailure`] if it fails or no check has that name.
pub fn run_one_async<H: AsyncHarness>(harness: &H, name: &str) -> Result<(), ConformanceFailure> {
    run_one(&ViaAsync(harness), name)
}

/// An [`AsyncHarness`] seen as a [`Harness`]: its stores are called through [`BlockOn`].
struct ViaAsync<'h, H>(&'h H);

impl<H: AsyncHarness> Harness for ViaAsync<'_, H> {
    type Store = BlockOn<H::Store>;

    fn fresh(&self) -> Result<Self::Store, BoxError> {
        self.0.fresh().map(BlockOn)
    }

    fn second_handle(&self, store: &Self::Store) -> Result<Self::Store, BoxError> {
        self.0.second_handle(&store.0).map(BlockOn)
    }

    fn plant_corrupt(&self, store: &Self::Store, key: RecordKey) -> Result<(), BoxError> {
        self.0.plant_corrupt(&store.0, key)
    }

    fn plant_newer_format(
        &self,
        store: &Self::Store,
        key: RecordKey,
        format: u32,
        min_reader: u32,
    ) -> Result<(), BoxError> {
        self.0.plant_newer_format(&store.0, key, format, min_reader)
    }
}

/// An [`AsyncStore`] called as a [`Store`]: every future awaited on the calling thread.
struct BlockOn<S>(S);

impl<S: AsyncStore> Store for BlockOn<S> {
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        block_on(self.0.load(keys))
    }

    fn read(&self, plan: &ReadPlan) -> Result<crate::store::Read, StoreError> {
        block_on(self.0.read(plan))
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        block_on(self.0.commit(batch))
    }

    fn query(&self, lookup: &Lookup) -> Result<Vec<crate::index::Hit>, StoreError> {
        block_on(self.0.query(lookup))
    }

    fn feed(
        &self,
        query: &crate::feed::FeedQuery,
    ) -> Result<Vec<crate::feed::FeedEntry>, StoreError> {
        block_on(self.0.feed(query))
    }

    fn prune(
        &self,
        before: time::OffsetDateTime,
        limit: u32,
    ) -> Result<crate::store::Pruned, StoreError> {
        block_on(self.0.prune(before, limit))
    }
}

/// Wakes the thread that waits for a future.
struct Unpark(std::thread::Thread);

impl std::task::Wake for Unpark {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread until it is ready, parking between polls.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut context = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park();
    }
}
