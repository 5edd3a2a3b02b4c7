//! The shell without I/O: one batch of requests as a state machine that says what to read and what
//! to commit, and ends with one result per request (as quinn-proto's connections and openraft's
//! engine do). The drivers ([`Service`](crate::service::Service),
//! [`AsyncService`](crate::service::AsyncService)) only carry its steps to a store.

use std::fmt;

use crate::command::Request;
use crate::digest::Digest;
use crate::error::Error;
use crate::feed::Position;
use crate::id::OrganizerId;
use crate::record_key::{ReaderKey, RecordKey};
use crate::service::loaded::Loaded;
use crate::service::outcome::Outcome;
use crate::service::table::{self, Reads};
use crate::store::{Batch, Read, ReadPlan, Record, StoreError, Version, Versioned};
use crate::ticket::Ticket;
use crate::transfer_group::TransferGroup;

/// What a batch of requests ended with: one result per request, in order, or the error that
/// stopped the whole batch (nothing of it was written).
pub type Results = Result<Vec<Result<Outcome, Error>>, Error>;

/// The next thing a driver does for an [`Execution`].
///
/// The enum is exhaustive on purpose: a driver handles every step, and a new kind of step would
/// change every driver.
#[derive(Debug)]
#[must_use = "a step does nothing until a driver carries it out"]
pub enum Step<'r> {
    /// Read what `plan` asks for ([`Store::read`](crate::store::Store::read)), then hand the
    /// result to [`Reading::read`].
    Read {
        /// What to read.
        plan: ReadPlan,
        /// Where the result goes.
        then: Reading<'r>,
    },
    /// Commit `batch` ([`Store::commit`](crate::store::Store::commit)), then hand the result to
    /// [`Committing::committed`].
    Commit {
        /// What to write, all or nothing.
        batch: Batch,
        /// Where the result goes.
        then: Committing<'r>,
    },
    /// The batch is over.
    Done(Results),
}

/// A batch of requests in progress: read, decide with the pure core, commit with the versions
/// read; on a conflict (or records that changed between two reads) read and decide again, up to
/// the attempts allowed (SPEC X3, X4).
///
/// It does no I/O: [`start`](Self::start) gives the first [`Step`], and each result handed back
/// gives the next, until [`Step::Done`]. Every driver (sync, async, a test that commits between
/// two reads) therefore shares the same retry loop, attempt bound and conflict handling.
///
/// A store that follows the [`ReadPlan`] (a group's tickets, their usage rules) answers in one
/// read; one that reads only the keys gets up to three, checked against each other.
///
/// # Examples
///
/// A driver over a sync store: exactly what [`Service`](crate::service::Service) does.
///
/// ```
/// use secure_ticket::service::{Execution, Request, Results, Step};
/// use secure_ticket::store::{MemoryStore, Store};
///
/// fn run(store: &impl Store, requests: &[Request]) -> Results {
///     let mut step = Execution::start(requests, 8);
///     loop {
///         step = match step {
///             Step::Read { plan, then } => then.read(store.read(&plan)),
///             Step::Commit { batch, then } => then.committed(store.commit(batch)),
///             Step::Done(results) => return results,
///         };
///     }
/// }
/// assert_eq!(run(&MemoryStore::new(), &[])?.len(), 0);
/// # Ok::<(), secure_ticket::Error>(())
/// ```
pub struct Execution<'r> {
    requests: &'r [Request],
    /// What each request's caller sent ([`Request::digest`]), computed once.
    digests: Vec<Digest>,
    attempts: u32,
    attempt: u32,
    round: u8,
    /// The first read's plan without its keys: what later rounds follow too.
    shape: ReadPlan,
    /// A feed reader's cursor that moves in the same commit (F3).
    advance: Option<Advance>,
    loaded: Loaded,
    results: Vec<Result<Outcome, Error>>,
    /// Whether this attempt ran the lookups the first records called for (Keep One's wallet).
    followed_up: bool,
}

/// A reader's cursor move, committed with the effects.
#[derive(Debug, Clone, Copy)]
struct Advance {
    reader: ReaderKey,
    from: Position,
    to: Position,
}

/// Waiting for a read: hand its result to [`read`](Self::read).
#[derive(Debug)]
pub struct Reading<'r>(Execution<'r>);

/// Waiting for a commit: hand its result to [`committed`](Self::committed).
#[derive(Debug)]
pub struct Committing<'r>(Execution<'r>);

/// The most requests one batch may hold (X11): a larger batch is refused with
/// [`Error::BatchTooLarge`] before anything is read.
pub const MAX_BATCH: usize = 1000;

/// The checks of a whole batch, before anything is read: its size (X11), then each command's time
/// (X12).
fn check_batch(requests: &[Request]) -> Result<(), Error> {
    if requests.len() > MAX_BATCH {
        return Err(Error::BatchTooLarge {
            count: requests.len(),
            max: MAX_BATCH,
        });
    }
    requests
        .iter()
        .try_for_each(|request| in_range(request.command.at()).map(drop))
}

/// `at` if it is in [`time_range`](crate::time_range) (X12), else [`Error::TimeOutOfRange`].
pub(crate) fn in_range(at: time::OffsetDateTime) -> Result<time::OffsetDateTime, Error> {
    if crate::time_range::contains(at) {
        Ok(at)
    } else {
        Err(Error::TimeOutOfRange { at })
    }
}

/// How many read-decide-commit rounds the drivers allow by default.
pub(crate) const DEFAULT_ATTEMPTS: u32 = 8;

/// Reads per attempt at the most: the keys, the groups' tickets, the tickets' rules, and one more
/// for a store that returns records it was not asked for.
const MAX_ROUNDS: u8 = 4;

impl<'r> Execution<'r> {
    /// Starts running `requests` (at least one attempt, at most `attempts`).
    pub fn start(requests: &'r [Request], attempts: u32) -> Step<'r> {
        if let Err(refused) = check_batch(requests) {
            return Step::Done(Err(refused));
        }
        let execution = Self {
            requests,
            digests: requests.iter().map(Request::digest).collect(),
            attempts: attempts.max(1),
            attempt: 0,
            round: 0,
            shape: ReadPlan::default(),
            advance: None,
            loaded: Loaded::default(),
            results: Vec::new(),
            followed_up: false,
        };
        execution.next_attempt()
    }

    /// Starts running `requests` as a feed reader's step: the reader's cursor, read at `from`,
    /// moves to `to` in the same commit as the requests' effects (F3). If another instance moved
    /// the cursor meanwhile, nothing is written and the step ends with a conflict
    /// ([`StoreError::ChangedDuringRead`] naming the reader): read the feed again from the
    /// cursor as it is now.
    pub fn advance(
        requests: &'r [Request],
        attempts: u32,
        reader: ReaderKey,
        from: Position,
        to: Position,
    ) -> Step<'r> {
        if let Err(refused) = check_batch(requests) {
            return Step::Done(Err(refused));
        }
        let mut execution = Self {
            requests,
            digests: requests.iter().map(Request::digest).collect(),
            attempts: attempts.max(1),
            attempt: 0,
            round: 0,
            shape: ReadPlan::default(),
            advance: Some(Advance { reader, from, to }),
            loaded: Loaded::default(),
            results: Vec::new(),
            followed_up: false,
        };
        execution.round = 0;
        execution.next_attempt()
    }

    /// A fresh attempt: its first read, or the end when there is nothing to do.
    fn next_attempt(mut self) -> Step<'r> {
        if self.requests.is_empty() && self.advance.is_none() {
            return Step::Done(Ok(Vec::new()));
        }
        self.attempt = self.attempt.saturating_add(1);
        self.round = 1;
        self.followed_up = false;
        let mut keys = Vec::with_capacity(self.requests.len().saturating_mul(4));
        let mut lookups = Vec::new();
        let mut reads = Reads {
            keys: &mut keys,
            lookups: &mut lookups,
            // Set per request below.
            organizer: OrganizerId::default(),
            group_tickets: false,
            usage_rules: false,
            performances: false,
        };
        if let Some(advance) = &self.advance {
            reads.keys.push(RecordKey::Reader(advance.reader));
        }
        for request in self.requests {
            reads.keys.push(RecordKey::Command(request.key()));
            reads.organizer = request.organizer;
            table::with_row(&request.command, |row| row.reads(&mut reads));
        }
        let mut shape = ReadPlan::default().with_replays();
        if reads.group_tickets {
            shape = shape.with_group_tickets();
        }
        if reads.usage_rules {
            shape = shape.with_usage_rules();
        }
        if reads.performances {
            shape = shape.with_performances();
        }
        self.shape = shape;
        self.loaded = Loaded::with_capacity(keys.len(), self.requests.len());
        self.loaded.ask(&mut keys);
        self.results.clear();
        let mut plan = self.plan(keys);
        for lookup in lookups {
            plan = plan.with_lookup(lookup);
        }
        Step::Read {
            plan,
            then: Reading(self),
        }
    }

    /// A plan for `keys`, following what the first read follows.
    fn plan(&self, keys: Vec<RecordKey>) -> ReadPlan {
        let mut plan = ReadPlan::new(keys).with_replays();
        if self.shape.group_tickets() {
            plan = plan.with_group_tickets();
        }
        if self.shape.usage_rules() {
            plan = plan.with_usage_rules();
        }
        if self.shape.performances() {
            plan = plan.with_performances();
        }
        plan
    }

    fn read(self, keys: Vec<RecordKey>) -> Step<'r> {
        let plan = self.plan(keys);
        Step::Read {
            plan,
            then: Reading(self),
        }
    }

    /// After a conflict: another attempt, or the conflict when none is left.
    fn retry(self, conflict: StoreError) -> Step<'r> {
        if self.attempt >= self.attempts {
            return Step::Done(Err(Error::Store(conflict)));
        }
        self.next_attempt()
    }

    fn on_read(mut self, found: Result<Read, StoreError>) -> Step<'r> {
        let found = match found {
            Ok(found) => found,
            Err(error) => return Step::Done(Err(Error::Store(error))),
        };
        let first_new = match self.loaded.absorb(found, self.round) {
            Ok(first_new) => first_new,
            Err(torn) => return self.retry(torn),
        };
        let mut next = Vec::new();
        if self.round < MAX_ROUNDS {
            self.loaded.leads(first_new, &self.shape, &mut next);
            self.loaded.ask(&mut next);
        }
        if !next.is_empty() {
            self.round = self.round.saturating_add(1);
            return self.read(next);
        }
        // Lookups that only the records read call for (Keep One's wallet, K4): one more round,
        // once, and only for the commands that need it.
        if !self.followed_up && self.round < MAX_ROUNDS {
            self.followed_up = true;
            let (mut keys, mut lookups) = (Vec::new(), Vec::new());
            for request in self.requests {
                let view = self.loaded.view(request.organizer);
                table::with_row(&request.command, |row| {
                    row.follow_up(&view, &mut keys, &mut lookups);
                });
            }
            self.loaded.ask(&mut keys);
            if !keys.is_empty() || !lookups.is_empty() {
                self.round = self.round.saturating_add(1);
                let mut plan = self.plan(keys);
                for lookup in lookups {
                    plan = plan.with_lookup(lookup);
                }
                return Step::Read {
                    plan,
                    then: Reading(self),
                };
            }
        }
        // Records of one read agree (the contract's snapshot); only several rounds can tear.
        if self.round > 1
            && let Some(key) = self.loaded.torn()
        {
            return self.retry(StoreError::ChangedDuringRead { key });
        }
        self.decide()
    }

    /// Decides every request in order over the records read, then commits what changed.
    fn decide(mut self) -> Step<'r> {
        let mut results = std::mem::take(&mut self.results);
        results.reserve(self.requests.len());
        for (request, &digest) in self.requests.iter().zip(&self.digests) {
            let result = match self.loaded.replay(request, digest, self.attempt) {
                Some(replayed) => replayed,
                None => {
                    let result =
                        table::decide(&request.command, &self.loaded.view(request.organizer))
                            .and_then(|decision| {
                                self.loaded.apply(request, digest, decision, self.attempt)
                            });
                    if let Err(error) = &result {
                        self.loaded.refuse(request, digest, error);
                    }
                    result
                }
            };
            results.push(result);
        }
        if let Some(advance) = self.advance {
            match self
                .loaded
                .move_reader(advance.reader, advance.from, advance.to)
            {
                Ok(()) => {}
                Err(error) => return Step::Done(Err(error)),
            }
        }
        let batch = std::mem::take(&mut self.loaded).into_batch();
        self.results = results;
        if batch.writes.is_empty() {
            return Step::Done(Ok(self.results));
        }
        Step::Commit {
            batch,
            then: Committing(self),
        }
    }

    fn on_commit(self, result: Result<(), StoreError>) -> Step<'r> {
        match result {
            Ok(()) => Step::Done(Ok(self.results)),
            Err(conflict) if conflict.is_conflict() => self.retry(conflict),
            Err(other) => Step::Done(Err(Error::Store(other))),
        }
    }
}

impl<'r> Reading<'r> {
    /// Takes what the store read (the records in any order, each once) and says what to do
    /// next: read more, commit, or stop (a store error other than a conflict stops the batch).
    pub fn read(self, found: Result<Read, StoreError>) -> Step<'r> {
        self.0.on_read(found)
    }

    /// The attempt this read belongs to (1 for the first).
    #[must_use]
    pub const fn attempt(&self) -> u32 {
        self.0.attempt
    }
}

impl<'r> Committing<'r> {
    /// Takes the commit's result and says what to do next: on a conflict, read and decide
    /// again, or stop with the conflict once the attempts ran out.
    pub fn committed(self, result: Result<(), StoreError>) -> Step<'r> {
        self.0.on_commit(result)
    }

    /// The attempt this commit belongs to (1 for the first).
    #[must_use]
    pub const fn attempt(&self) -> u32 {
        self.0.attempt
    }
}

impl fmt::Debug for Execution<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Execution")
            .field("requests", &self.requests.len())
            .field("attempt", &self.attempt)
            .field("attempts", &self.attempts)
            .field("round", &self.round)
            .finish_non_exhaustive()
    }
}

/// The batch that creates `records` (each must not exist yet).
/// The batch that creates `records`: at most [`MAX_BATCH`] of them (X11), each within the text
/// limits (X13), both checked before anything is written.
pub(crate) fn creation(records: impl IntoIterator<Item = Record>) -> Result<Batch, Error> {
    let mut records = records.into_iter();
    let mut batch = Batch::with_capacity(records.size_hint().0.min(MAX_BATCH));
    while let Some(record) = records.next() {
        if batch.writes.len() >= MAX_BATCH {
            let count = MAX_BATCH.saturating_add(1).saturating_add(records.count());
            return Err(Error::BatchTooLarge {
                count,
                max: MAX_BATCH,
            });
        }
        if let Some((field, len)) = crate::text_limit::first_too_long(&record) {
            return Err(Error::TextTooLong {
                key: record.key(),
                field,
                len,
                max: field.max(),
            });
        }
        batch.push(record, Version::NEW);
    }
    Ok(batch)
}

/// The ticket among loaded records.
pub(crate) fn one_ticket(found: Vec<Versioned<Record>>) -> Option<Versioned<Ticket>> {
    found.into_iter().find_map(|v| match v.value {
        Record::Ticket(t) => Some(Versioned {
            value: t,
            version: v.version,
        }),
        _ => None,
    })
}

/// The group among loaded records.
pub(crate) fn one_group(found: Vec<Versioned<Record>>) -> Option<Versioned<TransferGroup>> {
    found.into_iter().find_map(|v| match v.value {
        Record::TransferGroup(g) => Some(Versioned {
            value: g,
            version: v.version,
        }),
        _ => None,
    })
}

/// The result of a batch of one request.
pub(crate) fn only_result(request: &Request, results: Results) -> Result<Outcome, Error> {
    // A batch returns one result per request, so `pop` always finds this one; the fallback only
    // keeps the code free of panics.
    results?.pop().unwrap_or(Err(Error::NotFound {
        key: RecordKey::Command(request.key()),
    }))
}

/// The reader cursor among loaded records.
pub(crate) fn one_reader(found: Vec<Versioned<Record>>) -> Option<crate::feed::ReaderCursor> {
    found.into_iter().find_map(|v| match v.value {
        Record::Reader(r) => Some(r),
        _ => None,
    })
}
