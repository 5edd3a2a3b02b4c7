//! Back-office transfers, locks, Keep One and the end of a performance through the shell (S, L,
//! K, E): what the shell reads for them (the tickets' performances, the actor's spectator record,
//! the sender's other tickets) and how a race between two initiations under Keep One ends.

use secure_ticket::service::{Command, Execution, Results, Service, Step};
use secure_ticket::spectator::{LockSpectator, UnlockSpectator};
use secure_ticket::staff::{Reason, Staff, StaffRole};
use secure_ticket::store::{MemoryStore, Record, Store};
use secure_ticket::transfer::{
    BackOfficeTransfer, CancelBackOfficeError, CancelBackOfficeTransfer, InitiateTransferError,
};
use secure_ticket::{
    AcceptanceSettings, Error, Event, KeepOne, RuleError, StaffId, TransferGroupId, UsageRule,
};

use crate::common::{
    AT, FINAL, ORG, RULE, alice, at, bob, carol, gid, inject, req, send, setup_records, sign_in,
    sweep, tid,
};

fn staff(role: StaffRole) -> Staff {
    Staff::new(StaffId::from_u128(8), role)
}

fn reason(text: &str) -> Reason {
    Reason::parse(text).unwrap()
}

/// A world whose usage rule is `rule` (limit 3 otherwise).
fn world_with(
    acceptance: AcceptanceSettings,
    rule: impl Fn(UsageRule) -> UsageRule,
) -> Service<MemoryStore> {
    let service = Service::new(MemoryStore::new());
    let records = setup_records(ORG, acceptance)
        .into_iter()
        .map(|r| match r {
            Record::UsageRule(u) => Record::UsageRule(rule(u)),
            other => other,
        })
        .collect::<Vec<_>>();
    service.create(records).unwrap();
    service
}

fn owner(service: &Service<MemoryStore>, n: u128) -> secure_ticket::Email {
    match service
        .store()
        .load(&[secure_ticket::store::RecordKey::Ticket(tid(n))])
        .unwrap()
        .pop()
        .unwrap()
        .value
    {
        Record::Ticket(t) => t.wallet.unwrap().owners.current,
        other => panic!("not a ticket: {other:?}"),
    }
}

#[test]
fn s1_a_staff_transfer_past_the_rules_gate_completes_at_the_recipients_next_sign_in() {
    let service = world_with(AcceptanceSettings::explicit(), |r| r.with_transfer(false));
    inject(&service, 1, &alice(), Some(FINAL));
    let refused = send(&service, 10, &alice(), &bob(), &[1], at(1));
    assert!(matches!(
        refused,
        Err(Error::Rule(RuleError::Initiate(
            InitiateTransferError::TransferDisabled { .. }
        )))
    ));
    let moved = service
        .execute(&req(
            11,
            Command::BackOfficeTransfer(BackOfficeTransfer {
                staff: staff(StaffRole::Advanced),
                reason: reason("seat swap"),
                recipient: bob(),
                tickets: vec![tid(1)],
                groups: vec![gid(11)],
                at: at(2),
            }),
        ))
        .unwrap();
    assert!(
        matches!(&moved.events[0], Event::TransferInitiated { back_office: Some(by), .. } if by.reason.as_str() == "seat swap")
    );
    // No explicit acceptance, even under A1 (S7): bob's next sign-in completes it.
    let done = sign_in(&service, 12, &bob(), at(3)).unwrap();
    assert!(done.events.iter().any(|e| matches!(
        e,
        Event::TicketTransferred {
            back_office: Some(_),
            ..
        }
    )));
    assert_eq!(owner(&service, 1), bob());
}

#[test]
fn s8_only_staff_cancel_a_staff_transfer() {
    let service = world_with(AcceptanceSettings::explicit(), |r| r);
    inject(&service, 1, &alice(), None);
    service
        .execute(&req(
            11,
            Command::BackOfficeTransfer(BackOfficeTransfer {
                staff: staff(StaffRole::Admin),
                reason: reason("wrong account"),
                recipient: bob(),
                tickets: vec![tid(1)],
                groups: vec![gid(11)],
                at: at(2),
            }),
        ))
        .unwrap();
    let cancel = |id, role| {
        service.execute(&req(
            id,
            Command::CancelBackOffice(CancelBackOfficeTransfer {
                group: gid(11),
                staff: staff(role),
                reason: reason("asked by the owner"),
                at: at(3),
            }),
        ))
    };
    assert!(matches!(
        cancel(12, StaffRole::Support),
        Err(Error::Rule(RuleError::CancelBackOffice(
            CancelBackOfficeError::Forbidden(_)
        )))
    ));
    let cancelled = cancel(13, StaffRole::Advanced).unwrap();
    assert!(matches!(
        &cancelled.events[0],
        Event::TransferCancelled {
            cancelled_by: Some(_),
            ..
        }
    ));
    assert_eq!(owner(&service, 1), alice());
}

#[test]
fn l2_a_locked_spectator_is_refused_and_l3_unlocking_lets_them_send_again() {
    let service = world_with(AcceptanceSettings::explicit(), |r| r);
    inject(&service, 1, &alice(), None);
    let lock = LockSpectator {
        staff: staff(StaffRole::TixngoSupport),
        spectator: alice(),
        reason: reason("fraud report"),
        at: at(1),
    };
    service
        .execute(&req(10, Command::LockSpectator(lock)))
        .unwrap();
    let refused = send(&service, 11, &alice(), &bob(), &[1], at(2));
    assert!(matches!(
        refused,
        Err(Error::Rule(RuleError::Initiate(
            InitiateTransferError::SpectatorLocked(_)
        )))
    ));
    let unlock = UnlockSpectator {
        staff: staff(StaffRole::Admin),
        spectator: alice(),
        reason: reason("cleared"),
        at: at(3),
    };
    service
        .execute(&req(12, Command::UnlockSpectator(unlock)))
        .unwrap();
    assert!(send(&service, 13, &alice(), &bob(), &[1], at(4)).is_ok());
}

#[test]
fn k4_the_shell_reads_every_ticket_the_sender_owns_for_keep_one() {
    let service = world_with(AcceptanceSettings::explicit(), |r| {
        r.with_keep_one(KeepOne::Enabled)
    });
    inject(&service, 1, &alice(), Some(FINAL));
    inject(&service, 2, &alice(), Some(FINAL));
    assert!(
        send(&service, 10, &alice(), &bob(), &[1], at(1)).is_ok(),
        "ticket 2 stays kept"
    );
    let refused = send(&service, 11, &alice(), &carol(), &[2], at(2));
    assert!(matches!(
        refused,
        Err(Error::Rule(RuleError::Initiate(
            InitiateTransferError::KeepOne {
                performance: FINAL,
                rule: RULE
            }
        )))
    ));
}

/// Runs `step` against `store` until it asks to commit.
fn until_commit<'r>(
    store: &MemoryStore,
    mut step: Step<'r>,
) -> (
    secure_ticket::store::Batch,
    secure_ticket::service::Committing<'r>,
) {
    loop {
        step = match step {
            Step::Read { plan, then } => then.read(store.read(&plan)),
            Step::Commit { batch, then } => return (batch, then),
            Step::Done(result) => panic!("done before committing: {result:?}"),
        }
    }
}

fn finish(store: &MemoryStore, mut step: Step<'_>) -> Results {
    loop {
        step = match step {
            Step::Read { plan, then } => then.read(store.read(&plan)),
            Step::Commit { batch, then } => then.committed(store.commit(batch)),
            Step::Done(result) => return result,
        }
    }
}

#[test]
fn k4_two_initiations_racing_for_the_last_two_kept_tickets_cannot_both_pass() {
    let service = world_with(AcceptanceSettings::explicit(), |r| {
        r.with_keep_one(KeepOne::Enabled)
    });
    inject(&service, 1, &alice(), Some(FINAL));
    inject(&service, 2, &alice(), Some(FINAL));
    let store = service.store();
    let initiate = |id: u128, ticket: u128| {
        req(
            id,
            Command::Initiate(secure_ticket::transfer::InitiateTransfer {
                actor: alice(),
                recipient: bob(),
                tickets: vec![tid(ticket)],
                groups: secure_ticket::transfer::NewGroupIds::single(TransferGroupId::from_u128(
                    id,
                )),
                at: at(1),
            }),
        )
    };
    let (first, second) = ([initiate(20, 1)], [initiate(21, 2)]);
    // Both read before either commits: each sees the other's ticket kept.
    let (batch_1, then_1) = until_commit(store, Execution::start(&first, 3));
    let (batch_2, then_2) = until_commit(store, Execution::start(&second, 3));
    assert!(finish(store, then_1.committed(store.commit(batch_1))).unwrap()[0].is_ok());
    // The second relied on ticket 1 being kept: its commit conflicts, its retry is refused.
    let second_result = finish(store, then_2.committed(store.commit(batch_2))).unwrap();
    assert!(
        matches!(
            &second_result[0],
            Err(Error::Rule(RuleError::Initiate(
                InitiateTransferError::KeepOne { .. }
            )))
        ),
        "{second_result:?}"
    );
    assert_eq!(owner(&service, 2), alice());
}

#[test]
fn e1_the_sweep_expires_a_pending_group_once_its_performance_has_ended() {
    let service = world_with(AcceptanceSettings::explicit(), |r| r);
    inject(&service, 1, &alice(), Some(FINAL));
    send(&service, 10, &alice(), &bob(), &[1], at(1)).unwrap();
    // FINAL ends 2026-12-20 22:00 UTC; no deadline otherwise.
    let before = sweep(
        &service,
        11,
        time::macros::datetime!(2026-12-20 21:59 UTC),
        10,
    )
    .unwrap();
    assert!(before.events.is_empty());
    let after = sweep(
        &service,
        12,
        time::macros::datetime!(2026-12-20 22:00 UTC),
        10,
    )
    .unwrap();
    assert!(matches!(&after.events[0], Event::TransferExpired { .. }));
    assert_eq!(AT.year(), 2026);
}

#[test]
fn h1_the_owner_assigns_a_holder_through_the_shell_and_a_lock_stops_it() {
    use secure_ticket::holder::{AssignHolder, HolderError};
    let service = world_with(AcceptanceSettings::explicit(), |r| r);
    inject(&service, 1, &alice(), None);
    let assign = |id, by: secure_ticket::Email| {
        service.execute(&req(
            id,
            Command::AssignHolder(AssignHolder {
                ticket: tid(1),
                actor: by,
                holder: secure_ticket::TicketHolder {
                    first_name: "Ada".into(),
                    last_name: "Lovelace".into(),
                    ..Default::default()
                },
                reason: None,
                at: at(1),
            }),
        ))
    };
    assert!(matches!(
        assign(10, bob()),
        Err(Error::Rule(RuleError::Holder(
            HolderError::NotCurrentOwner { .. }
        )))
    ));
    let done = assign(11, alice()).unwrap();
    assert!(matches!(&done.events[0], Event::HolderAssigned { .. }));
    let lock = LockSpectator {
        staff: staff(StaffRole::Admin),
        spectator: alice(),
        reason: reason("fraud report"),
        at: at(2),
    };
    service
        .execute(&req(12, Command::LockSpectator(lock)))
        .unwrap();
    assert!(matches!(
        assign(13, alice()),
        Err(Error::Rule(RuleError::Holder(
            HolderError::SpectatorLocked(_)
        )))
    ));
}

#[test]
fn r2_a_resale_through_the_shell_holds_the_ticket_then_gives_the_buyer_a_new_one() {
    use secure_ticket::Feedback;
    use secure_ticket::resale::{PutOnResale, SettleResale};
    use secure_ticket::wallet::RequestDeletion;
    let service = Service::new(MemoryStore::new());
    let records = setup_records(ORG, AcceptanceSettings::explicit())
        .into_iter()
        .map(|r| match r {
            Record::PointOfSale(p) => Record::PointOfSale(p.with_resale(true, false)),
            other => other,
        });
    service.create(records).unwrap();
    // Ticket 1's cultural contact is the agency; injected to the agency itself.
    inject(&service, 1, &crate::common::agency(), None);
    let put = PutOnResale {
        ticket: tid(1),
        point_of_sale: crate::common::POS,
        actor: crate::common::agency(),
        buyer: carol(),
        buyer_ticket: tid(2),
        at: at(1),
    };
    let held = service
        .execute(&req(10, Command::PutOnResale(put)))
        .unwrap();
    assert!(matches!(held.events[0], Event::TicketPutOnResale { .. }));
    let settle = |id| {
        service.execute(&req(
            id,
            Command::SettleResale(SettleResale {
                ticket: tid(1),
                at: at(4),
            }),
        ))
    };
    assert!(matches!(
        settle(11),
        Err(Error::Rule(RuleError::Resale(
            secure_ticket::resale::ResaleError::DeletionNotReported { .. }
        )))
    ));
    service
        .execute(&req(
            12,
            Command::RequestDeletion(RequestDeletion {
                ticket: tid(1),
                at: at(2),
            }),
        ))
        .unwrap();
    let feedback = Feedback {
        ticket: tid(1),
        status: secure_ticket::LifecycleStatus::DeletionPending,
        sequence: 9,
        at: at(3),
        transfer: None,
    };
    // S360 records TIXnGO's DELETION_PENDING: that settles the resale (R2).
    let done = service
        .execute(&req(13, Command::RecordFeedback(feedback)))
        .unwrap();
    assert!(
        done.events
            .iter()
            .any(|e| matches!(e, Event::ResaleCompleted { .. }))
    );
    assert!(matches!(
        settle(14),
        Err(Error::Rule(RuleError::Resale(
            secure_ticket::resale::ResaleError::NotOnResale { .. }
        )))
    ));
    let bought = service.ticket(tid(2)).unwrap().unwrap().value;
    assert!(bought.is_valid());
    assert_eq!(bought.distribution.cultural_contact, Some(carol()));
}
