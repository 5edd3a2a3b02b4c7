//! The model's whole state ([`Model`]), what it predicts for a request ([`Predicted`]), and one
//! request: X3's command ids first, then the command's rules (dispatched to the rule families'
//! files beside this one), then the success applied or the new ids in use refused.

use std::collections::BTreeMap;
use std::sync::Arc;

use secure_ticket::service::{Command, Request};
use secure_ticket::store::Record;
use secure_ticket::{
    CommandId, OrganizerId, PointOfSaleId, TicketId, TransferGroupId, UsageRuleId,
};
use time::{Duration, OffsetDateTime};

use super::setup::ORGANIZER;
use super::shapes::{MGroup, MPos, MRule, MTicket};

/// What the model predicts for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Predicted {
    /// Success, with the kinds of the events, in order.
    Ok(Vec<&'static str>),
    /// A retry of a processed command: the first result's events.
    Replayed(Vec<&'static str>),
    /// A refusal, by its code (see `kinds::error_kind`).
    Err(String),
}

/// The model's whole state.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    /// The records the system under test starts from.
    pub(crate) setup: Arc<Vec<Record>>,
    pub(crate) tickets: BTreeMap<TicketId, MTicket>,
    pub(crate) groups: BTreeMap<TransferGroupId, MGroup>,
    pub(crate) rules: BTreeMap<UsageRuleId, MRule>,
    pub(super) pos: BTreeMap<PointOfSaleId, MPos>,
    pub(super) explicit: bool,
    pub(super) expire_after: Option<Duration>,
    /// B8: replacements go to their cultural contact.
    pub(super) resets: bool,
    /// B5.
    pub(super) refuse_holder: bool,
    /// X3: processed commands, with the kinds of their events.
    pub(super) commands: BTreeMap<CommandId, (Request, Vec<&'static str>)>,
    /// The latest time a command carried.
    pub(super) now: OffsetDateTime,
    /// How many steps were applied: the source of fresh ids.
    pub(super) count: u128,
    /// The prediction for the last step.
    pub(crate) last: Option<Predicted>,
}

/// What a successful command changes: records in full (new ones flagged), and events by kind.
#[derive(Default)]
pub(super) struct Effect {
    pub(super) tickets: Vec<(TicketId, MTicket, bool)>,
    pub(super) groups: Vec<(TransferGroupId, MGroup, bool)>,
    pub(super) events: Vec<&'static str>,
}

impl Effect {
    pub(super) fn ticket(id: TicketId, ticket: MTicket, event: &'static str) -> Self {
        Self {
            tickets: vec![(id, ticket, false)],
            groups: Vec::new(),
            events: vec![event],
        }
    }
}

pub(super) type Decided = Result<Effect, String>;

pub(super) fn err<T>(kind: impl Into<String>) -> Result<T, String> {
    Err(kind.into())
}

impl Model {
    pub(super) fn ticket(&self, id: TicketId) -> Result<&MTicket, String> {
        self.tickets
            .get(&id)
            .ok_or_else(|| "RECORD_NOT_FOUND(ticket)".to_owned())
    }

    pub(super) fn group(&self, id: TransferGroupId) -> Result<&MGroup, String> {
        self.groups
            .get(&id)
            .ok_or_else(|| "RECORD_NOT_FOUND(transfer_group)".to_owned())
    }

    pub(super) fn settings(&self, organizer: OrganizerId) -> Result<(), String> {
        if organizer == ORGANIZER {
            Ok(())
        } else {
            err("RECORD_NOT_FOUND(settings)")
        }
    }

    // -----------------------------------------------------------------------------------------
    // One request
    // -----------------------------------------------------------------------------------------

    /// X3 first (a known command id), then the command; a success is applied, ids in use refused.
    pub(super) fn execute(&mut self, request: &Request) -> Predicted {
        if let Some((first, events)) = self.commands.get(&request.id) {
            return if first == request {
                Predicted::Replayed(events.clone())
            } else {
                Predicted::Err("COMMAND_ID_REUSED".to_owned())
            };
        }
        let effect = match self.decide(request) {
            Ok(effect) => effect,
            Err(kind) => return Predicted::Err(kind),
        };
        for (id, _, new) in &effect.tickets {
            if *new && self.tickets.contains_key(id) {
                return Predicted::Err("ID_IN_USE(ticket)".to_owned());
            }
        }
        for (id, _, new) in &effect.groups {
            if *new && self.groups.contains_key(id) {
                return Predicted::Err("ID_IN_USE(transfer_group)".to_owned());
            }
        }
        for (id, ticket, _) in effect.tickets {
            self.tickets.insert(id, ticket);
        }
        for (id, group, _) in effect.groups {
            self.groups.insert(id, group);
        }
        self.commands
            .insert(request.id, (request.clone(), effect.events.clone()));
        Predicted::Ok(effect.events)
    }

    fn decide(&self, request: &Request) -> Decided {
        match &request.command {
            Command::Inject(c) => self.inject(c),
            Command::Download(c) => self.download(c),
            Command::ChangeFlag(c) => self.change_flag(c),
            Command::Initiate(c) => {
                self.settings(request.organizer)?;
                self.initiate(c)
            }
            Command::ReturnToSender(c) => {
                self.settings(request.organizer)?;
                self.return_to_sender(c)
            }
            Command::Accept(c) => self.accept(c),
            Command::SignIn { sign_in, groups } => self.sign_in(sign_in, groups),
            Command::Decline(c) => self.decline(c),
            Command::Cancel(c) => self.cancel(c),
            Command::EditRecipient(c) => {
                self.settings(request.organizer)?;
                self.edit_recipient(c)
            }
            Command::Expire(c) => self.expire(c),
            Command::RecordFeedback(c) => self.record_feedback(c),
            Command::TakeBack(c) => {
                self.settings(request.organizer)?;
                self.take_back(c)
            }
            Command::Redistribute(c) => self.redistribute(c),
            Command::RequestDeletion(c) => self.request_deletion(c),
            Command::CompleteDeletion(c) => self.complete_deletion(c),
            other => panic!("a command the model does not know: {other:?}"),
        }
    }
}
