//! A refused take back, feedback, deletion or redistribution changes nothing: its inputs are equal,
//! byte for byte once serialised, before and after (SPEC X1).

use std::fmt::Debug;

use secure_ticket::injection::{self};
use secure_ticket::take_back::{self, RedistributeTicket, TakeBackPolicy, TakeBackTicket};
use secure_ticket::wallet::{self, CompleteDeletion, RequestDeletion};
use secure_ticket::{
    Feedback, InternetTheme, LifecycleStatus, PointOfSale, Ticket, TixngoInterface,
};
use serde::Serialize;

use crate::common::*;

/// Runs `run` on a copy of `inputs`, expects a refusal, and checks the copy did not change.
fn assert_refused_unchanged<I, T, E>(inputs: &I, run: impl Fn(&I) -> Result<T, E>)
where
    I: Serialize + Clone + PartialEq + Debug,
    T: Debug,
    E: Debug,
{
    let given = inputs.clone();
    let bytes = json(&given);
    let outcome = run(&given);
    assert!(
        outcome.is_err(),
        "expected a refusal for {inputs:?}, got {outcome:?}"
    );
    assert_eq!(&given, inputs);
    assert_eq!(json(&given), bytes);
}

type TakeBackInputs = (
    Ticket,
    PointOfSale,
    TixngoInterface,
    TakeBackPolicy,
    TakeBackTicket,
);

fn take_back_inputs() -> TakeBackInputs {
    (
        injected(),
        pos(),
        interface(),
        policy(),
        take_back_command(OLD, NEW, at(5)),
    )
}

#[test]
fn x1_refused_take_backs_change_nothing() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let mut wrong_pos = injected();
    wrong_pos.distribution.point_of_sale = OTHER_POS;
    let mut with_holder = injected();
    with_holder.distribution = with_holder.distribution.with_holder(holder());
    let issued = issued(OLD, MOBILE);
    let no_feedback = after(&issued, &inject(&issued, &typo(), AT));
    let base = take_back_inputs();
    let cases: Vec<TakeBackInputs> = vec![
        (
            base.0.clone(),
            base.1.clone(),
            base.2.clone(),
            base.3,
            take_back_command(tid(999), NEW, at(5)),
        ),
        (
            base.0.clone(),
            base.1.clone(),
            base.2.clone(),
            base.3,
            TakeBackTicket {
                point_of_sale: OTHER_POS,
                ..base.4.clone()
            },
        ),
        (old, base.1.clone(), base.2.clone(), base.3, base.4.clone()),
        (
            base.0.clone(),
            PointOfSale {
                b2b: false,
                ..pos()
            },
            base.2.clone(),
            base.3,
            base.4.clone(),
        ),
        (
            wrong_pos,
            base.1.clone(),
            base.2.clone(),
            base.3,
            base.4.clone(),
        ),
        (
            base.0.clone(),
            pos().with_mobile_take_back(false),
            base.2.clone(),
            base.3,
            base.4.clone(),
        ),
        (
            base.0.clone(),
            pos().with_theme(InternetTheme::default()),
            base.2.clone(),
            base.3,
            base.4.clone(),
        ),
        (
            base.0.clone(),
            base.1.clone(),
            TixngoInterface::default(),
            base.3,
            base.4.clone(),
        ),
        (
            no_feedback,
            base.1.clone(),
            base.2.clone(),
            base.3,
            base.4.clone(),
        ),
        (
            with_last_feedback(&injected(), LifecycleStatus::Downloaded, at(1)),
            base.1.clone(),
            base.2.clone(),
            base.3,
            base.4.clone(),
        ),
        (
            with_holder,
            base.1.clone(),
            base.2.clone(),
            base.3,
            base.4.clone(),
        ),
        (
            base.0.clone(),
            base.1.clone(),
            base.2.clone(),
            base.3,
            take_back_command(OLD, OLD, at(5)),
        ),
    ];
    for case in &cases {
        assert_refused_unchanged(case, |(ticket, pos, interface, policy, command)| {
            take_back::take_back(ticket, pos, interface, policy, command)
        });
    }
}

#[test]
fn x1_refused_feedback_changes_nothing() {
    let misaddressed = Feedback {
        ticket: tid(999),
        status: LifecycleStatus::Downloaded,
        sequence: seq(at(1)),
        at: at(1),
        transfer: None,
    };
    let no_details = Feedback {
        ticket: OLD,
        status: LifecycleStatus::Transferred,
        sequence: seq(at(1)),
        at: at(1),
        transfer: None,
    };
    let injected_feedback = Feedback {
        ticket: OLD,
        status: LifecycleStatus::Injected,
        sequence: seq(AT),
        at: AT,
        transfer: None,
    };
    for case in [
        (injected(), misaddressed),
        (injected(), no_details),
        (issued(OLD, MOBILE), injected_feedback),
    ] {
        assert_refused_unchanged(&case, |(ticket, feedback)| {
            injection::record_feedback(ticket, feedback)
        });
    }
}

#[test]
fn x1_refused_deletions_change_nothing() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let pending = only(
        wallet::request_deletion(
            &old,
            &RequestDeletion {
                ticket: OLD,
                at: at(6),
            },
        )
        .unwrap(),
    );
    let mut never_injected = issued(OLD, MOBILE);
    never_injected.distribution.invalidation = old.distribution.invalidation.clone();
    for case in [
        (
            injected(),
            RequestDeletion {
                ticket: OLD,
                at: at(6),
            },
        ),
        (
            old.clone(),
            RequestDeletion {
                ticket: tid(999),
                at: at(6),
            },
        ),
        (
            pending.clone(),
            RequestDeletion {
                ticket: OLD,
                at: at(7),
            },
        ),
        (
            never_injected.clone(),
            RequestDeletion {
                ticket: OLD,
                at: at(7),
            },
        ),
    ] {
        assert_refused_unchanged(&case, |(ticket, command)| {
            wallet::request_deletion(ticket, command)
        });
    }
    for case in [
        (
            injected(),
            CompleteDeletion {
                ticket: OLD,
                at: at(6),
            },
        ),
        (
            old,
            CompleteDeletion {
                ticket: OLD,
                at: at(6),
            },
        ),
        (
            pending,
            CompleteDeletion {
                ticket: tid(999),
                at: at(7),
            },
        ),
        (
            never_injected,
            CompleteDeletion {
                ticket: OLD,
                at: at(7),
            },
        ),
    ] {
        assert_refused_unchanged(&case, |(ticket, command)| {
            wallet::complete_deletion(ticket, command)
        });
    }
}

#[test]
fn x1_refused_redistributions_change_nothing() {
    let (old, new) = taken_back(&injected(), NEW, at(5));
    let command = RedistributeTicket {
        ticket: NEW,
        point_of_sale: POS,
        actor: agency(),
        to: dave(),
        at: at(6),
    };
    let mut elsewhere = new.clone();
    elsewhere.distribution.point_of_sale = OTHER_POS;
    for case in [
        (
            new.clone(),
            pos(),
            RedistributeTicket {
                ticket: tid(999),
                ..command.clone()
            },
        ),
        (
            new.clone(),
            pos(),
            RedistributeTicket {
                point_of_sale: OTHER_POS,
                ..command.clone()
            },
        ),
        (
            old,
            pos(),
            RedistributeTicket {
                ticket: OLD,
                ..command.clone()
            },
        ),
        (elsewhere, pos(), command.clone()),
        (
            injected(),
            pos(),
            RedistributeTicket {
                ticket: OLD,
                actor: typo(),
                ..command.clone()
            },
        ),
        (
            new,
            pos(),
            RedistributeTicket {
                actor: dave(),
                ..command
            },
        ),
    ] {
        assert_refused_unchanged(&case, |(ticket, pos, command)| {
            take_back::redistribute(ticket, pos, command)
        });
    }
}
