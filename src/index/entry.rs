//! The entries of a record.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::email::Email;
use crate::id::OrganizerId;
use crate::record_key::{CommandKey, RecordKey};
use crate::store::Record;
use crate::ticket::WalletStatus;

/// The indexes a record can be found by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Index {
    /// Tickets by their current owner's email, while injected and not DELETED; sorted by
    /// performance, then ticket id (Q2).
    TicketsByOwner,
    /// Tickets by right; sorted by ticket id (Q6).
    TicketsByRight,
    /// Tickets by the point of sale that distributed them; sorted by ticket id (Q6).
    TicketsByPointOfSale,
    /// Tickets by performance; sorted by ticket id.
    TicketsByPerformance,
    /// PENDING groups by sender; newest first (Q2's outgoing).
    PendingBySender,
    /// PENDING groups by recipient; newest first (Q2's incoming, Q4's sign-in).
    PendingByRecipient,
    /// PENDING groups with a deadline (A4) or a performance end (E1), by the earlier of the two
    /// ([`TransferGroup::due_at`](crate::TransferGroup::due_at)), oldest first (Q5's sweep).
    /// Term: none.
    PendingByDeadline,
    /// Closed groups (ACCEPTED, DECLINED, CANCELLED, EXPIRED) by sender; newest closed first (Q3).
    ClosedBySender,
    /// Closed groups by recipient; newest closed first (Q3).
    ClosedByRecipient,
    /// Command records by time, oldest first (X8's retention). Term: none.
    CommandsByTime,
    /// PENDING groups that complete at their recipient's next sign-in (A1 off, or BACKWARD), by
    /// recipient, oldest first (Q4): what a sign-in completes.
    CompletesAtSignIn,
    /// The valid ticket of each right (B11): a **unique** index ([`is_unique`](Self::is_unique)),
    /// so a store refuses a commit that would leave two valid tickets for one right.
    ValidTicketByRight,
}

impl Index {
    /// Every index.
    pub const ALL: [Self; 12] = [
        Self::TicketsByOwner,
        Self::TicketsByRight,
        Self::TicketsByPointOfSale,
        Self::TicketsByPerformance,
        Self::PendingBySender,
        Self::PendingByRecipient,
        Self::PendingByDeadline,
        Self::ClosedBySender,
        Self::ClosedByRecipient,
        Self::CommandsByTime,
        Self::CompletesAtSignIn,
        Self::ValidTicketByRight,
    ];

    /// A stable lower-case name, for a column or a key prefix.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TicketsByOwner => "tickets_by_owner",
            Self::TicketsByRight => "tickets_by_right",
            Self::TicketsByPointOfSale => "tickets_by_point_of_sale",
            Self::TicketsByPerformance => "tickets_by_performance",
            Self::PendingBySender => "pending_by_sender",
            Self::PendingByRecipient => "pending_by_recipient",
            Self::PendingByDeadline => "pending_by_deadline",
            Self::ClosedBySender => "closed_by_sender",
            Self::ClosedByRecipient => "closed_by_recipient",
            Self::CommandsByTime => "commands_by_time",
            Self::CompletesAtSignIn => "completes_at_sign_in",
            Self::ValidTicketByRight => "valid_ticket_by_right",
        }
    }

    /// A stable small number (0 to 11), for a compact column or key prefix.
    #[must_use]
    pub const fn number(self) -> u8 {
        match self {
            Self::TicketsByOwner => 0,
            Self::TicketsByRight => 1,
            Self::TicketsByPointOfSale => 2,
            Self::TicketsByPerformance => 3,
            Self::PendingBySender => 4,
            Self::PendingByRecipient => 5,
            Self::PendingByDeadline => 6,
            Self::ClosedBySender => 7,
            Self::ClosedByRecipient => 8,
            Self::CommandsByTime => 9,
            Self::CompletesAtSignIn => 10,
            Self::ValidTicketByRight => 11,
        }
    }

    /// Whether the index holds at most one record per (organizer, term): a store refuses, with
    /// [`StoreError::UniqueEntryTaken`](crate::store::StoreError::UniqueEntryTaken) and nothing
    /// written, a commit after which two records would have an entry under the same (index,
    /// organizer, term) (contract item 10). Only [`ValidTicketByRight`](Self::ValidTicketByRight)
    /// is.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::index::Index;
    ///
    /// let unique: Vec<Index> = Index::ALL.into_iter().filter(|i| i.is_unique()).collect();
    /// assert_eq!(unique, [Index::ValidTicketByRight]);
    /// ```
    #[must_use]
    pub const fn is_unique(self) -> bool {
        matches!(self, Self::ValidTicketByRight)
    }

    /// The index numbered `number` ([`number`](Self::number)).
    #[must_use]
    pub fn from_number(number: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.number() == number)
    }
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// What an index is looked up by: an email, an id, or nothing (an index of all the organizer's
/// records of a kind, ordered by its sort key).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Term {
    /// No term.
    All,
    /// An email (owner, sender, recipient).
    Email(Email),
    /// An id (right, point of sale, performance).
    Id(uuid::Uuid),
}

impl fmt::Display for Term {
    /// The canonical text of a term, for a text column: empty for [`Term::All`], the email,
    /// or the hyphenated UUID.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => Ok(()),
            Self::Email(email) => f.write_str(email.as_str()),
            Self::Id(id) => fmt::Display::fmt(id, f),
        }
    }
}

/// Where an entry sorts within its (index, organizer, term): compared as two unsigned 128-bit
/// numbers, or as the 32 bytes of [`to_bytes`](Self::to_bytes) (a `BLOB` column compares them
/// the same way). Unique within an (index, organizer, term): its `minor` part is the record's id.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct SortKey {
    /// The first part: a time, an id, or 0.
    pub major: u128,
    /// The second part: the record's id.
    pub minor: u128,
}

impl SortKey {
    /// The largest key: an upper bound that includes everything.
    pub const MAX: Self = Self {
        major: u128::MAX,
        minor: u128::MAX,
    };

    /// A key from its two parts.
    #[must_use]
    pub const fn new(major: u128, minor: u128) -> Self {
        Self { major, minor }
    }

    /// A time as a `major` that sorts oldest first.
    #[must_use]
    pub const fn oldest_first(at: OffsetDateTime) -> u128 {
        // The sign bit flipped: negative times sort before positive ones.
        (at.unix_timestamp_nanos() as u128) ^ (1 << 127)
    }

    /// A time as a `major` that sorts newest first.
    #[must_use]
    pub const fn newest_first(at: OffsetDateTime) -> u128 {
        !Self::oldest_first(at)
    }

    /// The 32 bytes, big-endian: `major` then `minor`.
    #[must_use]
    pub fn to_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        let parts = self
            .major
            .to_be_bytes()
            .into_iter()
            .chain(self.minor.to_be_bytes());
        for (place, byte) in out.iter_mut().zip(parts) {
            *place = byte;
        }
        out
    }

    /// The key written as [`to_bytes`](Self::to_bytes).
    #[must_use]
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut a = [0u8; 16];
        let mut b = [0u8; 16];
        for (i, byte) in bytes.into_iter().enumerate() {
            if let Some(place) = a.get_mut(i) {
                *place = byte;
            } else if let Some(place) = b.get_mut(i.saturating_sub(16)) {
                *place = byte;
            }
        }
        Self {
            major: u128::from_be_bytes(a),
            minor: u128::from_be_bytes(b),
        }
    }
}

/// One index entry of a record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IndexEntry {
    /// The index.
    pub index: Index,
    /// The record's organizer: a lookup is always within one organizer (X7).
    pub organizer: OrganizerId,
    /// What it is found by.
    pub term: Term,
    /// Where it sorts.
    pub sort: SortKey,
    /// The record.
    pub key: RecordKey,
}

/// An entry that borrows its term from the record (what the shell diffs without allocating).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntryRef<'a> {
    pub(crate) index: Index,
    pub(crate) organizer: OrganizerId,
    pub(crate) term: TermRef<'a>,
    pub(crate) sort: SortKey,
    pub(crate) key: RecordKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TermRef<'a> {
    All,
    Email(&'a Email),
    Id(uuid::Uuid),
}

impl EntryRef<'_> {
    pub(crate) fn to_owned(self) -> IndexEntry {
        IndexEntry {
            index: self.index,
            organizer: self.organizer,
            term: match self.term {
                TermRef::All => Term::All,
                TermRef::Email(email) => Term::Email(email.clone()),
                TermRef::Id(id) => Term::Id(id),
            },
            sort: self.sort,
            key: self.key,
        }
    }
}

/// The index entries of `record` (Q1): a ticket by its current owner (while injected and not
/// DELETED), its right, its point of sale, its performance, and while valid by its right in the
/// unique [`Index::ValidTicketByRight`] (B11); a PENDING group by its sender,
/// its recipient and its deadline, and by recipient again when it completes at sign-in; a closed
/// group by sender and recipient; a command record by its time. Other records have none.
///
/// # Examples
///
/// ```
/// use secure_ticket::index::{self, Index, Term};
/// use secure_ticket::store::Record;
/// use secure_ticket::{Distribution, OrganizerId, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId};
/// use secure_ticket::{Ticket, TicketId};
///
/// let ticket = Ticket::new(OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(2),
///     Distribution::new(PointOfSaleId::from_u128(3), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(4))));
/// let entries = index::entries(&Record::Ticket(ticket));
/// // Not injected: found by right and point of sale, not by an owner; valid: the right's one.
/// assert_eq!(entries.iter().map(|e| e.index).collect::<Vec<_>>(),
///     [Index::TicketsByRight, Index::TicketsByPointOfSale, Index::ValidTicketByRight]);
/// assert_eq!(entries[0].term, Term::Id(RightId::from_u128(2).as_uuid()));
/// ```
#[must_use]
pub fn entries(record: &Record) -> Vec<IndexEntry> {
    let mut out = Vec::new();
    for_each_entry(record, |entry| out.push(entry.to_owned()));
    out
}

/// Calls `f` with each entry of `record`, borrowing terms from it.
pub(crate) fn for_each_entry<'a>(record: &'a Record, mut f: impl FnMut(EntryRef<'a>)) {
    match record {
        Record::Ticket(t) => {
            let key = RecordKey::Ticket(t.id);
            let id = t.id.as_uuid().as_u128();
            let entry = |index, term, major| EntryRef {
                index,
                organizer: t.organizer,
                term,
                sort: SortKey::new(major, id),
                key,
            };
            if let Some(wallet) = &t.wallet
                && wallet.status() != WalletStatus::Deleted
            {
                let performance = t.performance.map_or(0, |p| p.as_uuid().as_u128());
                f(entry(
                    Index::TicketsByOwner,
                    TermRef::Email(&wallet.owners.current),
                    performance,
                ));
            }
            f(entry(
                Index::TicketsByRight,
                TermRef::Id(t.right.as_uuid()),
                0,
            ));
            f(entry(
                Index::TicketsByPointOfSale,
                TermRef::Id(t.distribution.point_of_sale.as_uuid()),
                0,
            ));
            if let Some(performance) = t.performance {
                f(entry(
                    Index::TicketsByPerformance,
                    TermRef::Id(performance.as_uuid()),
                    0,
                ));
            }
            if t.distribution.invalidation.is_none() {
                f(entry(
                    Index::ValidTicketByRight,
                    TermRef::Id(t.right.as_uuid()),
                    0,
                ));
            }
        }
        Record::TransferGroup(g) => {
            let key = RecordKey::TransferGroup(g.id);
            let id = g.id.as_uuid().as_u128();
            let entry = |index, term, major| EntryRef {
                index,
                organizer: g.organizer,
                term,
                sort: SortKey::new(major, id),
                key,
            };
            if g.is_pending() {
                let newest = SortKey::newest_first(g.created_at);
                f(entry(
                    Index::PendingBySender,
                    TermRef::Email(&g.sender),
                    newest,
                ));
                f(entry(
                    Index::PendingByRecipient,
                    TermRef::Email(&g.recipient),
                    newest,
                ));
                if let Some(deadline) = g.due_at() {
                    f(entry(
                        Index::PendingByDeadline,
                        TermRef::All,
                        SortKey::oldest_first(deadline),
                    ));
                }
                if !g.needs_explicit_acceptance() {
                    f(entry(
                        Index::CompletesAtSignIn,
                        TermRef::Email(&g.recipient),
                        SortKey::oldest_first(g.created_at),
                    ));
                }
            } else {
                let newest = SortKey::newest_first(g.closed_at.unwrap_or(g.created_at));
                f(entry(
                    Index::ClosedBySender,
                    TermRef::Email(&g.sender),
                    newest,
                ));
                f(entry(
                    Index::ClosedByRecipient,
                    TermRef::Email(&g.recipient),
                    newest,
                ));
            }
        }
        Record::Command(c) => f(EntryRef {
            index: Index::CommandsByTime,
            organizer: c.organizer,
            term: TermRef::All,
            sort: SortKey::new(SortKey::oldest_first(c.at), c.id.as_uuid().as_u128()),
            key: RecordKey::Command(CommandKey::new(c.organizer, c.id)),
        }),
        _ => {}
    }
}

/// The index changes of a [`Batch`](crate::store::Batch): entries to remove, then entries to
/// add, each at most once. A store applies both in the same atomic commit as the writes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IndexChanges {
    /// Entries of records as they were read, that their new state no longer has.
    pub removed: Vec<IndexEntry>,
    /// Entries of records as written, that their stored state did not have.
    pub added: Vec<IndexEntry>,
}

impl IndexChanges {
    /// No changes.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            removed: Vec::new(),
            added: Vec::new(),
        }
    }

    /// Whether there is nothing to change.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty()
    }

    /// Adds the changes from `old` (the record as stored, `None` when new) to `new`.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::index::{Index, IndexChanges};
    /// use secure_ticket::store::Record;
    /// use secure_ticket::{OrganizerId, Performance, PerformanceId};
    /// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
    ///
    /// let ticket = Ticket::new(OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(2),
    ///     Distribution::new(PointOfSaleId::from_u128(3), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(4))));
    /// let placed = ticket.clone().with_performance(PerformanceId::from_u128(5));
    /// let mut changes = IndexChanges::new();
    /// changes.diff(Some(&Record::Ticket(ticket)), &Record::Ticket(placed));
    /// assert!(changes.removed.is_empty());
    /// assert_eq!(changes.added[0].index, Index::TicketsByPerformance);
    /// ```
    pub fn diff(&mut self, old: Option<&Record>, new: &Record) {
        let mut before: [Option<EntryRef<'_>>; MAX_ENTRIES] = [None; MAX_ENTRIES];
        let mut n = 0usize;
        let mut overflow = false;
        if let Some(old) = old {
            for_each_entry(old, |e| match before.get_mut(n) {
                Some(place) => {
                    *place = Some(e);
                    n = n.saturating_add(1);
                }
                None => overflow = true,
            });
            if overflow {
                // More entries than the array holds: remove them all and add the new ones all
                // (correct, only not minimal; stores apply removals first).
                for_each_entry(old, |e| self.removed.push(e.to_owned()));
                for_each_entry(new, |e| self.added.push(e.to_owned()));
                return;
            }
        }
        let mut kept = [false; MAX_ENTRIES];
        // A record's entries come in the same index order before and after, so the entry at the
        // same place is tried first: a record whose entries did not change costs one comparison
        // per entry.
        let mut place = 0_usize;
        for_each_entry(new, |e| {
            let found = if before.get(place).is_some_and(|b| *b == Some(e)) {
                Some(place)
            } else {
                before.iter().position(|b| *b == Some(e))
            };
            place = place.saturating_add(1);
            match found {
                Some(i) => {
                    if let Some(k) = kept.get_mut(i) {
                        *k = true;
                    }
                }
                None => self.added.push(e.to_owned()),
            }
        });
        for (entry, kept) in before.iter().zip(kept) {
            if let (Some(entry), false) = (entry, kept) {
                self.removed.push(EntryRef::to_owned(*entry));
            }
        }
    }
}

/// The most entries a record has, which [`IndexChanges::diff`] compares without allocating: a
/// ticket's owner, right, point of sale, performance and valid right; a pending group's sender,
/// recipient, deadline and sign-in. A record with more falls back to removing and adding all.
const MAX_ENTRIES: usize = 5;

/// Whether an entry's term is `term`.
pub(crate) fn entry_term_matches(entry: &EntryRef<'_>, term: &Term) -> bool {
    match (entry.term, term) {
        (TermRef::All, Term::All) => true,
        (TermRef::Email(a), Term::Email(b)) => a == b,
        (TermRef::Id(a), Term::Id(b)) => a == *b,
        _ => false,
    }
}
