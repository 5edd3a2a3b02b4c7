//! A small world: one organizer with a B2B point of sale, a usage rule, two performances, and
//! tickets injected through the shell.

use secure_ticket::command::ExpireDue;
use secure_ticket::injection::InjectTicket;
use secure_ticket::service::{Command, Outcome, Request, Service};
use secure_ticket::store::{MemoryStore, Record};
use secure_ticket::transfer::{AcceptTransfer, InitiateTransfer, NewGroupIds, SignIn};
use secure_ticket::{
    AcceptanceSettings, CommandId, Distribution, Email, Error, InternetTheme, OrganizerId,
    OrganizerSettings, Performance, PerformanceId, PointOfSale, PointOfSaleId, RightId,
    ShipmentMode, ShipmentModeId, Ticket, TicketId, TixngoInterface, TransferGroupId, UsageRule,
    UsageRuleId,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

pub(crate) const AT: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);
pub(crate) const ORG: OrganizerId = OrganizerId::from_u128(1);
pub(crate) const OTHER_ORG: OrganizerId = OrganizerId::from_u128(2);
pub(crate) const RULE: UsageRuleId = UsageRuleId::from_u128(1);
pub(crate) const POS: PointOfSaleId = PointOfSaleId::from_u128(50);
pub(crate) const FINAL: PerformanceId = PerformanceId::from_u128(70);
pub(crate) const SEMI: PerformanceId = PerformanceId::from_u128(71);

pub(crate) fn at(minutes: i64) -> OffsetDateTime {
    AT + Duration::minutes(minutes)
}

pub(crate) fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

pub(crate) fn alice() -> Email {
    email("alice@example.com")
}

pub(crate) fn bob() -> Email {
    email("bob@example.com")
}

pub(crate) fn carol() -> Email {
    email("carol@example.com")
}

pub(crate) fn agency() -> Email {
    email("tickets@agency.example.com")
}

pub(crate) const fn tid(n: u128) -> TicketId {
    TicketId::from_u128(n)
}

pub(crate) const fn gid(n: u128) -> TransferGroupId {
    TransferGroupId::from_u128(n)
}

/// A request of [`ORG`].
pub(crate) fn req(id: u128, command: Command) -> Request {
    Request {
        id: CommandId::from_u128(id),
        organizer: ORG,
        command,
    }
}

/// The setup records of `organizer`: settings, a rule (limit 3), a B2B POS that allows take
/// back, and two performances.
pub(crate) fn setup_records(organizer: OrganizerId, acceptance: AcceptanceSettings) -> Vec<Record> {
    let rule = UsageRule::new(organizer, RULE)
        .with_max_transfers(secure_ticket::TransferLimit::new(3).unwrap());
    let interface = TixngoInterface::from_custom_parameters([(
        TixngoInterface::RESET_REASONS,
        "MOBILE_TAKE_BACK",
    )])
    .unwrap();
    let pos = PointOfSale::b2b(organizer, POS)
        .with_mobile_take_back(true)
        .with_theme(InternetTheme::parse("distribution.list.activateAdvancedView = true").unwrap());
    vec![
        Record::Settings(
            OrganizerSettings::new(organizer)
                .with_acceptance(acceptance)
                .with_interface(interface),
        ),
        Record::UsageRule(rule),
        Record::PointOfSale(pos),
        Record::Performance(
            Performance::new(
                organizer,
                FINAL,
                datetime!(2026-12-20 20:00 UTC),
                datetime!(2026-12-20 22:00 UTC),
            )
            .unwrap(),
        ),
        Record::Performance(
            Performance::new(
                organizer,
                SEMI,
                datetime!(2026-12-10 20:00 UTC),
                datetime!(2026-12-10 22:00 UTC),
            )
            .unwrap(),
        ),
    ]
}

/// A ticket of `organizer` for right `n`, sold through [`POS`], at a performance.
pub(crate) fn issued(
    organizer: OrganizerId,
    n: u128,
    performance: Option<PerformanceId>,
) -> Ticket {
    let mut ticket = Ticket::new(
        organizer,
        tid(n),
        RightId::from_u128(n),
        Distribution::new(
            POS,
            ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1)),
        )
        .with_b2b_contact(agency())
        .with_cultural_contact(agency()),
    );
    ticket.performance = performance;
    ticket
}

/// A service over a fresh `MemoryStore` with [`ORG`]'s setup.
pub(crate) fn world(acceptance: AcceptanceSettings) -> Service<MemoryStore> {
    let service = Service::new(MemoryStore::new());
    service.create(setup_records(ORG, acceptance)).unwrap();
    service
}

/// Issues ticket `n` and injects it to `to` (command id `1000 + n`).
pub(crate) fn inject(
    service: &Service<MemoryStore>,
    n: u128,
    to: &Email,
    performance: Option<PerformanceId>,
) {
    service
        .create([Record::Ticket(issued(ORG, n, performance))])
        .unwrap();
    service
        .execute(&req(
            1000 + n,
            Command::Inject(InjectTicket {
                ticket: tid(n),
                to: to.clone(),
                usage_rule: RULE,
                at: AT,
            }),
        ))
        .unwrap();
}

pub(crate) fn send(
    service: &Service<MemoryStore>,
    id: u128,
    from: &Email,
    to: &Email,
    tickets: &[u128],
    when: OffsetDateTime,
) -> Result<Outcome, Error> {
    service.execute(&req(
        id,
        Command::Initiate(InitiateTransfer {
            actor: from.clone(),
            recipient: to.clone(),
            tickets: tickets.iter().map(|&n| tid(n)).collect(),
            groups: NewGroupIds::single(gid(id)),
            at: when,
        }),
    ))
}

pub(crate) fn accept(
    service: &Service<MemoryStore>,
    id: u128,
    group: u128,
    by: &Email,
) -> Result<Outcome, Error> {
    service.execute(&req(
        id,
        Command::Accept(AcceptTransfer {
            group: gid(group),
            actor: by.clone(),
            at: at(30),
        }),
    ))
}

pub(crate) fn sign_in(
    service: &Service<MemoryStore>,
    id: u128,
    who: &Email,
    when: OffsetDateTime,
) -> Result<Outcome, Error> {
    service.execute(&req(
        id,
        Command::SignIn(SignIn {
            actor: who.clone(),
            at: when,
        }),
    ))
}

pub(crate) fn sweep(
    service: &Service<MemoryStore>,
    id: u128,
    when: OffsetDateTime,
    limit: u32,
) -> Result<Outcome, Error> {
    service.execute(&req(id, Command::ExpireDue(ExpireDue { at: when, limit })))
}
