//! S360 side tests: points of sale, the TIXnGO interface settings, take back, redistribution,
//! feedback, the deletion push and the configuration check (SPEC sections 6 and 7, rules B1-B11 and
//! I1-I4), and beside the rule tests of each command one test per variant of its error enum
//! (`err_...`: the whole error value, and a message that names the record involved and says what
//! to do).
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

mod actor;
mod b11;
mod bounded;
mod configuration;
mod deletion;
mod downloaded;
mod feedback;
mod frozen;
mod resale;
mod settings;
mod take_back;
mod target;
mod unchanged;
