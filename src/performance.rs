//! S360's performance: one dated event (a match, a show) that rights and tickets belong to. Wallets
//! group tickets by it (SPEC Q2); Keep One and the end of an event work per performance.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error_kind::ErrorKind;
use crate::id::{OrganizerId, PerformanceId};

/// One dated event: when it starts and when it ends.
///
/// Built with [`Performance::new`], which refuses an end before the start; a stored record is
/// checked the same way when it is decoded, so whatever the builder accepts reads back exactly.
///
/// # Examples
///
/// ```
/// use secure_ticket::{OrganizerId, Performance, PerformanceError, PerformanceId};
/// use time::macros::datetime;
///
/// let final_match = Performance::new(
///     OrganizerId::from_u128(1),
///     PerformanceId::from_u128(7),
///     datetime!(2026-12-20 20:00 UTC),
///     datetime!(2026-12-20 22:30 UTC),
/// )?;
/// assert!(final_match.has_ended(datetime!(2026-12-21 00:00 UTC)));
///
/// let backwards = Performance::new(
///     OrganizerId::from_u128(1),
///     PerformanceId::from_u128(8),
///     datetime!(2026-12-20 22:00 UTC),
///     datetime!(2026-12-20 20:00 UTC),
/// );
/// assert!(matches!(backwards, Err(PerformanceError::EndsBeforeStart { .. })));
/// # Ok::<(), PerformanceError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "PerformanceFields")]
pub struct Performance {
    /// The performance's id; tickets name it ([`Ticket::performance`](crate::Ticket::performance)).
    pub id: PerformanceId,
    /// The organizer it belongs to (X7).
    pub organizer: OrganizerId,
    /// When it starts.
    #[serde(with = "crate::rfc3339")]
    pub starts_at: OffsetDateTime,
    /// When it ends: at or after `starts_at`.
    #[serde(with = "crate::rfc3339")]
    pub ends_at: OffsetDateTime,
}

/// The stored fields of a [`Performance`], checked into one when decoded.
#[derive(Deserialize)]
struct PerformanceFields {
    id: PerformanceId,
    #[serde(default)]
    organizer: OrganizerId,
    #[serde(with = "crate::rfc3339")]
    starts_at: OffsetDateTime,
    #[serde(with = "crate::rfc3339")]
    ends_at: OffsetDateTime,
}

impl TryFrom<PerformanceFields> for Performance {
    type Error = PerformanceError;

    fn try_from(f: PerformanceFields) -> Result<Self, Self::Error> {
        Self::new(f.organizer, f.id, f.starts_at, f.ends_at)
    }
}

impl Performance {
    /// A performance from `starts_at` to `ends_at`.
    ///
    /// # Errors
    ///
    /// [`PerformanceError::TimeOutOfRange`] when a time is outside
    /// [`time_range`](crate::time_range) (no store could hold it), then
    /// [`PerformanceError::EndsBeforeStart`] when `ends_at` is before `starts_at`.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{OrganizerId, Performance, PerformanceId};
    /// use time::macros::datetime;
    ///
    /// let show = Performance::new(OrganizerId::from_u128(1), PerformanceId::from_u128(1),
    ///     datetime!(2026-12-20 20:00 UTC), datetime!(2026-12-20 22:00 UTC))?;
    /// assert_eq!(show.ends_at - show.starts_at, time::Duration::hours(2));
    /// # Ok::<(), secure_ticket::PerformanceError>(())
    /// ```
    pub fn new(
        organizer: OrganizerId,
        id: PerformanceId,
        starts_at: OffsetDateTime,
        ends_at: OffsetDateTime,
    ) -> Result<Self, PerformanceError> {
        if let Some(at) = [starts_at, ends_at]
            .into_iter()
            .find(|&at| !crate::time_range::contains(at))
        {
            return Err(PerformanceError::TimeOutOfRange {
                performance: id,
                at,
            });
        }
        if ends_at < starts_at {
            return Err(PerformanceError::EndsBeforeStart {
                performance: id,
                starts_at,
                ends_at,
            });
        }
        Ok(Self {
            id,
            organizer,
            starts_at,
            ends_at,
        })
    }

    /// Whether the performance is over at `now` (its end is at or before `now`).
    #[must_use]
    pub fn has_ended(&self, now: OffsetDateTime) -> bool {
        self.ends_at <= now
    }
}

/// A performance that cannot exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum PerformanceError {
    /// The end is before the start.
    #[error(
        "performance {performance} ends at {ends_at} before it starts at {starts_at}; give an end at or after the start"
    )]
    EndsBeforeStart {
        /// The performance.
        performance: PerformanceId,
        /// Its start.
        #[serde(with = "crate::rfc3339")]
        starts_at: OffsetDateTime,
        /// Its end.
        #[serde(with = "crate::rfc3339")]
        ends_at: OffsetDateTime,
    },
    /// A start or an end no store could hold ([`time_range`](crate::time_range), X12).
    #[error(
        "performance {performance} is dated {at}, outside the times a record can hold ({} to {}, offsets in whole minutes)",
        crate::time_range::EARLIEST,
        crate::time_range::LATEST
    )]
    #[serde(rename = "TIME_OUT_OF_RANGE")]
    TimeOutOfRange {
        /// The performance.
        performance: PerformanceId,
        /// The time outside the range, serialised as `[unix seconds, nanosecond, offset
        /// seconds]` (RFC 3339 may not be able to write it).
        #[serde(with = "crate::time_range::any_time")]
        at: OffsetDateTime,
    },
}

impl PerformanceError {
    /// The error's stable code: `PERFORMANCE_ENDS_BEFORE_START` or `TIME_OUT_OF_RANGE`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::EndsBeforeStart { .. } => "PERFORMANCE_ENDS_BEFORE_START",
            Self::TimeOutOfRange { .. } => "TIME_OUT_OF_RANGE",
        }
    }

    /// [`ErrorKind::InvalidInput`].
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidInput
    }
}
