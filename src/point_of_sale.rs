//! Points of sale and their take-back settings (SPEC B1, B2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error_kind::ErrorKind;
use crate::id::{OrganizerId, PointOfSaleId};
use crate::ticket::ShipmentMode;

/// A point of sale (POS) of an S360 sales channel, as far as take back is concerned.
///
/// # Examples
///
/// ```
/// use secure_ticket::{InternetTheme, PointOfSale, PointOfSaleId};
///
/// let theme = InternetTheme::parse("distribution.list.activateAdvancedView = true\nsome.other.key = blue")?;
/// let pos = PointOfSale::b2b(secure_ticket::OrganizerId::from_u128(1), PointOfSaleId::from_u128(1))
///     .with_mobile_take_back(true)
///     .with_theme(theme);
/// assert!(pos.advanced_view());
/// assert_eq!(pos.theme.other("some.other.key"), Some("blue"));
/// # Ok::<(), secure_ticket::ThemeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointOfSale {
    /// The POS's id.
    pub id: PointOfSaleId,
    /// The organizer it belongs to (X7). A format-1 record reads as [`OrganizerId::default()`].
    #[serde(default)]
    pub organizer: OrganizerId,
    /// Whether it belongs to an Internet B2B channel, where business customers distribute tickets.
    #[serde(default, skip_serializing_if = "crate::serde_util::is_false")]
    pub b2b: bool,
    /// B1: "Allow taking back the injected mobile ticket that has not been downloaded".
    #[serde(default, skip_serializing_if = "crate::serde_util::is_false")]
    pub allow_mobile_take_back: bool,
    /// B1: "Assign the taken back ticket to a new shipment mode"; `None` keeps the ticket's own mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub take_back_shipment_mode: Option<ShipmentMode>,
    /// The Advanced tab of the POS's "Internet theme" screen.
    #[serde(default)]
    pub theme: InternetTheme,
    /// S360's later "take back downloaded tickets" setting (D1): who may take back a ticket
    /// already downloaded on a phone. `OFF` (the default) is stored as nothing.
    #[serde(default, skip_serializing_if = "DownloadedTakeBack::is_off")]
    pub downloaded_take_back: DownloadedTakeBack,
    /// S360's "allow resale of injected mobile tickets" (R1).
    #[serde(default, skip_serializing_if = "crate::serde_util::is_false")]
    pub resale_injected: bool,
    /// S360's "allow resale of transferred mobile tickets" (R1).
    #[serde(default, skip_serializing_if = "crate::serde_util::is_false")]
    pub resale_transferred: bool,
}

impl PointOfSale {
    /// A POS of an Internet B2B channel, take back off, no theme keys.
    #[must_use]
    pub fn b2b(organizer: OrganizerId, id: PointOfSaleId) -> Self {
        Self {
            id,
            organizer,
            b2b: true,
            allow_mobile_take_back: false,
            take_back_shipment_mode: None,
            theme: InternetTheme::default(),
            downloaded_take_back: DownloadedTakeBack::Off,
            resale_injected: false,
            resale_transferred: false,
        }
    }

    /// A POS of any other channel.
    #[must_use]
    pub fn other(organizer: OrganizerId, id: PointOfSaleId) -> Self {
        Self {
            b2b: false,
            ..Self::b2b(organizer, id)
        }
    }

    /// Sets B1's "allow taking back the injected mobile ticket that has not been downloaded".
    #[must_use]
    pub fn with_mobile_take_back(mut self, allow: bool) -> Self {
        self.allow_mobile_take_back = allow;
        self
    }

    /// Sets B1's "assign the taken back ticket to a new shipment mode".
    #[must_use]
    pub fn with_take_back_shipment_mode(mut self, mode: Option<ShipmentMode>) -> Self {
        self.take_back_shipment_mode = mode;
        self
    }

    /// Sets D1's "take back downloaded tickets": who may take back a downloaded ticket.
    #[must_use]
    pub const fn with_downloaded_take_back(mut self, setting: DownloadedTakeBack) -> Self {
        self.downloaded_take_back = setting;
        self
    }

    /// Sets R1's two resale switches: of injected mobile tickets, and of transferred ones.
    #[must_use]
    pub const fn with_resale(mut self, injected: bool, transferred: bool) -> Self {
        self.resale_injected = injected;
        self.resale_transferred = transferred;
        self
    }

    /// Sets the internet theme's key/values.
    #[must_use]
    pub fn with_theme(mut self, theme: InternetTheme) -> Self {
        self.theme = theme;
        self
    }

    /// Whether the advanced distribution view is active (B2).
    #[must_use]
    pub const fn advanced_view(&self) -> bool {
        self.theme.activate_advanced_view
    }
}

/// Who may take back a secure mobile ticket already downloaded on a phone (SPEC D1, D2), in
/// S360's spelling: `OFF`, `RELAY`, `RELAY_AND_PUBLIC`.
///
/// Any value but `OFF` needs B1's "allow taking back the injected mobile ticket" too:
/// [`take_back::check_configuration`](crate::take_back::check_configuration) names a point of
/// sale where it is off.
///
/// # Examples
///
/// ```
/// use secure_ticket::{ContactKind, DownloadedTakeBack};
///
/// assert!(DownloadedTakeBack::Relay.allows(ContactKind::Relay));
/// assert!(!DownloadedTakeBack::Relay.allows(ContactKind::Individual));
/// assert!(DownloadedTakeBack::RelayAndPublic.allows(ContactKind::Individual));
/// assert!(!DownloadedTakeBack::Off.allows(ContactKind::Relay));
/// assert_eq!(serde_json::to_string(&DownloadedTakeBack::RelayAndPublic).unwrap(), r#""RELAY_AND_PUBLIC""#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum DownloadedTakeBack {
    /// No downloaded ticket is taken back (the default).
    #[default]
    Off,
    /// Relay contacts only (D2).
    Relay,
    /// Relay and individual contacts (D2).
    RelayAndPublic,
}

impl DownloadedTakeBack {
    /// Whether a contact of `kind` may take back a downloaded ticket (D2).
    #[must_use]
    pub const fn allows(self, kind: ContactKind) -> bool {
        match self {
            Self::Off => false,
            Self::Relay => matches!(kind, ContactKind::Relay),
            Self::RelayAndPublic => true,
        }
    }

    /// Whether this is `OFF`.
    #[must_use]
    pub const fn is_off(&self) -> bool {
        matches!(self, Self::Off)
    }
}

impl std::fmt::Display for DownloadedTakeBack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Self::Off => "OFF",
            Self::Relay => "RELAY",
            Self::RelayAndPublic => "RELAY_AND_PUBLIC",
        })
    }
}

/// What kind of B2B contact acts (D2): a relay contact (who distributes tickets to others) or an
/// individual one (who holds their own), in S360's spelling `RELAY`, `INDIVIDUAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ContactKind {
    /// A relay contact.
    Relay,
    /// An individual contact (the default: the kind that may do the least).
    #[default]
    Individual,
}

impl std::fmt::Display for ContactKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(match self {
            Self::Relay => "RELAY",
            Self::Individual => "INDIVIDUAL",
        })
    }
}

/// The key/value settings of a POS's "Internet theme" screen (Advanced tab), as S360 stores them.
///
/// The one key these rules read is `distribution.list.activateAdvancedView` (B2). Other keys are kept,
/// unread, and written back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InternetTheme {
    /// `distribution.list.activateAdvancedView`: the advanced distribution view (B2).
    #[serde(default, skip_serializing_if = "crate::serde_util::is_false")]
    pub activate_advanced_view: bool,
    /// Every other key, verbatim.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub others: BTreeMap<String, String>,
}

/// Why internet-theme settings could not be read.
///
/// ### Handling
/// A configuration mistake: show the message to the person editing the POS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ThemeError {
    /// A line is neither blank, a `#` comment, nor `key = value`.
    #[error("line {line} of the internet theme is `{text}`; write it as `key = value`")]
    #[serde(rename = "THEME_MALFORMED_LINE")]
    MalformedLine {
        /// The line number, from 1.
        line: usize,
        /// The line.
        text: String,
    },
    /// A known key has a value of the wrong form.
    #[error("`{key}` is `{value}` in the internet theme; it must be `true` or `false`")]
    #[serde(rename = "THEME_MALFORMED_VALUE")]
    MalformedValue {
        /// The key.
        key: String,
        /// The value found.
        value: String,
    },
    /// A key appears twice.
    #[error("`{key}` is set twice in the internet theme; keep one line")]
    #[serde(rename = "THEME_DUPLICATE_KEY")]
    DuplicateKey {
        /// The key.
        key: String,
    },
}

impl ThemeError {
    /// The error's stable code, in SCREAMING_SNAKE_CASE, for API bodies, logs and metrics; the same
    /// failure has the same code in every error type. A released code never changes
    /// (`tests/fixtures/error_codes.txt` lists them all).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{ErrorKind, InternetTheme};
    ///
    /// let error = InternetTheme::parse("no equals sign").unwrap_err();
    /// assert_eq!(error.code(), "THEME_MALFORMED_LINE");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::MalformedLine { .. } => "THEME_MALFORMED_LINE",
            Self::MalformedValue { .. } => "THEME_MALFORMED_VALUE",
            Self::DuplicateKey { .. } => "THEME_DUPLICATE_KEY",
        }
    }

    /// What kind of failure this is: what the caller can do, and the HTTP status to answer.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{ErrorKind, InternetTheme};
    ///
    /// let error = InternetTheme::parse("no equals sign").unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::InvalidInput);
    /// assert_eq!(error.kind().http_status(), 400);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::MalformedLine { .. }
            | Self::MalformedValue { .. }
            | Self::DuplicateKey { .. } => ErrorKind::InvalidInput,
        }
    }
}

impl InternetTheme {
    /// The key of the advanced distribution view (B2).
    pub const ADVANCED_VIEW_KEY: &'static str = "distribution.list.activateAdvancedView";

    /// Reads `key = value` lines; blank lines and lines starting with `#` are skipped, keys and
    /// values are trimmed.
    ///
    /// # Errors
    ///
    /// [`ThemeError::MalformedLine`] for a line without `=` or with an empty key,
    /// [`ThemeError::MalformedValue`] and [`ThemeError::DuplicateKey`] as in
    /// [`from_pairs`](Self::from_pairs).
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::{InternetTheme, ThemeError};
    ///
    /// assert!(InternetTheme::parse("distribution.list.activateAdvancedView = true")?.activate_advanced_view);
    /// assert!(matches!(
    ///     InternetTheme::parse("distribution.list.activateAdvancedView = yes"),
    ///     Err(ThemeError::MalformedValue { .. })
    /// ));
    /// # Ok::<(), ThemeError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, ThemeError> {
        let mut pairs = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.split_once('=') {
                Some((key, value)) if !key.trim().is_empty() => {
                    pairs.push((key.trim(), value.trim()))
                }
                _ => {
                    return Err(ThemeError::MalformedLine {
                        line: index.saturating_add(1),
                        text: line.to_owned(),
                    });
                }
            }
        }
        Self::from_pairs(pairs)
    }

    /// Builds the theme from key/value pairs (keys and values trimmed).
    ///
    /// # Errors
    ///
    /// [`ThemeError::MalformedValue`] when `distribution.list.activateAdvancedView` is not `true` or
    /// `false` (any case); [`ThemeError::DuplicateKey`] when a key appears twice.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ThemeError> {
        let mut theme = Self::default();
        let mut seen_advanced_view = false;
        for (key, value) in pairs {
            let (key, value) = (key.trim(), value.trim());
            if key == Self::ADVANCED_VIEW_KEY {
                if seen_advanced_view {
                    return Err(ThemeError::DuplicateKey {
                        key: key.to_owned(),
                    });
                }
                seen_advanced_view = true;
                theme.activate_advanced_view =
                    parse_bool(value).ok_or_else(|| ThemeError::MalformedValue {
                        key: key.to_owned(),
                        value: value.to_owned(),
                    })?;
            } else if theme
                .others
                .insert(key.to_owned(), value.to_owned())
                .is_some()
            {
                return Err(ThemeError::DuplicateKey {
                    key: key.to_owned(),
                });
            }
        }
        Ok(theme)
    }

    /// The value of a key these rules do not read.
    #[must_use]
    pub fn other(&self, key: &str) -> Option<&str> {
        self.others.get(key).map(String::as_str)
    }
}

/// `true` / `false` in any case, as S360's settings write them.
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}
