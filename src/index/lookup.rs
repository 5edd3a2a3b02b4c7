//! Lookups of an index, pages and cursors (SPEC Q7).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::digest::Digester;
use crate::error_kind::ErrorKind;
use crate::id::OrganizerId;
use crate::index::{Index, SortKey, Term};
use crate::record_key::RecordKey;

/// The most entries one page of a list holds (Q7: a limit is 1 to 1,000).
pub const MAX_LIMIT: u32 = 1000;

/// A range of one index for one organizer and term, in ascending [`SortKey`] order.
///
/// What the shell asks a store ([`Store::query`](crate::store::Store::query), or inside a
/// [`ReadPlan`](crate::store::ReadPlan)): the entries whose sort key is strictly after `after`
/// and at most `until`, at most `limit` of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The index.
    pub index: Index,
    /// Whose entries (X7).
    pub organizer: OrganizerId,
    /// The term looked up.
    pub term: Term,
    /// Strictly after this key (`None`: from the start).
    pub after: Option<SortKey>,
    /// At most this key, included ([`SortKey::MAX`]: to the end).
    pub until: SortKey,
    /// At most this many hits.
    pub limit: u32,
}

impl Lookup {
    /// The first `limit` entries of `index` for `organizer` and `term`.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::index::{Index, Lookup, Term};
    /// use secure_ticket::{Email, OrganizerId};
    ///
    /// let wallet = Lookup::new(Index::TicketsByOwner, OrganizerId::from_u128(1),
    ///     Term::Email(Email::parse("alice@example.com")?), 100);
    /// assert!(wallet.after.is_none());
    /// # Ok::<(), secure_ticket::EmailError>(())
    /// ```
    #[must_use]
    pub const fn new(index: Index, organizer: OrganizerId, term: Term, limit: u32) -> Self {
        Self {
            index,
            organizer,
            term,
            after: None,
            until: SortKey::MAX,
            limit,
        }
    }

    /// Whether `sort` is in the range (ignoring the limit).
    #[must_use]
    pub fn contains(&self, sort: SortKey) -> bool {
        self.after.is_none_or(|after| sort > after) && sort <= self.until
    }
}

/// An entry a lookup found: where it sorts and the record it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hit {
    /// Its sort key.
    pub sort: SortKey,
    /// The record.
    pub key: RecordKey,
}

/// One page of a list: how many entries (1 to [`MAX_LIMIT`]) and where to start.
///
/// # Examples
///
/// ```
/// use secure_ticket::index::PageRequest;
///
/// let first = PageRequest::first(50);
/// assert_eq!(first.limit, 50);
/// assert!(first.after.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// At most this many entries: 1 to [`MAX_LIMIT`], anything else is a typed error.
    pub limit: u32,
    /// The cursor a previous page returned, to continue after it.
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// The first page.
    #[must_use]
    pub const fn first(limit: u32) -> Self {
        Self { limit, after: None }
    }

    /// The page after `cursor`.
    #[must_use]
    pub const fn after(cursor: Cursor, limit: u32) -> Self {
        Self {
            limit,
            after: Some(cursor),
        }
    }
}

/// Where the next page of a list starts: opaque, bound to the list it came from.
///
/// It reads and writes as a short string (for a URL or a JSON field); a cursor given to another
/// list, or any other string, is a [`CursorError`].
///
/// Paging is ordered on a stable key (Q7): an entry that did not change between two pages is
/// neither repeated nor skipped.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cursor {
    index: Index,
    check: u64,
    sort: SortKey,
}

impl Cursor {
    /// The cursor after `sort` in the list of `index` for `organizer` and `term`.
    pub(crate) fn new(index: Index, organizer: OrganizerId, term: &Term, sort: SortKey) -> Self {
        Self {
            index,
            check: check_of(index, organizer, term),
            sort,
        }
    }

    /// The sort key to continue after, if the cursor belongs to this list.
    pub(crate) fn resume(
        &self,
        index: Index,
        organizer: OrganizerId,
        term: &Term,
    ) -> Result<SortKey, CursorError> {
        if self.index != index || self.check != check_of(index, organizer, term) {
            return Err(CursorError::OtherList);
        }
        Ok(self.sort)
    }
}

/// A check that binds a cursor to its list, so one list's cursor is refused by another.
fn check_of(index: Index, organizer: OrganizerId, term: &Term) -> u64 {
    let mut digester = Digester::new("secure-ticket/cursor");
    digester.write(&index);
    digester.write(&organizer);
    digester.write(term);
    let bytes = digester.finish();
    let mut word = [0u8; 8];
    for (place, byte) in word.iter_mut().zip(bytes.as_bytes()) {
        *place = *byte;
    }
    u64::from_le_bytes(word)
}

const PREFIX: &str = "c1";

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{:02x}{:016x}", self.index.number(), self.check)?;
        for byte in self.sort.to_bytes() {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({self})")
    }
}

impl FromStr for Cursor {
    type Err = CursorError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let body = text.strip_prefix(PREFIX).ok_or(CursorError::Malformed)?;
        if body.len() != 2 + 16 + 64 || !body.is_ascii() {
            return Err(CursorError::Malformed);
        }
        let hex = |range: std::ops::Range<usize>| -> Result<u64, CursorError> {
            body.get(range)
                .and_then(|h| u64::from_str_radix(h, 16).ok())
                .ok_or(CursorError::Malformed)
        };
        let index = u8::try_from(hex(0..2)?)
            .ok()
            .and_then(Index::from_number)
            .ok_or(CursorError::Malformed)?;
        let check = hex(2..18)?;
        let mut sort = [0u8; 32];
        for (i, place) in sort.iter_mut().enumerate() {
            let from = 18usize.saturating_add(i.saturating_mul(2));
            *place = u8::try_from(hex(from..from.saturating_add(2))?)
                .map_err(|_| CursorError::Malformed)?;
        }
        Ok(Self {
            index,
            check,
            sort: SortKey::from_bytes(sort),
        })
    }
}

impl Serialize for Cursor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A cursor that cannot continue the list it was given to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum CursorError {
    /// Not a cursor this crate wrote.
    #[error("the cursor is not one this service returned; start again from the first page")]
    #[serde(rename = "CURSOR_MALFORMED")]
    Malformed,
    /// A cursor of another list (another index, organizer or term).
    #[error("the cursor belongs to another list; use the cursor this list returned")]
    #[serde(rename = "CURSOR_OF_OTHER_LIST")]
    OtherList,
}

impl CursorError {
    /// The error's stable code: `CURSOR_MALFORMED` or `CURSOR_OF_OTHER_LIST`.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "CURSOR_MALFORMED",
            Self::OtherList => "CURSOR_OF_OTHER_LIST",
        }
    }

    /// [`ErrorKind::InvalidInput`].
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidInput
    }
}
