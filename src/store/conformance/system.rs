//! The checks of the system of record: index entries (Q1), the feed (F1, F2) and retention (X8).

#![allow(
    clippy::arithmetic_side_effects,
    reason = "test data: small fixed numbers and times far from the ends of their ranges"
)]

use std::collections::BTreeMap;

use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::{Harness, fail};
use crate::command::{CommandRecord, RecordedOutcome};
use crate::digest::Digest;
use crate::email::Email;
use crate::event::Event;
use crate::feed::{FeedAppend, FeedEntry, FeedQuery, Position, ReaderCursor, ReaderName};
use crate::id::{
    CommandId, OrganizerId, PerformanceId, PointOfSaleId, RightId, ShipmentModeId, TicketId,
    TransferGroupId, UsageRuleId,
};
use crate::index::{self, Hit, Index, Lookup, SortKey, Term};
use crate::record_key::{CommandKey, RecordKey};
use crate::store::{Batch, Record, Store, Version, Versioned};
use crate::ticket::{Distribution, ShipmentMode, Ticket};
use crate::transfer_group::{Acceptance, Direction, TransferGroup, TransferStatus};

const AT: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

/// A small deterministic generator (xorshift), so that a failure reproduces.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn email(n: u64) -> Result<Email, String> {
    Email::parse(&format!("spectator{n}@example.com")).map_err(fail)
}

fn organizer(n: u64) -> OrganizerId {
    OrganizerId::from_u128(u128::from(n % 2) + 1)
}

fn a_ticket(dice: &mut Dice, n: u128) -> Result<Ticket, String> {
    let org = organizer(dice.next());
    let mut ticket = Ticket::new(
        org,
        TicketId::from_u128(n),
        RightId::from_u128(n % 5),
        Distribution::new(
            PointOfSaleId::from_u128(u128::from(dice.below(3))),
            ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1)),
        ),
    );
    if dice.below(2) == 0 {
        ticket.performance = Some(PerformanceId::from_u128(u128::from(dice.below(3))));
    }
    if dice.below(4) > 0 {
        let injected = crate::injection::inject(
            &ticket,
            &crate::injection::InjectTicket {
                ticket: ticket.id,
                to: email(dice.below(4))?,
                usage_rule: UsageRuleId::from_u128(1),
                at: AT,
            },
        )
        .map_err(fail)?;
        ticket = injected
            .tickets
            .into_iter()
            .next()
            .ok_or("inject returned no ticket")?;
    }
    // Rights repeat (n % 5) so that lists of tickets by right are long; only the first ticket
    // of each right is valid (B11, contract item 10), the others were taken back.
    if n >= 5 {
        ticket.distribution.invalidation = Some(crate::ticket::Invalidation {
            reason: crate::ticket::InvalidationReason::MobileTakeBack,
            at: AT,
            replaced_by: None,
        });
    }
    Ok(ticket)
}

fn a_group(dice: &mut Dice, n: u128) -> Result<TransferGroup, String> {
    let sender = dice.below(4);
    let created_at = AT + Duration::minutes(i64::try_from(dice.below(100)).map_err(fail)?);
    let pending = dice.below(2) == 0;
    Ok(TransferGroup {
        id: TransferGroupId::from_u128(n),
        organizer: organizer(dice.next()),
        sender: email(sender)?,
        recipient: email(sender + 1 + dice.below(3))?,
        direction: Direction::Forward,
        tickets: vec![TicketId::from_u128(n)].into(),
        status: if pending {
            TransferStatus::Pending
        } else {
            TransferStatus::Accepted
        },
        acceptance: Acceptance::Explicit,
        created_at,
        expires_at: (dice.below(2) == 0).then(|| created_at + Duration::hours(1)),
        closed_at: (!pending).then(|| created_at + Duration::minutes(5)),
        replaces: None,
        performance_ends_at: None,
        back_office: None,
    })
}

fn a_command(dice: &mut Dice, n: u128) -> CommandRecord {
    CommandRecord {
        organizer: organizer(dice.next()),
        id: CommandId::from_u128(n),
        digest: Digest::from_bytes([7; 16]),
        at: AT + Duration::seconds(i64::try_from(dice.below(1000)).unwrap_or(0)),
        outcome: RecordedOutcome::Accepted { events: 0 },
    }
}

/// A changed copy of `record` (another owner, a closed group, ...): what an update writes.
fn changed(dice: &mut Dice, record: &Record) -> Result<Record, String> {
    Ok(match record {
        Record::Ticket(t) => {
            let mut t = t.clone();
            match (&mut t.wallet, dice.below(3)) {
                (Some(wallet), 0) => wallet.owners.current = email(dice.below(4))?,
                (Some(wallet), 1) => wallet.deleted_at = Some(AT),
                _ => t.performance = Some(PerformanceId::from_u128(u128::from(dice.below(3)))),
            }
            Record::Ticket(t)
        }
        Record::TransferGroup(g) => {
            let mut g = g.clone();
            if g.is_pending() {
                g.status = TransferStatus::Declined;
                g.closed_at = Some(g.created_at + Duration::minutes(9));
            } else {
                g.recipient = email(dice.below(4) + 4)?;
            }
            Record::TransferGroup(g)
        }
        other => other.clone(),
    })
}

/// Every (index, organizer, term) the records have entries in, with their hits in order.
fn scan(records: &[Record]) -> BTreeMap<(Index, OrganizerId, Term), Vec<Hit>> {
    let mut lists: BTreeMap<(Index, OrganizerId, Term), Vec<Hit>> = BTreeMap::new();
    for record in records {
        for entry in index::entries(record) {
            lists
                .entry((entry.index, entry.organizer, entry.term))
                .or_default()
                .push(Hit {
                    sort: entry.sort,
                    key: entry.key,
                });
        }
    }
    for hits in lists.values_mut() {
        hits.sort_unstable();
    }
    lists
}

/// Checks that every list the scan of `records` finds is what `query` answers, and that lists
/// with no entries are empty.
fn queries_match<S: Store>(store: &S, records: &[Record], when: &str) -> Result<(), String> {
    let lists = scan(records);
    for ((index, organizer, term), expected) in &lists {
        let lookup = Lookup::new(*index, *organizer, term.clone(), 1000);
        let found = store.query(&lookup).map_err(fail)?;
        if found != *expected {
            return Err(format!(
                "{when}: query of {index} for {organizer} `{term}` gave {} entries, a scan of the records {}: {found:?} vs {expected:?}",
                found.len(),
                expected.len()
            ));
        }
    }
    // A term no record has: nothing.
    let nobody = Lookup::new(
        Index::TicketsByOwner,
        organizer(0),
        Term::Email(email(99)?),
        1000,
    );
    if !store.query(&nobody).map_err(fail)?.is_empty() {
        return Err(format!(
            "{when}: a query for an owner of nothing found entries"
        ));
    }
    Ok(())
}

/// The records as stored now, under `keys`.
fn stored<S: Store>(store: &S, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, String> {
    store.load(keys).map_err(fail)
}

/// After random batches of creates and updates (and refused batches), every index list equals
/// a scan of the records, on every (index, organizer, term) (Q1).
pub(super) fn index_matches_a_scan_after_random_batches<H: Harness>(
    harness: &H,
) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let mut keys: Vec<RecordKey> = Vec::new();
    let mut next = 1u128;
    for round in 0..40 {
        let mut batch = Batch::new();
        let current = stored(&store, &keys)?;
        // Updates of some existing records, each once.
        let mut touched = Vec::new();
        for versioned in &current {
            if dice.below(3) == 0 {
                let new = changed(&mut dice, &versioned.value)?;
                touched.push(versioned.value.key());
                batch.push_update(Some(&versioned.value), new, versioned.version);
            }
        }
        // New records.
        for _ in 0..dice.below(5) {
            let record = match dice.below(3) {
                0 => Record::Ticket(a_ticket(&mut dice, next)?),
                1 => Record::TransferGroup(a_group(&mut dice, next)?),
                _ => Record::Command(a_command(&mut dice, next)),
            };
            next = next.saturating_add(1);
            keys.push(record.key());
            batch.push(record, Version::NEW);
        }
        // Now and then a write expecting a version that is not stored: the whole batch is refused.
        let untouched = current.iter().find(|v| !touched.contains(&v.value.key()));
        let refused = round % 7 == 3 && untouched.is_some();
        if let (true, Some(first)) = (refused, untouched) {
            let stale = changed(&mut dice, &first.value)?;
            batch.push_update(Some(&first.value), stale, first.version.next());
        }
        let created: Vec<RecordKey> = batch
            .writes
            .iter()
            .filter(|w| w.expected == Version::NEW)
            .map(|w| w.record.key())
            .collect();
        let result = store.commit(batch);
        match (refused, result) {
            (false, Ok(())) => {}
            (true, Err(e)) if e.is_conflict() => keys.retain(|k| !created.contains(k)),
            (refused, other) => {
                return Err(format!(
                    "round {round}: a {} batch gave {other:?}",
                    if refused { "stale" } else { "valid" }
                ));
            }
        }
        let now: Vec<Record> = stored(&store, &keys)?
            .into_iter()
            .map(|v| v.value)
            .collect();
        queries_match(&store, &now, &format!("after round {round}"))?;
    }
    Ok(())
}

/// A refused batch (a conflict) changes no index entry and appends no feed entry (Q1, F1).
pub(super) fn refused_batch_changes_no_index_nor_feed<H: Harness>(
    harness: &H,
) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let mut dice = Dice(7);
    let ticket = Record::Ticket(a_ticket(&mut dice, 1)?);
    let org = ticket.organizer();
    let mut setup = Batch::new();
    setup.push(ticket.clone(), Version::NEW);
    setup.feed.push(append(org, 1, 1)?);
    store.commit(setup).map_err(fail)?;
    let before_feed = everything(&store, org)?;
    let before = scan(std::slice::from_ref(&ticket));

    let mut refused = Batch::new();
    let other = Record::Ticket(a_ticket(&mut dice, 2)?);
    refused.push(other.clone(), Version::NEW);
    let moved = changed(&mut dice, &ticket)?;
    refused.push_update(Some(&ticket), moved, Version::new(7));
    refused.feed.push(append(org, 2, 2)?);
    refused.feed.push(append(other.organizer(), 3, 1)?);
    if store.commit(refused).is_ok() {
        return Err("a batch expecting a version not stored was committed".into());
    }
    queries_match(
        &store,
        std::slice::from_ref(&ticket),
        "after a refused batch",
    )?;
    for (list, hits) in scan(std::slice::from_ref(&other)) {
        if before.contains_key(&list) {
            continue;
        }
        let lookup = Lookup::new(list.0, list.1, list.2.clone(), 1000);
        let found = store.query(&lookup).map_err(fail)?;
        if !found.is_empty() {
            return Err(format!(
                "a refused batch left entries of {} in {}: {found:?} (would be {hits:?})",
                other.key(),
                list.0
            ));
        }
    }
    for organizer in [org, other.organizer()] {
        let after = everything(&store, organizer)?;
        let expected = if organizer == org {
            &before_feed
        } else {
            &Vec::new()
        };
        if after != *expected {
            return Err(format!(
                "a refused batch changed the feed of {organizer}: {after:?}"
            ));
        }
    }
    Ok(())
}

fn append(organizer: OrganizerId, command: u128, events: usize) -> Result<FeedAppend, String> {
    let event = Event::TicketDownloaded {
        ticket: TicketId::from_u128(command),
        owner: email(0)?,
        at: AT,
    };
    Ok(FeedAppend {
        organizer,
        command: CommandId::from_u128(command),
        at: AT + Duration::seconds(i64::try_from(command).unwrap_or(0)),
        events: vec![event; events].into(),
    })
}

/// The whole feed of `organizer`, paged 3 by 3.
fn everything<S: Store>(store: &S, organizer: OrganizerId) -> Result<Vec<FeedEntry>, String> {
    let mut out: Vec<FeedEntry> = Vec::new();
    loop {
        let after = out.last().map_or(Position::START, |e| e.position);
        let page = store
            .feed(&FeedQuery::After {
                organizer,
                after,
                limit: 3,
            })
            .map_err(fail)?;
        if page.len() > 3 {
            return Err(format!("a feed read of limit 3 returned {}", page.len()));
        }
        if page.is_empty() {
            return Ok(out);
        }
        out.extend(page);
    }
}

/// Paging a list with small limits visits each entry of one big page exactly once, in order,
/// including when the list changes elsewhere between pages (Q7).
pub(super) fn paging_neither_repeats_nor_skips<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let org = OrganizerId::from_u128(1);
    let owner = email(1)?;
    let mut batch = Batch::new();
    let mut made = Vec::new();
    for n in 1..=11u128 {
        let mut dice = Dice(n.try_into().unwrap_or(1));
        let mut ticket = a_ticket(&mut dice, n)?;
        ticket.organizer = org;
        if let Some(wallet) = ticket.wallet.as_mut() {
            wallet.owners.current = owner.clone();
            wallet.deleted_at = None;
        }
        made.push(Record::Ticket(ticket.clone()));
        batch.push(Record::Ticket(ticket), Version::NEW);
    }
    store.commit(batch).map_err(fail)?;
    let term = Term::Email(owner);
    let all = store
        .query(&Lookup::new(Index::TicketsByOwner, org, term.clone(), 1000))
        .map_err(fail)?;
    for limit in [1, 2, 3, 5, 1000] {
        let mut seen: Vec<Hit> = Vec::new();
        let mut after: Option<SortKey> = None;
        loop {
            let mut lookup = Lookup::new(Index::TicketsByOwner, org, term.clone(), limit);
            lookup.after = after;
            let page = store.query(&lookup).map_err(fail)?;
            if page.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
                return Err(format!("a page of limit {limit} held {}", page.len()));
            }
            let Some(last) = page.last() else { break };
            after = Some(last.sort);
            seen.extend(page);
        }
        if seen != all {
            return Err(format!(
                "paging by {limit} visited {} entries, one page holds {}",
                seen.len(),
                all.len()
            ));
        }
    }
    // `until` bounds the range, included.
    if let Some(middle) = all.get(4) {
        let mut lookup = Lookup::new(Index::TicketsByOwner, org, term, 1000);
        lookup.until = middle.sort;
        let found = store.query(&lookup).map_err(fail)?;
        if found.as_slice() != all.get(..5).unwrap_or_default() {
            return Err(format!(
                "a lookup until the 5th entry returned {}",
                found.len()
            ));
        }
    }
    Ok(())
}

/// Feed entries get increasing positions in commit order, every appended entry exactly once;
/// each organizer reads only its own; a command's entry is found by its key (F1, F2, X7).
pub(super) fn feed_is_ordered_and_complete<H: Harness>(harness: &H) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let (one, two) = (OrganizerId::from_u128(1), OrganizerId::from_u128(2));
    let mut appended: Vec<(OrganizerId, u128)> = Vec::new();
    let mut command = 0u128;
    for batch_size in [1usize, 3, 0, 2, 5, 1] {
        let mut batch = Batch::new();
        for i in 0..batch_size {
            command = command.saturating_add(1);
            let organizer = if i % 2 == 0 { one } else { two };
            batch.feed.push(append(organizer, command, i % 3)?);
            appended.push((organizer, command));
        }
        store.commit(batch).map_err(fail)?;
    }
    let mut last = Position::START;
    for organizer in [one, two] {
        let entries = everything(&store, organizer)?;
        let expected: Vec<u128> = appended
            .iter()
            .filter(|(o, _)| *o == organizer)
            .map(|(_, c)| *c)
            .collect();
        let got: Vec<u128> = entries
            .iter()
            .map(|e| e.command.as_uuid().as_u128())
            .collect();
        if got != expected {
            return Err(format!(
                "the feed of {organizer} holds commands {got:?}, appended {expected:?}"
            ));
        }
        if let Some(foreign) = entries.iter().find(|e| e.organizer != organizer) {
            return Err(format!(
                "the feed of {organizer} returned an entry of {}",
                foreign.organizer
            ));
        }
        if entries
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.position >= b.position))
        {
            return Err("feed positions do not increase".into());
        }
        for entry in &entries {
            if entry.position == Position::START {
                return Err("a feed entry at position 0 (the start)".into());
            }
            let (_, n) = appended
                .iter()
                .find(|(_, c)| CommandId::from_u128(*c) == entry.command)
                .ok_or("an entry of no appended command")?;
            let events = usize::try_from((*n - 1) % 3).unwrap_or(0);
            let _ = events;
            last = last.max(entry.position);
        }
    }
    // A later commit's entries come after every earlier one, whatever their organizer.
    let mut later = Batch::new();
    later.feed.push(append(two, 1000, 1)?);
    store.commit(later).map_err(fail)?;
    let tail = store
        .feed(&FeedQuery::After {
            organizer: two,
            after: last,
            limit: 10,
        })
        .map_err(fail)?;
    match tail.as_slice() {
        [entry] if entry.command == CommandId::from_u128(1000) && entry.position > last => {}
        other => {
            return Err(format!(
                "the entry of a later commit is not last: {other:?}"
            ));
        }
    }
    let of = store
        .feed(&FeedQuery::Of {
            commands: vec![
                CommandKey::new(one, CommandId::from_u128(1)),
                CommandKey::new(two, CommandId::from_u128(1)),
                CommandKey::new(two, CommandId::from_u128(1000)),
            ],
        })
        .map_err(fail)?;
    let mut found: Vec<(OrganizerId, CommandId)> =
        of.iter().map(|e| (e.organizer, e.command)).collect();
    found.sort_unstable();
    if found
        != [
            (one, CommandId::from_u128(1)),
            (two, CommandId::from_u128(1000)),
        ]
    {
        return Err(format!(
            "the entries of commands (1,1), (2,1) and (2,1000) were {found:?}: command ids are per organizer"
        ));
    }
    Ok(())
}

/// Retention removes old command records (and their index entries) and fully read feed
/// entries, at most `limit` per step; entries a reader has not passed stay (X8).
pub(super) fn prune_is_bounded_and_waits_for_readers<H: Harness>(
    harness: &H,
) -> Result<(), String> {
    let store = harness.fresh().map_err(fail)?;
    let org = OrganizerId::from_u128(1);
    let mut dice = Dice(3);
    let mut batch = Batch::new();
    let mut commands = Vec::new();
    for n in 1..=6u128 {
        let mut record = a_command(&mut dice, n);
        record.organizer = org;
        record.at = AT + Duration::hours(i64::try_from(n).unwrap_or(0));
        commands.push(RecordKey::Command(CommandKey::new(org, record.id)));
        batch.push(Record::Command(record), Version::NEW);
        let mut entry = append(org, n, 1)?;
        entry.at = AT + Duration::hours(i64::try_from(n).unwrap_or(0));
        batch.feed.push(entry);
    }
    let name = ReaderName::parse("audit").map_err(fail)?;
    batch.push(Record::Reader(ReaderCursor::new(org, name)), Version::NEW);
    store.commit(batch).map_err(fail)?;

    // Horizon after the 4th hour: commands 1-3 are old.
    let before = AT + Duration::hours(4);
    let first = store.prune(before, 2).map_err(fail)?;
    if (first.commands, first.feed_entries, first.more) != (2, 0, true) {
        return Err(format!("a first step of limit 2 pruned {first:?}"));
    }
    let second = store.prune(before, 10).map_err(fail)?;
    if second.commands != 1 || second.feed_entries != 0 {
        return Err(format!(
            "with the reader at the start, the second step pruned {second:?} (feed entries must wait for it)"
        ));
    }
    let left = stored(&store, &commands)?;
    if left.len() != 3 {
        return Err(format!("{} command records left, 3 expected", left.len()));
    }
    let remaining: Vec<Record> = left.into_iter().map(|v| v.value).collect();
    queries_match(&store, &remaining, "after pruning")?;

    // The reader passes entry 2: entries 1 and 2 may go, not 3 (old but unread).
    let reader_key = RecordKey::Reader(crate::record_key::ReaderKey {
        organizer: org,
        name,
    });
    let cursor = stored(&store, &[reader_key])?;
    let Some(Versioned {
        value: Record::Reader(cursor),
        version,
    }) = cursor.into_iter().next()
    else {
        return Err("the reader cursor is missing".into());
    };
    let feed = everything(&store, org)?;
    let second_position = feed
        .get(1)
        .map(|e| e.position)
        .ok_or("the feed lost entries")?;
    let moved = Record::Reader(ReaderCursor {
        position: second_position,
        ..cursor
    });
    store
        .commit(Batch::new().with(moved, version))
        .map_err(fail)?;
    let third = store.prune(before, 10).map_err(fail)?;
    if (third.commands, third.feed_entries) != (0, 2) {
        return Err(format!(
            "with the reader past entry 2, a step pruned {third:?}"
        ));
    }
    let rest = everything(&store, org)?;
    if rest.len() != 4 || rest.first().map(|e| e.command) != Some(CommandId::from_u128(3)) {
        return Err(format!(
            "after pruning entries 1-2, the feed starts at {:?} with {} entries",
            rest.first().map(|e| e.command),
            rest.len()
        ));
    }
    // Positions are never reused after a prune.
    let mut later = Batch::new();
    later.feed.push(append(org, 100, 1)?);
    store.commit(later).map_err(fail)?;
    let all = everything(&store, org)?;
    let last = all.last().map(|e| e.position).unwrap_or_default();
    if all.iter().rev().skip(1).any(|e| e.position >= last) {
        return Err("a position was reused after a prune".into());
    }
    Ok(())
}
