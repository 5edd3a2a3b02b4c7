//! Fixtures: fixed times, fixed ids, people, tickets, and a small `World` that holds the current
//! records and runs transitions on them.

use std::fmt::{Debug, Display};

use secure_ticket::transfer::{
    self, AcceptTransfer, AcceptTransferError, Acceptance, Direction, InitiateTransfer,
    InitiateTransferError, NewGroupIds, SignIn, TransferGroup, TransferStatus,
};
use secure_ticket::{
    AcceptanceSettings, Decision, Distribution, Email, PointOfSaleId, RightId, ShipmentMode,
    ShipmentModeId, Ticket, TicketId, TransferBackward, TransferGroupId, TransferLimit, UsageRule,
    UsageRuleId, Wallet, injection,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The time of every command unless a test says otherwise.
pub(crate) const AT: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);
/// One hour after [`AT`].
pub(crate) const LATER: OffsetDateTime = datetime!(2026-11-23 13:00 UTC);
/// The id of the usage rule every fixture ticket follows.
pub(crate) const RULE: UsageRuleId = UsageRuleId::from_u128(1);
/// The point of sale of every fixture ticket.
pub(crate) const POS: PointOfSaleId = PointOfSaleId::from_u128(1);
/// The secure mobile shipment mode of every fixture ticket.
pub(crate) const MOBILE: ShipmentModeId = ShipmentModeId::from_u128(1);

pub(crate) fn email(address: &str) -> Email {
    Email::parse(address).unwrap()
}

pub(crate) fn alice() -> Email {
    email("alice@example.com")
}

pub(crate) fn bob() -> Email {
    email("bob@example.com")
}

pub(crate) fn carol() -> Email {
    email("carol@example.com")
}

pub(crate) const fn tid(n: u128) -> TicketId {
    TicketId::from_u128(n)
}

pub(crate) const fn gid(n: u128) -> TransferGroupId {
    TransferGroupId::from_u128(n)
}

/// The rule [`RULE`] with the given limit, other settings as U4 defaults.
pub(crate) fn rule(limit: i64) -> UsageRule {
    UsageRule::new(secure_ticket::OrganizerId::from_u128(1), RULE)
        .with_max_transfers(TransferLimit::new(limit).unwrap())
}

/// The rule [`RULE`] with the given limit and backward setting.
pub(crate) fn rule_with(limit: i64, backward: TransferBackward) -> UsageRule {
    rule(limit).with_transfer_backward(backward)
}

/// A valid, not injected, secure mobile ticket for right `n`.
pub(crate) fn issued(n: u128) -> Ticket {
    Ticket::new(
        secure_ticket::OrganizerId::from_u128(1),
        tid(n),
        RightId::from_u128(n),
        Distribution::new(POS, ShipmentMode::secure_mobile(MOBILE)),
    )
}

/// Ticket `n` injected to `owner` at [`AT`] under [`RULE`].
pub(crate) fn injected(n: u128, owner: &Email) -> Ticket {
    let ticket = issued(n);
    let command = injection::InjectTicket {
        ticket: ticket.id,
        to: owner.clone(),
        usage_rule: RULE,
        at: AT,
    };
    injection::inject(&ticket, &command)
        .unwrap()
        .tickets
        .remove(0)
        .unwrap()
}

/// A copy of `ticket` with its wallet facet changed by `change`.
pub(crate) fn with_wallet(ticket: &Ticket, change: impl FnOnce(&mut Wallet)) -> Ticket {
    let mut changed = ticket.clone();
    change(changed.wallet.as_mut().expect("injected ticket"));
    changed
}

/// A copy of `ticket` in DELETION_PENDING (S360 asked TIXnGO to delete it).
pub(crate) fn deletion_pending(ticket: &Ticket) -> Ticket {
    with_wallet(ticket, |w| w.deletion_requested_at = Some(AT))
}

/// A copy of `ticket` in DELETED.
pub(crate) fn deleted(ticket: &Ticket) -> Ticket {
    with_wallet(ticket, |w| {
        w.deletion_requested_at = Some(AT);
        w.deleted_at = Some(AT);
    })
}

/// A copy of `ticket` pending in `group`, as an initiation leaves it (T5).
pub(crate) fn pending_in(ticket: &Ticket, group: TransferGroupId) -> Ticket {
    with_wallet(ticket, |w| w.pending_group = Some(group))
}

/// The group an initiation at [`AT`] creates, with no deadline (T5).
pub(crate) fn new_group(
    id: TransferGroupId,
    sender: &Email,
    recipient: &Email,
    direction: Direction,
    tickets: &[TicketId],
    acceptance: Acceptance,
) -> TransferGroup {
    TransferGroup {
        id,
        organizer: secure_ticket::OrganizerId::from_u128(1),
        sender: sender.clone(),
        recipient: recipient.clone(),
        direction,
        tickets: tickets.to_vec().into(),
        status: TransferStatus::Pending,
        acceptance,
        created_at: AT,
        expires_at: None,
        closed_at: None,
        replaces: None,
        performance_ends_at: None,
        back_office: None,
    }
}

/// A copy of `group` closed with `status` at `at`.
pub(crate) fn closed(
    group: &TransferGroup,
    status: TransferStatus,
    at: OffsetDateTime,
) -> TransferGroup {
    let mut closed = group.clone();
    closed.status = status;
    closed.closed_at = Some(at);
    closed
}

/// Asserts that a command was refused with exactly `expected`, and that its message names `id`.
pub(crate) fn assert_refused<E: Debug + Display + PartialEq>(
    result: Result<Decision, E>,
    expected: &E,
    id: &dyn Display,
) {
    let error = result.expect_err("the command should be refused");
    assert_eq!(&error, expected);
    let message = error.to_string();
    let id = id.to_string();
    assert!(
        message.contains(&id),
        "the message `{message}` should name `{id}`"
    );
}

/// The records a shell would hold: tickets, groups, rules and the organizer's settings.
///
/// Commands run at [`AT`]; `apply` stores a decision's new records the way a shell persists them.
#[derive(Debug, Clone)]
pub(crate) struct World {
    pub(crate) tickets: Vec<Ticket>,
    pub(crate) groups: Vec<TransferGroup>,
    pub(crate) rules: Vec<UsageRule>,
    pub(crate) settings: AcceptanceSettings,
}

impl World {
    /// The transfer context of this world: its rules and acceptance settings, nothing else.
    pub(crate) fn context(&self) -> transfer::Context<'_> {
        transfer::Context::new(&self.rules).with_settings(self.settings)
    }

    pub(crate) fn new(rule: UsageRule, settings: AcceptanceSettings) -> Self {
        Self {
            tickets: Vec::new(),
            groups: Vec::new(),
            rules: vec![rule],
            settings,
        }
    }

    /// Recipients accept FORWARD groups explicitly (A1 on).
    pub(crate) fn explicit(rule: UsageRule) -> Self {
        Self::new(rule, AcceptanceSettings::explicit())
    }

    /// Groups complete at the recipient's sign-in (A1 off).
    pub(crate) fn automatic(rule: UsageRule) -> Self {
        Self::new(rule, AcceptanceSettings::automatic())
    }

    /// Injects ticket `n` to `owner` and keeps it.
    pub(crate) fn inject(&mut self, n: u128, owner: &Email) -> TicketId {
        let ticket = injected(n, owner);
        let id = ticket.id;
        self.tickets.push(ticket);
        id
    }

    pub(crate) fn ticket(&self, id: TicketId) -> &Ticket {
        self.tickets
            .iter()
            .find(|t| t.id == id)
            .expect("ticket in the world")
    }

    pub(crate) fn wallet(&self, id: TicketId) -> &Wallet {
        self.ticket(id).wallet.as_ref().expect("injected ticket")
    }

    pub(crate) fn group(&self, id: TransferGroupId) -> &TransferGroup {
        self.groups
            .iter()
            .find(|g| g.id == id)
            .expect("group in the world")
    }

    /// Replaces the usage rule (the organizer edits it).
    pub(crate) fn set_rule(&mut self, rule: UsageRule) {
        self.rules = vec![rule];
    }

    /// Replaces a ticket's record (for states no transition reaches yet, such as deletion).
    pub(crate) fn put_ticket(&mut self, ticket: Ticket) {
        self.apply(&Decision {
            created: Vec::new().into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![ticket].into(),
            groups: Vec::new().into(),
            events: Vec::new().into(),
        });
    }

    /// Stores the new records of a decision.
    pub(crate) fn apply(&mut self, decision: &Decision) {
        for ticket in &decision.tickets {
            match self.tickets.iter_mut().find(|t| t.id == ticket.id) {
                Some(slot) => *slot = ticket.clone(),
                None => self.tickets.push(ticket.clone()),
            }
        }
        for group in &decision.groups {
            match self.groups.iter_mut().find(|g| g.id == group.id) {
                Some(slot) => *slot = group.clone(),
                None => self.groups.push(group.clone()),
            }
        }
    }

    /// Runs an initiation at [`AT`] without storing it.
    pub(crate) fn initiate(
        &self,
        actor: &Email,
        recipient: &Email,
        tickets: &[TicketId],
        groups: NewGroupIds,
    ) -> Result<Decision, InitiateTransferError> {
        let command = InitiateTransfer {
            actor: actor.clone(),
            recipient: recipient.clone(),
            tickets: tickets.to_vec(),
            groups,
            at: AT,
        };
        transfer::initiate(&self.tickets, &self.context(), &command)
    }

    /// Initiates a transfer into group `group` and stores it; returns the decision.
    pub(crate) fn sent(
        &mut self,
        actor: &Email,
        recipient: &Email,
        tickets: &[TicketId],
        group: u128,
    ) -> Decision {
        let decision = self
            .initiate(actor, recipient, tickets, NewGroupIds::single(gid(group)))
            .unwrap();
        self.apply(&decision);
        decision
    }

    /// Initiates a transfer into group `group` and stores it.
    pub(crate) fn send(
        &mut self,
        actor: &Email,
        recipient: &Email,
        tickets: &[TicketId],
        group: u128,
    ) {
        let _sent = self.sent(actor, recipient, tickets, group);
    }

    /// Runs an explicit acceptance at [`AT`] without storing it.
    pub(crate) fn accept(
        &self,
        group: TransferGroupId,
        actor: &Email,
    ) -> Result<Decision, AcceptTransferError> {
        let command = AcceptTransfer {
            group,
            actor: actor.clone(),
            at: AT,
        };
        transfer::accept(self.group(group), &self.tickets, &self.rules, &command)
    }

    /// Accepts group `group` as `actor` and stores the outcome; returns the decision.
    pub(crate) fn accepted(&mut self, group: u128, actor: &Email) -> Decision {
        let decision = self.accept(gid(group), actor).unwrap();
        self.apply(&decision);
        decision
    }

    /// Runs `actor`'s sign-in at `at` over every stored group, and stores the outcome.
    pub(crate) fn sign_in(&mut self, actor: &Email, at: OffsetDateTime) -> Decision {
        let command = SignIn {
            actor: actor.clone(),
            at,
        };
        let decision =
            transfer::complete_on_sign_in(&self.groups, &self.tickets, &self.rules, &command)
                .unwrap();
        self.apply(&decision);
        decision
    }

    /// A full transfer of one ticket: `from` sends it in group `group`, `to` accepts it explicitly.
    /// Returns the completion's decision.
    pub(crate) fn transferred(
        &mut self,
        ticket: TicketId,
        from: &Email,
        to: &Email,
        group: u128,
    ) -> Decision {
        self.send(from, to, &[ticket], group);
        self.accepted(group, to)
    }

    /// A full transfer of one ticket: `from` sends it in group `group`, `to` accepts it explicitly.
    pub(crate) fn transfer(&mut self, ticket: TicketId, from: &Email, to: &Email, group: u128) {
        let _transferred = self.transferred(ticket, from, to, group);
    }
}

// ---------------------------------------------------------------------------------------------
// The worlds of the error tests (`err_...`): one ticket, sent or not.

/// The ticket of the error tests (`err_...`).
pub(crate) const T: TicketId = TicketId::from_u128(1);
/// A ticket no world holds.
pub(crate) const MISSING: TicketId = TicketId::from_u128(9);
/// The deadline of the pending world's group: 48 hours after [`AT`].
pub(crate) const DEADLINE: OffsetDateTime = datetime!(2026-11-25 12:00 UTC);

/// Ticket 1 injected to Alice (limit 3, explicit acceptance), not yet sent.
pub(crate) fn fresh_world() -> World {
    let mut world = World::explicit(rule(3));
    world.inject(1, &alice());
    world
}

/// Ticket 1 sent by Alice to Bob in group 1 (explicit acceptance, deadline after 48 hours).
pub(crate) fn pending_world() -> World {
    let mut world = World::new(
        rule(3),
        AcceptanceSettings::explicit()
            .with_expiry(Duration::hours(48))
            .unwrap(),
    );
    world.inject(1, &alice());
    world.send(&alice(), &bob(), &[T], 1);
    world
}

/// Ticket 1 sent by Alice to Bob in group 1, completing at Bob's sign-in.
pub(crate) fn automatic_world() -> World {
    let mut world = World::automatic(rule(3));
    world.inject(1, &alice());
    world.send(&alice(), &bob(), &[T], 1);
    world
}

/// Group 1, as the world holds it.
pub(crate) fn group_1(world: &World) -> TransferGroup {
    world.group(gid(1)).clone()
}

/// The pending world's ticket before it was sent: not pending in any group.
pub(crate) fn not_in_group() -> Vec<Ticket> {
    vec![injected(1, &alice())]
}

/// One id for the new groups of an initiation.
pub(crate) fn single(n: u128) -> NewGroupIds {
    NewGroupIds::single(gid(n))
}
