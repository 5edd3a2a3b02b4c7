//! What TIXnGO reports back to S360 about an injected ticket (SPEC I2-I4): lifecycle statuses,
//! feedback records, and the distribution history they keep in step.

use std::fmt;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::activation::ActivationMethod;
use crate::email::Email;
use crate::id::{TicketId, TransferGroupId};
use crate::staff::StaffAction;

/// TIXnGO's lifecycle status of an injected ticket, as its feedback interface reports it to S360
/// (SPEC I2). Serialised in TIXnGO's spelling (`PENDING_TRANSFER`, `BT_ACTIVATED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum LifecycleStatus {
    /// In the wallet, never downloaded: the only status that allows a mobile take back (B4).
    Injected,
    /// Loaded on the owner's device.
    Downloaded,
    /// A ticket holder was assigned.
    Assigned,
    /// In a pending transfer.
    PendingTransfer,
    /// A transfer was declined, cancelled or expired.
    FailureTransfer,
    /// A transfer completed.
    Transferred,
    /// Activated online.
    OnlineActivated,
    /// Activated offline.
    OfflineActivated,
    /// Activated manually.
    ManualActivated,
    /// Activated by Bluetooth beacon.
    BtActivated,
    /// Controlled at the venue.
    Controlled,
    /// Deletion requested.
    DeletionPending,
    /// Deleted from the wallet.
    Deleted,
}

impl LifecycleStatus {
    /// The status TIXnGO reports for an activation.
    #[must_use]
    pub const fn activated(method: ActivationMethod) -> Self {
        match method {
            ActivationMethod::Online => Self::OnlineActivated,
            ActivationMethod::Offline => Self::OfflineActivated,
            ActivationMethod::Manual => Self::ManualActivated,
            ActivationMethod::Bt => Self::BtActivated,
        }
    }

    /// The status code as TIXnGO writes it.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Injected => "INJECTED",
            Self::Downloaded => "DOWNLOADED",
            Self::Assigned => "ASSIGNED",
            Self::PendingTransfer => "PENDING_TRANSFER",
            Self::FailureTransfer => "FAILURE_TRANSFER",
            Self::Transferred => "TRANSFERRED",
            Self::OnlineActivated => "ONLINE_ACTIVATED",
            Self::OfflineActivated => "OFFLINE_ACTIVATED",
            Self::ManualActivated => "MANUAL_ACTIVATED",
            Self::BtActivated => "BT_ACTIVATED",
            Self::Controlled => "CONTROLLED",
            Self::DeletionPending => "DELETION_PENDING",
            Self::Deleted => "DELETED",
        }
    }

    /// Whether this status concerns a transfer and so carries [`TransferDetails`] (I4).
    #[must_use]
    pub const fn is_transfer(self) -> bool {
        matches!(
            self,
            Self::PendingTransfer | Self::FailureTransfer | Self::Transferred
        )
    }
}

impl fmt::Display for LifecycleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.code())
    }
}

/// One feedback record: a ticket's lifecycle status at the time TIXnGO recorded it (SPEC I2),
/// with the wallet's sequence that orders it (I3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    /// The ticket.
    pub ticket: TicketId,
    /// Its lifecycle status.
    pub status: LifecycleStatus,
    /// Where the wallet committed this status in its order of commits: a ticket's later status
    /// has a higher sequence (I3, I6). The crate's wallet numbers its feedback with the feed
    /// position of the commit that produced it ([`feedback_for`](crate::injection::feedback_for),
    /// [`FeedbackReader`](crate::service::FeedbackReader)). Absent from older feedback: 0.
    #[serde(default)]
    pub sequence: u64,
    /// When TIXnGO recorded it: shown, never used to order feedback (a clock can be wrong).
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
    /// For `PENDING_TRANSFER`, `FAILURE_TRANSFER` and `TRANSFERRED`: the transfer concerned (I4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<TransferDetails>,
}

/// The transfer a transfer feedback is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TransferDetails {
    /// The transfer group.
    pub group: TransferGroupId,
    /// Who sent the ticket.
    pub sender: Email,
    /// Who it was sent to.
    pub recipient: Email,
    /// For a back-office transfer (S3): the staff member, their role and reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_office: Option<Arc<StaffAction>>,
}

/// The last feedback S360 recorded for a ticket (I3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LastFeedback {
    /// Its lifecycle status.
    pub status: LifecycleStatus,
    /// When TIXnGO recorded it.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
    /// Its [`Feedback::sequence`]: feedback with a lower one is older and ignored (I6). Records
    /// written before sequences existed read 0, so every numbered feedback is newer.
    #[serde(default, skip_serializing_if = "crate::serde_util::is_zero")]
    pub sequence: u64,
}

/// One line of a ticket's distribution history in S360, kept in step by transfer feedback (I4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DistributionEntry {
    /// The transfer group it stands for.
    pub group: TransferGroupId,
    /// The sender.
    pub sender: Email,
    /// The recipient.
    pub recipient: Email,
    /// Where it stands.
    pub status: EntryStatus,
    /// When it last changed (the feedback's time).
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
}

/// A ticket's distribution history (I4): a list of [`DistributionEntry`], shared behind an
/// [`Arc`](std::sync::Arc) so cloning a ticket that has one allocates nothing. Changing it copies
/// the list once (copy on write). Serialised as a plain list; compares with slices, arrays and
/// `Vec`s.
///
/// # Examples
///
/// ```
/// use secure_ticket::{DistributionEntry, DistributionHistory, Email, EntryStatus, TransferGroupId};
/// # let at = time::macros::datetime!(2026-11-23 12:00 UTC);
///
/// let mut history = DistributionHistory::new();
/// history.push(DistributionEntry {
///     group: TransferGroupId::from_u128(1),
///     sender: Email::parse("alice@example.com")?,
///     recipient: Email::parse("bob@example.com")?,
///     status: EntryStatus::Pending,
///     at,
/// });
/// let copy = history.clone(); // shares the list
/// history.make_mut()[0].status = EntryStatus::Confirmed; // copies it once
/// assert_eq!((copy[0].status, history[0].status), (EntryStatus::Pending, EntryStatus::Confirmed));
/// # Ok::<(), secure_ticket::EmailError>(())
/// ```
#[derive(Clone, Default)]
pub struct DistributionHistory(Option<Arc<[DistributionEntry]>>);

impl DistributionHistory {
    /// An empty history (no allocation).
    #[must_use]
    pub const fn new() -> Self {
        Self(None)
    }

    /// Whether there are no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// The entries, oldest first.
    #[must_use]
    pub fn as_slice(&self) -> &[DistributionEntry] {
        self.0.as_deref().unwrap_or_default()
    }

    /// The most entries a history keeps (I5): a ticket passed back and forth forever keeps a
    /// record of bounded size; the whole history is in the feed and the history query.
    pub const MAX_ENTRIES: usize = 16;

    /// Appends an entry (one allocation: the new list). Beyond [`MAX_ENTRIES`](Self::MAX_ENTRIES),
    /// the oldest entries that are no longer PENDING make room (I5).
    pub fn push(&mut self, entry: DistributionEntry) {
        let entries = self.as_slice();
        let excess = entries
            .len()
            .saturating_add(1)
            .saturating_sub(Self::MAX_ENTRIES);
        let mut dropped = 0usize;
        let kept = entries.iter().filter(|e| {
            if dropped < excess && e.status != EntryStatus::Pending {
                dropped = dropped.saturating_add(1);
                false
            } else {
                true
            }
        });
        self.0 = Some(kept.cloned().chain(std::iter::once(entry)).collect());
    }

    /// The entries for changing in place; copies the list first if it is shared.
    pub fn make_mut(&mut self) -> &mut [DistributionEntry] {
        match &mut self.0 {
            Some(entries) => Arc::make_mut(entries),
            None => &mut [],
        }
    }
}

impl From<Vec<DistributionEntry>> for DistributionHistory {
    fn from(entries: Vec<DistributionEntry>) -> Self {
        if entries.is_empty() {
            Self::new()
        } else {
            Self(Some(entries.into()))
        }
    }
}

impl FromIterator<DistributionEntry> for DistributionHistory {
    fn from_iter<I: IntoIterator<Item = DistributionEntry>>(iter: I) -> Self {
        iter.into_iter().collect::<Vec<_>>().into()
    }
}

crate::changes::shared_list_impls!(DistributionHistory, DistributionEntry);

/// Where a distribution entry stands (I4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum EntryStatus {
    /// The transfer is pending.
    Pending,
    /// The transfer failed (declined, cancelled, expired).
    Cancelled,
    /// The transfer completed: the recipient is the cultural contact.
    Confirmed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket};

    fn entry(group: u128) -> DistributionEntry {
        DistributionEntry {
            group: TransferGroupId::from_u128(group),
            sender: Email::parse("alice@example.com").unwrap(),
            recipient: Email::parse("bob@example.com").unwrap(),
            status: EntryStatus::Pending,
            at: time::macros::datetime!(2026-11-23 12:00 UTC),
        }
    }

    /// A cloned ticket shares its history (no copy); changing the clone's leaves the original's.
    #[test]
    fn i4_history_is_shared_by_clones_and_copied_on_write() {
        let mut ticket = Ticket::new(
            crate::OrganizerId::from_u128(1),
            TicketId::from_u128(1),
            RightId::from_u128(1),
            Distribution::new(
                PointOfSaleId::from_u128(1),
                ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1)),
            ),
        );
        ticket.distribution.entries = vec![entry(1)].into();
        let mut clone = ticket.clone();
        assert!(std::ptr::eq(
            ticket.distribution.entries.as_slice(),
            clone.distribution.entries.as_slice()
        ));
        clone.distribution.entries.make_mut()[0].status = EntryStatus::Confirmed;
        clone.distribution.entries.push(entry(2));
        assert_eq!(ticket.distribution.entries, [entry(1)]);
        assert_eq!(clone.distribution.entries.len(), 2);
        assert_eq!(clone.distribution.entries[0].status, EntryStatus::Confirmed);
        assert!(DistributionHistory::from(Vec::new()).is_empty());
        assert_eq!(
            serde_json::to_string(&clone.distribution.entries).unwrap(),
            serde_json::to_string(&clone.distribution.entries.to_vec()).unwrap()
        );
    }
}
