//! The TIXnGO interface settings of S360 that decide where a replacement ticket is injected (SPEC B8).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::email::Email;
use crate::error_kind::ErrorKind;
use crate::id::TicketId;
use crate::point_of_sale::parse_bool;
use crate::ticket::{InvalidationReason, Ticket};

/// S360's TIXnGO interface configuration, as far as these rules care (SPEC B8).
///
/// Read from the interface's custom parameters with [`from_custom_parameters`](Self::from_custom_parameters):
/// `resetInjectionInvalidationReasons` (comma-separated reason codes, surrounding quotes ignored) and
/// `overlaySpectatirDetailsWithLastOwner` (`true`/`false`; spelt as S360 spells it). Other parameters
/// are kept, unread.
///
/// # Examples
///
/// ```
/// use secure_ticket::{InvalidationReason, TixngoInterface};
///
/// let interface = TixngoInterface::from_custom_parameters([
///     ("resetInjectionInvalidationReasons", "MOBILE_TAKE_BACK"),
///     ("batchSize", "500"),
/// ])?;
/// assert!(interface.resets_injection_for(&InvalidationReason::MobileTakeBack));
/// # Ok::<(), secure_ticket::InterfaceError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TixngoInterface {
    /// `resetInjectionInvalidationReasons`: a replacement of a ticket invalidated for one of these
    /// reasons is injected to its cultural contact, not to the previous ticket's latest owner.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reset_injection_invalidation_reasons: Vec<InvalidationReason>,
    /// `overlaySpectatirDetailsWithLastOwner`: every replacement is injected to its cultural contact.
    #[serde(default, skip_serializing_if = "crate::serde_util::is_false")]
    pub overlay_spectatir_details_with_last_owner: bool,
    /// Every other custom parameter, verbatim.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub others: BTreeMap<String, String>,
}

/// Why the interface's custom parameters could not be read.
///
/// ### Handling
/// A configuration mistake: show the message to the person editing the interface.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum InterfaceError {
    /// `overlaySpectatirDetailsWithLastOwner` is not `true` or `false`.
    #[error("custom parameter `{parameter}` is `{value}`; it must be `true` or `false`")]
    #[serde(rename = "INTERFACE_MALFORMED_VALUE")]
    MalformedValue {
        /// The parameter.
        parameter: String,
        /// The value found.
        value: String,
    },
    /// A parameter appears twice.
    #[error("custom parameter `{parameter}` is set twice; keep one")]
    #[serde(rename = "INTERFACE_DUPLICATE_PARAMETER")]
    DuplicateParameter {
        /// The parameter.
        parameter: String,
    },
}

impl InterfaceError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. A released code never changes
    /// (`tests/fixtures/error_codes.txt` lists them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{ErrorKind, TixngoInterface};
    ///
    /// let error = TixngoInterface::from_custom_parameters([(TixngoInterface::OVERLAY, "maybe")]).unwrap_err();
    /// assert_eq!(error.code(), "INTERFACE_MALFORMED_VALUE");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::MalformedValue { .. } => "INTERFACE_MALFORMED_VALUE",
            Self::DuplicateParameter { .. } => "INTERFACE_DUPLICATE_PARAMETER",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{ErrorKind, TixngoInterface};
    ///
    /// let error = TixngoInterface::from_custom_parameters([(TixngoInterface::OVERLAY, "maybe")]).unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::InvalidInput);
    /// assert_eq!(error.kind().http_status(), 400);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::MalformedValue { .. } | Self::DuplicateParameter { .. } => {
                ErrorKind::InvalidInput
            }
        }
    }
}

/// Where a replacement ticket goes when it is injected, and why (SPEC B8).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "to", content = "email", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum InjectionTarget {
    /// The ticket's cultural contact: the flag is on, or the predecessor's reason resets injection.
    CulturalContact(Email),
    /// The predecessor's latest TIXnGO owner.
    LatestOwner(Email),
}

impl InjectionTarget {
    /// The email to inject to.
    #[must_use]
    pub const fn email(&self) -> &Email {
        match self {
            Self::CulturalContact(email) | Self::LatestOwner(email) => email,
        }
    }
}

/// Why no injection target could be found.
///
/// ### Handling
/// Set the ticket's cultural contact before injecting it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum InjectionTargetError {
    /// The predecessor passed is not the ticket this one replaces (or one was passed, or omitted,
    /// wrongly): B8 would decide on the wrong ticket.
    #[error(
        "ticket {ticket} replaces {}, but the predecessor passed is {}; pass the ticket it replaces",
        expected.map_or_else(|| "no ticket".to_owned(), |id| id.to_string()),
        given.map_or_else(|| "none".to_owned(), |id| id.to_string())
    )]
    WrongPredecessor {
        /// The ticket to inject.
        ticket: TicketId,
        /// The ticket it replaces, if any.
        expected: Option<TicketId>,
        /// The predecessor passed, if any.
        given: Option<TicketId>,
    },
    /// The ticket would go to its cultural contact, and it has none.
    #[error(
        "ticket {ticket} has no cultural contact to inject it to; distribute it to a contact first"
    )]
    NoCulturalContact {
        /// The ticket.
        ticket: TicketId,
    },
}

impl InjectionTargetError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. A released code never changes
    /// (`tests/fixtures/error_codes.txt` lists them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{ErrorKind, InjectionTargetError, TicketId};
    ///
    /// let error = InjectionTargetError::NoCulturalContact { ticket: TicketId::from_u128(1) };
    /// assert_eq!(error.code(), "NO_CULTURAL_CONTACT");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::WrongPredecessor { .. } => "WRONG_PREDECESSOR",
            Self::NoCulturalContact { .. } => "NO_CULTURAL_CONTACT",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{ErrorKind, InjectionTargetError, TicketId};
    ///
    /// let error = InjectionTargetError::NoCulturalContact { ticket: TicketId::from_u128(1) };
    /// assert_eq!(error.kind(), ErrorKind::Refused);
    /// assert_eq!(error.kind().http_status(), 422);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::WrongPredecessor { .. } => ErrorKind::InvalidInput,
            Self::NoCulturalContact { .. } => ErrorKind::Refused,
        }
    }
}

impl TixngoInterface {
    /// The name of the reset-reasons custom parameter.
    pub const RESET_REASONS: &'static str = "resetInjectionInvalidationReasons";
    /// The name of the overlay custom parameter (sic).
    pub const OVERLAY: &'static str = "overlaySpectatirDetailsWithLastOwner";

    /// Reads the interface's custom parameters (name, value), names and values trimmed.
    ///
    /// # Errors
    ///
    /// [`InterfaceError::MalformedValue`] when `overlaySpectatirDetailsWithLastOwner` is not `true`
    /// or `false` (any case); [`InterfaceError::DuplicateParameter`] when a name appears twice.
    pub fn from_custom_parameters<'a>(
        parameters: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, InterfaceError> {
        let mut interface = Self::default();
        let (mut seen_reasons, mut seen_overlay) = (false, false);
        for (name, value) in parameters {
            let (name, value) = (name.trim(), value.trim());
            let duplicate = || InterfaceError::DuplicateParameter {
                parameter: name.to_owned(),
            };
            if name == Self::RESET_REASONS {
                if std::mem::replace(&mut seen_reasons, true) {
                    return Err(duplicate());
                }
                interface.reset_injection_invalidation_reasons = value
                    .split(',')
                    // Operators copy the documented value with its quotes: "MOBILE_TAKE_BACK".
                    .map(|code| code.trim().trim_matches(|c| c == '"' || c == '\'').trim())
                    .filter(|code| !code.is_empty())
                    .map(InvalidationReason::from_code)
                    .collect();
            } else if name == Self::OVERLAY {
                if std::mem::replace(&mut seen_overlay, true) {
                    return Err(duplicate());
                }
                interface.overlay_spectatir_details_with_last_owner = parse_bool(value)
                    .ok_or_else(|| InterfaceError::MalformedValue {
                        parameter: name.to_owned(),
                        value: value.to_owned(),
                    })?;
            } else if interface
                .others
                .insert(name.to_owned(), value.to_owned())
                .is_some()
            {
                return Err(duplicate());
            }
        }
        Ok(interface)
    }

    /// Whether a replacement of a ticket invalidated for `reason` goes to its cultural contact (B8).
    #[must_use]
    pub fn resets_injection_for(&self, reason: &InvalidationReason) -> bool {
        self.overlay_spectatir_details_with_last_owner
            || self.reset_injection_invalidation_reasons.contains(reason)
    }

    /// Where to inject `ticket` (SPEC B8, I1). For a replacement, pass the ticket it replaces
    /// (`ticket.distribution.replaces`) as `predecessor`, and `None` for any other ticket: the replacement goes to its cultural contact when the overlay flag is on or the
    /// predecessor's invalidation reason is in the reset list, otherwise to the predecessor's latest
    /// TIXnGO owner. A ticket that replaces nothing (or whose predecessor was never injected) goes
    /// to its cultural contact.
    ///
    /// # Errors
    ///
    /// [`InjectionTargetError::WrongPredecessor`] when `predecessor` is not the ticket `ticket`
    /// replaces; [`InjectionTargetError::NoCulturalContact`] when the target is the cultural contact
    /// and the ticket has none.
    ///
    /// # Examples
    ///
    /// See `tests/take_back` (`b8_*`) and the take-back chapter of the `quickstart` example.
    pub fn injection_target(
        &self,
        ticket: &Ticket,
        predecessor: Option<&Ticket>,
    ) -> Result<InjectionTarget, InjectionTargetError> {
        let given = predecessor.map(|p| p.id);
        if given != ticket.distribution.replaces {
            return Err(InjectionTargetError::WrongPredecessor {
                ticket: ticket.id,
                expected: ticket.distribution.replaces,
                given,
            });
        }
        if let Some(previous) = predecessor {
            let reset = previous
                .distribution
                .invalidation
                .as_ref()
                .is_some_and(|invalidation| self.resets_injection_for(&invalidation.reason))
                || self.overlay_spectatir_details_with_last_owner;
            if let (false, Some(wallet)) = (reset, &previous.wallet) {
                return Ok(InjectionTarget::LatestOwner(wallet.owners.current.clone()));
            }
        }
        ticket
            .distribution
            .cultural_contact
            .clone()
            .map(InjectionTarget::CulturalContact)
            .ok_or(InjectionTargetError::NoCulturalContact { ticket: ticket.id })
    }
}
