//! What the shell asks a store to read: keys, index lookups, and what a store may add to them in
//! the same read.

use crate::command::RecordedOutcome;
use crate::feed::{FeedEntry, FeedQuery};
use crate::id_hash::IdSet;
use crate::index::{Hit, Lookup};
use crate::record_key::{CommandKey, RecordKey};
use crate::store::{Record, StoreError, Versioned};

/// What the shell asks a store to read in one round: the records under [`keys`](Self::keys),
/// the entries of its [`lookups`](Self::lookups) and their records, and, when the plan says so,
/// the records those lead to: the tickets of every transfer group found
/// ([`group_tickets`](Self::group_tickets)), the pending group of every ticket found
/// ([`pending_groups`](Self::pending_groups)), the usage rule and performance of every ticket
/// found ([`usage_rules`](Self::usage_rules), [`performances`](Self::performances)), and the feed
/// entry of every accepted command record found ([`replays`](Self::replays)).
///
/// [`ReadPlan::read_with`] follows a plan over any batched load, query and feed read; a store
/// that runs it inside one read transaction answers a command, or a query, in one consistent
/// read. One that reads only the keys and the lookups' records (the default
/// [`Store::read`](crate::store::Store::read)) is still correct: the shell asks again for what the
/// records lead to, and checks that the rounds agree with each other.
///
/// # Examples
///
/// ```
/// use secure_ticket::store::{Batch, MemoryStore, ReadPlan, Record, RecordKey, Store, Version};
/// use secure_ticket::{OrganizerId, UsageRule, UsageRuleId};
///
/// let store = MemoryStore::new();
/// let rule = UsageRule::new(OrganizerId::from_u128(1), UsageRuleId::from_u128(1));
/// store.commit(Batch::new().with(Record::UsageRule(rule), Version::NEW))?;
/// let plan = ReadPlan::new(vec![RecordKey::UsageRule(rule.id)]);
/// assert_eq!(store.read(&plan)?.records.len(), 1);
/// # Ok::<(), secure_ticket::store::StoreError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadPlan {
    keys: Vec<RecordKey>,
    lookups: Vec<Lookup>,
    group_tickets: bool,
    pending_groups: bool,
    usage_rules: bool,
    performances: bool,
    points_of_sale: bool,
    replays: bool,
}

/// What a store read for a [`ReadPlan`]: records, the hits of each lookup, feed entries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Read {
    /// Every record found, each once, in any order.
    pub records: Vec<Versioned<Record>>,
    /// The hits of each lookup, in the plan's order, each in ascending sort order.
    pub hits: Vec<Vec<Hit>>,
    /// The feed entries of the accepted command records found ([`ReadPlan::replays`]).
    pub feed: Vec<FeedEntry>,
}

impl Read {
    /// A read of records only.
    #[must_use]
    pub const fn records(records: Vec<Versioned<Record>>) -> Self {
        Self {
            records,
            hits: Vec::new(),
            feed: Vec::new(),
        }
    }
}

impl ReadPlan {
    /// A plan that reads `keys` (each once: the shell never repeats a key) and nothing more.
    #[must_use]
    pub const fn new(keys: Vec<RecordKey>) -> Self {
        Self {
            keys,
            lookups: Vec::new(),
            group_tickets: false,
            pending_groups: false,
            usage_rules: false,
            performances: false,
            points_of_sale: false,
            replays: false,
        }
    }

    /// Also looks up `lookup` and reads the records it finds.
    #[must_use]
    pub fn with_lookup(mut self, lookup: Lookup) -> Self {
        self.lookups.push(lookup);
        self
    }

    /// Also reads the tickets of every transfer group found.
    #[must_use]
    pub const fn with_group_tickets(mut self) -> Self {
        self.group_tickets = true;
        self
    }

    /// Also reads the pending group of every ticket found.
    #[must_use]
    pub const fn with_pending_groups(mut self) -> Self {
        self.pending_groups = true;
        self
    }

    /// Also reads the usage rule of every ticket found.
    #[must_use]
    pub const fn with_usage_rules(mut self) -> Self {
        self.usage_rules = true;
        self
    }

    /// Also reads the performance of every ticket found.
    #[must_use]
    pub const fn with_performances(mut self) -> Self {
        self.performances = true;
        self
    }

    /// Also reads the point of sale of every ticket found.
    #[must_use]
    pub const fn with_points_of_sale(mut self) -> Self {
        self.points_of_sale = true;
        self
    }

    /// Whether to read the points of sale of the tickets found.
    #[must_use]
    pub const fn points_of_sale(&self) -> bool {
        self.points_of_sale
    }

    /// Also reads the feed entry of every accepted command record found that produced events (a
    /// retry's events).
    #[must_use]
    pub const fn with_replays(mut self) -> Self {
        self.replays = true;
        self
    }

    /// The keys to read.
    #[must_use]
    pub fn keys(&self) -> &[RecordKey] {
        &self.keys
    }

    /// The lookups to run.
    #[must_use]
    pub fn lookups(&self) -> &[Lookup] {
        &self.lookups
    }

    /// Whether to read the tickets of the groups found.
    #[must_use]
    pub const fn group_tickets(&self) -> bool {
        self.group_tickets
    }

    /// Whether to read the pending groups of the tickets found.
    #[must_use]
    pub const fn pending_groups(&self) -> bool {
        self.pending_groups
    }

    /// Whether to read the usage rules of the tickets found.
    #[must_use]
    pub const fn usage_rules(&self) -> bool {
        self.usage_rules
    }

    /// Whether to read the performances of the tickets found.
    #[must_use]
    pub const fn performances(&self) -> bool {
        self.performances
    }

    /// Whether to read the feed entries of the accepted command records found.
    #[must_use]
    pub const fn replays(&self) -> bool {
        self.replays
    }

    /// Reads the plan with `load` (a batched load of keys), `query` (one lookup) and `feed` (a
    /// feed read): the keys and the lookups' records, then the groups' tickets and the tickets'
    /// pending groups, then the rules and performances of every ticket found, then the feed
    /// entries of the accepted commands found. Run it inside one read transaction and the
    /// result is one snapshot; the steps cost one call each, and none when there is nothing to
    /// follow.
    ///
    /// # Errors
    ///
    /// The first error of `load`, `query` or `feed`.
    ///
    /// # Examples
    ///
    /// A store whose reads are consistent within a transaction (SQLite, PostgreSQL) runs it
    /// inside one:
    ///
    /// ```
    /// use secure_ticket::feed::FeedQuery;
    /// use secure_ticket::index::Lookup;
    /// use secure_ticket::store::{MemoryStore, Read, ReadPlan, Store, StoreError};
    ///
    /// fn read_in_one_transaction(store: &MemoryStore, plan: &ReadPlan) -> Result<Read, StoreError> {
    ///     // let tx = connection.transaction()?;  // BEGIN (a read snapshot)
    ///     plan.read_with(
    ///         |keys| store.load(keys),
    ///         |lookup: &Lookup| store.query(lookup),
    ///         |query: &FeedQuery| store.feed(query),
    ///     )
    ///     // tx.commit()
    /// }
    /// # read_in_one_transaction(&MemoryStore::new(), &ReadPlan::new(Vec::new()))?;
    /// # Ok::<(), StoreError>(())
    /// ```
    pub fn read_with<L, Q, F>(&self, mut load: L, query: Q, feed: F) -> Result<Read, StoreError>
    where
        L: FnMut(&[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError>,
        Q: FnMut(&Lookup) -> Result<Vec<Hit>, StoreError>,
        F: FnMut(&FeedQuery) -> Result<Vec<FeedEntry>, StoreError>,
    {
        let mut read = self.read_keys_with(&mut load, query, feed)?;
        self.follow(&mut read, load)?;
        Ok(read)
    }

    /// Reads with `load` what the records of `read` lead to and it does not hold yet: the
    /// groups' tickets and the tickets' pending groups, then the rules and performances of every
    /// ticket found; at most two loads, none when there is nothing to follow.
    ///
    /// # Errors
    ///
    /// The first error of `load`.
    pub fn follow<L>(&self, read: &mut Read, mut load: L) -> Result<(), StoreError>
    where
        L: FnMut(&[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError>,
    {
        // A lead to a record that is absent is asked once.
        let mut asked: IdSet<RecordKey> = IdSet::default();
        for _ in 0..2 {
            let mut next = self.missing(read);
            next.retain(|key| asked.insert(*key));
            if next.is_empty() {
                break;
            }
            read.records.extend(load(&next)?);
        }
        Ok(())
    }

    /// Reads the keys and the lookups' records only, in one `load` (what a store that does not
    /// follow leads answers: [`Store::read`](crate::store::Store::read)'s default), with the feed
    /// entries of the accepted command records found.
    ///
    /// # Errors
    ///
    /// The first error of `load`, `query` or `feed`.
    pub fn read_keys_with<L, Q, F>(
        &self,
        mut load: L,
        mut query: Q,
        mut feed: F,
    ) -> Result<Read, StoreError>
    where
        L: FnMut(&[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError>,
        Q: FnMut(&Lookup) -> Result<Vec<Hit>, StoreError>,
        F: FnMut(&FeedQuery) -> Result<Vec<FeedEntry>, StoreError>,
    {
        let mut hits = Vec::with_capacity(self.lookups.len());
        let mut keys = self.keys.clone();
        for lookup in &self.lookups {
            let found = query(lookup)?;
            keys.extend(found.iter().map(|hit| hit.key));
            hits.push(found);
        }
        let mut known: IdSet<RecordKey> = IdSet::default();
        keys.retain(|key| known.insert(*key));
        let records = if keys.is_empty() {
            Vec::new()
        } else {
            load(&keys)?
        };
        let feed = match self.replayed(&records) {
            Some(query) => feed(&query)?,
            None => Vec::new(),
        };
        Ok(Read {
            records,
            hits,
            feed,
        })
    }

    /// The keys the records of `read` lead to, as the plan follows them, that `read` does not
    /// hold: what to read next when the store did not follow the plan.
    #[must_use]
    pub fn missing(&self, read: &Read) -> Vec<RecordKey> {
        let known: IdSet<RecordKey> = read.records.iter().map(|r| r.value.key()).collect();
        let mut out = Vec::new();
        for pass in [Pass::Groups, Pass::Tickets] {
            for record in &read.records {
                self.leads(&record.value, pass, &mut out);
            }
        }
        let mut asked: IdSet<RecordKey> = IdSet::default();
        out.retain(|key| !known.contains(key) && asked.insert(*key));
        out
    }

    /// The keys `record` leads to in `pass`, when the plan follows them.
    pub(crate) fn leads(&self, record: &Record, pass: Pass, out: &mut Vec<RecordKey>) {
        Lead::each(record, |lead, key| {
            if lead.pass() == pass && self.follows(lead) {
                out.push(key);
            }
        });
    }

    /// Whether the plan follows `lead` from the records it finds.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::store::{Lead, ReadPlan};
    ///
    /// let plan = ReadPlan::new(Vec::new()).with_group_tickets();
    /// assert!(plan.follows(Lead::GroupTicket));
    /// assert!(!plan.follows(Lead::UsageRule));
    /// ```
    #[must_use]
    pub const fn follows(&self, lead: Lead) -> bool {
        match lead {
            Lead::GroupTicket => self.group_tickets,
            Lead::PendingGroup => self.pending_groups,
            Lead::UsageRule => self.usage_rules,
            Lead::Performance => self.performances,
            Lead::PointOfSale => self.points_of_sale,
        }
    }

    /// The feed read of the accepted command records among `records`, if the plan asks for it
    /// and there are any: what a store that reads a plan step by step (an async one, which
    /// cannot use [`read_with`](Self::read_with)'s closures) asks the feed after loading.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::store::ReadPlan;
    ///
    /// // A plan that reads no command records asks nothing of the feed.
    /// assert_eq!(ReadPlan::new(Vec::new()).replayed(&[]), None);
    /// ```
    #[must_use]
    pub fn replayed(&self, records: &[Versioned<Record>]) -> Option<FeedQuery> {
        if !self.replays {
            return None;
        }
        let commands: Vec<CommandKey> = records
            .iter()
            .filter_map(|record| match &record.value {
                Record::Command(c)
                    if matches!(c.outcome, RecordedOutcome::Accepted { events } if events > 0) =>
                {
                    Some(CommandKey::new(c.organizer, c.id))
                }
                _ => None,
            })
            .collect();
        (!commands.is_empty()).then_some(FeedQuery::Of { commands })
    }
}

/// One way a record leads to another, which a [`ReadPlan`] may follow ([`ReadPlan::follows`]).
///
/// A store that follows plans inside its database, in the same statement as the plan's keys,
/// can keep beside each record what [`Lead::each`] visits when it writes the record, and read
/// the records those lead to, two steps deep, as [`ReadPlan::follow`] does: a command's whole
/// read is then one round trip. What such a store misses, the shell reads again (it checks that
/// every lead it needs was read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Lead {
    /// A transfer group to each of its tickets ([`ReadPlan::with_group_tickets`]).
    GroupTicket,
    /// A ticket to its pending transfer group ([`ReadPlan::with_pending_groups`]).
    PendingGroup,
    /// A ticket in a wallet to its usage rule ([`ReadPlan::with_usage_rules`]).
    UsageRule,
    /// A ticket to its performance ([`ReadPlan::with_performances`]).
    Performance,
    /// A ticket to its point of sale ([`ReadPlan::with_points_of_sale`]).
    PointOfSale,
}

impl Lead {
    /// Every lead, in the order [`each`](Self::each) visits them.
    pub const ALL: [Self; 5] = [
        Self::GroupTicket,
        Self::PendingGroup,
        Self::UsageRule,
        Self::Performance,
        Self::PointOfSale,
    ];

    /// Visits every key `record` leads to, with its lead, whatever a plan follows: a group's
    /// tickets; a ticket's pending group, usage rule, performance and point of sale (those it
    /// has). Other records lead nowhere.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::store::{Lead, Record, RecordKey};
    /// use secure_ticket::{
    ///     Distribution, OrganizerId, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId,
    ///     Ticket, TicketId,
    /// };
    ///
    /// let pos = PointOfSaleId::from_u128(5);
    /// let ticket = Ticket::new(
    ///     OrganizerId::from_u128(1),
    ///     TicketId::from_u128(10),
    ///     RightId::from_u128(20),
    ///     Distribution::new(pos, ShipmentMode::secure_mobile(ShipmentModeId::from_u128(6))),
    /// );
    /// let mut leads = Vec::new();
    /// Lead::each(&Record::Ticket(ticket), |lead, key| leads.push((lead, key)));
    /// // Not injected yet: no usage rule; no performance given.
    /// assert_eq!(leads, [(Lead::PointOfSale, RecordKey::PointOfSale(pos))]);
    /// ```
    pub fn each(record: &Record, mut visit: impl FnMut(Self, RecordKey)) {
        match record {
            Record::TransferGroup(group) => {
                for &ticket in group.tickets.iter() {
                    visit(Self::GroupTicket, RecordKey::Ticket(ticket));
                }
            }
            Record::Ticket(ticket) => {
                if let Some(wallet) = &ticket.wallet {
                    if let Some(group) = wallet.pending_group {
                        visit(Self::PendingGroup, RecordKey::TransferGroup(group));
                    }
                    visit(Self::UsageRule, RecordKey::UsageRule(wallet.usage_rule));
                }
                if let Some(performance) = ticket.performance {
                    visit(Self::Performance, RecordKey::Performance(performance));
                }
                visit(
                    Self::PointOfSale,
                    RecordKey::PointOfSale(ticket.distribution.point_of_sale),
                );
            }
            _ => {}
        }
    }

    /// The key of the record with `id` that this lead reaches: a ticket, a transfer group, a
    /// usage rule, a performance or a point of sale.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::TicketId;
    /// use secure_ticket::store::{Lead, RecordKey};
    ///
    /// let id = uuid::Uuid::from_u128(10);
    /// assert_eq!(Lead::GroupTicket.key(id), RecordKey::Ticket(TicketId::from(id)));
    /// ```
    #[must_use]
    pub fn key(self, id: uuid::Uuid) -> RecordKey {
        match self {
            Self::GroupTicket => RecordKey::Ticket(id.into()),
            Self::PendingGroup => RecordKey::TransferGroup(id.into()),
            Self::UsageRule => RecordKey::UsageRule(id.into()),
            Self::Performance => RecordKey::Performance(id.into()),
            Self::PointOfSale => RecordKey::PointOfSale(id.into()),
        }
    }

    /// The step of [`ReadPlan::missing`] that follows this lead.
    const fn pass(self) -> Pass {
        match self {
            Self::GroupTicket | Self::PendingGroup => Pass::Groups,
            Self::UsageRule | Self::Performance | Self::PointOfSale => Pass::Tickets,
        }
    }
}

/// The steps of following a plan's leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    /// Groups to their tickets, tickets to their pending groups.
    Groups,
    /// Tickets to their rules and performances.
    Tickets,
}
