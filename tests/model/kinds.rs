//! Names: of commands (their serde tag), of outcomes (an error's `code()`), of events; and the
//! catalogue of every outcome each command can have through the shell, its error codes read from
//! the golden list `tests/fixtures/error_codes.txt`.

use std::collections::{BTreeMap, BTreeSet};

use secure_ticket::service::Command;
use secure_ticket::{Direction, Email, Error, Event};

/// The golden list of error codes, by error type.
const ERROR_CODES: &str = include_str!("../fixtures/error_codes.txt");

/// Each command, in the order of [`Command`]: its serde tag, the error type of its transition
/// (empty for the sweep, which has none), its success labels (see [`success_label`]) and the
/// shell's own errors for it.
const CATALOGUE: [(&str, &str, &[&str], &[&str]); 25] = [
    (
        "INJECT",
        "InjectError",
        &["Ok"],
        &["RECORD_NOT_FOUND(usage_rule)", "RECORD_NOT_FOUND(ticket)"],
    ),
    (
        "DOWNLOAD",
        "DownloadError",
        &["Ok"],
        &["RECORD_NOT_FOUND(ticket)"],
    ),
    (
        "CHANGE_FLAG",
        "ChangeFlagError",
        &["Ok", "Ok:noop"],
        &["RECORD_NOT_FOUND(ticket)"],
    ),
    (
        "INITIATE",
        "InitiateTransferError",
        &["Ok:forward", "Ok:backward", "Ok:split"],
        &["RECORD_NOT_FOUND(settings)", "ID_IN_USE(transfer_group)"],
    ),
    (
        "RETURN_TO_SENDER",
        "ReturnToSenderError",
        &["Ok:backward"],
        &["RECORD_NOT_FOUND(settings)", "ID_IN_USE(transfer_group)"],
    ),
    (
        "ACCEPT",
        "AcceptTransferError",
        &["Ok:forward", "Ok:backward"],
        &["RECORD_NOT_FOUND(transfer_group)"],
    ),
    (
        "SIGN_IN",
        "SignInError",
        &["Ok:forward", "Ok:backward", "Ok:split", "Ok:noop"],
        &[],
    ),
    (
        "DECLINE",
        "DeclineTransferError",
        &["Ok"],
        &["RECORD_NOT_FOUND(transfer_group)"],
    ),
    (
        "CANCEL",
        "CancelTransferError",
        &["Ok"],
        &["RECORD_NOT_FOUND(transfer_group)"],
    ),
    (
        "EDIT_RECIPIENT",
        "EditRecipientError",
        &["Ok:forward", "Ok:backward", "Ok:split"],
        &[
            "RECORD_NOT_FOUND(settings)",
            "RECORD_NOT_FOUND(transfer_group)",
            "ID_IN_USE(transfer_group)",
        ],
    ),
    (
        "EXPIRE",
        "ExpireTransferError",
        &["Ok"],
        &["RECORD_NOT_FOUND(transfer_group)"],
    ),
    ("EXPIRE_DUE", "", &["Ok", "Ok:noop"], &["INVALID_LIMIT"]),
    (
        "RECORD_FEEDBACK",
        "RecordFeedbackError",
        &[
            "Ok",
            "Ok:noop",
            "Ok:resale_completed",
            "Ok:resale_cancelled",
        ],
        &["RECORD_NOT_FOUND(ticket)", "ID_IN_USE(ticket)"],
    ),
    (
        "TAKE_BACK",
        "TakeBackError",
        &["Ok:regular", "Ok:mobile"],
        &[
            "RECORD_NOT_FOUND(settings)",
            "RECORD_NOT_FOUND(point_of_sale)",
            "RECORD_NOT_FOUND(ticket)",
            "ID_IN_USE(ticket)",
        ],
    ),
    (
        "REDISTRIBUTE",
        "RedistributeError",
        &["Ok"],
        &[
            "RECORD_NOT_FOUND(point_of_sale)",
            "RECORD_NOT_FOUND(ticket)",
        ],
    ),
    (
        "REQUEST_DELETION",
        "DeletionError",
        &["Ok"],
        &["RECORD_NOT_FOUND(ticket)"],
    ),
    (
        "COMPLETE_DELETION",
        "DeletionError",
        &["Ok"],
        &["RECORD_NOT_FOUND(ticket)"],
    ),
    (
        "BACK_OFFICE_TRANSFER",
        "BackOfficeTransferError",
        &["Ok:forward", "Ok:backward", "Ok:split", "Ok:owners"],
        &["RECORD_NOT_FOUND(settings)", "ID_IN_USE(transfer_group)"],
    ),
    (
        "CANCEL_BACK_OFFICE",
        "CancelBackOfficeError",
        &["Ok"],
        &[
            "RECORD_NOT_FOUND(settings)",
            "RECORD_NOT_FOUND(transfer_group)",
        ],
    ),
    (
        "LOCK_SPECTATOR",
        "LockError",
        &["Ok"],
        &["RECORD_NOT_FOUND(settings)"],
    ),
    (
        "UNLOCK_SPECTATOR",
        "LockError",
        &["Ok"],
        &["RECORD_NOT_FOUND(settings)"],
    ),
    (
        "ASSIGN_HOLDER",
        "HolderError",
        &["Ok"],
        &["RECORD_NOT_FOUND(settings)", "RECORD_NOT_FOUND(ticket)"],
    ),
    (
        "CLEAR_HOLDER",
        "HolderError",
        &["Ok"],
        &["RECORD_NOT_FOUND(ticket)"],
    ),
    (
        "PUT_ON_RESALE",
        "ResaleError",
        &["Ok"],
        &[
            "RECORD_NOT_FOUND(ticket)",
            "ID_IN_USE(ticket)",
            "RECORD_NOT_FOUND(point_of_sale)",
        ],
    ),
    (
        "SETTLE_RESALE",
        "ResaleError",
        &["Ok:completed", "Ok:cancelled"],
        &["RECORD_NOT_FOUND(ticket)", "ID_IN_USE(ticket)"],
    ),
];

/// Every command kind, in the order of [`Command`].
pub(crate) fn commands() -> impl Iterator<Item = &'static str> {
    CATALOGUE.iter().map(|(command, ..)| *command)
}

/// A command's kind: its serde tag (`INITIATE`, `SIGN_IN`, ...).
pub(crate) fn command_kind(command: &Command) -> &'static str {
    let json = serde_json::to_value(command).expect("a command serialises");
    let tag = json["type"].as_str().expect("a command has a serde tag");
    commands()
        .find(|&kind| kind == tag)
        .unwrap_or_else(|| panic!("a command kind the catalogue does not know: {tag}"))
}

/// The name of an error: its code (`TRANSFER_LIMIT_REACHED`, `NOT_CURRENT_OWNER`), with the kind
/// of record for the shell's `RECORD_NOT_FOUND(settings)` and `ID_IN_USE(ticket)`.
pub(crate) fn error_kind(error: &Error) -> String {
    match error {
        Error::NotFound { key } | Error::IdInUse { key } => {
            format!("{}({})", error.code(), key.kind().as_str())
        }
        _ => error.code().to_owned(),
    }
}

/// The codes of each error type, from the golden list.
fn codes_by_type() -> BTreeMap<&'static str, Vec<&'static str>> {
    let mut codes: BTreeMap<&'static str, Vec<&'static str>> = BTreeMap::new();
    let mut current = None;
    for line in ERROR_CODES.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name);
        } else if let (Some(name), Some(code)) = (current, line.split(' ').next())
            && !line.is_empty()
            && !line.starts_with('#')
            && !line.starts_with('=')
        {
            codes.entry(name).or_default().push(code);
        }
    }
    codes
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
        Event::SpectatorLocked { .. } => "SpectatorLocked",
        Event::SpectatorUnlocked { .. } => "SpectatorUnlocked",
        Event::HolderAssigned { .. } => "HolderAssigned",
        Event::HolderCleared { .. } => "HolderCleared",
        Event::TicketPutOnResale { .. } => "TicketPutOnResale",
        Event::ResaleCompleted { .. } => "ResaleCompleted",
        Event::ResaleCancelled { .. } => "ResaleCancelled",
        _ => "UnknownEvent",
    }
}

/// The label of a success, from its events: `Ok`, `Ok:noop` (nothing changed), and for the
/// commands where it matters the flavour (`Ok:forward`, `Ok:backward`, `Ok:split`, `Ok:owners`,
/// `Ok:mobile`, `Ok:regular`, `Ok:completed`, `Ok:cancelled`, `Ok:resale_completed`,
/// `Ok:resale_cancelled`).
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
        // S6: one group per owner (and direction): several owners are `Ok:owners`.
        Command::BackOfficeTransfer(_) => {
            let senders: BTreeSet<&Email> = events
                .iter()
                .filter_map(|e| match e {
                    Event::TransferInitiated { sender, .. } => Some(sender),
                    _ => None,
                })
                .collect();
            if senders.len() > 1 {
                "Ok:owners".to_owned()
            } else {
                directions(false)
            }
        }
        Command::Accept(_) | Command::SignIn(_) => directions(true),
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
        Command::SettleResale(_) => {
            if events
                .iter()
                .any(|e| matches!(e, Event::ResaleCancelled { .. }))
            {
                "Ok:cancelled".to_owned()
            } else {
                "Ok:completed".to_owned()
            }
        }
        // R2: a deletion feedback settles a resale.
        Command::RecordFeedback(_) => {
            if events
                .iter()
                .any(|e| matches!(e, Event::ResaleCancelled { .. }))
            {
                "Ok:resale_cancelled".to_owned()
            } else if events
                .iter()
                .any(|e| matches!(e, Event::ResaleCompleted { .. }))
            {
                "Ok:resale_completed".to_owned()
            } else {
                "Ok".to_owned()
            }
        }
        _ => "Ok".to_owned(),
    }
}

/// Every outcome each command can have through the shell, by command kind: its successes, the
/// codes of its error type (from the golden list), the shell's own errors for it and
/// `COMMAND_ID_REUSED`. Outcomes that are not observed in a run are the generators' blind spots
/// (or unreachable through the shell: see [`unreachable_through_the_shell`]).
pub(crate) fn catalogue() -> Vec<(&'static str, Vec<String>)> {
    let codes = codes_by_type();
    CATALOGUE
        .iter()
        .map(|&(command, error_type, successes, shell)| {
            let rule_codes: &[&str] = if error_type.is_empty() {
                &[]
            } else {
                codes
                    .get(error_type)
                    .unwrap_or_else(|| panic!("{error_type} is not in the golden list of codes"))
            };
            let outcomes = successes
                .iter()
                .chain(shell)
                .chain(rule_codes)
                .chain(&["COMMAND_ID_REUSED"])
                .map(|&outcome| outcome.to_owned())
                .collect();
            (command, outcomes)
        })
        .collect()
}

/// Why an outcome of the catalogue cannot happen through `Service`, when it cannot: the shell
/// loads records by the command's own ids (so a transition never gets the wrong record), and the
/// invariants keep a PENDING group's tickets pending in it.
pub(crate) fn unreachable_through_the_shell(command: &str, outcome: &str) -> Option<&'static str> {
    const BY_ID: &str =
        "the shell passes the record the command names, or answers RECORD_NOT_FOUND";
    const PENDING: &str = "a PENDING group's tickets exist and are pending in it (invariant)";
    let initiation_code = || {
        codes_by_type()
            .get("InitiateTransferError")
            .is_some_and(|codes| codes.contains(&outcome))
    };
    match (command, outcome) {
        (_, "TRANSFER_GROUP_NOT_FOUND" | "POINT_OF_SALE_NOT_FOUND") => Some(BY_ID),
        (
            "INJECT" | "DOWNLOAD" | "CHANGE_FLAG" | "RECORD_FEEDBACK" | "TAKE_BACK"
            | "REDISTRIBUTE" | "REQUEST_DELETION" | "COMPLETE_DELETION" | "PUT_ON_RESALE"
            | "SETTLE_RESALE",
            "TICKET_NOT_FOUND",
        ) => Some(BY_ID),
        ("PUT_ON_RESALE", "BUYER_TICKET_ID_REUSED") => Some(
            "the shell reads the buyer's ticket id as a record to create: the ticket's own exists (ID_IN_USE)",
        ),
        ("SETTLE_RESALE", "Ok:cancelled") => Some(
            "only a TRANSFERRED feedback moves a ticket on resale (its contact, I4; no transfer moves an invalidated one, W5), and the deletion feedback after it settles the resale itself",
        ),
        ("PUT_ON_RESALE", "NOT_ON_RESALE" | "DELETION_NOT_REPORTED") => {
            Some("putting on resale and settling share their error type; each refuses only its own")
        }
        (
            "SETTLE_RESALE",
            "WRONG_POINT_OF_SALE"
            | "NOT_CULTURAL_CONTACT"
            | "ALREADY_ON_RESALE"
            | "TICKET_INVALIDATED"
            | "TICKET_NOT_INJECTED"
            | "COMMAND_BEFORE_INJECTION"
            | "TICKET_DELETED"
            | "TICKET_PENDING_TRANSFER"
            | "RESALE_DISABLED"
            | "SPECTATOR_LOCKED"
            | "BUYER_TICKET_ID_REUSED",
        ) => Some("settling checks only the resale and TIXnGO's feedback (R2)"),

        (
            "ACCEPT" | "SIGN_IN" | "DECLINE" | "CANCEL" | "EXPIRE" | "EDIT_RECIPIENT"
            | "CANCEL_BACK_OFFICE",
            "TICKET_NOT_FOUND" | "TICKET_NOT_IN_GROUP",
        ) => Some(PENDING),
        ("ACCEPT" | "SIGN_IN", "USAGE_RULE_NOT_FOUND") => {
            Some("a ticket whose rule is missing is never initiated, so never pending")
        }
        ("BACK_OFFICE_TRANSFER", "USAGE_RULE_NOT_FOUND") => {
            Some("a back-office transfer reads no usage rule (S4)")
        }
        ("LOCK_SPECTATOR", "NOT_LOCKED") | ("UNLOCK_SPECTATOR", "ALREADY_LOCKED") => {
            Some("locking and unlocking share their error type; each refuses only its own")
        }
        ("ASSIGN_HOLDER", "NO_HOLDER") => Some("only clearing needs a holder to be there"),
        (
            "CLEAR_HOLDER",
            "ASSIGNMENT_DISABLED"
            | "TICKET_ACTIVATED"
            | "TICKET_CHECKED"
            | "HOLDER_FIELD_MISSING"
            | "HOLDER_FIELD_TOO_LONG"
            | "ASSIGN_REASON_REQUIRED"
            | "USAGE_RULE_NOT_FOUND",
        ) => Some("clearing checks neither the rule's gates nor the data collection (H2, H4)"),
        ("INITIATE" | "ASSIGN_HOLDER", "USAGE_RULE_NOT_FOUND") => Some(
            "injection refuses a rule that is not the organizer's (X7), and the setup's rules exist",
        ),
        ("EDIT_RECIPIENT", code)
            if initiation_code()
                && !matches!(
                    code,
                    "TICKET_DELETED"
                        | "RECIPIENT_IS_SENDER"
                        | "SAME_GROUP_ID_FOR_BOTH_DIRECTIONS"
                        | "SPECTATOR_LOCKED"
                        | "PERFORMANCE_ENDED"
                ) =>
        {
            Some(
                "the group's tickets passed these checks at initiation and cannot change while pending",
            )
        }
        ("RETURN_TO_SENDER", "RECIPIENT_IS_SENDER") => {
            Some("the previous owner is never the current owner")
        }
        ("RETURN_TO_SENDER", "EMPTY_TICKET_LIST" | "DUPLICATE_TICKET") => {
            Some("a return names exactly one ticket")
        }
        ("RETURN_TO_SENDER", "SAME_GROUP_ID_FOR_BOTH_DIRECTIONS") => {
            Some("a return only goes BACKWARD")
        }
        ("RETURN_TO_SENDER", "USAGE_RULE_NOT_FOUND" | "TRANSFER_DISABLED") => Some(
            "a ticket whose rule is missing or forbids transfers was never transferred: no previous owner",
        ),
        _ => None,
    }
}
