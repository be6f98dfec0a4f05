//! Strict RFC 8941 structured fields: the dictionaries, inner lists,
//! parameters and bare items that `Signature-Input`, `Signature`
//! (RFC 9421 §4) and `Content-Digest` (RFC 9530 §2) are made of.
//!
//! Parsing borrows from the field value and never allocates. It is strict:
//!
//! - every syntax error of RFC 8941 §4.2 is [`Error::StructuredField`];
//! - a dictionary key or a parameter key named twice is
//!   [`Error::DuplicateLabel`] (RFC 8941 §3.2 would keep the last one;
//!   RFC 9421 §4.1 wants labels unique, and a repeated key is never
//!   honest in these fields);
//! - byte sequences must be canonical padded base64 (RFC 8941 §3.3.5; the
//!   leniency of §4.2.7 is not offered);
//! - a field longer than [`MAX_FIELD_LEN`], more than [`MAX_MEMBERS`]
//!   members, [`MAX_PARAMS`] parameters or [`MAX_INNER_ITEMS`] items is
//!   [`Error::TooLarge`].
//!
//! Parsed values keep the text they came from, validated; they re-parse it
//! when iterated, which cannot fail again. [`Writer`] serializes them back
//! in the canonical form of RFC 8941 §4.1, which is what RFC 9421 signs.

use base64ct::{Base64, Encoding};

use crate::error::Error;

/// The longest field value parsed.
pub const MAX_FIELD_LEN: usize = 8192;
/// The most members a dictionary may have.
pub const MAX_MEMBERS: usize = 16;
/// The most parameters an item or inner list may have.
pub const MAX_PARAMS: usize = 16;
/// The most items an inner list may have.
pub const MAX_INNER_ITEMS: usize = 32;

/// The largest integer RFC 8941 §3.3.1 allows (15 digits).
const MAX_INTEGER: i64 = 999_999_999_999_999;

/// An `sf-string`, as written between its quotes: its escapes (`\"`,
/// `\\`) are kept, which is also its canonical serialization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SfString<'a>(&'a str);

impl<'a> SfString<'a> {
    /// The text between the quotes, escapes included.
    #[must_use]
    pub fn raw(&self) -> &'a str {
        self.0
    }

    /// The string itself when it has no escapes: [`Error::EscapedValue`]
    /// otherwise (a key id or a component name written with escapes).
    pub fn plain(&self) -> Result<&'a str, Error> {
        if self.0.contains('\\') {
            Err(Error::EscapedValue)
        } else {
            Ok(self.0)
        }
    }

    /// Whether the string, unescaped, is `s`.
    #[must_use]
    pub fn eq_str(&self, s: &str) -> bool {
        let mut expected = s.bytes();
        let mut raw = self.0.bytes();
        loop {
            let c = match raw.next() {
                Some(b'\\') => raw.next(),
                other => other,
            };
            match (c, expected.next()) {
                (None, None) => return true,
                (Some(a), Some(b)) if a == b => {}
                _ => return false,
            }
        }
    }
}

/// An RFC 8941 bare item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BareItem<'a> {
    /// An integer (§3.3.1).
    Integer(i64),
    /// A decimal (§3.3.2), in thousandths.
    Decimal(i64),
    /// A string (§3.3.3).
    String(SfString<'a>),
    /// A token (§3.3.4).
    Token(&'a str),
    /// A byte sequence (§3.3.5): its canonical base64, without the colons.
    ByteSeq(&'a str),
    /// A boolean (§3.3.6).
    Boolean(bool),
}

impl<'a> BareItem<'a> {
    /// The string, when this is one.
    #[must_use]
    pub fn as_string(&self) -> Option<SfString<'a>> {
        match self {
            Self::String(s) => Some(*s),
            _ => None,
        }
    }
}

/// Validated parameters (§3.1.2), as written (from the first `;`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Params<'a>(&'a str);

impl<'a> Params<'a> {
    /// The parameters in order.
    #[must_use]
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter(Cursor::new(self.0))
    }

    /// The value of parameter `key`, if present.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<BareItem<'a>> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The parameters of a [`Params`], in order.
#[derive(Debug)]
pub struct ParamIter<'a>(Cursor<'a>);

impl<'a> Iterator for ParamIter<'a> {
    type Item = (&'a str, BareItem<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        if !self.0.eat(b';') {
            return None;
        }
        self.0.skip_sp();
        param_after_semicolon(&mut self.0).ok()
    }
}

/// A validated inner list (§3.1.1): the text between its parentheses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InnerList<'a>(&'a str);

impl<'a> InnerList<'a> {
    /// The items and their parameters, in order.
    #[must_use]
    pub fn iter(&self) -> InnerIter<'a> {
        InnerIter(Cursor::new(self.0))
    }
}

/// The items of an [`InnerList`].
#[derive(Debug)]
pub struct InnerIter<'a>(Cursor<'a>);

impl<'a> Iterator for InnerIter<'a> {
    type Item = (BareItem<'a>, Params<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.skip_sp();
        if self.0.at_end() {
            return None;
        }
        let item = bare_item(&mut self.0).ok()?;
        let params = params(&mut self.0).ok()?;
        Some((item, params))
    }
}

/// A dictionary member's value (§3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member<'a> {
    /// An item with its parameters.
    Item(BareItem<'a>, Params<'a>),
    /// An inner list with its parameters.
    InnerList(InnerList<'a>, Params<'a>),
}

/// A validated dictionary (§3.2): unique keys, at most [`MAX_MEMBERS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dictionary<'a>(&'a str);

impl<'a> Dictionary<'a> {
    /// Parses a dictionary field value strictly (see the module docs).
    /// Leading and trailing spaces are discarded (§4.2); an empty value is
    /// an empty dictionary.
    pub fn parse(field: &'a str) -> Result<Self, Error> {
        if field.len() > MAX_FIELD_LEN {
            return Err(Error::TooLarge);
        }
        let field = field.trim_matches(' ');
        let mut c = Cursor::new(field);
        let mut keys: heapless::Vec<&str, MAX_MEMBERS> = heapless::Vec::new();
        while !c.at_end() {
            let (key, _) = member(&mut c)?;
            if keys.contains(&key) {
                return Err(Error::DuplicateLabel);
            }
            keys.push(key).map_err(|_| Error::TooLarge)?;
            c.skip_ows();
            if c.at_end() {
                break;
            }
            if !c.eat(b',') {
                return Err(Error::StructuredField);
            }
            c.skip_ows();
            if c.at_end() {
                // A trailing comma.
                return Err(Error::StructuredField);
            }
        }
        Ok(Self(field))
    }

    /// The members in order.
    #[must_use]
    pub fn iter(&self) -> DictIter<'a> {
        DictIter(Cursor::new(self.0))
    }

    /// The member named `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<Member<'a>> {
        self.iter().find(|(k, _)| *k == key).map(|(_, m)| m)
    }

    /// Whether it has no members.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The members of a [`Dictionary`].
#[derive(Debug)]
pub struct DictIter<'a>(Cursor<'a>);

impl<'a> Iterator for DictIter<'a> {
    type Item = (&'a str, Member<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.skip_ows();
        let _ = self.0.eat(b',');
        self.0.skip_ows();
        if self.0.at_end() {
            return None;
        }
        member(&mut self.0).ok()
    }
}

#[derive(Clone, Debug)]
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Self { s, pos: 0 }
    }
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
    fn bump(&mut self) {
        self.pos = self.pos.saturating_add(1);
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.bump();
            true
        } else {
            false
        }
    }
    fn skip_sp(&mut self) {
        while self.eat(b' ') {}
    }
    fn skip_ows(&mut self) {
        while self.eat(b' ') || self.eat(b'\t') {}
    }
    fn since(&self, start: usize) -> Result<&'a str, Error> {
        self.s.get(start..self.pos).ok_or(Error::StructuredField)
    }
    fn take_while(&mut self, f: impl Fn(u8) -> bool) {
        while self.peek().is_some_and(&f) {
            self.bump();
        }
    }
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.' | b'*')
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn key<'a>(c: &mut Cursor<'a>) -> Result<&'a str, Error> {
    let start = c.pos;
    match c.peek() {
        Some(b) if b.is_ascii_lowercase() || b == b'*' => c.bump(),
        _ => return Err(Error::StructuredField),
    }
    c.take_while(is_key_char);
    c.since(start)
}

fn member<'a>(c: &mut Cursor<'a>) -> Result<(&'a str, Member<'a>), Error> {
    let k = key(c)?;
    let m = if c.eat(b'=') {
        if c.peek() == Some(b'(') {
            let list = inner_list(c)?;
            Member::InnerList(list, params(c)?)
        } else {
            let item = bare_item(c)?;
            Member::Item(item, params(c)?)
        }
    } else {
        Member::Item(BareItem::Boolean(true), params(c)?)
    };
    Ok((k, m))
}

fn inner_list<'a>(c: &mut Cursor<'a>) -> Result<InnerList<'a>, Error> {
    if !c.eat(b'(') {
        return Err(Error::StructuredField);
    }
    let start = c.pos;
    let mut count = 0usize;
    loop {
        c.skip_sp();
        if c.peek() == Some(b')') {
            let list = InnerList(c.since(start)?);
            c.bump();
            return Ok(list);
        }
        let _ = bare_item(c)?;
        let _ = params(c)?;
        count = count.saturating_add(1);
        if count > MAX_INNER_ITEMS {
            return Err(Error::TooLarge);
        }
        match c.peek() {
            Some(b' ' | b')') => {}
            _ => return Err(Error::StructuredField),
        }
    }
}

fn params<'a>(c: &mut Cursor<'a>) -> Result<Params<'a>, Error> {
    let start = c.pos;
    let mut keys: heapless::Vec<&str, MAX_PARAMS> = heapless::Vec::new();
    while c.eat(b';') {
        c.skip_sp();
        let (k, _) = param_after_semicolon(c)?;
        if keys.contains(&k) {
            return Err(Error::DuplicateLabel);
        }
        keys.push(k).map_err(|_| Error::TooLarge)?;
    }
    Ok(Params(c.since(start)?))
}

fn param_after_semicolon<'a>(c: &mut Cursor<'a>) -> Result<(&'a str, BareItem<'a>), Error> {
    let k = key(c)?;
    let v = if c.eat(b'=') {
        bare_item(c)?
    } else {
        BareItem::Boolean(true)
    };
    Ok((k, v))
}

fn bare_item<'a>(c: &mut Cursor<'a>) -> Result<BareItem<'a>, Error> {
    match c.peek() {
        Some(b'-' | b'0'..=b'9') => number(c),
        Some(b'"') => string(c),
        Some(b':') => byte_seq(c),
        Some(b'?') => {
            c.bump();
            let v = match c.peek() {
                Some(b'0') => false,
                Some(b'1') => true,
                _ => return Err(Error::StructuredField),
            };
            c.bump();
            Ok(BareItem::Boolean(v))
        }
        Some(b) if b.is_ascii_alphabetic() || b == b'*' => {
            let start = c.pos;
            c.bump();
            c.take_while(|b| is_tchar(b) || b == b':' || b == b'/');
            Ok(BareItem::Token(c.since(start)?))
        }
        _ => Err(Error::StructuredField),
    }
}

fn digits(c: &mut Cursor<'_>, max: usize) -> Result<(i64, usize), Error> {
    let mut v: i64 = 0;
    let mut n = 0usize;
    while let Some(d @ b'0'..=b'9') = c.peek() {
        n = n.saturating_add(1);
        if n > max {
            return Err(Error::StructuredField);
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(d.wrapping_sub(b'0'))))
            .ok_or(Error::StructuredField)?;
        c.bump();
    }
    if n == 0 {
        return Err(Error::StructuredField);
    }
    Ok((v, n))
}

fn number<'a>(c: &mut Cursor<'a>) -> Result<BareItem<'a>, Error> {
    let negative = c.eat(b'-');
    let (int, _) = digits(c, 15)?;
    let item = if c.eat(b'.') {
        if int > 999_999_999_999 {
            return Err(Error::StructuredField);
        }
        let (frac, n) = digits(c, 3)?;
        let scale = match n {
            1 => 100,
            2 => 10,
            _ => 1,
        };
        let v = int
            .checked_mul(1000)
            .and_then(|v| v.checked_add(frac.checked_mul(scale)?))
            .ok_or(Error::StructuredField)?;
        BareItem::Decimal(if negative { v.wrapping_neg() } else { v })
    } else {
        if int > MAX_INTEGER {
            return Err(Error::StructuredField);
        }
        BareItem::Integer(if negative { int.wrapping_neg() } else { int })
    };
    Ok(item)
}

fn string<'a>(c: &mut Cursor<'a>) -> Result<BareItem<'a>, Error> {
    c.bump();
    let start = c.pos;
    loop {
        match c.peek() {
            Some(b'\\') => {
                c.bump();
                match c.peek() {
                    Some(b'"' | b'\\') => c.bump(),
                    _ => return Err(Error::StructuredField),
                }
            }
            Some(b'"') => {
                let s = c.since(start)?;
                c.bump();
                return Ok(BareItem::String(SfString(s)));
            }
            Some(0x20..=0x7e) => c.bump(),
            _ => return Err(Error::StructuredField),
        }
    }
}

fn byte_seq<'a>(c: &mut Cursor<'a>) -> Result<BareItem<'a>, Error> {
    c.bump();
    let start = c.pos;
    c.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    let text = c.since(start)?;
    if !c.eat(b':') {
        return Err(Error::StructuredField);
    }
    // Canonical padded base64, checked four characters at a time: padding
    // only in the last group, no non-zero trailing bits.
    if text.len() % 4 != 0 {
        return Err(Error::StructuredField);
    }
    let mut scratch = [0u8; 3];
    for chunk in text.as_bytes().chunks(4) {
        let _ = Base64::decode(chunk, &mut scratch).map_err(|_| Error::StructuredField)?;
    }
    if let Some(i) = text.find('=') {
        // `=` only at the very end (one or two).
        if !text.get(i..).is_some_and(|t| t.bytes().all(|b| b == b'=')) {
            return Err(Error::StructuredField);
        }
    }
    Ok(BareItem::ByteSeq(text))
}

/// Writes canonical RFC 8941 serializations (§4.1) into a caller buffer.
#[derive(Debug)]
pub struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Writer<'b> {
    /// A writer at the start of `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// Bytes written so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// What was written.
    #[must_use]
    pub fn written(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Appends raw bytes: [`Error::BufferTooSmall`] when they do not fit.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self
            .len
            .checked_add(bytes.len())
            .ok_or(Error::BufferTooSmall)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(Error::BufferTooSmall)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    /// Appends an integer in decimal.
    pub fn integer(&mut self, v: i64) -> Result<(), Error> {
        if v < 0 {
            self.push(b"-")?;
        }
        let mut u = v.unsigned_abs();
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i = i.saturating_sub(1);
            let d = u8::try_from(u % 10).map_err(|_| Error::StructuredField)?;
            if let Some(slot) = digits.get_mut(i) {
                *slot = b'0'.wrapping_add(d);
            }
            u /= 10;
            if u == 0 || i == 0 {
                break;
            }
        }
        self.push(digits.get(i..).unwrap_or_default())
    }

    /// Appends a bare item.
    pub fn bare_item(&mut self, item: &BareItem<'_>) -> Result<(), Error> {
        match item {
            BareItem::Integer(v) => self.integer(*v),
            BareItem::Decimal(v) => {
                if *v < 0 {
                    self.push(b"-")?;
                }
                let u = v.unsigned_abs();
                self.integer(i64::try_from(u / 1000).map_err(|_| Error::StructuredField)?)?;
                self.push(b".")?;
                let frac = u % 1000;
                let (d, n) = match frac {
                    f if f % 100 == 0 => (f / 100, 1),
                    f if f % 10 == 0 => (f / 10, 2),
                    f => (f, 3),
                };
                let mut text = [b'0'; 3];
                let mut d = d;
                for slot in text.iter_mut().take(n).rev() {
                    *slot = b'0'.wrapping_add(u8::try_from(d % 10).unwrap_or(0));
                    d /= 10;
                }
                self.push(text.get(..n).unwrap_or_default())
            }
            BareItem::String(s) => {
                self.push(b"\"")?;
                self.push(s.raw().as_bytes())?;
                self.push(b"\"")
            }
            BareItem::Token(t) => self.push(t.as_bytes()),
            BareItem::ByteSeq(b) => {
                self.push(b":")?;
                self.push(b.as_bytes())?;
                self.push(b":")
            }
            BareItem::Boolean(true) => self.push(b"?1"),
            BareItem::Boolean(false) => self.push(b"?0"),
        }
    }

    /// Appends parameters: `;key` for a true boolean, `;key=value`
    /// otherwise.
    pub fn params(&mut self, params: &Params<'_>) -> Result<(), Error> {
        for (k, v) in params.iter() {
            self.push(b";")?;
            self.push(k.as_bytes())?;
            if v != BareItem::Boolean(true) {
                self.push(b"=")?;
                self.bare_item(&v)?;
            }
        }
        Ok(())
    }

    /// Appends an inner list, without its own parameters.
    pub fn inner_list(&mut self, list: &InnerList<'_>) -> Result<(), Error> {
        self.push(b"(")?;
        for (i, (item, params)) in list.iter().enumerate() {
            if i > 0 {
                self.push(b" ")?;
            }
            self.bare_item(&item)?;
            self.params(&params)?;
        }
        self.push(b")")
    }

    /// Appends a dictionary member's value with its parameters.
    pub fn member(&mut self, m: &Member<'_>) -> Result<(), Error> {
        match m {
            Member::Item(item, params) => {
                self.bare_item(item)?;
                self.params(params)
            }
            Member::InnerList(list, params) => {
                self.inner_list(list)?;
                self.params(params)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8941_dictionary_round_trip() {
        let d = Dictionary::parse(r#"a=(  "x";p  "y" );k=1.50, b=:AQID:, c, d=?0;q="\"""#).unwrap();
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        for (k, m) in d.iter() {
            w.push(k.as_bytes()).unwrap();
            w.push(b"=").unwrap();
            w.member(&m).unwrap();
            w.push(b"|").unwrap();
        }
        assert_eq!(
            core::str::from_utf8(w.written()).unwrap(),
            r#"a=("x";p "y");k=1.5|b=:AQID:|c=?1|d=?0;q="\""|"#
        );
    }

    #[test]
    fn rfc8941_strict_refusals() {
        for bad in [
            "a=1,",
            "a=(1",
            "A=1",
            "a=:AQI:",
            "a=:AQJ=:",
            "a=1,a=2",
            "a=1;p;p",
            "a=\"\\x\"",
            "a=1234567890123456",
            "a=1.2345",
            "a=?2",
            "a=(1 2)x",
        ] {
            assert!(Dictionary::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Dictionary::parse("a=1,a=2"), Err(Error::DuplicateLabel));
    }
}
