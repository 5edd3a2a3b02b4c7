//! Rule tests: one test (at least) per numbered rule of `SPEC.md`, named after the rule id
//! (`t8_...`), and beside them one test per variant of the command's error enum (`err_...`: the
//! exact error value, and a message that names the ticket or group involved).
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
mod back_office;
mod completion;
mod email;
mod holder;
mod initiation;
mod injection;
mod pending;
mod refusal_serde;
mod rule_error;
mod serde_format;
mod staff;
mod unchanged;
mod usage_rule;
mod wallet;
