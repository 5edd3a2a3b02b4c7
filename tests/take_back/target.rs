//! Where a replacement ticket is injected (SPEC B8).

use secure_ticket::{
    InjectionTarget, InjectionTargetError, Invalidation, InvalidationReason, Ticket,
    TixngoInterface,
};

use crate::common::*;

/// The old ticket invalidated for `reason`, replaced by [`NEW`], and the replacement, distributed
/// to dave. `old` may have moved in the wallet before.
pub(crate) fn replaced(old: &Ticket, reason: &str) -> (Ticket, Ticket) {
    let mut invalidated = old.clone();
    invalidated.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::from_code(reason),
        at: at(5),
        replaced_by: Some(NEW),
    });
    let mut new = issued(NEW, MOBILE);
    new.distribution.cultural_contact = Some(dave());
    new.distribution.replaces = Some(old.id);
    (invalidated, new)
}

fn interface_with(parameters: &[(&str, &str)]) -> TixngoInterface {
    TixngoInterface::from_custom_parameters(parameters.iter().copied()).unwrap()
}

/// The old ticket sent by the misspelled email to bob, who accepted it.
fn transferred_to_bob() -> Ticket {
    let ticket = injected();
    let sent = initiate(&ticket, &bob(), gid(1), at(1));
    let accepted = accept(&sent.groups[0], &after(&ticket, &sent), at(2));
    let moved = apply_with_feedback(&apply_with_feedback(&ticket, &sent), &accepted);
    assert_eq!(moved.wallet.as_ref().unwrap().owners.current, bob());
    moved
}

#[test]
fn b8_after_a_take_back_the_replacement_goes_to_its_cultural_contact() {
    let (old, new) = taken_back(&injected(), NEW, at(5));
    let mut redistributed = new;
    redistributed.distribution.cultural_contact = Some(dave());
    assert_eq!(
        interface().injection_target(&redistributed, Some(&old)),
        Ok(InjectionTarget::CulturalContact(dave()))
    );
}

#[test]
fn b8_without_the_reason_in_the_list_the_replacement_goes_to_the_latest_owner() {
    let (old, new) = replaced(&injected(), InvalidationReason::MOBILE_TAKE_BACK);
    for interface in [
        TixngoInterface::default(),
        interface_with(&[(TixngoInterface::RESET_REASONS, "REFUND")]),
        interface_with(&[(TixngoInterface::OVERLAY, "false")]),
    ] {
        assert_eq!(
            interface.injection_target(&new, Some(&old)),
            Ok(InjectionTarget::LatestOwner(typo())),
            "{interface:?}"
        );
    }
}

#[test]
fn b8_the_reason_in_the_list_sends_the_replacement_to_its_cultural_contact() {
    let (old, new) = replaced(&injected(), "REFUND");
    for reasons in [
        "REFUND",
        "REFUND, MOBILE_TAKE_BACK",
        "MOBILE_TAKE_BACK,REFUND",
    ] {
        let interface = interface_with(&[(TixngoInterface::RESET_REASONS, reasons)]);
        assert_eq!(
            interface.injection_target(&new, Some(&old)),
            Ok(InjectionTarget::CulturalContact(dave())),
            "{reasons}"
        );
    }
    assert_eq!(
        interface().injection_target(&new, Some(&old)),
        Ok(InjectionTarget::LatestOwner(typo()))
    );
}

#[test]
fn b8_the_overlay_flag_sends_every_replacement_to_its_cultural_contact() {
    let interface = interface_with(&[(TixngoInterface::OVERLAY, "true")]);
    for reason in ["REFUND", InvalidationReason::MOBILE_TAKE_BACK, "EXCHANGE"] {
        let (old, new) = replaced(&transferred_to_bob(), reason);
        assert_eq!(
            interface.injection_target(&new, Some(&old)),
            Ok(InjectionTarget::CulturalContact(dave())),
            "{reason}"
        );
    }
}

#[test]
fn b8_the_latest_owner_is_the_current_owner_after_a_transfer() {
    let (old, new) = replaced(&transferred_to_bob(), "REFUND");
    assert_eq!(old.wallet.as_ref().unwrap().owners.initial, typo());
    assert_eq!(
        interface().injection_target(&new, Some(&old)),
        Ok(InjectionTarget::LatestOwner(bob()))
    );
    assert_eq!(
        interface_with(&[(TixngoInterface::RESET_REASONS, "REFUND, MOBILE_TAKE_BACK")])
            .injection_target(&new, Some(&old)),
        Ok(InjectionTarget::CulturalContact(dave()))
    );
}

#[test]
fn b8_a_pending_transfer_does_not_change_the_latest_owner() {
    let ticket = injected();
    let sent = initiate(&ticket, &bob(), gid(1), at(1));
    let (old, new) = replaced(&after(&ticket, &sent), "REFUND");
    assert_eq!(
        interface().injection_target(&new, Some(&old)),
        Ok(InjectionTarget::LatestOwner(typo()))
    );
}

#[test]
fn b8_a_ticket_without_injected_predecessor_goes_to_its_cultural_contact() {
    let (old, new) = replaced(&issued(OLD, MOBILE), "REFUND");
    assert_eq!(
        TixngoInterface::default().injection_target(&new, Some(&old)),
        Ok(InjectionTarget::CulturalContact(dave()))
    );
    assert!(matches!(
        TixngoInterface::default().injection_target(&new, None),
        Err(InjectionTargetError::WrongPredecessor { .. })
    ));
    let first = issued(OLD, MOBILE);
    assert_eq!(
        TixngoInterface::default().injection_target(&first, None),
        Ok(InjectionTarget::CulturalContact(typo()))
    );
}

#[test]
fn b8_the_target_names_the_email_to_inject_to() {
    assert_eq!(InjectionTarget::CulturalContact(dave()).email(), &dave());
    assert_eq!(InjectionTarget::LatestOwner(typo()).email(), &typo());
}

#[test]
fn b8_a_replacement_without_cultural_contact_has_no_target() {
    let (old, mut new) = taken_back(&injected(), NEW, at(5));
    new.distribution.cultural_contact = None;
    assert_eq!(
        interface().injection_target(&new, Some(&old)),
        Err(InjectionTargetError::NoCulturalContact { ticket: NEW })
    );
    // Going to the latest owner needs no cultural contact.
    assert_eq!(
        TixngoInterface::default().injection_target(&new, Some(&old)),
        Ok(InjectionTarget::LatestOwner(typo()))
    );
}

// InjectionTargetError: one test per variant (`err_...`)

#[test]
fn err_injection_target_no_cultural_contact() {
    let mut ticket = issued(tid(300), MOBILE);
    ticket.distribution.cultural_contact = None;
    let error = interface().injection_target(&ticket, None).unwrap_err();
    assert_eq!(
        error,
        InjectionTargetError::NoCulturalContact { ticket: tid(300) }
    );
    assert_message(
        &error,
        &[&tid(300).to_string(), "distribute it to a contact first"],
    );
}

#[test]
fn err_injection_target_wrong_predecessor() {
    let (old, new) = replaced(&issued(OLD, MOBILE), "REFUND");
    let error = interface().injection_target(&new, None).unwrap_err();
    assert_eq!(
        error,
        InjectionTargetError::WrongPredecessor {
            ticket: new.id,
            expected: Some(old.id),
            given: None
        }
    );
    assert_message(
        &error,
        &[
            &new.id.to_string(),
            &old.id.to_string(),
            "pass the ticket it replaces",
        ],
    );
    let unrelated = issued(tid(400), MOBILE);
    assert_eq!(
        interface().injection_target(&new, Some(&unrelated)),
        Err(InjectionTargetError::WrongPredecessor {
            ticket: new.id,
            expected: Some(old.id),
            given: Some(tid(400))
        })
    );
    assert_eq!(
        interface().injection_target(&unrelated, Some(&old)),
        Err(InjectionTargetError::WrongPredecessor {
            ticket: tid(400),
            expected: None,
            given: Some(old.id)
        })
    );
}
