//! The deletion push of an invalidated ticket to TIXnGO (SPEC B10).

use secure_ticket::take_back::{self, TakeBackError};
use secure_ticket::transfer::{self, InitiateTransfer, InitiateTransferError, NewGroupIds};
use secure_ticket::wallet::{
    self, CompleteDeletion, DeletionError, DownloadError, DownloadTicket, RequestDeletion,
};
use secure_ticket::{
    AcceptanceSettings, Decision, Event, InputError, Invalidation, InvalidationReason,
    LastFeedback, LifecycleStatus, Ticket, WalletStatus,
};

use crate::common::*;

fn request(ticket: &Ticket, minute: i64) -> Result<Decision, DeletionError> {
    wallet::request_deletion(
        ticket,
        &RequestDeletion {
            ticket: ticket.id,
            at: at(minute),
        },
    )
}

fn complete(ticket: &Ticket, minute: i64) -> Result<Decision, DeletionError> {
    wallet::complete_deletion(
        ticket,
        &CompleteDeletion {
            ticket: ticket.id,
            at: at(minute),
        },
    )
}

#[test]
fn b10_the_invalidated_ticket_becomes_deletion_pending_then_deleted() {
    let (old, _) = taken_back(&injected(), NEW, at(5));

    let requested = request(&old, 6).unwrap();
    let mut pending = old.clone();
    pending.wallet.as_mut().unwrap().deletion_requested_at = Some(at(6));
    assert_eq!(
        requested,
        Decision {
            created: Vec::new().into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![pending.clone()].into(),
            groups: Vec::new().into(),
            events: vec![Event::TicketDeletionRequested {
                ticket: OLD,
                at: at(6)
            }]
            .into(),
        }
    );
    assert_eq!(pending.wallet_status(), Some(WalletStatus::DeletionPending));

    let deleted = complete(&pending, 7).unwrap();
    let mut gone = pending.clone();
    gone.wallet.as_mut().unwrap().deleted_at = Some(at(7));
    assert_eq!(
        deleted,
        Decision {
            created: Vec::new().into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![gone.clone()].into(),
            groups: Vec::new().into(),
            events: vec![Event::TicketDeleted {
                ticket: OLD,
                at: at(7)
            }]
            .into(),
        }
    );
    assert_eq!(gone.wallet_status(), Some(WalletStatus::Deleted));

    // S360 hears of both through the feedback interface.
    let recorded = record_all(&record_all(&old, &requested), &deleted);
    assert_eq!(
        recorded.distribution.last_feedback,
        Some(LastFeedback {
            status: LifecycleStatus::Deleted,
            at: at(7),
            sequence: seq(at(7)),
        })
    );
    assert!(!recorded.is_valid());
}

#[test]
fn b10_a_still_valid_ticket_is_not_deleted() {
    let ticket = injected();
    assert_eq!(
        request(&ticket, 6),
        Err(DeletionError::StillValid { ticket: OLD })
    );
    assert_eq!(
        complete(&ticket, 6),
        Err(DeletionError::StillValid { ticket: OLD })
    );
    // Neither is the replacement, valid and injected.
    let (_, new) = taken_back(&ticket, NEW, at(5));
    let mut redistributed = new;
    redistributed.distribution.cultural_contact = Some(dave());
    let replacement = inject_with_feedback(&redistributed, &dave(), at(6));
    assert_eq!(
        request(&replacement, 7),
        Err(DeletionError::StillValid { ticket: NEW })
    );
}

#[test]
fn b10_deletion_steps_apply_once_and_in_order() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    assert_eq!(
        complete(&old, 6),
        Err(DeletionError::WrongStatus {
            ticket: OLD,
            status: WalletStatus::NotDownloaded
        })
    );
    let pending = only(request(&old, 6).unwrap());
    assert_eq!(
        request(&pending, 7),
        Err(DeletionError::WrongStatus {
            ticket: OLD,
            status: WalletStatus::DeletionPending
        })
    );
    let gone = only(complete(&pending, 7).unwrap());
    assert_eq!(
        request(&gone, 8),
        Err(DeletionError::WrongStatus {
            ticket: OLD,
            status: WalletStatus::Deleted
        })
    );
    assert_eq!(
        complete(&gone, 8),
        Err(DeletionError::WrongStatus {
            ticket: OLD,
            status: WalletStatus::Deleted
        })
    );
}

#[test]
fn b10_after_deletion_is_requested_the_ticket_cannot_be_transferred_or_downloaded() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let pending = only(request(&old, 6).unwrap());
    let command = InitiateTransfer {
        actor: typo(),
        recipient: bob(),
        tickets: vec![OLD],
        groups: NewGroupIds::single(gid(1)),
        at: at(7),
    };
    assert_eq!(
        transfer::initiate(
            std::slice::from_ref(&pending),
            &transfer::Context::new(&[rule()]).with_settings(AcceptanceSettings::explicit()),
            &command
        ),
        Err(InitiateTransferError::TicketDeleted {
            ticket: OLD,
            status: WalletStatus::DeletionPending
        })
    );
    assert_eq!(
        wallet::download(
            &pending,
            &DownloadTicket {
                ticket: OLD,
                actor: typo(),
                at: at(7)
            }
        ),
        Err(DownloadError::NotDownloadable {
            ticket: OLD,
            status: WalletStatus::DeletionPending
        })
    );
    let gone = only(complete(&pending, 7).unwrap());
    assert_eq!(
        transfer::initiate(
            std::slice::from_ref(&gone),
            &transfer::Context::new(&[rule()]).with_settings(AcceptanceSettings::explicit()),
            &InitiateTransfer {
                at: at(8),
                ..command
            }
        ),
        Err(InitiateTransferError::TicketDeleted {
            ticket: OLD,
            status: WalletStatus::Deleted
        })
    );
}

#[test]
fn b12_a_ticket_pending_in_the_wallet_cannot_be_taken_back() {
    // The wallet moved on before S360 heard of it: the ticket is pending to bob. The wallet facet
    // is in the same record, so the take back sees it (B12) and nothing changes.
    let ticket = injected();
    let sent = initiate(&ticket, &bob(), gid(1), at(1));
    let pending = after(&ticket, &sent);
    assert_eq!(
        pending.distribution.last_feedback.map(|f| f.status),
        Some(LifecycleStatus::Injected)
    );
    assert_eq!(
        take_back::take_back(
            &pending,
            &pos(),
            &interface(),
            &policy(),
            &take_back_command(OLD, NEW, at(5)),
        ),
        Err(TakeBackError::NoLongerInjected {
            ticket: OLD,
            status: LifecycleStatus::PendingTransfer
        })
    );
}

// DeletionError: one test per variant (`err_...`)

#[test]
fn err_deletion_ticket_not_found() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let error = wallet::request_deletion(
        &old,
        &RequestDeletion {
            ticket: tid(999),
            at: at(6),
        },
    )
    .unwrap_err();
    assert_eq!(
        error,
        DeletionError::Input(InputError::TicketNotFound { ticket: tid(999) })
    );
    assert_message(&error, &[&tid(999).to_string(), "check the ticket id"]);
    assert_eq!(
        wallet::complete_deletion(
            &old,
            &CompleteDeletion {
                ticket: tid(999),
                at: at(6)
            }
        ),
        Err(error)
    );
}

#[test]
fn err_deletion_not_injected() {
    let mut ticket = issued(OLD, MOBILE);
    ticket.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::from_code("REFUND"),
        at: at(1),
        replaced_by: None,
    });
    let error = wallet::request_deletion(
        &ticket,
        &RequestDeletion {
            ticket: OLD,
            at: at(6),
        },
    )
    .unwrap_err();
    assert_eq!(error, DeletionError::NotInjected { ticket: OLD });
    assert_message(
        &error,
        &[&OLD.to_string(), "never injected", "nothing to delete"],
    );
}

#[test]
fn err_deletion_still_valid() {
    let error = wallet::request_deletion(
        &injected(),
        &RequestDeletion {
            ticket: OLD,
            at: at(6),
        },
    )
    .unwrap_err();
    assert_eq!(error, DeletionError::StillValid { ticket: OLD });
    assert_message(
        &error,
        &[&OLD.to_string(), "invalidate it before deleting it"],
    );
}

#[test]
fn err_deletion_wrong_status() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let error = wallet::complete_deletion(
        &old,
        &CompleteDeletion {
            ticket: OLD,
            at: at(6),
        },
    )
    .unwrap_err();
    assert_eq!(
        error,
        DeletionError::WrongStatus {
            ticket: OLD,
            status: WalletStatus::NotDownloaded
        }
    );
    assert_message(
        &error,
        &[&OLD.to_string(), "NOT_DOWNLOADED", "does not apply"],
    );
}
