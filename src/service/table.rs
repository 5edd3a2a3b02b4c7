//! The one table of the shell: for every command, what it reads, which rule function decides it,
//! and the caller-given ids of what it may create. The records it does create are named by its
//! [`Decision`] itself ([`Decision::created`]).

use crate::command::{Command, ExpireDue};
use crate::decision::Decision;
use crate::digest::Digester;
use crate::email::Email;
use crate::error::{Error, RuleError};
use crate::feedback::Feedback;
use crate::holder::{self, AssignHolder, ClearHolder};
use crate::id::SpectatorId;
use crate::id::{OrganizerId, PointOfSaleId, TicketId, TransferGroupId, UsageRuleId};
use crate::index::{Index, Lookup, MAX_LIMIT, SortKey, Term};
use crate::injection::{self, InjectTicket};
use crate::record_key::RecordKey;
use crate::resale::{self, PutOnResale, SettleResale};
use crate::service::loaded::View;
use crate::spectator::{self, LockSpectator, UnlockSpectator};
use crate::take_back::{self, RedistributeTicket, TakeBackTicket};
use crate::transfer::{
    self, AcceptTransfer, CancelTransfer, DeclineTransfer, EditRecipient, ExpireTransfer,
    InitiateTransfer, NewGroupIds, ReturnToSender, SignIn,
};
use crate::transfer::{BackOfficeTransfer, CancelBackOfficeTransfer, Context};
use crate::transfer_group::TransferGroup;
use crate::usage_rule::KeepOne;
use crate::wallet::{self, ChangeFlag, CompleteDeletion, DownloadTicket, RequestDeletion};

/// One row of the table.
pub(crate) trait Row {
    /// Adds what the command reads to the first read of its attempt.
    fn reads(&self, reads: &mut Reads<'_>);
    /// Decides the command with its rule function, over the records read.
    fn decide(&self, view: &View<'_>) -> Result<Decision, Error>;
    /// Adds the keys and lookups that the records read call for (after the first read and its
    /// leads): one more read, once per attempt, only when some command asks.
    fn follow_up(&self, _view: &View<'_>, _keys: &mut Vec<RecordKey>, _lookups: &mut Vec<Lookup>) {}
    /// Feeds what the caller sent into `d`: every field but the time and the ids of the records
    /// the command creates (each row destructures its command, so a new field cannot be
    /// forgotten).
    fn sent(&self, d: &mut Digester);
}

/// The most PENDING groups one sign-in completes (Q4); the rest wait for the next sign-in.
pub const SIGN_IN_GROUPS: u32 = MAX_LIMIT;

/// Feeds what the caller of `command` sent into `d` ([`Request::digest`](crate::command::Request::digest)).
pub(crate) fn sent(command: &Command, d: &mut Digester) {
    with_row(command, |row| {
        d.write(row_name(command));
        row.sent(d);
    });
}

/// The command's kind, as its serde tag spells it.
const fn row_name(command: &Command) -> &'static str {
    match command {
        Command::Inject(_) => "INJECT",
        Command::Download(_) => "DOWNLOAD",
        Command::ChangeFlag(_) => "CHANGE_FLAG",
        Command::Initiate(_) => "INITIATE",
        Command::ReturnToSender(_) => "RETURN_TO_SENDER",
        Command::Accept(_) => "ACCEPT",
        Command::SignIn(_) => "SIGN_IN",
        Command::Decline(_) => "DECLINE",
        Command::Cancel(_) => "CANCEL",
        Command::EditRecipient(_) => "EDIT_RECIPIENT",
        Command::Expire(_) => "EXPIRE",
        Command::ExpireDue(_) => "EXPIRE_DUE",
        Command::RecordFeedback(_) => "RECORD_FEEDBACK",
        Command::TakeBack(_) => "TAKE_BACK",
        Command::Redistribute(_) => "REDISTRIBUTE",
        Command::RequestDeletion(_) => "REQUEST_DELETION",
        Command::CompleteDeletion(_) => "COMPLETE_DELETION",
        Command::BackOfficeTransfer(_) => "BACK_OFFICE_TRANSFER",
        Command::CancelBackOffice(_) => "CANCEL_BACK_OFFICE",
        Command::LockSpectator(_) => "LOCK_SPECTATOR",
        Command::UnlockSpectator(_) => "UNLOCK_SPECTATOR",
        Command::AssignHolder(_) => "ASSIGN_HOLDER",
        Command::ClearHolder(_) => "CLEAR_HOLDER",
        Command::PutOnResale(_) => "PUT_ON_RESALE",
        Command::SettleResale(_) => "SETTLE_RESALE",
    }
}

/// What the commands of one attempt read first, and what those records lead to.
pub(crate) struct Reads<'a> {
    pub(crate) keys: &'a mut Vec<RecordKey>,
    pub(crate) lookups: &'a mut Vec<Lookup>,
    pub(crate) organizer: OrganizerId,
    /// Some command needs the tickets of the groups it names.
    pub(crate) group_tickets: bool,
    /// Some command needs the usage rules of its tickets.
    pub(crate) usage_rules: bool,
    /// Some command needs the performances of its tickets (E1).
    pub(crate) performances: bool,
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

    /// The performances of the tickets read (E1).
    fn performances(&mut self) -> &mut Self {
        self.performances = true;
        self
    }

    /// The spectator record of `email` (its lock, L2).
    fn spectator(&mut self, email: &Email) -> &mut Self {
        self.keys
            .push(RecordKey::Spectator(SpectatorId::of(self.organizer, email)));
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

/// Whether a ticket among `tickets` follows a rule that keeps one (K1).
fn keeps_one(v: &View<'_>, tickets: &[TicketId]) -> bool {
    tickets.iter().any(|&id| {
        v.ticket(id)
            .ok()
            .and_then(|t| t.wallet.as_ref())
            .and_then(|w| v.rule(w.usage_rule).ok())
            .is_some_and(|r| r.keep_one != KeepOne::Disabled)
    })
}

/// Every ticket `owner` owns, by the index of tickets by owner (at most [`MAX_LIMIT`]), when a
/// ticket of the command keeps one (K4): a second read, only for the commands that need it.
fn wallet_if_kept(v: &View<'_>, owner: &Email, tickets: &[TicketId], lookups: &mut Vec<Lookup>) {
    if keeps_one(v, tickets) {
        lookups.push(Lookup::new(
            Index::TicketsByOwner,
            v.organizer(),
            Term::Email(owner.clone()),
            MAX_LIMIT,
        ));
    }
}

/// Calls `decide` with the context of `actor`'s transfer of `tickets`: rules, acceptance
/// settings, performances, the actor's lock and, with `keep_one` when a ticket's rule keeps one
/// (K1), every ticket the actor owns.
fn in_context<R>(
    v: &View<'_>,
    actor: &Email,
    tickets: &[TicketId],
    keep_one: bool,
    decide: impl FnOnce(&Context<'_>) -> R,
) -> Result<R, Error> {
    let settings = v.settings()?.acceptance;
    let rules = v.rules();
    let performances = v.performances_of(tickets);
    let wallet = if keep_one && keeps_one(v, tickets) {
        v.wallet_of(actor)
    } else {
        Vec::new()
    };
    let context = Context::new(&rules)
        .with_settings(settings)
        .with_performances(&performances)
        .with_wallet(&wallet)
        .with_actor(v.spectator(actor));
    Ok(decide(&context))
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
        Command::SignIn(c) => f(c),
        Command::Decline(c) => f(c),
        Command::Cancel(c) => f(c),
        Command::EditRecipient(c) => f(c),
        Command::Expire(c) => f(c),
        Command::ExpireDue(c) => f(c),
        Command::RecordFeedback(c) => f(c),
        Command::TakeBack(c) => f(c),
        Command::Redistribute(c) => f(c),
        Command::RequestDeletion(c) => f(c),
        Command::CompleteDeletion(c) => f(c),
        Command::BackOfficeTransfer(c) => f(c),
        Command::CancelBackOffice(c) => f(c),
        Command::LockSpectator(c) => f(c),
        Command::UnlockSpectator(c) => f(c),
        Command::AssignHolder(c) => f(c),
        Command::ClearHolder(c) => f(c),
        Command::PutOnResale(c) => f(c),
        Command::SettleResale(c) => f(c),
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
        // The rule must be the organizer's own (X7): a ticket never follows another's rule.
        v.rule(self.usage_rule)?;
        injection::inject(v.ticket(self.ticket)?, self).map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            ticket,
            to,
            usage_rule,
            at: _,
        } = self;
        d.write(ticket);
        d.write(to);
        d.write(usage_rule);
    }
}

impl Row for DownloadTicket {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        wallet::download(v.ticket(self.ticket)?, self).map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            ticket,
            actor,
            at: _,
        } = self;
        d.write(ticket);
        d.write(actor);
    }
}

impl Row for ChangeFlag {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        wallet::change_flag(v.ticket(self.ticket)?, self).map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            ticket,
            change,
            actor,
            at: _,
        } = self;
        d.write(ticket);
        d.write(change);
        d.write(actor);
    }
}

impl Row for InitiateTransfer {
    fn reads(&self, r: &mut Reads<'_>) {
        r.tickets(&self.tickets)
            .rules()
            .performances()
            .settings()
            .spectator(&self.actor)
            .creates_groups(&self.groups);
    }
    fn follow_up(&self, v: &View<'_>, _keys: &mut Vec<RecordKey>, lookups: &mut Vec<Lookup>) {
        wallet_if_kept(v, &self.actor, &self.tickets, lookups);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        in_context(v, &self.actor, &self.tickets, true, |context| {
            v.with_tickets(&self.tickets, |tickets| {
                transfer::initiate(tickets, context, self)
            })
        })?
        .map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            actor,
            recipient,
            tickets,
            groups: _,
            at: _,
        } = self;
        d.write(actor);
        d.write(recipient);
        d.write(tickets);
    }
}

impl Row for ReturnToSender {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket)
            .rules()
            .performances()
            .settings()
            .spectator(&self.actor)
            .creates(RecordKey::TransferGroup(self.group));
    }
    fn follow_up(&self, v: &View<'_>, _keys: &mut Vec<RecordKey>, lookups: &mut Vec<Lookup>) {
        wallet_if_kept(v, &self.actor, std::slice::from_ref(&self.ticket), lookups);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let ids = std::slice::from_ref(&self.ticket);
        in_context(v, &self.actor, ids, true, |context| {
            v.with_tickets(ids, |tickets| {
                transfer::return_to_sender(tickets, context, self)
            })
        })?
        .map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            ticket,
            actor,
            group: _,
            at: _,
        } = self;
        d.write(ticket);
        d.write(actor);
    }
}

impl Row for AcceptTransfer {
    fn reads(&self, r: &mut Reads<'_>) {
        r.group(self.group).rules();
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let group = v.group(self.group)?;
        v.with_tickets(&group.tickets, |tickets| {
            transfer::accept(group, tickets, &v.rules(), self)
        })
        .map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            group,
            actor,
            at: _,
        } = self;
        d.write(group);
        d.write(actor);
    }
}

impl Row for SignIn {
    fn reads(&self, r: &mut Reads<'_>) {
        r.lookups.push(Lookup::new(
            Index::CompletesAtSignIn,
            r.organizer,
            Term::Email(self.actor.clone()),
            SIGN_IN_GROUPS,
        ));
        r.group_tickets = true;
        r.rules();
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        // Every PENDING group addressed to the actor that completes at sign-in, as the read found
        // them (Q4), oldest first; groups waiting for an explicit answer are not in the lookup.
        let pending = v.pending_for(&self.actor);
        let groups: Vec<TransferGroup> = pending
            .into_iter()
            .take(SIGN_IN_GROUPS as usize)
            .cloned()
            .collect();
        let tickets = v.gather(groups.iter().flat_map(|g| g.tickets.iter()));
        transfer::complete_on_sign_in(&groups, &tickets, &v.rules(), self).map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self { actor, at: _ } = self;
        d.write(actor);
    }
}

impl Row for ExpireDue {
    fn reads(&self, r: &mut Reads<'_>) {
        let mut due = Lookup::new(
            Index::PendingByDeadline,
            r.organizer,
            Term::All,
            // One more than the limit: the sweep then knows whether more are due.
            self.limit.clamp(1, MAX_LIMIT).saturating_add(1),
        );
        due.until = SortKey::new(SortKey::oldest_first(self.at), u128::MAX);
        r.lookups.push(due);
        r.group_tickets = true;
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        if !(1..=MAX_LIMIT).contains(&self.limit) {
            return Err(Error::InvalidLimit { limit: self.limit });
        }
        let mut decision = Decision::default();
        for group in v.due(self.at).into_iter().take(self.limit as usize) {
            let command = ExpireTransfer {
                group: group.id,
                at: self.at,
            };
            // A due group that cannot expire (a record the read did not find) waits for the
            // next sweep; the others still expire.
            let Ok(expired) = v.with_tickets(&group.tickets, |tickets| {
                transfer::expire(group, tickets, &command)
            }) else {
                continue;
            };
            decision.tickets.extend(expired.tickets);
            decision.groups.extend(expired.groups);
            decision.events.extend(expired.events);
        }
        Ok(decision)
    }
    fn sent(&self, d: &mut Digester) {
        let Self { at: _, limit } = self;
        d.write(limit);
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
    fn sent(&self, d: &mut Digester) {
        let Self {
            group,
            actor,
            at: _,
        } = self;
        d.write(group);
        d.write(actor);
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
    fn sent(&self, d: &mut Digester) {
        let Self {
            group,
            actor,
            at: _,
        } = self;
        d.write(group);
        d.write(actor);
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
    fn sent(&self, d: &mut Digester) {
        let Self { group, at: _ } = self;
        d.write(group);
    }
}

impl Row for EditRecipient {
    fn reads(&self, r: &mut Reads<'_>) {
        r.group(self.group)
            .rules()
            .performances()
            .settings()
            .spectator(&self.actor)
            .creates_groups(&self.new_groups);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        // The settings are looked up before the group, so a missing one is named first.
        v.settings()?;
        let group = v.group(self.group)?;
        // Keep One does not apply to an edit: no wallet needed.
        in_context(v, &self.actor, &group.tickets, false, |context| {
            v.with_tickets(&group.tickets, |tickets| {
                transfer::edit_recipient(group, tickets, context, self)
            })
        })?
        .map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            group,
            actor,
            recipient,
            new_groups: _,
            at: _,
        } = self;
        d.write(group);
        d.write(actor);
        d.write(recipient);
    }
}

impl Row for Feedback {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket);
    }
    fn follow_up(&self, v: &View<'_>, keys: &mut Vec<RecordKey>, _lookups: &mut Vec<Lookup>) {
        // R2: a deletion feedback may settle a resale, creating the buyer's ticket.
        if let Some(resale) = v
            .ticket(self.ticket)
            .ok()
            .and_then(|t| t.distribution.resale.as_deref())
        {
            keys.push(RecordKey::Ticket(resale.buyer_ticket));
        }
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let ticket = v.ticket(self.ticket)?;
        // A resale whose buyer's ticket id another record took meanwhile cannot settle: the
        // feedback is still recorded (the resale waits), so that the feedback never stalls.
        let buyer_id_taken = ticket
            .distribution
            .resale
            .as_deref()
            .is_some_and(|resale| v.ticket(resale.buyer_ticket).is_ok());
        if buyer_id_taken {
            injection::record_feedback_unsettled(ticket, self).map_err(refused)
        } else {
            injection::record_feedback(ticket, self).map_err(refused)
        }
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            ticket,
            status,
            sequence,
            at: _,
            transfer,
        } = self;
        d.write(ticket);
        d.write(status);
        d.write(sequence);
        d.write(transfer);
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
    fn sent(&self, d: &mut Digester) {
        let Self {
            ticket,
            point_of_sale,
            actor,
            new_ticket: _,
            contact,
            at: _,
        } = self;
        d.write(ticket);
        d.write(point_of_sale);
        d.write(actor);
        // Written only when not the default, so digests of earlier requests do not change.
        if *contact != crate::point_of_sale::ContactKind::Individual {
            d.write(contact);
        }
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
    fn sent(&self, d: &mut Digester) {
        let Self {
            ticket,
            point_of_sale,
            actor,
            to,
            at: _,
        } = self;
        d.write(ticket);
        d.write(point_of_sale);
        d.write(actor);
        d.write(to);
    }
}

impl Row for RequestDeletion {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        wallet::request_deletion(v.ticket(self.ticket)?, self).map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self { ticket, at: _ } = self;
        d.write(ticket);
    }
}

impl Row for CompleteDeletion {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        wallet::complete_deletion(v.ticket(self.ticket)?, self).map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self { ticket, at: _ } = self;
        d.write(ticket);
    }
}

impl Row for BackOfficeTransfer {
    fn reads(&self, r: &mut Reads<'_>) {
        r.tickets(&self.tickets).performances().settings();
        for &id in &self.groups {
            r.creates(RecordKey::TransferGroup(id));
        }
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let settings = v.settings()?;
        let performances = v.performances_of(&self.tickets);
        let context = Context::new(&[])
            .with_settings(settings.acceptance)
            .with_performances(&performances);
        v.with_tickets(&self.tickets, |tickets| {
            transfer::back_office_transfer(tickets, settings, &context, self)
        })
        .map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            staff,
            reason,
            recipient,
            tickets,
            groups: _,
            at: _,
        } = self;
        d.write(staff);
        d.write(reason);
        d.write(recipient);
        d.write(tickets);
    }
}

impl Row for CancelBackOfficeTransfer {
    fn reads(&self, r: &mut Reads<'_>) {
        r.group(self.group).settings();
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let settings = v.settings()?;
        let group = v.group(self.group)?;
        v.with_tickets(&group.tickets, |tickets| {
            transfer::cancel_back_office(group, tickets, settings, self)
        })
        .map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            group,
            staff,
            reason,
            at: _,
        } = self;
        d.write(group);
        d.write(staff);
        d.write(reason);
    }
}

/// What a lock or an unlock sends.
fn staff_sent(
    d: &mut Digester,
    staff: &crate::staff::Staff,
    spectator: &Email,
    reason: &crate::staff::Reason,
) {
    d.write(staff);
    d.write(spectator);
    d.write(reason);
}

impl Row for LockSpectator {
    fn reads(&self, r: &mut Reads<'_>) {
        r.settings().spectator(&self.spectator);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        spectator::lock(v.spectator(&self.spectator), v.settings()?, self).map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            staff,
            spectator,
            reason,
            at: _,
        } = self;
        staff_sent(d, staff, spectator, reason);
    }
}

impl Row for UnlockSpectator {
    fn reads(&self, r: &mut Reads<'_>) {
        r.settings().spectator(&self.spectator);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        spectator::unlock(v.spectator(&self.spectator), v.settings()?, self).map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            staff,
            spectator,
            reason,
            at: _,
        } = self;
        staff_sent(d, staff, spectator, reason);
    }
}

impl Row for AssignHolder {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket)
            .rules()
            .settings()
            .spectator(&self.actor);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let settings = v.settings()?;
        holder::assign(
            v.ticket(self.ticket)?,
            &v.rules(),
            settings,
            v.spectator(&self.actor),
            self,
        )
        .map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            ticket,
            actor,
            holder,
            reason,
            at: _,
        } = self;
        d.write(ticket);
        d.write(actor);
        d.write(holder);
        d.write(reason);
    }
}

impl Row for ClearHolder {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket).spectator(&self.actor);
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        holder::clear(v.ticket(self.ticket)?, v.spectator(&self.actor), self).map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            ticket,
            actor,
            at: _,
        } = self;
        d.write(ticket);
        d.write(actor);
    }
}

impl Row for PutOnResale {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket)
            .point_of_sale(self.point_of_sale)
            .spectator(&self.actor)
            .creates(RecordKey::Ticket(self.buyer_ticket));
    }
    fn follow_up(&self, v: &View<'_>, keys: &mut Vec<RecordKey>, _lookups: &mut Vec<Lookup>) {
        // L2: the lock of the ticket's current owner, whom the first read found.
        if let Some(owner) = v
            .ticket(self.ticket)
            .ok()
            .and_then(|t| t.wallet.as_ref())
            .map(|w| &w.owners.current)
        {
            keys.push(RecordKey::Spectator(SpectatorId::of(v.organizer(), owner)));
        }
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        let ticket = v.ticket(self.ticket)?;
        let owner = ticket
            .wallet
            .as_ref()
            .and_then(|w| v.spectator(&w.owners.current));
        if v.ticket(self.buyer_ticket).is_ok() {
            return Err(Error::IdInUse {
                key: RecordKey::Ticket(self.buyer_ticket),
            });
        }
        let locks: Vec<&spectator::Spectator> =
            v.spectator(&self.actor).into_iter().chain(owner).collect();
        resale::put_on_resale(ticket, v.point_of_sale(self.point_of_sale)?, &locks, self)
            .map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self {
            ticket,
            point_of_sale,
            actor,
            buyer,
            buyer_ticket: _,
            at: _,
        } = self;
        d.write(ticket);
        d.write(point_of_sale);
        d.write(actor);
        d.write(buyer);
    }
}

impl Row for SettleResale {
    fn reads(&self, r: &mut Reads<'_>) {
        r.ticket(self.ticket);
    }
    fn follow_up(&self, v: &View<'_>, keys: &mut Vec<RecordKey>, _lookups: &mut Vec<Lookup>) {
        // The buyer's ticket the settlement may create: read, so that an id in use is refused.
        if let Some(resale) = v
            .ticket(self.ticket)
            .ok()
            .and_then(|t| t.distribution.resale.as_deref())
        {
            keys.push(RecordKey::Ticket(resale.buyer_ticket));
        }
    }
    fn decide(&self, v: &View<'_>) -> Result<Decision, Error> {
        resale::settle_resale(v.ticket(self.ticket)?, self).map_err(refused)
    }
    fn sent(&self, d: &mut Digester) {
        let Self { ticket, at: _ } = self;
        d.write(ticket);
    }
}
