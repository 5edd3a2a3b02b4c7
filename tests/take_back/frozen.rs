//! W5: once taken back, the old ticket is frozen in the wallet: it takes no wallet transition but
//! deletion, so a right never has two live tickets in wallets while the deletion push is on its
//! way (B11).

use secure_ticket::transfer::{
    self, AcceptTransfer, AcceptTransferError, InitiateTransfer, SignIn,
};
use secure_ticket::transfer::{InitiateTransferError, NewGroupIds};
use secure_ticket::wallet::{
    self, ChangeFlag, ChangeFlagError, DownloadError, DownloadTicket, FlagChange, RequestDeletion,
};
use secure_ticket::{
    AcceptanceSettings, ActivationMethod, Actor, Invalidation, InvalidationReason, WalletStatus,
};

use crate::common::*;

#[test]
fn w5_a_ticket_taken_back_takes_no_wallet_transition_but_deletion() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    assert_eq!(old.wallet_status(), Some(WalletStatus::NotDownloaded));
    let reason = InvalidationReason::MobileTakeBack;
    assert_eq!(
        wallet::download(
            &old,
            &DownloadTicket {
                ticket: OLD,
                actor: typo(),
                at: at(6)
            }
        ),
        Err(DownloadError::TicketInvalidated {
            ticket: OLD,
            reason: reason.clone()
        })
    );
    assert_eq!(
        wallet::change_flag(
            &old,
            &ChangeFlag {
                ticket: OLD,
                change: FlagChange::Activate(ActivationMethod::Online),
                actor: Actor::Spectator(typo()),
                at: at(6)
            }
        ),
        Err(ChangeFlagError::TicketInvalidated {
            ticket: OLD,
            reason: reason.clone()
        })
    );
    assert_eq!(
        transfer::initiate(
            std::slice::from_ref(&old),
            &transfer::Context::new(&[rule()]).with_settings(AcceptanceSettings::explicit()),
            &InitiateTransfer {
                actor: typo(),
                recipient: bob(),
                tickets: vec![OLD],
                groups: NewGroupIds::single(gid(1)),
                at: at(6),
            }
        ),
        Err(InitiateTransferError::TicketInvalidated {
            ticket: OLD,
            reason
        })
    );
    // The deletion push still goes through (B10).
    let requested = wallet::request_deletion(
        &old,
        &RequestDeletion {
            ticket: OLD,
            at: at(6),
        },
    )
    .unwrap();
    assert_eq!(
        requested.tickets[0].wallet_status(),
        Some(WalletStatus::DeletionPending)
    );
}

#[test]
fn w5_a_group_holding_an_invalidated_ticket_cannot_complete_but_can_end() {
    // A ticket pending to bob, invalidated by S360 by other means (a take back now refuses a
    // pending ticket: B12): bob's acceptance is refused, his sign-in leaves the group pending,
    // and the sender can still cancel it.
    let ticket = injected();
    let sent = initiate(&ticket, &bob(), gid(1), at(1));
    let mut pending = after(&ticket, &sent);
    pending.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::MobileTakeBack,
        at: at(2),
        replaced_by: Some(NEW),
    });
    let group = &sent.groups[0];
    assert_eq!(
        transfer::accept(
            group,
            std::slice::from_ref(&pending),
            &[rule()],
            &AcceptTransfer {
                group: gid(1),
                actor: bob(),
                at: at(3)
            }
        ),
        Err(AcceptTransferError::TicketInvalidated {
            ticket: OLD,
            reason: InvalidationReason::MobileTakeBack
        })
    );
    let mut automatic = group.clone();
    automatic.acceptance = transfer::Acceptance::Automatic;
    let signed_in = transfer::complete_on_sign_in(
        std::slice::from_ref(&automatic),
        std::slice::from_ref(&pending),
        &[rule()],
        &SignIn {
            actor: bob(),
            at: at(3),
        },
    )
    .unwrap();
    assert!(signed_in.is_empty(), "the group stays pending");
    let cancelled = transfer::cancel(
        group,
        std::slice::from_ref(&pending),
        &transfer::CancelTransfer {
            group: gid(1),
            actor: typo(),
            at: at(4),
        },
    )
    .unwrap();
    assert!(!cancelled.groups[0].is_pending());
}

#[test]
fn x2_a_foreign_point_of_sale_learns_nothing_of_an_invalidated_ticket() {
    use secure_ticket::take_back::{self, TakeBackError};
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let foreign = secure_ticket::PointOfSale {
        id: OTHER_POS,
        ..pos()
    };
    let mut command = take_back_command(OLD, tid(300), at(6));
    command.point_of_sale = OTHER_POS;
    let refused = take_back::take_back(&old, &foreign, &interface(), &policy(), &command);
    assert!(
        matches!(refused, Err(TakeBackError::WrongPointOfSale { .. })),
        "{refused:?}: not the invalidation reason"
    );
}
