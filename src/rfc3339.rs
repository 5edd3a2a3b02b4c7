//! Times in RFC 3339 (`2026-11-23T12:00:00Z`): as the records serialise them (this module is their
//! `#[serde(with = "crate::rfc3339")]`), and in error messages, rather than `OffsetDateTime`'s own
//! `Display` (`2026-11-23 12:00:00.0 +00:00:00`).

use std::fmt;

use serde::{Deserializer, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The longest RFC 3339 time: `9999-12-31T23:59:59.999999999+23:59`.
const LONGEST: usize = 35;

/// `at` in RFC 3339, as `time::serde::rfc3339` writes it (the same string, or the same error, in
/// every format). In a human-readable format the text is marked as needing no escape (digits,
/// `-`, `:`, `T`, `Z`, `.`, `+`) for the crate's JSON writer ([`crate::store::json`]), and written
/// without an allocation.
pub(crate) fn serialize<S: Serializer>(
    at: &OffsetDateTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable()
        && let Some(text) = format(*at, &mut [0_u8; LONGEST])
    {
        return crate::store::json::serialize_plain(text, serializer);
    }
    time::serde::rfc3339::serialize(at, serializer)
}

/// Reads a time as `time::serde::rfc3339` does.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<OffsetDateTime, D::Error> {
    time::serde::rfc3339::deserialize(deserializer)
}

/// `at`'s RFC 3339 text, written in `buffer`; `None` if it has none (or if it did not fit, which
/// no RFC 3339 time does).
///
/// The text's length is what the writer did not use of `buffer`: `format_into`'s own count is
/// short when there are fractional seconds (`time` 0.3.55 counts 21 bytes for the 30 of
/// `1970-01-01T00:00:00.000000001Z`).
fn format(at: OffsetDateTime, buffer: &mut [u8; LONGEST]) -> Option<&str> {
    let mut unused = buffer.as_mut_slice();
    at.format_into(&mut unused, &Rfc3339).ok()?;
    let written = LONGEST.checked_sub(unused.len())?;
    std::str::from_utf8(buffer.get(..written)?).ok()
}

/// [`serialize`] and [`deserialize`] for an optional time, as `time::serde::rfc3339::option`.
pub(crate) mod option {
    use serde::{Deserializer, Serializer};
    use time::OffsetDateTime;

    use super::{LONGEST, format};
    use crate::store::json::PlainText;

    /// `None`, or the time as [`super::serialize`] writes it.
    #[allow(
        clippy::ref_option,
        reason = "serde's `with` passes the field by reference"
    )]
    pub(crate) fn serialize<S: Serializer>(
        at: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable()
            && let Some(at) = at
            && let Some(text) = format(*at, &mut [0_u8; LONGEST])
        {
            return serializer.serialize_some(&PlainText(text));
        }
        time::serde::rfc3339::option::serialize(at, serializer)
    }

    /// Reads an optional time as `time::serde::rfc3339::option` does.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        time::serde::rfc3339::option::deserialize(deserializer)
    }
}

/// A time that displays in RFC 3339.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rfc3339Time(OffsetDateTime);

/// `at`, displayed in RFC 3339: for `#[error(...)]` messages.
pub(crate) const fn rfc3339(at: OffsetDateTime) -> Rfc3339Time {
    Rfc3339Time(at)
}

impl fmt::Display for Rfc3339Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(text) => f.pad(&text),
            // RFC 3339 has no form for years outside 0000-9999 or offsets with seconds.
            Err(_) => fmt::Display::fmt(&self.0, f),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::rfc3339;

    #[test]
    fn times_display_in_rfc_3339() {
        assert_eq!(
            rfc3339(datetime!(2026-11-23 12:00 UTC)).to_string(),
            "2026-11-23T12:00:00Z"
        );
        assert_eq!(
            rfc3339(datetime!(2026-11-23 14:30:05.25 +02:00)).to_string(),
            "2026-11-23T14:30:05.25+02:00"
        );
        // No RFC 3339 form: time's own display, never a panic.
        let odd = datetime!(2026-11-23 12:00 +01:00:30);
        assert_eq!(rfc3339(odd).to_string(), odd.to_string());
    }
}
