//! Q1-Q7: index entries written with their records, and the queries the two services ask.

use secure_ticket::index::{Index, Lookup, PageRequest, Term};
use secure_ticket::service::{Command, HistoryFilter, WalletRequest};
use secure_ticket::store::{RecordKey, Store};
use secure_ticket::take_back::TakeBackTicket;
use secure_ticket::transfer::CancelTransfer;
use secure_ticket::wallet::{CompleteDeletion, RequestDeletion};
use secure_ticket::{
    AcceptanceSettings, Event, InvalidationReason, LifecycleStatus, RightId, RuleError,
    TransferStatus,
};
use time::Duration;

use crate::common::*;

fn wallet_of(
    service: &secure_ticket::service::Service<secure_ticket::store::MemoryStore>,
    who: &secure_ticket::Email,
) -> secure_ticket::service::Wallet {
    service
        .wallet(ORG, &WalletRequest::first(who.clone(), 1000))
        .unwrap()
}

fn ticket_ids(
    wallet: &secure_ticket::service::Wallet,
) -> Vec<(Option<secure_ticket::PerformanceId>, Vec<u128>)> {
    wallet
        .tickets
        .items
        .iter()
        .map(|p| {
            (
                p.performance_id,
                p.tickets
                    .iter()
                    .map(|t| t.ticket.id.as_uuid().as_u128())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn q1_index_entries_land_in_the_same_commit_as_their_records() {
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), None);
    let pending = Lookup::new(Index::PendingByRecipient, ORG, Term::Email(bob()), 10);
    assert!(service.store().query(&pending).unwrap().is_empty());
    send(&service, 10, &alice(), &bob(), &[1], at(1)).unwrap();
    let hits = service.store().query(&pending).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].key, RecordKey::TransferGroup(gid(10)));
    // A refused command changes no index: carol is not the owner.
    assert!(send(&service, 11, &carol(), &bob(), &[1], at(2)).is_err());
    assert_eq!(service.store().query(&pending).unwrap(), hits);
    // Once accepted, the group leaves the pending indexes and enters the history ones.
    accept(&service, 12, 10, &bob()).unwrap();
    assert!(service.store().query(&pending).unwrap().is_empty());
    let closed = Lookup::new(Index::ClosedByRecipient, ORG, Term::Email(bob()), 10);
    assert_eq!(service.store().query(&closed).unwrap().len(), 1);
}

#[test]
fn q2_wallet_groups_tickets_by_performance_with_pending_groups_both_ways() {
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), Some(FINAL));
    inject(&service, 2, &alice(), Some(SEMI));
    inject(&service, 3, &alice(), Some(FINAL));
    inject(&service, 4, &alice(), None);
    inject(&service, 5, &bob(), Some(FINAL));
    let before = wallet_of(&service, &alice());
    let mut groups = ticket_ids(&before);
    groups.sort();
    assert_eq!(
        groups,
        [
            (None, vec![4]),
            (Some(FINAL), vec![1, 3]),
            (Some(SEMI), vec![2])
        ]
    );
    let final_group = before
        .tickets
        .items
        .iter()
        .find(|p| p.performance_id == Some(FINAL))
        .unwrap();
    assert_eq!(final_group.performance.unwrap().id, FINAL);
    assert!(before.outgoing.items.is_empty() && before.incoming.items.is_empty());

    send(&service, 10, &alice(), &bob(), &[3], at(1)).unwrap();
    send(&service, 11, &bob(), &alice(), &[5], at(2)).unwrap();
    let alice_wallet = wallet_of(&service, &alice());
    let three = alice_wallet
        .tickets
        .items
        .iter()
        .flat_map(|p| &p.tickets)
        .find(|t| t.ticket.id == tid(3))
        .unwrap();
    assert_eq!(three.pending.as_ref().unwrap().id, gid(10));
    assert_eq!(
        alice_wallet
            .outgoing
            .items
            .iter()
            .map(|g| g.id)
            .collect::<Vec<_>>(),
        [gid(10)]
    );
    assert_eq!(
        alice_wallet
            .incoming
            .items
            .iter()
            .map(|g| g.id)
            .collect::<Vec<_>>(),
        [gid(11)]
    );
    let bob_wallet = wallet_of(&service, &bob());
    assert_eq!(bob_wallet.incoming.items[0].id, gid(10));
    assert_eq!(bob_wallet.outgoing.items[0].id, gid(11));

    // Newest first: a later group comes before an earlier one.
    send(&service, 12, &alice(), &carol(), &[1], at(3)).unwrap();
    let outgoing: Vec<_> = wallet_of(&service, &alice())
        .outgoing
        .items
        .iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(outgoing, [gid(12), gid(10)]);

    // After bob accepts, ticket 3 is his.
    accept(&service, 13, 10, &bob()).unwrap();
    let after = wallet_of(&service, &alice());
    assert!(
        after
            .tickets
            .items
            .iter()
            .flat_map(|p| &p.tickets)
            .all(|t| t.ticket.id != tid(3))
    );
    assert!(
        wallet_of(&service, &bob())
            .tickets
            .items
            .iter()
            .flat_map(|p| &p.tickets)
            .any(|t| t.ticket.id == tid(3))
    );
}

#[test]
fn q2_a_deleted_ticket_leaves_the_wallet() {
    // A ticket taken back (so invalidated), then deleted from the wallet (B10).
    let service = world(AcceptanceSettings::explicit());
    service
        .register_reader(ORG, secure_ticket::service::FeedbackReader::name())
        .unwrap();
    let typo = email("typo@exmaple.com");
    inject(&service, 1, &typo, None);
    service.advance_feedback(ORG, 100).unwrap();
    service
        .execute(&req(
            19,
            Command::TakeBack(TakeBackTicket {
                contact: secure_ticket::ContactKind::Individual,
                ticket: tid(1),
                point_of_sale: POS,
                actor: agency(),
                new_ticket: tid(2),
                at: at(1),
            }),
        ))
        .unwrap();
    service
        .execute(&req(
            20,
            Command::RequestDeletion(RequestDeletion {
                ticket: tid(1),
                at: at(2),
            }),
        ))
        .unwrap();
    assert_eq!(
        ticket_ids(&wallet_of(&service, &typo)),
        [(None, vec![1])],
        "DELETION_PENDING still shows"
    );
    service
        .execute(&req(
            21,
            Command::CompleteDeletion(CompleteDeletion {
                ticket: tid(1),
                at: at(3),
            }),
        ))
        .unwrap();
    assert!(wallet_of(&service, &typo).tickets.items.is_empty());
}

#[test]
fn q3_history_lists_closed_groups_newest_first() {
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), None);
    inject(&service, 2, &alice(), None);
    send(&service, 10, &alice(), &bob(), &[1], at(1)).unwrap();
    accept(&service, 11, 10, &bob()).unwrap();
    send(&service, 12, &alice(), &bob(), &[2], at(40)).unwrap();
    service
        .execute(&req(
            13,
            Command::Cancel(CancelTransfer {
                group: gid(12),
                actor: alice(),
                at: at(41),
            }),
        ))
        .unwrap();
    send(&service, 14, &bob(), &carol(), &[1], at(50)).unwrap(); // still pending: not history
    let page = |who: &secure_ticket::Email, filter| {
        service
            .history(ORG, who, filter, &PageRequest::first(100))
            .unwrap()
            .items
            .iter()
            .map(|g| (g.id, g.status))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        page(&alice(), HistoryFilter::Sent),
        [
            (gid(12), TransferStatus::Cancelled),
            (gid(10), TransferStatus::Accepted)
        ]
    );
    assert!(page(&alice(), HistoryFilter::Received).is_empty());
    assert_eq!(page(&bob(), HistoryFilter::Received).len(), 2);
    assert!(page(&bob(), HistoryFilter::Sent).is_empty());
    assert_eq!(
        page(&bob(), HistoryFilter::Both),
        page(&bob(), HistoryFilter::Received)
    );
}

#[test]
fn q4_sign_in_names_only_the_actor_and_completes_every_group_that_completes_at_sign_in() {
    let service = world(AcceptanceSettings::automatic());
    inject(&service, 1, &alice(), None);
    inject(&service, 2, &carol(), None);
    inject(&service, 3, &alice(), None);
    send(&service, 10, &alice(), &bob(), &[1], at(1)).unwrap();
    send(&service, 11, &carol(), &bob(), &[2], at(2)).unwrap();
    send(&service, 12, &alice(), &carol(), &[3], at(3)).unwrap(); // not bob's
    let outcome = sign_in(&service, 20, &bob(), at(4)).unwrap();
    let accepted: Vec<_> = outcome
        .events
        .iter()
        .filter_map(|e| match e {
            Event::TransferAccepted {
                group, automatic, ..
            } => Some((*group, *automatic)),
            _ => None,
        })
        .collect();
    assert_eq!(accepted, [(gid(10), true), (gid(11), true)]);
    assert!(service.group(gid(12)).unwrap().unwrap().value.is_pending());
    // Nothing left: a second sign-in completes nothing.
    assert!(
        sign_in(&service, 21, &bob(), at(5))
            .unwrap()
            .events
            .is_empty()
    );
}

#[test]
fn q4_with_explicit_acceptance_sign_in_completes_only_backward_groups() {
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), None);
    inject(&service, 2, &alice(), None);
    send(&service, 10, &alice(), &bob(), &[1, 2], at(1)).unwrap();
    accept(&service, 11, 10, &bob()).unwrap();
    send(&service, 12, &bob(), &alice(), &[1], at(31)).unwrap(); // BACKWARD: alice was the previous owner
    inject(&service, 3, &bob(), None);
    send(&service, 13, &bob(), &alice(), &[3], at(32)).unwrap(); // FORWARD: explicit
    sign_in(&service, 20, &alice(), at(33)).unwrap();
    assert!(!service.group(gid(12)).unwrap().unwrap().value.is_pending());
    assert!(service.group(gid(13)).unwrap().unwrap().value.is_pending());
}

#[test]
fn q5_the_sweep_expires_due_groups_oldest_deadline_first_up_to_the_limit() {
    let service = world(
        AcceptanceSettings::explicit()
            .with_expiry(Duration::hours(1))
            .unwrap(),
    );
    for n in 1..=4 {
        inject(&service, n, &alice(), None);
    }
    for n in 1..=4u128 {
        send(
            &service,
            10 + n,
            &alice(),
            &bob(),
            &[n],
            at(i64::try_from(n).unwrap()),
        )
        .unwrap();
    }
    // At 1h02 the groups of 1h01 and 1h02 are due (deadline at or before the time).
    let first = sweep(&service, 20, at(62), 1).unwrap();
    let expired = |events: &[Event]| {
        events
            .iter()
            .filter_map(|e| match e {
                Event::TransferExpired { group, .. } => Some(*group),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        expired(&first.events),
        [gid(11)],
        "oldest first, at most the limit"
    );
    let second = sweep(&service, 21, at(62), 1000).unwrap();
    assert_eq!(expired(&second.events), [gid(12)]);
    assert!(service.group(gid(13)).unwrap().unwrap().value.is_pending());
    let third = sweep(&service, 22, at(120), 1000).unwrap();
    assert_eq!(expired(&third.events), [gid(13), gid(14)]);
    // The tickets are back in alice's wallet.
    assert!(wallet_of(&service, &alice()).outgoing.items.is_empty());
}

#[test]
fn q5_q7_a_sweep_limit_outside_1_to_1000_is_refused_and_writes_nothing() {
    let service = world(
        AcceptanceSettings::explicit()
            .with_expiry(Duration::hours(1))
            .unwrap(),
    );
    inject(&service, 1, &alice(), None);
    send(&service, 10, &alice(), &bob(), &[1], at(1)).unwrap();
    let before = service.store().len().unwrap();
    for limit in [0, 1001, u32::MAX] {
        assert!(matches!(
            sweep(&service, 20 + u128::from(limit % 7), at(120), limit),
            Err(secure_ticket::Error::InvalidLimit { limit: l }) if l == limit
        ));
    }
    assert_eq!(service.store().len().unwrap(), before);
    assert!(service.group(gid(10)).unwrap().unwrap().value.is_pending());
}

#[test]
fn q6_tickets_of_a_right_show_one_valid_and_whether_a_take_back_is_possible() {
    let service = world(AcceptanceSettings::explicit());
    service
        .register_reader(ORG, secure_ticket::service::FeedbackReader::name())
        .unwrap();
    inject(&service, 1, &email("typo@exmaple.com"), None);
    let page = PageRequest::first(10);
    let right = RightId::from_u128(1);
    // No feedback yet: a take back is not possible (B4).
    let standing = service.tickets_of_right(ORG, right, &page, at(1)).unwrap();
    assert_eq!(standing.items.len(), 1);
    let refusal = standing.items[0].take_back.clone().unwrap_err();
    assert!(
        matches!(
            refusal,
            secure_ticket::command::Refusal::Rule {
                refusal: RuleError::TakeBack(
                    secure_ticket::take_back::TakeBackError::NoFeedbackYet { .. }
                )
            }
        ),
        "{refusal:?}"
    );
    // The feedback reader catches up: INJECTED is recorded, the take back is possible.
    service.advance_feedback(ORG, 100).unwrap();
    let ticket = service.ticket(tid(1)).unwrap().unwrap().value;
    assert_eq!(
        ticket.distribution.last_feedback.unwrap().status,
        LifecycleStatus::Injected
    );
    let standing = service
        .tickets_of_point_of_sale(ORG, POS, &page, at(2))
        .unwrap();
    assert_eq!(standing.items[0].take_back, Ok(()));
    service
        .execute(&req(
            30,
            Command::TakeBack(TakeBackTicket {
                contact: secure_ticket::ContactKind::Individual,
                ticket: tid(1),
                point_of_sale: POS,
                actor: agency(),
                new_ticket: tid(2),
                at: at(3),
            }),
        ))
        .unwrap();
    let both = service.tickets_of_right(ORG, right, &page, at(4)).unwrap();
    assert_eq!(both.items.len(), 2);
    let valid: Vec<_> = both.items.iter().filter(|s| s.ticket.is_valid()).collect();
    assert_eq!(valid.len(), 1, "B11: one valid ticket per right");
    assert_eq!(valid[0].ticket.id, tid(2));
    let old = both.items.iter().find(|s| s.ticket.id == tid(1)).unwrap();
    assert_eq!(
        old.ticket
            .distribution
            .invalidation
            .as_ref()
            .unwrap()
            .reason,
        InvalidationReason::MobileTakeBack
    );
    assert!(old.take_back.is_err());
}

#[test]
fn q7_limits_outside_1_to_1000_and_foreign_cursors_are_typed_errors() {
    let service = world(AcceptanceSettings::explicit());
    for limit in [0, 1001] {
        let request = WalletRequest::first(alice(), limit);
        assert!(matches!(
            service.wallet(ORG, &request),
            Err(secure_ticket::Error::InvalidLimit { limit: l }) if l == limit
        ));
        assert!(matches!(
            service.feed_after(ORG, secure_ticket::feed::Position::START, limit),
            Err(secure_ticket::Error::InvalidLimit { .. })
        ));
    }
    for n in 1..=3 {
        inject(&service, n, &alice(), None);
    }
    let first = service
        .wallet(ORG, &WalletRequest::first(alice(), 2))
        .unwrap();
    let cursor = first.tickets.next.unwrap();
    // Bob's list does not take alice's cursor; nor does another organizer's.
    let mut bobs = WalletRequest::first(bob(), 2);
    bobs.tickets = PageRequest::after(cursor, 2);
    assert!(matches!(
        service.wallet(ORG, &bobs),
        Err(secure_ticket::Error::InvalidCursor(
            secure_ticket::index::CursorError::OtherList
        ))
    ));
    let mut elsewhere = WalletRequest::first(alice(), 2);
    elsewhere.tickets = PageRequest::after(cursor, 2);
    assert!(service.wallet(OTHER_ORG, &elsewhere).is_err());
    // A string that is no cursor does not parse.
    assert!("c1zz".parse::<secure_ticket::index::Cursor>().is_err());
    let round_trip: secure_ticket::index::Cursor = cursor.to_string().parse().unwrap();
    assert_eq!(round_trip, cursor);
}

#[test]
fn q7_paging_neither_repeats_nor_skips_an_unchanged_entry() {
    let service = world(AcceptanceSettings::explicit());
    for n in 1..=9 {
        inject(
            &service,
            n,
            &alice(),
            Some(if n % 2 == 0 { FINAL } else { SEMI }),
        );
    }
    let all: Vec<_> = wallet_of(&service, &alice())
        .tickets
        .items
        .iter()
        .flat_map(|p| p.tickets.iter().map(|t| t.ticket.id))
        .collect();
    assert_eq!(all.len(), 9);
    let mut seen = Vec::new();
    let mut request = WalletRequest::first(alice(), 2);
    let mut pages = 0;
    loop {
        let wallet = service.wallet(ORG, &request).unwrap();
        pages += 1;
        seen.extend(
            wallet
                .tickets
                .items
                .iter()
                .flat_map(|p| p.tickets.iter().map(|t| t.ticket.id)),
        );
        // Between two pages, ticket 9 leaves alice's wallet: a changed entry, the others stay.
        if pages == 1 {
            send(&service, 50, &alice(), &bob(), &[9], at(1)).unwrap();
        }
        match wallet.tickets.next {
            Some(cursor) => request.tickets = PageRequest::after(cursor, 2),
            None => break,
        }
    }
    assert_eq!(pages, 5);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no entry twice");
    assert_eq!(
        seen, all,
        "no entry skipped (ticket 9 is still alice's, pending)"
    );
}

#[test]
fn b13_through_the_shell_a_stranger_takes_nothing_back_and_q6_answers_for_the_b2b_contact() {
    use secure_ticket::take_back::TakeBackError;
    let service = world(AcceptanceSettings::explicit());
    service
        .register_reader(ORG, secure_ticket::service::FeedbackReader::name())
        .unwrap();
    let typo = email("typo@exmaple.com");
    inject(&service, 1, &typo, None);
    service.advance_feedback(ORG, 100).unwrap();
    let before = service.ticket(tid(1)).unwrap().unwrap();
    let feed = service
        .feed_after(ORG, secure_ticket::feed::Position::START, 1_000)
        .unwrap();
    // The misspelled email's owner asks through the right point of sale: refused, nothing written.
    let refused = service.execute(&req(
        40,
        Command::TakeBack(TakeBackTicket {
            contact: secure_ticket::ContactKind::Individual,
            ticket: tid(1),
            point_of_sale: POS,
            actor: typo.clone(),
            new_ticket: tid(2),
            at: at(3),
        }),
    ));
    assert!(
        matches!(
            &refused,
            Err(secure_ticket::Error::Rule(RuleError::TakeBack(
                TakeBackError::NotB2bContact { .. }
            )))
        ),
        "{refused:?}"
    );
    assert_eq!(service.ticket(tid(1)).unwrap().unwrap(), before);
    assert_eq!(service.ticket(tid(2)).unwrap(), None);
    assert_eq!(
        service
            .feed_after(ORG, secure_ticket::feed::Position::START, 1_000)
            .unwrap(),
        feed
    );
    // Q6 answers for the B2B contact: possible now.
    let page = PageRequest::first(10);
    let standing = service
        .tickets_of_point_of_sale(ORG, POS, &page, at(4))
        .unwrap();
    assert_eq!(standing.items[0].take_back, Ok(()));
    // A ticket sold to no B2B customer: no one may take it back, and Q6 says so.
    let mut unsold = issued(ORG, 5, None);
    unsold.distribution.b2b_contact = None;
    service
        .create([secure_ticket::store::Record::Ticket(unsold)])
        .unwrap();
    let standing = service
        .tickets_of_right(ORG, RightId::from_u128(5), &page, at(4))
        .unwrap();
    assert_eq!(
        standing.items[0].take_back,
        Err(secure_ticket::command::Refusal::Rule {
            refusal: RuleError::TakeBack(TakeBackError::NoB2bContact { ticket: tid(5) })
        })
    );
}

#[test]
fn q1_an_update_removes_every_entry_the_record_no_longer_has() {
    use secure_ticket::index::entries;
    use secure_ticket::store::{Batch, Record, Version};
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), Some(FINAL));
    // The most entries a ticket has: owner, right, point of sale, performance, valid right.
    let old = service.ticket(tid(1)).unwrap().unwrap().value;
    assert_eq!(entries(&Record::Ticket(old.clone())).len(), 5);
    let mut new = old.clone();
    new.performance = Some(SEMI);
    new.distribution.invalidation = Some(secure_ticket::Invalidation {
        reason: InvalidationReason::MobileTakeBack,
        at: at(1),
        replaced_by: None,
    });
    new.wallet.as_mut().unwrap().deleted_at = Some(at(2));
    let (old, new) = (Record::Ticket(old), Record::Ticket(new));
    let mut batch = Batch::new();
    batch.push_update(Some(&old), new.clone(), Version::NEW.next());
    let (before, after) = (entries(&old), entries(&new));
    let mut gone: Vec<_> = before
        .iter()
        .filter(|e| !after.contains(e))
        .cloned()
        .collect();
    let mut came: Vec<_> = after
        .iter()
        .filter(|e| !before.contains(e))
        .cloned()
        .collect();
    let (mut removed, mut added) = (batch.index.removed.clone(), batch.index.added.clone());
    for list in [&mut gone, &mut came, &mut removed, &mut added] {
        list.sort_by_key(|e| (e.index, e.sort));
    }
    assert_eq!(
        gone.len(),
        3,
        "owner, performance and valid right go: {gone:?}"
    );
    assert_eq!((removed, added), (gone, came));
}
