//! The stores on a real PostgreSQL server (issue 15). The server's connection string comes from
//! `SECURE_TICKET_PG_URL` (`.ci/run` starts a throwaway cluster and exports it; to run these
//! locally, see the README's Testing section). Without it the tests print why they skip; under
//! `CI=true` a missing server is a failure, never a skip.

#[cfg(feature = "testkit")]
mod conformance;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio_postgres::NoTls;

use crate::postgres_store::PgBlockingStore;

/// The server's connection string, or `None` (with the reason printed) when the tests skip.
///
/// # Panics
///
/// Under `CI=true` without `SECURE_TICKET_PG_URL`: CI must run these tests.
pub(crate) fn server() -> Option<String> {
    match std::env::var("SECURE_TICKET_PG_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("CI=true but SECURE_TICKET_PG_URL is not set: .ci/run starts the server")
        }
        _ => {
            eprintln!(
                "skipped: SECURE_TICKET_PG_URL is not set (no PostgreSQL server for these tests)"
            );
            None
        }
    }
}

/// A PostgreSQL cluster of one test's own, for what the shared server must not see (a restart):
/// `initdb` in a temporary folder, reached through a Unix socket there, stopped and removed on
/// drop. The server binaries come from `SECURE_TICKET_PG_BIN` (`.ci/run` exports the ones it
/// uses) or the newest `/usr/lib/postgresql/*/bin`; as root, the cluster runs as `postgres`.
pub(crate) struct PrivateServer {
    bin: PathBuf,
    dir: PathBuf,
    as_postgres: bool,
}

impl PrivateServer {
    /// A new cluster, started; `None` (with the reason printed) when there are no server
    /// binaries outside CI.
    ///
    /// # Panics
    ///
    /// When the cluster cannot be made or started, or under `CI=true` without binaries.
    pub(crate) fn start(label: &str) -> Option<Self> {
        let Some(bin) = server_binaries() else {
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!("CI=true but no PostgreSQL server binaries (initdb, pg_ctl) were found");
            }
            eprintln!("skipped: no PostgreSQL server binaries (set SECURE_TICKET_PG_BIN)");
            return None;
        };
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|out| out.stdout.trim_ascii() == b"0");
        // Short: a Unix socket's path has at most 107 bytes.
        let dir = PathBuf::from(format!("/tmp/st-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let server = Self {
            bin,
            dir,
            as_postgres,
        };
        if as_postgres {
            server.run(Command::new("chown").arg("postgres").arg(&server.dir));
        }
        let data = server.dir.join("data");
        server.run(server.tool("initdb").arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        ]));
        server.start_again();
        Some(server)
    }

    /// The cluster's connection string.
    pub(crate) fn url(&self) -> String {
        format!("host={} user=postgres dbname=postgres", self.dir.display())
    }

    /// Stops the server as an operator's restart does (`-m fast`: sessions are ended, open
    /// transactions rolled back).
    pub(crate) fn stop(&self) {
        self.run(self.pg_ctl().args(["-m", "fast", "stop"]));
    }

    /// Starts the (stopped) server.
    pub(crate) fn start_again(&self) {
        let log = self.dir.join("server.log");
        let options = format!(
            "-k {} -c listen_addresses= -c fsync=off",
            self.dir.display()
        );
        self.run(
            self.pg_ctl()
                .arg("-l")
                .arg(log)
                .args(["-w", "-t", "60", "-o", &options, "start"]),
        );
    }

    fn pg_ctl(&self) -> Command {
        let mut command = self.tool("pg_ctl");
        command.arg("-D").arg(self.dir.join("data"));
        command
    }

    /// `name` of the server binaries, run as the cluster's owner.
    fn tool(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    fn run(&self, command: &mut Command) {
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{command:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let _ = self.pg_ctl().args(["-m", "immediate", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The folder of `initdb` and `pg_ctl`: `SECURE_TICKET_PG_BIN`, else the newest installed.
fn server_binaries() -> Option<PathBuf> {
    let usable = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(dir) = std::env::var("SECURE_TICKET_PG_BIN") {
        return Some(PathBuf::from(dir)).filter(|dir| usable(dir));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, dir)| usable(dir))
        .collect();
    found.sort();
    found.pop().map(|(_, dir)| dir)
}

/// A new PostgreSQL schema name, unique to this process and call.
pub(crate) fn schema_name(label: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "t_{label}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// `n` connections on a fresh schema of the server, the schema dropped with the last of them
/// (see [`Schema`]); `None` when the tests skip.
pub(crate) fn handles(label: &str, n: usize) -> Option<(Schema, Vec<PgBlockingStore>)> {
    let url = server()?;
    let schema = schema_name(label);
    let first = PgBlockingStore::connect(&url, &schema).unwrap();
    let others: Vec<_> = (1..n).map(|_| first.reconnect().unwrap()).collect();
    let all = std::iter::once(first).chain(others).collect();
    Some((Schema { url, name: schema }, all))
}

/// A schema of the server, dropped when this is.
pub(crate) struct Schema {
    url: String,
    name: String,
}

impl Schema {
    /// The server's connection string.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The schema's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        drop_schemas(&self.url, std::slice::from_ref(&self.name));
    }
}

/// Drops `schemas` (and everything in them).
pub(crate) fn drop_schemas(url: &str, schemas: &[String]) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async {
        let Ok((client, connection)) = tokio_postgres::connect(url, NoTls).await else {
            return;
        };
        let connection = tokio::spawn(connection);
        for schema in schemas {
            let _ = client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                .await;
        }
        drop(client);
        let _ = connection.await;
    });
}

/// The server CI starts is one every test can use: PostgreSQL 15 or newer, UTF-8, with data
/// checksums on (so the server itself detects a damaged page: contract item 6).
#[tokio::test]
async fn x5_the_ci_server_is_postgresql_15_with_data_checksums() {
    let Some(url) = server() else { return };
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    let connection = tokio::spawn(connection);
    let version: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .unwrap()
        .get(0);
    assert!(version >= 150_000, "PostgreSQL {version}");
    let checksums: String = client
        .query_one("SHOW data_checksums", &[])
        .await
        .unwrap()
        .get(0);
    let encoding: String = client
        .query_one("SHOW server_encoding", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!((checksums.as_str(), encoding.as_str()), ("on", "UTF8"));
    drop(client);
    connection.await.unwrap().unwrap();
}

/// Bad input at open: a server that cannot be reached and a schema name that is not plain are
/// typed errors; a database whose schema a newer build wrote is refused, naming its version.
#[test]
fn x5_a_wrong_url_a_bad_schema_name_and_a_newer_schema_are_typed_errors() {
    use crate::postgres_store::{OpenError, SCHEMA_VERSION};
    let Some((schema, handles)) = handles("open", 1) else {
        return;
    };
    let url = schema.url.clone();
    let unreachable = PgBlockingStore::connect("host=/nonexistent/socket/dir user=postgres", "s");
    assert!(
        matches!(unreachable, Err(OpenError::Connect { .. })),
        "{unreachable:?}"
    );
    for name in ["", "Public", "a;drop", "1abc", &"a".repeat(64)] {
        let refused = PgBlockingStore::connect(&url, name);
        assert!(
            matches!(&refused, Err(OpenError::SchemaName { schema }) if schema == name),
            "{name}: {refused:?}"
        );
    }
    let store = &handles[0];
    store
        .block_on(store.inner().execute_raw(
            "UPDATE secure_ticket_schema SET version = $1",
            &[&(SCHEMA_VERSION + 1)],
        ))
        .unwrap();
    match PgBlockingStore::connect(&url, &schema.name) {
        Err(e @ OpenError::NewerSchema { found }) => {
            assert_eq!(found, SCHEMA_VERSION + 1);
            assert!(e.to_string().contains("newer"), "{e}");
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
}

/// A server that goes away: the backend of one store's connection is terminated (as a restart
/// would). The call that meets the closed connection fails with a typed `Unavailable` error and
/// writes nothing; the next call opens a new connection and works.
#[test]
fn x4_after_its_connection_is_lost_the_store_works_again() {
    use secure_ticket::ErrorKind;
    use secure_ticket::store::{Batch, Record, RecordKey, Store, Version};
    let Some((schema, handles)) = handles("lost", 2) else {
        return;
    };
    let (store, other) = (&handles[0], &handles[1]);
    let ticket = crate::common::ticket(1);
    store
        .commit(Batch::new().with(Record::Ticket(ticket.clone()), Version::NEW))
        .unwrap();
    let terminated = other
        .block_on(other.inner().execute_raw(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
            &[&format!("secure_ticket_{}", schema.name)],
        ))
        .unwrap();
    assert!(terminated >= 1, "no backend terminated");
    // Let the terminations land before the next call.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let key = RecordKey::Ticket(ticket.id);
    let mut changed = ticket.clone();
    changed.performance = Some(secure_ticket::PerformanceId::from_u128(9));
    let batch = || Batch::new().with(Record::Ticket(changed.clone()), Version::new(1));
    match store.commit(batch()) {
        Ok(()) => {} // the connection was opened again before the call: fine too
        Err(error) => {
            assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
            assert_eq!(other.load(&[key]).unwrap()[0].version, Version::new(1));
            store.commit(batch()).unwrap();
        }
    }
    let loaded = store.load(&[key]).unwrap();
    assert_eq!(loaded[0].version, Version::new(2));
    assert_eq!(loaded[0].value, Record::Ticket(changed));
}

/// A statement timeout (set through the connection string's `options`): a commit that waits
/// past it, here on a row another connection holds locked, fails with a typed `Unavailable`
/// error and writes nothing of its batch; once the lock is gone the same commit works.
#[test]
fn x4_a_statement_timeout_is_a_typed_error_and_the_batch_is_all_or_nothing() {
    use secure_ticket::ErrorKind;
    use secure_ticket::store::{Batch, Record, RecordKey, Store, Version};
    let Some((schema, handles)) = handles("timeout", 1) else {
        return;
    };
    let setup = &handles[0];
    let (a, b) = (crate::common::ticket(1), crate::common::ticket(2));
    setup
        .commit(
            Batch::new()
                .with(Record::Ticket(a.clone()), Version::NEW)
                .with(Record::Ticket(b.clone()), Version::NEW),
        )
        .unwrap();
    let impatient = PgBlockingStore::connect(
        &format!("{} options='-c statement_timeout=200'", schema.url()),
        schema.name(),
    )
    .unwrap();
    // Another connection holds ticket 2's row.
    let (locker, connection) = impatient
        .block_on(tokio_postgres::connect(schema.url(), NoTls))
        .unwrap();
    impatient.block_on(async {
        tokio::spawn(connection);
        locker
            .batch_execute(&format!(
                "BEGIN; SELECT 1 FROM {}.records WHERE id = '\\x{}' FOR UPDATE",
                schema.name(),
                b.id.as_uuid().simple()
            ))
            .await
            .unwrap();
    });
    let mut changed = (a.clone(), b.clone());
    changed.0.performance = Some(secure_ticket::PerformanceId::from_u128(9));
    changed.1.performance = Some(secure_ticket::PerformanceId::from_u128(9));
    let batch = || {
        Batch::new()
            .with(Record::Ticket(changed.0.clone()), Version::new(1))
            .with(Record::Ticket(changed.1.clone()), Version::new(1))
    };
    let refused = impatient.commit(batch()).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Unavailable, "{refused}");
    let keys = [RecordKey::Ticket(a.id), RecordKey::Ticket(b.id)];
    let stored = setup.load(&keys).unwrap();
    assert!(
        stored.iter().all(|r| r.version == Version::new(1)),
        "half a batch landed"
    );
    impatient
        .block_on(locker.batch_execute("ROLLBACK"))
        .unwrap();
    impatient.commit(batch()).unwrap();
    let stored = setup.load(&keys).unwrap();
    assert!(stored.iter().all(|r| r.version == Version::new(2)));
}

/// The ticket and group of the round-trip tests ([`crate::common::explicit_world`]).
const T1: secure_ticket::TicketId = secure_ticket::TicketId::from_u128(1);
const G7: secure_ticket::TransferGroupId = secure_ticket::TransferGroupId::from_u128(7);

/// The records of `read` as (key, version), sorted: what two reads are compared by.
fn read_keys(
    read: &secure_ticket::store::Read,
) -> Vec<(
    secure_ticket::store::RecordKey,
    secure_ticket::store::Version,
)> {
    let mut keys: Vec<_> = read
        .records
        .iter()
        .map(|r| (r.value.key(), r.version))
        .collect();
    keys.sort();
    keys
}

/// Runs `sql` on `store`'s connection: the rows it changed.
fn raw(store: &PgBlockingStore, sql: &str) -> u64 {
    store.block_on(store.inner().execute_raw(sql, &[])).unwrap()
}

/// Alice sends ticket 1 to Bob in group 7 (command 2).
fn send_to_bob() -> secure_ticket::service::Request {
    use secure_ticket::service::Command;
    use secure_ticket::transfer::{InitiateTransfer, NewGroupIds};

    use crate::common::{AT, alice, bob, request};
    request(
        2,
        Command::Initiate(InitiateTransfer {
            actor: alice(),
            recipient: bob(),
            tickets: vec![T1],
            groups: NewGroupIds::single(G7),
            at: AT,
        }),
    )
}

/// Round trips per command (issue 15's target: one read and one commit). With explicit
/// acceptance, Alice's ticket is sent to Bob, who accepts: the initiation reads the ticket, its
/// rule, the settings and the command record in one statement; the acceptance reads the group,
/// and through it the ticket and the ticket's rule, in one statement too (the rows keep their
/// leads). A retry of the acceptance is answered by one read and its feed entry (no commit).
#[test]
fn x4_a_command_is_one_read_and_one_commit_on_postgres() {
    use secure_ticket::service::{Command, Service};
    use secure_ticket::transfer::AcceptTransfer;

    use crate::common::{AT, bob, request};
    let Some((_schema, handles)) = handles("trips", 1) else {
        return;
    };
    let store = &handles[0];
    crate::common::explicit_world(store);
    let service = Service::new(store);
    let trips = |run: &dyn Fn()| {
        let before = store.inner().round_trips();
        run();
        store.inner().round_trips() - before
    };
    let accept = request(
        3,
        Command::Accept(AcceptTransfer {
            group: G7,
            actor: bob(),
            at: AT,
        }),
    );
    assert_eq!(trips(&|| drop(service.execute(&send_to_bob()).unwrap())), 2);
    let accepted = || {
        let outcome = service.execute(&accept).unwrap();
        assert!(!outcome.events.is_empty());
    };
    assert_eq!(trips(&accepted), 2);
    // The retry: the command record and its feed entry, nothing written.
    assert_eq!(trips(&accepted), 2);
}

/// K4's price on PostgreSQL: under a rule that keeps one, an initiation reads the sender's other
/// tickets in a second read (a lookup of the index of tickets by owner and the read of its
/// records, sent together) and writes the kept ticket back: three round trips; under any other
/// rule it stays at two.
#[test]
fn k4_an_initiation_under_keep_one_is_two_reads_and_one_commit_on_postgres() {
    use secure_ticket::KeepOne;
    use secure_ticket::service::Service;
    use secure_ticket::store::Record;

    use crate::common::{alice, inject, rule, ticket};
    let Some((_schema, handles)) = handles("keep_one_trips", 1) else {
        return;
    };
    let store = &handles[0];
    crate::common::explicit_world(store);
    let service = Service::new(store);
    // A second ticket of the same performance under a rule that keeps one.
    let keep =
        secure_ticket::UsageRule::new(rule().organizer, secure_ticket::UsageRuleId::from_u128(9))
            .with_keep_one(KeepOne::Enabled);
    let performance = secure_ticket::PerformanceId::from_u128(4);
    let mut first = ticket(5);
    first.performance = Some(performance);
    let mut second = ticket(6);
    second.performance = Some(performance);
    let match_day = secure_ticket::Performance::new(
        rule().organizer,
        performance,
        crate::common::AT,
        crate::common::AT + time::Duration::hours(3),
    )
    .unwrap();
    service
        .create([
            Record::UsageRule(keep),
            Record::Performance(match_day),
            Record::Ticket(first.clone()),
            Record::Ticket(second),
        ])
        .unwrap();
    for (n, id) in [
        (5u128, first.id),
        (6, secure_ticket::TicketId::from_u128(6)),
    ] {
        let mut injection = inject(n, id, alice());
        if let secure_ticket::service::Command::Inject(c) = &mut injection.command {
            c.usage_rule = keep.id;
        }
        service.execute(&injection).unwrap();
    }
    let trips = |run: &dyn Fn()| {
        let before = store.inner().round_trips();
        run();
        store.inner().round_trips() - before
    };
    assert_eq!(trips(&|| drop(service.execute(&send_to_bob()).unwrap())), 2);
    let mut send = send_to_bob();
    send.id = secure_ticket::CommandId::from_u128(77);
    if let secure_ticket::service::Command::Initiate(c) = &mut send.command {
        c.tickets = vec![first.id];
        c.groups = secure_ticket::transfer::NewGroupIds::single(
            secure_ticket::TransferGroupId::from_u128(70),
        );
    }
    assert_eq!(trips(&|| drop(service.execute(&send).unwrap())), 3);
}

/// Rows written by schema version 2 have no `leads` column value: a plan's read follows them
/// step by step (more round trips), and reads exactly what the one-statement read reads.
#[test]
fn x4_rows_without_leads_are_followed_step_by_step_on_postgres() {
    use secure_ticket::service::Service;
    use secure_ticket::store::{ReadPlan, RecordKey, Store};

    use crate::common::rule;
    let Some((_schema, handles)) = handles("leads", 1) else {
        return;
    };
    let store = &handles[0];
    crate::common::explicit_world(store);
    Service::new(store).execute(&send_to_bob()).unwrap();
    // The group, its ticket, the ticket's pending group (the same), rule, performance, POS.
    let plan = ReadPlan::new(vec![RecordKey::TransferGroup(G7)])
        .with_group_tickets()
        .with_pending_groups()
        .with_usage_rules()
        .with_performances()
        .with_points_of_sale();
    let before = store.inner().round_trips();
    let followed = store.read(&plan).unwrap();
    assert_eq!(store.inner().round_trips() - before, 1);
    assert!(
        followed
            .records
            .iter()
            .any(|r| r.value.key() == RecordKey::UsageRule(rule().id)),
        "the rule two steps away was not read: {:?}",
        read_keys(&followed)
    );
    let nulled = raw(store, "UPDATE records SET leads = NULL");
    assert!(nulled >= 4, "{nulled} rows");
    let before = store.inner().round_trips();
    let stepped = store.read(&plan).unwrap();
    assert!(store.inner().round_trips() - before > 1);
    assert_eq!(read_keys(&stepped), read_keys(&followed));
}

/// A schema of version 2 (no `leads` column, the commit function without leads) is upgraded
/// when a store connects: the column is added, the function replaced, the version set to 3, and
/// the rows written before are read (followed step by step) and written again as before.
#[test]
fn x5_a_version_2_schema_is_upgraded_at_connect() {
    use secure_ticket::service::Service;
    use secure_ticket::store::{ReadPlan, RecordKey, Store};

    use crate::postgres_store::SCHEMA_VERSION;
    let Some((schema, handles)) = handles("upgrade", 1) else {
        return;
    };
    let store = &handles[0];
    crate::common::explicit_world(store);
    Service::new(store).execute(&send_to_bob()).unwrap();
    let plan = ReadPlan::new(vec![RecordKey::TransferGroup(G7)])
        .with_group_tickets()
        .with_usage_rules();
    let before = read_keys(&store.read(&plan).unwrap());
    // Back to version 2's shape.
    raw(store, "ALTER TABLE records DROP COLUMN leads");
    raw(store, "UPDATE secure_ticket_schema SET version = 2");
    drop(handles);
    let upgraded = PgBlockingStore::connect(schema.url(), schema.name()).unwrap();
    let version = upgraded
        .block_on(
            upgraded
                .inner()
                .query_raw("SELECT version FROM secure_ticket_schema", &[]),
        )
        .unwrap();
    assert_eq!(version[0].get::<_, i32>(0), SCHEMA_VERSION);
    assert_eq!(read_keys(&upgraded.read(&plan).unwrap()), before);
    // The store writes again, and what it writes now keeps its leads.
    let service = Service::new(&upgraded);
    service
        .execute(&crate::common::request(
            3,
            secure_ticket::service::Command::Cancel(secure_ticket::transfer::CancelTransfer {
                group: G7,
                actor: crate::common::alice(),
                at: crate::common::AT,
            }),
        ))
        .unwrap();
    let trips = upgraded.inner().round_trips();
    upgraded.read(&plan).unwrap();
    assert_eq!(
        upgraded.inner().round_trips() - trips,
        1,
        "the rewritten rows lead in one read"
    );
}
