//! The organizer's settings record: what the shell loads besides tickets, groups, POS and rules.

use serde::{Deserialize, Serialize};

use crate::take_back::TakeBackPolicy;
use crate::{AcceptanceSettings, OrganizerId, TixngoInterface};

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
