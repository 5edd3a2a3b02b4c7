//! A compact JSON writer for stored records: the bytes `serde_json::to_vec` writes, without
//! `serde_json` and without scanning the text that can never need escaping.
//!
//! Stores write every record as its [`Envelope`](super::Envelope)'s JSON and every feed entry's
//! events as a JSON array; this writer does it for them:
//!
//! - [`write()`] appends a value to a buffer, [`to_vec`] and [`to_string`] return a new one.
//! - The output is byte for byte what `serde_json::to_vec` writes for the same value (its compact
//!   formatter): integers in decimal, strings escaped as `serde_json` escapes them (`\"`, `\\`,
//!   `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as `\u00XX` in lower-case hex,
//!   everything else, non-ASCII included, as it is), `None` and units as `null`, unit variants as
//!   `"Name"`, newtype variants as `{"Name":value}`, structs and maps as objects, sequences, tuples
//!   and bytes as arrays. Map keys are strings; integer, `bool` and `char` keys are quoted, as
//!   `serde_json` quotes them.
//! - It writes no floats (the crate's records have none): a float is
//!   [`JsonError::Float`], where `serde_json` would write one.
//!
//! # What is not scanned
//!
//! - Struct field names and enum variant names: `serde`'s derive passes them as `&'static str`
//!   from this crate's own types, and they are written as they are. None needs escaping; the
//!   crate's tests compare every record kind with `serde_json`'s output, and check every
//!   `#[serde(rename)]` of the crate.
//! - Ids, times and digests: while this writer writes, the crate's id types
//!   ([`TicketId`](crate::TicketId), ...), its RFC 3339 times and [`Digest`](crate::Digest)s
//!   hand it their text (hex digits, hyphens, `T`, `Z`, `:`, `.`, `+`) marked as needing no
//!   escape, and it writes the text as it is. Every other serializer sees exactly what it saw
//!   before: a string in a human-readable format (`serde_json`, YAML, RON, ...), an id as its
//!   16 bytes in a compact one (the crate's [`Digester`](crate::digest::Digester)).
//! - Other strings (emails, names, free text) are checked eight bytes at a time; only a string
//!   with a byte to escape is escaped character by character.
//!
//! # Examples
//!
//! ```
//! use secure_ticket::store::{json, Envelope, Record};
//! use secure_ticket::{OrganizerId, UsageRule, UsageRuleId};
//!
//! let record = Record::UsageRule(UsageRule::new(OrganizerId::from_u128(1), UsageRuleId::from_u128(2)));
//! let bytes = json::to_vec(&Envelope::borrowed(&record))?;
//! assert_eq!(bytes, serde_json::to_vec(&Envelope::borrowed(&record))?);
//! assert!(bytes.starts_with(br#"{"format":2,"min_reader":2,"record_data":"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cell::Cell;
use std::fmt::{self, Display};

use serde::ser::{self, Impossible, Serialize, Serializer};

/// What the writer cannot write.
///
/// # Handling
///
/// [`Float`](Self::Float) and [`KeyMustBeAString`](Self::KeyMustBeAString) are bugs in the
/// caller's types (no record of this crate has either): write such values with `serde_json`.
/// [`Custom`](Self::Custom) is a value its own type refuses to write (a time whose offset has
/// seconds, which RFC 3339 cannot write), as `serde_json` refuses it: the record cannot be stored.
///
/// # Examples
///
/// ```
/// use std::collections::BTreeMap;
/// use secure_ticket::store::json::{self, JsonError};
///
/// assert_eq!(json::to_vec(&0.5_f64), Err(JsonError::Float { value: 0.5 }));
/// let tuple_keys = BTreeMap::from([((1_u8, 2_u8), "v")]);
/// assert_eq!(json::to_vec(&tuple_keys), Err(JsonError::KeyMustBeAString { found: "a tuple" }));
/// assert_eq!(json::to_vec(&BTreeMap::from([(7_u8, "v")]))?, br#"{"7":"v"}"#);
/// # Ok::<(), JsonError>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// A float: this writer has no float format (the crate's records hold none).
    #[error(
        "the JSON writer writes no floats, found {value}; write this value with serde_json instead"
    )]
    Float {
        /// The float found.
        value: f64,
    },
    /// A map key that is not a string, an integer, a `bool`, a `char` or a unit variant (as
    /// `serde_json`, which refuses the same keys).
    #[error("a JSON object key must be a string or a number, found {found}")]
    KeyMustBeAString {
        /// What the key was: `"a sequence"`, `"bytes"`, `"none"`, ...
        found: &'static str,
    },
    /// A `Serialize` implementation failed (a time with no RFC 3339 form, ...).
    #[error("the value could not be serialised: {message}")]
    Custom {
        /// The implementation's message.
        message: String,
    },
}

impl ser::Error for JsonError {
    fn custom<T: Display>(message: T) -> Self {
        Self::Custom {
            message: message.to_string(),
        }
    }
}

/// Appends the JSON of `value` to `out`: what `serde_json::to_writer(&mut *out, value)` appends.
///
/// On an error `out` is left as it was: nothing of `value` stays in it.
///
/// # Errors
///
/// [`JsonError::Float`] for a float, [`JsonError::KeyMustBeAString`] for a map key that is not a
/// string, an integer, a `bool` or a `char`, [`JsonError::Custom`] when a `Serialize`
/// implementation fails.
///
/// # Examples
///
/// ```
/// use secure_ticket::store::{json, Envelope, Record};
/// use secure_ticket::{OrganizerId, UsageRule, UsageRuleId};
///
/// let rule = UsageRule::new(OrganizerId::from_u128(1), UsageRuleId::from_u128(2));
/// let mut buffer = Vec::new();
/// json::write(&mut buffer, &Envelope::borrowed(&Record::UsageRule(rule)))?;
/// let first = buffer.len();
/// json::write(&mut buffer, &Envelope::borrowed(&Record::UsageRule(rule)))?;
/// assert_eq!(buffer[..first], buffer[first..]);
///
/// assert!(json::write(&mut buffer, &1.5_f64).is_err());
/// assert_eq!(buffer.len(), 2 * first); // nothing of the float
/// # Ok::<(), json::JsonError>(())
/// ```
pub fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), JsonError> {
    append(out, value)
}

/// The JSON of `value`: what `serde_json::to_vec(value)` returns.
///
/// # Errors
///
/// As [`write()`].
///
/// # Examples
///
/// ```
/// use secure_ticket::store::json;
/// use secure_ticket::TicketId;
///
/// assert_eq!(json::to_vec(&TicketId::from_u128(1))?, br#""00000000-0000-0000-0000-000000000001""#);
/// assert_eq!(json::to_vec(&("tab\there", [1_u8, 2], None::<u8>))?, br#"["tab\there",[1,2],null]"#);
/// # Ok::<(), json::JsonError>(())
/// ```
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, JsonError> {
    let mut out = Vec::with_capacity(128);
    append(&mut out, value)?;
    Ok(out)
}

/// The JSON of `value` as text: what `serde_json::to_string(value)` returns.
///
/// # Errors
///
/// As [`write()`].
///
/// # Examples
///
/// ```
/// use secure_ticket::store::json;
/// use secure_ticket::Event;
///
/// let events: Vec<Event> = Vec::new();
/// assert_eq!(json::to_string(&events)?, "[]");
/// assert_eq!(json::to_string("é \"quoted\" \u{1}")?, r#""é \"quoted\" \u0001""#);
/// # Ok::<(), json::JsonError>(())
/// ```
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, JsonError> {
    let mut out = String::with_capacity(128);
    append(&mut out, value)?;
    Ok(out)
}

fn append<O: Output, T: Serialize + ?Sized>(out: &mut O, value: &T) -> Result<(), JsonError> {
    let start = out.len();
    let mut json = Json { out, plain: false };
    let result = {
        let _writing = Writing::start();
        value.serialize(&mut json)
    };
    if result.is_err() {
        json.out.truncate(start);
    }
    result
}

/// The name of the newtype struct that holds a text needing no escape (see [`serialize_plain`]).
const PLAIN: &str = "$secure_ticket::store::json::Plain";

/// Serialises `text` as a newtype struct this writer writes without escaping: for texts this
/// crate makes that never need escaping (hyphenated UUIDs, RFC 3339 times, hex digests).
/// Formats that write a newtype struct as its value (`serde_json`, the digest) see `text`.
///
/// Only call it with such a text: this writer would write any other as it is.
pub(crate) fn serialize_plain<S: Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    // Only while this writer writes: every other format (serde_json, RON, YAML, ...) sees the
    // plain string it always saw, whether or not it would show a newtype struct.
    if WRITING.with(Cell::get) {
        serializer.serialize_newtype_struct(PLAIN, &Plain(text))
    } else {
        serializer.serialize_str(text)
    }
}

thread_local! {
    /// Whether this writer is writing on this thread (what [`serialize_plain`] asks).
    static WRITING: Cell<bool> = const { Cell::new(false) };
}

/// Marks this writer as writing on this thread until dropped (even by an unwinding panic in a
/// caller's `Serialize`), then restores what was there (a writer called inside another).
struct Writing(bool);

impl Writing {
    fn start() -> Self {
        Self(WRITING.with(|writing| writing.replace(true)))
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        WRITING.with(|writing| writing.set(self.0));
    }
}

/// A text that needs no escape, serialised with [`serialize_plain`] (for a place that needs a
/// value, as `serialize_some` does).
pub(crate) struct PlainText<'a>(pub(crate) &'a str);

impl Serialize for PlainText<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_plain(self.0, serializer)
    }
}

/// A text [`serialize_plain`] marks: a string.
struct Plain<'a>(&'a str);

impl Serialize for Plain<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

/// Where the JSON goes: bytes or text. Everything written is UTF-8.
trait Output {
    /// Appends text.
    fn text(&mut self, text: &str);
    /// Appends ASCII bytes (digits); callers pass no other byte.
    fn ascii(&mut self, bytes: &[u8]);
    fn len(&self) -> usize;
    fn truncate(&mut self, len: usize);
}

impl Output for Vec<u8> {
    #[inline]
    fn text(&mut self, text: &str) {
        self.extend_from_slice(text.as_bytes());
    }
    #[inline]
    fn ascii(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    #[inline]
    fn len(&self) -> usize {
        Self::len(self)
    }
    #[inline]
    fn truncate(&mut self, len: usize) {
        Self::truncate(self, len);
    }
}

impl Output for String {
    #[inline]
    fn text(&mut self, text: &str) {
        self.push_str(text);
    }
    #[inline]
    fn ascii(&mut self, bytes: &[u8]) {
        self.extend(bytes.iter().copied().map(char::from));
    }
    #[inline]
    fn len(&self) -> usize {
        Self::len(self)
    }
    #[inline]
    fn truncate(&mut self, len: usize) {
        Self::truncate(self, len);
    }
}

/// The serializer.
struct Json<'o, O> {
    out: &'o mut O,
    /// Set while a [`PLAIN`] newtype is written: its string is written as it is.
    plain: bool,
}

impl<O: Output> Json<'_, O> {
    #[inline]
    fn text(&mut self, text: &str) {
        self.out.text(text);
    }

    /// A string value or key: as it is inside a [`PLAIN`] newtype, else escaped.
    #[inline]
    fn string(&mut self, value: &str) {
        self.out.text("\"");
        if std::mem::take(&mut self.plain) {
            self.out.text(value);
        } else {
            escape_into(self.out, value);
        }
        self.out.text("\"");
    }

    /// A name from `serde`'s derive (a field, a variant): `&'static str`s of this crate's types,
    /// which need no escape, as a string.
    #[inline]
    fn name(&mut self, name: &'static str) {
        self.out.text("\"");
        self.out.text(name);
        self.out.text("\"");
    }

    #[inline]
    fn unsigned(&mut self, value: u64) {
        let mut digits = [0_u8; 20];
        let used = decimal(value, &mut digits);
        self.out.ascii(used);
    }

    fn signed(&mut self, value: i64) {
        if value < 0 {
            self.out.text("-");
        }
        self.unsigned(value.unsigned_abs());
    }

    fn unsigned_wide(&mut self, value: u128) {
        match u64::try_from(value) {
            Ok(narrow) => self.unsigned(narrow),
            Err(_) => {
                let mut digits = [0_u8; 39];
                let used = decimal_wide(value, &mut digits);
                self.out.ascii(used);
            }
        }
    }

    fn signed_wide(&mut self, value: i128) {
        if value < 0 {
            self.out.text("-");
        }
        self.unsigned_wide(value.unsigned_abs());
    }

    /// Opens `{"variant":`, the object that holds a variant's content.
    #[inline]
    fn open_variant(&mut self, variant: &'static str) {
        self.text("{");
        self.name(variant);
        self.text(":");
    }

    /// `display`'s text, escaped, as `serde_json`'s `collect_str` writes it (each piece escaped
    /// as it comes: escaping works character by character).
    fn display<T: Display + ?Sized>(&mut self, display: &T) -> Result<(), JsonError> {
        struct Escaping<'a, O>(&'a mut O);
        impl<O: Output> fmt::Write for Escaping<'_, O> {
            fn write_str(&mut self, text: &str) -> fmt::Result {
                escape_into(self.0, text);
                Ok(())
            }
        }
        self.plain = false;
        self.out.text("\"");
        fmt::write(&mut Escaping(self.out), format_args!("{display}")).map_err(|_| {
            JsonError::Custom {
                message: "a Display implementation failed".to_owned(),
            }
        })?;
        self.out.text("\"");
        Ok(())
    }
}

/// Writes `value`'s decimal digits at the end of `buffer` (20 bytes hold any `u64`, 39 any
/// `u128`), and returns them.
macro_rules! decimal {
    ($name:ident, $int:ty) => {
        fn $name(mut value: $int, buffer: &mut [u8]) -> &[u8] {
            let mut start = buffer.len();
            for (at, slot) in buffer.iter_mut().enumerate().rev() {
                // The digit is below 10: its ASCII byte is `b'0' | digit`.
                *slot = b'0' | u8::try_from(value % 10).unwrap_or(0);
                value /= 10;
                start = at;
                if value == 0 {
                    break;
                }
            }
            buffer.get(start..).unwrap_or_default()
        }
    };
}

decimal!(decimal, u64);
decimal!(decimal_wide, u128);

/// Whether one of the 8 bytes of `word` needs escaping in a JSON string (a control character, a
/// quote or a backslash). May say yes for a word that needs none (never no for one that does):
/// the caller then escapes character by character.
const fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Some byte is below 0x20 (exact for any bound up to 0x80).
    let control = word.wrapping_sub(0x2020_2020_2020_2020) & !word & HIGH;
    // Some byte is zero once the quotes, or the backslashes, are XOR-ed to zero.
    let quote = word ^ 0x2222_2222_2222_2222;
    let quote = quote.wrapping_sub(ONES) & !quote & HIGH;
    let backslash = word ^ 0x5c5c_5c5c_5c5c_5c5c;
    let backslash = backslash.wrapping_sub(ONES) & !backslash & HIGH;
    (control | quote | backslash) != 0
}

/// Whether some byte of `text` needs escaping, eight bytes at a time.
fn may_need_escape(text: &str) -> bool {
    let (words, tail) = text.as_bytes().as_chunks::<8>();
    if words
        .iter()
        .any(|word| needs_escape(u64::from_le_bytes(*word)))
    {
        return true;
    }
    // The tail, padded with spaces (which need no escape).
    let mut last = [b' '; 8];
    for (slot, byte) in last.iter_mut().zip(tail) {
        *slot = *byte;
    }
    needs_escape(u64::from_le_bytes(last))
}

/// `text`, escaped as `serde_json` escapes a string's contents (without the quotes).
fn escape_into<O: Output>(out: &mut O, text: &str) {
    if !may_need_escape(text) {
        out.text(text);
        return;
    }
    for piece in text.split_inclusive(|c: char| escape(c).is_some()) {
        let mut chars = piece.chars();
        match chars.next_back().and_then(escape) {
            Some(escaped) => {
                out.text(chars.as_str());
                out.text(escaped);
            }
            None => out.text(piece),
        }
    }
}

/// The escape of `c` in a JSON string, as `serde_json` writes it; `None` for a character written
/// as it is.
const fn escape(c: char) -> Option<&'static str> {
    Some(match c {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\u{08}' => "\\b",
        '\u{0c}' => "\\f",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '\u{00}' => "\\u0000",
        '\u{01}' => "\\u0001",
        '\u{02}' => "\\u0002",
        '\u{03}' => "\\u0003",
        '\u{04}' => "\\u0004",
        '\u{05}' => "\\u0005",
        '\u{06}' => "\\u0006",
        '\u{07}' => "\\u0007",
        '\u{0b}' => "\\u000b",
        '\u{0e}' => "\\u000e",
        '\u{0f}' => "\\u000f",
        '\u{10}' => "\\u0010",
        '\u{11}' => "\\u0011",
        '\u{12}' => "\\u0012",
        '\u{13}' => "\\u0013",
        '\u{14}' => "\\u0014",
        '\u{15}' => "\\u0015",
        '\u{16}' => "\\u0016",
        '\u{17}' => "\\u0017",
        '\u{18}' => "\\u0018",
        '\u{19}' => "\\u0019",
        '\u{1a}' => "\\u001a",
        '\u{1b}' => "\\u001b",
        '\u{1c}' => "\\u001c",
        '\u{1d}' => "\\u001d",
        '\u{1e}' => "\\u001e",
        '\u{1f}' => "\\u001f",
        _ => return None,
    })
}

/// An array or an object being written.
struct Compound<'a, 'o, O> {
    json: &'a mut Json<'o, O>,
    first: bool,
}

impl<O: Output> Compound<'_, '_, O> {
    /// The comma before every element but the first.
    #[inline]
    fn separate(&mut self) {
        if std::mem::take(&mut self.first) {
            return;
        }
        self.json.text(",");
    }
}

impl<'a, 'o, O: Output> Serializer for &'a mut Json<'o, O> {
    type Ok = ();
    type Error = JsonError;
    type SerializeSeq = Compound<'a, 'o, O>;
    type SerializeTuple = Compound<'a, 'o, O>;
    type SerializeTupleStruct = Compound<'a, 'o, O>;
    type SerializeTupleVariant = Compound<'a, 'o, O>;
    type SerializeMap = Compound<'a, 'o, O>;
    type SerializeStruct = Compound<'a, 'o, O>;
    type SerializeStructVariant = Compound<'a, 'o, O>;

    fn serialize_bool(self, value: bool) -> Result<(), JsonError> {
        self.text(if value { "true" } else { "false" });
        Ok(())
    }

    fn serialize_i8(self, value: i8) -> Result<(), JsonError> {
        self.signed(value.into());
        Ok(())
    }

    fn serialize_i16(self, value: i16) -> Result<(), JsonError> {
        self.signed(value.into());
        Ok(())
    }

    fn serialize_i32(self, value: i32) -> Result<(), JsonError> {
        self.signed(value.into());
        Ok(())
    }

    fn serialize_i64(self, value: i64) -> Result<(), JsonError> {
        self.signed(value);
        Ok(())
    }

    fn serialize_i128(self, value: i128) -> Result<(), JsonError> {
        self.signed_wide(value);
        Ok(())
    }

    fn serialize_u8(self, value: u8) -> Result<(), JsonError> {
        self.unsigned(value.into());
        Ok(())
    }

    fn serialize_u16(self, value: u16) -> Result<(), JsonError> {
        self.unsigned(value.into());
        Ok(())
    }

    fn serialize_u32(self, value: u32) -> Result<(), JsonError> {
        self.unsigned(value.into());
        Ok(())
    }

    fn serialize_u64(self, value: u64) -> Result<(), JsonError> {
        self.unsigned(value);
        Ok(())
    }

    fn serialize_u128(self, value: u128) -> Result<(), JsonError> {
        self.unsigned_wide(value);
        Ok(())
    }

    fn serialize_f32(self, value: f32) -> Result<(), JsonError> {
        Err(JsonError::Float {
            value: value.into(),
        })
    }

    fn serialize_f64(self, value: f64) -> Result<(), JsonError> {
        Err(JsonError::Float { value })
    }

    fn serialize_char(self, value: char) -> Result<(), JsonError> {
        self.string(value.encode_utf8(&mut [0_u8; 4]));
        Ok(())
    }

    fn serialize_str(self, value: &str) -> Result<(), JsonError> {
        self.string(value);
        Ok(())
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<(), JsonError> {
        self.text("[");
        let mut first = true;
        for &byte in value {
            if !std::mem::take(&mut first) {
                self.text(",");
            }
            self.unsigned(byte.into());
        }
        self.text("]");
        Ok(())
    }

    fn serialize_none(self) -> Result<(), JsonError> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), JsonError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), JsonError> {
        self.text("null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), JsonError> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), JsonError> {
        self.name(variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        // Only `Plain` is ever named `PLAIN`: its one string is written as it is.
        self.plain = name == PLAIN;
        let result = value.serialize(&mut *self);
        self.plain = false;
        result
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        self.open_variant(variant);
        value.serialize(&mut *self)?;
        self.text("}");
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, JsonError> {
        self.text("[");
        Ok(Compound {
            json: self,
            first: true,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, JsonError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, JsonError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, JsonError> {
        self.open_variant(variant);
        self.serialize_seq(Some(len))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, JsonError> {
        self.text("{");
        Ok(Compound {
            json: self,
            first: true,
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, JsonError> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, JsonError> {
        self.open_variant(variant);
        self.serialize_map(Some(len))
    }

    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), JsonError> {
        self.display(value)
    }
}

impl<O: Output> ser::SerializeSeq for Compound<'_, '_, O> {
    type Ok = ();
    type Error = JsonError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JsonError> {
        self.separate();
        value.serialize(&mut *self.json)
    }

    fn end(self) -> Result<(), JsonError> {
        self.json.text("]");
        Ok(())
    }
}

impl<O: Output> ser::SerializeTuple for Compound<'_, '_, O> {
    type Ok = ();
    type Error = JsonError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JsonError> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), JsonError> {
        ser::SerializeSeq::end(self)
    }
}

impl<O: Output> ser::SerializeTupleStruct for Compound<'_, '_, O> {
    type Ok = ();
    type Error = JsonError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JsonError> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), JsonError> {
        ser::SerializeSeq::end(self)
    }
}

impl<O: Output> ser::SerializeTupleVariant for Compound<'_, '_, O> {
    type Ok = ();
    type Error = JsonError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JsonError> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    /// Closes the array, then the variant's object.
    fn end(self) -> Result<(), JsonError> {
        self.json.text("]}");
        Ok(())
    }
}

impl<O: Output> ser::SerializeMap for Compound<'_, '_, O> {
    type Ok = ();
    type Error = JsonError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), JsonError> {
        self.separate();
        key.serialize(Key(&mut *self.json))?;
        self.json.text(":");
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JsonError> {
        value.serialize(&mut *self.json)
    }

    fn end(self) -> Result<(), JsonError> {
        self.json.text("}");
        Ok(())
    }
}

impl<O: Output> ser::SerializeStruct for Compound<'_, '_, O> {
    type Ok = ();
    type Error = JsonError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        self.separate();
        self.json.name(key);
        self.json.text(":");
        value.serialize(&mut *self.json)
    }

    fn end(self) -> Result<(), JsonError> {
        ser::SerializeMap::end(self)
    }
}

impl<O: Output> ser::SerializeStructVariant for Compound<'_, '_, O> {
    type Ok = ();
    type Error = JsonError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }

    /// Closes the fields' object, then the variant's.
    fn end(self) -> Result<(), JsonError> {
        self.json.text("}}");
        Ok(())
    }
}

/// A map key: a string, as `serde_json`'s key serializer writes it (numbers, `bool`s and `char`s
/// quoted; no float, no compound).
struct Key<'a, 'o, O>(&'a mut Json<'o, O>);

impl<O: Output> Key<'_, '_, O> {
    fn quoted(self, write: impl FnOnce(&mut Json<'_, O>)) -> Result<(), JsonError> {
        self.0.text("\"");
        write(self.0);
        self.0.text("\"");
        Ok(())
    }
}

/// The error for a key of the kind `found`.
fn not_a_key<T>(found: &'static str) -> Result<T, JsonError> {
    Err(JsonError::KeyMustBeAString { found })
}

impl<O: Output> Serializer for Key<'_, '_, O> {
    type Ok = ();
    type Error = JsonError;
    type SerializeSeq = Impossible<(), JsonError>;
    type SerializeTuple = Impossible<(), JsonError>;
    type SerializeTupleStruct = Impossible<(), JsonError>;
    type SerializeTupleVariant = Impossible<(), JsonError>;
    type SerializeMap = Impossible<(), JsonError>;
    type SerializeStruct = Impossible<(), JsonError>;
    type SerializeStructVariant = Impossible<(), JsonError>;

    fn serialize_bool(self, value: bool) -> Result<(), JsonError> {
        self.quoted(|json| json.text(if value { "true" } else { "false" }))
    }

    fn serialize_i8(self, value: i8) -> Result<(), JsonError> {
        self.quoted(|json| json.signed(value.into()))
    }

    fn serialize_i16(self, value: i16) -> Result<(), JsonError> {
        self.quoted(|json| json.signed(value.into()))
    }

    fn serialize_i32(self, value: i32) -> Result<(), JsonError> {
        self.quoted(|json| json.signed(value.into()))
    }

    fn serialize_i64(self, value: i64) -> Result<(), JsonError> {
        self.quoted(|json| json.signed(value))
    }

    fn serialize_i128(self, value: i128) -> Result<(), JsonError> {
        self.quoted(|json| json.signed_wide(value))
    }

    fn serialize_u8(self, value: u8) -> Result<(), JsonError> {
        self.quoted(|json| json.unsigned(value.into()))
    }

    fn serialize_u16(self, value: u16) -> Result<(), JsonError> {
        self.quoted(|json| json.unsigned(value.into()))
    }

    fn serialize_u32(self, value: u32) -> Result<(), JsonError> {
        self.quoted(|json| json.unsigned(value.into()))
    }

    fn serialize_u64(self, value: u64) -> Result<(), JsonError> {
        self.quoted(|json| json.unsigned(value))
    }

    fn serialize_u128(self, value: u128) -> Result<(), JsonError> {
        self.quoted(|json| json.unsigned_wide(value))
    }

    fn serialize_f32(self, value: f32) -> Result<(), JsonError> {
        self.0.serialize_f32(value)
    }

    fn serialize_f64(self, value: f64) -> Result<(), JsonError> {
        self.0.serialize_f64(value)
    }

    fn serialize_char(self, value: char) -> Result<(), JsonError> {
        self.0.serialize_char(value)
    }

    fn serialize_str(self, value: &str) -> Result<(), JsonError> {
        self.0.serialize_str(value)
    }

    fn serialize_bytes(self, _value: &[u8]) -> Result<(), JsonError> {
        not_a_key("bytes")
    }

    fn serialize_none(self) -> Result<(), JsonError> {
        not_a_key("none")
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), JsonError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), JsonError> {
        not_a_key("a unit")
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), JsonError> {
        not_a_key("a unit struct")
    }

    fn serialize_unit_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
    ) -> Result<(), JsonError> {
        self.0.serialize_unit_variant(name, index, variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        // As a value: `Plain`'s string as it is, any other newtype as its value (a key).
        self.0.plain = name == PLAIN;
        let json = self.0;
        let result = value.serialize(Key(&mut *json));
        json.plain = false;
        result
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), JsonError> {
        not_a_key("a newtype variant")
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, JsonError> {
        not_a_key("a sequence")
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, JsonError> {
        not_a_key("a tuple")
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, JsonError> {
        not_a_key("a tuple struct")
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, JsonError> {
        not_a_key("a tuple variant")
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, JsonError> {
        not_a_key("a map")
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, JsonError> {
        not_a_key("a struct")
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, JsonError> {
        not_a_key("a struct variant")
    }

    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), JsonError> {
        self.0.display(value)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::{Serialize, Serializer};

    use super::{JsonError, to_string, to_vec, write};

    /// This writer's bytes and text for `value`, each checked to equal `serde_json`'s.
    fn same<T: Serialize + ?Sized>(value: &T) {
        let expected = serde_json::to_vec(value).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&to_vec(value).unwrap()),
            String::from_utf8_lossy(&expected)
        );
        assert_eq!(to_string(value).unwrap().as_bytes(), expected);
    }

    #[test]
    fn every_ascii_character_and_others_at_every_place_of_a_word_is_escaped_as_serde_json() {
        let specials = [
            'é', 'ß', '€', '\u{7f}', '\u{80}', '\u{2028}', '\u{fffd}', '😀',
        ];
        let characters = (0..=0x7f_u8).map(char::from).chain(specials);
        for c in characters {
            for before in 0..17 {
                for after in [0, 1, 7, 8, 9] {
                    let text = format!("{}{c}{}", "a".repeat(before), "é".repeat(after));
                    same(&text);
                    same(&c);
                }
            }
        }
        same("");
        same("\"\\\u{8}\u{c}\n\r\t\u{0}\u{1f} plain");
    }

    #[test]
    fn integers_are_decimal_at_every_width() {
        same(&(0_u8, u8::MAX, i8::MIN, i8::MAX, 0_i8, -1_i8));
        same(&(
            u16::MAX,
            i16::MIN,
            u32::MAX,
            i32::MIN,
            u64::MAX,
            i64::MIN,
            i64::MAX,
        ));
        same(&(
            u128::MAX,
            i128::MIN,
            i128::MAX,
            u128::from(u64::MAX) + 1,
            10_u64,
            9_u64,
        ));
        for n in [0_u64, 1, 9, 10, 99, 100, 12_345, 1 << 40] {
            same(&n);
        }
    }

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Newtype(u8);

    #[derive(Serialize)]
    struct Tuple(u8, &'static str);

    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(u8, u8),
        Struct { a: u8, b: Option<u8> },
    }

    #[derive(Serialize)]
    #[serde(tag = "type")]
    enum Tagged {
        Inner { value: u8 },
    }

    #[derive(Serialize)]
    #[serde(tag = "kind", content = "value")]
    enum Adjacent {
        One(u8),
        Two,
    }

    struct Bytes(&'static [u8]);

    impl Serialize for Bytes {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(self.0)
        }
    }

    #[test]
    fn every_shape_of_serdes_data_model_is_written_as_serde_json_writes_it() {
        same(&());
        same(&Unit);
        same(&Newtype(7));
        same(&Tuple(1, "two"));
        same(&[Shape::Unit, Shape::Newtype(1), Shape::Tuple(1, 2)]);
        same(&Shape::Struct { a: 1, b: None });
        same(&Shape::Struct { a: 1, b: Some(2) });
        same(&Tagged::Inner { value: 3 });
        same(&(Adjacent::One(1), Adjacent::Two));
        same(&(Some(Some(1_u8)), None::<u8>, Some(None::<u8>)));
        same(&(true, false, 'x', '\n'));
        same(&(Vec::<u8>::new(), BTreeMap::<u8, u8>::new(), [[0_u8; 0]; 2]));
        same(&(Bytes(&[]), Bytes(&[0, 1, 255])));
        same(&vec![vec![1_u8], vec![], vec![2, 3]]);
        same(&format_args!("{} and \"{}\"", 1, "two"));
    }

    #[test]
    fn map_keys_are_strings_with_numbers_bools_chars_and_variants_quoted() {
        same(&BTreeMap::from([("a\"b", 1_u8), ("", 2), ("\n", 3)]));
        same(&BTreeMap::from([(-1_i32, "x"), (0, "y"), (7, "z")]));
        same(&BTreeMap::from([(u128::MAX, 1_u8), (0, 2)]));
        same(&BTreeMap::from([(i128::MIN, 1_u8)]));
        same(&BTreeMap::from([(false, 1_u8), (true, 2)]));
        same(&BTreeMap::from([('\t', 1_u8), ('é', 2)]));
        same(&BTreeMap::from([(Shape::Unit, 1_u8)]));
        same(&BTreeMap::from([(Some(1_u8), 1_u8)]));
        same(&BTreeMap::from([(crate::TicketId::from_u128(7), 1_u8)]));
        same(&BTreeMap::from([(
            crate::Email::parse("a@example.com").unwrap(),
            1_u8,
        )]));
    }

    #[test]
    fn ids_times_and_digests_are_written_as_before_the_mark_by_both_writers() {
        use time::macros::datetime;

        // What they wrote before they were marked: `uuid`'s, `time`'s and `Display`'s text.
        for n in [0, 1, 0x1234_5678_9abc_def0, u128::MAX] {
            let id = crate::TicketId::from_u128(n);
            same(&id);
            assert_eq!(
                to_vec(&id).unwrap(),
                serde_json::to_vec(&id.as_uuid()).unwrap()
            );
        }
        same(&crate::OrganizerId::default());
        for bytes in [[0xa5; 16], *b"0123456789abcdef", [0; 16], [0xff; 16]] {
            let digest = crate::Digest::from_bytes(bytes);
            same(&digest);
            assert_eq!(to_string(&digest).unwrap(), format!("\"{digest}\""));
        }

        #[derive(Serialize)]
        struct Times {
            #[serde(with = "crate::rfc3339")]
            at: time::OffsetDateTime,
            #[serde(with = "crate::rfc3339::option")]
            maybe: Option<time::OffsetDateTime>,
        }
        #[derive(Serialize)]
        struct Before {
            #[serde(with = "time::serde::rfc3339")]
            at: time::OffsetDateTime,
            #[serde(with = "time::serde::rfc3339::option")]
            maybe: Option<time::OffsetDateTime>,
        }
        for at in [
            datetime!(2026-11-23 12:00 UTC),
            datetime!(1970-01-01 00:00:00.000_000_001 UTC),
            datetime!(2026-11-23 14:30:05.25 +02:00),
            datetime!(2026-11-23 14:30:05.123_456_789 -09:30),
            datetime!(0000-01-01 00:00 -23:59),
            datetime!(9999-12-31 23:59:59.999_999_999 +23:59),
        ] {
            for maybe in [Some(at), None] {
                let before = serde_json::to_vec(&Before { at, maybe }).unwrap();
                same(&Times { at, maybe });
                assert_eq!(to_vec(&Times { at, maybe }).unwrap(), before, "{at}");
            }
        }
    }

    #[test]
    fn a_text_marked_plain_is_written_as_it_is_and_other_formats_see_a_string() {
        #[derive(PartialEq, Eq, PartialOrd, Ord)]
        struct Marked(&'static str);
        impl Serialize for Marked {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                super::serialize_plain(self.0, serializer)
            }
        }
        // Never marked so by the crate: here it shows the mark is honoured, not scanned.
        assert_eq!(to_vec(&Marked("a\"b")).unwrap(), b"\"a\"b\"");
        assert_eq!(serde_json::to_vec(&Marked("a\"b")).unwrap(), br#""a\"b""#);
        // The mark covers its one string only, in values and keys.
        same(&(Marked("x"), "y\n"));
        assert_eq!(
            to_vec(&BTreeMap::from([(Marked("k\""), "v\"")])).unwrap(),
            br#"{"k"":"v\""}"#
        );
    }

    #[test]
    fn x5_ids_and_times_are_marked_only_while_this_writer_writes() {
        use std::cell::Cell;
        /// Records whether the mark was on while it was written, and writes a nested value.
        struct Probe<'a>(&'a Cell<Option<bool>>);
        impl Serialize for Probe<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                // A writer called inside another leaves the outer one's mark on.
                let _ = to_vec(&1_u8);
                self.0.set(Some(super::WRITING.with(Cell::get)));
                serializer.serialize_u8(0)
            }
        }
        let seen = Cell::new(None);
        assert_eq!(to_vec(&Probe(&seen)).unwrap(), b"0");
        assert_eq!(seen.get(), Some(true));
        assert!(
            !super::WRITING.with(Cell::get),
            "off once the writer returns"
        );
        serde_json::to_vec(&Probe(&seen)).unwrap();
        assert_eq!(
            seen.get(),
            Some(false),
            "other serializers never see the mark"
        );
        assert!(to_vec(&(1_u8, 1.5_f64)).is_err());
        assert!(!super::WRITING.with(Cell::get), "off after an error too");
        // So a format that shows newtype structs sees the plain string (serde_json's `Value`
        // stands in for any other serializer here).
        let id = crate::TicketId::from_u128(1);
        assert_eq!(
            serde_json::to_value(id).unwrap(),
            serde_json::Value::String(id.to_string())
        );
    }

    #[test]
    fn what_it_cannot_write_is_a_typed_error_and_leaves_the_buffer_as_it_was() {
        let mut buffer = b"kept".to_vec();
        assert_eq!(
            write(&mut buffer, &(1_u8, 1.5_f64)),
            Err(JsonError::Float { value: 1.5 })
        );
        assert_eq!(buffer, b"kept");
        assert!(matches!(
            to_vec(&f32::NAN),
            Err(JsonError::Float { value }) if value.is_nan()
        ));
        assert_eq!(
            to_vec(&BTreeMap::from([(vec![1_u8], 1_u8)])),
            Err(JsonError::KeyMustBeAString {
                found: "a sequence"
            })
        );
        assert_eq!(
            to_vec(&BTreeMap::from([(None::<u8>, 1_u8)])),
            Err(JsonError::KeyMustBeAString { found: "none" })
        );
        assert!(serde_json::to_vec(&BTreeMap::from([(vec![1_u8], 1_u8)])).is_err());

        // A time with no RFC 3339 form: its Serialize fails, in both writers.
        #[derive(Serialize)]
        struct Odd(#[serde(with = "crate::rfc3339")] time::OffsetDateTime);
        let odd = Odd(time::macros::datetime!(2026-11-23 12:00 +01:00:30));
        assert!(serde_json::to_vec(&odd).is_err());
        let refused = write(&mut buffer, &odd).unwrap_err();
        assert!(matches!(refused, JsonError::Custom { .. }), "{refused:?}");
        assert!(
            refused.to_string().contains("could not be serialised"),
            "{refused}"
        );
        assert_eq!(buffer, b"kept");
    }
}
