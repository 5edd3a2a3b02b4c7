//! The take-back configuration check of a POS and the TIXnGO interface (SPEC B1, B2, B8, B9).

use secure_ticket::take_back::{self, ConfigurationProblem, TakeBackError, check_configuration};
use secure_ticket::{InternetTheme, PointOfSale, TixngoInterface};

use crate::common::*;

/// Every setting wrong but the switch itself.
fn everything_wrong() -> PointOfSale {
    PointOfSale::other(secure_ticket::OrganizerId::from_u128(1), POS)
        .with_mobile_take_back(true)
        .with_take_back_shipment_mode(Some(AUTO_MOBILE))
}

#[test]
fn b1_configuration_with_take_back_off_has_no_problems() {
    let off = everything_wrong().with_mobile_take_back(false);
    assert_eq!(
        check_configuration(&off, &TixngoInterface::default()),
        Vec::new()
    );
    assert_eq!(
        check_configuration(
            &PointOfSale::b2b(secure_ticket::OrganizerId::from_u128(1), POS),
            &TixngoInterface::default()
        ),
        Vec::new()
    );
}

#[test]
fn b1_configuration_as_the_seed_asks_has_no_problems() {
    for interface in [
        interface(),
        TixngoInterface::from_custom_parameters([(TixngoInterface::OVERLAY, "true")]).unwrap(),
        TixngoInterface::from_custom_parameters([(
            TixngoInterface::RESET_REASONS,
            "REFUND, MOBILE_TAKE_BACK",
        )])
        .unwrap(),
    ] {
        assert_eq!(
            check_configuration(&pos(), &interface),
            Vec::new(),
            "{interface:?}"
        );
    }
    for mode in [None, Some(MOBILE), Some(HELD_BACK), Some(PRINT)] {
        let pos = pos().with_take_back_shipment_mode(mode);
        assert_eq!(
            check_configuration(&pos, &interface()),
            Vec::new(),
            "{mode:?}"
        );
    }
}

#[test]
fn b1_configuration_take_back_on_a_pos_that_is_not_b2b() {
    let pos = PointOfSale {
        b2b: false,
        ..pos()
    };
    let problems = check_configuration(&pos, &interface());
    assert_eq!(
        problems,
        vec![ConfigurationProblem::NotB2b { point_of_sale: POS }]
    );
    assert_eq!(
        problems[0].setting(),
        "POS > Internet Parameters > Distribution"
    );
    assert_mentions(
        &problems[0].to_string(),
        &[
            &POS.to_string(),
            "B2B",
            "turn them off",
            "POS > Internet Parameters > Distribution",
        ],
    );
}

#[test]
fn b1_configuration_take_back_mode_injected_automatically() {
    let pos = pos().with_take_back_shipment_mode(Some(AUTO_MOBILE));
    let problems = check_configuration(&pos, &interface());
    assert_eq!(
        problems,
        vec![ConfigurationProblem::TakeBackModeInjectsAutomatically {
            point_of_sale: POS,
            shipment_mode: AUTO_MOBILE.id,
        }]
    );
    assert_eq!(
        problems[0].setting(),
        "POS > Internet Parameters > Distribution: Assign the taken back ticket to a new shipment mode"
    );
    assert_mentions(
        &problems[0].to_string(),
        &[
            &POS.to_string(),
            &AUTO_MOBILE.id.to_string(),
            "choose another mode",
            "Assign the taken back ticket to a new shipment mode",
        ],
    );
    // An automatic flag on a mode that is not secure mobile injects nothing.
    let print = secure_ticket::ShipmentMode {
        automatic_injection: true,
        ..PRINT
    };
    let pos = crate::common::pos().with_take_back_shipment_mode(Some(print));
    assert_eq!(check_configuration(&pos, &interface()), Vec::new());
}

#[test]
fn b2_configuration_without_the_advanced_view() {
    for theme in ["", "distribution.list.activateAdvancedView = FALSE"] {
        let pos = pos().with_theme(InternetTheme::parse(theme).unwrap());
        let problems = check_configuration(&pos, &interface());
        assert_eq!(
            problems,
            vec![ConfigurationProblem::AdvancedViewInactive { point_of_sale: POS }]
        );
        assert_eq!(
            problems[0].setting(),
            "POS > Internet theme > Advanced: distribution.list.activateAdvancedView"
        );
        assert_mentions(
            &problems[0].to_string(),
            &[
                &POS.to_string(),
                "set distribution.list.activateAdvancedView = true",
                "Internet theme",
            ],
        );
    }
}

#[test]
fn b9_configuration_replacement_would_go_to_the_latest_owner() {
    for interface in [
        TixngoInterface::default(),
        TixngoInterface::from_custom_parameters([(TixngoInterface::RESET_REASONS, "REFUND")])
            .unwrap(),
    ] {
        let problems = check_configuration(&pos(), &interface);
        assert_eq!(
            problems,
            vec![ConfigurationProblem::ReplacementGoesToLatestOwner { point_of_sale: POS }]
        );
        assert_eq!(
            problems[0].setting(),
            "TIXnGO interface > General > custom parameter resetInjectionInvalidationReasons"
        );
        assert_mentions(
            &problems[0].to_string(),
            &[
                &POS.to_string(),
                "add MOBILE_TAKE_BACK to resetInjectionInvalidationReasons",
                "TIXnGO interface",
            ],
        );
    }
}

#[test]
fn b9_configuration_lists_every_problem_in_order() {
    assert_eq!(
        check_configuration(&everything_wrong(), &TixngoInterface::default()),
        vec![
            ConfigurationProblem::NotB2b { point_of_sale: POS },
            ConfigurationProblem::AdvancedViewInactive { point_of_sale: POS },
            ConfigurationProblem::ReplacementGoesToLatestOwner { point_of_sale: POS },
            ConfigurationProblem::TakeBackModeInjectsAutomatically {
                point_of_sale: POS,
                shipment_mode: AUTO_MOBILE.id,
            },
        ]
    );
}

#[test]
fn b9_the_configuration_check_agrees_with_the_take_back() {
    let ticket = injected();
    let command = take_back_command(OLD, NEW, at(5));
    let cases: [(PointOfSale, TixngoInterface, Option<TakeBackError>); 4] = [
        (pos(), interface(), None),
        (
            PointOfSale {
                b2b: false,
                ..pos()
            },
            interface(),
            Some(TakeBackError::NotB2bPointOfSale { point_of_sale: POS }),
        ),
        (
            pos().with_theme(InternetTheme::default()),
            interface(),
            Some(TakeBackError::AdvancedViewInactive { point_of_sale: POS }),
        ),
        (
            pos(),
            TixngoInterface::default(),
            Some(TakeBackError::ReplacementWouldGoToLatestOwner { ticket: OLD }),
        ),
    ];
    for (pos, interface, refusal) in cases {
        let problems = check_configuration(&pos, &interface);
        let outcome = take_back::take_back(&ticket, &pos, &interface, &policy(), &command);
        assert_eq!(problems.is_empty(), refusal.is_none(), "{problems:?}");
        assert_eq!(outcome.err(), refusal);
    }
}
