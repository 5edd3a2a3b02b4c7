//! Spectator transfers, TIXnGO V4 (SPEC T1-T13, A1-A4).
//!
//! Every initiation creates a [`TransferGroup`]. A group is PENDING until it is accepted (explicitly,
//! or automatically at the recipient's sign-in), declined, cancelled, expired, or replaced by an edit
//! of its recipient; those outcomes are final (T13).
//!
//! | command | function | rules |
//! | --- | --- | --- |
//! | [`InitiateTransfer`] | [`initiate`] | T1-T7 |
//! | [`ReturnToSender`] | [`return_to_sender`] | T11 |
//! | [`AcceptTransfer`] | [`accept`] | T8, T9, A1, A3, A4 |
//! | [`SignIn`] | [`complete_on_sign_in`] | A1, A2, T8 |
//! | [`DeclineTransfer`] | [`decline`] | T10, A3 |
//! | [`CancelTransfer`] | [`cancel`] | T10, A3 |
//! | [`EditRecipient`] | [`edit_recipient`] | T12, A3 |
//! | [`ExpireTransfer`] | [`expire`] | A4, E1 |
//! | [`BackOfficeTransfer`] | [`back_office_transfer`] | S1-S7, E1 |
//! | [`CancelBackOfficeTransfer`] | [`cancel_back_office`] | S8 |

mod accept;
mod back_office;
mod cancel;
mod context;
mod decline;
mod edit_recipient;
mod expire;
mod initiate;
mod return_to_sender;
mod shared;
mod sign_in;

pub use crate::transfer_group::{
    Acceptance, Direction, NewGroupIds, TransferGroup, TransferStatus,
};
pub use accept::{AcceptTransfer, AcceptTransferError, accept};
pub use back_office::{
    BackOfficeTransfer, BackOfficeTransferError, CancelBackOfficeError, CancelBackOfficeTransfer,
    back_office_transfer, cancel_back_office,
};
pub use cancel::{CancelTransfer, CancelTransferError, cancel};
pub use context::Context;
pub use decline::{DeclineTransfer, DeclineTransferError, decline};
pub use edit_recipient::{EditRecipient, EditRecipientError, edit_recipient};
pub use expire::{ExpireTransfer, ExpireTransferError, expire};
pub use initiate::{InitiateTransfer, InitiateTransferError, MAX_TICKETS, initiate};
pub use return_to_sender::{ReturnToSender, ReturnToSenderError, return_to_sender};
pub use sign_in::{SignIn, SignInError, complete_on_sign_in};
