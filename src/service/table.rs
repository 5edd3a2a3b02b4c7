//! The one table of the shell: for every command, what it reads, which rule function decides it,
//! and the caller-given ids of what it may create. The records it does create are named by its
//! [`Decision`] itself ([`Decision::created`]).

use crate::command::Command;
use crate::decision::Decision;
use crate::error::{Error, RuleError};
use crate::feedback::Feedback;
use crate::id::{OrganizerId, PointOfSaleId, TicketId, TransferGroupId, UsageRuleId};
use crate::injection::{self, InjectTicket};
use crate::record_key::RecordKey;
use crate::service::loaded::View;
use crate::take_back::{self, RedistributeTicket, TakeBackTicket};
use crate::transfer::{
    self, AcceptTransfer, CancelTransfer, DeclineTransfer, EditRecipient, ExpireTransfer,
    InitiateTransfer, NewGroupIds, ReturnToSender, SignIn,
};
use crate::transfer_group::TransferGroup;
use crate::wallet::{self, ChangeFlag, CompleteDeletion, DownloadTicket, RequestDeletion};

/// One row of the table.
pub(crate) trait Row {
    /// Adds what the command reads to the first read of its attempt.
    fn reads(&self, reads: &mut Reads<'_>);
    /// Decides the command with its rule function, over the records read.
    fn decide(&self, view: &View<'_>) -> Result<Decision, Error>;
}

/// What the commands of one attempt read first, and what those records lead to.
pub(crate) struct Reads<'a> {
    pub(crate) keys: &'a mut Vec<RecordKey>,
    pub(crate) organizer: OrganizerId,
    /// Some command needs the tickets of the groups it names.
    pub(crate) group_tickets: bool,
    /// Some command needs the usage rules of its tickets.
    pub(crate) usage_rules: bool,
}

impl Reads<'_> {
    fn ticket(&mut self, id: TicketId) -> &mut Self {
        self.keys.push(RecordKey::Ticket(id));
        self
    }

    fn tickets(&mut self, ids: &[TicketId]) -> &mut Self {
        self.keys
            .extend(ids.iter().map(|&id| RecordKey::Ticket(id)));
        self
    }

    /// A group, and its tickets.
    fn group(&mut self, id: TransferGroupId) -> &mut Self {
        self.keys.push(RecordKey::TransferGroup(id));
        self.group_tickets = true;
        self
    }

    fn point_of_sale(&mut self, id: PointOfSaleId) -> &mut Self {
        self.keys.push(RecordKey::PointOfSale(id));
        self
    }

    /// The settings of the request's organizer.
    fn settings(&mut self) -> &mut Self {
        self.keys.push(RecordKey::Settings(self.organizer));
        self
    }

    /// The usage rules of the tickets read.
    fn rules(&mut self) -> &mut Self {
        self.usage_rules = true;
        self
    }

    /// A usage rule the command names.
    fn rule(&mut self, id: UsageRuleId) -> &mut Self {
        self.keys.push(RecordKey::UsageRule(id));
        self
    }

    /// A caller-given id of a record the command may create: read, so that an id in use is
    /// refused before anything is written.
    fn creates(&mut self, key: RecordKey) -> &mut Self {
        self.keys.push(key);
        self
    }

    fn creates_groups(&mut self, ids: &NewGroupIds) -> &mut Self {
        self.creates(RecordKey::TransferGroup(ids.forward))
            .creates(RecordKey::TransferGroup(ids.backward))
    }
}

/// A refusal by the rules.
fn refused<E: Into<RuleError>>(error: E) -> Error {
    Error::Rule(error.into())
}

/// Calls `f` with the row of `command`.
pub(crate) fn with_row<R>(command: &Command, f: impl FnOnce(&dyn Row) -> R) -> R {
    match command {
        Command::Inject(c) => f(c),
        Command::Download(c) => f(c),
        Command::ChangeFlag(c) => f(c),
        Command::Initiate(c) => f(c),
        Command::ReturnToSender(c) => f(c),
        Command::Accept(c) => f(c),
        Command::SignIn { sign_in, groups } => f(&SignInRow { sign_in, groups }),
        Command::Decline(c) => f(c),
        Command::Cancel(c) => f(c),
        Command::EditRecipient(c) => f(c),
        Command::Expire(c) => f(c),
        Command::RecordFeedback(c) => f(c),
        Command::TakeBack(c) => f(c),
        Command::Redistribute(c) => f(c),
        Command::RequestDeletion(c) => f(c),
        Command::CompleteDeletion(c) => f(c),
    }
}

/// Decides `command` over `view`.
pub(crate) fn decide(command: &Command, view: &View<'_>) -> Result<Decision, Error> {
    with_row(command, |row| row.decide(view))
}

// The table. Each row: what the command reads, then the rule function that decides it.

impl Row for InjectTicket {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket).rule(self.usage_rule);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        injection::inject(v.ticket(self.ticket)?, self).map_err(refused)
    }
}

impl Row for DownloadTicket {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        wallet::download(v.ticket(self.ticket)?, self).map_err(refused)
    }
}

impl Row for ChangeFlag {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        wallet::change_flag(v.ticket(self.ticket)?, self).map_err(refused)
    }
}

impl Row for InitiateTransfer {
    fn reads(&self, r: &mut Reads<'_>) {
        r.tickets(&self.tickets)
            .rules()
            .settings()
            .creates_groups(&self.groups);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let settings = &v.settings()?.acceptance;
        v.with_tickets(&self.tickets, |tickets| {
            transfer::initiate(tickets, v.rules(), settings, self)
        })
        .map_err(refused)
    }
}

impl Row for ReturnToSender {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket)
            .rules()
            .settings()
            .creates(RecordKey::TransferGroup(self.group));
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let settings = &v.settings()?.acceptance;
        v.with_tickets(std::slice::from_ref(&self.ticket), |tickets| {
            transfer::return_to_sender(tickets, v.rules(), settings, self)
        })
        .map_err(refused)
    }
}

impl Row for AcceptTransfer {
    fn reads(&self, r: &mut Reads<'_>) {
        r.group(self.group).rules();
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let group = v.group(self.group)?;
        v.with_tickets(&group.tickets, |tickets| {
            transfer::accept(group, tickets, v.rules(), self)
        })
        .map_err(refused)
    }
}

/// [`Command::SignIn`]: [`transfer::complete_on_sign_in`] over the groups it lists.
struct SignInRow<'a> {
    sign_in: &'a SignIn,
    groups: &'a [TransferGroupId],
}

impl Row for SignInRow<'_> {
    fn reads(&self, r: &mut Reads<'_>) {
        for &group in self.groups {
            r.group(group);
        }
        r.rules();
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        // Only the groups the command lists: a batch may have read others.
        let listed: Vec<TransferGroup> = self
            .groups
            .iter()
            .filter_map(|id| v.group(*id).ok())
            .cloned()
            .collect();
        let tickets = v.gather(listed.iter().flat_map(|g| g.tickets.iter()));
        transfer::complete_on_sign_in(&listed, &tickets, v.rules(), self.sign_in).map_err(refused)
    }
}

impl Row for DeclineTransfer {
    fn reads(&self, r: &mut Reads<'_>) {
        r.group(self.group);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let group = v.group(self.group)?;
        v.with_tickets(&group.tickets, |tickets| {
            transfer::decline(group, tickets, self)
        })
        .map_err(refused)
    }
}

impl Row for CancelTransfer {
    fn reads(&self, r: &mut Reads<'_>) {
        r.group(self.group);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let group = v.group(self.group)?;
        v.with_tickets(&group.tickets, |tickets| {
            transfer::cancel(group, tickets, self)
        })
        .map_err(refused)
    }
}

impl Row for ExpireTransfer {
    fn reads(&self, r: &mut Reads<'_>) {
        r.group(self.group);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let group = v.group(self.group)?;
        v.with_tickets(&group.tickets, |tickets| {
            transfer::expire(group, tickets, self)
        })
        .map_err(refused)
    }
}

impl Row for EditRecipient {
    fn reads(&self, r: &mut Reads<'_>) {
        r.group(self.group)
            .rules()
            .settings()
            .creates_groups(&self.new_groups);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let settings = &v.settings()?.acceptance;
        let group = v.group(self.group)?;
        v.with_tickets(&group.tickets, |tickets| {
            transfer::edit_recipient(group, tickets, v.rules(), settings, self)
        })
        .map_err(refused)
    }
}

impl Row for Feedback {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        injection::record_feedback(v.ticket(self.ticket)?, self).map_err(refused)
    }
}

impl Row for TakeBackTicket {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket)
            .point_of_sale(self.point_of_sale)
            .settings()
            .creates(RecordKey::Ticket(self.new_ticket));
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let settings = v.settings()?;
        let pos = v.point_of_sale(self.point_of_sale)?;
        take_back::take_back(
            v.ticket(self.ticket)?,
            pos,
            &settings.interface,
            &settings.take_back,
            self,
        )
        .map_err(refused)
    }
}

impl Row for RedistributeTicket {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket).point_of_sale(self.point_of_sale);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let pos = v.point_of_sale(self.point_of_sale)?;
        take_back::redistribute(v.ticket(self.ticket)?, pos, self).map_err(refused)
    }
}

impl Row for RequestDeletion {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        wallet::request_deletion(v.ticket(self.ticket)?, self).map_err(refused)
    }
}

impl Row for CompleteDeletion {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        wallet::complete_deletion(v.ticket(self.ticket)?, self).map_err(refused)
    }
}
