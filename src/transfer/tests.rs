//! Unit tests of the shared transfer machinery (level arithmetic, release, completion).

use time::macros::datetime;

use super::*;
use crate::{Decision, Email, Wallet};

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn wallet_at(level: u16, before: u16) -> Wallet {
    let mut w = Wallet::injected(
        UsageRuleId::from_u128(1),
        email("a@x.io"),
        datetime!(2026-01-01 0:00 UTC),
    );
    w.level = level;
    w.level_before_last_forward = before;
    w
}

#[test]
fn t8_forward_records_the_level_it_leaves() {
    let mut w = wallet_at(2, 0);
    apply_level(&mut w, Direction::Forward, TransferBackward::Neutral);
    assert_eq!(
        (w.level, w.level_before_last_forward, w.forward_transfers),
        (3, 2, 1)
    );
}

#[test]
fn t9_level_saturates_at_256_forward_and_increase() {
    let mut w = wallet_at(256, 255);
    apply_level(&mut w, Direction::Forward, TransferBackward::Neutral);
    assert_eq!(w.level, 256);
    apply_level(&mut w, Direction::Backward, TransferBackward::Increase);
    assert_eq!(w.level, 256);
}

#[test]
fn t9_decrease_never_goes_below_the_level_before_the_last_forward() {
    let mut w = wallet_at(3, 2);
    apply_level(&mut w, Direction::Backward, TransferBackward::Decrease);
    assert_eq!(w.level, 2);
    apply_level(&mut w, Direction::Backward, TransferBackward::Decrease);
    assert_eq!((w.level, w.backward_transfers), (2, 2));
}

#[test]
fn t10_release_refuses_a_ticket_pending_elsewhere() {
    let at = datetime!(2026-01-01 0:00 UTC);
    let ticket = Ticket {
        wallet: Some(Wallet {
            pending_group: Some(TransferGroupId::from_u128(9)),
            ..wallet_at(0, 0)
        }),
        ..Ticket::new(
            TicketId::from_u128(1),
            crate::RightId::from_u128(1),
            crate::Distribution::new(
                crate::PointOfSaleId::from_u128(1),
                crate::ShipmentMode::secure_mobile(crate::ShipmentModeId::from_u128(1)),
            ),
        )
    };
    let group = TransferGroup {
        id: TransferGroupId::from_u128(1),
        sender: email("a@x.io"),
        recipient: email("b@x.io"),
        direction: Direction::Forward,
        tickets: vec![ticket.id].into(),
        status: TransferStatus::Pending,
        acceptance: Acceptance::Explicit,
        created_at: at,
        expires_at: None,
        closed_at: None,
        replaces: None,
    };
    assert!(matches!(
        release_tickets(&group, std::slice::from_ref(&ticket), &mut Changes::new()),
        Err(ReleaseProblem::NotInGroup { ticket: t, group: g }) if t == ticket.id && g == group.id
    ));
    let mut decision = Decision::default();
    let rules = [UsageRule::new(UsageRuleId::from_u128(1))];
    assert!(matches!(
        complete_group(
            &group,
            std::slice::from_ref(&ticket),
            &rules,
            false,
            at,
            &mut decision
        ),
        Err(GroupTicketProblem::NotInGroup { .. })
    ));
}

#[test]
fn a4_deadline_is_inclusive() {
    let at = datetime!(2026-01-01 0:00 UTC);
    let group = TransferGroup {
        id: TransferGroupId::from_u128(1),
        sender: email("a@x.io"),
        recipient: email("b@x.io"),
        direction: Direction::Forward,
        tickets: vec![].into(),
        status: TransferStatus::Pending,
        acceptance: Acceptance::Explicit,
        created_at: at,
        expires_at: Some(at),
        closed_at: None,
        replaces: None,
    };
    assert!(is_past_deadline(&group, at));
    assert!(!is_past_deadline(&group, datetime!(2025-12-31 23:59 UTC)));
}
