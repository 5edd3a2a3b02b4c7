//! The crate-level errors: [`RuleError`] gathers every rule refusal; [`ParseError`] every value
//! that could not be read; [`Error`] is what the shell returns (a refusal, or trouble with the
//! store).

use crate::email::EmailError;
use crate::id::CommandId;
use crate::injection::{InjectError, RecordFeedbackError};
use crate::interface::{InjectionTargetError, InterfaceError};
use crate::point_of_sale::ThemeError;
use crate::record_key::RecordKey;
use crate::store::StoreError;
use crate::take_back::{RedistributeError, TakeBackError};
use crate::transfer::{
    AcceptTransferError, CancelTransferError, DeclineTransferError, EditRecipientError,
    ExpireTransferError, InitiateTransferError, ReturnToSenderError, SignInError,
};
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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

/// What [`Service::execute`](crate::service::Service::execute) returns when a command does not go
/// through (openraft's API-error / fatal split).
///
/// ### Handling
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

    /// The rule refusal, if this is one.
    #[must_use]
    pub const fn rule(&self) -> Option<&RuleError> {
        match self {
            Self::Rule(rule) => Some(rule),
            _ => None,
        }
    }
}
