//! What the shell asks a store to read: keys, and what a store may add to them in the same read.

use crate::id_hash::IdSet;
use crate::record_key::RecordKey;
use crate::store::{Record, StoreError, Versioned};

/// What the shell asks a store to read in one round: the records under [`keys`](Self::keys), and,
/// when the plan says so, the records those lead to: the tickets of every transfer group found
/// ([`group_tickets`](Self::group_tickets)) and the usage rule of every ticket found
/// ([`usage_rules`](Self::usage_rules)).
///
/// A store that follows the plan in one consistent read ([`ReadPlan::read_with`] does it over any
/// batched load) answers a command in one round. A store that reads only the keys (the default
/// [`Store::read`](crate::store::Store::read)) is still correct: the shell asks again for what is
/// missing, and checks that the rounds agree with each other.
///
/// # Examples
///
/// ```
/// use secure_ticket::store::{MemoryStore, ReadPlan, Record, RecordKey, Store};
/// use secure_ticket::{UsageRule, UsageRuleId};
///
/// let store = MemoryStore::new();
/// let rule = UsageRule::new(UsageRuleId::from_u128(1));
/// store.commit(secure_ticket::store::Batch::new().with(Record::UsageRule(rule), Default::default()))?;
/// let plan = ReadPlan::new(vec![RecordKey::UsageRule(rule.id)]);
/// assert_eq!(store.read(&plan)?.len(), 1);
/// # Ok::<(), secure_ticket::store::StoreError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadPlan {
    keys: Vec<RecordKey>,
    group_tickets: bool,
    usage_rules: bool,
}

impl ReadPlan {
    /// A plan that reads `keys` (each once: the shell never repeats a key) and nothing more.
    #[must_use]
    pub const fn new(keys: Vec<RecordKey>) -> Self {
        Self {
            keys,
            group_tickets: false,
            usage_rules: false,
        }
    }

    /// Also reads the tickets of every transfer group found.
    #[must_use]
    pub const fn with_group_tickets(mut self) -> Self {
        self.group_tickets = true;
        self
    }

    /// Also reads the usage rule of every ticket found (those found through a group too).
    #[must_use]
    pub const fn with_usage_rules(mut self) -> Self {
        self.usage_rules = true;
        self
    }

    /// The keys to read.
    #[must_use]
    pub fn keys(&self) -> &[RecordKey] {
        &self.keys
    }

    /// Whether the plan asks for the tickets of the groups found.
    #[must_use]
    pub const fn group_tickets(&self) -> bool {
        self.group_tickets
    }

    /// Whether the plan asks for the usage rules of the tickets found.
    #[must_use]
    pub const fn usage_rules(&self) -> bool {
        self.usage_rules
    }

    /// Follows the plan with `load` (a batched load by keys, as
    /// [`Store::load`](crate::store::Store::load)): the keys first, then the tickets of the groups found, then
    /// the usage rules of the tickets found, each key at most once; at most three calls of `load`.
    ///
    /// Call it inside one read transaction (or under one lock) so that the records agree with each
    /// other: that is what makes the shell's read one round.
    ///
    /// # Errors
    ///
    /// The first error of `load`.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::store::{ReadPlan, RecordKey, StoreError, Versioned, Record};
    ///
    /// let plan = ReadPlan::new(vec![]).with_group_tickets();
    /// let mut calls = 0;
    /// let found = plan.read_with(|_keys: &[RecordKey]| -> Result<Vec<Versioned<Record>>, StoreError> {
    ///     calls += 1;
    ///     Ok(Vec::new())
    /// })?;
    /// assert_eq!((found.len(), calls), (0, 1));
    /// # Ok::<(), StoreError>(())
    /// ```
    pub fn read_with<F>(&self, mut load: F) -> Result<Vec<Versioned<Record>>, StoreError>
    where
        F: FnMut(&[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError>,
    {
        let mut found = load(&self.keys)?;
        if !self.group_tickets && !self.usage_rules {
            return Ok(found);
        }
        // Every key asked or found so far: each lead is read once.
        let mut known: IdSet<RecordKey> = self
            .keys
            .iter()
            .copied()
            .chain(found.iter().map(|r| r.value.key()))
            .collect();
        // The groups' tickets first, then the rules of every ticket found, those included.
        for (group_tickets, usage_rules) in [(self.group_tickets, false), (false, self.usage_rules)]
        {
            if !group_tickets && !usage_rules {
                continue;
            }
            let mut next = Vec::new();
            for record in &found {
                leads_of(&record.value, group_tickets, usage_rules, &mut next);
            }
            next.retain(|key| known.insert(*key));
            if !next.is_empty() {
                found.extend(load(&next)?);
            }
        }
        Ok(found)
    }
}

/// Appends the keys `record` leads to: a group's tickets (`group_tickets`), a ticket's usage rule
/// (`usage_rules`). One definition for every store and for the shell.
pub(crate) fn leads_of(
    record: &Record,
    group_tickets: bool,
    usage_rules: bool,
    out: &mut Vec<RecordKey>,
) {
    match record {
        Record::TransferGroup(group) if group_tickets => {
            out.extend(group.tickets.iter().map(|&t| RecordKey::Ticket(t)));
        }
        Record::Ticket(ticket) if usage_rules => {
            if let Some(wallet) = &ticket.wallet {
                out.push(RecordKey::UsageRule(wallet.usage_rule));
            }
        }
        _ => {}
    }
}
