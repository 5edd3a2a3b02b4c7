//! X3: a refused command is recorded with its refusal, and a retry returns the same typed refusal,
//! so every refusal round-trips through serde, in a readable and stable spelling: the command
//! family under `rule`, the command's error under `refusal`, tagged by its stable `code`.

use std::fmt::{Debug, Display};

use secure_ticket::injection::{InjectError, RecordFeedbackError};
use secure_ticket::take_back::{RedistributeError, TakeBackError};
use secure_ticket::transfer::{
    AcceptTransferError, CancelTransferError, DeclineTransferError, EditRecipientError,
    ExpireTransferError, InitiateTransferError, ReturnToSenderError, SignInError, TransferStatus,
};
use secure_ticket::wallet::{ChangeFlagError, DeletionError, DownloadError, FlagChange};
use secure_ticket::{
    ActivationMethod, Actor, EmailError, InjectionTargetError, InputError, InterfaceError,
    InvalidationReason, LifecycleStatus, PointOfSaleId, RuleError, ShipmentModeId, ThemeError,
    UsageRuleError, WalletStatus,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::macros::datetime;

use crate::common::{
    AT, DEADLINE, LATER, MISSING, MOBILE, POS, RULE, T, alice, bob, carol, gid, tid,
};

/// `value` through serde_json and back: equal, and its JSON `code` is its `code()`.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T, code: &str) -> Value {
    let text = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(&back, value, "{text}");
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["code"], code, "{text}");
    json
}

/// Round-trips each error on its own and inside a [`RuleError`].
fn refusals<E>(rule: &str, errors: Vec<E>, code: fn(&E) -> &'static str) -> usize
where
    E: Serialize + DeserializeOwned + PartialEq + Debug + Display + Clone + Into<RuleError>,
{
    for error in &errors {
        round_trip(error, code(error));
        let refused: RuleError = error.clone().into();
        let text = serde_json::to_string(&refused).unwrap();
        let back: RuleError = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(back, refused, "{text}");
        assert_eq!(back.to_string(), error.to_string(), "{text}");
        let json: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["rule"], rule, "{text}");
        assert_eq!(json["refusal"]["code"], refused.code(), "{text}");
        assert_eq!(json.as_object().unwrap().len(), 2, "{text}");
    }
    errors.len()
}

fn inputs() -> Vec<InputError> {
    vec![
        InputError::TicketNotFound { ticket: MISSING },
        InputError::GroupNotFound { group: gid(9) },
        InputError::UsageRuleNotFound {
            ticket: T,
            rule: RULE,
        },
        InputError::TicketNotInGroup {
            ticket: T,
            group: gid(1),
        },
        InputError::PointOfSaleNotFound {
            point_of_sale: PointOfSaleId::from_u128(9),
        },
    ]
}

fn initiations() -> Vec<InitiateTransferError> {
    use InitiateTransferError as E;
    vec![
        E::EmptyTicketList,
        E::DuplicateTicket { ticket: T },
        E::NotInjected { ticket: T },
        E::TicketDeleted {
            ticket: T,
            status: WalletStatus::DeletionPending,
        },
        E::AlreadyPendingTransfer {
            ticket: T,
            group: gid(1),
        },
        E::NotCurrentOwner {
            ticket: T,
            actor: carol(),
        },
        E::RecipientIsSender {
            ticket: T,
            recipient: alice(),
        },
        E::TransferDisabled {
            ticket: T,
            rule: RULE,
        },
        E::ActivatedTicket {
            ticket: T,
            rule: RULE,
        },
        E::CheckedTicket {
            ticket: T,
            rule: RULE,
        },
        E::ControlledTicket {
            ticket: T,
            rule: RULE,
        },
        E::TransferLimitReached {
            ticket: T,
            level: 256,
            limit: 256,
        },
        E::SameGroupIdForBothDirections { group: gid(7) },
    ]
}

#[test]
fn x3_refusals_round_trip_through_serde() {
    let mut count = 0;
    count += refusals(
        "INJECT",
        [
            inputs().into_iter().map(InjectError::Input).collect(),
            vec![
                InjectError::TicketInvalidated {
                    ticket: T,
                    reason: InvalidationReason::MobileTakeBack,
                },
                InjectError::TicketInvalidated {
                    ticket: T,
                    reason: InvalidationReason::from_code("REFUND"),
                },
                InjectError::NotSecureMobile {
                    ticket: T,
                    shipment_mode: ShipmentModeId::from_u128(2),
                },
                InjectError::AlreadyInjected {
                    ticket: T,
                    injected_at: AT,
                },
            ],
        ]
        .concat(),
        InjectError::code,
    );
    count += refusals(
        "DOWNLOAD",
        vec![
            DownloadError::Input(InputError::TicketNotFound { ticket: MISSING }),
            DownloadError::NotInjected { ticket: T },
            DownloadError::NotCurrentOwner {
                ticket: T,
                actor: bob(),
            },
            DownloadError::NotDownloadable {
                ticket: T,
                status: WalletStatus::Downloaded,
            },
        ],
        DownloadError::code,
    );
    count += refusals(
        "CHANGE_FLAG",
        vec![
            ChangeFlagError::Input(InputError::TicketNotFound { ticket: MISSING }),
            ChangeFlagError::NotInjected { ticket: T },
            ChangeFlagError::TicketDeleted {
                ticket: T,
                status: WalletStatus::Deleted,
            },
            ChangeFlagError::PendingTransfer {
                ticket: T,
                group: gid(1),
                change: FlagChange::Activate(ActivationMethod::Bt),
            },
            ChangeFlagError::ActorNotAllowed {
                ticket: T,
                actor: Actor::Spectator(bob()),
                change: FlagChange::Check,
            },
            ChangeFlagError::ActorNotAllowed {
                ticket: T,
                actor: Actor::AccessControl,
                change: FlagChange::Deactivate,
            },
        ],
        ChangeFlagError::code,
    );
    count += refusals(
        "INITIATE",
        [
            initiations(),
            inputs()
                .into_iter()
                .map(InitiateTransferError::Input)
                .collect(),
        ]
        .concat(),
        InitiateTransferError::code,
    );
    count += refusals(
        "RETURN_TO_SENDER",
        [
            vec![ReturnToSenderError::NoPreviousOwner { ticket: T }],
            inputs()
                .into_iter()
                .map(ReturnToSenderError::from)
                .collect(),
            // What the command returns: every initiation refusal but an input error.
            initiations()
                .into_iter()
                .map(ReturnToSenderError::from)
                .collect(),
        ]
        .concat(),
        ReturnToSenderError::code,
    );
    count += refusals(
        "ACCEPT",
        vec![
            AcceptTransferError::Input(InputError::GroupNotFound { group: gid(9) }),
            AcceptTransferError::NotPending {
                group: gid(1),
                status: TransferStatus::Declined,
            },
            AcceptTransferError::NotRecipient {
                group: gid(1),
                actor: carol(),
            },
            AcceptTransferError::PastDeadline {
                group: gid(1),
                expires_at: DEADLINE,
            },
            // Not UTC, with a fraction: kept exactly.
            AcceptTransferError::PastDeadline {
                group: gid(1),
                expires_at: datetime!(2026-11-23 14:30:05.25 +02:00),
            },
            AcceptTransferError::TicketDeleted {
                ticket: T,
                status: WalletStatus::DeletionPending,
            },
        ],
        AcceptTransferError::code,
    );
    count += refusals(
        "SIGN_IN",
        vec![
            SignInError::Input(InputError::TicketNotInGroup {
                ticket: T,
                group: gid(1),
            }),
            SignInError::TicketDeleted {
                ticket: T,
                status: WalletStatus::Deleted,
            },
        ],
        SignInError::code,
    );
    count += refusals(
        "DECLINE",
        vec![
            DeclineTransferError::Input(InputError::GroupNotFound { group: gid(9) }),
            DeclineTransferError::NotPending {
                group: gid(1),
                status: TransferStatus::Accepted,
            },
            DeclineTransferError::NotRecipient {
                group: gid(1),
                actor: alice(),
            },
        ],
        DeclineTransferError::code,
    );
    count += refusals(
        "CANCEL",
        vec![
            CancelTransferError::Input(InputError::GroupNotFound { group: gid(9) }),
            CancelTransferError::NotPending {
                group: gid(1),
                status: TransferStatus::Cancelled,
            },
            CancelTransferError::NotSender {
                group: gid(1),
                actor: bob(),
            },
        ],
        CancelTransferError::code,
    );
    count += refusals(
        "EDIT_RECIPIENT",
        [
            vec![
                EditRecipientError::NotPending {
                    group: gid(1),
                    status: TransferStatus::Expired,
                },
                EditRecipientError::NotSender {
                    group: gid(1),
                    actor: bob(),
                },
                EditRecipientError::SameRecipient {
                    group: gid(1),
                    recipient: bob(),
                },
                EditRecipientError::GroupIdReused { group: gid(1) },
            ],
            inputs().into_iter().map(EditRecipientError::from).collect(),
            initiations()
                .into_iter()
                .map(EditRecipientError::from)
                .collect(),
        ]
        .concat(),
        EditRecipientError::code,
    );
    count += refusals(
        "EXPIRE",
        vec![
            ExpireTransferError::Input(InputError::GroupNotFound { group: gid(9) }),
            ExpireTransferError::NotPending {
                group: gid(1),
                status: TransferStatus::Accepted,
            },
            ExpireTransferError::NoDeadline { group: gid(1) },
            ExpireTransferError::NotYetExpired {
                group: gid(1),
                expires_at: DEADLINE,
                at: LATER,
            },
        ],
        ExpireTransferError::code,
    );
    count += refusals(
        "INJECTION_TARGET",
        vec![
            InjectionTargetError::WrongPredecessor {
                ticket: tid(2),
                expected: Some(T),
                given: None,
            },
            InjectionTargetError::WrongPredecessor {
                ticket: tid(2),
                expected: None,
                given: Some(tid(3)),
            },
            InjectionTargetError::NoCulturalContact { ticket: T },
        ],
        InjectionTargetError::code,
    );
    count += refusals(
        "RECORD_FEEDBACK",
        vec![
            RecordFeedbackError::Input(InputError::TicketNotFound { ticket: MISSING }),
            RecordFeedbackError::NotInjected { ticket: T },
            RecordFeedbackError::MissingTransferDetails {
                ticket: T,
                status: LifecycleStatus::PendingTransfer,
            },
        ],
        RecordFeedbackError::code,
    );
    count += refusals(
        "TAKE_BACK",
        vec![
            TakeBackError::Input(InputError::PointOfSaleNotFound {
                point_of_sale: PointOfSaleId::from_u128(9),
            }),
            TakeBackError::TicketInvalidated {
                ticket: T,
                reason: InvalidationReason::MobileTakeBack,
            },
            TakeBackError::NotB2bPointOfSale { point_of_sale: POS },
            TakeBackError::WrongPointOfSale {
                ticket: T,
                point_of_sale: PointOfSaleId::from_u128(2),
            },
            TakeBackError::NoB2bContact { ticket: T },
            TakeBackError::NotB2bContact {
                ticket: T,
                actor: carol(),
            },
            TakeBackError::MobileTakeBackDisabled { point_of_sale: POS },
            TakeBackError::AdvancedViewInactive { point_of_sale: POS },
            TakeBackError::ReplacementWouldGoToLatestOwner { ticket: T },
            TakeBackError::TakeBackModeInjectsAutomatically {
                point_of_sale: POS,
                shipment_mode: MOBILE,
            },
            TakeBackError::NoFeedbackYet { ticket: T },
            TakeBackError::NoLongerInjected {
                ticket: T,
                status: LifecycleStatus::Downloaded,
            },
            TakeBackError::HasTicketHolder { ticket: T },
            TakeBackError::ReplacementIdReused { ticket: T },
        ],
        TakeBackError::code,
    );
    count += refusals(
        "DELETION",
        vec![
            DeletionError::Input(InputError::TicketNotFound { ticket: MISSING }),
            DeletionError::NotInjected { ticket: T },
            DeletionError::StillValid { ticket: T },
            DeletionError::WrongStatus {
                ticket: T,
                status: WalletStatus::Deleted,
            },
        ],
        DeletionError::code,
    );
    count += refusals(
        "REDISTRIBUTE",
        vec![
            RedistributeError::Input(InputError::TicketNotFound { ticket: MISSING }),
            RedistributeError::TicketInvalidated {
                ticket: T,
                reason: InvalidationReason::MobileTakeBack,
            },
            RedistributeError::WrongPointOfSale {
                ticket: T,
                point_of_sale: PointOfSaleId::from_u128(2),
            },
            RedistributeError::AlreadyInjected { ticket: T },
            RedistributeError::NotHolder {
                ticket: T,
                actor: carol(),
            },
        ],
        RedistributeError::code,
    );
    assert!(count > 100, "{count} refusals");

    // The value errors serialize the same way, on their own.
    for error in [
        EmailError::Empty,
        EmailError::TooLong {
            input: "a".repeat(255),
            len: 255,
        },
        EmailError::NotOneAt {
            input: "nope".to_owned(),
        },
        EmailError::InvalidLocalPart {
            input: "@example.com".to_owned(),
        },
        EmailError::InvalidDomain {
            input: "a@b".to_owned(),
        },
        EmailError::InvalidCharacter {
            input: "a b@example.com".to_owned(),
            character: ' ',
        },
    ] {
        round_trip(&error, error.code());
    }
    for error in [
        ThemeError::MalformedLine {
            line: 3,
            text: "oops".to_owned(),
        },
        ThemeError::MalformedValue {
            key: "distribution.list.activateAdvancedView".to_owned(),
            value: "yes".to_owned(),
        },
        ThemeError::DuplicateKey {
            key: "distribution.list.activateAdvancedView".to_owned(),
        },
    ] {
        round_trip(&error, error.code());
    }
    for error in [
        InterfaceError::MalformedValue {
            parameter: "overlaySpectatirDetailsWithLastOwner".to_owned(),
            value: "maybe".to_owned(),
        },
        InterfaceError::DuplicateParameter {
            parameter: "resetInjectionInvalidationReasons".to_owned(),
        },
    ] {
        round_trip(&error, error.code());
    }
    let limit = UsageRuleError::LimitOutOfRange { value: -1 };
    round_trip(&limit, limit.code());

    // The stored spelling (a stored format: changing it breaks recorded refusals).
    let golden = |refused: RuleError, expected: &str| {
        assert_eq!(serde_json::to_string(&refused).unwrap(), expected);
        assert_eq!(
            serde_json::from_str::<RuleError>(expected).unwrap(),
            refused
        );
    };
    golden(
        InitiateTransferError::TransferLimitReached {
            ticket: T,
            level: 1,
            limit: 1,
        }
        .into(),
        r#"{"rule":"INITIATE","refusal":{"code":"TRANSFER_LIMIT_REACHED","ticket":"00000000-0000-0000-0000-000000000001","level":1,"limit":1}}"#,
    );
    golden(
        AcceptTransferError::PastDeadline {
            group: gid(1),
            expires_at: datetime!(2026-11-25 12:00 UTC),
        }
        .into(),
        r#"{"rule":"ACCEPT","refusal":{"code":"TRANSFER_PAST_DEADLINE","group":"00000000-0000-0000-0000-000000000001","expires_at":"2026-11-25T12:00:00Z"}}"#,
    );
    // A nested initiation refusal and an input error are stored as themselves: `code` is the
    // refusal's code.
    golden(
        ReturnToSenderError::from(InitiateTransferError::NotCurrentOwner {
            ticket: T,
            actor: carol(),
        })
        .into(),
        r#"{"rule":"RETURN_TO_SENDER","refusal":{"code":"NOT_CURRENT_OWNER","ticket":"00000000-0000-0000-0000-000000000001","actor":"carol@example.com"}}"#,
    );
    golden(
        EditRecipientError::from(InputError::GroupNotFound { group: gid(9) }).into(),
        r#"{"rule":"EDIT_RECIPIENT","refusal":{"code":"TRANSFER_GROUP_NOT_FOUND","group":"00000000-0000-0000-0000-000000000009"}}"#,
    );
    golden(
        InitiateTransferError::EmptyTicketList.into(),
        r#"{"rule":"INITIATE","refusal":{"code":"EMPTY_TICKET_LIST"}}"#,
    );
}
