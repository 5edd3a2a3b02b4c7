//! Digests of what callers sent, and ids derived from a command.
//!
//! A command record keeps a [`Digest`] of the request it answered, so that the shell can tell a
//! retry (same command id, same content: answered with the first result) from a reuse of the
//! command id for something else (a typed error), SPEC X3. [`derive_uuid`] turns a command's id
//! into as many further ids as the command needs, the same ones on every retry.
//!
//! # What the digest is, and is not
//!
//! The digest is a fixed-key, 128-bit, non-cryptographic hash. It tells a retry from a reuse: two
//! different requests get the same digest only by accident (for inputs nobody chose to collide,
//! the chance is that of a well-mixed 128-bit function: about 2^-128 per pair). It is **not** a signature or a MAC: its key is public (it is
//! written below), so anyone can compute it, and someone who wants two inputs with the same digest
//! can find them. Never use it to check that a request is authentic.
//!
//! Digests are stored, so the function is part of the stored format: the same input gives the same
//! digest in every process, on every platform (whatever its endianness or pointer width) and in
//! every release. It never changes; the tests pin its output.
//!
//! # The construction
//!
//! A [`Digester`] turns what it is given into a stream of bytes (below), and hashes the stream:
//!
//! - The state is two 64-bit lanes, `a = 0x243f_6a88_85a3_08d3` and `b = 0x1319_8a2e_0370_7344`
//!   (the first fractional hex digits of pi).
//! - The stream is cut into 8-byte words, each read as a little-endian `u64`; a last, shorter word
//!   is padded with zero bytes. Each word `w` is absorbed as:
//!
//!   ```text
//!   x = fold(a ^ w,                 0x9e37_79b9_7f4a_7c15)
//!   y = fold(b ^ rotate_left(w, 32), 0xc2b2_ae3d_27d4_eb4f)
//!   a = x ^ rotate_left(y, 21)
//!   b = y ^ rotate_left(a, 43)
//!   ```
//!
//!   where `fold(p, q)` is the 128-bit product of `p` and `q` with its two 64-bit halves XOR-ed
//!   together (the folded multiply of `foldhash` and `ahash`'s fallback).
//! - After the last word, the stream's length in bytes (not counting the padding), as a `u64`, is
//!   absorbed as one more word.
//! - A finalizer of four Feistel rounds with MurmurHash3's `fmix64` (`z ^= z >> 33; z *=
//!   0xff51_afd7_ed55_8ccd; z ^= z >> 33; z *= 0xc4ce_b9fe_1a85_ec53; z ^= z >> 33`, multiplies
//!   wrapping) as the round function:
//!
//!   ```text
//!   b ^= fmix64(a ^ 0xa409_3822_299f_31d0)
//!   a ^= fmix64(b ^ 0x082e_fa98_ec4e_6c89)
//!   b ^= fmix64(a ^ 0x4528_21e6_38d0_1377)
//!   a ^= fmix64(b ^ 0xbe54_66cf_34e9_0c6c)
//!   ```
//!
//!   (more digits of pi). The digest is `a` then `b`, each as 8 little-endian bytes.
//!
//! # The stream
//!
//! Every value is written as a tag byte and its content, so that every value's bytes say where
//! they end, and no two different sequences of values give the same stream (`["ab", "c"]` and
//! `["a", "bc"]` differ; so do `None` and `Some(0)`). Lengths are `u64`, little-endian.
//!
//! | tag | value | content |
//! | --- | --- | --- |
//! | `0x01` | unit, unit struct | none |
//! | `0x02`, `0x03` | `false`, `true` | none |
//! | `0x04` | integer ≥ 0, any width | its value, 16 bytes little-endian (`u128`) |
//! | `0x05` | integer < 0, any width | its magnitude, 16 bytes little-endian (`u128`) |
//! | `0x06` | `f32`, `f64` | the `f64` bits, 8 bytes little-endian (an `f32` is widened; every NaN is `0x7ff8_0000_0000_0000`) |
//! | `0x07` | `char` | its code point, 4 bytes little-endian |
//! | `0x08` | string | length, then the UTF-8 bytes |
//! | `0x09` | bytes | length, then the bytes |
//! | `0x0a` | `None` | none |
//! | `0x0b` | `Some(v)` | `v` |
//! | `0x0c` ... `0x0d` | sequence, tuple, tuple struct | the elements, then `0x0d` |
//! | `0x0e` ... `0x0f` | map, struct | each key then its value (a struct's field names as strings), then `0x0f` |
//! | `0x10` | enum variant | its name as a string (`0x08`, ...), then its content: unit (`0x01`), the newtype's value, the tuple as a sequence, or the fields as a struct |
//! | `0x11` | a `Serialize` implementation failed | none (the value's bytes so far stay in the stream) |
//!
//! A [`Digester`] starts with its domain, written as a string. Values are fed in serde's data model
//! as a compact (not human-readable) format would see them: a UUID as its 16 bytes, a time as the
//! `time` crate's tuple of numbers. The model is JSON's, with kinds kept for scalars:
//!
//! - Type names are not hashed, and a newtype struct is its inner value: renaming a type, or
//!   wrapping a field in a newtype, keeps digests. Field and variant names are hashed (as JSON
//!   spells them, after `#[serde(rename)]`); variant indices are not.
//! - Integers are hashed by value: widening a field from `u32` to `u64` keeps digests.
//! - A struct is hashed as the map of its fields, so `#[serde(flatten)]` keeps digests. A field
//!   its `Serialize` skips (`#[serde(skip_serializing_if)]`) is absent, as in JSON.
//! - Maps are hashed in their iteration order: digest `BTreeMap`s, never `HashMap`s.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{self, Serialize, Serializer};
use uuid::Uuid;

/// A 128-bit digest of what a caller sent, stored in command records so that a retry is told from
/// a reuse of the command id (SPEC X3).
///
/// Made by a [`Digester`]; see the [module docs](self) for the construction, which never changes.
/// It tells a retry from a reuse; it is not a signature. It serialises as 32 lower-case hex
/// characters, and displays the same way.
///
/// # Examples
///
/// ```
/// use secure_ticket::Digest;
/// use secure_ticket::digest::Digester;
///
/// let mut digester = Digester::new("example/request");
/// digester.write(&("alice@example.com", 2_u32));
/// let digest = digester.finish();
///
/// let text = digest.to_string();
/// assert_eq!(text.len(), 32);
/// assert_eq!(serde_json::to_string(&digest)?, format!("\"{text}\""));
/// assert_eq!(serde_json::from_str::<Digest>(&format!("\"{text}\""))?, digest);
/// assert!(serde_json::from_str::<Digest>("\"not hex\"").is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; 16]);

impl Digest {
    /// A digest from its 16 bytes (as [`Digest::as_bytes`] gives them).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The digest's 16 bytes: the first lane, then the second, each little-endian.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl Digest {
    /// The 32 lower-case hex characters, two per byte, in byte order.
    fn hex(&self) -> [u8; 32] {
        let mut text = [0_u8; 32];
        for (pair, byte) in text.as_chunks_mut::<2>().0.iter_mut().zip(self.0) {
            *pair = [hex_digit(byte >> 4), hex_digit(byte & 0x0f)];
        }
        text
    }
}

impl fmt::Display for Digest {
    /// 32 lower-case hex characters, two per byte, in byte order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.hex();
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Digest {
    /// Its hex text, marked as needing no escape for the crate's JSON writer
    /// ([`crate::store::json`]); every other format sees the string.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let hex = self.hex();
        match std::str::from_utf8(&hex) {
            Ok(text) => crate::store::json::serialize_plain(text, serializer),
            Err(_) => serializer.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(DigestVisitor)
    }
}

/// Reads a [`Digest`] from its hex text.
struct DigestVisitor;

impl Visitor<'_> for DigestVisitor {
    type Value = Digest;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a digest: 32 lower-case hex characters")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Digest, E> {
        if let Some((position, found)) = text
            .chars()
            .enumerate()
            .find(|(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
        {
            return Err(E::custom(format_args!(
                "a digest is 32 lower-case hex characters (0-9, a-f), found {found:?} at \
                 position {position}"
            )));
        }
        let (pairs, rest) = text.as_bytes().as_chunks::<2>();
        if pairs.len() != 16 || !rest.is_empty() {
            return Err(E::custom(format_args!(
                "a digest is 32 lower-case hex characters, found {} characters",
                text.len()
            )));
        }
        let mut bytes = [0_u8; 16];
        for (byte, &[high, low]) in bytes.iter_mut().zip(pairs) {
            *byte = hex_value(high).wrapping_shl(4) | hex_value(low);
        }
        Ok(Digest(bytes))
    }
}

/// The lower-case hex digit of `nibble` (below 16): `0`-`9` are `0x30 | n`, `a`-`f` are
/// `0x57 + n`.
const fn hex_digit(nibble: u8) -> u8 {
    if nibble < 10 {
        b'0' | nibble
    } else {
        nibble.wrapping_add(0x57)
    }
}

/// The value of a lower-case hex digit (checked before).
const fn hex_value(digit: u8) -> u8 {
    match digit {
        b'a'..=b'f' => digit.wrapping_sub(b'a').wrapping_add(10),
        _ => digit.wrapping_sub(b'0'),
    }
}

// The stream's tags (see the module docs).
const TAG_UNIT: u8 = 0x01;
const TAG_FALSE: u8 = 0x02;
const TAG_TRUE: u8 = 0x03;
const TAG_INT: u8 = 0x04;
const TAG_NEG_INT: u8 = 0x05;
const TAG_FLOAT: u8 = 0x06;
const TAG_CHAR: u8 = 0x07;
const TAG_STR: u8 = 0x08;
const TAG_BYTES: u8 = 0x09;
const TAG_NONE: u8 = 0x0a;
const TAG_SOME: u8 = 0x0b;
const TAG_SEQ: u8 = 0x0c;
const TAG_SEQ_END: u8 = 0x0d;
const TAG_MAP: u8 = 0x0e;
const TAG_MAP_END: u8 = 0x0f;
const TAG_VARIANT: u8 = 0x10;
const TAG_FAILED: u8 = 0x11;

/// The bits every NaN is hashed as.
const CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;

// The hash's fixed key (see the module docs).
const INIT_A: u64 = 0x243f_6a88_85a3_08d3;
const INIT_B: u64 = 0x1319_8a2e_0370_7344;
const MUL_A: u64 = 0x9e37_79b9_7f4a_7c15;
const MUL_B: u64 = 0xc2b2_ae3d_27d4_eb4f;
const ROUNDS: [u64; 4] = [
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
    0x4528_21e6_38d0_1377,
    0xbe54_66cf_34e9_0c6c,
];

/// The 128-bit product of `a` and `b`, its halves XOR-ed together.
const fn fold(a: u64, b: u64) -> u64 {
    let full = (a as u128).wrapping_mul(b as u128);
    (full as u64) ^ ((full >> 64) as u64)
}

/// MurmurHash3's 64-bit finalizer: a bijection in which every output bit depends on every input
/// bit.
const fn fmix64(mut z: u64) -> u64 {
    z ^= z >> 33;
    z = z.wrapping_mul(0xff51_afd7_ed55_8ccd);
    z ^= z >> 33;
    z = z.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    z ^ (z >> 33)
}

/// Computes a [`Digest`]: a domain, then values (through their serde serialization) and bytes, in
/// order.
///
/// The domain separates uses: the same values under two domains give unrelated digests. Each
/// value's bytes say where they end (see the [module docs](self)), so the digest depends on the
/// sequence of values, not only on their concatenation. The digester never allocates, and nothing
/// fails.
///
/// # Examples
///
/// ```
/// use secure_ticket::digest::Digester;
///
/// #[derive(serde::Serialize)]
/// struct Send<'a> {
///     recipient: &'a str,
///     tickets: Vec<u32>,
/// }
///
/// let digest = |recipient, tickets| {
///     let mut digester = Digester::new("example/send");
///     digester.write(&Send { recipient, tickets });
///     digester.finish()
/// };
///
/// // The same request twice (a retry): the same digest.
/// assert_eq!(digest("bob@example.com", vec![1, 2]), digest("bob@example.com", vec![1, 2]));
/// // The same command id with other content (a reuse): another digest.
/// assert_ne!(digest("bob@example.com", vec![1, 2]), digest("bob@example.com", vec![1]));
///
/// // The boundaries between values matter.
/// let mut a = Digester::new("example/one");
/// a.write("ab");
/// a.write("c");
/// let mut b = Digester::new("example/one");
/// b.write("a");
/// b.write("bc");
/// assert_ne!(a.finish(), b.finish());
/// ```
#[derive(Debug, Clone)]
pub struct Digester {
    /// The first lane.
    a: u64,
    /// The second lane.
    b: u64,
    /// The bytes of an incomplete word, little-endian (the first byte in the low bits); the
    /// bits above `pending` bytes are zero.
    word: u64,
    /// How many bytes of `word` are taken (0-7).
    pending: u32,
    /// The stream's length in bytes so far.
    length: u64,
}

impl Digester {
    /// A digester for one use, named by `domain` (`"secure-ticket/request"`): the same values under
    /// two domains give unrelated digests.
    #[must_use]
    pub fn new(domain: &str) -> Self {
        let mut digester = Self::raw();
        digester.put_str(domain);
        digester
    }

    /// A digester that has absorbed nothing, not even a domain.
    const fn raw() -> Self {
        Self {
            a: INIT_A,
            b: INIT_B,
            word: 0,
            pending: 0,
            length: 0,
        }
    }

    /// Feeds `value`, as its [`Serialize`] implementation describes it (see the [module
    /// docs](self) for the bytes each part of serde's data model becomes).
    ///
    /// This never fails: if the implementation reports an error (which only a custom
    /// implementation can do), what it fed so far stays, followed by a marker that no value
    /// produces.
    pub fn write<T: Serialize + ?Sized>(&mut self, value: &T) {
        if value.serialize(Encoder { digester: self }).is_err() {
            self.put_u8(TAG_FAILED);
        }
    }

    /// Feeds `bytes` as one bytes value (its tag and length, then the bytes), as `write` does for
    /// a value that serialises as bytes. `write_bytes(b"ab")` then `write_bytes(b"c")` differs from
    /// `write_bytes(b"abc")`. (`write(&[u8])` is another thing: a sequence of integers.)
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        self.put_u8(TAG_BYTES);
        self.put_len(bytes.len());
        self.absorb(bytes);
    }

    /// The digest of everything fed so far.
    #[must_use]
    pub fn finish(mut self) -> Digest {
        let length = self.length;
        if self.pending > 0 {
            self.compress(self.word);
        }
        self.compress(length);
        let [r0, r1, r2, r3] = ROUNDS;
        let (mut a, mut b) = (self.a, self.b);
        b ^= fmix64(a ^ r0);
        a ^= fmix64(b ^ r1);
        b ^= fmix64(a ^ r2);
        a ^= fmix64(b ^ r3);
        Digest((u128::from(b).wrapping_shl(64) | u128::from(a)).to_le_bytes())
    }

    /// Absorbs one word.
    const fn compress(&mut self, w: u64) {
        let x = fold(self.a ^ w, MUL_A);
        let y = fold(self.b ^ w.rotate_left(32), MUL_B);
        self.a = x ^ y.rotate_left(21);
        self.b = y ^ self.a.rotate_left(43);
    }

    /// Appends raw bytes to the stream.
    fn absorb(&mut self, bytes: &[u8]) {
        self.length = self.length.wrapping_add(bytes.len() as u64);
        let (words, rest) = bytes.as_chunks::<8>();
        for word in words {
            self.push_word(u64::from_le_bytes(*word));
        }
        for &byte in rest {
            self.push_byte(byte);
        }
    }

    /// Appends 8 bytes (`word`, little-endian) to the stream, without counting them.
    #[inline]
    const fn push_word(&mut self, word: u64) {
        if self.pending == 0 {
            self.compress(word);
        } else {
            // The pending bytes, then the first bytes of `word`, make a whole word; the rest of
            // `word` stays pending (`pending` is 1-7, so both shifts are in range).
            let shift = self.pending.wrapping_mul(8);
            self.compress(self.word | word.wrapping_shl(shift));
            self.word = word.wrapping_shr(64_u32.wrapping_sub(shift));
        }
    }

    /// Appends one byte to the stream, without counting it.
    #[inline]
    const fn push_byte(&mut self, byte: u8) {
        self.word |= (byte as u64).wrapping_shl(self.pending.wrapping_mul(8));
        self.pending = self.pending.wrapping_add(1);
        if self.pending == 8 {
            self.compress(self.word);
            self.word = 0;
            self.pending = 0;
        }
    }

    /// Appends a whole 8-byte value to the stream.
    #[inline]
    const fn put_u64(&mut self, value: u64) {
        self.length = self.length.wrapping_add(8);
        self.push_word(value);
    }

    #[inline]
    const fn put_u8(&mut self, byte: u8) {
        self.length = self.length.wrapping_add(1);
        self.push_byte(byte);
    }

    fn put_len(&mut self, length: usize) {
        self.put_u64(length as u64);
    }

    fn put_str(&mut self, text: &str) {
        self.put_u8(TAG_STR);
        self.put_len(text.len());
        self.absorb(text.as_bytes());
    }

    fn put_int(&mut self, value: i128) {
        self.put_u8(if value < 0 { TAG_NEG_INT } else { TAG_INT });
        self.put_u128(value.unsigned_abs());
    }

    fn put_uint(&mut self, value: u128) {
        self.put_u8(TAG_INT);
        self.put_u128(value);
    }

    fn put_float(&mut self, value: f64) {
        self.put_u8(TAG_FLOAT);
        let bits = if value.is_nan() {
            CANONICAL_NAN
        } else {
            value.to_bits()
        };
        self.put_u64(bits);
    }

    /// A `u128` as 16 bytes, little-endian: its low word, then its high word.
    #[inline]
    const fn put_u128(&mut self, value: u128) {
        self.put_u64(value as u64);
        self.put_u64(value.wrapping_shr(64) as u64);
    }

    fn put_variant(&mut self, variant: &str) {
        self.put_u8(TAG_VARIANT);
        self.put_str(variant);
    }
}

/// The domain of [`derive_uuid`].
const DERIVED_ID_DOMAIN: &str = "secure-ticket/derived-id";

/// The `index`-th id that command `command` of organizer `organizer` gives to its records of
/// kind `purpose` (`"transfer-group"`): the same on every retry of the command, and different for
/// every other input (by accident only, with a chance of about 2^-122 per pair).
///
/// The derivation is stable (ids derived once are stored) and is, so that another language can
/// reproduce it:
///
/// 1. A [`Digester`] with the domain `"secure-ticket/derived-id"` is fed, in this order, the
///    organizer's 16 bytes and the command's 16 bytes (each with
///    [`write_bytes`](Digester::write_bytes), in RFC 9562 order, as [`Uuid::as_bytes`] gives them),
///    `purpose` as a string and `index` as an integer. Its stream is therefore:
///
///    ```text
///    08 | 18 00 00 00 00 00 00 00 | "secure-ticket/derived-id"   (domain: tag, length 24, UTF-8)
///    09 | 10 00 00 00 00 00 00 00 | organizer's 16 bytes
///    09 | 10 00 00 00 00 00 00 00 | command's 16 bytes
///    08 | purpose's length, u64 LE | purpose's UTF-8 bytes
///    04 | index as u128, 16 bytes LE
///    ```
///
/// 2. The 16 bytes of the digest of that stream become the UUID's bytes, in order, except that
///    the high nibble of byte 6 is set to `8` (version 8, custom) and the two high bits of byte 8
///    to `10` (the RFC 9562 variant): `bytes[6] = (bytes[6] & 0x0f) | 0x80; bytes[8] = (bytes[8] &
///    0x3f) | 0x80`. The other 122 bits are the digest's.
///
/// # Examples
///
/// ```
/// use secure_ticket::digest::derive_uuid;
/// use uuid::{Uuid, Variant};
///
/// let (organizer, command) = (Uuid::from_u128(1), Uuid::from_u128(2));
/// let first = derive_uuid(organizer, command, "transfer-group", 0);
///
/// // A retry derives the same ids; another index, purpose or command, others.
/// assert_eq!(derive_uuid(organizer, command, "transfer-group", 0), first);
/// assert_ne!(derive_uuid(organizer, command, "transfer-group", 1), first);
/// assert_ne!(derive_uuid(organizer, command, "ticket", 0), first);
/// assert_ne!(derive_uuid(organizer, Uuid::from_u128(3), "transfer-group", 0), first);
///
/// assert_eq!(first.get_version_num(), 8);
/// assert_eq!(first.get_variant(), Variant::RFC4122);
/// ```
#[must_use]
pub fn derive_uuid(organizer: Uuid, command: Uuid, purpose: &str, index: u32) -> Uuid {
    let mut digester = Digester::new(DERIVED_ID_DOMAIN);
    digester.write_bytes(organizer.as_bytes());
    digester.write_bytes(command.as_bytes());
    digester.write(purpose);
    digester.write(&index);
    uuid::Builder::from_custom_bytes(digester.finish().0).into_uuid()
}

/// The error of a failed [`Serialize`] implementation: it only stops the value, whose digest
/// then records the failure.
#[derive(Debug)]
struct Failed;

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value's Serialize implementation failed")
    }
}

impl std::error::Error for Failed {}

impl ser::Error for Failed {
    fn custom<T: fmt::Display>(_message: T) -> Self {
        Self
    }
}

/// Counts the bytes of a `Display` output.
struct Count(usize);

impl fmt::Write for Count {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0 = self.0.wrapping_add(text.len());
        Ok(())
    }
}

/// Absorbs a `Display` output, counting its bytes.
struct Absorb<'a>(&'a mut Digester, usize);

impl fmt::Write for Absorb<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0.absorb(text.as_bytes());
        self.1 = self.1.wrapping_add(text.len());
        Ok(())
    }
}

/// The serde serializer that feeds a [`Digester`]'s stream.
struct Encoder<'a> {
    digester: &'a mut Digester,
}

impl Encoder<'_> {
    const fn reborrow(&mut self) -> Encoder<'_> {
        Encoder {
            digester: self.digester,
        }
    }
}

impl Serializer for Encoder<'_> {
    type Ok = ();
    type Error = Failed;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, value: bool) -> Result<(), Failed> {
        self.digester
            .put_u8(if value { TAG_TRUE } else { TAG_FALSE });
        Ok(())
    }

    fn serialize_i8(self, value: i8) -> Result<(), Failed> {
        self.serialize_i128(value.into())
    }

    fn serialize_i16(self, value: i16) -> Result<(), Failed> {
        self.serialize_i128(value.into())
    }

    fn serialize_i32(self, value: i32) -> Result<(), Failed> {
        self.serialize_i128(value.into())
    }

    fn serialize_i64(self, value: i64) -> Result<(), Failed> {
        self.serialize_i128(value.into())
    }

    fn serialize_i128(self, value: i128) -> Result<(), Failed> {
        self.digester.put_int(value);
        Ok(())
    }

    fn serialize_u8(self, value: u8) -> Result<(), Failed> {
        self.serialize_u128(value.into())
    }

    fn serialize_u16(self, value: u16) -> Result<(), Failed> {
        self.serialize_u128(value.into())
    }

    fn serialize_u32(self, value: u32) -> Result<(), Failed> {
        self.serialize_u128(value.into())
    }

    fn serialize_u64(self, value: u64) -> Result<(), Failed> {
        self.serialize_u128(value.into())
    }

    fn serialize_u128(self, value: u128) -> Result<(), Failed> {
        self.digester.put_uint(value);
        Ok(())
    }

    fn serialize_f32(self, value: f32) -> Result<(), Failed> {
        self.serialize_f64(value.into())
    }

    fn serialize_f64(self, value: f64) -> Result<(), Failed> {
        self.digester.put_float(value);
        Ok(())
    }

    fn serialize_char(self, value: char) -> Result<(), Failed> {
        self.digester.put_u8(TAG_CHAR);
        self.digester.absorb(&u32::from(value).to_le_bytes());
        Ok(())
    }

    fn serialize_str(self, value: &str) -> Result<(), Failed> {
        self.digester.put_str(value);
        Ok(())
    }

    fn serialize_bytes(self, value: &[u8]) -> Result<(), Failed> {
        self.digester.write_bytes(value);
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Failed> {
        self.digester.put_u8(TAG_NONE);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Failed> {
        self.digester.put_u8(TAG_SOME);
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Failed> {
        self.digester.put_u8(TAG_UNIT);
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Failed> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Failed> {
        self.digester.put_variant(variant);
        self.serialize_unit()
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        self.digester.put_variant(variant);
        value.serialize(self)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self, Failed> {
        self.digester.put_u8(TAG_SEQ);
        Ok(self)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self, Failed> {
        self.serialize_seq(None)
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self, Failed> {
        self.serialize_seq(None)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self, Failed> {
        self.digester.put_variant(variant);
        self.serialize_seq(None)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self, Failed> {
        self.digester.put_u8(TAG_MAP);
        Ok(self)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self, Failed> {
        self.serialize_map(None)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self, Failed> {
        self.digester.put_variant(variant);
        self.serialize_map(None)
    }

    /// Writes `value`'s text as a string without allocating it: once to count its bytes (the
    /// string's length comes first), once to absorb them. A `Display` that fails, or that writes
    /// a different length the second time, fails the value.
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<(), Failed> {
        let mut count = Count(0);
        fmt::write(&mut count, format_args!("{value}")).map_err(|_| Failed)?;
        self.digester.put_u8(TAG_STR);
        self.digester.put_len(count.0);
        let mut absorb = Absorb(self.digester, 0);
        fmt::write(&mut absorb, format_args!("{value}")).map_err(|_| Failed)?;
        if absorb.1 == count.0 {
            Ok(())
        } else {
            Err(Failed)
        }
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

impl ser::SerializeSeq for Encoder<'_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        value.serialize(self.reborrow())
    }

    fn end(self) -> Result<(), Failed> {
        self.digester.put_u8(TAG_SEQ_END);
        Ok(())
    }
}

impl ser::SerializeTuple for Encoder<'_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        value.serialize(self.reborrow())
    }

    fn end(self) -> Result<(), Failed> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Encoder<'_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        value.serialize(self.reborrow())
    }

    fn end(self) -> Result<(), Failed> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for Encoder<'_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        value.serialize(self.reborrow())
    }

    fn end(self) -> Result<(), Failed> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeMap for Encoder<'_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Failed> {
        key.serialize(self.reborrow())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        value.serialize(self.reborrow())
    }

    fn end(self) -> Result<(), Failed> {
        self.digester.put_u8(TAG_MAP_END);
        Ok(())
    }
}

impl ser::SerializeStruct for Encoder<'_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        self.digester.put_str(key);
        value.serialize(self.reborrow())
    }

    fn end(self) -> Result<(), Failed> {
        ser::SerializeMap::end(self)
    }
}

impl ser::SerializeStructVariant for Encoder<'_> {
    type Ok = ();
    type Error = Failed;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        self.digester.put_str(key);
        value.serialize(self.reborrow())
    }

    fn end(self) -> Result<(), Failed> {
        ser::SerializeMap::end(self)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use serde::{Serialize, Serializer};
    use uuid::{Uuid, Variant};

    use super::{Digest, Digester, derive_uuid};

    const DOMAIN: &str = "secure-ticket/test";

    fn digest<T: Serialize + ?Sized>(value: &T) -> Digest {
        let mut digester = Digester::new(DOMAIN);
        digester.write(value);
        digester.finish()
    }

    fn raw(bytes: &[u8]) -> Digest {
        let mut digester = Digester::raw();
        digester.absorb(bytes);
        digester.finish()
    }

    #[derive(Serialize)]
    struct Pair {
        first: u32,
        second: u32,
    }

    #[derive(Serialize)]
    struct PairSwapped {
        second: u32,
        first: u32,
    }

    #[derive(Serialize)]
    struct Other {
        first: u32,
        third: u32,
    }

    #[derive(Serialize)]
    enum Choice {
        Unit,
        Other,
        Newtype(u32),
        Tuple(u32, u32),
        Struct { first: u32, second: u32 },
    }

    #[derive(Serialize)]
    struct Wrapper(u32);

    #[derive(Serialize)]
    struct Outer {
        first: u32,
        #[serde(flatten)]
        rest: Inner,
    }

    #[derive(Serialize)]
    struct Inner {
        second: u32,
    }

    /// A value whose `Serialize` fails after a first element.
    struct Fails;

    impl Serialize for Fails {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::{Error, SerializeSeq};
            let mut seq = serializer.serialize_seq(None)?;
            seq.serialize_element(&1_u8)?;
            Err(S::Error::custom("refused"))
        }
    }

    /// A value that serialises through `collect_str`.
    struct Shown;

    impl Serialize for Shown {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_str(&format_args!("{}-{}", "ab", 12))
        }
    }

    // Golden values: the digest is stored, so these never change. A failure here means the
    // function changed: revert the change, do not update the values.

    #[test]
    fn golden_raw_streams() {
        let golden: [(&[u8], &str); 6] = [
            (b"", "3fc09352101e5c037cc529c8b7244e0c"),
            (b"\0", "f26dcf184fd67f51212a455ab3a08e19"),
            (b"abc", "b88473e5651582f6b5083070e27ec39b"),
            (b"01234567", "8e51a86f7bf424c4f63133fbf8898954"),
            (b"0123456789abcdef", "dc01bcb901571bced1ebd971972e2fd3"),
            (
                b"The quick brown fox jumps over the lazy dog",
                "ba4860b9cb6e7c873a42412f7c1a3c28",
            ),
        ];
        for (bytes, expected) in golden {
            assert_eq!(raw(bytes).to_string(), expected, "{bytes:?}");
        }
    }

    #[test]
    fn golden_values() {
        assert_eq!(
            Digester::new("").finish().to_string(),
            "80a0a90f991c8845cd98382f3893eedf"
        );
        assert_eq!(digest(&()).to_string(), "c87e7a2198fc16576b2c6c701b2cfcf9");
        assert_eq!(
            digest(&0_u32).to_string(),
            "086c14d706fa3bdf2f099bbe867e9b62"
        );
        assert_eq!(
            digest(&-1_i64).to_string(),
            "1282d3ee04e80a4ebf3f406326fe2c10"
        );
        assert_eq!(
            digest("alice@example.com").to_string(),
            "ffd2874549a853c9c5bd131c5392ff80"
        );
        assert_eq!(
            digest(&Some(1.5_f64)).to_string(),
            "a9e1fd204194bc2fce6f666cdad806a9"
        );
        assert_eq!(
            digest(&vec!["ab", "c"]).to_string(),
            "3f9929c158dd51a0985a5b7a9816e083"
        );
        assert_eq!(
            digest(&Pair {
                first: 1,
                second: 2
            })
            .to_string(),
            "410b776581196756be101317610e0163"
        );
        assert_eq!(
            digest(&Choice::Struct {
                first: 1,
                second: 2
            })
            .to_string(),
            "526c1c96518a85607120bcfb37c434c8"
        );
        assert_eq!(
            digest(&Uuid::from_u128(1)).to_string(),
            "ae7ea5be8303d72241cb7dc56193e68a"
        );
        let mut digester = Digester::new(DOMAIN);
        digester.write_bytes(&[1, 2, 3]);
        digester.write(&(true, 'x', Choice::Unit));
        assert_eq!(
            digester.finish().to_string(),
            "14d943adca739b3c3840a43cce04cc5b"
        );
    }

    #[test]
    fn golden_derived_ids() {
        let golden = [
            (0, 0, "", 0, "7cdc2acc-9cff-8a5b-9306-91a8800fea5b"),
            (
                1,
                2,
                "transfer-group",
                0,
                "c3e0ca62-8280-8bd2-a3f5-5283cfc2100f",
            ),
            (
                1,
                2,
                "transfer-group",
                1,
                "e033cba6-5b45-829a-bb86-e5d9ad50f0cf",
            ),
            (1, 2, "ticket", 0, "97e47e1e-a720-854c-bb5b-837f894337ff"),
            (
                0xfeed,
                0x0123_4567_89ab_cdef_0123_4567_89ab_cdef,
                "ticket",
                u32::MAX,
                "b3348d35-a30b-8385-a18f-d03eb89e8b63",
            ),
        ];
        for (organizer, command, purpose, index, expected) in golden {
            let id = derive_uuid(
                Uuid::from_u128(organizer),
                Uuid::from_u128(command),
                purpose,
                index,
            );
            assert_eq!(
                id.to_string(),
                expected,
                "{organizer} {command} {purpose} {index}"
            );
        }
    }

    /// The stream documented on `derive_uuid`, written by hand.
    #[test]
    fn derive_uuid_follows_its_documented_stream() {
        let (organizer, command) = (Uuid::from_u128(0xfeed), Uuid::from_u128(7 << 100 | 3));
        let purpose = "transfer-group";
        let mut stream = vec![0x08];
        stream.extend(24_u64.to_le_bytes());
        stream.extend(b"secure-ticket/derived-id");
        for id in [organizer, command] {
            stream.push(0x09);
            stream.extend(16_u64.to_le_bytes());
            stream.extend(id.as_bytes());
        }
        stream.push(0x08);
        stream.extend((purpose.len() as u64).to_le_bytes());
        stream.extend(purpose.as_bytes());
        stream.push(0x04);
        stream.extend(5_u128.to_le_bytes());
        let mut bytes = *raw(&stream).as_bytes();
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        assert_eq!(
            derive_uuid(organizer, command, purpose, 5),
            Uuid::from_bytes(bytes)
        );
    }

    /// The stream of the module docs' table, written by hand for one value of each kind.
    #[test]
    fn values_follow_the_documented_stream() {
        let string = |text: &str| {
            let mut bytes = vec![0x08];
            bytes.extend((text.len() as u64).to_le_bytes());
            bytes.extend(text.as_bytes());
            bytes
        };
        let mut stream = string(DOMAIN);
        stream.push(0x0b); // Some(
        stream.push(0x0c); // [
        stream.push(0x01); // ()
        stream.extend([0x02, 0x03]); // false, true
        stream.push(0x04);
        stream.extend(7_u128.to_le_bytes());
        stream.push(0x05);
        stream.extend(7_u128.to_le_bytes());
        stream.push(0x06);
        stream.extend(0.5_f64.to_bits().to_le_bytes());
        stream.push(0x07);
        stream.extend(u32::from('é').to_le_bytes());
        stream.extend(string("ab"));
        stream.push(0x0a); // None
        stream.push(0x10);
        stream.extend(string("Tuple"));
        stream.push(0x0c);
        stream.push(0x04);
        stream.extend(1_u128.to_le_bytes());
        stream.push(0x04);
        stream.extend(2_u128.to_le_bytes());
        stream.push(0x0d);
        stream.push(0x0e); // {
        stream.extend(string("first"));
        stream.push(0x04);
        stream.extend(1_u128.to_le_bytes());
        stream.extend(string("second"));
        stream.push(0x04);
        stream.extend(2_u128.to_le_bytes());
        stream.push(0x0f); // }
        stream.push(0x10);
        stream.extend(string("Unit"));
        stream.push(0x01);
        stream.push(0x0d); // ]
        stream.push(0x09);
        stream.extend(2_u64.to_le_bytes());
        stream.extend([0xff, 0x00]);

        let mut digester = Digester::new(DOMAIN);
        digester.write(&Some((
            (),
            false,
            true,
            7_u8,
            -7_i64,
            0.5_f32,
            'é',
            "ab",
            None::<u32>,
            Choice::Tuple(1, 2),
            Pair {
                first: 1,
                second: 2,
            },
            Choice::Unit,
        )));
        digester.write_bytes(&[0xff, 0x00]);
        assert_eq!(digester.finish(), raw(&stream));
    }

    #[test]
    fn field_order_and_names_matter() {
        let pair = digest(&Pair {
            first: 1,
            second: 2,
        });
        assert_ne!(
            pair,
            digest(&PairSwapped {
                second: 2,
                first: 1
            })
        );
        assert_ne!(
            pair,
            digest(&Pair {
                first: 2,
                second: 1
            })
        );
        assert_ne!(pair, digest(&Other { first: 1, third: 2 }));
        assert_ne!(pair, digest(&(1_u32, 2_u32)));
    }

    #[test]
    fn boundaries_between_values_matter() {
        assert_ne!(digest(&["ab", "c"]), digest(&["a", "bc"]));
        assert_ne!(digest(&("ab", "c")), digest(&("a", "bc")));
        assert_ne!(
            digest(&vec![vec![1], vec![]]),
            digest(&vec![vec![], vec![1]])
        );
        assert_ne!(digest(&vec![vec![1, 2]]), digest(&vec![vec![1], vec![2]]));
        let writes = |parts: &[&str]| {
            let mut digester = Digester::new(DOMAIN);
            for part in parts {
                digester.write(*part);
            }
            digester.finish()
        };
        assert_ne!(writes(&["ab", "c"]), writes(&["a", "bc"]));
        assert_ne!(writes(&["abc"]), writes(&["ab", "c"]));
        assert_ne!(writes(&[""]), writes(&[]));
        let bytes = |parts: &[&[u8]]| {
            let mut digester = Digester::new(DOMAIN);
            for part in parts {
                digester.write_bytes(part);
            }
            digester.finish()
        };
        assert_ne!(bytes(&[b"ab", b"c"]), bytes(&[b"abc"]));
        assert_ne!(bytes(&[b""]), bytes(&[]));
    }

    #[test]
    fn options_are_tagged() {
        assert_ne!(digest(&None::<u32>), digest(&Some(0_u32)));
        assert_ne!(digest(&None::<()>), digest(&Some(())));
        assert_ne!(digest(&None::<Option<u32>>), digest(&Some(None::<u32>)));
        assert_ne!(digest(&Some(0_u32)), digest(&0_u32));
        assert_ne!(digest(&None::<String>), digest(&Some(String::new())));
    }

    #[test]
    fn variants_matter() {
        let all = [
            digest(&Choice::Unit),
            digest(&Choice::Other),
            digest(&Choice::Newtype(1)),
            digest(&Choice::Tuple(1, 2)),
            digest(&Choice::Struct {
                first: 1,
                second: 2,
            }),
            digest("Unit"),
            digest(&()),
            digest(&Choice::Newtype(2)),
            digest(&Choice::Tuple(2, 1)),
        ];
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), all.len());
    }

    #[test]
    fn kinds_matter() {
        let all = [
            digest(&()),
            digest(&false),
            digest(&true),
            digest(&0_u8),
            digest(&1_u8),
            digest(&-1_i8),
            digest(&0.0_f64),
            digest(&-0.0_f64),
            digest(&'a'),
            digest("a"),
            digest(""),
            digest(&serde_bytes_like(b"a")),
            digest(&serde_bytes_like(b"")),
            digest(&Vec::<u8>::new()),
            digest(&BTreeMap::<u8, u8>::new()),
            digest(&None::<u8>),
        ];
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), all.len());
    }

    /// Bytes that serialise as bytes (not as a sequence), without a crate for it.
    fn serde_bytes_like(bytes: &[u8]) -> impl Serialize + '_ {
        struct Bytes<'a>(&'a [u8]);
        impl Serialize for Bytes<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_bytes(self.0)
            }
        }
        Bytes(bytes)
    }

    #[test]
    fn domains_matter() {
        assert_ne!(Digester::new("a").finish(), Digester::new("b").finish());
        assert_ne!(Digester::new("").finish(), Digester::raw().finish());
        let mut a = Digester::new("ab");
        a.write("c");
        let mut b = Digester::new("a");
        b.write("bc");
        assert_ne!(a.finish(), b.finish());
        let mut one = Digester::new("one");
        one.write(&1_u32);
        let mut two = Digester::new("two");
        two.write(&1_u32);
        assert_ne!(one.finish(), two.finish());
    }

    /// What the module docs promise stays the same.
    #[test]
    fn documented_equivalences() {
        // Integers by value, whatever their width.
        assert_eq!(digest(&1_u8), digest(&1_u64));
        assert_eq!(digest(&1_u16), digest(&1_i32));
        assert_eq!(digest(&-5_i8), digest(&-5_i128));
        assert_eq!(digest(&u64::MAX), digest(&u128::from(u64::MAX)));
        assert_ne!(digest(&i128::MIN), digest(&u128::MAX));
        // Floats widened, NaNs alike.
        assert_eq!(digest(&0.5_f32), digest(&0.5_f64));
        assert_eq!(
            digest(&f32::NAN),
            digest(&f64::from_bits(0x7ff0_0000_0000_0001))
        );
        // Type names erased, newtypes transparent, structs as maps (so flatten keeps digests).
        assert_eq!(digest(&Wrapper(3)), digest(&3_u32));
        let map = BTreeMap::from([("first", 1_u32), ("second", 2)]);
        assert_eq!(
            digest(&Pair {
                first: 1,
                second: 2
            }),
            digest(&map)
        );
        assert_eq!(
            digest(&Outer {
                first: 1,
                rest: Inner { second: 2 }
            }),
            digest(&Pair {
                first: 1,
                second: 2
            })
        );
        // Sequences alike whatever their kind.
        assert_eq!(digest(&(1_u32, 2_u32)), digest(&vec![1_u32, 2]));
        assert_eq!(digest(&[1_u32, 2]), digest(&vec![1_u32, 2]));
        // `write_bytes` is a bytes value.
        let mut digester = Digester::new(DOMAIN);
        digester.write_bytes(b"abc");
        assert_eq!(digester.finish(), digest(&serde_bytes_like(b"abc")));
        // `collect_str` is the string it shows.
        assert_eq!(digest(&Shown), digest("ab-12"));
        // A digest in a value is its hex text.
        let inner = digest(&1_u32);
        assert_eq!(digest(&inner), digest(&inner.to_string()));
        // UUIDs as their 16 bytes (a compact format's view), not their text.
        struct Bytes<'a>(&'a [u8]);
        impl Serialize for Bytes<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        let id = Uuid::from_u128(0xabc);
        assert_eq!(digest(&id), digest(&Bytes(id.as_bytes())));
        assert_ne!(digest(&id), digest(&id.to_string()));
    }

    #[test]
    fn a_failed_serialize_is_a_marker_not_a_panic() {
        let failed = digest(&Fails);
        assert_eq!(failed, digest(&Fails));
        assert_ne!(failed, digest(&[1_u8]));
        assert_ne!(failed, Digester::new(DOMAIN).finish());
        let mut digester = Digester::new(DOMAIN);
        digester.write(&Fails);
        digester.write(&2_u8);
        assert_ne!(digester.finish(), failed);
    }

    /// Every length near a word boundary is its own digest: the padding is told from zero bytes.
    #[test]
    fn lengths_matter() {
        let all: Vec<Digest> = (0..=40).map(|n| raw(&vec![0; n])).collect();
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), all.len());
        // Absorbing in pieces is absorbing at once.
        let data: Vec<u8> = (0..=99).collect();
        for split in [0, 1, 3, 7, 8, 9, 15, 16, 17, 50, 100] {
            let (head, tail) = data.split_at(split);
            let mut digester = Digester::raw();
            digester.absorb(head);
            for byte in tail {
                digester.absorb(&[*byte]);
            }
            assert_eq!(digester.finish(), raw(&data), "{split}");
        }
    }

    /// Flipping any one input bit flips about half the output bits.
    #[test]
    fn avalanche() {
        for base in [[0_u8; 24], [0xff; 24], *b"0123456789abcdefghijklmn"] {
            let reference = u128::from_le_bytes(*raw(&base).as_bytes());
            let mut total = 0;
            for bit in 0..base.len() * 8 {
                let mut flipped = base;
                flipped[bit / 8] ^= 1 << (bit % 8);
                let changed =
                    (u128::from_le_bytes(*raw(&flipped).as_bytes()) ^ reference).count_ones();
                assert!(
                    (36..=92).contains(&changed),
                    "bit {bit}: {changed} output bits changed"
                );
                total += changed;
            }
            let mean = f64::from(total) / (base.len() * 8) as f64;
            assert!((61.0..=67.0).contains(&mean), "mean {mean}");
        }
    }

    #[test]
    fn hex_round_trips() {
        for value in [
            Digest::from_bytes([0; 16]),
            Digest::from_bytes([0xff; 16]),
            digest("x"),
        ] {
            let text = value.to_string();
            assert_eq!(text.len(), 32);
            assert!(
                text.bytes()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
            );
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), value);
        }
        let value = Digest::from_bytes([
            0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0, 1, 2, 3, 4, 5, 6, 0xfe,
        ]);
        assert_eq!(
            value.to_string(),
            "0123456789abcdef000102030405060fe".replacen("060fe", "06fe", 1)
        );
        assert_eq!(value.as_bytes()[15], 0xfe);
    }

    #[test]
    fn bad_hex_is_refused_clearly() {
        let error = |json: &str| {
            serde_json::from_str::<Digest>(json)
                .unwrap_err()
                .to_string()
        };
        let good = "0123456789abcdef0123456789abcdef";
        assert!(error("\"\"").contains("32 lower-case hex characters, found 0 characters"));
        assert!(error(&format!("\"{}\"", &good[..31])).contains("found 31 characters"));
        assert!(error(&format!("\"{good}0\"")).contains("found 33 characters"));
        assert!(error(&format!("\"{}A\"", &good[..31])).contains("found 'A' at position 31"));
        assert!(error(&format!("\"g{}\"", &good[1..])).contains("found 'g' at position 0"));
        assert!(
            error(&format!("\"{} {}\"", &good[..10], &good[11..]))
                .contains("found ' ' at position 10")
        );
        // Not ASCII: the character, counted in characters.
        let accented = format!("\"0é{}\"", &good[2..]);
        assert!(
            error(&accented).contains("found 'é' at position 1"),
            "{}",
            error(&accented)
        );
        assert!(error("12").contains("a digest: 32 lower-case hex characters"));
    }

    #[test]
    fn derived_ids_are_version_8_rfc_9562() {
        for command in 0..1000_u128 {
            for index in [0, 1, u32::MAX] {
                let id = derive_uuid(
                    Uuid::from_u128(9),
                    Uuid::from_u128(command),
                    "ticket",
                    index,
                );
                assert_eq!(id.get_version_num(), 8);
                assert_eq!(id.get_variant(), Variant::RFC4122);
                assert_eq!(id.as_bytes()[6] >> 4, 8);
                assert_eq!(id.as_bytes()[8] >> 6, 0b10);
            }
        }
    }

    #[test]
    fn derived_ids_from_sequential_commands_are_distinct_and_balanced() {
        const COUNT: u32 = 100_000;
        let organizer = Uuid::from_u128(1);
        let ids: HashSet<Uuid> = (0..COUNT)
            .map(|n| derive_uuid(organizer, Uuid::from_u128(n.into()), "transfer-group", 0))
            .collect();
        assert_eq!(ids.len(), COUNT as usize);
        // Every free bit is set in about half the ids (within 10 standard deviations).
        let mut ones = [0_u32; 128];
        for id in &ids {
            let value = id.as_u128();
            for (bit, count) in ones.iter_mut().enumerate() {
                *count += u32::try_from((value >> bit) & 1).unwrap();
            }
        }
        let fixed = [76, 77, 78, 79, 62, 63]; // version and variant, counting from the low bit
        for (bit, count) in ones.iter().enumerate() {
            if !fixed.contains(&bit) {
                assert!((48_400..=51_600).contains(count), "bit {bit}: {count}");
            }
        }
        // And one command's ids, by index and by purpose.
        let command = Uuid::from_u128(2);
        let by_index: HashSet<Uuid> = (0..10_000)
            .map(|index| derive_uuid(organizer, command, "ticket", index))
            .collect();
        assert_eq!(by_index.len(), 10_000);
        assert!(by_index.is_disjoint(&ids));
    }
}
