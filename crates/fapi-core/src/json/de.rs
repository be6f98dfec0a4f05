//! The typed half of [`json`](super): a serde `Deserializer` over a
//! document that passed [`check`](super::check).
//!
//! Strings without escapes are borrowed from the document; strings with
//! escapes are decoded into the caller's scratch buffer and borrowed from
//! there, so a borrowed `&str` field reads any valid JSON string. Member
//! names are decoded on the stack for matching. Values the target type
//! ignores are skipped by an iterative walk, and the only recursion is the
//! nesting of the target type itself, so the stack does not grow with the
//! depth of the document.

use core::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::error::Error;

/// The longest escaped member name decoded for matching (bytes). No member
/// fapi reads is that long; a longer escaped name is matched in its raw
/// form, which holds a backslash and so matches no field.
const NAME_BUF: usize = 256;

/// Deserializes `T` from `doc` (already checked), decoding escaped strings
/// into `scratch`; returns it and the scratch left over.
pub(super) fn from_slice<'de, T: Deserialize<'de>>(
    doc: &'de [u8],
    scratch: &'de mut [u8],
) -> Result<(T, &'de mut [u8]), Error> {
    from_slice_with(doc, scratch, Unchecked).map(|(value, rest, _)| (value, rest))
}

/// Deserializes `T` from `doc`, checking it by the rules of
/// [`check`](super::check) on the way (one pass instead of a check pass and
/// a parse pass); returns it, the scratch left over, and the scratch the
/// whole document needs by [`scratch_len`](super::scratch_len) (which
/// counts the escaped strings of skipped values too). Any error may be one
/// that the check would have found later in the document: the caller
/// decides which error to report (see `super::parse_checking_in`).
pub(super) fn from_slice_checking<'de, T: Deserialize<'de>>(
    doc: &'de [u8],
    scratch: &'de mut [u8],
) -> Result<(T, &'de mut [u8], usize), Error> {
    if doc.len() > super::MAX_DOCUMENT {
        return Err(Error::TooLarge);
    }
    if core::str::from_utf8(doc).is_err() {
        return Err(Error::Json);
    }
    let mut s = super::Scanner { doc, pos: 0 };
    s.ws();
    if s.peek() != Some(b'{') {
        return Err(Error::Json);
    }
    // The name stack (4 KiB) is a local of its own that the parse borrows:
    // as a field of the state it was zeroed on every call (`memset` in
    // the profile of `token::verify`), and a move would copy it.
    let mut names = super::Names::new();
    let mut checks = Checked {
        names: &mut names,
        depth: 0,
        need: 0,
    };
    from_slice_with(doc, scratch, &mut checks)
}

fn from_slice_with<'de, T: Deserialize<'de>, S: Checks>(
    doc: &'de [u8],
    scratch: &'de mut [u8],
    checks: S,
) -> Result<(T, &'de mut [u8], usize), Error> {
    let mut de = Deserializer {
        doc,
        pos: 0,
        scratch,
        short: false,
        checks,
    };
    match T::deserialize(&mut de) {
        Ok(value) => {
            de.ws();
            if de.pos == doc.len() {
                let need = de.checks.checked().map_or(0, |c| *c.need);
                Ok((value, de.scratch, need))
            } else {
                Err(Error::Json)
            }
        }
        // A borrowed field refused a string decoded on the stack: the
        // caller gave too little scratch.
        Err(DeError(Error::Json)) if de.short => Err(Error::BufferTooSmall),
        Err(DeError(e)) => Err(e),
    }
}

/// What a parse checks besides the types: nothing ([`Unchecked`], for a
/// document [`check`](super::check) accepted already), or everything
/// `check` does ([`Checked`]). A trait, so that the unchecked parse (the
/// one the firmware links) carries none of the checked one's code or
/// stack.
pub(super) trait Checks {
    fn checked(&mut self) -> Option<Checking<'_>>;
}

/// A document checked before the parse.
pub(super) struct Unchecked;

impl Checks for Unchecked {
    #[inline(always)]
    fn checked(&mut self) -> Option<Checking<'_>> {
        None
    }
}

/// The state of a parse that checks as it goes.
pub(super) struct Checked<'n> {
    /// The member names of the open objects the target reads.
    names: &'n mut super::Names,
    /// The objects and arrays open (the top-level object is 1).
    depth: usize,
    /// The scratch the escaped string values need, skipped ones included.
    need: usize,
}

impl Checks for &mut Checked<'_> {
    #[inline(always)]
    fn checked(&mut self) -> Option<Checking<'_>> {
        Some(Checking {
            names: &mut *self.names,
            depth: &mut self.depth,
            need: &mut self.need,
        })
    }
}

/// The state of a checked parse, borrowed for one step.
pub(super) struct Checking<'a> {
    names: &'a mut super::Names,
    depth: &'a mut usize,
    need: &'a mut usize,
}

/// The deserializer's error: one of fapi's.
#[derive(Debug)]
pub(super) struct DeError(Error);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl de::StdError for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Self(Error::Json)
    }

    /// What a bounded target (`heapless::Vec`, `heapless::String`, an
    /// `aud` array) says when the input holds more than it has room for:
    /// over a limit, so [`Error::TooLarge`], as every bound fapi states.
    /// (A tuple that gets too few elements says the same; the array that
    /// ended early turns that back into [`Error::Json`].)
    fn invalid_length(_len: usize, _expected: &dyn de::Expected) -> Self {
        Self(Error::TooLarge)
    }
}

impl From<Error> for DeError {
    fn from(e: Error) -> Self {
        Self(e)
    }
}

fn json_err() -> DeError {
    DeError(Error::Json)
}

struct Deserializer<'de, S: Checks> {
    doc: &'de [u8],
    pos: usize,
    scratch: &'de mut [u8],
    /// Whether a visitor refused a string that had to be decoded on the
    /// stack for want of scratch.
    short: bool,
    /// What a checked parse tracks (nothing for a document checked before).
    checks: S,
}

// `pos` only moves past bytes of the document (an escape's backslash and
// the byte after it at most), so it stays within doc.len() + 1 <=
// MAX_DOCUMENT + 1.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "pos <= doc.len() + 1 <= MAX_DOCUMENT + 1; depth <= doc.len()"
)]
impl<'de, S: Checks> Deserializer<'de, S> {
    fn peek(&self) -> Option<u8> {
        self.doc.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), DeError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(json_err())
        }
    }

    fn literal(&mut self, lit: &[u8]) -> Result<(), DeError> {
        let end = self.pos.checked_add(lit.len()).ok_or_else(json_err)?;
        if self.doc.get(self.pos..end) == Some(lit) {
            self.pos = end;
            Ok(())
        } else {
            Err(json_err())
        }
    }

    /// The raw contents of the string at `pos` (its opening quote). A
    /// checked parse checks it as [`check`](super::check) does (escapes,
    /// control characters).
    fn raw_string(&mut self) -> Result<&'de [u8], DeError> {
        let doc = self.doc;
        self.ws();
        if self.checks.checked().is_some() {
            let mut s = super::Scanner { doc, pos: self.pos };
            let st = s.string()?;
            self.pos = s.pos;
            return doc.get(st.start..s.pos - 1).ok_or_else(json_err);
        }
        self.expect(b'"')?;
        let start = self.pos;
        loop {
            self.pos += super::plain_len(doc.get(self.pos..).unwrap_or(&[]));
            match self.peek().ok_or_else(json_err)? {
                b'"' => {
                    let raw = doc.get(start..self.pos).ok_or_else(json_err)?;
                    self.pos += 1;
                    return Ok(raw);
                }
                b'\\' => self.pos += 2,
                _ => self.pos += 1,
            }
        }
    }

    /// A string value: borrowed from the document, or decoded into scratch.
    fn string<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, DeError> {
        let raw = self.raw_string()?;
        if !raw.contains(&b'\\') {
            return visitor.visit_borrowed_str(utf8(raw)?);
        }
        let need = super::decoded_len(raw)?;
        if let Some(c) = self.checks.checked() {
            *c.need += need;
        }
        if need <= self.scratch.len() {
            let scratch = core::mem::take(&mut self.scratch);
            let (chunk, rest) = scratch.split_at_mut_checked(need).ok_or_else(json_err)?;
            self.scratch = rest;
            let n = super::decode_into(raw, chunk)?;
            let chunk: &'de [u8] = chunk;
            return visitor.visit_borrowed_str(utf8(chunk.get(..n).ok_or_else(json_err)?)?);
        }
        // No scratch left: an owned target can still take it from the stack.
        let mut tmp = [0u8; NAME_BUF];
        let n = super::decode_into(raw, &mut tmp)?;
        let result = visitor.visit_str(utf8(tmp.get(..n).ok_or_else(json_err)?)?);
        if result.is_err() {
            self.short = true;
        }
        result
    }

    /// A member name (or enum variant): decoded on the stack for matching.
    /// (The body of [`name_from`], kept here so that the unchecked parse,
    /// which the firmware links, compiles as it did.)
    fn name<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, DeError> {
        let raw = self.raw_string()?;
        if !raw.contains(&b'\\') {
            return visitor.visit_borrowed_str(utf8(raw)?);
        }
        let mut tmp = [0u8; NAME_BUF];
        match super::decode_into(raw, &mut tmp) {
            Ok(n) => visitor.visit_str(utf8(tmp.get(..n).ok_or_else(json_err)?)?),
            Err(Error::BufferTooSmall) => visitor.visit_borrowed_str(utf8(raw)?),
            Err(e) => Err(DeError(e)),
        }
    }

    /// A number: an integer as `i64` (negative) or `u64`, anything else
    /// (a fraction, an exponent, an integer out of range) as `f64`.
    fn number<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, DeError> {
        let text = self.number_text()?;
        match integer(text) {
            Some(Integer::Negative(i)) => visitor.visit_i64(i),
            Some(Integer::NonNegative(u)) => visitor.visit_u64(u),
            None => {
                let f: f64 = text.parse().map_err(|_| json_err())?;
                visitor.visit_f64(f)
            }
        }
    }

    /// A value for a target that reads no floats (a boolean, an integer, a
    /// character, a string, bytes): as [`deserialize_any`] reads it, except
    /// that a number that is not an integer in the range of `i64` or `u64`
    /// is refused without being parsed. The visitors of those types refuse
    /// an `f64` anyway, and this keeps the float parser (and its 10 KiB of
    /// tables) out of code that never reads a float.
    ///
    /// [`deserialize_any`]: de::Deserializer::deserialize_any
    fn scalar<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, DeError> {
        self.value::<false, V>(visitor)
    }

    /// Any value; a number that is not an integer is read as `f64` when
    /// `FLOATS`, refused when not (see [`scalar`](Self::scalar)).
    fn value<const FLOATS: bool, V: Visitor<'de>>(
        &mut self,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.ws();
        match self.peek().ok_or_else(json_err)? {
            b'"' => self.string(visitor),
            b'{' => de::Deserializer::deserialize_map(self, visitor),
            b'[' => de::Deserializer::deserialize_seq(self, visitor),
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            b'-' | b'0'..=b'9' if FLOATS => self.number(visitor),
            b'-' | b'0'..=b'9' => match integer(self.number_text()?) {
                Some(Integer::Negative(i)) => visitor.visit_i64(i),
                Some(Integer::NonNegative(u)) => visitor.visit_u64(u),
                None => Err(json_err()),
            },
            _ => Err(json_err()),
        }
    }

    /// The text of the number at `pos`, which `pos` moves past.
    fn number_text(&mut self) -> Result<&'de str, DeError> {
        let doc = self.doc;
        let start = self.pos;
        if self.checks.checked().is_some() {
            // The grammar of RFC 8259 §6, as the check reads it.
            let mut s = super::Scanner { doc, pos: start };
            s.number()?;
            self.pos = s.pos;
            return utf8(doc.get(start..self.pos).ok_or_else(json_err)?);
        }
        while matches!(
            self.peek(),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.pos += 1;
        }
        utf8(doc.get(start..self.pos).ok_or_else(json_err)?)
    }

    /// Enters an object or an array: a checked parse refuses nesting
    /// deeper than [`MAX_DEPTH`](super::MAX_DEPTH), as the check does.
    fn open(&mut self) -> Result<(), DeError> {
        if let Some(c) = self.checks.checked() {
            if *c.depth >= super::MAX_DEPTH {
                return Err(DeError(Error::TooLarge));
            }
            *c.depth += 1;
        }
        Ok(())
    }

    /// Skips one value without recursion; a checked parse checks it as
    /// [`check`](super::check) does.
    fn skip(&mut self) -> Result<(), DeError> {
        let (doc, pos) = (self.doc, self.pos);
        if let Some(c) = self.checks.checked() {
            let levels = super::MAX_DEPTH.saturating_sub(*c.depth);
            let (end, need) = super::scan_value(doc, pos, levels)?;
            *c.need += need;
            self.pos = end;
            return Ok(());
        }
        let mut depth = 0usize;
        loop {
            self.ws();
            match self.peek().ok_or_else(json_err)? {
                b'"' => {
                    let _ = self.raw_string()?;
                }
                b'{' | b'[' => {
                    self.pos += 1;
                    depth += 1;
                    continue;
                }
                b'}' | b']' => {
                    self.pos += 1;
                    depth = depth.checked_sub(1).ok_or_else(json_err)?;
                }
                b',' | b':' if depth > 0 => {
                    self.pos += 1;
                    continue;
                }
                _ => {
                    let start = self.pos;
                    while matches!(
                        self.peek(),
                        Some(b'-' | b'+' | b'.' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9')
                    ) {
                        self.pos += 1;
                    }
                    if self.pos == start {
                        return Err(json_err());
                    }
                }
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }
}

/// A member name from its raw contents, read and checked already (see
/// [`CheckedName`]): decoded on the stack for matching, as
/// `Deserializer::name` does.
fn name_from<'de, V: Visitor<'de>>(raw: &'de [u8], visitor: V) -> Result<V::Value, DeError> {
    if !raw.contains(&b'\\') {
        return visitor.visit_borrowed_str(utf8(raw)?);
    }
    let mut tmp = [0u8; NAME_BUF];
    match super::decode_into(raw, &mut tmp) {
        Ok(n) => visitor.visit_str(utf8(tmp.get(..n).ok_or_else(json_err)?)?),
        Err(Error::BufferTooSmall) => visitor.visit_borrowed_str(utf8(raw)?),
        Err(e) => Err(DeError(e)),
    }
}

/// A JSON integer in the range of `i64` (negative) or `u64`.
enum Integer {
    Negative(i64),
    NonNegative(u64),
}

/// `text` as an [`Integer`]; `None` for a fraction, an exponent or an
/// integer out of range. What `str::parse` gives for `i64` (`text` with a
/// `-`) and `u64` (without), in one loop.
fn integer(text: &str) -> Option<Integer> {
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        all => (false, all),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n = 0u64;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    if negative {
        0i64.checked_sub_unsigned(n).map(Integer::Negative)
    } else {
        Some(Integer::NonNegative(n))
    }
}

fn utf8(bytes: &[u8]) -> Result<&str, DeError> {
    core::str::from_utf8(bytes).map_err(|_| json_err())
}

impl<'de, S: Checks> de::Deserializer<'de> for &mut Deserializer<'de, S> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.value::<true, V>(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.ws();
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.ws();
        self.literal(b"null")?;
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.ws();
        self.expect(b'[')?;
        self.open()?;
        let mut elements = Elements {
            de: &mut *self,
            first: true,
            ended: false,
        };
        let value = visitor.visit_seq(&mut elements).map_err(|e| match e {
            // The array ended and the target wanted more (a tuple):
            // too few elements is malformed, not over a limit.
            DeError(Error::TooLarge) if elements.ended => json_err(),
            e => e,
        })?;
        self.ws();
        self.expect(b']')?;
        if let Some(c) = self.checks.checked() {
            *c.depth = c.depth.saturating_sub(1);
        }
        Ok(value)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.ws();
        self.expect(b'{')?;
        self.open()?;
        let names_start = self.checks.checked().map_or(0, |c| c.names.len());
        let value = visitor.visit_map(Members {
            de: &mut *self,
            first: true,
            names_start,
        })?;
        self.ws();
        self.expect(b'}')?;
        if let Some(c) = self.checks.checked() {
            c.names.truncate(names_start);
            *c.depth = c.depth.saturating_sub(1);
        }
        Ok(value)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // Unit variants, written as strings: all fapi reads.
        self.ws();
        if self.checks.checked().is_some() && self.peek() == Some(b'"') {
            // A string value to the check: its escapes count towards the
            // scratch the document needs.
            let mut s = super::Scanner {
                doc: self.doc,
                pos: self.pos,
            };
            let st = s.string()?;
            if let Some(c) = self.checks.checked()
                && st.escaped
            {
                *c.need = c.need.saturating_add(st.decoded);
            }
        }
        if self.peek() == Some(b'"') {
            visitor.visit_enum(UnitVariant(self))
        } else {
            Err(json_err())
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.name(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.skip()?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        f32 f64
    }

    scalars! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf
    }
}

/// `Deserializer` methods for the targets that read no floats, through
/// [`Deserializer::scalar`].
macro_rules! scalars {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                self.scalar(visitor)
            }
        )*
    };
}
use scalars;

/// The members of an object.
struct Members<'d, 'de, S: Checks> {
    de: &'d mut Deserializer<'de, S>,
    first: bool,
    /// Where this object's member names start in the name stack (checked
    /// parse only).
    names_start: usize,
}

impl<'de, S: Checks> MapAccess<'de> for Members<'_, 'de, S> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        self.de.ws();
        match self.de.peek() {
            Some(b'}') => return Ok(None),
            Some(b',') if !self.first => self.de.expect(b',')?,
            Some(b'"') if self.first => {}
            _ => return Err(json_err()),
        }
        self.first = false;
        if self.de.checks.checked().is_none() {
            return seed.deserialize(Name(&mut *self.de)).map(Some);
        }
        // Checked: the name is new in this object, and the object within
        // its member limit, as the check finds them.
        self.de.ws();
        let mut s = super::Scanner {
            doc: self.de.doc,
            pos: self.de.pos,
        };
        let st = s.string()?;
        let end = s.pos.saturating_sub(1);
        if let Some(c) = self.de.checks.checked() {
            super::add_name(self.de.doc, c.names, self.names_start, &st, end)?;
        }
        // The name was read (and checked) once: it is matched from there.
        let raw = self.de.doc.get(st.start..end).ok_or_else(json_err)?;
        self.de.pos = s.pos;
        seed.deserialize(CheckedName(raw)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        self.de.ws();
        self.de.expect(b':')?;
        seed.deserialize(&mut *self.de)
    }
}

/// The elements of an array.
struct Elements<'d, 'de, S: Checks> {
    de: &'d mut Deserializer<'de, S>,
    first: bool,
    /// Whether the target has read the closing bracket's `None`.
    ended: bool,
}

impl<'de, S: Checks> SeqAccess<'de> for Elements<'_, 'de, S> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.de.ws();
        match self.de.peek() {
            Some(b']') => {
                self.ended = true;
                return Ok(None);
            }
            Some(b',') if !self.first => self.de.expect(b',')?,
            Some(_) if self.first => {}
            _ => return Err(json_err()),
        }
        self.first = false;
        seed.deserialize(&mut *self.de).map(Some)
    }
}

/// A member name, read as an identifier whatever the target asks for.
struct Name<'d, 'de, S: Checks>(&'d mut Deserializer<'de, S>);

impl<'de, S: Checks> de::Deserializer<'de> for Name<'_, 'de, S> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.0.name(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// A member name read and checked already (its raw contents).
struct CheckedName<'de>(&'de [u8]);

impl<'de> de::Deserializer<'de> for CheckedName<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        name_from(self.0, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// A unit enum variant written as a string.
struct UnitVariant<'d, 'de, S: Checks>(&'d mut Deserializer<'de, S>);

impl<'de, S: Checks> de::EnumAccess<'de> for UnitVariant<'_, 'de, S> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), DeError> {
        let value = seed.deserialize(Name(&mut *self.0))?;
        Ok((value, self))
    }
}

impl<'de, S: Checks> de::VariantAccess<'de> for UnitVariant<'_, 'de, S> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, DeError> {
        Err(json_err())
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, DeError> {
        Err(json_err())
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DeError> {
        Err(json_err())
    }
}
