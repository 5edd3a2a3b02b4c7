//! Named feed readers (SPEC F3) and the S360 feedback interface as one of them (F4).

use crate::command::{Command, Request};
use crate::error::Error;
use crate::feed::{FeedEntry, Position, ReaderName};
use crate::id::{CommandId, OrganizerId};
use crate::index::MAX_LIMIT;
use crate::injection;
use crate::service::outcome::Outcome;

/// What one step of a reader did: the entries it read after its cursor, and the results of the
/// commands it derived from them, committed together with its cursor's move.
#[derive(Debug)]
pub struct Advanced {
    /// The cursor before the step.
    pub from: Position,
    /// The cursor after it: the last entry read (or `from` when there was none).
    pub to: Position,
    /// How many feed entries it read.
    pub entries: usize,
    /// One result per derived command, in order (a refused one is skipped, as in
    /// [`Service::execute_batch`](crate::service::Service::execute_batch)).
    pub results: Vec<Result<Outcome, Error>>,
}

/// The S360 feedback interface as a feed reader (F4): it turns the wallet events of each feed
/// entry into lifecycle feedback ([`injection::feedback_for`], I2), numbered by the entry's
/// position (I6), and records it on the tickets
/// ([`injection::record_feedback`](crate::injection::record_feedback), I3, I4), in the same
/// commit as its cursor.
///
/// Each feedback's command id is derived from the entry's command and the feedback's place in
/// it, so a step that is run again (after a crash before the commit) records nothing twice.
/// Take back (B4) needs the INJECTED feedback: it works once the reader has caught up.
///
/// # Examples
///
/// ```
/// use secure_ticket::feed::{FeedEntry, Position};
/// use secure_ticket::service::{Command, FeedbackReader};
/// use secure_ticket::{injection, CommandId, Email, OrganizerId, TicketId, UsageRuleId};
/// # use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket};
/// use time::macros::datetime;
///
/// # let ticket = Ticket::new(OrganizerId::from_u128(1), TicketId::from_u128(1), RightId::from_u128(1),
/// #     Distribution::new(PointOfSaleId::from_u128(1), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1))));
/// let injected = injection::inject(&ticket, &injection::InjectTicket {
///     ticket: ticket.id, to: Email::parse("alice@example.com")?, usage_rule: UsageRuleId::from_u128(1),
///     at: datetime!(2026-11-23 12:00 UTC),
/// })?;
/// let entry = FeedEntry {
///     position: Position::new(1),
///     organizer: OrganizerId::from_u128(1),
///     command: CommandId::from_u128(1),
///     at: datetime!(2026-11-23 12:00 UTC),
///     events: injected.events.into(),
/// };
/// let requests = FeedbackReader::requests(&entry);
/// assert!(matches!(requests[0].command, Command::RecordFeedback(_)));
/// assert_eq!(requests, FeedbackReader::requests(&entry)); // the same ids every time
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct FeedbackReader;

impl FeedbackReader {
    /// The reader's name: `s360-feedback`.
    pub const NAME: &'static str = "s360-feedback";

    /// [`NAME`](Self::NAME) as a [`ReaderName`].
    #[must_use]
    pub const fn name() -> ReaderName {
        ReaderName::known(Self::NAME)
    }

    /// The feedback commands of one feed entry.
    #[must_use]
    pub fn requests(entry: &FeedEntry) -> Vec<Request> {
        injection::feedback_for(entry.position.get(), &entry.events)
            .into_iter()
            .zip(0u32..)
            .map(|(feedback, n)| Request {
                id: CommandId::new(crate::digest::derive_uuid(
                    entry.organizer.as_uuid(),
                    entry.command.as_uuid(),
                    "feedback",
                    n,
                )),
                organizer: entry.organizer,
                command: Command::RecordFeedback(feedback),
            })
            .collect()
    }
}

/// Checks a feed read's limit.
pub(crate) fn feed_limit(limit: u32) -> Result<u32, Error> {
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(Error::InvalidLimit { limit })
    }
}

/// The requests a reader derives from `entries`, and the cursor after them.
pub(crate) fn derive(
    from: Position,
    entries: &[FeedEntry],
    mut derive: impl FnMut(&FeedEntry) -> Vec<Request>,
) -> (Vec<Request>, Position) {
    let mut requests = Vec::new();
    let mut to = from;
    for entry in entries {
        requests.extend(derive(entry));
        to = to.max(entry.position);
    }
    (requests, to)
}

/// Keeps an organizer's commands to its own records (X7): a derived request of another
/// organizer is refused before it runs.
pub(crate) fn own(organizer: OrganizerId, requests: &[Request]) -> Result<(), Error> {
    match requests.iter().find(|r| r.organizer != organizer) {
        Some(other) => Err(Error::NotFound {
            key: crate::record_key::RecordKey::Command(other.key()),
        }),
        None => Ok(()),
    }
}
