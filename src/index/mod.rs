//! Index entries (SPEC Q1): the (index, term) pairs by which a record is found, one pure function
//! of the record ([`entries`]), the same for every store.
//!
//! The shell puts each written record's index changes into the same
//! [`Batch`](crate::store::Batch) as the record ([`Batch::index`](crate::store::Batch::index)),
//! so a store that commits the batch atomically never shows a query half a batch or an entry
//! its record contradicts. A store keeps entries as rows of `(index, organizer, term, sort, key)`
//! and answers a [`Lookup`] with the hits in ascending [`SortKey`] order.

mod entry;
mod lookup;

pub(crate) use entry::{EntryRef, entry_term_matches, for_each_entry};
pub use entry::{Index, IndexChanges, IndexEntry, SortKey, Term, entries};
pub use lookup::{Cursor, CursorError, Hit, Lookup, MAX_LIMIT, PageRequest};
