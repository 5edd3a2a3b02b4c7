//! The model's own shapes: tickets (both facets), groups, usage rules, points of sale and
//! spectators as plain structs, each built from the crate's record ([`MTicket::of`],
//! [`MGroup::of`], [`MSpectator::of`]) so the model's state and the real records can be compared.

use std::sync::Arc;

use secure_ticket::spectator::{LockChange, Spectator};
use secure_ticket::staff::{Reason, StaffAction, StaffRole};
use secure_ticket::transfer::{Acceptance, TransferGroup};
use secure_ticket::{
    ActivationMethod, Direction, Email, EntryStatus, LifecycleStatus, PerformanceId, PointOfSaleId,
    RightId, ShipmentKind, ShipmentMode, ShipmentModeId, StaffId, Ticket, TicketId,
    TransferBackward, TransferGroupId, TransferStatus, UsageRule, UsageRuleId, Wallet,
};
use time::OffsetDateTime;

/// A shipment mode: its id, whether it is secure mobile, whether S360 injects it automatically.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mode {
    pub(super) id: ShipmentModeId,
    pub(super) mobile: bool,
    pub(super) automatic: bool,
}

impl Mode {
    pub(super) fn of(mode: &ShipmentMode) -> Self {
        Self {
            id: mode.id,
            mobile: matches!(mode.kind, ShipmentKind::SecureMobile),
            automatic: mode.automatic_injection,
        }
    }
}

/// One line of S360's distribution history (I4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(super) group: TransferGroupId,
    pub(super) sender: Email,
    pub(super) recipient: Email,
    pub(super) status: EntryStatus,
    pub(super) at: OffsetDateTime,
}

/// A ticket, both facets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MTicket {
    pub(crate) right: RightId,
    /// The performance it admits to (Q2 groups wallets by it).
    pub(crate) performance: Option<PerformanceId>,
    pub(super) point_of_sale: PointOfSaleId,
    pub(super) mode: Mode,
    pub(super) contact: Option<Email>,
    /// The B2B contact, who alone may take the ticket back (B13).
    pub(super) b2b: Option<Email>,
    pub(super) holder: bool,
    /// H5: when the current owner assigned the holder (`None` for S360's own holder details).
    pub(super) holder_at: Option<OffsetDateTime>,
    /// (reason code, when, replaced by)
    pub(crate) invalidation: Option<(String, OffsetDateTime, Option<TicketId>)>,
    pub(super) replaces: Option<TicketId>,
    pub(super) printed: bool,
    /// The last feedback's status, time and sequence.
    pub(super) feedback: Option<(LifecycleStatus, OffsetDateTime, u64)>,
    pub(super) entries: Vec<Entry>,
    pub(crate) wallet: Option<MWallet>,
    /// R2: the resale the ticket is held for, while it is.
    pub(crate) resale: Option<MResale>,
}

/// A pending resale (R2): who put the ticket on resale, its TIXnGO owner then, the buyer, the id
/// of the buyer's ticket to create, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MResale {
    pub(super) by: Email,
    pub(super) owner: Email,
    pub(super) buyer: Email,
    pub(super) buyer_ticket: TicketId,
    pub(super) at: OffsetDateTime,
}

/// TIXnGO's facet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MWallet {
    pub(super) rule: UsageRuleId,
    pub(super) injected_at: OffsetDateTime,
    pub(crate) initial: Email,
    pub(super) previous: Option<Email>,
    pub(super) current: Email,
    pub(super) level: u16,
    pub(super) level_before_forward: u16,
    pub(super) forward: u32,
    pub(super) backward: u32,
    pub(super) downloaded_at: Option<OffsetDateTime>,
    pub(super) activated: Option<(OffsetDateTime, ActivationMethod)>,
    pub(super) checked_at: Option<OffsetDateTime>,
    pub(super) controlled_at: Option<OffsetDateTime>,
    pub(super) pending: Option<TransferGroupId>,
    pub(super) deletion_requested_at: Option<OffsetDateTime>,
    pub(super) deleted_at: Option<OffsetDateTime>,
}

/// W1: where a ticket is in the wallet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Where {
    NotDownloaded,
    Downloaded,
    Pending,
    DeletionPending,
    Deleted,
}

impl MWallet {
    /// W2.
    pub(super) fn injected(rule: UsageRuleId, owner: Email, at: OffsetDateTime) -> Self {
        Self {
            rule,
            injected_at: at,
            initial: owner.clone(),
            previous: None,
            current: owner,
            level: 0,
            level_before_forward: 0,
            forward: 0,
            backward: 0,
            downloaded_at: None,
            activated: None,
            checked_at: None,
            controlled_at: None,
            pending: None,
            deletion_requested_at: None,
            deleted_at: None,
        }
    }

    pub(super) const fn status(&self) -> Where {
        if self.deleted_at.is_some() {
            Where::Deleted
        } else if self.deletion_requested_at.is_some() {
            Where::DeletionPending
        } else if self.pending.is_some() {
            Where::Pending
        } else if self.downloaded_at.is_some() {
            Where::Downloaded
        } else {
            Where::NotDownloaded
        }
    }

    /// W4.
    pub(super) const fn leaving(&self) -> bool {
        self.deleted_at.is_some() || self.deletion_requested_at.is_some()
    }

    fn of(w: &Wallet) -> Self {
        Self {
            rule: w.usage_rule,
            injected_at: w.injected_at,
            initial: w.owners.initial.clone(),
            previous: w.owners.previous.clone(),
            current: w.owners.current.clone(),
            level: w.level,
            level_before_forward: w.level_before_last_forward,
            forward: w.forward_transfers,
            backward: w.backward_transfers,
            downloaded_at: w.downloaded_at,
            activated: w.activated.map(|a| (a.at, a.method)),
            checked_at: w.checked_at,
            controlled_at: w.controlled_at,
            pending: w.pending_group,
            deletion_requested_at: w.deletion_requested_at,
            deleted_at: w.deleted_at,
        }
    }
}

impl MTicket {
    /// The model's view of a real ticket.
    pub(crate) fn of(t: &Ticket) -> Self {
        let d = &t.distribution;
        Self {
            right: t.right,
            performance: t.performance,
            point_of_sale: d.point_of_sale,
            mode: Mode::of(&d.shipment_mode),
            contact: d.cultural_contact.clone(),
            b2b: d.b2b_contact.clone(),
            holder: d.holder.is_some(),
            holder_at: d.holder_assigned_at,
            invalidation: d
                .invalidation
                .as_ref()
                .map(|i| (i.reason.code().to_owned(), i.at, i.replaced_by)),
            replaces: d.replaces,
            printed: d.printed,
            feedback: d.last_feedback.map(|f| (f.status, f.at, f.sequence)),
            entries: d
                .entries
                .iter()
                .map(|e| Entry {
                    group: e.group,
                    sender: e.sender.clone(),
                    recipient: e.recipient.clone(),
                    status: e.status,
                    at: e.at,
                })
                .collect(),
            wallet: t.wallet.as_ref().map(MWallet::of),
            resale: d.resale.as_deref().map(|r| MResale {
                by: r.by.clone(),
                owner: r.owner.clone(),
                buyer: r.buyer.clone(),
                buyer_ticket: r.buyer_ticket,
                at: r.at,
            }),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GroupStatus {
    Pending,
    Accepted,
    Declined,
    Cancelled,
    Expired,
}

/// A transfer group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MGroup {
    pub(super) sender: Email,
    pub(super) recipient: Email,
    pub(super) backward: bool,
    pub(super) tickets: Vec<TicketId>,
    pub(crate) status: GroupStatus,
    pub(super) explicit: bool,
    pub(super) created_at: OffsetDateTime,
    pub(super) expires_at: Option<OffsetDateTime>,
    pub(super) closed_at: Option<OffsetDateTime>,
    pub(super) replaces: Option<TransferGroupId>,
    /// E1: the earliest end of its tickets' performances, as known at initiation.
    pub(super) ends_at: Option<OffsetDateTime>,
    /// S3: the staff member, role and reason of a back-office group; `None` for a spectator's.
    pub(super) back_office: Option<MStaff>,
}

/// A staff member's action (S3, L1): who, with which role, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MStaff {
    pub(super) staff: StaffId,
    pub(super) role: StaffRole,
    pub(super) reason: String,
}

impl MStaff {
    pub(super) fn of(a: &StaffAction) -> Self {
        Self {
            staff: a.staff,
            role: a.role,
            reason: a.reason.as_str().to_owned(),
        }
    }

    /// The crate's shape, for the generators' pools.
    fn to_action(&self) -> StaffAction {
        StaffAction {
            staff: self.staff,
            role: self.role,
            reason: Reason::parse(&self.reason).expect("a reason the model kept"),
        }
    }
}

/// A lock or an unlock (L1): the staff action and its time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MLock {
    pub(super) by: MStaff,
    pub(super) at: OffsetDateTime,
}

impl MLock {
    fn of(l: &LockChange) -> Self {
        Self {
            by: MStaff::of(&l.by),
            at: l.at,
        }
    }
}

/// What the organizer keeps about one spectator email (L1): the lock in force, the last unlock.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MSpectator {
    pub(super) lock: Option<MLock>,
    pub(super) unlocked: Option<MLock>,
}

impl MSpectator {
    /// The model's view of a real spectator record.
    pub(crate) fn of(s: &Spectator) -> Self {
        Self {
            lock: s.lock.as_ref().map(MLock::of),
            unlocked: s.unlocked.as_ref().map(MLock::of),
        }
    }
}

impl MGroup {
    /// The model's view of a real group.
    pub(crate) fn of(g: &TransferGroup) -> Self {
        Self {
            sender: g.sender.clone(),
            recipient: g.recipient.clone(),
            backward: matches!(g.direction, Direction::Backward),
            tickets: g.tickets.iter().copied().collect(),
            status: match g.status {
                TransferStatus::Pending => GroupStatus::Pending,
                TransferStatus::Accepted => GroupStatus::Accepted,
                TransferStatus::Declined => GroupStatus::Declined,
                TransferStatus::Cancelled => GroupStatus::Cancelled,
                TransferStatus::Expired => GroupStatus::Expired,
                other => panic!("a status the model does not know: {other}"),
            },
            explicit: matches!(g.acceptance, Acceptance::Explicit),
            created_at: g.created_at,
            expires_at: g.expires_at,
            closed_at: g.closed_at,
            replaces: g.replaces,
            ends_at: g.performance_ends_at,
            back_office: g.back_office.as_deref().map(MStaff::of),
        }
    }

    /// The crate's shape, for the generators' pools.
    pub(super) fn to_transfer_group(&self, id: TransferGroupId) -> TransferGroup {
        TransferGroup {
            id,
            organizer: super::setup::ORGANIZER,
            sender: self.sender.clone(),
            recipient: self.recipient.clone(),
            direction: if self.backward {
                Direction::Backward
            } else {
                Direction::Forward
            },
            tickets: self.tickets.iter().copied().collect(),
            status: match self.status {
                GroupStatus::Pending => TransferStatus::Pending,
                GroupStatus::Accepted => TransferStatus::Accepted,
                GroupStatus::Declined => TransferStatus::Declined,
                GroupStatus::Cancelled => TransferStatus::Cancelled,
                GroupStatus::Expired => TransferStatus::Expired,
            },
            acceptance: if self.explicit {
                Acceptance::Explicit
            } else {
                Acceptance::Automatic
            },
            created_at: self.created_at,
            expires_at: self.expires_at,
            closed_at: self.closed_at,
            replaces: self.replaces,
            performance_ends_at: self.ends_at,
            back_office: self.back_office.as_ref().map(|a| Arc::new(a.to_action())),
        }
    }

    /// A4 or E1, whichever comes first.
    pub(super) fn due(&self) -> Option<OffsetDateTime> {
        match (self.expires_at, self.ends_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub(super) fn ended(&self, at: OffsetDateTime) -> bool {
        self.ends_at.is_some_and(|end| at >= end)
    }

    pub(super) fn past_deadline(&self, at: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|deadline| at >= deadline)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Backward {
    Neutral,
    Decrease,
    Increase,
}

/// A usage rule (U1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MRule {
    pub(super) transfer: bool,
    pub(super) after_activation: bool,
    pub(super) after_check: bool,
    pub(super) after_control: bool,
    pub(crate) limit: u16,
    pub(super) backward: Backward,
    pub(super) keep_one: secure_ticket::KeepOne,
    /// H2: holder assignment at all, after activation, after check.
    pub(super) assignment: bool,
    pub(super) assign_after_activation: bool,
    pub(super) assign_after_check: bool,
}

impl MRule {
    pub(super) fn of(r: &UsageRule) -> Self {
        Self {
            transfer: r.transfer,
            after_activation: r.transfer_after_activation,
            after_check: r.transfer_after_check,
            after_control: r.transfer_after_control,
            limit: r.max_transfers.get(),
            backward: match r.transfer_backward {
                TransferBackward::Neutral => Backward::Neutral,
                TransferBackward::Decrease => Backward::Decrease,
                TransferBackward::Increase => Backward::Increase,
                other => panic!("a backward setting the model does not know: {other}"),
            },
            keep_one: r.keep_one,
            assignment: r.assignment,
            assign_after_activation: r.assignment_after_activation,
            assign_after_check: r.assignment_after_check,
        }
    }
}

/// A point of sale's take-back configuration (B1, B2) and its resale switches (R1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct MPos {
    pub(super) b2b: bool,
    pub(super) allow: bool,
    pub(super) advanced: bool,
    pub(super) mode: Option<Mode>,
    /// D1.
    pub(super) downloaded: secure_ticket::DownloadedTakeBack,
    /// R1: resale of injected mobile tickets (never transferred).
    pub(super) resale_injected: bool,
    /// R1: resale of transferred ones.
    pub(super) resale_transferred: bool,
}
