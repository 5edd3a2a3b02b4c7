//! The commands the shell runs: a [`Request`] (id, organizer, [`Command`]) and the
//! [`CommandRecord`] stored once it was processed (SPEC X3). Both the store and the shell use them.

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::feedback::Feedback;
use crate::id::{CommandId, OrganizerId, TransferGroupId};
use crate::injection::InjectTicket;
use crate::take_back::{RedistributeTicket, TakeBackTicket};
use crate::transfer::{
    AcceptTransfer, CancelTransfer, DeclineTransfer, EditRecipient, ExpireTransfer,
    InitiateTransfer, ReturnToSender, SignIn,
};
use crate::wallet::{ChangeFlag, CompleteDeletion, DownloadTicket, RequestDeletion};

/// A command with its idempotency key and the organizer whose settings apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The command's id: a retry with the same id and content returns the first result (X3).
    pub id: CommandId,
    /// The organizer whose settings (acceptance, interface, take-back policy) apply.
    pub organizer: OrganizerId,
    /// What to do.
    pub command: Command,
}

/// Every command the shell runs, each the pure core's own command type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "command", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Command {
    /// [`injection::inject`](crate::injection::inject).
    Inject(InjectTicket),
    /// [`wallet::download`](crate::wallet::download).
    Download(DownloadTicket),
    /// [`wallet::change_flag`](crate::wallet::change_flag).
    ChangeFlag(ChangeFlag),
    /// [`transfer::initiate`](crate::transfer::initiate).
    Initiate(InitiateTransfer),
    /// [`transfer::return_to_sender`](crate::transfer::return_to_sender).
    ReturnToSender(ReturnToSender),
    /// [`transfer::accept`](crate::transfer::accept).
    Accept(AcceptTransfer),
    /// [`transfer::complete_on_sign_in`](crate::transfer::complete_on_sign_in), over the listed groups (the caller's index of the pending
    /// groups addressed to the actor).
    SignIn {
        /// Who signed in, and when.
        sign_in: SignIn,
        /// The candidate groups.
        groups: Vec<TransferGroupId>,
    },
    /// [`transfer::decline`](crate::transfer::decline).
    Decline(DeclineTransfer),
    /// [`transfer::cancel`](crate::transfer::cancel).
    Cancel(CancelTransfer),
    /// [`transfer::edit_recipient`](crate::transfer::edit_recipient).
    EditRecipient(EditRecipient),
    /// [`transfer::expire`](crate::transfer::expire).
    Expire(ExpireTransfer),
    /// [`injection::record_feedback`](crate::injection::record_feedback).
    RecordFeedback(Feedback),
    /// [`take_back::take_back`](crate::take_back::take_back).
    TakeBack(TakeBackTicket),
    /// [`take_back::redistribute`](crate::take_back::redistribute).
    Redistribute(RedistributeTicket),
    /// [`wallet::request_deletion`](crate::wallet::request_deletion).
    RequestDeletion(RequestDeletion),
    /// [`wallet::complete_deletion`](crate::wallet::complete_deletion).
    CompleteDeletion(CompleteDeletion),
}

/// A processed command, stored so a retry returns the first result (X3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRecord {
    /// The command's id.
    pub id: CommandId,
    /// The request as first received.
    pub request: Request,
    /// The events it produced.
    pub events: Vec<Event>,
}
