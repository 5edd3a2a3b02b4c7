//! Proptest strategies for property-testing code that uses this crate (feature `proptest`).
//!
//! Values come from small pools (a handful of people, tickets, groups) so that generated commands
//! collide with existing records often: random UUIDs alone would almost never name a real ticket.
//!
//! ```
//! use proptest::prelude::*;
//! use secure_ticket::strategies;
//!
//! proptest!(|(ticket in strategies::arb_ticket())| {
//!     // every generated ticket is reachable: valid, and its level within the rule's range
//!     prop_assert!(ticket.wallet.map_or(true, |w| w.level <= 256));
//! });
//! ```

use proptest::prelude::*;
use proptest::sample::select;
use time::OffsetDateTime;
use time::macros::datetime;

use crate::activation::ActivationMethod;
use crate::command::Command;
use crate::email::Email;
use crate::feedback::{Feedback, LifecycleStatus, TransferDetails};
use crate::holder::{AssignHolder, ClearHolder};
use crate::id::{
    PointOfSaleId, RightId, ShipmentModeId, StaffId, TicketId, TransferGroupId, UsageRuleId,
};
use crate::injection;
use crate::injection::InjectTicket;
use crate::organizer::AcceptanceSettings;
use crate::point_of_sale::{InternetTheme, PointOfSale};
use crate::resale::{PutOnResale, SettleResale};
use crate::spectator::{LockChange, LockSpectator, Spectator, UnlockSpectator};
use crate::staff::{Reason, Staff, StaffAction, StaffRole};
use crate::take_back::{RedistributeTicket, TakeBackTicket};
use crate::text_limit::HOLDER_FIELD_BYTES;
use crate::ticket::{Distribution, ShipmentMode, Ticket, TicketHolder};
use crate::transfer::{
    self, AcceptTransfer, BackOfficeTransfer, CancelBackOfficeTransfer, CancelTransfer,
    DeclineTransfer, EditRecipient, ExpireTransfer, InitiateTransfer, NewGroupIds, ReturnToSender,
    SignIn, TransferGroup,
};
use crate::usage_rule::{TransferBackward, TransferLimit, UsageRule};
use crate::wallet::{
    self, Actor, ChangeFlag, CompleteDeletion, DownloadTicket, FlagChange, RequestDeletion,
};

/// The people the strategies draw from: `p0@example.com` ... `p5@example.com`.
pub const PEOPLE: usize = 6;

/// The time every generated record starts from.
pub const EPOCH: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

/// The point of sale of generated tickets.
pub const POINT_OF_SALE: PointOfSaleId = PointOfSaleId::from_u128(1);

/// The secure mobile shipment mode of generated tickets.
pub const MOBILE: ShipmentMode = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1));

/// Person `n` (modulo [`PEOPLE`]): `p{n}@example.com`.
#[must_use]
pub fn person(n: usize) -> Email {
    Email::from_normalised(&format!(
        "p{}@example.com",
        n.checked_rem(PEOPLE).unwrap_or(0)
    ))
}

/// The B2B customer's contact every [`issued_ticket`] is sold to: the one actor who may take it
/// back (B13). Not one of the [`PEOPLE`].
#[must_use]
pub fn agency() -> Email {
    Email::from_normalised("agency@example.com")
}

/// One of the [`PEOPLE`].
pub fn arb_person() -> impl Strategy<Value = Email> {
    (0..PEOPLE).prop_map(person)
}

/// Any valid email, including odd but valid ones (`+tags`, upper case, padding).
pub fn arb_email() -> impl Strategy<Value = Email> {
    (
        "[a-z0-9._+-]{1,20}",
        "[a-z0-9-]{1,12}",
        "[a-z]{2,6}",
        any::<bool>(),
    )
        .prop_filter_map("a valid address", |(local, domain, tld, shout)| {
            let raw = format!(" {local}@{domain}.{tld} ");
            Email::parse(&if shout { raw.to_uppercase() } else { raw }).ok()
        })
}

/// A "Transfer backward" setting.
pub fn arb_transfer_backward() -> impl Strategy<Value = TransferBackward> {
    prop_oneof![
        Just(TransferBackward::Neutral),
        Just(TransferBackward::Decrease),
        Just(TransferBackward::Increase)
    ]
}

/// A valid usage rule with the given id (U1-U4), limits biased to small values.
pub fn arb_usage_rule_with_id(id: UsageRuleId) -> impl Strategy<Value = UsageRule> {
    (
        any::<bool>(),
        any::<[bool; 3]>(),
        prop_oneof![4 => 1i64..=4, 1 => 1i64..=256],
        arb_transfer_backward(),
        prop_oneof![
            Just(crate::KeepOne::Disabled),
            Just(crate::KeepOne::Enabled),
            Just(crate::KeepOne::Restricted),
        ],
        any::<[bool; 3]>(),
    )
        .prop_map(
            move |(transfer, [activation, check, control], limit, backward, keep_one, assign)| {
                let limit = TransferLimit::new(limit).unwrap_or(TransferLimit::MIN);
                let [assignment, after_activation, after_check] = assign;
                UsageRule::new(crate::OrganizerId::from_u128(1), id)
                    .with_transfer(transfer)
                    .with_transfer_after(activation, check, control)
                    .with_max_transfers(limit)
                    .with_transfer_backward(backward)
                    .with_keep_one(keep_one)
                    .with_assignment(assignment, after_activation, after_check)
            },
        )
}

/// A valid usage rule (id 1).
pub fn arb_usage_rule() -> impl Strategy<Value = UsageRule> {
    arb_usage_rule_with_id(UsageRuleId::from_u128(1))
}

/// The organizer's acceptance settings.
pub fn arb_acceptance_settings() -> impl Strategy<Value = AcceptanceSettings> {
    (any::<bool>(), proptest::option::of(0u32..=72)).prop_map(|(explicit, hours)| {
        AcceptanceSettings {
            explicit_acceptance: explicit,
            expire_after: hours
                .map(|h: u32| crate::TransferExpiry::from_seconds(h.saturating_mul(3600))),
        }
    })
}

/// A point of sale with any take-back configuration.
pub fn arb_point_of_sale() -> impl Strategy<Value = PointOfSale> {
    (any::<[bool; 3]>(), proptest::option::of(any::<bool>())).prop_map(
        |([b2b, allow, advanced], mode)| {
            let take_back_mode = mode.map(|automatic| ShipmentMode {
                automatic_injection: automatic,
                ..ShipmentMode::secure_mobile(ShipmentModeId::from_u128(2))
            });
            let theme = InternetTheme {
                activate_advanced_view: advanced,
                ..InternetTheme::default()
            };
            PointOfSale {
                b2b,
                ..PointOfSale::b2b(crate::OrganizerId::from_u128(1), POINT_OF_SALE)
            }
            .with_mobile_take_back(allow)
            .with_take_back_shipment_mode(take_back_mode)
            .with_theme(theme)
        },
    )
}

/// A ticket as S360 issues it: valid, not injected, for right `n`, sold to the B2B customer whose
/// contact is [`agency`] (who may take it back, B13) and distributed to `contact`.
#[must_use]
pub fn issued_ticket(n: u128, contact: Option<Email>) -> Ticket {
    let mut distribution = Distribution::new(POINT_OF_SALE, MOBILE).with_b2b_contact(agency());
    distribution.cultural_contact = contact;
    Ticket::new(
        crate::OrganizerId::from_u128(1),
        TicketId::from_u128(n),
        RightId::from_u128(n),
        distribution,
    )
}

/// One step of a ticket's life, used to reach arbitrary states by running the real transitions.
#[derive(Debug, Clone, Copy)]
enum Step {
    Download,
    Flag(u8),
    /// 0: accepted, 1: declined, 2: left pending (the walk stops there).
    Transfer {
        to: usize,
        outcome: u8,
    },
    Delete,
}

fn arb_step() -> impl Strategy<Value = Step> {
    prop_oneof![
    2 => Just(Step::Download),
    2 => (0u8..5).prop_map(Step::Flag),
    4 => ((0..PEOPLE), 0u8..2).prop_map(|(to, outcome)| Step::Transfer { to, outcome }),
        ]
}

/// A ticket in any state reachable from injection by the real transitions: downloads, flag changes,
/// completed or declined transfers in either direction, a pending transfer, deletion. `rule` is the
/// usage rule it follows (so its level stays within the rule's limit).
pub fn arb_ticket_under(rule: UsageRule) -> impl Strategy<Value = Ticket> {
    (
        1u128..=1_000,
        arb_person(),
        proptest::collection::vec(arb_step(), 0..10),
        0u8..20,
        0..PEOPLE,
    )
        .prop_map(move |(n, owner, mut steps, end, to)| {
            // The walk ends, now and then, in a pending transfer or a deletion.
            match end {
                0..=1 => steps.push(Step::Delete),
                2..=4 => steps.push(Step::Transfer { to, outcome: 2 }),
                _ => {}
            }
            reach(n, &owner, &steps, rule)
        })
}

/// A ticket in any reachable state, under a permissive rule (limit 256, every gate open).
pub fn arb_ticket() -> impl Strategy<Value = Ticket> {
    let rule = UsageRule::new(crate::OrganizerId::from_u128(1), UsageRuleId::from_u128(1))
        .with_max_transfers(TransferLimit::MAX)
        .with_transfer_after(true, true, true);
    arb_ticket_under(rule)
}

fn reach(n: u128, owner: &Email, steps: &[Step], rule: UsageRule) -> Ticket {
    let issued = issued_ticket(n, Some(owner.clone()));
    let inject = InjectTicket {
        ticket: issued.id,
        to: owner.clone(),
        usage_rule: rule.id,
        at: EPOCH,
    };
    let Some(mut ticket) = injection::inject(&issued, &inject)
        .ok()
        .and_then(|d| d.tickets.into_iter().next())
    else {
        return issued;
    };
    let settings = AcceptanceSettings::automatic();
    let mut minute = 0i64;
    let next = |t: &mut Ticket, decision: Option<crate::decision::Decision>| {
        if let Some(new) = decision.and_then(|d| d.ticket(t.id).cloned()) {
            *t = new;
        }
    };
    for (i, step) in steps.iter().enumerate() {
        minute = minute.saturating_add(1);
        let at = EPOCH.saturating_add(time::Duration::minutes(minute));
        let Some(current) = ticket.wallet.as_ref().map(|w| w.owners.current.clone()) else {
            break;
        };
        match *step {
            Step::Download => {
                let cmd = DownloadTicket {
                    ticket: ticket.id,
                    actor: current,
                    at,
                };
                let d = wallet::download(&ticket, &cmd).ok();
                next(&mut ticket, d);
            }
            Step::Flag(k) => {
                let (change, actor) = match k {
                    0 => (
                        FlagChange::Activate(ActivationMethod::Online),
                        Actor::System,
                    ),
                    1 => (FlagChange::Deactivate, Actor::System),
                    2 => (FlagChange::Check, Actor::AccessControl),
                    3 => (FlagChange::Control, Actor::AccessControl),
                    _ => (FlagChange::CheckOut, Actor::AccessControl),
                };
                let d = wallet::change_flag(
                    &ticket,
                    &ChangeFlag {
                        ticket: ticket.id,
                        change,
                        actor,
                        at,
                    },
                )
                .ok();
                next(&mut ticket, d);
            }
            Step::Transfer { to, outcome } => {
                let group =
                    TransferGroupId::from_u128(n.saturating_mul(1_000).saturating_add(i as u128));
                let cmd = InitiateTransfer {
                    actor: current,
                    recipient: person(to),
                    tickets: vec![ticket.id],
                    groups: NewGroupIds::single(group),
                    at,
                };
                let Ok(sent) = transfer::initiate(
                    std::slice::from_ref(&ticket),
                    &transfer::Context::new(&[rule]).with_settings(settings),
                    &cmd,
                ) else {
                    continue;
                };
                let (Some(g), Some(pending)) = (sent.groups.first(), sent.ticket(ticket.id)) else {
                    continue;
                };
                if outcome == 2 {
                    ticket = pending.clone();
                    break;
                }
                let closed = if outcome == 1 {
                    transfer::decline(
                        g,
                        std::slice::from_ref(pending),
                        &DeclineTransfer {
                            group: g.id,
                            actor: g.recipient.clone(),
                            at,
                        },
                    )
                    .ok()
                } else {
                    transfer::accept(
                        g,
                        std::slice::from_ref(pending),
                        &[rule],
                        &AcceptTransfer {
                            group: g.id,
                            actor: g.recipient.clone(),
                            at,
                        },
                    )
                    .ok()
                };
                next(&mut ticket, closed);
            }
            Step::Delete => {
                // S360 invalidates the ticket (a cancellation), then pushes it to the wallet (B10).
                ticket.distribution.invalidation = Some(crate::ticket::Invalidation {
                    reason: crate::ticket::InvalidationReason::from_code("CANCELLATION"),
                    at,
                    replaced_by: None,
                });
                let d = wallet::request_deletion(
                    &ticket,
                    &RequestDeletion {
                        ticket: ticket.id,
                        at,
                    },
                )
                .ok();
                next(&mut ticket, d);
                break;
            }
        }
    }
    ticket
}

/// The pools a state-dependent command strategy draws ids from.
#[derive(Debug, Clone, Default)]
pub struct Pools {
    /// Ticket ids that exist (plus, for invalid commands, the strategy adds unknown ones).
    pub tickets: Vec<TicketId>,
    /// Transfer groups that exist.
    pub groups: Vec<TransferGroup>,
    /// Usage rules tickets may be injected with.
    pub rules: Vec<UsageRuleId>,
    /// Points of sale.
    pub points_of_sale: Vec<PointOfSaleId>,
}

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &[T], fallback: T) -> BoxedStrategy<T> {
    if items.is_empty() {
        Just(fallback).boxed()
    } else {
        select(items.to_vec()).boxed()
    }
}

/// A PENDING group that no store holds: commands about it are refused with "not found".
fn unknown_group(at: OffsetDateTime) -> TransferGroup {
    TransferGroup {
        id: TransferGroupId::from_u128(u128::MAX),
        organizer: crate::OrganizerId::from_u128(1),
        sender: person(0),
        recipient: person(1),
        direction: crate::transfer_group::Direction::Forward,
        tickets: TicketId::from_u128(u128::MAX).into(),
        status: crate::transfer_group::TransferStatus::Pending,
        acceptance: transfer::Acceptance::Explicit,
        created_at: at,
        expires_at: None,
        closed_at: None,
        replaces: None,
        performance_ends_at: None,
        back_office: None,
    }
}

/// A staff member: one of three staff ids, with any role (so that, under TIXnGO's default
/// role table, about half of them may not transfer or lock, S2).
pub fn arb_staff() -> impl Strategy<Value = Staff> {
    (1u128..=3, select(StaffRole::ALL.to_vec()))
        .prop_map(|(id, role)| Staff::new(StaffId::from_u128(id), role))
}

/// A staff member's reason (S3, L1): a few valid texts, some with surrounding white space
/// (stored trimmed).
pub fn arb_reason() -> impl Strategy<Value = Reason> {
    select(vec![
        "seat swap at the box office",
        "sent to the wrong address",
        "  resells tickets above face value  ",
        "appeal accepted",
        "fraud suspected\n",
    ])
    .prop_filter_map("a valid reason", |text| Reason::parse(text).ok())
}

/// A spectator record (L1) of organizer 1 for one of the [`PEOPLE`]: locked or not, with or
/// without a last unlock, by any staff member, at [`EPOCH`] plus up to a day.
pub fn arb_spectator() -> impl Strategy<Value = Spectator> {
    let change = || {
        (arb_staff(), arb_reason(), 0i64..1_440).prop_map(|(staff, reason, minutes)| LockChange {
            by: StaffAction::new(staff, reason),
            at: EPOCH.saturating_add(time::Duration::minutes(minutes)),
        })
    };
    (
        arb_person(),
        proptest::option::of(change()),
        proptest::option::of(change()),
    )
        .prop_map(|(email, lock, unlocked)| Spectator {
            lock,
            unlocked,
            ..Spectator::new(crate::OrganizerId::from_u128(1), email)
        })
}

/// A ticket holder as an owner types it (H4): mostly complete, now and then without a last name
/// (or with a blank one), rarely without a first name or with a field over
/// [`HOLDER_FIELD_BYTES`].
pub fn arb_holder() -> impl Strategy<Value = TicketHolder> {
    let first = prop_oneof![
        12 => Just("Grace".to_owned()),
        1 => Just(String::new()),
        1 => Just("G".repeat(HOLDER_FIELD_BYTES.saturating_add(1))),
    ];
    let last = prop_oneof![
        8 => Just("Hopper".to_owned()),
        2 => Just(String::new()),
        1 => Just("   ".to_owned()),
    ];
    let birth = proptest::option::of(Just("1906-12-09".to_owned()));
    (first, last, birth).prop_map(|(first_name, last_name, birth_date)| TicketHolder {
        first_name,
        last_name,
        birth_date,
        identity_number: None,
    })
}

/// A command of any kind generated from the current state: mostly about existing tickets and
/// groups, with valid and invalid actors, recipients and ids, so that both successes and every kind
/// of refusal occur. `at` is the time the command carries; `fresh` seeds the ids of new records.
pub fn arb_command_for(pools: &Pools, at: OffsetDateTime, fresh: u128) -> BoxedStrategy<Command> {
    let ticket = pick(&pools.tickets, TicketId::from_u128(1));
    let any_ticket =
        prop_oneof![9 => ticket.clone(), 1 => (2_000u128..2_010).prop_map(TicketId::from_u128)]
            .boxed();
    let group = pick(&pools.groups, unknown_group(at));
    let rule = pick(&pools.rules, UsageRuleId::from_u128(1));
    let pos = pick(&pools.points_of_sale, POINT_OF_SALE);
    let person = arb_person().boxed();
    let b2b_actor = prop_oneof![2 => Just(agency()), 1 => person.clone()].boxed();
    let new_group =
        move |k: u128| TransferGroupId::from_u128(fresh.saturating_mul(4).saturating_add(k));
    let group_id =
        prop_oneof![9 => group.clone().prop_map(|g| g.id), 1 => Just(new_group(3))].boxed();
    // Staff cancel back-office groups (S8): mostly one of those, else any group id.
    let back_office: Vec<TransferGroupId> = pools
        .groups
        .iter()
        .filter(|g| g.is_back_office())
        .map(|g| g.id)
        .collect();
    let back_office_group = if back_office.is_empty() {
        group_id.clone()
    } else {
        prop_oneof![3 => select(back_office), 1 => group_id.clone()].boxed()
    };

    prop_oneof![
        2 => (any_ticket.clone(), person.clone(), rule)
            .prop_map(move |(ticket, to, usage_rule)| Command::Inject(InjectTicket { ticket, to, usage_rule, at })),
        2 => (any_ticket.clone(), person.clone())
            .prop_map(move |(ticket, actor)| Command::Download(DownloadTicket { ticket, actor, at })),
        2 => (any_ticket.clone(), 0u8..5, prop_oneof![person.clone().prop_map(Actor::Spectator), Just(Actor::System), Just(Actor::AccessControl)])
            .prop_map(move |(ticket, k, actor)| {
                let change = match k {
                    0 => FlagChange::Activate(ActivationMethod::Manual),
                    1 => FlagChange::Deactivate,
                    2 => FlagChange::Check,
                    3 => FlagChange::Control,
                    _ => FlagChange::CheckOut,
                };
                Command::ChangeFlag(ChangeFlag { ticket, change, actor, at })
            }),
        6 => (proptest::collection::vec(any_ticket.clone(), 0..3), person.clone(), person.clone())
            .prop_map(move |(tickets, actor, recipient)| Command::Initiate(InitiateTransfer {
                actor, recipient, tickets, groups: NewGroupIds::new(new_group(0), new_group(1)), at,
            })),
        3 => (any_ticket.clone(), person.clone())
            .prop_map(move |(ticket, actor)| Command::ReturnToSender(ReturnToSender { ticket, actor, group: new_group(0), at })),
        4 => (group.clone(), any::<bool>(), person.clone(), group_id.clone()).prop_map(move |(g, right, other, id)| {
                let actor = if right { g.recipient } else { other };
                Command::Accept(AcceptTransfer { group: id, actor, at })
            }),
        3 => (person.clone(), group.clone(), any::<bool>())
            .prop_map(move |(other, g, right)| {
                let actor = if right { g.recipient } else { other };
                Command::SignIn(SignIn { actor, at })
            }),
        2 => (group.clone(), any::<bool>(), person.clone(), group_id.clone()).prop_map(move |(g, right, other, id)| {
                let actor = if right { g.recipient } else { other };
                Command::Decline(DeclineTransfer { group: id, actor, at })
            }),
        2 => (group.clone(), any::<bool>(), person.clone(), group_id.clone()).prop_map(move |(g, right, other, id)| {
                let actor = if right { g.sender } else { other };
                Command::Cancel(CancelTransfer { group: id, actor, at })
            }),
        2 => (group.clone(), any::<bool>(), person.clone(), person.clone()).prop_map(move |(g, right, other, recipient)| {
                let actor = if right { g.sender } else { other };
                Command::EditRecipient(EditRecipient { group: g.id, actor, recipient, new_groups: NewGroupIds::new(new_group(0), new_group(1)), at })
            }),
        1 => group_id.clone().prop_map(move |id| Command::Expire(ExpireTransfer { group: id, at })),
        2 => (any_ticket.clone(), select(vec![LifecycleStatus::Injected, LifecycleStatus::Downloaded, LifecycleStatus::PendingTransfer, LifecycleStatus::Transferred, LifecycleStatus::FailureTransfer, LifecycleStatus::DeletionPending, LifecycleStatus::Deleted]), person.clone(), person.clone(), -5i64..5, 0u64..4)
            .prop_map(move |(ticket, status, sender, recipient, skew, sequence)| {
                let transfer = status.is_transfer().then(|| TransferDetails { group: new_group(2), sender, recipient, back_office: None });
                Command::RecordFeedback(Feedback { ticket, status, sequence, at: at.saturating_add(time::Duration::minutes(skew)), transfer })
            }),
        3 => (any_ticket.clone(), pos.clone(), b2b_actor.clone(), any::<bool>(), any::<bool>()).prop_map(move |(ticket, point_of_sale, actor, reuse, relay)| {
                let new_ticket = if reuse { ticket } else { TicketId::from_u128(fresh.saturating_add(10_000)) };
                let contact = if relay { crate::ContactKind::Relay } else { crate::ContactKind::Individual };
                Command::TakeBack(TakeBackTicket { contact, ticket, point_of_sale, actor, new_ticket, at })
            }),
        1 => (any_ticket.clone(), pos.clone(), b2b_actor.clone(), person.clone()).prop_map(move |(ticket, point_of_sale, actor, to)| {
                Command::Redistribute(RedistributeTicket { ticket, point_of_sale, actor, to, at })
            }),
        // R1-R3: by anyone (the caller steers the actor to the ticket's cultural contact, which
        // the pools do not carry); the buyer's ticket id mostly new, now and then one that exists
        // or the ticket's own.
        3 => (any_ticket.clone(), pos, b2b_actor, person.clone(), ticket.clone(), 0u8..12)
            .prop_map(move |(ticket, point_of_sale, actor, buyer, other, id)| {
                let buyer_ticket = match id {
                    0 => ticket,
                    1 => other,
                    _ => TicketId::from_u128(fresh.saturating_add(20_000)),
                };
                Command::PutOnResale(PutOnResale { ticket, point_of_sale, actor, buyer, buyer_ticket, at })
            }),
        2 => any_ticket.clone().prop_map(move |ticket| Command::SettleResale(SettleResale { ticket, at })),
        1 => any_ticket.clone().prop_map(move |ticket| Command::RequestDeletion(RequestDeletion { ticket, at })),
        1 => any_ticket.clone().prop_map(move |ticket| Command::CompleteDeletion(CompleteDeletion { ticket, at })),
        3 => (arb_staff(), arb_reason(), person.clone(), proptest::collection::vec(any_ticket.clone(), 0..4), 0u8..10)
            .prop_map(move |(staff, reason, recipient, tickets, ids)| {
                // One id per (owner, direction) is needed (S6): mostly two, now and then too few,
                // none, or the same one twice.
                let groups = match ids {
                    0 => vec![],
                    1 => vec![new_group(0)],
                    2 => vec![new_group(0), new_group(0)],
                    _ => vec![new_group(0), new_group(1)],
                };
                Command::BackOfficeTransfer(BackOfficeTransfer { staff, reason, recipient, tickets, groups, at })
            }),
        2 => (arb_staff(), arb_reason(), back_office_group)
            .prop_map(move |(staff, reason, group)| Command::CancelBackOffice(CancelBackOfficeTransfer { group, staff, reason, at })),
        2 => (arb_staff(), arb_reason(), person.clone())
            .prop_map(move |(staff, reason, spectator)| Command::LockSpectator(LockSpectator { staff, spectator, reason, at })),
        1 => (arb_staff(), arb_reason(), person.clone())
            .prop_map(move |(staff, reason, spectator)| Command::UnlockSpectator(UnlockSpectator { staff, spectator, reason, at })),
        2 => (any_ticket.clone(), person.clone(), arb_holder(), proptest::option::of(arb_reason()))
            .prop_map(move |(ticket, actor, holder, reason)| Command::AssignHolder(AssignHolder { ticket, actor, holder, reason, at })),
        1 => (any_ticket, person)
            .prop_map(move |(ticket, actor)| Command::ClearHolder(ClearHolder { ticket, actor, at })),
    ]
    .boxed()
}
