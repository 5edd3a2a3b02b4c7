//! T8-T9: completing a transfer, with the seed's worked examples.

use secure_ticket::transfer::{
    self, Acceptance, Direction, InitiateTransferError, NewGroupIds, ReturnToSender, TransferGroup,
    TransferStatus,
};
use secure_ticket::wallet::{self, DownloadTicket};
use secure_ticket::{
    Decision, Email, Event, Owners, Ticket, TicketId, TransferBackward, TransferGroupId,
    WalletStatus,
};

use crate::common::{
    AT, LATER, World, alice, bob, carol, closed, gid, new_group, rule, rule_with, with_wallet,
};

fn accepted(group: TransferGroupId) -> Event {
    Event::TransferAccepted {
        back_office: None,
        group,
        automatic: false,
        at: AT,
    }
}

fn moved(
    ticket: TicketId,
    group: TransferGroupId,
    direction: Direction,
    from: &Email,
    to: &Email,
    levels: (u16, u16),
) -> Event {
    Event::TicketTransferred {
        back_office: None,
        ticket,
        group,
        direction,
        from: from.clone(),
        to: to.clone(),
        level_before: levels.0,
        level_after: levels.1,
        at: AT,
    }
}

#[test]
fn t8_seed_forward_0_to_1_with_limit_3() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    let injected = world.ticket(id).clone();
    assert_eq!(
        (world.wallet(id).level, world.rules[0].max_transfers.get()),
        (0, 3)
    );

    // Level 0 is below limit 3: a unique group, sender = current owner, recipient = future owner, FORWARD.
    let sent = world.sent(&alice(), &bob(), &[id], 1);
    let group = new_group(
        gid(1),
        &alice(),
        &bob(),
        Direction::Forward,
        &[id],
        Acceptance::Explicit,
    );
    assert_eq!(sent.groups, vec![group.clone()]);

    // Bob accepts: current Bob, previous Alice, initial unchanged, level 1.
    let done = world.accept(gid(1), &bob()).unwrap();
    let expected = with_wallet(&injected, |w| {
        w.owners = Owners {
            initial: alice(),
            previous: Some(alice()),
            current: bob(),
        };
        w.level = 1;
        w.level_before_last_forward = 0;
        w.forward_transfers = 1;
        w.backward_transfers = 0;
    });
    assert_eq!(
        done,
        Decision {
            created: Vec::new().into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![expected].into(),
            groups: vec![closed(&group, TransferStatus::Accepted, AT)].into(),
            events: vec![
                accepted(gid(1)),
                moved(id, gid(1), Direction::Forward, &alice(), &bob(), (0, 1))
            ]
            .into(),
        }
    );
}

/// The seed's backward example: Alice sent the ticket to Bob (level 1, limit 3); Bob returns it with
/// "return to sender" and Alice accepts. Returns Bob's ticket before the return, the BACKWARD group
/// and Alice's acceptance.
fn seed_backward(backward: TransferBackward) -> (Ticket, TransferGroup, Decision) {
    let mut world = World::explicit(rule_with(3, backward));
    let id = world.inject(1, &alice());
    world.transfer(id, &alice(), &bob(), 1);
    let with_bob = world.ticket(id).clone();
    assert_eq!(world.wallet(id).level, 1);

    // Level 1 is below limit 3: the return can be initiated.
    let command = ReturnToSender {
        ticket: id,
        actor: bob(),
        group: gid(2),
        at: AT,
    };
    let sent = transfer::return_to_sender(&world.tickets, &world.context(), &command).unwrap();
    world.apply(&sent);
    let group = world.group(gid(2)).clone();
    assert_eq!(
        group,
        new_group(
            gid(2),
            &bob(),
            &alice(),
            Direction::Backward,
            &[id],
            Acceptance::Automatic
        )
    );

    let done = world.accept(gid(2), &alice()).unwrap();
    (with_bob, group, done)
}

/// What Alice's acceptance of the seed's return must decide, for a level after of `level`.
fn seed_backward_outcome(with_bob: &Ticket, group: &TransferGroup, level: u16) -> Decision {
    let id = with_bob.id;
    Decision {
        created: Vec::new().into(),
        spectators: Vec::new().into(),
        relies_on: Vec::new().into(),
        tickets: vec![with_wallet(with_bob, |w| {
            w.owners = Owners {
                initial: alice(),
                previous: Some(bob()),
                current: alice(),
            };
            w.level = level;
            w.level_before_last_forward = 0;
            w.forward_transfers = 1;
            w.backward_transfers = 1;
        })]
        .into(),
        groups: vec![closed(group, TransferStatus::Accepted, AT)].into(),
        events: vec![
            accepted(gid(2)),
            moved(
                id,
                gid(2),
                Direction::Backward,
                &bob(),
                &alice(),
                (1, level),
            ),
        ]
        .into(),
    }
}

#[test]
fn t8_seed_backward_neutral_1_to_1() {
    let (with_bob, group, done) = seed_backward(TransferBackward::Neutral);
    assert_eq!(done, seed_backward_outcome(&with_bob, &group, 1));
}

#[test]
fn t8_seed_backward_decrease_1_to_0() {
    let (with_bob, group, done) = seed_backward(TransferBackward::Decrease);
    assert_eq!(done, seed_backward_outcome(&with_bob, &group, 0));
}

#[test]
fn t8_seed_backward_increase_1_to_2() {
    let (with_bob, group, done) = seed_backward(TransferBackward::Increase);
    assert_eq!(done, seed_backward_outcome(&with_bob, &group, 2));
}

#[test]
fn t8_backward_decrease_restores_level_before_the_last_forward() {
    let mut world = World::explicit(rule_with(3, TransferBackward::Decrease));
    let id = world.inject(1, &alice());
    world.transfer(id, &alice(), &bob(), 1);
    world.transfer(id, &bob(), &carol(), 2);
    assert_eq!(
        (
            world.wallet(id).level,
            world.wallet(id).level_before_last_forward
        ),
        (2, 1)
    );

    let done = world.transferred(id, &carol(), &bob(), 3);
    assert_eq!(
        done.events[1],
        moved(id, gid(3), Direction::Backward, &carol(), &bob(), (2, 1))
    );
    let wallet = world.wallet(id);
    assert_eq!(
        (
            &wallet.owners,
            wallet.level,
            wallet.forward_transfers,
            wallet.backward_transfers
        ),
        (
            &Owners {
                initial: alice(),
                previous: Some(carol()),
                current: bob()
            },
            1,
            2,
            1
        )
    );
}

#[test]
fn t8_the_rule_in_force_at_completion_decides() {
    let mut world = World::explicit(rule_with(3, TransferBackward::Neutral));
    let id = world.inject(1, &alice());
    world.transfer(id, &alice(), &bob(), 1);
    world.send(&bob(), &alice(), &[id], 2);

    // The organizer switches the rule to DECREASE while the return is pending.
    world.set_rule(rule_with(3, TransferBackward::Decrease));
    let done = world.accepted(2, &alice());

    assert_eq!(
        done.events[1],
        moved(id, gid(2), Direction::Backward, &bob(), &alice(), (1, 0))
    );
    assert_eq!(world.wallet(id).level, 0);
}

#[test]
fn t8_received_ticket_is_not_downloaded_until_the_recipients_device_loads_it() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    let downloaded = wallet::download(
        world.ticket(id),
        &DownloadTicket {
            ticket: id,
            actor: alice(),
            at: AT,
        },
    )
    .unwrap();
    world.apply(&downloaded);
    assert_eq!(
        world.ticket(id).wallet_status(),
        Some(WalletStatus::Downloaded)
    );

    world.transfer(id, &alice(), &bob(), 1);
    assert_eq!(world.wallet(id).downloaded_at, None);
    assert_eq!(
        world.ticket(id).wallet_status(),
        Some(WalletStatus::NotDownloaded)
    );

    let loaded = wallet::download(
        world.ticket(id),
        &DownloadTicket {
            ticket: id,
            actor: bob(),
            at: LATER,
        },
    )
    .unwrap();
    assert_eq!(
        loaded.tickets[0].wallet.as_ref().unwrap().downloaded_at,
        Some(LATER)
    );
}

#[test]
fn t8_every_ticket_of_the_group_changes_hands() {
    let mut world = World::explicit(rule(3));
    let first = world.inject(1, &alice());
    let second = world.inject(2, &alice());
    let before = world.tickets.clone();
    world.send(&alice(), &bob(), &[first, second], 1);

    let done = world.accepted(1, &bob());

    let with_bob = |t: &Ticket| {
        with_wallet(t, |w| {
            w.owners = Owners {
                initial: alice(),
                previous: Some(alice()),
                current: bob(),
            };
            w.level = 1;
            w.forward_transfers = 1;
        })
    };
    assert_eq!(
        done.tickets,
        vec![with_bob(&before[0]), with_bob(&before[1])]
    );
    assert_eq!(
        done.events,
        vec![
            accepted(gid(1)),
            moved(first, gid(1), Direction::Forward, &alice(), &bob(), (0, 1)),
            moved(second, gid(1), Direction::Forward, &alice(), &bob(), (0, 1)),
        ]
    );
}

#[test]
fn t9_second_decrease_return_in_a_row_changes_nothing_more() {
    // Alice -> Bob -> Carol (level 2), Carol returns to Bob (DECREASE: 1), Bob sends it back to Carol,
    // who is now its previous owner: a second return in a row, the level stays 1.
    let mut world = World::explicit(rule_with(3, TransferBackward::Decrease));
    let id = world.inject(1, &alice());
    world.transfer(id, &alice(), &bob(), 1);
    world.transfer(id, &bob(), &carol(), 2);
    world.transfer(id, &carol(), &bob(), 3);
    assert_eq!(world.wallet(id).level, 1);

    let again = world.transferred(id, &bob(), &carol(), 4);

    assert_eq!(
        again.events[1],
        moved(id, gid(4), Direction::Backward, &bob(), &carol(), (1, 1))
    );
    let wallet = world.wallet(id);
    assert_eq!(
        (
            wallet.level,
            wallet.forward_transfers,
            wallet.backward_transfers
        ),
        (1, 2, 2)
    );
}

#[test]
fn t9_two_people_may_pass_a_ticket_back_and_forth_under_neutral_or_decrease() {
    for (backward, level) in [
        (TransferBackward::Neutral, 1),
        (TransferBackward::Decrease, 0),
    ] {
        let mut world = World::explicit(rule_with(2, backward));
        let id = world.inject(1, &alice());
        world.transfer(id, &alice(), &bob(), 1);
        let people = [bob(), alice()];
        for n in 2..12_u128 {
            let from = &people[usize::from(n % 2 == 1)];
            let to = &people[usize::from(n % 2 == 0)];
            let done = world.transferred(id, from, to, n);
            assert_eq!(
                done.groups[0].direction,
                Direction::Backward,
                "{backward} pass {n}"
            );
        }
        let wallet = world.wallet(id);
        assert_eq!(
            (
                wallet.level,
                wallet.forward_transfers,
                wallet.backward_transfers
            ),
            (level, 1, 10),
            "{backward}"
        );
    }
}

#[test]
fn t9_level_saturates_at_256() {
    // Under INCREASE every pass counts: 256 passes reach the cap, the 257th is refused (T2).
    let mut world = World::explicit(rule_with(256, TransferBackward::Increase));
    let id = world.inject(1, &alice());
    let people = [alice(), bob()];
    for n in 0..256_u128 {
        let from = &people[usize::from(n % 2 == 1)];
        let to = &people[usize::from(n % 2 == 0)];
        world.transfer(id, from, to, n + 1);
    }
    assert_eq!(world.wallet(id).level, 256);
    assert_eq!(
        world.initiate(&alice(), &bob(), &[id], NewGroupIds::single(gid(1000))),
        Err(InitiateTransferError::TransferLimitReached {
            ticket: id,
            level: 256,
            limit: 256
        })
    );

    // A pending ticket already at 256 (say, a record edited by hand) stays at 256 whichever way it moves.
    for direction in [Direction::Forward, Direction::Backward] {
        let mut at_cap = World::explicit(rule_with(256, TransferBackward::Increase));
        let id = at_cap.inject(1, &alice());
        at_cap.transfer(id, &alice(), &bob(), 1);
        let to = if direction == Direction::Backward {
            alice()
        } else {
            carol()
        };
        at_cap.send(&bob(), &to, &[id], 2);
        let hand_edited = with_wallet(at_cap.ticket(id), |w| w.level = 256);
        at_cap.put_ticket(hand_edited);

        let done = at_cap.accepted(2, &to);

        assert_eq!(
            done.events[1],
            moved(id, gid(2), direction, &bob(), &to, (256, 256)),
            "{direction}"
        );
    }
}
