//! Times in error messages, in RFC 3339 (`2026-11-23T12:00:00Z`) as the records serialise them,
//! rather than `OffsetDateTime`'s own `Display` (`2026-11-23 12:00:00.0 +00:00:00`).

use std::fmt;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

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
