//! The setup every model run starts from: the fixed ids (organizers, points of sale, rules), the
//! generated tickets, rules, points of sale (with their take-back and resale switches), performances (one of them, now and then, ending during
//! the run), settings (role table, data collection) and, now and then, a spectator locked already;
//! the model read from those records, and the pools the command generator draws from.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use secure_ticket::spectator::{LockChange, Spectator};
use secure_ticket::staff::{Reason, RoleTable, Staff, StaffAction, StaffRole};
use secure_ticket::store::Record;
use secure_ticket::strategies::{self, EPOCH, POINT_OF_SALE, Pools, person};
use secure_ticket::{
    AcceptanceSettings, DataCollection, LastFeedback, LifecycleStatus, OrganizerId,
    OrganizerSettings, Performance, PerformanceId, PointOfSale, PointOfSaleId, ShipmentMode,
    ShipmentModeId, StaffId, TicketHolder, TixngoInterface, TransferExpiry, UsageRule, UsageRuleId,
    Wallet,
};
use time::Duration;

use super::shapes::{GroupStatus, MPos, MRule, MSpectator, MTicket, Mode};
use super::state::Model;
use super::take_back::MOBILE_TAKE_BACK;

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
/// A usage rule that does not exist: injecting with it is refused (`NotFound(usage_rule)`, X7).
pub(crate) const UNKNOWN_RULE: UsageRuleId = UsageRuleId::from_u128(99);

/// The performances whose record the setup writes.
pub(crate) const PERFORMANCES: [PerformanceId; 2] =
    [PerformanceId::from_u128(1), PerformanceId::from_u128(2)];
/// A performance that tickets name but whose record does not exist.
pub(crate) const UNKNOWN_PERFORMANCE: PerformanceId = PerformanceId::from_u128(9);

/// S2: the roles TIXnGO's newest table (the default) lets transfer and lock.
const TIXNGO_ROLES: &[StaffRole] = &[
    StaffRole::Advanced,
    StaffRole::TixngoSupport,
    StaffRole::Admin,
];
/// S2: the roles of the V4 roll-out preset.
const V4_ROLES: &[StaffRole] = &[
    StaffRole::Basic,
    StaffRole::Moderator,
    StaffRole::TixngoSupport,
    StaffRole::Admin,
];

/// One generated ticket: contact, kind (holder, print at home, plain), injection, performance
/// (none, one of [`PERFORMANCES`], [`UNKNOWN_PERFORMANCE`]).
type TicketSeed = (usize, u8, u8, u8);

#[derive(Clone, Debug)]
pub(super) struct SetupSeed {
    tickets: Vec<TicketSeed>,
    rule_1: UsageRule,
    rule_2: Option<UsageRule>,
    explicit: bool,
    expire_hours: Option<i64>,
    pos: (bool, bool, u8),
    interface: u8,
    refuse_holder: bool,
    /// S2: the V4 roll-out role table instead of the default.
    v4_roles: bool,
    /// H4: `mandatory_assign_reason`.
    assign_reason: bool,
    /// L1: one of the first people is locked before the run.
    locked: Option<usize>,
    /// E1: the second performance ends this many hours into the run (else long after it).
    early_end: Option<i64>,
}

pub(super) fn arb_setup() -> impl Strategy<Value = SetupSeed> {
    // Contacts among the first three people, so that one person often holds several tickets.
    let ticket = (0..3usize, 0u8..12, 0u8..6, 0u8..8);
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
        (
            prop_oneof![3 => Just(false), 1 => Just(true)],
            prop_oneof![3 => Just(false), 1 => Just(true)],
            prop_oneof![2 => Just(None), 1 => (0..3usize).prop_map(Some)],
            prop_oneof![1 => Just(None), 1 => (1i64..=48).prop_map(Some)],
        ),
    )
        .prop_map(
            |(
                tickets,
                rule_1,
                rule_2,
                explicit,
                expire_hours,
                pos,
                interface,
                refuse_holder,
                (v4_roles, assign_reason, locked, early_end),
            )| {
                SetupSeed {
                    tickets,
                    rule_1,
                    rule_2,
                    explicit,
                    expire_hours,
                    pos,
                    interface,
                    refuse_holder,
                    v4_roles,
                    assign_reason,
                    locked,
                    early_end,
                }
            },
        )
}

/// The records of a setup: tickets (some injected already), rules, three points of sale and the
/// organizer's settings.
pub(super) fn setup_records(seed: &SetupSeed) -> Vec<Record> {
    let mut records = Vec::new();
    for (i, &(contact, kind, injection, performance)) in seed.tickets.iter().enumerate() {
        let n = u128::try_from(i).unwrap() + 1;
        let owner = person(contact);
        let mut ticket = strategies::issued_ticket(n, Some(owner.clone()));
        ticket.performance = match performance {
            0..=1 => None,
            2..=4 => Some(PERFORMANCES[0]),
            5..=6 => Some(PERFORMANCES[1]),
            _ => Some(UNKNOWN_PERFORMANCE),
        };
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
                    sequence: 1,
                });
            }
        }
        records.push(Record::Ticket(ticket));
    }
    for id in PERFORMANCES {
        let ends_at = match seed.early_end {
            Some(hours) if id == PERFORMANCES[1] => EPOCH + Duration::hours(hours),
            _ => EPOCH + Duration::days(300),
        };
        records.push(Record::Performance(
            Performance::new(ORGANIZER, id, ends_at - Duration::hours(3), ends_at).unwrap(),
        ));
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
        PointOfSale::b2b(ORGANIZER, POINT_OF_SALE)
            .with_mobile_take_back(allow)
            .with_take_back_shipment_mode(take_back_mode)
            .with_theme(advanced_theme(advanced))
            // D1: a third of the setups each.
            .with_downloaded_take_back(match mode % 3 {
                0 => secure_ticket::DownloadedTakeBack::Off,
                1 => secure_ticket::DownloadedTakeBack::Relay,
                _ => secure_ticket::DownloadedTakeBack::RelayAndPublic,
            })
            // R1: a third of the setups each resell injected tickets only, injected and
            // transferred ones, or none.
            .with_resale(seed.interface % 3 >= 1, seed.interface % 3 == 2),
    ));
    records.push(Record::PointOfSale(
        PointOfSale::other(ORGANIZER, OTHER_POS).with_theme(advanced_theme(true)),
    ));
    records.push(Record::PointOfSale(
        PointOfSale::b2b(ORGANIZER, SECOND_B2B_POS)
            .with_mobile_take_back(true)
            .with_theme(advanced_theme(true))
            .with_downloaded_take_back(secure_ticket::DownloadedTakeBack::Relay)
            // R1 allows everything here, but the point of sale distributed none of the tickets.
            .with_resale(true, true),
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
            expire_after: seed
                .expire_hours
                .map(|h| TransferExpiry::new(Duration::hours(h)).unwrap()),
        })
        .with_interface(interface);
    settings.take_back.refuse_ticket_holder_details = seed.refuse_holder;
    if seed.v4_roles {
        settings = settings.with_roles(RoleTable::v4_rollout());
    }
    if seed.assign_reason {
        settings =
            settings.with_data_collection(DataCollection::default().with_mandatory_reason(true));
    }
    records.push(Record::Settings(settings));
    if let Some(n) = seed.locked {
        let by = StaffAction::new(
            Staff::new(StaffId::from_u128(7), StaffRole::Admin),
            Reason::parse("locked before the run").unwrap(),
        );
        records.push(Record::Spectator(Spectator {
            lock: Some(LockChange { by, at: EPOCH }),
            ..Spectator::new(ORGANIZER, person(n))
        }));
    }
    records
}

impl Model {
    /// The model of a setup, read from its records.
    pub(super) fn from_setup(records: Vec<Record>) -> Self {
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
            staff_roles: TIXNGO_ROLES,
            assign_reason: false,
            spectators: BTreeMap::new(),
            commands: BTreeMap::new(),
            feed: Vec::new(),
            performances: Vec::new(),
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
                            downloaded: p.downloaded_take_back,
                            resale_injected: p.resale_injected,
                            resale_transferred: p.resale_transferred,
                        },
                    );
                }
                Record::Settings(s) => {
                    model.explicit = s.acceptance.explicit_acceptance;
                    model.expire_after = s.acceptance.expire_after.map(TransferExpiry::duration);
                    model.resets = s.interface.overlay_spectatir_details_with_last_owner
                        || s.interface
                            .reset_injection_invalidation_reasons
                            .iter()
                            .any(|r| r.code() == MOBILE_TAKE_BACK);
                    model.refuse_holder = s.take_back.refuse_ticket_holder_details;
                    model.staff_roles = if s.roles == RoleTable::v4_rollout() {
                        V4_ROLES
                    } else if s.roles == RoleTable::tixngo() {
                        TIXNGO_ROLES
                    } else {
                        panic!("a role table the model does not know: {:?}", s.roles)
                    };
                    model.assign_reason = s.data_collection.mandatory_assign_reason;
                    assert!(
                        s.data_collection.fields == DataCollection::default().fields,
                        "the model knows only the default data collection"
                    );
                }
                Record::Spectator(s) => {
                    assert_eq!(
                        s.organizer, ORGANIZER,
                        "a setup spectator of another organizer"
                    );
                    model.spectators.insert(s.email.clone(), MSpectator::of(s));
                }
                Record::Performance(p) => model.performances.push(p.id),
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
                            .is_some_and(|(s, _, _)| s == LifecycleStatus::Injected) =>
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
}
