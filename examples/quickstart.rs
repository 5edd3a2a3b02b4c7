//! A short story in two parts, run through the shell ([`Service`]) on the embedded [`MemoryStore`].
//!
//! 1. TIXnGO transfers: a ticket injected to Alice and sent to Bob; tickets returned to Alice under
//!    each "Transfer backward" setting; a transfer refused at the limit; a retried command.
//! 2. S360 take back: a ticket injected to a misspelled email, taken back, replaced and injected to
//!    the right contact; and a take back refused once the ticket was downloaded.
//!
//! Run it with `cargo run --example quickstart`.

#![allow(
    clippy::arithmetic_side_effects,
    reason = "small fixed ids and a command counter in a demo"
)]

use std::error::Error;

use secure_ticket::injection::{self, InjectTicket};
use secure_ticket::service::{Command, Outcome, Request, Service};
use secure_ticket::store::{MemoryStore, Record, RecordKey, Store};
use secure_ticket::take_back::{self, RedistributeTicket, TakeBackTicket};
use secure_ticket::transfer::{
    AcceptTransfer, InitiateTransfer, NewGroupIds, ReturnToSender, SignIn,
};
use secure_ticket::wallet::{DownloadTicket, RequestDeletion};
use secure_ticket::{
    AcceptanceSettings, CommandId, Distribution, Email, Event, InternetTheme, OrganizerId,
    OrganizerSettings, PointOfSale, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket,
    TicketId, TixngoInterface, TransferBackward, TransferGroupId, TransferLimit, UsageRule,
    UsageRuleId,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const ORGANIZER: OrganizerId = OrganizerId::from_u128(1);
const MOBILE: ShipmentMode = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1));

fn main() -> Result<(), Box<dyn Error>> {
    let mut story = Story::new();
    let alice = Email::parse("Alice@Example.com")?; // normalised to alice@example.com
    let bob = Email::parse("bob@example.com")?;
    let limit3 = TransferLimit::new(3)?;
    let rules = [
        UsageRule::new(UsageRuleId::from_u128(1)).with_max_transfers(limit3),
        UsageRule::new(UsageRuleId::from_u128(2))
            .with_max_transfers(limit3)
            .with_transfer_backward(TransferBackward::Decrease),
        UsageRule::new(UsageRuleId::from_u128(3))
            .with_max_transfers(limit3)
            .with_transfer_backward(TransferBackward::Increase),
        UsageRule::new(UsageRuleId::from_u128(4)), // U4 defaults: limit 1
    ];
    let interface = TixngoInterface::from_custom_parameters([(
        TixngoInterface::RESET_REASONS,
        "MOBILE_TAKE_BACK",
    )])?;
    story.service.create(
        rules
            .iter()
            .map(|r| Record::UsageRule(*r))
            .chain([Record::Settings(
                OrganizerSettings::new(ORGANIZER)
                    .with_acceptance(AcceptanceSettings::explicit())
                    .with_interface(interface),
            )]),
    )?;

    println!("== 1. S360 injects a secure mobile ticket to {alice} (I1, W2)");
    let first = story.issue(100, 1, None)?;
    story.run(Command::Inject(InjectTicket {
        ticket: first,
        to: alice.clone(),
        usage_rule: rules[0].id,
        at: story.tick(),
    }))?;
    story.show(first)?;

    println!("\n== 2. Alice sends it to Bob; Bob accepts (T5, T8: FORWARD 0 -> 1)");
    story.transfer(first, &alice, &bob, 1)?;
    story.show(first)?;

    story.verbose = false;
    println!(
        "\n== 3. Bob returns a ticket to Alice under each \"Transfer backward\" setting (T8, T11, A2)"
    );
    for (n, rule) in rules.iter().take(3).enumerate() {
        let id = story.issue(101 + n as u128, 2 + n as u128, None)?;
        story.run(Command::Inject(InjectTicket {
            ticket: id,
            to: alice.clone(),
            usage_rule: rule.id,
            at: story.tick(),
        }))?;
        story.transfer(id, &alice, &bob, 10 + n as u128)?;
        let before = story.level(id)?;
        let back = TransferGroupId::from_u128(20 + n as u128);
        story.run(Command::ReturnToSender(ReturnToSender {
            ticket: id,
            actor: bob.clone(),
            group: back,
            at: story.tick(),
        }))?;
        // BACKWARD groups need no explicit acceptance: Alice's next sign-in completes it.
        let sign_in = SignIn {
            actor: alice.clone(),
            at: story.tick(),
        };
        story.run(Command::SignIn {
            sign_in,
            groups: vec![back],
        })?;
        println!(
            "   {:<8}: level {before} -> {}, current owner {}",
            rule.transfer_backward,
            story.level(id)?,
            story.owner(id)?
        );
    }

    println!("\n== 4. Under the default rule (limit 1), Bob may not pass the ticket on (T2)");
    let strict = story.issue(104, 5, None)?;
    story.run(Command::Inject(InjectTicket {
        ticket: strict,
        to: alice.clone(),
        usage_rule: rules[3].id,
        at: story.tick(),
    }))?;
    story.transfer(strict, &alice, &bob, 30)?;
    let refused = story.run(Command::Initiate(InitiateTransfer {
        actor: bob.clone(),
        recipient: Email::parse("carol@example.com")?,
        tickets: vec![strict],
        groups: NewGroupIds::single(TransferGroupId::from_u128(31)),
        at: story.tick(),
    }));
    match refused {
        Err(error) => println!("   refused: {error}"),
        Ok(_) => return Err("the transfer at the limit should have been refused".into()),
    }
    println!(
        "   nothing changed: still Bob's, level {}",
        story.level(strict)?
    );

    story.verbose = true;
    println!("\n== 5. A retried command changes nothing and returns the first result (X3)");
    let retried = story
        .service
        .execute(&story.last.clone().ok_or("no command yet")?)?;
    println!("   retrying the last command that went through (Bob's acceptance of group 30):");
    println!(
        "   replayed: {}, {} event(s), ticket version unchanged: v{}",
        retried.replayed,
        retried.events.len(),
        story.version(strict)?
    );

    take_back_story(&mut story)
}

/// Part 2: S360's take back of a mobile ticket injected to the wrong email (B1-B11, I1-I4).
fn take_back_story(story: &mut Story) -> Result<(), Box<dyn Error>> {
    let agency = Email::parse("tickets@agency.example.com")?; // the B2B customer's contact
    let typo = Email::parse("dave@exmaple.com")?;
    let dave = Email::parse("dave@example.com")?;
    let held_back = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(2)); // injected on request only
    let pos = PointOfSale::b2b(PointOfSaleId::from_u128(50))
        .with_mobile_take_back(true)
        .with_take_back_shipment_mode(Some(held_back))
        .with_theme(InternetTheme::parse(
            "distribution.list.activateAdvancedView = true",
        )?);
    story.service.create([Record::PointOfSale(pos.clone())])?;
    let rule = UsageRuleId::from_u128(1);

    println!(
        "\n== 6. S360 checks the take-back configuration before anyone uses it (B1, B2, B8, B9)"
    );
    for problem in take_back::check_configuration(&pos, &TixngoInterface::default()) {
        println!("   with an empty interface: {problem}");
    }
    let settings = story.settings()?;
    let problems = take_back::check_configuration(&pos, &settings.interface);
    println!(
        "   with the organizer's interface (MOBILE_TAKE_BACK reset): {} problem(s)",
        problems.len()
    );

    println!(
        "\n== 7. A ticket is injected to a misspelled email; TIXnGO's feedback says INJECTED (I1-I3)"
    );
    let wrong = story.issue(200, 8, Some((pos.id, typo.clone())))?;
    story.inject_with_feedback(wrong, &typo, rule)?;
    println!(
        "   ticket {wrong} -> {typo}, last feedback {}",
        story.last_feedback(wrong)?
    );

    println!(
        "\n== 8. The agency takes it back (B4-B7): the old ticket is invalidated, a new one replaces it"
    );
    let new = TicketId::from_u128(201);
    let outcome = story.run(Command::TakeBack(TakeBackTicket {
        ticket: wrong,
        point_of_sale: pos.id,
        actor: agency.clone(),
        new_ticket: new,
        at: story.tick(),
    }))?;
    for event in &outcome.events {
        match event {
            Event::TicketInvalidated {
                ticket,
                reason,
                replaced_by: Some(by),
                ..
            } => {
                println!("   ticket {ticket}: INVALIDATED ({reason}), replaced by {by}");
            }
            Event::TicketReplaced {
                ticket,
                shipment_mode,
                cultural_contact,
                ..
            } => {
                println!(
                    "   ticket {ticket}: new, not injected, shipment mode {shipment_mode}, held by {cultural_contact}"
                );
            }
            _ => {}
        }
    }
    story.run(Command::RequestDeletion(RequestDeletion {
        ticket: wrong,
        at: story.tick(),
    }))?;
    println!(
        "   the invalidated ticket is pushed to TIXnGO (B10): {}",
        story.status(wrong)?
    );

    println!(
        "\n== 9. The agency redistributes the new ticket to {dave}, and S360 injects it (B8, I1)"
    );
    story.run(Command::Redistribute(RedistributeTicket {
        ticket: new,
        point_of_sale: pos.id,
        actor: agency.clone(),
        to: dave,
        at: story.tick(),
    }))?;
    let (replacement, predecessor) = (story.ticket(new)?, story.ticket(wrong)?);
    let settings = story.settings()?;
    let target = settings
        .interface
        .injection_target(&replacement, Some(&predecessor))?;
    println!("   injection target: {target:?}");
    story.inject_with_feedback(new, target.email(), rule)?;
    let valid = [story.ticket(wrong)?, story.ticket(new)?]
        .iter()
        .filter(|t| t.is_valid())
        .count();
    println!(
        "   ticket {new} is in {}'s wallet; valid tickets for right {}: {valid} (B11)",
        story.owner(new)?,
        replacement.right
    );

    println!("\n== 10. Once downloaded, a ticket can no longer be taken back (B4)");
    let erin = Email::parse("erin@example.com")?;
    let other = story.issue(300, 9, Some((pos.id, erin.clone())))?;
    story.inject_with_feedback(other, &erin, rule)?;
    let downloaded = story.run(Command::Download(DownloadTicket {
        ticket: other,
        actor: erin,
        at: story.tick(),
    }))?;
    story.record_feedback(&downloaded)?;
    println!(
        "   last feedback of ticket {other}: {}",
        story.last_feedback(other)?
    );
    let refused = story.run(Command::TakeBack(TakeBackTicket {
        ticket: other,
        point_of_sale: pos.id,
        actor: agency,
        new_ticket: TicketId::from_u128(301),
        at: story.tick(),
    }));
    match refused {
        Err(error) => println!("   refused: {error}"),
        Ok(_) => return Err("a downloaded ticket should not be taken back".into()),
    }
    Ok(())
}

/// The example's shell: a service on an in-memory store, a fake clock, and command ids.
struct Story {
    service: Service<MemoryStore>,
    verbose: bool,
    clock: OffsetDateTime,
    commands: u128,
    last: Option<Request>,
}

impl Story {
    fn new() -> Self {
        Self {
            service: Service::new(MemoryStore::new()),
            verbose: true,
            clock: datetime!(2026-11-23 18:00 UTC),
            commands: 0,
            last: None,
        }
    }

    /// The fake clock advances one minute per call, so the story is reproducible.
    fn now(&mut self) -> OffsetDateTime {
        self.clock = self.clock.saturating_add(Duration::minutes(1));
        self.clock
    }

    /// The time of the next command: the clock advances when the command runs.
    fn tick(&self) -> OffsetDateTime {
        self.clock.saturating_add(Duration::minutes(1))
    }

    fn run(&mut self, command: Command) -> Result<Outcome, secure_ticket::Error> {
        self.now();
        self.commands += 1;
        let request = Request {
            id: CommandId::from_u128(self.commands),
            organizer: ORGANIZER,
            command,
        };
        let outcome = self.service.execute(&request)?;
        self.last = Some(request); // the last command that went through
        Ok(outcome)
    }

    /// S360 issues a secure mobile ticket (setup, not a rule): optionally distributed through a
    /// point of sale to a contact.
    fn issue(
        &self,
        id: u128,
        right: u128,
        distributed: Option<(PointOfSaleId, Email)>,
    ) -> Result<TicketId, Box<dyn Error>> {
        let (pos, contact) =
            distributed.map_or((PointOfSaleId::from_u128(1), None), |(p, c)| (p, Some(c)));
        let mut distribution = Distribution::new(pos, MOBILE);
        distribution.cultural_contact = contact;
        let ticket = Ticket::new(
            TicketId::from_u128(id),
            RightId::from_u128(right),
            distribution,
        );
        self.service.create([Record::Ticket(ticket)])?;
        Ok(TicketId::from_u128(id))
    }

    fn transfer(
        &mut self,
        ticket: TicketId,
        from: &Email,
        to: &Email,
        group: u128,
    ) -> Result<(), Box<dyn Error>> {
        let group = TransferGroupId::from_u128(group);
        let at = self.tick();
        let sent = self.run(Command::Initiate(InitiateTransfer {
            actor: from.clone(),
            recipient: to.clone(),
            tickets: vec![ticket],
            groups: NewGroupIds::single(group),
            at,
        }))?;
        if let Some(Event::TransferInitiated { direction, .. }) = sent.events.first() {
            self.note(format!(
                "group {group}: PENDING {direction}, {from} -> {to}"
            ));
        }
        let at = self.tick();
        self.run(Command::Accept(AcceptTransfer {
            group,
            actor: to.clone(),
            at,
        }))?;
        Ok(())
    }

    fn inject_with_feedback(
        &mut self,
        ticket: TicketId,
        to: &Email,
        rule: UsageRuleId,
    ) -> Result<(), Box<dyn Error>> {
        let at = self.tick();
        let outcome = self.run(Command::Inject(InjectTicket {
            ticket,
            to: to.clone(),
            usage_rule: rule,
            at,
        }))?;
        self.record_feedback(&outcome)
    }

    /// TIXnGO reports what a wallet command did; S360 records it (I2, I3).
    fn record_feedback(&mut self, outcome: &Outcome) -> Result<(), Box<dyn Error>> {
        for feedback in injection::feedback_for(&outcome.events) {
            self.run(Command::RecordFeedback(feedback))?;
        }
        Ok(())
    }

    fn note(&self, line: String) {
        if self.verbose {
            println!("   {line}");
        }
    }

    fn settings(&self) -> Result<OrganizerSettings, Box<dyn Error>> {
        let loaded = self
            .service
            .store()
            .load(&[RecordKey::Settings(ORGANIZER)])?;
        match loaded.into_iter().next().map(|v| v.value) {
            Some(Record::Settings(settings)) => Ok(settings),
            _ => Err("the organizer has no settings".into()),
        }
    }

    fn ticket(&self, id: TicketId) -> Result<Ticket, Box<dyn Error>> {
        Ok(self.service.ticket(id)?.ok_or("no such ticket")?.value)
    }

    fn version(&self, id: TicketId) -> Result<u64, Box<dyn Error>> {
        Ok(self
            .service
            .ticket(id)?
            .ok_or("no such ticket")?
            .version
            .get())
    }

    fn level(&self, id: TicketId) -> Result<u16, Box<dyn Error>> {
        Ok(self.ticket(id)?.wallet.map_or(0, |w| w.level))
    }

    fn owner(&self, id: TicketId) -> Result<Email, Box<dyn Error>> {
        Ok(self
            .ticket(id)?
            .wallet
            .ok_or("not injected")?
            .owners
            .current)
    }

    fn status(&self, id: TicketId) -> Result<String, Box<dyn Error>> {
        Ok(self
            .ticket(id)?
            .wallet_status()
            .map_or_else(|| "not injected".to_owned(), |s| s.to_string()))
    }

    fn last_feedback(&self, id: TicketId) -> Result<String, Box<dyn Error>> {
        Ok(self
            .ticket(id)?
            .distribution
            .last_feedback
            .map_or_else(|| "none".to_owned(), |f| f.status.to_string()))
    }

    fn show(&self, id: TicketId) -> Result<(), Box<dyn Error>> {
        let ticket = self.ticket(id)?;
        let wallet = ticket.wallet.as_ref().ok_or("not injected")?;
        let previous = wallet
            .owners
            .previous
            .as_ref()
            .map_or_else(|| "-".to_owned(), ToString::to_string);
        println!(
            "   ticket {id}: {} | owners initial {} / previous {previous} / current {} | level {}",
            wallet.status(),
            wallet.owners.initial,
            wallet.owners.current,
            wallet.level,
        );
        Ok(())
    }
}
