//! Injection and feedback: S360 sends a secure mobile ticket to TIXnGO for a contact, and TIXnGO
//! reports the ticket's lifecycle back (SPEC I1-I4, W2).
//!
//! | command | function | rules |
//! | --- | --- | --- |
//! | [`InjectTicket`] | [`inject`] | I1, W2 (to whom: [`TixngoInterface::injection_target`](crate::TixngoInterface::injection_target), B8) |
//! | a wallet [`Decision`](crate::Decision) | [`feedback_for`] | I2 |
//! | [`Feedback`] | [`record_feedback`] | I3, I4 |

mod feedback_for;
mod inject;
mod record_feedback;

pub use crate::feedback::{
    DistributionEntry, DistributionHistory, EntryStatus, Feedback, LastFeedback, LifecycleStatus,
    TransferDetails,
};
pub use feedback_for::feedback_for;
pub use inject::{InjectError, InjectTicket, inject};
pub(crate) use record_feedback::record_feedback_unsettled;
pub use record_feedback::{RecordFeedbackError, record_feedback};
