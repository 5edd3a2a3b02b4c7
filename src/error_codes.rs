//! The golden list of error codes: `tests/fixtures/error_codes.txt` must be exactly the codes and
//! kinds of one sample of every variant of every public error type, so a code never changes, and
//! a variant never appears, without a change to that file.
//!
//! Each type's samples are a chain: `next(None)` is the first sample, `next(Some(e))` the one after
//! `e`, `None` ends it. Every `next` is an exhaustive `match` (inside the crate `#[non_exhaustive]`
//! does not force a wildcard), so a new variant does not compile until it has its place in the
//! chain, and then its code is in the generated list. A nested `Input` or `Initiate` variant is
//! walked through the errors the command really returns (`ACCEPT_INPUT`, ...): the list documents
//! every code a command can return.

use std::collections::BTreeMap;

use time::OffsetDateTime;
use time::macros::datetime;

use crate::activation::ActivationMethod;
use crate::actor::Actor;
use crate::email::{Email, EmailError};
use crate::error::{Error, ParseError, RuleError};
use crate::error_kind::ErrorKind;
use crate::feedback::LifecycleStatus;
use crate::id::{CommandId, PointOfSaleId, ShipmentModeId, TicketId, TransferGroupId, UsageRuleId};
use crate::injection::{InjectError, RecordFeedbackError};
use crate::input_error::InputError;
use crate::interface::{InjectionTargetError, InterfaceError};
use crate::point_of_sale::ThemeError;
use crate::record_key::RecordKey;
use crate::store::{Operation, StoreError, Version};
use crate::take_back::{RedistributeError, TakeBackError};
use crate::ticket::{InvalidationReason, WalletStatus};
use crate::transfer::{
    AcceptTransferError, BackOfficeTransferError, CancelBackOfficeError, CancelTransferError,
    DeclineTransferError, EditRecipientError, ExpireTransferError, InitiateTransferError,
    ReturnToSenderError, SignInError, TransferStatus,
};
use crate::usage_rule::UsageRuleError;
use crate::wallet::{ChangeFlagError, DeletionError, DownloadError, FlagChange};

/// The golden file.
const GOLDEN: &str = include_str!("../tests/fixtures/error_codes.txt");

/// Its header, kept by the generated text.
const HEADER: &str = "\
# The stable error codes of secure-ticket: one `CODE kind` line per code an error type can
# return, sorted, grouped by type. `= Type` stands for every code of `Type`.
# A released code never changes. src/error_codes.rs checks this file against one sample of every
# variant of every error type: a new variant or code needs a line here.
";

/// An error type with a code and a kind.
trait Coded {
    fn code(&self) -> &'static str;
    fn kind(&self) -> ErrorKind;
}

macro_rules! coded {
    ($($error:ty),* $(,)?) => {$(
        impl Coded for $error {
            fn code(&self) -> &'static str {
                <$error>::code(self)
            }
            fn kind(&self) -> ErrorKind {
                <$error>::kind(self)
            }
        }
    )*};
}

coded!(
    InputError,
    InjectError,
    DownloadError,
    ChangeFlagError,
    InitiateTransferError,
    ReturnToSenderError,
    AcceptTransferError,
    SignInError,
    DeclineTransferError,
    CancelTransferError,
    EditRecipientError,
    ExpireTransferError,
    RecordFeedbackError,
    TakeBackError,
    RedistributeError,
    DeletionError,
    InjectionTargetError,
    RuleError,
    EmailError,
    UsageRuleError,
    ThemeError,
    InterfaceError,
    ParseError,
    StoreError,
    Error,
    crate::index::CursorError,
    crate::feed::ReaderNameError,
    crate::PerformanceError,
    crate::SettingsError,
    crate::staff::ReasonError,
    crate::staff::Forbidden,
    BackOfficeTransferError,
    CancelBackOfficeError,
    crate::spectator::LockError,
    crate::holder::HolderError,
    crate::resale::ResaleError,
);

const T: TicketId = TicketId::from_u128(1);
const G: TransferGroupId = TransferGroupId::from_u128(2);
const RULE: UsageRuleId = UsageRuleId::from_u128(3);
const POS: PointOfSaleId = PointOfSaleId::from_u128(4);
const MODE: ShipmentModeId = ShipmentModeId::from_u128(5);
const PERFORMANCE: crate::PerformanceId = crate::PerformanceId::from_u128(6);
const AT: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

fn email() -> Email {
    Email::parse("alice@example.com").unwrap()
}

/// The samples of a chain, first to last.
fn chain<E>(next: impl Fn(Option<&E>) -> Option<E>) -> Vec<E> {
    let mut all = Vec::new();
    let mut current = next(None);
    while let Some(sample) = current {
        current = next(Some(&sample));
        all.push(sample);
        assert!(all.len() < 100, "a chain of samples loops");
    }
    all
}

/// The element of `list` after `current`, if any.
fn after<T: PartialEq + Clone>(list: &[T], current: &T) -> Option<T> {
    let index = list.iter().position(|x| x == current)?;
    list.get(index.checked_add(1)?).cloned()
}

/// The samples of a nested variant: the one after `current` among `list`, else `then`.
fn nested<T: PartialEq + Clone, E>(
    list: &[T],
    current: &T,
    wrap: impl Fn(T) -> E,
    then: Option<E>,
) -> Option<E> {
    match after(list, current) {
        Some(next) => Some(wrap(next)),
        None => then,
    }
}

fn ticket_not_found() -> InputError {
    InputError::TicketNotFound { ticket: T }
}
fn group_not_found() -> InputError {
    InputError::GroupNotFound { group: G }
}
fn usage_rule_not_found() -> InputError {
    InputError::UsageRuleNotFound {
        ticket: T,
        rule: RULE,
    }
}
fn ticket_not_in_group() -> InputError {
    InputError::TicketNotInGroup {
        ticket: T,
        group: G,
    }
}
fn point_of_sale_not_found() -> InputError {
    InputError::PointOfSaleNotFound { point_of_sale: POS }
}
fn dated_before_group() -> InputError {
    InputError::DatedBeforeGroup {
        group: G,
        at: AT,
        created_at: AT,
    }
}
fn dated_before_injection() -> InputError {
    InputError::DatedBeforeInjection {
        ticket: T,
        at: AT,
        injected_at: AT,
    }
}
fn wallet_input() -> Vec<InputError> {
    vec![ticket_not_found(), dated_before_injection()]
}

/// The input errors each command returns, in the order of its checks.
fn ticket_input() -> Vec<InputError> {
    vec![ticket_not_found()]
}
fn initiate_input() -> Vec<InputError> {
    vec![
        ticket_not_found(),
        dated_before_injection(),
        usage_rule_not_found(),
    ]
}
fn completion_input() -> Vec<InputError> {
    vec![
        ticket_not_found(),
        ticket_not_in_group(),
        usage_rule_not_found(),
    ]
}
fn accept_input() -> Vec<InputError> {
    vec![
        group_not_found(),
        dated_before_group(),
        ticket_not_found(),
        ticket_not_in_group(),
        usage_rule_not_found(),
    ]
}
fn release_input() -> Vec<InputError> {
    vec![
        group_not_found(),
        dated_before_group(),
        ticket_not_found(),
        ticket_not_in_group(),
    ]
}
fn pos_input() -> Vec<InputError> {
    vec![ticket_not_found(), point_of_sale_not_found()]
}

fn input_errors() -> Vec<InputError> {
    use InputError as E;
    chain(|previous| {
        Some(match previous {
            None => ticket_not_found(),
            Some(E::TicketNotFound { .. }) => group_not_found(),
            Some(E::GroupNotFound { .. }) => usage_rule_not_found(),
            Some(E::UsageRuleNotFound { .. }) => ticket_not_in_group(),
            Some(E::TicketNotInGroup { .. }) => point_of_sale_not_found(),
            Some(E::PointOfSaleNotFound { .. }) => dated_before_group(),
            Some(E::DatedBeforeGroup { .. }) => dated_before_injection(),
            Some(E::DatedBeforeInjection { .. }) => return None,
        })
    })
}

fn inject_errors() -> Vec<InjectError> {
    use InjectError as E;
    let input = ticket_input();
    let first = || E::TicketInvalidated {
        ticket: T,
        reason: InvalidationReason::MobileTakeBack,
    };
    chain(|previous| match previous {
        None => Some(E::Input(ticket_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(first())),
        Some(E::TicketInvalidated { .. }) => Some(E::NotSecureMobile {
            ticket: T,
            shipment_mode: MODE,
        }),
        Some(E::NotSecureMobile { .. }) => Some(E::AlreadyInjected {
            ticket: T,
            injected_at: AT,
        }),
        Some(E::AlreadyInjected { .. }) => None,
    })
}

fn download_errors() -> Vec<DownloadError> {
    use DownloadError as E;
    let input = wallet_input();
    chain(|previous| match previous {
        None => Some(E::Input(ticket_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(E::NotInjected { ticket: T })),
        Some(E::NotInjected { .. }) => Some(E::NotCurrentOwner {
            ticket: T,
            actor: email(),
        }),
        Some(E::NotCurrentOwner { .. }) => Some(E::NotDownloadable {
            ticket: T,
            status: WalletStatus::Downloaded,
        }),
        Some(E::NotDownloadable { .. }) => Some(E::TicketInvalidated {
            ticket: T,
            reason: InvalidationReason::MobileTakeBack,
        }),
        Some(E::TicketInvalidated { .. }) => None,
    })
}

fn change_flag_errors() -> Vec<ChangeFlagError> {
    use ChangeFlagError as E;
    let input = wallet_input();
    chain(|previous| match previous {
        None => Some(E::Input(ticket_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(E::NotInjected { ticket: T })),
        Some(E::NotInjected { .. }) => Some(E::TicketDeleted {
            ticket: T,
            status: WalletStatus::Deleted,
        }),
        Some(E::TicketDeleted { .. }) => Some(E::ActorNotAllowed {
            ticket: T,
            actor: Actor::AccessControl,
            change: FlagChange::Activate(ActivationMethod::Online),
        }),
        Some(E::ActorNotAllowed { .. }) => Some(E::PendingTransfer {
            ticket: T,
            group: G,
            change: FlagChange::Check,
        }),
        Some(E::PendingTransfer { .. }) => Some(E::TicketInvalidated {
            ticket: T,
            reason: InvalidationReason::MobileTakeBack,
        }),
        Some(E::TicketInvalidated { .. }) => None,
    })
}

fn initiate_errors() -> Vec<InitiateTransferError> {
    use InitiateTransferError as E;
    let input = initiate_input();
    chain(|previous| {
        Some(match previous {
            None => E::EmptyTicketList,
            Some(E::EmptyTicketList) => E::DuplicateTicket { ticket: T },
            Some(E::DuplicateTicket { .. }) => E::Input(ticket_not_found()),
            Some(E::Input(i)) => {
                return nested(&input, i, E::Input, Some(E::NotInjected { ticket: T }));
            }
            Some(E::NotInjected { .. }) => E::NotCurrentOwner {
                ticket: T,
                actor: email(),
            },
            Some(E::NotCurrentOwner { .. }) => E::TicketDeleted {
                ticket: T,
                status: WalletStatus::DeletionPending,
            },
            Some(E::TicketDeleted { .. }) => E::AlreadyPendingTransfer {
                ticket: T,
                group: G,
            },
            Some(E::AlreadyPendingTransfer { .. }) => E::RecipientIsSender {
                ticket: T,
                recipient: email(),
            },
            Some(E::RecipientIsSender { .. }) => E::TransferDisabled {
                ticket: T,
                rule: RULE,
            },
            Some(E::TransferDisabled { .. }) => E::ActivatedTicket {
                ticket: T,
                rule: RULE,
            },
            Some(E::ActivatedTicket { .. }) => E::CheckedTicket {
                ticket: T,
                rule: RULE,
            },
            Some(E::CheckedTicket { .. }) => E::ControlledTicket {
                ticket: T,
                rule: RULE,
            },
            Some(E::ControlledTicket { .. }) => E::TransferLimitReached {
                ticket: T,
                level: 1,
                limit: 1,
            },
            Some(E::TransferLimitReached { .. }) => E::SameGroupIdForBothDirections { group: G },
            Some(E::SameGroupIdForBothDirections { .. }) => E::TicketInvalidated {
                ticket: T,
                reason: InvalidationReason::MobileTakeBack,
            },
            Some(E::TicketInvalidated { .. }) => E::TooManyTickets {
                count: 101,
                max: 100,
            },
            Some(E::TooManyTickets { .. }) => E::SpectatorLocked(locked()),
            Some(E::SpectatorLocked(_)) => E::PerformanceEnded {
                ticket: T,
                performance: PERFORMANCE,
                ended_at: AT,
            },
            Some(E::PerformanceEnded { .. }) => E::KeepOne {
                performance: PERFORMANCE,
                rule: RULE,
            },
            Some(E::KeepOne { .. }) => return None,
        })
    })
}

fn locked() -> crate::spectator::SpectatorLocked {
    crate::spectator::SpectatorLocked {
        spectator: email(),
        since: AT,
    }
}

fn forbidden() -> crate::staff::Forbidden {
    crate::staff::Forbidden {
        role: crate::staff::StaffRole::Support,
        action: crate::staff::Permission::InitiateTransfer,
    }
}

fn back_office_errors() -> Vec<BackOfficeTransferError> {
    use BackOfficeTransferError as E;
    let input = vec![
        ticket_not_found(),
        dated_before_injection(),
        usage_rule_not_found(),
    ];
    chain(|previous| match previous {
        None => Some(E::TooManyTickets {
            count: 101,
            max: 100,
        }),
        Some(E::TooManyTickets { .. }) => Some(E::EmptyTicketList),
        Some(E::EmptyTicketList) => Some(E::DuplicateTicket { ticket: T }),
        Some(E::DuplicateTicket { .. }) => Some(E::DuplicateGroupId { group: G }),
        Some(E::DuplicateGroupId { .. }) => Some(E::Forbidden(forbidden())),
        Some(E::Forbidden(_)) => Some(E::Input(ticket_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(E::NotInjected { ticket: T })),
        Some(E::NotInjected { .. }) => Some(E::TicketDeleted {
            ticket: T,
            status: WalletStatus::Deleted,
        }),
        Some(E::TicketDeleted { .. }) => Some(E::TicketInvalidated {
            ticket: T,
            reason: InvalidationReason::MobileTakeBack,
        }),
        Some(E::TicketInvalidated { .. }) => Some(E::AlreadyPendingTransfer {
            ticket: T,
            group: G,
        }),
        Some(E::AlreadyPendingTransfer { .. }) => Some(E::ControlledTicket { ticket: T }),
        Some(E::ControlledTicket { .. }) => Some(E::PerformanceEnded {
            ticket: T,
            performance: PERFORMANCE,
            ended_at: AT,
        }),
        Some(E::PerformanceEnded { .. }) => Some(E::RecipientIsOwner {
            ticket: T,
            recipient: email(),
        }),
        Some(E::RecipientIsOwner { .. }) => Some(E::NotEnoughGroupIds {
            needed: 2,
            given: 1,
        }),
        Some(E::NotEnoughGroupIds { .. }) => None,
    })
}

fn cancel_back_office_errors() -> Vec<CancelBackOfficeError> {
    use CancelBackOfficeError as E;
    let input = release_input();
    chain(|previous| match previous {
        None => Some(E::Input(group_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(E::Forbidden(forbidden()))),
        Some(E::Forbidden(_)) => Some(E::NotBackOfficeGroup { group: G }),
        Some(E::NotBackOfficeGroup { .. }) => Some(E::NotPending {
            group: G,
            status: TransferStatus::Accepted,
        }),
        Some(E::NotPending { .. }) => None,
    })
}

fn holder_errors() -> Vec<crate::holder::HolderError> {
    use crate::holder::HolderError as E;
    use crate::organizer::HolderField;
    let input = vec![dated_before_injection(), usage_rule_not_found()];
    chain(|previous| match previous {
        None => Some(E::NotInjected { ticket: T }),
        Some(E::NotInjected { .. }) => Some(E::NotCurrentOwner {
            ticket: T,
            actor: email(),
        }),
        Some(E::NotCurrentOwner { .. }) => Some(E::Input(dated_before_injection())),
        Some(E::Input(i)) => nested(
            &input,
            i,
            E::Input,
            Some(E::TicketDeleted {
                ticket: T,
                status: WalletStatus::Deleted,
            }),
        ),
        Some(E::TicketDeleted { .. }) => Some(E::TicketInvalidated {
            ticket: T,
            reason: InvalidationReason::MobileTakeBack,
        }),
        Some(E::TicketInvalidated { .. }) => Some(E::AlreadyPendingTransfer {
            ticket: T,
            group: G,
        }),
        Some(E::AlreadyPendingTransfer { .. }) => Some(E::SpectatorLocked(locked())),
        Some(E::SpectatorLocked(_)) => Some(E::AssignmentDisabled {
            ticket: T,
            rule: RULE,
        }),
        Some(E::AssignmentDisabled { .. }) => Some(E::ActivatedTicket {
            ticket: T,
            rule: RULE,
        }),
        Some(E::ActivatedTicket { .. }) => Some(E::CheckedTicket {
            ticket: T,
            rule: RULE,
        }),
        Some(E::CheckedTicket { .. }) => Some(E::FieldTooLong {
            ticket: T,
            field: HolderField::LastName,
            len: 300,
            max: 256,
        }),
        Some(E::FieldTooLong { .. }) => Some(E::MissingField {
            ticket: T,
            field: HolderField::LastName,
        }),
        Some(E::MissingField { .. }) => Some(E::ReasonRequired { ticket: T }),
        Some(E::ReasonRequired { .. }) => Some(E::NoHolder { ticket: T }),
        Some(E::NoHolder { .. }) => None,
    })
}

fn resale_errors() -> Vec<crate::resale::ResaleError> {
    use crate::resale::ResaleError as E;
    let input = vec![
        ticket_not_found(),
        point_of_sale_not_found(),
        dated_before_injection(),
    ];
    chain(|previous| match previous {
        None => Some(E::Input(ticket_not_found())),
        Some(E::Input(i)) => nested(
            &input,
            i,
            E::Input,
            Some(E::WrongPointOfSale {
                ticket: T,
                point_of_sale: POS,
            }),
        ),
        Some(E::WrongPointOfSale { .. }) => Some(E::NotCulturalContact {
            ticket: T,
            actor: email(),
        }),
        Some(E::NotCulturalContact { .. }) => Some(E::AlreadyOnResale { ticket: T }),
        Some(E::AlreadyOnResale { .. }) => Some(E::TicketInvalidated {
            ticket: T,
            reason: InvalidationReason::Resale,
        }),
        Some(E::TicketInvalidated { .. }) => Some(E::NotInjected { ticket: T }),
        Some(E::NotInjected { .. }) => Some(E::TicketDeleted {
            ticket: T,
            status: WalletStatus::Deleted,
        }),
        Some(E::TicketDeleted { .. }) => Some(E::PendingTransfer {
            ticket: T,
            group: G,
        }),
        Some(E::PendingTransfer { .. }) => Some(E::ResaleDisabled {
            point_of_sale: POS,
            transferred: true,
        }),
        Some(E::ResaleDisabled { .. }) => Some(E::SpectatorLocked(locked())),
        Some(E::SpectatorLocked(_)) => Some(E::BuyerTicketIdReused { ticket: T }),
        Some(E::BuyerTicketIdReused { .. }) => Some(E::NotOnResale { ticket: T }),
        Some(E::NotOnResale { .. }) => Some(E::DeletionNotReported {
            ticket: T,
            status: Some(LifecycleStatus::Downloaded),
        }),
        Some(E::DeletionNotReported { .. }) => None,
    })
}

fn lock_errors() -> Vec<crate::spectator::LockError> {
    use crate::spectator::LockError as E;
    chain(|previous| match previous {
        None => Some(E::Forbidden(crate::staff::Forbidden {
            role: crate::staff::StaffRole::Basic,
            action: crate::staff::Permission::LockSpectator,
        })),
        Some(E::Forbidden(_)) => Some(E::AlreadyLocked {
            spectator: email(),
            since: AT,
        }),
        Some(E::AlreadyLocked { .. }) => Some(E::NotLocked { spectator: email() }),
        Some(E::NotLocked { .. }) => None,
    })
}

/// The initiation's refusals: what an `Initiate` variant holds (its input errors are lifted).
fn initiate_refusals() -> Vec<InitiateTransferError> {
    initiate_errors()
        .into_iter()
        .filter(|e| !matches!(e, InitiateTransferError::Input(_)))
        .collect()
}

fn return_to_sender_errors() -> Vec<ReturnToSenderError> {
    use ReturnToSenderError as E;
    let (input, refusals) = (initiate_input(), initiate_refusals());
    chain(|previous| match previous {
        None => Some(E::Input(ticket_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(E::NoPreviousOwner { ticket: T })),
        Some(E::NoPreviousOwner { .. }) => refusals.first().cloned().map(E::Initiate),
        Some(E::Initiate(i)) => nested(&refusals, i, E::Initiate, None),
    })
}

fn accept_errors() -> Vec<AcceptTransferError> {
    use AcceptTransferError as E;
    let input = accept_input();
    let first = || E::NotPending {
        group: G,
        status: TransferStatus::Declined,
    };
    chain(|previous| match previous {
        None => Some(E::Input(group_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(first())),
        Some(E::NotPending { .. }) => Some(E::NotRecipient {
            group: G,
            actor: email(),
        }),
        Some(E::NotRecipient { .. }) => Some(E::PastDeadline {
            group: G,
            expires_at: AT,
        }),
        Some(E::PastDeadline { .. }) => Some(E::PerformanceEnded {
            group: G,
            ended_at: AT,
        }),
        Some(E::PerformanceEnded { .. }) => Some(E::TicketDeleted {
            ticket: T,
            status: WalletStatus::Deleted,
        }),
        Some(E::TicketDeleted { .. }) => Some(E::TicketInvalidated {
            ticket: T,
            reason: InvalidationReason::MobileTakeBack,
        }),
        Some(E::TicketInvalidated { .. }) => None,
    })
}

fn sign_in_errors() -> Vec<SignInError> {
    use SignInError as E;
    let input = completion_input();
    let deleted = || E::TicketDeleted {
        ticket: T,
        status: WalletStatus::Deleted,
    };
    chain(|previous| match previous {
        None => Some(E::Input(ticket_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(deleted())),
        Some(E::TicketDeleted { .. }) => None,
    })
}

fn decline_errors() -> Vec<DeclineTransferError> {
    use DeclineTransferError as E;
    let input = release_input();
    let first = || E::NotPending {
        group: G,
        status: TransferStatus::Accepted,
    };
    chain(|previous| match previous {
        None => Some(E::Input(group_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(first())),
        Some(E::NotPending { .. }) => Some(E::NotRecipient {
            group: G,
            actor: email(),
        }),
        Some(E::NotRecipient { .. }) => Some(E::BackOfficeGroup { group: G }),
        Some(E::BackOfficeGroup { .. }) => None,
    })
}

fn cancel_errors() -> Vec<CancelTransferError> {
    use CancelTransferError as E;
    let input = release_input();
    let first = || E::NotPending {
        group: G,
        status: TransferStatus::Expired,
    };
    chain(|previous| match previous {
        None => Some(E::Input(group_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(first())),
        Some(E::NotPending { .. }) => Some(E::NotSender {
            group: G,
            actor: email(),
        }),
        Some(E::NotSender { .. }) => Some(E::BackOfficeGroup { group: G }),
        Some(E::BackOfficeGroup { .. }) => None,
    })
}

fn edit_recipient_errors() -> Vec<EditRecipientError> {
    use EditRecipientError as E;
    let (input, refusals) = (accept_input(), initiate_refusals());
    let first = || E::NotPending {
        group: G,
        status: TransferStatus::Accepted,
    };
    chain(|previous| match previous {
        None => Some(E::Input(group_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(first())),
        Some(E::NotPending { .. }) => Some(E::NotSender {
            group: G,
            actor: email(),
        }),
        Some(E::NotSender { .. }) => Some(E::SameRecipient {
            group: G,
            recipient: email(),
        }),
        Some(E::SameRecipient { .. }) => Some(E::BackOfficeGroup { group: G }),
        Some(E::BackOfficeGroup { .. }) => Some(E::GroupIdReused { group: G }),
        Some(E::GroupIdReused { .. }) => refusals.first().cloned().map(E::Initiate),
        Some(E::Initiate(i)) => nested(&refusals, i, E::Initiate, None),
    })
}

fn expire_errors() -> Vec<ExpireTransferError> {
    use ExpireTransferError as E;
    let input = release_input();
    let first = || E::NotPending {
        group: G,
        status: TransferStatus::Cancelled,
    };
    chain(|previous| match previous {
        None => Some(E::Input(group_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(first())),
        Some(E::NotPending { .. }) => Some(E::NoDeadline { group: G }),
        Some(E::NoDeadline { .. }) => Some(E::NotYetExpired {
            group: G,
            expires_at: AT,
            at: AT,
        }),
        Some(E::NotYetExpired { .. }) => None,
    })
}

fn record_feedback_errors() -> Vec<RecordFeedbackError> {
    use RecordFeedbackError as E;
    let input = ticket_input();
    chain(|previous| match previous {
        None => Some(E::Input(ticket_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(E::NotInjected { ticket: T })),
        Some(E::NotInjected { .. }) => Some(E::MissingTransferDetails {
            ticket: T,
            status: LifecycleStatus::Transferred,
        }),
        Some(E::MissingTransferDetails { .. }) => None,
    })
}

fn take_back_errors() -> Vec<TakeBackError> {
    use TakeBackError as E;
    let input = pos_input();
    let first = || E::TicketInvalidated {
        ticket: T,
        reason: InvalidationReason::MobileTakeBack,
    };
    chain(|previous| {
        Some(match previous {
            None => E::Input(ticket_not_found()),
            Some(E::Input(i)) => return nested(&input, i, E::Input, Some(first())),
            Some(E::TicketInvalidated { .. }) => E::NotB2bPointOfSale { point_of_sale: POS },
            Some(E::NotB2bPointOfSale { .. }) => E::WrongPointOfSale {
                ticket: T,
                point_of_sale: POS,
            },
            Some(E::WrongPointOfSale { .. }) => E::NoB2bContact { ticket: T },
            Some(E::NoB2bContact { .. }) => E::NotB2bContact {
                ticket: T,
                actor: email(),
            },
            Some(E::NotB2bContact { .. }) => E::MobileTakeBackDisabled { point_of_sale: POS },
            Some(E::MobileTakeBackDisabled { .. }) => {
                E::AdvancedViewInactive { point_of_sale: POS }
            }
            Some(E::AdvancedViewInactive { .. }) => {
                E::ReplacementWouldGoToLatestOwner { ticket: T }
            }
            Some(E::ReplacementWouldGoToLatestOwner { .. }) => {
                E::TakeBackModeInjectsAutomatically {
                    point_of_sale: POS,
                    shipment_mode: MODE,
                }
            }
            Some(E::TakeBackModeInjectsAutomatically { .. }) => E::NoFeedbackYet { ticket: T },
            Some(E::NoFeedbackYet { .. }) => E::NoLongerInjected {
                ticket: T,
                status: LifecycleStatus::Downloaded,
            },
            Some(E::NoLongerInjected { .. }) => E::DownloadedTakeBackNotAllowed {
                ticket: T,
                point_of_sale: POS,
                setting: crate::DownloadedTakeBack::Relay,
                contact: crate::ContactKind::Individual,
            },
            Some(E::DownloadedTakeBackNotAllowed { .. }) => E::HasTicketHolder { ticket: T },
            Some(E::HasTicketHolder { .. }) => E::ReplacementIdReused { ticket: T },
            Some(E::ReplacementIdReused { .. }) => return None,
        })
    })
}

fn redistribute_errors() -> Vec<RedistributeError> {
    use RedistributeError as E;
    let input = pos_input();
    let first = || E::TicketInvalidated {
        ticket: T,
        reason: InvalidationReason::MobileTakeBack,
    };
    chain(|previous| match previous {
        None => Some(E::Input(ticket_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(first())),
        Some(E::TicketInvalidated { .. }) => Some(E::WrongPointOfSale {
            ticket: T,
            point_of_sale: POS,
        }),
        Some(E::WrongPointOfSale { .. }) => Some(E::AlreadyInjected { ticket: T }),
        Some(E::AlreadyInjected { .. }) => Some(E::NotHolder {
            ticket: T,
            actor: email(),
        }),
        Some(E::NotHolder { .. }) => None,
    })
}

fn deletion_errors() -> Vec<DeletionError> {
    use DeletionError as E;
    let input = ticket_input();
    chain(|previous| match previous {
        None => Some(E::Input(ticket_not_found())),
        Some(E::Input(i)) => nested(&input, i, E::Input, Some(E::NotInjected { ticket: T })),
        Some(E::NotInjected { .. }) => Some(E::StillValid { ticket: T }),
        Some(E::StillValid { .. }) => Some(E::WrongStatus {
            ticket: T,
            status: WalletStatus::NotDownloaded,
        }),
        Some(E::WrongStatus { .. }) => None,
    })
}

fn injection_target_errors() -> Vec<InjectionTargetError> {
    use InjectionTargetError as E;
    chain(|previous| match previous {
        None => Some(E::WrongPredecessor {
            ticket: T,
            expected: None,
            given: Some(TicketId::from_u128(7)),
        }),
        Some(E::WrongPredecessor { .. }) => Some(E::NoCulturalContact { ticket: T }),
        Some(E::NoCulturalContact { .. }) => None,
    })
}

fn email_errors() -> Vec<EmailError> {
    use EmailError as E;
    let input = || "a b".to_owned();
    chain(|previous| {
        Some(match previous {
            None => E::Empty,
            Some(E::Empty) => E::TooLong {
                input: input(),
                len: 300,
            },
            Some(E::TooLong { .. }) => E::NotOneAt { input: input() },
            Some(E::NotOneAt { .. }) => E::InvalidLocalPart { input: input() },
            Some(E::InvalidLocalPart { .. }) => E::InvalidDomain { input: input() },
            Some(E::InvalidDomain { .. }) => E::InvalidCharacter {
                input: input(),
                character: ' ',
            },
            Some(E::InvalidCharacter { .. }) => return None,
        })
    })
}

fn usage_rule_errors() -> Vec<UsageRuleError> {
    use UsageRuleError as E;
    chain(|previous| match previous {
        None => Some(E::LimitOutOfRange { value: 0 }),
        Some(E::LimitOutOfRange { .. }) => None,
    })
}

fn theme_errors() -> Vec<ThemeError> {
    use ThemeError as E;
    chain(|previous| match previous {
        None => Some(E::MalformedLine {
            line: 1,
            text: "x".to_owned(),
        }),
        Some(E::MalformedLine { .. }) => Some(E::MalformedValue {
            key: "k".to_owned(),
            value: "v".to_owned(),
        }),
        Some(E::MalformedValue { .. }) => Some(E::DuplicateKey {
            key: "k".to_owned(),
        }),
        Some(E::DuplicateKey { .. }) => None,
    })
}

fn interface_errors() -> Vec<InterfaceError> {
    use InterfaceError as E;
    chain(|previous| match previous {
        None => Some(E::MalformedValue {
            parameter: "p".to_owned(),
            value: "v".to_owned(),
        }),
        Some(E::MalformedValue { .. }) => Some(E::DuplicateParameter {
            parameter: "p".to_owned(),
        }),
        Some(E::DuplicateParameter { .. }) => None,
    })
}

fn store_errors() -> Vec<StoreError> {
    use StoreError as E;
    let key = RecordKey::Ticket(T);
    let next = |previous: Option<&StoreError>| -> Option<StoreError> {
        Some(match previous {
            None => E::Conflict {
                key,
                expected: Version::NEW,
                actual: Version::NEW.next(),
            },
            Some(E::Conflict { .. }) => E::UnsupportedFormat {
                key,
                format: 9,
                min_reader: 9,
                reader: 1,
            },
            Some(E::UnsupportedFormat { .. }) => E::Corrupt {
                key,
                operation: Operation::Load,
                source: "not a record".into(),
            },
            Some(E::Corrupt { .. }) => E::ChangedDuringRead { key },
            Some(E::ChangedDuringRead { .. }) => E::UniqueEntryTaken {
                index: crate::index::Index::ValidTicketByRight,
                key,
                holder: RecordKey::Ticket(TicketId::from_u128(2)),
            },
            Some(E::UniqueEntryTaken { .. }) => E::DuplicateKey { key },
            Some(E::DuplicateKey { .. }) => E::Backend {
                operation: Operation::Commit,
                key: None,
                source: "disk full".into(),
            },
            Some(E::Backend { .. }) => return None,
        })
    };
    chain(next)
}

/// A wrapper's variants, each with the type it holds and a sample of it wrapped.
fn rule_errors() -> Vec<(&'static str, RuleError)> {
    use RuleError as E;
    fn first<T: Clone>(samples: &[T]) -> T {
        samples.first().cloned().unwrap()
    }
    let mut all = Vec::new();
    let mut current = Some(E::from(first(&inject_errors())));
    while let Some(sample) = current {
        let (name, next) = match &sample {
            E::Inject(_) => ("InjectError", Some(E::from(first(&download_errors())))),
            E::Download(_) => ("DownloadError", Some(E::from(first(&change_flag_errors())))),
            E::ChangeFlag(_) => ("ChangeFlagError", Some(E::from(first(&initiate_errors())))),
            E::Initiate(_) => (
                "InitiateTransferError",
                Some(E::from(first(&return_to_sender_errors()))),
            ),
            E::ReturnToSender(_) => (
                "ReturnToSenderError",
                Some(E::from(first(&accept_errors()))),
            ),
            E::Accept(_) => (
                "AcceptTransferError",
                Some(E::from(first(&sign_in_errors()))),
            ),
            E::SignIn(_) => ("SignInError", Some(E::from(first(&decline_errors())))),
            E::Decline(_) => (
                "DeclineTransferError",
                Some(E::from(first(&cancel_errors()))),
            ),
            E::Cancel(_) => (
                "CancelTransferError",
                Some(E::from(first(&edit_recipient_errors()))),
            ),
            E::EditRecipient(_) => ("EditRecipientError", Some(E::from(first(&expire_errors())))),
            E::Expire(_) => (
                "ExpireTransferError",
                Some(E::from(first(&record_feedback_errors()))),
            ),
            E::RecordFeedback(_) => (
                "RecordFeedbackError",
                Some(E::from(first(&take_back_errors()))),
            ),
            E::TakeBack(_) => (
                "TakeBackError",
                Some(E::from(first(&redistribute_errors()))),
            ),
            E::Redistribute(_) => (
                "RedistributeError",
                Some(E::from(first(&deletion_errors()))),
            ),
            E::Deletion(_) => (
                "DeletionError",
                Some(E::from(first(&injection_target_errors()))),
            ),
            E::InjectionTarget(_) => (
                "InjectionTargetError",
                Some(E::from(first(&back_office_errors()))),
            ),
            E::BackOffice(_) => (
                "BackOfficeTransferError",
                Some(E::from(first(&cancel_back_office_errors()))),
            ),
            E::CancelBackOffice(_) => (
                "CancelBackOfficeError",
                Some(E::from(first(&lock_errors()))),
            ),
            E::Lock(_) => ("LockError", Some(E::from(first(&holder_errors())))),
            E::Holder(_) => ("HolderError", Some(E::from(first(&resale_errors())))),
            E::Resale(_) => ("ResaleError", None),
        };
        all.push((name, sample));
        current = next;
    }
    all
}

fn parse_errors() -> Vec<(&'static str, ParseError)> {
    use ParseError as E;
    chain(|previous: Option<&(&'static str, ParseError)>| {
        Some(match previous.map(|(_, e)| e) {
            None => ("EmailError", E::from(EmailError::Empty)),
            Some(E::Email(_)) => ("UsageRuleError", E::from(usage_rule_errors().remove(0))),
            Some(E::UsageRule(_)) => ("ThemeError", E::from(theme_errors().remove(0))),
            Some(E::Theme(_)) => ("InterfaceError", E::from(interface_errors().remove(0))),
            Some(E::Interface(_)) => return None,
        })
    })
}

/// The shell's errors: a wrapped variant gives the name of the type it holds.
fn shell_errors() -> Vec<(Option<&'static str>, Error)> {
    chain(|previous: Option<&(Option<&'static str>, Error)>| {
        Some(match previous.map(|(_, e)| e) {
            None => (
                Some("RuleError"),
                Error::from(RuleError::from(InitiateTransferError::EmptyTicketList)),
            ),
            Some(Error::Rule(_)) => (
                Some("StoreError"),
                Error::from(StoreError::DuplicateKey {
                    key: RecordKey::Ticket(T),
                }),
            ),
            Some(Error::Store(_)) => (
                None,
                Error::CommandIdReused {
                    command: CommandId::from_u128(8),
                },
            ),
            Some(Error::CommandIdReused { .. }) => (
                None,
                Error::NotFound {
                    key: RecordKey::TransferGroup(G),
                },
            ),
            Some(Error::NotFound { .. }) => (
                None,
                Error::IdInUse {
                    key: RecordKey::Ticket(T),
                },
            ),
            Some(Error::IdInUse { .. }) => (None, Error::InvalidLimit { limit: 0 }),
            Some(Error::InvalidLimit { .. }) => (
                Some("CursorError"),
                Error::InvalidCursor(crate::index::CursorError::Malformed),
            ),
            Some(Error::InvalidCursor(_)) => (
                None,
                Error::UnknownReader {
                    reader: crate::service::FeedbackReader::name(),
                },
            ),
            Some(Error::UnknownReader { .. }) => (
                None,
                Error::ReaderExists {
                    reader: crate::service::FeedbackReader::name(),
                },
            ),
            Some(Error::ReaderExists { .. }) => (
                None,
                Error::BatchTooLarge {
                    count: 1001,
                    max: 1000,
                },
            ),
            Some(Error::BatchTooLarge { .. }) => (
                None,
                Error::TimeOutOfRange {
                    at: OffsetDateTime::UNIX_EPOCH,
                },
            ),
            Some(Error::TimeOutOfRange { .. }) => (
                None,
                Error::TextTooLong {
                    key: RecordKey::Ticket(T),
                    field: crate::text_limit::TextField::HolderLastName,
                    len: 300,
                    max: 256,
                },
            ),
            Some(Error::TextTooLong { .. }) => return None,
        })
    })
}

fn line(error: &dyn Coded) -> String {
    format!("{} {}", error.code(), error.kind())
}

fn lines<E: Coded>(samples: &[E]) -> Vec<String> {
    samples.iter().map(|e| line(e)).collect()
}

/// Every group of the golden file, in its order: the type's name and its lines.
fn groups() -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("InputError", lines(&input_errors())),
        ("InjectError", lines(&inject_errors())),
        ("DownloadError", lines(&download_errors())),
        ("ChangeFlagError", lines(&change_flag_errors())),
        ("InitiateTransferError", lines(&initiate_errors())),
        ("ReturnToSenderError", lines(&return_to_sender_errors())),
        ("AcceptTransferError", lines(&accept_errors())),
        ("SignInError", lines(&sign_in_errors())),
        ("DeclineTransferError", lines(&decline_errors())),
        ("CancelTransferError", lines(&cancel_errors())),
        ("EditRecipientError", lines(&edit_recipient_errors())),
        ("ExpireTransferError", lines(&expire_errors())),
        ("RecordFeedbackError", lines(&record_feedback_errors())),
        ("TakeBackError", lines(&take_back_errors())),
        ("RedistributeError", lines(&redistribute_errors())),
        ("DeletionError", lines(&deletion_errors())),
        ("InjectionTargetError", lines(&injection_target_errors())),
        ("BackOfficeTransferError", lines(&back_office_errors())),
        ("CancelBackOfficeError", lines(&cancel_back_office_errors())),
        ("LockError", lines(&lock_errors())),
        ("HolderError", lines(&holder_errors())),
        ("ResaleError", lines(&resale_errors())),
        (
            "RuleError",
            rule_errors()
                .iter()
                .map(|(name, _)| format!("= {name}"))
                .collect(),
        ),
        ("EmailError", lines(&email_errors())),
        ("UsageRuleError", lines(&usage_rule_errors())),
        ("ThemeError", lines(&theme_errors())),
        ("InterfaceError", lines(&interface_errors())),
        (
            "ParseError",
            parse_errors()
                .iter()
                .map(|(name, _)| format!("= {name}"))
                .collect(),
        ),
        ("StoreError", lines(&store_errors())),
        (
            "CursorError",
            lines(&[
                crate::index::CursorError::Malformed,
                crate::index::CursorError::OtherList,
            ]),
        ),
        (
            "ReaderNameError",
            lines(&[
                crate::feed::ReaderNameError::Length { len: 0 },
                crate::feed::ReaderNameError::Character { at: 0, found: 'A' },
            ]),
        ),
        (
            "SettingsError",
            lines(&[
                crate::SettingsError::NegativeExpiry { seconds: -1 },
                crate::SettingsError::ExpiryNotInWholeSeconds { milliseconds: 400 },
                crate::SettingsError::ExpiryTooLong { seconds: 1 << 40 },
            ]),
        ),
        (
            "PerformanceError",
            lines(&[
                crate::PerformanceError::EndsBeforeStart {
                    performance: crate::PerformanceId::from_u128(1),
                    starts_at: OffsetDateTime::UNIX_EPOCH,
                    ends_at: OffsetDateTime::UNIX_EPOCH,
                },
                crate::PerformanceError::TimeOutOfRange {
                    performance: crate::PerformanceId::from_u128(1),
                    at: OffsetDateTime::UNIX_EPOCH,
                },
            ]),
        ),
        (
            "ReasonError",
            lines(&[
                crate::staff::ReasonError::Empty,
                crate::staff::ReasonError::TooLong { len: 513, max: 512 },
            ]),
        ),
        (
            "Forbidden",
            lines(&[crate::staff::Forbidden {
                role: crate::staff::StaffRole::Support,
                action: crate::staff::Permission::InitiateTransfer,
            }]),
        ),
        (
            "Error",
            shell_errors()
                .iter()
                .map(|(nested, e)| match nested {
                    Some(name) => format!("= {name}"),
                    None => line(e),
                })
                .collect(),
        ),
    ]
}

/// The golden file's text, as the samples give it.
fn render() -> String {
    let mut out = HEADER.to_owned();
    for (name, mut lines) in groups() {
        lines.sort();
        lines.dedup();
        out.push_str(&format!("\n[{name}]\n"));
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn error_codes_match_the_golden_file() {
    let generated = render();
    assert!(
        GOLDEN == generated,
        "tests/fixtures/error_codes.txt is not the list of error codes; if the change is meant \
         (a new variant: never a changed code), replace the file with:\n{generated}"
    );
}

#[test]
fn error_codes_are_screaming_snake_case_and_have_one_kind() {
    let mut kinds: BTreeMap<&'static str, ErrorKind> = BTreeMap::new();
    let mut every: Vec<(&'static str, ErrorKind)> = Vec::new();
    let mut add = |samples: Vec<(&'static str, ErrorKind)>| every.extend(samples);
    fn pairs<E: Coded>(samples: &[E]) -> Vec<(&'static str, ErrorKind)> {
        samples.iter().map(|e| (e.code(), e.kind())).collect()
    }
    add(pairs(&input_errors()));
    add(pairs(&inject_errors()));
    add(pairs(&download_errors()));
    add(pairs(&change_flag_errors()));
    add(pairs(&initiate_errors()));
    add(pairs(&return_to_sender_errors()));
    add(pairs(&accept_errors()));
    add(pairs(&sign_in_errors()));
    add(pairs(&decline_errors()));
    add(pairs(&cancel_errors()));
    add(pairs(&edit_recipient_errors()));
    add(pairs(&expire_errors()));
    add(pairs(&record_feedback_errors()));
    add(pairs(&take_back_errors()));
    add(pairs(&redistribute_errors()));
    add(pairs(&deletion_errors()));
    add(pairs(&injection_target_errors()));
    add(pairs(&email_errors()));
    add(pairs(&usage_rule_errors()));
    add(pairs(&theme_errors()));
    add(pairs(&interface_errors()));
    add(pairs(&store_errors()));
    add(shell_errors()
        .iter()
        .map(|(_, e)| (e.code(), e.kind()))
        .collect());
    for (code, kind) in every {
        assert!(
            !code.is_empty()
                && code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                && !code.starts_with('_')
                && !code.ends_with('_'),
            "{code} is not SCREAMING_SNAKE_CASE"
        );
        let first = *kinds.entry(code).or_insert(kind);
        assert_eq!(first, kind, "{code} has two kinds");
    }
}

#[test]
fn wrappers_give_the_code_and_kind_of_the_error_they_hold() {
    fn same<E: Coded + Clone, W: Coded>(samples: &[E], wrap: impl Fn(E) -> W) {
        for sample in samples {
            let wrapped = wrap(sample.clone());
            assert_eq!(
                (wrapped.code(), wrapped.kind()),
                (sample.code(), sample.kind())
            );
        }
    }
    same(&inject_errors(), RuleError::from);
    same(&download_errors(), RuleError::from);
    same(&change_flag_errors(), RuleError::from);
    same(&initiate_errors(), RuleError::from);
    same(&return_to_sender_errors(), RuleError::from);
    same(&accept_errors(), RuleError::from);
    same(&sign_in_errors(), RuleError::from);
    same(&decline_errors(), RuleError::from);
    same(&cancel_errors(), RuleError::from);
    same(&edit_recipient_errors(), RuleError::from);
    same(&expire_errors(), RuleError::from);
    same(&record_feedback_errors(), RuleError::from);
    same(&take_back_errors(), RuleError::from);
    same(&redistribute_errors(), RuleError::from);
    same(&deletion_errors(), RuleError::from);
    same(&injection_target_errors(), RuleError::from);
    same(&email_errors(), ParseError::from);
    same(&usage_rule_errors(), ParseError::from);
    same(&theme_errors(), ParseError::from);
    same(&interface_errors(), ParseError::from);
    let rules: Vec<RuleError> = rule_errors().into_iter().map(|(_, e)| e).collect();
    same(&rules, Error::from);
    for store in store_errors() {
        let (code, kind) = (store.code(), store.kind());
        let wrapped = Error::from(store);
        assert_eq!((wrapped.code(), wrapped.kind()), (code, kind));
    }
    // The nested initiation of a return or an edit gives the initiation's code.
    same(&initiate_refusals(), ReturnToSenderError::from);
    same(&initiate_refusals(), EditRecipientError::from);
    same(&input_errors(), AcceptTransferError::from);
}
