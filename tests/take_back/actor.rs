//! Who may take a ticket back (B13), and what a caller who may not is told (X2).

use secure_ticket::take_back::{self, RedistributeError, RedistributeTicket, TakeBackError};
use secure_ticket::wallet::{
    self, Actor, ChangeFlag, CompleteDeletion, FlagChange, RequestDeletion,
};
use secure_ticket::{ActivationMethod, Email, LifecycleStatus, PointOfSale, Ticket};

use crate::common::*;

/// The take back of `ticket` by `actor` through `pos`, with the fixture settings.
fn by(actor: &Email, ticket: &Ticket, pos: &PointOfSale) -> Result<(), TakeBackError> {
    let command = take_back::TakeBackTicket {
        actor: actor.clone(),
        ..take_back_command(ticket.id, NEW, at(5))
    };
    take_back::take_back(ticket, pos, &interface(), &policy(), &command).map(|_| ())
}

#[test]
fn b13_only_the_b2b_contact_takes_a_ticket_back() {
    // Mobile (injected, INJECTED recorded) and regular (print at home) take backs alike.
    for ticket in [injected(), issued(tid(300), PRINT)] {
        assert_eq!(ticket.distribution.b2b_contact, Some(agency()));
        // The misspelled email's owner, the right person, a colleague at the agency: all act
        // through the distributing point of sale, none is the ticket's B2B contact.
        for stranger in [typo(), dave(), email("desk@agency.example.com")] {
            assert_eq!(
                by(&stranger, &ticket, &pos()),
                Err(TakeBackError::NotB2bContact {
                    ticket: ticket.id,
                    actor: stranger.clone(),
                }),
                "{stranger}"
            );
        }
        assert_eq!(by(&agency(), &ticket, &pos()), Ok(()));
    }
}

#[test]
fn b13_a_ticket_sold_to_no_b2b_customer_is_taken_back_by_no_one() {
    let mut ticket = injected();
    ticket.distribution.b2b_contact = None;
    for actor in [agency(), typo()] {
        assert_eq!(
            by(&actor, &ticket, &pos()),
            Err(TakeBackError::NoB2bContact { ticket: OLD })
        );
    }
}

#[test]
fn b13_the_replacement_keeps_the_b2b_contact_whoever_holds_it() {
    let (_, new) = taken_back(&injected(), NEW, at(5));
    assert_eq!(new.distribution.b2b_contact, Some(agency()));
    assert_eq!(new.distribution.cultural_contact, Some(agency()));
    // Redistributed to dave: he becomes its cultural contact, not its B2B contact.
    let redistributed = only(
        take_back::redistribute(
            &new,
            &pos(),
            &RedistributeTicket {
                ticket: NEW,
                point_of_sale: POS,
                actor: agency(),
                to: dave(),
                at: at(6),
            },
        )
        .unwrap(),
    );
    assert_eq!(redistributed.distribution.cultural_contact, Some(dave()));
    assert_eq!(redistributed.distribution.b2b_contact, Some(agency()));
    // Injected to dave, still INJECTED: dave cannot take it back, the agency can.
    let reinjected = inject_with_feedback(&redistributed, &dave(), at(7));
    let again = |actor: Email| take_back::TakeBackTicket {
        actor,
        ..take_back_command(NEW, tid(202), at(8))
    };
    let refused =
        take_back::take_back(&reinjected, &pos(), &interface(), &policy(), &again(dave()));
    assert_eq!(
        refused,
        Err(TakeBackError::NotB2bContact {
            ticket: NEW,
            actor: dave()
        })
    );
    let replaced = take_back::take_back(
        &reinjected,
        &pos(),
        &interface(),
        &policy(),
        &again(agency()),
    )
    .unwrap();
    assert_eq!(replaced.tickets[1].distribution.b2b_contact, Some(agency()));
}

#[test]
fn b13_transfer_feedback_moves_the_cultural_contact_not_the_b2b_contact() {
    let ticket = injected();
    let sent = initiate(&ticket, &dave(), gid(1), at(1));
    let pending = apply_with_feedback(&ticket, &sent);
    let done = apply_with_feedback(&pending, &accept(&sent.groups[0], &pending, at(2)));
    assert_eq!(
        done.distribution.last_feedback.unwrap().status,
        LifecycleStatus::Transferred
    );
    assert_eq!(done.distribution.cultural_contact, Some(dave()));
    assert_eq!(done.distribution.b2b_contact, Some(agency()));
}

#[test]
fn x2_a_stranger_at_the_right_point_of_sale_learns_nothing_of_an_invalidated_ticket() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let refused = by(&typo(), &old, &pos());
    assert_eq!(
        refused,
        Err(TakeBackError::NotB2bContact {
            ticket: OLD,
            actor: typo()
        })
    );
    let told = refused.unwrap_err();
    let text = format!("{told} {}", serde_json::to_string(&told).unwrap());
    assert!(!text.contains("MOBILE_TAKE_BACK"), "{text}");
    // Nor does a foreign point of sale learn which point of sale sold it.
    let foreign = PointOfSale {
        id: OTHER_POS,
        ..pos()
    };
    let mut command = take_back_command(OLD, tid(300), at(6));
    command.point_of_sale = OTHER_POS;
    let refused = take_back::take_back(&old, &foreign, &interface(), &policy(), &command);
    assert_eq!(
        refused,
        Err(TakeBackError::WrongPointOfSale {
            ticket: OLD,
            point_of_sale: OTHER_POS
        })
    );
    let text = serde_json::to_string(&refused.unwrap_err()).unwrap();
    assert!(!text.contains(&POS.to_string()), "{text}");
}

#[test]
fn x2_redistribute_refuses_whoever_does_not_hold_the_ticket_before_telling_its_state() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    // The invalidated, injected ticket: a stranger hears only that they do not hold it.
    for ticket in [&old, &injected()] {
        let refused = take_back::redistribute(
            ticket,
            &pos(),
            &RedistributeTicket {
                ticket: OLD,
                point_of_sale: POS,
                actor: frank(),
                to: frank(),
                at: at(6),
            },
        );
        assert_eq!(
            refused,
            Err(RedistributeError::NotHolder {
                ticket: OLD,
                actor: frank()
            })
        );
    }
}

#[test]
fn x2_a_stranger_is_refused_before_learning_that_a_ticket_was_deleted() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let pushed = only(
        wallet::request_deletion(
            &old,
            &RequestDeletion {
                ticket: OLD,
                at: at(6),
            },
        )
        .unwrap(),
    );
    let deleted = only(
        wallet::complete_deletion(
            &pushed,
            &CompleteDeletion {
                ticket: OLD,
                at: at(7),
            },
        )
        .unwrap(),
    );
    for ticket in [&pushed, &deleted] {
        let change = |actor: Actor| ChangeFlag {
            ticket: OLD,
            change: FlagChange::Activate(ActivationMethod::Online),
            actor,
            at: at(8),
        };
        let stranger = wallet::change_flag(ticket, &change(Actor::Spectator(frank())));
        assert!(
            matches!(
                stranger,
                Err(wallet::ChangeFlagError::ActorNotAllowed { .. })
            ),
            "{stranger:?}"
        );
        // Its owner is told why.
        let owner = wallet::change_flag(ticket, &change(Actor::Spectator(typo())));
        assert!(
            matches!(owner, Err(wallet::ChangeFlagError::TicketDeleted { .. })),
            "{owner:?}"
        );
    }
}

#[test]
fn err_take_back_not_b2b_contact() {
    let error = by(&typo(), &injected(), &pos()).unwrap_err();
    assert_eq!(error.code(), "NOT_B2B_CONTACT");
    assert_message(
        &error,
        &[
            typo().as_ref(),
            &OLD.to_string(),
            "only the B2B customer's contact",
        ],
    );
}

#[test]
fn err_take_back_no_b2b_contact() {
    let mut ticket = injected();
    ticket.distribution.b2b_contact = None;
    let error = by(&agency(), &ticket, &pos()).unwrap_err();
    assert_eq!(error.code(), "NO_B2B_CONTACT");
    assert_message(&error, &[&OLD.to_string(), "sold to a B2B customer"]);
}
