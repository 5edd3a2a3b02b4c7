//! The `testkit` conformance suite on both stores: all at once, and one test per check so a
//! failure is named.

use secure_ticket::store::conformance::{self, CHECKS};

use crate::common::{AsyncMemory, AsyncSqlite, Memory, Sqlite};

#[test]
fn run_all_on_memory_store() {
    assert_eq!(conformance::run_all(&Memory).unwrap(), CHECKS.len());
}

#[test]
fn run_all_on_sqlite_store_with_two_connections() {
    assert_eq!(
        conformance::run_all(&Sqlite::default()).unwrap(),
        CHECKS.len()
    );
}

#[test]
fn run_all_on_memory_store_through_the_async_contract() {
    assert_eq!(
        conformance::run_all_async(&AsyncMemory::default()).unwrap(),
        CHECKS.len()
    );
}

#[test]
fn run_all_on_sqlite_store_through_the_async_contract() {
    assert_eq!(
        conformance::run_all_async(&AsyncSqlite::default()).unwrap(),
        CHECKS.len()
    );
}

/// One test per check and store; `NAMED` lists the checks covered, in the suite's order.
macro_rules! one_test_per_check {
    ($($test:ident => $check:literal),* $(,)?) => {
        const NAMED: &[&str] = &[$($check),*];

        mod memory {
            $(
                #[test]
                fn $test() {
                    secure_ticket::store::conformance::run_one(&crate::common::Memory, $check)
                        .unwrap();
                }
            )*
        }

        mod sqlite {
            $(
                #[test]
                fn $test() {
                    secure_ticket::store::conformance::run_one(
                        &crate::common::Sqlite::default(),
                        $check,
                    )
                    .unwrap();
                }
            )*
        }

        mod memory_async {
            $(
                #[test]
                fn $test() {
                    secure_ticket::store::conformance::run_one_async(
                        &crate::common::AsyncMemory::default(),
                        $check,
                    )
                    .unwrap();
                }
            )*
        }

        mod sqlite_async {
            $(
                #[test]
                fn $test() {
                    secure_ticket::store::conformance::run_one_async(
                        &crate::common::AsyncSqlite::default(),
                        $check,
                    )
                    .unwrap();
                }
            )*
        }
    };
}

one_test_per_check! {
    x4_get_after_put => "get_after_put",
    x5_every_record_kind_round_trips => "every_record_kind_round_trips",
    x4_every_record_kind_versioned => "every_record_kind_versioned",
    x4_update_bumps_version => "update_bumps_version",
    x4_stale_version_refused_nothing_written => "stale_version_refused_nothing_written",
    x4_create_over_existing_refused => "create_over_existing_refused",
    x4_expected_existing_but_absent_refused => "expected_existing_but_absent_refused",
    x4_batch_atomic_on_middle_conflict => "batch_atomic_on_middle_conflict",
    x4_duplicate_key_in_batch_refused => "duplicate_key_in_batch_refused",
    x4_missing_ids_absent => "missing_ids_absent",
    x4_batched_load_of_many => "batched_load_of_many",
    x4_reads_after_writes_across_handles => "reads_after_writes_across_handles",
    x4_racing_handles_exactly_one_winner => "racing_handles_exactly_one_winner",
    x5_unreadable_record_refused => "unreadable_record_refused",
    x5_newer_format_refused => "newer_format_refused",
    x4_read_follows_plan => "read_follows_plan",
    q1_index_matches_a_scan_after_random_batches => "index_matches_a_scan_after_random_batches",
    q1_refused_batch_changes_no_index_nor_feed => "refused_batch_changes_no_index_nor_feed",
    q7_paging_neither_repeats_nor_skips => "paging_neither_repeats_nor_skips",
    f2_feed_is_ordered_and_complete => "feed_is_ordered_and_complete",
    x8_prune_is_bounded_and_waits_for_readers => "prune_is_bounded_and_waits_for_readers",
    b11_one_valid_ticket_per_right => "one_valid_ticket_per_right",
}

#[test]
fn every_check_has_its_own_test() {
    assert_eq!(
        NAMED, CHECKS,
        "add a line to one_test_per_check! for each new check"
    );
}

#[test]
fn an_unknown_check_name_fails() {
    let failure = conformance::run_one(&Memory, "no_such_check").unwrap_err();
    assert!(failure.detail.contains("no_such_check"), "{failure}");
}
