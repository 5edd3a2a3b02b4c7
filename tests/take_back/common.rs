//! Fixtures: fixed times and ids, the people of the take-back story, a soundly configured B2B point
//! of sale and TIXnGO interface, and helpers that run transitions and record their feedback.

use std::fmt::Display;

use secure_ticket::take_back::{self, TakeBackPolicy, TakeBackTicket};
use secure_ticket::transfer::{self, AcceptTransfer, InitiateTransfer, NewGroupIds, TransferGroup};
use secure_ticket::{
    AcceptanceSettings, Decision, Distribution, Email, InternetTheme, LastFeedback,
    LifecycleStatus, ParseError, PointOfSale, PointOfSaleId, RightId, RuleError, ShipmentMode,
    ShipmentModeId, Ticket, TicketHolder, TicketId, TixngoInterface, TransferGroupId,
    TransferLimit, UsageRule, UsageRuleId, injection,
};
use serde::Serialize;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The time of the first step of every test.
pub(crate) const AT: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

/// `minutes` after [`AT`]: each step of a story happens a minute after the one before.
pub(crate) fn at(minutes: i64) -> OffsetDateTime {
    AT + Duration::minutes(minutes)
}

/// The B2B point of sale every fixture ticket is distributed through.
pub(crate) const POS: PointOfSaleId = PointOfSaleId::from_u128(50);
/// Another B2B point of sale (B6).
pub(crate) const OTHER_POS: PointOfSaleId = PointOfSaleId::from_u128(51);
/// The secure mobile shipment mode tickets are sold with.
pub(crate) const MOBILE: ShipmentMode = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1));
/// The secure mobile mode, injected on request only, that taken-back tickets go to (B1).
pub(crate) const HELD_BACK: ShipmentMode =
    ShipmentMode::secure_mobile(ShipmentModeId::from_u128(2));
/// A print-at-home mode (B3).
pub(crate) const PRINT: ShipmentMode = ShipmentMode::print_at_home(ShipmentModeId::from_u128(3));
/// A secure mobile mode that S360 injects automatically.
pub(crate) const AUTO_MOBILE: ShipmentMode = ShipmentMode {
    automatic_injection: true,
    ..ShipmentMode::secure_mobile(ShipmentModeId::from_u128(4))
};
/// The right every fixture ticket admits to.
pub(crate) const RIGHT: RightId = RightId::from_u128(8);
/// The usage rule every injected ticket follows.
pub(crate) const RULE: UsageRuleId = UsageRuleId::from_u128(1);
/// The ticket injected to the wrong email.
pub(crate) const OLD: TicketId = TicketId::from_u128(200);
/// Its replacement.
pub(crate) const NEW: TicketId = TicketId::from_u128(201);

pub(crate) fn email(address: &str) -> Email {
    Email::parse(address).unwrap()
}

/// The B2B customer's contact, who takes tickets back and redistributes them.
pub(crate) fn agency() -> Email {
    email("tickets@agency.example.com")
}

/// The misspelled email the ticket was first injected to.
pub(crate) fn typo() -> Email {
    email("dave@exmaple.com")
}

/// The right person.
pub(crate) fn dave() -> Email {
    email("dave@example.com")
}

pub(crate) fn erin() -> Email {
    email("erin@example.com")
}

pub(crate) fn frank() -> Email {
    email("frank@example.com")
}

pub(crate) fn bob() -> Email {
    email("bob@example.com")
}

pub(crate) const fn tid(n: u128) -> TicketId {
    TicketId::from_u128(n)
}

pub(crate) const fn gid(n: u128) -> TransferGroupId {
    TransferGroupId::from_u128(n)
}

/// [`RULE`] allowing three transfers, other settings as U4 says.
pub(crate) fn rule() -> UsageRule {
    UsageRule::new(secure_ticket::OrganizerId::from_u128(1), RULE)
        .with_max_transfers(TransferLimit::new(3).unwrap())
}

/// The theme that activates the advanced distribution view (B2).
pub(crate) fn advanced_view() -> InternetTheme {
    InternetTheme::parse("distribution.list.activateAdvancedView = true").unwrap()
}

/// A B2B POS configured as the seed asks: mobile take back on, taken-back tickets assigned to
/// [`HELD_BACK`], advanced view on.
pub(crate) fn pos() -> PointOfSale {
    PointOfSale::b2b(secure_ticket::OrganizerId::from_u128(1), POS)
        .with_mobile_take_back(true)
        .with_take_back_shipment_mode(Some(HELD_BACK))
        .with_theme(advanced_view())
}

/// The TIXnGO interface configured as the seed asks: `resetInjectionInvalidationReasons =
/// MOBILE_TAKE_BACK`.
pub(crate) fn interface() -> TixngoInterface {
    TixngoInterface::from_custom_parameters([(TixngoInterface::RESET_REASONS, "MOBILE_TAKE_BACK")])
        .unwrap()
}

/// The default policy: tickets with holder details are refused (B5).
pub(crate) fn policy() -> TakeBackPolicy {
    TakeBackPolicy::default()
}

/// Ticket-holder details.
pub(crate) fn holder() -> TicketHolder {
    TicketHolder {
        first_name: "Dave".to_owned(),
        last_name: "Doe".to_owned(),
        birth_date: Some("1990-01-31".to_owned()),
        identity_number: None,
    }
}

/// A valid, not injected ticket of [`RIGHT`] distributed through [`POS`] to the misspelled email.
pub(crate) fn issued(id: TicketId, mode: ShipmentMode) -> Ticket {
    Ticket::new(
        secure_ticket::OrganizerId::from_u128(1),
        id,
        RIGHT,
        Distribution::new(POS, mode)
            .with_b2b_contact(agency())
            .with_cultural_contact(typo()),
    )
}

/// The single ticket of a decision.
pub(crate) fn only(decision: Decision) -> Ticket {
    assert_eq!(decision.tickets.len(), 1, "{decision:?}");
    decision.tickets.into_iter().next().unwrap()
}

/// `ticket` as `decision` left it (unchanged when the decision does not list it).
pub(crate) fn after(ticket: &Ticket, decision: &Decision) -> Ticket {
    decision
        .ticket(ticket.id)
        .cloned()
        .unwrap_or_else(|| ticket.clone())
}

/// The wallet's sequence (I6) of a command dated `when`, in these tests: its time in nanoseconds,
/// so the tests' commands are numbered in the order of their times.
pub(crate) fn seq(when: OffsetDateTime) -> u64 {
    u64::try_from(when.unix_timestamp_nanos()).unwrap()
}

/// The feedback of one command's events, numbered by [`seq`] of the command's time.
pub(crate) fn feedback_of(events: &[secure_ticket::Event]) -> Vec<secure_ticket::Feedback> {
    let mut feedback = injection::feedback_for(0, events);
    for one in &mut feedback {
        one.sequence = seq(one.at);
    }
    feedback
}

/// S360 records, in order, every feedback of `decision` about `ticket` (I2, I3).
pub(crate) fn record_all(ticket: &Ticket, decision: &Decision) -> Ticket {
    let id = ticket.id;
    let mut ticket = ticket.clone();
    for feedback in feedback_of(&decision.events)
        .iter()
        .filter(|f| f.ticket == id)
    {
        let recorded = injection::record_feedback(&ticket, feedback).unwrap();
        ticket = after(&ticket, &recorded);
    }
    ticket
}

/// The wallet decision applied to `ticket`, and S360's record of its feedback.
pub(crate) fn apply_with_feedback(ticket: &Ticket, decision: &Decision) -> Ticket {
    record_all(&after(ticket, decision), decision)
}

/// Injects `ticket` to `to` at `when` under [`RULE`].
pub(crate) fn inject(ticket: &Ticket, to: &Email, when: OffsetDateTime) -> Decision {
    injection::inject(
        ticket,
        &injection::InjectTicket {
            ticket: ticket.id,
            to: to.clone(),
            usage_rule: RULE,
            at: when,
        },
    )
    .unwrap()
}

/// Injects `ticket` to `to` at `when` and records TIXnGO's INJECTED feedback.
pub(crate) fn inject_with_feedback(ticket: &Ticket, to: &Email, when: OffsetDateTime) -> Ticket {
    apply_with_feedback(ticket, &inject(ticket, to, when))
}

/// Ticket [`OLD`], secure mobile, injected to the misspelled email at [`AT`], INJECTED recorded.
pub(crate) fn injected() -> Ticket {
    inject_with_feedback(&issued(OLD, MOBILE), &typo(), AT)
}

/// `ticket` with S360's last feedback set directly.
pub(crate) fn with_last_feedback(
    ticket: &Ticket,
    status: LifecycleStatus,
    when: OffsetDateTime,
) -> Ticket {
    let mut changed = ticket.clone();
    changed.distribution.last_feedback = Some(LastFeedback {
        status,
        at: when,
        sequence: seq(when),
    });
    changed
}

/// The agency takes `ticket` back through [`POS`] at `when`, the replacement being `new`.
pub(crate) fn take_back_command(
    ticket: TicketId,
    new: TicketId,
    when: OffsetDateTime,
) -> TakeBackTicket {
    TakeBackTicket {
        contact: secure_ticket::ContactKind::Individual,
        ticket,
        point_of_sale: POS,
        actor: agency(),
        new_ticket: new,
        at: when,
    }
}

/// A mobile take back with the fixture configuration: (old ticket, new ticket).
pub(crate) fn taken_back(ticket: &Ticket, new: TicketId, when: OffsetDateTime) -> (Ticket, Ticket) {
    let decision = take_back::take_back(
        ticket,
        &pos(),
        &interface(),
        &policy(),
        &take_back_command(ticket.id, new, when),
    )
    .unwrap();
    let [old, new] = <[Ticket; 2]>::try_from(decision.tickets.into_vec()).unwrap();
    (old, new)
}

/// The owner of `ticket` sends it to `recipient` in group `group` (explicit acceptance).
pub(crate) fn initiate(
    ticket: &Ticket,
    recipient: &Email,
    group: TransferGroupId,
    when: OffsetDateTime,
) -> Decision {
    let owner = ticket.wallet.as_ref().unwrap().owners.current.clone();
    transfer::initiate(
        std::slice::from_ref(ticket),
        &transfer::Context::new(&[rule()]).with_settings(AcceptanceSettings::explicit()),
        &InitiateTransfer {
            actor: owner,
            recipient: recipient.clone(),
            tickets: vec![ticket.id],
            groups: NewGroupIds::single(group),
            at: when,
        },
    )
    .unwrap()
}

/// The recipient of `group` accepts it.
pub(crate) fn accept(group: &TransferGroup, ticket: &Ticket, when: OffsetDateTime) -> Decision {
    transfer::accept(
        group,
        std::slice::from_ref(ticket),
        &[rule()],
        &AcceptTransfer {
            group: group.id,
            actor: group.recipient.clone(),
            at: when,
        },
    )
    .unwrap()
}

/// Every lifecycle status TIXnGO reports (I2).
pub(crate) const ALL_STATUSES: [LifecycleStatus; 13] = [
    LifecycleStatus::Injected,
    LifecycleStatus::Downloaded,
    LifecycleStatus::Assigned,
    LifecycleStatus::PendingTransfer,
    LifecycleStatus::FailureTransfer,
    LifecycleStatus::Transferred,
    LifecycleStatus::OnlineActivated,
    LifecycleStatus::OfflineActivated,
    LifecycleStatus::ManualActivated,
    LifecycleStatus::BtActivated,
    LifecycleStatus::Controlled,
    LifecycleStatus::DeletionPending,
    LifecycleStatus::Deleted,
];

/// The JSON bytes of a value, to compare states byte for byte.
pub(crate) fn json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

/// Asserts that `message` contains every one of `parts`.
pub(crate) fn assert_mentions(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            message.contains(part),
            "`{message}` does not mention `{part}`"
        );
    }
}

/// The message mentions every part, and [`RuleError`] shows it unchanged.
pub(crate) fn assert_message<E>(error: &E, parts: &[&str])
where
    E: Display + Clone + Into<RuleError>,
{
    let message = error.to_string();
    assert_mentions(&message, parts);
    assert_eq!(error.clone().into().to_string(), message);
}

/// The message mentions every part, and [`ParseError`] shows it unchanged.
pub(crate) fn assert_parse_message<E>(error: &E, parts: &[&str])
where
    E: Display + Clone + Into<ParseError>,
{
    let message = error.to_string();
    assert_mentions(&message, parts);
    assert_eq!(error.clone().into().to_string(), message);
}
