//! The store conformance suite on PostgreSQL, through both contracts: `PgBlockingStore` (sync,
//! two connections on one schema) and `PgStore` (async). Each check gets a fresh PostgreSQL
//! schema, dropped when the harness is.

use std::sync::Mutex;

use secure_ticket::store::conformance::{self, AsyncHarness, BoxError, Harness};
use secure_ticket::store::{RecordKey, Version};

use super::{drop_schemas, schema_name};
use crate::postgres_store::{PgBlockingStore, PgStore};

/// Bytes that are not a record.
const TRUNCATED: &str = r#"{"format":2,"min_reader":2,"record_data":{"kind":"TICK"#;

/// An envelope of a newer format.
fn newer_envelope(format: u32, min_reader: u32) -> String {
    format!(
        r#"{{"format":{format},"min_reader":{min_reader},"record_data":{{"kind":"TICKET","value":{{"shape":["new",1]}}}}}}"#
    )
}

/// Writes `body` under `key` at `version`, as damage or a newer build would leave it.
async fn plant(
    store: &PgStore,
    key: RecordKey,
    version: Version,
    body: &str,
) -> Result<(), BoxError> {
    let version = i64::try_from(version.get())?;
    match key {
        RecordKey::Command(command) => {
            store
                .execute_raw(
                    "INSERT INTO commands (organizer, id, version, at, body) VALUES ($1, $2, $3, 0, $4) \
                     ON CONFLICT (organizer, id) DO UPDATE SET version = excluded.version, body = excluded.body",
                    &[
                        &command.organizer.as_uuid().as_bytes().as_slice(),
                        &command.id.as_uuid().as_bytes().as_slice(),
                        &version,
                        &body,
                    ],
                )
                .await?;
        }
        _ => {
            store
                .execute_raw(
                    "INSERT INTO records (kind, id, version, body) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, body = excluded.body",
                    &[
                        &key.kind().as_str(),
                        &key.uuid().as_bytes().as_slice(),
                        &version,
                        &body,
                    ],
                )
                .await?;
        }
    }
    Ok(())
}

/// The sync contract: `PgBlockingStore`s on fresh schemas, dropped with the harness.
struct Blocking {
    url: String,
    schemas: Mutex<Vec<String>>,
}

impl Drop for Blocking {
    fn drop(&mut self) {
        drop_schemas(&self.url, &self.schemas.lock().unwrap());
    }
}

impl Harness for Blocking {
    type Store = PgBlockingStore;

    fn fresh(&self) -> Result<PgBlockingStore, BoxError> {
        let schema = schema_name("sync");
        let store = PgBlockingStore::connect(&self.url, &schema)?;
        self.schemas.lock().unwrap().push(schema);
        Ok(store)
    }

    fn second_handle(&self, store: &PgBlockingStore) -> Result<PgBlockingStore, BoxError> {
        Ok(store.reconnect()?)
    }

    fn plant_corrupt(&self, store: &PgBlockingStore, key: RecordKey) -> Result<(), BoxError> {
        store.block_on(plant(store.inner(), key, Version::new(1), TRUNCATED))
    }

    fn plant_newer_format(
        &self,
        store: &PgBlockingStore,
        key: RecordKey,
        format: u32,
        min_reader: u32,
    ) -> Result<(), BoxError> {
        let body = newer_envelope(format, min_reader);
        store.block_on(plant(store.inner(), key, Version::new(1), &body))
    }
}

/// The async contract: `PgStore`s whose connections run on the harness's runtime, on fresh
/// schemas dropped with the harness.
struct Async {
    url: String,
    runtime: tokio::runtime::Runtime,
    schemas: Mutex<Vec<String>>,
}

impl Drop for Async {
    fn drop(&mut self) {
        drop_schemas(&self.url, &self.schemas.lock().unwrap());
    }
}

impl AsyncHarness for Async {
    type Store = PgStore;

    fn fresh(&self) -> Result<PgStore, BoxError> {
        let schema = schema_name("async");
        let store = self
            .runtime
            .block_on(PgStore::connect(&self.url, &schema))?;
        self.schemas.lock().unwrap().push(schema);
        Ok(store)
    }

    fn second_handle(&self, store: &PgStore) -> Result<PgStore, BoxError> {
        Ok(self.runtime.block_on(store.reconnect())?)
    }

    fn plant_corrupt(&self, store: &PgStore, key: RecordKey) -> Result<(), BoxError> {
        self.runtime
            .block_on(plant(store, key, Version::new(1), TRUNCATED))
    }

    fn plant_newer_format(
        &self,
        store: &PgStore,
        key: RecordKey,
        format: u32,
        min_reader: u32,
    ) -> Result<(), BoxError> {
        let body = newer_envelope(format, min_reader);
        self.runtime
            .block_on(plant(store, key, Version::new(1), &body))
    }
}

#[test]
fn x4_conformance_on_postgresql_through_the_sync_contract() {
    let Some(url) = super::server() else { return };
    let harness = Blocking {
        url,
        schemas: Mutex::new(Vec::new()),
    };
    let checks = conformance::run_all(&harness).unwrap();
    assert_eq!(checks, conformance::CHECKS.len());
}

#[test]
fn x4_conformance_on_postgresql_through_the_async_contract() {
    let Some(url) = super::server() else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let harness = Async {
        url,
        runtime,
        schemas: Mutex::new(Vec::new()),
    };
    let checks = conformance::run_all_async(&harness).unwrap();
    assert_eq!(checks, conformance::CHECKS.len());
}
