//! Every transition on a prepared state, setup outside the timing (cloning a ticket is measured
//! too, for scale). Criterion reports its statistics; a closing table gives, per transition, the
//! median time, the instructions per call and the heap allocations per call (counted by a global
//! allocator).
//!
//! Instructions are counted by callgrind, which is repeatable where times are not: when `valgrind`
//! is installed, the bench runs itself once per transition under `valgrind --tool=callgrind`,
//! collecting only inside the loop that calls the transition [`COUNTED_CALLS`] times. Without
//! valgrind the column says `n/a`.
//!
//! `cargo bench --bench transitions` (add `-- --quick` for a short run).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects,
    missing_docs,
    unsafe_code,
    clippy::disallowed_methods // a bench is a shell: it reads the clock
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use secure_ticket::holder::{self, AssignHolder};
use secure_ticket::injection::{self, Feedback, InjectTicket, LifecycleStatus};
use secure_ticket::resale::{self, PutOnResale};
use secure_ticket::spectator::{self, LockSpectator};
use secure_ticket::staff::{Reason, Staff, StaffRole};
use secure_ticket::take_back::{self, TakeBackPolicy, TakeBackTicket};
use secure_ticket::transfer::BackOfficeTransfer;
use secure_ticket::transfer::{
    self, AcceptTransfer, CancelTransfer, DeclineTransfer, EditRecipient, InitiateTransfer,
    NewGroupIds, ReturnToSender, TransferGroup,
};
use secure_ticket::{
    AcceptanceSettings, Decision, Distribution, Email, InternetTheme, PointOfSale, PointOfSaleId,
    RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId, TixngoInterface, TransferBackward,
    TransferGroupId, TransferLimit, UsageRule, UsageRuleId,
};
use secure_ticket::{OrganizerSettings, StaffId, TicketHolder};
use time::macros::datetime;

/// Counts allocations (and reallocations) made through the global allocator.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: delegates every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const AT: time::OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

struct Fixture {
    rule: [UsageRule; 1],
    settings: AcceptanceSettings,
    alice: Email,
    bob: Email,
    carol: Email,
    issued: Ticket,
    injected: Ticket,
    /// Bob owns it, Alice is the previous owner, level 1.
    with_bob: Ticket,
    forward_group: TransferGroup,
    forward_pending: Ticket,
    backward_group: TransferGroup,
    backward_pending: Ticket,
    pos: PointOfSale,
    interface: TixngoInterface,
    reported: Ticket,
    /// `transfer::MAX_TICKETS` tickets of Alice: the largest initiation allowed (X11).
    many: Vec<Ticket>,
}

fn first(decision: Decision) -> Ticket {
    decision.tickets.into_iter().next().unwrap()
}

fn fixture() -> Fixture {
    let alice = Email::parse("alice@example.com").unwrap();
    let bob = Email::parse("bob@example.com").unwrap();
    let carol = Email::parse("carol@example.com").unwrap();
    let rule = [UsageRule::new(
        secure_ticket::OrganizerId::from_u128(1),
        UsageRuleId::from_u128(1),
    )
    .with_max_transfers(TransferLimit::new(3).unwrap())];
    let settings = AcceptanceSettings::explicit();
    let issued = Ticket::new(
        secure_ticket::OrganizerId::from_u128(1),
        TicketId::from_u128(1),
        RightId::from_u128(1),
        Distribution::new(
            PointOfSaleId::from_u128(1),
            ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1)),
        )
        .with_b2b_contact(carol.clone())
        .with_cultural_contact(alice.clone()),
    );
    let inject = InjectTicket {
        ticket: issued.id,
        to: alice.clone(),
        usage_rule: rule[0].id,
        at: AT,
    };
    let injected_decision = injection::inject(&issued, &inject).unwrap();
    let injected = injected_decision.tickets[0].clone();
    let initiate = |ticket: &Ticket, from: &Email, to: &Email| {
        transfer::initiate(
            std::slice::from_ref(ticket),
            &transfer::Context::new(&rule).with_settings(settings),
            &InitiateTransfer {
                actor: from.clone(),
                recipient: to.clone(),
                tickets: vec![ticket.id],
                groups: NewGroupIds::single(TransferGroupId::from_u128(9)),
                at: AT,
            },
        )
        .unwrap()
    };
    let sent = initiate(&injected, &alice, &bob);
    let (forward_group, forward_pending) = (sent.groups[0].clone(), sent.tickets[0].clone());
    let with_bob = first(
        transfer::accept(
            &forward_group,
            &sent.tickets,
            &rule,
            &AcceptTransfer {
                group: forward_group.id,
                actor: bob.clone(),
                at: AT,
            },
        )
        .unwrap(),
    );
    let back = initiate(&with_bob, &bob, &alice);
    let (backward_group, backward_pending) = (back.groups[0].clone(), back.tickets[0].clone());
    let feedback = injection::feedback_for(1, &injected_decision.events);
    let reported = first(injection::record_feedback(&injected, &feedback[0]).unwrap());
    let pos = PointOfSale::b2b(
        secure_ticket::OrganizerId::from_u128(1),
        PointOfSaleId::from_u128(1),
    )
    .with_mobile_take_back(true)
    .with_theme(InternetTheme::parse("distribution.list.activateAdvancedView = true").unwrap());
    let interface = TixngoInterface::from_custom_parameters([(
        "resetInjectionInvalidationReasons",
        "MOBILE_TAKE_BACK",
    )])
    .unwrap();
    let many: Vec<Ticket> = (1..=transfer::MAX_TICKETS as u128)
        .map(|n| {
            let mut ticket = injected.clone();
            ticket.id = TicketId::from_u128(1_000 + n);
            ticket
        })
        .collect();
    Fixture {
        many,
        rule,
        settings,
        alice,
        bob,
        carol,
        issued,
        injected,
        with_bob,
        forward_group,
        forward_pending,
        backward_group,
        backward_pending,
        pos,
        interface,
        reported,
    }
}

type Case = (&'static str, Box<dyn Fn(&Fixture) -> usize>);

/// Builds a case whose command is prepared once, outside the timing.
fn case<C: 'static>(
    name: &'static str,
    command: C,
    run: impl Fn(&Fixture, &C) -> usize + 'static,
) -> Case {
    (
        name,
        Box::new(move |f: &Fixture| run(f, black_box(&command))),
    )
}

/// Every case prepares its command once (outside the timing) and returns something derived from
/// its result, so the work cannot be optimised away.
fn cases(f: &Fixture) -> Vec<Case> {
    let with = |backward| [f.rule[0].with_transfer_backward(backward)];
    let accept_backward = AcceptTransfer {
        group: f.backward_group.id,
        actor: f.alice.clone(),
        at: AT,
    };
    let initiate = |actor: &Email, recipient: &Email, ticket: TicketId| InitiateTransfer {
        actor: actor.clone(),
        recipient: recipient.clone(),
        tickets: vec![ticket],
        groups: NewGroupIds::single(TransferGroupId::from_u128(2)),
        at: AT,
    };
    let mut cases = vec![
        case("clone a ticket (scale)", (), |f, ()| {
            usize::from(black_box(f.with_bob.clone()).distribution.printed)
        }),
        case(
            "inject",
            InjectTicket {
                ticket: f.issued.id,
                to: f.alice.clone(),
                usage_rule: f.rule[0].id,
                at: AT,
            },
            |f, cmd| injection::inject(black_box(&f.issued), cmd).map_or(0, |d| d.tickets.len()),
        ),
        case(
            "initiate FORWARD",
            initiate(&f.alice, &f.bob, f.injected.id),
            |f, cmd| {
                transfer::initiate(
                    std::slice::from_ref(black_box(&f.injected)),
                    &transfer::Context::new(&f.rule).with_settings(f.settings),
                    cmd,
                )
                .map_or(0, |d| d.tickets.len())
            },
        ),
        case(
            "initiate BACKWARD",
            initiate(&f.bob, &f.alice, f.with_bob.id),
            |f, cmd| {
                transfer::initiate(
                    std::slice::from_ref(black_box(&f.with_bob)),
                    &transfer::Context::new(&f.rule).with_settings(f.settings),
                    cmd,
                )
                .map_or(0, |d| d.tickets.len())
            },
        ),
        case(
            "initiate, 100 tickets (the most)",
            InitiateTransfer {
                actor: f.alice.clone(),
                recipient: f.bob.clone(),
                tickets: f.many.iter().map(|t| t.id).collect(),
                groups: NewGroupIds::single(TransferGroupId::from_u128(9)),
                at: AT,
            },
            |f, cmd| {
                transfer::initiate(
                    black_box(&f.many),
                    &transfer::Context::new(&f.rule).with_settings(f.settings),
                    cmd,
                )
                .map_or(0, |d| d.tickets.len())
            },
        ),
        case(
            "return to sender",
            ReturnToSender {
                ticket: f.with_bob.id,
                actor: f.bob.clone(),
                group: TransferGroupId::from_u128(2),
                at: AT,
            },
            |f, cmd| {
                transfer::return_to_sender(
                    std::slice::from_ref(black_box(&f.with_bob)),
                    &transfer::Context::new(&f.rule).with_settings(f.settings),
                    cmd,
                )
                .map_or(0, |d| d.tickets.len())
            },
        ),
        case(
            "accept FORWARD",
            AcceptTransfer {
                group: f.forward_group.id,
                actor: f.bob.clone(),
                at: AT,
            },
            |f, cmd| {
                transfer::accept(
                    &f.forward_group,
                    std::slice::from_ref(black_box(&f.forward_pending)),
                    &f.rule,
                    cmd,
                )
                .map_or(0, |d| d.tickets.len())
            },
        ),
        case(
            "decline",
            DeclineTransfer {
                group: f.forward_group.id,
                actor: f.bob.clone(),
                at: AT,
            },
            |f, cmd| {
                transfer::decline(
                    &f.forward_group,
                    std::slice::from_ref(black_box(&f.forward_pending)),
                    cmd,
                )
                .map_or(0, |d| d.tickets.len())
            },
        ),
        case(
            "cancel",
            CancelTransfer {
                group: f.forward_group.id,
                actor: f.alice.clone(),
                at: AT,
            },
            |f, cmd| {
                transfer::cancel(
                    &f.forward_group,
                    std::slice::from_ref(black_box(&f.forward_pending)),
                    cmd,
                )
                .map_or(0, |d| d.tickets.len())
            },
        ),
        case(
            "edit recipient",
            EditRecipient {
                group: f.forward_group.id,
                actor: f.alice.clone(),
                recipient: f.carol.clone(),
                new_groups: NewGroupIds::single(TransferGroupId::from_u128(3)),
                at: AT,
            },
            |f, cmd| {
                let pending = std::slice::from_ref(black_box(&f.forward_pending));
                transfer::edit_recipient(
                    &f.forward_group,
                    pending,
                    &transfer::Context::new(&f.rule).with_settings(f.settings),
                    cmd,
                )
                .map_or(0, |d| d.tickets.len())
            },
        ),
        case(
            "record feedback",
            Feedback {
                ticket: f.reported.id,
                status: LifecycleStatus::Downloaded,
                sequence: 2,
                at: datetime!(2026-11-23 13:00 UTC),
                transfer: None,
            },
            |f, feedback| {
                injection::record_feedback(black_box(&f.reported), feedback)
                    .map_or(0, |d| d.tickets.len())
            },
        ),
        case(
            "take back",
            TakeBackTicket {
                contact: secure_ticket::ContactKind::Individual,
                ticket: f.reported.id,
                point_of_sale: f.pos.id,
                actor: f.carol.clone(),
                new_ticket: TicketId::from_u128(2),
                at: AT,
            },
            |f, cmd| {
                take_back::take_back(
                    black_box(&f.reported),
                    &f.pos,
                    &f.interface,
                    &TakeBackPolicy::default(),
                    cmd,
                )
                .map_or(0, |d| d.tickets.len())
            },
        ),
    ];
    // The organizer's controls (S, L, H, R).
    let organizer = OrganizerSettings::new(secure_ticket::OrganizerId::from_u128(1));
    let staff = Staff::new(StaffId::from_u128(5), StaffRole::Advanced);
    let reason = Reason::parse("seat swap at the box office").unwrap();
    cases.push(case(
        "back-office transfer",
        (
            organizer.clone(),
            BackOfficeTransfer {
                staff,
                reason: reason.clone(),
                recipient: f.bob.clone(),
                tickets: vec![f.injected.id],
                groups: vec![TransferGroupId::from_u128(3)],
                at: AT,
            },
        ),
        |f, (settings, cmd)| {
            let context = transfer::Context::new(&f.rule).with_settings(f.settings);
            transfer::back_office_transfer(
                std::slice::from_ref(black_box(&f.injected)),
                settings,
                &context,
                cmd,
            )
            .map_or(0, |d| d.tickets.len())
        },
    ));
    cases.push(case(
        "lock a spectator",
        (
            organizer.clone(),
            LockSpectator {
                staff,
                spectator: f.alice.clone(),
                reason,
                at: AT,
            },
        ),
        |_, (settings, cmd)| spectator::lock(None, settings, cmd).map_or(0, |d| d.spectators.len()),
    ));
    cases.push(case(
        "assign a holder",
        (
            organizer.clone(),
            AssignHolder {
                ticket: f.injected.id,
                actor: f.alice.clone(),
                holder: TicketHolder {
                    first_name: "Ada".into(),
                    last_name: "Lovelace".into(),
                    ..TicketHolder::default()
                },
                reason: None,
                at: AT,
            },
        ),
        |f, (settings, cmd)| {
            holder::assign(black_box(&f.injected), &f.rule, settings, None, cmd)
                .map_or(0, |d| d.tickets.len())
        },
    ));
    cases.push(case(
        "put on resale",
        (
            f.pos.clone().with_resale(true, true),
            PutOnResale {
                ticket: f.injected.id,
                point_of_sale: f.pos.id,
                actor: f.alice.clone(),
                buyer: f.carol.clone(),
                buyer_ticket: TicketId::from_u128(9),
                at: AT,
            },
        ),
        |f, (pos, cmd)| {
            resale::put_on_resale(black_box(&f.injected), pos, &[], cmd)
                .map_or(0, |d| d.tickets.len())
        },
    ));
    for (name, backward) in [
        ("accept BACKWARD, NEUTRAL", TransferBackward::Neutral),
        ("accept BACKWARD, DECREASE", TransferBackward::Decrease),
        ("accept BACKWARD, INCREASE", TransferBackward::Increase),
    ] {
        cases.push(case(
            name,
            (accept_backward.clone(), with(backward)),
            |f, (cmd, rule)| {
                let pending = std::slice::from_ref(black_box(&f.backward_pending));
                transfer::accept(&f.backward_group, pending, rule, cmd)
                    .map_or(0, |d| d.tickets.len())
            },
        ));
    }
    cases
}

fn criterion_benches(c: &mut Criterion) {
    let f = fixture();
    let mut group = c.benchmark_group("transitions");
    for (name, case) in cases(&f) {
        assert!(
            case(&f) > 0 || name.starts_with("clone"),
            "{name} must succeed on its prepared state"
        );
        group.bench_function(name, |b| b.iter(|| case(black_box(&f))));
    }
    group.finish();
}

criterion_group!(benches, criterion_benches);

/// Median of per-batch means, in nanoseconds, and allocations per call.
fn measure(f: &Fixture, case: &dyn Fn(&Fixture) -> usize) -> (f64, f64) {
    const BATCH: u32 = 20_000;
    let mut means = Vec::new();
    let deadline = Instant::now() + Duration::from_millis(400);
    while means.len() < 21 || Instant::now() < deadline {
        let start = Instant::now();
        for _ in 0..BATCH {
            black_box(case(black_box(f)));
        }
        means.push(start.elapsed().as_nanos() as f64 / f64::from(BATCH));
    }
    means.sort_by(f64::total_cmp);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..1_000 {
        black_box(case(black_box(f)));
    }
    let allocations = (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / 1_000.0;
    (means[means.len() / 2], allocations)
}

/// How many calls the instruction count of a transition is divided by.
const COUNTED_CALLS: u32 = 10_000;

/// The environment variable naming the one case a counting child process runs.
const CASE_VARIABLE: &str = "SECURE_TICKET_BENCH_CASE";

/// The loop callgrind collects in (`--toggle-collect`): [`COUNTED_CALLS`] calls of `case`.
#[inline(never)]
fn counted_calls(f: &Fixture, case: &dyn Fn(&Fixture) -> usize) -> usize {
    let mut sum = 0_usize;
    for _ in 0..COUNTED_CALLS {
        sum = sum.wrapping_add(black_box(case(black_box(f))));
    }
    sum
}

/// Instructions per call of the case named `name`, counted by callgrind in a child process;
/// `None` without valgrind.
fn instructions(name: &str) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let output = std::process::Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            "--toggle-collect=*counted_calls*",
        ])
        .arg(exe)
        .env(CASE_VARIABLE, name)
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let collected = stderr.lines().find_map(|line| {
        line.split_once("Collected :")
            .map(|(_, n)| n.trim().to_owned())
    })?;
    let count: f64 = collected.replace(',', "").parse().ok()?;
    Some(count / f64::from(COUNTED_CALLS))
}

fn summary() {
    let f = fixture();
    let cases = cases(&f);
    let counting = std::process::Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    println!(
        "\nsummary (median of batch means; instructions per call counted by callgrind{})",
        if counting { "" } else { ": valgrind not found" }
    );
    println!(
        "{:<34} {:>10} {:>14} {:>12}",
        "transition", "median ns", "instructions", "allocs/call"
    );
    for (name, case) in &cases {
        let (median, allocations) = measure(&f, &**case);
        let instructions = if counting { instructions(name) } else { None }
            .map_or_else(|| "n/a".to_owned(), |i| format!("{i:.0}"));
        println!("{name:<34} {median:>10.1} {instructions:>14} {allocations:>12.2}");
    }
}

fn main() {
    // A counting child: run one case under callgrind's eye, and nothing else.
    if let Ok(name) = std::env::var(CASE_VARIABLE) {
        let f = fixture();
        if let Some((_, case)) = cases(&f).into_iter().find(|(n, _)| *n == name) {
            black_box(counted_calls(&f, &*case));
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
