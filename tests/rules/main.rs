//! Rule tests: one test (at least) per numbered rule of `SPEC.md`, named after the rule id
//! (`t8_...`), plus one test per error variant of every command error enum (`err_...`).
//!
//! Every test uses fixed times and fixed ids; the fixtures live in [`common`].

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod common;

mod acceptance;
mod completion;
mod errors;
mod initiation;
mod injection;
mod pending;
mod serde_format;
mod unchanged;
mod usage_rule;
mod wallet;
