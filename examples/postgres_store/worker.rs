//! `postgres_store race-setup URL SCHEMA` sets a schema up as the test does (to time workers by
//! hand); `postgres_store race URL SCHEMA WORKER ATTEMPTS [blind|patient]`: one service instance of the
//! many-process test (`tests/store/concurrency.rs`), as its own OS process with its own
//! connection. The test has set up 50 hot tickets injected to Alice; each attempt picks one,
//! loads it and sends it from its owner to the other person, or accepts the group it is pending
//! in. At the end it prints one JSON line: the transfers it saw complete, per ticket, and its
//! counts. `blind` writes every batch with the version stored at commit time instead of the one
//! read (a store that forgot its `WHERE version = $n`): the control the checker must catch.
//! `patient` sends a call the store could not answer (`Unavailable`: the server restarting) again,
//! the same request with the same command id, until it is answered, as a client retries an HTTP
//! 503: a command that did commit answers with its recorded outcome, so none is lost or doubled.

use std::collections::BTreeMap;
use std::error::Error;

use secure_ticket::Event;
use secure_ticket::feed::{FeedEntry, FeedQuery};
use secure_ticket::index::{Hit, Lookup};
use secure_ticket::service::{Command, Request, Service};
use secure_ticket::store::{
    Batch, Pruned, Read, ReadPlan, Record, RecordKey, Store, StoreError, Versioned,
};
use secure_ticket::transfer::{AcceptTransfer, InitiateTransfer, NewGroupIds};
use secure_ticket::{CommandId, Email, OrganizerId, TicketId, TransferGroupId};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::store::PgBlockingStore;

/// The organizer, tickets and people the test set up.
const ORGANIZER: OrganizerId = OrganizerId::from_u128(1);
const FIRST_TICKET: u128 = 1_000;
const TICKETS: u64 = 50;
const AT: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

/// Sets up `SCHEMA` as the many-process test does: the usage rule (limit 2, NEUTRAL), settings
/// with automatic acceptance, and the 50 hot tickets injected to Alice.
pub(crate) fn set_up(args: &[String]) -> Result<(), Box<dyn Error>> {
    use secure_ticket::injection::InjectTicket;
    use secure_ticket::{
        AcceptanceSettings, Distribution, OrganizerSettings, PointOfSaleId, RightId, ShipmentMode,
        ShipmentModeId, Ticket, TransferBackward, TransferLimit, UsageRule, UsageRuleId,
    };
    let [url, schema, ..] = args else {
        return Err("usage: postgres_store race-setup URL SCHEMA".into());
    };
    let store = PgBlockingStore::connect(url, schema)?;
    let service = Service::new(&store);
    let rule = UsageRule::new(ORGANIZER, UsageRuleId::from_u128(1))
        .with_max_transfers(TransferLimit::new(2)?)
        .with_transfer_backward(TransferBackward::Neutral);
    let mut records = vec![
        Record::UsageRule(rule),
        Record::Settings(
            OrganizerSettings::new(ORGANIZER).with_acceptance(AcceptanceSettings::automatic()),
        ),
    ];
    let ids = (0..u128::from(TICKETS)).map(|i| FIRST_TICKET.saturating_add(i));
    records.extend(ids.clone().map(|n| {
        Record::Ticket(Ticket::new(
            ORGANIZER,
            TicketId::from_u128(n),
            RightId::from_u128(n),
            Distribution::new(
                PointOfSaleId::from_u128(1),
                ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1)),
            ),
        ))
    }));
    service.create(records)?;
    let alice = Email::parse("alice@example.com")?;
    for n in ids {
        service.execute(&Request {
            id: CommandId::from_u128(n),
            organizer: ORGANIZER,
            command: Command::Inject(InjectTicket {
                ticket: TicketId::from_u128(n),
                to: alice.clone(),
                usage_rule: rule.id,
                at: AT,
            }),
        })?;
    }
    Ok(())
}

/// Runs the worker; `args` are the words after `race`.
pub(crate) fn run(args: &[String]) -> Result<(), Box<dyn Error>> {
    let [url, schema, worker, attempts, rest @ ..] = args else {
        return Err("usage: postgres_store race URL SCHEMA WORKER ATTEMPTS [blind|patient]".into());
    };
    let worker: u64 = worker.parse()?;
    let attempts: u64 = attempts.parse()?;
    let mode = rest.first().map(String::as_str);
    let patient = mode == Some("patient");
    let store = PgBlockingStore::connect(url, schema)?;
    let mut report = if mode == Some("blind") {
        race(&Service::new(Blind(&store)), worker, attempts, false)?
    } else {
        race(&Service::new(&store), worker, attempts, patient)?
    };
    report.store_conflicts = store.inner().conflicts();
    report.round_trips = store.inner().round_trips();
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// What one worker saw.
#[derive(Debug, Default, serde::Serialize)]
struct Report {
    /// `TicketTransferred` events of its successful commands, per ticket id.
    completions: BTreeMap<String, u64>,
    commands: u64,
    refusals: u64,
    /// Commands that still conflicted after the shell's last attempt.
    gave_up: u64,
    /// Commits the store refused because another writer got there first.
    store_conflicts: u64,
    /// Round trips to the server, the worker's whole run.
    round_trips: u64,
    /// Calls the store could not answer, each sent again (`patient` only).
    unavailable: u64,
    /// Calls answered after the first unavailable one.
    resumed: u64,
    unexpected: Vec<String>,
}

/// The answer to `call`; when `patient`, a call the store could not answer is made again (the
/// same request), every 50 ms for up to a minute.
fn answered<T>(
    patient: bool,
    report: &mut Report,
    mut call: impl FnMut() -> Result<T, secure_ticket::Error>,
) -> Result<T, secure_ticket::Error> {
    let mut tries = 0_u32;
    loop {
        match call() {
            Err(error)
                if patient
                    && error.kind() == secure_ticket::ErrorKind::Unavailable
                    && tries < 1_200 =>
            {
                report.unavailable = report.unavailable.saturating_add(1);
                tries = tries.saturating_add(1);
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            answer => {
                if answer.is_ok() && report.unavailable > 0 {
                    report.resumed = report.resumed.saturating_add(1);
                }
                return answer;
            }
        }
    }
}

fn race<S: Store>(
    service: &Service<S>,
    worker: u64,
    attempts: u64,
    patient: bool,
) -> Result<Report, Box<dyn Error>> {
    let (alice, bob) = (
        Email::parse("alice@example.com")?,
        Email::parse("bob@example.com")?,
    );
    let mut report = Report::default();
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(worker.wrapping_add(1)) | 1;
    for attempt in 0..attempts {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let index = seed.checked_rem(TICKETS).unwrap_or(0);
        let ticket = TicketId::from_u128(FIRST_TICKET.saturating_add(u128::from(index)));
        let Some(loaded) = answered(patient, &mut report, || {
            service.ticket(ticket).map_err(secure_ticket::Error::from)
        })?
        else {
            report.unexpected.push(format!("{ticket} is missing"));
            continue;
        };
        let Some(wallet) = loaded.value.wallet else {
            report.unexpected.push(format!("{ticket} is not injected"));
            continue;
        };
        let owner = wallet.owners.current;
        let other = if owner == alice {
            bob.clone()
        } else {
            alice.clone()
        };
        // Ids unique per worker and attempt, above the ids of the test's set-up.
        let id = (u128::from(worker).saturating_add(1) << 64) | u128::from(attempt);
        let command = match wallet.pending_group {
            None => Command::Initiate(InitiateTransfer {
                actor: owner,
                recipient: other,
                tickets: vec![ticket],
                groups: NewGroupIds::single(TransferGroupId::from_u128(id)),
                at: AT,
            }),
            Some(group) => Command::Accept(AcceptTransfer {
                group,
                actor: other,
                at: AT,
            }),
        };
        report.commands = report.commands.saturating_add(1);
        let request = Request {
            id: CommandId::from_u128(id),
            organizer: ORGANIZER,
            command,
        };
        match answered(patient, &mut report, || service.execute(&request)) {
            Ok(outcome) => {
                for event in &outcome.events {
                    if let Event::TicketTransferred { ticket, .. } = event {
                        let n = report.completions.entry(ticket.to_string()).or_default();
                        *n = n.saturating_add(1);
                    }
                }
            }
            Err(secure_ticket::Error::Rule(_)) => {
                report.refusals = report.refusals.saturating_add(1);
            }
            Err(error) if error.is_conflict() => report.gave_up = report.gave_up.saturating_add(1),
            Err(error) => report.unexpected.push(format!("{}: {error}", request.id)),
        }
    }
    Ok(report)
}

/// A broken store: every write expects the version stored when the batch commits, so every
/// write wins, as a store that forgot the `WHERE version = $n` would.
struct Blind<'a>(&'a PgBlockingStore);

impl Store for Blind<'_> {
    fn load(&self, keys: &[RecordKey]) -> Result<Vec<Versioned<Record>>, StoreError> {
        self.0.load(keys)
    }

    fn read(&self, plan: &ReadPlan) -> Result<Read, StoreError> {
        self.0.read(plan)
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        let keys: Vec<RecordKey> = batch.writes.iter().map(|w| w.record.key()).collect();
        let stored: BTreeMap<RecordKey, _> = self
            .0
            .load(&keys)?
            .into_iter()
            .map(|v| (v.value.key(), v.version))
            .collect();
        let mut blind = batch;
        for write in &mut blind.writes {
            write.expected = stored.get(&write.record.key()).copied().unwrap_or_default();
        }
        self.0.commit(blind)
    }

    fn query(&self, lookup: &Lookup) -> Result<Vec<Hit>, StoreError> {
        self.0.query(lookup)
    }

    fn feed(&self, query: &FeedQuery) -> Result<Vec<FeedEntry>, StoreError> {
        self.0.feed(query)
    }

    fn prune(&self, before: OffsetDateTime, limit: u32) -> Result<Pruned, StoreError> {
        self.0.prune(before, limit)
    }
}
