//! Named feed readers and their cursors (SPEC F3).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error_kind::ErrorKind;
use crate::feed::Position;
use crate::id::OrganizerId;

/// The name of a feed reader: 1 to 32 characters among `a-z`, `0-9`, `.`, `_` and `-`.
///
/// Names are small and `Copy`, so a reader's key is too.
///
/// # Examples
///
/// ```
/// use secure_ticket::feed::{ReaderName, ReaderNameError};
///
/// let name = ReaderName::parse("s360-feedback")?;
/// assert_eq!(name.as_str(), "s360-feedback");
/// assert!(matches!(ReaderName::parse("S360 Feedback"), Err(ReaderNameError::Character { .. })));
/// assert!(matches!(ReaderName::parse(""), Err(ReaderNameError::Length { .. })));
/// # Ok::<(), ReaderNameError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReaderName {
    len: u8,
    bytes: [u8; Self::MAX_LEN],
}

impl ReaderName {
    /// The longest name.
    pub const MAX_LEN: usize = 32;

    /// Checks a name.
    ///
    /// # Errors
    ///
    /// [`ReaderNameError::Length`] for an empty or too long name,
    /// [`ReaderNameError::Character`] for a character outside `a-z0-9._-`.
    pub fn parse(name: &str) -> Result<Self, ReaderNameError> {
        let len = name.len();
        if len == 0 || len > Self::MAX_LEN {
            return Err(ReaderNameError::Length { len });
        }
        let mut bytes = [0u8; Self::MAX_LEN];
        for (place, (at, c)) in bytes.iter_mut().zip(name.char_indices()) {
            if !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')) {
                return Err(ReaderNameError::Character { at, found: c });
            }
            *place = c as u8;
        }
        Ok(Self {
            // `len` is at most MAX_LEN (32).
            len: u8::try_from(len).unwrap_or(u8::MAX),
            bytes,
        })
    }

    /// A name known to be valid (the crate's own readers): its bytes as given, cut at
    /// [`MAX_LEN`](Self::MAX_LEN).
    pub(crate) const fn known(name: &'static str) -> Self {
        let mut bytes = [0u8; Self::MAX_LEN];
        let mut len: u8 = 0;
        let mut given = name.as_bytes();
        let mut room: &mut [u8] = &mut bytes;
        while let (Some((byte, rest)), Some((slot, left))) =
            (given.split_first(), room.split_first_mut())
        {
            *slot = *byte;
            (given, room) = (rest, left);
            len = len.saturating_add(1);
        }
        Self { len, bytes }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        let len = usize::from(self.len).min(Self::MAX_LEN);
        self.bytes
            .get(..len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

impl fmt::Debug for ReaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReaderName").field(&self.as_str()).finish()
    }
}

impl fmt::Display for ReaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for ReaderName {
    type Err = ReaderNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for ReaderName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ReaderName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A reader name that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ReaderNameError {
    /// Empty or longer than [`ReaderName::MAX_LEN`].
    #[error("a reader name has 1 to 32 characters, not {len}")]
    #[serde(rename = "READER_NAME_LENGTH")]
    Length {
        /// Its length in bytes.
        len: usize,
    },
    /// A character outside `a-z0-9._-`.
    #[error("a reader name uses a-z, 0-9, '.', '_' and '-' only; found {found:?} at byte {at}")]
    #[serde(rename = "READER_NAME_CHARACTER")]
    Character {
        /// Where.
        at: usize,
        /// What.
        found: char,
    },
}

impl ReaderNameError {
    /// The error's stable code: `READER_NAME_LENGTH` or `READER_NAME_CHARACTER`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Length { .. } => "READER_NAME_LENGTH",
            Self::Character { .. } => "READER_NAME_CHARACTER",
        }
    }

    /// [`ErrorKind::InvalidInput`].
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidInput
    }
}

/// A named reader's cursor, stored as a record so that it advances atomically with the effects
/// the reader derived (F3), and two instances of one reader conflict instead of both applying.
///
/// # Examples
///
/// ```
/// use secure_ticket::feed::{Position, ReaderCursor, ReaderName};
/// use secure_ticket::OrganizerId;
///
/// let cursor = ReaderCursor::new(OrganizerId::from_u128(1), ReaderName::parse("audit")?);
/// assert_eq!(cursor.position, Position::START);
/// # Ok::<(), secure_ticket::feed::ReaderNameError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReaderCursor {
    /// The organizer whose feed it reads (X7).
    pub organizer: OrganizerId,
    /// Its name.
    pub name: ReaderName,
    /// The last position it has passed (its effects are committed).
    pub position: Position,
}

impl ReaderCursor {
    /// A reader at the start of the organizer's feed.
    #[must_use]
    pub const fn new(organizer: OrganizerId, name: ReaderName) -> Self {
        Self {
            organizer,
            name,
            position: Position::START,
        }
    }
}
