//! One test per error variant of every command error enum: the exact error value, and a message that
//! names the ticket or group involved.

use secure_ticket::injection::{self, InjectError, InjectTicket};
use secure_ticket::transfer::{
    self, AcceptTransfer, AcceptTransferError, CancelTransfer, CancelTransferError,
    DeclineTransfer, DeclineTransferError, EditRecipient, EditRecipientError, ExpireTransfer,
    ExpireTransferError, InitiateTransferError, NewGroupIds, ReturnToSender, ReturnToSenderError,
    SignIn, SignInError, TransferGroup, TransferStatus,
};
use secure_ticket::wallet::{
    self, Actor, ChangeFlag, ChangeFlagError, DownloadError, DownloadTicket, FlagChange,
};
use secure_ticket::{
    AcceptanceSettings, Activation, ActivationMethod, Decision, Distribution, Email, EmailError,
    InputError, Invalidation, InvalidationReason, ParseError, RightId, RuleError, ShipmentMode,
    ShipmentModeId, Ticket, TicketId, TransferLimit, UsageRuleError, WalletStatus,
};
use time::Duration;
use time::macros::datetime;

use crate::common::{
    AT, LATER, POS, RULE, World, alice, assert_refused, bob, carol, closed, deleted,
    deletion_pending, gid, injected, issued, rule, tid, with_wallet,
};

const T: TicketId = TicketId::from_u128(1);
const MISSING: TicketId = TicketId::from_u128(9);
const DEADLINE: time::OffsetDateTime = datetime!(2026-11-25 12:00 UTC);

/// Ticket 1 injected to Alice (limit 3, explicit acceptance), not yet sent.
fn fresh_world() -> World {
    let mut world = World::explicit(rule(3));
    world.inject(1, &alice());
    world
}

/// Ticket 1 sent by Alice to Bob in group 1 (explicit acceptance, deadline after 48 hours).
fn pending_world() -> World {
    let mut world = World::new(
        rule(3),
        AcceptanceSettings::explicit().with_expiry(Duration::hours(48)),
    );
    world.inject(1, &alice());
    world.send(&alice(), &bob(), &[T], 1);
    world
}

/// Ticket 1 sent by Alice to Bob in group 1, completing at Bob's sign-in.
fn automatic_world() -> World {
    let mut world = World::automatic(rule(3));
    world.inject(1, &alice());
    world.send(&alice(), &bob(), &[T], 1);
    world
}

fn group_1(world: &World) -> TransferGroup {
    world.group(gid(1)).clone()
}

/// The pending world's ticket before it was sent: not pending in any group.
fn not_in_group() -> Vec<Ticket> {
    vec![injected(1, &alice())]
}

fn single(n: u128) -> NewGroupIds {
    NewGroupIds::single(gid(n))
}

// ---------------------------------------------------------------------------------------------
// InitiateTransferError

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
// AcceptTransferError

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
// DeclineTransferError

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
// CancelTransferError

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
// ExpireTransferError

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

// ---------------------------------------------------------------------------------------------
// EditRecipientError

fn edit_command(group: u128, actor: Email, recipient: Email, new: u128) -> EditRecipient {
    EditRecipient {
        group: gid(group),
        actor,
        recipient,
        new_groups: single(new),
        at: LATER,
    }
}

fn edit(
    group: &TransferGroup,
    tickets: &[Ticket],
    world: &World,
    command: &EditRecipient,
) -> Result<Decision, EditRecipientError> {
    transfer::edit_recipient(group, tickets, &world.rules, &world.settings, command)
}

#[test]
fn err_edit_recipient_group_not_found() {
    let world = pending_world();
    assert_refused(
        edit(
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
        edit(
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
        edit(
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
        edit(
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
        edit(
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
        edit(&group_1(&world), &world.tickets, &world, &command),
        &EditRecipientError::GroupIdReused { group: gid(1) },
        &gid(1),
    );
}

#[test]
fn err_edit_recipient_ticket_not_found() {
    let world = pending_world();
    assert_refused(
        edit(
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
        edit(
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
        edit(
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

// ---------------------------------------------------------------------------------------------
// ReturnToSenderError

fn return_to_sender(world: &World, actor: Email) -> Result<Decision, ReturnToSenderError> {
    let command = ReturnToSender {
        ticket: T,
        actor,
        group: gid(2),
        at: LATER,
    };
    transfer::return_to_sender(&world.tickets, &world.rules, &world.settings, &command)
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

// ---------------------------------------------------------------------------------------------
// SignInError

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
// DownloadError

fn download(ticket: &Ticket, id: TicketId, actor: Email) -> Result<Decision, DownloadError> {
    wallet::download(
        ticket,
        &DownloadTicket {
            ticket: id,
            actor,
            at: LATER,
        },
    )
}

#[test]
fn err_download_ticket_not_found() {
    assert_refused(
        download(&injected(1, &alice()), MISSING, alice()),
        &DownloadError::Input(InputError::TicketNotFound { ticket: MISSING }),
        &MISSING,
    );
}

#[test]
fn err_download_not_injected() {
    assert_refused(
        download(&issued(1), T, alice()),
        &DownloadError::NotInjected { ticket: T },
        &T,
    );
}

#[test]
fn err_download_not_current_owner() {
    assert_refused(
        download(&injected(1, &alice()), T, bob()),
        &DownloadError::NotCurrentOwner {
            ticket: T,
            actor: bob(),
        },
        &T,
    );
}

#[test]
fn err_download_not_downloadable() {
    let world = pending_world();
    assert_refused(
        download(world.ticket(T), T, alice()),
        &DownloadError::NotDownloadable {
            ticket: T,
            status: WalletStatus::PendingTransfer,
        },
        &T,
    );
}

// ---------------------------------------------------------------------------------------------
// ChangeFlagError

fn activate(ticket: &Ticket, id: TicketId, actor: Actor) -> Result<Decision, ChangeFlagError> {
    let change = FlagChange::Activate(ActivationMethod::Online);
    wallet::change_flag(
        ticket,
        &ChangeFlag {
            ticket: id,
            change,
            actor,
            at: LATER,
        },
    )
}

#[test]
fn err_change_flag_ticket_not_found() {
    assert_refused(
        activate(&injected(1, &alice()), MISSING, Actor::System),
        &ChangeFlagError::Input(InputError::TicketNotFound { ticket: MISSING }),
        &MISSING,
    );
}

#[test]
fn err_change_flag_not_injected() {
    assert_refused(
        activate(&issued(1), T, Actor::System),
        &ChangeFlagError::NotInjected { ticket: T },
        &T,
    );
}

#[test]
fn err_change_flag_ticket_deleted() {
    assert_refused(
        activate(&deletion_pending(&injected(1, &alice())), T, Actor::System),
        &ChangeFlagError::TicketDeleted {
            ticket: T,
            status: WalletStatus::DeletionPending,
        },
        &T,
    );
}

#[test]
fn err_change_flag_actor_not_allowed() {
    let error = ChangeFlagError::ActorNotAllowed {
        ticket: T,
        actor: Actor::AccessControl,
        change: FlagChange::Activate(ActivationMethod::Online),
    };
    assert_refused(
        activate(&injected(1, &alice()), T, Actor::AccessControl),
        &error,
        &T,
    );
    // The message says who may.
    assert!(
        error
            .to_string()
            .ends_with("; only the current owner or the system may"),
        "{error}"
    );
}

#[test]
fn err_change_flag_pending_transfer() {
    let mut pending = injected(1, &alice());
    if let Some(wallet) = pending.wallet.as_mut() {
        wallet.pending_group = Some(secure_ticket::TransferGroupId::from_u128(5));
    }
    assert_refused(
        activate(&pending, T, Actor::System),
        &ChangeFlagError::PendingTransfer {
            ticket: T,
            group: secure_ticket::TransferGroupId::from_u128(5),
            change: FlagChange::Activate(ActivationMethod::Online),
        },
        &secure_ticket::TransferGroupId::from_u128(5),
    );
}

// ---------------------------------------------------------------------------------------------
// InjectError

fn inject(ticket: &Ticket, id: TicketId) -> Result<Decision, InjectError> {
    injection::inject(
        ticket,
        &InjectTicket {
            ticket: id,
            to: alice(),
            usage_rule: RULE,
            at: LATER,
        },
    )
}

#[test]
fn err_inject_ticket_not_found() {
    assert_refused(
        inject(&issued(1), MISSING),
        &InjectError::Input(InputError::TicketNotFound { ticket: MISSING }),
        &MISSING,
    );
}

#[test]
fn err_inject_ticket_invalidated() {
    let mut ticket = issued(1);
    ticket.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::from_code("REFUND"),
        at: AT,
        replaced_by: None,
    });
    let error = InjectError::TicketInvalidated {
        ticket: T,
        reason: InvalidationReason::Other("REFUND".into()),
    };
    assert_refused(inject(&ticket, T), &error, &T);
    assert!(error.to_string().contains("REFUND"));
}

#[test]
fn err_inject_not_secure_mobile() {
    let mode = ShipmentModeId::from_u128(2);
    let ticket = Ticket::new(
        T,
        RightId::from_u128(1),
        Distribution::new(POS, ShipmentMode::print_at_home(mode)),
    );
    assert_refused(
        inject(&ticket, T),
        &InjectError::NotSecureMobile {
            ticket: T,
            shipment_mode: mode,
        },
        &T,
    );
}

#[test]
fn err_inject_already_injected() {
    let error = InjectError::AlreadyInjected {
        ticket: T,
        injected_at: AT,
    };
    assert_refused(inject(&injected(1, &bob()), T), &error, &T);
    assert!(
        error
            .to_string()
            .contains("injected at 2026-11-23T12:00:00Z;"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// UsageRuleError and EmailError: no ticket or group involved; the message names the bad value.

#[test]
fn err_usage_rule_limit_out_of_range() {
    let error = TransferLimit::new(257).unwrap_err();
    assert_eq!(error, UsageRuleError::LimitOutOfRange { value: 257 });
    assert!(error.to_string().contains("257"), "{error}");
}

#[test]
fn err_email_empty() {
    assert_eq!(Email::parse(" \t "), Err(EmailError::Empty));
}

#[test]
fn err_email_too_long() {
    let input = format!("{}@example.com", "a".repeat(250));
    let error = Email::parse(&input).unwrap_err();
    assert_eq!(
        error,
        EmailError::TooLong {
            input: input.clone(),
            len: 262
        }
    );
    assert!(error.to_string().contains(&input));
}

#[test]
fn err_email_not_one_at() {
    for input in ["alice.example.com", "alice@bob@example.com"] {
        let error = Email::parse(input).unwrap_err();
        assert_eq!(
            error,
            EmailError::NotOneAt {
                input: input.to_owned()
            }
        );
        assert!(error.to_string().contains(input));
    }
}

#[test]
fn err_email_invalid_local_part() {
    let too_long = format!("{}@example.com", "a".repeat(65));
    for input in ["@example.com", too_long.as_str()] {
        let error = Email::parse(input).unwrap_err();
        assert_eq!(
            error,
            EmailError::InvalidLocalPart {
                input: input.to_owned()
            }
        );
        assert!(error.to_string().contains(input));
    }
}

#[test]
fn err_email_invalid_domain() {
    for input in [
        "alice@localhost",
        "alice@.example.com",
        "alice@example..com",
        "alice@",
    ] {
        let error = Email::parse(input).unwrap_err();
        assert_eq!(
            error,
            EmailError::InvalidDomain {
                input: input.to_owned()
            }
        );
        assert!(error.to_string().contains(input));
    }
}

#[test]
fn err_email_invalid_character() {
    let error = Email::parse(" alice smith@example.com ").unwrap_err();
    assert_eq!(
        error,
        EmailError::InvalidCharacter {
            input: "alice smith@example.com".to_owned(),
            character: ' '
        }
    );
    assert!(error.to_string().contains("alice smith@example.com"));
}

#[test]
fn err_rule_error_gathers_every_command_error_with_the_same_message() {
    let errors: Vec<(RuleError, String)> = vec![
        (
            InjectError::Input(InputError::TicketNotFound { ticket: T }).into(),
            InjectError::Input(InputError::TicketNotFound { ticket: T }).to_string(),
        ),
        (
            DownloadError::NotInjected { ticket: T }.into(),
            DownloadError::NotInjected { ticket: T }.to_string(),
        ),
        (
            ChangeFlagError::NotInjected { ticket: T }.into(),
            ChangeFlagError::NotInjected { ticket: T }.to_string(),
        ),
        (
            InitiateTransferError::EmptyTicketList.into(),
            InitiateTransferError::EmptyTicketList.to_string(),
        ),
        (
            ReturnToSenderError::NoPreviousOwner { ticket: T }.into(),
            ReturnToSenderError::NoPreviousOwner { ticket: T }.to_string(),
        ),
        (
            AcceptTransferError::Input(InputError::GroupNotFound { group: gid(1) }).into(),
            AcceptTransferError::Input(InputError::GroupNotFound { group: gid(1) }).to_string(),
        ),
        (
            SignInError::Input(InputError::TicketNotFound { ticket: T }).into(),
            SignInError::Input(InputError::TicketNotFound { ticket: T }).to_string(),
        ),
        (
            DeclineTransferError::Input(InputError::GroupNotFound { group: gid(1) }).into(),
            DeclineTransferError::Input(InputError::GroupNotFound { group: gid(1) }).to_string(),
        ),
        (
            CancelTransferError::Input(InputError::GroupNotFound { group: gid(1) }).into(),
            CancelTransferError::Input(InputError::GroupNotFound { group: gid(1) }).to_string(),
        ),
        (
            EditRecipientError::GroupIdReused { group: gid(1) }.into(),
            EditRecipientError::GroupIdReused { group: gid(1) }.to_string(),
        ),
        (
            ExpireTransferError::NoDeadline { group: gid(1) }.into(),
            ExpireTransferError::NoDeadline { group: gid(1) }.to_string(),
        ),
    ];
    for (error, message) in errors {
        assert_eq!(error.to_string(), message, "{error:?}");
    }
}

#[test]
fn err_parse_error_gathers_every_value_error_with_the_same_message() {
    let errors: Vec<(ParseError, String)> = vec![
        (EmailError::Empty.into(), EmailError::Empty.to_string()),
        (
            UsageRuleError::LimitOutOfRange { value: 0 }.into(),
            UsageRuleError::LimitOutOfRange { value: 0 }.to_string(),
        ),
    ];
    for (error, message) in errors {
        assert_eq!(error.to_string(), message, "{error:?}");
    }
}
