//! What happens to a ticket in the wallet between transfers: download, activation, check, control
//! (SPEC W1-W4), and deletion of invalidated tickets (B10).
//!
//! | command | function | rules |
//! | --- | --- | --- |
//! | [`DownloadTicket`] | [`download`] | W3, W4 |
//! | [`ChangeFlag`] | [`change_flag`] | W1, W3, W4 |
//! | [`RequestDeletion`] | [`request_deletion`] | B10 |
//! | [`CompleteDeletion`] | [`complete_deletion`] | B10 |

mod deletion;
mod download;
mod flags;

pub use crate::actor::Actor;
pub use deletion::{
    CompleteDeletion, DeletionError, RequestDeletion, complete_deletion, request_deletion,
};
pub use download::{DownloadError, DownloadTicket, download};
pub use flags::{ChangeFlag, ChangeFlagError, FlagChange, change_flag};
