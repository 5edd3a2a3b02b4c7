use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::{Operation, Record, RecordKey, StoreError};

/// A record as stored: the format it was written in, the oldest reader format that can read it, and
/// the record (SPEC X5; the `format`/`min_reader` idea of LDK's `write_ver_prefix!`, in serde form).
///
/// Write `Envelope::new(record)` with any serde format; read it back as [`Decoded`]. For JSON,
/// [`json::write`](super::json::write) writes the bytes `serde_json` writes, without scanning ids,
/// times and names for characters to escape.
///
/// # Key order, and `jsonb`
///
/// Decoding does not depend on the order of the object's keys (SPEC X6). The fields are written
/// in the order `format`, `min_reader`, `record_data`, which is also the order PostgreSQL's
/// `jsonb` and MySQL's `JSON` keep them in (they sort keys by length): a `jsonb` column keeps the
/// envelope readable, and a reader skips the body of a newer format without parsing it. In any
/// other order (a migration script, a pretty-printer), a body that comes before `min_reader` is
/// read first and judged once `min_reader` is known: a newer format is still
/// [`StoreError::UnsupportedFormat`], a current one that is not a record is an error.
///
/// To write a record you only borrow, wrap the reference: `Envelope::borrowed(&record)` serialises
/// to the same bytes without cloning the record.
///
/// # Compatibility promise
///
/// - A field that only adds information gets `#[serde(default)]` and keeps [`Envelope::MIN_READER`].
/// - A change in meaning bumps [`Envelope::MIN_READER`]; older builds then refuse such records with
///   [`StoreError::UnsupportedFormat`] instead of misreading them.
/// - Every format ever released keeps loading: `tests/fixtures/v1/` holds golden format-1 records
///   that every build must read, `tests/fixtures/v2/` golden format-2 records that every build
///   must read and reproduce byte for byte.
///
/// # Formats
///
/// - Format 2 (this build) adds the organizer of every record (X7) and small command records
///   (a digest of the request and the outcome; the events are in the feed). Its `min_reader` is
///   2: a format-1 build would drop the organizer when writing a record back, so it must refuse
///   them.
/// - Format 1 records read as belonging to the nil organizer ([`OrganizerId::default()`]),
///   except settings, whose id is their organizer; a format-1 command record keeps its events
///   and the digest of its request is computed when it is read.
///
/// [`OrganizerId::default()`]: crate::OrganizerId
///
/// # Examples
///
/// ```
/// use secure_ticket::store::{Decoded, Envelope, Record, RecordKey};
/// use secure_ticket::{UsageRule, UsageRuleId};
///
/// let rule = UsageRule::new(secure_ticket::OrganizerId::from_u128(1), UsageRuleId::from_u128(1));
/// let json = serde_json::to_string(&Envelope::new(Record::UsageRule(rule)))?;
/// assert!(json.starts_with(r#"{"format":2,"min_reader":2,"record_data":"#));
///
/// let decoded: Decoded = serde_json::from_str(&json)?;
/// assert_eq!(decoded.into_record(RecordKey::UsageRule(rule.id))?, Record::UsageRule(rule));
///
/// let newer: Decoded = serde_json::from_str(r#"{"format":4,"min_reader":3,"record_data":{"whatever":[1]}}"#)?;
/// assert!(newer.into_record(RecordKey::UsageRule(rule.id)).is_err()); // UnsupportedFormat
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Envelope<R = Record> {
    /// The format the record was written in.
    pub format: u32,
    /// The oldest reader format that can read it.
    pub min_reader: u32,
    /// The record, serialised as `record_data`: the longest key, so that databases that reorder
    /// JSON keys by length (PostgreSQL `jsonb`, MySQL `JSON`) still put it after `min_reader`, and a
    /// reader can skip a newer record unread.
    #[serde(rename = "record_data")]
    pub record: R,
}

impl Envelope {
    /// The format this build writes.
    pub const FORMAT: u32 = 2;
    /// The oldest reader format that can read what this build writes.
    pub const MIN_READER: u32 = 2;
    /// The newest format this build reads.
    pub const READER: u32 = 2;

    /// Wraps a record in the current format.
    #[must_use]
    pub const fn new(record: Record) -> Self {
        Self {
            format: Self::FORMAT,
            min_reader: Self::MIN_READER,
            record,
        }
    }
}

impl<'a> Envelope<&'a Record> {
    /// Wraps a borrowed record in the current format: the same bytes as [`Envelope::new`], no
    /// clone.
    ///
    /// # Examples
    ///
    /// ```
    /// use secure_ticket::store::{Envelope, Record};
    /// use secure_ticket::{UsageRule, UsageRuleId};
    ///
    /// let record = Record::UsageRule(UsageRule::new(secure_ticket::OrganizerId::from_u128(1), UsageRuleId::from_u128(1)));
    /// assert_eq!(
    ///     serde_json::to_string(&Envelope::borrowed(&record))?,
    ///     serde_json::to_string(&Envelope::new(record.clone()))?,
    /// );
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    #[must_use]
    pub const fn borrowed(record: &'a Record) -> Self {
        Self {
            format: Envelope::FORMAT,
            min_reader: Envelope::MIN_READER,
            record,
        }
    }
}

/// A decoded [`Envelope`]: either readable by this build, or of a newer format whose record was
/// skipped unread.
#[allow(
    clippy::large_enum_variant,
    reason = "tickets dominate; boxing them would allocate on every load"
)]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decoded {
    /// A record this build reads.
    Current(Envelope),
    /// A record of a newer, incompatible format.
    Unsupported {
        /// The format it was written in.
        format: u32,
        /// The oldest reader format that can read it.
        min_reader: u32,
    },
}

impl Decoded {
    /// The record, checked to be readable and stored under `key`.
    ///
    /// # Errors
    ///
    /// [`StoreError::UnsupportedFormat`] for a newer format; [`StoreError::Corrupt`] when the
    /// record's own key is not `key`.
    pub fn into_record(self, key: RecordKey) -> Result<Record, StoreError> {
        match self {
            Self::Unsupported { format, min_reader } => Err(StoreError::UnsupportedFormat {
                key,
                format,
                min_reader,
                reader: Envelope::READER,
            }),
            Self::Current(envelope) => {
                let stored = envelope.record.key();
                if stored == key {
                    Ok(envelope.record)
                } else {
                    Err(StoreError::Corrupt {
                        key,
                        operation: Operation::Load,
                        source: Box::new(KeyMismatch { stored }),
                    })
                }
            }
        }
    }
}

/// A record found under another record's key.
#[derive(Debug, thiserror::Error)]
#[error("the stored record is {stored}")]
struct KeyMismatch {
    stored: RecordKey,
}

enum Field {
    Format,
    MinReader,
    Record,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an envelope field")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Field, E> {
                Ok(match value {
                    "format" => Field::Format,
                    "min_reader" => Field::MinReader,
                    "record_data" => Field::Record,
                    _ => Field::Other,
                })
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

/// A body that came before `min_reader`: a record of this build, or anything else (skipped).
#[allow(
    clippy::large_enum_variant,
    reason = "read at once into the record it holds; never stored"
)]
#[derive(Deserialize)]
#[serde(untagged)]
enum BodyFirst {
    Record(Record),
    Other(IgnoredAny),
}

struct DecodedVisitor;

impl<'de> Visitor<'de> for DecodedVisitor {
    type Value = Decoded;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record envelope {format, min_reader, record_data}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decoded, A::Error> {
        let (mut format, mut min_reader, mut record) = (None, None, None);
        // A body read before `min_reader` was known (X6) that is not a record of this build.
        let mut unreadable_body = false;
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Format => format = Some(map.next_value::<u32>()?),
                Field::MinReader => min_reader = Some(map.next_value::<u32>()?),
                Field::Record => match min_reader {
                    Some(m) if m > Envelope::READER => {
                        map.next_value::<IgnoredAny>()?;
                    }
                    // The usual order: the reader is known to read it.
                    Some(_) => record = Some(map.next_value::<Record>()?),
                    // The body first: read it if it is a record, else keep it for later, when
                    // `min_reader` says whether it is newer (UnsupportedFormat) or broken.
                    None => match map.next_value::<BodyFirst>()? {
                        BodyFirst::Record(found) => record = Some(found),
                        BodyFirst::Other(IgnoredAny) => unreadable_body = true,
                    },
                },
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if unreadable_body && min_reader.is_some_and(|m| m <= Envelope::READER) {
            return Err(de::Error::custom(
                "record_data is not a record of a format this build reads",
            ));
        }
        finish(format, min_reader, record)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Decoded, A::Error> {
        let format = seq.next_element::<u32>()?;
        let min_reader = seq.next_element::<u32>()?;
        let record = match min_reader {
            Some(m) if m > Envelope::READER => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                None
            }
            _ => seq.next_element::<Record>()?,
        };
        finish(format, min_reader, record)
    }
}

fn finish<E: de::Error>(
    format: Option<u32>,
    min_reader: Option<u32>,
    record: Option<Record>,
) -> Result<Decoded, E> {
    let format = format.ok_or_else(|| E::missing_field("format"))?;
    let min_reader = min_reader.ok_or_else(|| E::missing_field("min_reader"))?;
    if min_reader > Envelope::READER {
        return Ok(Decoded::Unsupported { format, min_reader });
    }
    let record = record.ok_or_else(|| E::missing_field("record_data"))?;
    Ok(Decoded::Current(Envelope {
        format,
        min_reader,
        record,
    }))
}

impl<'de> Deserialize<'de> for Decoded {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct(
            "Envelope",
            &["format", "min_reader", "record_data"],
            DecodedVisitor,
        )
    }
}
