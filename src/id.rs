//! Identifier newtypes.
//!
//! Every record is named by a UUID wrapped in its own type, so a [`TicketId`] can never be passed
//! where a [`TransferGroupId`] is expected. The crate never makes ids itself (no randomness in the
//! core): callers pass the ids of new records in their commands, which makes retries idempotent and
//! replays exact.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};
use uuid::Uuid;

/// `uuid`'s own serialisation, whose text (hex digits and hyphens) the crate's JSON writer
/// writes without an escape scan ([`crate::store::json`]).
fn serialize_uuid<S: Serializer>(uuid: &Uuid, serializer: S) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() {
        let mut buffer = Uuid::encode_buffer();
        crate::store::json::serialize_plain(uuid.hyphenated().encode_lower(&mut buffer), serializer)
    } else {
        uuid.serialize(serializer)
    }
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        /// As its UUID: the hyphenated lower-case text in a human-readable format, the 16 bytes
        /// in a compact one.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serialize_uuid(&self.0, serializer)
            }
        }

        impl $name {
            /// Wraps a UUID.
            #[must_use]
            pub const fn new(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// Builds an id from a 128-bit number: handy for fixed ids in tests and examples.
            #[must_use]
            pub const fn from_u128(value: u128) -> Self {
                Self(Uuid::from_u128(value))
            }

            /// The wrapped UUID.
            #[must_use]
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

id_type!(
    /// Identifies a ticket, in S360 and in TIXnGO alike. A take back creates a new ticket with a new id.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::TicketId;
    /// let id = TicketId::from_u128(1);
    /// assert_eq!(id.to_string(), "00000000-0000-0000-0000-000000000001");
    /// ```
    TicketId
);
id_type!(
    /// Identifies a transfer group: the record of one transfer initiation (SPEC T5).
    TransferGroupId
);
id_type!(
    /// Identifies a point of sale (POS) of an S360 sales channel.
    PointOfSaleId
);
id_type!(
    /// Identifies a shipment mode (secure mobile, print at home, ...).
    ShipmentModeId
);
id_type!(
    /// Identifies a right: what a ticket admits to (event + seat or area). At most one valid ticket
    /// exists per right (SPEC B11).
    RightId
);
id_type!(
    /// Identifies a command, so that a retried command is recognised and not applied twice (SPEC X3).
    CommandId
);
id_type!(
    /// Identifies a usage rule (SPEC U1), the per-ticket transfer settings.
    UsageRuleId
);
id_type!(
    /// Identifies an organizer, whose settings ([`OrganizerSettings`](crate::OrganizerSettings)) are one record.
    OrganizerId
);
id_type!(
    /// Identifies a performance: S360's dated event (a match, a show), whose rights and tickets
    /// belong to it ([`Performance`](crate::Performance)).
    PerformanceId
);

id_type!(
    /// Identifies a member of an organizer's staff, a back-office account (SPEC S1-S3).
    StaffId
);

id_type!(
    /// Identifies what an organizer keeps about one spectator email ([`Spectator`](crate::spectator::Spectator)):
    /// derived from the organizer and the email by [`SpectatorId::of`].
    SpectatorId
);

impl SpectatorId {
    /// The id of `email`'s record at `organizer`: a digest of both, the same in every process.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{Email, OrganizerId, SpectatorId};
    ///
    /// let alice = Email::parse("Alice@Example.com")?;
    /// assert_eq!(SpectatorId::of(OrganizerId::from_u128(1), &alice),
    ///     SpectatorId::of(OrganizerId::from_u128(1), &Email::parse("alice@example.com")?));
    /// assert_ne!(SpectatorId::of(OrganizerId::from_u128(1), &alice),
    ///     SpectatorId::of(OrganizerId::from_u128(2), &alice));
    /// # Ok::<(), secure_ticket::EmailError>(())
    /// ```
    #[must_use]
    pub fn of(organizer: OrganizerId, email: &crate::email::Email) -> Self {
        /// The digester after its domain, made once: each id starts from a copy.
        static SPECTATOR: std::sync::LazyLock<crate::digest::Digester> =
            std::sync::LazyLock::new(|| crate::digest::Digester::new("secure-ticket/spectator"));
        let mut digester = SPECTATOR.clone();
        digester.write(&organizer);
        digester.write(email.as_str());
        Self::new(uuid::Builder::from_custom_bytes(*digester.finish().as_bytes()).into_uuid())
    }
}

impl TicketId {
    /// The id a command derives for the ticket it creates (a take back's replacement): the same
    /// for every retry of it (X3). It is
    /// [`derive_uuid`](crate::digest::derive_uuid)`(organizer, command, "ticket", 0)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{CommandId, OrganizerId, TicketId};
    ///
    /// let id = TicketId::derived(OrganizerId::from_u128(1), CommandId::from_u128(7));
    /// assert_eq!(id, TicketId::derived(OrganizerId::from_u128(1), CommandId::from_u128(7)));
    /// assert_ne!(id, TicketId::derived(OrganizerId::from_u128(2), CommandId::from_u128(7)));
    /// ```
    #[must_use]
    pub fn derived(organizer: OrganizerId, command: CommandId) -> Self {
        Self(crate::digest::derive_uuid(
            organizer.as_uuid(),
            command.as_uuid(),
            "ticket",
            0,
        ))
    }
}

impl TransferGroupId {
    /// The id a command derives for the one group it creates (a return to sender):
    /// [`NewGroupIds::derived`](crate::transfer::NewGroupIds::derived)'s FORWARD id.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::transfer::NewGroupIds;
    /// use secure_ticket::{CommandId, OrganizerId, TransferGroupId};
    ///
    /// let (org, cmd) = (OrganizerId::from_u128(1), CommandId::from_u128(7));
    /// assert_eq!(TransferGroupId::derived(org, cmd), NewGroupIds::derived(org, cmd).forward);
    /// ```
    #[must_use]
    pub fn derived(organizer: OrganizerId, command: CommandId) -> Self {
        Self(crate::digest::derive_uuid(
            organizer.as_uuid(),
            command.as_uuid(),
            "transfer_group",
            0,
        ))
    }
}
