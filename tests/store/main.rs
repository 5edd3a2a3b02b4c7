//! The storage contract and the shell (SPEC X3, X4, X5), against `MemoryStore` and the SQLite store
//! of `examples/sqlite_store/store.rs`.
//!
//! - `conformance`: the conformance suite on both stores, one test per check (feature `testkit`).
//! - `concurrency`: threads racing on hot tickets through `Service`; no update may be lost, and a
//!   store that ignores versions must be caught losing some.
//! - `rounds`: reads per command, torn reads retried, the `Execution` machine by hand, the async
//!   driver.
//! - `shell`: command ids (X3), not found, ids in use, the bounded retry loop, refusals.
//! - `formats`: corrupt and newer-format records planted in SQLite.
//! - `cache`: the SQLite store's decoded-record cache never serves what the file no longer holds.
//! - `sqlite_hooks`: what only tests need from the SQLite store (planting raw bodies), on its file.
//! - `postgres`: the PostgreSQL store of `examples/postgres_store/store.rs` on the server
//!   `SECURE_TICKET_PG_URL` names: the conformance suite through both contracts, the races.
//! - `time_range`: times outside the accepted range get the same typed error on both stores (X12).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

/// The store methods a test wrapper only passes on to its inner store.
macro_rules! forward_reads {
    ($field:tt) => {
        fn query(
            &self,
            lookup: &secure_ticket::index::Lookup,
        ) -> Result<Vec<secure_ticket::index::Hit>, StoreError> {
            self.$field.query(lookup)
        }

        fn feed(
            &self,
            query: &secure_ticket::feed::FeedQuery,
        ) -> Result<Vec<secure_ticket::feed::FeedEntry>, StoreError> {
            self.$field.feed(query)
        }

        fn prune(
            &self,
            before: time::OffsetDateTime,
            limit: u32,
        ) -> Result<secure_ticket::store::Pruned, StoreError> {
            self.$field.prune(before, limit)
        }
    };
}

/// Runs each scenario, a function of two handles on one fresh database, on `MemoryStore` (two
/// clones) and on SQLite (two connections on one temporary file).
macro_rules! on_both_stores {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                #[test]
                fn memory() {
                    let store = secure_ticket::store::MemoryStore::new();
                    super::$scenario(store.clone(), store);
                }

                #[test]
                fn sqlite() {
                    let db = crate::common::TempDb::new(stringify!($scenario));
                    super::$scenario(db.open(), db.open());
                }
            }
        )*
    };
}

#[allow(
    dead_code,
    unreachable_pub,
    reason = "the example store's API, of which the tests use a part"
)]
#[path = "../../examples/sqlite_store/store.rs"]
mod sqlite_store;

#[allow(
    dead_code,
    unreachable_pub,
    reason = "the example store's API, of which the tests use a part"
)]
#[path = "../../examples/postgres_store/store.rs"]
mod postgres_store;

mod b11_create;
mod batch;
mod cache;
mod common;
mod concurrency;
#[cfg(feature = "testkit")]
mod conformance;
mod formats;
mod postgres;
mod rounds;
mod shell;
mod sqlite_hooks;
mod time_range;
