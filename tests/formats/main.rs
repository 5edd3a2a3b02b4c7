//! Golden format tests (SPEC X5): every build must read every fixture in `tests/fixtures/v1/` and
//! reproduce it byte for byte from the canonical samples below. Fixtures are never edited; a new
//! format gets a new folder. To create a missing fixture (a new sample), run with
//! `SECURE_TICKET_WRITE_MISSING_FIXTURES=1`; existing files are never overwritten.
//!
//! Beside them, [`rules_page`] keeps the docs' `rules` page true to the tests and the rules.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::path::{Path, PathBuf};

use secure_ticket::injection::{DistributionEntry, EntryStatus, LastFeedback, LifecycleStatus};
use secure_ticket::service::{Command, CommandRecord, Request};
use secure_ticket::store::{Decoded, Envelope, Record, RecordKey, StoreError};
use secure_ticket::transfer::{
    AcceptTransfer, Acceptance, Direction, TransferGroup, TransferStatus,
};
use secure_ticket::{
    AcceptanceSettings, Activation, ActivationMethod, CommandId, Distribution, Email, Event,
    InternetTheme, Invalidation, InvalidationReason, OrganizerId, OrganizerSettings, Owners,
    PointOfSale, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketHolder,
    TicketId, TixngoInterface, TransferBackward, TransferGroupId, TransferLimit, UsageRule,
    UsageRuleId, Wallet,
};
use time::Duration;
use time::macros::datetime;

mod rules_page;

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn ticket_in_wallet() -> Ticket {
    let at = datetime!(2026-11-23 12:00 UTC);
    let mut distribution = Distribution::new(
        PointOfSaleId::from_u128(0x50),
        ShipmentMode::secure_mobile(ShipmentModeId::from_u128(0x60)),
    )
    .with_cultural_contact(email("bob@example.com"))
    .with_holder(TicketHolder {
        first_name: "Bob".into(),
        last_name: "Martin".into(),
        birth_date: Some("1990-04-01".into()),
        identity_number: None,
    });
    distribution.printed = true;
    distribution.last_feedback = Some(LastFeedback {
        status: LifecycleStatus::Transferred,
        at,
    });
    distribution.entries = vec![DistributionEntry {
        group: TransferGroupId::from_u128(0x70),
        sender: email("alice@example.com"),
        recipient: email("bob@example.com"),
        status: EntryStatus::Confirmed,
        at,
    }]
    .into();
    Ticket {
        wallet: Some(Wallet {
            owners: Owners {
                initial: email("alice@example.com"),
                previous: Some(email("alice@example.com")),
                current: email("bob@example.com"),
            },
            level: 1,
            level_before_last_forward: 0,
            forward_transfers: 1,
            backward_transfers: 0,
            downloaded_at: Some(at),
            activated: Some(Activation {
                at,
                method: ActivationMethod::Bt,
            }),
            checked_at: None,
            controlled_at: None,
            ..Wallet::injected(
                UsageRuleId::from_u128(0x80),
                email("alice@example.com"),
                at - Duration::days(1),
            )
        }),
        ..Ticket::new(
            TicketId::from_u128(0x10),
            RightId::from_u128(0x20),
            distribution,
        )
    }
}

fn ticket_taken_back() -> Ticket {
    let at = datetime!(2026-11-24 09:30 UTC);
    let mut ticket = ticket_in_wallet();
    ticket.id = TicketId::from_u128(0x11);
    ticket.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::MobileTakeBack,
        at,
        replaced_by: Some(TicketId::from_u128(0x12)),
    });
    if let Some(wallet) = ticket.wallet.as_mut() {
        wallet.pending_group = Some(TransferGroupId::from_u128(0x71));
        wallet.deletion_requested_at = Some(at);
        wallet.deleted_at = Some(at + Duration::minutes(5));
    }
    ticket
}

fn group() -> TransferGroup {
    TransferGroup {
        id: TransferGroupId::from_u128(0x70),
        sender: email("alice@example.com"),
        recipient: email("bob@example.com"),
        direction: Direction::Backward,
        tickets: vec![TicketId::from_u128(0x10), TicketId::from_u128(0x13)].into(),
        status: TransferStatus::Expired,
        acceptance: Acceptance::Automatic,
        created_at: datetime!(2026-11-23 12:00 UTC),
        expires_at: Some(datetime!(2026-11-25 12:00 UTC)),
        closed_at: Some(datetime!(2026-11-25 12:00:01 UTC)),
        replaces: Some(TransferGroupId::from_u128(0x6f)),
    }
}

fn point_of_sale() -> PointOfSale {
    PointOfSale::b2b(PointOfSaleId::from_u128(0x50))
        .with_mobile_take_back(true)
        .with_take_back_shipment_mode(Some(ShipmentMode::print_at_home(
            ShipmentModeId::from_u128(0x61),
        )))
        .with_theme(
            InternetTheme::parse(
                "distribution.list.activateAdvancedView = true\ncolor.primary = #003366",
            )
            .unwrap(),
        )
}

fn usage_rule() -> UsageRule {
    UsageRule::new(UsageRuleId::from_u128(0x80))
        .with_max_transfers(TransferLimit::new(3).unwrap())
        .with_transfer_backward(TransferBackward::Decrease)
        .with_transfer_after(true, false, true)
}

fn settings() -> OrganizerSettings {
    OrganizerSettings::new(OrganizerId::from_u128(0x90))
        .with_acceptance(AcceptanceSettings::explicit().with_expiry(Duration::hours(48)))
        .with_interface(
            TixngoInterface::from_custom_parameters([
                (
                    "resetInjectionInvalidationReasons",
                    "MOBILE_TAKE_BACK, REFUND",
                ),
                ("overlaySpectatirDetailsWithLastOwner", "false"),
                ("batchSize", "500"),
            ])
            .unwrap(),
        )
}

fn command() -> CommandRecord {
    let at = datetime!(2026-11-23 12:05 UTC);
    let request = Request {
        id: CommandId::from_u128(0xa0),
        organizer: OrganizerId::from_u128(0x90),
        command: Command::Accept(AcceptTransfer {
            group: TransferGroupId::from_u128(0x70),
            actor: email("bob@example.com"),
            at,
        }),
    };
    CommandRecord {
        id: request.id,
        request,
        events: vec![
            Event::TransferAccepted {
                group: TransferGroupId::from_u128(0x70),
                automatic: false,
                at,
            },
            Event::TicketTransferred {
                ticket: TicketId::from_u128(0x10),
                group: TransferGroupId::from_u128(0x70),
                direction: Direction::Forward,
                from: email("alice@example.com"),
                to: email("bob@example.com"),
                level_before: 0,
                level_after: 1,
                at,
            },
        ],
    }
}

fn samples() -> Vec<(&'static str, Record)> {
    vec![
        ("ticket_in_wallet", Record::Ticket(ticket_in_wallet())),
        ("ticket_taken_back", Record::Ticket(ticket_taken_back())),
        ("transfer_group", Record::TransferGroup(group())),
        ("point_of_sale", Record::PointOfSale(point_of_sale())),
        ("usage_rule", Record::UsageRule(usage_rule())),
        ("settings", Record::Settings(settings())),
        ("command", Record::Command(Box::new(command()))),
    ]
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1")
}

fn encode(record: &Record) -> String {
    let mut json = serde_json::to_string_pretty(&Envelope::new(record.clone())).unwrap();
    json.push('\n');
    json
}

#[test]
fn x5_every_build_reads_and_reproduces_the_v1_fixtures() {
    let write_missing = std::env::var_os("SECURE_TICKET_WRITE_MISSING_FIXTURES").is_some();
    for (name, sample) in samples() {
        let path = dir().join(format!("{name}.json"));
        if !path.exists() && write_missing {
            std::fs::write(&path, encode(&sample)).unwrap();
        }
        let stored = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (a fixture is missing)", path.display()));
        let decoded: Decoded = serde_json::from_str(&stored).unwrap();
        assert_eq!(
            decoded.into_record(sample.key()).unwrap(),
            sample,
            "{name}: reading the fixture"
        );
        assert_eq!(
            encode(&sample),
            stored,
            "{name}: the format changed; add a new format, never edit v1"
        );
    }
}

#[test]
fn x5_every_fixture_file_is_a_known_sample() {
    let names: Vec<String> = samples().iter().map(|(n, _)| format!("{n}.json")).collect();
    for entry in std::fs::read_dir(dir()).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            names.contains(&file),
            "{file} is in tests/fixtures/v1 but no sample reproduces it"
        );
    }
}

#[test]
fn x5_a_newer_format_is_refused_with_a_typed_error() {
    let key = RecordKey::Ticket(TicketId::from_u128(0x10));
    let newer = r#"{"format": 2, "min_reader": 2, "record_data": {"kind": "TICKET", "value": {"brand_new": true}}}"#;
    let decoded: Decoded = serde_json::from_str(newer).unwrap();
    match decoded.into_record(key) {
        Err(StoreError::UnsupportedFormat {
            key: k,
            format: 2,
            min_reader: 2,
            reader: 1,
        }) => assert_eq!(k, key),
        other => panic!("expected UnsupportedFormat, got {other:?}"),
    }
}

#[test]
fn x5_a_newer_format_readable_by_this_build_loads_and_ignores_unknown_fields() {
    // A later format that only added information keeps min_reader at 1: this build reads it.
    let mut value: serde_json::Value =
        serde_json::from_str(&encode(&Record::UsageRule(usage_rule()))).unwrap();
    value["format"] = 2.into();
    value["extra_envelope_field"] = "ignored".into();
    value["record_data"]["value"]["transfer_after_payment"] = true.into();
    let decoded: Decoded = serde_json::from_value(value).unwrap();
    assert_eq!(
        decoded
            .into_record(RecordKey::UsageRule(usage_rule().id))
            .unwrap(),
        Record::UsageRule(usage_rule())
    );
}

#[test]
fn x5_a_record_under_the_wrong_key_is_corrupt() {
    let decoded: Decoded = serde_json::from_str(&encode(&Record::UsageRule(usage_rule()))).unwrap();
    let wrong = RecordKey::UsageRule(UsageRuleId::from_u128(1));
    assert!(
        matches!(decoded.into_record(wrong), Err(StoreError::Corrupt { key, .. }) if key == wrong)
    );
}

#[test]
fn x5_truncated_or_garbage_records_are_decode_errors_not_panics() {
    let full = encode(&Record::Ticket(ticket_in_wallet()));
    for cut in (0..full.len()).step_by(7) {
        let _ = serde_json::from_str::<Decoded>(full.get(..cut).unwrap_or_default());
    }
    assert!(serde_json::from_str::<Decoded>("{\"format\":1}").is_err());
    assert!(serde_json::from_str::<Decoded>("[1, 1, 7]").is_err());
}
