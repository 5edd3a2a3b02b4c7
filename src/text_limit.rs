//! How much free text a record may hold (X13): ticket-holder details, invalidation reason codes
//! and the settings S360 copies in as text. [`Service::create`](crate::service::Service::create)
//! checks every record against these limits before anything is written, so that a buyer's
//! 10-megabyte "first name" is refused with a typed error instead of being copied into every
//! command that touches the ticket.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::interface::TixngoInterface;
use crate::point_of_sale::InternetTheme;
use crate::store::Record;
use crate::ticket::{InvalidationReason, Ticket, TicketHolder};

/// The most bytes of one ticket-holder field ([`TicketHolder`]'s names, birth date, identity
/// number), in UTF-8.
pub const HOLDER_FIELD_BYTES: usize = 256;

/// The most bytes of an invalidation reason code ([`InvalidationReason::code`]).
pub const REASON_CODE_BYTES: usize = 64;

/// The most bytes of a staff member's reason ([`Reason`](crate::staff::Reason)), in UTF-8.
pub const STAFF_REASON_BYTES: usize = 512;

/// The most reason codes in [`TixngoInterface::reset_injection_invalidation_reasons`].
pub const RESET_REASONS: usize = 64;

/// The most parameters kept verbatim in an [`InternetTheme`] or a [`TixngoInterface`]
/// (`others`).
pub const PARAMETERS: usize = 256;

/// The most bytes of one such parameter's key, and of its value.
pub const PARAMETER_BYTES: usize = 4_096;

/// A free-text field of a record, or a list of them, that has a limit (X13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum TextField {
    /// [`TicketHolder::first_name`], in bytes.
    HolderFirstName,
    /// [`TicketHolder::last_name`], in bytes.
    HolderLastName,
    /// [`TicketHolder::birth_date`], in bytes.
    HolderBirthDate,
    /// [`TicketHolder::identity_number`], in bytes.
    HolderIdentityNumber,
    /// An invalidation reason code (a ticket's, or one of the interface's reset reasons), in
    /// bytes.
    ReasonCode,
    /// The interface's reset reasons, in entries.
    ResetReasons,
    /// The parameters kept verbatim (a theme's or an interface's `others`), in entries.
    Parameters,
    /// The key or the value of one of them, in bytes.
    Parameter,
}

impl TextField {
    /// What the length counts: `"bytes"` or `"entries"`.
    #[must_use]
    pub const fn unit(self) -> &'static str {
        match self {
            Self::ResetReasons | Self::Parameters => "entries",
            _ => "bytes",
        }
    }

    /// The field's limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::text_limit::{self, TextField};
    ///
    /// assert_eq!(TextField::HolderLastName.max(), text_limit::HOLDER_FIELD_BYTES);
    /// assert_eq!(TextField::ResetReasons.unit(), "entries");
    /// ```
    #[must_use]
    pub const fn max(self) -> usize {
        match self {
            Self::HolderFirstName
            | Self::HolderLastName
            | Self::HolderBirthDate
            | Self::HolderIdentityNumber => HOLDER_FIELD_BYTES,
            Self::ReasonCode => REASON_CODE_BYTES,
            Self::ResetReasons => RESET_REASONS,
            Self::Parameters => PARAMETERS,
            Self::Parameter => PARAMETER_BYTES,
        }
    }
}

impl fmt::Display for TextField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::HolderFirstName => "the holder's first name",
            Self::HolderLastName => "the holder's last name",
            Self::HolderBirthDate => "the holder's birth date",
            Self::HolderIdentityNumber => "the holder's identity number",
            Self::ReasonCode => "an invalidation reason code",
            Self::ResetReasons => "the list resetInjectionInvalidationReasons",
            Self::Parameters => "the list of other parameters",
            Self::Parameter => "the key or value of a parameter",
        })
    }
}

/// The first field of `record` over its limit, with its length (X13). O(n) in the record's
/// text: each length is read once, nothing is copied.
pub(crate) fn first_too_long(record: &Record) -> Option<(TextField, usize)> {
    match record {
        Record::Ticket(ticket) => ticket_text(ticket),
        Record::PointOfSale(pos) => theme_text(&pos.theme),
        Record::Settings(settings) => interface_text(&settings.interface),
        _ => None,
    }
}

fn over(field: TextField, len: usize) -> Option<(TextField, usize)> {
    (len > field.max()).then_some((field, len))
}

fn ticket_text(ticket: &Ticket) -> Option<(TextField, usize)> {
    let distribution = &ticket.distribution;
    distribution
        .holder
        .as_deref()
        .and_then(holder_text)
        .or_else(|| {
            let reason = &distribution.invalidation.as_ref()?.reason;
            over(TextField::ReasonCode, reason.code().len())
        })
}

fn holder_text(holder: &TicketHolder) -> Option<(TextField, usize)> {
    let optional = |text: &Option<String>| text.as_deref().map_or(0, str::len);
    over(TextField::HolderFirstName, holder.first_name.len())
        .or_else(|| over(TextField::HolderLastName, holder.last_name.len()))
        .or_else(|| over(TextField::HolderBirthDate, optional(&holder.birth_date)))
        .or_else(|| {
            over(
                TextField::HolderIdentityNumber,
                optional(&holder.identity_number),
            )
        })
}

fn theme_text(theme: &InternetTheme) -> Option<(TextField, usize)> {
    parameters_text(&theme.others)
}

fn interface_text(interface: &TixngoInterface) -> Option<(TextField, usize)> {
    let reasons = &interface.reset_injection_invalidation_reasons;
    over(TextField::ResetReasons, reasons.len())
        .or_else(|| {
            reasons
                .iter()
                .map(InvalidationReason::code)
                .find_map(|code| over(TextField::ReasonCode, code.len()))
        })
        .or_else(|| parameters_text(&interface.others))
}

fn parameters_text(others: &BTreeMap<String, String>) -> Option<(TextField, usize)> {
    over(TextField::Parameters, others.len()).or_else(|| {
        others.iter().find_map(|(key, value)| {
            over(TextField::Parameter, key.len())
                .or_else(|| over(TextField::Parameter, value.len()))
        })
    })
}
