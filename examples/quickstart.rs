//! A short story in four parts, run through the shell ([`Service`]) on the embedded [`MemoryStore`].
//!
//! 1. TIXnGO transfers: a ticket injected to Alice and sent to Bob; tickets returned to Alice under
//!    each "Transfer backward" setting; a transfer refused at the limit; a retried command.
//! 2. S360 take back: a ticket injected to a misspelled email, taken back, replaced and injected to
//!    the right contact; and a take back refused once the ticket was downloaded.
//! 3. The system of record, for a second organizer: wallets grouped by performance before and
//!    after a transfer, a sign-in that names only the spectator, an expiry sweep, the history,
//!    organizers kept apart, S360's feedback reader catching up so that a take back works, a
//!    retried refusal, paging with a cursor, and pruning.
//! 4. The organizer's staff and the spectator controls, for a third organizer: a staff transfer
//!    past the limit, a locked spectator refused, Keep One, a holder, and the end of the match.
//!
//! Run it with `cargo run --example quickstart`.

#![allow(
    clippy::arithmetic_side_effects,
    reason = "small fixed ids and a command counter in a demo"
)]

use std::error::Error;

use secure_ticket::command::ExpireDue;
use secure_ticket::feed::Position;
use secure_ticket::holder::AssignHolder;
use secure_ticket::index::PageRequest;
use secure_ticket::injection::{self, InjectTicket};
use secure_ticket::service::{
    Command, FeedbackReader, HistoryFilter, Outcome, Request, Service, WalletRequest,
};
use secure_ticket::spectator::{LockSpectator, UnlockSpectator};
use secure_ticket::staff::{Reason, Staff, StaffRole};
use secure_ticket::store::{MemoryStore, Record, RecordKey, Store};
use secure_ticket::take_back::{self, RedistributeTicket, TakeBackTicket};
use secure_ticket::transfer::{
    AcceptTransfer, BackOfficeTransfer, InitiateTransfer, NewGroupIds, ReturnToSender, SignIn,
};
use secure_ticket::wallet::{DownloadTicket, RequestDeletion};
use secure_ticket::{
    AcceptanceSettings, CommandId, ContactKind, Distribution, DownloadedTakeBack, Email, Event,
    InternetTheme, KeepOne, OrganizerId, OrganizerSettings, Performance, PerformanceId,
    PointOfSale, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, StaffId, Ticket,
    TicketHolder, TicketId, TixngoInterface, TransferBackward, TransferGroupId, TransferLimit,
    UsageRule, UsageRuleId,
};
use time::macros::{datetime, format_description};
use time::{Duration, OffsetDateTime};

const ORGANIZER: OrganizerId = OrganizerId::from_u128(1);
/// The organizer of part 3, with settings of its own.
const THEATRE: OrganizerId = OrganizerId::from_u128(2);
/// The organizer of part 4, whose staff act in the back office.
const CLUB: OrganizerId = OrganizerId::from_u128(3);
const MOBILE: ShipmentMode = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1));

fn main() -> Result<(), Box<dyn Error>> {
    let mut story = Story::new();
    let alice = Email::parse("Alice@Example.com")?; // normalised to alice@example.com
    let bob = Email::parse("bob@example.com")?;
    let limit3 = TransferLimit::new(3)?;
    let rules = [
        UsageRule::new(ORGANIZER, UsageRuleId::from_u128(1)).with_max_transfers(limit3),
        UsageRule::new(ORGANIZER, UsageRuleId::from_u128(2))
            .with_max_transfers(limit3)
            .with_transfer_backward(TransferBackward::Decrease),
        UsageRule::new(ORGANIZER, UsageRuleId::from_u128(3))
            .with_max_transfers(limit3)
            .with_transfer_backward(TransferBackward::Increase),
        UsageRule::new(ORGANIZER, UsageRuleId::from_u128(4)), // U4 defaults: limit 1
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
        story.run(Command::SignIn(SignIn {
            actor: alice.clone(),
            at: story.tick(),
        }))?;
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

    take_back_story(&mut story)?;
    system_of_record(&mut story)?;
    back_office(&mut story)
}

/// Part 2: S360's take back of a mobile ticket injected to the wrong email (B1-B11, I1-I4).
fn take_back_story(story: &mut Story) -> Result<(), Box<dyn Error>> {
    let agency = Email::parse("tickets@agency.example.com")?; // the B2B customer's contact
    let typo = Email::parse("dave@exmaple.com")?;
    let dave = Email::parse("dave@example.com")?;
    let held_back = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(2)); // injected on request only
    let pos = PointOfSale::b2b(ORGANIZER, PointOfSaleId::from_u128(50))
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
    let wrong = story.issue(200, 8, Some(Sold::new(pos.id, &agency, &typo)))?;
    story.inject_with_feedback(wrong, &typo, rule)?;
    println!(
        "   ticket {wrong} -> {typo}, last feedback {}",
        story.last_feedback(wrong)?
    );

    println!(
        "\n== 8. The agency takes it back (B4-B7, B13): the old ticket is invalidated, a new one replaces it"
    );
    let new = TicketId::from_u128(201);
    // Only the B2B contact the ticket was sold to may (B13): not the misspelled email's owner.
    let stranger = story.run(Command::TakeBack(TakeBackTicket {
        contact: ContactKind::Individual,
        ticket: wrong,
        point_of_sale: pos.id,
        actor: typo.clone(),
        new_ticket: new,
        at: story.tick(),
    }));
    match stranger {
        Err(error) => println!("   {typo} tries first: refused: {error}"),
        Ok(_) => return Err("only the ticket's B2B contact may take it back".into()),
    }
    let outcome = story.run(Command::TakeBack(TakeBackTicket {
        contact: ContactKind::Individual,
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
    let other = story.issue(300, 9, Some(Sold::new(pos.id, &agency, &erin)))?;
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
        contact: ContactKind::Individual,
        ticket: other,
        point_of_sale: pos.id,
        actor: agency.clone(),
        new_ticket: TicketId::from_u128(301),
        at: story.tick(),
    }));
    match refused {
        Err(error) => println!("   refused: {error}"),
        Ok(_) => return Err("a downloaded ticket should not be taken back".into()),
    }

    println!("   S360's later release: a point of sale that takes back downloaded tickets (D1-D4)");
    let relay_pos = PointOfSale::b2b(ORGANIZER, PointOfSaleId::from_u128(51))
        .with_mobile_take_back(true)
        .with_take_back_shipment_mode(Some(held_back))
        .with_downloaded_take_back(DownloadedTakeBack::Relay)
        .with_theme(InternetTheme::parse(
            "distribution.list.activateAdvancedView = true",
        )?);
    let unsound = relay_pos.clone().with_mobile_take_back(false);
    for problem in take_back::check_configuration(&unsound, &settings.interface) {
        println!("   checked first, with B1's switch off: {problem}");
    }
    story
        .service
        .create([Record::PointOfSale(relay_pos.clone())])?;
    let frank = Email::parse("frank@example.com")?;
    let phone = story.issue(302, 10, Some(Sold::new(relay_pos.id, &agency, &frank)))?;
    story.inject_with_feedback(phone, &frank, rule)?;
    let downloaded = story.run(Command::Download(DownloadTicket {
        ticket: phone,
        actor: frank,
        at: story.tick(),
    }))?;
    story.record_feedback(&downloaded)?;
    let take_back = |contact, at| TakeBackTicket {
        contact,
        ticket: phone,
        point_of_sale: relay_pos.id,
        actor: agency.clone(),
        new_ticket: TicketId::from_u128(303),
        at,
    };
    match story.run(Command::TakeBack(take_back(
        ContactKind::Individual,
        story.tick(),
    ))) {
        Err(error) => {
            println!("   ticket {phone}, DOWNLOADED, by an individual contact: refused: {error}")
        }
        Ok(_) => return Err("RELAY lets relay contacts only".into()),
    }
    let taken = story.run(Command::TakeBack(take_back(
        ContactKind::Relay,
        story.tick(),
    )))?;
    if let Some(Event::TicketInvalidated {
        reason,
        replaced_by: Some(new),
        ..
    }) = taken
        .events
        .iter()
        .find(|e| matches!(e, Event::TicketInvalidated { .. }))
    {
        println!(
            "   by the agency as a relay contact: ticket {phone} INVALIDATED ({reason}), replaced by {new}; \
             TIXnGO deletes it from the phone (B10)"
        );
    }
    Ok(())
}

/// How S360 sold a ticket: through a point of sale, to a B2B customer's contact, distributed to a
/// contact.
struct Sold {
    pos: PointOfSaleId,
    b2b: Email,
    contact: Email,
}

impl Sold {
    fn new(pos: PointOfSaleId, b2b: &Email, contact: &Email) -> Self {
        Self {
            pos,
            b2b: b2b.clone(),
            contact: contact.clone(),
        }
    }
}

/// The example's shell: a service on an in-memory store, a fake clock, and command ids.
struct Story {
    service: Service<MemoryStore>,
    verbose: bool,
    clock: OffsetDateTime,
    commands: u128,
    last: Option<Request>,
    /// The organizer whose commands the story sends (X7: each sees only its own records).
    organizer: OrganizerId,
    /// The story's first command, for the late retry of chapter 18.
    first: Option<Request>,
}

impl Story {
    fn new() -> Self {
        Self {
            service: Service::new(MemoryStore::new()),
            verbose: true,
            clock: datetime!(2026-11-23 18:00 UTC),
            commands: 0,
            last: None,
            organizer: ORGANIZER,
            first: None,
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

    /// The next request of the story's organizer: the clock advances, the command id is new.
    fn request(&mut self, command: Command) -> Request {
        self.now();
        self.commands += 1;
        let request = Request {
            id: CommandId::from_u128(self.commands),
            organizer: self.organizer,
            command,
        };
        if self.first.is_none() {
            self.first = Some(request.clone());
        }
        request
    }

    fn run(&mut self, command: Command) -> Result<Outcome, secure_ticket::Error> {
        let request = self.request(command);
        let outcome = self.service.execute(&request)?;
        self.last = Some(request); // the last command that went through
        Ok(outcome)
    }

    /// Time passes without a command.
    fn wait(&mut self, time: Duration) {
        self.clock = self.clock.saturating_add(time);
    }

    /// S360 issues a secure mobile ticket (setup, not a rule): optionally sold through a point of
    /// sale to a B2B customer (its contact, who alone may take the ticket back: B13) and
    /// distributed to a contact.
    fn issue(
        &self,
        id: u128,
        right: u128,
        distributed: Option<Sold>,
    ) -> Result<TicketId, Box<dyn Error>> {
        let distribution = match distributed {
            None => Distribution::new(PointOfSaleId::from_u128(1), MOBILE),
            Some(Sold { pos, b2b, contact }) => Distribution::new(pos, MOBILE)
                .with_b2b_contact(b2b)
                .with_cultural_contact(contact),
        };
        let ticket = Ticket::new(
            self.organizer,
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

    /// TIXnGO reports what a wallet command did; S360 records it (I2, I3). The wallet command's
    /// number orders its feedback (I6): the story's commands run one after another.
    fn record_feedback(&mut self, outcome: &Outcome) -> Result<(), Box<dyn Error>> {
        let sequence = u64::try_from(self.commands)?;
        for feedback in injection::feedback_for(sequence, &outcome.events) {
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
            .load(&[RecordKey::Settings(self.organizer)])?;
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

    /// Q2: an email's wallet, read in one consistent read.
    fn show_wallet(&self, email: &Email) -> Result<(), Box<dyn Error>> {
        let wallet = self
            .service
            .wallet(self.organizer, &WalletRequest::first(email.clone(), 100))?;
        println!("   {email}'s wallet:");
        if wallet.tickets.items.is_empty() {
            println!("     no tickets");
        }
        for performance in &wallet.tickets.items {
            let name = performance
                .performance
                .as_ref()
                .map_or("no performance", performance_name);
            let tickets: Vec<String> = performance
                .tickets
                .iter()
                .map(|t| match &t.pending {
                    Some(group) => format!(
                        "{} (pending in group {} to {})",
                        short(t.ticket.id.as_uuid()),
                        short(group.id.as_uuid()),
                        group.recipient
                    ),
                    None => short(t.ticket.id.as_uuid()),
                })
                .collect();
            println!("     {name}: ticket(s) {}", tickets.join(", "));
        }
        for (label, page) in [
            ("outgoing", &wallet.outgoing),
            ("incoming", &wallet.incoming),
        ] {
            let groups: Vec<String> = page
                .items
                .iter()
                .map(|g| {
                    format!(
                        "group {} {} -> {}, {} {}",
                        short(g.id.as_uuid()),
                        g.sender,
                        g.recipient,
                        g.status,
                        g.direction
                    )
                })
                .collect();
            let groups = if groups.is_empty() {
                "none".to_owned()
            } else {
                groups.join("; ")
            };
            println!("     {label}: {groups}");
        }
        Ok(())
    }

    /// Q6: S360's list of a point of sale's tickets, with its "Take Back Possible" column.
    fn show_take_back_column(
        &self,
        pos: PointOfSaleId,
        ticket: TicketId,
    ) -> Result<(), Box<dyn Error>> {
        let page = self.service.tickets_of_point_of_sale(
            self.organizer,
            pos,
            &PageRequest::first(100),
            self.clock,
        )?;
        let possible = page.items.iter().filter(|s| s.take_back.is_ok()).count();
        println!(
            "   S360's list of point of sale {} (Q6): {} tickets, take back possible for {possible}",
            short(pos.as_uuid()),
            page.items.len()
        );
        for standing in page.items.iter().filter(|s| s.ticket.id == ticket) {
            let column = match &standing.take_back {
                Ok(()) => "yes".to_owned(),
                Err(refusal) => format!("no: {}", secure_ticket::Error::from(refusal.clone())),
            };
            println!(
                "     ticket {}, take back possible: {column}",
                short(ticket.as_uuid())
            );
        }
        Ok(())
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

/// Part 3: the system of record (Q1-Q7, F1-F4, X3, X7, X8). The store answers what the two
/// services ask (wallets, histories, S360's lists), keeps every committed event in a feed, and
/// runs S360's feedback interface as a reader of that feed.
fn system_of_record(story: &mut Story) -> Result<(), Box<dyn Error>> {
    story.organizer = THEATRE;
    let alice = Email::parse("alice@example.com")?;
    let bob = Email::parse("bob@example.com")?;
    let carol = Email::parse("carol@example.com")?;
    let agency = Email::parse("tickets@agency.example.com")?;
    let typo = Email::parse("grace@exmaple.com")?;

    println!("\n== 11. A second organizer, a theatre, with its own settings and records (X7)");
    let expire_after = Duration::days(2);
    let acceptance = AcceptanceSettings::automatic().with_expiry(expire_after)?;
    let interface = TixngoInterface::from_custom_parameters([(
        TixngoInterface::RESET_REASONS,
        "MOBILE_TAKE_BACK",
    )])?;
    let premiere = Performance::new(
        THEATRE,
        PerformanceId::from_u128(1),
        datetime!(2026-12-18 20:00 UTC),
        datetime!(2026-12-18 22:30 UTC),
    )?;
    let second_night = Performance::new(
        THEATRE,
        PerformanceId::from_u128(2),
        datetime!(2026-12-19 20:00 UTC),
        datetime!(2026-12-19 22:30 UTC),
    )?;
    let rule = UsageRule::new(THEATRE, UsageRuleId::from_u128(10));
    let pos = PointOfSale::b2b(THEATRE, PointOfSaleId::from_u128(60))
        .with_mobile_take_back(true)
        .with_theme(InternetTheme::parse(
            "distribution.list.activateAdvancedView = true",
        )?);
    let seats = [
        (400, premiere.id),
        (401, premiere.id),
        (402, second_night.id),
        (403, second_night.id),
    ];
    let tickets = seats.map(|(id, performance)| {
        Ticket::new(
            THEATRE,
            TicketId::from_u128(id),
            RightId::from_u128(id),
            Distribution::new(pos.id, MOBILE),
        )
        .with_performance(performance)
    });
    story.service.create(
        [
            Record::Settings(
                OrganizerSettings::new(THEATRE)
                    .with_acceptance(acceptance)
                    .with_interface(interface),
            ),
            Record::UsageRule(rule),
            Record::PointOfSale(pos.clone()),
            Record::Performance(premiere),
            Record::Performance(second_night),
        ]
        .into_iter()
        .chain(tickets.iter().cloned().map(Record::Ticket)),
    )?;
    println!(
        "   organizer {}: transfers complete at the recipient's next sign-in (explicit acceptance: {}), pending ones expire after {} days",
        short(THEATRE.as_uuid()),
        acceptance.explicit_acceptance,
        expire_after.whole_days()
    );
    for performance in [&premiere, &second_night] {
        println!(
            "   {}: {} to {}",
            performance_name(performance),
            when(performance.starts_at)?,
            when(performance.ends_at)?
        );
    }
    for ticket in &tickets {
        story.run(Command::Inject(InjectTicket {
            ticket: ticket.id,
            to: alice.clone(),
            usage_rule: rule.id,
            at: story.tick(),
        }))?;
    }
    println!(
        "   {} tickets injected to {alice}; her wallet, as the wallet app asks for it (Q2):",
        tickets.len()
    );
    story.show_wallet(&alice)?;

    println!(
        "\n== 12. Alice sends ticket 401 to Bob: a PENDING group, outgoing for her, incoming for him"
    );
    let send = story.request(Command::Initiate(InitiateTransfer {
        actor: alice.clone(),
        recipient: bob.clone(),
        tickets: vec![TicketId::from_u128(401)],
        groups: NewGroupIds::single(TransferGroupId::from_u128(0)), // replaced just below
        at: story.clock,
    }));
    // A server mints new ids from the command id, so that a retry mints the same ones (X3).
    let send = with_derived_groups(send);
    story.service.execute(&send)?;
    if let Command::Initiate(command) = &send.command {
        println!(
            "   the group's id {} is derived from command {}: a retry would mint the same one (X3)",
            short(command.groups.forward.as_uuid()),
            short(send.id.as_uuid())
        );
    }
    story.show_wallet(&alice)?;
    story.show_wallet(&bob)?;

    println!(
        "\n== 13. Bob's wallet app signs in: the command names only Bob and the time (Q4, A1)"
    );
    let signed_in = story.run(Command::SignIn(SignIn {
        actor: bob.clone(),
        at: story.tick(),
    }))?;
    for event in &signed_in.events {
        if let Event::TransferAccepted { group, .. } = event {
            println!(
                "   the shell found group {} addressed to Bob and completed it",
                short(group.as_uuid())
            );
        }
    }
    story.show_wallet(&alice)?;
    story.show_wallet(&bob)?;

    println!(
        "\n== 14. Alice sends ticket 402 to Carol, who never signs in; the expiry sweep (Q5, A4)"
    );
    let send = story.request(Command::Initiate(InitiateTransfer {
        actor: alice.clone(),
        recipient: carol.clone(),
        tickets: vec![TicketId::from_u128(402)],
        groups: NewGroupIds::single(TransferGroupId::from_u128(0)),
        at: story.clock,
    }));
    let send = with_derived_groups(send);
    story.service.execute(&send)?;
    let wallet = story
        .service
        .wallet(THEATRE, &WalletRequest::first(alice.clone(), 10))?;
    for group in &wallet.outgoing.items {
        let deadline = group
            .expires_at
            .map_or_else(|| Ok("never".to_owned()), when)?;
        println!(
            "   group {} to {}: {}, expires {deadline}",
            short(group.id.as_uuid()),
            group.recipient,
            group.status
        );
    }
    for hours in [24, 48] {
        story.wait(Duration::hours(24));
        let sweep = story.run(Command::ExpireDue(ExpireDue {
            at: story.tick(),
            limit: 100,
        }))?;
        let expired: Vec<String> = sweep
            .events
            .iter()
            .filter_map(|e| match e {
                Event::TransferExpired { group, sender, .. } => Some(format!(
                    "group {} expired, its ticket is back with {sender}",
                    short(group.as_uuid())
                )),
                _ => None,
            })
            .collect();
        println!(
            "   sweep {hours} hours later, at {}: {}",
            when(story.clock)?,
            if expired.is_empty() {
                "nothing due yet".to_owned()
            } else {
                expired.join("; ")
            }
        );
    }
    println!("   Alice's transfer history, newest first (Q3):");
    let history = story.service.history(
        THEATRE,
        &alice,
        HistoryFilter::Both,
        &PageRequest::first(10),
    )?;
    for group in &history.items {
        println!(
            "     group {}: {} -> {}, {}",
            short(group.id.as_uuid()),
            group.sender,
            group.recipient,
            group.status
        );
    }

    println!("\n== 15. One organizer never reaches another's records (X7)");
    let foreign = Request {
        id: CommandId::from_u128(9_000),
        organizer: ORGANIZER,
        command: Command::Download(DownloadTicket {
            ticket: TicketId::from_u128(400),
            actor: alice.clone(),
            at: story.tick(),
        }),
    };
    match story.service.execute(&foreign) {
        Err(error) => println!(
            "   organizer 1 downloading the theatre's ticket 400: {} ({error})",
            error.code()
        ),
        Ok(_) => return Err("organizer 1 reached organizer 2's ticket".into()),
    }

    println!(
        "\n== 16. S360's feedback interface is a reader of the feed (F1-F4); take back waits for it (B4)"
    );
    let mistyped = Ticket::new(
        THEATRE,
        TicketId::from_u128(410),
        RightId::from_u128(410),
        Distribution::new(pos.id, MOBILE)
            .with_b2b_contact(agency.clone())
            .with_cultural_contact(typo.clone()),
    )
    .with_performance(premiere.id);
    story.service.create([Record::Ticket(mistyped.clone())])?;
    story.run(Command::Inject(InjectTicket {
        ticket: mistyped.id,
        to: typo.clone(),
        usage_rule: rule.id,
        at: story.tick(),
    }))?;
    println!(
        "   ticket 410 injected to {typo}; chapter 7 recorded TIXnGO's feedback by hand, here nobody does yet"
    );
    story.show_take_back_column(pos.id, mistyped.id)?;
    let take_back = |story: &mut Story| {
        let request = story.request(Command::TakeBack(TakeBackTicket {
            contact: ContactKind::Individual,
            ticket: mistyped.id,
            point_of_sale: pos.id,
            actor: agency.clone(),
            new_ticket: TicketId::from_u128(0), // replaced just below
            at: story.clock,
        }));
        with_derived_ticket(request)
    };
    let early = take_back(story);
    let refusal = match story.service.execute(&early) {
        Err(error) => error,
        Ok(_) => return Err("a take back without feedback should be refused".into()),
    };
    println!(
        "   the agency's take back (command {}): refused: {refusal}",
        short(early.id.as_uuid())
    );

    let reader = story
        .service
        .register_reader(THEATRE, FeedbackReader::name())?;
    let feed = story.service.feed_after(THEATRE, Position::START, 1000)?;
    let events: usize = feed.iter().map(|e| e.events.len()).sum();
    println!(
        "   reader {} registered at position {}; the theatre's feed holds {} entries ({events} events), committed with their commands (F1, F2)",
        reader.name,
        reader.position,
        feed.len()
    );
    println!(
        "   the refused take back appended nothing: {}",
        !feed.iter().any(|e| e.command == early.id)
    );
    loop {
        let step = story.service.advance_feedback(THEATRE, 5)?;
        if step.entries == 0 {
            let feed = story.service.feed_after(THEATRE, Position::START, 1000)?;
            println!(
                "   the reader is caught up at position {}; the feed now holds {} entries: the feedback it recorded is in it too, and derives nothing",
                story.service.reader(THEATRE, reader.name)?.position,
                feed.len()
            );
            break;
        }
        let recorded = step.results.iter().filter(|r| r.is_ok()).count();
        println!(
            "   reader step: {} entries read up to position {}, {recorded} feedback(s) recorded in the commit that moved its cursor (F3, F4)",
            step.entries, step.to
        );
    }
    println!(
        "   ticket 410's last feedback is now {}",
        story.last_feedback(mistyped.id)?
    );
    story.show_take_back_column(pos.id, mistyped.id)?;

    // The client retries the refused command; its server stamps a later time on it.
    let mut retry = early.clone();
    if let Command::TakeBack(command) = &mut retry.command {
        command.at = story.tick();
    }
    match story.service.execute(&retry) {
        Err(again) => println!(
            "   the client retries command {} (its server stamps a later time, which the digest leaves out; same digest: {}): the recorded refusal again, {}, same message {} (X3)",
            short(retry.id.as_uuid()),
            retry.digest() == early.digest(),
            again.code(),
            again.to_string() == refusal.to_string()
        ),
        Ok(_) => return Err("a retry of a refused command should get the same refusal".into()),
    }
    let late = take_back(story);
    let taken = story.service.execute(&late)?;
    for event in &taken.events {
        if let Event::TicketInvalidated {
            ticket,
            reason,
            replaced_by: Some(by),
            ..
        } = event
        {
            println!(
                "   a new take back (command {}): ticket {} INVALIDATED ({reason}), replaced by {} (derived from the command id)",
                short(late.id.as_uuid()),
                short(ticket.as_uuid()),
                short(by.as_uuid())
            );
        }
    }

    println!("\n== 17. Every list comes in pages, with a cursor for the next one (Q7)");
    let mut page = PageRequest::first(2);
    for number in 1.. {
        let request = WalletRequest {
            tickets: page.clone(),
            ..WalletRequest::first(alice.clone(), 2)
        };
        let wallet = story.service.wallet(THEATRE, &request)?;
        let tickets: Vec<String> = wallet
            .tickets
            .items
            .iter()
            .flat_map(|p| &p.tickets)
            .map(|t| short(t.ticket.id.as_uuid()))
            .collect();
        match wallet.tickets.next {
            Some(cursor) => {
                println!(
                    "   Alice's tickets, page {number}: {}; next page after cursor {cursor}",
                    tickets.join(", ")
                );
                page = PageRequest::after(cursor, 2);
            }
            None => {
                println!(
                    "   Alice's tickets, page {number}: {}; no cursor, this was the last page",
                    tickets.join(", ")
                );
                break;
            }
        }
    }

    println!("\n== 18. Retention: old command records and fully read feed entries are pruned (X8)");
    let horizon = story.clock.saturating_sub(Duration::hours(24));
    let (mut commands, mut entries) = (0, 0);
    loop {
        let pruned = story.service.prune(horizon, 100)?;
        commands += pruned.commands;
        entries += pruned.feed_entries;
        if !pruned.more {
            break;
        }
    }
    println!(
        "   before {} (24 hours ago): {commands} command records and {entries} feed entries removed, in steps of at most 100",
        when(horizon)?
    );
    let first = story.first.clone().ok_or("no first command")?;
    match story.service.execute(&first) {
        Err(error) => println!(
            "   a late retry of the story's first command (record pruned) runs as a new command: {}, since its first run injected the ticket",
            error.code()
        ),
        Ok(outcome) => println!(
            "   a late retry of the story's first command ran as a new command: {} event(s)",
            outcome.events.len()
        ),
    }
    Ok(())
}

/// Part 4: the organizer's staff and the spectator controls (S, L, K, H, E), for a third
/// organizer, a football club: a staff transfer past the limit, a locked spectator, Keep One, a
/// holder, and the end of the match.
fn back_office(story: &mut Story) -> Result<(), Box<dyn Error>> {
    story.organizer = CLUB;
    let alice = Email::parse("alice@example.com")?;
    let bob = Email::parse("bob@example.com")?;
    let carol = Email::parse("carol@example.com")?;
    let dave = Email::parse("dave@example.com")?;
    let cup_final = Performance::new(
        CLUB,
        PerformanceId::from_u128(30),
        datetime!(2026-11-28 18:00 UTC),
        datetime!(2026-11-28 20:00 UTC),
    )?;
    // U4's defaults (limit 1), and Keep One: a sender keeps one ticket of the match.
    let rule = UsageRule::new(CLUB, UsageRuleId::from_u128(31)).with_keep_one(KeepOne::Enabled);
    let settings = OrganizerSettings::new(CLUB).with_acceptance(AcceptanceSettings::explicit());
    println!(
        "\n== 19. A third organizer, a football club; its settings are checked first (S2, H4)"
    );
    println!(
        "   configuration problems: {} (the default role table lets ADVANCED, TIXNGO_SUPPORT and ADMIN act)",
        settings.check_configuration().len()
    );
    let tickets: Vec<Ticket> = (500..506)
        .map(|id| {
            Ticket::new(
                CLUB,
                TicketId::from_u128(id),
                RightId::from_u128(id),
                Distribution::new(PointOfSaleId::from_u128(70), MOBILE),
            )
            .with_performance(cup_final.id)
        })
        .collect();
    story.service.create(
        [
            Record::Settings(settings),
            Record::UsageRule(rule),
            Record::Performance(cup_final),
        ]
        .into_iter()
        .chain(tickets.iter().cloned().map(Record::Ticket)),
    )?;
    for (ticket, owner) in tickets
        .iter()
        .zip([&alice, &alice, &alice, &dave, &dave, &carol])
    {
        story.run(Command::Inject(InjectTicket {
            ticket: ticket.id,
            to: owner.clone(),
            usage_rule: rule.id,
            at: story.tick(),
        }))?;
    }
    println!(
        "   the cup final, {} to {}: tickets 500-502 to {alice}, 503-504 to {dave}, 505 to {carol}",
        when(cup_final.starts_at)?,
        when(cup_final.ends_at)?
    );

    println!(
        "\n== 20. A staff transfer past the limit, with a reason; it completes at the recipient's sign-in (S1-S9)"
    );
    let (first, second) = (TicketId::from_u128(500), TicketId::from_u128(501));
    story.transfer(first, &alice, &bob, 50)?;
    let refused = story.run(Command::Initiate(InitiateTransfer {
        actor: bob.clone(),
        recipient: carol.clone(),
        tickets: vec![first],
        groups: NewGroupIds::single(TransferGroupId::from_u128(51)),
        at: story.tick(),
    }));
    match refused {
        Err(error) => println!("   Bob sends it on to Carol: refused: {error}"),
        Ok(_) => return Err("the transfer at the limit should have been refused".into()),
    }
    let reason = Reason::parse("seat swap asked at the ticket office")?;
    let by_staff = |role, at| BackOfficeTransfer {
        staff: Staff::new(StaffId::from_u128(7), role),
        reason: reason.clone(),
        recipient: carol.clone(),
        tickets: vec![first],
        groups: vec![TransferGroupId::from_u128(52)],
        at,
    };
    match story.run(Command::BackOfficeTransfer(by_staff(
        StaffRole::Support,
        story.tick(),
    ))) {
        Err(error) => println!("   a SUPPORT account tries: refused: {error}"),
        Ok(_) => return Err("SUPPORT may not transfer".into()),
    }
    let moved = story.run(Command::BackOfficeTransfer(by_staff(
        StaffRole::Advanced,
        story.tick(),
    )))?;
    if let Some(Event::TransferInitiated {
        back_office: Some(by),
        direction,
        ..
    }) = moved.events.first()
    {
        println!(
            "   an ADVANCED account moves it: PENDING {direction}, staff {} ({}), reason \"{}\"",
            short(by.staff.as_uuid()),
            by.role,
            by.reason
        );
    }
    story.run(Command::SignIn(SignIn {
        actor: carol.clone(),
        at: story.tick(),
    }))?;
    println!(
        "   Carol signs in (no acceptance asked, though the club wants explicit ones): owner {}, level {} over a limit of 1",
        story.owner(first)?,
        story.level(first)?
    );

    println!(
        "\n== 21. Staff lock a spectator: no new transfer, no holder, until they unlock them (L1-L3)"
    );
    let staff = Staff::new(StaffId::from_u128(8), StaffRole::TixngoSupport);
    story.run(Command::LockSpectator(LockSpectator {
        staff,
        spectator: dave.clone(),
        reason: Reason::parse("reported for resale above face value")?,
        at: story.tick(),
    }))?;
    match story.run(Command::Initiate(InitiateTransfer {
        actor: dave.clone(),
        recipient: bob.clone(),
        tickets: vec![TicketId::from_u128(503)],
        groups: NewGroupIds::single(TransferGroupId::from_u128(53)),
        at: story.tick(),
    })) {
        Err(error) => println!("   Dave sends ticket 503: refused: {error}"),
        Ok(_) => return Err("a locked spectator may not send".into()),
    }
    match story.run(Command::AssignHolder(AssignHolder {
        ticket: TicketId::from_u128(503),
        actor: dave.clone(),
        holder: TicketHolder {
            first_name: "Dave".into(),
            last_name: "Roe".into(),
            ..TicketHolder::default()
        },
        reason: None,
        at: story.tick(),
    })) {
        Err(error) => println!("   Dave names a holder: refused: {}", error.code()),
        Ok(_) => return Err("a locked spectator may not assign a holder".into()),
    }
    story.run(Command::UnlockSpectator(UnlockSpectator {
        staff,
        spectator: dave.clone(),
        reason: Reason::parse("explained: a gift to a friend")?,
        at: story.tick(),
    }))?;
    story.run(Command::Initiate(InitiateTransfer {
        actor: dave.clone(),
        recipient: bob.clone(),
        tickets: vec![TicketId::from_u128(503)],
        groups: NewGroupIds::single(TransferGroupId::from_u128(54)),
        at: story.tick(),
    }))?;
    println!("   unlocked, Dave sends it: group 54 PENDING for Bob");

    println!("\n== 22. Keep One: a sender keeps one ticket of the match (K2-K4)");
    match story.run(Command::Initiate(InitiateTransfer {
        actor: dave.clone(),
        recipient: carol.clone(),
        tickets: vec![TicketId::from_u128(504)],
        groups: NewGroupIds::single(TransferGroupId::from_u128(55)),
        at: story.tick(),
    })) {
        Err(error) => println!("   Dave sends his last ticket, 504: refused: {error}"),
        Ok(_) => return Err("Keep One should have refused".into()),
    }
    story.run(Command::Initiate(InitiateTransfer {
        actor: alice.clone(),
        recipient: carol.clone(),
        tickets: vec![second],
        groups: NewGroupIds::single(TransferGroupId::from_u128(56)),
        at: story.tick(),
    }))?;
    println!("   Alice sends 501 to Carol: allowed, she keeps 502");

    println!("\n== 23. Carol names the holder of her ticket (H1-H5)");
    let named = story.run(Command::AssignHolder(AssignHolder {
        ticket: TicketId::from_u128(505),
        actor: carol.clone(),
        holder: TicketHolder {
            first_name: "Carol".into(),
            last_name: "Lee".into(),
            ..TicketHolder::default()
        },
        reason: None,
        at: story.tick(),
    }))?;
    let feedback = injection::feedback_for(0, &named.events);
    println!(
        "   holder set; TIXnGO's feedback for S360: {}",
        feedback
            .first()
            .map_or("none".to_owned(), |f| f.status.to_string())
    );

    println!(
        "\n== 24. The match ends: a pending transfer can no longer complete; the sweep expires it (E1)"
    );
    story.wait(Duration::days(4));
    match story.run(Command::Accept(AcceptTransfer {
        group: TransferGroupId::from_u128(56),
        actor: carol.clone(),
        at: story.tick(),
    })) {
        Err(error) => {
            println!("   Carol accepts group 56 after the final whistle: refused: {error}")
        }
        Ok(_) => return Err("an acceptance after the end should be refused".into()),
    }
    let swept = story.run(Command::ExpireDue(ExpireDue {
        at: story.tick(),
        limit: 100,
    }))?;
    let expired = swept
        .events
        .iter()
        .filter(|e| matches!(e, Event::TransferExpired { .. }))
        .count();
    println!(
        "   the sweep: {expired} group(s) EXPIRED (54 and 56: no deadline, but the match is over); ticket 501 is back with {}",
        story.owner(second)?
    );
    Ok(())
}

/// An initiation whose group ids are derived from its command id (X3).
fn with_derived_groups(mut request: Request) -> Request {
    if let Command::Initiate(command) = &mut request.command {
        command.groups = NewGroupIds::derived(request.organizer, request.id);
    }
    request
}

/// A take back whose replacement's id is derived from its command id (X3).
fn with_derived_ticket(mut request: Request) -> Request {
    if let Command::TakeBack(command) = &mut request.command {
        command.new_ticket = TicketId::derived(request.organizer, request.id);
    }
    request
}

/// An id as the story prints it: small ids as their number, derived ones by their first digits.
fn short(id: uuid::Uuid) -> String {
    let n = id.as_u128();
    if n < 1_000_000 {
        n.to_string()
    } else {
        let digits: String = id.simple().to_string().chars().take(8).collect();
        format!("{digits}…")
    }
}

fn when(at: OffsetDateTime) -> Result<String, time::error::Format> {
    at.format(format_description!(
        "[year]-[month]-[day] [hour]:[minute] UTC"
    ))
}

fn performance_name(performance: &Performance) -> &'static str {
    match performance.id.as_uuid().as_u128() {
        1 => "the premiere",
        _ => "the second night",
    }
}
