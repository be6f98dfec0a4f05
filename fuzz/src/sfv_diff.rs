//! The differential reading of RFC 8941 dictionaries that the
//! `sfv_signature_input`, `sfv_signature` and `content_digest` targets
//! share: fapi-core's strict parser (`fapi_core::sfv`) against the `sfv`
//! crate in its RFC 8941 mode.
//!
//! Whenever fapi accepts a dictionary, `sfv` accepts it too and reads the
//! same members in the same order, the same items (integers, decimals,
//! strings unescaped, tokens, byte sequences decoded, booleans) and the
//! same parameters; and fapi's canonical serialization of each member
//! (`sfv::Writer`, what RFC 9421 signs) is `sfv`'s.
//!
//! Where fapi refuses what `sfv` accepts, the refusal is one of fapi's
//! documented strictnesses (the `fapi_core::sfv` module docs), and
//! nothing else:
//!
//! 1. a dictionary key, or a parameter key of one item or inner list,
//!    named twice: `DuplicateLabel` (RFC 8941 §4.2 keeps the last value;
//!    RFC 9421 §4.1 wants labels unique). Checked: `sfv`'s visitor sees the
//!    repeated key.
//! 2. a byte sequence that is not canonical padded base64:
//!    `StructuredField` (RFC 8941 §4.2.7 lets a parser accept missing
//!    padding and non-zero trailing bits, and `sfv` does). Checked: the
//!    input with every byte sequence rewritten in canonical base64 differs
//!    from it, and fapi accepts the rewritten input (or refuses it for 1.
//!    or 3.).
//! 3. the limits: a field over `MAX_FIELD_LEN` bytes, more than
//!    `MAX_MEMBERS` members, `MAX_PARAMS` parameters on one item or inner
//!    list, or `MAX_INNER_ITEMS` items in an inner list: `TooLarge`.
//!    Checked against `sfv`'s reading.
//!
//! Anything else fapi refuses and `sfv` accepts, or fapi accepts and `sfv`
//! refuses, is a panic.

use std::cell::Cell;
use std::collections::HashSet;
use std::convert::Infallible;

use base64::Engine as _;
use fapi_core::Error;
use fapi_core::sfv as f;
use sfv::visitor::{
    DictionaryVisitor, EntryVisitor, InnerListVisitor, ItemVisitor, ParameterVisitor,
};
use sfv::{BareItemFromInput, FieldType as _, KeyRef, ListEntry, Parser, Version};

/// `sfv`'s reading of `input` as an RFC 8941 dictionary.
pub fn sfv_dictionary(input: &str) -> Option<sfv::Dictionary> {
    Parser::new(input)
        .with_version(Version::Rfc8941)
        .parse_dictionary()
        .ok()
}

/// Parses `input` with fapi and with `sfv`, checks the properties above
/// and returns fapi's dictionary when fapi accepts it.
pub fn check(input: &str) -> Option<f::Dictionary<'_>> {
    let mine = f::Dictionary::parse(input);
    let theirs = sfv_dictionary(input);
    match (mine, theirs) {
        (Ok(d), Some(t)) => {
            assert_same(&d, &t);
            Some(d)
        }
        (Ok(_), None) => panic!("fapi accepted what sfv refuses: {input:?}"),
        (Err(e), Some(t)) => {
            assert!(
                strictness_explains(input, e, &t),
                "fapi refused ({e:?}) what sfv accepts, and no documented strictness explains it: {input:?}"
            );
            None
        }
        (Err(_), None) => None,
    }
}

/// Asserts that fapi's dictionary reads as `sfv`'s.
pub fn assert_same(mine: &f::Dictionary<'_>, theirs: &sfv::Dictionary) {
    let members: Vec<_> = mine.iter().collect();
    assert_eq!(members.len(), theirs.len(), "member count");
    for ((key, member), (their_key, entry)) in members.iter().zip(theirs.iter()) {
        assert_eq!(*key, their_key.as_str(), "member key");
        match (member, entry) {
            (f::Member::Item(item, params), ListEntry::Item(i)) => {
                same_item(item, &i.bare_item);
                same_params(params, &i.params);
            }
            (f::Member::InnerList(list, params), ListEntry::InnerList(l)) => {
                let items: Vec<_> = list.iter().collect();
                assert_eq!(items.len(), l.items.len(), "inner list length of {key}");
                for ((item, p), i) in items.iter().zip(&l.items) {
                    same_item(item, &i.bare_item);
                    same_params(p, &i.params);
                }
                same_params(params, &l.params);
            }
            _ => panic!("member {key}: an item on one side, an inner list on the other"),
        }
        // The canonical serialization (RFC 8941 §4.1) is the same.
        let mut buf = vec![0u8; 2 * f::MAX_FIELD_LEN];
        let mut w = f::Writer::new(&mut buf);
        w.member(member).expect("the serialization fits");
        let theirs = vec![entry.clone()].serialize().unwrap_or_default();
        assert_eq!(
            core::str::from_utf8(w.written()).expect("ASCII"),
            theirs,
            "serialization of member {key}"
        );
    }
}

/// `raw` (between the quotes, escapes kept) unescaped.
pub fn unescape(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' {
            chars.next().expect("an escape is followed by a character")
        } else {
            c
        });
    }
    out
}

fn same_item(mine: &f::BareItem<'_>, theirs: &sfv::BareItem) {
    use sfv::BareItem as B;
    match (mine, theirs) {
        (f::BareItem::Integer(a), B::Integer(b)) => assert_eq!(*a, i64::from(*b)),
        (f::BareItem::Decimal(a), B::Decimal(b)) => {
            assert_eq!(*a, i64::from(b.as_integer_scaled_1000()));
        }
        (f::BareItem::String(a), B::String(b)) => assert_eq!(unescape(a.raw()), b.as_str()),
        (f::BareItem::Token(a), B::Token(b)) => assert_eq!(*a, b.as_str()),
        (f::BareItem::ByteSeq(a), B::ByteSequence(b)) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(a)
                .expect("fapi's byte sequences are canonical base64");
            assert_eq!(&decoded, b);
        }
        (f::BareItem::Boolean(a), B::Boolean(b)) => assert_eq!(a, b),
        _ => panic!("bare items of different types: {mine:?} / {theirs:?}"),
    }
}

fn same_params(mine: &f::Params<'_>, theirs: &sfv::Parameters) {
    let params: Vec<_> = mine.iter().collect();
    assert_eq!(params.len(), theirs.len(), "parameter count");
    for ((k, v), (tk, tv)) in params.iter().zip(theirs.iter()) {
        assert_eq!(*k, tk.as_str(), "parameter key");
        same_item(v, tv);
    }
}

/// Whether fapi's refusal `e` of `input`, which `sfv` reads as `theirs`,
/// is one of the documented strictnesses (module docs).
pub fn strictness_explains(input: &str, e: Error, theirs: &sfv::Dictionary) -> bool {
    match e {
        Error::DuplicateLabel => has_repeated_key(input),
        Error::TooLarge => over_limits(input, theirs),
        Error::StructuredField => {
            let Some(canonical) = canonical_byte_sequences(input) else {
                return false;
            };
            canonical != input
                && match f::Dictionary::parse(&canonical) {
                    Ok(d) => {
                        assert_same(&d, theirs);
                        true
                    }
                    Err(Error::DuplicateLabel) => has_repeated_key(&canonical),
                    Err(Error::TooLarge) => over_limits(&canonical, theirs),
                    Err(_) => false,
                }
        }
        _ => false,
    }
}

fn over_limits(input: &str, theirs: &sfv::Dictionary) -> bool {
    let params_over = |p: &sfv::Parameters| p.len() > f::MAX_PARAMS;
    input.len() > f::MAX_FIELD_LEN
        || theirs.len() > f::MAX_MEMBERS
        || theirs.values().any(|entry| match entry {
            ListEntry::Item(i) => params_over(&i.params),
            ListEntry::InnerList(l) => {
                l.items.len() > f::MAX_INNER_ITEMS
                    || params_over(&l.params)
                    || l.items.iter().any(|i| params_over(&i.params))
            }
        })
}

/// `input` with each byte sequence (`:` in an item's place, up to the next
/// `:`) decoded as `sfv` decodes it (padding optional, trailing bits
/// allowed) and written again in canonical padded base64. `None` when a
/// byte sequence does not decode.
pub fn canonical_byte_sequences(input: &str) -> Option<String> {
    let lenient = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    let mut prev: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '"' => {
                // A string, escapes included.
                out.push(c);
                let mut escaped = false;
                while let Some(s) = rest.chars().next() {
                    rest = &rest[s.len_utf8()..];
                    out.push(s);
                    if escaped {
                        escaped = false;
                    } else if s == '\\' {
                        escaped = true;
                    } else if s == '"' {
                        break;
                    }
                }
            }
            ':' if matches!(prev, None | Some('=' | '(' | ' ')) => {
                let end = rest.find(':')?;
                let bytes = lenient.decode(&rest[..end]).ok()?;
                out.push(':');
                out.push_str(&base64::engine::general_purpose::STANDARD.encode(bytes));
                out.push(':');
                rest = &rest[end + 1..];
            }
            _ => out.push(c),
        }
        prev = out.chars().last();
    }
    Some(out)
}

/// Whether `sfv` sees a dictionary key, or a parameter key of one item or
/// inner list, twice in `input`.
pub fn has_repeated_key(input: &str) -> bool {
    let found = Cell::new(false);
    let visitor = Keys {
        seen: HashSet::new(),
        found: &found,
    };
    let parsed = Parser::new(input)
        .with_version(Version::Rfc8941)
        .parse_dictionary_with_visitor(visitor);
    parsed.is_ok() && found.get()
}

/// Records the keys of a dictionary, and whether one came twice.
struct Keys<'f> {
    seen: HashSet<String>,
    found: &'f Cell<bool>,
}

/// Records the parameter keys of one item or inner list.
struct ParamKeys<'f> {
    seen: HashSet<String>,
    found: &'f Cell<bool>,
}

impl<'f> ParamKeys<'f> {
    fn new(found: &'f Cell<bool>) -> Self {
        Self {
            seen: HashSet::new(),
            found,
        }
    }
}

impl<'de> ParameterVisitor<'de> for ParamKeys<'_> {
    type Out = ();
    type Error = Infallible;
    fn parameter(&mut self, key: &'de KeyRef, _: BareItemFromInput<'de>) -> Result<(), Infallible> {
        if !self.seen.insert(key.as_str().to_owned()) {
            self.found.set(true);
        }
        Ok(())
    }
    fn finish(self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// One entry of the dictionary, or one item of an inner list.
struct Entry<'f>(&'f Cell<bool>);

impl<'de> ItemVisitor<'de> for Entry<'_> {
    type Out = ();
    type Error = Infallible;
    fn bare_item(
        self,
        _: BareItemFromInput<'de>,
    ) -> Result<impl ParameterVisitor<'de, Out = ()>, Infallible> {
        Ok(ParamKeys::new(self.0))
    }
}

impl<'de> InnerListVisitor<'de> for Entry<'_> {
    type Error = Infallible;
    fn item(&mut self) -> Result<impl ItemVisitor<'de>, Infallible> {
        Ok(Entry(self.0))
    }
    fn finish(self) -> Result<impl ParameterVisitor<'de>, Infallible> {
        Ok(ParamKeys::new(self.0))
    }
}

impl<'de> EntryVisitor<'de> for Entry<'_> {
    type Error = Infallible;
    fn item(self) -> Result<impl ItemVisitor<'de>, Infallible> {
        Ok(self)
    }
    fn inner_list(self) -> Result<impl InnerListVisitor<'de>, Infallible> {
        Ok(self)
    }
}

impl<'de> DictionaryVisitor<'de> for Keys<'_> {
    type Out = ();
    type Error = Infallible;
    fn entry(&mut self, key: &'de KeyRef) -> Result<impl EntryVisitor<'de>, Infallible> {
        if !self.seen.insert(key.as_str().to_owned()) {
            self.found.set(true);
        }
        Ok(Entry(self.found))
    }
    fn finish(self) -> Result<(), Infallible> {
        Ok(())
    }
}
