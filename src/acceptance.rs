//! The organizer's acceptance settings: how transfer groups complete (SPEC A1, A4).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::Duration;

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
