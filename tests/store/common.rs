//! Fixtures: fixed times and ids, people, tickets, temporary SQLite files, and the conformance
//! harnesses of both stores.

use secure_ticket::injection::InjectTicket;
use secure_ticket::service::{Command, Request};
use secure_ticket::{
    AcceptanceSettings, CommandId, Distribution, Email, OrganizerId, OrganizerSettings,
    PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId, TransferBackward,
    TransferLimit, UsageRule, UsageRuleId,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::sqlite_store::SqliteStore;

/// The time of every command.
pub(crate) const AT: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);
/// The organizer whose settings every command uses.
pub(crate) const ORGANIZER: OrganizerId = OrganizerId::from_u128(1);
/// The usage rule every ticket follows.
pub(crate) const RULE: UsageRuleId = UsageRuleId::from_u128(1);

pub(crate) fn alice() -> Email {
    Email::parse("alice@example.com").unwrap()
}

pub(crate) fn bob() -> Email {
    Email::parse("bob@example.com").unwrap()
}

pub(crate) fn carol() -> Email {
    Email::parse("carol@example.com").unwrap()
}

/// Ticket `n` of right `n`, secure mobile, not injected.
pub(crate) fn ticket(n: u128) -> Ticket {
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

/// [`RULE`]: at most 2 transfers, backward transfers NEUTRAL.
pub(crate) fn rule() -> UsageRule {
    UsageRule::new(OrganizerId::from_u128(1), RULE)
        .with_max_transfers(TransferLimit::new(2).unwrap())
        .with_transfer_backward(TransferBackward::Neutral)
}

/// [`ORGANIZER`]'s settings, with automatic acceptance (groups complete at the recipient's sign-in).
pub(crate) fn settings() -> OrganizerSettings {
    OrganizerSettings::new(ORGANIZER).with_acceptance(AcceptanceSettings::automatic())
}

/// A SQLite file in the temporary directory, removed (with its WAL files) on drop.
#[derive(Debug)]
pub(crate) struct TempDb {
    path: PathBuf,
}

impl TempDb {
    pub(crate) fn new(label: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "secure-ticket-store-test-{}-{n}-{label}.db",
            std::process::id()
        ));
        remove_database(&path);
        Self { path }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// A new connection on this file.
    pub(crate) fn open(&self) -> SqliteStore {
        SqliteStore::open(&self.path).unwrap()
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        remove_database(&self.path);
    }
}

fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

/// A request of the organizer.
pub(crate) fn request(id: u128, command: Command) -> Request {
    Request {
        id: CommandId::from_u128(id),
        organizer: ORGANIZER,
        command,
    }
}

/// Injects `ticket` to `to` under the usage rule.
pub(crate) fn inject(id: u128, ticket: TicketId, to: Email) -> Request {
    request(
        id,
        Command::Inject(InjectTicket {
            ticket,
            to,
            usage_rule: rule().id,
            at: AT,
        }),
    )
}

/// Explicit acceptance, the usage rule, ticket 1 injected to Alice (command 1), through the
/// shell on `store`.
pub(crate) fn explicit_world<S: secure_ticket::store::Store>(store: &S) {
    use secure_ticket::service::Service;
    use secure_ticket::store::Record;
    let service = Service::new(store);
    let mut explicit = settings();
    explicit.acceptance = AcceptanceSettings::explicit();
    service
        .create([
            Record::UsageRule(rule()),
            Record::Settings(explicit),
            Record::Ticket(ticket(1)),
        ])
        .unwrap();
    service
        .execute(&inject(1, TicketId::from_u128(1), alice()))
        .unwrap();
}

/// Bytes that are not a record: a valid envelope cut in the middle of its ticket.
pub(crate) const TRUNCATED: &str =
    r#"{"format":1,"min_reader":1,"record_data":{"kind":"TICKET","value":{"id":"00000000-00"#;

/// An envelope of `format` that needs reader `min_reader`, with a record this build cannot read.
pub(crate) fn newer_envelope(format: u32, min_reader: u32) -> String {
    format!(
        r#"{{"format":{format},"min_reader":{min_reader},"record_data":{{"kind":"TICKET","value":{{"shape":["new",1]}}}}}}"#
    )
}

#[cfg(feature = "testkit")]
pub(crate) use harnesses::{AsyncMemory, AsyncSqlite, Memory, Sqlite};

#[cfg(feature = "testkit")]
mod harnesses {
    use std::sync::Mutex;

    use secure_ticket::store::conformance::{AsyncHarness, BoxError, Harness};
    use secure_ticket::store::{Blocking, MemoryStore, RecordKey, Unreadable, Version};

    use super::{TRUNCATED, TempDb, newer_envelope};
    use crate::sqlite_hooks::SqliteHooks;
    use crate::sqlite_store::SqliteStore;

    /// The conformance harness of [`MemoryStore`]: a second handle is a clone.
    #[derive(Debug, Default)]
    pub(crate) struct Memory;

    impl Harness for Memory {
        type Store = MemoryStore;

        fn fresh(&self) -> Result<MemoryStore, BoxError> {
            Ok(MemoryStore::new())
        }

        fn second_handle(&self, store: &MemoryStore) -> Result<MemoryStore, BoxError> {
            Ok(store.clone())
        }

        fn plant_corrupt(&self, store: &MemoryStore, key: RecordKey) -> Result<(), BoxError> {
            Ok(store.plant_unreadable(key, Unreadable::Corrupt("truncated JSON".into()))?)
        }

        fn plant_newer_format(
            &self,
            store: &MemoryStore,
            key: RecordKey,
            format: u32,
            min_reader: u32,
        ) -> Result<(), BoxError> {
            Ok(store.plant_unreadable(key, Unreadable::NewerFormat { format, min_reader })?)
        }
    }

    /// The conformance harness of [`SqliteStore`]: each fresh database is a new temporary file, a
    /// second handle another connection on it. The files go when the harness does.
    #[derive(Debug, Default)]
    pub(crate) struct Sqlite {
        files: Mutex<Vec<TempDb>>,
    }

    impl Harness for Sqlite {
        type Store = SqliteStore;

        fn fresh(&self) -> Result<SqliteStore, BoxError> {
            let db = TempDb::new("conformance");
            let store = SqliteStore::open(db.path())?;
            self.files.lock().unwrap().push(db);
            Ok(store)
        }

        fn second_handle(&self, store: &SqliteStore) -> Result<SqliteStore, BoxError> {
            Ok(SqliteStore::open(store.path())?)
        }

        fn plant_corrupt(&self, store: &SqliteStore, key: RecordKey) -> Result<(), BoxError> {
            Ok(store.plant_raw(key, Version::new(1), TRUNCATED)?)
        }

        fn plant_newer_format(
            &self,
            store: &SqliteStore,
            key: RecordKey,
            format: u32,
            min_reader: u32,
        ) -> Result<(), BoxError> {
            Ok(store.plant_raw(key, Version::new(1), &newer_envelope(format, min_reader))?)
        }
    }

    /// A sync harness's store under the async contract, through [`Blocking`]: the same
    /// databases, every call through the `AsyncStore` methods.
    #[derive(Debug, Default)]
    pub(crate) struct ViaBlocking<H>(pub(crate) H);

    /// [`MemoryStore`] under the async contract.
    pub(crate) type AsyncMemory = ViaBlocking<Memory>;

    /// The SQLite example store under the async contract.
    pub(crate) type AsyncSqlite = ViaBlocking<Sqlite>;

    impl<H: Harness> AsyncHarness for ViaBlocking<H>
    where
        H::Store: Sync,
    {
        type Store = Blocking<H::Store>;

        fn fresh(&self) -> Result<Self::Store, BoxError> {
            self.0.fresh().map(Blocking::new)
        }

        fn second_handle(&self, store: &Self::Store) -> Result<Self::Store, BoxError> {
            self.0.second_handle(store.get()).map(Blocking::new)
        }

        fn plant_corrupt(&self, store: &Self::Store, key: RecordKey) -> Result<(), BoxError> {
            self.0.plant_corrupt(store.get(), key)
        }

        fn plant_newer_format(
            &self,
            store: &Self::Store,
            key: RecordKey,
            format: u32,
            min_reader: u32,
        ) -> Result<(), BoxError> {
            self.0
                .plant_newer_format(store.get(), key, format, min_reader)
        }
    }
}
