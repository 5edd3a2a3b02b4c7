//! The organizer's settings record and its policies: acceptance (SPEC A1, A4), the TIXnGO
//! interface (B8) and the take-back switches (B5). What the shell loads besides tickets, groups, POS
//! and rules.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::Duration;

use crate::id::OrganizerId;
use crate::interface::TixngoInterface;

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
}

/// The organizer's settings for completing transfers.
///
/// - `explicit_acceptance` is the "accept/reject transfer" setting (A1): on, the recipient must accept
///   or decline a FORWARD group; off, the group completes at the recipient's next sign-in or sync.
///   BACKWARD groups never need explicit acceptance (A2).
/// - `expire_after`, when set, is how long a group may stay pending before the system cancels it
///   (A4, status `EXPIRED`).
///
/// Both are read when a group is initiated and recorded in it, so changing them later does not change
/// groups already pending (**decision**: a spectator sees the terms of the transfer they started).
///
/// # Examples
///
/// ```
/// use secure_ticket::AcceptanceSettings;
/// use time::Duration;
///
/// let settings = AcceptanceSettings::explicit().with_expiry(Duration::days(7));
/// assert!(settings.explicit_acceptance);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct AcceptanceSettings {
    /// The organizer's "accept/reject transfer" setting (A1).
    #[serde(default, skip_serializing_if = "crate::serde_util::is_false")]
    pub explicit_acceptance: bool,
    /// Pending groups expire after this long (A4); `None`, never. Serialised in whole seconds.
    #[serde(default, with = "seconds", skip_serializing_if = "Option::is_none")]
    pub expire_after: Option<Duration>,
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
    #[must_use]
    pub const fn with_expiry(mut self, after: Duration) -> Self {
        self.expire_after = Some(after);
        self
    }
}

mod seconds {
    use super::{Deserialize, Deserializer, Duration, Serializer};

    pub(super) fn serialize<S: Serializer>(
        value: &Option<Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.serialize_some(&d.whole_seconds()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        match Option::<i64>::deserialize(d)? {
            Some(secs) if secs < 0 => Err(serde::de::Error::custom(format_args!(
                "expire_after is {secs} seconds; it must be zero or more (omit it for no expiry)"
            ))),
            other => Ok(other.map(Duration::seconds)),
        }
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
