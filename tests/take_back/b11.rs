//! At most one valid ticket per right, whatever happens; take back never loses or duplicates one
//! (SPEC B11).

use std::collections::BTreeMap;

use proptest::prelude::*;
use secure_ticket::injection::{self, InjectError, InjectTicket};
use secure_ticket::take_back::{self, RedistributeTicket, TakeBackError};
use secure_ticket::transfer::{
    self, AcceptTransfer, CancelTransfer, DeclineTransfer, InitiateTransfer, NewGroupIds, SignIn,
    TransferGroup, TransferStatus,
};
use secure_ticket::wallet::{self, CompleteDeletion, DownloadTicket, RequestDeletion};
use secure_ticket::{
    AcceptanceSettings, Decision, Email, Feedback, InjectionTarget, InvalidationReason,
    LifecycleStatus, Ticket, TicketId, TransferGroupId, WalletStatus,
};
use time::OffsetDateTime;

use crate::common::*;

/// S360's and TIXnGO's records of every ticket and group, plus the feedback TIXnGO has sent and
/// S360 has not recorded yet.
#[derive(Debug, Default)]
struct World {
    tickets: BTreeMap<TicketId, Ticket>,
    groups: BTreeMap<TransferGroupId, TransferGroup>,
    undelivered: Vec<Feedback>,
}

impl World {
    fn with(ticket: Ticket) -> Self {
        let mut world = Self::default();
        world.tickets.insert(ticket.id, ticket);
        world
    }

    fn ticket(&self, id: TicketId) -> &Ticket {
        &self.tickets[&id]
    }

    fn all(&self) -> Vec<Ticket> {
        self.tickets.values().cloned().collect()
    }

    /// Stores the decision's records; its feedback waits until [`World::deliver`].
    fn apply(&mut self, decision: &Decision) {
        for ticket in &decision.tickets {
            self.tickets.insert(ticket.id, ticket.clone());
        }
        for group in &decision.groups {
            self.groups.insert(group.id, group.clone());
        }
        self.undelivered.extend(feedback_of(&decision.events));
    }

    /// S360 records the waiting feedback at `index` (any order: batches arrive out of order).
    fn deliver_one(&mut self, index: usize) {
        let feedback = self.undelivered.remove(index);
        let ticket = self.ticket(feedback.ticket).clone();
        let recorded = injection::record_feedback(&ticket, &feedback).unwrap();
        self.apply_s360(&recorded);
    }

    /// S360 records every waiting feedback, oldest first.
    fn deliver(&mut self) {
        self.undelivered.sort_by_key(|f| f.at);
        while !self.undelivered.is_empty() {
            self.deliver_one(0);
        }
    }

    /// Stores an S360 decision (no feedback comes of it).
    fn apply_s360(&mut self, decision: &Decision) {
        assert!(feedback_of(&decision.events).is_empty());
        self.apply(decision);
    }

    /// B11 on every right: exactly one valid ticket (never lost, never duplicated); every
    /// invalidated ticket points to a replacement that points back, and following replacements
    /// leads to the valid one.
    fn check_b11(&self) {
        let mut rights = BTreeMap::<_, Vec<&Ticket>>::new();
        for ticket in self.tickets.values() {
            rights.entry(ticket.right).or_default().push(ticket);
        }
        for (right, tickets) in rights {
            let valid: Vec<TicketId> = tickets
                .iter()
                .filter(|t| t.is_valid())
                .map(|t| t.id)
                .collect();
            assert_eq!(valid.len(), 1, "right {right}: valid tickets {valid:?}");
            for ticket in tickets.iter().filter(|t| !t.is_valid()) {
                let mut current = *ticket;
                let mut steps = 0;
                while let Some(invalidation) = &current.distribution.invalidation {
                    let next = invalidation.replaced_by.unwrap_or_else(|| {
                        panic!("ticket {} is invalidated without replacement", current.id)
                    });
                    let replacement = self.ticket(next);
                    assert_eq!(replacement.distribution.replaces, Some(current.id));
                    assert_eq!(replacement.right, right);
                    current = replacement;
                    steps += 1;
                    assert!(
                        steps <= self.tickets.len(),
                        "replacement cycle at {}",
                        ticket.id
                    );
                }
                assert_eq!(Some(&current.id), valid.first());
            }
        }
    }
}

fn owner(ticket: &Ticket) -> Email {
    ticket.wallet.as_ref().unwrap().owners.current.clone()
}

/// S360 injects a ticket to the contact B8 says.
fn inject_to_target(world: &World, id: TicketId, when: OffsetDateTime) -> Result<Decision, String> {
    let ticket = world.ticket(id);
    let predecessor = ticket.distribution.replaces.map(|p| world.ticket(p));
    let target = interface()
        .injection_target(ticket, predecessor)
        .map_err(|e| e.to_string())?;
    injection::inject(
        ticket,
        &InjectTicket {
            ticket: id,
            to: target.email().clone(),
            usage_rule: RULE,
            at: when,
        },
    )
    .map_err(|e| e.to_string())
}

fn send(world: &World, id: TicketId, to: &Email, group: u128, when: OffsetDateTime) -> Decision {
    transfer::initiate(
        &world.all(),
        &transfer::Context::new(&[rule()]).with_settings(AcceptanceSettings::explicit()),
        &InitiateTransfer {
            actor: owner(world.ticket(id)),
            recipient: to.clone(),
            tickets: vec![id],
            groups: NewGroupIds::single(gid(group)),
            at: when,
        },
    )
    .unwrap()
}

fn accepted(world: &World, group: u128, when: OffsetDateTime) -> Decision {
    let group = &world.groups[&gid(group)];
    transfer::accept(
        group,
        &world.all(),
        &[rule()],
        &AcceptTransfer {
            group: group.id,
            actor: group.recipient.clone(),
            at: when,
        },
    )
    .unwrap()
}

#[test]
fn b11_take_back_story_keeps_one_valid_ticket_per_right() {
    let mut world = World::with(issued(OLD, MOBILE));
    world.check_b11();

    // Injection to the misspelled email; S360 hears INJECTED.
    world.apply(&inject_to_target(&world, OLD, at(1)).unwrap());
    world.deliver();
    world.check_b11();
    assert_eq!(owner(world.ticket(OLD)), typo());

    // Whoever reads the misspelled mailbox sends the ticket around; the feedback interface has
    // not run since, so S360 still knows INJECTED only.
    world.apply(&send(&world, OLD, &bob(), 1, at(2)));
    world.check_b11();
    let declined = transfer::decline(
        &world.groups[&gid(1)],
        &world.all(),
        &DeclineTransfer {
            group: gid(1),
            actor: bob(),
            at: at(3),
        },
    )
    .unwrap();
    world.apply(&declined);
    world.check_b11();
    world.apply(&send(&world, OLD, &erin(), 2, at(4)));
    world.check_b11();
    assert_eq!(
        world
            .ticket(OLD)
            .distribution
            .last_feedback
            .map(|f| f.status),
        Some(LifecycleStatus::Injected)
    );

    // B12: the wallet facet, in the same record, shows the pending transfer that the feedback
    // has not reported yet: the take back waits until the transfer has ended.
    assert_eq!(
        take_back::take_back(
            world.ticket(OLD),
            &pos(),
            &interface(),
            &policy(),
            &take_back_command(OLD, NEW, at(5)),
        ),
        Err(TakeBackError::NoLongerInjected {
            ticket: OLD,
            status: LifecycleStatus::PendingTransfer
        })
    );
    let cancelled = transfer::cancel(
        &world.groups[&gid(2)],
        &world.all(),
        &CancelTransfer {
            group: gid(2),
            actor: typo(),
            at: at(4),
        },
    )
    .unwrap();
    world.apply(&cancelled);
    world.check_b11();

    // The agency takes it back (B7).
    let taken = take_back::take_back(
        world.ticket(OLD),
        &pos(),
        &interface(),
        &policy(),
        &take_back_command(OLD, NEW, at(5)),
    )
    .unwrap();
    world.apply_s360(&taken);
    world.check_b11();
    assert!(!world.ticket(OLD).is_valid());
    assert!(world.ticket(NEW).is_valid());

    // A second take back of the old ticket, and injecting it, are refused.
    assert_eq!(
        take_back::take_back(
            world.ticket(OLD),
            &pos(),
            &interface(),
            &policy(),
            &take_back_command(OLD, tid(202), at(6)),
        ),
        Err(TakeBackError::TicketInvalidated {
            ticket: OLD,
            reason: InvalidationReason::MobileTakeBack
        })
    );
    assert_eq!(
        injection::inject(
            world.ticket(OLD),
            &InjectTicket {
                ticket: OLD,
                to: dave(),
                usage_rule: RULE,
                at: at(6)
            }
        ),
        Err(InjectError::TicketInvalidated {
            ticket: OLD,
            reason: InvalidationReason::MobileTakeBack
        })
    );

    // The deletion push (B10).
    let requested = wallet::request_deletion(
        world.ticket(OLD),
        &RequestDeletion {
            ticket: OLD,
            at: at(6),
        },
    )
    .unwrap();
    world.apply(&requested);
    world.check_b11();
    let deleted = wallet::complete_deletion(
        world.ticket(OLD),
        &CompleteDeletion {
            ticket: OLD,
            at: at(8),
        },
    )
    .unwrap();
    world.apply(&deleted);
    world.check_b11();

    // The late feedback batch reaches S360, out of order.
    while !world.undelivered.is_empty() {
        let last = world.undelivered.len() - 1;
        world.deliver_one(last);
        world.check_b11();
    }
    assert_eq!(
        world.ticket(OLD).wallet_status(),
        Some(WalletStatus::Deleted)
    );
    assert_eq!(
        world
            .ticket(OLD)
            .distribution
            .last_feedback
            .map(|f| f.status),
        Some(LifecycleStatus::Deleted)
    );

    // Redistribution and injection of the replacement to the right person (B8, I1).
    let redistributed = take_back::redistribute(
        world.ticket(NEW),
        &pos(),
        &RedistributeTicket {
            ticket: NEW,
            point_of_sale: POS,
            actor: agency(),
            to: dave(),
            at: at(9),
        },
    )
    .unwrap();
    world.apply_s360(&redistributed);
    world.check_b11();
    assert_eq!(
        interface().injection_target(world.ticket(NEW), Some(world.ticket(OLD))),
        Ok(InjectionTarget::CulturalContact(dave()))
    );
    world.apply(&inject_to_target(&world, NEW, at(10)).unwrap());
    world.deliver();
    world.check_b11();
    assert_eq!(owner(world.ticket(NEW)), dave());

    // The replacement lives its own life: dave -> erin -> frank, then back to erin.
    world.apply(&send(&world, NEW, &erin(), 3, at(11)));
    world.check_b11();
    world.apply(&accepted(&world, 3, at(12)));
    world.deliver();
    world.check_b11();
    world.apply(&send(&world, NEW, &frank(), 4, at(13)));
    world.check_b11();
    world.apply(&accepted(&world, 4, at(14)));
    world.deliver();
    world.check_b11();
    let returned = transfer::return_to_sender(
        &world.all(),
        &transfer::Context::new(&[rule()]).with_settings(AcceptanceSettings::explicit()),
        &transfer::ReturnToSender {
            ticket: NEW,
            actor: frank(),
            group: gid(5),
            at: at(15),
        },
    )
    .unwrap();
    world.apply(&returned);
    world.check_b11();
    let groups: Vec<TransferGroup> = world.groups.values().cloned().collect();
    let signed_in = transfer::complete_on_sign_in(
        &groups,
        &world.all(),
        &[rule()],
        &SignIn {
            actor: erin(),
            at: at(16),
        },
    )
    .unwrap();
    world.apply(&signed_in);
    world.deliver();
    world.check_b11();

    let new = world.ticket(NEW);
    assert_eq!(owner(new), erin());
    assert_eq!(new.distribution.cultural_contact, Some(erin()));
    assert_eq!(world.groups[&gid(5)].status, TransferStatus::Accepted);
    // Transferred, the replacement can no longer be taken back (B4), and the old one still cannot.
    assert_eq!(
        take_back::take_back(
            new,
            &pos(),
            &interface(),
            &policy(),
            &take_back_command(NEW, tid(202), at(17)),
        ),
        Err(TakeBackError::NoLongerInjected {
            ticket: NEW,
            status: LifecycleStatus::Transferred
        })
    );
    assert_eq!(world.tickets.len(), 2);
}

#[test]
fn b11_a_second_take_back_of_the_invalidated_ticket_is_refused() {
    let (old, new) = taken_back(&injected(), NEW, at(5));
    let again = |actor| take_back::TakeBackTicket {
        actor,
        ..take_back_command(OLD, tid(202), at(6))
    };
    assert_eq!(
        take_back::take_back(&old, &pos(), &interface(), &policy(), &again(agency())),
        Err(TakeBackError::TicketInvalidated {
            ticket: OLD,
            reason: InvalidationReason::MobileTakeBack
        })
    );
    // Anyone else is refused as such (B13), before learning that the ticket is invalidated.
    assert_eq!(
        take_back::take_back(&old, &pos(), &interface(), &policy(), &again(dave())),
        Err(TakeBackError::NotB2bContact {
            ticket: OLD,
            actor: dave()
        })
    );
    let mut world = World::with(old);
    world.tickets.insert(NEW, new);
    world.check_b11();
}

#[test]
fn b11_the_invalidated_ticket_cannot_be_injected_again() {
    let (old, _) = taken_back(&injected(), NEW, at(5));
    // Even once it is out of the wallet, in case S360 were to re-send it.
    let mut out_of_wallet = old.clone();
    out_of_wallet.wallet = None;
    for ticket in [old, out_of_wallet] {
        assert_eq!(
            injection::inject(
                &ticket,
                &InjectTicket {
                    ticket: OLD,
                    to: dave(),
                    usage_rule: RULE,
                    at: at(6)
                }
            ),
            Err(InjectError::TicketInvalidated {
                ticket: OLD,
                reason: InvalidationReason::MobileTakeBack
            })
        );
    }
}

#[test]
fn b11_a_regular_take_back_keeps_the_same_ticket() {
    let ticket = issued(tid(300), PRINT);
    let decision = take_back::take_back(
        &ticket,
        &pos(),
        &interface(),
        &policy(),
        &take_back_command(tid(300), NEW, at(5)),
    )
    .unwrap();
    let mut world = World::with(ticket);
    world.apply_s360(&decision);
    world.check_b11();
    assert_eq!(world.tickets.len(), 1);
    assert!(!world.tickets.contains_key(&NEW));
}

/// One step of the random walk: (kind, a, b), read against the world as it is.
type Step = (u8, u8, u8);

fn people() -> [Email; 5] {
    [typo(), dave(), erin(), frank(), bob()]
}

/// Runs one step; refusals are fine (and leave the world as it was), successes are stored.
fn step(world: &mut World, (kind, a, b): Step, minute: i64, next_id: &mut u128) {
    let when = at(minute);
    let ids: Vec<TicketId> = world.tickets.keys().copied().collect();
    let id = ids[usize::from(a) % ids.len()];
    let ticket = world.ticket(id).clone();
    let person = people()[usize::from(b) % people().len()].clone();
    let pending: Vec<TransferGroup> = world
        .groups
        .values()
        .filter(|g| g.is_pending())
        .cloned()
        .collect();
    let group = (!pending.is_empty()).then(|| pending[usize::from(a) % pending.len()].clone());
    let before: Vec<Vec<u8>> = world.tickets.values().map(json).collect();
    // Injection, feedback delivery and take back come up more often than the other steps.
    let kind = match kind % 16 {
        11 => 0,
        12 | 13 => 1,
        14 | 15 => 2,
        other => other,
    };
    let decision: Option<Decision> = match kind {
        0 => inject_to_target(world, id, when).ok(),
        1 => {
            if !world.undelivered.is_empty() {
                let index = usize::from(b) % world.undelivered.len();
                world.deliver_one(index);
            }
            None
        }
        2 => {
            *next_id += 1;
            let command = take_back_command(id, tid(*next_id), when);
            take_back::take_back(&ticket, &pos(), &interface(), &policy(), &command).ok()
        }
        3 => ticket.wallet.as_ref().and_then(|w| {
            let command = DownloadTicket {
                ticket: id,
                actor: w.owners.current.clone(),
                at: when,
            };
            wallet::download(&ticket, &command).ok()
        }),
        4 => ticket.wallet.as_ref().and_then(|w| {
            *next_id += 1;
            let command = InitiateTransfer {
                actor: w.owners.current.clone(),
                recipient: person.clone(),
                tickets: vec![id],
                groups: NewGroupIds::single(gid(*next_id)),
                at: when,
            };
            transfer::initiate(
                &world.all(),
                &transfer::Context::new(&[rule()]).with_settings(AcceptanceSettings::explicit()),
                &command,
            )
            .ok()
        }),
        5 => group.and_then(|g| {
            let command = AcceptTransfer {
                group: g.id,
                actor: g.recipient.clone(),
                at: when,
            };
            transfer::accept(&g, &world.all(), &[rule()], &command).ok()
        }),
        6 => group.and_then(|g| {
            let command = CancelTransfer {
                group: g.id,
                actor: g.sender.clone(),
                at: when,
            };
            transfer::cancel(&g, &world.all(), &command).ok()
        }),
        7 => wallet::request_deletion(
            &ticket,
            &RequestDeletion {
                ticket: id,
                at: when,
            },
        )
        .ok(),
        8 => wallet::complete_deletion(
            &ticket,
            &CompleteDeletion {
                ticket: id,
                at: when,
            },
        )
        .ok(),
        9 => {
            let command = RedistributeTicket {
                ticket: id,
                point_of_sale: POS,
                actor: ticket
                    .distribution
                    .cultural_contact
                    .clone()
                    .unwrap_or_else(agency),
                to: person,
                at: when,
            };
            take_back::redistribute(&ticket, &pos(), &command).ok()
        }
        _ => group.and_then(|g| {
            let command = DeclineTransfer {
                group: g.id,
                actor: g.recipient.clone(),
                at: when,
            };
            transfer::decline(&g, &world.all(), &command).ok()
        }),
    };
    match decision {
        Some(decision) => world.apply(&decision),
        None if kind != 1 => {
            let after: Vec<Vec<u8>> = world.tickets.values().map(json).collect();
            assert_eq!(before, after, "a refused step changed the world");
        }
        None => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn b11_any_sequence_of_steps_keeps_one_valid_ticket_per_right(
        steps in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 1..60)
    ) {
        let mut world = World::with(issued(OLD, MOBILE));
        let mut next_id = 1_000;
        for (minute, one) in (1_i64..).zip(steps) {
            step(&mut world, one, minute, &mut next_id);
            world.check_b11();
        }
    }
}
