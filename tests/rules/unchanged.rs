//! X1-X2: every transition is a pure function with authorization on the command's actor.

use std::fmt::Debug;

use secure_ticket::injection::{self, InjectError, InjectTicket};
use secure_ticket::transfer::{
    self, AcceptTransfer, AcceptTransferError, CancelTransfer, CancelTransferError,
    DeclineTransfer, DeclineTransferError, EditRecipient, EditRecipientError, ExpireTransfer,
    ExpireTransferError, InitiateTransfer, InitiateTransferError, NewGroupIds, ReturnToSender,
    ReturnToSenderError, SignIn, SignInError,
};
use secure_ticket::wallet::{
    self, Actor, ChangeFlag, ChangeFlagError, DownloadError, DownloadTicket, FlagChange,
};
use secure_ticket::{
    AcceptanceSettings, ActivationMethod, Decision, Email, InputError, UsageRule, WalletStatus,
};
use serde::Serialize;
use time::Duration;
use time::macros::datetime;

use crate::common::{
    AT, LATER, RULE, World, alice, bob, carol, deleted, deletion_pending, gid, injected, rule, tid,
};

/// Calls a command that must be refused with `expected`, and checks that its inputs are unchanged:
/// equal to a clone taken before, and serialized to the same bytes.
fn refused<I, E>(name: &str, inputs: &I, call: impl FnOnce(&I) -> Result<Decision, E>, expected: &E)
where
    I: Clone + PartialEq + Debug + Serialize,
    E: PartialEq + Debug,
{
    let before = inputs.clone();
    let bytes = serde_json::to_vec(inputs).unwrap();
    let result = call(inputs);
    assert_eq!(result.as_ref().err(), Some(expected), "{name}: {result:?}");
    assert_eq!(inputs, &before, "{name}: the inputs changed");
    assert_eq!(
        serde_json::to_vec(inputs).unwrap(),
        bytes,
        "{name}: the inputs serialize differently"
    );
}

#[test]
fn x1_refused_commands_leave_their_inputs_unchanged() {
    let t1 = tid(1);
    let t2 = tid(2);
    let deadline = datetime!(2026-11-25 12:00 UTC);

    // Alice holds ticket 1 (never moved) and ticket 2 (received from Bob); both go to Carol in group 1,
    // with a 48-hour deadline.
    let mut world = World::new(
        rule(3),
        AcceptanceSettings::explicit()
            .with_expiry(Duration::hours(48))
            .unwrap(),
    );
    world.inject(1, &alice());
    world.inject(2, &bob());
    world.transfer(t2, &bob(), &alice(), 9);
    let fresh = (world.tickets.clone(), world.rules.clone(), world.settings);
    world.send(&alice(), &carol(), &[t1, t2], 1);
    let group = world.group(gid(1)).clone();
    let pending = (
        group.clone(),
        world.tickets.clone(),
        world.rules.clone(),
        world.settings,
    );
    let mut automatic_group = group.clone();
    automatic_group.acceptance = transfer::Acceptance::Automatic;

    let initiate = |actor: Email, recipient: Email, tickets: Vec<_>, groups| InitiateTransfer {
        actor,
        recipient,
        tickets,
        groups,
        at: LATER,
    };
    refused(
        "initiate by a non-owner",
        &(
            fresh.clone(),
            initiate(bob(), carol(), vec![t1], NewGroupIds::single(gid(2))),
        ),
        |((tickets, rules, settings), cmd)| {
            transfer::initiate(
                tickets,
                &transfer::Context::new(rules).with_settings(*settings),
                cmd,
            )
        },
        &InitiateTransferError::NotCurrentOwner {
            ticket: t1,
            actor: bob(),
        },
    );
    refused(
        "initiate with one id for two directions",
        &(
            fresh.clone(),
            initiate(alice(), bob(), vec![t1, t2], NewGroupIds::single(gid(2))),
        ),
        |((tickets, rules, settings), cmd)| {
            transfer::initiate(
                tickets,
                &transfer::Context::new(rules).with_settings(*settings),
                cmd,
            )
        },
        &InitiateTransferError::SameGroupIdForBothDirections { group: gid(2) },
    );
    refused(
        "return to sender without a previous owner",
        &(
            fresh.clone(),
            ReturnToSender {
                ticket: t1,
                actor: alice(),
                group: gid(2),
                at: LATER,
            },
        ),
        |((tickets, rules, settings), cmd)| {
            transfer::return_to_sender(
                tickets,
                &transfer::Context::new(rules).with_settings(*settings),
                cmd,
            )
        },
        &ReturnToSenderError::NoPreviousOwner { ticket: t1 },
    );
    refused(
        "accept past the deadline",
        &(
            pending.clone(),
            AcceptTransfer {
                group: gid(1),
                actor: carol(),
                at: deadline,
            },
        ),
        |((group, tickets, rules, _), cmd)| transfer::accept(group, tickets, rules, cmd),
        &AcceptTransferError::PastDeadline {
            group: gid(1),
            expires_at: deadline,
        },
    );
    let mut half_deleted = pending.clone();
    half_deleted.1[1] = deletion_pending(&half_deleted.1[1]);
    refused(
        "accept with the group's second ticket deleted",
        &(
            half_deleted,
            AcceptTransfer {
                group: gid(1),
                actor: carol(),
                at: LATER,
            },
        ),
        |((group, tickets, rules, _), cmd)| transfer::accept(group, tickets, rules, cmd),
        &AcceptTransferError::TicketDeleted {
            ticket: t2,
            status: WalletStatus::DeletionPending,
        },
    );
    refused(
        "sign-in without the usage rule",
        &(
            vec![automatic_group],
            pending.1.clone(),
            Vec::<UsageRule>::new(),
            SignIn {
                actor: carol(),
                at: LATER,
            },
        ),
        |(groups, tickets, rules, cmd)| transfer::complete_on_sign_in(groups, tickets, rules, cmd),
        &SignInError::Input(InputError::UsageRuleNotFound {
            ticket: t1,
            rule: RULE,
        }),
    );
    refused(
        "decline by the sender",
        &(
            pending.clone(),
            DeclineTransfer {
                group: gid(1),
                actor: alice(),
                at: LATER,
            },
        ),
        |((group, tickets, _, _), cmd)| transfer::decline(group, tickets, cmd),
        &DeclineTransferError::NotRecipient {
            group: gid(1),
            actor: alice(),
        },
    );
    refused(
        "cancel by the recipient",
        &(
            pending.clone(),
            CancelTransfer {
                group: gid(1),
                actor: carol(),
                at: LATER,
            },
        ),
        |((group, tickets, _, _), cmd)| transfer::cancel(group, tickets, cmd),
        &CancelTransferError::NotSender {
            group: gid(1),
            actor: carol(),
        },
    );
    refused(
        "expire before the deadline",
        &(
            pending.clone(),
            ExpireTransfer {
                group: gid(1),
                at: LATER,
            },
        ),
        |((group, tickets, _, _), cmd)| transfer::expire(group, tickets, cmd),
        &ExpireTransferError::NotYetExpired {
            group: gid(1),
            expires_at: deadline,
            at: LATER,
        },
    );
    // The old group is closed inside the transition before the new initiation fails: still nothing.
    refused(
        "edit the recipient into a split with one id",
        &(
            pending.clone(),
            EditRecipient {
                group: gid(1),
                actor: alice(),
                recipient: bob(),
                new_groups: NewGroupIds::single(gid(2)),
                at: LATER,
            },
        ),
        |((group, tickets, rules, settings), cmd)| {
            transfer::edit_recipient(
                group,
                tickets,
                &transfer::Context::new(rules).with_settings(*settings),
                cmd,
            )
        },
        &EditRecipientError::Initiate(InitiateTransferError::SameGroupIdForBothDirections {
            group: gid(2),
        }),
    );
    refused(
        "download a pending ticket",
        &(
            pending.1[0].clone(),
            DownloadTicket {
                ticket: t1,
                actor: alice(),
                at: LATER,
            },
        ),
        |(ticket, cmd)| wallet::download(ticket, cmd),
        &DownloadError::NotDownloadable {
            ticket: t1,
            status: WalletStatus::PendingTransfer,
        },
    );
    refused(
        "activate a deleted ticket",
        &(
            deleted(&pending.1[0]),
            ChangeFlag {
                ticket: t1,
                change: FlagChange::Activate(ActivationMethod::Online),
                actor: Actor::System,
                at: LATER,
            },
        ),
        |(ticket, cmd)| wallet::change_flag(ticket, cmd),
        &ChangeFlagError::TicketDeleted {
            ticket: t1,
            status: WalletStatus::Deleted,
        },
    );
    refused(
        "inject an injected ticket",
        &(
            injected(1, &alice()),
            InjectTicket {
                ticket: t1,
                to: bob(),
                usage_rule: RULE,
                at: LATER,
            },
        ),
        |(ticket, cmd)| injection::inject(ticket, cmd),
        &InjectError::AlreadyInjected {
            ticket: t1,
            injected_at: AT,
        },
    );
}

/// A scenario run twice on equal inputs decides exactly the same things, and accepted commands do
/// not touch their inputs either: the new states only come out in the decision.
#[test]
fn x1_same_inputs_same_decisions_and_inputs_untouched() {
    let run = || {
        let mut world = World::automatic(rule(3));
        let id = world.inject(1, &alice());
        let mut decisions = vec![world.sent(&alice(), &bob(), &[id], 1)];
        let before = (
            world.groups.clone(),
            world.tickets.clone(),
            world.rules.clone(),
        );
        let bytes = serde_json::to_vec(&before).unwrap();
        decisions.push(world.sign_in(&bob(), LATER));
        assert_eq!(serde_json::to_vec(&before).unwrap(), bytes);
        decisions.push(world.transferred(id, &bob(), &alice(), 2));
        (decisions, world.tickets, world.groups)
    };
    assert_eq!(run(), run());
}

#[test]
fn x2_authorization_is_checked_on_the_commands_actor() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    let intruder = carol();

    // Initiation and return to sender: only the current owner.
    assert_eq!(
        world.initiate(&intruder, &bob(), &[id], NewGroupIds::single(gid(1))),
        Err(InitiateTransferError::NotCurrentOwner {
            ticket: id,
            actor: intruder.clone()
        })
    );
    world.transfer(id, &alice(), &bob(), 1);
    let back = ReturnToSender {
        ticket: id,
        actor: intruder.clone(),
        group: gid(2),
        at: AT,
    };
    assert_eq!(
        transfer::return_to_sender(&world.tickets, &world.context(), &back),
        Err(ReturnToSenderError::Initiate(
            InitiateTransferError::NotCurrentOwner {
                ticket: id,
                actor: intruder.clone()
            }
        ))
    );

    // Download and activation: only the current owner (Bob now, no longer Alice).
    assert_eq!(
        wallet::download(
            world.ticket(id),
            &DownloadTicket {
                ticket: id,
                actor: alice(),
                at: AT
            }
        ),
        Err(DownloadError::NotCurrentOwner {
            ticket: id,
            actor: alice()
        })
    );
    let activate = FlagChange::Activate(ActivationMethod::Online);
    let by_alice = ChangeFlag {
        ticket: id,
        change: activate,
        actor: Actor::Spectator(alice()),
        at: AT,
    };
    assert_eq!(
        wallet::change_flag(world.ticket(id), &by_alice),
        Err(ChangeFlagError::ActorNotAllowed {
            ticket: id,
            actor: Actor::Spectator(alice()),
            change: activate
        })
    );
    let by_bob = ChangeFlag {
        actor: Actor::Spectator(bob()),
        ..by_alice
    };
    assert!(wallet::change_flag(world.ticket(id), &by_bob).is_ok());

    // Acceptance: only the recipient, even when the group would complete at sign-in.
    world.send(&bob(), &alice(), &[id], 2);
    assert_eq!(
        world.accept(gid(2), &intruder),
        Err(AcceptTransferError::NotRecipient {
            group: gid(2),
            actor: intruder.clone()
        })
    );
    assert_eq!(world.sign_in(&intruder, LATER), Decision::default());
    assert_eq!(world.sign_in(&bob(), LATER), Decision::default());
    assert_eq!(
        world.accepted(2, &alice()).groups[0].status,
        transfer::TransferStatus::Accepted
    );
}
