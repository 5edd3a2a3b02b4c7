//! The times the crate accepts (SPEC X12): from the Unix epoch to the end of 2199, UTC.
//!
//! Every store must write a record's times and read them back exactly. RFC 3339 (the records'
//! JSON) writes years 0 to 9999 with offsets in whole minutes; a column of Unix nanoseconds in a
//! signed 64-bit integer (the SQLite example's `at` columns) holds 1677 to 2262; PostgreSQL's
//! `timestamptz` holds far more. The range is inside all of them, with room for a transfer
//! deadline past its end. A command dated outside it is refused by the shell with
//! [`Error::TimeOutOfRange`](crate::Error::TimeOutOfRange) before anything is read, whatever the
//! store, and so is a pruning horizon; [`Performance::new`](crate::Performance::new) refuses such
//! a start or end with [`PerformanceError::TimeOutOfRange`](crate::PerformanceError).

use time::OffsetDateTime;
use time::macros::datetime;

/// The earliest time accepted: `1970-01-01T00:00:00Z`.
pub const EARLIEST: OffsetDateTime = datetime!(1970-01-01 00:00:00 UTC);

/// The latest time accepted: `2199-12-31T23:59:59.999999999Z`.
pub const LATEST: OffsetDateTime = datetime!(2199-12-31 23:59:59.999_999_999 UTC);

/// Whether `at` is accepted: from [`EARLIEST`] to [`LATEST`], with an offset in whole minutes
/// (RFC 3339 cannot write seconds of offset).
///
/// # Examples
///
/// ```
/// use secure_ticket::time_range;
/// use time::macros::datetime;
///
/// assert!(time_range::contains(datetime!(2026-12-02 09:00 +01:00)));
/// assert!(!time_range::contains(datetime!(1969-12-31 23:59 UTC)));
/// assert!(!time_range::contains(datetime!(2200-01-01 00:00 UTC)));
/// assert!(!time_range::contains(datetime!(2026-12-02 09:00 +01:00:30)));
/// ```
#[must_use]
pub fn contains(at: OffsetDateTime) -> bool {
    (EARLIEST..=LATEST).contains(&at) && at.offset().seconds_past_minute() == 0
}

/// Serde for a time that may be outside the range (in an error): `[unix seconds, nanosecond,
/// offset seconds]`, read back exactly, where RFC 3339 could not write the time at all.
pub(crate) mod any_time {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use time::{OffsetDateTime, UtcOffset};

    pub(crate) fn serialize<S: Serializer>(
        at: &OffsetDateTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        (
            at.unix_timestamp(),
            at.nanosecond(),
            at.offset().whole_seconds(),
        )
            .serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<OffsetDateTime, D::Error> {
        use serde::de::Error;
        let (seconds, nanosecond, offset) = <(i64, u32, i32)>::deserialize(deserializer)?;
        let offset = UtcOffset::from_whole_seconds(offset).map_err(D::Error::custom)?;
        OffsetDateTime::from_unix_timestamp(seconds)
            .and_then(|at| at.replace_nanosecond(nanosecond))
            .map_err(D::Error::custom)?
            .checked_to_offset(offset)
            .ok_or_else(|| D::Error::custom("the time is out of range at its offset"))
    }
}
