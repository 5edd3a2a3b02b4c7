//! F1-F4: the feed, its named readers, and the S360 feedback interface as one of them; X8.

use std::sync::Arc;
use std::thread;

use secure_ticket::feed::{FeedEntry, Position, ReaderName};
use secure_ticket::service::{Command, Execution, FeedbackReader, Request, Service, Step};
use secure_ticket::store::{MemoryStore, ReaderKey, Store, StoreError};
use secure_ticket::take_back::TakeBackTicket;
use secure_ticket::wallet::DownloadTicket;
use secure_ticket::{AcceptanceSettings, CommandId, Error, Event, LastFeedback, LifecycleStatus};
use time::Duration;

use crate::common::*;

fn whole_feed(service: &Service<MemoryStore>) -> Vec<FeedEntry> {
    let mut out: Vec<FeedEntry> = Vec::new();
    loop {
        let after = out.last().map_or(Position::START, |e| e.position);
        let page = service.feed_after(ORG, after, 2).unwrap();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// S360's last feedback on ticket `n`.
fn last_feedback(service: &Service<MemoryStore>, n: u128) -> Option<LastFeedback> {
    service
        .ticket(tid(n))
        .unwrap()
        .unwrap()
        .value
        .distribution
        .last_feedback
}

#[test]
fn f1_each_accepted_command_appends_its_events_in_its_commit_and_a_refused_one_nothing() {
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), None);
    let sent = send(&service, 10, &alice(), &bob(), &[1], at(1)).unwrap();
    assert!(send(&service, 11, &carol(), &bob(), &[1], at(2)).is_err());
    let retry = send(&service, 10, &alice(), &bob(), &[1], at(3)).unwrap();
    assert!(retry.replayed);
    let feed = whole_feed(&service);
    let commands: Vec<u128> = feed.iter().map(|e| e.command.as_uuid().as_u128()).collect();
    assert_eq!(
        commands,
        [1001, 10],
        "one entry per accepted command, none for the refusal or the retry"
    );
    assert_eq!(feed[1].events, sent.events);
    assert!(feed[0].position < feed[1].position);
}

#[test]
fn f1_the_outcome_and_the_feed_entry_share_one_list_of_events() {
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), None);
    let sent = send(&service, 10, &alice(), &bob(), &[1], at(1)).unwrap();
    let feed = whole_feed(&service);
    let entry = feed
        .iter()
        .find(|e| e.command == CommandId::from_u128(10))
        .unwrap();
    assert!(matches!(sent.events[0], Event::TransferInitiated { .. }));
    assert_eq!(entry.events, sent.events);
    assert!(
        std::ptr::eq(entry.events.as_slice(), sent.events.as_slice()),
        "the feed entry holds the outcome's list, not a copy"
    );
    let retry = send(&service, 10, &alice(), &bob(), &[1], at(2)).unwrap();
    assert!(retry.replayed);
    assert!(std::ptr::eq(
        retry.events.as_slice(),
        sent.events.as_slice()
    ));
}

#[test]
fn f2_concurrent_writers_and_a_reader_see_every_event_exactly_once_in_position_order() {
    let service = Arc::new(world(AcceptanceSettings::explicit()));
    for n in 1..=40 {
        inject(&service, n, &alice(), None);
    }
    let writers: Vec<_> = (0..4u128)
        .map(|w| {
            let service = Arc::clone(&service);
            thread::spawn(move || {
                for k in 0..10u128 {
                    let n = w * 10 + k + 1;
                    let request = req(
                        5000 + n,
                        Command::Download(DownloadTicket {
                            ticket: tid(n),
                            actor: alice(),
                            at: at(1),
                        }),
                    );
                    service.execute(&request).unwrap();
                }
            })
        })
        .collect();
    let mut read: Vec<FeedEntry> = Vec::new();
    let mut done = false;
    while !done {
        done = writers.iter().all(thread::JoinHandle::is_finished);
        let after = read.last().map_or(Position::START, |e| e.position);
        read.extend(service.feed_after(ORG, after, 7).unwrap());
    }
    for writer in writers {
        writer.join().unwrap();
    }
    let after = read.last().map_or(Position::START, |e| e.position);
    read.extend(service.feed_after(ORG, after, 1000).unwrap());
    assert_eq!(read.len(), 80, "40 injections and 40 downloads");
    assert!(read.windows(2).all(|w| w[0].position < w[1].position));
    let mut commands: Vec<CommandId> = read.iter().map(|e| e.command).collect();
    commands.sort();
    commands.dedup();
    assert_eq!(commands.len(), 80, "every command's entry exactly once");
    assert_eq!(read, whole_feed(&service));
}

#[test]
fn f3_a_reader_advances_its_cursor_with_its_effects_and_a_restart_neither_skips_nor_repeats() {
    let service = world(AcceptanceSettings::explicit());
    for n in 1..=5 {
        inject(&service, n, &alice(), None);
    }
    service
        .register_reader(ORG, FeedbackReader::name())
        .unwrap();
    // A step that never commits (the process dies before): nothing changes, the cursor stays.
    let cursor = service.reader(ORG, FeedbackReader::name()).unwrap();
    let entries = service.feed_after(ORG, cursor.position, 2).unwrap();
    let requests: Vec<Request> = entries.iter().flat_map(FeedbackReader::requests).collect();
    let key = ReaderKey {
        organizer: ORG,
        name: FeedbackReader::name(),
    };
    let step = Execution::advance(&requests, 1, key, cursor.position, entries[1].position);
    let Step::Read { .. } = step else {
        panic!("a step starts with a read")
    };
    drop(step);
    assert_eq!(
        service
            .reader(ORG, FeedbackReader::name())
            .unwrap()
            .position,
        Position::START
    );
    assert!(last_feedback(&service, 1).is_none());
    // Then steps of 2 entries, until caught up (the reader's own feedback commands append
    // entries too, which derive nothing): each ticket gets its INJECTED feedback once.
    let mut steps = 0;
    loop {
        let advanced = service.advance_feedback(ORG, 2).unwrap();
        steps += 1;
        assert!(advanced.to >= advanced.from);
        if advanced.entries == 0 {
            break;
        }
        assert!(advanced.results.iter().all(Result::is_ok));
        assert!(steps < 20, "the reader keeps up");
    }
    let feed = whole_feed(&service);
    assert_eq!(
        service
            .reader(ORG, FeedbackReader::name())
            .unwrap()
            .position,
        feed.last().unwrap().position
    );
    for n in 1..=5 {
        let ticket = service.ticket(tid(n)).unwrap().unwrap().value;
        assert_eq!(
            ticket.distribution.last_feedback.unwrap().status,
            LifecycleStatus::Injected
        );
    }
    let recorded: usize = whole_feed(&service)
        .iter()
        .flat_map(|e| &e.events)
        .filter(|e| matches!(e, Event::FeedbackRecorded { .. }))
        .count();
    assert_eq!(recorded, 5, "each feedback recorded exactly once");
    // The reader is at the end: the feed entries of its own commands derive nothing.
    let last = service.advance_feedback(ORG, 1000).unwrap();
    assert!(last.results.is_empty());
}

#[test]
fn f3_a_step_whose_cursor_moved_meanwhile_writes_nothing() {
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), None);
    let name = ReaderName::parse("audit").unwrap();
    service.register_reader(ORG, name).unwrap();
    let entries = service.feed_after(ORG, Position::START, 10).unwrap();
    let key = ReaderKey {
        organizer: ORG,
        name,
    };
    // Another instance moves the cursor first.
    let requests: Vec<Request> = Vec::new();
    let mut step = Execution::advance(&requests, 3, key, Position::START, entries[0].position);
    let mut first = true;
    let result = loop {
        step = match step {
            Step::Read { plan, then } => {
                if first {
                    first = false;
                    service
                        .advance_reader(ORG, name, 10, |_| Vec::new())
                        .unwrap();
                }
                then.read(service.store().read(&plan))
            }
            Step::Commit { batch, then } => then.committed(service.store().commit(batch)),
            Step::Done(results) => break results,
        };
    };
    assert!(
        matches!(
            result,
            Err(Error::Store(StoreError::ChangedDuringRead { .. }))
        ),
        "{result:?}"
    );
    assert_eq!(
        service.reader(ORG, name).unwrap().position,
        entries[0].position
    );
}

#[test]
fn f3_an_unknown_reader_is_refused_and_a_name_registers_once() {
    let service = world(AcceptanceSettings::explicit());
    let name = ReaderName::parse("notifications").unwrap();
    assert!(matches!(
        service.advance_reader(ORG, name, 10, |_| Vec::new()),
        Err(Error::UnknownReader { reader }) if reader == name
    ));
    assert!(matches!(
        service.reader(ORG, name),
        Err(Error::UnknownReader { .. })
    ));
    service.register_reader(ORG, name).unwrap();
    assert!(matches!(
        service.register_reader(ORG, name),
        Err(Error::ReaderExists { .. })
    ));
    // Readers are per organizer: the other organizer has none of that name.
    assert!(matches!(
        service.reader(OTHER_ORG, name),
        Err(Error::UnknownReader { .. })
    ));
    assert!(ReaderName::parse("Not A Name").is_err());
    assert!(ReaderName::parse(&"x".repeat(33)).is_err());
}

#[test]
fn f4_take_back_waits_for_the_feedback_reader_and_works_once_it_caught_up() {
    let service = world(AcceptanceSettings::explicit());
    service
        .register_reader(ORG, FeedbackReader::name())
        .unwrap();
    inject(&service, 1, &email("typo@exmaple.com"), None);
    let take_back = |id| {
        req(
            id,
            Command::TakeBack(TakeBackTicket {
                contact: secure_ticket::ContactKind::Individual,
                ticket: tid(1),
                point_of_sale: POS,
                actor: agency(),
                new_ticket: tid(2),
                at: at(5),
            }),
        )
    };
    // The feedback interface has not run: no feedback yet (B4).
    let early = service.execute(&take_back(40)).unwrap_err();
    assert_eq!(early.code(), "NO_FEEDBACK_YET");
    service.advance_feedback(ORG, 100).unwrap();
    let done = service.execute(&take_back(41)).unwrap();
    assert!(
        done.events
            .iter()
            .any(|e| matches!(e, Event::TicketTakenBack { .. }))
    );
    // And a retry of the early command still gets its first answer (X3).
    assert_eq!(
        service.execute(&take_back(40)).unwrap_err().code(),
        "NO_FEEDBACK_YET"
    );
}

#[test]
fn x8_prune_removes_old_command_records_and_read_feed_entries_in_bounded_steps() {
    let service = world(AcceptanceSettings::explicit());
    for n in 1..=5 {
        inject(&service, n, &alice(), None);
    }
    let name = ReaderName::parse("audit").unwrap();
    service.register_reader(ORG, name).unwrap();
    let records = service.store().len().unwrap();
    let horizon = AT + Duration::hours(25);
    for limit in [0, 1001] {
        assert!(matches!(
            service.prune(horizon, limit),
            Err(Error::InvalidLimit { .. })
        ));
    }
    let step = service.prune(horizon, 2).unwrap();
    assert_eq!((step.commands, step.feed_entries, step.more), (2, 0, true));
    let rest = service.prune(horizon, 1000).unwrap();
    assert_eq!(
        (rest.commands, rest.feed_entries),
        (3, 0),
        "the reader has read nothing yet"
    );
    assert_eq!(service.store().len().unwrap(), records - 5);
    assert_eq!(whole_feed(&service).len(), 5);
    service
        .advance_reader(ORG, name, 3, |_| Vec::new())
        .unwrap();
    let read = service.prune(horizon, 1000).unwrap();
    assert_eq!(read.feed_entries, 3, "entries the reader passed");
    assert_eq!(whole_feed(&service).len(), 2);
    // A horizon before everything prunes nothing.
    assert_eq!(
        service.prune(AT, 1000).unwrap(),
        secure_ticket::store::Pruned::default()
    );
}

#[test]
fn x8_a_retry_whose_command_record_was_pruned_runs_as_a_new_command() {
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), None);
    send(&service, 10, &alice(), &bob(), &[1], at(1)).unwrap();
    service.prune(AT + Duration::hours(25), 1000).unwrap();
    // The record is gone: the retry is decided again, and its group id is taken by the first.
    let late = send(&service, 10, &alice(), &bob(), &[1], at(2)).unwrap_err();
    assert!(
        matches!(late, Error::Rule(_) | Error::IdInUse { .. }),
        "{late:?}"
    );
}

/// The async driver answers the same queries and runs the same readers (Q2, F3, F4, X8).
#[test]
fn f4_the_async_service_reads_wallets_and_runs_the_feedback_reader() {
    use secure_ticket::service::{AsyncService, WalletRequest};
    use secure_ticket::store::Blocking;

    fn ready<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut context) {
                return out;
            }
        }
    }

    let sync = world(AcceptanceSettings::explicit());
    inject(&sync, 1, &alice(), Some(FINAL));
    let service = AsyncService::new(Blocking::new(sync.store().clone()));
    let wallet = ready(service.wallet(ORG, &WalletRequest::first(alice(), 10))).unwrap();
    assert_eq!(wallet.tickets.items.len(), 1);
    assert_eq!(wallet.tickets.items[0].performance.unwrap().id, FINAL);
    ready(service.register_reader(ORG, FeedbackReader::name())).unwrap();
    let step = ready(service.advance_feedback(ORG, 10)).unwrap();
    assert_eq!((step.entries, step.results.len()), (1, 1));
    let feed = ready(service.feed_after(ORG, Position::START, 10)).unwrap();
    assert_eq!(feed.len(), 2, "the injection and the feedback it derived");
    let pruned = ready(service.prune(AT + Duration::hours(25), 10)).unwrap();
    assert_eq!(pruned.commands, 2);
}

#[test]
fn i6_the_feedback_reader_orders_feedback_by_feed_position_not_by_clocks() {
    // A download stamped far in the future, then an activation stamped now: under wall clocks
    // the activation would look older and be dropped, and the ticket's feedback would stay
    // frozen at DOWNLOADED until 2150.
    use secure_ticket::wallet::{Actor, ChangeFlag, FlagChange};
    let service = world(AcceptanceSettings::explicit());
    inject(&service, 1, &alice(), None);
    let future = time::macros::datetime!(2150-01-01 00:00 UTC);
    let download = Command::Download(DownloadTicket {
        ticket: tid(1),
        actor: alice(),
        at: future,
    });
    service.execute(&req(20, download)).unwrap();
    let activate = Command::ChangeFlag(ChangeFlag {
        ticket: tid(1),
        change: FlagChange::Activate(secure_ticket::ActivationMethod::Online),
        actor: Actor::Spectator(alice()),
        at: at(2),
    });
    service.execute(&req(21, activate)).unwrap();
    service
        .register_reader(ORG, FeedbackReader::name())
        .unwrap();
    while service.advance_feedback(ORG, 1000).unwrap().entries > 0 {}

    let feed = whole_feed(&service);
    let position_of = |command: u128| {
        feed.iter()
            .find(|e| e.command == CommandId::from_u128(command))
            .unwrap()
            .position
            .get()
    };
    let last = last_feedback(&service, 1).unwrap();
    assert_eq!(last.status, LifecycleStatus::OnlineActivated);
    assert_eq!(last.at, at(2));
    assert_eq!(last.sequence, position_of(21));
    assert!(position_of(20) < position_of(21));
}
