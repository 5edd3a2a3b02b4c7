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

mod assignment {
    //! The assignment command itself (H1-H3, H5) through the pure transitions.

    use secure_ticket::holder::{self, AssignHolder, ClearHolder, HolderError};
    use secure_ticket::spectator::{self, LockSpectator};
    use secure_ticket::staff::{Reason, Staff, StaffRole};
    use secure_ticket::transfer::{self, Context, InitiateTransfer, NewGroupIds, SignIn};
    use secure_ticket::{
        DataCollection, Distribution, Email, Event, HolderField, LifecycleStatus, OrganizerId,
        OrganizerSettings, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, StaffId, Ticket,
        TicketId, TransferGroupId, UsageRule, UsageRuleId, injection,
    };
    use time::OffsetDateTime;
    use time::macros::datetime;

    use super::holder;

    const ORG: OrganizerId = OrganizerId::from_u128(1);
    const AT: OffsetDateTime = datetime!(2026-12-01 10:00 UTC);

    fn alice() -> Email {
        Email::parse("alice@example.com").unwrap()
    }

    fn rule() -> UsageRule {
        UsageRule::new(ORG, UsageRuleId::from_u128(1))
    }

    fn injected(rule: &UsageRule) -> Ticket {
        let t = Ticket::new(
            ORG,
            TicketId::from_u128(1),
            RightId::from_u128(1),
            Distribution::new(
                PointOfSaleId::from_u128(1),
                ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1)),
            ),
        );
        let command = injection::InjectTicket {
            ticket: t.id,
            to: alice(),
            usage_rule: rule.id,
            at: AT,
        };
        injection::inject(&t, &command)
            .unwrap()
            .tickets
            .remove(0)
            .unwrap()
    }

    fn assign(by: Email) -> AssignHolder {
        AssignHolder {
            ticket: TicketId::from_u128(1),
            actor: by,
            holder: holder("Ada", "Lovelace"),
            reason: None,
            at: AT,
        }
    }

    #[test]
    fn h1_only_the_current_owner_assigns_and_nothing_else_changes() {
        let rules = [rule()];
        let ticket = injected(&rules[0]);
        let settings = OrganizerSettings::new(ORG);
        let bob = Email::parse("bob@example.com").unwrap();
        assert!(matches!(
            holder::assign(&ticket, &rules, &settings, None, &assign(bob)),
            Err(HolderError::NotCurrentOwner { .. })
        ));
        let done = holder::assign(&ticket, &rules, &settings, None, &assign(alice())).unwrap();
        let after = &done.tickets[0];
        assert_eq!(
            after.distribution.holder.as_deref(),
            Some(&holder("Ada", "Lovelace"))
        );
        assert_eq!(
            after.wallet, ticket.wallet,
            "owners, level, counters and status unchanged"
        );
        let cleared = holder::clear(
            after,
            None,
            &ClearHolder {
                ticket: after.id,
                actor: alice(),
                at: AT,
            },
        )
        .unwrap();
        assert_eq!(cleared.tickets[0].distribution.holder, None);
    }

    #[test]
    fn h2_the_rules_gates_are_read_now() {
        let off = rule().with_assignment(false, false, false);
        let ticket = injected(&off);
        let settings = OrganizerSettings::new(ORG);
        assert!(matches!(
            holder::assign(&ticket, &[off], &settings, None, &assign(alice())),
            Err(HolderError::AssignmentDisabled { .. })
        ));
        let mut checked = injected(&rule());
        checked.wallet.as_mut().unwrap().checked_at = Some(AT);
        assert!(matches!(
            holder::assign(&checked, &[rule()], &settings, None, &assign(alice())),
            Err(HolderError::CheckedTicket { .. })
        ));
        let allowed = rule().with_assignment(true, false, true);
        assert!(holder::assign(&checked, &[allowed], &settings, None, &assign(alice())).is_ok());
    }

    #[test]
    fn h3_a_pending_ticket_or_a_locked_owner_is_refused() {
        let rules = [rule()];
        let ticket = injected(&rules[0]);
        let settings = OrganizerSettings::new(ORG);
        let mut pending = ticket.clone();
        pending.wallet.as_mut().unwrap().pending_group = Some(TransferGroupId::from_u128(5));
        assert!(matches!(
            holder::assign(&pending, &rules, &settings, None, &assign(alice())),
            Err(HolderError::AlreadyPendingTransfer { .. })
        ));
        let lock = LockSpectator {
            staff: Staff::new(StaffId::from_u128(1), StaffRole::Admin),
            spectator: alice(),
            reason: Reason::parse("fraud").unwrap(),
            at: AT,
        };
        let record = spectator::lock(None, &settings, &lock).unwrap().spectators[0].clone();
        assert!(matches!(
            holder::assign(&ticket, &rules, &settings, Some(&record), &assign(alice())),
            Err(HolderError::SpectatorLocked(_))
        ));
    }

    #[test]
    fn h4_a_missing_field_or_reason_is_a_typed_error_naming_it() {
        let rules = [rule()];
        let ticket = injected(&rules[0]);
        let strict = OrganizerSettings::new(ORG).with_data_collection(DataCollection {
            mandatory_assign_reason: true,
            ..DataCollection::new([HolderField::LastName, HolderField::BirthDate])
        });
        assert!(matches!(
            holder::assign(&ticket, &rules, &strict, None, &assign(alice())),
            Err(HolderError::MissingField {
                field: HolderField::BirthDate,
                ..
            })
        ));
        let mut command = assign(alice());
        command.holder.birth_date = Some("1815-12-10".into());
        assert!(matches!(
            holder::assign(&ticket, &rules, &strict, None, &command),
            Err(HolderError::ReasonRequired { .. })
        ));
        command.reason = Some(Reason::parse("named at the gate").unwrap());
        assert!(holder::assign(&ticket, &rules, &strict, None, &command).is_ok());
    }

    #[test]
    fn h5_the_time_is_recorded_feedback_says_assigned_and_a_transfer_clears_the_holder() {
        let rules = [rule()];
        let ticket = injected(&rules[0]);
        let settings = OrganizerSettings::new(ORG);
        let done = holder::assign(&ticket, &rules, &settings, None, &assign(alice())).unwrap();
        let named = done.tickets[0].clone();
        assert_eq!(named.distribution.holder_assigned_at, Some(AT));
        let feedback = injection::feedback_for(1, done.events.as_slice());
        assert_eq!(feedback[0].status, LifecycleStatus::Assigned);
        assert!(matches!(done.events[0], Event::HolderAssigned { .. }));
        let bob = Email::parse("bob@example.com").unwrap();
        let sent = transfer::initiate(
            std::slice::from_ref(&named),
            &Context::new(&rules),
            &InitiateTransfer {
                actor: alice(),
                recipient: bob.clone(),
                tickets: vec![named.id],
                groups: NewGroupIds::single(TransferGroupId::from_u128(9)),
                at: AT,
            },
        )
        .unwrap();
        let moved = transfer::complete_on_sign_in(
            &sent.groups.clone().into_vec(),
            &sent.tickets.clone().into_vec(),
            &rules,
            &SignIn { actor: bob, at: AT },
        )
        .unwrap();
        let after = &moved.tickets[0];
        assert_eq!(
            (
                after.distribution.holder.as_ref(),
                after.distribution.holder_assigned_at
            ),
            (None, None)
        );
    }
}
