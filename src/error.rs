//! The crate-level error: any rule refusal, for callers who want one type to `?` into.

use crate::injection::{InjectError, RecordFeedbackError};
use crate::take_back::{RedistributeError, TakeBackError};
use crate::transfer::{
    AcceptTransferError, CancelTransferError, DeclineTransferError, EditRecipientError,
    ExpireTransferError, InitiateTransferError, ReturnToSenderError, SignInError,
};
use crate::wallet::{ChangeFlagError, DeletionError, DownloadError};
use crate::{EmailError, InjectionTargetError, InterfaceError, ThemeError, UsageRuleError};

/// A command refused by the rules. Nothing changed.
///
/// Each transition returns its own error enum so callers can branch on the exact rule; this enum
/// gathers them, with a `From` impl for each, for callers who handle all refusals alike.
///
/// # Examples
///
/// ```
/// use secure_ticket::{Email, RuleError};
///
/// fn parse(s: &str) -> Result<Email, RuleError> {
///     Ok(Email::parse(s)?)
/// }
/// assert!(matches!(parse("nope"), Err(RuleError::Email(_))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// An invalid email address.
    #[error(transparent)]
    Email(#[from] EmailError),
    /// An invalid usage rule.
    #[error(transparent)]
    UsageRule(#[from] UsageRuleError),
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
    /// Internet-theme settings could not be read.
    #[error(transparent)]
    Theme(#[from] ThemeError),
    /// TIXnGO interface settings could not be read.
    #[error(transparent)]
    Interface(#[from] InterfaceError),
    /// No injection target for a ticket.
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
