//! What kind of failure an error is, for callers who answer over HTTP or log by class.

use std::fmt;

/// What kind of failure an error is: every error type of the crate has a `kind()` (and a stable
/// `code()` naming the exact failure).
///
/// The kind says what the caller can do; [`http_status`](Self::http_status) maps it to the status
/// an HTTP API would answer.
///
/// | kind | HTTP | meaning | what to do |
/// | --- | --- | --- | --- |
/// | [`InvalidInput`](Self::InvalidInput) | 400 | the request is malformed, whatever the stored state (a bad email, a list with a ticket twice, an id already used) | fix the request |
/// | [`NotFound`](Self::NotFound) | 404 | a record the request names does not exist | check the id |
/// | [`Refused`](Self::Refused) | 422 | the request is well formed but a rule refuses it in the current state | show the message; the same request is refused until the state changes |
/// | [`Conflict`](Self::Conflict) | 409 | records changed while the request was decided (another writer, records read at different times) | read again and retry: it may succeed |
/// | [`Unavailable`](Self::Unavailable) | 503 | the store failed, or holds a record this build cannot read | operator attention; retry later |
///
/// # Examples
///
/// ```
/// use secure_ticket::transfer::InitiateTransferError;
/// use secure_ticket::{ErrorKind, TicketId};
///
/// let error = InitiateTransferError::TransferLimitReached { ticket: TicketId::from_u128(1), level: 1, limit: 1 };
/// assert_eq!(error.kind(), ErrorKind::Refused);
/// assert_eq!(error.kind().http_status(), 422);
/// assert_eq!(error.kind().as_str(), "refused");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request is malformed whatever the stored state: fix it (HTTP 400).
    InvalidInput,
    /// A record the request names does not exist (HTTP 404).
    NotFound,
    /// A rule refuses the request in the current state (HTTP 422).
    Refused,
    /// Records changed while the request was decided: read again and retry (HTTP 409).
    Conflict,
    /// The store failed or cannot read a record (HTTP 503).
    Unavailable,
}

impl ErrorKind {
    /// The HTTP status an API answers for this kind: 400, 404, 422, 409 or 503.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::ErrorKind;
    ///
    /// assert_eq!(ErrorKind::InvalidInput.http_status(), 400);
    /// assert_eq!(ErrorKind::NotFound.http_status(), 404);
    /// assert_eq!(ErrorKind::Refused.http_status(), 422);
    /// assert_eq!(ErrorKind::Conflict.http_status(), 409);
    /// assert_eq!(ErrorKind::Unavailable.http_status(), 503);
    /// ```
    #[must_use]
    pub const fn http_status(self) -> u16 {
        match self {
            Self::InvalidInput => 400,
            Self::NotFound => 404,
            Self::Refused => 422,
            Self::Conflict => 409,
            Self::Unavailable => 503,
        }
    }

    /// A stable lower-case name, for logs and API bodies: `invalid_input`, `not_found`,
    /// `refused`, `conflict`, `unavailable`.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::ErrorKind;
    ///
    /// assert_eq!(ErrorKind::InvalidInput.as_str(), "invalid_input");
    /// assert_eq!(ErrorKind::Conflict.to_string(), "conflict");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::NotFound => "not_found",
            Self::Refused => "refused",
            Self::Conflict => "conflict",
            Self::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}
