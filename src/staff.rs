//! Organizer staff (SPEC S2): the roles of TIXnGO's back office and the organizer's table of which
//! role may do what.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error_kind::ErrorKind;
use crate::id::StaffId;
use crate::text_limit::STAFF_REASON_BYTES;

/// A member of the organizer's staff acting in the back office: the account and its role (S2).
///
/// # Examples
///
/// ```
/// use secure_ticket::StaffId;
/// use secure_ticket::staff::{Staff, StaffRole};
///
/// let staff = Staff::new(StaffId::from_u128(7), StaffRole::Advanced);
/// assert_eq!(
///     serde_json::to_string(&staff).unwrap(),
///     r#"{"id":"00000000-0000-0000-0000-000000000007","role":"ADVANCED"}"#
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Staff {
    /// The staff account.
    pub id: StaffId,
    /// Its role, as the organizer's [`RoleTable`] reads it.
    pub role: StaffRole,
}

impl Staff {
    /// A staff member.
    #[must_use]
    pub const fn new(id: StaffId, role: StaffRole) -> Self {
        Self { id, role }
    }
}

/// Who acted in the back office and why (S3, L1): what a back-office group keeps
/// ([`TransferGroup::back_office`](crate::TransferGroup::back_office)) and its events carry.
///
/// # Examples
///
/// ```
/// use secure_ticket::StaffId;
/// use secure_ticket::staff::{Reason, Staff, StaffAction, StaffRole};
///
/// let action = StaffAction::new(Staff::new(StaffId::from_u128(7), StaffRole::Admin), Reason::parse("seat change")?);
/// assert_eq!(action.staff, StaffId::from_u128(7));
/// assert_eq!(
///     serde_json::to_string(&action).unwrap(),
///     r#"{"staff":"00000000-0000-0000-0000-000000000007","role":"ADMIN","reason":"seat change"}"#
/// );
/// # Ok::<(), secure_ticket::staff::ReasonError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StaffAction {
    /// The staff account that acted.
    pub staff: StaffId,
    /// Its role when it acted.
    pub role: StaffRole,
    /// Why, as the staff member wrote it.
    pub reason: Reason,
}

impl StaffAction {
    /// `staff` acting for `reason`.
    #[must_use]
    pub const fn new(staff: Staff, reason: Reason) -> Self {
        Self {
            staff: staff.id,
            role: staff.role,
            reason,
        }
    }

    /// The staff member who acted.
    #[must_use]
    pub const fn by(&self) -> Staff {
        Staff::new(self.staff, self.role)
    }
}

/// The staff member's role does not hold the permission the command needs (S2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error, Serialize, Deserialize)]
#[error(
    "the staff role {role} may not {action}: grant {action} to {role} in the organizer's role table, or act with a role that holds it"
)]
pub struct Forbidden {
    /// The actor's role.
    pub role: StaffRole,
    /// What it may not do.
    pub action: Permission,
}

impl Forbidden {
    /// `FORBIDDEN`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        "FORBIDDEN"
    }

    /// [`ErrorKind::Refused`]: the request is well formed, but this actor may not make it.
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::Refused
    }
}

/// Why a staff member acted (S3: a back-office transfer; L1: a lock), as they wrote it: trimmed,
/// never empty, at most [`STAFF_REASON_BYTES`] bytes. Stored as the string; decoding refuses
/// what [`Reason::parse`] refuses, and untrimmed text, so what is read back is exactly what was
/// written.
///
/// # Examples
///
/// ```
/// use secure_ticket::staff::{Reason, ReasonError};
///
/// let reason = Reason::parse("  wrong seat, moved by the box office ")?;
/// assert_eq!(reason.as_str(), "wrong seat, moved by the box office");
/// assert_eq!(Reason::parse(" \t "), Err(ReasonError::Empty));
/// assert!(serde_json::from_str::<Reason>(r#"" ""#).is_err());
/// # Ok::<(), ReasonError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Reason(String);

impl Reason {
    /// `text` trimmed of surrounding white space.
    ///
    /// # Errors
    ///
    /// [`ReasonError::Empty`] when nothing is left; [`ReasonError::TooLong`] when more than
    /// [`STAFF_REASON_BYTES`] bytes are (the length is checked before anything is copied).
    pub fn parse(text: &str) -> Result<Self, ReasonError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(ReasonError::Empty);
        }
        if trimmed.len() > STAFF_REASON_BYTES {
            return Err(ReasonError::TooLong {
                len: trimmed.len(),
                max: STAFF_REASON_BYTES,
            });
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The reason.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let reason = Self::parse(&text).map_err(serde::de::Error::custom)?;
        if reason.0 != text {
            return Err(serde::de::Error::custom(
                "a staff reason is stored trimmed: this one has surrounding white space",
            ));
        }
        Ok(reason)
    }
}

/// A staff reason that cannot be used (S3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ReasonError {
    /// Nothing but white space.
    #[error("the reason is empty: say why, in a few words")]
    #[serde(rename = "REASON_EMPTY")]
    Empty,
    /// Longer than the limit.
    #[error("the reason has {len} bytes, more than {max}: shorten it")]
    #[serde(rename = "REASON_TOO_LONG")]
    TooLong {
        /// Its length in bytes, trimmed.
        len: usize,
        /// [`STAFF_REASON_BYTES`].
        max: usize,
    },
}

impl ReasonError {
    /// `REASON_EMPTY` or `REASON_TOO_LONG`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Empty => "REASON_EMPTY",
            Self::TooLong { .. } => "REASON_TOO_LONG",
        }
    }

    /// [`ErrorKind::InvalidInput`].
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidInput
    }
}

/// A back-office role of TIXnGO's staff accounts, spelled as TIXnGO spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum StaffRole {
    /// `BASIC`.
    Basic,
    /// `MODERATOR`.
    Moderator,
    /// `ADVANCED`.
    Advanced,
    /// `SUPPORT`: the organizer's support desk.
    Support,
    /// `TIXNGO_SUPPORT`: TIXnGO's own support.
    TixngoSupport,
    /// `ADMIN`.
    Admin,
}

impl StaffRole {
    /// Every role, in their serialised order.
    pub const ALL: [Self; 6] = [
        Self::Basic,
        Self::Moderator,
        Self::Advanced,
        Self::Support,
        Self::TixngoSupport,
        Self::Admin,
    ];

    /// The role as TIXnGO spells it: `"ADVANCED"`, `"TIXNGO_SUPPORT"`, ...
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "BASIC",
            Self::Moderator => "MODERATOR",
            Self::Advanced => "ADVANCED",
            Self::Support => "SUPPORT",
            Self::TixngoSupport => "TIXNGO_SUPPORT",
            Self::Admin => "ADMIN",
        }
    }
}

impl fmt::Display for StaffRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a role may be allowed to do (S2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Permission {
    /// Initiate (and cancel) a back-office transfer (S1, S8): `INITIATE_TRANSFER`.
    InitiateTransfer,
    /// Lock and unlock a spectator (L1): `LOCK_SPECTATOR`.
    LockSpectator,
}

impl Permission {
    /// Every permission, in their serialised order.
    pub const ALL: [Self; 2] = [Self::InitiateTransfer, Self::LockSpectator];

    /// The permission as stored: `"INITIATE_TRANSFER"` or `"LOCK_SPECTATOR"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InitiateTransfer => "INITIATE_TRANSFER",
            Self::LockSpectator => "LOCK_SPECTATOR",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The organizer's table of which roles hold which permission (S2), part of its
/// [`OrganizerSettings`](crate::OrganizerSettings).
///
/// The default is TIXnGO's newest published table ([`RoleTable::tixngo`]): initiating transfers
/// and locking spectators belong to `ADVANCED`, `TIXNGO_SUPPORT` and `ADMIN`, never to `SUPPORT`.
/// [`RoleTable::v4_rollout`] is the table of the V4 roll-out, as a preset.
///
/// Stored as a map from permission to its roles, both as TIXnGO spells them
/// (`{"INITIATE_TRANSFER": ["ADVANCED", "ADMIN"]}`); a permission absent from the map is held by
/// no role. Decoding refuses an unknown role or permission, a permission named twice and a role
/// named twice for one permission, so what is read back is exactly what was written.
///
/// # Examples
///
/// ```
/// use secure_ticket::staff::{Permission, RoleTable, StaffRole};
///
/// let table = RoleTable::default();
/// assert!(table.allows(StaffRole::Advanced, Permission::InitiateTransfer));
/// assert!(!table.allows(StaffRole::Support, Permission::LockSpectator));
///
/// let own = RoleTable::empty()
///     .with_grant(Permission::InitiateTransfer, StaffRole::Moderator)
///     .with_grant(Permission::LockSpectator, StaffRole::Admin);
/// let json = serde_json::to_string(&own).unwrap();
/// assert_eq!(json, r#"{"INITIATE_TRANSFER":["MODERATOR"],"LOCK_SPECTATOR":["ADMIN"]}"#);
/// assert_eq!(serde_json::from_str::<RoleTable>(&json).unwrap(), own);
/// assert!(serde_json::from_str::<RoleTable>(r#"{"INITIATE_TRANSFER":["OWNER"]}"#).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleTable {
    grants: BTreeMap<Permission, BTreeSet<StaffRole>>,
}

impl RoleTable {
    /// A table that grants nothing (see
    /// [`SettingsProblem::NoRoleHolds`](crate::SettingsProblem::NoRoleHolds)).
    #[must_use]
    pub const fn empty() -> Self {
        Self {
            grants: BTreeMap::new(),
        }
    }

    /// TIXnGO's newest published table, the default: every permission to `ADVANCED`,
    /// `TIXNGO_SUPPORT` and `ADMIN`.
    #[must_use]
    pub fn tixngo() -> Self {
        Self::granting_all_to(&[
            StaffRole::Advanced,
            StaffRole::TixngoSupport,
            StaffRole::Admin,
        ])
    }

    /// The V4 roll-out table, a preset: every permission to `BASIC`, `MODERATOR`,
    /// `TIXNGO_SUPPORT` and `ADMIN`.
    #[must_use]
    pub fn v4_rollout() -> Self {
        Self::granting_all_to(&[
            StaffRole::Basic,
            StaffRole::Moderator,
            StaffRole::TixngoSupport,
            StaffRole::Admin,
        ])
    }

    fn granting_all_to(roles: &[StaffRole]) -> Self {
        let roles: BTreeSet<StaffRole> = roles.iter().copied().collect();
        Self {
            grants: Permission::ALL
                .iter()
                .map(|&permission| (permission, roles.clone()))
                .collect(),
        }
    }

    /// The table with `role` also holding `permission`.
    #[must_use]
    pub fn with_grant(mut self, permission: Permission, role: StaffRole) -> Self {
        self.grants.entry(permission).or_default().insert(role);
        self
    }

    /// The table with `role` no longer holding `permission`.
    #[must_use]
    pub fn without_grant(mut self, permission: Permission, role: StaffRole) -> Self {
        if let Some(roles) = self.grants.get_mut(&permission) {
            roles.remove(&role);
            if roles.is_empty() {
                self.grants.remove(&permission);
            }
        }
        self
    }

    /// `Ok` when `staff`'s role holds `action`.
    ///
    /// # Errors
    ///
    /// [`Forbidden`] naming the role and the action.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::StaffId;
    /// use secure_ticket::staff::{Forbidden, Permission, RoleTable, Staff, StaffRole};
    ///
    /// let desk = Staff::new(StaffId::from_u128(1), StaffRole::Support);
    /// assert_eq!(
    ///     RoleTable::default().check(&desk, Permission::InitiateTransfer),
    ///     Err(Forbidden { role: StaffRole::Support, action: Permission::InitiateTransfer })
    /// );
    /// ```
    pub fn check(&self, staff: &Staff, action: Permission) -> Result<(), Forbidden> {
        if self.allows(staff.role, action) {
            Ok(())
        } else {
            Err(Forbidden {
                role: staff.role,
                action,
            })
        }
    }

    /// Whether `role` holds `permission`.
    #[must_use]
    pub fn allows(&self, role: StaffRole, permission: Permission) -> bool {
        self.grants
            .get(&permission)
            .is_some_and(|roles| roles.contains(&role))
    }

    /// The roles that hold `permission`, in order.
    pub fn roles_with(&self, permission: Permission) -> impl Iterator<Item = StaffRole> + '_ {
        self.grants.get(&permission).into_iter().flatten().copied()
    }

    /// Whether this is the default table (stored settings omit it).
    #[must_use]
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl Default for RoleTable {
    fn default() -> Self {
        Self::tixngo()
    }
}

impl Serialize for RoleTable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // An emptied permission is removed by `without_grant`; none is written with no roles.
        let mut map = serializer.serialize_map(Some(self.grants.len()))?;
        for (permission, roles) in &self.grants {
            map.serialize_entry(permission, roles)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for RoleTable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TableVisitor;

        impl<'de> Visitor<'de> for TableVisitor {
            type Value = RoleTable;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from permission to the list of roles that hold it")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RoleTable, A::Error> {
                use serde::de::Error;
                let mut grants = BTreeMap::new();
                while let Some((permission, roles)) =
                    map.next_entry::<Permission, Vec<StaffRole>>()?
                {
                    let mut set = BTreeSet::new();
                    for role in roles {
                        if !set.insert(role) {
                            return Err(A::Error::custom(format_args!(
                                "role table: {role} is listed twice for {permission}"
                            )));
                        }
                    }
                    if set.is_empty() {
                        return Err(A::Error::custom(format_args!(
                            "role table: {permission} lists no role (leave it out instead)"
                        )));
                    }
                    if grants.insert(permission, set).is_some() {
                        return Err(A::Error::custom(format_args!(
                            "role table: {permission} is named twice"
                        )));
                    }
                }
                Ok(RoleTable { grants })
            }
        }

        deserializer.deserialize_map(TableVisitor)
    }
}
