//! Every rule of the crate by its id: what it says, the functions that keep it, and the tests named
//! after it.
//!
#![doc = include_str!("rules.md")]
