//! The crate-level gatherings: RuleError holds every command's refusal and ParseError every
//! value's error, each with the message, code and kind of the error it holds.

use secure_ticket::injection::InjectError;
use secure_ticket::transfer::{
    AcceptTransferError, CancelTransferError, DeclineTransferError, EditRecipientError,
    ExpireTransferError, InitiateTransferError, ReturnToSenderError, SignInError,
};
use secure_ticket::wallet::{ChangeFlagError, DownloadError};
use secure_ticket::{
    Email, EmailError, ErrorKind, InputError, ParseError, RuleError, UsageRuleError,
};

use crate::common::{T, World, alice, bob, carol, gid, rule, single};

#[test]
fn err_rule_error_gathers_every_command_error_with_the_same_message() {
    let errors: Vec<(RuleError, String)> = vec![
        (
            InjectError::Input(InputError::TicketNotFound { ticket: T }).into(),
            InjectError::Input(InputError::TicketNotFound { ticket: T }).to_string(),
        ),
        (
            DownloadError::NotInjected { ticket: T }.into(),
            DownloadError::NotInjected { ticket: T }.to_string(),
        ),
        (
            ChangeFlagError::NotInjected { ticket: T }.into(),
            ChangeFlagError::NotInjected { ticket: T }.to_string(),
        ),
        (
            InitiateTransferError::EmptyTicketList.into(),
            InitiateTransferError::EmptyTicketList.to_string(),
        ),
        (
            ReturnToSenderError::NoPreviousOwner { ticket: T }.into(),
            ReturnToSenderError::NoPreviousOwner { ticket: T }.to_string(),
        ),
        (
            AcceptTransferError::Input(InputError::GroupNotFound { group: gid(1) }).into(),
            AcceptTransferError::Input(InputError::GroupNotFound { group: gid(1) }).to_string(),
        ),
        (
            SignInError::Input(InputError::TicketNotFound { ticket: T }).into(),
            SignInError::Input(InputError::TicketNotFound { ticket: T }).to_string(),
        ),
        (
            DeclineTransferError::Input(InputError::GroupNotFound { group: gid(1) }).into(),
            DeclineTransferError::Input(InputError::GroupNotFound { group: gid(1) }).to_string(),
        ),
        (
            CancelTransferError::Input(InputError::GroupNotFound { group: gid(1) }).into(),
            CancelTransferError::Input(InputError::GroupNotFound { group: gid(1) }).to_string(),
        ),
        (
            EditRecipientError::GroupIdReused { group: gid(1) }.into(),
            EditRecipientError::GroupIdReused { group: gid(1) }.to_string(),
        ),
        (
            ExpireTransferError::NoDeadline { group: gid(1) }.into(),
            ExpireTransferError::NoDeadline { group: gid(1) }.to_string(),
        ),
    ];
    for (error, message) in errors {
        assert_eq!(error.to_string(), message, "{error:?}");
    }
}

#[test]
fn err_parse_error_gathers_every_value_error_with_the_same_message() {
    let errors: Vec<(ParseError, String)> = vec![
        (EmailError::Empty.into(), EmailError::Empty.to_string()),
        (
            UsageRuleError::LimitOutOfRange { value: 0 }.into(),
            UsageRuleError::LimitOutOfRange { value: 0 }.to_string(),
        ),
    ];
    for (error, message) in errors {
        assert_eq!(error.to_string(), message, "{error:?}");
    }
}

#[test]
fn err_rule_error_keeps_the_code_and_kind_of_the_refusal() {
    let mut world = World::explicit(rule(1));
    world.inject(1, &alice());
    world.transfer(T, &alice(), &bob(), 1);
    let refused = world
        .initiate(&bob(), &carol(), &[T], single(2))
        .unwrap_err();
    assert_eq!(
        (refused.code(), refused.kind()),
        ("TRANSFER_LIMIT_REACHED", ErrorKind::Refused)
    );
    let gathered = RuleError::from(refused);
    assert_eq!(gathered.code(), "TRANSFER_LIMIT_REACHED");
    assert_eq!(gathered.kind().http_status(), 422);
}

#[test]
fn err_parse_error_keeps_the_code_and_kind_of_the_value_error() {
    let error = ParseError::from(Email::parse("alice@localhost").unwrap_err());
    assert_eq!(
        (error.code(), error.kind().http_status()),
        ("EMAIL_INVALID_DOMAIN", 400)
    );
}
