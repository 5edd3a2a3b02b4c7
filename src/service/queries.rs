//! The read side (SPEC Q2, Q3, Q6, Q7): each query as a pure plan (one [`ReadPlan`], checked
//! before anything is read) and a pure answer built from what the store read. The drivers only
//! carry the plan to the store.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::command::Refusal;
use crate::email::Email;
use crate::error::Error;
use crate::id::{CommandId, OrganizerId, PerformanceId, PointOfSaleId, RightId, TicketId};
use crate::id_hash::IdMap;
use crate::index::entry_term_matches;
use crate::index::{
    Cursor, EntryRef, Hit, Index, Lookup, MAX_LIMIT, PageRequest, SortKey, Term, for_each_entry,
};
use crate::organizer::OrganizerSettings;
use crate::performance::Performance;
use crate::point_of_sale::PointOfSale;
use crate::record_key::RecordKey;
use crate::store::{Read, ReadPlan, Record};
use crate::take_back::{self, TakeBackTicket};
use crate::ticket::Ticket;
use crate::transfer_group::TransferGroup;

/// One page of a list, with the cursor of the next page (`None`: this was the last).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The entries, in the list's order.
    pub items: Vec<T>,
    /// Where the next page starts, when there may be one.
    pub next: Option<Cursor>,
}

/// What [`Service::wallet`](crate::service::Service::wallet) answers: an email's wallet (Q2),
/// read in one consistent read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wallet {
    /// The tickets the email owns (injected, not DELETED), grouped by performance.
    pub tickets: Page<PerformanceTickets>,
    /// The PENDING groups it sent, newest first.
    pub outgoing: Page<TransferGroup>,
    /// The PENDING groups addressed to it, newest first.
    pub incoming: Page<TransferGroup>,
}

/// The tickets of one performance in a wallet, ordered by ticket id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerformanceTickets {
    /// The performance (`None` for tickets without one, or whose record is missing).
    pub performance: Option<Performance>,
    /// The id the tickets name (`None` for tickets without a performance).
    pub performance_id: Option<PerformanceId>,
    /// The tickets, each with its pending group.
    pub tickets: Vec<WalletTicket>,
}

/// A ticket in a wallet, with the PENDING group it is in, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletTicket {
    /// The ticket.
    pub ticket: Ticket,
    /// Its pending group.
    pub pending: Option<TransferGroup>,
}

/// Which pages of a wallet to read (Q2, Q7).
///
/// # Examples
///
/// ```
/// use secure_ticket::service::WalletRequest;
/// use secure_ticket::Email;
///
/// let request = WalletRequest::first(Email::parse("alice@example.com")?, 50);
/// assert_eq!(request.tickets.limit, 50);
/// # Ok::<(), secure_ticket::EmailError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletRequest {
    /// Whose wallet.
    pub email: Email,
    /// The page of tickets.
    pub tickets: PageRequest,
    /// The page of outgoing groups.
    pub outgoing: PageRequest,
    /// The page of incoming groups.
    pub incoming: PageRequest,
}

impl WalletRequest {
    /// The first page of each list, `limit` entries at most.
    #[must_use]
    pub const fn first(email: Email, limit: u32) -> Self {
        Self {
            email,
            tickets: PageRequest::first(limit),
            outgoing: PageRequest::first(limit),
            incoming: PageRequest::first(limit),
        }
    }
}

/// Which closed groups of an email [`Service::history`](crate::service::Service::history) lists (Q3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum HistoryFilter {
    /// Groups it sent.
    Sent,
    /// Groups addressed to it.
    Received,
    /// Both, merged newest first.
    Both,
}

/// A ticket as S360's lists show it (Q6): whether a take back is possible now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketStanding {
    /// The ticket.
    pub ticket: Ticket,
    /// `Ok` when a take back by the ticket's B2B contact through its point of sale would be
    /// accepted now; else the first rule that refuses it (S360's "Take Back Possible" column): a
    /// ticket with no B2B contact shows
    /// [`NoB2bContact`](crate::take_back::TakeBackError::NoB2bContact) (B13).
    pub take_back: Result<(), Refusal>,
}

/// A list of tickets S360 asks for (Q6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TicketList {
    Right(RightId),
    PointOfSale(PointOfSaleId),
}

/// Checks a page request: its limit, and its cursor against the list it continues.
fn page(
    request: &PageRequest,
    index: Index,
    organizer: OrganizerId,
    term: &Term,
) -> Result<Lookup, Error> {
    if !(1..=MAX_LIMIT).contains(&request.limit) {
        return Err(Error::InvalidLimit {
            limit: request.limit,
        });
    }
    let mut lookup = Lookup::new(
        index,
        organizer,
        term.clone(),
        request.limit.saturating_add(1),
    );
    if let Some(cursor) = &request.after {
        lookup.after = Some(cursor.resume(index, organizer, term)?);
    }
    Ok(lookup)
}

/// The records of a read, by key.
struct Found<'r> {
    records: IdMap<RecordKey, &'r Record>,
    organizer: OrganizerId,
}

impl<'r> Found<'r> {
    fn new(read: &'r Read, organizer: OrganizerId) -> Self {
        Self {
            records: read
                .records
                .iter()
                .map(|r| (r.value.key(), &r.value))
                .collect(),
            organizer,
        }
    }

    fn get(&self, key: RecordKey) -> Option<&'r Record> {
        self.records
            .get(&key)
            .copied()
            .filter(|r| r.organizer() == self.organizer)
    }

    /// The records of `hits` that still have the entry the hit came from (a store that does
    /// not read in one snapshot may return entries that changed since: they are left out), and
    /// the cursor after the last one kept when the page is full.
    fn page<T>(
        &self,
        lookup: &Lookup,
        hits: &[Hit],
        limit: u32,
        mut take: impl FnMut(&'r Record) -> Option<T>,
    ) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut items = Vec::with_capacity(hits.len().min(limit));
        let mut last = None;
        let mut more = false;
        for hit in hits {
            if items.len() == limit {
                more = true;
                break;
            }
            let Some(record) = self.get(hit.key) else {
                continue;
            };
            if !has_entry(record, lookup, hit.sort) {
                continue;
            }
            if let Some(item) = take(record) {
                items.push(item);
                last = Some(hit.sort);
            }
        }
        let next = match (more, last) {
            (true, Some(sort)) => Some(Cursor::new(
                lookup.index,
                lookup.organizer,
                &lookup.term,
                sort,
            )),
            _ => None,
        };
        Page { items, next }
    }
}

/// Whether `record` has the entry `(lookup's index and term, sort)`.
fn has_entry(record: &Record, lookup: &Lookup, sort: SortKey) -> bool {
    let mut found = false;
    for_each_entry(record, |entry: EntryRef<'_>| {
        found |= entry.index == lookup.index
            && entry.sort == sort
            && entry_term_matches(&entry, &lookup.term);
    });
    found
}

/// Q2: the plan of a wallet query, checked.
pub(crate) fn wallet_plan(
    organizer: OrganizerId,
    request: &WalletRequest,
) -> Result<(ReadPlan, [Lookup; 3]), Error> {
    let term = Term::Email(request.email.clone());
    let lookups = [
        page(&request.tickets, Index::TicketsByOwner, organizer, &term)?,
        page(&request.outgoing, Index::PendingBySender, organizer, &term)?,
        page(
            &request.incoming,
            Index::PendingByRecipient,
            organizer,
            &term,
        )?,
    ];
    let mut plan = ReadPlan::new(Vec::new())
        .with_pending_groups()
        .with_performances();
    for lookup in &lookups {
        plan = plan.with_lookup(lookup.clone());
    }
    Ok((plan, lookups))
}

/// Q2: the wallet from what the plan read.
pub(crate) fn wallet_answer(
    organizer: OrganizerId,
    request: &WalletRequest,
    lookups: &[Lookup; 3],
    read: &Read,
) -> Wallet {
    let found = Found::new(read, organizer);
    let [tickets_lookup, outgoing_lookup, incoming_lookup] = lookups;
    let hits = |i: usize| read.hits.get(i).map_or(&[][..], Vec::as_slice);
    let owned = found.page(
        tickets_lookup,
        hits(0),
        request.tickets.limit,
        |r| match r {
            Record::Ticket(t) => Some(t),
            _ => None,
        },
    );
    let mut groups: Vec<PerformanceTickets> = Vec::new();
    for ticket in owned.items {
        let pending = ticket
            .wallet
            .as_ref()
            .and_then(|w| w.pending_group)
            .and_then(|id| match found.get(RecordKey::TransferGroup(id)) {
                Some(Record::TransferGroup(g)) if g.is_pending() => Some(g.clone()),
                _ => None,
            });
        let item = WalletTicket {
            ticket: ticket.clone(),
            pending,
        };
        match groups.last_mut() {
            Some(last) if last.performance_id == ticket.performance => last.tickets.push(item),
            _ => groups.push(PerformanceTickets {
                performance: ticket.performance.and_then(|id| {
                    match found.get(RecordKey::Performance(id)) {
                        Some(Record::Performance(p)) => Some(*p),
                        _ => None,
                    }
                }),
                performance_id: ticket.performance,
                tickets: vec![item],
            }),
        }
    }
    let group = |r: &Record| match r {
        Record::TransferGroup(g) => Some(g.clone()),
        _ => None,
    };
    Wallet {
        tickets: Page {
            items: groups,
            next: owned.next,
        },
        outgoing: found.page(outgoing_lookup, hits(1), request.outgoing.limit, group),
        incoming: found.page(incoming_lookup, hits(2), request.incoming.limit, group),
    }
}

/// Q3: the plan of a history query, checked.
pub(crate) fn history_plan(
    organizer: OrganizerId,
    email: &Email,
    filter: HistoryFilter,
    request: &PageRequest,
) -> Result<(ReadPlan, Vec<Lookup>), Error> {
    let term = Term::Email(email.clone());
    let indexes: &[Index] = match filter {
        HistoryFilter::Sent => &[Index::ClosedBySender],
        HistoryFilter::Received => &[Index::ClosedByRecipient],
        HistoryFilter::Both => &[Index::ClosedBySender, Index::ClosedByRecipient],
    };
    // Both lists share one cursor (their sort keys are alike): it is bound to the first.
    let first = indexes.first().copied().unwrap_or(Index::ClosedBySender);
    let mut lookups = Vec::with_capacity(indexes.len());
    let checked = page(request, first, organizer, &term)?;
    for &index in indexes {
        let mut lookup = checked.clone();
        lookup.index = index;
        lookups.push(lookup);
    }
    let mut plan = ReadPlan::new(Vec::new());
    for lookup in &lookups {
        plan = plan.with_lookup(lookup.clone());
    }
    Ok((plan, lookups))
}

/// Q3: the closed groups, newest first, from what the plan read.
pub(crate) fn history_answer(
    organizer: OrganizerId,
    request: &PageRequest,
    lookups: &[Lookup],
    read: &Read,
) -> Page<TransferGroup> {
    let found = Found::new(read, organizer);
    // Merge the lists by sort key (newest first for both), keeping each hit's own lookup.
    let mut merged: Vec<(Hit, &Lookup)> = lookups
        .iter()
        .zip(&read.hits)
        .flat_map(|(lookup, hits)| hits.iter().map(move |hit| (*hit, lookup)))
        .collect();
    merged.sort_unstable_by_key(|(hit, _)| (hit.sort, hit.key));
    let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
    let mut items = Vec::new();
    let mut last = None;
    let mut more = false;
    for (hit, lookup) in merged {
        if items.len() == limit {
            more = true;
            break;
        }
        if let Some(record @ Record::TransferGroup(g)) = found.get(hit.key)
            && has_entry(record, lookup, hit.sort)
        {
            items.push(g.clone());
            last = Some(hit.sort);
        }
    }
    let next = match (more, last, lookups.first()) {
        (true, Some(sort), Some(first)) => {
            Some(Cursor::new(first.index, first.organizer, &first.term, sort))
        }
        _ => None,
    };
    Page { items, next }
}

/// Q6: the plan of a list of tickets, checked.
pub(crate) fn tickets_plan(
    organizer: OrganizerId,
    list: TicketList,
    request: &PageRequest,
) -> Result<(ReadPlan, Lookup), Error> {
    let (index, term) = match list {
        TicketList::Right(id) => (Index::TicketsByRight, Term::Id(id.as_uuid())),
        TicketList::PointOfSale(id) => (Index::TicketsByPointOfSale, Term::Id(id.as_uuid())),
    };
    let lookup = page(request, index, organizer, &term)?;
    let plan = ReadPlan::new(vec![RecordKey::Settings(organizer)])
        .with_lookup(lookup.clone())
        .with_points_of_sale();
    Ok((plan, lookup))
}

/// Q6: each ticket with whether a take back is possible at `at`.
pub(crate) fn tickets_answer(
    organizer: OrganizerId,
    request: &PageRequest,
    lookup: &Lookup,
    at: OffsetDateTime,
    read: &Read,
) -> Page<TicketStanding> {
    let found = Found::new(read, organizer);
    let settings = match found.get(RecordKey::Settings(organizer)) {
        Some(Record::Settings(s)) => Some(s),
        _ => None,
    };
    let hits = read.hits.first().map_or(&[][..], Vec::as_slice);
    found.page(lookup, hits, request.limit, |record| {
        let Record::Ticket(ticket) = record else {
            return None;
        };
        let pos_key = RecordKey::PointOfSale(ticket.distribution.point_of_sale);
        let pos = match found.get(pos_key) {
            Some(Record::PointOfSale(p)) => Some(p),
            _ => None,
        };
        Some(TicketStanding {
            ticket: ticket.clone(),
            take_back: take_back_possible(organizer, ticket, pos, settings, at),
        })
    })
}

/// Whether the pure take back would accept `ticket` at `at` from its B2B contact (the
/// replacement's id does not change the answer).
fn take_back_possible(
    organizer: OrganizerId,
    ticket: &Ticket,
    pos: Option<&PointOfSale>,
    settings: Option<&OrganizerSettings>,
    at: OffsetDateTime,
) -> Result<(), Refusal> {
    let pos = pos.ok_or(Refusal::NotFound {
        key: RecordKey::PointOfSale(ticket.distribution.point_of_sale),
    })?;
    let settings = settings.ok_or(Refusal::NotFound {
        key: RecordKey::Settings(organizer),
    })?;
    // B13: only the B2B contact may take the ticket back, so the answer is theirs. A ticket
    // without one is refused by take back itself (`NoB2bContact`, in its own order), whoever
    // stands in for the contact.
    let actor = ticket
        .distribution
        .b2b_contact
        .clone()
        .unwrap_or_else(|| Email::from_normalised("no-b2b-contact@invalid"));
    let command = TakeBackTicket {
        contact: crate::ContactKind::Individual,
        ticket: ticket.id,
        point_of_sale: pos.id,
        actor,
        new_ticket: TicketId::derived(organizer, CommandId::default()),
        at,
    };
    take_back::take_back(
        ticket,
        pos,
        &settings.interface,
        &settings.take_back,
        &command,
    )
    .map(|_| ())
    .map_err(|refusal| Refusal::Rule {
        refusal: refusal.into(),
    })
}
