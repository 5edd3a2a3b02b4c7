//! T1-T7 and T11: initiating a transfer.

use secure_ticket::store::RecordKey;
use secure_ticket::transfer::{
    self, Acceptance, Direction, InitiateTransferError, NewGroupIds, ReturnToSender,
    ReturnToSenderError,
};
use secure_ticket::wallet::{self, Actor, ChangeFlag, ChangeFlagError, FlagChange};
use secure_ticket::{
    Activation, ActivationMethod, Decision, Email, Event, InputError, TicketId, TransferGroupId,
    WalletStatus,
};

use crate::common::{
    AT, LATER, MISSING, RULE, T, World, alice, assert_refused, bob, carol, deleted, email,
    fresh_world, gid, issued, new_group, pending_in, pending_world, rule, single, tid, with_wallet,
};

fn initiated(
    group: TransferGroupId,
    direction: Direction,
    sender: &Email,
    recipient: &Email,
    tickets: &[TicketId],
) -> Event {
    Event::TransferInitiated {
        back_office: None,
        group,
        direction,
        sender: sender.clone(),
        recipient: recipient.clone(),
        tickets: tickets.to_vec().into(),
        at: AT,
    }
}

#[test]
fn t1_only_the_current_owner_may_initiate() {
    let mut world = World::explicit(rule(3));
    let ticket = world.inject(1, &alice());
    world.transfer(ticket, &alice(), &bob(), 1);

    // Alice is still the initial and now the previous owner, but no longer the current one.
    assert_eq!(
        world.initiate(&alice(), &carol(), &[ticket], single(2)),
        Err(InitiateTransferError::NotCurrentOwner {
            ticket,
            actor: alice()
        })
    );
    assert_eq!(
        world.initiate(&carol(), &alice(), &[ticket], single(2)),
        Err(InitiateTransferError::NotCurrentOwner {
            ticket,
            actor: carol()
        })
    );
    assert_eq!(
        world
            .initiate(&bob(), &carol(), &[ticket], single(2))
            .unwrap()
            .groups[0]
            .sender,
        bob()
    );
}

#[test]
fn t2_initiation_needs_level_below_limit_for_backward_too() {
    let mut world = World::explicit(rule(1));
    let ticket = world.inject(1, &alice());
    world.transfer(ticket, &alice(), &bob(), 1);
    assert_eq!(world.wallet(ticket).level, 1);

    let limit_reached = Err(InitiateTransferError::TransferLimitReached {
        ticket,
        level: 1,
        limit: 1,
    });
    assert_eq!(
        world.initiate(&bob(), &carol(), &[ticket], single(2)),
        limit_reached
    );
    assert_eq!(
        world.initiate(&bob(), &alice(), &[ticket], single(2)),
        limit_reached
    );
    let back = ReturnToSender {
        ticket,
        actor: bob(),
        group: gid(2),
        at: AT,
    };
    assert_eq!(
        transfer::return_to_sender(&world.tickets, &world.context(), &back),
        Err(ReturnToSenderError::Initiate(
            InitiateTransferError::TransferLimitReached {
                ticket,
                level: 1,
                limit: 1
            }
        ))
    );

    // One more allowed transfer and both directions are open again.
    world.set_rule(rule(2));
    assert_eq!(
        world
            .initiate(&bob(), &carol(), &[ticket], single(2))
            .unwrap()
            .groups[0]
            .direction,
        Direction::Forward
    );
    assert_eq!(
        world
            .initiate(&bob(), &alice(), &[ticket], single(2))
            .unwrap()
            .groups[0]
            .direction,
        Direction::Backward
    );
}

#[test]
fn t3_activated_checked_or_controlled_ticket_needs_the_matching_after_setting() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    let fresh = world.ticket(id).clone();
    let flagged = [
        (
            with_wallet(&fresh, |w| {
                w.activated = Some(Activation {
                    at: AT,
                    method: ActivationMethod::Online,
                });
            }),
            InitiateTransferError::ActivatedTicket {
                ticket: id,
                rule: RULE,
            },
            (true, false, false),
        ),
        (
            with_wallet(&fresh, |w| w.checked_at = Some(AT)),
            InitiateTransferError::CheckedTicket {
                ticket: id,
                rule: RULE,
            },
            (false, true, false),
        ),
        (
            with_wallet(&fresh, |w| w.controlled_at = Some(AT)),
            InitiateTransferError::ControlledTicket {
                ticket: id,
                rule: RULE,
            },
            (false, false, true),
        ),
    ];
    for (ticket, refusal, (activation, check, control)) in flagged {
        world.put_ticket(ticket);
        world.set_rule(rule(3));
        assert_eq!(
            world.initiate(&alice(), &bob(), &[id], single(1)),
            Err(refusal.clone())
        );
        // The two other settings do not help.
        world.set_rule(rule(3).with_transfer_after(!activation, !check, !control));
        assert_eq!(
            world.initiate(&alice(), &bob(), &[id], single(1)),
            Err(refusal)
        );
        // The matching one does.
        world.set_rule(rule(3).with_transfer_after(activation, check, control));
        let decision = world.initiate(&alice(), &bob(), &[id], single(1)).unwrap();
        assert_eq!(decision.groups[0].id, gid(1));
    }
}

#[test]
fn t3_flags_are_read_as_they_are_now() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    let flag = |world: &mut World, change: FlagChange, actor: Actor| {
        let decision = wallet::change_flag(
            world.ticket(id),
            &ChangeFlag {
                ticket: id,
                change,
                actor,
                at: AT,
            },
        )
        .unwrap();
        world.apply(&decision);
    };

    flag(
        &mut world,
        FlagChange::Activate(ActivationMethod::Online),
        Actor::Spectator(alice()),
    );
    assert_eq!(
        world.initiate(&alice(), &bob(), &[id], single(1)),
        Err(InitiateTransferError::ActivatedTicket {
            ticket: id,
            rule: RULE
        })
    );
    flag(
        &mut world,
        FlagChange::Deactivate,
        Actor::Spectator(alice()),
    );
    flag(&mut world, FlagChange::Control, Actor::AccessControl);
    assert_eq!(
        world.initiate(&alice(), &bob(), &[id], single(1)),
        Err(InitiateTransferError::ControlledTicket {
            ticket: id,
            rule: RULE
        })
    );
    flag(&mut world, FlagChange::CheckOut, Actor::AccessControl);
    assert!(world.initiate(&alice(), &bob(), &[id], single(1)).is_ok());
}

#[test]
fn t4_initiation_refuses_pending_deleted_self_empty_and_duplicates() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    let other = world.inject(2, &alice());

    assert_eq!(
        world.initiate(&alice(), &bob(), &[], single(1)),
        Err(InitiateTransferError::EmptyTicketList)
    );
    assert_eq!(
        world.initiate(&alice(), &bob(), &[id, other, id], single(1)),
        Err(InitiateTransferError::DuplicateTicket { ticket: id })
    );
    // The recipient is the sender, even typed differently (emails are compared normalised).
    assert_eq!(
        world.initiate(&alice(), &email(" Alice@EXAMPLE.com "), &[id], single(1)),
        Err(InitiateTransferError::RecipientIsSender {
            ticket: id,
            recipient: alice()
        })
    );

    world.send(&alice(), &bob(), &[id], 1);
    assert_eq!(
        world.initiate(&alice(), &carol(), &[other, id], single(2)),
        Err(InitiateTransferError::AlreadyPendingTransfer {
            ticket: id,
            group: gid(1)
        })
    );

    let gone = crate::common::deletion_pending(world.ticket(other));
    world.put_ticket(gone);
    assert_eq!(
        world.initiate(&alice(), &carol(), &[other], single(2)),
        Err(InitiateTransferError::TicketDeleted {
            ticket: other,
            status: WalletStatus::DeletionPending
        })
    );
}

#[test]
fn t5_initiation_creates_a_pending_group_and_changes_no_owner_level_or_counter() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    let before = world.ticket(id).clone();
    // Any valid email, with or without an account.
    let zoe = email("zoe@not-yet-a-user.example");

    let decision = world.initiate(&alice(), &zoe, &[id], single(7)).unwrap();

    assert_eq!(
        decision,
        Decision {
            created: vec![RecordKey::TransferGroup(gid(7))].into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![pending_in(&before, gid(7))].into(),
            groups: vec![new_group(
                gid(7),
                &alice(),
                &zoe,
                Direction::Forward,
                &[id],
                Acceptance::Explicit
            )]
            .into(),
            events: vec![initiated(gid(7), Direction::Forward, &alice(), &zoe, &[id])].into(),
        }
    );
    assert_eq!(
        decision.tickets[0].wallet_status(),
        Some(WalletStatus::PendingTransfer)
    );
}

#[test]
fn t6_backward_when_the_recipient_is_the_previous_owner_else_forward() {
    let mut world = World::explicit(rule(256));
    let id = world.inject(1, &alice());
    let direction = |world: &World, from: &Email, to: &Email| {
        world.initiate(from, to, &[id], single(99)).unwrap().groups[0].direction
    };

    // Never transferred: only FORWARD.
    assert_eq!(direction(&world, &alice(), &bob()), Direction::Forward);

    world.transfer(id, &alice(), &bob(), 1);
    assert_eq!(direction(&world, &bob(), &carol()), Direction::Forward);
    // Typing the previous owner's email (in any case) is a BACKWARD transfer, like return to sender.
    assert_eq!(
        direction(&world, &bob(), &email("ALICE@example.com")),
        Direction::Backward
    );

    // Back with Alice, Bob is now the previous owner.
    world.transfer(id, &bob(), &alice(), 2);
    assert_eq!(world.wallet(id).owners.previous, Some(bob()));
    assert_eq!(direction(&world, &alice(), &bob()), Direction::Backward);
    assert_eq!(direction(&world, &alice(), &carol()), Direction::Forward);
}

#[test]
fn t7_tickets_of_both_directions_split_into_two_groups_created_together() {
    let mut world = World::explicit(rule(3));
    let never_moved = world.inject(1, &alice());
    let from_bob = world.inject(2, &bob());
    world.transfer(from_bob, &bob(), &alice(), 1);
    let before = world.tickets.clone();

    let decision = world
        .initiate(
            &alice(),
            &bob(),
            &[never_moved, from_bob],
            NewGroupIds::new(gid(10), gid(11)),
        )
        .unwrap();

    assert_eq!(
        decision,
        Decision {
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            created: vec![
                RecordKey::TransferGroup(gid(10)),
                RecordKey::TransferGroup(gid(11))
            ]
            .into(),
            tickets: vec![
                pending_in(&before[0], gid(10)),
                pending_in(&before[1], gid(11))
            ]
            .into(),
            groups: vec![
                new_group(
                    gid(10),
                    &alice(),
                    &bob(),
                    Direction::Forward,
                    &[never_moved],
                    Acceptance::Explicit
                ),
                new_group(
                    gid(11),
                    &alice(),
                    &bob(),
                    Direction::Backward,
                    &[from_bob],
                    Acceptance::Automatic
                ),
            ]
            .into(),
            events: vec![
                initiated(
                    gid(10),
                    Direction::Forward,
                    &alice(),
                    &bob(),
                    &[never_moved]
                ),
                initiated(gid(11), Direction::Backward, &alice(), &bob(), &[from_bob]),
            ]
            .into(),
        }
    );
}

#[test]
fn t7_same_group_id_for_both_directions_is_refused_and_nothing_is_created() {
    let mut world = World::explicit(rule(3));
    let never_moved = world.inject(1, &alice());
    let from_bob = world.inject(2, &bob());
    world.transfer(from_bob, &bob(), &alice(), 1);

    assert_eq!(
        world.initiate(&alice(), &bob(), &[never_moved, from_bob], single(10)),
        Err(InitiateTransferError::SameGroupIdForBothDirections { group: gid(10) })
    );
    // Tickets that all go one way need one id only: the unused one is ignored.
    let one_way = world.initiate(
        &alice(),
        &carol(),
        &[never_moved, from_bob],
        NewGroupIds::new(gid(10), gid(11)),
    );
    assert_eq!(
        one_way
            .unwrap()
            .groups
            .iter()
            .map(|g| g.id)
            .collect::<Vec<_>>(),
        vec![gid(10)]
    );
}

#[test]
fn t11_return_to_sender_is_an_ordinary_backward_initiation() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    world.transfer(id, &alice(), &bob(), 1);
    let before = world.ticket(id).clone();

    let command = ReturnToSender {
        ticket: id,
        actor: bob(),
        group: gid(2),
        at: AT,
    };
    let returned = transfer::return_to_sender(&world.tickets, &world.context(), &command).unwrap();

    assert_eq!(
        returned,
        Decision {
            created: vec![RecordKey::TransferGroup(gid(2))].into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![pending_in(&before, gid(2))].into(),
            groups: vec![new_group(
                gid(2),
                &bob(),
                &alice(),
                Direction::Backward,
                &[id],
                Acceptance::Automatic
            )]
            .into(),
            events: vec![initiated(
                gid(2),
                Direction::Backward,
                &bob(),
                &alice(),
                &[id]
            )]
            .into(),
        }
    );
    // Exactly what typing the previous owner's email gives.
    assert_eq!(
        world.initiate(&bob(), &alice(), &[id], single(2)),
        Ok(returned)
    );
}

#[test]
fn t11_return_to_sender_is_refused_without_a_previous_owner() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    let command = ReturnToSender {
        ticket: id,
        actor: alice(),
        group: gid(1),
        at: LATER,
    };
    assert_eq!(
        transfer::return_to_sender(&world.tickets, &world.context(), &command),
        Err(ReturnToSenderError::NoPreviousOwner { ticket: id })
    );
    // Only the current owner may return it (T1).
    world.transfer(id, &alice(), &bob(), 1);
    let by_alice = ReturnToSender {
        ticket: id,
        actor: alice(),
        group: gid(2),
        at: LATER,
    };
    assert_eq!(
        transfer::return_to_sender(&world.tickets, &world.context(), &by_alice),
        Err(ReturnToSenderError::Initiate(
            InitiateTransferError::NotCurrentOwner {
                ticket: id,
                actor: alice()
            }
        ))
    );
}

/// T3 at completion: a flag set while the ticket waits in a PENDING group must not let the ticket
/// change hands when the rule forbids transfer after that flag. Either the flag change is refused
/// while the ticket is PENDING_TRANSFER, or the completion is; today neither is.
#[test]
fn t3_flag_set_while_pending_does_not_bypass_the_after_setting() {
    let changes = [
        (
            FlagChange::Activate(ActivationMethod::Online),
            Actor::Spectator(alice()),
        ),
        (FlagChange::Check, Actor::AccessControl),
        (FlagChange::Control, Actor::AccessControl),
    ];
    for (change, actor) in changes {
        // Every after-setting off (U4 defaults).
        let mut world = World::explicit(rule(3));
        let id = world.inject(1, &alice());
        world.send(&alice(), &bob(), &[id], 1);

        let flagged = wallet::change_flag(
            world.ticket(id),
            &ChangeFlag {
                ticket: id,
                change,
                actor,
                at: AT,
            },
        );
        // Refusing the flag while pending keeps T3: the gates were checked at initiation.
        assert_eq!(
            flagged,
            Err(ChangeFlagError::PendingTransfer {
                ticket: id,
                group: gid(1),
                change
            })
        );
        let accepted = world.accept(gid(1), &bob());
        assert!(accepted.is_ok(), "{change}: {accepted:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// InitiateTransferError: one test per variant (`err_...`)

#[test]
fn err_initiate_transfer_empty_ticket_list() {
    let error = fresh_world()
        .initiate(&alice(), &bob(), &[], single(1))
        .unwrap_err();
    assert_eq!(error, InitiateTransferError::EmptyTicketList);
    assert_eq!(
        error.to_string(),
        "the transfer lists no ticket; choose at least one ticket to send"
    );
}

#[test]
fn err_initiate_transfer_duplicate_ticket() {
    assert_refused(
        fresh_world().initiate(&alice(), &bob(), &[T, T], single(1)),
        &InitiateTransferError::DuplicateTicket { ticket: T },
        &T,
    );
}

#[test]
fn err_initiate_transfer_ticket_not_found() {
    assert_refused(
        fresh_world().initiate(&alice(), &bob(), &[MISSING], single(1)),
        &InitiateTransferError::Input(InputError::TicketNotFound { ticket: MISSING }),
        &MISSING,
    );
}

#[test]
fn err_initiate_transfer_not_injected() {
    let mut world = fresh_world();
    world.put_ticket(issued(2));
    assert_refused(
        world.initiate(&alice(), &bob(), &[tid(2)], single(1)),
        &InitiateTransferError::NotInjected { ticket: tid(2) },
        &tid(2),
    );
}

#[test]
fn err_initiate_transfer_ticket_deleted() {
    let mut world = fresh_world();
    world.put_ticket(deleted(world.ticket(T)));
    assert_refused(
        world.initiate(&alice(), &bob(), &[T], single(1)),
        &InitiateTransferError::TicketDeleted {
            ticket: T,
            status: WalletStatus::Deleted,
        },
        &T,
    );
}

#[test]
fn err_initiate_transfer_already_pending_transfer() {
    let error = InitiateTransferError::AlreadyPendingTransfer {
        ticket: T,
        group: gid(1),
    };
    assert_refused(
        pending_world().initiate(&alice(), &carol(), &[T], single(2)),
        &error,
        &T,
    );
    assert!(error.to_string().contains(&gid(1).to_string()));
}

#[test]
fn err_initiate_transfer_not_current_owner() {
    assert_refused(
        fresh_world().initiate(&bob(), &carol(), &[T], single(1)),
        &InitiateTransferError::NotCurrentOwner {
            ticket: T,
            actor: bob(),
        },
        &T,
    );
}

#[test]
fn err_initiate_transfer_recipient_is_sender() {
    assert_refused(
        fresh_world().initiate(&alice(), &alice(), &[T], single(1)),
        &InitiateTransferError::RecipientIsSender {
            ticket: T,
            recipient: alice(),
        },
        &T,
    );
}

#[test]
fn err_initiate_transfer_usage_rule_not_found() {
    let mut world = fresh_world();
    world.rules.clear();
    let error = InitiateTransferError::Input(InputError::UsageRuleNotFound {
        ticket: T,
        rule: RULE,
    });
    assert_refused(
        world.initiate(&alice(), &bob(), &[T], single(1)),
        &error,
        &T,
    );
    assert!(error.to_string().contains(&RULE.to_string()));
}

#[test]
fn err_initiate_transfer_transfer_disabled() {
    let mut world = fresh_world();
    world.set_rule(rule(3).with_transfer(false));
    assert_refused(
        world.initiate(&alice(), &bob(), &[T], single(1)),
        &InitiateTransferError::TransferDisabled {
            ticket: T,
            rule: RULE,
        },
        &T,
    );
}

#[test]
fn err_initiate_transfer_activated_ticket() {
    let mut world = fresh_world();
    world.put_ticket(with_wallet(world.ticket(T), |w| {
        w.activated = Some(Activation {
            at: AT,
            method: ActivationMethod::Bt,
        });
    }));
    assert_refused(
        world.initiate(&alice(), &bob(), &[T], single(1)),
        &InitiateTransferError::ActivatedTicket {
            ticket: T,
            rule: RULE,
        },
        &T,
    );
}

#[test]
fn err_initiate_transfer_checked_ticket() {
    let mut world = fresh_world();
    world.put_ticket(with_wallet(world.ticket(T), |w| w.checked_at = Some(AT)));
    assert_refused(
        world.initiate(&alice(), &bob(), &[T], single(1)),
        &InitiateTransferError::CheckedTicket {
            ticket: T,
            rule: RULE,
        },
        &T,
    );
}

#[test]
fn err_initiate_transfer_controlled_ticket() {
    let mut world = fresh_world();
    world.put_ticket(with_wallet(world.ticket(T), |w| w.controlled_at = Some(AT)));
    assert_refused(
        world.initiate(&alice(), &bob(), &[T], single(1)),
        &InitiateTransferError::ControlledTicket {
            ticket: T,
            rule: RULE,
        },
        &T,
    );
}

#[test]
fn err_initiate_transfer_limit_reached() {
    let mut world = World::explicit(rule(1));
    world.inject(1, &alice());
    world.transfer(T, &alice(), &bob(), 1);
    assert_refused(
        world.initiate(&bob(), &carol(), &[T], single(2)),
        &InitiateTransferError::TransferLimitReached {
            ticket: T,
            level: 1,
            limit: 1,
        },
        &T,
    );
}

#[test]
fn err_initiate_transfer_same_group_id_for_both_directions() {
    let mut world = fresh_world();
    world.inject(2, &bob());
    world.transfer(tid(2), &bob(), &alice(), 1);
    assert_refused(
        world.initiate(&alice(), &bob(), &[T, tid(2)], single(5)),
        &InitiateTransferError::SameGroupIdForBothDirections { group: gid(5) },
        &gid(5),
    );
}

// ---------------------------------------------------------------------------------------------
// ReturnToSenderError: one test per variant (`err_...`)

fn return_to_sender(world: &World, actor: Email) -> Result<Decision, ReturnToSenderError> {
    let command = ReturnToSender {
        ticket: T,
        actor,
        group: gid(2),
        at: LATER,
    };
    transfer::return_to_sender(&world.tickets, &world.context(), &command)
}

#[test]
fn err_return_to_sender_no_previous_owner() {
    assert_refused(
        return_to_sender(&fresh_world(), alice()),
        &ReturnToSenderError::NoPreviousOwner { ticket: T },
        &T,
    );
}

#[test]
fn err_return_to_sender_initiate() {
    let mut world = World::explicit(rule(1));
    world.inject(1, &alice());
    world.transfer(T, &alice(), &bob(), 1);
    assert_refused(
        return_to_sender(&world, bob()),
        &ReturnToSenderError::Initiate(InitiateTransferError::TransferLimitReached {
            ticket: T,
            level: 1,
            limit: 1,
        }),
        &T,
    );
}

#[test]
fn x11_an_initiation_over_the_ticket_limit_is_refused_before_any_other_check() {
    use secure_ticket::AcceptanceSettings;
    use secure_ticket::transfer::{InitiateTransfer, MAX_TICKETS};
    // A million ids, none of which exists: refused for its size, without looking them up.
    let ids: Vec<TicketId> = (0..1_000_000u128).map(TicketId::from_u128).collect();
    let refused = transfer::initiate(
        &[],
        &transfer::Context::new(&[]).with_settings(AcceptanceSettings::explicit()),
        &InitiateTransfer {
            actor: alice(),
            recipient: bob(),
            tickets: ids,
            groups: NewGroupIds::single(gid(1)),
            at: AT,
        },
    );
    assert_eq!(
        refused,
        Err(InitiateTransferError::TooManyTickets {
            count: 1_000_000,
            max: MAX_TICKETS
        })
    );
    assert_eq!(refused.unwrap_err().code(), "TOO_MANY_TICKETS");
}

#[test]
fn x11_duplicates_among_the_allowed_tickets_are_found_in_order() {
    use secure_ticket::AcceptanceSettings;
    use secure_ticket::transfer::{InitiateTransfer, MAX_TICKETS};
    // The largest allowed list, its last id repeating an earlier one: the first id of the
    // command that appears twice is named.
    let mut ids: Vec<TicketId> = (1..u128::try_from(MAX_TICKETS).unwrap())
        .map(TicketId::from_u128)
        .collect();
    ids.push(TicketId::from_u128(42));
    assert_eq!(ids.len(), MAX_TICKETS);
    let refused = transfer::initiate(
        &[],
        &transfer::Context::new(&[]).with_settings(AcceptanceSettings::explicit()),
        &InitiateTransfer {
            actor: alice(),
            recipient: bob(),
            tickets: ids,
            groups: NewGroupIds::single(gid(1)),
            at: AT,
        },
    );
    assert_eq!(
        refused,
        Err(InitiateTransferError::DuplicateTicket {
            ticket: TicketId::from_u128(42)
        })
    );
}
