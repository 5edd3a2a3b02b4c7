//! Names: of commands, of outcomes (every error variant, nested ones included), of events; and the
//! catalogue of every outcome each command can have through the shell.

use secure_ticket::injection::{InjectError, RecordFeedbackError};
use secure_ticket::service::Command;
use secure_ticket::store::{RecordKey, StoreError};
use secure_ticket::take_back::{RedistributeError, TakeBackError};
use secure_ticket::transfer::{
    AcceptTransferError, CancelTransferError, DeclineTransferError, EditRecipientError,
    ExpireTransferError, InitiateTransferError, ReturnToSenderError, SignInError,
};
use secure_ticket::wallet::{ChangeFlagError, DeletionError, DownloadError};
use secure_ticket::{Direction, Error, Event, InputError, RuleError};

/// Every command kind, in the order of [`Command`].
pub(crate) const COMMANDS: [&str; 16] = [
    "Inject",
    "Download",
    "ChangeFlag",
    "Initiate",
    "ReturnToSender",
    "Accept",
    "SignIn",
    "Decline",
    "Cancel",
    "EditRecipient",
    "Expire",
    "RecordFeedback",
    "TakeBack",
    "Redistribute",
    "RequestDeletion",
    "CompleteDeletion",
];

pub(crate) fn command_kind(command: &Command) -> &'static str {
    match command {
        Command::Inject(_) => "Inject",
        Command::Download(_) => "Download",
        Command::ChangeFlag(_) => "ChangeFlag",
        Command::Initiate(_) => "Initiate",
        Command::ReturnToSender(_) => "ReturnToSender",
        Command::Accept(_) => "Accept",
        Command::SignIn { .. } => "SignIn",
        Command::Decline(_) => "Decline",
        Command::Cancel(_) => "Cancel",
        Command::EditRecipient(_) => "EditRecipient",
        Command::Expire(_) => "Expire",
        Command::RecordFeedback(_) => "RecordFeedback",
        Command::TakeBack(_) => "TakeBack",
        Command::Redistribute(_) => "Redistribute",
        Command::RequestDeletion(_) => "RequestDeletion",
        Command::CompleteDeletion(_) => "CompleteDeletion",
        _ => "UnknownCommand",
    }
}

/// The kind of a record, as the outcome names spell it.
pub(crate) fn record_kind(key: &RecordKey) -> &'static str {
    match key {
        RecordKey::Ticket(_) => "ticket",
        RecordKey::TransferGroup(_) => "transfer_group",
        RecordKey::PointOfSale(_) => "point_of_sale",
        RecordKey::UsageRule(_) => "usage_rule",
        RecordKey::Settings(_) => "settings",
        RecordKey::Command(_) => "command",
        _ => "unknown_record",
    }
}

/// The name of an error, down to the innermost variant: `Initiate::TransferLimitReached`,
/// `ReturnToSender::Initiate::NotCurrentOwner`, `NotFound(settings)`, `IdInUse(ticket)`.
pub(crate) fn error_kind(error: &Error) -> String {
    match error {
        Error::Rule(rule) => rule_kind(rule),
        Error::NotFound { key } => format!("NotFound({})", record_kind(key)),
        Error::IdInUse { key } => format!("IdInUse({})", record_kind(key)),
        Error::CommandIdReused { .. } => "CommandIdReused".to_owned(),
        Error::Store(store) => format!("Store::{}", store_kind(store)),
        _ => "UnknownError".to_owned(),
    }
}

fn store_kind(error: &StoreError) -> &'static str {
    match error {
        StoreError::Conflict { .. } => "Conflict",
        StoreError::UnsupportedFormat { .. } => "UnsupportedFormat",
        StoreError::Corrupt { .. } => "Corrupt",
        StoreError::DuplicateKey { .. } => "DuplicateKey",
        StoreError::Backend { .. } => "Backend",
        _ => "Unknown",
    }
}

pub(crate) fn rule_kind(error: &RuleError) -> String {
    match error {
        RuleError::Inject(e) => format!("Inject::{}", inject_kind(e)),
        RuleError::Download(e) => format!("Download::{}", download_kind(e)),
        RuleError::ChangeFlag(e) => format!("ChangeFlag::{}", change_flag_kind(e)),
        RuleError::Initiate(e) => format!("Initiate::{}", initiate_kind(e)),
        RuleError::ReturnToSender(e) => format!("ReturnToSender::{}", return_kind(e)),
        RuleError::Accept(e) => format!("Accept::{}", accept_kind(e)),
        RuleError::SignIn(e) => format!("SignIn::{}", sign_in_kind(e)),
        RuleError::Decline(e) => format!("Decline::{}", decline_kind(e)),
        RuleError::Cancel(e) => format!("Cancel::{}", cancel_kind(e)),
        RuleError::EditRecipient(e) => format!("EditRecipient::{}", edit_kind(e)),
        RuleError::Expire(e) => format!("Expire::{}", expire_kind(e)),
        RuleError::InjectionTarget(_) => "InjectionTarget".to_owned(),
        RuleError::RecordFeedback(e) => format!("RecordFeedback::{}", feedback_kind(e)),
        RuleError::TakeBack(e) => format!("TakeBack::{}", take_back_kind(e)),
        RuleError::Deletion(e) => format!("Deletion::{}", deletion_kind(e)),
        RuleError::Redistribute(e) => format!("Redistribute::{}", redistribute_kind(e)),
        _ => "UnknownRule".to_owned(),
    }
}

fn input_kind(e: &InputError) -> &'static str {
    match e {
        InputError::TicketNotFound { .. } => "TicketNotFound",
        InputError::GroupNotFound { .. } => "GroupNotFound",
        InputError::UsageRuleNotFound { .. } => "UsageRuleNotFound",
        InputError::TicketNotInGroup { .. } => "TicketNotInGroup",
        InputError::PointOfSaleNotFound { .. } => "PointOfSaleNotFound",
        _ => "Unknown",
    }
}

fn inject_kind(e: &InjectError) -> &'static str {
    match e {
        InjectError::Input(i) => input_kind(i),
        InjectError::TicketInvalidated { .. } => "TicketInvalidated",
        InjectError::NotSecureMobile { .. } => "NotSecureMobile",
        InjectError::AlreadyInjected { .. } => "AlreadyInjected",
        _ => "Unknown",
    }
}

fn download_kind(e: &DownloadError) -> &'static str {
    match e {
        DownloadError::Input(i) => input_kind(i),
        DownloadError::NotInjected { .. } => "NotInjected",
        DownloadError::NotCurrentOwner { .. } => "NotCurrentOwner",
        DownloadError::NotDownloadable { .. } => "NotDownloadable",
        _ => "Unknown",
    }
}

fn change_flag_kind(e: &ChangeFlagError) -> &'static str {
    match e {
        ChangeFlagError::Input(i) => input_kind(i),
        ChangeFlagError::NotInjected { .. } => "NotInjected",
        ChangeFlagError::TicketDeleted { .. } => "TicketDeleted",
        ChangeFlagError::PendingTransfer { .. } => "PendingTransfer",
        ChangeFlagError::ActorNotAllowed { .. } => "ActorNotAllowed",
        _ => "Unknown",
    }
}

pub(crate) fn initiate_kind(e: &InitiateTransferError) -> &'static str {
    use InitiateTransferError as E;
    match e {
        E::EmptyTicketList => "EmptyTicketList",
        E::DuplicateTicket { .. } => "DuplicateTicket",
        E::Input(i) => input_kind(i),
        E::NotInjected { .. } => "NotInjected",
        E::TicketDeleted { .. } => "TicketDeleted",
        E::AlreadyPendingTransfer { .. } => "AlreadyPendingTransfer",
        E::NotCurrentOwner { .. } => "NotCurrentOwner",
        E::RecipientIsSender { .. } => "RecipientIsSender",
        E::TransferDisabled { .. } => "TransferDisabled",
        E::ActivatedTicket { .. } => "ActivatedTicket",
        E::CheckedTicket { .. } => "CheckedTicket",
        E::ControlledTicket { .. } => "ControlledTicket",
        E::TransferLimitReached { .. } => "TransferLimitReached",
        E::SameGroupIdForBothDirections { .. } => "SameGroupIdForBothDirections",
        _ => "Unknown",
    }
}

/// Every variant of [`InitiateTransferError`], for the catalogue.
pub(crate) const INITIATE_VARIANTS: [&str; 15] = [
    "EmptyTicketList",
    "DuplicateTicket",
    "TicketNotFound",
    "NotInjected",
    "TicketDeleted",
    "AlreadyPendingTransfer",
    "NotCurrentOwner",
    "RecipientIsSender",
    "UsageRuleNotFound",
    "TransferDisabled",
    "ActivatedTicket",
    "CheckedTicket",
    "ControlledTicket",
    "TransferLimitReached",
    "SameGroupIdForBothDirections",
];

fn return_kind(e: &ReturnToSenderError) -> String {
    match e {
        ReturnToSenderError::NoPreviousOwner { .. } => "NoPreviousOwner".to_owned(),
        // The initiation's input errors, as the reference model names them.
        ReturnToSenderError::Input(i) => format!("Initiate::{}", input_kind(i)),
        ReturnToSenderError::Initiate(inner) => format!("Initiate::{}", initiate_kind(inner)),
        _ => "Unknown".to_owned(),
    }
}

fn accept_kind(e: &AcceptTransferError) -> &'static str {
    use AcceptTransferError as E;
    match e {
        E::Input(i) => input_kind(i),
        E::NotPending { .. } => "NotPending",
        E::NotRecipient { .. } => "NotRecipient",
        E::PastDeadline { .. } => "PastDeadline",
        E::TicketDeleted { .. } => "TicketDeleted",
        _ => "Unknown",
    }
}

fn sign_in_kind(e: &SignInError) -> &'static str {
    match e {
        SignInError::Input(i) => input_kind(i),
        SignInError::TicketDeleted { .. } => "TicketDeleted",
        _ => "Unknown",
    }
}

fn decline_kind(e: &DeclineTransferError) -> &'static str {
    use DeclineTransferError as E;
    match e {
        E::Input(i) => input_kind(i),
        E::NotPending { .. } => "NotPending",
        E::NotRecipient { .. } => "NotRecipient",
        _ => "Unknown",
    }
}

fn cancel_kind(e: &CancelTransferError) -> &'static str {
    use CancelTransferError as E;
    match e {
        E::Input(i) => input_kind(i),
        E::NotPending { .. } => "NotPending",
        E::NotSender { .. } => "NotSender",
        _ => "Unknown",
    }
}

fn edit_kind(e: &EditRecipientError) -> String {
    use EditRecipientError as E;
    match e {
        // The new initiation's input error, as the reference model names it.
        E::Input(i @ InputError::UsageRuleNotFound { .. }) => {
            format!("Initiate::{}", input_kind(i))
        }
        E::Input(i) => input_kind(i).to_owned(),
        E::NotPending { .. } => "NotPending".to_owned(),
        E::NotSender { .. } => "NotSender".to_owned(),
        E::SameRecipient { .. } => "SameRecipient".to_owned(),
        E::GroupIdReused { .. } => "GroupIdReused".to_owned(),
        E::Initiate(inner) => format!("Initiate::{}", initiate_kind(inner)),
        _ => "Unknown".to_owned(),
    }
}

fn expire_kind(e: &ExpireTransferError) -> &'static str {
    use ExpireTransferError as E;
    match e {
        E::Input(i) => input_kind(i),
        E::NotPending { .. } => "NotPending",
        E::NoDeadline { .. } => "NoDeadline",
        E::NotYetExpired { .. } => "NotYetExpired",
        _ => "Unknown",
    }
}

fn feedback_kind(e: &RecordFeedbackError) -> &'static str {
    match e {
        RecordFeedbackError::Input(i) => input_kind(i),
        RecordFeedbackError::NotInjected { .. } => "NotInjected",
        RecordFeedbackError::MissingTransferDetails { .. } => "MissingTransferDetails",
        _ => "Unknown",
    }
}

fn take_back_kind(e: &TakeBackError) -> &'static str {
    use TakeBackError as E;
    match e {
        E::Input(i) => input_kind(i),
        E::TicketInvalidated { .. } => "TicketInvalidated",
        E::NotB2bPointOfSale { .. } => "NotB2bPointOfSale",
        E::WrongPointOfSale { .. } => "WrongPointOfSale",
        E::MobileTakeBackDisabled { .. } => "MobileTakeBackDisabled",
        E::AdvancedViewInactive { .. } => "AdvancedViewInactive",
        E::ReplacementWouldGoToLatestOwner { .. } => "ReplacementWouldGoToLatestOwner",
        E::TakeBackModeInjectsAutomatically { .. } => "TakeBackModeInjectsAutomatically",
        E::NoFeedbackYet { .. } => "NoFeedbackYet",
        E::NoLongerInjected { .. } => "NoLongerInjected",
        E::HasTicketHolder { .. } => "HasTicketHolder",
        E::ReplacementIdReused { .. } => "ReplacementIdReused",
        _ => "Unknown",
    }
}

fn deletion_kind(e: &DeletionError) -> &'static str {
    match e {
        DeletionError::Input(i) => input_kind(i),
        DeletionError::NotInjected { .. } => "NotInjected",
        DeletionError::StillValid { .. } => "StillValid",
        DeletionError::WrongStatus { .. } => "WrongStatus",
        _ => "Unknown",
    }
}

fn redistribute_kind(e: &RedistributeError) -> &'static str {
    use RedistributeError as E;
    match e {
        E::Input(i) => input_kind(i),
        E::TicketInvalidated { .. } => "TicketInvalidated",
        E::WrongPointOfSale { .. } => "WrongPointOfSale",
        E::AlreadyInjected { .. } => "AlreadyInjected",
        E::NotHolder { .. } => "NotHolder",
        _ => "Unknown",
    }
}

pub(crate) fn event_kind(event: &Event) -> &'static str {
    match event {
        Event::TicketInjected { .. } => "TicketInjected",
        Event::TicketDownloaded { .. } => "TicketDownloaded",
        Event::TicketActivated { .. } => "TicketActivated",
        Event::TicketDeactivated { .. } => "TicketDeactivated",
        Event::TicketChecked { .. } => "TicketChecked",
        Event::TicketControlled { .. } => "TicketControlled",
        Event::TicketCheckedOut { .. } => "TicketCheckedOut",
        Event::TransferInitiated { .. } => "TransferInitiated",
        Event::TransferAccepted { .. } => "TransferAccepted",
        Event::TicketTransferred { .. } => "TicketTransferred",
        Event::TransferDeclined { .. } => "TransferDeclined",
        Event::TransferCancelled { .. } => "TransferCancelled",
        Event::TransferExpired { .. } => "TransferExpired",
        Event::TicketTakenBack { .. } => "TicketTakenBack",
        Event::TicketInvalidated { .. } => "TicketInvalidated",
        Event::TicketReplaced { .. } => "TicketReplaced",
        Event::TicketDeletionRequested { .. } => "TicketDeletionRequested",
        Event::TicketDeleted { .. } => "TicketDeleted",
        Event::FeedbackRecorded { .. } => "FeedbackRecorded",
        Event::TicketRedistributed { .. } => "TicketRedistributed",
        _ => "UnknownEvent",
    }
}

/// The label of a success, from its events: `Ok`, `Ok:noop` (nothing changed), and for the
/// commands where it matters the flavour (`Ok:forward`, `Ok:backward`, `Ok:split`, `Ok:mobile`,
/// `Ok:regular`).
pub(crate) fn success_label(command: &Command, events: &[Event], replayed: bool) -> String {
    if replayed {
        return "Replayed".to_owned();
    }
    if events.is_empty() {
        return "Ok:noop".to_owned();
    }
    let directions = |transferred: bool| {
        let (mut forward, mut backward) = (false, false);
        for event in events {
            match event {
                Event::TransferInitiated { direction, .. } if !transferred => match direction {
                    Direction::Forward => forward = true,
                    _ => backward = true,
                },
                Event::TicketTransferred { direction, .. } if transferred => match direction {
                    Direction::Forward => forward = true,
                    _ => backward = true,
                },
                _ => {}
            }
        }
        match (forward, backward) {
            (true, true) => "Ok:split",
            (true, false) => "Ok:forward",
            (false, true) => "Ok:backward",
            (false, false) => "Ok",
        }
        .to_owned()
    };
    match command {
        Command::Initiate(_) | Command::ReturnToSender(_) | Command::EditRecipient(_) => {
            directions(false)
        }
        Command::Accept(_) | Command::SignIn { .. } => directions(true),
        Command::TakeBack(_) => {
            if events
                .iter()
                .any(|e| matches!(e, Event::TicketReplaced { .. }))
            {
                "Ok:mobile".to_owned()
            } else {
                "Ok:regular".to_owned()
            }
        }
        _ => "Ok".to_owned(),
    }
}

/// Every outcome each command can have through the shell, by command kind. Outcomes that are not
/// observed in a run are the generators' blind spots (or unreachable through the shell: see
/// [`unreachable_through_the_shell`]).
pub(crate) fn catalogue() -> Vec<(&'static str, Vec<String>)> {
    let s = |names: &[&str]| names.iter().map(|&n| n.to_owned()).collect::<Vec<_>>();
    let initiate = |prefix: &str| {
        INITIATE_VARIANTS
            .iter()
            .map(|v| format!("{prefix}{v}"))
            .collect::<Vec<_>>()
    };
    let with_common = |mut v: Vec<String>| {
        v.push("CommandIdReused".to_owned());
        v
    };
    vec![
        (
            "Inject",
            with_common(s(&[
                "Ok",
                "NotFound(ticket)",
                "Inject::TicketNotFound",
                "Inject::TicketInvalidated",
                "Inject::NotSecureMobile",
                "Inject::AlreadyInjected",
            ])),
        ),
        (
            "Download",
            with_common(s(&[
                "Ok",
                "NotFound(ticket)",
                "Download::TicketNotFound",
                "Download::NotInjected",
                "Download::NotCurrentOwner",
                "Download::NotDownloadable",
            ])),
        ),
        (
            "ChangeFlag",
            with_common(s(&[
                "Ok",
                "Ok:noop",
                "NotFound(ticket)",
                "ChangeFlag::TicketNotFound",
                "ChangeFlag::NotInjected",
                "ChangeFlag::TicketDeleted",
                "ChangeFlag::PendingTransfer",
                "ChangeFlag::ActorNotAllowed",
            ])),
        ),
        ("Initiate", {
            let mut v = s(&[
                "Ok:forward",
                "Ok:backward",
                "Ok:split",
                "NotFound(settings)",
                "IdInUse(transfer_group)",
            ]);
            v.extend(initiate("Initiate::"));
            with_common(v)
        }),
        ("ReturnToSender", {
            let mut v = s(&[
                "Ok:backward",
                "NotFound(settings)",
                "IdInUse(transfer_group)",
                "ReturnToSender::NoPreviousOwner",
            ]);
            v.extend(initiate("ReturnToSender::Initiate::"));
            with_common(v)
        }),
        (
            "Accept",
            with_common(s(&[
                "Ok:forward",
                "Ok:backward",
                "NotFound(transfer_group)",
                "Accept::GroupNotFound",
                "Accept::NotPending",
                "Accept::NotRecipient",
                "Accept::PastDeadline",
                "Accept::TicketNotFound",
                "Accept::TicketNotInGroup",
                "Accept::TicketDeleted",
                "Accept::UsageRuleNotFound",
            ])),
        ),
        (
            "SignIn",
            with_common(s(&[
                "Ok:forward",
                "Ok:backward",
                "Ok:split",
                "Ok:noop",
                "SignIn::TicketNotFound",
                "SignIn::TicketNotInGroup",
                "SignIn::TicketDeleted",
                "SignIn::UsageRuleNotFound",
            ])),
        ),
        (
            "Decline",
            with_common(s(&[
                "Ok",
                "NotFound(transfer_group)",
                "Decline::GroupNotFound",
                "Decline::NotPending",
                "Decline::NotRecipient",
                "Decline::TicketNotFound",
                "Decline::TicketNotInGroup",
            ])),
        ),
        (
            "Cancel",
            with_common(s(&[
                "Ok",
                "NotFound(transfer_group)",
                "Cancel::GroupNotFound",
                "Cancel::NotPending",
                "Cancel::NotSender",
                "Cancel::TicketNotFound",
                "Cancel::TicketNotInGroup",
            ])),
        ),
        ("EditRecipient", {
            let mut v = s(&[
                "Ok:forward",
                "Ok:backward",
                "Ok:split",
                "NotFound(settings)",
                "NotFound(transfer_group)",
                "IdInUse(transfer_group)",
                "EditRecipient::GroupNotFound",
                "EditRecipient::NotPending",
                "EditRecipient::NotSender",
                "EditRecipient::SameRecipient",
                "EditRecipient::GroupIdReused",
                "EditRecipient::TicketNotFound",
                "EditRecipient::TicketNotInGroup",
            ]);
            v.extend(initiate("EditRecipient::Initiate::"));
            with_common(v)
        }),
        (
            "Expire",
            with_common(s(&[
                "Ok",
                "NotFound(transfer_group)",
                "Expire::GroupNotFound",
                "Expire::NotPending",
                "Expire::NoDeadline",
                "Expire::NotYetExpired",
                "Expire::TicketNotFound",
                "Expire::TicketNotInGroup",
            ])),
        ),
        (
            "RecordFeedback",
            with_common(s(&[
                "Ok",
                "Ok:noop",
                "NotFound(ticket)",
                "RecordFeedback::TicketNotFound",
                "RecordFeedback::NotInjected",
                "RecordFeedback::MissingTransferDetails",
            ])),
        ),
        (
            "TakeBack",
            with_common(s(&[
                "Ok:regular",
                "Ok:mobile",
                "NotFound(settings)",
                "NotFound(point_of_sale)",
                "NotFound(ticket)",
                "IdInUse(ticket)",
                "TakeBack::TicketNotFound",
                "TakeBack::PointOfSaleNotFound",
                "TakeBack::TicketInvalidated",
                "TakeBack::NotB2bPointOfSale",
                "TakeBack::WrongPointOfSale",
                "TakeBack::MobileTakeBackDisabled",
                "TakeBack::AdvancedViewInactive",
                "TakeBack::ReplacementWouldGoToLatestOwner",
                "TakeBack::TakeBackModeInjectsAutomatically",
                "TakeBack::NoFeedbackYet",
                "TakeBack::NoLongerInjected",
                "TakeBack::HasTicketHolder",
                "TakeBack::ReplacementIdReused",
            ])),
        ),
        (
            "Redistribute",
            with_common(s(&[
                "Ok",
                "NotFound(point_of_sale)",
                "NotFound(ticket)",
                "Redistribute::TicketNotFound",
                "Redistribute::PointOfSaleNotFound",
                "Redistribute::TicketInvalidated",
                "Redistribute::WrongPointOfSale",
                "Redistribute::AlreadyInjected",
                "Redistribute::NotHolder",
            ])),
        ),
        (
            "RequestDeletion",
            with_common(s(&[
                "Ok",
                "NotFound(ticket)",
                "Deletion::TicketNotFound",
                "Deletion::NotInjected",
                "Deletion::StillValid",
                "Deletion::WrongStatus",
            ])),
        ),
        (
            "CompleteDeletion",
            with_common(s(&[
                "Ok",
                "NotFound(ticket)",
                "Deletion::TicketNotFound",
                "Deletion::NotInjected",
                "Deletion::StillValid",
                "Deletion::WrongStatus",
            ])),
        ),
    ]
}

/// Why an outcome of the catalogue cannot happen through `Service`, when it cannot: the shell
/// loads records by the command's own ids (so a transition never gets the wrong record), and the
/// invariants keep a PENDING group's tickets pending in it.
pub(crate) fn unreachable_through_the_shell(command: &str, outcome: &str) -> Option<&'static str> {
    const BY_ID: &str = "the shell passes the record the command names, or answers NotFound";
    const PENDING: &str = "a PENDING group's tickets exist and are pending in it (invariant)";
    let variant = outcome.rsplit("::").next().unwrap_or(outcome);
    let nested_initiate = outcome.contains("::Initiate::");
    match (command, variant) {
        (_, "GroupNotFound" | "PointOfSaleNotFound") => Some(BY_ID),
        (
            "Inject" | "Download" | "ChangeFlag" | "RecordFeedback" | "TakeBack" | "Redistribute"
            | "RequestDeletion" | "CompleteDeletion",
            "TicketNotFound",
        ) => Some(BY_ID),
        (
            "Accept" | "SignIn" | "Decline" | "Cancel" | "Expire" | "EditRecipient",
            "TicketNotFound" | "TicketNotInGroup",
        ) if !nested_initiate => Some(PENDING),
        ("Accept" | "SignIn", "UsageRuleNotFound") => {
            Some("a ticket whose rule is missing is never initiated, so never pending")
        }
        ("EditRecipient", v)
            if nested_initiate
                && !matches!(
                    v,
                    "TicketDeleted" | "RecipientIsSender" | "SameGroupIdForBothDirections"
                ) =>
        {
            Some(
                "the group's tickets passed these checks at initiation and cannot change while pending",
            )
        }
        ("ReturnToSender", "RecipientIsSender") => {
            Some("the previous owner is never the current owner")
        }
        ("ReturnToSender", "EmptyTicketList" | "DuplicateTicket") => {
            Some("a return names exactly one ticket")
        }
        ("ReturnToSender", "SameGroupIdForBothDirections") => Some("a return only goes BACKWARD"),
        ("ReturnToSender", "UsageRuleNotFound" | "TransferDisabled") => Some(
            "a ticket whose rule is missing or forbids transfers was never transferred: no previous owner",
        ),
        _ => None,
    }
}
