//! One test per error variant of the S360-side commands and settings: the whole error value, and a
//! message that names the record involved and says what to do.

use std::fmt::Display;

use secure_ticket::injection::{self, RecordFeedbackError};
use secure_ticket::take_back::{
    self, RedistributeError, RedistributeTicket, TakeBackError, TakeBackPolicy,
};
use secure_ticket::wallet::{self, CompleteDeletion, DeletionError, RequestDeletion};
use secure_ticket::{
    Feedback, InjectionTargetError, InputError, InterfaceError, InternetTheme, Invalidation,
    InvalidationReason, LifecycleStatus, ParseError, PointOfSale, RuleError, ShipmentMode,
    ShipmentModeId, ThemeError, Ticket, TixngoInterface, WalletStatus,
};

use crate::common::*;

/// The message mentions every part, and [`RuleError`] shows it unchanged.
fn assert_message<E>(error: &E, parts: &[&str])
where
    E: Display + Clone + Into<RuleError>,
{
    let message = error.to_string();
    assert_mentions(&message, parts);
    assert_eq!(error.clone().into().to_string(), message);
}

/// The message mentions every part, and [`ParseError`] shows it unchanged.
fn assert_parse_message<E>(error: &E, parts: &[&str])
where
    E: Display + Clone + Into<ParseError>,
{
    let message = error.to_string();
    assert_mentions(&message, parts);
    assert_eq!(error.clone().into().to_string(), message);
}

fn take_back_with(
    ticket: &Ticket,
    pos: &PointOfSale,
    interface: &TixngoInterface,
    command: &take_back::TakeBackTicket,
) -> TakeBackError {
    take_back::take_back(ticket, pos, interface, &policy(), command).unwrap_err()
}

fn take_back_err(ticket: &Ticket, pos: &PointOfSale) -> TakeBackError {
    take_back_with(
        ticket,
        pos,
        &interface(),
        &take_back_command(ticket.id, NEW, at(5)),
    )
}

/// The replacement after a take back, redistribution command to dave.
fn redistribute_command() -> RedistributeTicket {
    RedistributeTicket {
        ticket: NEW,
        point_of_sale: POS,
        actor: agency(),
        to: dave(),
        at: at(6),
    }
}

fn replacement() -> Ticket {
    taken_back(&injected(), NEW, at(5)).1
}

fn redistribute_err(
    ticket: &Ticket,
    pos: &PointOfSale,
    command: &RedistributeTicket,
) -> RedistributeError {
    take_back::redistribute(ticket, pos, command).unwrap_err()
}

// TakeBackError

#[test]
fn err_take_back_ticket_not_found() {
    let error = take_back_with(
        &injected(),
        &pos(),
        &interface(),
        &take_back_command(tid(999), NEW, at(5)),
    );
    assert_eq!(
        error,
        TakeBackError::Input(InputError::TicketNotFound { ticket: tid(999) })
    );
    assert_message(&error, &[&tid(999).to_string(), "check the ticket id"]);
}

#[test]
fn err_take_back_point_of_sale_not_found() {
    let command = take_back::TakeBackTicket {
        point_of_sale: OTHER_POS,
        ..take_back_command(OLD, NEW, at(5))
    };
    let error = take_back_with(&injected(), &pos(), &interface(), &command);
    assert_eq!(
        error,
        TakeBackError::Input(InputError::PointOfSaleNotFound {
            point_of_sale: OTHER_POS
        })
    );
    assert_message(
        &error,
        &[&OTHER_POS.to_string(), "check the point of sale id"],
    );
}

#[test]
fn err_take_back_ticket_invalidated() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let error = take_back_err(&old, &pos());
    assert_eq!(
        error,
        TakeBackError::TicketInvalidated {
            ticket: OLD,
            reason: InvalidationReason::MobileTakeBack
        }
    );
    assert_message(
        &error,
        &[&OLD.to_string(), "MOBILE_TAKE_BACK", "only a valid ticket"],
    );
}

#[test]
fn err_take_back_not_b2b_point_of_sale() {
    let error = take_back_err(
        &injected(),
        &PointOfSale {
            b2b: false,
            ..pos()
        },
    );
    assert_eq!(
        error,
        TakeBackError::NotB2bPointOfSale { point_of_sale: POS }
    );
    assert_message(
        &error,
        &[&POS.to_string(), "taken back through B2B points of sale"],
    );
}

#[test]
fn err_take_back_wrong_point_of_sale() {
    let mut ticket = injected();
    ticket.distribution.point_of_sale = OTHER_POS;
    let error = take_back_err(&ticket, &pos());
    assert_eq!(
        error,
        TakeBackError::WrongPointOfSale {
            ticket: OLD,
            point_of_sale: POS,
            distributed_by: OTHER_POS
        }
    );
    assert_message(
        &error,
        &[
            &OLD.to_string(),
            &POS.to_string(),
            &OTHER_POS.to_string(),
            "take it back there",
        ],
    );
}

#[test]
fn err_take_back_mobile_take_back_disabled() {
    let error = take_back_err(&injected(), &pos().with_mobile_take_back(false));
    assert_eq!(
        error,
        TakeBackError::MobileTakeBackDisabled { point_of_sale: POS }
    );
    assert_message(
        &error,
        &[
            &POS.to_string(),
            "tick \"Allow taking back the injected mobile ticket that has not been downloaded\"",
        ],
    );
}

#[test]
fn err_take_back_advanced_view_inactive() {
    let error = take_back_err(&injected(), &pos().with_theme(InternetTheme::default()));
    assert_eq!(
        error,
        TakeBackError::AdvancedViewInactive { point_of_sale: POS }
    );
    assert_message(
        &error,
        &[
            &POS.to_string(),
            "`distribution.list.activateAdvancedView = true`",
            "Internet theme",
        ],
    );
}

#[test]
fn err_take_back_replacement_would_go_to_latest_owner() {
    let error = take_back_with(
        &injected(),
        &pos(),
        &TixngoInterface::default(),
        &take_back_command(OLD, NEW, at(5)),
    );
    assert_eq!(
        error,
        TakeBackError::ReplacementWouldGoToLatestOwner { ticket: OLD }
    );
    assert_message(
        &error,
        &[
            &OLD.to_string(),
            "add MOBILE_TAKE_BACK",
            "resetInjectionInvalidationReasons",
        ],
    );
}

#[test]
fn err_take_back_take_back_mode_injects_automatically() {
    let automatic = ShipmentMode {
        automatic_injection: true,
        ..ShipmentMode::secure_mobile(ShipmentModeId::from_u128(77))
    };
    let pos = pos().with_take_back_shipment_mode(Some(automatic));
    let error = take_back_with(
        &injected(),
        &pos,
        &interface(),
        &take_back_command(OLD, NEW, at(5)),
    );
    assert_eq!(
        error,
        TakeBackError::TakeBackModeInjectsAutomatically {
            point_of_sale: pos.id,
            shipment_mode: automatic.id
        }
    );
    assert_message(
        &error,
        &[
            &pos.id.to_string(),
            &automatic.id.to_string(),
            "choose a mode injected on request",
        ],
    );
}

#[test]
fn err_take_back_no_feedback_yet() {
    let issued = issued(OLD, MOBILE);
    let ticket = after(&issued, &inject(&issued, &typo(), AT));
    let error = take_back_err(&ticket, &pos());
    assert_eq!(error, TakeBackError::NoFeedbackYet { ticket: OLD });
    assert_message(
        &error,
        &[
            &OLD.to_string(),
            "run the feedback interface, then try again",
        ],
    );
}

#[test]
fn err_take_back_no_longer_injected() {
    let ticket = with_last_feedback(&injected(), LifecycleStatus::Downloaded, at(1));
    let error = take_back_err(&ticket, &pos());
    assert_eq!(
        error,
        TakeBackError::NoLongerInjected {
            ticket: OLD,
            status: LifecycleStatus::Downloaded
        }
    );
    assert_message(
        &error,
        &[&OLD.to_string(), "DOWNLOADED", "never downloaded"],
    );
}

#[test]
fn err_take_back_has_ticket_holder() {
    let mut ticket = injected();
    ticket.distribution = ticket.distribution.with_holder(holder());
    let error = take_back_err(&ticket, &pos());
    assert_eq!(error, TakeBackError::HasTicketHolder { ticket: OLD });
    assert_message(
        &error,
        &[
            &OLD.to_string(),
            "ticket-holder details",
            "known restriction",
        ],
    );
}

#[test]
fn err_take_back_replacement_id_reused() {
    let error = take_back_with(
        &injected(),
        &pos(),
        &interface(),
        &take_back_command(OLD, OLD, at(5)),
    );
    assert_eq!(error, TakeBackError::ReplacementIdReused { ticket: OLD });
    assert_message(&error, &[&OLD.to_string(), "needs a new id"]);
    // The policy does not matter for it.
    let lifted = TakeBackPolicy {
        refuse_ticket_holder_details: false,
    };
    assert_eq!(
        take_back::take_back(
            &injected(),
            &pos(),
            &interface(),
            &lifted,
            &take_back_command(OLD, OLD, at(5))
        ),
        Err(error)
    );
}

// RedistributeError

#[test]
fn err_redistribute_ticket_not_found() {
    let command = RedistributeTicket {
        ticket: tid(999),
        ..redistribute_command()
    };
    let error = redistribute_err(&replacement(), &pos(), &command);
    assert_eq!(
        error,
        RedistributeError::Input(InputError::TicketNotFound { ticket: tid(999) })
    );
    assert_message(&error, &[&tid(999).to_string(), "check the ticket id"]);
}

#[test]
fn err_redistribute_point_of_sale_not_found() {
    let command = RedistributeTicket {
        point_of_sale: OTHER_POS,
        ..redistribute_command()
    };
    let error = redistribute_err(&replacement(), &pos(), &command);
    assert_eq!(
        error,
        RedistributeError::Input(InputError::PointOfSaleNotFound {
            point_of_sale: OTHER_POS
        })
    );
    assert_message(
        &error,
        &[&OTHER_POS.to_string(), "check the point of sale id"],
    );
}

#[test]
fn err_redistribute_ticket_invalidated() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let command = RedistributeTicket {
        ticket: OLD,
        ..redistribute_command()
    };
    let error = redistribute_err(&old, &pos(), &command);
    assert_eq!(
        error,
        RedistributeError::TicketInvalidated {
            ticket: OLD,
            reason: InvalidationReason::MobileTakeBack
        }
    );
    assert_message(
        &error,
        &[
            &OLD.to_string(),
            "MOBILE_TAKE_BACK",
            "redistribute its replacement instead",
        ],
    );
}

#[test]
fn err_redistribute_wrong_point_of_sale() {
    let mut ticket = replacement();
    ticket.distribution.point_of_sale = OTHER_POS;
    let error = redistribute_err(&ticket, &pos(), &redistribute_command());
    assert_eq!(
        error,
        RedistributeError::WrongPointOfSale {
            ticket: NEW,
            point_of_sale: POS,
            distributed_by: OTHER_POS
        }
    );
    assert_message(
        &error,
        &[&NEW.to_string(), &POS.to_string(), &OTHER_POS.to_string()],
    );
}

#[test]
fn err_redistribute_already_injected() {
    let command = RedistributeTicket {
        ticket: OLD,
        actor: typo(),
        ..redistribute_command()
    };
    let error = redistribute_err(&injected(), &pos(), &command);
    assert_eq!(error, RedistributeError::AlreadyInjected { ticket: OLD });
    assert_message(
        &error,
        &[&OLD.to_string(), "take it back before redistributing it"],
    );
}

#[test]
fn err_redistribute_not_holder() {
    let command = RedistributeTicket {
        actor: dave(),
        to: erin(),
        ..redistribute_command()
    };
    let error = redistribute_err(&replacement(), &pos(), &command);
    assert_eq!(
        error,
        RedistributeError::NotHolder {
            ticket: NEW,
            actor: dave()
        }
    );
    assert_message(
        &error,
        &[
            &NEW.to_string(),
            "dave@example.com",
            "only its cultural contact may redistribute it",
        ],
    );
}

// RecordFeedbackError

#[test]
fn err_record_feedback_ticket_not_found() {
    let feedback = Feedback {
        ticket: tid(999),
        status: LifecycleStatus::Downloaded,
        at: at(1),
        transfer: None,
    };
    let error = injection::record_feedback(&injected(), &feedback).unwrap_err();
    assert_eq!(
        error,
        RecordFeedbackError::Input(InputError::TicketNotFound { ticket: tid(999) })
    );
    assert_message(&error, &[&tid(999).to_string(), "check the ticket id"]);
}

#[test]
fn err_record_feedback_not_injected() {
    let feedback = Feedback {
        ticket: OLD,
        status: LifecycleStatus::Injected,
        at: AT,
        transfer: None,
    };
    let error = injection::record_feedback(&issued(OLD, MOBILE), &feedback).unwrap_err();
    assert_eq!(error, RecordFeedbackError::NotInjected { ticket: OLD });
    assert_message(
        &error,
        &[&OLD.to_string(), "never injected", "misaddressed"],
    );
}

#[test]
fn err_record_feedback_missing_transfer_details() {
    for status in [
        LifecycleStatus::PendingTransfer,
        LifecycleStatus::FailureTransfer,
        LifecycleStatus::Transferred,
    ] {
        let feedback = Feedback {
            ticket: OLD,
            status,
            at: at(1),
            transfer: None,
        };
        let error = injection::record_feedback(&injected(), &feedback).unwrap_err();
        assert_eq!(
            error,
            RecordFeedbackError::MissingTransferDetails {
                ticket: OLD,
                status
            }
        );
        assert_message(
            &error,
            &[&OLD.to_string(), status.code(), "group, sender, recipient"],
        );
    }
}

// DeletionError

#[test]
fn err_deletion_ticket_not_found() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let error = wallet::request_deletion(
        &old,
        &RequestDeletion {
            ticket: tid(999),
            at: at(6),
        },
    )
    .unwrap_err();
    assert_eq!(
        error,
        DeletionError::Input(InputError::TicketNotFound { ticket: tid(999) })
    );
    assert_message(&error, &[&tid(999).to_string(), "check the ticket id"]);
    assert_eq!(
        wallet::complete_deletion(
            &old,
            &CompleteDeletion {
                ticket: tid(999),
                at: at(6)
            }
        ),
        Err(error)
    );
}

#[test]
fn err_deletion_not_injected() {
    let mut ticket = issued(OLD, MOBILE);
    ticket.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::from_code("REFUND"),
        at: at(1),
        replaced_by: None,
    });
    let error = wallet::request_deletion(
        &ticket,
        &RequestDeletion {
            ticket: OLD,
            at: at(6),
        },
    )
    .unwrap_err();
    assert_eq!(error, DeletionError::NotInjected { ticket: OLD });
    assert_message(
        &error,
        &[&OLD.to_string(), "never injected", "nothing to delete"],
    );
}

#[test]
fn err_deletion_still_valid() {
    let error = wallet::request_deletion(
        &injected(),
        &RequestDeletion {
            ticket: OLD,
            at: at(6),
        },
    )
    .unwrap_err();
    assert_eq!(error, DeletionError::StillValid { ticket: OLD });
    assert_message(
        &error,
        &[&OLD.to_string(), "invalidate it before deleting it"],
    );
}

#[test]
fn err_deletion_wrong_status() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let error = wallet::complete_deletion(
        &old,
        &CompleteDeletion {
            ticket: OLD,
            at: at(6),
        },
    )
    .unwrap_err();
    assert_eq!(
        error,
        DeletionError::WrongStatus {
            ticket: OLD,
            status: WalletStatus::NotDownloaded
        }
    );
    assert_message(
        &error,
        &[&OLD.to_string(), "NOT_DOWNLOADED", "does not apply"],
    );
}

// ThemeError

#[test]
fn err_theme_malformed_line() {
    let error = InternetTheme::parse("a = b\nactivateAdvancedView").unwrap_err();
    assert_eq!(
        error,
        ThemeError::MalformedLine {
            line: 2,
            text: "activateAdvancedView".to_owned()
        }
    );
    assert_parse_message(
        &error,
        &[
            "line 2",
            "`activateAdvancedView`",
            "write it as `key = value`",
        ],
    );
}

#[test]
fn err_theme_malformed_value() {
    let error = InternetTheme::parse("distribution.list.activateAdvancedView = yes").unwrap_err();
    assert_eq!(
        error,
        ThemeError::MalformedValue {
            key: "distribution.list.activateAdvancedView".to_owned(),
            value: "yes".to_owned()
        }
    );
    assert_parse_message(
        &error,
        &[
            "`distribution.list.activateAdvancedView`",
            "`yes`",
            "must be `true` or `false`",
        ],
    );
}

#[test]
fn err_theme_duplicate_key() {
    let error = InternetTheme::from_pairs([("header.color", "red"), ("header.color ", "blue")])
        .unwrap_err();
    assert_eq!(
        error,
        ThemeError::DuplicateKey {
            key: "header.color".to_owned()
        }
    );
    assert_parse_message(&error, &["`header.color`", "set twice", "keep one line"]);
}

// InterfaceError

#[test]
fn err_interface_malformed_value() {
    let error = TixngoInterface::from_custom_parameters([(TixngoInterface::OVERLAY, "garbage")])
        .unwrap_err();
    assert_eq!(
        error,
        InterfaceError::MalformedValue {
            parameter: "overlaySpectatirDetailsWithLastOwner".to_owned(),
            value: "garbage".to_owned()
        }
    );
    assert_parse_message(
        &error,
        &[
            "`overlaySpectatirDetailsWithLastOwner`",
            "`garbage`",
            "must be `true` or `false`",
        ],
    );
}

#[test]
fn err_interface_duplicate_parameter() {
    let error = TixngoInterface::from_custom_parameters([
        (TixngoInterface::RESET_REASONS, "MOBILE_TAKE_BACK"),
        (" resetInjectionInvalidationReasons", "REFUND"),
    ])
    .unwrap_err();
    assert_eq!(
        error,
        InterfaceError::DuplicateParameter {
            parameter: "resetInjectionInvalidationReasons".to_owned()
        }
    );
    assert_parse_message(
        &error,
        &[
            "`resetInjectionInvalidationReasons`",
            "set twice",
            "keep one",
        ],
    );
}

// InjectionTargetError

#[test]
fn err_injection_target_no_cultural_contact() {
    let mut ticket = issued(tid(300), MOBILE);
    ticket.distribution.cultural_contact = None;
    let error = interface().injection_target(&ticket, None).unwrap_err();
    assert_eq!(
        error,
        InjectionTargetError::NoCulturalContact { ticket: tid(300) }
    );
    assert_message(
        &error,
        &[&tid(300).to_string(), "distribute it to a contact first"],
    );
}

#[test]
fn err_injection_target_wrong_predecessor() {
    let (old, new) = crate::target::replaced(&issued(OLD, MOBILE), "REFUND");
    let error = interface().injection_target(&new, None).unwrap_err();
    assert_eq!(
        error,
        InjectionTargetError::WrongPredecessor {
            ticket: new.id,
            expected: Some(old.id),
            given: None
        }
    );
    assert_message(
        &error,
        &[
            &new.id.to_string(),
            &old.id.to_string(),
            "pass the ticket it replaces",
        ],
    );
    let unrelated = issued(tid(400), MOBILE);
    assert_eq!(
        interface().injection_target(&new, Some(&unrelated)),
        Err(InjectionTargetError::WrongPredecessor {
            ticket: new.id,
            expected: Some(old.id),
            given: Some(tid(400))
        })
    );
    assert_eq!(
        interface().injection_target(&unrelated, Some(&old)),
        Err(InjectionTargetError::WrongPredecessor {
            ticket: tid(400),
            expected: None,
            given: Some(old.id)
        })
    );
}

#[test]
fn err_messages_are_distinct_per_variant() {
    // A cheap guard that the refusals of one command do not share a message by mistake.
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let messages = [
        take_back_err(&old, &pos()).to_string(),
        take_back_err(&injected(), &pos().with_mobile_take_back(false)).to_string(),
        take_back_err(&injected(), &pos().with_theme(InternetTheme::default())).to_string(),
        take_back_err(
            &with_last_feedback(&injected(), LifecycleStatus::Deleted, at(1)),
            &pos(),
        )
        .to_string(),
    ];
    for (i, a) in messages.iter().enumerate() {
        for b in messages.iter().skip(i + 1) {
            assert_ne!(a, b);
        }
    }
}
