//! Bounded JSON: a strict structural check, typed parsing into borrowed
//! structs, and a small writer into caller buffers.
//!
//! [`check`] walks the whole document first and refuses: duplicate member
//! names at any depth (RFC 7515 §4, RFC 7519 §4), compared by the names
//! they stand for, so that `"\u0061lg"` is a second `alg`; nesting deeper
//! than [`MAX_DEPTH`]; objects with more than [`MAX_MEMBERS`] members;
//! documents over [`MAX_DOCUMENT`] bytes; invalid UTF-8, raw control
//! characters, lone UTF-16 surrogates in `\u` escapes, and trailing data.
//! The walk is iterative: its stack is fixed (about 4 KiB) whatever the
//! depth of the document.
//!
//! [`parse`] and [`parse_in`] then read the document into a typed struct.
//! Every valid JSON string is readable (RFC 8259 §7: any character may be
//! escaped): a string without escapes is borrowed from the document; one
//! with escapes (`"a\/b"`, as PHP writes; `"caf\u00e9"`; a surrogate pair;
//! `"a\"b"`) is decoded into the caller's scratch buffer and borrowed from
//! there. [`scratch_len`] says how much scratch a document needs (never
//! more than its own length). Member names are decoded for matching and
//! need no scratch.
//!
//! JOSE headers and JWT claims, which fapi decodes into a buffer of its
//! own, first go through [`normalize_escapes`], which rewrites in place the
//! escapes that stand for a character JSON allows unescaped, so that the
//! common cases need no scratch at all.
//!
//! `serde-json-core` was used before; it cannot hand a decoded string to a
//! borrowed field, does not decode surrogate pairs, and recurses once per
//! level of an ignored value, which is why fapi reads JSON with its own
//! small deserializer (`json/de.rs`).

use serde::Deserialize;

use crate::error::Error;

mod de;

/// The deepest nesting of objects and arrays accepted (the top-level object
/// is level 1). Rich authorization requests (RFC 9396
/// `authorization_details`) and real claim sets nest a handful of levels;
/// 32 leaves room for them. Neither [`check`] nor the typed parser uses more
/// stack for a deeper document.
pub const MAX_DEPTH: usize = 32;
/// The most members one object may have.
pub const MAX_MEMBERS: usize = 64;
/// The largest JSON document accepted (bytes).
pub const MAX_DOCUMENT: usize = 16 * 1024;

/// Room for the member names of every object open at one time: at most
/// [`MAX_MEMBERS`] in each of at most [`MAX_DEPTH`] objects.
const OPEN_NAMES: usize = MAX_DEPTH * MAX_MEMBERS;

/// The top bit of a name's entry in the scan's name stack: the name holds
/// an escape. The start offsets are below [`MAX_DOCUMENT`], so the bit is
/// free.
const ESCAPED_NAME: u16 = 0x8000;
const _: () = assert!(MAX_DOCUMENT < ESCAPED_NAME as usize);

/// Checks that `doc` is one well-formed JSON object within the limits above,
/// with no duplicate member names at any depth.
///
/// ```
/// use fapi_core::{json, Error};
/// assert_eq!(json::check(br#"{"kid":"a\/b","n":[1,{"x":null}]}"#), Ok(()));
/// // The same member twice, once escaped.
/// assert_eq!(json::check(br#"{"alg":"ES256","\u0061lg":"none"}"#), Err(Error::DuplicateMember));
/// assert_eq!(json::check(b"[1]"), Err(Error::Json));
/// ```
pub fn check(doc: &[u8]) -> Result<(), Error> {
    scan(doc).map(|_| ())
}

/// The scratch space [`parse_in`] needs for `doc`: the decoded length of its
/// string values that hold escapes (zero for most documents, never more than
/// `doc.len()`). Checks `doc` as [`check`] does.
///
/// ```
/// use fapi_core::json;
/// assert_eq!(json::scratch_len(br#"{"kid":"plain"}"#), Ok(0));
/// assert_eq!(json::scratch_len(br#"{"kid":"a\/b"}"#), Ok(3));
/// ```
pub fn scratch_len(doc: &[u8]) -> Result<usize, Error> {
    scan(doc)
}

/// Parses `doc` into `T` after [`check`], with no scratch space: every
/// string `T` borrows must be free of escapes, else
/// [`Error::EscapedValue`], a client error ([`parse_in`] reads any valid
/// document). Other failures are [`Error::Json`],
/// [`Error::DuplicateMember`] or [`Error::TooLarge`] (a document over a
/// limit, or a list or string over the bound of the field that holds it).
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Claims<'a> {
///     iss: &'a str,
///     exp: u64,
/// }
/// let c: Claims<'_> = fapi_core::json::parse(br#"{"iss":"https://as","exp":5}"#)?;
/// assert_eq!((c.iss, c.exp), ("https://as", 5));
/// # Ok::<(), fapi_core::Error>(())
/// ```
pub fn parse<'a, T: Deserialize<'a>>(doc: &'a [u8]) -> Result<T, Error> {
    parse_in(doc, &mut []).map_err(without_scratch)
}

/// The error of a parse given no scratch at all: a string it had to
/// decode is the input's form, which such a call does not read
/// ([`Error::EscapedValue`]), not a buffer the caller sized wrong.
pub(crate) fn without_scratch(e: Error) -> Error {
    match e {
        Error::BufferTooSmall => Error::EscapedValue,
        e => e,
    }
}

/// Parses `doc` into `T` after [`check`], decoding strings that hold escapes
/// into `scratch`, from which `T` borrows them. [`scratch_len`] bytes of
/// scratch always suffice; with less, [`Error::BufferTooSmall`]. A list or
/// string longer than the bound of the field that holds it (a
/// `heapless::Vec`, a `heapless::String`) is [`Error::TooLarge`].
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Jwk<'a> {
///     kid: &'a str,
/// }
/// let doc = br#"{"k\u0069d":"caf\u00e9 a\/b \ud83d\ude00 \"q\""}"#;
/// let mut scratch = [0u8; 64];
/// let jwk: Jwk<'_> = fapi_core::json::parse_in(doc, &mut scratch)?;
/// assert_eq!(jwk.kid, "café a/b 😀 \"q\"");
/// # Ok::<(), fapi_core::Error>(())
/// ```
pub fn parse_in<'a, T: Deserialize<'a>>(doc: &'a [u8], scratch: &'a mut [u8]) -> Result<T, Error> {
    let _ = scan(doc)?;
    parse_checked_in(doc, scratch)
}

/// [`parse_in`] for a document that has just passed [`check`].
pub(crate) fn parse_checked_in<'a, T: Deserialize<'a>>(
    doc: &'a [u8],
    scratch: &'a mut [u8],
) -> Result<T, Error> {
    de::from_slice(doc, scratch).map(|(value, _)| value)
}

/// [`parse_in`] in one pass: the document is checked while it is parsed,
/// instead of by a check pass before the parse (`perf` on `token::verify`:
/// the two passes over the header and the claims were its largest cost
/// outside the signature). Returns the value and the scratch after the
/// [`scratch_len`] of the document (which a separate check would have set
/// aside).
///
/// The result, and the error, are those of [`scratch_len`] followed by
/// [`parse_in`] with that much scratch: a document the check refuses gets
/// the check's error, even where the parse failed first (the check is run
/// again only then, to name the error); one whose escaped strings need
/// more than `scratch` gets [`Error::BufferTooSmall`].
pub(crate) fn parse_checking_in<'a, T: Deserialize<'a>>(
    doc: &'a [u8],
    scratch: &'a mut [u8],
) -> Result<(T, &'a mut [u8]), Error> {
    let room = scratch.len();
    match de::from_slice_checking(doc, scratch) {
        Ok((value, rest, need)) => {
            // The parse used at most `need` of the scratch: what is left
            // after `need` is the rest of what the caller gave.
            let used = room.saturating_sub(rest.len());
            let (_, rest) = rest
                .split_at_mut_checked(need.saturating_sub(used))
                .ok_or(Error::BufferTooSmall)?;
            Ok((value, rest))
        }
        Err(e) => match scan(doc)? {
            need if need > room => Err(Error::BufferTooSmall),
            _ => Err(e),
        },
    }
}

/// [`parse_in`], also returning the scratch it did not use.
pub(crate) fn parse_in_rest<'a, T: Deserialize<'a>>(
    doc: &'a [u8],
    scratch: &'a mut [u8],
) -> Result<(T, &'a mut [u8]), Error> {
    let _ = scan(doc)?;
    de::from_slice(doc, scratch)
}

/// Rewrites, in place, every string escape that stands for a character
/// JSON allows unescaped (`\/`, and `\uXXXX` for anything but `"`, `\` and
/// the control characters U+0000–U+001F, surrogate pairs included) as that
/// character in UTF-8, and returns the new length. The escapes JSON
/// requires (`\"`, `\\`, control characters), lone surrogates and malformed
/// input are left as they are, for [`check`] and [`parse_in`] to judge.
///
/// The result is the same JSON value, never longer, so a signature checked
/// over the original bytes still covers it. Encoders differ in what they
/// escape (PHP writes `https:\/\/...`, Gson writes `\u003d` for `=`, others
/// escape all non-ASCII); after this step such values borrow like any other.
///
/// ```
/// let mut doc = *br#"{"htu":"https:\/\/a.example\/t","n":"caf\u00e9"}"#;
/// let n = fapi_core::json::normalize_escapes(&mut doc);
/// assert_eq!(&doc[..n], r#"{"htu":"https://a.example/t","n":"café"}"#.as_bytes());
/// ```
pub fn normalize_escapes(buf: &mut [u8]) -> usize {
    let len = buf.len();
    // Most documents hold no escape at all: one (vectorised) search for a
    // backslash settles them, instead of the byte-by-byte rewrite below
    // (`perf` on `token::verify`: the rewrite was its largest cost outside
    // the signature).
    if !buf.contains(&b'\\') {
        return len;
    }
    let (mut r, mut w) = (0usize, 0usize);
    let mut in_string = false;
    // `w <= r < len` throughout: a rewritten escape is never longer than
    // the escape, so every write lands on bytes already read.
    while let Some(&c) = buf.get(r) {
        let mut out = [0u8; 4];
        let (written, consumed): (Option<usize>, usize) = match (in_string, c) {
            (false, b'"') | (true, b'"') => {
                in_string = !in_string;
                (None, 1)
            }
            (true, b'\\') => match buf.get(r.saturating_add(1)) {
                Some(b'/') => {
                    out = [b'/', 0, 0, 0];
                    (Some(1), 2)
                }
                Some(b'u') => match unicode_escape(buf.get(r..).unwrap_or(&[])) {
                    Some((ch, n)) if !matches!(ch, '"' | '\\') && u32::from(ch) >= 0x20 => {
                        (Some(ch.encode_utf8(&mut out).len()), n)
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
        match written {
            Some(n) => {
                let bytes = out.get(..n).unwrap_or(&[]);
                let end = w.saturating_add(n);
                if let Some(slot) = buf.get_mut(w..end) {
                    slot.copy_from_slice(bytes);
                }
                w = end;
            }
            None => {
                let end = r.saturating_add(consumed).min(len);
                move_down(buf, r..end, w);
                w = w.saturating_add(end.saturating_sub(r));
            }
        }
        r = r.saturating_add(consumed);
    }
    w
}

/// Reads the four hex digits of a `\uXXXX` escape.
fn hex4(digits: &[u8]) -> Option<u16> {
    let s = core::str::from_utf8(digits).ok()?;
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(s, 16).ok()
}

/// Decodes the `\uXXXX` escape (or `\uD8xx\uDCxx` surrogate pair) at the
/// start of `s`: the character and the bytes it takes. `None` for a lone
/// surrogate or malformed digits.
fn unicode_escape(s: &[u8]) -> Option<(char, usize)> {
    let first = hex4(s.get(2..6)?)?;
    match first {
        0xd800..=0xdbff => {
            if s.get(6..8)? != b"\\u" {
                return None;
            }
            let second = hex4(s.get(8..12)?)?;
            if !(0xdc00..=0xdfff).contains(&second) {
                return None;
            }
            let high = u32::from(first).checked_sub(0xd800)?;
            let low = u32::from(second).checked_sub(0xdc00)?;
            let cp = high
                .checked_shl(10)?
                .checked_add(low)?
                .checked_add(0x1_0000)?;
            Some((char::from_u32(cp)?, 12))
        }
        0xdc00..=0xdfff => None,
        v => Some((char::from_u32(u32::from(v))?, 6)),
    }
}

/// Decodes the next character of the raw contents of a JSON string (between
/// its quotes) at `*at`, advancing `*at`. `None` at the end.
pub(crate) fn next_char(raw: &[u8], at: &mut usize) -> Result<Option<char>, Error> {
    let Some(rest) = raw.get(*at..) else {
        return Err(Error::Json);
    };
    let Some(&first) = rest.first() else {
        return Ok(None);
    };
    let (ch, n) = if first == b'\\' {
        match rest.get(1) {
            Some(b'"') => ('"', 2),
            Some(b'\\') => ('\\', 2),
            Some(b'/') => ('/', 2),
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'n') => ('\n', 2),
            Some(b'r') => ('\r', 2),
            Some(b't') => ('\t', 2),
            Some(b'u') => unicode_escape(rest).ok_or(Error::Json)?,
            _ => return Err(Error::Json),
        }
    } else {
        let width = match first {
            0x00..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        let bytes = rest.get(..width).ok_or(Error::Json)?;
        let ch = core::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.chars().next())
            .ok_or(Error::Json)?;
        (ch, width)
    };
    *at = at.saturating_add(n);
    Ok(Some(ch))
}

/// Decodes the raw contents of a JSON string into `out`, returning the
/// length written: [`Error::BufferTooSmall`] when `out` is too short.
pub(crate) fn decode_into(raw: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let (mut at, mut w) = (0usize, 0usize);
    while let Some(ch) = next_char(raw, &mut at)? {
        let end = w.saturating_add(ch.len_utf8());
        let slot = out.get_mut(w..end).ok_or(Error::BufferTooSmall)?;
        let _ = ch.encode_utf8(slot);
        w = end;
    }
    Ok(w)
}

/// The decoded length of the raw contents of a JSON string.
pub(crate) fn decoded_len(raw: &[u8]) -> Result<usize, Error> {
    let (mut at, mut n) = (0usize, 0usize);
    while let Some(ch) = next_char(raw, &mut at)? {
        n = n.saturating_add(ch.len_utf8());
    }
    Ok(n)
}

/// Whether the raw contents of two JSON strings stand for the same text.
fn same_text(a: &[u8], b: &[u8]) -> Result<bool, Error> {
    if !a.contains(&b'\\') && !b.contains(&b'\\') {
        return Ok(a == b);
    }
    let (mut i, mut j) = (0usize, 0usize);
    loop {
        match (next_char(a, &mut i)?, next_char(b, &mut j)?) {
            (None, None) => return Ok(true),
            (x, y) if x == y => {}
            _ => return Ok(false),
        }
    }
}

/// The length of the run at the start of `bytes` holding no `"`, no `\`
/// and no control character (below 0x20): what a string scan can step
/// over at once. Eight bytes at a time (SWAR: a byte equal to `"` or `\`,
/// or below 0x20, borrows through its top bit; a borrow only ever spills
/// into later bytes, so the lowest flagged byte is the first special one).
/// Hand-written for a measured reason: the byte-at-a-time string loops of
/// the scan and of the typed parser were the largest cost of reading a
/// token's claims (`perf` on `token::verify`); this reads strings at
/// several times their speed.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "n counts bytes of `bytes`: n <= bytes.len()"
)]
fn plain_len(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = 0x2222_2222_2222_2222;
    const BACKSLASHES: u64 = 0x5c5c_5c5c_5c5c_5c5c;
    const SPACES: u64 = 0x2020_2020_2020_2020;
    let mut n = 0usize;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let v = u64::from_le_bytes(word);
        let q = v ^ QUOTES;
        let b = v ^ BACKSLASHES;
        let special = ((q.wrapping_sub(ONES) & !q)
            | (b.wrapping_sub(ONES) & !b)
            | (v.wrapping_sub(SPACES) & !v))
            & HIGH;
        if special != 0 {
            // trailing_zeros() / 8 < 8: the fallback is never taken.
            return n + usize::try_from(special.trailing_zeros() / 8).unwrap_or(0);
        }
        n += 8;
    }
    n + chunks
        .remainder()
        .iter()
        .take_while(|c| !matches!(c, b'"' | b'\\' | 0x00..=0x1f))
        .count()
}

/// The raw contents of the string whose contents start at `start` (the byte
/// after its opening quote) in a document that was scanned already.
fn raw_string_at(doc: &[u8], start: usize) -> &[u8] {
    let rest = doc.get(start..).unwrap_or(&[]);
    let mut i = 0usize;
    while let Some(&c) = rest.get(i) {
        let run = plain_len(rest.get(i..).unwrap_or(&[]));
        if run > 0 {
            i = i.saturating_add(run);
            continue;
        }
        match c {
            b'"' => break,
            b'\\' => i = i.saturating_add(2),
            _ => i = i.saturating_add(1),
        }
    }
    rest.get(..i).unwrap_or(rest)
}

/// One open object or array of the scan.
#[derive(Clone, Copy, Default)]
struct Frame {
    object: bool,
    /// Where this object's member names start in the name stack.
    names_start: usize,
}

/// What the scan expects next.
#[derive(Clone, Copy)]
enum Expect {
    /// A value.
    Value,
    /// A member name (after `{` or `,` in an object).
    Name,
    /// `,` or the end of the open container, or the end of the document.
    After,
}

/// A scanned string.
struct Scanned {
    /// Where its contents start (after the quote).
    start: usize,
    /// Whether it holds an escape.
    escaped: bool,
    /// Its decoded length.
    decoded: usize,
}

/// Checks `doc` (see [`check`]) and returns the scratch it needs.
fn scan(doc: &[u8]) -> Result<usize, Error> {
    if doc.len() > MAX_DOCUMENT {
        return Err(Error::TooLarge);
    }
    if core::str::from_utf8(doc).is_err() {
        return Err(Error::Json);
    }
    let mut s = Scanner { doc, pos: 0 };
    s.ws();
    if s.peek() != Some(b'{') {
        return Err(Error::Json);
    }
    let (end, scratch) = scan_value(doc, s.pos, MAX_DEPTH)?;
    s.pos = end;
    s.ws();
    if s.pos != doc.len() {
        return Err(Error::Json);
    }
    Ok(scratch)
}

/// Checks the one value at `pos` of `doc` (already checked for its size and
/// UTF-8) by the rules of [`check`], with at most `levels` levels of
/// nesting: where it ends, and the scratch its strings need. The typed
/// parser checks the values it skips with this.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "depth <= MAX_DEPTH, names <= OPEN_NAMES and the scratch sum <= doc.len() <= MAX_DOCUMENT"
)]
pub(crate) fn scan_value(doc: &[u8], pos: usize, levels: usize) -> Result<(usize, usize), Error> {
    let mut s = Scanner { doc, pos };
    // Fixed-capacity stacks that are not zeroed on every call (the name
    // stack is 4 KiB: `perf` showed its `memset` on every header and
    // payload a JWS verification reads).
    let mut frames: heapless::Vec<Frame, MAX_DEPTH> = heapless::Vec::new();
    let mut depth = 0usize;
    // The start of every member name of the open objects, innermost last:
    // 2 bytes each, since MAX_DOCUMENT fits in a u16.
    let mut names: heapless::Vec<u16, OPEN_NAMES> = heapless::Vec::new();
    let mut open_names = 0usize;
    let mut scratch = 0usize;
    let mut expect = Expect::Value;
    loop {
        match expect {
            Expect::Value => {
                s.ws();
                match s.peek().ok_or(Error::Json)? {
                    c @ (b'{' | b'[') => {
                        s.pos += 1;
                        let object = c == b'{';
                        if depth >= levels {
                            return Err(Error::TooLarge);
                        }
                        frames.truncate(depth);
                        frames
                            .push(Frame {
                                object,
                                names_start: open_names,
                            })
                            .map_err(|_| Error::TooLarge)?;
                        depth += 1;
                        s.ws();
                        let close = if object { b'}' } else { b']' };
                        if s.peek() == Some(close) {
                            s.pos += 1;
                            depth -= 1;
                            expect = Expect::After;
                        } else if object {
                            expect = Expect::Name;
                        }
                    }
                    b'"' => {
                        let st = s.string()?;
                        if st.escaped {
                            scratch += st.decoded;
                        }
                        expect = Expect::After;
                    }
                    b't' => {
                        s.literal(b"true")?;
                        expect = Expect::After;
                    }
                    b'f' => {
                        s.literal(b"false")?;
                        expect = Expect::After;
                    }
                    b'n' => {
                        s.literal(b"null")?;
                        expect = Expect::After;
                    }
                    b'-' | b'0'..=b'9' => {
                        s.number()?;
                        expect = Expect::After;
                    }
                    _ => return Err(Error::Json),
                }
            }
            Expect::Name => {
                s.ws();
                if s.peek() != Some(b'"') {
                    return Err(Error::Json);
                }
                let st = s.string()?;
                let frame = depth
                    .checked_sub(1)
                    .and_then(|d| frames.get(d))
                    .ok_or(Error::Json)?;
                names.truncate(open_names);
                add_name(doc, &mut names, frame.names_start, &st, s.pos - 1)?;
                open_names += 1;
                s.ws();
                s.expect(b':')?;
                expect = Expect::Value;
            }
            Expect::After => {
                let Some(top) = depth.checked_sub(1) else {
                    break;
                };
                let frame = *frames.get(top).ok_or(Error::Json)?;
                s.ws();
                match (s.bump().ok_or(Error::Json)?, frame.object) {
                    (b',', true) => expect = Expect::Name,
                    (b',', false) => expect = Expect::Value,
                    (b'}', true) | (b']', false) => {
                        open_names = frame.names_start;
                        depth = top;
                    }
                    _ => return Err(Error::Json),
                }
            }
        }
    }
    Ok((s.pos, scratch))
}

/// The names of the open objects, innermost last (see [`scan_value`]).
pub(crate) type Names = heapless::Vec<u16, OPEN_NAMES>;

/// Adds the member name `st`, whose closing quote is at `end`, to the
/// names of the object whose names start at `names_start` in `names`:
/// [`Error::DuplicateMember`] when the object has it already,
/// [`Error::TooLarge`] when the object has [`MAX_MEMBERS`] members already.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "start + this.len() <= doc.len() <= MAX_DOCUMENT"
)]
fn add_name(
    doc: &[u8],
    names: &mut Names,
    names_start: usize,
    st: &Scanned,
    end: usize,
) -> Result<(), Error> {
    // The name's raw contents: up to the closing quote.
    let this = doc.get(st.start..end).ok_or(Error::Json)?;
    let seen = names.get(names_start..).unwrap_or(&[]);
    for &prev in seen {
        let start = usize::from(prev & !ESCAPED_NAME);
        let duplicate = if prev & ESCAPED_NAME == 0 && !st.escaped {
            // Two names without escapes: the same bytes, then
            // the closing quote (no rescan of the earlier one).
            let end = start + this.len();
            doc.get(start..end) == Some(this) && doc.get(end) == Some(&b'"')
        } else {
            same_text(raw_string_at(doc, start), this)?
        };
        if duplicate {
            return Err(Error::DuplicateMember);
        }
    }
    if seen.len() >= MAX_MEMBERS {
        return Err(Error::TooLarge);
    }
    let at = u16::try_from(st.start)
        .ok()
        .filter(|a| a & ESCAPED_NAME == 0)
        .ok_or(Error::TooLarge)?;
    let at = if st.escaped { at | ESCAPED_NAME } else { at };
    names.push(at).map_err(|_| Error::TooLarge)
}

struct Scanner<'a> {
    doc: &'a [u8],
    pos: usize,
}

// `pos` only grows past bytes that exist (or by the length of an escape
// that was read), so it never exceeds the document's length (at most
// MAX_DOCUMENT) by more than a few bytes: its additions cannot overflow.
#[allow(
    clippy::arithmetic_side_effects,
    reason = "pos <= doc.len() + 12 <= MAX_DOCUMENT + 12"
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

    /// Scans a string at `pos` (its opening quote): escapes must be valid
    /// and `\u` surrogates paired.
    fn string(&mut self) -> Result<Scanned, Error> {
        self.expect(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        let mut decoded = 0usize;
        loop {
            // Plain bytes (checked UTF-8, no quote, escape or control
            // character) in one step.
            let run = plain_len(self.doc.get(self.pos..).unwrap_or(&[]));
            decoded += run;
            self.pos += run;
            match self.peek().ok_or(Error::Json)? {
                b'"' => {
                    self.pos += 1;
                    return Ok(Scanned {
                        start,
                        escaped,
                        decoded,
                    });
                }
                b'\\' => {
                    escaped = true;
                    let rest = self.doc.get(self.pos..).unwrap_or(&[]);
                    let mut at = 0usize;
                    let ch = next_char(rest, &mut at)?.ok_or(Error::Json)?;
                    decoded += ch.len_utf8();
                    self.pos += at;
                }
                0x00..=0x1f => return Err(Error::Json),
                _ => {
                    // One byte of a (valid, checked) UTF-8 sequence.
                    decoded += 1;
                    self.pos += 1;
                }
            }
        }
    }
}

/// Writes JSON into a caller buffer, escaping strings. A full buffer is
/// [`Error::BufferTooSmall`]. What it writes is often a token's claims or a
/// token response: its `Debug` shows the length written and the capacity,
/// never the bytes.
///
/// ```
/// let mut buf = [0u8; 32];
/// let mut w = fapi_core::json::Writer::new(&mut buf);
/// w.raw(b"{")?;
/// w.key("sub")?;
/// w.string("a\"b")?;
/// w.raw(b"}")?;
/// assert_eq!(w.as_bytes(), br#"{"sub":"a\"b"}"#);
/// # Ok::<(), fapi_core::Error>(())
/// ```
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
            let (quotient, digit) = div_rem_10(rest);
            // digit < 10, so the addition cannot overflow.
            *slot = b'0'.saturating_add(digit);
            rest = quotient;
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

/// `n / 10` and `n % 10` by long division in 16-bit digits, so that only
/// 32-bit divisions are needed (a 32-bit target has them in hardware; a
/// 64-bit division there is a library routine).
#[allow(
    clippy::arithmetic_side_effects,
    reason = "every dividend is below 10 * 2^16 or 2^32, and the divisor is 10"
)]
fn div_rem_10(n: u64) -> (u64, u8) {
    let high = (n >> 32) as u32;
    let low = n as u32;
    let (q_high, r) = (high / 10, high % 10);
    let mid = (r << 16) | (low >> 16);
    let (q_mid, r) = (mid / 10, mid % 10);
    let bottom = (r << 16) | (low & 0xFFFF);
    let (q_bottom, r) = (bottom / 10, bottom % 10);
    let quotient = (u64::from(q_high) << 32) | u64::from((q_mid << 16) | q_bottom);
    (quotient, r as u8)
}

/// `buf.copy_within(src, dst)` for a `dst` at or before `src.start`, byte
/// by byte from the front (which is right when the ranges overlap that way),
/// without the general `memmove`.
pub(crate) fn move_down(buf: &mut [u8], src: core::ops::Range<usize>, dst: usize) {
    let mut to = dst;
    for from in src {
        if let (Some(&b), true) = (buf.get(from), to <= from)
            && let Some(slot) = buf.get_mut(to)
        {
            *slot = b;
        }
        to = to.saturating_add(1);
    }
}

#[cfg(test)]
mod tests;
