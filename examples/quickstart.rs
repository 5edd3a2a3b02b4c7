//! A short story in two parts.
//!
//! 1. TIXnGO transfers: a ticket injected to Alice, sent to Bob, returned to Alice under each
//!    "Transfer backward" setting, and a transfer refused at the limit.
//! 2. S360 take back: a ticket injected to a misspelled email, taken back, replaced and injected to
//!    the right contact; and a take back refused once the ticket was downloaded.
//!
//! Run it with `cargo run --example quickstart`.

use std::error::Error;

use secure_ticket::take_back::{self, RedistributeTicket, TakeBackPolicy, TakeBackTicket};
use secure_ticket::transfer::{
    self, AcceptTransfer, InitiateTransfer, NewGroupIds, ReturnToSender, SignIn,
};
use secure_ticket::wallet::{self, DownloadTicket, RequestDeletion};
use secure_ticket::{
    AcceptanceSettings, Decision, Distribution, Email, InternetTheme, PointOfSale, PointOfSaleId,
    RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId, TixngoInterface, TransferBackward,
    TransferGroupId, TransferLimit, UsageRule, UsageRuleId, injection,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

fn main() -> Result<(), Box<dyn Error>> {
    // The shell owns the clock and makes ids; the rules only receive them.
    let start = datetime!(2026-11-23 18:00 UTC);
    let mut clock = Clock(start);
    let alice = Email::parse("Alice@Example.com")?; // normalised to alice@example.com
    let bob = Email::parse("bob@example.com")?;
    let carol = Email::parse("carol@example.com")?;
    let settings = AcceptanceSettings::explicit(); // the organizer wants explicit acceptance (A1)
    let rule = UsageRule::new(UsageRuleId::from_u128(1)).with_max_transfers(TransferLimit::new(3)?);

    println!("== 1. S360 injects a secure mobile ticket to {alice} (I1, W2)");
    let ticket = Ticket::new(
        TicketId::from_u128(100),
        RightId::from_u128(7),
        Distribution::new(
            PointOfSaleId::from_u128(1),
            ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1)),
        ),
    );
    let injected = only_ticket(injection::inject(
        &ticket,
        &injection::InjectTicket {
            ticket: ticket.id,
            to: alice.clone(),
            usage_rule: rule.id,
            at: clock.tick(),
        },
    )?)?;
    show(&injected, &rule);

    println!("\n== 2. Alice sends it to Bob; Bob accepts (T5, T8: FORWARD 0 -> 1)");
    let sent = transfer::initiate(
        std::slice::from_ref(&injected),
        &[rule],
        &settings,
        &InitiateTransfer {
            actor: alice.clone(),
            recipient: bob.clone(),
            tickets: vec![injected.id],
            groups: NewGroupIds::single(TransferGroupId::from_u128(1)),
            at: clock.tick(),
        },
    )?;
    let group = sent.groups.first().ok_or("no group")?;
    println!(
        "   group {} is {} {}, {} -> {}",
        group.id, group.status, group.direction, group.sender, group.recipient
    );
    let accepted = transfer::accept(
        group,
        &sent.tickets,
        &[rule],
        &AcceptTransfer {
            group: group.id,
            actor: bob.clone(),
            at: clock.tick(),
        },
    )?;
    let with_bob = only_ticket(accepted)?;
    show(&with_bob, &rule);

    println!(
        "\n== 3. Bob returns it to Alice, once under each \"Transfer backward\" setting (T8, T11)"
    );
    for (group_id, backward) in [
        (TransferGroupId::from_u128(10), TransferBackward::Neutral),
        (TransferGroupId::from_u128(11), TransferBackward::Decrease),
        (TransferGroupId::from_u128(12), TransferBackward::Increase),
    ] {
        let rule = rule.with_transfer_backward(backward);
        let returned = transfer::return_to_sender(
            std::slice::from_ref(&with_bob),
            &[rule],
            &settings,
            &ReturnToSender {
                ticket: with_bob.id,
                actor: bob.clone(),
                group: group_id,
                at: clock.tick(),
            },
        )?;
        // BACKWARD groups need no explicit acceptance (A2): Alice's next sign-in completes it.
        let done = transfer::complete_on_sign_in(
            &returned.groups,
            &returned.tickets,
            &[rule],
            &SignIn {
                actor: alice.clone(),
                at: clock.tick(),
            },
        )?;
        let back = only_ticket(done)?;
        let (before, after) = (level(&with_bob), level(&back));
        println!(
            "   {backward:<8}: level {before} -> {after}, current owner {}",
            owner(&back)
        );
    }

    println!("\n== 4. A usage rule with a limit of 1: Bob may not pass it on (T2)");
    let strict = rule.with_max_transfers(TransferLimit::MIN);
    let refused = transfer::initiate(
        std::slice::from_ref(&with_bob),
        &[strict],
        &settings,
        &InitiateTransfer {
            actor: bob.clone(),
            recipient: carol,
            tickets: vec![with_bob.id],
            groups: NewGroupIds::single(TransferGroupId::from_u128(20)),
            at: clock.tick(),
        },
    );
    match refused {
        Err(error) => println!("   refused: {error}"),
        Ok(_) => return Err("the transfer at the limit should have been refused".into()),
    }
    println!(
        "   the ticket is unchanged: still Bob's, level {}",
        level(&with_bob)
    );

    take_back_story(&mut clock, rule)
}

/// Part 2: S360's take back of a mobile ticket injected to the wrong email (B1-B11, I1-I4).
fn take_back_story(clock: &mut Clock, rule: UsageRule) -> Result<(), Box<dyn Error>> {
    let agency = Email::parse("tickets@agency.example.com")?; // the B2B customer's contact
    let typo = Email::parse("dave@exmaple.com")?;
    let dave = Email::parse("dave@example.com")?;
    let mobile = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1));
    let held_back = ShipmentMode::secure_mobile(ShipmentModeId::from_u128(2)); // injected on request only
    let pos = PointOfSale::b2b(PointOfSaleId::from_u128(50))
        .with_mobile_take_back(true)
        .with_take_back_shipment_mode(Some(held_back))
        .with_theme(InternetTheme::parse(
            "distribution.list.activateAdvancedView = true",
        )?);

    println!(
        "\n== 5. S360 checks the take-back configuration before anyone uses it (B1, B2, B8, B9)"
    );
    for problem in take_back::check_configuration(&pos, &TixngoInterface::default()) {
        println!("   problem: {problem}");
    }
    let interface = TixngoInterface::from_custom_parameters([(
        TixngoInterface::RESET_REASONS,
        "MOBILE_TAKE_BACK",
    )])?;
    let problems = take_back::check_configuration(&pos, &interface);
    println!(
        "   with resetInjectionInvalidationReasons = MOBILE_TAKE_BACK: {} problem(s)",
        problems.len()
    );

    println!(
        "\n== 6. A ticket is injected to a misspelled email; TIXnGO's feedback says INJECTED (I1-I3)"
    );
    let ticket = Ticket::new(
        TicketId::from_u128(200),
        RightId::from_u128(8),
        Distribution::new(pos.id, mobile).with_cultural_contact(typo.clone()),
    );
    let ticket = inject_with_feedback(&ticket, None, &interface, rule, clock.tick())?;
    println!(
        "   ticket {} -> {typo}, last feedback {}",
        ticket.id,
        last_feedback(&ticket)
    );

    println!(
        "\n== 7. The agency takes it back (B4-B7): the old ticket is invalidated, a new one replaces it"
    );
    let taken = take_back::take_back(
        &ticket,
        &pos,
        &interface,
        &TakeBackPolicy::default(),
        &TakeBackTicket {
            ticket: ticket.id,
            point_of_sale: pos.id,
            actor: agency.clone(),
            new_ticket: TicketId::from_u128(201),
            at: clock.tick(),
        },
    )?;
    let [old, new] =
        <[Ticket; 2]>::try_from(taken.tickets).map_err(|_| "a take back returns two tickets")?;
    if let Some(invalidation) = &old.distribution.invalidation {
        println!(
            "   ticket {}: INVALIDATED ({}), replaced by {}",
            old.id, invalidation.reason, new.id
        );
    }
    println!(
        "   ticket {}: valid, not injected, shipment mode {}, held by {agency}",
        new.id, new.distribution.shipment_mode.id
    );
    let pushed = only_ticket(wallet::request_deletion(
        &old,
        &RequestDeletion {
            ticket: old.id,
            at: clock.tick(),
        },
    )?)?;
    println!(
        "   the invalidated ticket is pushed to TIXnGO (B10): {}",
        status(&pushed)
    );

    println!(
        "\n== 8. The agency redistributes the new ticket to {dave}, and S360 injects it (B8, I1)"
    );
    let redistributed = only_ticket(take_back::redistribute(
        &new,
        &pos,
        &RedistributeTicket {
            ticket: new.id,
            point_of_sale: pos.id,
            actor: agency.clone(),
            to: dave,
            at: clock.tick(),
        },
    )?)?;
    let target = interface.injection_target(&redistributed, Some(&pushed))?;
    println!("   injection target: {target:?}");
    let injected = inject_with_feedback(
        &redistributed,
        Some(&pushed),
        &interface,
        rule,
        clock.tick(),
    )?;
    let valid = [&pushed, &injected].iter().filter(|t| t.is_valid()).count();
    println!(
        "   ticket {} is in {}'s wallet",
        injected.id,
        owner(&injected)
    );
    println!(
        "   valid tickets for right {}: {valid} (B11)",
        injected.right
    );

    println!("\n== 9. Once downloaded, a ticket can no longer be taken back (B4)");
    let erin = Email::parse("erin@example.com")?;
    let other = Ticket::new(
        TicketId::from_u128(300),
        RightId::from_u128(9),
        Distribution::new(pos.id, mobile).with_cultural_contact(erin.clone()),
    );
    let other = inject_with_feedback(&other, None, &interface, rule, clock.tick())?;
    let downloaded = wallet::download(
        &other,
        &DownloadTicket {
            ticket: other.id,
            actor: erin,
            at: clock.tick(),
        },
    )?;
    let other = record_all(only_ticket(downloaded.clone())?, &downloaded)?;
    println!(
        "   last feedback of ticket {}: {}",
        other.id,
        last_feedback(&other)
    );
    let refused = take_back::take_back(
        &other,
        &pos,
        &interface,
        &TakeBackPolicy::default(),
        &TakeBackTicket {
            ticket: other.id,
            point_of_sale: pos.id,
            actor: agency,
            new_ticket: TicketId::from_u128(301),
            at: clock.tick(),
        },
    );
    match refused {
        Err(error) => println!("   refused: {error}"),
        Ok(_) => return Err("a downloaded ticket should not be taken back".into()),
    }
    Ok(())
}

/// Injects a ticket to the contact B8 says, then records the feedback TIXnGO sends back.
fn inject_with_feedback(
    ticket: &Ticket,
    predecessor: Option<&Ticket>,
    interface: &TixngoInterface,
    rule: UsageRule,
    at: OffsetDateTime,
) -> Result<Ticket, Box<dyn Error>> {
    let to = interface
        .injection_target(ticket, predecessor)?
        .email()
        .clone();
    let decision = injection::inject(
        ticket,
        &injection::InjectTicket {
            ticket: ticket.id,
            to,
            usage_rule: rule.id,
            at,
        },
    )?;
    record_all(only_ticket(decision.clone())?, &decision)
}

/// S360 records every feedback a wallet decision produces (I2, I3).
fn record_all(mut ticket: Ticket, decision: &Decision) -> Result<Ticket, Box<dyn Error>> {
    let id = ticket.id;
    for feedback in injection::feedback_for(&decision.events)
        .iter()
        .filter(|f| f.ticket == id)
    {
        if let Some(updated) = injection::record_feedback(&ticket, feedback)?
            .tickets
            .into_iter()
            .next()
        {
            ticket = updated;
        }
    }
    Ok(ticket)
}

fn last_feedback(ticket: &Ticket) -> String {
    ticket
        .distribution
        .last_feedback
        .map_or_else(|| "none".to_owned(), |f| f.status.to_string())
}

fn status(ticket: &Ticket) -> String {
    ticket
        .wallet_status()
        .map_or_else(|| "not injected".to_owned(), |s| s.to_string())
}

/// A fake clock that advances one minute per call: the example stays reproducible.
struct Clock(OffsetDateTime);

impl Clock {
    fn tick(&mut self) -> OffsetDateTime {
        self.0 = self.0.saturating_add(Duration::minutes(1));
        self.0
    }
}

fn only_ticket(decision: Decision) -> Result<Ticket, Box<dyn Error>> {
    Ok(decision
        .tickets
        .into_iter()
        .next()
        .ok_or("the decision holds no ticket")?)
}

fn level(ticket: &Ticket) -> u16 {
    ticket.wallet.as_ref().map_or(0, |w| w.level)
}

fn owner(ticket: &Ticket) -> String {
    ticket
        .wallet
        .as_ref()
        .map_or_else(|| "-".to_owned(), |w| w.owners.current.to_string())
}

fn show(ticket: &Ticket, rule: &UsageRule) {
    if let Some(w) = &ticket.wallet {
        let previous = w
            .owners
            .previous
            .as_ref()
            .map_or_else(|| "-".to_owned(), ToString::to_string);
        println!(
            "   ticket {}: {} | owners initial {} / previous {} / current {} | level {} of {}",
            ticket.id,
            w.status(),
            w.owners.initial,
            previous,
            w.owners.current,
            w.level,
            rule.max_transfers
        );
    }
}
