//! The organizer's settings record and its policies: acceptance (SPEC A1, A4), the TIXnGO
//! interface (B8) and the take-back switches (B5). What the shell loads besides tickets, groups, POS
//! and rules.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::Duration;

use crate::id::OrganizerId;
use crate::interface::TixngoInterface;
use crate::staff::{Permission, RoleTable};
use crate::ticket::TicketHolder;

/// An organizer's settings, stored as one record: TIXnGO's acceptance settings (A1, A4), S360's
/// TIXnGO interface (B8) and the take-back policy (B5).
///
/// # Examples
///
/// ```
/// use secure_ticket::{AcceptanceSettings, OrganizerId, OrganizerSettings};
///
/// let settings = OrganizerSettings::new(OrganizerId::from_u128(1)).with_acceptance(AcceptanceSettings::explicit());
/// assert!(settings.acceptance.explicit_acceptance);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrganizerSettings {
    /// The organizer.
    pub id: OrganizerId,
    /// How transfer groups complete (A1, A4).
    #[serde(default)]
    pub acceptance: AcceptanceSettings,
    /// S360's TIXnGO interface (B8).
    #[serde(default)]
    pub interface: TixngoInterface,
    /// The take-back switches (B5).
    #[serde(default)]
    pub take_back: TakeBackPolicy,
    /// Which staff roles may do what (S2); TIXnGO's newest table unless set. Stored only when it
    /// differs from the default.
    #[serde(default, skip_serializing_if = "RoleTable::is_default")]
    pub roles: RoleTable,
    /// The holder fields an assignment needs (H4); first and last name unless set. Stored only
    /// when it differs from the default.
    #[serde(default, skip_serializing_if = "DataCollection::is_default")]
    pub data_collection: DataCollection,
}

impl OrganizerSettings {
    /// Default settings: automatic acceptance, no expiry, an empty interface, B5's restriction on.
    #[must_use]
    pub fn new(id: OrganizerId) -> Self {
        Self {
            id,
            ..Self::default()
        }
    }

    /// Sets the acceptance settings.
    #[must_use]
    pub fn with_acceptance(mut self, acceptance: AcceptanceSettings) -> Self {
        self.acceptance = acceptance;
        self
    }

    /// Sets the TIXnGO interface.
    #[must_use]
    pub fn with_interface(mut self, interface: TixngoInterface) -> Self {
        self.interface = interface;
        self
    }

    /// Sets the staff role table (S2).
    #[must_use]
    pub fn with_roles(mut self, roles: RoleTable) -> Self {
        self.roles = roles;
        self
    }

    /// Every setting that contradicts another or leaves a capability unusable, with the setting
    /// to change; an empty list means the settings are sound.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::staff::{Permission, RoleTable, StaffRole};
    /// use secure_ticket::{OrganizerId, OrganizerSettings, SettingsProblem};
    ///
    /// let settings = OrganizerSettings::new(OrganizerId::from_u128(1));
    /// assert!(settings.check_configuration().is_empty());
    ///
    /// let locked_out = settings.with_roles(
    ///     RoleTable::empty().with_grant(Permission::InitiateTransfer, StaffRole::Admin),
    /// );
    /// assert_eq!(
    ///     locked_out.check_configuration(),
    ///     [SettingsProblem::NoRoleHolds { permission: Permission::LockSpectator }]
    /// );
    /// ```
    #[must_use]
    pub fn check_configuration(&self) -> Vec<SettingsProblem> {
        let mut problems: Vec<SettingsProblem> = Permission::ALL
            .into_iter()
            .filter(|&permission| self.roles.roles_with(permission).next().is_none())
            .map(|permission| SettingsProblem::NoRoleHolds { permission })
            .collect();
        if self.data_collection.fields.is_empty() {
            problems.push(SettingsProblem::DataCollectionWithoutFields);
        }
        problems
    }

    /// Sets the data-collection rule (H4).
    #[must_use]
    pub fn with_data_collection(mut self, rule: DataCollection) -> Self {
        self.data_collection = rule;
        self
    }
}

/// An organizer setting that contradicts another or leaves a capability unusable
/// ([`OrganizerSettings::check_configuration`]). `Display` gives the operator's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsProblem {
    /// No staff role holds `permission` (S2): nobody can do it.
    #[error(
        "no staff role holds {permission}: nobody can use it; grant it to a role in the organizer's role table (`roles`)"
    )]
    NoRoleHolds {
        /// The permission no role holds.
        permission: Permission,
    },
    /// The data-collection rule (H4) requires no holder field: an assignment would record a
    /// holder with nothing in it.
    #[error(
        "the data-collection rule requires no holder field: list at least one (`data_collection.fields`, e.g. FIRST_NAME and LAST_NAME)"
    )]
    DataCollectionWithoutFields,
}

/// The organizer's settings for completing transfers.
///
/// - `explicit_acceptance` is the "accept/reject transfer" setting (A1): on, the recipient must accept
///   or decline a FORWARD group; off, the group completes at the recipient's next sign-in or sync.
///   BACKWARD groups never need explicit acceptance (A2).
/// - `expire_after`, when set, is how long a group may stay pending before the system cancels it
///   (A4, status `EXPIRED`): a [`TransferExpiry`], whole seconds, never negative, so that every
///   value that can be set is one every reader decodes (X10).
///
/// Both are read when a group is initiated and recorded in it, so changing them later does not change
/// groups already pending (**decision**: a spectator sees the terms of the transfer they started).
///
/// # Examples
///
/// ```
/// use secure_ticket::{AcceptanceSettings, SettingsError};
/// use time::Duration;
///
/// let settings = AcceptanceSettings::explicit().with_expiry(Duration::days(7))?;
/// assert!(settings.explicit_acceptance);
/// assert_eq!(settings.expire_after.unwrap().duration(), Duration::days(7));
///
/// // What no reader could decode is refused when it is set, not when it is read back.
/// assert!(matches!(
///     AcceptanceSettings::explicit().with_expiry(Duration::hours(-1)),
///     Err(SettingsError::NegativeExpiry { .. })
/// ));
/// assert!(matches!(
///     AcceptanceSettings::explicit().with_expiry(Duration::milliseconds(400)),
///     Err(SettingsError::ExpiryNotInWholeSeconds { .. })
/// ));
/// # Ok::<(), SettingsError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct AcceptanceSettings {
    /// The organizer's "accept/reject transfer" setting (A1).
    #[serde(default, skip_serializing_if = "crate::serde_util::is_false")]
    pub explicit_acceptance: bool,
    /// Pending groups expire after this long (A4); `None`, never. Serialised in whole seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_after: Option<TransferExpiry>,
}

impl AcceptanceSettings {
    /// Groups complete automatically at the recipient's next sign-in; no expiry.
    #[must_use]
    pub const fn automatic() -> Self {
        Self {
            explicit_acceptance: false,
            expire_after: None,
        }
    }

    /// Recipients must accept or decline FORWARD groups; no expiry.
    #[must_use]
    pub const fn explicit() -> Self {
        Self {
            explicit_acceptance: true,
            expire_after: None,
        }
    }

    /// Sets the expiry duration (A4).
    ///
    /// # Errors
    ///
    /// As [`TransferExpiry::new`]: a negative duration, one that is not whole seconds, or one
    /// longer than [`TransferExpiry::MAX`].
    pub fn with_expiry(mut self, after: Duration) -> Result<Self, SettingsError> {
        self.expire_after = Some(TransferExpiry::new(after)?);
        Ok(self)
    }
}

/// How long a pending group may wait before the system expires it (A4): whole seconds, from 0 to
/// [`TransferExpiry::MAX`] (about 136 years). Stored as a number of seconds.
///
/// # Examples
///
/// ```
/// use secure_ticket::TransferExpiry;
/// use time::Duration;
///
/// let two_days = TransferExpiry::new(Duration::hours(48))?;
/// assert_eq!(two_days.seconds(), 172_800);
/// assert_eq!(serde_json::to_string(&two_days)?, "172800");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct TransferExpiry(u32);

impl TransferExpiry {
    /// The longest expiry: `u32::MAX` seconds.
    pub const MAX: Self = Self(u32::MAX);

    /// An expiry of `seconds`.
    #[must_use]
    pub const fn from_seconds(seconds: u32) -> Self {
        Self(seconds)
    }

    /// An expiry of `after`.
    ///
    /// # Errors
    ///
    /// [`SettingsError::NegativeExpiry`], [`SettingsError::ExpiryNotInWholeSeconds`] or
    /// [`SettingsError::ExpiryTooLong`].
    pub fn new(after: Duration) -> Result<Self, SettingsError> {
        if after.is_negative() {
            return Err(SettingsError::NegativeExpiry {
                seconds: after.whole_seconds(),
            });
        }
        if after.subsec_nanoseconds() != 0 {
            return Err(SettingsError::ExpiryNotInWholeSeconds {
                milliseconds: after.whole_milliseconds(),
            });
        }
        u32::try_from(after.whole_seconds())
            .map(Self)
            .map_err(|_| SettingsError::ExpiryTooLong {
                seconds: after.whole_seconds(),
            })
    }

    /// The number of seconds.
    #[must_use]
    pub const fn seconds(self) -> u32 {
        self.0
    }

    /// As a [`Duration`].
    #[must_use]
    pub fn duration(self) -> Duration {
        Duration::seconds(i64::from(self.0))
    }
}

/// A setting that cannot be stored as given (X10).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum SettingsError {
    /// A negative transfer expiry.
    #[error(
        "a transfer expiry of {seconds} seconds is negative; give zero or more seconds, or no expiry"
    )]
    #[serde(rename = "EXPIRY_NEGATIVE")]
    NegativeExpiry {
        /// The seconds given.
        seconds: i64,
    },
    /// A transfer expiry with a fraction of a second.
    #[error(
        "a transfer expiry of {milliseconds} ms is not a whole number of seconds; round it to seconds"
    )]
    #[serde(rename = "EXPIRY_NOT_IN_WHOLE_SECONDS")]
    ExpiryNotInWholeSeconds {
        /// The milliseconds given.
        milliseconds: i128,
    },
    /// A transfer expiry longer than [`TransferExpiry::MAX`].
    #[error("a transfer expiry of {seconds} seconds is too long; at most 4294967295 are allowed")]
    #[serde(rename = "EXPIRY_TOO_LONG")]
    ExpiryTooLong {
        /// The seconds given.
        seconds: i64,
    },
}

impl SettingsError {
    /// The error's stable code: `EXPIRY_NEGATIVE`, `EXPIRY_NOT_IN_WHOLE_SECONDS` or
    /// `EXPIRY_TOO_LONG`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NegativeExpiry { .. } => "EXPIRY_NEGATIVE",
            Self::ExpiryNotInWholeSeconds { .. } => "EXPIRY_NOT_IN_WHOLE_SECONDS",
            Self::ExpiryTooLong { .. } => "EXPIRY_TOO_LONG",
        }
    }

    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput).
    #[must_use]
    pub const fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::InvalidInput
    }
}

/// S360-wide switches of the take back.
///
/// # Examples
///
/// ```
/// use secure_ticket::TakeBackPolicy;
/// assert!(TakeBackPolicy::default().refuse_ticket_holder_details);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TakeBackPolicy {
    /// B5: a ticket with ticket-holder details cannot be taken back (a known restriction, on by
    /// default; the next major version turns it off).
    #[serde(default = "default_true")]
    pub refuse_ticket_holder_details: bool,
}

const fn default_true() -> bool {
    true
}

impl Default for TakeBackPolicy {
    fn default() -> Self {
        Self {
            refuse_ticket_holder_details: true,
        }
    }
}

/// A field of a ticket holder ([`TicketHolder`]) that the organizer's data collection may
/// require (SPEC H4), in the spelling the settings store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum HolderField {
    /// [`TicketHolder::first_name`].
    FirstName,
    /// [`TicketHolder::last_name`].
    LastName,
    /// [`TicketHolder::birth_date`].
    BirthDate,
    /// [`TicketHolder::identity_number`].
    IdentityNumber,
}

impl HolderField {
    /// Whether `holder` has this field, and not blank.
    fn filled(self, holder: &TicketHolder) -> bool {
        let value = match self {
            Self::FirstName => Some(holder.first_name.as_str()),
            Self::LastName => Some(holder.last_name.as_str()),
            Self::BirthDate => holder.birth_date.as_deref(),
            Self::IdentityNumber => holder.identity_number.as_deref(),
        };
        value.is_some_and(|v| !v.trim().is_empty())
    }
}

impl fmt::Display for HolderField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::FirstName => "FIRST_NAME",
            Self::LastName => "LAST_NAME",
            Self::BirthDate => "BIRTH_DATE",
            Self::IdentityNumber => "IDENTITY_NUMBER",
        })
    }
}

/// The organizer's data-collection rule (SPEC H4): the holder fields a holder assignment needs
/// (by default first and last name), and whether it needs a reason too
/// (`mandatory_assign_reason`). Part of [`OrganizerSettings`], stored only when it is not the
/// default; decoding refuses a field named twice.
///
/// # Examples
///
/// ```
/// use secure_ticket::{DataCollection, HolderField, TicketHolder};
///
/// let rule = DataCollection::default();
/// let holder = TicketHolder { first_name: "Bob".into(), ..TicketHolder::default() };
/// assert_eq!(rule.missing(&holder), Some(HolderField::LastName));
///
/// let strict = DataCollection::new([HolderField::LastName, HolderField::BirthDate]);
/// let json = serde_json::to_string(&strict).unwrap();
/// assert_eq!(json, r#"{"fields":["LAST_NAME","BIRTH_DATE"]}"#);
/// assert_eq!(serde_json::from_str::<DataCollection>(&json).unwrap(), strict);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DataCollection {
    /// The fields an assignment must fill, in their order.
    #[serde(deserialize_with = "unique_fields")]
    pub fields: BTreeSet<HolderField>,
    /// An assignment must give a reason too.
    #[serde(default, skip_serializing_if = "crate::serde_util::is_false")]
    pub mandatory_assign_reason: bool,
}

impl DataCollection {
    /// A rule requiring `fields`, no reason.
    #[must_use]
    pub fn new(fields: impl IntoIterator<Item = HolderField>) -> Self {
        Self {
            fields: fields.into_iter().collect(),
            mandatory_assign_reason: false,
        }
    }

    /// The rule with `mandatory_assign_reason` set to `on`.
    #[must_use]
    pub fn with_mandatory_reason(mut self, on: bool) -> Self {
        self.mandatory_assign_reason = on;
        self
    }

    /// The first required field that `holder` leaves empty (blank counts as empty), if any.
    #[must_use]
    pub fn missing(&self, holder: &TicketHolder) -> Option<HolderField> {
        self.fields
            .iter()
            .copied()
            .find(|field| !field.filled(holder))
    }

    /// Whether this is the default rule (stored settings omit it).
    #[must_use]
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl Default for DataCollection {
    /// First and last name, no reason.
    fn default() -> Self {
        Self::new([HolderField::FirstName, HolderField::LastName])
    }
}

/// A list of holder fields, each at most once.
fn unique_fields<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeSet<HolderField>, D::Error> {
    let listed = Vec::<HolderField>::deserialize(deserializer)?;
    let mut fields = BTreeSet::new();
    for field in listed {
        if !fields.insert(field) {
            return Err(serde::de::Error::custom(format_args!(
                "data collection: {field} is named twice"
            )));
        }
    }
    Ok(fields)
}
