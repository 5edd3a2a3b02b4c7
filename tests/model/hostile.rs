//! Hostile input (STYLE B6.3, standing in for fuzzing): arbitrary bytes, arbitrary JSON values and
//! near-valid JSON (valid encodings with a field dropped, a type or an enum string changed, a
//! boundary number...) fed to every decoder; arbitrary strings to the settings parsers; arbitrary
//! command sequences with random ids, actors and times through `Service`. Each must give a typed
//! error or a value that round-trips (decode, encode, decode: the same value, the same bytes), and
//! never panic.

use std::fmt::Debug;

use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest_state_machine::ReferenceStateMachine;
use secure_ticket::command::{RecordedOutcome, Refusal};
use secure_ticket::injection::TransferDetails;
use secure_ticket::service::{Command, CommandRecord, Request, Service};
use secure_ticket::store::{
    CommandKey, Decoded, Envelope, MemoryStore, Record, RecordKey, Store, StoreError,
};
use secure_ticket::strategies::{self, EPOCH, Pools, arb_email, arb_person};
use secure_ticket::transfer::{Acceptance, TransferGroup};
use secure_ticket::{
    AcceptanceSettings, ActivationMethod, CommandId, Direction, Distribution, Email, Error, Event,
    Feedback, InternetTheme, InvalidationReason, LastFeedback, LifecycleStatus, OrganizerSettings,
    PointOfSale, PointOfSaleId, RightId, Ticket, TicketId, TixngoInterface, TransferGroupId,
    TransferLimit, TransferStatus, UsageRule, UsageRuleId, Wallet,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Number, Value, json};
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time};

use crate::reference::{ORGANIZER, Reference, UNKNOWN_ORGANIZER};

/// Cases of each decoder property in CI (`PROPTEST_CASES` overrides it for a deep run).
const CASES: u32 = 2_048;
/// Cases of the command-sequence properties in CI.
const SEQUENCE_CASES: u32 = 512;

// ---------------------------------------------------------------------------------------------
// Vocabulary: the names the formats use, so that arbitrary JSON gets past the first field
// ---------------------------------------------------------------------------------------------

const KEYS: &[&str] = &[
    "id",
    "right",
    "distribution",
    "wallet",
    "point_of_sale",
    "shipment_mode",
    "kind",
    "automatic_injection",
    "cultural_contact",
    "b2b_contact",
    "holder",
    "invalidation",
    "reason",
    "at",
    "replaced_by",
    "replaces",
    "printed",
    "last_feedback",
    "status",
    "entries",
    "usage_rule",
    "injected_at",
    "owners",
    "initial",
    "previous",
    "current",
    "level",
    "level_before_last_forward",
    "forward_transfers",
    "backward_transfers",
    "downloaded_at",
    "activated",
    "method",
    "checked_at",
    "controlled_at",
    "pending_group",
    "deletion_requested_at",
    "deleted_at",
    "sender",
    "recipient",
    "direction",
    "tickets",
    "acceptance",
    "created_at",
    "expires_at",
    "closed_at",
    "transfer",
    "transfer_after_activation",
    "transfer_after_check",
    "transfer_after_control",
    "max_transfers",
    "transfer_backward",
    "b2b",
    "allow_mobile_take_back",
    "take_back_shipment_mode",
    "theme",
    "activate_advanced_view",
    "others",
    "explicit_acceptance",
    "expire_after",
    "interface",
    "take_back",
    "refuse_ticket_holder_details",
    "reset_injection_invalidation_reasons",
    "overlay_spectatir_details_with_last_owner",
    "format",
    "min_reader",
    "record_data",
    "value",
    "type",
    "command",
    "organizer",
    "request",
    "events",
    "ticket",
    "to",
    "actor",
    "change",
    "group",
    "groups",
    "new_groups",
    "forward",
    "backward",
    "sign_in",
    "new_ticket",
    "email",
    "first_name",
    "last_name",
    "birth_date",
    "identity_number",
    "automatic",
    "level_before",
    "level_after",
    "from",
    "by",
    "replacement",
    "owner",
    "cultural_contact",
    "shipment_mode",
];

const STRINGS: &[&str] = &[
    "FORWARD",
    "BACKWARD",
    "PENDING",
    "ACCEPTED",
    "DECLINED",
    "CANCELLED",
    "EXPIRED",
    "CONFIRMED",
    "EXPLICIT",
    "AUTOMATIC",
    "SECURE_MOBILE",
    "PRINT_AT_HOME",
    "OTHER",
    "NEUTRAL",
    "DECREASE",
    "INCREASE",
    "INJECTED",
    "DOWNLOADED",
    "ASSIGNED",
    "PENDING_TRANSFER",
    "FAILURE_TRANSFER",
    "TRANSFERRED",
    "ONLINE_ACTIVATED",
    "BT_ACTIVATED",
    "CONTROLLED",
    "DELETION_PENDING",
    "DELETED",
    "MOBILE_TAKE_BACK",
    "TICKET",
    "TRANSFER_GROUP",
    "POINT_OF_SALE",
    "USAGE_RULE",
    "SETTINGS",
    "COMMAND",
    "INJECT",
    "DOWNLOAD",
    "CHANGE_FLAG",
    "INITIATE",
    "RETURN_TO_SENDER",
    "ACCEPT",
    "SIGN_IN",
    "DECLINE",
    "CANCEL",
    "EDIT_RECIPIENT",
    "EXPIRE",
    "RECORD_FEEDBACK",
    "TAKE_BACK",
    "REDISTRIBUTE",
    "REQUEST_DELETION",
    "COMPLETE_DELETION",
    "SPECTATOR",
    "ACCESS_CONTROL",
    "SYSTEM",
    "ACTIVATE",
    "DEACTIVATE",
    "CHECK",
    "CONTROL",
    "CHECK_OUT",
    "ONLINE",
    "OFFLINE",
    "MANUAL",
    "BT",
    "TICKET_INJECTED",
    "TRANSFER_INITIATED",
    "TICKET_TRANSFERRED",
    "FEEDBACK_RECORDED",
    "p1@example.com",
    " P2@Example.COM ",
    "not-an-email",
    "a@b",
    "@x.y",
    "2026-11-23T12:00:00Z",
    "2026-11-23T12:00:00+01:00",
    "2026-13-45T99:00:00Z",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999999Z",
    "-0001-01-01T00:00:00Z",
    "00000000-0000-0000-0000-000000000001",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "1",
    "",
    " ",
    "true",
    "null",
    "\u{0}",
    "\u{130}",
];

const NUMBERS: &[i64] = &[
    0,
    1,
    -1,
    2,
    255,
    256,
    257,
    65_535,
    65_536,
    4_294_967_295,
    4_294_967_296,
    i64::MAX,
    i64::MIN,
    -9_223_372_036_854_775,
    86_400,
    -86_400,
];

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(STRINGS).prop_map(str::to_owned),
        1 => ".{0,16}",
    ]
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(KEYS).prop_map(str::to_owned),
        1 => "[a-z_]{0,8}",
    ]
}

/// Any JSON value, biased towards the formats' own keys, enum names and boundary numbers.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        select(NUMBERS).prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((arb_key(), inner), 0..10)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

// ---------------------------------------------------------------------------------------------
// Valid values of every stored or transmitted type, to mutate
// ---------------------------------------------------------------------------------------------

fn arb_time() -> impl Strategy<Value = OffsetDateTime> {
    (0i64..10_000).prop_map(|minutes| EPOCH + Duration::minutes(minutes))
}

/// Boxed: inside [`arb_record`]'s union, the value tree of this tuple would otherwise take most
/// of a test thread's stack in debug builds.
fn arb_group() -> BoxedStrategy<TransferGroup> {
    (
        any::<u64>(),
        arb_person(),
        arb_person(),
        any::<bool>(),
        proptest::collection::vec(1u128..20, 1..4),
        0u8..5,
        any::<bool>(),
        arb_time(),
        proptest::option::of(arb_time()),
        proptest::option::of(arb_time()),
        proptest::option::of(any::<u64>()),
        proptest::option::of((strategies::arb_staff(), strategies::arb_reason())),
    )
        .prop_map(
            |(
                id,
                sender,
                recipient,
                backward,
                tickets,
                status,
                explicit,
                created,
                expires,
                closed,
                replaces,
                back_office,
            )| {
                TransferGroup {
                    id: TransferGroupId::from_u128(id.into()),
                    organizer: ORGANIZER,
                    sender,
                    recipient,
                    direction: if backward {
                        Direction::Backward
                    } else {
                        Direction::Forward
                    },
                    tickets: tickets.into_iter().map(TicketId::from_u128).collect(),
                    status: [
                        TransferStatus::Pending,
                        TransferStatus::Accepted,
                        TransferStatus::Declined,
                        TransferStatus::Cancelled,
                        TransferStatus::Expired,
                    ][usize::from(status)],
                    acceptance: if explicit {
                        Acceptance::Explicit
                    } else {
                        Acceptance::Automatic
                    },
                    created_at: created,
                    expires_at: expires,
                    closed_at: closed,
                    replaces: replaces.map(|r| TransferGroupId::from_u128(r.into())),
                    performance_ends_at: None,
                    back_office: back_office.map(|(staff, reason)| {
                        std::sync::Arc::new(secure_ticket::staff::StaffAction::new(staff, reason))
                    }),
                }
            },
        )
        .boxed()
}

fn arb_settings() -> impl Strategy<Value = OrganizerSettings> {
    (strategies::arb_acceptance_settings(), 0u8..4, any::<bool>()).prop_map(
        |(acceptance, interface, refuse)| {
            let parameters: &[(&str, &str)] = match interface {
                0 => &[],
                1 => &[(
                    "resetInjectionInvalidationReasons",
                    "MOBILE_TAKE_BACK, REFUND",
                )],
                2 => &[
                    ("overlaySpectatirDetailsWithLastOwner", "true"),
                    ("batch", "5"),
                ],
                _ => &[("resetInjectionInvalidationReasons", "'CANCELLATION'")],
            };
            let mut settings = OrganizerSettings::new(ORGANIZER)
                .with_acceptance(acceptance)
                .with_interface(
                    TixngoInterface::from_custom_parameters(parameters.iter().copied()).unwrap(),
                );
            settings.take_back.refuse_ticket_holder_details = refuse;
            settings
        },
    )
}

fn arb_event() -> impl Strategy<Value = Event> {
    let ticket = (1u128..20).prop_map(TicketId::from_u128);
    let group = (1u128..20).prop_map(TransferGroupId::from_u128);
    prop_oneof![
        (ticket.clone(), arb_person(), arb_time()).prop_map(|(ticket, owner, at)| {
            Event::TicketInjected {
                ticket,
                right: RightId::from_u128(7),
                owner,
                usage_rule: UsageRuleId::from_u128(1),
                at,
            }
        }),
        (
            group.clone(),
            arb_person(),
            arb_person(),
            proptest::collection::vec(ticket.clone(), 0..3),
            arb_time()
        )
            .prop_map(
                |(group, sender, recipient, tickets, at)| Event::TransferInitiated {
                    back_office: None,
                    group,
                    direction: Direction::Backward,
                    sender,
                    recipient,
                    tickets: tickets.into_iter().collect(),
                    at,
                }
            ),
        (
            ticket.clone(),
            group.clone(),
            arb_person(),
            arb_person(),
            any::<u16>(),
            arb_time()
        )
            .prop_map(
                |(ticket, group, from, to, level, at)| Event::TicketTransferred {
                    back_office: None,
                    ticket,
                    group,
                    direction: Direction::Forward,
                    from,
                    to,
                    level_before: level,
                    level_after: level.saturating_add(1),
                    at,
                }
            ),
        (ticket.clone(), ".{0,8}", arb_time()).prop_map(|(ticket, code, at)| {
            Event::TicketInvalidated {
                ticket,
                reason: InvalidationReason::from_code(&code),
                replaced_by: None,
                at,
            }
        }),
        (ticket.clone(), arb_time()).prop_map(|(ticket, at)| Event::TicketActivated {
            ticket,
            method: ActivationMethod::Bt,
            at,
        }),
        (ticket, arb_time()).prop_map(|(ticket, at)| Event::FeedbackRecorded {
            ticket,
            status: LifecycleStatus::PendingTransfer,
            at,
        }),
    ]
}

fn arb_request() -> impl Strategy<Value = Request> {
    let pools = Pools {
        tickets: (1..=4).map(TicketId::from_u128).collect(),
        groups: Vec::new(),
        rules: vec![UsageRuleId::from_u128(1)],
        points_of_sale: vec![PointOfSaleId::from_u128(1)],
    };
    (arb_time(), 1u128..100, any::<u64>()).prop_flat_map(move |(at, fresh, id)| {
        strategies::arb_command_for(&pools, at, fresh).prop_map(move |command| Request {
            id: CommandId::from_u128(id.into()),
            organizer: ORGANIZER,
            command,
        })
    })
}

fn arb_feedback() -> impl Strategy<Value = Feedback> {
    (
        1u128..10,
        select(vec![
            LifecycleStatus::Injected,
            LifecycleStatus::Transferred,
            LifecycleStatus::OnlineActivated,
        ]),
        arb_time(),
        any::<u64>(),
        proptest::option::of((1u128..10, arb_person(), arb_person())),
    )
        .prop_map(|(ticket, status, at, sequence, transfer)| Feedback {
            ticket: TicketId::from_u128(ticket),
            status,
            sequence,
            at,
            transfer: transfer.map(|(g, sender, recipient)| TransferDetails {
                group: TransferGroupId::from_u128(g),
                sender,
                recipient,
                back_office: None,
            }),
        })
}

/// What a command record keeps: accepted (its events in the feed, or kept as format 1 did), or
/// refused (by a rule; a missing record and an id in use still decode).
fn arb_outcome() -> impl Strategy<Value = RecordedOutcome> {
    prop_oneof![
        (0u32..5).prop_map(|events| RecordedOutcome::Accepted { events }),
        proptest::collection::vec(arb_event(), 0..3)
            .prop_map(|events| RecordedOutcome::Kept { events }),
        Just(RecordedOutcome::Refused {
            refusal: Refusal::Rule {
                refusal: secure_ticket::RuleError::from(
                    secure_ticket::transfer::InitiateTransferError::EmptyTicketList,
                ),
            },
        }),
        (1u128..10).prop_map(|n| RecordedOutcome::Refused {
            refusal: Refusal::NotFound {
                key: RecordKey::Ticket(TicketId::from_u128(n)),
            },
        }),
        (1u128..10).prop_map(|n| RecordedOutcome::Refused {
            refusal: Refusal::IdInUse {
                key: RecordKey::TransferGroup(TransferGroupId::from_u128(n)),
            },
        }),
    ]
}

/// A valid record of every stored kind.
fn arb_record() -> impl Strategy<Value = Record> {
    prop_oneof![
        strategies::arb_ticket().prop_map(Record::Ticket),
        arb_group().prop_map(Record::TransferGroup),
        strategies::arb_usage_rule().prop_map(Record::UsageRule),
        strategies::arb_point_of_sale().prop_map(Record::PointOfSale),
        arb_settings().prop_map(Record::Settings),
        strategies::arb_spectator().prop_map(Record::Spectator),
        (arb_request(), arb_outcome()).prop_map(|(request, outcome)| {
            Record::Command(CommandRecord {
                organizer: request.organizer,
                id: request.id,
                digest: request.digest(),
                at: request.command.at(),
                outcome,
            })
        }),
    ]
}

/// A valid encoding: a record in its envelope, a record alone, the value a record holds, or a
/// transmitted value (request, feedback, event).
fn arb_valid_json() -> impl Strategy<Value = Value> {
    let bare = |record: Record| match record {
        Record::Ticket(t) => json!(t),
        Record::TransferGroup(g) => json!(g),
        Record::UsageRule(r) => json!(r),
        Record::PointOfSale(p) => json!(p),
        Record::Settings(s) => json!(s),
        Record::Command(c) => json!(c),
        Record::Spectator(s) => json!(s),
        other => json!(other),
    };
    prop_oneof![
        3 => arb_record().prop_map(envelope),
        2 => arb_record().prop_map(|r| json!(r)),
        2 => arb_record().prop_map(bare),
        1 => arb_request().prop_map(|r| json!(r)),
        1 => arb_feedback().prop_map(|f| json!(f)),
        1 => arb_event().prop_map(|e| json!(e)),
    ]
}

fn envelope(record: Record) -> Value {
    serde_json::to_value(Envelope::new(record)).unwrap()
}

/// Paths to every node of a JSON value (the root is the empty path).
fn paths(value: &Value) -> Vec<Vec<PathStep>> {
    fn walk(value: &Value, here: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
        out.push(here.clone());
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    here.push(PathStep::Key(k.clone()));
                    walk(v, here, out);
                    here.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    here.push(PathStep::Index(i));
                    walk(v, here, out);
                    here.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn node<'a>(value: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, step| match step {
        PathStep::Key(k) => v.get_mut(k.as_str()),
        PathStep::Index(i) => v.get_mut(*i),
    })
}

/// One mutation of a valid encoding, at one node: drop it, change its type, change a string to
/// an enum name (or an email, a date...), change a number to a boundary value, add a field (or
/// repeat an element), or put another node's value there.
#[derive(Clone, Debug)]
struct Mutation {
    at: Index,
    kind: u8,
    pick: Index,
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    (any::<Index>(), 0u8..6, any::<Index>()).prop_map(|(at, kind, pick)| Mutation {
        at,
        kind,
        pick,
    })
}

fn mutate(value: &mut Value, m: &Mutation) {
    let all = paths(value);
    let path = m.at.get(&all).clone();
    let other = m.pick.get(&all).clone();
    let donor = node(&mut value.clone(), &other)
        .cloned()
        .unwrap_or(Value::Null);
    match m.kind {
        0 => {
            if let Some((last, parent)) = path.split_last()
                && let Some(parent) = node(value, parent)
            {
                match (parent, last) {
                    (Value::Object(map), PathStep::Key(k)) => {
                        map.remove(k);
                    }
                    (Value::Array(items), PathStep::Index(i)) if *i < items.len() => {
                        items.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        1 => {
            let swaps = [
                Value::Null,
                json!(true),
                json!(0),
                json!(-1),
                json!(1.5),
                json!("x"),
                json!([]),
                json!({}),
                json!(1e300),
                json!(u64::MAX),
            ];
            if let Some(n) = node(value, &path) {
                *n = m.pick.get(&swaps).clone();
            }
        }
        2 => {
            if let Some(n) = node(value, &path) {
                *n = Value::String((*m.pick.get(STRINGS)).to_owned());
            }
        }
        3 => {
            if let Some(n) = node(value, &path) {
                *n = Value::from(*m.pick.get(NUMBERS));
            }
        }
        4 => match node(value, &path) {
            Some(Value::Object(map)) => {
                map.insert((*m.pick.get(KEYS)).to_owned(), json!(1));
            }
            Some(Value::Array(items)) if !items.is_empty() => {
                let first = items[0].clone();
                items.push(first);
            }
            _ => {}
        },
        _ => {
            if let Some(n) = node(value, &path) {
                *n = donor;
            }
        }
    }
}

fn arb_near_valid_json() -> impl Strategy<Value = Value> {
    let mutations = prop_oneof![
        4 => proptest::collection::vec(arb_mutation(), 1..2),
        2 => proptest::collection::vec(arb_mutation(), 2..4),
        1 => Just(Vec::new()),
    ];
    (arb_valid_json(), mutations).prop_map(|(mut v, ms)| {
        for m in &ms {
            mutate(&mut v, m);
        }
        v
    })
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

fn fail(why: String) -> TestCaseError {
    TestCaseError::fail(why)
}

/// decode, encode, decode: the same value, and the same bytes both times.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(
    name: &str,
    value: &T,
) -> Result<(), TestCaseError> {
    let json = serde_json::to_string(value).map_err(|e| {
        fail(format!(
            "{name} decoded but does not encode: {e}\n{value:?}"
        ))
    })?;
    let again: T = serde_json::from_str(&json).map_err(|e| {
        fail(format!(
            "{name} decoded, encoded as {json}, does not decode again: {e}"
        ))
    })?;
    prop_assert_eq!(
        value,
        &again,
        "{} changed in a round trip through {}",
        name,
        json
    );
    let json_again = serde_json::to_string(&again).map_err(|e| fail(e.to_string()))?;
    prop_assert_eq!(
        &json,
        &json_again,
        "{} encodes to other bytes the second time",
        name
    );
    Ok(())
}

/// A typed error (whose message can be shown) or a value that round-trips; from a `Value` and
/// from its text alike, with the same answer.
fn check<T: Serialize + DeserializeOwned + PartialEq + Debug>(
    name: &str,
    value: &Value,
    text: &str,
) -> Result<(), TestCaseError> {
    let from_value = serde_json::from_value::<T>(value.clone());
    let from_text = serde_json::from_str::<T>(text);
    match (&from_value, &from_text) {
        (Ok(a), Ok(b)) => prop_assert_eq!(
            a,
            b,
            "{} decodes differently from a value and from text",
            name
        ),
        (Err(a), Err(b)) => {
            let _ = (a.to_string(), b.to_string());
        }
        _ => {
            return Err(fail(format!(
                "{name}: decoding from a value gives {from_value:?}, from text {from_text:?}\n{text}"
            )));
        }
    }
    if let Ok(decoded) = from_value {
        round_trip(name, &decoded)?;
    }
    Ok(())
}

/// The envelope decoder: a current record decodes under its own key and round-trips; under any
/// other key it is `Corrupt`; a newer format is `UnsupportedFormat` under every key.
fn check_envelope(value: Option<&Value>, text: &[u8]) -> Result<(), TestCaseError> {
    let from_text = serde_json::from_slice::<Decoded>(text);
    if let Some(value) = value {
        let from_value = serde_json::from_value::<Decoded>(value.clone());
        match (&from_value, &from_text) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            _ => {
                return Err(fail(format!(
                    "Decoded: from a value {from_value:?}, from text {from_text:?}"
                )));
            }
        }
    }
    let other = RecordKey::Command(CommandKey::new(ORGANIZER, CommandId::from_u128(u128::MAX)));
    match from_text {
        Err(e) => {
            let _ = e.to_string();
        }
        Ok(Decoded::Current(envelope)) => {
            let key = envelope.record.key();
            let record = Decoded::Current(envelope.clone())
                .into_record(key)
                .map_err(|e| {
                    fail(format!(
                        "a current envelope refused under its own key {key}: {e}"
                    ))
                })?;
            prop_assert_eq!(&record, &envelope.record);
            if key != other {
                let wrong = Decoded::Current(envelope.clone()).into_record(other);
                prop_assert!(
                    matches!(wrong, Err(StoreError::Corrupt { .. })),
                    "{wrong:?}"
                );
            }
            let json = serde_json::to_vec(&envelope).map_err(|e| fail(e.to_string()))?;
            let again: Decoded = serde_json::from_slice(&json).map_err(|e| fail(e.to_string()))?;
            prop_assert_eq!(again, Decoded::Current(envelope));
        }
        Ok(newer) => {
            let refused = newer.into_record(other);
            prop_assert!(
                matches!(refused, Err(StoreError::UnsupportedFormat { .. })),
                "{refused:?}"
            );
        }
    }
    Ok(())
}

/// Every decoder on one value.
fn decode_everything(value: &Value) -> Result<(), TestCaseError> {
    let text = value.to_string();
    check_envelope(Some(value), text.as_bytes())?;
    check::<Record>("Record", value, &text)?;
    check::<Ticket>("Ticket", value, &text)?;
    check::<Distribution>("Distribution", value, &text)?;
    check::<Wallet>("Wallet", value, &text)?;
    check::<TransferGroup>("TransferGroup", value, &text)?;
    check::<UsageRule>("UsageRule", value, &text)?;
    check::<TransferLimit>("TransferLimit", value, &text)?;
    check::<PointOfSale>("PointOfSale", value, &text)?;
    check::<InternetTheme>("InternetTheme", value, &text)?;
    check::<OrganizerSettings>("OrganizerSettings", value, &text)?;
    check::<AcceptanceSettings>("AcceptanceSettings", value, &text)?;
    check::<TixngoInterface>("TixngoInterface", value, &text)?;
    check::<Request>("Request", value, &text)?;
    check::<Command>("Command", value, &text)?;
    check::<CommandRecord>("CommandRecord", value, &text)?;
    check::<Feedback>("Feedback", value, &text)?;
    check::<LastFeedback>("LastFeedback", value, &text)?;
    check::<Email>("Email", value, &text)?;
    check::<Event>("Event", value, &text)?;
    check::<InvalidationReason>("InvalidationReason", value, &text)?;
    check::<RecordKey>("RecordKey", value, &text)?;
    Ok(())
}

/// Every decoder on raw bytes: a typed error, or a value that round-trips.
fn decode_bytes(bytes: &[u8]) -> Result<(), TestCaseError> {
    check_envelope(None, bytes)?;
    fn one<T: Serialize + DeserializeOwned + PartialEq + Debug>(
        name: &str,
        bytes: &[u8],
    ) -> Result<(), TestCaseError> {
        match serde_json::from_slice::<T>(bytes) {
            Ok(v) => round_trip(name, &v),
            Err(e) => {
                let _ = e.to_string();
                Ok(())
            }
        }
    }
    one::<Record>("Record", bytes)?;
    one::<Ticket>("Ticket", bytes)?;
    one::<TransferGroup>("TransferGroup", bytes)?;
    one::<UsageRule>("UsageRule", bytes)?;
    one::<PointOfSale>("PointOfSale", bytes)?;
    one::<OrganizerSettings>("OrganizerSettings", bytes)?;
    one::<Request>("Request", bytes)?;
    one::<Feedback>("Feedback", bytes)?;
    one::<Email>("Email", bytes)?;
    one::<Event>("Event", bytes)?;
    Ok(())
}

/// Bytes: random ones, and valid encodings with bytes flipped, inserted or cut off.
fn arb_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..160),
        (
            arb_valid_json(),
            proptest::collection::vec((any::<Index>(), any::<u8>(), 0u8..3), 1..4)
        )
            .prop_map(|(value, edits)| {
                let mut bytes = value.to_string().into_bytes();
                for (at, byte, how) in edits {
                    if bytes.is_empty() {
                        break;
                    }
                    let i = at.index(bytes.len());
                    match how {
                        0 => bytes[i] = byte,
                        1 => bytes.insert(i, byte),
                        _ => bytes.truncate(i),
                    }
                }
                bytes
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::machine::cases(CASES)))]

    /// X5: arbitrary bytes (random, or valid encodings damaged) given to the envelope and to every
    /// record decoder: a typed error or a value that round-trips.
    #[test]
    fn x5_arbitrary_bytes_are_a_typed_error_or_round_trip(bytes in arb_bytes()) {
        decode_bytes(&bytes)?;
    }

    /// X5: arbitrary JSON values given to every decoder.
    #[test]
    fn x5_arbitrary_json_is_a_typed_error_or_round_trips(value in arb_json()) {
        decode_everything(&value)?;
    }

    /// X5: valid encodings with one to three mutations (a field dropped, a type changed, an enum
    /// string changed, a boundary number, a field added, a node moved) given to every decoder.
    #[test]
    fn x5_near_valid_json_is_a_typed_error_or_round_trips(value in arb_near_valid_json()) {
        decode_everything(&value)?;
    }

    /// U3: a limit outside 1..=256 is a typed error, when built and when decoded (alone or in a
    /// usage rule); inside, it round-trips.
    #[test]
    fn u3_transfer_limit_outside_1_to_256_is_a_typed_error(
        n in prop_oneof![any::<i64>(), -3i64..300, select(NUMBERS)],
        fraction in any::<bool>(),
    ) {
        let built = TransferLimit::new(n);
        prop_assert_eq!(built.is_ok(), (1..=256).contains(&n));
        let number = if fraction { json!(n as f64 + 0.5) } else { json!(n) };
        let decoded = serde_json::from_value::<TransferLimit>(number.clone());
        prop_assert_eq!(decoded.is_ok(), !fraction && (1..=256).contains(&n));
        let rule = json!({"id": "00000000-0000-0000-0000-000000000001", "max_transfers": number});
        match serde_json::from_value::<UsageRule>(rule) {
            Ok(rule) => {
                prop_assert_eq!(i64::from(rule.max_transfers.get()), n);
                round_trip("UsageRule", &rule)?;
            }
            Err(e) => prop_assert!(fraction || !(1..=256).contains(&n), "{}", e),
        }
    }

    /// B2: arbitrary theme text is a typed error or a theme that round-trips through serde; the
    /// advanced view is on only when its key says `true`.
    #[test]
    fn b2_internet_theme_parse_is_a_typed_error_or_round_trips(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("distribution.list.activateAdvancedView = true".to_owned()),
                Just(" distribution.list.activateAdvancedView=FALSE ".to_owned()),
                Just("distribution.list.activateAdvancedView = yes".to_owned()),
                Just("# a comment".to_owned()),
                Just("=value".to_owned()),
                Just("".to_owned()),
                "[a-z.]{1,12} ?= ?.{0,8}",
                ".{0,20}",
            ],
            0..6,
        ),
        separator in select(vec!["\n", "\r\n", "\r"]),
    ) {
        let text = lines.join(separator);
        if let Ok(theme) = InternetTheme::parse(&text) {
            round_trip("InternetTheme", &theme)?;
        }
    }

    /// B8: arbitrary custom parameters are a typed error or an interface that round-trips.
    #[test]
    fn b8_interface_custom_parameters_are_a_typed_error_or_round_trip(
        parameters in proptest::collection::vec(
            (
                prop_oneof![
                    Just(TixngoInterface::RESET_REASONS.to_owned()),
                    Just(format!(" {} ", TixngoInterface::OVERLAY)),
                    Just(TixngoInterface::OVERLAY.to_owned()),
                    ".{0,12}",
                ],
                prop_oneof![
                    Just("MOBILE_TAKE_BACK".to_owned()),
                    Just("\"MOBILE_TAKE_BACK\", 'REFUND', ,".to_owned()),
                    Just("True".to_owned()),
                    Just("no".to_owned()),
                    ".{0,16}",
                ],
            ),
            0..5,
        ),
    ) {
        let pairs = parameters.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        if let Ok(interface) = TixngoInterface::from_custom_parameters(pairs) {
            round_trip("TixngoInterface", &interface)?;
        }
    }

    /// §1: any string is a typed error or an address that round-trips (as text and through serde).
    /// Characters whose lower case is longer in bytes are excluded here: see
    /// `email_whose_lower_case_is_longer_round_trips`.
    #[test]
    fn email_parse_is_a_typed_error_or_round_trips(raw in prop_oneof![".{0,40}", arb_raw_email(false)]) {
        if let Ok(email) = Email::parse(&raw) {
            prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
            round_trip("Email", &email)?;
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::machine::cases(SEQUENCE_CASES)))]

    /// X2, X3: arbitrary command sequences, with ids from empty, foreign or real pools, random
    /// actors (any valid email) and times anywhere in the representable range, through `Service`
    /// over a real setup: never a panic; every error a rule refusal or a request error (never the
    /// store's); every processed command's record (accepted or refused, X3) storable as JSON when its time is.
    #[test]
    fn x2_arbitrary_commands_with_random_ids_and_actors_never_panic(
        (init, requests) in arb_hostile_sequence(),
    ) {
        let service = Service::new(MemoryStore::new());
        service.create(init.setup.iter().cloned()).map_err(|e| fail(e.to_string()))?;
        for request in &requests {
            let recorded = match service.execute(request) {
                Err(Error::Store(e)) => {
                    return Err(fail(format!("the store failed on {request:?}: {e}")));
                }
                Err(e) => {
                    let _ = e.to_string();
                    // X3: refusals by the rules are recorded too (input errors are not).
                    Refusal::of(&e).is_some()
                }
                Ok(_) => true,
            };
            if !recorded {
                continue;
            }
            // The command record the shell wrote, as a store would encode it. Times outside
            // RFC 3339's years (0000-9999) are accepted by the core but cannot be written by the
            // formats' own serde (reported as a SPEC doubt).
            let stored = service
                .store()
                .load(&[RecordKey::Command(request.key())])
                .map_err(|e| fail(e.to_string()))?;
            if stored.is_empty() {
                return Err(fail(format!("a processed command left no record: {request:?}")));
            }
            if rfc3339(request.command.at()) {
                for record in stored {
                    serde_json::to_string(&Envelope::new(record.value)).map_err(|e| {
                        fail(format!("a processed command cannot be stored: {e}\n{request:?}"))
                    })?;
                }
            }
        }
    }
}

/// Whether RFC 3339 can write this time (years 0000 to 9999).
fn rfc3339(at: OffsetDateTime) -> bool {
    (0..=9999).contains(&at.to_offset(time::UtcOffset::UTC).year())
}

/// Addresses near the limits (64-byte local part, 254 bytes in all), in any case, with padding.
/// With `expanding`, they include characters whose lower case takes more bytes (`İ`, `Ⱥ`, `Ⱦ`).
fn arb_raw_email(expanding: bool) -> impl Strategy<Value = String> {
    let mut chars = vec![
        'a', 'Z', 'é', 'É', 'ß', 'ẞ', '\u{212a}', '.', '+', '-', '0', 'Σ',
    ];
    if expanding {
        chars.extend(['\u{130}', '\u{23a}', '\u{23e}']);
    }
    let part = move |max: usize| {
        proptest::collection::vec(select(chars.clone()), 1..max)
            .prop_map(|cs| cs.into_iter().collect::<String>())
    };
    (part(40), part(40), part(70), 0usize..4, any::<bool>()).prop_map(
        |(local, label, long, repeat, pad)| {
            let local = if repeat == 0 { long } else { local };
            let domain = std::iter::repeat_n(label, repeat.max(1))
                .collect::<Vec<_>>()
                .join(".");
            let raw = format!("{local}@{domain}.com");
            if pad { format!("  {raw}\t") } else { raw }
        },
    )
}

/// A setup, and requests drawn with `arb_command_for` from empty pools, from foreign pools
/// (random ids, groups between random addresses) or from the setup's own pools mixed with
/// foreign ones, at any time, under the organizer or an unknown one.
fn arb_hostile_sequence() -> impl Strategy<Value = (crate::reference::Model, Vec<Request>)> {
    (
        Reference::init_state(),
        arb_foreign_pools(),
        0u8..3,
        arb_any_time(),
        any::<u64>(),
    )
        .prop_flat_map(|(init, foreign, which, at, fresh)| {
            let pools = match which {
                0 => Pools::default(),
                1 => foreign,
                _ => {
                    let mut own = init.pools();
                    own.tickets.extend(foreign.tickets);
                    own.groups.extend(foreign.groups);
                    own.rules.extend(foreign.rules);
                    own.points_of_sale.extend(foreign.points_of_sale);
                    own
                }
            };
            let request = (
                strategies::arb_command_for(&pools, at, fresh.into()),
                any::<u64>(),
                prop_oneof![4 => Just(ORGANIZER), 1 => Just(UNKNOWN_ORGANIZER)],
            )
                .prop_map(|(command, id, organizer)| Request {
                    id: CommandId::from_u128(u128::from(id % 64)),
                    organizer,
                    command,
                });
            (Just(init), proptest::collection::vec(request, 1..40))
        })
}

fn arb_foreign_pools() -> impl Strategy<Value = Pools> {
    let group = (
        any::<u128>(),
        arb_email(),
        arb_email(),
        proptest::collection::vec(any::<u128>(), 0..3),
        arb_any_time(),
        any::<bool>(),
    )
        .prop_map(
            |(id, sender, recipient, tickets, at, backward)| TransferGroup {
                id: TransferGroupId::from_u128(id),
                organizer: ORGANIZER,
                sender,
                recipient,
                direction: if backward {
                    Direction::Backward
                } else {
                    Direction::Forward
                },
                tickets: tickets.into_iter().map(TicketId::from_u128).collect(),
                status: TransferStatus::Pending,
                acceptance: Acceptance::Automatic,
                created_at: at,
                expires_at: None,
                closed_at: None,
                replaces: None,
                performance_ends_at: None,
                back_office: None,
            },
        );
    (
        proptest::collection::vec(any::<u128>().prop_map(TicketId::from_u128), 0..4),
        proptest::collection::vec(group, 0..4),
        proptest::collection::vec(any::<u128>().prop_map(UsageRuleId::from_u128), 0..3),
        proptest::collection::vec(any::<u128>().prop_map(PointOfSaleId::from_u128), 0..3),
    )
        .prop_map(|(tickets, groups, rules, points_of_sale)| Pools {
            tickets,
            groups,
            rules,
            points_of_sale,
        })
}

/// Any representable time, the extremes included.
fn arb_any_time() -> impl Strategy<Value = OffsetDateTime> {
    let min = PrimitiveDateTime::new(Date::MIN, Time::MIDNIGHT).assume_utc();
    let max = PrimitiveDateTime::new(Date::MAX, Time::MAX).assume_utc();
    prop_oneof![
        3 => Just(EPOCH),
        1 => Just(min),
        1 => Just(max),
        2 => (min.unix_timestamp()..=max.unix_timestamp())
            .prop_map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap_or(EPOCH)),
    ]
}

/// §1: an address whose lower case takes more bytes than its given case (`İ` → `i̇`) is checked
/// against the limits in its stored, lower-case form: refused with a typed error when that form is
/// too long (32 × `İ` is 64 bytes as given, 96 lower-cased), so every accepted address round-trips.
#[test]
fn email_whose_lower_case_is_longer_round_trips() {
    let raw = format!("{}@example.com", "\u{130}".repeat(32));
    assert!(matches!(
        Email::parse(&raw),
        Err(secure_ticket::EmailError::InvalidLocalPart { .. })
    ));
    let fits = format!("{}@example.com", "\u{130}".repeat(21)); // 63 bytes lower-cased
    let email = Email::parse(&fits).expect("the stored form fits the limits");
    assert_eq!(
        Email::parse(email.as_str()),
        Ok(email.clone()),
        "the normalised address must parse to itself"
    );
    let json = serde_json::to_string(&email).unwrap();
    assert!(
        serde_json::from_str::<Email>(&json).is_ok(),
        "{json} does not decode"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::machine::cases(CASES)))]

    /// The same property over addresses that include expanding characters.
    #[test]
    fn email_with_expanding_lower_case_is_a_typed_error_or_round_trips(raw in arb_raw_email(true)) {
        if let Ok(email) = Email::parse(&raw) {
            prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
            round_trip("Email", &email)?;
        }
    }
}
