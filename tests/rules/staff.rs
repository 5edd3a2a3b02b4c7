//! Organizer staff (S2): the organizer's table of which role holds which permission, its
//! defaults, its stored form, and the settings check that names a permission nobody holds.

use proptest::prelude::*;
use secure_ticket::staff::{
    Forbidden, Permission, Reason, ReasonError, RoleTable, Staff, StaffRole,
};
use secure_ticket::text_limit::STAFF_REASON_BYTES;
use secure_ticket::{ErrorKind, OrganizerId, OrganizerSettings, SettingsProblem, StaffId};

fn holders(table: &RoleTable, permission: Permission) -> Vec<StaffRole> {
    table.roles_with(permission).collect()
}

#[test]
fn s2_the_default_table_is_tixngos_newest_advanced_tixngo_support_and_admin_never_support() {
    let table = OrganizerSettings::new(OrganizerId::from_u128(1)).roles;
    assert_eq!(table, RoleTable::tixngo());
    for permission in Permission::ALL {
        assert_eq!(
            holders(&table, permission),
            [
                StaffRole::Advanced,
                StaffRole::TixngoSupport,
                StaffRole::Admin
            ],
            "{permission}"
        );
        assert!(!table.allows(StaffRole::Support, permission));
        assert!(!table.allows(StaffRole::Basic, permission));
    }
}

#[test]
fn s2_the_v4_rollout_table_is_a_preset_basic_moderator_tixngo_support_admin() {
    let table = RoleTable::v4_rollout();
    for permission in Permission::ALL {
        assert_eq!(
            holders(&table, permission),
            [
                StaffRole::Basic,
                StaffRole::Moderator,
                StaffRole::TixngoSupport,
                StaffRole::Admin
            ]
        );
    }
    assert!(!table.allows(StaffRole::Advanced, Permission::InitiateTransfer));
    assert!(!table.is_default());
}

#[test]
fn s2_settings_store_a_role_table_only_when_it_is_not_the_default() {
    let settings = OrganizerSettings::new(OrganizerId::from_u128(1));
    let json = serde_json::to_string(&settings).unwrap();
    assert!(!json.contains("roles"), "{json}");
    assert_eq!(
        serde_json::from_str::<OrganizerSettings>(&json).unwrap(),
        settings
    );
    let own = settings.with_roles(
        RoleTable::empty()
            .with_grant(Permission::InitiateTransfer, StaffRole::Moderator)
            .with_grant(Permission::LockSpectator, StaffRole::Admin),
    );
    let json = serde_json::to_string(&own).unwrap();
    assert!(
        json.contains(r#""roles":{"INITIATE_TRANSFER":["MODERATOR"],"LOCK_SPECTATOR":["ADMIN"]}"#),
        "{json}"
    );
    assert_eq!(
        serde_json::from_str::<OrganizerSettings>(&json).unwrap(),
        own
    );
}

/// Bad input in decoded settings: unknown roles and permissions, a permission named twice, a
/// role listed twice, a permission with no role: each a decoding error that names what is wrong.
#[test]
fn s2_unknown_or_repeated_roles_and_permissions_in_decoded_settings_are_refused_naming_them() {
    let settings =
        |roles: &str| format!(r#"{{"id":"00000000-0000-0000-0000-000000000001","roles":{roles}}}"#);
    for (roles, names) in [
        (r#"{"INITIATE_TRANSFER":["OWNER"]}"#, "OWNER"),
        (r#"{"DELETE_EVERYTHING":["ADMIN"]}"#, "DELETE_EVERYTHING"),
        (
            r#"{"LOCK_SPECTATOR":["ADMIN"],"LOCK_SPECTATOR":["BASIC"]}"#,
            "LOCK_SPECTATOR is named twice",
        ),
        (
            r#"{"INITIATE_TRANSFER":["ADMIN","ADMIN"]}"#,
            "ADMIN is listed twice for INITIATE_TRANSFER",
        ),
        (
            r#"{"INITIATE_TRANSFER":[]}"#,
            "INITIATE_TRANSFER lists no role",
        ),
        (r#"["ADMIN"]"#, "a map from permission"),
    ] {
        let error = serde_json::from_str::<OrganizerSettings>(&settings(roles)).unwrap_err();
        assert!(error.to_string().contains(names), "{roles}: {error}");
    }
}

#[test]
fn s2_a_role_table_that_grants_a_permission_to_nobody_is_a_configuration_problem() {
    let settings = OrganizerSettings::new(OrganizerId::from_u128(1));
    assert_eq!(settings.check_configuration(), []);
    let nobody = settings.clone().with_roles(RoleTable::empty());
    assert_eq!(
        nobody.check_configuration(),
        [
            SettingsProblem::NoRoleHolds {
                permission: Permission::InitiateTransfer
            },
            SettingsProblem::NoRoleHolds {
                permission: Permission::LockSpectator
            },
        ]
    );
    let emptied = settings.with_roles(
        RoleTable::tixngo()
            .without_grant(Permission::LockSpectator, StaffRole::Advanced)
            .without_grant(Permission::LockSpectator, StaffRole::TixngoSupport)
            .without_grant(Permission::LockSpectator, StaffRole::Admin),
    );
    let problems = emptied.check_configuration();
    assert_eq!(
        problems,
        [SettingsProblem::NoRoleHolds {
            permission: Permission::LockSpectator
        }]
    );
    assert!(problems[0].to_string().contains("LOCK_SPECTATOR"));
}

/// The typed refusal of S2: the role and the action, the message saying what to change.
#[test]
fn s2_a_role_without_the_permission_is_forbidden_naming_role_and_action() {
    let table = RoleTable::default();
    let admin = Staff::new(StaffId::from_u128(1), StaffRole::Admin);
    let desk = Staff::new(StaffId::from_u128(2), StaffRole::Support);
    assert_eq!(table.check(&admin, Permission::InitiateTransfer), Ok(()));
    let refused = table.check(&desk, Permission::LockSpectator).unwrap_err();
    assert_eq!(
        refused,
        Forbidden {
            role: StaffRole::Support,
            action: Permission::LockSpectator
        }
    );
    assert_eq!(
        (refused.code(), refused.kind()),
        ("FORBIDDEN", ErrorKind::Refused)
    );
    let message = refused.to_string();
    assert!(
        message.contains("SUPPORT") && message.contains("LOCK_SPECTATOR"),
        "{message}"
    );
    // The same role under the V4 preset.
    let basic = Staff::new(StaffId::from_u128(3), StaffRole::Basic);
    assert!(table.check(&basic, Permission::InitiateTransfer).is_err());
    assert_eq!(
        RoleTable::v4_rollout().check(&basic, Permission::InitiateTransfer),
        Ok(())
    );
}

#[test]
fn s3_a_reason_empty_after_trimming_is_a_typed_error() {
    for text in ["", " ", "\t\n ", "\u{3000}"] {
        let error = Reason::parse(text).unwrap_err();
        assert_eq!(error, ReasonError::Empty, "{text:?}");
        assert_eq!(
            (error.code(), error.kind()),
            ("REASON_EMPTY", ErrorKind::InvalidInput)
        );
    }
    assert_eq!(
        Reason::parse("  moved to row 12 ").unwrap().as_str(),
        "moved to row 12"
    );
}

#[test]
fn s3_a_reason_over_the_limit_is_a_typed_error_naming_its_length() {
    let longest = "r".repeat(STAFF_REASON_BYTES);
    assert_eq!(Reason::parse(&longest).unwrap().as_str(), longest);
    let over = format!(" {longest}é ");
    let error = Reason::parse(&over).unwrap_err();
    assert_eq!(
        error,
        ReasonError::TooLong {
            len: STAFF_REASON_BYTES + 2,
            max: STAFF_REASON_BYTES
        }
    );
    assert!(error.to_string().contains("514 bytes"), "{error}");
}

#[test]
fn s3_a_stored_reason_reads_back_exactly_and_the_decoder_refuses_what_parse_refuses() {
    let reason = Reason::parse(" gate 4 ").unwrap();
    let json = serde_json::to_string(&reason).unwrap();
    assert_eq!(json, r#""gate 4""#);
    assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), reason);
    for stored in ["\"\"", "\" \"", "\" gate 4\""] {
        assert!(serde_json::from_str::<Reason>(stored).is_err(), "{stored}");
    }
    let long = format!("\"{}\"", "r".repeat(STAFF_REASON_BYTES + 1));
    assert!(serde_json::from_str::<Reason>(&long).is_err());
}

fn arb_grants() -> impl Strategy<Value = Vec<(bool, usize, usize)>> {
    proptest::collection::vec(
        (
            any::<bool>(),
            0..Permission::ALL.len(),
            0..StaffRole::ALL.len(),
        ),
        0..24,
    )
}

proptest! {
    /// Whatever the builder makes, the decoder reads back exactly (and `allows` agrees with a
    /// plain set of grants).
    #[test]
    fn s2_every_table_the_builder_makes_is_read_back_exactly(grants in arb_grants()) {
        let mut table = RoleTable::empty();
        let mut model = std::collections::BTreeSet::new();
        for (grant, p, r) in grants {
            let (permission, role) = (Permission::ALL[p], StaffRole::ALL[r]);
            if grant {
                table = table.with_grant(permission, role);
                model.insert((permission, role));
            } else {
                table = table.without_grant(permission, role);
                model.remove(&(permission, role));
            }
        }
        for permission in Permission::ALL {
            for role in StaffRole::ALL {
                prop_assert_eq!(table.allows(role, permission), model.contains(&(permission, role)));
            }
        }
        let json = serde_json::to_string(&table).unwrap();
        prop_assert_eq!(serde_json::from_str::<RoleTable>(&json).unwrap(), table);
    }
}

/// One spelling per value: what messages print (`as_str`, `Display`) is what the settings store.
#[test]
fn s2_roles_and_permissions_print_as_they_are_stored() {
    for role in StaffRole::ALL {
        assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        assert_eq!(role.to_string(), role.as_str());
    }
    for permission in Permission::ALL {
        assert_eq!(
            serde_json::to_value(permission).unwrap(),
            permission.as_str()
        );
        assert_eq!(permission.to_string(), permission.as_str());
    }
}
