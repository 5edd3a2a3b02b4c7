//! Take back of downloaded tickets (SPEC D1-D4): the point of sale's setting, its dependency on
//! B1, the actor's contact kind, the statuses that still refuse, and the effect (B7, then B10).

use secure_ticket::take_back::{self, ConfigurationProblem, TakeBackError};
use secure_ticket::wallet::{self, DownloadTicket, RequestDeletion};
use secure_ticket::{
    ContactKind, Decision, DownloadedTakeBack, InvalidationReason, LifecycleStatus, PointOfSale,
    Ticket, WalletStatus,
};

use crate::common::*;

/// `ticket`, downloaded on its owner's phone, with TIXnGO's DOWNLOADED feedback recorded.
fn downloaded(ticket: &Ticket) -> Ticket {
    let owner = ticket.wallet.as_ref().unwrap().owners.current.clone();
    let done = wallet::download(
        ticket,
        &DownloadTicket {
            ticket: ticket.id,
            actor: owner,
            at: at(1),
        },
    )
    .unwrap();
    apply_with_feedback(ticket, &done)
}

fn by(ticket: &Ticket, pos: &PointOfSale, contact: ContactKind) -> Result<Decision, TakeBackError> {
    let mut command = take_back_command(ticket.id, NEW, at(5));
    command.contact = contact;
    take_back::take_back(ticket, pos, &interface(), &policy(), &command)
}

#[test]
fn d1_the_setting_is_off_by_default_and_needs_b1s_switch() {
    assert_eq!(pos().downloaded_take_back, DownloadedTakeBack::Off);
    let json = serde_json::to_string(&pos()).unwrap();
    assert!(
        !json.contains("downloaded_take_back"),
        "OFF is stored as nothing: {json}"
    );
    let without_b1 = pos()
        .with_mobile_take_back(false)
        .with_downloaded_take_back(DownloadedTakeBack::Relay);
    assert_eq!(
        take_back::check_configuration(&without_b1, &interface()),
        [
            ConfigurationProblem::DownloadedTakeBackWithoutMobileTakeBack {
                point_of_sale: POS,
                setting: DownloadedTakeBack::Relay
            }
        ]
    );
    let sound = pos().with_downloaded_take_back(DownloadedTakeBack::RelayAndPublic);
    assert!(take_back::check_configuration(&sound, &interface()).is_empty());
    let back: PointOfSale = serde_json::from_str(&serde_json::to_string(&sound).unwrap()).unwrap();
    assert_eq!(back, sound);
}

#[test]
fn d2_relay_lets_relay_contacts_only_relay_and_public_lets_both() {
    let ticket = downloaded(&injected());
    let relay = pos().with_downloaded_take_back(DownloadedTakeBack::Relay);
    assert_eq!(
        by(&ticket, &relay, ContactKind::Individual),
        Err(TakeBackError::DownloadedTakeBackNotAllowed {
            ticket: OLD,
            point_of_sale: POS,
            setting: DownloadedTakeBack::Relay,
            contact: ContactKind::Individual,
        })
    );
    assert!(by(&ticket, &relay, ContactKind::Relay).is_ok());
    let public = pos().with_downloaded_take_back(DownloadedTakeBack::RelayAndPublic);
    assert!(by(&ticket, &public, ContactKind::Individual).is_ok());
    // OFF: B4 as before.
    assert_eq!(
        by(&ticket, &pos(), ContactKind::Relay),
        Err(TakeBackError::NoLongerInjected {
            ticket: OLD,
            status: LifecycleStatus::Downloaded
        })
    );
}

#[test]
fn d3_every_status_but_downloaded_or_injected_is_refused_with_its_own_reason() {
    let public = pos().with_downloaded_take_back(DownloadedTakeBack::RelayAndPublic);
    for status in [
        LifecycleStatus::Transferred,
        LifecycleStatus::PendingTransfer,
        LifecycleStatus::Assigned,
        LifecycleStatus::OnlineActivated,
        LifecycleStatus::Controlled,
        LifecycleStatus::DeletionPending,
        LifecycleStatus::Deleted,
    ] {
        let ticket = with_last_feedback(&injected(), status, at(2));
        assert_eq!(
            by(&ticket, &public, ContactKind::Relay),
            Err(TakeBackError::NoLongerInjected {
                ticket: OLD,
                status
            }),
            "{status}"
        );
    }
    // B6 and "feedback present" still apply.
    let no_feedback = {
        let mut t = downloaded(&injected());
        t.distribution.last_feedback = None;
        t
    };
    assert_eq!(
        by(&no_feedback, &public, ContactKind::Relay),
        Err(TakeBackError::NoFeedbackYet { ticket: OLD })
    );
    // The wallet facet wins over a lagging feedback (B12): sent on after the download.
    let sent = downloaded(&injected());
    let pending = after(&sent, &initiate(&sent, &bob(), gid(1), at(3)));
    assert!(matches!(
        by(&pending, &public, ContactKind::Relay),
        Err(TakeBackError::NoLongerInjected {
            status: LifecycleStatus::PendingTransfer,
            ..
        })
    ));
}

#[test]
fn d4_the_effect_is_b7s_and_the_old_ticket_goes_deletion_pending_then_deleted() {
    let ticket = downloaded(&injected());
    let public = pos().with_downloaded_take_back(DownloadedTakeBack::RelayAndPublic);
    let decision = by(&ticket, &public, ContactKind::Individual).unwrap();
    let (old, new) = (&decision.tickets[0], &decision.tickets[1]);
    let invalidation = old.distribution.invalidation.as_ref().unwrap();
    assert_eq!(invalidation.reason, InvalidationReason::MobileTakeBack);
    assert_eq!(invalidation.replaced_by, Some(NEW));
    assert_eq!(new.distribution.replaces, Some(OLD));
    assert!(new.wallet.is_none(), "the replacement is not injected (B7)");
    // B10: pushed to TIXnGO, the old ticket is DELETION_PENDING on the phone, then DELETED.
    let pending = only(
        wallet::request_deletion(
            old,
            &RequestDeletion {
                ticket: OLD,
                at: at(6),
            },
        )
        .unwrap(),
    );
    assert_eq!(pending.wallet_status(), Some(WalletStatus::DeletionPending));
}
