//! The reference model: a deliberately simple, independent reading of `SPEC.md`.
//!
//! Plain maps of tickets (owners, level, counters, flags, pending group, S360's facet), groups
//! (sender, recipient, direction, status), rules and settings, updated by straight-line code. The
//! model never calls the crate's transitions: it only uses the crate's data types (ids, emails,
//! commands) and converts the real records into its own shape to compare them ([`MTicket::of`],
//! [`MGroup::of`]).
//!
//! Where the SPEC fixes no order between two refusals, the model follows the order each command
//! documents under `# Errors` (the API contract), and the shell's order for records it cannot find
//! (settings, then point of sale, then ticket or group).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::select;
use proptest_state_machine::ReferenceStateMachine;
use secure_ticket::injection::{InjectTicket, TransferDetails};
use secure_ticket::service::{Command, Request};
use secure_ticket::store::Record;
use secure_ticket::strategies::{self, EPOCH, POINT_OF_SALE, Pools, person};
use secure_ticket::take_back::{RedistributeTicket, TakeBackTicket};
use secure_ticket::transfer::{
    AcceptTransfer, Acceptance, CancelTransfer, DeclineTransfer, EditRecipient, ExpireTransfer,
    InitiateTransfer, NewGroupIds, ReturnToSender, SignIn, TransferGroup,
};
use secure_ticket::wallet::{
    Actor, ChangeFlag, CompleteDeletion, DownloadTicket, FlagChange, RequestDeletion,
};
use secure_ticket::{
    AcceptanceSettings, ActivationMethod, CommandId, Direction, Email, EntryStatus, Feedback,
    LastFeedback, LifecycleStatus, OrganizerId, OrganizerSettings, PointOfSale, PointOfSaleId,
    RightId, ShipmentKind, ShipmentMode, ShipmentModeId, Ticket, TicketHolder, TicketId,
    TixngoInterface, TransferBackward, TransferGroupId, TransferStatus, UsageRule, UsageRuleId,
    Wallet,
};
use time::{Duration, OffsetDateTime};

/// The organizer whose settings exist.
pub(crate) const ORGANIZER: OrganizerId = OrganizerId::from_u128(1);
/// An organizer without settings: commands that need settings are refused with `NotFound`.
pub(crate) const UNKNOWN_ORGANIZER: OrganizerId = OrganizerId::from_u128(2);
/// A point of sale of another channel (not B2B).
pub(crate) const OTHER_POS: PointOfSaleId = PointOfSaleId::from_u128(2);
/// A second B2B point of sale, take back allowed, that distributed none of the tickets.
pub(crate) const SECOND_B2B_POS: PointOfSaleId = PointOfSaleId::from_u128(3);
/// A point of sale that does not exist.
pub(crate) const UNKNOWN_POS: PointOfSaleId = PointOfSaleId::from_u128(9);
/// The first usage rule (transfers always on).
pub(crate) const RULE_1: UsageRuleId = UsageRuleId::from_u128(1);
/// The optional second usage rule (any settings).
pub(crate) const RULE_2: UsageRuleId = UsageRuleId::from_u128(2);
/// A usage rule that does not exist: tickets injected with it can never be transferred.
pub(crate) const UNKNOWN_RULE: UsageRuleId = UsageRuleId::from_u128(99);
/// The take-back code (B7), as S360 writes it.
const MOBILE_TAKE_BACK: &str = "MOBILE_TAKE_BACK";
/// T9: the level never exceeds 256.
const MAX_LEVEL: u16 = 256;

// ---------------------------------------------------------------------------------------------
// The model's own shapes
// ---------------------------------------------------------------------------------------------

/// A shipment mode: its id, whether it is secure mobile, whether S360 injects it automatically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mode {
    id: ShipmentModeId,
    mobile: bool,
    automatic: bool,
}

impl Mode {
    fn of(mode: &ShipmentMode) -> Self {
        Self {
            id: mode.id,
            mobile: matches!(mode.kind, ShipmentKind::SecureMobile),
            automatic: mode.automatic_injection,
        }
    }
}

/// One line of S360's distribution history (I4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    group: TransferGroupId,
    sender: Email,
    recipient: Email,
    status: EntryStatus,
    at: OffsetDateTime,
}

/// A ticket, both facets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MTicket {
    pub(crate) right: RightId,
    point_of_sale: PointOfSaleId,
    mode: Mode,
    contact: Option<Email>,
    holder: bool,
    /// (reason code, when, replaced by)
    pub(crate) invalidation: Option<(String, OffsetDateTime, Option<TicketId>)>,
    replaces: Option<TicketId>,
    printed: bool,
    feedback: Option<(LifecycleStatus, OffsetDateTime)>,
    entries: Vec<Entry>,
    pub(crate) wallet: Option<MWallet>,
}

/// TIXnGO's facet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MWallet {
    rule: UsageRuleId,
    injected_at: OffsetDateTime,
    pub(crate) initial: Email,
    previous: Option<Email>,
    current: Email,
    level: u16,
    level_before_forward: u16,
    forward: u32,
    backward: u32,
    downloaded_at: Option<OffsetDateTime>,
    activated: Option<(OffsetDateTime, ActivationMethod)>,
    checked_at: Option<OffsetDateTime>,
    controlled_at: Option<OffsetDateTime>,
    pending: Option<TransferGroupId>,
    deletion_requested_at: Option<OffsetDateTime>,
    deleted_at: Option<OffsetDateTime>,
}

/// W1: where a ticket is in the wallet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Where {
    NotDownloaded,
    Downloaded,
    Pending,
    DeletionPending,
    Deleted,
}

impl MWallet {
    /// W2.
    fn injected(rule: UsageRuleId, owner: Email, at: OffsetDateTime) -> Self {
        Self {
            rule,
            injected_at: at,
            initial: owner.clone(),
            previous: None,
            current: owner,
            level: 0,
            level_before_forward: 0,
            forward: 0,
            backward: 0,
            downloaded_at: None,
            activated: None,
            checked_at: None,
            controlled_at: None,
            pending: None,
            deletion_requested_at: None,
            deleted_at: None,
        }
    }

    const fn status(&self) -> Where {
        if self.deleted_at.is_some() {
            Where::Deleted
        } else if self.deletion_requested_at.is_some() {
            Where::DeletionPending
        } else if self.pending.is_some() {
            Where::Pending
        } else if self.downloaded_at.is_some() {
            Where::Downloaded
        } else {
            Where::NotDownloaded
        }
    }

    /// W4.
    const fn leaving(&self) -> bool {
        self.deleted_at.is_some() || self.deletion_requested_at.is_some()
    }

    fn of(w: &Wallet) -> Self {
        Self {
            rule: w.usage_rule,
            injected_at: w.injected_at,
            initial: w.owners.initial.clone(),
            previous: w.owners.previous.clone(),
            current: w.owners.current.clone(),
            level: w.level,
            level_before_forward: w.level_before_last_forward,
            forward: w.forward_transfers,
            backward: w.backward_transfers,
            downloaded_at: w.downloaded_at,
            activated: w.activated.map(|a| (a.at, a.method)),
            checked_at: w.checked_at,
            controlled_at: w.controlled_at,
            pending: w.pending_group,
            deletion_requested_at: w.deletion_requested_at,
            deleted_at: w.deleted_at,
        }
    }
}

impl MTicket {
    /// The model's view of a real ticket.
    pub(crate) fn of(t: &Ticket) -> Self {
        let d = &t.distribution;
        Self {
            right: t.right,
            point_of_sale: d.point_of_sale,
            mode: Mode::of(&d.shipment_mode),
            contact: d.cultural_contact.clone(),
            holder: d.holder.is_some(),
            invalidation: d
                .invalidation
                .as_ref()
                .map(|i| (i.reason.code().to_owned(), i.at, i.replaced_by)),
            replaces: d.replaces,
            printed: d.printed,
            feedback: d.last_feedback.map(|f| (f.status, f.at)),
            entries: d
                .entries
                .iter()
                .map(|e| Entry {
                    group: e.group,
                    sender: e.sender.clone(),
                    recipient: e.recipient.clone(),
                    status: e.status,
                    at: e.at,
                })
                .collect(),
            wallet: t.wallet.as_ref().map(MWallet::of),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GroupStatus {
    Pending,
    Accepted,
    Declined,
    Cancelled,
    Expired,
}

/// A transfer group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MGroup {
    sender: Email,
    recipient: Email,
    backward: bool,
    tickets: Vec<TicketId>,
    pub(crate) status: GroupStatus,
    explicit: bool,
    created_at: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
    closed_at: Option<OffsetDateTime>,
    replaces: Option<TransferGroupId>,
}

impl MGroup {
    /// The model's view of a real group.
    pub(crate) fn of(g: &TransferGroup) -> Self {
        Self {
            sender: g.sender.clone(),
            recipient: g.recipient.clone(),
            backward: matches!(g.direction, Direction::Backward),
            tickets: g.tickets.iter().copied().collect(),
            status: match g.status {
                TransferStatus::Pending => GroupStatus::Pending,
                TransferStatus::Accepted => GroupStatus::Accepted,
                TransferStatus::Declined => GroupStatus::Declined,
                TransferStatus::Cancelled => GroupStatus::Cancelled,
                TransferStatus::Expired => GroupStatus::Expired,
                other => panic!("a status the model does not know: {other}"),
            },
            explicit: matches!(g.acceptance, Acceptance::Explicit),
            created_at: g.created_at,
            expires_at: g.expires_at,
            closed_at: g.closed_at,
            replaces: g.replaces,
        }
    }

    /// The crate's shape, for the generators' pools.
    fn to_transfer_group(&self, id: TransferGroupId) -> TransferGroup {
        TransferGroup {
            id,
            sender: self.sender.clone(),
            recipient: self.recipient.clone(),
            direction: if self.backward {
                Direction::Backward
            } else {
                Direction::Forward
            },
            tickets: self.tickets.iter().copied().collect(),
            status: match self.status {
                GroupStatus::Pending => TransferStatus::Pending,
                GroupStatus::Accepted => TransferStatus::Accepted,
                GroupStatus::Declined => TransferStatus::Declined,
                GroupStatus::Cancelled => TransferStatus::Cancelled,
                GroupStatus::Expired => TransferStatus::Expired,
            },
            acceptance: if self.explicit {
                Acceptance::Explicit
            } else {
                Acceptance::Automatic
            },
            created_at: self.created_at,
            expires_at: self.expires_at,
            closed_at: self.closed_at,
            replaces: self.replaces,
        }
    }

    fn past_deadline(&self, at: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|deadline| at >= deadline)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backward {
    Neutral,
    Decrease,
    Increase,
}

/// A usage rule (U1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MRule {
    transfer: bool,
    after_activation: bool,
    after_check: bool,
    after_control: bool,
    pub(crate) limit: u16,
    backward: Backward,
}

impl MRule {
    fn of(r: &UsageRule) -> Self {
        Self {
            transfer: r.transfer,
            after_activation: r.transfer_after_activation,
            after_check: r.transfer_after_check,
            after_control: r.transfer_after_control,
            limit: r.max_transfers.get(),
            backward: match r.transfer_backward {
                TransferBackward::Neutral => Backward::Neutral,
                TransferBackward::Decrease => Backward::Decrease,
                TransferBackward::Increase => Backward::Increase,
                other => panic!("a backward setting the model does not know: {other}"),
            },
        }
    }
}

/// A point of sale's take-back configuration (B1, B2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct MPos {
    b2b: bool,
    allow: bool,
    advanced: bool,
    mode: Option<Mode>,
}

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
    pos: BTreeMap<PointOfSaleId, MPos>,
    explicit: bool,
    expire_after: Option<Duration>,
    /// B8: replacements go to their cultural contact.
    resets: bool,
    /// B5.
    refuse_holder: bool,
    /// X3: processed commands, with the kinds of their events.
    commands: BTreeMap<CommandId, (Request, Vec<&'static str>)>,
    /// The latest time a command carried.
    now: OffsetDateTime,
    /// How many steps were applied: the source of fresh ids.
    count: u128,
    /// The prediction for the last step.
    pub(crate) last: Option<Predicted>,
}

/// What a successful command changes: records in full (new ones flagged), and events by kind.
#[derive(Default)]
struct Effect {
    tickets: Vec<(TicketId, MTicket, bool)>,
    groups: Vec<(TransferGroupId, MGroup, bool)>,
    events: Vec<&'static str>,
}

impl Effect {
    fn ticket(id: TicketId, ticket: MTicket, event: &'static str) -> Self {
        Self {
            tickets: vec![(id, ticket, false)],
            groups: Vec::new(),
            events: vec![event],
        }
    }
}

type Decided = Result<Effect, String>;

fn err<T>(kind: impl Into<String>) -> Result<T, String> {
    Err(kind.into())
}

// ---------------------------------------------------------------------------------------------
// Setup
// ---------------------------------------------------------------------------------------------

/// One generated ticket: contact, kind (holder, print at home, plain), injection.
type TicketSeed = (usize, u8, u8);

#[derive(Clone, Debug)]
struct SetupSeed {
    tickets: Vec<TicketSeed>,
    rule_1: UsageRule,
    rule_2: Option<UsageRule>,
    explicit: bool,
    expire_hours: Option<i64>,
    pos: (bool, bool, u8),
    interface: u8,
    refuse_holder: bool,
}

fn arb_setup() -> impl Strategy<Value = SetupSeed> {
    // Contacts among the first three people, so that one person often holds several tickets.
    let ticket = (0..3usize, 0u8..12, 0u8..6);
    let often = |n: u32| prop_oneof![n => Just(true), 1 => Just(false)];
    (
        proptest::collection::vec(ticket, 4..=6),
        strategies::arb_usage_rule_with_id(RULE_1).prop_map(|r| r.with_transfer(true)),
        proptest::option::of(strategies::arb_usage_rule_with_id(RULE_2)),
        any::<bool>(),
        prop_oneof![
            3 => Just(None),
            1 => Just(Some(0)),
            2 => Just(Some(1)),
            2 => Just(Some(3)),
            2 => (0i64..=72).prop_map(Some),
        ],
        (often(9), often(9), 0u8..10),
        0u8..10,
        often(4),
    )
        .prop_map(
            |(tickets, rule_1, rule_2, explicit, expire_hours, pos, interface, refuse_holder)| {
                SetupSeed {
                    tickets,
                    rule_1,
                    rule_2,
                    explicit,
                    expire_hours,
                    pos,
                    interface,
                    refuse_holder,
                }
            },
        )
}

/// The records of a setup: tickets (some injected already), rules, three points of sale and the
/// organizer's settings.
fn setup_records(seed: &SetupSeed) -> Vec<Record> {
    let mut records = Vec::new();
    for (i, &(contact, kind, injection)) in seed.tickets.iter().enumerate() {
        let n = u128::try_from(i).unwrap() + 1;
        let owner = person(contact);
        let mut ticket = strategies::issued_ticket(n, Some(owner.clone()));
        match kind {
            0..=1 => {
                ticket.distribution = ticket.distribution.with_holder(TicketHolder {
                    first_name: "Ada".to_owned(),
                    last_name: "Lovelace".to_owned(),
                    birth_date: Some("1815-12-10".to_owned()),
                    identity_number: None,
                });
            }
            2 => {
                ticket.distribution.shipment_mode =
                    ShipmentMode::print_at_home(ShipmentModeId::from_u128(3));
            }
            _ => {}
        }
        if kind != 2 && injection >= 2 {
            let rule = if injection % 2 == 0 || seed.rule_2.is_none() {
                RULE_1
            } else {
                RULE_2
            };
            ticket.distribution.printed = true;
            ticket.wallet = Some(Wallet::injected(rule, owner, EPOCH));
            if injection >= 4 {
                // TIXnGO's first feedback already arrived: a take-back candidate (B4).
                ticket.distribution.last_feedback = Some(LastFeedback {
                    status: LifecycleStatus::Injected,
                    at: EPOCH,
                });
            }
        }
        records.push(Record::Ticket(ticket));
    }
    records.push(Record::UsageRule(seed.rule_1));
    if let Some(rule) = seed.rule_2 {
        records.push(Record::UsageRule(rule));
    }
    let (allow, advanced, mode) = seed.pos;
    let take_back_mode = match mode {
        0..=3 => None,
        4..=6 => Some(ShipmentMode::secure_mobile(ShipmentModeId::from_u128(2))),
        7..=8 => Some(ShipmentMode::print_at_home(ShipmentModeId::from_u128(3))),
        _ => Some(ShipmentMode {
            automatic_injection: true,
            ..ShipmentMode::secure_mobile(ShipmentModeId::from_u128(4))
        }),
    };
    let advanced_theme = |on: bool| {
        secure_ticket::InternetTheme::parse(&format!(
            "distribution.list.activateAdvancedView = {on}\ncolour = blue"
        ))
        .unwrap()
    };
    records.push(Record::PointOfSale(
        PointOfSale::b2b(POINT_OF_SALE)
            .with_mobile_take_back(allow)
            .with_take_back_shipment_mode(take_back_mode)
            .with_theme(advanced_theme(advanced)),
    ));
    records.push(Record::PointOfSale(
        PointOfSale::other(OTHER_POS).with_theme(advanced_theme(true)),
    ));
    records.push(Record::PointOfSale(
        PointOfSale::b2b(SECOND_B2B_POS)
            .with_mobile_take_back(true)
            .with_theme(advanced_theme(true)),
    ));
    let parameters: &[(&str, &str)] = match seed.interface {
        0..=5 => &[
            ("resetInjectionInvalidationReasons", "\"MOBILE_TAKE_BACK\""),
            ("batchSize", "500"),
        ],
        6..=7 => &[("overlaySpectatirDetailsWithLastOwner", "TRUE")],
        8 => &[],
        _ => &[("resetInjectionInvalidationReasons", "REFUND, CANCELLATION")],
    };
    let interface = TixngoInterface::from_custom_parameters(parameters.iter().copied()).unwrap();
    let mut settings = OrganizerSettings::new(ORGANIZER)
        .with_acceptance(AcceptanceSettings {
            explicit_acceptance: seed.explicit,
            expire_after: seed.expire_hours.map(Duration::hours),
        })
        .with_interface(interface);
    settings.take_back.refuse_ticket_holder_details = seed.refuse_holder;
    records.push(Record::Settings(settings));
    records
}

impl Model {
    /// The model of a setup, read from its records.
    fn from_setup(records: Vec<Record>) -> Self {
        let mut model = Self {
            setup: Arc::new(Vec::new()),
            tickets: BTreeMap::new(),
            groups: BTreeMap::new(),
            rules: BTreeMap::new(),
            pos: BTreeMap::new(),
            explicit: false,
            expire_after: None,
            resets: false,
            refuse_holder: true,
            commands: BTreeMap::new(),
            now: EPOCH,
            count: 0,
            last: None,
        };
        for record in &records {
            match record {
                Record::Ticket(t) => {
                    model.tickets.insert(t.id, MTicket::of(t));
                }
                Record::UsageRule(r) => {
                    model.rules.insert(r.id, MRule::of(r));
                }
                Record::PointOfSale(p) => {
                    model.pos.insert(
                        p.id,
                        MPos {
                            b2b: p.b2b,
                            allow: p.allow_mobile_take_back,
                            advanced: p.theme.activate_advanced_view,
                            mode: p.take_back_shipment_mode.as_ref().map(Mode::of),
                        },
                    );
                }
                Record::Settings(s) => {
                    model.explicit = s.acceptance.explicit_acceptance;
                    model.expire_after = s.acceptance.expire_after;
                    model.resets = s.interface.overlay_spectatir_details_with_last_owner
                        || s.interface
                            .reset_injection_invalidation_reasons
                            .iter()
                            .any(|r| r.code() == MOBILE_TAKE_BACK);
                    model.refuse_holder = s.take_back.refuse_ticket_holder_details;
                }
                other => panic!("no such setup record: {other:?}"),
            }
        }
        model.setup = Arc::new(records);
        model
    }

    /// The pools the command generator draws from: every ticket (injected ones more often, take-back
    /// candidates, invalidated tickets still in a wallet and pending ones more often still); every
    /// group (pending ones three times, so that commands about live groups stay frequent); the rules
    /// (and, rarely, one that does not exist); the points of sale (mostly the one that distributed
    /// the tickets).
    pub(crate) fn pools(&self) -> Pools {
        let mut groups = Vec::new();
        for (&id, g) in &self.groups {
            let copies = if g.status == GroupStatus::Pending {
                3
            } else {
                1
            };
            for _ in 0..copies {
                groups.push(g.to_transfer_group(id));
            }
        }
        let mut rules: Vec<UsageRuleId> = Vec::new();
        for &id in self.rules.keys() {
            rules.extend([id; 5]);
        }
        rules.push(UNKNOWN_RULE);
        let mut tickets = Vec::new();
        for (&id, t) in &self.tickets {
            tickets.push(id);
            let extra = match &t.wallet {
                // A take-back candidate: valid, injected, and S360's last feedback says INJECTED.
                Some(_)
                    if t.invalidation.is_none()
                        && t.feedback
                            .is_some_and(|(s, _)| s == LifecycleStatus::Injected) =>
                {
                    3
                }
                // Invalidated but still in a wallet: deletion steps, W4 refusals.
                Some(w) if t.invalidation.is_some() && w.deleted_at.is_none() => 3,
                // In a pending transfer: T4 and flag refusals.
                Some(w) if w.pending.is_some() => 2,
                Some(_) => 1,
                None => 0,
            };
            for _ in 0..extra {
                tickets.push(id);
            }
        }
        Pools {
            tickets,
            groups,
            rules,
            points_of_sale: vec![
                POINT_OF_SALE,
                POINT_OF_SALE,
                POINT_OF_SALE,
                POINT_OF_SALE,
                POINT_OF_SALE,
                OTHER_POS,
                SECOND_B2B_POS,
                UNKNOWN_POS,
            ],
        }
    }

    fn ticket(&self, id: TicketId) -> Result<&MTicket, String> {
        self.tickets
            .get(&id)
            .ok_or_else(|| "RECORD_NOT_FOUND(ticket)".to_owned())
    }

    fn group(&self, id: TransferGroupId) -> Result<&MGroup, String> {
        self.groups
            .get(&id)
            .ok_or_else(|| "RECORD_NOT_FOUND(transfer_group)".to_owned())
    }

    fn settings(&self, organizer: OrganizerId) -> Result<(), String> {
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
    fn execute(&mut self, request: &Request) -> Predicted {
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

    /// I1, W2.
    fn inject(&self, c: &InjectTicket) -> Decided {
        let t = self.ticket(c.ticket)?;
        if t.invalidation.is_some() {
            return err("TICKET_INVALIDATED");
        }
        if !t.mode.mobile {
            return err("NOT_SECURE_MOBILE");
        }
        if t.wallet.is_some() {
            return err("ALREADY_INJECTED");
        }
        let mut injected = t.clone();
        injected.printed = true;
        injected.wallet = Some(MWallet::injected(c.usage_rule, c.to.clone(), c.at));
        Ok(Effect::ticket(c.ticket, injected, "TicketInjected"))
    }

    /// W3: the current owner's device, a NOT_DOWNLOADED ticket.
    fn download(&self, c: &DownloadTicket) -> Decided {
        let t = self.ticket(c.ticket)?;
        let Some(w) = &t.wallet else {
            return err("TICKET_NOT_INJECTED");
        };
        if w.current != c.actor {
            return err("NOT_CURRENT_OWNER");
        }
        if w.status() != Where::NotDownloaded {
            return err("NOT_DOWNLOADABLE");
        }
        let mut downloaded = t.clone();
        if let Some(w) = downloaded.wallet.as_mut() {
            w.downloaded_at = Some(c.at);
        }
        Ok(Effect::ticket(c.ticket, downloaded, "TicketDownloaded"))
    }

    /// W1, W3, W4; no activation, check or control while pending (the crate's documented decision).
    fn change_flag(&self, c: &ChangeFlag) -> Decided {
        let t = self.ticket(c.ticket)?;
        let Some(w) = &t.wallet else {
            return err("TICKET_NOT_INJECTED");
        };
        if w.leaving() {
            return err("TICKET_DELETED");
        }
        let wallet_side = matches!(c.change, FlagChange::Activate(_) | FlagChange::Deactivate);
        let allowed = match &c.actor {
            Actor::Spectator(who) => wallet_side && *who == w.current,
            Actor::System => wallet_side,
            Actor::AccessControl => !wallet_side,
            _ => false,
        };
        if !allowed {
            return err("ACTOR_NOT_ALLOWED");
        }
        let sets = matches!(
            c.change,
            FlagChange::Activate(_) | FlagChange::Check | FlagChange::Control
        );
        if sets && w.pending.is_some() {
            return err("TICKET_PENDING_TRANSFER");
        }
        let mut changed = t.clone();
        let Some(nw) = changed.wallet.as_mut() else {
            return err("model: no wallet");
        };
        let event = match c.change {
            FlagChange::Activate(method) if w.activated.is_none() => {
                nw.activated = Some((c.at, method));
                "TicketActivated"
            }
            FlagChange::Deactivate if w.activated.is_some() => {
                nw.activated = None;
                "TicketDeactivated"
            }
            FlagChange::Check if w.checked_at.is_none() => {
                nw.checked_at = Some(c.at);
                "TicketChecked"
            }
            FlagChange::Control if w.controlled_at.is_none() => {
                nw.controlled_at = Some(c.at);
                "TicketControlled"
            }
            FlagChange::CheckOut if w.controlled_at.is_some() => {
                nw.controlled_at = None;
                "TicketCheckedOut"
            }
            _ => return Ok(Effect::default()),
        };
        Ok(Effect::ticket(c.ticket, changed, event))
    }

    /// T1-T4 and T6 over `source` (the tickets as the initiation sees them): the tickets that go
    /// FORWARD and those that go BACKWARD, or the refusal's variant name.
    fn check_initiation(
        &self,
        source: &BTreeMap<TicketId, MTicket>,
        actor: &Email,
        recipient: &Email,
        ids: &[TicketId],
        groups: NewGroupIds,
    ) -> Result<(Vec<TicketId>, Vec<TicketId>), &'static str> {
        if ids.is_empty() {
            return Err("EMPTY_TICKET_LIST");
        }
        let mut seen = BTreeSet::new();
        if !ids.iter().all(|id| seen.insert(*id)) {
            return Err("DUPLICATE_TICKET");
        }
        let (mut forward, mut backward) = (Vec::new(), Vec::new());
        for id in ids {
            let Some(t) = source.get(id) else {
                return Err("TICKET_NOT_FOUND");
            };
            let Some(w) = &t.wallet else {
                return Err("TICKET_NOT_INJECTED");
            };
            if w.current != *actor {
                return Err("NOT_CURRENT_OWNER");
            }
            if w.leaving() {
                return Err("TICKET_DELETED");
            }
            if w.pending.is_some() {
                return Err("TICKET_PENDING_TRANSFER");
            }
            if w.current == *recipient {
                return Err("RECIPIENT_IS_SENDER");
            }
            let Some(rule) = self.rules.get(&w.rule) else {
                return Err("USAGE_RULE_NOT_FOUND");
            };
            if !rule.transfer {
                return Err("TRANSFER_DISABLED");
            }
            if w.activated.is_some() && !rule.after_activation {
                return Err("TICKET_ACTIVATED");
            }
            if w.checked_at.is_some() && !rule.after_check {
                return Err("TICKET_CHECKED");
            }
            if w.controlled_at.is_some() && !rule.after_control {
                return Err("TICKET_CONTROLLED");
            }
            if w.level >= rule.limit {
                return Err("TRANSFER_LIMIT_REACHED");
            }
            if w.previous.as_ref() == Some(recipient) {
                backward.push(*id);
            } else {
                forward.push(*id);
            }
        }
        if !forward.is_empty() && !backward.is_empty() && groups.forward == groups.backward {
            return Err("SAME_GROUP_ID_FOR_BOTH_DIRECTIONS");
        }
        Ok((forward, backward))
    }

    /// T5, T7: one new PENDING group per direction; the tickets become pending in it.
    #[allow(clippy::too_many_arguments)]
    fn initiation_effect(
        &self,
        source: &BTreeMap<TicketId, MTicket>,
        actor: &Email,
        recipient: &Email,
        (forward, backward): (Vec<TicketId>, Vec<TicketId>),
        groups: NewGroupIds,
        at: OffsetDateTime,
        replaces: Option<TransferGroupId>,
        effect: &mut Effect,
    ) {
        for (is_backward, ids, id) in [
            (false, forward, groups.forward),
            (true, backward, groups.backward),
        ] {
            if ids.is_empty() {
                continue;
            }
            for ticket in &ids {
                let mut pending = source[ticket].clone();
                if let Some(w) = pending.wallet.as_mut() {
                    w.pending = Some(id);
                }
                effect.tickets.push((*ticket, pending, false));
            }
            effect.groups.push((
                id,
                MGroup {
                    sender: actor.clone(),
                    recipient: recipient.clone(),
                    backward: is_backward,
                    tickets: ids,
                    status: GroupStatus::Pending,
                    // A1, A2: only FORWARD groups wait for an explicit answer.
                    explicit: self.explicit && !is_backward,
                    created_at: at,
                    expires_at: self.expire_after.and_then(|after| at.checked_add(after)),
                    closed_at: None,
                    replaces,
                },
                true,
            ));
            effect.events.push("TransferInitiated");
        }
    }

    fn initiate(&self, c: &InitiateTransfer) -> Decided {
        let split = self
            .check_initiation(&self.tickets, &c.actor, &c.recipient, &c.tickets, c.groups)
            .map_err(str::to_owned)?;
        let mut effect = Effect::default();
        self.initiation_effect(
            &self.tickets,
            &c.actor,
            &c.recipient,
            split,
            c.groups,
            c.at,
            None,
            &mut effect,
        );
        Ok(effect)
    }

    /// T11: a BACKWARD initiation to the previous owner.
    fn return_to_sender(&self, c: &ReturnToSender) -> Decided {
        let nested = |v: &str| v.to_owned();
        let Some(t) = self.tickets.get(&c.ticket) else {
            return err(nested("TICKET_NOT_FOUND"));
        };
        let Some(w) = &t.wallet else {
            return err(nested("TICKET_NOT_INJECTED"));
        };
        if w.current != c.actor {
            return err(nested("NOT_CURRENT_OWNER"));
        }
        let Some(previous) = w.previous.clone() else {
            return err("NO_PREVIOUS_OWNER");
        };
        let groups = NewGroupIds::single(c.group);
        let split = self
            .check_initiation(&self.tickets, &c.actor, &previous, &[c.ticket], groups)
            .map_err(nested)?;
        let mut effect = Effect::default();
        self.initiation_effect(
            &self.tickets,
            &c.actor,
            &previous,
            split,
            groups,
            c.at,
            None,
            &mut effect,
        );
        Ok(effect)
    }

    /// T8, T9: every ticket of the group changes hands.
    fn complete(
        &self,
        id: TransferGroupId,
        g: &MGroup,
        at: OffsetDateTime,
        effect: &mut Effect,
    ) -> Result<(), String> {
        effect.events.push("TransferAccepted");
        for ticket in &g.tickets {
            let Some(t) = self.tickets.get(ticket) else {
                return err("TICKET_NOT_FOUND");
            };
            let w = match &t.wallet {
                Some(w) if w.pending == Some(id) => w,
                _ => return err("TICKET_NOT_IN_GROUP"),
            };
            if w.leaving() {
                return err("TICKET_DELETED");
            }
            let Some(rule) = self.rules.get(&w.rule) else {
                return err("USAGE_RULE_NOT_FOUND");
            };
            let mut moved = t.clone();
            let Some(m) = moved.wallet.as_mut() else {
                return err("model: no wallet");
            };
            if g.backward {
                m.backward += 1;
                m.level = match rule.backward {
                    Backward::Neutral => m.level,
                    // T9: back to the level before the last FORWARD transfer, never below it.
                    Backward::Decrease => m.level.min(m.level_before_forward),
                    Backward::Increase => (m.level + 1).min(MAX_LEVEL),
                };
            } else {
                m.level_before_forward = m.level;
                m.level = (m.level + 1).min(MAX_LEVEL);
                m.forward += 1;
            }
            m.previous = Some(g.sender.clone());
            m.current = g.recipient.clone();
            m.pending = None;
            m.downloaded_at = None;
            effect.tickets.push((*ticket, moved, false));
            effect.events.push("TicketTransferred");
        }
        let mut closed = g.clone();
        closed.status = GroupStatus::Accepted;
        closed.closed_at = Some(at);
        effect.groups.push((id, closed, false));
        Ok(())
    }

    /// T10: the group's tickets back with the sender, as before the transfer.
    fn release(
        &self,
        id: TransferGroupId,
        g: &MGroup,
    ) -> Result<BTreeMap<TicketId, MTicket>, String> {
        let mut released = BTreeMap::new();
        for ticket in &g.tickets {
            let Some(t) = self.tickets.get(ticket) else {
                return err("TICKET_NOT_FOUND");
            };
            let mut back = t.clone();
            match back.wallet.as_mut() {
                Some(w) if w.pending == Some(id) => w.pending = None,
                _ => return err("TICKET_NOT_IN_GROUP"),
            }
            released.insert(*ticket, back);
        }
        Ok(released)
    }

    /// T10, A4: a final status other than ACCEPTED.
    fn close(
        &self,
        id: TransferGroupId,
        g: &MGroup,
        status: GroupStatus,
        at: OffsetDateTime,
        event: &'static str,
    ) -> Decided {
        let released = self.release(id, g)?;
        let mut closed = g.clone();
        closed.status = status;
        closed.closed_at = Some(at);
        Ok(Effect {
            tickets: released.into_iter().map(|(k, t)| (k, t, false)).collect(),
            groups: vec![(id, closed, false)],
            events: vec![event],
        })
    }

    /// T8, T13, A3, A4.
    fn accept(&self, c: &AcceptTransfer) -> Decided {
        let g = self.group(c.group)?;
        if g.status != GroupStatus::Pending {
            return err("TRANSFER_NOT_PENDING");
        }
        if g.recipient != c.actor {
            return err("NOT_RECIPIENT");
        }
        if g.past_deadline(c.at) {
            return err("TRANSFER_PAST_DEADLINE");
        }
        let mut effect = Effect::default();
        self.complete(c.group, g, c.at, &mut effect)?;
        Ok(effect)
    }

    /// A1, A2: the listed groups that need no explicit answer complete at the recipient's sign-in.
    fn sign_in(&self, c: &SignIn, groups: &[TransferGroupId]) -> Decided {
        let mut effect = Effect::default();
        let mut seen = BTreeSet::new();
        for id in groups {
            if !seen.insert(*id) {
                continue;
            }
            let Some(g) = self.groups.get(id) else {
                continue;
            };
            if g.status == GroupStatus::Pending
                && g.recipient == c.actor
                && !g.explicit
                && !g.past_deadline(c.at)
            {
                self.complete(*id, g, c.at, &mut effect)?;
            }
        }
        Ok(effect)
    }

    fn decline(&self, c: &DeclineTransfer) -> Decided {
        let g = self.group(c.group)?;
        if g.status != GroupStatus::Pending {
            return err("TRANSFER_NOT_PENDING");
        }
        if g.recipient != c.actor {
            return err("NOT_RECIPIENT");
        }
        self.close(c.group, g, GroupStatus::Declined, c.at, "TransferDeclined")
    }

    fn cancel(&self, c: &CancelTransfer) -> Decided {
        let g = self.group(c.group)?;
        if g.status != GroupStatus::Pending {
            return err("TRANSFER_NOT_PENDING");
        }
        if g.sender != c.actor {
            return err("NOT_SENDER");
        }
        self.close(
            c.group,
            g,
            GroupStatus::Cancelled,
            c.at,
            "TransferCancelled",
        )
    }

    fn expire(&self, c: &ExpireTransfer) -> Decided {
        let g = self.group(c.group)?;
        if g.status != GroupStatus::Pending {
            return err("TRANSFER_NOT_PENDING");
        }
        let Some(deadline) = g.expires_at else {
            return err("NO_DEADLINE");
        };
        if c.at < deadline {
            return err("NOT_YET_EXPIRED");
        }
        self.close(c.group, g, GroupStatus::Expired, c.at, "TransferExpired")
    }

    /// T12: the old group CANCELLED, the tickets initiated afresh to the new recipient.
    fn edit_recipient(&self, c: &EditRecipient) -> Decided {
        let g = self.group(c.group)?;
        if g.status != GroupStatus::Pending {
            return err("TRANSFER_NOT_PENDING");
        }
        if g.sender != c.actor {
            return err("NOT_SENDER");
        }
        if g.recipient == c.recipient {
            return err("SAME_RECIPIENT");
        }
        if c.new_groups.forward == c.group || c.new_groups.backward == c.group {
            return err("GROUP_ID_REUSED");
        }
        let released = self.release(c.group, g)?;
        let split = self
            .check_initiation(&released, &c.actor, &c.recipient, &g.tickets, c.new_groups)
            .map_err(str::to_owned)?;
        let mut closed = g.clone();
        closed.status = GroupStatus::Cancelled;
        closed.closed_at = Some(c.at);
        let mut effect = Effect {
            tickets: Vec::new(),
            groups: vec![(c.group, closed, false)],
            events: vec!["TransferCancelled"],
        };
        self.initiation_effect(
            &released,
            &c.actor,
            &c.recipient,
            split,
            c.new_groups,
            c.at,
            Some(c.group),
            &mut effect,
        );
        Ok(effect)
    }

    /// I3, I4.
    fn record_feedback(&self, f: &Feedback) -> Decided {
        let t = self.ticket(f.ticket)?;
        if !t.printed {
            return err("TICKET_NOT_INJECTED");
        }
        let about_transfer = matches!(
            f.status,
            LifecycleStatus::PendingTransfer
                | LifecycleStatus::FailureTransfer
                | LifecycleStatus::Transferred
        );
        let details: Option<&TransferDetails> = if about_transfer {
            match &f.transfer {
                Some(d) => Some(d),
                None => return err("MISSING_TRANSFER_DETAILS"),
            }
        } else {
            None
        };
        if let Some((last_status, last_at)) = t.feedback {
            let older = last_at > f.at;
            let late_injected =
                f.status == LifecycleStatus::Injected && last_status != LifecycleStatus::Injected;
            if older || late_injected {
                return Ok(Effect::default());
            }
        }
        let mut updated = t.clone();
        updated.feedback = Some((f.status, f.at));
        if let Some(d) = details {
            let found = updated.entries.iter().position(|e| e.group == d.group);
            let entry = |status| Entry {
                group: d.group,
                sender: d.sender.clone(),
                recipient: d.recipient.clone(),
                status,
                at: f.at,
            };
            match (f.status, found) {
                (LifecycleStatus::PendingTransfer, None) => {
                    updated.entries.push(entry(EntryStatus::Pending));
                }
                (LifecycleStatus::FailureTransfer, Some(i)) => {
                    updated.entries[i].status = EntryStatus::Cancelled;
                    updated.entries[i].at = f.at;
                }
                (LifecycleStatus::Transferred, found) => {
                    match found {
                        Some(i) => {
                            updated.entries[i].status = EntryStatus::Confirmed;
                            updated.entries[i].at = f.at;
                        }
                        None => updated.entries.push(entry(EntryStatus::Confirmed)),
                    }
                    updated.contact = Some(d.recipient.clone());
                }
                _ => {}
            }
        }
        if updated == *t {
            return Ok(Effect::default());
        }
        Ok(Effect::ticket(f.ticket, updated, "FeedbackRecorded"))
    }

    /// B3-B9.
    fn take_back(&self, c: &TakeBackTicket) -> Decided {
        let Some(pos) = self.pos.get(&c.point_of_sale) else {
            return err("RECORD_NOT_FOUND(point_of_sale)");
        };
        let t = self.ticket(c.ticket)?;
        let refuse = |v: &str| err(v);
        if t.invalidation.is_some() {
            return refuse("TICKET_INVALIDATED");
        }
        if !pos.b2b {
            return refuse("NOT_B2B_POINT_OF_SALE");
        }
        if t.point_of_sale != c.point_of_sale {
            return refuse("WRONG_POINT_OF_SALE");
        }
        if !(t.mode.mobile && t.printed) {
            // B3: back to the B2B contact, no new ticket.
            let mut back = t.clone();
            back.contact = Some(c.actor.clone());
            return Ok(Effect::ticket(c.ticket, back, "TicketTakenBack"));
        }
        if !pos.allow {
            return refuse("MOBILE_TAKE_BACK_DISABLED");
        }
        if !pos.advanced {
            return refuse("ADVANCED_VIEW_INACTIVE");
        }
        if !self.resets {
            return refuse("REPLACEMENT_WOULD_GO_TO_LATEST_OWNER");
        }
        if pos.mode.is_some_and(|m| m.mobile && m.automatic) {
            return refuse("TAKE_BACK_MODE_INJECTS_AUTOMATICALLY");
        }
        match t.feedback {
            None => return refuse("NO_FEEDBACK_YET"),
            Some((status, _)) if status != LifecycleStatus::Injected => {
                return refuse("NO_LONGER_INJECTED");
            }
            Some(_) => {}
        }
        if self.refuse_holder && t.holder {
            return refuse("HAS_TICKET_HOLDER");
        }
        if c.new_ticket == c.ticket {
            return refuse("REPLACEMENT_ID_REUSED");
        }
        // B7: the old ticket invalidated, a new one for the same right, each pointing to the other.
        let mut old = t.clone();
        old.invalidation = Some((MOBILE_TAKE_BACK.to_owned(), c.at, Some(c.new_ticket)));
        let new = MTicket {
            right: t.right,
            point_of_sale: c.point_of_sale,
            mode: pos.mode.unwrap_or(t.mode),
            contact: Some(c.actor.clone()),
            holder: false,
            invalidation: None,
            replaces: Some(c.ticket),
            printed: false,
            feedback: None,
            entries: Vec::new(),
            wallet: None,
        };
        Ok(Effect {
            tickets: vec![(c.ticket, old, false), (c.new_ticket, new, true)],
            groups: Vec::new(),
            events: vec!["TicketTakenBack", "TicketInvalidated", "TicketReplaced"],
        })
    }

    /// B3, B7: a B2B contact hands a ticket it holds, not injected, to another contact.
    fn redistribute(&self, c: &RedistributeTicket) -> Decided {
        if !self.pos.contains_key(&c.point_of_sale) {
            return err("RECORD_NOT_FOUND(point_of_sale)");
        }
        let t = self.ticket(c.ticket)?;
        if t.invalidation.is_some() {
            return err("TICKET_INVALIDATED");
        }
        if t.point_of_sale != c.point_of_sale {
            return err("WRONG_POINT_OF_SALE");
        }
        if t.printed || t.wallet.is_some() {
            return err("ALREADY_INJECTED");
        }
        if t.contact.as_ref() != Some(&c.actor) {
            return err("NOT_HOLDER");
        }
        let mut moved = t.clone();
        moved.contact = Some(c.to.clone());
        Ok(Effect::ticket(c.ticket, moved, "TicketRedistributed"))
    }

    /// B10: only an invalidated, injected ticket is deleted from the wallet, in two steps.
    fn deletion(&self, ticket: TicketId) -> Result<(&MTicket, Where), String> {
        let t = self.ticket(ticket)?;
        let Some(w) = &t.wallet else {
            return err("TICKET_NOT_INJECTED");
        };
        if t.invalidation.is_none() {
            return err("TICKET_STILL_VALID");
        }
        Ok((t, w.status()))
    }

    fn request_deletion(&self, c: &RequestDeletion) -> Decided {
        let (t, status) = self.deletion(c.ticket)?;
        if matches!(status, Where::DeletionPending | Where::Deleted) {
            return err("DELETION_WRONG_STATUS");
        }
        let mut pushed = t.clone();
        if let Some(w) = pushed.wallet.as_mut() {
            w.deletion_requested_at = Some(c.at);
        }
        Ok(Effect::ticket(c.ticket, pushed, "TicketDeletionRequested"))
    }

    fn complete_deletion(&self, c: &CompleteDeletion) -> Decided {
        let (t, status) = self.deletion(c.ticket)?;
        if status != Where::DeletionPending {
            return err("DELETION_WRONG_STATUS");
        }
        let mut deleted = t.clone();
        if let Some(w) = deleted.wallet.as_mut() {
            w.deleted_at = Some(c.at);
        }
        Ok(Effect::ticket(c.ticket, deleted, "TicketDeleted"))
    }
}

// ---------------------------------------------------------------------------------------------
// The state machine
// ---------------------------------------------------------------------------------------------

/// The dice of [`Steering::steer`]: owner or not, recipient and feedback, all held tickets, twin ids.
type Dice = (bool, u8, u8, u8);

/// Test-side steering of generated commands, standing in for what `arb_command_for` cannot do
/// from [`Pools`] (which carries no owners, and always gives two distinct group ids):
///
/// - half of the time, the actor of a command that only the current owner may give (initiate,
///   return, download, a spectator's flag change) becomes the current owner of its (first) ticket;
/// - half of the time, a sign-in lists the PENDING groups addressed to the actor, as a real caller's
///   index would (the generator lists groups at random);
/// - 1 in 8, the recipient of an initiation or an edit becomes the previous owner of its first
///   ticket (T6: BACKWARD by typing that email; a split when the other tickets go FORWARD);
/// - 1 in 20, an initiation lists every ticket its actor holds (T7: several tickets, split when
///   their previous owners differ), and the two group ids of an initiation or an edit are made
///   equal (T7's `SameGroupIdForBothDirections`), independently;
/// - 1 in 60, a transfer feedback loses its details (I4's `MissingTransferDetails`).
#[derive(Clone, Debug)]
struct Steering {
    owners: BTreeMap<TicketId, (Email, Option<Email>)>,
    groups: BTreeMap<TransferGroupId, Vec<TicketId>>,
    pending_to: BTreeMap<Email, Vec<TransferGroupId>>,
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
        }
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
            Command::SignIn { sign_in, groups } if to_owner => {
                *groups = self
                    .pending_to
                    .get(&sign_in.actor)
                    .cloned()
                    .unwrap_or_default();
            }
            Command::RecordFeedback(f) if drop_details => f.transfer = None,
            _ => {}
        }
        command
    }
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
    /// model's clock plus a jump (0, 5 minutes, 1 hour or 12 hours, so that deadlines pass). Ids of
    /// new records come from a counter (`fresh`); now and then an earlier counter value is reused
    /// (to reach `IdInUse` and `GroupIdReused`), an earlier successful command id is reused (X3:
    /// `CommandIdReused`), or the organizer has no settings (`NotFound(settings)`).
    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        let pools = state.pools();
        let n = state.count + 1;
        let now = state.now;
        let earlier: Vec<CommandId> = state.commands.keys().copied().collect();
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
        (id, fresh, organizer, minutes)
            .prop_flat_map(move |(id, fresh, organizer, minutes)| {
                let at = now.saturating_add(Duration::minutes(minutes));
                let steering = steering.clone();
                let dice = (any::<bool>(), 0u8..60, 0u8..20, 0u8..20);
                (strategies::arb_command_for(&pools, at, fresh), dice).prop_map(
                    move |(command, dice)| Step {
                        at,
                        request: Request {
                            id,
                            organizer,
                            command: steering.steer(command, dice),
                        },
                    },
                )
            })
            .boxed()
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
