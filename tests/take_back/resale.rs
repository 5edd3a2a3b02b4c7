//! Resale of injected mobile tickets (SPEC R1-R3): the point of sale's two switches, the cultural
//! contact, the `RESALE` invalidation, and the settlement on TIXnGO's deletion feedback.

use secure_ticket::resale::{self, PutOnResale, ResaleError, SettleResale};
use secure_ticket::spectator::{self, LockSpectator};
use secure_ticket::staff::{Reason, Staff, StaffRole};
use secure_ticket::wallet::{self, RequestDeletion};
use secure_ticket::{
    Event, InvalidationReason, LifecycleStatus, OrganizerSettings, PointOfSale, StaffId, Ticket,
    TicketId, injection,
};

use crate::common::*;

const BUYER_TICKET: TicketId = TicketId::from_u128(900);

fn resale_pos() -> PointOfSale {
    pos().with_resale(true, false)
}

fn put(ticket: &Ticket, pos: &PointOfSale) -> Result<secure_ticket::Decision, ResaleError> {
    resale::put_on_resale(
        ticket,
        pos,
        &[],
        &PutOnResale {
            ticket: ticket.id,
            point_of_sale: POS,
            actor: typo(),
            buyer: erin(),
            buyer_ticket: BUYER_TICKET,
            at: at(5),
        },
    )
}

/// `ticket` as TIXnGO deletes it after the invalidation (DELETION_PENDING), and the feedback
/// that reports it, not recorded yet.
fn deletion_pending(ticket: &Ticket) -> (Ticket, secure_ticket::Feedback) {
    let pending = wallet::request_deletion(
        ticket,
        &RequestDeletion {
            ticket: ticket.id,
            at: at(6),
        },
    )
    .unwrap();
    let feedback = feedback_of(&pending.events).remove(0);
    (after(ticket, &pending), feedback)
}

#[test]
fn r1_two_switches_and_only_the_cultural_contact() {
    let ticket = injected();
    assert_eq!(
        put(&ticket, &pos()),
        Err(ResaleError::ResaleDisabled {
            point_of_sale: POS,
            transferred: false
        })
    );
    let mut by_agency = PutOnResale {
        ticket: OLD,
        point_of_sale: POS,
        actor: agency(),
        buyer: erin(),
        buyer_ticket: BUYER_TICKET,
        at: at(5),
    };
    assert!(matches!(
        resale::put_on_resale(&ticket, &resale_pos(), &[], &by_agency),
        Err(ResaleError::NotCulturalContact { .. })
    ));
    by_agency.actor = typo();
    assert!(resale::put_on_resale(&ticket, &resale_pos(), &[], &by_agency).is_ok());
    // A transferred ticket needs the second switch.
    let mut transferred = ticket.clone();
    transferred.wallet.as_mut().unwrap().forward_transfers = 1;
    transferred.wallet.as_mut().unwrap().owners.current = bob();
    assert_eq!(
        put(&transferred, &resale_pos()),
        Err(ResaleError::ResaleDisabled {
            point_of_sale: POS,
            transferred: true
        })
    );
    assert!(put(&transferred, &pos().with_resale(false, true)).is_ok());
}

#[test]
fn r1_a_locked_current_owner_may_not_resell() {
    let ticket = injected();
    let settings = OrganizerSettings::new(ticket.organizer);
    let lock = LockSpectator {
        staff: Staff::new(StaffId::from_u128(1), StaffRole::Admin),
        spectator: typo(),
        reason: Reason::parse("fraud").unwrap(),
        at: at(1),
    };
    let record = spectator::lock(None, &settings, &lock).unwrap().spectators[0].clone();
    let command = PutOnResale {
        ticket: OLD,
        point_of_sale: POS,
        actor: typo(),
        buyer: erin(),
        buyer_ticket: BUYER_TICKET,
        at: at(5),
    };
    assert!(matches!(
        resale::put_on_resale(&ticket, &resale_pos(), &[&record], &command),
        Err(ResaleError::SpectatorLocked(_))
    ));
    // L2: the locked one is the actor, another spectator owns the ticket now.
    let mut transferred = ticket.clone();
    transferred.wallet.as_mut().unwrap().owners.current = bob();
    transferred.wallet.as_mut().unwrap().forward_transfers = 1;
    assert!(matches!(
        resale::put_on_resale(&transferred, &pos().with_resale(true, true), &[&record], &command),
        Err(ResaleError::SpectatorLocked(l)) if l.spectator == typo()
    ));
    assert!(
        resale::put_on_resale(&transferred, &pos().with_resale(true, true), &[], &command).is_ok()
    );
}

#[test]
fn r2_resale_invalidates_with_resale_and_completes_for_the_buyer_on_deletion_feedback() {
    let ticket = injected();
    let held = only(put(&ticket, &resale_pos()).unwrap());
    let invalidation = held.distribution.invalidation.as_ref().unwrap();
    assert_eq!(invalidation.reason, InvalidationReason::Resale);
    assert_eq!(invalidation.reason.code(), "RESALE");
    assert!(
        !held.is_valid(),
        "B11: no valid ticket for the right while on resale"
    );
    assert_eq!(
        put(&held, &resale_pos()),
        Err(ResaleError::AlreadyOnResale { ticket: OLD })
    );
    let settle = SettleResale {
        ticket: OLD,
        at: at(7),
    };
    assert!(matches!(
        resale::settle_resale(&held, &settle),
        Err(ResaleError::DeletionNotReported {
            status: Some(LifecycleStatus::Injected),
            ..
        })
    ));
    // TIXnGO's DELETION_PENDING, recorded by S360, settles the resale in the same decision.
    let (deleting, feedback) = deletion_pending(&held);
    let done = injection::record_feedback(&deleting, &feedback).unwrap();
    let (old, new) = (&done.tickets[0], &done.tickets[1]);
    assert_eq!(
        old.distribution.invalidation.as_ref().unwrap().replaced_by,
        Some(BUYER_TICKET)
    );
    assert_eq!(
        (new.id, new.right, new.distribution.cultural_contact.clone()),
        (BUYER_TICKET, RIGHT, Some(erin()))
    );
    assert!(new.is_valid() && new.wallet.is_none());
    assert!(matches!(
        done.events[1],
        Event::ResaleCompleted {
            buyer_ticket: BUYER_TICKET,
            ..
        }
    ));
    assert_eq!(
        resale::settle_resale(old, &settle),
        Err(ResaleError::NotOnResale { ticket: OLD }),
        "a settlement of a resale that no longer exists"
    );
    // The explicit command settles a ticket whose deletion was recorded otherwise.
    let mut recorded = deleting.clone();
    recorded.distribution.last_feedback = Some(secure_ticket::LastFeedback {
        status: LifecycleStatus::DeletionPending,
        at: at(6),
        sequence: feedback.sequence,
    });
    assert_eq!(
        resale::settle_resale(&recorded, &settle)
            .unwrap()
            .tickets
            .len(),
        2
    );
}

#[test]
fn r2_a_ticket_that_left_the_contacts_wallet_first_cancels_the_resale() {
    let ticket = injected();
    let held = only(put(&ticket, &resale_pos()).unwrap());
    let (mut moved, feedback) = deletion_pending(&held);
    moved.wallet.as_mut().unwrap().owners.current = bob();
    let done = injection::record_feedback(&moved, &feedback).unwrap();
    let back = only(done.clone());
    assert!(back.is_valid() && back.distribution.resale.is_none());
    assert!(matches!(&done.events[1], Event::ResaleCancelled { owner, .. } if *owner == bob()));
}

#[test]
fn r3_a_ticket_pending_transfer_cannot_be_put_on_resale() {
    let ticket = injected();
    let pending = after(&ticket, &initiate(&ticket, &bob(), gid(1), at(1)));
    assert!(matches!(
        put(&pending, &resale_pos()),
        Err(ResaleError::PendingTransfer { .. })
    ));
}
