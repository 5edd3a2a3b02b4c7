//! The state-machine test (`model_*`), one test per invariant (named after its rule), the negative
//! controls, and the coverage table of the generators.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

use crate::kinds::{catalogue, commands, unreachable_through_the_shell};
use crate::reference::{Model, Reference, Step};
use crate::sut::{Bug, COVERAGE, Checks, Sut, run_case};

/// The model test's case budget in CI; `PROPTEST_CASES` raises it for a deep run.
const CI_CASES: u32 = 1_000;
/// Cases of each rule-named test (each checks one invariant, without the model).
const RULE_CASES: u32 = 96;
/// The seed of the negative controls: fixed, so that a run is reproducible.
const CONTROL_SEED: u64 = 0x5eed_0005;

/// The real core against the reference model.
#[derive(Debug)]
pub(crate) struct ModelTest;

impl StateMachineTest for ModelTest {
    type SystemUnderTest = Sut;
    type Reference = Reference;

    fn init_test(model: &Model) -> Sut {
        Sut::new(model, None, Checks::ALL, true).unwrap_or_else(|e| panic!("{e}"))
    }

    fn apply(mut sut: Sut, model: &Model, step: Step) -> Sut {
        sut.apply(model, &step).unwrap_or_else(|e| panic!("{e}"));
        sut
    }

    fn check_invariants(sut: &Sut, model: &Model) {
        sut.check_invariants(model)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// The sampled checks (paging, lists of tickets, the whole feed) once more at the end.
    fn teardown(sut: Sut, model: Model) {
        sut.finish(&model).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// `PROPTEST_CASES` when set (a deep run), else `default`: an explicit `cases` would otherwise
/// ignore the variable, which proptest reads only into its default configuration.
pub(crate) fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn model_config() -> Config {
    Config {
        cases: cases(CI_CASES),
        max_shrink_iters: 4_096,
        ..Config::default()
    }
}

prop_state_machine! {
    #![proptest_config(model_config())]
    /// 1,000 cases (or `PROPTEST_CASES`) of 1..100 commands; every check after every step.
    fn model_state_machine(sequential 1..100 => ModelTest);
}

/// The model test: the core and the reference model agree on every outcome and every record after
/// every step, and every invariant holds; then the outcome counts and the blind spots are printed.
#[test]
fn model_core_matches_reference_model() {
    model_state_machine();
    println!("{}", coverage_report());
}

/// The coverage table: by command, how often each outcome occurred; then the outcomes of the
/// catalogue never reached (blind spots), apart from those the shell makes unreachable.
fn coverage_report() -> String {
    let coverage = COVERAGE.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let total: u64 = coverage.values().sum();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n== coverage: {total} steps of the model test, by command and outcome"
    );
    for command in commands() {
        let rows: BTreeMap<&String, u64> = coverage
            .iter()
            .filter(|((c, _), _)| *c == command)
            .map(|((_, outcome), n)| (outcome, *n))
            .collect();
        let sum: u64 = rows.values().sum();
        let _ = writeln!(out, "{command} ({sum})");
        for (outcome, n) in rows {
            let _ = writeln!(out, "  {n:>8}  {outcome}");
        }
    }
    let (mut blind, mut unreachable) = (Vec::new(), Vec::new());
    for (command, outcomes) in catalogue() {
        for outcome in outcomes {
            if coverage.contains_key(&(command, outcome.clone())) {
                continue;
            }
            match unreachable_through_the_shell(command, &outcome) {
                Some(why) => unreachable.push(format!("{command}: {outcome} ({why})")),
                None => blind.push(format!("{command}: {outcome}")),
            }
        }
    }
    let _ = writeln!(
        out,
        "\n== blind spots (never reached, reachable in principle): {}",
        blind.len()
    );
    for line in &blind {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(
        out,
        "\n== never reached, unreachable through the shell: {}",
        unreachable.len()
    );
    for line in &unreachable {
        let _ = writeln!(out, "  {line}");
    }
    out
}

/// Runs the machine with one check on and the model comparison off.
fn run_rule(checks: Checks) {
    let mut runner = TestRunner::new(Config {
        cases: cases(RULE_CASES),
        failure_persistence: None,
        max_shrink_iters: 4_096,
        ..Config::default()
    });
    let result = runner.run(
        &Reference::sequential_strategy(1..100),
        |(init, steps, seen)| {
            run_case(&init, &steps, seen.as_deref(), None, checks).map_err(TestCaseError::fail)
        },
    );
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

#[test]
fn x1_error_leaves_state_byte_identical() {
    run_rule(Checks::X1);
}

#[test]
fn x3_retry_changes_nothing() {
    run_rule(Checks::X3);
}

#[test]
fn x5_every_state_round_trips() {
    run_rule(Checks::ROUND_TRIP);
}

#[test]
fn b11_at_most_one_valid_ticket_per_right() {
    run_rule(Checks::ONE_VALID);
}

#[test]
fn b11_no_ticket_lost() {
    run_rule(Checks::NONE_LOST);
}

#[test]
fn t9_level_within_limit() {
    run_rule(Checks::LEVEL);
}

#[test]
fn w2_initial_owner_never_changes() {
    run_rule(Checks::INITIAL_OWNER);
}

#[test]
fn t6_backward_goes_to_previous_owner() {
    run_rule(Checks::BACKWARD);
}

#[test]
fn t4_at_most_one_pending_group_per_ticket() {
    run_rule(Checks::ONE_PENDING);
}

#[test]
fn q2_wallet_matches_reference_model() {
    run_rule(Checks::WALLET);
}

#[test]
fn q3_history_matches_reference_model() {
    run_rule(Checks::HISTORY);
}

#[test]
fn q6_tickets_of_right_and_point_of_sale_match_reference_model() {
    run_rule(Checks::STANDING);
}

#[test]
fn q7_paging_neither_repeats_nor_skips() {
    run_rule(Checks::PAGING);
}

#[test]
fn f1_f2_feed_holds_every_accepted_command_once_in_order() {
    run_rule(Checks::FEED);
}

#[test]
fn x7_another_organizer_sees_nothing() {
    run_rule(Checks::TENANCY);
}

/// Runs the model test, every check on, against a store that seeds `bug`, with a fixed seed and
/// the CI case budget; returns after how many cases it was caught, and why.
fn catch(bug: Bug) -> (u32, String) {
    let mut runner = TestRunner::new(Config {
        cases: CI_CASES,
        failure_persistence: None,
        max_shrink_iters: 0,
        rng_seed: RngSeed::Fixed(CONTROL_SEED),
        ..Config::default()
    });
    let cases = Cell::new(0u32);
    let result = runner.run(
        &Reference::sequential_strategy(1..100),
        // Without shrinking the strategy's counter of steps run must stay untouched: proptest reads
        // the failing value again, and the strategy refuses a used counter outside shrinking.
        |(init, steps, _)| {
            cases.set(cases.get() + 1);
            run_case(&init, &steps, None, Some(bug), Checks::ALL).map_err(TestCaseError::fail)
        },
    );
    match result {
        Err(TestError::Fail(why, _)) => {
            let why = why.to_string();
            println!(
                "negative control {bug:?}: caught after {} cases: {}",
                cases.get(),
                why.lines().next().unwrap_or_default()
            );
            (cases.get(), why)
        }
        Err(TestError::Abort(why)) => panic!("negative control {bug:?}: aborted: {why}"),
        Ok(()) => panic!(
            "negative control {bug:?} was NOT caught in {CI_CASES} cases: the checker does not bite"
        ),
    }
}

#[test]
fn negative_control_level_not_raised_on_accept_is_caught() {
    let (cases, why) = catch(Bug::LevelNotRaisedOnAccept);
    assert!(cases <= CI_CASES);
    assert!(why.contains("model:"), "{why}");
}

#[test]
fn negative_control_decline_that_moves_the_ticket_is_caught() {
    let (cases, why) = catch(Bug::DeclineMovesTicket);
    assert!(cases <= CI_CASES);
    assert!(why.contains("model:"), "{why}");
}

#[test]
fn negative_control_take_back_that_leaves_the_old_ticket_valid_is_caught() {
    let (cases, why) = catch(Bug::TakeBackLeavesOldValid);
    assert!(cases <= CI_CASES);
    assert!(
        why.contains("b11_at_most_one_valid_ticket_per_right"),
        "{why}"
    );
}

#[test]
fn negative_control_resale_that_leaves_the_ticket_valid_is_caught() {
    let (cases, why) = catch(Bug::ResaleLeavesTicketValid);
    assert!(cases <= CI_CASES);
    assert!(
        why.contains("b11_at_most_one_valid_ticket_per_right"),
        "{why}"
    );
}

#[test]
fn negative_control_lost_command_record_is_caught() {
    let (cases, why) = catch(Bug::CommandRecordLost);
    assert!(cases <= CI_CASES);
    assert!(why.contains("x3_retry_changes_nothing"), "{why}");
}

#[test]
fn negative_control_lost_index_additions_are_caught() {
    let (cases, why) = catch(Bug::IndexAdditionsLost);
    assert!(cases <= CI_CASES);
    assert!(why.contains("q2_wallet_matches_reference_model"), "{why}");
}

#[test]
fn negative_control_lost_feed_entry_is_caught() {
    let (cases, why) = catch(Bug::FeedEntryLost);
    assert!(cases <= CI_CASES);
    assert!(
        why.contains("f1_f2_feed_holds_every_accepted_command_once_in_order"),
        "{why}"
    );
}

#[test]
fn negative_control_lost_spectator_record_is_caught() {
    let (cases, why) = catch(Bug::SpectatorRecordLost);
    assert!(cases <= CI_CASES);
    assert!(why.contains("model:"), "{why}");
}
