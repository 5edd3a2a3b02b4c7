//! What one step of retention removed.

/// What one [`Store::prune`](crate::store::Store::prune) step removed (X8).
///
/// # Examples
///
/// ```
/// use secure_ticket::store::{MemoryStore, Store};
/// use time::macros::datetime;
///
/// let pruned = MemoryStore::new().prune(datetime!(2026-11-22 00:00 UTC), 1000)?;
/// assert_eq!((pruned.commands, pruned.feed_entries, pruned.more), (0, 0, false));
/// # Ok::<(), secure_ticket::store::StoreError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    /// Command records removed.
    pub commands: u32,
    /// Feed entries removed.
    pub feed_entries: u32,
    /// Whether the limit stopped the step before everything prunable was removed: call again.
    pub more: bool,
}
