//! Holder assignment's organizer data (H4): the data-collection rule, its default, its stored
//! form, the field it finds missing, and the settings check that names a rule without fields.

use secure_ticket::{
    DataCollection, HolderField, OrganizerId, OrganizerSettings, SettingsProblem, TicketHolder,
};

fn holder(first: &str, last: &str) -> TicketHolder {
    TicketHolder {
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        ..TicketHolder::default()
    }
}

#[test]
fn h4_the_default_data_collection_needs_first_and_last_name_and_no_reason() {
    let rule = OrganizerSettings::new(OrganizerId::from_u128(1)).data_collection;
    assert_eq!(rule, DataCollection::default());
    assert_eq!(
        rule.fields.iter().copied().collect::<Vec<_>>(),
        [HolderField::FirstName, HolderField::LastName]
    );
    assert!(!rule.mandatory_assign_reason);
    assert_eq!(rule.missing(&holder("Bob", "Martin")), None);
}

#[test]
fn h4_the_first_missing_or_blank_required_field_is_named() {
    let rule = DataCollection::default();
    assert_eq!(
        rule.missing(&holder("", "Martin")),
        Some(HolderField::FirstName)
    );
    assert_eq!(
        rule.missing(&holder("Bob", "  ")),
        Some(HolderField::LastName)
    );
    let strict = DataCollection::new([HolderField::BirthDate, HolderField::IdentityNumber]);
    let mut bob = holder("Bob", "Martin");
    assert_eq!(strict.missing(&bob), Some(HolderField::BirthDate));
    bob.birth_date = Some("1990-04-01".to_owned());
    assert_eq!(strict.missing(&bob), Some(HolderField::IdentityNumber));
    assert_eq!(HolderField::IdentityNumber.to_string(), "IDENTITY_NUMBER");
    bob.identity_number = Some("X123".to_owned());
    assert_eq!(strict.missing(&bob), None);
}

#[test]
fn h4_settings_store_the_data_collection_only_when_it_is_not_the_default() {
    let settings = OrganizerSettings::new(OrganizerId::from_u128(1));
    let json = serde_json::to_string(&settings).unwrap();
    assert!(!json.contains("data_collection"), "{json}");
    let own = settings.with_data_collection(
        DataCollection::new([HolderField::LastName]).with_mandatory_reason(true),
    );
    let json = serde_json::to_string(&own).unwrap();
    assert!(
        json.contains(
            r#""data_collection":{"fields":["LAST_NAME"],"mandatory_assign_reason":true}"#
        ),
        "{json}"
    );
    assert_eq!(
        serde_json::from_str::<OrganizerSettings>(&json).unwrap(),
        own
    );
}

#[test]
fn h4_unknown_or_repeated_fields_in_decoded_settings_are_refused_naming_them() {
    for (rule, names) in [
        (r#"{"fields":["SHOE_SIZE"]}"#, "SHOE_SIZE"),
        (
            r#"{"fields":["LAST_NAME","LAST_NAME"]}"#,
            "LAST_NAME is named twice",
        ),
        (r#"{}"#, "fields"),
    ] {
        let error = serde_json::from_str::<DataCollection>(rule).unwrap_err();
        assert!(error.to_string().contains(names), "{rule}: {error}");
    }
}

/// Issue 16's item 7: a data-collection rule without fields contradicts holder assignment.
#[test]
fn h4_a_data_collection_rule_without_fields_is_a_configuration_problem() {
    let settings = OrganizerSettings::new(OrganizerId::from_u128(1))
        .with_data_collection(DataCollection::new([]).with_mandatory_reason(true));
    let problems = settings.check_configuration();
    assert_eq!(problems, [SettingsProblem::DataCollectionWithoutFields]);
    assert!(problems[0].to_string().contains("data_collection.fields"));
}
