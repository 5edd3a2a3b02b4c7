//! Why a store could not load or commit.

use std::error::Error as StdError;
use std::fmt;

use crate::error_kind::ErrorKind;
use crate::index::Index;
use crate::record_key::RecordKey;
use crate::store::Version;

/// What a store was doing when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Loading records.
    Load,
    /// Committing a batch.
    Commit,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Load => "loading",
            Self::Commit => "committing",
        })
    }
}

/// A boxed backend error.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Why a store could not load or commit.
///
/// ### Handling
/// [`Conflict`](Self::Conflict): another writer got there first; reload and decide again (the
/// shell does), and when retries run out answer 409/503 so the client retries.
/// [`UnsupportedFormat`](Self::UnsupportedFormat): a newer service version wrote the record;
/// upgrade this instance. [`Corrupt`](Self::Corrupt) and [`Backend`](Self::Backend): operator
/// attention. [`DuplicateKey`](Self::DuplicateKey): a bug in the caller's batch.
/// [`UniqueEntryTaken`](Self::UniqueEntryTaken): the batch would break B11 (a second valid ticket
/// for a right); show it to the operator, do not retry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A write expected another version than the stored one (X4); nothing was written.
    #[error(
        "conflict when committing {key}: expected {expected}, found {actual}; another writer changed it first: read it again and retry the command"
    )]
    Conflict {
        /// The record.
        key: RecordKey,
        /// The version the write expected.
        expected: Version,
        /// The version stored ([`Version::NEW`] when absent).
        actual: Version,
    },
    /// The record was written by a newer, incompatible format (X5).
    #[error(
        "{key} is stored in format {format}, which needs a reader of format {min_reader} or later; this build \
         reads up to {reader}: upgrade this service"
    )]
    UnsupportedFormat {
        /// The record.
        key: RecordKey,
        /// The format it was written in.
        format: u32,
        /// The oldest reader format that can read it.
        min_reader: u32,
        /// The newest format this build reads.
        reader: u32,
    },
    /// The stored bytes are not a record.
    #[error("{key} is unreadable when {operation}: {source}")]
    Corrupt {
        /// The record.
        key: RecordKey,
        /// What was being done.
        operation: Operation,
        /// Why it could not be read.
        source: BoxError,
    },
    /// Records read in different rounds of one attempt contradict each other: another writer
    /// committed between the rounds (a torn read). Like [`Conflict`](Self::Conflict), the shell
    /// reads again and decides again; this is returned only when the attempts ran out.
    #[error(
        "{key} changed while the command was being read (another writer committed meanwhile); try again"
    )]
    ChangedDuringRead {
        /// The record whose state contradicts a record read earlier.
        key: RecordKey,
    },
    /// After the batch, two records would hold an entry under the same term of a unique index
    /// ([`Index::is_unique`], contract item 10): for [`Index::ValidTicketByRight`], a second
    /// valid ticket for one right (B11). Nothing was written.
    #[error(
        "{key} cannot be written: {holder} already holds the same term of the unique index \
         {index} (for valid_ticket_by_right: {holder} is the valid ticket of the same right, and \
         a right has one valid ticket, B11); invalidate {holder} in the same batch, or do not \
         write {key}"
    )]
    UniqueEntryTaken {
        /// The unique index.
        index: Index,
        /// The record the batch writes.
        key: RecordKey,
        /// The record that holds the entry under the same (organizer, term): for
        /// [`Index::ValidTicketByRight`], the valid ticket of the same right.
        holder: RecordKey,
    },
    /// The same record appears twice in one batch; nothing was written.
    #[error("{key} is written twice in one batch; write each record once")]
    DuplicateKey {
        /// The record.
        key: RecordKey,
    },
    /// The database failed.
    #[error("the store failed when {operation}{}: {source}", key.map(|k| format!(" {k}")).unwrap_or_default())]
    Backend {
        /// What was being done.
        operation: Operation,
        /// The record concerned, when known.
        key: Option<RecordKey>,
        /// The backend's error.
        source: BoxError,
    },
}

impl StoreError {
    /// Whether another writer got there first: a [`Conflict`](Self::Conflict) or a
    /// [`ChangedDuringRead`](Self::ChangedDuringRead). Retrying the command may succeed.
    #[must_use]
    pub const fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict { .. } | Self::ChangedDuringRead { .. })
    }
}

impl StoreError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE: `STORE_CONFLICT`, `CHANGED_DURING_READ`,
    /// `UNSUPPORTED_FORMAT`, `CORRUPT_RECORD`, `UNIQUE_ENTRY_TAKEN`, `DUPLICATE_KEY_IN_BATCH` or
    /// `STORE_BACKEND`.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::store::{RecordKey, StoreError};
    /// use secure_ticket::TicketId;
    ///
    /// let error = StoreError::DuplicateKey { key: RecordKey::Ticket(TicketId::from_u128(1)) };
    /// assert_eq!(error.code(), "DUPLICATE_KEY_IN_BATCH");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Conflict { .. } => "STORE_CONFLICT",
            Self::ChangedDuringRead { .. } => "CHANGED_DURING_READ",
            Self::UnsupportedFormat { .. } => "UNSUPPORTED_FORMAT",
            Self::Corrupt { .. } => "CORRUPT_RECORD",
            Self::UniqueEntryTaken { .. } => "UNIQUE_ENTRY_TAKEN",
            Self::DuplicateKey { .. } => "DUPLICATE_KEY_IN_BATCH",
            Self::Backend { .. } => "STORE_BACKEND",
        }
    }

    /// What kind of failure this is: [`ErrorKind::Conflict`] for [`Conflict`](Self::Conflict)
    /// and [`ChangedDuringRead`](Self::ChangedDuringRead) (a retry may succeed),
    /// [`ErrorKind::InvalidInput`] for [`DuplicateKey`](Self::DuplicateKey) (the batch is
    /// wrong), [`ErrorKind::Refused`] for [`UniqueEntryTaken`](Self::UniqueEntryTaken) (B11
    /// refuses it), [`ErrorKind::Unavailable`] for the others (operator attention).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::store::{RecordKey, StoreError, Version};
    /// use secure_ticket::{ErrorKind, TicketId};
    ///
    /// let key = RecordKey::Ticket(TicketId::from_u128(1));
    /// let error = StoreError::Conflict { key, expected: Version::NEW, actual: Version::NEW.next() };
    /// assert_eq!(error.kind(), ErrorKind::Conflict);
    /// assert_eq!(error.kind().http_status(), 409);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::Conflict { .. } | Self::ChangedDuringRead { .. } => ErrorKind::Conflict,
            Self::DuplicateKey { .. } => ErrorKind::InvalidInput,
            Self::UniqueEntryTaken { .. } => ErrorKind::Refused,
            Self::UnsupportedFormat { .. } | Self::Corrupt { .. } | Self::Backend { .. } => {
                ErrorKind::Unavailable
            }
        }
    }
}
