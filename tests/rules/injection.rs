//! I1: injection.

use secure_ticket::injection::{self, InjectError, InjectTicket};
use secure_ticket::{
    Decision, Distribution, Event, InputError, Invalidation, InvalidationReason, Owners, RightId,
    ShipmentMode, ShipmentModeId, Ticket, TicketId, Wallet,
};

use crate::common::{
    AT, LATER, MISSING, POS, RULE, T, alice, assert_refused, bob, injected, issued, tid,
};

fn inject_to_alice(ticket: &Ticket) -> Result<Decision, InjectError> {
    injection::inject(
        ticket,
        &InjectTicket {
            ticket: ticket.id,
            to: alice(),
            usage_rule: RULE,
            at: AT,
        },
    )
}

#[test]
fn i1_injection_gives_the_ticket_to_the_contact_and_marks_it_printed() {
    let ticket = issued(1);
    let decision = inject_to_alice(&ticket).unwrap();

    let mut expected = ticket.clone();
    expected.distribution.printed = true;
    expected.wallet = Some(Wallet {
        usage_rule: RULE,
        injected_at: AT,
        owners: Owners {
            initial: alice(),
            previous: None,
            current: alice(),
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
    });
    assert_eq!(
        decision,
        Decision {
            created: Vec::new().into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![expected].into(),
            groups: Vec::new().into(),
            events: vec![Event::TicketInjected {
                ticket: tid(1),
                right: RightId::from_u128(1),
                owner: alice(),
                usage_rule: RULE,
                at: AT,
            }]
            .into(),
        }
    );
}

#[test]
fn i1_only_a_valid_not_yet_injected_secure_mobile_ticket_is_injected() {
    let mut invalidated = issued(1);
    invalidated.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::MobileTakeBack,
        at: AT,
        replaced_by: Some(tid(2)),
    });
    assert_eq!(
        inject_to_alice(&invalidated),
        Err(InjectError::TicketInvalidated {
            ticket: tid(1),
            reason: InvalidationReason::MobileTakeBack
        })
    );

    let print_at_home = Ticket::new(
        secure_ticket::OrganizerId::from_u128(1),
        tid(3),
        RightId::from_u128(3),
        Distribution::new(
            POS,
            ShipmentMode::print_at_home(ShipmentModeId::from_u128(2)),
        ),
    );
    assert_eq!(
        inject_to_alice(&print_at_home),
        Err(InjectError::NotSecureMobile {
            ticket: tid(3),
            shipment_mode: ShipmentModeId::from_u128(2)
        })
    );

    let already = injected(4, &bob());
    let again = injection::inject(
        &already,
        &InjectTicket {
            ticket: already.id,
            to: alice(),
            usage_rule: RULE,
            at: LATER,
        },
    );
    assert_eq!(
        again,
        Err(InjectError::AlreadyInjected {
            ticket: tid(4),
            injected_at: AT
        })
    );
}

// ---------------------------------------------------------------------------------------------
// InjectError: one test per variant (`err_...`)

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
        secure_ticket::OrganizerId::from_u128(1),
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
