//! Tests against a real PostgreSQL server (issue 15). They read the server's connection string
//! from `SECURE_TICKET_PG_URL` (`.ci/run` starts a throwaway cluster and exports it; to run them
//! locally, see the README's "PostgreSQL" section). Without it they print why they skip; under
//! `CI=true` a missing server is a failure, never a skip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(
    dead_code,
    unreachable_pub,
    reason = "the example store's API, of which the tests use a part"
)]
#[path = "../../examples/postgres_store/store.rs"]
mod postgres_store;

mod conformance;

use tokio_postgres::NoTls;

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
