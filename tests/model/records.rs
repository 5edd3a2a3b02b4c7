//! X10: whatever a builder or a transition accepts, every reader decodes back exactly: build a
//! record of every kind (any value the public constructors accept), encode its envelope, decode
//! it under its key, and get the same record. A store is never bricked by a value it was given.

use std::sync::Arc;

use proptest::prelude::*;
use secure_ticket::command::{CommandRecord, RecordedOutcome};
use secure_ticket::feed::{Position, ReaderCursor, ReaderName};
use secure_ticket::staff::StaffAction;
use secure_ticket::store::{Decoded, Envelope, Record};
use secure_ticket::strategies::{
    arb_person, arb_point_of_sale, arb_reason, arb_spectator, arb_staff, arb_ticket, arb_usage_rule,
};
use secure_ticket::transfer::{Acceptance, TransferGroup};
use secure_ticket::{
    AcceptanceSettings, CommandId, Digest, Direction, OrganizerId, OrganizerSettings, Performance,
    PerformanceId, TransferGroupId, TransferStatus,
};
use time::{Duration, OffsetDateTime};

/// A time within the range every store keeps (1970 to 2100), to the nanosecond.
fn arb_time() -> impl Strategy<Value = OffsetDateTime> {
    (0i128..4_102_444_800_000_000_000)
        .prop_map(|nanos| OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap())
}

/// Any duration a caller may hand the expiry builder: negative, fractional, huge.
fn arb_duration() -> impl Strategy<Value = Duration> {
    (
        prop_oneof![
            -1_000_000i64..0,
            0i64..10_000_000,
            Just(i64::from(u32::MAX)),
            Just(i64::from(u32::MAX) + 1)
        ],
        prop_oneof![Just(0i32), 0i32..1_000_000_000],
    )
        .prop_map(|(seconds, nanos)| Duration::new(seconds, nanos))
}

fn arb_settings() -> impl Strategy<Value = OrganizerSettings> {
    (
        any::<u128>(),
        any::<bool>(),
        proptest::option::of(arb_duration()),
    )
        .prop_filter_map(
            "the builder refused the expiry",
            |(id, explicit, expiry)| {
                let base = if explicit {
                    AcceptanceSettings::explicit()
                } else {
                    AcceptanceSettings::automatic()
                };
                let acceptance = match expiry {
                    Some(after) => base.with_expiry(after).ok()?,
                    None => base,
                };
                Some(OrganizerSettings::new(OrganizerId::from_u128(id)).with_acceptance(acceptance))
            },
        )
}

fn arb_group() -> impl Strategy<Value = TransferGroup> {
    (
        any::<(u128, u128)>(),
        arb_person(),
        arb_person(),
        any::<bool>(),
        proptest::collection::vec(any::<u128>(), 1..4),
        0usize..5,
        arb_time(),
        proptest::option::of(arb_time()),
        proptest::option::of(arb_time()),
        proptest::option::of((arb_staff(), arb_reason())),
    )
        .prop_map(
            |(
                (id, org),
                sender,
                recipient,
                backward,
                tickets,
                status,
                created_at,
                expires_at,
                closed_at,
                back_office,
            )| {
                let status = [
                    TransferStatus::Pending,
                    TransferStatus::Accepted,
                    TransferStatus::Declined,
                    TransferStatus::Cancelled,
                    TransferStatus::Expired,
                ][status];
                TransferGroup {
                    id: TransferGroupId::from_u128(id),
                    organizer: OrganizerId::from_u128(org),
                    sender,
                    recipient,
                    direction: if backward {
                        Direction::Backward
                    } else {
                        Direction::Forward
                    },
                    tickets: tickets
                        .into_iter()
                        .map(secure_ticket::TicketId::from_u128)
                        .collect::<Vec<_>>()
                        .into(),
                    status,
                    acceptance: if backward {
                        Acceptance::Automatic
                    } else {
                        Acceptance::Explicit
                    },
                    created_at,
                    expires_at,
                    closed_at,
                    replaces: None,
                    performance_ends_at: None,
                    back_office: back_office
                        .map(|(staff, reason)| Arc::new(StaffAction::new(staff, reason))),
                }
            },
        )
}

fn arb_record() -> impl Strategy<Value = Record> {
    prop_oneof![
        arb_ticket().prop_map(Record::Ticket),
        arb_group().prop_map(Record::TransferGroup),
        arb_point_of_sale().prop_map(Record::PointOfSale),
        arb_usage_rule().prop_map(Record::UsageRule),
        arb_settings().prop_map(Record::Settings),
        arb_spectator().prop_map(Record::Spectator),
        (any::<(u128, u128)>(), arb_time(), arb_time()).prop_filter_map(
            "the constructor refused the dates",
            |((id, org), starts, ends)| {
                Performance::new(
                    OrganizerId::from_u128(org),
                    PerformanceId::from_u128(id),
                    starts,
                    ends,
                )
                .ok()
                .map(Record::Performance)
            }
        ),
        (any::<u128>(), "[a-z0-9._-]{1,32}", any::<u64>()).prop_map(|(org, name, position)| {
            Record::Reader(ReaderCursor {
                position: Position::new(position),
                ..ReaderCursor::new(
                    OrganizerId::from_u128(org),
                    ReaderName::parse(&name).unwrap(),
                )
            })
        }),
        (
            any::<(u128, u128)>(),
            any::<[u8; 16]>(),
            arb_time(),
            any::<u32>()
        )
            .prop_map(|((org, id), digest, at, events)| {
                Record::Command(CommandRecord {
                    organizer: OrganizerId::from_u128(org),
                    id: CommandId::from_u128(id),
                    digest: Digest::from_bytes(digest),
                    at,
                    outcome: RecordedOutcome::Accepted { events },
                })
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::machine::cases(512)))]

    /// X10: build, encode, decode, equal, for every record kind.
    #[test]
    fn x10_whatever_a_builder_accepts_every_reader_decodes_exactly(record in arb_record()) {
        let json = serde_json::to_string(&Envelope::borrowed(&record)).unwrap();
        let decoded: Decoded = serde_json::from_str(&json)
            .map_err(|e| TestCaseError::fail(format!("{json}: {e}")))?;
        let back = decoded
            .into_record(record.key())
            .map_err(|e| TestCaseError::fail(format!("{json}: {e}")))?;
        prop_assert_eq!(back, record);
    }
}

#[test]
fn x10_an_expiry_no_reader_could_decode_is_refused_when_it_is_set() {
    use secure_ticket::SettingsError;
    for (after, code) in [
        (Duration::hours(-1), "EXPIRY_NEGATIVE"),
        (Duration::milliseconds(400), "EXPIRY_NOT_IN_WHOLE_SECONDS"),
        (
            Duration::seconds(i64::from(u32::MAX) + 1),
            "EXPIRY_TOO_LONG",
        ),
    ] {
        let refused: SettingsError = AcceptanceSettings::explicit()
            .with_expiry(after)
            .unwrap_err();
        assert_eq!(refused.code(), code, "{after}");
    }
    // Zero and the longest are kept exactly.
    for seconds in [0, i64::from(u32::MAX)] {
        let settings = AcceptanceSettings::explicit()
            .with_expiry(Duration::seconds(seconds))
            .unwrap();
        let json = serde_json::to_string(&settings).unwrap();
        let back: AcceptanceSettings = serde_json::from_str(&json).unwrap();
        assert_eq!(back, settings, "{json}");
    }
}
