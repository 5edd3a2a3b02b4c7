//! An async request handler over [`AsyncService`]: what an axum or actix route would call.
//!
//! Twenty spectators' requests arrive at once on a multi-threaded tokio runtime: Alice sends
//! twenty tickets to Bob, then Bob accepts them, some requests are retried by a flaky client,
//! one names a group that does not exist, and two handlers race to accept the same group. Each
//! handler turns the shell's answer into an HTTP status and a body.
//!
//! Run it with `cargo run --example async_service`.

#![allow(
    clippy::arithmetic_side_effects,
    reason = "small fixed ids and counters in a demo"
)]

use std::collections::BTreeMap;
use std::error::Error;
use std::sync::Arc;

use secure_ticket::injection::InjectTicket;
use secure_ticket::service::{AsyncService, Command, Request};
use secure_ticket::store::{Blocking, MemoryStore, Record};
use secure_ticket::transfer::{AcceptTransfer, InitiateTransfer, NewGroupIds};
use secure_ticket::{
    AcceptanceSettings, CommandId, Distribution, Email, OrganizerId, OrganizerSettings,
    PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId, TransferGroupId,
    UsageRule, UsageRuleId,
};
use time::OffsetDateTime;
use time::macros::datetime;

/// The shell, shared by every handler. `Blocking` runs the in-memory store under the async
/// contract; a service on PostgreSQL would implement `AsyncStore` over its async client.
type Shell = AsyncService<Blocking<MemoryStore>>;

const ORGANIZER: OrganizerId = OrganizerId::from_u128(1);
const RULE: UsageRuleId = UsageRuleId::from_u128(1);
const TICKETS: u128 = 20;

/// One HTTP-like answer.
#[derive(Debug)]
struct Response {
    status: u16,
    body: String,
}

/// The handler: one request in, one answer out. The shell retries conflicts itself; what
/// comes back is final for this request.
async fn handle(shell: &Shell, request: Request) -> Response {
    match shell.execute(&request).await {
        Ok(outcome) if outcome.replayed => Response {
            status: 200,
            body: format!("{} (replayed: already done)", request.id),
        },
        Ok(outcome) => Response {
            status: 200,
            body: format!(
                "{}: {} event(s) after {} attempt(s)",
                request.id,
                outcome.events.len(),
                outcome.attempts
            ),
        },
        // Every error has a stable code and a kind that says which status to answer.
        Err(error) => Response {
            status: error.kind().http_status(),
            body: format!("{}: {error}", error.code()),
        },
    }
}

fn request(id: u128, command: Command) -> Request {
    Request {
        id: CommandId::from_u128(id),
        organizer: ORGANIZER,
        command,
    }
}

/// The command id of Alice's `n`th initiation.
const fn send_id(n: u128) -> CommandId {
    CommandId::from_u128(100 + n)
}

fn at() -> OffsetDateTime {
    datetime!(2026-12-02 20:00 UTC)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn Error>> {
    let (alice, bob) = (
        Email::parse("alice@example.com")?,
        Email::parse("bob@example.com")?,
    );
    let shell: Arc<Shell> = Arc::new(AsyncService::new(Blocking::new(MemoryStore::new())));
    setup(&shell, &alice).await?;

    println!("== {TICKETS} initiations at once: Alice -> Bob, each its own group");
    let sends = (1..=TICKETS).map(|n| {
        request(
            send_id(n).as_uuid().as_u128(),
            Command::Initiate(InitiateTransfer {
                actor: alice.clone(),
                recipient: bob.clone(),
                tickets: vec![TicketId::from_u128(n)],
                // As an HTTP server would: the new group's id is derived from the command id,
                // so a retry mints the same one and is seen as a retry (X3).
                groups: NewGroupIds::derived(ORGANIZER, send_id(n)),
                at: at(),
            }),
        )
    });
    // A flaky client sends the first three twice.
    let retried: Vec<Request> = sends.clone().take(3).collect();
    let answers = concurrently(&shell, sends.chain(retried).collect()).await?;
    summarize(&answers);

    println!(
        "\n== {TICKETS} acceptances at once by Bob, two racing on group 1, one on a group that does not exist"
    );
    let accept = |id: u128, group: TransferGroupId| {
        request(
            id,
            Command::Accept(AcceptTransfer {
                group,
                actor: bob.clone(),
                at: at(),
            }),
        )
    };
    let group = |n| NewGroupIds::derived(ORGANIZER, send_id(n)).forward;
    let mut accepts: Vec<Request> = (1..=TICKETS).map(|n| accept(200 + n, group(n))).collect();
    accepts.push(accept(300, group(1))); // a second device of Bob's, same group, another command id
    accepts.push(accept(301, TransferGroupId::from_u128(99)));
    let answers = concurrently(&shell, accepts).await?;
    summarize(&answers);
    for answer in answers.iter().filter(|a| a.status != 200) {
        println!("   {} {}", answer.status, answer.body);
    }

    let owner = shell
        .ticket(TicketId::from_u128(1))
        .await?
        .and_then(|t| t.value.wallet);
    if let Some(wallet) = owner {
        println!(
            "\nticket 1 now belongs to {} (level {}), as every other one",
            wallet.owners.current, wallet.level
        );
    }
    Ok(())
}

/// Runs every request on its own task, as a web server would, and collects the answers.
async fn concurrently(
    shell: &Arc<Shell>,
    requests: Vec<Request>,
) -> Result<Vec<Response>, Box<dyn Error>> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let shell = Arc::clone(shell);
            tokio::spawn(async move { handle(&shell, request).await })
        })
        .collect();
    let mut answers = Vec::with_capacity(tasks.len());
    for task in tasks {
        answers.push(task.await?);
    }
    Ok(answers)
}

fn summarize(answers: &[Response]) {
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for answer in answers {
        *by_status.entry(answer.status).or_default() += 1;
    }
    let replayed = answers
        .iter()
        .filter(|a| a.body.contains("replayed"))
        .count();
    println!(
        "   {} answers: {}; {replayed} replayed",
        answers.len(),
        by_status
            .iter()
            .map(|(status, n)| format!("{n} x {status}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// The organizer's settings, a usage rule, and the tickets, injected to Alice.
async fn setup(shell: &Shell, alice: &Email) -> Result<(), Box<dyn Error>> {
    let mode = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1));
    shell
        .create(
            [
                Record::Settings(
                    OrganizerSettings::new(ORGANIZER)
                        .with_acceptance(AcceptanceSettings::explicit()),
                ),
                Record::UsageRule(UsageRule::new(ORGANIZER, RULE)),
            ]
            .into_iter()
            .chain((1..=TICKETS).map(|n| {
                Record::Ticket(Ticket::new(
                    ORGANIZER,
                    TicketId::from_u128(n),
                    RightId::from_u128(n),
                    Distribution::new(PointOfSaleId::from_u128(1), mode),
                ))
            })),
        )
        .await?;
    let injections: Vec<Request> = (1..=TICKETS)
        .map(|n| {
            request(
                n,
                Command::Inject(InjectTicket {
                    ticket: TicketId::from_u128(n),
                    to: alice.clone(),
                    usage_rule: RULE,
                    at: at(),
                }),
            )
        })
        .collect();
    for result in shell.execute_batch(&injections).await? {
        result?;
    }
    println!("{TICKETS} tickets injected to {alice} in one batch (one read, one commit)");
    Ok(())
}
