//! U1-U4: the usage rule.

use secure_ticket::transfer::{
    InitiateTransferError, NewGroupIds, ReturnToSender, ReturnToSenderError, return_to_sender,
};
use secure_ticket::{
    KeepOne, OrganizerId, TransferBackward, TransferLimit, UsageRule, UsageRuleError,
};

use crate::common::{AT, RULE, World, alice, bob, gid, rule};

#[test]
fn u1_settings_are_the_six_of_the_sources() {
    let built = UsageRule::new(OrganizerId::from_u128(1), RULE)
        .with_transfer(true)
        .with_transfer_after(true, false, true)
        .with_max_transfers(TransferLimit::new(3).unwrap())
        .with_transfer_backward(TransferBackward::Increase);
    assert_eq!(
        built,
        UsageRule {
            id: RULE,
            organizer: OrganizerId::from_u128(1),
            transfer: true,
            transfer_after_activation: true,
            transfer_after_check: false,
            transfer_after_control: true,
            max_transfers: TransferLimit::new(3).unwrap(),
            transfer_backward: TransferBackward::Increase,
            keep_one: KeepOne::Disabled,
            assignment: true,
            assignment_after_activation: false,
            assignment_after_check: false,
        }
    );
    let json = serde_json::to_value(built).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "id": "00000000-0000-0000-0000-000000000001",
            "organizer": "00000000-0000-0000-0000-000000000001",
            "transfer": true,
            "transfer_after_activation": true,
            "transfer_after_check": false,
            "transfer_after_control": true,
            "max_transfers": 3,
            "transfer_backward": "INCREASE",
        })
    );
}

#[test]
fn u2_transfer_off_forbids_every_transfer_whatever_the_other_settings() {
    let permissive = rule(256)
        .with_transfer_after(true, true, true)
        .with_transfer_backward(TransferBackward::Increase)
        .with_transfer(false);
    let mut world = World::explicit(permissive);
    let ticket = world.inject(1, &alice());

    assert_eq!(
        world.initiate(&alice(), &bob(), &[ticket], NewGroupIds::single(gid(1))),
        Err(InitiateTransferError::TransferDisabled { ticket, rule: RULE })
    );

    // A ticket that moved while transfers were on cannot even be returned once they are off.
    let mut world = World::explicit(rule(256));
    let ticket = world.inject(1, &alice());
    world.transfer(ticket, &alice(), &bob(), 1);
    world.set_rule(permissive);
    let command = ReturnToSender {
        ticket,
        actor: bob(),
        group: gid(2),
        at: AT,
    };
    assert_eq!(
        return_to_sender(&world.tickets, &world.context(), &command),
        Err(ReturnToSenderError::Initiate(
            InitiateTransferError::TransferDisabled { ticket, rule: RULE }
        ))
    );
}

#[test]
fn u3_limit_outside_1_to_256_is_a_typed_error() {
    for value in [0, -1, 257, 1000, i64::MIN, i64::MAX] {
        assert_eq!(
            TransferLimit::new(value),
            Err(UsageRuleError::LimitOutOfRange { value }),
            "limit {value}"
        );
    }
    assert_eq!(TransferLimit::new(1).unwrap().get(), 1);
    assert_eq!(TransferLimit::new(256).unwrap().get(), 256);
    assert_eq!(TransferLimit::MIN.get(), 1);
    assert_eq!(TransferLimit::MAX.get(), 256);
}

#[test]
fn u3_limit_outside_1_to_256_fails_to_decode() {
    for value in ["0", "-1", "257", "65536", "1.5", "\"3\""] {
        let json = format!(
            r#"{{"id": "00000000-0000-0000-0000-000000000001", "max_transfers": {value}}}"#
        );
        let decoded = serde_json::from_str::<UsageRule>(&json);
        assert!(
            decoded.is_err(),
            "max_transfers {value} decoded as {decoded:?}"
        );
    }
    let message = serde_json::from_str::<UsageRule>(
        r#"{"id": "00000000-0000-0000-0000-000000000001", "max_transfers": 0}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(message.contains("must be from 1 to 256"), "{message}");
    for value in [1_u16, 256] {
        let json = format!(
            r#"{{"id": "00000000-0000-0000-0000-000000000001", "max_transfers": {value}}}"#
        );
        assert_eq!(
            serde_json::from_str::<UsageRule>(&json)
                .unwrap()
                .max_transfers
                .get(),
            value
        );
    }
}

#[test]
fn u4_defaults_are_documented_ones() {
    let defaults = UsageRule {
        id: RULE,
        organizer: OrganizerId::from_u128(1),
        transfer: true,
        transfer_after_activation: false,
        transfer_after_check: false,
        transfer_after_control: false,
        max_transfers: TransferLimit::new(1).unwrap(),
        transfer_backward: TransferBackward::Neutral,
        keep_one: KeepOne::Disabled,
        assignment: true,
        assignment_after_activation: false,
        assignment_after_check: false,
    };
    assert_eq!(UsageRule::new(OrganizerId::from_u128(1), RULE), defaults);
    assert_eq!(TransferBackward::default(), TransferBackward::Neutral);
    // Decoding a rule that names only its id gives the same defaults.
    let decoded: UsageRule =
        serde_json::from_str(r#"{"id": "00000000-0000-0000-0000-000000000001", "organizer": "00000000-0000-0000-0000-000000000001"}"#).unwrap();
    assert_eq!(decoded, defaults);
}

// ---------------------------------------------------------------------------------------------
// UsageRuleError: the message names the bad value (`err_...`)

#[test]
fn err_usage_rule_limit_out_of_range() {
    let error = TransferLimit::new(257).unwrap_err();
    assert_eq!(error, UsageRuleError::LimitOutOfRange { value: 257 });
    assert!(error.to_string().contains("257"), "{error}");
}

#[test]
fn k1_keep_one_is_disabled_by_default_and_stored_only_when_set() {
    let rule = UsageRule::new(OrganizerId::from_u128(1), RULE);
    assert_eq!(rule.keep_one, KeepOne::Disabled);
    assert_eq!(KeepOne::default(), KeepOne::Disabled);
    let json = serde_json::to_value(rule).unwrap();
    assert!(json.get("keep_one").is_none(), "{json}");
    for (keep_one, spelled) in [
        (KeepOne::Enabled, "ENABLED"),
        (KeepOne::Restricted, "RESTRICTED"),
    ] {
        let set = rule.with_keep_one(keep_one);
        let json = serde_json::to_value(set).unwrap();
        assert_eq!(json["keep_one"], spelled);
        assert_eq!(keep_one.to_string(), spelled);
        assert_eq!(serde_json::from_value::<UsageRule>(json).unwrap(), set);
    }
    // A rule stored before Keep One existed reads as DISABLED.
    let old: UsageRule =
        serde_json::from_str(r#"{"id":"00000000-0000-0000-0000-000000000001"}"#).unwrap();
    assert_eq!(old.keep_one, KeepOne::Disabled);
}

#[test]
fn k1_an_unknown_keep_one_value_is_a_decode_error_naming_it() {
    let error = serde_json::from_str::<UsageRule>(
        r#"{"id":"00000000-0000-0000-0000-000000000001","keep_one":"ALWAYS"}"#,
    )
    .unwrap_err();
    assert!(error.to_string().contains("ALWAYS"), "{error}");
}

#[test]
fn h2_the_assignment_gates_default_to_on_off_off_and_are_stored_only_when_changed() {
    let rule = UsageRule::new(OrganizerId::from_u128(1), RULE);
    assert_eq!(
        (
            rule.assignment,
            rule.assignment_after_activation,
            rule.assignment_after_check
        ),
        (true, false, false)
    );
    let json = serde_json::to_value(rule).unwrap();
    for key in [
        "assignment",
        "assignment_after_activation",
        "assignment_after_check",
    ] {
        assert!(
            json.get(key).is_none(),
            "{key} stored at its default: {json}"
        );
    }
    let changed = rule.with_assignment(false, true, true);
    let json = serde_json::to_value(changed).unwrap();
    assert_eq!(json["assignment"], false);
    assert_eq!(json["assignment_after_activation"], true);
    assert_eq!(json["assignment_after_check"], true);
    assert_eq!(serde_json::from_value::<UsageRule>(json).unwrap(), changed);
    // A rule stored before the gates existed reads with the defaults.
    let old: UsageRule =
        serde_json::from_str(r#"{"id":"00000000-0000-0000-0000-000000000001"}"#).unwrap();
    assert_eq!(
        old,
        UsageRule {
            organizer: OrganizerId::default(),
            ..rule
        }
    );
}
