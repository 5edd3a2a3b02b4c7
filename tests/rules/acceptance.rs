//! A1-A4: how groups complete, who may act on them, and expiry.

use secure_ticket::transfer::{
    self, AcceptTransfer, AcceptTransferError, Acceptance, CancelTransfer, CancelTransferError,
    DeclineTransfer, DeclineTransferError, Direction, EditRecipient, EditRecipientError,
    ExpireTransfer, ExpireTransferError, NewGroupIds, ReturnToSender, SignIn, SignInError,
    TransferGroup, TransferStatus,
};
use secure_ticket::{
    AcceptanceSettings, Decision, Email, Event, InputError, Owners, Ticket, WalletStatus,
};
use time::Duration;
use time::macros::datetime;

use crate::common::{
    AT, DEADLINE, LATER, RULE, T, World, alice, assert_refused, automatic_world, bob, carol,
    closed, deleted, deletion_pending, fresh_world, gid, group_1, new_group, not_in_group,
    pending_world, rule, with_wallet,
};

#[test]
fn a1_explicit_acceptance_on_sign_in_does_not_complete_a_forward_group() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    world.send(&alice(), &bob(), &[id], 1);
    assert_eq!(world.group(gid(1)).acceptance, Acceptance::Explicit);

    assert_eq!(world.sign_in(&bob(), LATER), Decision::default());
    assert_eq!(world.group(gid(1)).status, TransferStatus::Pending);
    assert_eq!(
        world.ticket(id).wallet_status(),
        Some(WalletStatus::PendingTransfer)
    );

    // Bob must accept it himself.
    let done = world.accepted(1, &bob());
    assert_eq!(
        done.events[0],
        Event::TransferAccepted {
            back_office: None,
            group: gid(1),
            automatic: false,
            at: AT
        }
    );
}

#[test]
fn a1_explicit_acceptance_off_sign_in_completes_the_forward_group() {
    let mut world = World::automatic(rule(3));
    let id = world.inject(1, &alice());
    let before = world.ticket(id).clone();
    world.send(&alice(), &bob(), &[id], 1);
    let group = world.group(gid(1)).clone();
    assert_eq!(
        group,
        new_group(
            gid(1),
            &alice(),
            &bob(),
            Direction::Forward,
            &[id],
            Acceptance::Automatic
        )
    );

    // Until the recipient signs in, the group stays PENDING.
    assert_eq!(world.sign_in(&alice(), LATER), Decision::default());
    assert_eq!(world.sign_in(&carol(), LATER), Decision::default());
    assert_eq!(world.group(gid(1)).status, TransferStatus::Pending);

    let done = world.sign_in(&bob(), LATER);

    assert_eq!(
        done,
        Decision {
            created: Vec::new().into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![with_wallet(&before, |w| {
                w.owners = Owners {
                    initial: alice(),
                    previous: Some(alice()),
                    current: bob(),
                };
                w.level = 1;
                w.forward_transfers = 1;
            })]
            .into(),
            groups: vec![closed(&group, TransferStatus::Accepted, LATER)].into(),
            events: vec![
                Event::TransferAccepted {
                    back_office: None,
                    group: gid(1),
                    automatic: true,
                    at: LATER
                },
                Event::TicketTransferred {
                    back_office: None,
                    ticket: id,
                    group: gid(1),
                    direction: Direction::Forward,
                    from: alice(),
                    to: bob(),
                    level_before: 0,
                    level_after: 1,
                    at: LATER,
                },
            ]
            .into(),
        }
    );
    // A second sign-in finds nothing left to do.
    assert_eq!(world.sign_in(&bob(), LATER), Decision::default());
}

#[test]
fn a2_backward_group_completes_at_sign_in_even_with_explicit_acceptance_on() {
    let mut world = World::explicit(rule(3));
    // Alice has two incoming groups: a FORWARD one from Bob, and a ticket Bob returns to her.
    let forward = world.inject(1, &bob());
    let returned = world.inject(2, &alice());
    world.transfer(returned, &alice(), &bob(), 1);
    world.send(&bob(), &alice(), &[forward], 2);
    let back = transfer::return_to_sender(
        &world.tickets,
        &transfer::Context::new(&world.rules).with_settings(world.settings),
        &ReturnToSender {
            ticket: returned,
            actor: bob(),
            group: gid(3),
            at: AT,
        },
    )
    .unwrap();
    world.apply(&back);
    assert_eq!(world.group(gid(3)).acceptance, Acceptance::Automatic);

    let done = world.sign_in(&alice(), LATER);

    assert_eq!(
        done.groups,
        vec![closed(&back.groups[0], TransferStatus::Accepted, LATER)]
    );
    assert_eq!(
        done.events,
        vec![
            Event::TransferAccepted {
                back_office: None,
                group: gid(3),
                automatic: true,
                at: LATER
            },
            Event::TicketTransferred {
                back_office: None,
                ticket: returned,
                group: gid(3),
                direction: Direction::Backward,
                from: bob(),
                to: alice(),
                level_before: 1,
                level_after: 1,
                at: LATER,
            },
        ]
    );
    assert_eq!(world.wallet(returned).owners.current, alice());
    assert_eq!(world.group(gid(2)).status, TransferStatus::Pending);
    assert_eq!(world.wallet(forward).owners.current, bob());
}

#[test]
fn a3_only_the_recipient_accepts_or_declines_only_the_sender_cancels_or_edits() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    world.send(&alice(), &bob(), &[id], 1);
    let group = world.group(gid(1)).clone();
    let g = gid(1);

    for not_recipient in [alice(), carol()] {
        let accept = AcceptTransfer {
            group: g,
            actor: not_recipient.clone(),
            at: LATER,
        };
        assert_eq!(
            transfer::accept(&group, &world.tickets, &world.rules, &accept),
            Err(AcceptTransferError::NotRecipient {
                group: g,
                actor: not_recipient.clone()
            })
        );
        let decline = DeclineTransfer {
            group: g,
            actor: not_recipient.clone(),
            at: LATER,
        };
        assert_eq!(
            transfer::decline(&group, &world.tickets, &decline),
            Err(DeclineTransferError::NotRecipient {
                group: g,
                actor: not_recipient
            })
        );
    }
    for not_sender in [bob(), carol()] {
        let cancel = CancelTransfer {
            group: g,
            actor: not_sender.clone(),
            at: LATER,
        };
        assert_eq!(
            transfer::cancel(&group, &world.tickets, &cancel),
            Err(CancelTransferError::NotSender {
                group: g,
                actor: not_sender.clone()
            })
        );
        let edit = EditRecipient {
            group: g,
            actor: not_sender.clone(),
            recipient: carol(),
            new_groups: NewGroupIds::single(gid(2)),
            at: LATER,
        };
        assert_eq!(
            transfer::edit_recipient(&group, &world.tickets, &world.context(), &edit),
            Err(EditRecipientError::NotSender {
                group: g,
                actor: not_sender
            })
        );
    }
}

#[test]
fn a4_expiry_before_and_after_the_deadline() {
    let mut world = World::new(
        rule(3),
        AcceptanceSettings::explicit()
            .with_expiry(Duration::hours(48))
            .unwrap(),
    );
    let id = world.inject(1, &alice());
    let before = world.ticket(id).clone();
    world.send(&alice(), &bob(), &[id], 1);
    let group = world.group(gid(1)).clone();
    let deadline = datetime!(2026-11-25 12:00 UTC);
    assert_eq!(group.expires_at, Some(deadline));

    let early = datetime!(2026-11-25 11:59:59 UTC);
    assert_eq!(
        transfer::expire(
            &group,
            &world.tickets,
            &ExpireTransfer {
                group: gid(1),
                at: early
            }
        ),
        Err(ExpireTransferError::NotYetExpired {
            group: gid(1),
            expires_at: deadline,
            at: early
        })
    );

    let expired = transfer::expire(
        &group,
        &world.tickets,
        &ExpireTransfer {
            group: gid(1),
            at: deadline,
        },
    )
    .unwrap();
    assert_eq!(
        expired,
        Decision {
            created: Vec::new().into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![before].into(),
            groups: vec![closed(&group, TransferStatus::Expired, deadline)].into(),
            events: vec![Event::TransferExpired {
                back_office: None,
                group: gid(1),
                sender: group.sender.clone(),
                recipient: group.recipient.clone(),
                tickets: vec![id].into(),
                at: deadline
            }]
            .into(),
        }
    );
}

#[test]
fn a4_accept_after_the_deadline_is_refused() {
    let mut world = World::new(
        rule(3),
        AcceptanceSettings::explicit()
            .with_expiry(Duration::hours(48))
            .unwrap(),
    );
    let id = world.inject(1, &alice());
    world.send(&alice(), &bob(), &[id], 1);
    let group = world.group(gid(1)).clone();
    let deadline = datetime!(2026-11-25 12:00 UTC);

    for late in [deadline, datetime!(2026-12-01 00:00 UTC)] {
        assert_eq!(
            transfer::accept(
                &group,
                &world.tickets,
                &world.rules,
                &AcceptTransfer {
                    group: gid(1),
                    actor: bob(),
                    at: late
                }
            ),
            Err(AcceptTransferError::PastDeadline {
                group: gid(1),
                expires_at: deadline
            })
        );
    }
    let in_time = AcceptTransfer {
        group: gid(1),
        actor: bob(),
        at: datetime!(2026-11-25 11:59:59 UTC),
    };
    assert_eq!(
        transfer::accept(&group, &world.tickets, &world.rules, &in_time)
            .unwrap()
            .groups[0]
            .status,
        TransferStatus::Accepted
    );
}

#[test]
fn a4_sign_in_after_the_deadline_completes_nothing() {
    let mut world = World::new(
        rule(3),
        AcceptanceSettings::automatic()
            .with_expiry(Duration::hours(48))
            .unwrap(),
    );
    let id = world.inject(1, &alice());
    world.send(&alice(), &bob(), &[id], 1);

    assert_eq!(
        world.sign_in(&bob(), datetime!(2026-11-25 12:00 UTC)),
        Decision::default()
    );
    assert_eq!(world.group(gid(1)).status, TransferStatus::Pending);
    assert_eq!(
        world
            .sign_in(&bob(), datetime!(2026-11-25 11:00 UTC))
            .groups[0]
            .status,
        TransferStatus::Accepted
    );
}

#[test]
fn a4_the_deadline_is_fixed_at_initiation() {
    let mut world = World::new(
        rule(3),
        AcceptanceSettings::explicit()
            .with_expiry(Duration::hours(48))
            .unwrap(),
    );
    let id = world.inject(1, &alice());
    world.send(&alice(), &bob(), &[id], 1);
    // The organizer changes the settings later: the pending group keeps its terms.
    world.settings = AcceptanceSettings::automatic();
    assert_eq!(
        world.group(gid(1)).expires_at,
        Some(datetime!(2026-11-25 12:00 UTC))
    );
    assert_eq!(world.group(gid(1)).acceptance, Acceptance::Explicit);
    assert_eq!(world.sign_in(&bob(), LATER), Decision::default());

    // Without an expiry setting, a group has no deadline and never expires.
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    world.send(&alice(), &bob(), &[id], 1);
    assert_eq!(
        transfer::expire(
            world.group(gid(1)),
            &world.tickets,
            &ExpireTransfer {
                group: gid(1),
                at: LATER
            }
        ),
        Err(ExpireTransferError::NoDeadline { group: gid(1) })
    );
}

// ---------------------------------------------------------------------------------------------
// AcceptTransferError: one test per variant (`err_...`)

fn accept(
    group: &TransferGroup,
    tickets: &[Ticket],
    world: &World,
    actor: Email,
) -> Result<Decision, AcceptTransferError> {
    transfer::accept(
        group,
        tickets,
        &world.rules,
        &AcceptTransfer {
            group: gid(1),
            actor,
            at: LATER,
        },
    )
}

#[test]
fn err_accept_transfer_group_not_found() {
    let world = pending_world();
    let command = AcceptTransfer {
        group: gid(9),
        actor: bob(),
        at: LATER,
    };
    assert_refused(
        transfer::accept(&group_1(&world), &world.tickets, &world.rules, &command),
        &AcceptTransferError::Input(InputError::GroupNotFound { group: gid(9) }),
        &gid(9),
    );
}

#[test]
fn err_accept_transfer_not_pending() {
    let world = pending_world();
    let declined = closed(&group_1(&world), TransferStatus::Declined, AT);
    assert_refused(
        accept(&declined, &world.tickets, &world, bob()),
        &AcceptTransferError::NotPending {
            group: gid(1),
            status: TransferStatus::Declined,
        },
        &gid(1),
    );
}

#[test]
fn err_accept_transfer_not_recipient() {
    let world = pending_world();
    assert_refused(
        accept(&group_1(&world), &world.tickets, &world, carol()),
        &AcceptTransferError::NotRecipient {
            group: gid(1),
            actor: carol(),
        },
        &gid(1),
    );
}

#[test]
fn err_accept_transfer_past_deadline() {
    let world = pending_world();
    let command = AcceptTransfer {
        group: gid(1),
        actor: bob(),
        at: DEADLINE,
    };
    let error = AcceptTransferError::PastDeadline {
        group: gid(1),
        expires_at: DEADLINE,
    };
    assert_refused(
        transfer::accept(&group_1(&world), &world.tickets, &world.rules, &command),
        &error,
        &gid(1),
    );
    // Times in RFC 3339, as the records serialise them.
    assert!(
        error
            .to_string()
            .contains("expired at 2026-11-25T12:00:00Z;"),
        "{error}"
    );
}

#[test]
fn err_accept_transfer_ticket_not_found() {
    let world = pending_world();
    assert_refused(
        accept(&group_1(&world), &[], &world, bob()),
        &AcceptTransferError::Input(InputError::TicketNotFound { ticket: T }),
        &T,
    );
}

#[test]
fn err_accept_transfer_ticket_not_in_group() {
    let world = pending_world();
    let error = AcceptTransferError::Input(InputError::TicketNotInGroup {
        ticket: T,
        group: gid(1),
    });
    assert_refused(
        accept(&group_1(&world), &not_in_group(), &world, bob()),
        &error,
        &T,
    );
    assert!(error.to_string().contains(&gid(1).to_string()));
}

#[test]
fn err_accept_transfer_ticket_deleted() {
    let world = pending_world();
    let tickets = vec![deletion_pending(world.ticket(T))];
    assert_refused(
        accept(&group_1(&world), &tickets, &world, bob()),
        &AcceptTransferError::TicketDeleted {
            ticket: T,
            status: WalletStatus::DeletionPending,
        },
        &T,
    );
}

#[test]
fn err_accept_transfer_usage_rule_not_found() {
    let mut world = pending_world();
    world.rules.clear();
    assert_refused(
        accept(&group_1(&world), &world.tickets, &world, bob()),
        &AcceptTransferError::Input(InputError::UsageRuleNotFound {
            ticket: T,
            rule: RULE,
        }),
        &T,
    );
}

// ---------------------------------------------------------------------------------------------
// SignInError: one test per variant (`err_...`)

fn sign_in_bob(world: &World, tickets: &[Ticket]) -> Result<Decision, SignInError> {
    transfer::complete_on_sign_in(
        &world.groups,
        tickets,
        &world.rules,
        &SignIn {
            actor: bob(),
            at: LATER,
        },
    )
}

#[test]
fn err_sign_in_ticket_not_found() {
    let world = automatic_world();
    assert_refused(
        sign_in_bob(&world, &[]),
        &SignInError::Input(InputError::TicketNotFound { ticket: T }),
        &T,
    );
}

#[test]
fn err_sign_in_ticket_not_in_group() {
    let world = automatic_world();
    assert_refused(
        sign_in_bob(&world, &not_in_group()),
        &SignInError::Input(InputError::TicketNotInGroup {
            ticket: T,
            group: gid(1),
        }),
        &T,
    );
}

#[test]
fn err_sign_in_ticket_deleted() {
    let world = automatic_world();
    let tickets = vec![deleted(world.ticket(T))];
    assert_refused(
        sign_in_bob(&world, &tickets),
        &SignInError::TicketDeleted {
            ticket: T,
            status: WalletStatus::Deleted,
        },
        &T,
    );
}

#[test]
fn err_sign_in_usage_rule_not_found() {
    let mut world = automatic_world();
    world.rules.clear();
    assert_refused(
        sign_in_bob(&world, &world.tickets),
        &SignInError::Input(InputError::UsageRuleNotFound {
            ticket: T,
            rule: RULE,
        }),
        &T,
    );
}

// ---------------------------------------------------------------------------------------------
// ExpireTransferError: one test per variant (`err_...`)

fn expire(
    group: &TransferGroup,
    tickets: &[Ticket],
    at: time::OffsetDateTime,
) -> Result<Decision, ExpireTransferError> {
    transfer::expire(group, tickets, &ExpireTransfer { group: gid(1), at })
}

#[test]
fn err_expire_transfer_group_not_found() {
    let world = pending_world();
    let command = ExpireTransfer {
        group: gid(9),
        at: DEADLINE,
    };
    assert_refused(
        transfer::expire(&group_1(&world), &world.tickets, &command),
        &ExpireTransferError::Input(InputError::GroupNotFound { group: gid(9) }),
        &gid(9),
    );
}

#[test]
fn err_expire_transfer_not_pending() {
    let world = pending_world();
    let cancelled = closed(&group_1(&world), TransferStatus::Cancelled, AT);
    assert_refused(
        expire(&cancelled, &world.tickets, DEADLINE),
        &ExpireTransferError::NotPending {
            group: gid(1),
            status: TransferStatus::Cancelled,
        },
        &gid(1),
    );
}

#[test]
fn err_expire_transfer_no_deadline() {
    let mut world = fresh_world();
    world.send(&alice(), &bob(), &[T], 1);
    assert_refused(
        expire(&group_1(&world), &world.tickets, DEADLINE),
        &ExpireTransferError::NoDeadline { group: gid(1) },
        &gid(1),
    );
}

#[test]
fn err_expire_transfer_not_yet_expired() {
    let world = pending_world();
    let error = ExpireTransferError::NotYetExpired {
        group: gid(1),
        expires_at: DEADLINE,
        at: LATER,
    };
    assert_refused(
        expire(&group_1(&world), &world.tickets, LATER),
        &error,
        &gid(1),
    );
    assert!(
        error
            .to_string()
            .contains("expires at 2026-11-25T12:00:00Z, after 2026-11-23T13:00:00Z;"),
        "{error}"
    );
}

#[test]
fn err_expire_transfer_ticket_not_found() {
    let world = pending_world();
    assert_refused(
        expire(&group_1(&world), &[], DEADLINE),
        &ExpireTransferError::Input(InputError::TicketNotFound { ticket: T }),
        &T,
    );
}

#[test]
fn err_expire_transfer_ticket_not_in_group() {
    let world = pending_world();
    assert_refused(
        expire(&group_1(&world), &not_in_group(), DEADLINE),
        &ExpireTransferError::Input(InputError::TicketNotInGroup {
            ticket: T,
            group: gid(1),
        }),
        &T,
    );
}

#[test]
fn x2_a_stranger_learns_nothing_of_a_closed_group() {
    use secure_ticket::transfer::{CancelTransferError, DeclineTransferError};
    let world = automatic_world();
    let group = group_1(&world);
    let mut accepted = group.clone();
    accepted.status = TransferStatus::Accepted;
    let stranger = crate::common::email("mallory@example.com");
    let declined = transfer::decline(
        &accepted,
        &world.tickets,
        &DeclineTransfer {
            group: accepted.id,
            actor: stranger.clone(),
            at: AT,
        },
    );
    assert!(
        matches!(declined, Err(DeclineTransferError::NotRecipient { .. })),
        "{declined:?}"
    );
    let cancelled = transfer::cancel(
        &accepted,
        &world.tickets,
        &CancelTransfer {
            group: accepted.id,
            actor: stranger,
            at: AT,
        },
    );
    assert!(
        matches!(cancelled, Err(CancelTransferError::NotSender { .. })),
        "{cancelled:?}"
    );
}

#[test]
fn a5_a_command_dated_before_the_record_it_acts_on_is_refused() {
    // An accept dated before the group's initiation: a forged or broken clock (issue 14).
    let world = pending_world();
    let group = group_1(&world);
    let early = group.created_at - Duration::seconds(1);
    let refused = transfer::accept(
        &group,
        &world.tickets,
        &world.rules,
        &AcceptTransfer {
            group: group.id,
            actor: bob(),
            at: early,
        },
    );
    assert_eq!(
        refused,
        Err(AcceptTransferError::Input(InputError::DatedBeforeGroup {
            group: group.id,
            at: early,
            created_at: group.created_at
        }))
    );
    // A download dated before the ticket's injection.
    let ticket = world.ticket(T).clone();
    let injected_at = ticket.wallet.as_ref().unwrap().injected_at;
    let before = injected_at - Duration::seconds(1);
    let mut unsent = ticket.clone();
    unsent.wallet.as_mut().unwrap().pending_group = None;
    let download = secure_ticket::wallet::download(
        &unsent,
        &secure_ticket::wallet::DownloadTicket {
            ticket: T,
            actor: alice(),
            at: before,
        },
    );
    assert_eq!(
        download,
        Err(secure_ticket::wallet::DownloadError::Input(
            InputError::DatedBeforeInjection {
                ticket: T,
                at: before,
                injected_at
            }
        ))
    );
}
