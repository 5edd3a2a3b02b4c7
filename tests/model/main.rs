//! Model-based tests (STYLE B6.3-4, issue 5): the real core, run through `Service` over a
//! `MemoryStore`, side by side with a deliberately simple reference model written from `SPEC.md`.
//!
//! - `reference`: the model (plain maps of tickets, groups, rules, settings) and its
//!   `ReferenceStateMachine`; it predicts every outcome (success or the exact error variant) and
//!   applies the effect of every success.
//! - `sut`: the system under test (`Service` over a recording `MemoryStore` wrapper), the
//!   invariants checked after every step, and the seeded bugs of the negative controls.
//! - `machine`: the `StateMachineTest`, the model test itself (`model_*`), one test per invariant
//!   (named after its rule), the negative controls, and the coverage table of the generators.
//! - `hostile`: arbitrary bytes, arbitrary and near-valid JSON fed to every decoder, and arbitrary
//!   command sequences with random ids and actors: typed errors or round trips, never a panic.
//! - `kinds`: names for commands (their serde tag), outcomes (an error's `code()`) and events,
//!   and the catalogue of every outcome each command can have (for the blind-spot list), its
//!   error codes read from `tests/fixtures/error_codes.txt`.
//! - `bugs`: crate bugs these tests found, each pinned by a failing test marked
//!   `#[ignore = "BUG: ..."]` (`cargo test --all-features --test model -- --ignored`).
//!
//! Case budgets are set in code (1,000 cases of 1..100 commands for the model in CI); the model
//! test reads `PROPTEST_CASES` for a deep run.

#![cfg(feature = "proptest")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod bugs;
mod hostile;
mod kinds;
mod machine;
mod records;
mod reference;
mod sut;
