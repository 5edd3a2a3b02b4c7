//! What happens to a ticket in the wallet between transfers: download, activation, check, control
//! (SPEC W1-W4).
//!
//! | command | function | rules |
//! | --- | --- | --- |
//! | [`DownloadTicket`] | [`download`] | W3, W4 |
//! | [`ChangeFlag`] | [`change_flag`] | W1, W3, W4 |

mod download;
mod flags;

pub use download::{DownloadError, DownloadTicket, download};
pub use flags::{Actor, ChangeFlag, ChangeFlagError, FlagChange, change_flag};
