//! Back-office transfers (S1, S4-S9), locked spectators (L1-L3), Keep One (K2-K4) and the end of a
//! performance (E1), through the pure transitions.

use secure_ticket::spectator::{self, LockError, LockSpectator, Spectator, UnlockSpectator};
use secure_ticket::staff::{Reason, Staff, StaffRole};
use secure_ticket::transfer::{
    self, AcceptTransfer, BackOfficeTransfer, BackOfficeTransferError, CancelBackOfficeError,
    CancelBackOfficeTransfer, CancelTransfer, CancelTransferError, Context, DeclineTransfer,
    DeclineTransferError, InitiateTransfer, InitiateTransferError, NewGroupIds, SignIn,
};
use secure_ticket::{
    Distribution, Email, Event, KeepOne, OrganizerId, OrganizerSettings, Performance,
    PerformanceId, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, StaffId, Ticket, TicketId,
    TransferGroupId, UsageRule, UsageRuleId, injection,
};
use time::OffsetDateTime;
use time::macros::datetime;

const ORG: OrganizerId = OrganizerId::from_u128(1);
const AT: OffsetDateTime = datetime!(2026-12-01 10:00 UTC);
const MATCH: PerformanceId = PerformanceId::from_u128(70);

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}
fn alice() -> Email {
    email("alice@example.com")
}
fn bob() -> Email {
    email("bob@example.com")
}
fn staff(role: StaffRole) -> Staff {
    Staff::new(StaffId::from_u128(5), role)
}
fn reason() -> Reason {
    Reason::parse("moved by the box office").unwrap()
}

/// A ticket of [`MATCH`] injected to alice under `rule`.
fn ticket(n: u128, rule: &UsageRule) -> Ticket {
    let mut t = Ticket::new(
        ORG,
        TicketId::from_u128(n),
        RightId::from_u128(n),
        Distribution::new(
            PointOfSaleId::from_u128(1),
            ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1)),
        ),
    );
    t.performance = Some(MATCH);
    injection::inject(
        &t,
        &injection::InjectTicket {
            ticket: t.id,
            to: alice(),
            usage_rule: rule.id,
            at: AT,
        },
    )
    .unwrap()
    .tickets
    .remove(0)
    .unwrap()
}

fn rule() -> UsageRule {
    UsageRule::new(ORG, UsageRuleId::from_u128(1))
}

fn bo(tickets: &[TicketId], role: StaffRole) -> BackOfficeTransfer {
    BackOfficeTransfer {
        staff: staff(role),
        reason: reason(),
        recipient: bob(),
        tickets: tickets.to_vec(),
        groups: vec![
            TransferGroupId::from_u128(90),
            TransferGroupId::from_u128(91),
        ],
        at: AT,
    }
}

fn send(
    tickets: &[Ticket],
    context: &Context<'_>,
    ids: &[TicketId],
) -> Result<secure_ticket::Decision, InitiateTransferError> {
    transfer::initiate(
        tickets,
        context,
        &InitiateTransfer {
            actor: alice(),
            recipient: bob(),
            tickets: ids.to_vec(),
            groups: NewGroupIds::single(TransferGroupId::from_u128(80)),
            at: AT,
        },
    )
}

#[test]
fn s4_a_staff_transfer_passes_the_rule_gates_but_needs_the_permission() {
    let closed = rule().with_transfer(false);
    let rules = [closed];
    let t = ticket(1, &closed);
    let settings = OrganizerSettings::new(ORG);
    let context = Context::new(&rules);
    let refused = transfer::back_office_transfer(
        std::slice::from_ref(&t),
        &settings,
        &context,
        &bo(&[t.id], StaffRole::Support),
    );
    assert!(
        matches!(refused, Err(BackOfficeTransferError::Forbidden(f)) if f.role == StaffRole::Support)
    );
    let done = transfer::back_office_transfer(
        std::slice::from_ref(&t),
        &settings,
        &context,
        &bo(&[t.id], StaffRole::Advanced),
    )
    .unwrap();
    let group = &done.groups[0];
    assert_eq!(
        (group.sender.clone(), group.recipient.clone()),
        (alice(), bob())
    );
    let by = group.back_office.as_deref().unwrap();
    assert_eq!(
        (by.staff, by.role, by.reason.as_str()),
        (
            StaffId::from_u128(5),
            StaffRole::Advanced,
            "moved by the box office"
        )
    );
    assert!(
        matches!(&done.events[0], Event::TransferInitiated { back_office: Some(b), .. } if b.role == StaffRole::Advanced)
    );
}

#[test]
fn s5_a_controlled_or_pending_ticket_or_an_ended_performance_is_refused() {
    let rules = [rule()];
    let settings = OrganizerSettings::new(ORG);
    let mut controlled = ticket(1, &rules[0]);
    controlled.wallet.as_mut().unwrap().controlled_at = Some(AT);
    let r = transfer::back_office_transfer(
        std::slice::from_ref(&controlled),
        &settings,
        &Context::new(&rules),
        &bo(&[controlled.id], StaffRole::Admin),
    );
    assert_eq!(
        r,
        Err(BackOfficeTransferError::ControlledTicket {
            ticket: controlled.id
        })
    );

    let t = ticket(2, &rules[0]);
    let ended = [Performance::new(ORG, MATCH, AT - time::Duration::hours(3), AT).unwrap()];
    let context = Context::new(&rules).with_performances(&ended);
    let r = transfer::back_office_transfer(
        std::slice::from_ref(&t),
        &settings,
        &context,
        &bo(&[t.id], StaffRole::Admin),
    );
    assert!(matches!(
        r,
        Err(BackOfficeTransferError::PerformanceEnded {
            performance: MATCH,
            ..
        })
    ));
}

#[test]
fn s6_tickets_of_different_owners_split_into_one_group_each_all_or_none() {
    let rules = [rule()];
    let settings = OrganizerSettings::new(ORG);
    let a = ticket(1, &rules[0]);
    let mut c = ticket(2, &rules[0]);
    c.wallet.as_mut().unwrap().owners.current = email("carol@example.com");
    let done = transfer::back_office_transfer(
        &[a.clone(), c.clone()],
        &settings,
        &Context::new(&rules),
        &bo(&[a.id, c.id], StaffRole::Admin),
    )
    .unwrap();
    assert_eq!(done.groups.len(), 2);
    assert_eq!(done.groups[0].sender, alice());
    assert_eq!(done.groups[1].sender, email("carol@example.com"));
    let mut one_id = bo(&[a.id, c.id], StaffRole::Admin);
    one_id.groups.truncate(1);
    let r = transfer::back_office_transfer(&[a, c], &settings, &Context::new(&rules), &one_id);
    assert_eq!(
        r,
        Err(BackOfficeTransferError::NotEnoughGroupIds {
            needed: 2,
            given: 1
        })
    );
}

#[test]
fn s7_a_staff_group_completes_at_sign_in_and_only_staff_cancel_it() {
    let rules = [rule()];
    let settings =
        OrganizerSettings::new(ORG).with_acceptance(secure_ticket::AcceptanceSettings::explicit());
    let t = ticket(1, &rules[0]);
    let context = Context::new(&rules).with_settings(settings.acceptance);
    let sent = transfer::back_office_transfer(
        std::slice::from_ref(&t),
        &settings,
        &context,
        &bo(&[t.id], StaffRole::Admin),
    )
    .unwrap();
    let group = sent.groups[0].clone();
    assert!(!group.needs_explicit_acceptance());
    let pending = sent.tickets.clone().into_vec();
    let owner_cancel = transfer::cancel(
        &group,
        &pending,
        &CancelTransfer {
            group: group.id,
            actor: alice(),
            at: AT,
        },
    );
    assert_eq!(
        owner_cancel,
        Err(CancelTransferError::BackOfficeGroup { group: group.id })
    );
    let decline = transfer::decline(
        &group,
        &pending,
        &DeclineTransfer {
            group: group.id,
            actor: bob(),
            at: AT,
        },
    );
    assert_eq!(
        decline,
        Err(DeclineTransferError::BackOfficeGroup { group: group.id })
    );
    let cancel = |role| CancelBackOfficeTransfer {
        group: group.id,
        staff: staff(role),
        reason: reason(),
        at: AT,
    };
    assert!(matches!(
        transfer::cancel_back_office(&group, &pending, &settings, &cancel(StaffRole::Basic)),
        Err(CancelBackOfficeError::Forbidden(_))
    ));
    let cancelled = transfer::cancel_back_office(
        &group,
        &pending,
        &settings,
        &cancel(StaffRole::TixngoSupport),
    )
    .unwrap();
    assert!(
        matches!(&cancelled.events[0], Event::TransferCancelled { cancelled_by: Some(by), .. } if by.role == StaffRole::TixngoSupport)
    );
    let done = transfer::complete_on_sign_in(
        &[group],
        &pending,
        &rules,
        &SignIn {
            actor: bob(),
            at: AT,
        },
    )
    .unwrap();
    assert_eq!(
        done.tickets[0].wallet.as_ref().unwrap().owners.current,
        bob()
    );
}

#[test]
fn l1_staff_lock_and_unlock_once_each_with_the_permission() {
    let settings = OrganizerSettings::new(ORG);
    let lock = LockSpectator {
        staff: staff(StaffRole::Advanced),
        spectator: alice(),
        reason: reason(),
        at: AT,
    };
    let locked = spectator::lock(None, &settings, &lock).unwrap();
    let record: Spectator = locked.spectators[0].clone();
    assert_eq!(record.lock.as_ref().unwrap().at, AT);
    assert!(matches!(
        spectator::lock(Some(&record), &settings, &lock),
        Err(LockError::AlreadyLocked { .. })
    ));
    let unlock = UnlockSpectator {
        staff: staff(StaffRole::Support),
        spectator: alice(),
        reason: reason(),
        at: AT,
    };
    assert!(matches!(
        spectator::unlock(Some(&record), &settings, &unlock),
        Err(LockError::Forbidden(_))
    ));
    let unlocked = spectator::unlock(
        Some(&record),
        &settings,
        &UnlockSpectator {
            staff: staff(StaffRole::Admin),
            ..unlock
        },
    )
    .unwrap();
    assert!(!unlocked.spectators[0].is_locked());
    assert!(
        unlocked.tickets.is_empty(),
        "L3: unlocking changes no ticket"
    );
}

#[test]
fn l3_staff_still_transfer_the_tickets_of_a_locked_spectator_who_cannot_initiate() {
    let rules = [rule()];
    let settings = OrganizerSettings::new(ORG);
    let t = ticket(1, &rules[0]);
    let lock = LockSpectator {
        staff: staff(StaffRole::Admin),
        spectator: alice(),
        reason: reason(),
        at: AT,
    };
    let record = spectator::lock(None, &settings, &lock).unwrap().spectators[0].clone();
    let context = Context::new(&rules).with_actor(Some(&record));
    assert!(
        matches!(send(std::slice::from_ref(&t), &context, &[t.id]), Err(InitiateTransferError::SpectatorLocked(l)) if l.spectator == alice())
    );
    assert!(
        transfer::back_office_transfer(
            std::slice::from_ref(&t),
            &settings,
            &context,
            &bo(&[t.id], StaffRole::Admin)
        )
        .is_ok()
    );
}

#[test]
fn k2_enabled_keep_one_refuses_sending_the_last_kept_ticket_of_a_performance() {
    let keep = rule().with_keep_one(KeepOne::Enabled);
    let rules = [keep];
    let (a, b) = (ticket(1, &keep), ticket(2, &keep));
    let wallet = [a.clone(), b.clone()];
    let context = Context::new(&rules).with_wallet(&wallet);
    assert!(
        send(std::slice::from_ref(&a), &context, &[a.id]).is_ok(),
        "b stays kept"
    );
    assert_eq!(
        send(&[a.clone(), b.clone()], &context, &[a.id, b.id]),
        Err(InitiateTransferError::KeepOne {
            performance: MATCH,
            rule: keep.id
        })
    );
    let mut pending_b = b.clone();
    pending_b.wallet.as_mut().unwrap().pending_group = Some(TransferGroupId::from_u128(3));
    let wallet = [a.clone(), pending_b];
    let context = Context::new(&rules).with_wallet(&wallet);
    assert!(
        matches!(
            send(std::slice::from_ref(&a), &context, &[a.id]),
            Err(InitiateTransferError::KeepOne { .. })
        ),
        "a pending ticket is not kept"
    );
}

#[test]
fn k3_restricted_keep_one_binds_only_an_initial_owner() {
    let keep = rule().with_keep_one(KeepOne::Restricted);
    let rules = [keep];
    let mut a = ticket(1, &keep);
    assert!(matches!(
        send(std::slice::from_ref(&a), &Context::new(&rules), &[a.id]),
        Err(InitiateTransferError::KeepOne { .. })
    ));
    a.wallet.as_mut().unwrap().owners.initial = email("dave@example.com");
    assert!(send(std::slice::from_ref(&a), &Context::new(&rules), &[a.id]).is_ok());
}

#[test]
fn k4_keep_one_counts_every_ticket_the_sender_owns_not_only_the_command() {
    let keep = rule().with_keep_one(KeepOne::Enabled);
    let rules = [keep];
    let (a, b) = (ticket(1, &keep), ticket(2, &keep));
    assert!(matches!(
        send(std::slice::from_ref(&a), &Context::new(&rules), &[a.id]),
        Err(InitiateTransferError::KeepOne { .. })
    ));
    let wallet = [b];
    assert!(
        send(
            std::slice::from_ref(&a),
            &Context::new(&rules).with_wallet(&wallet),
            &[a.id]
        )
        .is_ok()
    );
}

#[test]
fn e1_after_the_end_initiation_and_acceptance_are_refused_and_the_group_is_due() {
    let rules = [rule()];
    let t = ticket(1, &rules[0]);
    let end = AT + time::Duration::hours(2);
    let show = [Performance::new(ORG, MATCH, AT, end).unwrap()];
    let context = Context::new(&rules)
        .with_performances(&show)
        .with_settings(secure_ticket::AcceptanceSettings::explicit());
    let sent = send(std::slice::from_ref(&t), &context, &[t.id]).unwrap();
    let group = &sent.groups[0];
    assert_eq!(
        (group.performance_ends_at, group.due_at()),
        (Some(end), Some(end))
    );
    let late = transfer::accept(
        group,
        &sent.tickets,
        &rules,
        &AcceptTransfer {
            group: group.id,
            actor: bob(),
            at: end,
        },
    );
    assert!(matches!(
        late,
        Err(transfer::AcceptTransferError::PerformanceEnded { .. })
    ));
    let mut after = InitiateTransfer {
        actor: alice(),
        recipient: bob(),
        tickets: vec![t.id],
        groups: NewGroupIds::single(TransferGroupId::from_u128(81)),
        at: end,
    };
    assert!(matches!(
        transfer::initiate(std::slice::from_ref(&t), &context, &after),
        Err(InitiateTransferError::PerformanceEnded { .. })
    ));
    after.at = end - time::Duration::seconds(1);
    assert!(transfer::initiate(&[t], &context, &after).is_ok());
}

#[test]
fn s9_a_staff_completion_counts_as_a_transfer_and_may_pass_the_limit_never_256() {
    let rules = [rule()]; // limit 1
    let settings = OrganizerSettings::new(ORG);
    let mut t = ticket(1, &rules[0]);
    t.wallet.as_mut().unwrap().level = 1;
    let sent = transfer::back_office_transfer(
        std::slice::from_ref(&t),
        &settings,
        &Context::new(&rules),
        &bo(&[t.id], StaffRole::Admin),
    )
    .unwrap();
    let done = transfer::complete_on_sign_in(
        &sent.groups.clone().into_vec(),
        &sent.tickets.clone().into_vec(),
        &rules,
        &SignIn {
            actor: bob(),
            at: AT,
        },
    )
    .unwrap();
    let wallet = done.tickets[0].wallet.as_ref().unwrap();
    assert_eq!((wallet.level, wallet.forward_transfers), (2, 1));
    let mut top = t.clone();
    top.wallet.as_mut().unwrap().level = 256;
    let sent = transfer::back_office_transfer(
        std::slice::from_ref(&top),
        &settings,
        &Context::new(&rules),
        &bo(&[top.id], StaffRole::Admin),
    )
    .unwrap();
    let done = transfer::complete_on_sign_in(
        &sent.groups.clone().into_vec(),
        &sent.tickets.clone().into_vec(),
        &rules,
        &SignIn {
            actor: bob(),
            at: AT,
        },
    )
    .unwrap();
    assert_eq!(done.tickets[0].wallet.as_ref().unwrap().level, 256);
}

#[test]
fn e2_a_staff_group_gets_the_organizers_deadline_and_expires_like_any_other() {
    let rules = [rule()];
    let acceptance = secure_ticket::AcceptanceSettings::automatic()
        .with_expiry(time::Duration::hours(6))
        .unwrap();
    let settings = OrganizerSettings::new(ORG).with_acceptance(acceptance);
    let t = ticket(1, &rules[0]);
    let sent = transfer::back_office_transfer(
        std::slice::from_ref(&t),
        &settings,
        &Context::new(&rules).with_settings(acceptance),
        &bo(&[t.id], StaffRole::Admin),
    )
    .unwrap();
    let group = &sent.groups[0];
    assert_eq!(group.expires_at, Some(AT + time::Duration::hours(6)));
    let expired = transfer::expire(
        group,
        &sent.tickets,
        &transfer::ExpireTransfer {
            group: group.id,
            at: AT + time::Duration::hours(6),
        },
    )
    .unwrap();
    assert_eq!(
        expired.groups[0].status,
        secure_ticket::TransferStatus::Expired
    );
}
