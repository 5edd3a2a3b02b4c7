//! What one attempt read, with the versions to expect when writing back, and the records as the
//! batch's decisions leave them.

use std::borrow::Cow;
use std::collections::hash_map::Entry as MapEntry;

use time::OffsetDateTime;

use crate::changes::Events;
use crate::command::{CommandRecord, RecordedOutcome, Refusal, Request};
use crate::decision::Decision;
use crate::digest::Digest;
use crate::email::Email;
use crate::error::Error;
use crate::feed::{FeedAppend, FeedEntry, Position, ReaderCursor};
use crate::id::SpectatorId;
use crate::id::{OrganizerId, PointOfSaleId, TicketId, TransferGroupId};
use crate::id_hash::{IdHashState, IdMap};
use crate::organizer::OrganizerSettings;
use crate::performance::Performance;
use crate::point_of_sale::PointOfSale;
use crate::record_key::{CommandKey, ReaderKey, RecordKey};
use crate::service::outcome::Outcome;
use crate::spectator::Spectator;
use crate::store::plan::Pass;
use crate::store::{Batch, Read, ReadPlan, Record, StoreError, Version, Versioned, Write};
use crate::ticket::Ticket;
use crate::transfer_group::TransferGroup;
use crate::usage_rule::UsageRule;

/// What one attempt read and decided so far.
///
/// Tickets, groups and command records live in `slots`, found through `index`: applying a
/// decision moves each new record into its slot once, and a hash map never moves a record. The
/// index is seeded per attempt ([`IdMap`]): ids are chosen by callers, who must not be able to
/// pick ids that collide. Nothing the shell returns or writes depends on its order.
#[derive(Default)]
pub(crate) struct Loaded {
    /// Every key asked for or created: its version as read ([`Version::NEW`] when absent), its
    /// slot when it is a ticket, group or command record that exists, and the round that read it.
    index: IdMap<RecordKey, Entry>,
    /// The tickets, groups and command records, read or created (`None` once written out).
    slots: Vec<Option<Record>>,
    /// Read-only records: the shell never writes them.
    rules: Vec<UsageRule>,
    points_of_sale: Vec<PointOfSale>,
    settings: Vec<OrganizerSettings>,
    /// The slots changed by the batch's decisions, in first-change order, with the version each
    /// write expects.
    dirty: Vec<(usize, Version)>,
    /// The records as read, of the slots changed (moved out when first changed): the index
    /// changes are the difference with the final state.
    originals: Vec<(usize, Record)>,
    /// The feed entries read for retries, and the entries this attempt appends.
    feed: Vec<FeedEntry>,
    appended: Vec<FeedAppend>,
}

/// A key's version as read and where its record is.
#[derive(Clone, Copy)]
struct Entry {
    version: Version,
    slot: Option<usize>,
    /// The read round that found the record (0 while absent).
    round: u8,
    found: bool,
    dirty: bool,
}

impl Entry {
    const ABSENT: Self = Self {
        version: Version::NEW,
        slot: None,
        round: 0,
        found: false,
        dirty: false,
    };
}

impl Loaded {
    /// Room for `keys` records and the records a batch of `requests` usually adds.
    pub(crate) fn with_capacity(keys: usize, requests: usize) -> Self {
        let records = keys.saturating_add(requests.saturating_mul(2));
        Self {
            index: IdMap::with_capacity_and_hasher(records, IdHashState::default()),
            slots: Vec::with_capacity(records),
            dirty: Vec::with_capacity(records),
            originals: Vec::with_capacity(keys),
            appended: Vec::with_capacity(requests),
            ..Self::default()
        }
    }

    /// Keeps each key of `keys` not asked for yet, once, in first-occurrence order, and marks it
    /// asked (absent until found).
    pub(crate) fn ask(&mut self, keys: &mut Vec<RecordKey>) {
        self.index.reserve(keys.len());
        keys.retain(|key| match self.index.entry(*key) {
            MapEntry::Occupied(_) => false,
            MapEntry::Vacant(slot) => {
                slot.insert(Entry::ABSENT);
                true
            }
        });
    }

    /// Takes the records one read round found. A record found again in a later round must have
    /// the version it had: otherwise another writer committed between the rounds.
    ///
    /// Returns the number of slots before this round (the new tickets and groups follow it).
    pub(crate) fn absorb(&mut self, read: Read, round: u8) -> Result<usize, StoreError> {
        let Read {
            records: found,
            feed,
            ..
        } = read;
        self.feed.extend(feed);
        let first_new = self.slots.len();
        self.slots.reserve(found.len());
        self.index.reserve(found.len());
        for Versioned { value, version } in found {
            let key = value.key();
            let entry = self.index.entry(key).or_insert(Entry::ABSENT);
            if entry.found {
                if entry.version != version {
                    return Err(StoreError::ChangedDuringRead { key });
                }
                continue;
            }
            let slot = match value {
                Record::UsageRule(r) => {
                    self.rules.push(r);
                    None
                }
                Record::PointOfSale(p) => {
                    self.points_of_sale.push(p);
                    None
                }
                Record::Settings(s) => {
                    self.settings.push(s);
                    None
                }
                record => {
                    self.slots.push(Some(record));
                    Some(self.slots.len().saturating_sub(1))
                }
            };
            *entry = Entry {
                version,
                slot,
                round,
                found: true,
                dirty: false,
            };
        }
        Ok(first_new)
    }

    /// The keys that the records found since slot `from` lead to and that were not asked yet,
    /// as `plan` follows them.
    pub(crate) fn leads(&self, from: usize, plan: &ReadPlan, out: &mut Vec<RecordKey>) {
        out.reserve(self.slots.len().saturating_sub(from));
        for pass in [Pass::Groups, Pass::Tickets] {
            for record in self.slots.iter().skip(from).flatten() {
                plan.leads(record, pass, out);
            }
        }
        out.retain(|key| !self.index.contains_key(key));
    }

    /// A record that contradicts one read in an earlier round (a torn read): a PENDING group read
    /// before one of its tickets, which is no longer pending in it.
    pub(crate) fn torn(&self) -> Option<RecordKey> {
        for record in self.slots.iter().flatten() {
            let Record::TransferGroup(group) = record else {
                continue;
            };
            if !group.is_pending() {
                continue;
            }
            let Some(group_round) = self.round_of(RecordKey::TransferGroup(group.id)) else {
                continue;
            };
            for &id in &group.tickets {
                let key = RecordKey::Ticket(id);
                if self.round_of(key).is_none_or(|round| round == group_round) {
                    continue;
                }
                let pending_in = match self.get(key) {
                    Some(Record::Ticket(t)) => t.wallet.as_ref().and_then(|w| w.pending_group),
                    _ => None,
                };
                if pending_in != Some(group.id) {
                    return Some(key);
                }
            }
        }
        None
    }

    fn round_of(&self, key: RecordKey) -> Option<u8> {
        self.index
            .get(&key)
            .filter(|entry| entry.found)
            .map(|entry| entry.round)
    }

    /// The record under `key`, when it is a ticket, group or command record that exists.
    fn get(&self, key: RecordKey) -> Option<&Record> {
        let slot = self.index.get(&key)?.slot?;
        self.slots.get(slot)?.as_ref()
    }

    /// Whether a ticket or group exists under `key`, in the store or created by an earlier
    /// decision.
    fn exists(&self, key: RecordKey) -> bool {
        self.get(key).is_some()
    }

    /// Puts a ticket, group or command record in its final state so far, marking it changed.
    fn put(&mut self, record: Record) {
        let Self {
            index,
            slots,
            dirty,
            originals,
            ..
        } = self;
        let entry = index.entry(record.key()).or_insert(Entry::ABSENT);
        let slot = match entry.slot.and_then(|s| Some((s, slots.get_mut(s)?))) {
            Some((slot, place)) => {
                let old = place.replace(record);
                if !entry.dirty
                    && entry.found
                    && let Some(old) = old
                {
                    originals.push((slot, old));
                }
                slot
            }
            None => {
                slots.push(Some(record));
                let slot = slots.len().saturating_sub(1);
                entry.slot = Some(slot);
                slot
            }
        };
        if !entry.dirty {
            entry.dirty = true;
            dirty.push((slot, entry.version));
        }
    }

    /// The first result of a request already processed (X3), or `None` for a new one.
    pub(crate) fn replay(
        &self,
        request: &Request,
        digest: Digest,
        attempt: u32,
    ) -> Option<Result<Outcome, Error>> {
        let key = request.key();
        let Some(Record::Command(record)) = self.get(RecordKey::Command(key)) else {
            return None;
        };
        if record.digest != digest {
            return Some(Err(Error::CommandIdReused {
                command: request.id,
            }));
        }
        let events = match &record.outcome {
            RecordedOutcome::Accepted { .. } => self.events_of(key),
            RecordedOutcome::Kept { events } => Events::from(events.as_slice()),
            RecordedOutcome::Refused { refusal } => return Some(Err(refusal.clone().into())),
        };
        Some(Ok(Outcome {
            events,
            replayed: true,
            attempts: attempt,
        }))
    }

    /// The events of an accepted command: its feed entry, read or appended by this attempt
    /// (none when retention removed it).
    fn events_of(&self, key: CommandKey) -> Events {
        self.appended
            .iter()
            .find(|a| a.organizer == key.organizer && a.command == key.id)
            .map(|a| a.events.clone())
            .or_else(|| {
                self.feed
                    .iter()
                    .find(|e| e.organizer == key.organizer && e.command == key.id)
                    .map(|e| e.events.clone())
            })
            .unwrap_or_default()
    }

    /// The records as a request of `organizer` sees them.
    pub(crate) const fn view(&self, organizer: OrganizerId) -> View<'_> {
        View {
            loaded: self,
            organizer,
        }
    }

    /// Applies an accepted decision with the request's command record and feed entry, unless a
    /// record it creates exists already.
    pub(crate) fn apply(
        &mut self,
        request: &Request,
        digest: Digest,
        decision: Decision,
        attempt: u32,
    ) -> Result<Outcome, Error> {
        if let Some(&key) = decision.created.iter().find(|key| self.exists(**key)) {
            return Err(Error::IdInUse { key });
        }
        for ticket in decision.tickets {
            self.put(Record::Ticket(ticket));
        }
        for group in decision.groups {
            self.put(Record::TransferGroup(group));
        }
        for spectator in decision.spectators {
            self.put(Record::Spectator(spectator));
        }
        // What the decision relies on is written back unchanged (same body, next version): a
        // concurrent change of it then conflicts with this commit.
        for key in decision.relies_on {
            let untouched = self.index.get(&key).is_some_and(|entry| !entry.dirty);
            if untouched && let Some(record) = self.get(key).cloned() {
                self.put(record);
            }
        }
        let events = Events::from(decision.events);
        let at = request.command.at();
        self.put(Record::Command(CommandRecord {
            organizer: request.organizer,
            id: request.id,
            digest,
            at,
            outcome: RecordedOutcome::Accepted {
                events: u32::try_from(events.len()).unwrap_or(u32::MAX),
            },
        }));
        // A command that changed nothing visible (a sign-in with no group to complete) has no
        // feed entry: its record says it produced no event.
        if !events.is_empty() {
            self.appended.push(FeedAppend {
                organizer: request.organizer,
                command: request.id,
                at,
                events: events.clone(),
            });
        }
        Ok(Outcome {
            events,
            replayed: false,
            attempts: attempt,
        })
    }

    /// Records a request the rules refused, so that a retry gets the same refusal (X3); an
    /// input error (a record not found, an id in use, a reused command id) is not recorded.
    pub(crate) fn refuse(&mut self, request: &Request, digest: Digest, error: &Error) {
        let Some(refusal) = Refusal::of(error) else {
            return;
        };
        self.put(Record::Command(CommandRecord {
            organizer: request.organizer,
            id: request.id,
            digest,
            at: request.command.at(),
            outcome: RecordedOutcome::Refused { refusal },
        }));
    }

    /// Moves a reader's cursor from `from` to `to`: refused with a conflict when the cursor read
    /// is elsewhere (another instance of the reader moved it), and unknown when absent.
    pub(crate) fn move_reader(
        &mut self,
        reader: ReaderKey,
        from: Position,
        to: Position,
    ) -> Result<(), Error> {
        let key = RecordKey::Reader(reader);
        let cursor = match self.get(key) {
            Some(Record::Reader(cursor)) => *cursor,
            _ => {
                return Err(Error::UnknownReader {
                    reader: reader.name,
                });
            }
        };
        if cursor.position != from {
            return Err(Error::Store(StoreError::ChangedDuringRead { key }));
        }
        if to != from {
            self.put(Record::Reader(ReaderCursor {
                position: to,
                ..cursor
            }));
        }
        Ok(())
    }

    /// The writes of every changed record, in its final state, expecting the version read.
    pub(crate) fn into_batch(mut self) -> Batch {
        let mut batch = Batch::with_capacity(self.dirty.len());
        // A write changes a few entries at most (an owner, a pending group's sender and
        // recipient): room for them, so that the lists are not moved while they grow.
        let entries = self.dirty.len().saturating_mul(2);
        batch.index.removed.reserve(entries);
        batch.index.added.reserve(entries);
        // Originals were pushed in first-change order, as `dirty` was: walk both together. Each
        // record moves once, from its slot into its write; the index changes compare it there
        // with its original, which stays where it is.
        let Self {
            slots,
            dirty,
            originals,
            ..
        } = &mut self;
        let mut originals = originals.iter();
        let mut next_original = originals.next();
        for &(slot, expected) in dirty.iter() {
            let original = match next_original {
                Some((s, record)) if *s == slot => {
                    next_original = originals.next();
                    Some(record)
                }
                _ => None,
            };
            if let Some(record) = slots.get_mut(slot).and_then(Option::take) {
                batch.writes.push(Write { record, expected });
                if let Some(write) = batch.writes.last() {
                    batch.index.diff(original, &write.record);
                }
            }
        }
        batch.feed = self.appended;
        batch
    }
}

/// The records as one request sees them: what the attempt read, as the batch's earlier
/// decisions left them, with the request's organizer. What the rule functions are given.
pub(crate) struct View<'a> {
    loaded: &'a Loaded,
    organizer: OrganizerId,
}

impl View<'_> {
    /// The request's organizer.
    pub(crate) const fn organizer(&self) -> OrganizerId {
        self.organizer
    }

    /// A ticket the command names.
    pub(crate) fn ticket(&self, id: TicketId) -> Result<&Ticket, Error> {
        match self.loaded.get(RecordKey::Ticket(id)) {
            Some(Record::Ticket(t)) if t.organizer == self.organizer => Ok(t),
            _ => Err(Error::NotFound {
                key: RecordKey::Ticket(id),
            }),
        }
    }

    /// A group the command names.
    pub(crate) fn group(&self, id: TransferGroupId) -> Result<&TransferGroup, Error> {
        match self.loaded.get(RecordKey::TransferGroup(id)) {
            Some(Record::TransferGroup(g)) if g.organizer == self.organizer => Ok(g),
            _ => Err(Error::NotFound {
                key: RecordKey::TransferGroup(id),
            }),
        }
    }

    /// The usage rules of the organizer read (the rule functions find each ticket's own):
    /// borrowed when every rule read is the organizer's, the usual case.
    pub(crate) fn rules(&self) -> Cow<'_, [UsageRule]> {
        let rules = &self.loaded.rules;
        if rules.iter().all(|r| r.organizer == self.organizer) {
            Cow::Borrowed(rules)
        } else {
            rules
                .iter()
                .filter(|r| r.organizer == self.organizer)
                .copied()
                .collect()
        }
    }

    /// A usage rule the command names.
    pub(crate) fn rule(&self, id: crate::id::UsageRuleId) -> Result<&UsageRule, Error> {
        self.loaded
            .rules
            .iter()
            .find(|r| r.id == id && r.organizer == self.organizer)
            .ok_or(Error::NotFound {
                key: RecordKey::UsageRule(id),
            })
    }

    /// The PENDING groups of the organizer addressed to `recipient` that complete at sign-in,
    /// oldest first.
    pub(crate) fn pending_for(&self, recipient: &Email) -> Vec<&TransferGroup> {
        let mut groups: Vec<&TransferGroup> = self
            .groups()
            .filter(|g| {
                g.is_pending() && g.recipient == *recipient && !g.needs_explicit_acceptance()
            })
            .collect();
        groups.sort_unstable_by_key(|g| (g.created_at, g.id));
        groups
    }

    /// The PENDING groups of the organizer due at `at`, oldest deadline first.
    pub(crate) fn due(&self, at: OffsetDateTime) -> Vec<&TransferGroup> {
        let mut groups: Vec<&TransferGroup> = self
            .groups()
            .filter(|g| g.is_pending() && g.due_at().is_some_and(|d| d <= at))
            .collect();
        groups.sort_unstable_by_key(|g| (g.due_at(), g.id));
        groups
    }

    fn groups(&self) -> impl Iterator<Item = &TransferGroup> {
        self.loaded.slots.iter().flatten().filter_map(|r| match r {
            Record::TransferGroup(g) if g.organizer == self.organizer => Some(g),
            _ => None,
        })
    }

    /// A point of sale the command names.
    pub(crate) fn point_of_sale(&self, id: PointOfSaleId) -> Result<&PointOfSale, Error> {
        self.loaded
            .points_of_sale
            .iter()
            .find(|p| p.id == id && p.organizer == self.organizer)
            .ok_or(Error::NotFound {
                key: RecordKey::PointOfSale(id),
            })
    }

    /// The settings of the request's organizer.
    pub(crate) fn settings(&self) -> Result<&OrganizerSettings, Error> {
        self.loaded
            .settings
            .iter()
            .find(|s| s.id == self.organizer)
            .ok_or(Error::NotFound {
                key: RecordKey::Settings(self.organizer),
            })
    }

    /// The performances of the tickets among `ids` that were read (E1).
    pub(crate) fn performances_of(&self, ids: &[TicketId]) -> Vec<Performance> {
        let mut out: Vec<Performance> = Vec::new();
        for id in ids {
            let Some(performance) = self.ticket(*id).ok().and_then(|t| t.performance) else {
                continue;
            };
            if out.iter().any(|p| p.id == performance) {
                continue;
            }
            if let Some(Record::Performance(p)) =
                self.loaded.get(RecordKey::Performance(performance))
                && p.organizer == self.organizer
            {
                out.push(*p);
            }
        }
        out
    }

    /// The spectator record of `email`, if the organizer keeps one (L1).
    pub(crate) fn spectator(&self, email: &Email) -> Option<&Spectator> {
        match self
            .loaded
            .get(RecordKey::Spectator(SpectatorId::of(self.organizer, email)))
        {
            Some(Record::Spectator(s)) if s.organizer == self.organizer && s.email == *email => {
                Some(s)
            }
            _ => None,
        }
    }

    /// Copies of every ticket of the organizer read that `owner` owns now (Keep One, K4): the
    /// read looked them up by owner.
    pub(crate) fn wallet_of(&self, owner: &Email) -> Vec<Ticket> {
        self.loaded
            .slots
            .iter()
            .flatten()
            .filter_map(|r| match r {
                Record::Ticket(t)
                    if t.organizer == self.organizer
                        && t.wallet
                            .as_ref()
                            .is_some_and(|w| w.owners.current == *owner) =>
                {
                    Some(t.clone())
                }
                _ => None,
            })
            .collect()
    }

    /// Calls `decide` with the tickets among `ids` that exist, for the transitions that take a
    /// slice (missing ones are left out: the transition names them in its error). One ticket,
    /// the common case, is lent in place; several are copied into a list.
    pub(crate) fn with_tickets<R>(
        &self,
        ids: &[TicketId],
        decide: impl FnOnce(&[Ticket]) -> R,
    ) -> R {
        if let [id] = ids
            && let Ok(ticket) = self.ticket(*id)
        {
            return decide(std::slice::from_ref(ticket));
        }
        decide(&self.gather(ids))
    }

    /// Copies of the tickets among `ids` that exist.
    pub(crate) fn gather<'a>(&self, ids: impl IntoIterator<Item = &'a TicketId>) -> Vec<Ticket> {
        ids.into_iter()
            .filter_map(|id| self.ticket(*id).ok())
            .cloned()
            .collect()
    }
}
