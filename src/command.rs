//! The commands the shell runs: a [`Request`] (id, organizer, [`Command`]) and the
//! [`CommandRecord`] stored once it was processed, accepted or refused (SPEC X3). Both the store
//! and the shell use them.

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;

use crate::digest::{Digest, Digester};
use crate::error::{Error, RuleError};
use crate::event::Event;
use crate::feedback::Feedback;
use crate::holder::{AssignHolder, ClearHolder};
use crate::id::{CommandId, OrganizerId};
use crate::injection::InjectTicket;
use crate::record_key::RecordKey;
use crate::resale::{PutOnResale, SettleResale};
use crate::spectator::{LockSpectator, UnlockSpectator};
use crate::take_back::{RedistributeTicket, TakeBackTicket};
use crate::transfer::{
    AcceptTransfer, CancelTransfer, DeclineTransfer, EditRecipient, ExpireTransfer,
    InitiateTransfer, ReturnToSender, SignIn,
};
use crate::transfer::{BackOfficeTransfer, CancelBackOfficeTransfer};
use crate::wallet::{ChangeFlag, CompleteDeletion, DownloadTicket, RequestDeletion};

/// A command with its idempotency key and the organizer that sends it.
///
/// The organizer scopes everything (X7): the command reaches only that organizer's records (any
/// other is [`Error::NotFound`]), its settings apply, and its command ids are its own.
///
/// # Retries (X3)
///
/// A request whose id was processed before is a retry when its [`digest`](Self::digest) matches
/// the first one's: it returns the first result, success or refusal, and writes nothing. The
/// digest covers what the caller asks for, not what a server stamps on it: the command's time
/// (`at`) and the ids of the records it creates are left out. A server that stamps the time and
/// mints new ids per HTTP request therefore still sees a retry as a retry; give new records ids
/// derived from the command id ([`NewGroupIds::derived`](crate::transfer::NewGroupIds::derived),
/// [`TicketId::derived`](crate::TicketId::derived)) so that the first result's ids are the ones
/// a retry would have minted. The same id with other content is [`Error::CommandIdReused`].
///
/// A command the rules refused is recorded with its refusal ([`Refusal`]): its retry gets the
/// same refusal, even once the records have changed so that it would pass. An input error (a
/// record not found, an id in use) writes nothing, and a retry is decided again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The command's id, unique per organizer.
    pub id: CommandId,
    /// The organizer that sends it.
    pub organizer: OrganizerId,
    /// What to do.
    pub command: Command,
}

impl Request {
    /// The digest of what the caller sent: the organizer, the command's kind and every field
    /// but its time and the ids of the records it creates. Stored in the [`CommandRecord`].
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::service::{Command, Request};
    /// use secure_ticket::wallet::DownloadTicket;
    /// use secure_ticket::{CommandId, Email, OrganizerId, TicketId};
    /// use time::macros::datetime;
    ///
    /// let at = |minute| Request {
    ///     id: CommandId::from_u128(1),
    ///     organizer: OrganizerId::from_u128(1),
    ///     command: Command::Download(DownloadTicket {
    ///         ticket: TicketId::from_u128(7),
    ///         actor: Email::parse("alice@example.com").unwrap(),
    ///         at: datetime!(2026-11-23 12:00 UTC) + time::Duration::minutes(minute),
    ///     }),
    /// };
    /// assert_eq!(at(0).digest(), at(5).digest()); // a server stamped the retry later
    /// ```
    #[must_use]
    pub fn digest(&self) -> Digest {
        /// The digester after its domain, made once: each request's digest starts from a copy.
        static REQUEST: std::sync::LazyLock<Digester> =
            std::sync::LazyLock::new(|| Digester::new("secure-ticket/request"));
        let mut digester = REQUEST.clone();
        digester.write(&self.organizer);
        crate::service::sent(&self.command, &mut digester);
        digester.finish()
    }

    /// The key of this request's [`CommandRecord`].
    #[must_use]
    pub const fn key(&self) -> CommandKey {
        CommandKey::new(self.organizer, self.id)
    }
}

/// Every command the shell runs, each the pure core's own command type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "command", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Command {
    /// [`injection::inject`](crate::injection::inject).
    Inject(InjectTicket),
    /// [`wallet::download`](crate::wallet::download).
    Download(DownloadTicket),
    /// [`wallet::change_flag`](crate::wallet::change_flag).
    ChangeFlag(ChangeFlag),
    /// [`transfer::initiate`](crate::transfer::initiate).
    Initiate(InitiateTransfer),
    /// [`transfer::return_to_sender`](crate::transfer::return_to_sender).
    ReturnToSender(ReturnToSender),
    /// [`transfer::accept`](crate::transfer::accept).
    Accept(AcceptTransfer),
    /// Q4: the actor's wallet signed in; every PENDING group addressed to the actor that
    /// completes at sign-in ([`transfer::complete_on_sign_in`](crate::transfer::complete_on_sign_in):
    /// A1 off, or BACKWARD) completes. The shell finds the groups (at most
    /// [`SIGN_IN_GROUPS`](crate::service::SIGN_IN_GROUPS) per sign-in): the caller keeps no list.
    ///
    /// A format-1 record's `{"sign_in": .., "groups": [..]}` still reads (its list is ignored).
    SignIn(#[serde(deserialize_with = "sign_in_any")] SignIn),
    /// [`transfer::decline`](crate::transfer::decline).
    Decline(DeclineTransfer),
    /// [`transfer::cancel`](crate::transfer::cancel).
    Cancel(CancelTransfer),
    /// [`transfer::edit_recipient`](crate::transfer::edit_recipient).
    EditRecipient(EditRecipient),
    /// [`transfer::expire`](crate::transfer::expire).
    Expire(ExpireTransfer),
    /// Q5: the expiry sweep: every PENDING group of the organizer whose deadline is at or
    /// before `at` expires, oldest deadline first, at most `limit` in this command's commit.
    ExpireDue(ExpireDue),
    /// [`injection::record_feedback`](crate::injection::record_feedback).
    RecordFeedback(Feedback),
    /// [`take_back::take_back`](crate::take_back::take_back).
    TakeBack(TakeBackTicket),
    /// [`take_back::redistribute`](crate::take_back::redistribute).
    Redistribute(RedistributeTicket),
    /// [`wallet::request_deletion`](crate::wallet::request_deletion).
    RequestDeletion(RequestDeletion),
    /// [`wallet::complete_deletion`](crate::wallet::complete_deletion).
    CompleteDeletion(CompleteDeletion),
    /// [`transfer::back_office_transfer`](crate::transfer::back_office_transfer).
    BackOfficeTransfer(BackOfficeTransfer),
    /// [`transfer::cancel_back_office`](crate::transfer::cancel_back_office).
    CancelBackOffice(CancelBackOfficeTransfer),
    /// [`spectator::lock`](crate::spectator::lock).
    LockSpectator(LockSpectator),
    /// [`spectator::unlock`](crate::spectator::unlock).
    UnlockSpectator(UnlockSpectator),
    /// [`holder::assign`](crate::holder::assign).
    AssignHolder(AssignHolder),
    /// [`holder::clear`](crate::holder::clear).
    ClearHolder(ClearHolder),
    /// [`resale::put_on_resale`](crate::resale::put_on_resale).
    PutOnResale(PutOnResale),
    /// [`resale::settle_resale`](crate::resale::settle_resale).
    SettleResale(SettleResale),
}

/// Reads a sign-in as written now (`{actor, at}`) or by format 1 (`{sign_in, groups}`).
fn sign_in_any<'de, D: Deserializer<'de>>(d: D) -> Result<SignIn, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Any {
        Now(SignIn),
        Format1 {
            sign_in: SignIn,
            #[serde(default, rename = "groups")]
            _groups: serde::de::IgnoredAny,
        },
    }
    Ok(match Any::deserialize(d)? {
        Any::Now(sign_in) | Any::Format1 { sign_in, .. } => sign_in,
    })
}

impl Command {
    /// The command's time (`at`): what the shell records, and what retention compares.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::service::Command;
    /// use secure_ticket::transfer::SignIn;
    /// use secure_ticket::Email;
    /// use time::macros::datetime;
    ///
    /// let at = datetime!(2026-11-23 12:00 UTC);
    /// let sign_in = Command::SignIn(SignIn { actor: Email::parse("bob@example.com")?, at });
    /// assert_eq!(sign_in.at(), at);
    /// # Ok::<(), secure_ticket::EmailError>(())
    /// ```
    #[must_use]
    pub const fn at(&self) -> OffsetDateTime {
        match self {
            Self::Inject(c) => c.at,
            Self::Download(c) => c.at,
            Self::ChangeFlag(c) => c.at,
            Self::Initiate(c) => c.at,
            Self::ReturnToSender(c) => c.at,
            Self::Accept(c) => c.at,
            Self::SignIn(c) => c.at,
            Self::Decline(c) => c.at,
            Self::Cancel(c) => c.at,
            Self::EditRecipient(c) => c.at,
            Self::Expire(c) => c.at,
            Self::ExpireDue(c) => c.at,
            Self::RecordFeedback(c) => c.at,
            Self::TakeBack(c) => c.at,
            Self::Redistribute(c) => c.at,
            Self::RequestDeletion(c) => c.at,
            Self::CompleteDeletion(c) => c.at,
            Self::BackOfficeTransfer(c) => c.at,
            Self::CancelBackOffice(c) => c.at,
            Self::LockSpectator(c) => c.at,
            Self::UnlockSpectator(c) => c.at,
            Self::AssignHolder(c) => c.at,
            Self::ClearHolder(c) => c.at,
            Self::PutOnResale(c) => c.at,
            Self::SettleResale(c) => c.at,
        }
    }
}

/// Command: the expiry sweep (SPEC Q5, A4).
///
/// # Examples
///
/// ```
/// use secure_ticket::command::ExpireDue;
/// use time::macros::datetime;
///
/// let sweep = ExpireDue { at: datetime!(2026-11-24 00:00 UTC), limit: 500 };
/// assert_eq!(sweep.limit, 500);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpireDue {
    /// The current time: groups whose deadline is at or before it expire.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
    /// At most this many groups (1 to 1,000); run the sweep again while it expires `limit`
    /// groups: more may be due.
    pub limit: u32,
}

pub use crate::record_key::CommandKey;

/// A processed command, stored so a retry returns the first result (X3): small, because every
/// command writes one. It keeps the digest of what the caller sent and the outcome; an accepted
/// command's events are its entry in the feed (F1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandRecord {
    /// The organizer that sent it.
    pub organizer: OrganizerId,
    /// The command's id.
    pub id: CommandId,
    /// [`Request::digest`] of the first request with this id.
    pub digest: Digest,
    /// The command's time: retention compares it with the horizon (X8).
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
    /// What came of it.
    pub outcome: RecordedOutcome,
}

/// What came of a processed command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum RecordedOutcome {
    /// Accepted: its `events` events are the command's feed entry (none when it produced no
    /// event).
    Accepted {
        /// How many events it produced.
        events: u32,
    },
    /// Accepted by a build that kept the events in the record (format 1).
    Kept {
        /// The events.
        events: Vec<Event>,
    },
    /// Refused: a retry gets the same refusal.
    Refused {
        /// Why.
        refusal: Refusal,
    },
}

/// A refusal: as a command record keeps it (a retry sees it again), or as a query reports why
/// something is not possible now ([`TicketStanding`](crate::service::TicketStanding)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Refusal {
    /// [`Error::Rule`].
    Rule {
        /// The refusal.
        refusal: RuleError,
    },
    /// [`Error::NotFound`].
    NotFound {
        /// The record.
        key: RecordKey,
    },
    /// [`Error::IdInUse`].
    IdInUse {
        /// The record.
        key: RecordKey,
    },
}

impl Refusal {
    /// The refusal a command record keeps for `error`: a refusal by the rules
    /// ([`Error::Rule`]), the command's own outcome, which a retry must get again. Input errors
    /// (a record not found, an id in use, a reused command id) and store errors are not
    /// recorded: nothing is written for them, and a retry is decided again.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::command::Refusal;
    /// use secure_ticket::store::RecordKey;
    /// use secure_ticket::transfer::InitiateTransferError;
    /// use secure_ticket::{Error, RuleError, TicketId};
    ///
    /// let refused = Error::Rule(RuleError::from(InitiateTransferError::EmptyTicketList));
    /// assert!(Refusal::of(&refused).is_some());
    /// let missing = Error::NotFound { key: RecordKey::Ticket(TicketId::from_u128(1)) };
    /// assert!(Refusal::of(&missing).is_none());
    /// ```
    #[must_use]
    pub fn of(error: &Error) -> Option<Self> {
        match error {
            Error::Rule(refusal) => Some(Self::Rule {
                refusal: refusal.clone(),
            }),
            _ => None,
        }
    }
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Rule { refusal } => Self::Rule(refusal),
            Refusal::NotFound { key } => Self::NotFound { key },
            Refusal::IdInUse { key } => Self::IdInUse { key },
        }
    }
}

impl<'de> Deserialize<'de> for CommandRecord {
    /// Reads a record as written now, or as format 1 wrote it (`{id, request, events}`: the
    /// whole request and its events), computing the digest of that request.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Any {
            Now {
                organizer: OrganizerId,
                id: CommandId,
                digest: Digest,
                #[serde(with = "crate::rfc3339")]
                at: OffsetDateTime,
                outcome: RecordedOutcome,
            },
            Format1 {
                id: CommandId,
                request: Request,
                #[serde(default)]
                events: Vec<Event>,
            },
        }
        Ok(match Any::deserialize(d)? {
            Any::Now {
                organizer,
                id,
                digest,
                at,
                outcome,
            } => Self {
                organizer,
                id,
                digest,
                at,
                outcome,
            },
            Any::Format1 {
                id,
                request,
                events,
            } => Self {
                organizer: request.organizer,
                id,
                digest: request.digest(),
                at: request.command.at(),
                outcome: RecordedOutcome::Kept { events },
            },
        })
    }
}
