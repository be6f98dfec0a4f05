//! Bounded JSON: a strict structural check, typed parsing with
//! `serde-json-core`, and a small writer into caller buffers.
//!
//! `serde-json-core` parses into fixed structs without allocating, but it
//! ignores unknown members, so a second copy of an unknown member would pass
//! unseen. [`check`] therefore walks the whole document first and refuses:
//! duplicate member names at any depth (RFC 7515 §4, RFC 7519 §4),
//! escape sequences left in member names (so that comparing names byte for
//! byte is exact), nesting deeper than [`MAX_DEPTH`], objects with more than
//! [`MAX_MEMBERS`] members, invalid UTF-8, control characters and trailing
//! data. JOSE headers and JWT claims first go through
//! [`normalize_escapes`], which rewrites in place the escapes that stand for
//! printable ASCII (`\/`, `\u003d`, ...), so that what encoders escape
//! differently reads the same. A string value that still holds an escape
//! (non-ASCII, `\"`, `\\`, control characters) is refused by [`parse`]
//! wherever a borrowed `&str` is expected, since it cannot be borrowed
//! unchanged; fapi never compares a value in its escaped form.

use serde::Deserialize;

use crate::error::Error;

/// The deepest nesting of objects and arrays accepted.
pub const MAX_DEPTH: usize = 12;
/// The most members one object may have.
pub const MAX_MEMBERS: usize = 64;
/// The largest JSON document accepted (bytes).
pub const MAX_DOCUMENT: usize = 16 * 1024;

/// Checks that `doc` is one well-formed JSON object within the limits above,
/// with no duplicate member names at any depth.
pub fn check(doc: &[u8]) -> Result<(), Error> {
    if doc.len() > MAX_DOCUMENT {
        return Err(Error::TooLarge);
    }
    if core::str::from_utf8(doc).is_err() {
        return Err(Error::Json);
    }
    let mut p = Scanner { doc, pos: 0 };
    p.ws();
    if p.peek() != Some(b'{') {
        return Err(Error::Json);
    }
    p.value(0)?;
    p.ws();
    if p.pos != doc.len() {
        return Err(Error::Json);
    }
    Ok(())
}

/// Rewrites, in place, the string escapes that stand for a printable ASCII
/// character other than `"` and `\\` (`\/` and `\u0020`–`\u007e`) as that
/// character, and returns the new length. Other escapes (`\"`, `\\`,
/// control characters, non-ASCII `\uXXXX`) and malformed input are left as
/// they are, for [`check`] and [`parse`] to judge.
///
/// The result is the same JSON value, so a signature checked over the
/// original bytes still covers it. Encoders differ in what they escape (PHP
/// writes `https:\/\/...`, Gson writes `\u003d` for `=`); after this step
/// such values borrow like any other.
pub fn normalize_escapes(buf: &mut [u8]) -> usize {
    let len = buf.len();
    let (mut r, mut w) = (0usize, 0usize);
    let mut in_string = false;
    // `w <= r < len` throughout: every index below is in bounds and every
    // addition stays under `len + 6`.
    while let Some(&c) = buf.get(r) {
        let (out, consumed): (Option<u8>, usize) = match (in_string, c) {
            (false, b'"') => {
                in_string = true;
                (Some(c), 1)
            }
            (true, b'"') => {
                in_string = false;
                (Some(c), 1)
            }
            (true, b'\\') => match buf.get(r.saturating_add(1)) {
                Some(b'/') => (Some(b'/'), 2),
                Some(b'u') => match buf
                    .get(r.saturating_add(2)..r.saturating_add(6))
                    .and_then(hex4)
                {
                    Some(v @ 0x20..=0x7e) if v != u16::from(b'"') && v != u16::from(b'\\') => {
                        (u8::try_from(v).ok(), 6)
                    }
                    _ => (None, 2),
                },
                // `\\`, `\"` and the rest: kept as a pair, so that the
                // second byte is never read as the start of an escape.
                Some(_) => (None, 2),
                None => (None, 1),
            },
            _ => (None, 1),
        };
        match out {
            Some(b) => {
                if let Some(slot) = buf.get_mut(w) {
                    *slot = b;
                }
                w = w.saturating_add(1);
            }
            None => {
                let end = r.saturating_add(consumed).min(len);
                buf.copy_within(r..end, w);
                w = w.saturating_add(end.saturating_sub(r));
            }
        }
        r = r.saturating_add(consumed);
    }
    w
}

fn hex4(digits: &[u8]) -> Option<u16> {
    let s = core::str::from_utf8(digits).ok()?;
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(s, 16).ok()
}

/// Parses `doc` into `T` after [`check`]; every failure is [`Error::Json`],
/// [`Error::DuplicateMember`] or [`Error::TooLarge`].
pub fn parse<'a, T: Deserialize<'a>>(doc: &'a [u8]) -> Result<T, Error> {
    check(doc)?;
    // The scratch buffer makes serde-json-core unescape strings instead of
    // handing their raw escaped form to borrowed fields (which then fail).
    let mut scratch = [0u8; 64];
    match serde_json_core::from_slice_escaped::<T>(doc, &mut scratch) {
        Ok((value, used)) if used == doc.len() => Ok(value),
        Ok(_) => Err(Error::Json),
        Err(serde_json_core::de::Error::CustomError) => Err(Error::Json),
        Err(_) => Err(Error::Json),
    }
}

struct Scanner<'a> {
    doc: &'a [u8],
    pos: usize,
}

// `pos` only grows by one past a byte that exists, so it never exceeds the
// document's length (at most MAX_DOCUMENT): its additions cannot overflow.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "pos <= doc.len() <= MAX_DOCUMENT"
)]
impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.doc.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn expect(&mut self, c: u8) -> Result<(), Error> {
        if self.bump() == Some(c) {
            Ok(())
        } else {
            Err(Error::Json)
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), Error> {
        self.ws();
        match self.peek().ok_or(Error::Json)? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b'"' => self.string(false).map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(Error::Json),
        }
    }

    fn literal(&mut self, lit: &[u8]) -> Result<(), Error> {
        let end = self.pos.checked_add(lit.len()).ok_or(Error::Json)?;
        if self.doc.get(self.pos..end) == Some(lit) {
            self.pos = end;
            Ok(())
        } else {
            Err(Error::Json)
        }
    }

    fn digits(&mut self) -> Result<(), Error> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        if self.pos == start {
            Err(Error::Json)
        } else {
            Ok(())
        }
    }

    fn number(&mut self) -> Result<(), Error> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else {
            self.digits()?;
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.digits()?;
        }
        Ok(())
    }

    /// Scans a string; returns the span of its contents. With `name`, escape
    /// sequences are refused.
    fn string(&mut self, name: bool) -> Result<(usize, usize), Error> {
        self.expect(b'"')?;
        let start = self.pos;
        loop {
            match self.bump().ok_or(Error::Json)? {
                b'"' => return Ok((start, self.pos - 1)),
                b'\\' if name => return Err(Error::Json),
                b'\\' => match self.bump().ok_or(Error::Json)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                    b'u' => {
                        for _ in 0..4 {
                            if !self.bump().ok_or(Error::Json)?.is_ascii_hexdigit() {
                                return Err(Error::Json);
                            }
                        }
                    }
                    _ => return Err(Error::Json),
                },
                0x00..=0x1f => return Err(Error::Json),
                _ => {}
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Error::TooLarge);
        }
        self.expect(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.value(depth)?;
            self.ws();
            match self.bump().ok_or(Error::Json)? {
                b',' => {}
                b']' => return Ok(()),
                _ => return Err(Error::Json),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Error::TooLarge);
        }
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        let mut names = [(0usize, 0usize); MAX_MEMBERS];
        let mut count = 0usize;
        loop {
            self.ws();
            let (start, end) = self.string(true)?;
            let name = self.doc.get(start..end);
            let seen = names.get(..count).unwrap_or(&[]);
            if seen.iter().any(|&(s, e)| self.doc.get(s..e) == name) {
                return Err(Error::DuplicateMember);
            }
            *names.get_mut(count).ok_or(Error::TooLarge)? = (start, end);
            count += 1;
            self.ws();
            self.expect(b':')?;
            self.value(depth)?;
            self.ws();
            match self.bump().ok_or(Error::Json)? {
                b',' => {}
                b'}' => return Ok(()),
                _ => return Err(Error::Json),
            }
        }
    }
}

/// Writes JSON into a caller buffer, escaping strings. What it writes is
/// often a token's claims or a token response: its `Debug` shows the
/// length written and the capacity, never the bytes.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl core::fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Writer")
            .field("len", &self.len)
            .field("capacity", &self.buf.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Writer<'a> {
    /// A writer at the start of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// Appends bytes as they are.
    pub fn raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
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

    /// Appends `s` as a quoted, escaped JSON string.
    pub fn string(&mut self, s: &str) -> Result<(), Error> {
        self.raw(b"\"")?;
        // Most strings (key ids, types, names) need no escaping: copy them
        // in one go.
        if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            self.raw(s.as_bytes())?;
            return self.raw(b"\"");
        }
        for c in s.chars() {
            match c {
                '"' => self.raw(b"\\\"")?,
                '\\' => self.raw(b"\\\\")?,
                '\n' => self.raw(b"\\n")?,
                '\r' => self.raw(b"\\r")?,
                '\t' => self.raw(b"\\t")?,
                c if (c as u32) < 0x20 => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    let v = u8::try_from(c).unwrap_or(0);
                    let hi = HEX.get(usize::from(v >> 4)).copied().unwrap_or(b'0');
                    let lo = HEX.get(usize::from(v & 15)).copied().unwrap_or(b'0');
                    self.raw(&[b'\\', b'u', b'0', b'0', hi, lo])?
                }
                c => {
                    let mut tmp = [0u8; 4];
                    self.raw(c.encode_utf8(&mut tmp).as_bytes())?
                }
            };
        }
        self.raw(b"\"")
    }

    /// Appends `bytes` as a quoted base64url string.
    pub fn b64(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.raw(b"\"")?;
        let end = self
            .len
            .checked_add(crate::b64::encoded_len(bytes.len()))
            .ok_or(Error::BufferTooSmall)?;
        let dst = self
            .buf
            .get_mut(self.len..end)
            .ok_or(Error::BufferTooSmall)?;
        let _ = crate::b64::encode(bytes, dst)?;
        self.len = end;
        self.raw(b"\"")
    }

    /// Appends an unsigned integer.
    pub fn uint(&mut self, n: u64) -> Result<(), Error> {
        let mut digits = [0u8; 20];
        let mut rest = n;
        let mut start = digits.len();
        for slot in digits.iter_mut().rev() {
            // rest % 10 < 10, so the digit fits and the addition cannot overflow.
            *slot = b'0'.saturating_add(u8::try_from(rest % 10).unwrap_or(0));
            rest /= 10;
            start = start.saturating_sub(1);
            if rest == 0 {
                break;
            }
        }
        self.raw(digits.get(start..).unwrap_or(&[]))
    }

    /// Appends `"name":` (the name is written as given: callers pass
    /// literal member names).
    pub fn key(&mut self, name: &str) -> Result<(), Error> {
        self.string(name)?;
        self.raw(b":")
    }

    /// The bytes written so far.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// The number of bytes written.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_well_formed_objects() {
        for ok in [
            &b"{}"[..],
            b" {\"a\":1,\"b\":[1,2,{\"a\":true}],\"c\":{\"a\":null}} ",
            b"{\"n\":-0.5e+10,\"s\":\"x\\u0041\\n\"}",
        ] {
            assert_eq!(check(ok), Ok(()), "{}", core::str::from_utf8(ok).unwrap());
        }
    }

    #[test]
    fn refuses_duplicate_members_at_any_depth() {
        assert_eq!(
            check(b"{\"alg\":\"ES256\",\"alg\":\"none\"}"),
            Err(Error::DuplicateMember)
        );
        assert_eq!(
            check(b"{\"x\":1,\"j\":{\"k\":1,\"k\":2}}"),
            Err(Error::DuplicateMember)
        );
        assert_eq!(
            check(b"{\"a\":[{\"u\":1,\"u\":1}]}"),
            Err(Error::DuplicateMember)
        );
        // the same name twice in different objects is fine
        assert_eq!(check(b"{\"a\":{\"k\":1},\"b\":{\"k\":1}}"), Ok(()));
    }

    #[test]
    fn refuses_malformed_json() {
        for bad in [
            &b""[..],
            b"[]",
            b"\"x\"",
            b"{",
            b"{\"a\":}",
            b"{\"a\":1,}",
            b"{\"a\" 1}",
            b"{'a':1}",
            b"{\"a\":01}",
            b"{\"a\":1.}",
            b"{\"a\":tru}",
            b"{\"a\":\"\x01\"}",
            b"{\"a\":\"\\x\"}",
            b"{\"a\\u0041\":1}",
            b"{\"a\":1}{}",
            b"{\"a\":1} x",
            b"{\"a\":\"\xff\"}",
        ] {
            assert!(check(bad).is_err(), "{:?}", bad);
        }
    }

    #[test]
    fn refuses_oversized_and_deep_json() {
        let mut doc = heapless::Vec::<u8, 256>::new();
        for _ in 0..(MAX_DEPTH + 1) {
            doc.extend_from_slice(b"{\"a\":").unwrap();
        }
        doc.extend_from_slice(b"1").unwrap();
        for _ in 0..(MAX_DEPTH + 1) {
            doc.push(b'}').unwrap();
        }
        assert_eq!(check(&doc), Err(Error::TooLarge));
        let big = [b' '; MAX_DOCUMENT + 1];
        assert_eq!(check(&big), Err(Error::TooLarge));
    }

    #[test]
    fn refuses_too_many_members() {
        let mut doc = heapless::Vec::<u8, 2048>::new();
        doc.push(b'{').unwrap();
        for i in 0..=MAX_MEMBERS {
            if i > 0 {
                doc.push(b',').unwrap();
            }
            let mut w = [0u8; 16];
            let mut wr = Writer::new(&mut w);
            wr.raw(b"\"k").unwrap();
            wr.uint(i as u64).unwrap();
            wr.raw(b"\":0").unwrap();
            let n = wr.len();
            doc.extend_from_slice(&w[..n]).unwrap();
        }
        doc.push(b'}').unwrap();
        assert_eq!(check(&doc), Err(Error::TooLarge));
    }

    #[test]
    fn parse_refuses_escaped_borrowed_values() {
        #[derive(serde::Deserialize)]
        struct H<'a> {
            alg: &'a str,
        }
        let h: H<'_> = parse(b"{\"alg\":\"ES256\"}").unwrap();
        assert_eq!(h.alg, "ES256");
        assert!(parse::<H<'_>>(b"{\"alg\":\"ES\\u0032256\"}").is_err());
        assert!(parse::<H<'_>>(b"{\"alg\":5}").is_err());
    }

    #[test]
    fn normalize_rewrites_only_harmless_escapes() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"htu":"https:\/\/a.example\/t"}"#,
                r#"{"htu":"https://a.example/t"}"#,
            ),
            (r#"{"\u0061lg":"ES\u0032\u00356"}"#, r#"{"alg":"ES256"}"#),
            (r#"{"k":"a\u003db"}"#, r#"{"k":"a=b"}"#),
            // kept: quote, backslash, controls, non-ASCII, surrogates
            (
                r#"{"k":"\u0022\u005c\u000a\u00e9\ud83d\ude00"}"#,
                r#"{"k":"\u0022\u005c\u000a\u00e9\ud83d\ude00"}"#,
            ),
            // an escaped backslash followed by a slash is two characters
            (r#"{"k":"\\/"}"#, r#"{"k":"\\/"}"#),
            (r#"{"k":"\\\/"}"#, r#"{"k":"\\/"}"#),
            (r#"{"k":"\"\/"}"#, r#"{"k":"\"/"}"#),
            // outside strings nothing changes; malformed escapes are kept
            (r#"{"k":1}\/"#, r#"{"k":1}\/"#),
            (r#"{"k":"\u00"}"#, r#"{"k":"\u00"}"#),
            (r#"{"k":"\"#, r#"{"k":"\"#),
        ];
        for (input, want) in cases {
            let mut buf = input.as_bytes().to_vec();
            let n = normalize_escapes(&mut buf);
            assert_eq!(core::str::from_utf8(&buf[..n]).unwrap(), *want, "{input}");
            // The same value as a standard parser reads it.
            if let (Ok(a), Ok(b)) = (
                serde_json::from_str::<serde_json::Value>(input),
                serde_json::from_slice::<serde_json::Value>(&buf[..n]),
            ) {
                assert_eq!(a, b, "{input}");
            }
        }
    }

    #[test]
    fn writer_escapes() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        w.raw(b"{").unwrap();
        w.key("k").unwrap();
        w.string("a\"b\\c\u{1}").unwrap();
        w.raw(b",\"n\":").unwrap();
        w.uint(1234567890).unwrap();
        w.raw(b"}").unwrap();
        let v: serde_json::Value = serde_json::from_slice(w.as_bytes()).unwrap();
        assert_eq!(v["k"], "a\"b\\c\u{1}");
        assert_eq!(v["n"], 1234567890);
        let mut small = [0u8; 2];
        assert_eq!(
            Writer::new(&mut small).string("abc").err(),
            Some(Error::BufferTooSmall)
        );
    }
}
