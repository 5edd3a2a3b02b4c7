//! Injection: S360 sends a secure mobile ticket to TIXnGO for a contact (SPEC I1, W2).
//!
//! | command | function | rules |
//! | --- | --- | --- |
//! | [`InjectTicket`] | [`inject`] | I1, W2 |

mod inject;

pub use inject::{InjectError, InjectTicket, inject};
