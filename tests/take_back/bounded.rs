//! I5: a ticket's record stays bounded whatever its history: two people passing a ticket back and
//! forth forever (NEUTRAL allows it, T9) leave a distribution history of at most 16 entries.

use secure_ticket::store::{Envelope, Record};
use secure_ticket::{DistributionHistory, EntryStatus, LifecycleStatus};

use crate::common::*;

#[test]
fn i5_a_ticket_passed_back_and_forth_keeps_a_bounded_record() {
    let mut ticket = injected();
    let mut largest = 0usize;
    for n in 0..5_000u128 {
        let to = if n % 2 == 0 { bob() } else { typo() };
        let when = at(i64::try_from(n).unwrap() * 2 + 1);
        let sent = initiate(&ticket, &to, gid(n + 1), when);
        ticket = apply_with_feedback(&ticket, &sent);
        let accepted = accept(&sent.groups[0], &ticket, when);
        ticket = apply_with_feedback(&ticket, &accepted);
        let json = serde_json::to_string(&Envelope::new(Record::Ticket(ticket.clone()))).unwrap();
        largest = largest.max(json.len());
    }
    let wallet = ticket.wallet.as_ref().unwrap();
    assert_eq!(wallet.forward_transfers + wallet.backward_transfers, 5_000);
    let entries = ticket.distribution.entries.as_slice();
    assert_eq!(entries.len(), DistributionHistory::MAX_ENTRIES);
    assert!(entries.iter().all(|e| e.status == EntryStatus::Confirmed));
    assert_eq!(
        ticket.distribution.last_feedback.map(|f| f.status),
        Some(LifecycleStatus::Transferred)
    );
    // The latest entry is the last transfer: the history keeps the newest.
    assert_eq!(entries.last().unwrap().group, gid(5_000));
    assert!(largest < 8_000, "the record grew to {largest} bytes");
}
