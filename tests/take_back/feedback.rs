//! Injection and feedback on the S360 side (SPEC I1-I4).

use secure_ticket::injection::{self, InjectError, InjectTicket, RecordFeedbackError};
use secure_ticket::take_back::{self, RedistributeTicket};
use secure_ticket::transfer::{
    self, CancelTransfer, DeclineTransfer, EditRecipient, ExpireTransfer, InitiateTransfer,
    NewGroupIds, SignIn,
};
use secure_ticket::wallet::{
    self, Actor, ChangeFlag, CompleteDeletion, DownloadTicket, FlagChange, RequestDeletion,
};
use secure_ticket::{
    AcceptanceSettings, ActivationMethod, Decision, DistributionEntry, EntryStatus, Event,
    Feedback, InjectionTarget, InputError, InvalidationReason, LastFeedback, LifecycleStatus,
    Ticket, TransferDetails, Wallet, WalletStatus,
};
use time::Duration;

use crate::common::*;

fn feedback(status: LifecycleStatus, when: time::OffsetDateTime) -> Feedback {
    Feedback {
        ticket: OLD,
        status,
        sequence: seq(when),
        at: when,
        transfer: None,
    }
}

fn transfer_feedback(
    status: LifecycleStatus,
    when: time::OffsetDateTime,
    group: u128,
    sender: secure_ticket::Email,
    recipient: secure_ticket::Email,
) -> Feedback {
    Feedback {
        transfer: Some(TransferDetails {
            group: gid(group),
            sender,
            recipient,
            back_office: None,
        }),
        ..feedback(status, when)
    }
}

fn flag(ticket: &Ticket, change: FlagChange, actor: Actor, when: time::OffsetDateTime) -> Decision {
    wallet::change_flag(
        ticket,
        &ChangeFlag {
            ticket: ticket.id,
            change,
            actor,
            at: when,
        },
    )
    .unwrap()
}

fn record(ticket: &Ticket, feedback: &Feedback) -> Decision {
    injection::record_feedback(ticket, feedback).unwrap()
}

/// The old ticket (INJECTED recorded) with a pending transfer to bob in group 1, its PENDING_TRANSFER
/// feedback recorded: (wallet decision, S360's ticket).
fn pending_to_bob(settings: &AcceptanceSettings) -> (Decision, Ticket) {
    let ticket = injected();
    let sent = transfer::initiate(
        std::slice::from_ref(&ticket),
        &transfer::Context::new(&[rule()]).with_settings(*settings),
        &InitiateTransfer {
            actor: typo(),
            recipient: bob(),
            tickets: vec![OLD],
            groups: NewGroupIds::single(gid(1)),
            at: at(1),
        },
    )
    .unwrap();
    let recorded = apply_with_feedback(&ticket, &sent);
    (sent, recorded)
}

fn entry(group: u128, status: EntryStatus, when: time::OffsetDateTime) -> DistributionEntry {
    DistributionEntry {
        group: gid(group),
        sender: typo(),
        recipient: bob(),
        status,
        at: when,
    }
}

#[test]
fn i1_injection_sends_the_ticket_and_marks_it_printed() {
    let ticket = issued(OLD, MOBILE);
    let decision = inject(&ticket, &typo(), AT);
    let mut expected = ticket.clone();
    expected.distribution.printed = true;
    expected.wallet = Some(Wallet::injected(RULE, typo(), AT));
    assert_eq!(
        decision,
        Decision {
            created: Vec::new().into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![expected].into(),
            groups: Vec::new().into(),
            events: vec![Event::TicketInjected {
                ticket: OLD,
                right: RIGHT,
                owner: typo(),
                usage_rule: RULE,
                at: AT,
            }]
            .into(),
        }
    );
    assert_eq!(
        decision.tickets[0].wallet_status(),
        Some(WalletStatus::NotDownloaded)
    );
}

#[test]
fn i1_the_replacement_is_injected_to_the_b8_target() {
    let (old, new) = taken_back(&injected(), NEW, at(5));
    let redistributed = only(
        take_back::redistribute(
            &new,
            &pos(),
            &RedistributeTicket {
                ticket: NEW,
                point_of_sale: POS,
                actor: agency(),
                to: dave(),
                at: at(6),
            },
        )
        .unwrap(),
    );
    let target = interface()
        .injection_target(&redistributed, Some(&old))
        .unwrap();
    assert_eq!(target, InjectionTarget::CulturalContact(dave()));
    let injected = inject_with_feedback(&redistributed, target.email(), at(7));
    let wallet = injected.wallet.as_ref().unwrap();
    assert_eq!(
        (&wallet.owners.initial, &wallet.owners.current),
        (&dave(), &dave())
    );
    assert_eq!((wallet.level, wallet.owners.previous.as_ref()), (0, None));
    assert!(injected.distribution.printed);
    assert_eq!(
        injected.distribution.last_feedback,
        Some(LastFeedback {
            status: LifecycleStatus::Injected,
            at: at(7),
            sequence: seq(at(7)),
        })
    );
}

#[test]
fn i1_only_a_valid_not_injected_secure_mobile_ticket_is_injected() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let command = |ticket: &Ticket| InjectTicket {
        ticket: ticket.id,
        to: dave(),
        usage_rule: RULE,
        at: at(6),
    };
    assert_eq!(
        injection::inject(&old, &command(&old)),
        Err(InjectError::TicketInvalidated {
            ticket: OLD,
            reason: InvalidationReason::MobileTakeBack
        })
    );
    let printed = issued(tid(300), PRINT);
    assert_eq!(
        injection::inject(&printed, &command(&printed)),
        Err(InjectError::NotSecureMobile {
            ticket: tid(300),
            shipment_mode: PRINT.id
        })
    );
    let again = injected();
    assert_eq!(
        injection::inject(&again, &command(&again)),
        Err(InjectError::AlreadyInjected {
            ticket: OLD,
            injected_at: AT
        })
    );
}

#[test]
fn i2_injection_and_download_feedback() {
    let ticket = issued(OLD, MOBILE);
    let injected_decision = inject(&ticket, &typo(), AT);
    assert_eq!(
        feedback_of(&injected_decision.events),
        vec![feedback(LifecycleStatus::Injected, AT)]
    );
    let downloaded = wallet::download(
        &injected_decision.tickets[0],
        &DownloadTicket {
            ticket: OLD,
            actor: typo(),
            at: at(1),
        },
    )
    .unwrap();
    assert_eq!(
        feedback_of(&downloaded.events),
        vec![feedback(LifecycleStatus::Downloaded, at(1))]
    );
}

#[test]
fn i2_each_activation_method_has_its_status() {
    let ticket = injected();
    for (method, status, code) in [
        (
            ActivationMethod::Online,
            LifecycleStatus::OnlineActivated,
            "ONLINE_ACTIVATED",
        ),
        (
            ActivationMethod::Offline,
            LifecycleStatus::OfflineActivated,
            "OFFLINE_ACTIVATED",
        ),
        (
            ActivationMethod::Manual,
            LifecycleStatus::ManualActivated,
            "MANUAL_ACTIVATED",
        ),
        (
            ActivationMethod::Bt,
            LifecycleStatus::BtActivated,
            "BT_ACTIVATED",
        ),
    ] {
        let decision = flag(
            &ticket,
            FlagChange::Activate(method),
            Actor::Spectator(typo()),
            at(1),
        );
        assert_eq!(feedback_of(&decision.events), vec![feedback(status, at(1))]);
        assert_eq!(LifecycleStatus::activated(method), status);
        assert_eq!((status.code(), status.to_string()), (code, code.to_owned()));
    }
}

#[test]
fn i2_control_reports_controlled_and_other_flags_report_nothing() {
    let ticket = injected();
    let controlled = flag(&ticket, FlagChange::Control, Actor::AccessControl, at(1));
    assert_eq!(
        feedback_of(&controlled.events),
        vec![feedback(LifecycleStatus::Controlled, at(1))]
    );
    let checked_out = flag(
        &after(&ticket, &controlled),
        FlagChange::CheckOut,
        Actor::AccessControl,
        at(2),
    );
    let checked = flag(&ticket, FlagChange::Check, Actor::AccessControl, at(1));
    let active = flag(
        &ticket,
        FlagChange::Activate(ActivationMethod::Online),
        Actor::System,
        at(1),
    );
    let deactivated = flag(
        &after(&ticket, &active),
        FlagChange::Deactivate,
        Actor::System,
        at(2),
    );
    for decision in [checked_out, checked, deactivated] {
        assert!(!decision.events.is_empty(), "{decision:?}");
        assert_eq!(feedback_of(&decision.events), Vec::new(), "{decision:?}");
    }
}

#[test]
fn i2_initiation_reports_pending_transfer_with_its_details() {
    let (sent, _) = pending_to_bob(&AcceptanceSettings::explicit());
    assert_eq!(
        feedback_of(&sent.events),
        vec![transfer_feedback(
            LifecycleStatus::PendingTransfer,
            at(1),
            1,
            typo(),
            bob()
        )]
    );
}

#[test]
fn i2_initiation_of_several_tickets_reports_each() {
    let first = injected();
    let second = inject_with_feedback(&issued(tid(300), MOBILE), &typo(), AT);
    let sent = transfer::initiate(
        &[first, second],
        &transfer::Context::new(&[rule()]).with_settings(AcceptanceSettings::explicit()),
        &InitiateTransfer {
            actor: typo(),
            recipient: bob(),
            tickets: vec![OLD, tid(300)],
            groups: NewGroupIds::single(gid(1)),
            at: at(1),
        },
    )
    .unwrap();
    let one = transfer_feedback(LifecycleStatus::PendingTransfer, at(1), 1, typo(), bob());
    assert_eq!(
        feedback_of(&sent.events),
        vec![
            one.clone(),
            Feedback {
                ticket: tid(300),
                ..one
            }
        ]
    );
}

#[test]
fn i2_decline_cancel_and_expiry_report_failure_transfer() {
    let settings = AcceptanceSettings::explicit()
        .with_expiry(Duration::hours(1))
        .unwrap();
    let (sent, _) = pending_to_bob(&settings);
    let group = &sent.groups[0];
    let declined = transfer::decline(
        group,
        &sent.tickets,
        &DeclineTransfer {
            group: gid(1),
            actor: bob(),
            at: at(2),
        },
    )
    .unwrap();
    let cancelled = transfer::cancel(
        group,
        &sent.tickets,
        &CancelTransfer {
            group: gid(1),
            actor: typo(),
            at: at(2),
        },
    )
    .unwrap();
    let expired = transfer::expire(
        group,
        &sent.tickets,
        &ExpireTransfer {
            group: gid(1),
            at: at(61),
        },
    )
    .unwrap();
    for (decision, when) in [(declined, at(2)), (cancelled, at(2)), (expired, at(61))] {
        assert_eq!(
            feedback_of(&decision.events),
            vec![transfer_feedback(
                LifecycleStatus::FailureTransfer,
                when,
                1,
                typo(),
                bob()
            )]
        );
    }
}

#[test]
fn i2_acceptance_and_sign_in_completion_report_transferred() {
    let (sent, _) = pending_to_bob(&AcceptanceSettings::explicit());
    let accepted = accept(&sent.groups[0], &sent.tickets[0], at(2));
    assert_eq!(
        feedback_of(&accepted.events),
        vec![transfer_feedback(
            LifecycleStatus::Transferred,
            at(2),
            1,
            typo(),
            bob()
        )]
    );

    let (sent, _) = pending_to_bob(&AcceptanceSettings::automatic());
    let signed_in = transfer::complete_on_sign_in(
        &sent.groups,
        &sent.tickets,
        &[rule()],
        &SignIn {
            actor: bob(),
            at: at(3),
        },
    )
    .unwrap();
    assert_eq!(
        feedback_of(&signed_in.events),
        vec![transfer_feedback(
            LifecycleStatus::Transferred,
            at(3),
            1,
            typo(),
            bob()
        )]
    );
}

#[test]
fn i2_deletion_push_reports_deletion_pending_then_deleted() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    let requested = wallet::request_deletion(
        &old,
        &RequestDeletion {
            ticket: OLD,
            at: at(6),
        },
    )
    .unwrap();
    assert_eq!(
        feedback_of(&requested.events),
        vec![feedback(LifecycleStatus::DeletionPending, at(6))]
    );
    let deleted = wallet::complete_deletion(
        &requested.tickets[0],
        &CompleteDeletion {
            ticket: OLD,
            at: at(7),
        },
    )
    .unwrap();
    assert_eq!(
        feedback_of(&deleted.events),
        vec![feedback(LifecycleStatus::Deleted, at(7))]
    );
}

#[test]
fn i2_s360_decisions_report_nothing() {
    let ticket = injected();
    let decision = take_back::take_back(
        &ticket,
        &pos(),
        &interface(),
        &policy(),
        &take_back_command(OLD, NEW, at(5)),
    )
    .unwrap();
    assert_eq!(feedback_of(&decision.events), Vec::new());
    assert_eq!(feedback_of(&[]), Vec::new());
}

#[test]
fn i2_statuses_have_tixngo_codes_and_only_transfer_statuses_carry_details() {
    let codes: Vec<&str> = ALL_STATUSES.iter().map(|s| s.code()).collect();
    assert_eq!(
        codes,
        [
            "INJECTED",
            "DOWNLOADED",
            "ASSIGNED",
            "PENDING_TRANSFER",
            "FAILURE_TRANSFER",
            "TRANSFERRED",
            "ONLINE_ACTIVATED",
            "OFFLINE_ACTIVATED",
            "MANUAL_ACTIVATED",
            "BT_ACTIVATED",
            "CONTROLLED",
            "DELETION_PENDING",
            "DELETED"
        ]
    );
    for status in ALL_STATUSES {
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            format!("\"{}\"", status.code())
        );
        assert_eq!(
            status.is_transfer(),
            matches!(
                status,
                LifecycleStatus::PendingTransfer
                    | LifecycleStatus::FailureTransfer
                    | LifecycleStatus::Transferred
            )
        );
    }
}

#[test]
fn i3_newer_feedback_is_recorded() {
    let ticket = injected();
    let decision = record(&ticket, &feedback(LifecycleStatus::Downloaded, at(2)));
    let mut expected = ticket.clone();
    expected.distribution.last_feedback = Some(LastFeedback {
        status: LifecycleStatus::Downloaded,
        at: at(2),
        sequence: seq(at(2)),
    });
    assert_eq!(
        decision,
        Decision {
            created: Vec::new().into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![expected].into(),
            groups: Vec::new().into(),
            events: vec![Event::FeedbackRecorded {
                ticket: OLD,
                status: LifecycleStatus::Downloaded,
                at: at(2),
            }]
            .into(),
        }
    );
}

#[test]
fn i6_feedback_is_ordered_by_its_sequence_whatever_its_time_says() {
    // INJECTED recorded at sequence 1.
    let mut ticket = injected();
    ticket.distribution.last_feedback = Some(LastFeedback {
        status: LifecycleStatus::Injected,
        at: AT,
        sequence: 1,
    });
    // A status from a wrong clock, far in the future, at sequence 10.
    let far = time::macros::datetime!(2150-01-01 00:00 UTC);
    let downloaded = Feedback {
        sequence: 10,
        ..feedback(LifecycleStatus::Downloaded, far)
    };
    let ticket = after(&ticket, &record(&ticket, &downloaded));
    // A later status stamped now still lands: its sequence is higher.
    let deleted = Feedback {
        sequence: 11,
        ..feedback(LifecycleStatus::Deleted, at(3))
    };
    let now_deleted = after(&ticket, &record(&ticket, &deleted));
    assert_eq!(
        now_deleted.distribution.last_feedback,
        Some(LastFeedback {
            status: LifecycleStatus::Deleted,
            at: at(3),
            sequence: 11,
        })
    );
    // An earlier status stamped later than everything is still older: ignored.
    let late = Feedback {
        sequence: 9,
        ..feedback(LifecycleStatus::OnlineActivated, far + Duration::days(1))
    };
    assert_eq!(record(&now_deleted, &late), Decision::default());
    // The same sequence is applied in arrival order (a duplicate changes nothing).
    assert_eq!(record(&now_deleted, &deleted), Decision::default());
    let same = Feedback {
        sequence: 11,
        ..feedback(LifecycleStatus::DeletionPending, at(1))
    };
    let changed = after(&now_deleted, &record(&now_deleted, &same));
    assert_eq!(
        changed.distribution.last_feedback.map(|f| f.status),
        Some(LifecycleStatus::DeletionPending)
    );
}

#[test]
fn i3_older_feedback_is_ignored() {
    let ticket = with_last_feedback(&injected(), LifecycleStatus::Downloaded, at(2));
    let before = ticket.clone();
    // An INJECTED from before the download must not reopen the take back (B4).
    assert_eq!(
        record(&ticket, &feedback(LifecycleStatus::Injected, at(1))),
        Decision::default()
    );
    assert_eq!(
        record(
            &ticket,
            &transfer_feedback(LifecycleStatus::Transferred, at(1), 1, typo(), bob())
        ),
        Decision::default()
    );
    assert_eq!(ticket, before);
    assert_eq!(
        take_back::take_back(
            &ticket,
            &pos(),
            &interface(),
            &policy(),
            &take_back_command(OLD, NEW, at(5))
        ),
        Err(take_back::TakeBackError::NoLongerInjected {
            ticket: OLD,
            status: LifecycleStatus::Downloaded
        })
    );
}

#[test]
fn i3_batches_out_of_order_end_with_the_latest_status() {
    let ticket = injected();
    let batch = [
        feedback(LifecycleStatus::OnlineActivated, at(3)),
        feedback(LifecycleStatus::Downloaded, at(2)),
        feedback(LifecycleStatus::Injected, AT),
    ];
    let mut recorded = ticket.clone();
    for one in &batch {
        recorded = after(&recorded, &record(&recorded, one));
    }
    assert_eq!(
        recorded.distribution.last_feedback,
        Some(LastFeedback {
            status: LifecycleStatus::OnlineActivated,
            at: at(3),
            sequence: seq(at(3)),
        })
    );
}

#[test]
fn i3_duplicate_feedback_gives_an_empty_decision() {
    let ticket = injected();
    assert_eq!(
        record(&ticket, &feedback(LifecycleStatus::Injected, AT)),
        Decision::default()
    );

    let (_, pending) = pending_to_bob(&AcceptanceSettings::explicit());
    let again = transfer_feedback(LifecycleStatus::PendingTransfer, at(1), 1, typo(), bob());
    assert_eq!(record(&pending, &again), Decision::default());
}

#[test]
fn i3_feedback_at_the_same_time_does_not_reopen_the_take_back() {
    let ticket = with_last_feedback(&injected(), LifecycleStatus::Downloaded, AT);
    let recorded = after(
        &ticket,
        &record(&ticket, &feedback(LifecycleStatus::Injected, AT)),
    );
    assert!(
        take_back::take_back(
            &recorded,
            &pos(),
            &interface(),
            &policy(),
            &take_back_command(OLD, NEW, at(5))
        )
        .is_err()
    );
}

#[test]
fn i4_pending_transfer_adds_a_pending_entry() {
    let (_, pending) = pending_to_bob(&AcceptanceSettings::explicit());
    assert_eq!(
        pending.distribution.entries,
        vec![entry(1, EntryStatus::Pending, at(1))]
    );
    assert_eq!(pending.distribution.cultural_contact, Some(typo()));
    assert_eq!(
        pending.distribution.last_feedback,
        Some(LastFeedback {
            status: LifecycleStatus::PendingTransfer,
            at: at(1),
            sequence: seq(at(1)),
        })
    );
}

#[test]
fn i4_failure_transfer_marks_the_entry_cancelled() {
    let (_, pending) = pending_to_bob(&AcceptanceSettings::explicit());
    let failed = record(
        &pending,
        &transfer_feedback(LifecycleStatus::FailureTransfer, at(2), 1, typo(), bob()),
    );
    let mut expected = pending.clone();
    expected.distribution.entries = vec![entry(1, EntryStatus::Cancelled, at(2))].into();
    expected.distribution.last_feedback = Some(LastFeedback {
        status: LifecycleStatus::FailureTransfer,
        at: at(2),
        sequence: seq(at(2)),
    });
    assert_eq!(
        failed,
        Decision {
            created: Vec::new().into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![expected].into(),
            groups: Vec::new().into(),
            events: vec![Event::FeedbackRecorded {
                ticket: OLD,
                status: LifecycleStatus::FailureTransfer,
                at: at(2),
            }]
            .into(),
        }
    );
    assert_eq!(
        failed.tickets[0].distribution.cultural_contact,
        Some(typo())
    );
}

#[test]
fn i4_transferred_confirms_the_entry_and_moves_the_cultural_contact() {
    let (sent, pending) = pending_to_bob(&AcceptanceSettings::explicit());
    let accepted = accept(&sent.groups[0], &sent.tickets[0], at(2));
    let transferred = record_all(&pending, &accepted);
    assert_eq!(
        transferred.distribution.entries,
        vec![entry(1, EntryStatus::Confirmed, at(2))]
    );
    assert_eq!(transferred.distribution.cultural_contact, Some(bob()));
}

#[test]
fn i4_transferred_without_pending_feedback_adds_a_confirmed_entry() {
    let ticket = injected();
    let decision = record(
        &ticket,
        &transfer_feedback(LifecycleStatus::Transferred, at(2), 1, typo(), bob()),
    );
    let recorded = &decision.tickets[0];
    assert_eq!(
        recorded.distribution.entries,
        vec![entry(1, EntryStatus::Confirmed, at(2))]
    );
    assert_eq!(recorded.distribution.cultural_contact, Some(bob()));
}

#[test]
fn i4_an_edited_recipient_cancels_one_entry_and_adds_another() {
    let (sent, pending) = pending_to_bob(&AcceptanceSettings::explicit());
    let edited = transfer::edit_recipient(
        &sent.groups[0],
        &sent.tickets,
        &transfer::Context::new(&[rule()]).with_settings(AcceptanceSettings::explicit()),
        &EditRecipient {
            group: gid(1),
            actor: typo(),
            recipient: erin(),
            new_groups: NewGroupIds::single(gid(2)),
            at: at(2),
        },
    )
    .unwrap();
    let recorded = record_all(&pending, &edited);
    assert_eq!(
        recorded.distribution.entries,
        vec![
            entry(1, EntryStatus::Cancelled, at(2)),
            DistributionEntry {
                recipient: erin(),
                ..entry(2, EntryStatus::Pending, at(2))
            },
        ]
    );
    assert_eq!(
        recorded.distribution.last_feedback.map(|f| f.status),
        Some(LifecycleStatus::PendingTransfer)
    );
}

#[test]
fn i4_a_failure_of_an_unknown_transfer_only_updates_the_last_feedback() {
    let ticket = injected();
    let decision = record(
        &ticket,
        &transfer_feedback(LifecycleStatus::FailureTransfer, at(2), 9, typo(), bob()),
    );
    assert!(decision.tickets[0].distribution.entries.is_empty());
    assert_eq!(
        decision.tickets[0].distribution.last_feedback,
        Some(LastFeedback {
            status: LifecycleStatus::FailureTransfer,
            at: at(2),
            sequence: seq(at(2)),
        })
    );
}

// RecordFeedbackError: one test per variant (`err_...`)

#[test]
fn err_record_feedback_ticket_not_found() {
    let feedback = Feedback {
        ticket: tid(999),
        status: LifecycleStatus::Downloaded,
        sequence: seq(at(1)),
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
        sequence: seq(AT),
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
            sequence: seq(at(1)),
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
