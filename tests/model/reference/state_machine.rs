//! The reference state machine: the initial state from a generated setup, the transitions (commands
//! from the crate's generators over the state's pools, steered towards the interesting cases) and
//! their application to the model.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::select;
use proptest_state_machine::ReferenceStateMachine;
use secure_ticket::command::ExpireDue;
use secure_ticket::injection::TransferDetails;
use secure_ticket::service::{Command, Request};
use secure_ticket::strategies;
use secure_ticket::transfer::NewGroupIds;
use secure_ticket::wallet::Actor;
use secure_ticket::{CommandId, Email, LifecycleStatus, TicketId, TransferGroupId};
use time::{Duration, OffsetDateTime};

use super::setup::{ORGANIZER, UNKNOWN_ORGANIZER, arb_setup, setup_records};
use super::shapes::GroupStatus;
use super::state::{Model, restamp};

/// The dice of [`Steering::steer`]: owner or not, recipient and feedback, all held tickets, twin ids.
type Dice = (bool, u8, u8, u8);

/// Test-side steering of generated commands, standing in for what `arb_command_for` cannot do
/// from [`Pools`] (which carries no owners, and always gives two distinct group ids):
///
/// - half of the time, the actor of a command that only the current owner may give (initiate,
///   return, download, a spectator's flag change) becomes the current owner of its (first) ticket;
/// - half of the time, a sign-in's actor is the recipient of a PENDING group (Q4: the shell finds
///   the actor's groups itself);
/// - 1 in 8, the recipient of an initiation or an edit becomes the previous owner of its first
///   ticket (T6: BACKWARD by typing that email; a split when the other tickets go FORWARD);
/// - 1 in 20, an initiation lists every ticket its actor holds (T7: several tickets, split when
///   their previous owners differ), and the two group ids of an initiation or an edit are made
///   equal (T7's `SameGroupIdForBothDirections`), independently;
/// - 1 in 60, a transfer feedback loses its details (I4's `MissingTransferDetails`);
/// - half of the time, the actor of a holder's assignment or clearing becomes the ticket's current
///   owner (H1), a lock names the current owner of some ticket, and an unlock a locked spectator
///   (L1: so that locks meet the spectators they stop, L2);
/// - 1 in 8, the recipient of a back-office transfer becomes the previous owner of its first
///   ticket (S6, T6: BACKWARD);
/// - 5 in 6, the actor of a resale becomes the ticket's cultural contact (R1);
/// - while some ticket is on resale (R2): 4 in 5, a settlement names one of them (one whose
///   deletion was reported already, if any); half of the time, a deletion request names one
///   (B10), and so does a feedback, after the ticket's last feedback (I3), which then reports
///   DELETION_PENDING or DELETED (3 in 4: recording it settles the resale) or TRANSFERRED to
///   someone (1 in 4: the resale is cancelled when it settles); 1 in 3, a resale takes the
///   buyer's ticket id of another one, and 1 in 4 a take back takes one for its replacement (the
///   settlement then finds the id in use).
#[derive(Clone, Debug)]
struct Steering {
    owners: BTreeMap<TicketId, (Email, Option<Email>)>,
    groups: BTreeMap<TransferGroupId, Vec<TicketId>>,
    pending_to: BTreeMap<Email, Vec<TransferGroupId>>,
    locked: Vec<Email>,
    /// Each ticket's cultural contact (R1).
    contacts: BTreeMap<TicketId, Email>,
    /// The tickets on resale, each with the sequence of its last feedback (R2, I3) and the id
    /// of its buyer's ticket.
    on_resale: Vec<(TicketId, u64, TicketId)>,
    /// The tickets on resale whose deletion TIXnGO reported before they were put on resale.
    settleable: Vec<TicketId>,
}

impl Steering {
    fn of(model: &Model) -> Self {
        let mut pending_to: BTreeMap<Email, Vec<TransferGroupId>> = BTreeMap::new();
        for (id, g) in &model.groups {
            if g.status == GroupStatus::Pending {
                pending_to.entry(g.recipient.clone()).or_default().push(*id);
            }
        }
        Self {
            owners: model
                .tickets
                .iter()
                .filter_map(|(id, t)| {
                    t.wallet
                        .as_ref()
                        .map(|w| (*id, (w.current.clone(), w.previous.clone())))
                })
                .collect(),
            groups: model
                .groups
                .iter()
                .map(|(id, g)| (*id, g.tickets.to_vec()))
                .collect(),
            pending_to,
            locked: model
                .spectators
                .iter()
                .filter(|(_, s)| s.lock.is_some())
                .map(|(email, _)| email.clone())
                .collect(),
            contacts: model
                .tickets
                .iter()
                .filter_map(|(id, t)| Some((*id, t.contact.clone()?)))
                .collect(),
            on_resale: model
                .tickets
                .iter()
                .filter_map(|(id, t)| {
                    let sequence = t.feedback.map_or(0, |(_, _, sequence)| sequence);
                    Some((*id, sequence, t.resale.as_ref()?.buyer_ticket))
                })
                .collect(),
            settleable: model
                .tickets
                .iter()
                .filter(|(_, t)| {
                    t.resale.is_some()
                        && matches!(
                            t.feedback,
                            Some((
                                LifecycleStatus::DeletionPending | LifecycleStatus::Deleted,
                                _,
                                _
                            ))
                        )
                })
                .map(|(id, _)| *id)
                .collect(),
        }
    }

    /// One of the tickets on resale, by the dice, with the sequence of its last feedback and its
    /// buyer's ticket id.
    fn on_resale(&self, dice: u8) -> Option<(TicketId, u64, TicketId)> {
        (!self.on_resale.is_empty())
            .then(|| self.on_resale[usize::from(dice) % self.on_resale.len()])
    }

    fn steer(&self, mut command: Command, (to_owner, dice, all, twin): Dice) -> Command {
        let owner =
            |id: Option<&TicketId>| id.and_then(|id| self.owners.get(id)).map(|o| o.0.clone());
        let previous = |id: Option<&TicketId>| {
            id.and_then(|id| self.owners.get(id))
                .and_then(|o| o.1.clone())
        };
        let (same_ids, to_previous, drop_details) = (twin == 0, (1..=7).contains(&dice), dice == 0);
        match &mut command {
            Command::Initiate(c) => {
                if let (true, Some(o)) = (to_owner, owner(c.tickets.first())) {
                    c.actor = o;
                }
                if all == 0 {
                    let held: Vec<TicketId> = self
                        .owners
                        .iter()
                        .filter(|(_, (current, _))| *current == c.actor)
                        .map(|(id, _)| *id)
                        .collect();
                    if !held.is_empty() {
                        c.tickets = held;
                    }
                }
                if let (true, Some(p)) = (to_previous, previous(c.tickets.first())) {
                    c.recipient = p;
                }
                if same_ids {
                    c.groups.backward = c.groups.forward;
                }
            }
            Command::EditRecipient(c) => {
                let first = self.groups.get(&c.group).and_then(|t| t.first());
                if let (true, Some(p)) = (to_previous, previous(first)) {
                    c.recipient = p;
                }
                if same_ids {
                    c.new_groups.backward = c.new_groups.forward;
                }
            }
            Command::ReturnToSender(c) => {
                if let (true, Some(o)) = (to_owner, owner(Some(&c.ticket))) {
                    c.actor = o;
                }
            }
            Command::Download(c) => {
                if let (true, Some(o)) = (to_owner, owner(Some(&c.ticket))) {
                    c.actor = o;
                }
            }
            Command::ChangeFlag(c) => {
                if let (true, Actor::Spectator(_), Some(o)) =
                    (to_owner, &c.actor, owner(Some(&c.ticket)))
                {
                    c.actor = Actor::Spectator(o);
                }
            }
            Command::SignIn(c) if to_owner && !self.pending_to.is_empty() => {
                let recipients: Vec<&Email> = self.pending_to.keys().collect();
                c.actor = recipients[usize::from(dice) % recipients.len()].clone();
            }
            Command::RecordFeedback(f) => {
                if drop_details {
                    f.transfer = None;
                }
                if let (true, Some((ticket, last, _))) = (to_owner, self.on_resale(dice)) {
                    f.ticket = ticket;
                    f.sequence = last + 1;
                    f.transfer = None;
                    f.status = match dice % 4 {
                        0 | 2 => LifecycleStatus::DeletionPending,
                        1 => LifecycleStatus::Deleted,
                        // A transfer TIXnGO completed before the deletion landed: another
                        // cultural contact (I4), so the resale is cancelled when it settles.
                        _ => {
                            f.transfer = Some(TransferDetails {
                                group: TransferGroupId::from_u128(u128::from(last) + 500_000),
                                sender: self
                                    .contacts
                                    .get(&ticket)
                                    .cloned()
                                    .unwrap_or_else(|| strategies::person(0)),
                                recipient: strategies::person(usize::from(all)),
                                back_office: None,
                            });
                            LifecycleStatus::Transferred
                        }
                    };
                }
            }
            Command::RequestDeletion(c) => {
                if let (true, Some((ticket, _, _))) = (to_owner, self.on_resale(dice)) {
                    c.ticket = ticket;
                }
            }
            Command::PutOnResale(c) => {
                if let (true, Some(contact)) = (dice % 6 != 0, self.contacts.get(&c.ticket)) {
                    c.actor = contact.clone();
                }
                // The buyer's ticket id of another resale: the second settlement finds it in use.
                if let (0, Some((_, _, taken))) = (twin % 3, self.on_resale(dice)) {
                    c.buyer_ticket = taken;
                }
            }
            // The buyer's ticket id of a resale: its settlement finds the id in use.
            Command::TakeBack(c) => {
                if let (0, Some((_, _, taken))) = (all % 4, self.on_resale(dice)) {
                    c.new_ticket = taken;
                }
            }
            Command::SettleResale(c) if dice % 5 != 0 => {
                if !self.settleable.is_empty() {
                    c.ticket = self.settleable[usize::from(dice) % self.settleable.len()];
                } else if let Some((ticket, _, _)) = self.on_resale(dice) {
                    c.ticket = ticket;
                }
            }
            Command::BackOfficeTransfer(c) => {
                if let (true, Some(p)) = (to_previous, previous(c.tickets.first())) {
                    c.recipient = p;
                }
            }
            Command::AssignHolder(c) => {
                if let (true, Some(o)) = (to_owner, owner(Some(&c.ticket))) {
                    c.actor = o;
                }
            }
            Command::ClearHolder(c) => {
                if let (true, Some(o)) = (to_owner, owner(Some(&c.ticket))) {
                    c.actor = o;
                }
            }
            Command::LockSpectator(c) if to_owner && !self.owners.is_empty() => {
                let owners: Vec<&Email> =
                    self.owners.values().map(|(current, _)| current).collect();
                c.spectator = owners[usize::from(dice) % owners.len()].clone();
            }
            Command::UnlockSpectator(c) if to_owner && !self.locked.is_empty() => {
                c.spectator = self.locked[usize::from(dice) % self.locked.len()].clone();
            }
            _ => {}
        }
        command
    }
}

/// The jump of a retry's time: 0, 5 minutes or 1 hour.
fn minutes_jump() -> impl Strategy<Value = i64> {
    prop_oneof![Just(0i64), Just(5), Just(60)]
}

/// The command with new caller-given ids for the records it would create, as a server that mints
/// them per HTTP request would send a retry (the ids `fresh * 4 + 2` and `+ 3`, unused by the
/// generator, which takes `+ 0` and `+ 1`).
fn remint(command: &Command, fresh: u128) -> Command {
    let mut command = command.clone();
    let forward = TransferGroupId::from_u128(fresh * 4 + 2);
    let backward = TransferGroupId::from_u128(fresh * 4 + 3);
    match &mut command {
        Command::Initiate(c) => c.groups = NewGroupIds::new(forward, backward),
        Command::ReturnToSender(c) => c.group = forward,
        Command::EditRecipient(c) => c.new_groups = NewGroupIds::new(forward, backward),
        Command::TakeBack(c) => c.new_ticket = TicketId::from_u128(1_000_000 + fresh),
        Command::PutOnResale(c) => c.buyer_ticket = TicketId::from_u128(2_000_000 + fresh),
        // The same shape (how many ids, which repeated), new ids: the generator's back-office
        // transfers carry at most two distinct ids.
        Command::BackOfficeTransfer(c) => {
            let first = c.groups.first().copied();
            for id in &mut c.groups {
                *id = if Some(*id) == first {
                    forward
                } else {
                    backward
                };
            }
        }
        _ => {}
    }
    command
}

/// One transition: a request, and the time it carries (the model's clock).
#[derive(Clone, Debug)]
pub(crate) struct Step {
    pub(crate) at: OffsetDateTime,
    pub(crate) request: Request,
}

/// The reference state machine.
#[derive(Debug)]
pub(crate) struct Reference;

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        arb_setup()
            .prop_map(|seed| Model::from_setup(setup_records(&seed)))
            .boxed()
    }

    /// A command from `strategies::arb_command_for`, drawn from the current state's pools, at the
    /// model's clock plus a jump (0, 5 minutes, 1 hour or 12 hours, so that deadlines pass), or
    /// (1 in 20) an expiry sweep (Q5) with a small limit, now and then an invalid one. Ids of
    /// new records come from a counter (`fresh`); now and then an earlier counter value is reused
    /// (to reach `IdInUse` and `GroupIdReused`), an earlier command id is reused (X3:
    /// `CommandIdReused`, or a retry when the content matches), or the organizer is another one
    /// (X7: none of the records are its own, and it has no settings). 1 in 25, the step is a
    /// retry of an earlier request as an HTTP server would send it (X3): stamped with the new time
    /// and with new ids for the records it would create.
    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        let pools = state.pools();
        let n = state.count + 1;
        let now = state.now;
        let earlier: Vec<CommandId> = state.commands.keys().map(|(_, id)| *id).collect();
        let id = if earlier.is_empty() {
            Just(CommandId::from_u128(n)).boxed()
        } else {
            prop_oneof![39 => Just(CommandId::from_u128(n)), 1 => select(earlier)].boxed()
        };
        // Group ids are `fresh * 4 + k`: the fresh value of an existing group makes new ids collide.
        let taken: Vec<u128> = state
            .groups
            .keys()
            .map(|g| g.as_uuid().as_u128() / 4)
            .collect();
        let fresh = if taken.is_empty() {
            prop_oneof![24 => Just(n), 1 => 1..=n].boxed()
        } else {
            prop_oneof![24 => Just(n), 1 => 1..=n, 2 => select(taken)].boxed()
        };
        let steering = Steering::of(state);
        let organizer = prop_oneof![39 => Just(ORGANIZER), 1 => Just(UNKNOWN_ORGANIZER)];
        let minutes = prop_oneof![3 => Just(0i64), 3 => Just(5), 2 => Just(60), 1 => Just(720)];
        let fresh_step = (id, fresh, organizer, minutes)
            .prop_flat_map(move |(id, fresh, organizer, minutes)| {
                let at = now.saturating_add(Duration::minutes(minutes));
                let steering = steering.clone();
                let dice = (any::<bool>(), 0u8..60, 0u8..20, 0u8..20);
                let limit = prop_oneof![
                    24 => 1u32..=3,
                    2 => Just(1_000u32),
                    1 => Just(0u32),
                    1 => Just(1_001u32),
                ];
                let sweep =
                    limit.prop_map(move |limit| Command::ExpireDue(ExpireDue { at, limit }));
                let command = prop_oneof![
                    19 => strategies::arb_command_for(&pools, at, fresh),
                    1 => sweep,
                ];
                (command, dice).prop_map(move |(command, dice)| Step {
                    at,
                    request: Request {
                        id,
                        organizer,
                        command: steering.steer(command, dice),
                    },
                })
            })
            .boxed();
        let retries: Vec<Request> = state
            .commands
            .values()
            .map(|first| first.request.clone())
            .collect();
        if retries.is_empty() {
            return fresh_step;
        }
        let retry = (select(retries), minutes_jump()).prop_map(move |(first, minutes)| {
            let at = now.saturating_add(Duration::minutes(minutes));
            Step {
                at,
                request: Request {
                    command: remint(&restamp(&first.command, at), n),
                    ..first
                },
            }
        });
        prop_oneof![24 => fresh_step, 1 => retry].boxed()
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        state.count += 1;
        if step.at > state.now {
            state.now = step.at;
        }
        let predicted = state.execute(&step.request);
        state.last = Some(predicted);
        state
    }
}
