//! Tickets: one record, two facets (S360's distribution view and TIXnGO's wallet view).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

use crate::activation::ActivationMethod;
use crate::email::Email;
use crate::feedback::{DistributionHistory, LastFeedback};
use crate::id::{
    OrganizerId, PerformanceId, PointOfSaleId, RightId, ShipmentModeId, TicketId, TransferGroupId,
    UsageRuleId,
};

/// A ticket as both services see it.
///
/// S360 and TIXnGO each keep their own record of a ticket: [`Ticket::distribution`] is S360's facet
/// (point of sale, shipment mode, cultural contact, validity), [`Ticket::wallet`] is TIXnGO's facet,
/// present once the ticket is injected (owners, transfer level, status, flags). Each service reads
/// and writes its own facet; feedback is the only bridge from the wallet facet to the distribution
/// facet.
///
/// Tickets are created with [`Ticket::new`] (S360 issues a ticket) and change only through the
/// transition functions of this crate, which return new states and never mutate their inputs.
///
/// # Examples
///
/// ```
/// use secure_ticket::{Distribution, PointOfSaleId, RightId, ShipmentMode, ShipmentModeId, Ticket, TicketId};
///
/// let ticket = Ticket::new(secure_ticket::OrganizerId::from_u128(1),
///     TicketId::from_u128(1),
///     RightId::from_u128(10),
///     Distribution::new(PointOfSaleId::from_u128(20), ShipmentMode::secure_mobile(ShipmentModeId::from_u128(30))),
/// );
/// assert!(ticket.is_valid());
/// assert!(ticket.wallet.is_none()); // not injected yet
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// The ticket's id.
    pub id: TicketId,
    /// The organizer it belongs to (X7): only that organizer's commands reach it. A format-1
    /// record, written before organizers, reads as [`OrganizerId::default()`] (the nil UUID).
    #[serde(default)]
    pub organizer: OrganizerId,
    /// The performance it admits to, when S360 gave one: wallets group tickets by it (Q2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance: Option<PerformanceId>,
    /// What the ticket admits to. At most one valid ticket per right (B11).
    pub right: RightId,
    /// S360's facet.
    pub distribution: Distribution,
    /// TIXnGO's facet: `None` until the ticket is injected (I1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<Wallet>,
}

impl Ticket {
    /// A new, valid, not-injected ticket.
    #[must_use]
    pub const fn new(
        organizer: OrganizerId,
        id: TicketId,
        right: RightId,
        distribution: Distribution,
    ) -> Self {
        Self {
            id,
            organizer,
            performance: None,
            right,
            distribution,
            wallet: None,
        }
    }

    /// Sets the performance the ticket admits to.
    #[must_use]
    pub const fn with_performance(mut self, performance: PerformanceId) -> Self {
        self.performance = Some(performance);
        self
    }

    /// Whether S360 holds this ticket valid (not invalidated).
    #[must_use]
    pub const fn is_valid(&self) -> bool {
        self.distribution.invalidation.is_none()
    }

    /// The wallet status, when the ticket is injected.
    #[must_use]
    pub fn wallet_status(&self) -> Option<WalletStatus> {
        self.wallet.as_ref().map(Wallet::status)
    }
}

/// S360's facet of a ticket: how it is distributed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    /// The point of sale the ticket was sold or distributed through (B6).
    pub point_of_sale: PointOfSaleId,
    /// How the ticket is delivered.
    pub shipment_mode: ShipmentMode,
    /// The contact the ticket is distributed to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cultural_contact: Option<Email>,
    /// The B2B customer's contact the ticket was sold to, when it was sold to one: the only actor
    /// who may take it back (B13). Unlike the cultural contact, neither a redistribution nor a
    /// transfer moves it. `None` (a ticket sold to no B2B customer, or a record written before
    /// the field existed) means no one may take the ticket back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b2b_contact: Option<Email>,
    /// Optional ticket-holder details (B5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<Arc<TicketHolder>>,
    /// When the current owner assigned the holder (H5); `None` for a holder S360 set, or none.
    #[serde(
        default,
        with = "crate::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub holder_assigned_at: Option<OffsetDateTime>,
    /// The resale the ticket is held for, while it is (R2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resale: Option<Box<crate::resale::Resale>>,
    /// Set once S360 invalidates the ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalidation: Option<Invalidation>,
    /// The ticket this one replaces, for a replacement ticket (B7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<TicketId>,
    /// S360 marks a ticket printed when it is injected (I1).
    #[serde(default, skip_serializing_if = "crate::serde_util::is_false")]
    pub printed: bool,
    /// The last feedback S360 recorded from TIXnGO (I3); `None` until the first arrives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_feedback: Option<LastFeedback>,
    /// The distribution history that transfer feedback keeps in step (I4); cloning it allocates
    /// nothing (build one from a `Vec` with `.into()`).
    #[serde(default, skip_serializing_if = "DistributionHistory::is_empty")]
    pub entries: DistributionHistory,
}

impl Distribution {
    /// A distribution facet with no contact, no B2B contact, no holder, valid and not printed.
    #[must_use]
    pub const fn new(point_of_sale: PointOfSaleId, shipment_mode: ShipmentMode) -> Self {
        Self {
            point_of_sale,
            shipment_mode,
            cultural_contact: None,
            b2b_contact: None,
            holder: None,
            holder_assigned_at: None,
            resale: None,
            invalidation: None,
            replaces: None,
            printed: false,
            last_feedback: None,
            entries: DistributionHistory::new(),
        }
    }

    /// Sets the cultural contact.
    #[must_use]
    pub fn with_cultural_contact(mut self, contact: Email) -> Self {
        self.cultural_contact = Some(contact);
        self
    }

    /// Sets the B2B customer's contact, the only actor who may take the ticket back (B13).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{Distribution, Email, PointOfSaleId, ShipmentMode, ShipmentModeId};
    ///
    /// let agency = Email::parse("tickets@agency.example.com")?;
    /// let distribution = Distribution::new(
    ///     PointOfSaleId::from_u128(1),
    ///     ShipmentMode::secure_mobile(ShipmentModeId::from_u128(1)),
    /// )
    /// .with_b2b_contact(agency.clone())
    /// .with_cultural_contact(Email::parse("dave@example.com")?);
    /// assert_eq!(distribution.b2b_contact, Some(agency));
    /// # Ok::<(), secure_ticket::EmailError>(())
    /// ```
    #[must_use]
    pub fn with_b2b_contact(mut self, contact: Email) -> Self {
        self.b2b_contact = Some(contact);
        self
    }

    /// Sets ticket-holder details.
    #[must_use]
    pub fn with_holder(mut self, holder: TicketHolder) -> Self {
        self.holder = Some(Arc::new(holder));
        self
    }
}

/// A shipment mode as far as these rules care: its id, its kind and whether S360 injects its
/// tickets into TIXnGO automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ShipmentMode {
    /// The shipment mode's id.
    pub id: ShipmentModeId,
    /// What kind of delivery it is.
    pub kind: ShipmentKind,
    /// S360 injects tickets of this mode without anyone asking (only meaningful for secure mobile).
    #[serde(default, skip_serializing_if = "crate::serde_util::is_false")]
    pub automatic_injection: bool,
}

impl ShipmentMode {
    /// A secure mobile shipment mode, injected on request.
    #[must_use]
    pub const fn secure_mobile(id: ShipmentModeId) -> Self {
        Self {
            id,
            kind: ShipmentKind::SecureMobile,
            automatic_injection: false,
        }
    }

    /// A print-at-home shipment mode.
    #[must_use]
    pub const fn print_at_home(id: ShipmentModeId) -> Self {
        Self {
            id,
            kind: ShipmentKind::PrintAtHome,
            automatic_injection: false,
        }
    }

    /// Whether tickets of this mode are secure mobile tickets, delivered through TIXnGO.
    #[must_use]
    pub const fn is_secure_mobile(&self) -> bool {
        matches!(self.kind, ShipmentKind::SecureMobile)
    }
}

/// The kind of a shipment mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ShipmentKind {
    /// Delivered to the TIXnGO wallet app: the only kind these rules move.
    SecureMobile,
    /// A PDF the buyer prints.
    PrintAtHome,
    /// Any other delivery (mail, box office, ...).
    Other,
}

/// Ticket-holder details: the person a nominative ticket is for. `Default` is the empty holder
/// (what a stored holder without fields decodes to).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct TicketHolder {
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name.
    #[serde(default)]
    pub last_name: String,
    /// Birth date, as S360 stores it (ISO 8601, `YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// Identity document number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_number: Option<String>,
}

/// Why and when S360 invalidated a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invalidation {
    /// The invalidation reason code.
    pub reason: InvalidationReason,
    /// When the ticket was invalidated.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
    /// The ticket that replaces this one, if any (B7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<TicketId>,
}

/// An invalidation reason code, as S360 writes it.
///
/// Serialised as the bare code string: `"MOBILE_TAKE_BACK"`; codes this crate does not know are kept
/// as [`InvalidationReason::Other`] and written back unchanged.
///
/// # Examples
///
/// ```
/// use secure_ticket::InvalidationReason;
///
/// assert_eq!(InvalidationReason::from_code("MOBILE_TAKE_BACK"), InvalidationReason::MobileTakeBack);
/// assert_eq!(InvalidationReason::from_code("REFUND").code(), "REFUND");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidationReason {
    /// `MOBILE_TAKE_BACK`: the ticket was taken back after injection to the wrong contact (B7).
    MobileTakeBack,
    /// `RESALE`: the ticket was put on resale (R2).
    Resale,
    /// Any other code, kept verbatim.
    Other(Arc<str>),
}

impl InvalidationReason {
    /// The code for `MobileTakeBack`.
    pub const MOBILE_TAKE_BACK: &'static str = "MOBILE_TAKE_BACK";
    /// The code for `Resale`.
    pub const RESALE: &'static str = "RESALE";

    /// Reads a code (surrounding white space ignored; codes are case-sensitive, as in S360).
    #[must_use]
    pub fn from_code(code: &str) -> Self {
        match code.trim() {
            Self::MOBILE_TAKE_BACK => Self::MobileTakeBack,
            Self::RESALE => Self::Resale,
            other => Self::Other(Arc::from(other)),
        }
    }

    /// The code.
    #[must_use]
    pub fn code(&self) -> &str {
        match self {
            Self::MobileTakeBack => Self::MOBILE_TAKE_BACK,
            Self::Resale => Self::RESALE,
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for InvalidationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for InvalidationReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for InvalidationReason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self::from_code(&raw))
    }
}

/// TIXnGO's facet of a ticket (SPEC W1-W4, T8).
///
/// The wallet status is not stored: it is derived from the recorded facts by [`Wallet::status`], so
/// it can never disagree with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wallet {
    /// The usage rule the ticket follows.
    pub usage_rule: UsageRuleId,
    /// When the ticket was injected.
    #[serde(with = "crate::rfc3339")]
    pub injected_at: OffsetDateTime,
    /// Initial, previous and current owners.
    pub owners: Owners,
    /// Completed transfers as counted against the limit (T8, T9), 0 to 256.
    pub level: u16,
    /// The level before the last completed FORWARD transfer: where DECREASE returns to (T8, T9).
    #[serde(default, skip_serializing_if = "crate::serde_util::is_zero")]
    pub level_before_last_forward: u16,
    /// Completed FORWARD transfers.
    #[serde(default, skip_serializing_if = "crate::serde_util::is_zero")]
    pub forward_transfers: u32,
    /// Completed BACKWARD transfers.
    #[serde(default, skip_serializing_if = "crate::serde_util::is_zero")]
    pub backward_transfers: u32,
    /// When the current owner's device downloaded the ticket (W3); `None` until it does.
    #[serde(
        default,
        with = "crate::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub downloaded_at: Option<OffsetDateTime>,
    /// When the ticket was last activated, and how; `None` when not activated (W1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated: Option<Activation>,
    /// When the ticket was last checked; `None` when never (W1).
    #[serde(
        default,
        with = "crate::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub checked_at: Option<OffsetDateTime>,
    /// When the ticket was last controlled; `None` when not controlled (W1).
    #[serde(
        default,
        with = "crate::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub controlled_at: Option<OffsetDateTime>,
    /// The PENDING transfer group the ticket is in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_group: Option<TransferGroupId>,
    /// When S360 asked TIXnGO to delete the ticket (B10).
    #[serde(
        default,
        with = "crate::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub deletion_requested_at: Option<OffsetDateTime>,
    /// When TIXnGO deleted the ticket (B10).
    #[serde(
        default,
        with = "crate::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_at: Option<OffsetDateTime>,
}

impl Wallet {
    /// A freshly injected wallet facet (W2): level 0, counters 0, initial = current = `owner`.
    #[must_use]
    pub fn injected(usage_rule: UsageRuleId, owner: Email, at: OffsetDateTime) -> Self {
        Self {
            usage_rule,
            injected_at: at,
            owners: Owners {
                initial: owner.clone(),
                previous: None,
                current: owner,
            },
            level: 0,
            level_before_last_forward: 0,
            forward_transfers: 0,
            backward_transfers: 0,
            downloaded_at: None,
            activated: None,
            checked_at: None,
            controlled_at: None,
            pending_group: None,
            deletion_requested_at: None,
            deleted_at: None,
        }
    }

    /// The wallet status (W1), derived from the recorded facts, most significant first: deleted,
    /// deletion pending, pending transfer, downloaded, not downloaded.
    #[must_use]
    pub const fn status(&self) -> WalletStatus {
        if self.deleted_at.is_some() {
            WalletStatus::Deleted
        } else if self.deletion_requested_at.is_some() {
            WalletStatus::DeletionPending
        } else if self.pending_group.is_some() {
            WalletStatus::PendingTransfer
        } else if self.downloaded_at.is_some() {
            WalletStatus::Downloaded
        } else {
            WalletStatus::NotDownloaded
        }
    }

    /// Whether the ticket is on its way out of the wallet (DELETION_PENDING or DELETED, W4).
    #[must_use]
    pub const fn is_deleted_or_pending_deletion(&self) -> bool {
        self.deleted_at.is_some() || self.deletion_requested_at.is_some()
    }
}

/// The three owners of an injected ticket.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Owners {
    /// The first holder after injection; never changes.
    pub initial: Email,
    /// The owner before the last completed transfer; `None` until a transfer completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Email>,
    /// The owner now: the only one who may transfer the ticket (T1).
    pub current: Email,
}

/// Where a ticket is in the wallet (W1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum WalletStatus {
    /// Injected or received, not yet loaded on the current owner's device.
    NotDownloaded,
    /// Loaded on the current owner's device.
    Downloaded,
    /// In a PENDING transfer group.
    PendingTransfer,
    /// S360 asked for deletion; TIXnGO has not finished.
    DeletionPending,
    /// Gone from the wallet.
    Deleted,
}

impl fmt::Display for WalletStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::NotDownloaded => "NOT_DOWNLOADED",
            Self::Downloaded => "DOWNLOADED",
            Self::PendingTransfer => "PENDING_TRANSFER",
            Self::DeletionPending => "DELETION_PENDING",
            Self::Deleted => "DELETED",
        })
    }
}

/// When and how a ticket was activated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Activation {
    /// When it became active.
    #[serde(with = "crate::rfc3339")]
    pub at: OffsetDateTime,
    /// How.
    pub method: ActivationMethod,
}
