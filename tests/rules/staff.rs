//! Organizer staff (S2): the organizer's table of which role holds which permission, its
//! defaults, its stored form, and the settings check that names a permission nobody holds.

use proptest::prelude::*;
use secure_ticket::staff::{Permission, RoleTable, StaffRole};
use secure_ticket::{OrganizerId, OrganizerSettings, SettingsProblem};

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
