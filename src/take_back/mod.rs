//! Take back of tickets by B2B customers, S360 (SPEC B1-B11).
//!
//! | command | function | rules |
//! | --- | --- | --- |
//! | [`TakeBackTicket`] | [`take_back`] | B3-B9, B11 |
//! | [`RedistributeTicket`] | [`redistribute`] | B3, B7 (redistribution) |
//! | a POS and the interface | [`check_configuration`] | B1, B2, B8, B9 |
//!
//! After a mobile take back, S360 pushes the invalidated ticket to TIXnGO
//! ([`wallet::request_deletion`](crate::wallet::request_deletion), B10) and injects the replacement
//! to [`TixngoInterface::injection_target`](crate::TixngoInterface::injection_target) (B8, I1).

mod configuration;
mod pos_ticket;
mod redistribute;
#[allow(clippy::module_inception)]
mod take_back;

pub use crate::organizer::TakeBackPolicy;
pub use configuration::{ConfigurationProblem, check_configuration};
pub use redistribute::{RedistributeError, RedistributeTicket, redistribute};
pub use take_back::{TakeBackError, TakeBackTicket, take_back};
