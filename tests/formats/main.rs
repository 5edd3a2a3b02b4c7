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

use secure_ticket::command::{RecordedOutcome, Refusal};
use secure_ticket::feed::{Position, ReaderCursor, ReaderName};
use secure_ticket::injection::{DistributionEntry, EntryStatus, LastFeedback, LifecycleStatus};
use secure_ticket::service::{Command, CommandRecord, Request};
use secure_ticket::store::{Decoded, Envelope, Record, RecordKey, StoreError};
use secure_ticket::transfer::{
    AcceptTransfer, AcceptTransferError, Acceptance, Direction, TransferGroup, TransferStatus,
};
use secure_ticket::{
    AcceptanceSettings, Activation, ActivationMethod, CommandId, Distribution, Email, Event,
    InternetTheme, Invalidation, InvalidationReason, OrganizerId, OrganizerSettings, Owners,
    Performance, PerformanceId, PointOfSale, PointOfSaleId, RightId, RuleError, ShipmentMode,
    ShipmentModeId, Ticket, TicketHolder, TicketId, TixngoInterface, TransferBackward,
    TransferGroupId, TransferLimit, UsageRule, UsageRuleId, Wallet,
};
use time::Duration;
use time::macros::datetime;

mod json;
mod rules_page;

/// The organizer of the format-2 samples; format-1 ones read as the nil organizer.
const ORG: OrganizerId = OrganizerId::from_u128(0x90);

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
        sequence: 0, // written by builds without sequences: the field is absent
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
            ORG,
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
        organizer: ORG,
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
        performance_ends_at: None,
        back_office: None,
    }
}

fn point_of_sale() -> PointOfSale {
    PointOfSale::b2b(ORG, PointOfSaleId::from_u128(0x50))
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
    UsageRule::new(ORG, UsageRuleId::from_u128(0x80))
        .with_max_transfers(TransferLimit::new(3).unwrap())
        .with_transfer_backward(TransferBackward::Decrease)
        .with_transfer_after(true, false, true)
}

fn settings() -> OrganizerSettings {
    OrganizerSettings::new(OrganizerId::from_u128(0x90))
        .with_acceptance(
            AcceptanceSettings::explicit()
                .with_expiry(Duration::hours(48))
                .unwrap(),
        )
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

fn accept_request() -> Request {
    Request {
        id: CommandId::from_u128(0xa0),
        organizer: ORG,
        command: Command::Accept(AcceptTransfer {
            group: TransferGroupId::from_u128(0x70),
            actor: email("bob@example.com"),
            at: datetime!(2026-11-23 12:05 UTC),
        }),
    }
}

fn accept_events() -> Vec<Event> {
    let at = datetime!(2026-11-23 12:05 UTC);
    vec![
        Event::TransferAccepted {
            back_office: None,
            group: TransferGroupId::from_u128(0x70),
            automatic: false,
            at,
        },
        Event::TicketTransferred {
            back_office: None,
            ticket: TicketId::from_u128(0x10),
            group: TransferGroupId::from_u128(0x70),
            direction: Direction::Forward,
            from: email("alice@example.com"),
            to: email("bob@example.com"),
            level_before: 0,
            level_after: 1,
            at,
        },
    ]
}

/// A format-2 command record: the digest of the request, the outcome, no events.
fn command() -> CommandRecord {
    let request = accept_request();
    CommandRecord {
        organizer: ORG,
        id: request.id,
        digest: request.digest(),
        at: request.command.at(),
        outcome: RecordedOutcome::Accepted { events: 2 },
    }
}

fn refused_command() -> CommandRecord {
    let mut request = accept_request();
    request.id = CommandId::from_u128(0xa1);
    CommandRecord {
        organizer: ORG,
        id: request.id,
        digest: request.digest(),
        at: request.command.at(),
        outcome: RecordedOutcome::Refused {
            refusal: Refusal::Rule {
                refusal: RuleError::from(AcceptTransferError::NotRecipient {
                    group: TransferGroupId::from_u128(0x70),
                    actor: email("bob@example.com"),
                }),
            },
        },
    }
}

fn performance() -> Performance {
    Performance::new(
        ORG,
        PerformanceId::from_u128(0xb0),
        datetime!(2026-12-20 20:00 UTC),
        datetime!(2026-12-20 22:30 UTC),
    )
    .unwrap()
}

fn reader() -> ReaderCursor {
    ReaderCursor {
        position: Position::new(42),
        ..ReaderCursor::new(ORG, ReaderName::parse("s360-feedback").unwrap())
    }
}

/// Every format-2 record kind, as written now: the fixtures of `tests/fixtures/v2/`.
fn samples() -> Vec<(&'static str, Record)> {
    let mut placed = ticket_in_wallet();
    placed.performance = Some(performance().id);
    vec![
        ("ticket_in_wallet", Record::Ticket(placed)),
        ("ticket_taken_back", Record::Ticket(ticket_taken_back())),
        ("transfer_group", Record::TransferGroup(group())),
        ("point_of_sale", Record::PointOfSale(point_of_sale())),
        ("usage_rule", Record::UsageRule(usage_rule())),
        ("settings", Record::Settings(settings())),
        ("command", Record::Command(command())),
        ("command_refused", Record::Command(refused_command())),
        ("performance", Record::Performance(performance())),
        ("reader", Record::Reader(reader())),
    ]
}

/// The format-1 fixtures as this build reads them (X5): records without an organizer belong to
/// the nil organizer; a command record keeps its events and gets the digest of its request.
fn v1_samples() -> Vec<(&'static str, Record)> {
    let nil = OrganizerId::default();
    let mut ticket_in_wallet = ticket_in_wallet();
    ticket_in_wallet.organizer = nil;
    let mut ticket_taken_back = ticket_taken_back();
    ticket_taken_back.organizer = nil;
    let mut group = group();
    group.organizer = nil;
    let mut point_of_sale = point_of_sale();
    point_of_sale.organizer = nil;
    let mut usage_rule = usage_rule();
    usage_rule.organizer = nil;
    let request = accept_request();
    let command = CommandRecord {
        organizer: request.organizer,
        id: request.id,
        digest: request.digest(),
        at: request.command.at(),
        outcome: RecordedOutcome::Kept {
            events: accept_events(),
        },
    };
    vec![
        ("ticket_in_wallet", Record::Ticket(ticket_in_wallet)),
        ("ticket_taken_back", Record::Ticket(ticket_taken_back)),
        ("transfer_group", Record::TransferGroup(group)),
        ("point_of_sale", Record::PointOfSale(point_of_sale)),
        ("usage_rule", Record::UsageRule(usage_rule)),
        ("settings", Record::Settings(settings())),
        ("command", Record::Command(command)),
    ]
}

fn dir(format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format)
}

fn encode(record: &Record) -> String {
    let mut json = serde_json::to_string_pretty(&Envelope::new(record.clone())).unwrap();
    json.push('\n');
    json
}

fn decode(stored: &str, key: RecordKey) -> Record {
    let decoded: Decoded = serde_json::from_str(stored).unwrap();
    decoded.into_record(key).unwrap()
}

#[test]
fn x5_every_build_reads_the_v1_fixtures() {
    for (name, sample) in v1_samples() {
        let path = dir("v1").join(format!("{name}.json"));
        let stored = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (a fixture is missing)", path.display()));
        assert!(
            stored.contains("\"format\": 1"),
            "{name}: a v1 fixture is format 1"
        );
        assert_eq!(
            decode(&stored, sample.key()),
            sample,
            "{name}: reading the fixture"
        );
    }
}

#[test]
fn x7_format_1_records_belong_to_the_nil_organizer_and_settings_to_their_id() {
    for (name, sample) in v1_samples() {
        let expected = match &sample {
            Record::Settings(s) => s.id,
            Record::Command(c) => c.organizer,
            _ => OrganizerId::default(),
        };
        assert_eq!(sample.organizer(), expected, "{name}");
    }
    // A format-1 command record still tells a retry from a reuse: its digest is its request's.
    let stored = std::fs::read_to_string(dir("v1").join("command.json")).unwrap();
    let Record::Command(record) = decode(&stored, v1_samples()[6].1.key()) else {
        panic!("the v1 command fixture is a command record");
    };
    assert_eq!(record.digest, accept_request().digest());
}

#[test]
fn x5_every_build_reads_and_reproduces_the_v2_fixtures() {
    let write_missing = std::env::var_os("SECURE_TICKET_WRITE_MISSING_FIXTURES").is_some();
    for (name, sample) in samples() {
        let path = dir("v2").join(format!("{name}.json"));
        if !path.exists() && write_missing {
            std::fs::create_dir_all(dir("v2")).unwrap();
            std::fs::write(&path, encode(&sample)).unwrap();
        }
        let stored = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (a fixture is missing)", path.display()));
        assert_eq!(
            decode(&stored, sample.key()),
            sample,
            "{name}: reading the fixture"
        );
        assert_eq!(
            encode(&sample),
            stored,
            "{name}: the format changed; add a new format, never edit v2"
        );
    }
}

#[test]
fn x5_every_fixture_file_is_a_known_sample() {
    for (format, names) in [
        (
            "v1",
            v1_samples()
                .iter()
                .map(|(n, _)| format!("{n}.json"))
                .collect::<Vec<_>>(),
        ),
        (
            "v2",
            samples().iter().map(|(n, _)| format!("{n}.json")).collect(),
        ),
    ] {
        for entry in std::fs::read_dir(dir(format)).unwrap() {
            let file = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                names.contains(&file),
                "{file} is in tests/fixtures/{format} but no sample reproduces it"
            );
        }
    }
}

#[test]
fn x5_a_newer_format_is_refused_with_a_typed_error() {
    let key = RecordKey::Ticket(TicketId::from_u128(0x10));
    let newer = r#"{"format": 3, "min_reader": 3, "record_data": {"kind": "TICKET", "value": {"brand_new": true}}}"#;
    let decoded: Decoded = serde_json::from_str(newer).unwrap();
    match decoded.into_record(key) {
        Err(StoreError::UnsupportedFormat {
            key: k,
            format: 3,
            min_reader: 3,
            reader: 2,
        }) => assert_eq!(k, key),
        other => panic!("expected UnsupportedFormat, got {other:?}"),
    }
}

#[test]
fn x5_a_newer_format_readable_by_this_build_loads_and_ignores_unknown_fields() {
    // A later format that only added information keeps min_reader at 2: this build reads it.
    let mut value: serde_json::Value =
        serde_json::from_str(&encode(&Record::UsageRule(usage_rule()))).unwrap();
    value["format"] = 3.into();
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
