//! Who acts on a ticket besides its owner.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::email::Email;

/// Who acts on a ticket's flags.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "email", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Actor {
    /// A spectator, by email.
    Spectator(Email),
    /// The organizer's access control (scanners, stewards).
    AccessControl,
    /// The TIXnGO platform itself (time- or beacon-based activation).
    System,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Spectator(email) => write!(f, "spectator {email}"),
            Self::AccessControl => f.write_str("access control"),
            Self::System => f.write_str("the system"),
        }
    }
}
