//! How a ticket was activated in the wallet: a value both facets speak of.

use serde::{Deserialize, Serialize};

/// How a ticket was activated; TIXnGO reports each as its own lifecycle status (I2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ActivationMethod {
    /// Activated online (`ONLINE_ACTIVATED`).
    Online,
    /// Activated offline (`OFFLINE_ACTIVATED`).
    Offline,
    /// Activated manually (`MANUAL_ACTIVATED`).
    Manual,
    /// Activated by Bluetooth beacon (`BT_ACTIVATED`).
    Bt,
}
