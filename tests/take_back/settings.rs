//! Reading S360's settings: the POS internet theme (SPEC B2) and the TIXnGO interface's custom
//! parameters (SPEC B8).

use crate::common::assert_parse_message;
use secure_ticket::{
    InterfaceError, InternetTheme, InvalidationReason, ThemeError, TixngoInterface,
};

#[test]
fn b2_theme_key_true_activates_the_advanced_view() {
    let theme = InternetTheme::parse("distribution.list.activateAdvancedView = true").unwrap();
    assert!(theme.activate_advanced_view);
    assert!(theme.others.is_empty());
    assert_eq!(
        InternetTheme::ADVANCED_VIEW_KEY,
        "distribution.list.activateAdvancedView"
    );
}

#[test]
fn b2_theme_values_are_read_in_any_case() {
    for (value, on) in [
        ("true", true),
        ("TRUE", true),
        ("True", true),
        ("false", false),
        ("FALSE", false),
        ("False", false),
    ] {
        let theme =
            InternetTheme::parse(&format!("distribution.list.activateAdvancedView={value}"))
                .unwrap();
        assert_eq!(theme.activate_advanced_view, on, "{value}");
    }
}

#[test]
fn b2_theme_without_the_key_leaves_the_advanced_view_off() {
    assert_eq!(InternetTheme::parse("").unwrap(), InternetTheme::default());
    assert!(!InternetTheme::default().activate_advanced_view);
    assert!(
        !InternetTheme::parse("# distribution.list.activateAdvancedView = true")
            .unwrap()
            .activate_advanced_view
    );
}

#[test]
fn b2_theme_spaces_blank_lines_and_comments_are_skipped() {
    let text = "\n   # the Advanced tab of the internet theme\n\t distribution.list.activateAdvancedView   =   TRUE  \r\n\n  # end\n";
    let theme = InternetTheme::parse(text).unwrap();
    assert!(theme.activate_advanced_view);
    assert!(theme.others.is_empty());
}

#[test]
fn b2_theme_unknown_keys_are_kept_and_readable() {
    let text = "header.color = #0044cc\ndistribution.list.activateAdvancedView = false\n  footer.text =  Welcome = hello  \nempty.value =";
    let theme = InternetTheme::parse(text).unwrap();
    assert!(!theme.activate_advanced_view);
    assert_eq!(theme.other("header.color"), Some("#0044cc"));
    assert_eq!(theme.other("footer.text"), Some("Welcome = hello"));
    assert_eq!(theme.other("empty.value"), Some(""));
    assert_eq!(theme.other("distribution.list.activateAdvancedView"), None);
    assert_eq!(theme.other("missing"), None);
    assert_eq!(theme.others.len(), 3);
    // Keys are case-sensitive: another spelling of the key is just another key.
    let other = InternetTheme::parse("Distribution.List.ActivateAdvancedView = true").unwrap();
    assert!(!other.activate_advanced_view);
    assert_eq!(
        other.other("Distribution.List.ActivateAdvancedView"),
        Some("true")
    );
}

#[test]
fn b2_theme_from_pairs_reads_the_same_way() {
    let theme = InternetTheme::from_pairs([
        (" distribution.list.activateAdvancedView ", " True "),
        ("a", "b"),
    ])
    .unwrap();
    assert!(theme.activate_advanced_view);
    assert_eq!(theme.other("a"), Some("b"));
}

#[test]
fn b2_theme_malformed_value_line_and_duplicates_are_typed_errors() {
    assert_eq!(
        InternetTheme::parse("distribution.list.activateAdvancedView = yes"),
        Err(ThemeError::MalformedValue {
            key: "distribution.list.activateAdvancedView".to_owned(),
            value: "yes".to_owned(),
        })
    );
    assert_eq!(
        InternetTheme::parse("distribution.list.activateAdvancedView = true # on"),
        Err(ThemeError::MalformedValue {
            key: "distribution.list.activateAdvancedView".to_owned(),
            value: "true # on".to_owned(),
        })
    );
    assert_eq!(
        InternetTheme::parse("# header\n\ndistribution.list.activateAdvancedView true"),
        Err(ThemeError::MalformedLine {
            line: 3,
            text: "distribution.list.activateAdvancedView true".to_owned(),
        })
    );
    assert_eq!(
        InternetTheme::parse(" = true"),
        Err(ThemeError::MalformedLine {
            line: 1,
            text: "= true".to_owned(),
        })
    );
    assert_eq!(
        InternetTheme::parse(
            "distribution.list.activateAdvancedView = true\ndistribution.list.activateAdvancedView = false"
        ),
        Err(ThemeError::DuplicateKey {
            key: "distribution.list.activateAdvancedView".to_owned(),
        })
    );
    assert_eq!(
        InternetTheme::parse("a = 1\n a= 1"),
        Err(ThemeError::DuplicateKey {
            key: "a".to_owned()
        })
    );
}

#[test]
fn b2_theme_round_trips_through_json() {
    let theme =
        InternetTheme::parse("distribution.list.activateAdvancedView = true\nx = y").unwrap();
    let back: InternetTheme = serde_json::from_slice(&crate::common::json(&theme)).unwrap();
    assert_eq!(back, theme);
}

#[test]
fn b8_reset_reasons_parameter_with_one_code() {
    let interface = TixngoInterface::from_custom_parameters([(
        "resetInjectionInvalidationReasons",
        "MOBILE_TAKE_BACK",
    )])
    .unwrap();
    assert_eq!(
        interface,
        TixngoInterface {
            reset_injection_invalidation_reasons: vec![InvalidationReason::MobileTakeBack],
            overlay_spectatir_details_with_last_owner: false,
            others: Default::default(),
        }
    );
    assert!(interface.resets_injection_for(&InvalidationReason::MobileTakeBack));
    assert!(!interface.resets_injection_for(&InvalidationReason::from_code("REFUND")));
}

#[test]
fn b8_reset_reasons_parameter_with_a_list_of_codes() {
    let interface = TixngoInterface::from_custom_parameters([(
        " resetInjectionInvalidationReasons ",
        " REFUND, MOBILE_TAKE_BACK ,, ",
    )])
    .unwrap();
    assert_eq!(
        interface.reset_injection_invalidation_reasons,
        vec![
            InvalidationReason::from_code("REFUND"),
            InvalidationReason::MobileTakeBack
        ]
    );
    assert_eq!(
        interface.reset_injection_invalidation_reasons[0],
        InvalidationReason::Other("REFUND".into())
    );
    assert!(interface.resets_injection_for(&InvalidationReason::MobileTakeBack));
    assert!(interface.resets_injection_for(&InvalidationReason::from_code("REFUND")));
    assert!(!interface.resets_injection_for(&InvalidationReason::from_code("EXCHANGE")));
}

#[test]
fn b8_empty_reset_reasons_parameter_resets_nothing() {
    let interface =
        TixngoInterface::from_custom_parameters([(TixngoInterface::RESET_REASONS, "  ")]).unwrap();
    assert!(interface.reset_injection_invalidation_reasons.is_empty());
    assert!(!interface.resets_injection_for(&InvalidationReason::MobileTakeBack));
}

#[test]
fn b8_overlay_flag_true_and_false_in_any_case() {
    for (value, on) in [
        ("true", true),
        ("TRUE", true),
        (" False ", false),
        ("false", false),
    ] {
        let interface = TixngoInterface::from_custom_parameters([(
            "overlaySpectatirDetailsWithLastOwner",
            value,
        )])
        .unwrap();
        assert_eq!(
            interface.overlay_spectatir_details_with_last_owner, on,
            "{value}"
        );
        // The flag sends every replacement to its cultural contact, whatever the reason.
        assert_eq!(
            interface.resets_injection_for(&InvalidationReason::from_code("REFUND")),
            on
        );
        assert_eq!(
            interface.resets_injection_for(&InvalidationReason::MobileTakeBack),
            on
        );
    }
}

#[test]
fn b8_overlay_flag_garbage_is_a_typed_error() {
    for garbage in ["yes", "1", "", "on"] {
        assert_eq!(
            TixngoInterface::from_custom_parameters([(TixngoInterface::OVERLAY, garbage)]),
            Err(InterfaceError::MalformedValue {
                parameter: "overlaySpectatirDetailsWithLastOwner".to_owned(),
                value: garbage.to_owned(),
            })
        );
    }
}

#[test]
fn b8_unknown_parameters_are_kept_verbatim() {
    let interface = TixngoInterface::from_custom_parameters([
        ("batchSize", "500"),
        (TixngoInterface::RESET_REASONS, "MOBILE_TAKE_BACK"),
        ("overlaySpectatorDetailsWithLastOwner", "true"), // the "right" spelling is not the parameter
        (TixngoInterface::OVERLAY, "false"),
    ])
    .unwrap();
    assert_eq!(
        interface.others.get("batchSize").map(String::as_str),
        Some("500")
    );
    assert_eq!(
        interface
            .others
            .get("overlaySpectatorDetailsWithLastOwner")
            .map(String::as_str),
        Some("true")
    );
    assert!(!interface.overlay_spectatir_details_with_last_owner);
    assert_eq!(interface.others.len(), 2);
    assert_eq!(
        TixngoInterface::OVERLAY,
        "overlaySpectatirDetailsWithLastOwner"
    );
    assert_eq!(
        TixngoInterface::RESET_REASONS,
        "resetInjectionInvalidationReasons"
    );
}

#[test]
fn b8_duplicate_parameters_are_typed_errors() {
    for name in [
        TixngoInterface::RESET_REASONS,
        TixngoInterface::OVERLAY,
        "batchSize",
    ] {
        assert_eq!(
            TixngoInterface::from_custom_parameters([(name, "true"), (name, "true")]),
            Err(InterfaceError::DuplicateParameter {
                parameter: name.to_owned(),
            })
        );
    }
}

#[test]
fn b8_interface_round_trips_through_json() {
    let interface = TixngoInterface::from_custom_parameters([
        (TixngoInterface::RESET_REASONS, "REFUND, MOBILE_TAKE_BACK"),
        (TixngoInterface::OVERLAY, "true"),
        ("batchSize", "500"),
    ])
    .unwrap();
    let back: TixngoInterface = serde_json::from_slice(&crate::common::json(&interface)).unwrap();
    assert_eq!(back, interface);
    assert_mentions_json(&interface);
}

fn assert_mentions_json(interface: &TixngoInterface) {
    let text = String::from_utf8(crate::common::json(interface)).unwrap();
    crate::common::assert_mentions(&text, &["\"REFUND\"", "\"MOBILE_TAKE_BACK\""]);
}

#[test]
fn b8_a_quoted_reset_reason_is_understood() {
    let interface = TixngoInterface::from_custom_parameters([(
        TixngoInterface::RESET_REASONS,
        "\"MOBILE_TAKE_BACK\"",
    )])
    .unwrap();
    assert!(interface.resets_injection_for(&InvalidationReason::MobileTakeBack));
}

// ThemeError: one test per variant (`err_...`)

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

// InterfaceError: one test per variant (`err_...`)

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
