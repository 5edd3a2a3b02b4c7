//! The crate-level errors: [`RuleError`] gathers every rule refusal; [`ParseError`] every value
//! that could not be read; [`Error`] is what the shell returns (a refusal, or trouble with the
//! store).

use crate::email::EmailError;
use crate::error_kind::ErrorKind;
use crate::feed::ReaderName;
use crate::holder::HolderError;
use crate::id::CommandId;
use crate::index::CursorError;
use crate::injection::{InjectError, RecordFeedbackError};
use crate::interface::{InjectionTargetError, InterfaceError};
use crate::point_of_sale::ThemeError;
use crate::record_key::RecordKey;
use crate::resale::ResaleError;
use crate::spectator::LockError;
use crate::store::StoreError;
use crate::take_back::{RedistributeError, TakeBackError};
use crate::transfer::{
    AcceptTransferError, CancelTransferError, DeclineTransferError, EditRecipientError,
    ExpireTransferError, InitiateTransferError, ReturnToSenderError, SignInError,
};
use crate::transfer::{BackOfficeTransferError, CancelBackOfficeError};
use crate::usage_rule::UsageRuleError;
use crate::wallet::{ChangeFlagError, DeletionError, DownloadError};

/// A command refused by the rules. Nothing changed.
///
/// Each transition returns its own error enum so callers can branch on the exact rule; this enum
/// gathers them, with a `From` impl for each, for callers who handle all refusals alike. It holds
/// command refusals only: a value that could not be read is a [`ParseError`].
///
/// # Examples
///
/// ```
/// use secure_ticket::transfer::InitiateTransferError;
/// use secure_ticket::RuleError;
///
/// let refused = RuleError::from(InitiateTransferError::EmptyTicketList);
/// assert!(matches!(refused, RuleError::Initiate(InitiateTransferError::EmptyTicketList)));
/// assert_eq!(refused.to_string(), InitiateTransferError::EmptyTicketList.to_string());
/// ```
///
/// ### Serialized
/// A refusal can be stored (the shell records a refused command and returns the same refusal on a
/// retry, X3). It serializes as the command family under `rule` and the command's own error
/// under `refusal`; each command's error is tagged by its stable [`code`](Self::code), with its
/// fields beside it (times in RFC 3339). A nested [`InputError`](crate::InputError) or
/// [`InitiateTransferError`](crate::transfer::InitiateTransferError) is stored as itself, without
/// a wrapper, so the `code` in the JSON is always the refusal's code. A released spelling never
/// changes.
///
/// ```
/// use secure_ticket::transfer::InitiateTransferError;
/// use secure_ticket::{RuleError, TicketId};
///
/// let refused = RuleError::from(InitiateTransferError::TransferLimitReached {
///     ticket: TicketId::from_u128(1),
///     level: 1,
///     limit: 1,
/// });
/// let stored = serde_json::to_string(&refused)?;
/// assert_eq!(
///     stored,
///     r#"{"rule":"INITIATE","refusal":{"code":"TRANSFER_LIMIT_REACHED","ticket":"00000000-0000-0000-0000-000000000001","level":1,"limit":1}}"#
/// );
/// assert_eq!(serde_json::from_str::<RuleError>(&stored)?, refused);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "rule", content = "refusal", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum RuleError {
    /// An injection was refused.
    #[error(transparent)]
    Inject(#[from] InjectError),
    /// A download was refused.
    #[error(transparent)]
    Download(#[from] DownloadError),
    /// A flag change was refused.
    #[error(transparent)]
    ChangeFlag(#[from] ChangeFlagError),
    /// A transfer initiation was refused.
    #[error(transparent)]
    Initiate(#[from] InitiateTransferError),
    /// A return to sender was refused.
    #[error(transparent)]
    ReturnToSender(#[from] ReturnToSenderError),
    /// An acceptance was refused.
    #[error(transparent)]
    Accept(#[from] AcceptTransferError),
    /// A sign-in completion was refused.
    #[error(transparent)]
    SignIn(#[from] SignInError),
    /// A decline was refused.
    #[error(transparent)]
    Decline(#[from] DeclineTransferError),
    /// A cancel was refused.
    #[error(transparent)]
    Cancel(#[from] CancelTransferError),
    /// An edit of the recipient was refused.
    #[error(transparent)]
    EditRecipient(#[from] EditRecipientError),
    /// An expiry was refused.
    #[error(transparent)]
    Expire(#[from] ExpireTransferError),
    /// No injection target for a ticket (B8).
    #[error(transparent)]
    InjectionTarget(#[from] InjectionTargetError),
    /// A feedback could not be recorded.
    #[error(transparent)]
    RecordFeedback(#[from] RecordFeedbackError),
    /// A take back was refused.
    #[error(transparent)]
    TakeBack(#[from] TakeBackError),
    /// A deletion step was refused.
    #[error(transparent)]
    Deletion(#[from] DeletionError),
    /// A redistribution was refused.
    #[error(transparent)]
    Redistribute(#[from] RedistributeError),
    /// A back-office transfer was refused (S1-S9).
    #[error(transparent)]
    BackOffice(#[from] BackOfficeTransferError),
    /// A staff cancel of a back-office group was refused (S8).
    #[error(transparent)]
    CancelBackOffice(#[from] CancelBackOfficeError),
    /// A lock or unlock was refused (L1).
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A holder assignment or clearing was refused (H1-H4).
    #[error(transparent)]
    Holder(#[from] HolderError),
    /// A resale was refused, or could not be settled (R1-R3).
    #[error(transparent)]
    Resale(#[from] ResaleError),
}

impl RuleError {
    /// The stable code of the refusal it holds: the same code as the command's own error
    /// ([`InitiateTransferError::code`](crate::transfer::InitiateTransferError::code), ...).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::InitiateTransferError;
    /// use secure_ticket::RuleError;
    ///
    /// let refused = RuleError::from(InitiateTransferError::EmptyTicketList);
    /// assert_eq!(refused.code(), "EMPTY_TICKET_LIST");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Inject(e) => e.code(),
            Self::Download(e) => e.code(),
            Self::ChangeFlag(e) => e.code(),
            Self::Initiate(e) => e.code(),
            Self::ReturnToSender(e) => e.code(),
            Self::Accept(e) => e.code(),
            Self::SignIn(e) => e.code(),
            Self::Decline(e) => e.code(),
            Self::Cancel(e) => e.code(),
            Self::EditRecipient(e) => e.code(),
            Self::Expire(e) => e.code(),
            Self::InjectionTarget(e) => e.code(),
            Self::RecordFeedback(e) => e.code(),
            Self::TakeBack(e) => e.code(),
            Self::Deletion(e) => e.code(),
            Self::Redistribute(e) => e.code(),
            Self::BackOffice(e) => e.code(),
            Self::CancelBackOffice(e) => e.code(),
            Self::Lock(e) => e.code(),
            Self::Holder(e) => e.code(),
            Self::Resale(e) => e.code(),
        }
    }

    /// The kind of the refusal it holds.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::InitiateTransferError;
    /// use secure_ticket::{ErrorKind, RuleError};
    ///
    /// let refused = RuleError::from(InitiateTransferError::EmptyTicketList);
    /// assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Inject(e) => e.kind(),
            Self::Download(e) => e.kind(),
            Self::ChangeFlag(e) => e.kind(),
            Self::Initiate(e) => e.kind(),
            Self::ReturnToSender(e) => e.kind(),
            Self::Accept(e) => e.kind(),
            Self::SignIn(e) => e.kind(),
            Self::Decline(e) => e.kind(),
            Self::Cancel(e) => e.kind(),
            Self::EditRecipient(e) => e.kind(),
            Self::Expire(e) => e.kind(),
            Self::InjectionTarget(e) => e.kind(),
            Self::RecordFeedback(e) => e.kind(),
            Self::TakeBack(e) => e.kind(),
            Self::Deletion(e) => e.kind(),
            Self::Redistribute(e) => e.kind(),
            Self::BackOffice(e) => e.kind(),
            Self::CancelBackOffice(e) => e.kind(),
            Self::Lock(e) => e.kind(),
            Self::Holder(e) => e.kind(),
            Self::Resale(e) => e.kind(),
        }
    }
}

/// A value that could not be read: an email address, a usage rule's limit, a point of sale's
/// internet theme or the TIXnGO interface's custom parameters. Nothing was built.
///
/// Each parser returns its own error enum; this enum gathers them, with a `From` impl for each,
/// for callers who read several values in one place (a form, an import).
///
/// ### Handling
/// The text came from a person or a configuration screen: show the message and ask for a
/// corrected value.
///
/// # Examples
///
/// ```
/// use secure_ticket::{Email, ParseError, TransferLimit};
///
/// fn read(email: &str, limit: i64) -> Result<(Email, TransferLimit), ParseError> {
///     Ok((Email::parse(email)?, TransferLimit::new(limit)?))
/// }
/// assert!(matches!(read("nope", 1), Err(ParseError::Email(_))));
/// assert!(matches!(read("alice@example.com", 0), Err(ParseError::UsageRule(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// An invalid email address.
    #[error(transparent)]
    Email(#[from] EmailError),
    /// An invalid usage rule.
    #[error(transparent)]
    UsageRule(#[from] UsageRuleError),
    /// Internet-theme settings could not be read.
    #[error(transparent)]
    Theme(#[from] ThemeError),
    /// TIXnGO interface settings could not be read.
    #[error(transparent)]
    Interface(#[from] InterfaceError),
}

impl ParseError {
    /// The stable code of the error it holds ([`EmailError::code`], ...).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{Email, ParseError};
    ///
    /// let error = ParseError::from(Email::parse("").unwrap_err());
    /// assert_eq!(error.code(), "EMAIL_EMPTY");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Email(e) => e.code(),
            Self::UsageRule(e) => e.code(),
            Self::Theme(e) => e.code(),
            Self::Interface(e) => e.code(),
        }
    }

    /// The kind of the error it holds: always [`ErrorKind::InvalidInput`] today.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{Email, ErrorKind, ParseError};
    ///
    /// let error = ParseError::from(Email::parse("").unwrap_err());
    /// assert_eq!(error.kind(), ErrorKind::InvalidInput);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Email(e) => e.kind(),
            Self::UsageRule(e) => e.kind(),
            Self::Theme(e) => e.kind(),
            Self::Interface(e) => e.kind(),
        }
    }
}

/// What [`Service::execute`](crate::service::Service::execute) returns when a command does not go
/// through (openraft's API-error / fatal split).
///
/// ### Handling
/// [`kind`](Self::kind) says what to do and [`code`](Self::code) which failure it is; an HTTP API
/// answers `kind().http_status()` with the code and the message.
/// - [`Rule`](Self::Rule): the command was refused and nothing changed; answer the user (HTTP 4xx).
/// - [`Store`](Self::Store): infrastructure trouble; a [`StoreError::Conflict`] after the last
///   attempt means heavy contention: answer 409/503 so the client retries.
/// - [`CommandIdReused`](Self::CommandIdReused), [`NotFound`](Self::NotFound),
///   [`IdInUse`](Self::IdInUse): the caller's request is wrong; nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The rules refused the command; nothing changed.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The store failed, or still conflicted after the last attempt.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The command id was already used for a different command (X3); nothing changed.
    #[error("command {command} was already processed with different content; use a new command id")]
    CommandIdReused {
        /// The command id.
        command: CommandId,
    },
    /// A record the command needs does not exist; nothing changed.
    #[error("{key} was not found; create it first or fix the id in the command")]
    NotFound {
        /// The missing record.
        key: RecordKey,
    },
    /// A caller-given id for a new record is already taken; nothing changed.
    #[error("{key} already exists; give the new record a new id")]
    IdInUse {
        /// The record.
        key: RecordKey,
    },
    /// A list's limit is outside 1 to 1,000 (Q7); nothing read or written.
    #[error("a limit of {limit} is outside 1 to 1000; ask for 1 to 1000 entries per page")]
    InvalidLimit {
        /// The limit given.
        limit: u32,
    },
    /// A cursor that cannot continue this list (Q7); nothing read or written.
    #[error(transparent)]
    InvalidCursor(#[from] CursorError),
    /// A feed reader that was never registered (F3); nothing read or written.
    #[error("no feed reader {reader} is registered for this organizer; register it first")]
    UnknownReader {
        /// The reader's name.
        reader: ReaderName,
    },
    /// More requests in one batch than [`MAX_BATCH`](crate::service::MAX_BATCH) (X11); nothing
    /// read or written.
    #[error("a batch holds at most {max} requests, not {count}; send it in several batches")]
    BatchTooLarge {
        /// How many were given.
        count: usize,
        /// The most allowed.
        max: usize,
    },
    /// A command, or a horizon, dated outside the times every store can write
    /// ([`time_range`](crate::time_range), X12); nothing read or written.
    #[error(
        "{at} is outside the times a record can hold ({} to {}, offsets in whole minutes); send a time in that range",
        crate::time_range::EARLIEST,
        crate::time_range::LATEST
    )]
    TimeOutOfRange {
        /// The time given.
        at: time::OffsetDateTime,
    },
    /// A record to create holds more free text than its limit ([`text_limit`](crate::text_limit),
    /// X13); nothing written.
    #[error("{key}: {field} is {len} {}, over its limit of {max}; shorten it", field.unit())]
    TextTooLong {
        /// The record.
        key: RecordKey,
        /// The field, or list, over its limit.
        field: crate::text_limit::TextField,
        /// Its length, in the field's [`unit`](crate::text_limit::TextField::unit).
        len: usize,
        /// Its limit.
        max: usize,
    },
    /// A feed reader that is registered already; nothing written.
    #[error("the feed reader {reader} is registered already; use it, or pick another name")]
    ReaderExists {
        /// The reader's name.
        reader: ReaderName,
    },
}

impl Error {
    /// Whether the store still conflicted after the last attempt ([`StoreError::is_conflict`]):
    /// the same command may succeed if sent again.
    #[must_use]
    pub const fn is_conflict(&self) -> bool {
        match self {
            Self::Store(store) => store.is_conflict(),
            _ => false,
        }
    }

    /// The error's stable code: the refusal's or the store's own code for
    /// [`Rule`](Self::Rule) and [`Store`](Self::Store), else `COMMAND_ID_REUSED`,
    /// `RECORD_NOT_FOUND` or `ID_IN_USE`.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::InitiateTransferError;
    /// use secure_ticket::{CommandId, Error, RuleError};
    ///
    /// let refused = Error::from(RuleError::from(InitiateTransferError::EmptyTicketList));
    /// assert_eq!(refused.code(), "EMPTY_TICKET_LIST");
    /// let reused = Error::CommandIdReused { command: CommandId::from_u128(1) };
    /// assert_eq!(reused.code(), "COMMAND_ID_REUSED");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Rule(rule) => rule.code(),
            Self::Store(store) => store.code(),
            Self::CommandIdReused { .. } => "COMMAND_ID_REUSED",
            Self::NotFound { .. } => "RECORD_NOT_FOUND",
            Self::IdInUse { .. } => "ID_IN_USE",
            Self::InvalidLimit { .. } => "INVALID_LIMIT",
            Self::InvalidCursor(cursor) => cursor.code(),
            Self::UnknownReader { .. } => "UNKNOWN_READER",
            Self::ReaderExists { .. } => "READER_EXISTS",
            Self::BatchTooLarge { .. } => "BATCH_TOO_LARGE",
            Self::TimeOutOfRange { .. } => "TIME_OUT_OF_RANGE",
            Self::TextTooLong { .. } => "TEXT_TOO_LONG",
        }
    }

    /// What kind of failure this is, and so the HTTP status to answer: the refusal's or the
    /// store's own kind for [`Rule`](Self::Rule) and [`Store`](Self::Store);
    /// [`ErrorKind::InvalidInput`] for [`CommandIdReused`](Self::CommandIdReused) and
    /// [`IdInUse`](Self::IdInUse); [`ErrorKind::NotFound`] for [`NotFound`](Self::NotFound).
    ///
    /// [`IdInUse`](Self::IdInUse) is `InvalidInput`, not `Conflict`: sending the same command
    /// again never succeeds, the caller must give the new record another id (`Conflict` means a
    /// retry may succeed, as [`is_conflict`](Self::is_conflict) says).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::store::RecordKey;
    /// use secure_ticket::{Error, ErrorKind, TicketId};
    ///
    /// let missing = Error::NotFound { key: RecordKey::Ticket(TicketId::from_u128(1)) };
    /// assert_eq!(missing.kind(), ErrorKind::NotFound);
    /// assert_eq!(missing.kind().http_status(), 404);
    /// let taken = Error::IdInUse { key: RecordKey::Ticket(TicketId::from_u128(2)) };
    /// assert_eq!(taken.kind().http_status(), 400);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Rule(rule) => rule.kind(),
            Self::Store(store) => store.kind(),
            Self::CommandIdReused { .. }
            | Self::IdInUse { .. }
            | Self::InvalidLimit { .. }
            | Self::InvalidCursor(_)
            | Self::ReaderExists { .. }
            | Self::BatchTooLarge { .. }
            | Self::TimeOutOfRange { .. }
            | Self::TextTooLong { .. } => ErrorKind::InvalidInput,
            Self::NotFound { .. } | Self::UnknownReader { .. } => ErrorKind::NotFound,
        }
    }

    /// The rule refusal, if this is one.
    #[must_use]
    pub const fn rule(&self) -> Option<&RuleError> {
        match self {
            Self::Rule(rule) => Some(rule),
            _ => None,
        }
    }
}
