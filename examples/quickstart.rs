//! A short story of one ticket: injected to Alice, sent to Bob, returned to Alice under each
//! "Transfer backward" setting, and a transfer refused at the limit.
//!
//! Run it with `cargo run --example quickstart`.

use std::error::Error;

use secure_ticket::transfer::{
    self, AcceptTransfer, InitiateTransfer, NewGroupIds, ReturnToSender, SignIn,
};
use secure_ticket::{
    AcceptanceSettings, Decision, Distribution, Email, PointOfSaleId, RightId, ShipmentMode,
    ShipmentModeId, Ticket, TicketId, TransferBackward, TransferGroupId, TransferLimit, UsageRule,
    UsageRuleId, injection,
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
    Ok(())
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
