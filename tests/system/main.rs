//! The system of record through the shell, tested by rule id: organizers (X7), index entries and
//! queries (Q1-Q7), the feed and its readers (F1-F4), retention (X8) and retries as HTTP servers
//! make them (X3). On `MemoryStore`; the store conformance suite checks the same contract on
//! every store.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod back_office;
mod common;
mod feed;
mod organizers;
mod queries;
mod retries;
mod text_limits;
