//! T10, T12, T13: what happens to a PENDING group besides its completion.

use secure_ticket::store::RecordKey;
use secure_ticket::transfer::{
    self, AcceptTransfer, AcceptTransferError, Acceptance, CancelTransfer, CancelTransferError,
    DeclineTransfer, DeclineTransferError, Direction, EditRecipient, EditRecipientError,
    ExpireTransfer, ExpireTransferError, InitiateTransferError, NewGroupIds, TransferGroup,
    TransferStatus,
};
use secure_ticket::wallet::{self, DownloadTicket};
use secure_ticket::{Decision, Email, Event, InputError, Ticket, WalletStatus};

use crate::common::{
    AT, DEADLINE, LATER, T, World, alice, assert_refused, bob, carol, closed, deletion_pending,
    gid, group_1, new_group, not_in_group, pending_in, pending_world, rule, single,
};

fn edit(
    world: &World,
    group: u128,
    actor: &Email,
    recipient: &Email,
    new: u128,
) -> Result<Decision, EditRecipientError> {
    let command = EditRecipient {
        group: gid(group),
        actor: actor.clone(),
        recipient: recipient.clone(),
        new_groups: NewGroupIds::single(gid(new)),
        at: LATER,
    };
    transfer::edit_recipient(
        world.group(gid(group)),
        &world.tickets,
        &transfer::Context::new(&world.rules).with_settings(world.settings),
        &command,
    )
}

/// The group an edit at [`LATER`] creates in place of `replaced`.
fn replacement(
    id: u128,
    replaced: u128,
    sender: &Email,
    recipient: &Email,
    direction: Direction,
    tickets: &[secure_ticket::TicketId],
    acceptance: Acceptance,
) -> TransferGroup {
    let mut group = new_group(gid(id), sender, recipient, direction, tickets, acceptance);
    group.created_at = LATER;
    group.replaces = Some(gid(replaced));
    group
}

#[test]
fn t10_decline_returns_the_tickets_to_the_sender_as_before() {
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
    let before = world.ticket(id).clone();
    world.send(&alice(), &bob(), &[id], 1);
    let group = world.group(gid(1)).clone();

    let declined = transfer::decline(
        &group,
        &world.tickets,
        &DeclineTransfer {
            group: gid(1),
            actor: bob(),
            at: LATER,
        },
    )
    .unwrap();

    assert_eq!(
        declined,
        Decision {
            created: Vec::new().into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![before.clone()].into(),
            groups: vec![closed(&group, TransferStatus::Declined, LATER)].into(),
            events: vec![Event::TransferDeclined {
                group: gid(1),
                sender: group.sender.clone(),
                recipient: group.recipient.clone(),
                tickets: vec![id].into(),
                at: LATER
            }]
            .into(),
        }
    );
    assert_eq!(
        declined.tickets[0].wallet_status(),
        Some(WalletStatus::Downloaded)
    );
}

#[test]
fn t10_cancel_returns_the_tickets_to_the_sender_as_before() {
    let mut world = World::explicit(rule(3));
    let first = world.inject(1, &alice());
    let second = world.inject(2, &alice());
    world.transfer(second, &alice(), &bob(), 1);
    world.transfer(second, &bob(), &alice(), 2);
    let before = world.tickets.clone();
    world.send(&alice(), &carol(), &[first, second], 3);
    let group = world.group(gid(3)).clone();

    let cancelled = transfer::cancel(
        &group,
        &world.tickets,
        &CancelTransfer {
            group: gid(3),
            actor: alice(),
            at: LATER,
        },
    )
    .unwrap();

    assert_eq!(
        cancelled,
        Decision {
            created: Vec::new().into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: before.into(),
            groups: vec![closed(&group, TransferStatus::Cancelled, LATER)].into(),
            events: vec![Event::TransferCancelled {
                cancelled_by: None,
                back_office: None,
                group: gid(3),
                sender: group.sender.clone(),
                recipient: group.recipient.clone(),
                tickets: vec![first, second].into(),
                at: LATER
            }]
            .into(),
        }
    );
}

#[test]
fn t12_edit_recipient_cancels_the_group_and_creates_a_new_one() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    let before = world.ticket(id).clone();
    world.send(&alice(), &bob(), &[id], 1);
    let old = world.group(gid(1)).clone();

    let edited = edit(&world, 1, &alice(), &carol(), 2).unwrap();

    assert_eq!(
        edited,
        Decision {
            created: vec![RecordKey::TransferGroup(gid(2))].into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![pending_in(&before, gid(2))].into(),
            groups: vec![
                closed(&old, TransferStatus::Cancelled, LATER),
                replacement(
                    2,
                    1,
                    &alice(),
                    &carol(),
                    Direction::Forward,
                    &[id],
                    Acceptance::Explicit
                ),
            ]
            .into(),
            events: vec![
                Event::TransferCancelled {
                    cancelled_by: None,
                    back_office: None,
                    group: gid(1),
                    sender: old.sender.clone(),
                    recipient: old.recipient.clone(),
                    tickets: vec![id].into(),
                    at: LATER
                },
                Event::TransferInitiated {
                    back_office: None,
                    group: gid(2),
                    direction: Direction::Forward,
                    sender: alice(),
                    recipient: carol(),
                    tickets: vec![id].into(),
                    at: LATER,
                },
            ]
            .into(),
        }
    );
}

#[test]
fn t12_editing_to_the_previous_owner_gives_backward_and_back_again_forward() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    world.transfer(id, &alice(), &bob(), 1);
    let with_bob = world.ticket(id).clone();
    world.send(&bob(), &carol(), &[id], 2);
    assert_eq!(world.group(gid(2)).direction, Direction::Forward);

    let to_alice = edit(&world, 2, &bob(), &alice(), 3).unwrap();
    assert_eq!(to_alice.tickets, vec![pending_in(&with_bob, gid(3))]);
    assert_eq!(
        to_alice.groups[1],
        replacement(
            3,
            2,
            &bob(),
            &alice(),
            Direction::Backward,
            &[id],
            Acceptance::Automatic
        )
    );
    world.apply(&to_alice);

    let to_carol = edit(&world, 3, &bob(), &carol(), 4).unwrap();
    assert_eq!(
        to_carol.groups[1],
        replacement(
            4,
            3,
            &bob(),
            &carol(),
            Direction::Forward,
            &[id],
            Acceptance::Explicit
        )
    );
    assert_eq!(to_carol.groups[0].status, TransferStatus::Cancelled);
}

#[test]
fn t12_edit_splits_the_tickets_afresh_when_their_directions_differ() {
    let mut world = World::explicit(rule(3));
    let never_moved = world.inject(1, &alice());
    let from_bob = world.inject(2, &bob());
    world.transfer(from_bob, &bob(), &alice(), 1);
    let before = world.tickets.clone();
    // Both go FORWARD to Carol; edited to Bob, the ticket he sent goes BACKWARD.
    world.send(&alice(), &carol(), &[never_moved, from_bob], 2);
    let old = world.group(gid(2)).clone();

    let command = EditRecipient {
        group: gid(2),
        actor: alice(),
        recipient: bob(),
        new_groups: NewGroupIds::new(gid(3), gid(4)),
        at: LATER,
    };
    let edited = transfer::edit_recipient(
        &old,
        &world.tickets,
        &transfer::Context::new(&world.rules).with_settings(world.settings),
        &command,
    )
    .unwrap();

    assert_eq!(
        edited.groups,
        vec![
            closed(&old, TransferStatus::Cancelled, LATER),
            replacement(
                3,
                2,
                &alice(),
                &bob(),
                Direction::Forward,
                &[never_moved],
                Acceptance::Explicit
            ),
            replacement(
                4,
                2,
                &alice(),
                &bob(),
                Direction::Backward,
                &[from_bob],
                Acceptance::Automatic
            ),
        ]
    );
    assert_eq!(
        edited.tickets,
        vec![
            pending_in(&before[0], gid(3)),
            pending_in(&before[1], gid(4))
        ]
    );
    assert_eq!(
        edited.events[0],
        Event::TransferCancelled {
            cancelled_by: None,
            back_office: None,
            group: gid(2),
            sender: old.sender.clone(),
            recipient: old.recipient.clone(),
            tickets: vec![never_moved, from_bob].into(),
            at: LATER
        }
    );
    assert_eq!(edited.events.len(), 3);

    // With one id for the two directions, the edit is refused as a whole (T7).
    let command = EditRecipient {
        new_groups: NewGroupIds::single(gid(3)),
        ..command
    };
    assert_eq!(
        transfer::edit_recipient(
            &old,
            &world.tickets,
            &transfer::Context::new(&world.rules).with_settings(world.settings),
            &command
        ),
        Err(EditRecipientError::Initiate(
            InitiateTransferError::SameGroupIdForBothDirections { group: gid(3) }
        ))
    );
}

#[test]
fn t13_only_a_pending_group_can_be_accepted_declined_cancelled_expired_or_edited() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    world.send(&alice(), &bob(), &[id], 1);
    let pending = world.group(gid(1)).clone();

    for (status, group) in [
        (
            TransferStatus::Accepted,
            closed(&pending, TransferStatus::Accepted, AT),
        ),
        (
            TransferStatus::Declined,
            closed(&pending, TransferStatus::Declined, AT),
        ),
        (
            TransferStatus::Cancelled,
            closed(&pending, TransferStatus::Cancelled, AT),
        ),
        (
            TransferStatus::Expired,
            closed(&pending, TransferStatus::Expired, AT),
        ),
    ] {
        let g = gid(1);
        let tickets = &world.tickets;
        assert_eq!(
            transfer::accept(
                &group,
                tickets,
                &world.rules,
                &AcceptTransfer {
                    group: g,
                    actor: bob(),
                    at: LATER
                }
            ),
            Err(AcceptTransferError::NotPending { group: g, status })
        );
        assert_eq!(
            transfer::decline(
                &group,
                tickets,
                &DeclineTransfer {
                    group: g,
                    actor: bob(),
                    at: LATER
                }
            ),
            Err(DeclineTransferError::NotPending { group: g, status })
        );
        assert_eq!(
            transfer::cancel(
                &group,
                tickets,
                &CancelTransfer {
                    group: g,
                    actor: alice(),
                    at: LATER
                }
            ),
            Err(CancelTransferError::NotPending { group: g, status })
        );
        assert_eq!(
            transfer::expire(
                &group,
                tickets,
                &ExpireTransfer {
                    group: g,
                    at: LATER
                }
            ),
            Err(ExpireTransferError::NotPending { group: g, status })
        );
        let command = EditRecipient {
            group: g,
            actor: alice(),
            recipient: carol(),
            new_groups: NewGroupIds::single(gid(2)),
            at: LATER,
        };
        assert_eq!(
            transfer::edit_recipient(&group, tickets, &world.context(), &command),
            Err(EditRecipientError::NotPending { group: g, status })
        );
    }
}

#[test]
fn t13_the_whole_group_moves_together_no_partial_acceptance() {
    let mut world = World::explicit(rule(3));
    let first = world.inject(1, &alice());
    let second = world.inject(2, &alice());
    world.send(&alice(), &bob(), &[first, second], 1);
    let group = world.group(gid(1)).clone();
    let command = AcceptTransfer {
        group: gid(1),
        actor: bob(),
        at: LATER,
    };

    // One ticket of the group cannot change hands: the whole acceptance is refused.
    let gone = deletion_pending(world.ticket(second));
    let tickets = vec![world.ticket(first).clone(), gone];
    assert_eq!(
        transfer::accept(&group, &tickets, &world.rules, &command),
        Err(AcceptTransferError::TicketDeleted {
            ticket: second,
            status: WalletStatus::DeletionPending
        })
    );
    let only_first = vec![world.ticket(first).clone()];
    assert_eq!(
        transfer::accept(&group, &only_first, &world.rules, &command),
        Err(AcceptTransferError::Input(InputError::TicketNotFound {
            ticket: second
        }))
    );

    // With both, both move, in one decision.
    let done = transfer::accept(&group, &world.tickets, &world.rules, &command).unwrap();
    assert_eq!(
        done.tickets.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![first, second]
    );
    assert!(
        done.tickets
            .iter()
            .all(|t| t.wallet.as_ref().unwrap().owners.current == bob())
    );
    assert_eq!(
        done.groups,
        vec![closed(&group, TransferStatus::Accepted, LATER)]
    );
}

// ---------------------------------------------------------------------------------------------
// DeclineTransferError: one test per variant (`err_...`)

fn decline(
    group: &TransferGroup,
    tickets: &[Ticket],
    actor: Email,
) -> Result<Decision, DeclineTransferError> {
    transfer::decline(
        group,
        tickets,
        &DeclineTransfer {
            group: gid(1),
            actor,
            at: LATER,
        },
    )
}

#[test]
fn err_decline_transfer_group_not_found() {
    let world = pending_world();
    let command = DeclineTransfer {
        group: gid(9),
        actor: bob(),
        at: LATER,
    };
    assert_refused(
        transfer::decline(&group_1(&world), &world.tickets, &command),
        &DeclineTransferError::Input(InputError::GroupNotFound { group: gid(9) }),
        &gid(9),
    );
}

#[test]
fn err_decline_transfer_not_pending() {
    let world = pending_world();
    let accepted = closed(&group_1(&world), TransferStatus::Accepted, AT);
    assert_refused(
        decline(&accepted, &world.tickets, bob()),
        &DeclineTransferError::NotPending {
            group: gid(1),
            status: TransferStatus::Accepted,
        },
        &gid(1),
    );
}

#[test]
fn err_decline_transfer_not_recipient() {
    let world = pending_world();
    assert_refused(
        decline(&group_1(&world), &world.tickets, alice()),
        &DeclineTransferError::NotRecipient {
            group: gid(1),
            actor: alice(),
        },
        &gid(1),
    );
}

#[test]
fn err_decline_transfer_ticket_not_found() {
    let world = pending_world();
    assert_refused(
        decline(&group_1(&world), &[], bob()),
        &DeclineTransferError::Input(InputError::TicketNotFound { ticket: T }),
        &T,
    );
}

#[test]
fn err_decline_transfer_ticket_not_in_group() {
    let world = pending_world();
    assert_refused(
        decline(&group_1(&world), &not_in_group(), bob()),
        &DeclineTransferError::Input(InputError::TicketNotInGroup {
            ticket: T,
            group: gid(1),
        }),
        &T,
    );
}

// ---------------------------------------------------------------------------------------------
// CancelTransferError: one test per variant (`err_...`)

fn cancel(
    group: &TransferGroup,
    tickets: &[Ticket],
    actor: Email,
) -> Result<Decision, CancelTransferError> {
    transfer::cancel(
        group,
        tickets,
        &CancelTransfer {
            group: gid(1),
            actor,
            at: LATER,
        },
    )
}

#[test]
fn err_cancel_transfer_group_not_found() {
    let world = pending_world();
    let command = CancelTransfer {
        group: gid(9),
        actor: alice(),
        at: LATER,
    };
    assert_refused(
        transfer::cancel(&group_1(&world), &world.tickets, &command),
        &CancelTransferError::Input(InputError::GroupNotFound { group: gid(9) }),
        &gid(9),
    );
}

#[test]
fn err_cancel_transfer_not_pending() {
    let world = pending_world();
    let expired = closed(&group_1(&world), TransferStatus::Expired, DEADLINE);
    assert_refused(
        cancel(&expired, &world.tickets, alice()),
        &CancelTransferError::NotPending {
            group: gid(1),
            status: TransferStatus::Expired,
        },
        &gid(1),
    );
}

#[test]
fn err_cancel_transfer_not_sender() {
    let world = pending_world();
    assert_refused(
        cancel(&group_1(&world), &world.tickets, bob()),
        &CancelTransferError::NotSender {
            group: gid(1),
            actor: bob(),
        },
        &gid(1),
    );
}

#[test]
fn err_cancel_transfer_ticket_not_found() {
    let world = pending_world();
    assert_refused(
        cancel(&group_1(&world), &[], alice()),
        &CancelTransferError::Input(InputError::TicketNotFound { ticket: T }),
        &T,
    );
}

#[test]
fn err_cancel_transfer_ticket_not_in_group() {
    let world = pending_world();
    assert_refused(
        cancel(&group_1(&world), &not_in_group(), alice()),
        &CancelTransferError::Input(InputError::TicketNotInGroup {
            ticket: T,
            group: gid(1),
        }),
        &T,
    );
}

// ---------------------------------------------------------------------------------------------
// EditRecipientError: one test per variant (`err_...`)

fn edit_command(group: u128, actor: Email, recipient: Email, new: u128) -> EditRecipient {
    EditRecipient {
        group: gid(group),
        actor,
        recipient,
        new_groups: single(new),
        at: LATER,
    }
}

fn edit_with(
    group: &TransferGroup,
    tickets: &[Ticket],
    world: &World,
    command: &EditRecipient,
) -> Result<Decision, EditRecipientError> {
    transfer::edit_recipient(group, tickets, &world.context(), command)
}

#[test]
fn err_edit_recipient_group_not_found() {
    let world = pending_world();
    assert_refused(
        edit_with(
            &group_1(&world),
            &world.tickets,
            &world,
            &edit_command(9, alice(), carol(), 2),
        ),
        &EditRecipientError::Input(InputError::GroupNotFound { group: gid(9) }),
        &gid(9),
    );
}

#[test]
fn err_edit_recipient_not_pending() {
    let world = pending_world();
    let accepted = closed(&group_1(&world), TransferStatus::Accepted, AT);
    assert_refused(
        edit_with(
            &accepted,
            &world.tickets,
            &world,
            &edit_command(1, alice(), carol(), 2),
        ),
        &EditRecipientError::NotPending {
            group: gid(1),
            status: TransferStatus::Accepted,
        },
        &gid(1),
    );
}

#[test]
fn err_edit_recipient_not_sender() {
    let world = pending_world();
    assert_refused(
        edit_with(
            &group_1(&world),
            &world.tickets,
            &world,
            &edit_command(1, bob(), carol(), 2),
        ),
        &EditRecipientError::NotSender {
            group: gid(1),
            actor: bob(),
        },
        &gid(1),
    );
}

#[test]
fn err_edit_recipient_same_recipient() {
    let world = pending_world();
    assert_refused(
        edit_with(
            &group_1(&world),
            &world.tickets,
            &world,
            &edit_command(1, alice(), bob(), 2),
        ),
        &EditRecipientError::SameRecipient {
            group: gid(1),
            recipient: bob(),
        },
        &gid(1),
    );
}

#[test]
fn err_edit_recipient_group_id_reused() {
    let world = pending_world();
    assert_refused(
        edit_with(
            &group_1(&world),
            &world.tickets,
            &world,
            &edit_command(1, alice(), carol(), 1),
        ),
        &EditRecipientError::GroupIdReused { group: gid(1) },
        &gid(1),
    );
    let mut command = edit_command(1, alice(), carol(), 2);
    command.new_groups = NewGroupIds::new(gid(2), gid(1));
    assert_refused(
        edit_with(&group_1(&world), &world.tickets, &world, &command),
        &EditRecipientError::GroupIdReused { group: gid(1) },
        &gid(1),
    );
}

#[test]
fn err_edit_recipient_ticket_not_found() {
    let world = pending_world();
    assert_refused(
        edit_with(
            &group_1(&world),
            &[],
            &world,
            &edit_command(1, alice(), carol(), 2),
        ),
        &EditRecipientError::Input(InputError::TicketNotFound { ticket: T }),
        &T,
    );
}

#[test]
fn err_edit_recipient_ticket_not_in_group() {
    let world = pending_world();
    assert_refused(
        edit_with(
            &group_1(&world),
            &not_in_group(),
            &world,
            &edit_command(1, alice(), carol(), 2),
        ),
        &EditRecipientError::Input(InputError::TicketNotInGroup {
            ticket: T,
            group: gid(1),
        }),
        &T,
    );
}

#[test]
fn err_edit_recipient_initiate() {
    let world = pending_world();
    // Editing the recipient to the sender: the new initiation is refused (T4).
    assert_refused(
        edit_with(
            &group_1(&world),
            &world.tickets,
            &world,
            &edit_command(1, alice(), alice(), 2),
        ),
        &EditRecipientError::Initiate(InitiateTransferError::RecipientIsSender {
            ticket: T,
            recipient: alice(),
        }),
        &T,
    );
}
