//! The model's whole state ([`Model`]), what it predicts for a request ([`Predicted`]), and one
//! request: X3's command ids first (per organizer, X7; a retry is the same content but for the
//! time and the ids of the records it creates), then the command's rules (dispatched to the rule
//! families' files beside this one), then the success applied or the new ids in use refused.
//! Successes and refusals by the rules are recorded, so that a retry gets them again; input
//! errors (a missing record, an id in use, a reused command id, a bad limit) are not.

use std::collections::BTreeMap;
use std::sync::Arc;

use secure_ticket::service::{Command, Request};
use secure_ticket::staff::StaffRole;
use secure_ticket::store::Record;
use secure_ticket::strategies::EPOCH;
use secure_ticket::transfer::NewGroupIds;
use secure_ticket::{
    CommandId, Email, OrganizerId, PerformanceId, PointOfSaleId, TicketId, TransferGroupId,
    UsageRuleId,
};
use time::{Duration, OffsetDateTime};

use super::setup::ORGANIZER;
use super::shapes::{MGroup, MPos, MRule, MSpectator, MTicket};

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
    /// S2: the staff roles that may transfer, cancel a back-office group, lock and unlock (the
    /// organizer's role table grants both permissions to the same roles).
    pub(super) staff_roles: &'static [StaffRole],
    /// H4: an assignment must give a reason (the data collection always needs the first and
    /// last names: the default).
    pub(super) assign_reason: bool,
    /// L1: the organizer's spectator records, by email (created by a first lock).
    pub(crate) spectators: BTreeMap<Email, MSpectator>,
    /// X3: processed commands (accepted or refused), by organizer and id.
    pub(crate) commands: BTreeMap<(OrganizerId, CommandId), Processed>,
    /// F1, F2: every accepted command that produced events, in order: its organizer, id and the
    /// kinds of its events.
    pub(crate) feed: Vec<(OrganizerId, CommandId, Vec<&'static str>)>,
    /// The performances whose record exists.
    pub(crate) performances: Vec<PerformanceId>,
    /// The latest time a command carried.
    pub(crate) now: OffsetDateTime,
    /// How many steps were applied: the source of fresh ids.
    pub(super) count: u128,
    /// The prediction for the last step.
    pub(crate) last: Option<Predicted>,
}

/// A processed command, as its command record keeps it.
#[derive(Clone, Debug)]
pub(crate) struct Processed {
    /// The first request with this id, as sent.
    pub(crate) request: Request,
    /// What the caller sent: the request without its time and the ids of what it creates.
    pub(super) sent: Request,
    /// The kinds of its events, or its refusal.
    pub(super) outcome: Result<Vec<&'static str>, String>,
}

/// What a caller sent (X3): the request with its time and the caller-given ids of the records it
/// would create blanked, so that a server that stamps the time and mints ids per HTTP request
/// still sees a retry as a retry.
pub(crate) fn sent(request: &Request) -> Request {
    let blank_group = TransferGroupId::from_u128(0);
    let mut command = restamp(&request.command, EPOCH);
    match &mut command {
        Command::Initiate(c) => c.groups = NewGroupIds::new(blank_group, blank_group),
        Command::ReturnToSender(c) => c.group = blank_group,
        Command::EditRecipient(c) => c.new_groups = NewGroupIds::new(blank_group, blank_group),
        Command::TakeBack(c) => c.new_ticket = TicketId::from_u128(0),
        Command::BackOfficeTransfer(c) => c.groups = Vec::new(),
        Command::PutOnResale(c) => c.buyer_ticket = TicketId::from_u128(0),
        _ => {}
    }
    Request {
        id: request.id,
        organizer: request.organizer,
        command,
    }
}

/// The command, stamped with another time.
pub(crate) fn restamp(command: &Command, at: OffsetDateTime) -> Command {
    let mut command = command.clone();
    match &mut command {
        Command::Inject(c) => c.at = at,
        Command::Download(c) => c.at = at,
        Command::ChangeFlag(c) => c.at = at,
        Command::Initiate(c) => c.at = at,
        Command::ReturnToSender(c) => c.at = at,
        Command::Accept(c) => c.at = at,
        Command::SignIn(c) => c.at = at,
        Command::Decline(c) => c.at = at,
        Command::Cancel(c) => c.at = at,
        Command::EditRecipient(c) => c.at = at,
        Command::Expire(c) => c.at = at,
        Command::ExpireDue(c) => c.at = at,
        Command::RecordFeedback(c) => c.at = at,
        Command::TakeBack(c) => c.at = at,
        Command::Redistribute(c) => c.at = at,
        Command::RequestDeletion(c) => c.at = at,
        Command::CompleteDeletion(c) => c.at = at,
        Command::BackOfficeTransfer(c) => c.at = at,
        Command::CancelBackOffice(c) => c.at = at,
        Command::LockSpectator(c) => c.at = at,
        Command::UnlockSpectator(c) => c.at = at,
        Command::AssignHolder(c) => c.at = at,
        Command::ClearHolder(c) => c.at = at,
        Command::PutOnResale(c) => c.at = at,
        Command::SettleResale(c) => c.at = at,
        other => panic!("a command the model does not know: {other:?}"),
    }
    command
}

/// Whether a refusal is recorded for the command's retries (X3): a refusal by the rules is; an
/// input error is not, and a retry is decided again: a record not found, an id in use, a reused
/// command id, a bad limit (the crate's documented decision, `Request`).
fn recorded(kind: &str) -> bool {
    !(kind.starts_with("RECORD_NOT_FOUND")
        || kind.starts_with("ID_IN_USE")
        || matches!(kind, "COMMAND_ID_REUSED" | "INVALID_LIMIT"))
}

/// What a successful command changes: records in full (new ones flagged), and events by kind.
#[derive(Default)]
pub(super) struct Effect {
    pub(super) tickets: Vec<(TicketId, MTicket, bool)>,
    pub(super) groups: Vec<(TransferGroupId, MGroup, bool)>,
    pub(super) spectators: Vec<(Email, MSpectator)>,
    pub(super) events: Vec<&'static str>,
}

impl Effect {
    pub(super) fn ticket(id: TicketId, ticket: MTicket, event: &'static str) -> Self {
        Self {
            tickets: vec![(id, ticket, false)],
            events: vec![event],
            ..Self::default()
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

    /// L1, L2: whether staff locked `email` (and no one unlocked it since).
    pub(super) fn locked(&self, email: &Email) -> bool {
        self.spectators.get(email).is_some_and(|s| s.lock.is_some())
    }

    /// S2: whether the organizer's role table lets `role` transfer (and lock, the same roles).
    pub(super) fn may(&self, role: StaffRole) -> bool {
        self.staff_roles.contains(&role)
    }

    // -----------------------------------------------------------------------------------------
    // One request
    // -----------------------------------------------------------------------------------------

    /// X3 first (a known command id of the organizer), then the command; a success is applied,
    /// ids in use refused; successes and rule refusals are recorded.
    pub(super) fn execute(&mut self, request: &Request) -> Predicted {
        let key = (request.organizer, request.id);
        if let Some(first) = self.commands.get(&key) {
            if first.sent != sent(request) {
                return Predicted::Err("COMMAND_ID_REUSED".to_owned());
            }
            return match &first.outcome {
                Ok(events) => Predicted::Replayed(events.clone()),
                Err(kind) => Predicted::Err(kind.clone()),
            };
        }
        let outcome = self.run(request);
        match &outcome {
            Err(kind) if !recorded(kind) => {}
            _ => {
                self.commands.insert(
                    key,
                    Processed {
                        request: request.clone(),
                        sent: sent(request),
                        outcome: outcome.clone(),
                    },
                );
            }
        }
        match outcome {
            Ok(events) => {
                // F1: the feed holds events; a command that produced none has no entry.
                if !events.is_empty() {
                    self.feed
                        .push((request.organizer, request.id, events.clone()));
                }
                Predicted::Ok(events)
            }
            Err(kind) => Predicted::Err(kind),
        }
    }

    /// The command's rules over the records of the request's organizer (X7), then the effect
    /// applied unless a record it creates exists (any organizer's: ids are global).
    fn run(&mut self, request: &Request) -> Result<Vec<&'static str>, String> {
        let effect = if request.organizer == ORGANIZER {
            self.decide(request)?
        } else {
            self.foreign().decide(request)?
        };
        for (id, _, new) in &effect.tickets {
            if *new && self.tickets.contains_key(id) {
                return err("ID_IN_USE(ticket)");
            }
        }
        for (id, _, new) in &effect.groups {
            if *new && self.groups.contains_key(id) {
                return err("ID_IN_USE(transfer_group)");
            }
        }
        for (id, ticket, _) in effect.tickets {
            self.tickets.insert(id, ticket);
        }
        for (id, group, _) in effect.groups {
            self.groups.insert(id, group);
        }
        for (email, spectator) in effect.spectators {
            self.spectators.insert(email, spectator);
        }
        Ok(effect.events)
    }

    /// The model as another organizer's command sees it (X7): none of the records, which all
    /// belong to [`ORGANIZER`].
    fn foreign(&self) -> Self {
        Self {
            setup: Arc::clone(&self.setup),
            tickets: BTreeMap::new(),
            groups: BTreeMap::new(),
            rules: BTreeMap::new(),
            pos: BTreeMap::new(),
            spectators: BTreeMap::new(),
            commands: BTreeMap::new(),
            feed: Vec::new(),
            performances: Vec::new(),
            last: None,
            ..*self
        }
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
            Command::SignIn(c) => self.sign_in(c),
            Command::ExpireDue(c) => self.expire_due(c),
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
            Command::BackOfficeTransfer(c) => {
                self.settings(request.organizer)?;
                self.back_office_transfer(c)
            }
            Command::CancelBackOffice(c) => {
                self.settings(request.organizer)?;
                self.cancel_back_office(c)
            }
            Command::LockSpectator(c) => {
                self.settings(request.organizer)?;
                self.lock(c)
            }
            Command::UnlockSpectator(c) => {
                self.settings(request.organizer)?;
                self.unlock(c)
            }
            Command::AssignHolder(c) => {
                self.settings(request.organizer)?;
                self.assign_holder(c)
            }
            Command::ClearHolder(c) => self.clear_holder(c),
            Command::PutOnResale(c) => self.put_on_resale(c),
            Command::SettleResale(c) => self.settle_resale(c),
            other => panic!("a command the model does not know: {other:?}"),
        }
    }
}
