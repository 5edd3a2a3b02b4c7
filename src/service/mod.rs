//! The shell: run commands against a store. Read what they name, decide with the pure core,
//! commit the decisions with the versions read; on a conflict, read and decide again (SPEC X3,
//! X4).
//!
//! The shell's logic is one state machine without I/O, [`Execution`]; [`Service`] (over a
//! [`Store`](crate::store::Store)) and [`AsyncService`] (over an
//! [`AsyncStore`](crate::store::AsyncStore)) are thin drivers that carry its [`Step`]s to the
//! store.

mod asynchronous;
mod execution;
mod loaded;
mod outcome;
mod queries;
mod readers;
mod sync;
mod table;

#[doc(no_inline)]
pub use crate::command::{Command, CommandRecord, Request};
pub use asynchronous::AsyncService;
pub use execution::{Committing, Execution, MAX_BATCH, Reading, Results, Step};
pub use outcome::Outcome;
pub use queries::{
    HistoryFilter, Page, PerformanceTickets, TicketStanding, Wallet, WalletRequest, WalletTicket,
};
pub use readers::{Advanced, FeedbackReader};
pub use sync::Service;
pub use table::SIGN_IN_GROUPS;
pub(crate) use table::sent;
