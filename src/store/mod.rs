//! The storage contract: how the shell loads and commits records, with optimistic concurrency
//! (SPEC X4, X5).
//!
//! Callers implement [`Store`] over their own database; [`MemoryStore`] is the embedded default,
//! and the crate's `examples/sqlite_store/store.rs` is a worked SQL implementation. Records travel in a
//! versioned [`Envelope`] so that old and new service instances can share one database during a
//! rolling upgrade.

mod async_store;
mod batch;
mod contract;
mod envelope;
mod error;
pub mod json;
mod memory;
pub(crate) mod plan;
mod pruned;
mod record;

#[cfg(feature = "testkit")]
pub mod conformance;

pub use crate::record_key::{CommandKey, ReaderKey, RecordKey, RecordKind};
pub use async_store::{AsyncStore, Blocking};
pub use batch::{Batch, Write};
pub use contract::Store;
pub use envelope::{Decoded, Envelope};
pub use error::{BoxError, Operation, StoreError};
pub use memory::MemoryStore;
#[cfg(feature = "testkit")]
pub use memory::Unreadable;
pub use plan::{Lead, Read, ReadPlan};
pub use pruned::Pruned;
pub use record::{Record, Version, Versioned};
