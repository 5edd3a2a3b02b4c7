//! Validated email addresses: how spectators and contacts are known.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error_kind::ErrorKind;

/// The longest address accepted, in bytes (RFC 5321's path limit less the angle brackets).
const MAX_LEN: usize = 254;
/// The longest local part accepted, in bytes (RFC 5321).
const MAX_LOCAL_LEN: usize = 64;
/// The longest input looked at: a longer one is refused before any other work, and an error
/// keeps at most this much of the input (so a 100 MB input costs neither time nor memory).
const MAX_INPUT: usize = 1024;

/// At most [`MAX_INPUT`] bytes of `text`, cut on a character boundary, with `…` when cut.
fn excerpt(text: &str) -> String {
    if text.len() <= MAX_INPUT {
        return text.to_owned();
    }
    let end = (0..=MAX_INPUT)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let mut out = text.get(..end).unwrap_or_default().to_owned();
    out.push('…');
    out
}

/// Characters that show nothing, or change how the text around them shows, so that two
/// addresses that look alike would differ (X9): Unicode's format characters (zero-width
/// spaces and joiners, bidirectional controls, the byte order mark, tags, interlinear
/// annotation), variation selectors, fillers and other default-ignorable code points.
const fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFFB}'
        | '\u{110BD}' | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// A spectator's or contact's email address, validated and normalised.
///
/// Surrounding white space is trimmed and the address is lower-cased, so two addresses that differ
/// only in case or padding are equal (SPEC §1, a **decision**). The address is shared behind an
/// [`Arc`], so cloning an `Email` (and every ticket that holds one) never allocates.
///
/// Validation is deliberately practical rather than a full RFC 5322 parser: one `@`, a non-empty
/// local part of at most 64 bytes, a domain with at least one dot and no empty label, no white space
/// or control characters, 254 bytes at most.
///
/// # Examples
///
/// ```
/// use secure_ticket::Email;
///
/// let a = Email::parse("  Alice@Example.com ")?;
/// let b = Email::parse("alice@example.com")?;
/// assert_eq!(a, b);
/// assert_eq!(a.as_str(), "alice@example.com");
/// assert!(Email::parse("alice.example.com").is_err());
/// # Ok::<(), secure_ticket::EmailError>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Email(Arc<str>);

/// Why a string is not a valid [`Email`].
///
/// ### Handling
/// The input came from a person: show the message and ask for a corrected address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum EmailError {
    /// Nothing but white space was given.
    #[error("the email address is empty; enter an address such as name@example.com")]
    #[serde(rename = "EMAIL_EMPTY")]
    Empty,
    /// The address is longer than 254 bytes.
    #[error("the email address `{input}` is {len} bytes long; at most 254 are allowed")]
    #[serde(rename = "EMAIL_TOO_LONG")]
    TooLong {
        /// The address as given (trimmed), or its first 1,024 bytes and `…` when longer.
        input: String,
        /// Its length in bytes.
        len: usize,
    },
    /// There is no `@`, or more than one.
    #[error("the email address `{input}` must contain exactly one `@`, as in name@example.com")]
    #[serde(rename = "EMAIL_NOT_ONE_AT")]
    NotOneAt {
        /// The address as given (trimmed).
        input: String,
    },
    /// Nothing before the `@`, or more than 64 bytes.
    #[error("the email address `{input}` needs 1 to 64 characters before the `@`")]
    #[serde(rename = "EMAIL_INVALID_LOCAL_PART")]
    InvalidLocalPart {
        /// The address as given (trimmed).
        input: String,
    },
    /// The domain is missing, has no dot, or has an empty label (`a@b`, `a@.b`, `a@b..c`).
    #[error(
        "the email address `{input}` has an invalid domain after the `@`; use a domain such as example.com"
    )]
    #[serde(rename = "EMAIL_INVALID_DOMAIN")]
    InvalidDomain {
        /// The address as given (trimmed).
        input: String,
    },
    /// The address contains white space, a control character, or an invisible one (a zero-width
    /// space or joiner, a bidirectional control, a tag, a variation selector: X9).
    #[error(
        "the email address `{input}` contains the character {character:?}, which is not allowed; remove it"
    )]
    #[serde(rename = "EMAIL_INVALID_CHARACTER")]
    InvalidCharacter {
        /// The address as given (trimmed).
        input: String,
        /// The first offending character.
        character: char,
    },
}

impl EmailError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. A released code never changes
    /// (`tests/fixtures/error_codes.txt` lists them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{Email, ErrorKind};
    ///
    /// let error = Email::parse("alice.example.com").unwrap_err();
    /// assert_eq!(error.code(), "EMAIL_NOT_ONE_AT");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Empty => "EMAIL_EMPTY",
            Self::TooLong { .. } => "EMAIL_TOO_LONG",
            Self::NotOneAt { .. } => "EMAIL_NOT_ONE_AT",
            Self::InvalidLocalPart { .. } => "EMAIL_INVALID_LOCAL_PART",
            Self::InvalidDomain { .. } => "EMAIL_INVALID_DOMAIN",
            Self::InvalidCharacter { .. } => "EMAIL_INVALID_CHARACTER",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{Email, ErrorKind};
    ///
    /// let error = Email::parse("alice.example.com").unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::InvalidInput);
    /// assert_eq!(error.kind().http_status(), 400);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Empty
            | Self::TooLong { .. }
            | Self::NotOneAt { .. }
            | Self::InvalidLocalPart { .. }
            | Self::InvalidDomain { .. }
            | Self::InvalidCharacter { .. } => ErrorKind::InvalidInput,
        }
    }
}

impl Email {
    /// Validates and normalises an address.
    ///
    /// # Errors
    ///
    /// [`EmailError::Empty`], [`EmailError::TooLong`], [`EmailError::NotOneAt`],
    /// [`EmailError::InvalidLocalPart`], [`EmailError::InvalidDomain`] or
    /// [`EmailError::InvalidCharacter`], as their names say.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{Email, EmailError};
    ///
    /// assert_eq!(Email::parse("BOB@example.org")?.as_str(), "bob@example.org");
    /// assert!(matches!(Email::parse("bob@localhost"), Err(EmailError::InvalidDomain { .. })));
    /// # Ok::<(), EmailError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        Self::parse_with(input, true)
    }

    /// [`Email::parse`], with the ASCII fast path allowed or not (both must agree: tested).
    fn parse_with(input: &str, ascii_fast_path: bool) -> Result<Self, EmailError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        // The length first: no other work on an input that cannot be an address.
        if trimmed.len() > MAX_INPUT {
            return Err(EmailError::TooLong {
                input: excerpt(trimmed),
                len: trimmed.len(),
            });
        }
        if let Some(character) = trimmed
            .chars()
            .find(|&c| c.is_whitespace() || c.is_control() || is_invisible(c))
        {
            return Err(EmailError::InvalidCharacter {
                input: trimmed.to_owned(),
                character,
            });
        }
        // Limits apply to the stored (lower-case) form: some characters grow when lower-cased.
        // ASCII (nearly every address) is lower-cased on the stack: one allocation in all.
        let mut buffer = [0u8; MAX_LEN];
        let owned;
        let fast = ascii_fast_path.then(|| ascii_lowercase(trimmed, &mut buffer));
        let lower: &str = match fast.flatten() {
            Some(lower) => lower,
            None => {
                owned = trimmed.to_lowercase();
                &owned
            }
        };
        if lower.len() > MAX_LEN {
            return Err(EmailError::TooLong {
                input: trimmed.to_owned(),
                len: lower.len(),
            });
        }
        let mut parts = lower.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(EmailError::NotOneAt {
                input: trimmed.to_owned(),
            });
        };
        if local.is_empty() || local.len() > MAX_LOCAL_LEN {
            return Err(EmailError::InvalidLocalPart {
                input: trimmed.to_owned(),
            });
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(EmailError::InvalidDomain {
                input: trimmed.to_owned(),
            });
        }
        Ok(Self(Arc::from(lower)))
    }

    /// An address known to be valid and normalised (crate-internal fixtures and stand-ins).
    pub(crate) fn from_normalised(address: &str) -> Self {
        Self(Arc::from(address))
    }

    /// The normalised address (trimmed, lower-case).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `input` lower-cased into `buffer`, when it is ASCII and fits (lower-casing ASCII keeps lengths).
fn ascii_lowercase<'a>(input: &str, buffer: &'a mut [u8; MAX_LEN]) -> Option<&'a str> {
    if !input.is_ascii() {
        return None;
    }
    let out = buffer.get_mut(..input.len())?;
    out.copy_from_slice(input.as_bytes());
    out.make_ascii_lowercase();
    std::str::from_utf8(out).ok()
}

impl std::str::FromStr for Email {
    type Err = EmailError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Email {
    type Error = EmailError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_normalises_and_rejects() {
        assert_eq!(Email::parse(" A@B.co ").unwrap().as_str(), "a@b.co");
        assert_eq!(Email::parse("   "), Err(EmailError::Empty));
        assert!(matches!(
            Email::parse("a@b@c.d"),
            Err(EmailError::NotOneAt { .. })
        ));
        assert!(matches!(
            Email::parse("ab.cd"),
            Err(EmailError::NotOneAt { .. })
        ));
        assert!(matches!(
            Email::parse("@b.cd"),
            Err(EmailError::InvalidLocalPart { .. })
        ));
        assert!(matches!(
            Email::parse("a@b..cd"),
            Err(EmailError::InvalidDomain { .. })
        ));
        assert!(matches!(
            Email::parse("a@.cd"),
            Err(EmailError::InvalidDomain { .. })
        ));
        assert!(matches!(
            Email::parse("a b@c.de"),
            Err(EmailError::InvalidCharacter { character: ' ', .. })
        ));
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(matches!(
            Email::parse(&long),
            Err(EmailError::TooLong { len: 262, .. })
        ));
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(matches!(
            Email::parse(&long_local),
            Err(EmailError::InvalidLocalPart { .. })
        ));
    }

    proptest::proptest! {
        /// The ASCII fast path and the general path agree on every input.
        #[test]
        fn ascii_fast_path_matches_general_path(input in " ?[A-Za-z0-9.]{0,70}@[A-Za-z0-9.]{0,12}\\.[A-Za-z]{0,4} ?|[ -~\t]{0,300}|[a-zA-Z.@ ]{0,70}") {
            let general = Email::parse_with(&input, false);
            let fast = Email::parse_with(&input, true);
            proptest::prop_assert_eq!(fast, general);
        }
    }

    #[test]
    fn serde_validates() {
        let e: Email = serde_json::from_str("\"Bob@Example.com\"").unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"bob@example.com\"");
        assert!(serde_json::from_str::<Email>("\"bob\"").is_err());
    }
}
