//! Events: past-tense facts that transitions report for the caller to persist and publish.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::activation::ActivationMethod;
use crate::changes::TicketIds;
use crate::email::Email;
use crate::feedback::LifecycleStatus;
use crate::id::{PointOfSaleId, RightId, ShipmentModeId, TicketId, TransferGroupId, UsageRuleId};
use crate::staff::{Reason, StaffAction};
use crate::ticket::InvalidationReason;
use crate::transfer_group::Direction;

/// Something that happened, as decided by a transition.
///
/// Serialised with a `type` tag in the sources' spelling (`"TRANSFER_INITIATED"`), times in RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Event {
    /// S360 injected a ticket into TIXnGO for `owner` (I1, W2).
    TicketInjected {
        /// The ticket.
        ticket: TicketId,
        /// Its right.
        right: RightId,
        /// The contact it was injected to: its initial and current owner.
        owner: Email,
        /// The usage rule it follows.
        usage_rule: UsageRuleId,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// The current owner's device downloaded the ticket (W3).
    TicketDownloaded {
        /// The ticket.
        ticket: TicketId,
        /// The owner whose device loaded it.
        owner: Email,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// The ticket became active (W1).
    TicketActivated {
        /// The ticket.
        ticket: TicketId,
        /// How.
        method: ActivationMethod,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// The ticket was deactivated (W1).
    TicketDeactivated {
        /// The ticket.
        ticket: TicketId,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// The ticket was checked at access control (W1).
    TicketChecked {
        /// The ticket.
        ticket: TicketId,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// The ticket was controlled (W1).
    TicketControlled {
        /// The ticket.
        ticket: TicketId,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// The ticket was checked out: no longer controlled (W1).
    TicketCheckedOut {
        /// The ticket.
        ticket: TicketId,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// A transfer group was created; its tickets are now PENDING_TRANSFER (T5).
    TransferInitiated {
        /// The new group.
        group: TransferGroupId,
        /// FORWARD or BACKWARD (T6).
        direction: Direction,
        /// The current owner who sent it.
        sender: Email,
        /// The future owner.
        recipient: Email,
        /// The tickets in the group.
        tickets: TicketIds,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
        /// For a back-office transfer (S3): the staff member who initiated it, their role and
        /// reason, as the group keeps them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        back_office: Option<Arc<StaffAction>>,
    },
    /// A group completed: explicitly accepted, or automatically at the recipient's sign-in (T8, A1, A2).
    TransferAccepted {
        /// The group.
        group: TransferGroupId,
        /// `true` when it completed at sign-in/sync, `false` when the recipient accepted it.
        automatic: bool,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
        /// For a back-office transfer (S3): the staff member who initiated it, their role and
        /// reason, as the group keeps them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        back_office: Option<Arc<StaffAction>>,
    },
    /// One ticket of a completed group changed hands (T8).
    TicketTransferred {
        /// The ticket.
        ticket: TicketId,
        /// The group it moved in.
        group: TransferGroupId,
        /// Its direction.
        direction: Direction,
        /// The sender, now previous owner.
        from: Email,
        /// The recipient, now current owner.
        to: Email,
        /// The level before completion.
        level_before: u16,
        /// The level after completion.
        level_after: u16,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
        /// For a back-office transfer (S3): the staff member who initiated it, their role and
        /// reason, as the group keeps them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        back_office: Option<Arc<StaffAction>>,
    },
    /// The recipient declined the group; its tickets went back to the sender (T10).
    TransferDeclined {
        /// The group.
        group: TransferGroupId,
        /// The sender, who has the tickets back.
        sender: Email,
        /// The recipient who did not receive them.
        recipient: Email,
        /// Its tickets, back with the sender.
        tickets: TicketIds,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// The sender cancelled the group, or edited its recipient (T10, T12).
    TransferCancelled {
        /// The group.
        group: TransferGroupId,
        /// The sender, who has the tickets back.
        sender: Email,
        /// The recipient who did not receive them.
        recipient: Email,
        /// Its tickets, back with the sender (or moved to the new groups of an edit).
        tickets: TicketIds,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
        /// For a back-office transfer (S3): the staff member who initiated it, their role and
        /// reason, as the group keeps them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        back_office: Option<Arc<StaffAction>>,
        /// For a group cancelled by the organizer's staff (S8): who, with which role, and why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cancelled_by: Option<StaffAction>,
    },
    /// The system cancelled a group past its deadline (A4).
    TransferExpired {
        /// The group.
        group: TransferGroupId,
        /// The sender, who has the tickets back.
        sender: Email,
        /// The recipient who did not receive them.
        recipient: Email,
        /// Its tickets, back with the sender.
        tickets: TicketIds,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
        /// For a back-office transfer (S3): the staff member who initiated it, their role and
        /// reason, as the group keeps them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        back_office: Option<Arc<StaffAction>>,
    },
    /// A B2B contact took a ticket back through its point of sale (B3, B7).
    TicketTakenBack {
        /// The ticket taken back.
        ticket: TicketId,
        /// The point of sale.
        point_of_sale: PointOfSaleId,
        /// The B2B contact who took it back.
        by: Email,
        /// The new ticket that replaces it, for a mobile take back (B7); `None` for a regular one (B3).
        replacement: Option<TicketId>,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// S360 invalidated a ticket (B7).
    TicketInvalidated {
        /// The ticket.
        ticket: TicketId,
        /// The reason code, e.g. `MOBILE_TAKE_BACK`.
        reason: InvalidationReason,
        /// The ticket that replaces it, if any.
        replaced_by: Option<TicketId>,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// S360 created a ticket that replaces another for the same right (B7).
    TicketReplaced {
        /// The new ticket.
        ticket: TicketId,
        /// The ticket it replaces.
        replaces: TicketId,
        /// Their right.
        right: RightId,
        /// The new ticket's shipment mode.
        shipment_mode: ShipmentModeId,
        /// The new ticket's cultural contact.
        cultural_contact: Email,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// TIXnGO received the push of an invalidated ticket: DELETION_PENDING (B10).
    TicketDeletionRequested {
        /// The ticket.
        ticket: TicketId,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// TIXnGO finished deleting a ticket: DELETED (B10).
    TicketDeleted {
        /// The ticket.
        ticket: TicketId,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// S360 recorded TIXnGO's feedback for a ticket (I3, I4).
    FeedbackRecorded {
        /// The ticket.
        ticket: TicketId,
        /// The lifecycle status.
        status: LifecycleStatus,
        /// When TIXnGO recorded it.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// A B2B contact distributed a ticket it held to another contact.
    TicketRedistributed {
        /// The ticket.
        ticket: TicketId,
        /// The B2B contact.
        from: Email,
        /// The new cultural contact.
        to: Email,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// Staff locked a spectator (L1).
    SpectatorLocked {
        /// The spectator.
        spectator: Email,
        /// Who locked, with which role, and why.
        by: StaffAction,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// Staff unlocked a spectator (L1).
    SpectatorUnlocked {
        /// The spectator.
        spectator: Email,
        /// Who unlocked, with which role, and why.
        by: StaffAction,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// The current owner assigned the ticket's holder (H1, H5); feedback reports ASSIGNED (I2).
    HolderAssigned {
        /// The ticket.
        ticket: TicketId,
        /// Its owner, who assigned.
        owner: Email,
        /// The reason given, if any (H4).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<Reason>,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// The current owner cleared the ticket's holder (H1).
    HolderCleared {
        /// The ticket.
        ticket: TicketId,
        /// Its owner, who cleared.
        owner: Email,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// The ticket's cultural contact put it on resale (R1, R2).
    TicketPutOnResale {
        /// The ticket.
        ticket: TicketId,
        /// The cultural contact.
        by: Email,
        /// The buyer.
        buyer: Email,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// A resale completed: the buyer's ticket replaces the resold one (R2).
    ResaleCompleted {
        /// The resold ticket.
        ticket: TicketId,
        /// The buyer.
        buyer: Email,
        /// The buyer's new ticket.
        buyer_ticket: TicketId,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
    /// A resale was cancelled: the ticket left the contact's wallet first and stays with its owner (R2).
    ResaleCancelled {
        /// The ticket, valid again.
        ticket: TicketId,
        /// Its TIXnGO owner.
        owner: Email,
        /// When.
        #[serde(with = "crate::rfc3339")]
        at: OffsetDateTime,
    },
}
