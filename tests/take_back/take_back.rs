//! Take back through a B2B point of sale (SPEC B1, B3-B7, B9).

use secure_ticket::store::RecordKey;
use secure_ticket::take_back::{
    self, RedistributeError, RedistributeTicket, TakeBackError, TakeBackPolicy, TakeBackTicket,
};
use secure_ticket::wallet::{self, DownloadTicket};
use secure_ticket::{
    Decision, Distribution, Event, InputError, InternetTheme, Invalidation, InvalidationReason,
    LifecycleStatus, PointOfSale, ShipmentMode, ShipmentModeId, Ticket, TixngoInterface,
};

use crate::common::*;

fn try_take_back(
    ticket: &Ticket,
    pos: &PointOfSale,
    interface: &TixngoInterface,
    policy: &TakeBackPolicy,
) -> Result<Decision, TakeBackError> {
    take_back::take_back(
        ticket,
        pos,
        interface,
        policy,
        &take_back_command(ticket.id, NEW, at(5)),
    )
}

/// The decision of a regular take back (B3): the ticket back with the agency, one event.
fn regular_take_back_decision(ticket: &Ticket) -> Decision {
    let mut back = ticket.clone();
    back.distribution.cultural_contact = Some(agency());
    Decision {
        created: Vec::new().into(),
        spectators: Vec::new().into(),
        relies_on: Vec::new().into(),
        tickets: vec![back].into(),
        groups: Vec::new().into(),
        events: vec![Event::TicketTakenBack {
            ticket: ticket.id,
            point_of_sale: POS,
            by: agency(),
            replacement: None,
            at: at(5),
        }]
        .into(),
    }
}

/// The points of sale that B1 and B2 would refuse a mobile take back through, and the sound one.
fn every_b2b_pos() -> Vec<PointOfSale> {
    vec![
        PointOfSale::b2b(secure_ticket::OrganizerId::from_u128(1), POS),
        PointOfSale::b2b(secure_ticket::OrganizerId::from_u128(1), POS).with_theme(advanced_view()),
        PointOfSale::b2b(secure_ticket::OrganizerId::from_u128(1), POS).with_mobile_take_back(true),
        PointOfSale::b2b(secure_ticket::OrganizerId::from_u128(1), POS)
            .with_take_back_shipment_mode(Some(HELD_BACK)),
        pos(),
    ]
}

#[test]
fn b1_pos_take_back_settings_default_off_and_are_set_by_the_builders() {
    let plain = PointOfSale::b2b(secure_ticket::OrganizerId::from_u128(1), POS);
    assert_eq!(
        (
            plain.b2b,
            plain.allow_mobile_take_back,
            plain.take_back_shipment_mode
        ),
        (true, false, None)
    );
    assert!(!plain.advanced_view());
    assert!(!PointOfSale::other(secure_ticket::OrganizerId::from_u128(1), POS).b2b);

    let set = pos();
    assert!(set.allow_mobile_take_back);
    assert_eq!(set.take_back_shipment_mode, Some(HELD_BACK));
    let unset = set.clone().with_take_back_shipment_mode(None);
    assert_eq!(unset.take_back_shipment_mode, None);
    assert!(!set.with_mobile_take_back(false).allow_mobile_take_back);
}

#[test]
fn b1_pos_settings_read_from_json_default_to_off() {
    // Only the id and organizer: every setting defaults to off.
    let pos: PointOfSale = serde_json::from_str(
        r#"{"id":"00000000-0000-0000-0000-000000000032","organizer":"00000000-0000-0000-0000-000000000001"}"#,
    )
    .unwrap();
    assert_eq!(
        pos,
        PointOfSale::other(secure_ticket::OrganizerId::from_u128(1), POS)
    );
    let round_trip: PointOfSale = serde_json::from_slice(&json(&crate::common::pos())).unwrap();
    assert_eq!(round_trip, crate::common::pos());
}

#[test]
fn b1_mobile_take_back_refused_when_the_pos_does_not_allow_it() {
    let pos = pos().with_mobile_take_back(false);
    assert_eq!(
        try_take_back(&injected(), &pos, &interface(), &policy()),
        Err(TakeBackError::MobileTakeBackDisabled { point_of_sale: POS })
    );
}

#[test]
fn b2_mobile_take_back_refused_without_the_advanced_view() {
    for theme in [
        "",
        "distribution.list.activateAdvancedView = false",
        "some.other.key = true",
    ] {
        let pos = pos().with_theme(InternetTheme::parse(theme).unwrap());
        assert_eq!(
            try_take_back(&injected(), &pos, &interface(), &policy()),
            Err(TakeBackError::AdvancedViewInactive { point_of_sale: POS }),
            "theme `{theme}`"
        );
    }
}

#[test]
fn b3_regular_take_back_of_a_print_at_home_ticket_creates_no_new_ticket() {
    let ticket = issued(tid(300), PRINT);
    for pos in every_b2b_pos() {
        let decision = try_take_back(&ticket, &pos, &TixngoInterface::default(), &policy());
        assert_eq!(decision, Ok(regular_take_back_decision(&ticket)), "{pos:?}");
    }
}

#[test]
fn b3_regular_take_back_of_a_mobile_ticket_not_yet_injected_creates_no_new_ticket() {
    let ticket = issued(tid(300), MOBILE);
    for pos in every_b2b_pos() {
        let decision = try_take_back(&ticket, &pos, &TixngoInterface::default(), &policy())
            .unwrap_or_else(|e| panic!("{pos:?}: {e}"));
        assert_eq!(decision, regular_take_back_decision(&ticket));
        let back = &decision.tickets[0];
        assert!(back.is_valid());
        assert_eq!(
            (
                back.distribution.printed,
                &back.wallet,
                back.distribution.shipment_mode
            ),
            (false, &None, MOBILE)
        );
    }
}

#[test]
fn b3_a_regular_take_back_is_ready_for_redistribution() {
    let ticket = issued(tid(300), MOBILE);
    let back = only(
        try_take_back(
            &ticket,
            &PointOfSale::b2b(secure_ticket::OrganizerId::from_u128(1), POS),
            &TixngoInterface::default(),
            &policy(),
        )
        .unwrap(),
    );
    let decision = take_back::redistribute(
        &back,
        &PointOfSale::b2b(secure_ticket::OrganizerId::from_u128(1), POS),
        &RedistributeTicket {
            ticket: back.id,
            point_of_sale: POS,
            actor: agency(),
            to: dave(),
            at: at(6),
        },
    )
    .unwrap();
    let mut expected = back.clone();
    expected.distribution.cultural_contact = Some(dave());
    assert_eq!(
        decision,
        Decision {
            created: Vec::new().into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![expected].into(),
            groups: Vec::new().into(),
            events: vec![Event::TicketRedistributed {
                ticket: back.id,
                from: agency(),
                to: dave(),
                at: at(6),
            }]
            .into(),
        }
    );
}

#[test]
fn b4_no_feedback_yet_means_no_take_back_yet() {
    let issued = issued(OLD, MOBILE);
    let ticket = after(&issued, &inject(&issued, &typo(), AT));
    assert!(ticket.distribution.printed);
    assert_eq!(ticket.distribution.last_feedback, None);
    assert_eq!(
        try_take_back(&ticket, &pos(), &interface(), &policy()),
        Err(TakeBackError::NoFeedbackYet { ticket: OLD })
    );
}

#[test]
fn b4_every_status_but_injected_refuses_the_take_back() {
    for status in ALL_STATUSES
        .into_iter()
        .filter(|s| *s != LifecycleStatus::Injected)
    {
        let ticket = with_last_feedback(&injected(), status, at(1));
        let refused = try_take_back(&ticket, &pos(), &interface(), &policy());
        assert_eq!(
            refused,
            Err(TakeBackError::NoLongerInjected {
                ticket: OLD,
                status
            })
        );
        assert_mentions(
            &refused.unwrap_err().to_string(),
            &[&OLD.to_string(), status.code()],
        );
    }
}

#[test]
fn b4_injected_feedback_allows_the_take_back() {
    let ticket = injected();
    assert_eq!(
        ticket.distribution.last_feedback.map(|f| f.status),
        Some(LifecycleStatus::Injected)
    );
    let decision = try_take_back(&ticket, &pos(), &interface(), &policy()).unwrap();
    assert_eq!(decision.tickets.len(), 2);
}

#[test]
fn b4_a_downloaded_ticket_cannot_be_taken_back() {
    let ticket = injected();
    let downloaded = wallet::download(
        &ticket,
        &DownloadTicket {
            ticket: OLD,
            actor: typo(),
            at: at(1),
        },
    )
    .unwrap();
    let ticket = apply_with_feedback(&ticket, &downloaded);
    assert_eq!(
        try_take_back(&ticket, &pos(), &interface(), &policy()),
        Err(TakeBackError::NoLongerInjected {
            ticket: OLD,
            status: LifecycleStatus::Downloaded
        })
    );
}

#[test]
fn b4_a_ticket_in_a_transfer_or_transferred_cannot_be_taken_back() {
    let ticket = injected();
    let sent = initiate(&ticket, &bob(), gid(1), at(1));
    let pending = apply_with_feedback(&ticket, &sent);
    assert_eq!(
        try_take_back(&pending, &pos(), &interface(), &policy()),
        Err(TakeBackError::NoLongerInjected {
            ticket: OLD,
            status: LifecycleStatus::PendingTransfer
        })
    );
    let accepted = accept(&sent.groups[0], &after(&ticket, &sent), at(2));
    let transferred = apply_with_feedback(&pending, &accepted);
    assert_eq!(
        try_take_back(&transferred, &pos(), &interface(), &policy()),
        Err(TakeBackError::NoLongerInjected {
            ticket: OLD,
            status: LifecycleStatus::Transferred
        })
    );
}

#[test]
fn b12_a_take_back_sees_the_wallet_facet_when_the_feedback_lags() {
    // The ticket was downloaded in the wallet, but the feedback has not reached S360 yet: S360
    // only knows INJECTED. Both facets are in one record, so the take back sees the download
    // and is refused: otherwise a downloaded ticket could be taken back (issue 14).
    let ticket = injected();
    let downloaded = wallet::download(
        &ticket,
        &DownloadTicket {
            ticket: OLD,
            actor: typo(),
            at: at(1),
        },
    )
    .unwrap();
    let stale = after(&ticket, &downloaded);
    assert_eq!(
        stale.distribution.last_feedback.map(|f| f.status),
        Some(LifecycleStatus::Injected)
    );
    assert_eq!(
        try_take_back(&stale, &pos(), &interface(), &policy()),
        Err(TakeBackError::NoLongerInjected {
            ticket: OLD,
            status: LifecycleStatus::Downloaded
        })
    );
}

#[test]
fn b5_a_ticket_with_holder_details_cannot_be_taken_back() {
    let mut ticket = injected();
    ticket.distribution = ticket.distribution.with_holder(holder());
    assert_eq!(
        try_take_back(&ticket, &pos(), &interface(), &policy()),
        Err(TakeBackError::HasTicketHolder { ticket: OLD })
    );
    assert_eq!(
        try_take_back(
            &ticket,
            &pos(),
            &interface(),
            &TakeBackPolicy {
                refuse_ticket_holder_details: true
            }
        ),
        Err(TakeBackError::HasTicketHolder { ticket: OLD })
    );
}

#[test]
fn b5_the_policy_switch_lifts_the_restriction_and_the_replacement_has_no_holder() {
    let mut ticket = injected();
    ticket.distribution = ticket.distribution.with_holder(holder());
    let lifted = TakeBackPolicy {
        refuse_ticket_holder_details: false,
    };
    let decision = try_take_back(&ticket, &pos(), &interface(), &lifted).unwrap();
    let (old, new) = (&decision.tickets[0], &decision.tickets[1]);
    assert_eq!(old.distribution.holder.as_deref(), Some(&holder()));
    assert_eq!(new.distribution.holder, None);
}

#[test]
fn b5_the_restriction_is_on_by_default() {
    assert!(TakeBackPolicy::default().refuse_ticket_holder_details);
}

#[test]
fn b6_only_the_pos_that_distributed_the_ticket_may_take_it_back() {
    let mut ticket = injected();
    ticket.distribution.point_of_sale = OTHER_POS;
    assert_eq!(
        try_take_back(&ticket, &pos(), &interface(), &policy()),
        Err(TakeBackError::WrongPointOfSale {
            ticket: OLD,
            point_of_sale: POS,
        })
    );
    // Through its own POS, configured the same way, it works.
    let own = PointOfSale {
        id: OTHER_POS,
        ..pos()
    };
    let command = TakeBackTicket {
        point_of_sale: OTHER_POS,
        ..take_back_command(OLD, NEW, at(5))
    };
    assert!(take_back::take_back(&ticket, &own, &interface(), &policy(), &command).is_ok());
}

#[test]
fn b6_a_regular_take_back_also_needs_the_distributing_pos() {
    let mut ticket = issued(tid(300), PRINT);
    ticket.distribution.point_of_sale = OTHER_POS;
    assert_eq!(
        try_take_back(&ticket, &pos(), &interface(), &policy()),
        Err(TakeBackError::WrongPointOfSale {
            ticket: tid(300),
            point_of_sale: POS,
        })
    );
}

#[test]
fn b6_take_back_needs_a_b2b_point_of_sale() {
    let not_b2b = PointOfSale {
        b2b: false,
        ..pos()
    };
    for ticket in [injected(), issued(tid(300), PRINT)] {
        assert_eq!(
            try_take_back(&ticket, &not_b2b, &interface(), &policy()),
            Err(TakeBackError::NotB2bPointOfSale { point_of_sale: POS })
        );
    }
}

#[test]
fn b7_mobile_take_back_invalidates_and_replaces() {
    let ticket = injected();
    let decision = try_take_back(&ticket, &pos(), &interface(), &policy()).unwrap();

    let mut old = ticket.clone();
    old.distribution.invalidation = Some(Invalidation {
        reason: InvalidationReason::MobileTakeBack,
        at: at(5),
        replaced_by: Some(NEW),
    });
    let mut distribution = Distribution::new(POS, HELD_BACK)
        .with_b2b_contact(agency())
        .with_cultural_contact(agency());
    distribution.replaces = Some(OLD);
    let new = Ticket::new(
        secure_ticket::OrganizerId::from_u128(1),
        NEW,
        RIGHT,
        distribution,
    );

    assert_eq!(
        decision,
        Decision {
            created: vec![RecordKey::Ticket(NEW)].into(),
            spectators: Vec::new().into(),
            relies_on: Vec::new().into(),
            tickets: vec![old, new].into(),
            groups: Vec::new().into(),
            events: vec![
                Event::TicketTakenBack {
                    ticket: OLD,
                    point_of_sale: POS,
                    by: agency(),
                    replacement: Some(NEW),
                    at: at(5),
                },
                Event::TicketInvalidated {
                    ticket: OLD,
                    reason: InvalidationReason::MobileTakeBack,
                    replaced_by: Some(NEW),
                    at: at(5),
                },
                Event::TicketReplaced {
                    ticket: NEW,
                    replaces: OLD,
                    right: RIGHT,
                    shipment_mode: HELD_BACK.id,
                    cultural_contact: agency(),
                    at: at(5),
                },
            ]
            .into(),
        }
    );

    // Spelled out: the facts B7 lists.
    let (old, new) = (&decision.tickets[0], &decision.tickets[1]);
    assert!(!old.is_valid());
    assert_eq!(
        old.wallet, ticket.wallet,
        "the old wallet facet is TIXnGO's"
    );
    assert!(new.is_valid());
    assert_eq!(new.right, old.right);
    assert_eq!(new.distribution.cultural_contact, Some(agency()));
    assert_eq!(new.distribution.holder, None);
    assert_eq!(new.distribution.replaces, Some(OLD));
    assert!(!new.distribution.printed);
    assert_eq!(new.wallet, None);
    assert_eq!(new.distribution.last_feedback, None);
    assert!(new.distribution.entries.is_empty());
}

#[test]
fn b7_without_a_take_back_shipment_mode_the_replacement_keeps_the_old_one() {
    let pos = pos().with_take_back_shipment_mode(None);
    let decision = try_take_back(&injected(), &pos, &interface(), &policy()).unwrap();
    assert_eq!(decision.tickets[1].distribution.shipment_mode, MOBILE);
    assert!(decision.events.contains(&Event::TicketReplaced {
        ticket: NEW,
        replaces: OLD,
        right: RIGHT,
        shipment_mode: MOBILE.id,
        cultural_contact: agency(),
        at: at(5),
    }));
}

#[test]
fn b7_the_take_back_shipment_mode_may_be_any_kind() {
    let pos = pos().with_take_back_shipment_mode(Some(PRINT));
    let decision = try_take_back(&injected(), &pos, &interface(), &policy()).unwrap();
    assert_eq!(decision.tickets[1].distribution.shipment_mode, PRINT);
}

#[test]
fn b7_the_replacement_of_a_replacement_keeps_the_chain() {
    let (_, new) = taken_back(&injected(), NEW, at(5));
    let mut redistributed = new.clone();
    redistributed.distribution.cultural_contact = Some(dave());
    let again = inject_with_feedback(&redistributed, &dave(), at(6));
    let (second_old, third) = taken_back(&again, tid(202), at(7));
    assert_eq!(
        second_old.distribution.invalidation,
        Some(Invalidation {
            reason: InvalidationReason::MobileTakeBack,
            at: at(7),
            replaced_by: Some(tid(202)),
        })
    );
    assert_eq!(second_old.distribution.replaces, Some(OLD));
    assert_eq!(third.distribution.replaces, Some(NEW));
    assert_eq!(third.distribution.shipment_mode, HELD_BACK);
}

#[test]
fn b9_mobile_take_back_refused_when_the_replacement_would_go_to_the_latest_owner() {
    let refusing = [
        TixngoInterface::default(),
        TixngoInterface::from_custom_parameters([(TixngoInterface::RESET_REASONS, "REFUND")])
            .unwrap(),
        TixngoInterface::from_custom_parameters([(TixngoInterface::OVERLAY, "false")]).unwrap(),
        // Codes are case-sensitive, as in S360.
        TixngoInterface::from_custom_parameters([(
            TixngoInterface::RESET_REASONS,
            "mobile_take_back",
        )])
        .unwrap(),
    ];
    for interface in refusing {
        let refused = try_take_back(&injected(), &pos(), &interface, &policy());
        assert_eq!(
            refused,
            Err(TakeBackError::ReplacementWouldGoToLatestOwner { ticket: OLD }),
            "{interface:?}"
        );
        assert_mentions(
            &refused.unwrap_err().to_string(),
            &[
                &OLD.to_string(),
                "MOBILE_TAKE_BACK",
                "resetInjectionInvalidationReasons",
            ],
        );
    }
}

#[test]
fn b9_the_reset_list_or_the_overlay_flag_allows_the_take_back() {
    let allowing = [
        interface(),
        TixngoInterface::from_custom_parameters([(
            TixngoInterface::RESET_REASONS,
            "REFUND, MOBILE_TAKE_BACK",
        )])
        .unwrap(),
        TixngoInterface::from_custom_parameters([(TixngoInterface::OVERLAY, "true")]).unwrap(),
    ];
    for interface in allowing {
        assert!(
            try_take_back(&injected(), &pos(), &interface, &policy()).is_ok(),
            "{interface:?}"
        );
    }
}

#[test]
fn b9_a_regular_take_back_needs_no_interface_setting() {
    let ticket = issued(tid(300), MOBILE);
    assert!(try_take_back(&ticket, &pos(), &TixngoInterface::default(), &policy()).is_ok());
}

// The error tests' fixtures.

fn take_back_with(
    ticket: &Ticket,
    pos: &PointOfSale,
    interface: &TixngoInterface,
    command: &TakeBackTicket,
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

// TakeBackError: one test per variant (`err_...`)

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
    let command = TakeBackTicket {
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
        }
    );
    assert_message(
        &error,
        &[
            &OLD.to_string(),
            &POS.to_string(),
            "the point of sale that sold it",
        ],
    );
    // X2: a foreign point of sale is not told which one sold the ticket.
    assert!(
        !error.to_string().contains(&OTHER_POS.to_string()),
        "{error}"
    );
    assert!(
        !serde_json::to_string(&error)
            .unwrap()
            .contains(&OTHER_POS.to_string())
    );
    assert_message(&error, &[&OLD.to_string()]);
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

// RedistributeError: one test per variant (`err_...`)

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
    // Asked by its holder (the old ticket's cultural contact is still the misspelled email).
    let command = RedistributeTicket {
        ticket: OLD,
        actor: typo(),
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
        }
    );
    assert_message(
        &error,
        &[
            &NEW.to_string(),
            &POS.to_string(),
            "the point of sale that sold it",
        ],
    );
    assert!(
        !error.to_string().contains(&OTHER_POS.to_string()),
        "{error}"
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

#[test]
fn b4_a_ticket_whose_owner_assigned_a_holder_cannot_be_taken_back_even_before_the_feedback() {
    use secure_ticket::holder::{self, AssignHolder};
    let ticket = injected();
    let settings = secure_ticket::OrganizerSettings::new(ticket.organizer);
    let rules = [secure_ticket::UsageRule::new(
        ticket.organizer,
        ticket.wallet.as_ref().unwrap().usage_rule,
    )];
    let named = holder::assign(
        &ticket,
        &rules,
        &settings,
        None,
        &AssignHolder {
            ticket: OLD,
            actor: typo(),
            holder: secure_ticket::TicketHolder {
                first_name: "Dave".into(),
                last_name: "Roe".into(),
                ..Default::default()
            },
            reason: None,
            at: at(1),
        },
    )
    .unwrap();
    // Feedback not recorded yet (last feedback still INJECTED), B5's switch off: still refused.
    let lenient = TakeBackPolicy {
        refuse_ticket_holder_details: false,
    };
    assert_eq!(
        try_take_back(&named.tickets[0], &pos(), &interface(), &lenient),
        Err(TakeBackError::NoLongerInjected {
            ticket: OLD,
            status: LifecycleStatus::Assigned
        })
    );
}
