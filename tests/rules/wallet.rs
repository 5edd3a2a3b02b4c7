//! W1-W4: the ticket in the wallet.

use secure_ticket::transfer::{InitiateTransferError, NewGroupIds};
use secure_ticket::wallet::{
    self, Actor, ChangeFlag, ChangeFlagError, DownloadError, DownloadTicket, FlagChange,
};
use secure_ticket::{
    Activation, ActivationMethod, Decision, Email, Event, InputError, Owners, Ticket, TicketId,
    Wallet, WalletStatus,
};
use time::OffsetDateTime;

use crate::common::{
    AT, LATER, MISSING, RULE, T, World, alice, assert_refused, bob, deleted, deletion_pending, gid,
    injected, issued, pending_in, pending_world, rule, with_wallet,
};

fn change(
    ticket: &Ticket,
    change: FlagChange,
    actor: Actor,
    at: OffsetDateTime,
) -> Result<Decision, ChangeFlagError> {
    wallet::change_flag(
        ticket,
        &ChangeFlag {
            ticket: ticket.id,
            change,
            actor,
            at,
        },
    )
}

/// Applies a flag change that must succeed and returns the new ticket (or the same one when the
/// decision is empty).
fn changed(
    ticket: &Ticket,
    flag: FlagChange,
    actor: Actor,
    at: OffsetDateTime,
) -> (Ticket, Vec<Event>) {
    let decision = change(ticket, flag, actor, at).unwrap();
    let ticket = decision
        .tickets
        .first()
        .cloned()
        .unwrap_or_else(|| ticket.clone());
    (ticket, decision.events.into_vec())
}

#[test]
fn w1_status_is_derived_from_the_recorded_facts() {
    assert_eq!(issued(1).wallet_status(), None);
    let fresh = injected(1, &alice());
    assert_eq!(fresh.wallet_status(), Some(WalletStatus::NotDownloaded));
    let downloaded = with_wallet(&fresh, |w| w.downloaded_at = Some(AT));
    assert_eq!(downloaded.wallet_status(), Some(WalletStatus::Downloaded));
    let pending = pending_in(&downloaded, gid(1));
    assert_eq!(pending.wallet_status(), Some(WalletStatus::PendingTransfer));
    assert_eq!(
        deletion_pending(&pending).wallet_status(),
        Some(WalletStatus::DeletionPending)
    );
    assert_eq!(
        deleted(&pending).wallet_status(),
        Some(WalletStatus::Deleted)
    );
}

#[test]
fn w1_flags_record_the_time_each_last_became_true() {
    let alice_device = || Actor::Spectator(alice());
    let ticket = injected(1, &alice());

    // activated: set, kept on a second activation, reset by deactivation, set again with the new time.
    let (active, events) = changed(
        &ticket,
        FlagChange::Activate(ActivationMethod::Online),
        alice_device(),
        AT,
    );
    assert_eq!(
        active.wallet.as_ref().unwrap().activated,
        Some(Activation {
            at: AT,
            method: ActivationMethod::Online
        })
    );
    assert_eq!(
        events,
        vec![Event::TicketActivated {
            ticket: ticket.id,
            method: ActivationMethod::Online,
            at: AT
        }]
    );
    let again = change(
        &active,
        FlagChange::Activate(ActivationMethod::Bt),
        Actor::System,
        LATER,
    )
    .unwrap();
    assert_eq!(again, Decision::default());
    let (inactive, _) = changed(&active, FlagChange::Deactivate, alice_device(), LATER);
    assert_eq!(inactive, ticket);
    let (reactivated, _) = changed(
        &inactive,
        FlagChange::Activate(ActivationMethod::Manual),
        Actor::System,
        LATER,
    );
    assert_eq!(
        reactivated.wallet.as_ref().unwrap().activated,
        Some(Activation {
            at: LATER,
            method: ActivationMethod::Manual
        })
    );

    // checked: never reset; a second check keeps the first time.
    let (checked, _) = changed(&ticket, FlagChange::Check, Actor::AccessControl, AT);
    assert_eq!(checked.wallet.as_ref().unwrap().checked_at, Some(AT));
    assert_eq!(
        change(&checked, FlagChange::Check, Actor::AccessControl, LATER).unwrap(),
        Decision::default()
    );

    // controlled: reset by check-out, then set again with the new time.
    let (controlled, _) = changed(&ticket, FlagChange::Control, Actor::AccessControl, AT);
    assert_eq!(controlled.wallet.as_ref().unwrap().controlled_at, Some(AT));
    let (checked_out, _) = changed(
        &controlled,
        FlagChange::CheckOut,
        Actor::AccessControl,
        LATER,
    );
    assert_eq!(checked_out, ticket);
    assert_eq!(
        change(
            &checked_out,
            FlagChange::CheckOut,
            Actor::AccessControl,
            LATER
        )
        .unwrap(),
        Decision::default()
    );
    let (controlled_again, _) = changed(
        &checked_out,
        FlagChange::Control,
        Actor::AccessControl,
        LATER,
    );
    assert_eq!(
        controlled_again.wallet.as_ref().unwrap().controlled_at,
        Some(LATER)
    );
}

#[test]
fn w2_injection_starts_not_downloaded_level_0_counters_0_initial_is_current() {
    let ticket = injected(1, &alice());
    assert_eq!(
        ticket.wallet,
        Some(Wallet {
            usage_rule: RULE,
            injected_at: AT,
            owners: Owners {
                initial: alice(),
                previous: None,
                current: alice()
            },
            level: 0,
            level_before_last_forward: 0,
            forward_transfers: 0,
            backward_transfers: 0,
            downloaded_at: None,
            activated: None,
            checked_at: None,
            controlled_at: None,
            pending_group: None,
            deletion_requested_at: None,
            deleted_at: None,
        })
    );
    assert_eq!(ticket.wallet_status(), Some(WalletStatus::NotDownloaded));
}

#[test]
fn w3_download_moves_not_downloaded_to_downloaded_with_its_time() {
    let ticket = injected(1, &alice());
    let decision = wallet::download(
        &ticket,
        &DownloadTicket {
            ticket: ticket.id,
            actor: alice(),
            at: LATER,
        },
    )
    .unwrap();
    assert_eq!(
        decision,
        Decision {
            created: Vec::new().into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![with_wallet(&ticket, |w| w.downloaded_at = Some(LATER))].into(),
            groups: Vec::new().into(),
            events: vec![Event::TicketDownloaded {
                ticket: ticket.id,
                owner: alice(),
                at: LATER
            }]
            .into(),
        }
    );
    assert_eq!(
        decision.tickets[0].wallet_status(),
        Some(WalletStatus::Downloaded)
    );

    // A second download is refused: the ticket is no longer NOT_DOWNLOADED.
    let again = wallet::download(
        &decision.tickets[0],
        &DownloadTicket {
            ticket: ticket.id,
            actor: alice(),
            at: LATER,
        },
    );
    assert_eq!(
        again,
        Err(DownloadError::NotDownloadable {
            ticket: ticket.id,
            status: WalletStatus::Downloaded
        })
    );
}

#[test]
fn w3_flag_transitions_set_and_reset_with_events() {
    let ticket = injected(1, &alice());
    let id = ticket.id;
    let cases: [(FlagChange, Actor, Ticket, Ticket, Event); 5] = [
        (
            FlagChange::Activate(ActivationMethod::Offline),
            Actor::Spectator(alice()),
            ticket.clone(),
            with_wallet(&ticket, |w| {
                w.activated = Some(Activation {
                    at: LATER,
                    method: ActivationMethod::Offline,
                })
            }),
            Event::TicketActivated {
                ticket: id,
                method: ActivationMethod::Offline,
                at: LATER,
            },
        ),
        (
            FlagChange::Deactivate,
            Actor::System,
            with_wallet(&ticket, |w| {
                w.activated = Some(Activation {
                    at: AT,
                    method: ActivationMethod::Online,
                })
            }),
            ticket.clone(),
            Event::TicketDeactivated {
                ticket: id,
                at: LATER,
            },
        ),
        (
            FlagChange::Check,
            Actor::AccessControl,
            ticket.clone(),
            with_wallet(&ticket, |w| w.checked_at = Some(LATER)),
            Event::TicketChecked {
                ticket: id,
                at: LATER,
            },
        ),
        (
            FlagChange::Control,
            Actor::AccessControl,
            ticket.clone(),
            with_wallet(&ticket, |w| w.controlled_at = Some(LATER)),
            Event::TicketControlled {
                ticket: id,
                at: LATER,
            },
        ),
        (
            FlagChange::CheckOut,
            Actor::AccessControl,
            with_wallet(&ticket, |w| w.controlled_at = Some(AT)),
            ticket.clone(),
            Event::TicketCheckedOut {
                ticket: id,
                at: LATER,
            },
        ),
    ];
    for (flag, actor, before, after, event) in cases {
        assert_eq!(
            change(&before, flag, actor, LATER),
            Ok(Decision {
                created: Vec::new().into(),
                spectators: Vec::new().into(),
                relies_on: Vec::new().into(),
                tickets: vec![after].into(),
                groups: Vec::new().into(),
                events: vec![event].into()
            }),
            "{flag}"
        );
    }
}

#[test]
fn w4_deleted_or_deletion_pending_ticket_takes_no_transfer_download_or_activation() {
    let mut world = World::explicit(rule(3));
    let id = world.inject(1, &alice());
    let fresh = world.ticket(id).clone();
    for (gone, status) in [
        (deletion_pending(&fresh), WalletStatus::DeletionPending),
        (deleted(&fresh), WalletStatus::Deleted),
    ] {
        world.put_ticket(gone.clone());
        assert_eq!(
            world.initiate(&alice(), &bob(), &[id], NewGroupIds::single(gid(1))),
            Err(InitiateTransferError::TicketDeleted { ticket: id, status })
        );
        assert_eq!(
            wallet::download(
                &gone,
                &DownloadTicket {
                    ticket: id,
                    actor: alice(),
                    at: AT
                }
            ),
            Err(DownloadError::NotDownloadable { ticket: id, status })
        );
        assert_eq!(
            change(
                &gone,
                FlagChange::Activate(ActivationMethod::Online),
                Actor::Spectator(alice()),
                AT
            ),
            Err(ChangeFlagError::TicketDeleted { ticket: id, status })
        );
        assert_eq!(
            change(
                &gone,
                FlagChange::Activate(ActivationMethod::Online),
                Actor::System,
                AT
            ),
            Err(ChangeFlagError::TicketDeleted { ticket: id, status })
        );
    }
}

/// Only the current owner's device may download or activate (X2 for the wallet commands).
#[test]
fn w3_only_the_current_owner_downloads_or_activates() {
    let ticket = injected(1, &alice());
    let bob: Email = bob();
    assert_eq!(
        wallet::download(
            &ticket,
            &DownloadTicket {
                ticket: ticket.id,
                actor: bob.clone(),
                at: AT
            }
        ),
        Err(DownloadError::NotCurrentOwner {
            ticket: ticket.id,
            actor: bob.clone()
        })
    );
    let activate = FlagChange::Activate(ActivationMethod::Online);
    assert_eq!(
        change(&ticket, activate, Actor::Spectator(bob.clone()), AT),
        Err(ChangeFlagError::ActorNotAllowed {
            ticket: ticket.id,
            actor: Actor::Spectator(bob),
            change: activate
        })
    );
    assert_eq!(
        change(&ticket, FlagChange::Check, Actor::Spectator(alice()), AT),
        Err(ChangeFlagError::ActorNotAllowed {
            ticket: ticket.id,
            actor: Actor::Spectator(alice()),
            change: FlagChange::Check,
        })
    );
}

// ---------------------------------------------------------------------------------------------
// DownloadError: one test per variant (`err_...`)

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
// ChangeFlagError: one test per variant (`err_...`)

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
