//! Locked spectators (SPEC L1-L3): organizer staff lock a spectator's email, who may then start no
//! transfer, assign no holder and resell nothing, until unlocked. What is under way is left alone.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::decision::Decision;
use crate::email::Email;
use crate::error_kind::ErrorKind;
use crate::event::Event;
use crate::id::{OrganizerId, SpectatorId};
use crate::organizer::OrganizerSettings;
use crate::rfc3339::rfc3339;
use crate::staff::{Forbidden, Permission, Reason, Staff, StaffAction};

/// What an organizer keeps about one spectator (an email): whether staff locked it (L1).
///
/// One record per organizer and email, under [`SpectatorId::of`]; created by the first lock.
///
/// # Examples
///
/// ```
/// use secure_ticket::spectator::Spectator;
/// use secure_ticket::{Email, OrganizerId, SpectatorId};
///
/// let alice = Email::parse("alice@example.com")?;
/// let record = Spectator::new(OrganizerId::from_u128(1), alice.clone());
/// assert!(!record.is_locked());
/// assert_eq!(record.id(), SpectatorId::of(OrganizerId::from_u128(1), &alice));
/// # Ok::<(), secure_ticket::EmailError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spectator {
    /// The organizer whose staff locks (X7): a lock never reaches another organizer's tickets.
    pub organizer: OrganizerId,
    /// The spectator's email.
    pub email: Email,
    /// The lock in force, if any: who locked, why and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<LockChange>,
    /// The last unlock, if any: who unlocked, why and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlocked: Option<LockChange>,
}

impl Spectator {
    /// An unlocked spectator.
    #[must_use]
    pub const fn new(organizer: OrganizerId, email: Email) -> Self {
        Self {
            organizer,
            email,
            lock: None,
            unlocked: None,
        }
    }

    /// The record's id: [`SpectatorId::of`] its organizer and email.
    #[must_use]
    pub fn id(&self) -> SpectatorId {
        SpectatorId::of(self.organizer, &self.email)
    }

    /// Whether the spectator is locked now.
    #[must_use]
    pub const fn is_locked(&self) -> bool {
        self.lock.is_some()
    }
}

/// A lock or an unlock: the staff action and its time (L1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LockChange {
    /// Who, with which role, and why.
    pub by: StaffAction,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Command: staff lock a spectator (L1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockSpectator {
    /// The staff member: their role must hold [`Permission::LockSpectator`] (S2).
    pub staff: Staff,
    /// The spectator's email.
    pub spectator: Email,
    /// Why (recorded).
    pub reason: Reason,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Command: staff unlock a spectator (L1, L3: no ticket changes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnlockSpectator {
    /// The staff member: their role must hold [`Permission::LockSpectator`] (S2).
    pub staff: Staff,
    /// The spectator's email.
    pub spectator: Email,
    /// Why (recorded).
    pub reason: Reason,
    /// When.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why a spectator could not be locked or unlocked. Nothing changed.
///
/// ### Handling
/// [`Forbidden`](Self::Forbidden): the staff member's role may not lock; the others: the spectator
/// is already in the state asked for (refresh and show it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum LockError {
    /// The staff role does not hold [`Permission::LockSpectator`] (S2).
    #[error(transparent)]
    Forbidden(Forbidden),
    /// The spectator is locked already (L1).
    #[error(
        "{spectator} is locked already (since {}); unlock them first to lock them again",
        rfc3339(*since)
    )]
    AlreadyLocked {
        /// The spectator.
        spectator: Email,
        /// When the lock in force was set.
        #[serde(with = "crate::rfc3339")]
        since: OffsetDateTime,
    },
    /// The spectator is not locked (L1).
    #[error("{spectator} is not locked; there is nothing to unlock")]
    NotLocked {
        /// The spectator.
        spectator: Email,
    },
}

impl LockError {
    /// The error's stable code: `FORBIDDEN`, `ALREADY_LOCKED`, `NOT_LOCKED`.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::spectator::LockError;
    /// use secure_ticket::Email;
    ///
    /// let error = LockError::NotLocked { spectator: Email::parse("a@example.com")? };
    /// assert_eq!(error.code(), "NOT_LOCKED");
    /// # Ok::<(), secure_ticket::EmailError>(())
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Forbidden(f) => f.code(),
            Self::AlreadyLocked { .. } => "ALREADY_LOCKED",
            Self::NotLocked { .. } => "NOT_LOCKED",
        }
    }

    /// [`ErrorKind::Refused`] for every variant.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::Refused
    }
}

impl From<Forbidden> for LockError {
    fn from(f: Forbidden) -> Self {
        Self::Forbidden(f)
    }
}

/// Locks a spectator (L1): the record, created when absent, keeps who locked, why and when; a
/// `SPECTATOR_LOCKED` event reports it. No ticket or group changes (L3).
///
/// `record` is the spectator's record if the organizer has one (`None`: never locked);
/// `settings` are the organizer's, whose role table decides (S2).
///
/// # Errors
///
/// [`LockError::Forbidden`] when the staff role may not lock; then
/// [`LockError::AlreadyLocked`].
///
/// # Examples
///
/// ```
/// use secure_ticket::spectator::{self, LockError, LockSpectator};
/// use secure_ticket::staff::{Reason, Staff, StaffRole};
/// use secure_ticket::{Email, OrganizerId, OrganizerSettings, StaffId};
///
/// let settings = OrganizerSettings::new(OrganizerId::from_u128(1));
/// let command = LockSpectator {
///     staff: Staff::new(StaffId::from_u128(9), StaffRole::Advanced),
///     spectator: Email::parse("tout@example.com")?,
///     reason: Reason::parse("resells tickets above face value")?,
///     at: time::macros::datetime!(2026-12-01 10:00 UTC),
/// };
/// let decision = spectator::lock(None, &settings, &command)?;
/// assert!(decision.spectators[0].is_locked());
///
/// let again = spectator::lock(Some(&decision.spectators[0]), &settings, &command);
/// assert!(matches!(again, Err(LockError::AlreadyLocked { .. })));
///
/// let support = LockSpectator { staff: Staff::new(StaffId::from_u128(9), StaffRole::Support), ..command };
/// assert!(matches!(spectator::lock(None, &settings, &support), Err(LockError::Forbidden(_))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lock(
    record: Option<&Spectator>,
    settings: &OrganizerSettings,
    command: &LockSpectator,
) -> Result<Decision, LockError> {
    settings
        .roles
        .check(&command.staff, Permission::LockSpectator)?;
    let mut spectator = match record {
        Some(r) => r.clone(),
        None => Spectator::new(settings.id, command.spectator.clone()),
    };
    if let Some(lock) = &spectator.lock {
        return Err(LockError::AlreadyLocked {
            spectator: command.spectator.clone(),
            since: lock.at,
        });
    }
    let by = StaffAction::new(command.staff, command.reason.clone());
    spectator.lock = Some(LockChange {
        by: by.clone(),
        at: command.at,
    });
    let mut decision = Decision::default();
    decision.spectators.push(spectator);
    decision.events.push(Event::SpectatorLocked {
        spectator: command.spectator.clone(),
        by,
        at: command.at,
    });
    Ok(decision)
}

/// Unlocks a spectator (L1): the lock is lifted and the unlock recorded; a `SPECTATOR_UNLOCKED`
/// event reports it. No ticket changes (L3).
///
/// # Errors
///
/// [`LockError::Forbidden`] when the staff role may not unlock; then [`LockError::NotLocked`].
///
/// # Examples
///
/// ```
/// use secure_ticket::spectator::{self, LockError, UnlockSpectator};
/// use secure_ticket::staff::{Reason, Staff, StaffRole};
/// use secure_ticket::{Email, OrganizerId, OrganizerSettings, StaffId};
///
/// let settings = OrganizerSettings::new(OrganizerId::from_u128(1));
/// let command = UnlockSpectator {
///     staff: Staff::new(StaffId::from_u128(9), StaffRole::Admin),
///     spectator: Email::parse("alice@example.com")?,
///     reason: Reason::parse("appeal accepted")?,
///     at: time::macros::datetime!(2026-12-01 10:00 UTC),
/// };
/// assert!(matches!(spectator::unlock(None, &settings, &command), Err(LockError::NotLocked { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn unlock(
    record: Option<&Spectator>,
    settings: &OrganizerSettings,
    command: &UnlockSpectator,
) -> Result<Decision, LockError> {
    settings
        .roles
        .check(&command.staff, Permission::LockSpectator)?;
    let Some(mut spectator) = record.filter(|r| r.is_locked()).cloned() else {
        return Err(LockError::NotLocked {
            spectator: command.spectator.clone(),
        });
    };
    let by = StaffAction::new(command.staff, command.reason.clone());
    spectator.lock = None;
    spectator.unlocked = Some(LockChange {
        by: by.clone(),
        at: command.at,
    });
    let mut decision = Decision::default();
    decision.spectators.push(spectator);
    decision.events.push(Event::SpectatorUnlocked {
        spectator: command.spectator.clone(),
        by,
        at: command.at,
    });
    Ok(decision)
}

/// A refusal because the actor is locked (L2): what every spectator command a lock stops
/// returns, inside its own error type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error, Serialize, Deserialize)]
#[error(
    "{spectator} is locked by the organizer's staff (since {}) and may not do this; ask the organizer to unlock the account",
    rfc3339(*since)
)]
pub struct SpectatorLocked {
    /// The locked spectator.
    pub spectator: Email,
    /// When the lock was set.
    #[serde(with = "crate::rfc3339")]
    pub since: OffsetDateTime,
}

impl SpectatorLocked {
    /// The refusal for `record`'s lock, if it is locked.
    #[must_use]
    pub fn of(record: Option<&Spectator>) -> Option<Self> {
        let record = record?;
        record.lock.as_ref().map(|lock| Self {
            spectator: record.email.clone(),
            since: lock.at,
        })
    }
}
