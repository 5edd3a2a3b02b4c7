//! The usage rule: per-ticket settings that allow or forbid transfers and say how they count
//! (SPEC U1-U4).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error_kind::ErrorKind;
use crate::id::{OrganizerId, UsageRuleId};

/// How a completed BACKWARD transfer changes the transfer level (the usage rule's "Transfer backward"
/// setting, SPEC T8).
///
/// Serialised in the sources' spelling: `NEUTRAL`, `DECREASE`, `INCREASE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum TransferBackward {
    /// The backward transfer does not count toward the limit: 1 → 1.
    #[default]
    Neutral,
    /// The backward transfer restores the level it had before the last FORWARD transfer: 1 → 0.
    Decrease,
    /// The backward transfer counts like any other transfer: 1 → 2.
    Increase,
}

impl fmt::Display for TransferBackward {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Neutral => "NEUTRAL",
            Self::Decrease => "DECREASE",
            Self::Increase => "INCREASE",
        })
    }
}

/// The usage rule's Keep One setting (SPEC K1): whether a spectator must keep at least one ticket
/// of each performance when they transfer.
///
/// - `DISABLED` (the default): no such check.
/// - `ENABLED`: a spectator initiation that would leave the sender no kept ticket of a
///   performance is refused (K2).
/// - `RESTRICTED`: the same, only for a sender who received a ticket of that performance by
///   injection (K3).
///
/// Serialised in the sources' spelling; a rule stores it only when it is not `DISABLED`.
///
/// # Examples
///
/// ```
/// use secure_ticket::{KeepOne, OrganizerId, UsageRule, UsageRuleId};
///
/// let rule = UsageRule::new(OrganizerId::from_u128(1), UsageRuleId::from_u128(1));
/// assert_eq!(rule.keep_one, KeepOne::Disabled);
/// let rule = rule.with_keep_one(KeepOne::Restricted);
/// assert!(serde_json::to_string(&rule).unwrap().contains(r#""keep_one":"RESTRICTED""#));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum KeepOne {
    /// No Keep One check (the default).
    #[default]
    Disabled,
    /// Every sender keeps one ticket of each performance (K2).
    Enabled,
    /// Senders who received a ticket of the performance by injection keep one (K3).
    Restricted,
}

impl KeepOne {
    /// Whether this is `DISABLED` (a stored rule omits it then).
    #[must_use]
    #[allow(
        clippy::trivially_copy_pass_by_ref,
        reason = "serde passes fields by reference"
    )]
    pub const fn is_disabled(&self) -> bool {
        matches!(self, Self::Disabled)
    }
}

impl fmt::Display for KeepOne {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Disabled => "DISABLED",
            Self::Enabled => "ENABLED",
            Self::Restricted => "RESTRICTED",
        })
    }
}

/// The transfer limit: "maximum number of transfers allowed", an integer from 1 to 256 (SPEC U3).
///
/// "No transfers" is a usage rule with `transfer` off; "unlimited" is [`TransferLimit::MAX`].
///
/// # Examples
///
/// ```
/// use secure_ticket::{TransferLimit, UsageRuleError};
///
/// assert_eq!(TransferLimit::new(3)?.get(), 3);
/// assert_eq!(TransferLimit::new(0), Err(UsageRuleError::LimitOutOfRange { value: 0 }));
/// assert!(TransferLimit::new(257).is_err());
/// # Ok::<(), UsageRuleError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u16")]
pub struct TransferLimit(u16);

impl TransferLimit {
    /// The smallest limit: one transfer.
    pub const MIN: Self = Self(1);
    /// The largest limit, which stands for "unlimited": 256 transfers.
    pub const MAX: Self = Self(256);

    /// Validates a limit.
    ///
    /// # Errors
    ///
    /// [`UsageRuleError::LimitOutOfRange`] when `value` is not within 1..=256.
    pub fn new(value: i64) -> Result<Self, UsageRuleError> {
        match u16::try_from(value) {
            Ok(v) if (1..=256).contains(&v) => Ok(Self(v)),
            _ => Err(UsageRuleError::LimitOutOfRange { value }),
        }
    }

    /// The limit as a number.
    #[must_use]
    pub const fn get(self) -> u16 {
        self.0
    }
}

impl TryFrom<i64> for TransferLimit {
    type Error = UsageRuleError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<TransferLimit> for u16 {
    fn from(limit: TransferLimit) -> Self {
        limit.0
    }
}

impl fmt::Display for TransferLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Why a usage rule could not be built or decoded (SPEC U3).
///
/// ### Handling
/// A configuration mistake: the organizer must correct the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum UsageRuleError {
    /// The limit is not within 1..=256.
    #[error(
        "the maximum number of transfers allowed is {value}, but it must be from 1 to 256; \
         turn `transfer` off for no transfers, use 256 for unlimited"
    )]
    #[serde(rename = "TRANSFER_LIMIT_OUT_OF_RANGE")]
    LimitOutOfRange {
        /// The value given.
        value: i64,
    },
}

impl UsageRuleError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. A released code never changes
    /// (`tests/fixtures/error_codes.txt` lists them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{ErrorKind, TransferLimit};
    ///
    /// let error = TransferLimit::new(0).unwrap_err();
    /// assert_eq!(error.code(), "TRANSFER_LIMIT_OUT_OF_RANGE");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::LimitOutOfRange { .. } => "TRANSFER_LIMIT_OUT_OF_RANGE",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{ErrorKind, TransferLimit};
    ///
    /// let error = TransferLimit::new(0).unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::InvalidInput);
    /// assert_eq!(error.kind().http_status(), 400);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::LimitOutOfRange { .. } => ErrorKind::InvalidInput,
        }
    }
}

/// A ticket usage rule (TIXnGO V4): whether spectators may transfer the ticket and how transfers
/// count (SPEC U1-U4).
///
/// [`UsageRule::new`] gives the documented defaults of U4: transfer on; after-activation,
/// after-check and after-control off; limit 1; backward NEUTRAL. With `transfer` off every other
/// transfer setting is ignored (U2).
///
/// # Examples
///
/// ```
/// use secure_ticket::{TransferBackward, TransferLimit, UsageRule, UsageRuleId};
///
/// let rule = UsageRule::new(secure_ticket::OrganizerId::from_u128(1), UsageRuleId::from_u128(1))
///     .with_max_transfers(TransferLimit::new(3)?)
///     .with_transfer_backward(TransferBackward::Decrease);
/// assert!(rule.transfer);
/// assert_eq!(rule.max_transfers.get(), 3);
/// # Ok::<(), secure_ticket::UsageRuleError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UsageRule {
    /// The rule's id; tickets name the rule they follow.
    pub id: UsageRuleId,
    /// The organizer it belongs to (X7): a ticket follows only a rule of its own organizer. A
    /// format-1 record reads as [`OrganizerId::default()`].
    #[serde(default)]
    pub organizer: OrganizerId,
    /// Spectator transfers allowed at all (U2).
    #[serde(default = "default_true")]
    pub transfer: bool,
    /// An activated ticket may be transferred (T3).
    #[serde(default)]
    pub transfer_after_activation: bool,
    /// A checked ticket may be transferred (T3).
    #[serde(default)]
    pub transfer_after_check: bool,
    /// A controlled ticket may be transferred (T3).
    #[serde(default)]
    pub transfer_after_control: bool,
    /// The transfer limit (U3).
    #[serde(default = "default_limit")]
    pub max_transfers: TransferLimit,
    /// How a BACKWARD transfer changes the level (T8).
    #[serde(default)]
    pub transfer_backward: TransferBackward,
    /// Keep One (K1); stored only when not `DISABLED`.
    #[serde(default, skip_serializing_if = "KeepOne::is_disabled")]
    pub keep_one: KeepOne,
    /// The owner may assign a ticket holder (H2); on by default, stored only when off.
    #[serde(
        default = "default_true",
        skip_serializing_if = "crate::serde_util::is_true"
    )]
    pub assignment: bool,
    /// An activated ticket's holder may be assigned (H2); off by default, stored only when on.
    #[serde(default, skip_serializing_if = "crate::serde_util::is_false")]
    pub assignment_after_activation: bool,
    /// A checked ticket's holder may be assigned (H2); off by default, stored only when on.
    #[serde(default, skip_serializing_if = "crate::serde_util::is_false")]
    pub assignment_after_check: bool,
}

const fn default_true() -> bool {
    true
}

const fn default_limit() -> TransferLimit {
    TransferLimit::MIN
}

impl UsageRule {
    /// A rule with the defaults of U4.
    #[must_use]
    pub const fn new(organizer: OrganizerId, id: UsageRuleId) -> Self {
        Self {
            id,
            organizer,
            transfer: true,
            transfer_after_activation: false,
            transfer_after_check: false,
            transfer_after_control: false,
            max_transfers: TransferLimit::MIN,
            transfer_backward: TransferBackward::Neutral,
            keep_one: KeepOne::Disabled,
            assignment: true,
            assignment_after_activation: false,
            assignment_after_check: false,
        }
    }

    /// Sets the holder-assignment gates (H2): `assignment` at all, and after activation, after
    /// check.
    #[must_use]
    pub const fn with_assignment(
        mut self,
        on: bool,
        after_activation: bool,
        after_check: bool,
    ) -> Self {
        self.assignment = on;
        self.assignment_after_activation = after_activation;
        self.assignment_after_check = after_check;
        self
    }

    /// Sets Keep One (K1).
    #[must_use]
    pub const fn with_keep_one(mut self, keep_one: KeepOne) -> Self {
        self.keep_one = keep_one;
        self
    }

    /// Sets `transfer` (U2).
    #[must_use]
    pub const fn with_transfer(mut self, on: bool) -> Self {
        self.transfer = on;
        self
    }

    /// Sets the limit (U3).
    #[must_use]
    pub const fn with_max_transfers(mut self, limit: TransferLimit) -> Self {
        self.max_transfers = limit;
        self
    }

    /// Sets the "Transfer backward" setting (T8).
    #[must_use]
    pub const fn with_transfer_backward(mut self, backward: TransferBackward) -> Self {
        self.transfer_backward = backward;
        self
    }

    /// Sets the three after-activation, after-check and after-control gates (T3).
    #[must_use]
    pub const fn with_transfer_after(
        mut self,
        activation: bool,
        check: bool,
        control: bool,
    ) -> Self {
        self.transfer_after_activation = activation;
        self.transfer_after_check = check;
        self.transfer_after_control = control;
        self
    }
}
