//! The feed (SPEC F1-F4): every committed command's events, in commit order, read by position.
//!
//! The shell appends a command's events in the same atomic commit as its records (a
//! transactional outbox), so a crash never loses them; a refused or conflicting command appends
//! nothing. Readers ([`ReaderName`]) keep their cursor in the store and advance it in the same
//! commit as the effects they derive, so a restart neither skips nor repeats an effect; the S360
//! feedback interface ([`service::FeedbackReader`](crate::service::FeedbackReader)) is one.

mod entry;
mod reader;

pub use entry::{FeedAppend, FeedEntry, FeedQuery, Position};
pub use reader::{ReaderCursor, ReaderName, ReaderNameError};
