//! What a command did.

use crate::changes::Events;

/// What a command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The events, for the caller to publish.
    pub events: Events,
    /// `true` when this was a retry of a command already processed: nothing was written and
    /// `events` are the first result's.
    pub replayed: bool,
    /// How many read-decide-commit rounds it took (1 without conflicts).
    pub attempts: u32,
}
