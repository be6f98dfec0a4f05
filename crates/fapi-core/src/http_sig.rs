//! HTTP message signatures (RFC 9421) under the FAPI 2.0 HTTP Signatures
//! profile, which signs resource requests and responses for
//! non-repudiation (and BG-SIGNED-REQ: the TPP signs its requests).
//!
//! - [`signature_base`]: the signature base of RFC 9421 §2.5 for any
//!   covered components fapi implements: `@method`, `@target-uri`,
//!   `@authority`, `@scheme`, `@request-target`, `@path`, `@query`,
//!   `@query-param` (names and values decoded and re-encoded per §2.2.8,
//!   at most [`MAX_QUERY_PARAM_LEN`] bytes each), `@status`, HTTP fields
//!   (several field lines combined per §2.1), a dictionary member with
//!   `;key`, and the request's components with `;req` (§2.4).
//! - [`sign_request`], [`sign_response`]: the profile's signatures, with
//!   the profile's components, `created`, `keyid`, `alg` and `tag`.
//! - [`verify_request`], [`verify_response`]: RFC 9421 §3.2 verification
//!   with the profile as a [`Policy`] the caller cannot leave out: the
//!   signature tagged `fapi-2-request` (`fapi-2-response`) covers what the
//!   profile requires ([`Error::MissingComponent`]), every covered
//!   component is in the message ([`Error::ComponentAbsent`]), `created` is
//!   present ([`Error::MissingClaim`]) and at most [`MAX_AGE`] seconds old
//!   ([`Error::TooOld`]) and not in the future beyond the skew
//!   ([`Error::IssuedInFuture`]), `expires` not passed ([`Error::Expired`]),
//!   `keyid` present ([`Error::MissingClaim`]) and found in the signer's
//!   JWKS with a key of the signature's algorithm, labels unique across
//!   field lines ([`Error::DuplicateLabel`], §4.1), and `Content-Digest`
//!   recomputed over the body (RFC 9530, [`crate::content_digest`]).
//!
//! The caller hands the message as a [`Message`]: method, target URI or
//! status, and a [`Fields`] lookup, so any HTTP library can be used.
//! Nothing here allocates: field values are written into caller buffers,
//! and the signature base into a scratch buffer.
//!
//! Algorithms (RFC 9421 §3.3): `ecdsa-p256-sha256` (raw `r || s`),
//! `ed25519` with the [`Signer`] and [`PublicKeyVerifier`] keys fapi
//! already has; `rsa-pss-sha512` (SHA-512, MGF1-SHA-512, 64-byte salt) is
//! signed by an RSA key through [`Signer::sign_rsa_pss_sha512`] and
//! verified through [`PublicKeyVerifier::verify_rsa_pss_sha512`], which a
//! backend may lack ([`Error::UnsupportedAlg`]); a PS256 key never signs
//! it with SHA-256 instead.

use core::fmt;

use base64ct::{Base64, Encoding};

use crate::alg::Alg;
use crate::content_digest;
use crate::crypto::{Clock, MAX_SIGNATURE_LEN, PublicKeyVerifier, Signer};
use crate::error::Error;
use crate::jwk::{Jwks, PublicKey};
use crate::sfv::{
    BareItem, Dictionary, InnerList, MAX_INNER_ITEMS, Member, Params, SfString, Writer,
};

/// The `tag` of a FAPI 2.0 signed resource request.
pub const TAG_REQUEST: &str = "fapi-2-request";
/// The `tag` of a FAPI 2.0 signed resource response.
pub const TAG_RESPONSE: &str = "fapi-2-response";
/// The oldest `created` accepted, in seconds: the one minute FAPI 2.0 HTTP
/// Signatures recommends. A [`Policy`] may shorten it, never lengthen it.
pub const MAX_AGE: u64 = 60;
/// How far in the future `created` may be by default (clock skew).
pub const DEFAULT_MAX_FUTURE_SKEW: u64 = 10;
/// The most skew a [`Policy`] accepts.
pub const MAX_FUTURE_SKEW_LIMIT: u64 = 60;
/// The most signatures (labels) a message may carry.
pub const MAX_LABELS: usize = 8;
/// The most field lines of one name read.
pub const MAX_FIELD_LINES: usize = 16;

/// An HTTP signature algorithm of RFC 9421 §3.3 that the profile allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// `rsa-pss-sha512`: RSASSA-PSS, SHA-512, MGF1-SHA-512, 64-byte salt.
    RsaPssSha512,
    /// `ecdsa-p256-sha256`: ECDSA P-256 with SHA-256, raw `r || s`.
    EcdsaP256Sha256,
    /// `ed25519`: EdDSA on edwards25519.
    Ed25519,
}

impl SignatureAlgorithm {
    /// All three.
    pub const ALL: &'static [Self] = &[Self::RsaPssSha512, Self::EcdsaP256Sha256, Self::Ed25519];

    /// The registered name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::RsaPssSha512 => "rsa-pss-sha512",
            Self::EcdsaP256Sha256 => "ecdsa-p256-sha256",
            Self::Ed25519 => "ed25519",
        }
    }

    /// Parses a registered name; anything else (`hmac-sha256`,
    /// `rsa-v1_5-sha256`, `ecdsa-p384-sha384`) is [`Error::UnsupportedAlg`].
    pub fn from_name(name: &str) -> Result<Self, Error> {
        Self::ALL
            .iter()
            .copied()
            .find(|a| a.name() == name)
            .ok_or(Error::UnsupportedAlg)
    }

    /// The algorithm a JWK of this key type is used with in JOSE, which
    /// selects the key type in a JWK Set.
    const fn key_alg(self) -> Alg {
        match self {
            Self::RsaPssSha512 => Alg::Ps256,
            Self::EcdsaP256Sha256 => Alg::Es256,
            Self::Ed25519 => Alg::EdDsa,
        }
    }

    /// The HTTP signature algorithm a key of JOSE algorithm `alg` signs
    /// with: an RSA (PS256) key signs `rsa-pss-sha512` through
    /// [`Signer::sign_rsa_pss_sha512`], never PSS with SHA-256.
    const fn of_signer(alg: Alg) -> Self {
        match alg {
            Alg::Es256 => Self::EcdsaP256Sha256,
            Alg::EdDsa => Self::Ed25519,
            Alg::Ps256 => Self::RsaPssSha512,
        }
    }
}

/// The field lines of a message, by name.
pub trait Fields {
    /// The `index`-th line (from 0) of the field `name`, which is given
    /// in lower case and matched case-insensitively; `None` past the last.
    fn field_line(&self, name: &str, index: usize) -> Option<&str>;
}

/// [`Fields`] over a slice of `(name, value)` pairs, in message order.
#[derive(Clone, Copy, Debug)]
pub struct FieldList<'a>(pub &'a [(&'a str, &'a str)]);

impl Fields for FieldList<'_> {
    fn field_line(&self, name: &str, index: usize) -> Option<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .nth(index)
            .map(|(_, v)| *v)
    }
}

/// An HTTP request or response, as a signature sees it.
#[derive(Clone, Copy)]
pub struct Message<'a> {
    method: Option<&'a str>,
    target_uri: Option<&'a str>,
    status: Option<u16>,
    fields: &'a dyn Fields,
}

impl fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("method", &self.method)
            .field("target_uri", &self.target_uri)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl<'a> Message<'a> {
    /// A request: its method and absolute target URI (RFC 9110 §7.1,
    /// `https://host/path?query`).
    pub fn request(method: &'a str, target_uri: &'a str, fields: &'a dyn Fields) -> Self {
        Self {
            method: Some(method),
            target_uri: Some(target_uri),
            status: None,
            fields,
        }
    }

    /// A response with its status code.
    pub fn response(status: u16, fields: &'a dyn Fields) -> Self {
        Self {
            method: None,
            target_uri: None,
            status: Some(status),
            fields,
        }
    }

    fn line(&self, name: &str, index: usize) -> Option<&'a str> {
        self.fields.field_line(name, index)
    }

    fn has(&self, name: &str) -> bool {
        self.line(name, 0).is_some()
    }
}

struct Uri<'a> {
    scheme: &'a str,
    authority: &'a str,
    path: &'a str,
    query: Option<&'a str>,
}

fn parse_uri(uri: &str) -> Result<Uri<'_>, Error> {
    let (scheme, rest) = uri.split_once("://").ok_or(Error::Malformed)?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        || uri
            .bytes()
            .any(|b| !(0x21..=0x7e).contains(&b) || b == b'#')
    {
        return Err(Error::Malformed);
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at_checked(end).ok_or(Error::Malformed)?;
    if authority.is_empty() {
        return Err(Error::Malformed);
    }
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    Ok(Uri {
        scheme,
        authority,
        path,
        query,
    })
}

/// One covered component: its name and the parameters fapi implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Component<'a> {
    name: &'a str,
    req: bool,
    key: Option<&'a str>,
    query_name: Option<&'a str>,
}

const DERIVED: &[&str] = &[
    "@method",
    "@target-uri",
    "@authority",
    "@scheme",
    "@request-target",
    "@path",
    "@query",
    "@query-param",
    "@status",
];

fn component<'a>(item: &BareItem<'a>, params: &Params<'a>) -> Result<Component<'a>, Error> {
    let name = item.as_string().ok_or(Error::StructuredField)?;
    let name = name.plain().map_err(|_| Error::UnsupportedComponent)?;
    let derived = name.starts_with('@');
    if derived {
        if !DERIVED.contains(&name) {
            return Err(Error::UnsupportedComponent);
        }
    } else if name.is_empty()
        || !name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
        })
    {
        // Field names are covered in lower case (RFC 9421 §2.1).
        return Err(Error::UnsupportedComponent);
    }
    let mut c = Component {
        name,
        req: false,
        key: None,
        query_name: None,
    };
    for (k, v) in params.iter() {
        match (k, v) {
            ("req", BareItem::Boolean(true)) => c.req = true,
            ("key", BareItem::String(s)) if !derived => {
                c.key = Some(s.plain().map_err(|_| Error::UnsupportedComponent)?);
            }
            ("name", BareItem::String(s)) if name == "@query-param" => {
                c.query_name = Some(s.plain().map_err(|_| Error::UnsupportedComponent)?);
            }
            // `sf`, `bs`, `tr`, and anything unknown (RFC 9421 §2.5:
            // a parameter that is not understood is an error).
            _ => return Err(Error::UnsupportedComponent),
        }
    }
    if name == "@query-param" && c.query_name.is_none() {
        return Err(Error::UnsupportedComponent);
    }
    Ok(c)
}

/// One signature's `Signature-Input` member, parsed and checked.
#[derive(Clone, Copy, Debug)]
pub struct SignatureInput<'a> {
    label: &'a str,
    components: InnerList<'a>,
    params: Params<'a>,
    created: Option<u64>,
    expires: Option<u64>,
    alg: Option<SignatureAlgorithm>,
    keyid: Option<SfString<'a>>,
    tag: Option<SfString<'a>>,
}

impl<'a> SignatureInput<'a> {
    /// Reads the member `label` of a `Signature-Input` dictionary: an inner
    /// list of component identifiers (strings) with the signature
    /// parameters. Each component must be one fapi implements
    /// ([`Error::UnsupportedComponent`]) and appear once
    /// ([`Error::DuplicateLabel`]); `created` and `expires` are
    /// non-negative integers, `alg`, `keyid`, `nonce` and `tag` strings
    /// ([`Error::StructuredField`]), `alg` a supported name
    /// ([`Error::UnsupportedAlg`]). Other parameters are signed like the
    /// rest and not read.
    pub fn from_member(label: &'a str, member: &Member<'a>) -> Result<Self, Error> {
        let Member::InnerList(components, params) = member else {
            return Err(Error::StructuredField);
        };
        let mut seen: heapless::Vec<Component<'a>, MAX_INNER_ITEMS> = heapless::Vec::new();
        for (item, p) in components.iter() {
            let c = component(&item, &p)?;
            if seen.contains(&c) {
                return Err(Error::DuplicateLabel);
            }
            seen.push(c).map_err(|_| Error::TooLarge)?;
        }
        let mut input = Self {
            label,
            components: *components,
            params: *params,
            created: None,
            expires: None,
            alg: None,
            keyid: None,
            tag: None,
        };
        for (k, v) in params.iter() {
            match (k, v) {
                ("created", BareItem::Integer(t)) => {
                    input.created = Some(u64::try_from(t).map_err(|_| Error::StructuredField)?);
                }
                ("expires", BareItem::Integer(t)) => {
                    input.expires = Some(u64::try_from(t).map_err(|_| Error::StructuredField)?);
                }
                ("alg", BareItem::String(s)) => {
                    input.alg = Some(SignatureAlgorithm::from_name(s.raw())?);
                }
                ("keyid", BareItem::String(s)) => input.keyid = Some(s),
                ("tag", BareItem::String(s)) => input.tag = Some(s),
                ("nonce", BareItem::String(_)) => {}
                ("created" | "expires" | "alg" | "keyid" | "tag" | "nonce", _) => {
                    return Err(Error::StructuredField);
                }
                _ => {}
            }
        }
        Ok(input)
    }

    /// The signature's label.
    #[must_use]
    pub fn label(&self) -> &'a str {
        self.label
    }

    /// `created`, when present.
    #[must_use]
    pub fn created(&self) -> Option<u64> {
        self.created
    }

    /// `keyid`, when present, as written (escapes kept).
    #[must_use]
    pub fn keyid(&self) -> Option<SfString<'a>> {
        self.keyid
    }

    /// `tag`, when present, as written.
    #[must_use]
    pub fn tag(&self) -> Option<SfString<'a>> {
        self.tag
    }

    /// `alg`, when present.
    #[must_use]
    pub fn alg(&self) -> Option<SignatureAlgorithm> {
        self.alg
    }

    fn covers(&self, name: &str, req: bool, key: Option<&str>) -> bool {
        let want = Component {
            name,
            req,
            key,
            query_name: None,
        };
        self.components
            .iter()
            .any(|(item, p)| component(&item, &p).is_ok_and(|c| c == want))
    }
}

/// Writes the signature base of `input` over `message` (RFC 9421 §2.5)
/// into `out`, returning its length. `request` is the request a response
/// answers, for components with `;req` (§2.4); without one they are
/// [`Error::UnsupportedComponent`]. A covered component the message does
/// not have is [`Error::ComponentAbsent`]; a field value with a control
/// character [`Error::Malformed`]; a base longer than `out`
/// [`Error::BufferTooSmall`].
pub fn signature_base(
    input: &SignatureInput<'_>,
    message: &Message<'_>,
    request: Option<&Message<'_>>,
    out: &mut [u8],
) -> Result<usize, Error> {
    let mut w = Writer::new(out);
    for (item, params) in input.components.iter() {
        let c = component(&item, &params)?;
        let source = if c.req {
            if message.status.is_none() {
                // `req` only in a response (RFC 9421 §2.4).
                return Err(Error::UnsupportedComponent);
            }
            request.ok_or(Error::UnsupportedComponent)?
        } else {
            message
        };
        w.push(b"\"")?;
        w.push(c.name.as_bytes())?;
        w.push(b"\"")?;
        w.params(&params)?;
        w.push(b": ")?;
        component_value(&c, source, &mut w)?;
        w.push(b"\n")?;
    }
    w.push(b"\"@signature-params\": ")?;
    w.inner_list(&input.components)?;
    w.params(&input.params)?;
    Ok(w.len())
}

fn component_value(c: &Component<'_>, msg: &Message<'_>, w: &mut Writer<'_>) -> Result<(), Error> {
    let uri = || {
        msg.target_uri
            .ok_or(Error::ComponentAbsent)
            .and_then(parse_uri)
    };
    match c.name {
        "@method" => w.push(msg.method.ok_or(Error::ComponentAbsent)?.as_bytes()),
        "@target-uri" => {
            let u = msg.target_uri.ok_or(Error::ComponentAbsent)?;
            let _ = parse_uri(u)?;
            w.push(u.as_bytes())
        }
        "@authority" => {
            let u = uri()?;
            let default_port = match u.scheme {
                s if s.eq_ignore_ascii_case("https") => Some(":443"),
                s if s.eq_ignore_ascii_case("http") => Some(":80"),
                _ => None,
            };
            let authority = default_port
                .and_then(|p| u.authority.strip_suffix(p))
                .unwrap_or(u.authority);
            for b in authority.bytes() {
                w.push(&[b.to_ascii_lowercase()])?;
            }
            Ok(())
        }
        "@scheme" => {
            for b in uri()?.scheme.bytes() {
                w.push(&[b.to_ascii_lowercase()])?;
            }
            Ok(())
        }
        "@request-target" => {
            let u = uri()?;
            w.push(if u.path.is_empty() { "/" } else { u.path }.as_bytes())?;
            if let Some(q) = u.query {
                w.push(b"?")?;
                w.push(q.as_bytes())?;
            }
            Ok(())
        }
        "@path" => {
            let u = uri()?;
            w.push(if u.path.is_empty() { "/" } else { u.path }.as_bytes())
        }
        "@query" => {
            w.push(b"?")?;
            w.push(uri()?.query.unwrap_or("").as_bytes())
        }
        "@query-param" => {
            let name = c.query_name.ok_or(Error::UnsupportedComponent)?;
            let query = uri()?.query.ok_or(Error::ComponentAbsent)?;
            let value = query_param(query, name)?;
            let mut buf = [0u8; MAX_QUERY_PARAM_LEN];
            form_encode(form_decode(value, &mut buf)?, |b| w.push(b))
        }
        "@status" => {
            let s = msg.status.ok_or(Error::UnsupportedComponent)?;
            if !(100..=999).contains(&s) {
                return Err(Error::Malformed);
            }
            w.integer(i64::from(s))
        }
        field => match c.key {
            Some(key) => {
                let mut found = None;
                for line in lines(msg, field) {
                    if let Some(m) = Dictionary::parse(line?)?.get(key) {
                        if found.is_some() {
                            return Err(Error::DuplicateLabel);
                        }
                        found = Some(m);
                    }
                }
                w.member(&found.ok_or(Error::ComponentAbsent)?)
            }
            None => {
                let mut any = false;
                for line in lines(msg, field) {
                    if any {
                        w.push(b", ")?;
                    }
                    w.push(line?.trim_matches([' ', '\t']).as_bytes())?;
                    any = true;
                }
                if any {
                    Ok(())
                } else {
                    Err(Error::ComponentAbsent)
                }
            }
        },
    }
}

/// The longest query parameter name or value `@query-param` decodes
/// (after percent-decoding); a longer one is [`Error::TooLarge`].
pub const MAX_QUERY_PARAM_LEN: usize = 1024;

/// The raw (still encoded) value of the query parameter whose name, parsed
/// as `application/x-www-form-urlencoded` (WHATWG URL §5.1: split on `&`,
/// empty sequences skipped, the name before the first `=`, `+` a space,
/// percent-decoded) and re-encoded (§5.2, see [`form_encode`]), is `name`
/// (RFC 9421 §2.2.8: the `name` parameter holds the encoded nameString).
/// A name that occurs twice, in any encoding, is
/// [`Error::UnsupportedComponent`] (§2.2.8: such a parameter is not
/// covered); none is [`Error::ComponentAbsent`].
fn query_param<'q>(query: &'q str, name: &str) -> Result<&'q str, Error> {
    let mut found = None;
    let mut buf = [0u8; MAX_QUERY_PARAM_LEN];
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = form_decode(n, &mut buf)?;
        let mut rest = name.as_bytes();
        let mut same = true;
        form_encode(decoded, |chunk| {
            match rest.strip_prefix(chunk) {
                Some(r) => rest = r,
                None => same = false,
            }
            Ok(())
        })?;
        if same && rest.is_empty() {
            if found.is_some() {
                return Err(Error::UnsupportedComponent);
            }
            found = Some(v);
        }
    }
    found.ok_or(Error::ComponentAbsent)
}

/// `application/x-www-form-urlencoded` decoding of one name or value
/// (WHATWG URL §5.1 steps 3.3 and 3.4): `+` is a space, `%XX` (either case)
/// the byte `XX`, and a `%` not followed by two hex digits stays as it is.
/// Into `buf`; longer than [`MAX_QUERY_PARAM_LEN`] is [`Error::TooLarge`].
fn form_decode<'b>(raw: &str, buf: &'b mut [u8; MAX_QUERY_PARAM_LEN]) -> Result<&'b [u8], Error> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b.wrapping_sub(b'0')),
            b'a'..=b'f' => Some(b.wrapping_sub(b'a').wrapping_add(10)),
            b'A'..=b'F' => Some(b.wrapping_sub(b'A').wrapping_add(10)),
            _ => None,
        }
    }
    let mut rest = raw.as_bytes();
    let mut len = 0usize;
    while let Some((&b, tail)) = rest.split_first() {
        let (byte, tail) = match (b, tail) {
            (b'+', _) => (b' ', tail),
            (b'%', [h, l, after @ ..]) => match (hex(*h), hex(*l)) {
                (Some(h), Some(l)) => ((h << 4) | l, after),
                _ => (b, tail),
            },
            _ => (b, tail),
        };
        *buf.get_mut(len).ok_or(Error::TooLarge)? = byte;
        len = len.checked_add(1).ok_or(Error::TooLarge)?;
        rest = tail;
    }
    buf.get(..len).ok_or(Error::TooLarge)
}

/// The "percent-encode after encoding" of RFC 9421 §2.2.8 step 2 (WHATWG
/// URL §5.2 with the `application/x-www-form-urlencoded` percent-encode
/// set, a space as `%20`): the decoded bytes read as UTF-8 (an invalid
/// sequence is U+FFFD, as the WHATWG "UTF-8 decode without BOM" does), then
/// every byte but ASCII letters, digits and `*-._` written as `%XX` in
/// upper case. Hands the output to `out` piece by piece.
fn form_encode(
    decoded: &[u8],
    mut out: impl FnMut(&[u8]) -> Result<(), Error>,
) -> Result<(), Error> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut byte = |b: u8| {
        if b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_') {
            out(&[b])
        } else {
            let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            let lo = HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0');
            out(&[b'%', hi, lo])
        }
    };
    for chunk in decoded.utf8_chunks() {
        for b in chunk.valid().bytes() {
            byte(b)?;
        }
        if !chunk.invalid().is_empty() {
            for b in "\u{fffd}".bytes() {
                byte(b)?;
            }
        }
    }
    Ok(())
}

/// The lines of field `name`, each checked for control characters;
/// more than [`MAX_FIELD_LINES`] is [`Error::TooLarge`].
fn lines<'a>(
    msg: &Message<'a>,
    name: &'a str,
) -> impl Iterator<Item = Result<&'a str, Error>> + 'a {
    let msg = *msg;
    (0..=MAX_FIELD_LINES).map_while(move |i| {
        let line = msg.line(name, i)?;
        if i == MAX_FIELD_LINES {
            return Some(Err(Error::TooLarge));
        }
        if line.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Some(Err(Error::Malformed));
        }
        Some(Ok(line))
    })
}

type Labelled<'a> = heapless::Vec<(&'a str, Member<'a>), MAX_LABELS>;

/// Every member of the dictionary field `name` across its lines; a label
/// twice is [`Error::DuplicateLabel`] (RFC 9421 §4.1).
fn members<'a>(msg: &Message<'a>, name: &'static str) -> Result<Labelled<'a>, Error> {
    let mut out = Labelled::new();
    for line in lines(msg, name) {
        for (label, m) in Dictionary::parse(line?)?.iter() {
            if out.iter().any(|(l, _)| *l == label) {
                return Err(Error::DuplicateLabel);
            }
            out.push((label, m)).map_err(|_| Error::TooLarge)?;
        }
    }
    Ok(out)
}

fn tagged<'a>(inputs: &Labelled<'a>, tag: &str) -> Result<Option<(&'a str, Member<'a>)>, Error> {
    let mut found = None;
    for (label, m) in inputs {
        let Member::InnerList(_, p) = m else {
            continue;
        };
        if p.get("tag")
            .and_then(|t| t.as_string())
            .is_some_and(|t| t.eq_str(tag))
        {
            if found.is_some() {
                // Two signatures claim the profile: which one counts would
                // be the attacker's choice.
                return Err(Error::DuplicateLabel);
            }
            found = Some((*label, *m));
        }
    }
    Ok(found)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Request,
    Response,
}

/// The profile's rules for one direction; every verification takes one.
#[derive(Clone, Copy, Debug)]
pub struct Policy<'p> {
    kind: Kind,
    algs: &'p [SignatureAlgorithm],
    max_age: u64,
    max_future_skew: u64,
}

impl<'p> Policy<'p> {
    /// FAPI 2.0 HTTP Signatures for resource requests (a resource server
    /// verifying; BG-SIGNED-REQ), with the algorithms allowed.
    #[must_use]
    pub const fn request(algs: &'p [SignatureAlgorithm]) -> Self {
        Self {
            kind: Kind::Request,
            algs,
            max_age: MAX_AGE,
            max_future_skew: DEFAULT_MAX_FUTURE_SKEW,
        }
    }

    /// FAPI 2.0 HTTP Signatures for resource responses (a client
    /// verifying), with the algorithms allowed.
    #[must_use]
    pub const fn response(algs: &'p [SignatureAlgorithm]) -> Self {
        Self {
            kind: Kind::Response,
            ..Self::request(algs)
        }
    }

    /// A shorter maximum age of `created`; more than [`MAX_AGE`] is capped.
    #[must_use]
    pub const fn with_max_age(mut self, seconds: u64) -> Self {
        self.max_age = if seconds < MAX_AGE { seconds } else { MAX_AGE };
        self
    }

    /// The clock skew allowed for `created`, at most
    /// [`MAX_FUTURE_SKEW_LIMIT`].
    #[must_use]
    pub const fn with_max_future_skew(mut self, seconds: u64) -> Self {
        self.max_future_skew = if seconds < MAX_FUTURE_SKEW_LIMIT {
            seconds
        } else {
            MAX_FUTURE_SKEW_LIMIT
        };
        self
    }

    const fn tag(&self) -> &'static str {
        match self.kind {
            Kind::Request => TAG_REQUEST,
            Kind::Response => TAG_RESPONSE,
        }
    }
}

/// What a verified signature says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedSignature<'a> {
    /// Its label.
    pub label: &'a str,
    /// Its `keyid`, as written.
    pub keyid: &'a str,
    /// Its algorithm.
    pub alg: SignatureAlgorithm,
    /// Its `created`.
    pub created: u64,
}

/// Verifies the `fapi-2-request` signature of a resource request
/// (RFC 9421 §3.2 with FAPI 2.0 HTTP Signatures; BG-SIGNED-REQ). `body` is
/// the request content (empty when there is none); `jwks` the client's
/// keys; `scratch` holds the signature base (the fields' length plus some
/// hundred bytes suffice, else [`Error::BufferTooSmall`]).
///
/// See the [module docs](self) for every check and its error.
#[allow(clippy::too_many_arguments, reason = "each is a separate input")]
pub fn verify_request<'a, P: PublicKeyVerifier + ?Sized>(
    policy: &Policy<'_>,
    request: &Message<'a>,
    body: &[u8],
    jwks: &Jwks<'_>,
    backend: &P,
    clock: &dyn Clock,
    scratch: &mut [u8],
) -> Result<VerifiedSignature<'a>, Error> {
    if policy.kind != Kind::Request {
        return Err(Error::WrongTag);
    }
    verify(policy, request, body, None, jwks, backend, clock, scratch)
}

/// Verifies the `fapi-2-response` signature of a resource response to
/// `request` (the request as the client sent it, its signature included).
/// As [`verify_request`], and the signature must cover `@status`, the
/// request's `@method` and `@target-uri` with `;req`, its
/// `content-digest` when it had one, and its `fapi-2-request` signature
/// (`signature` and `signature-input` with `;req;key`) when it was signed.
#[allow(clippy::too_many_arguments, reason = "each is a separate input")]
pub fn verify_response<'a, P: PublicKeyVerifier + ?Sized>(
    policy: &Policy<'_>,
    response: &Message<'a>,
    body: &[u8],
    request: &Message<'_>,
    jwks: &Jwks<'_>,
    backend: &P,
    clock: &dyn Clock,
    scratch: &mut [u8],
) -> Result<VerifiedSignature<'a>, Error> {
    if policy.kind != Kind::Response {
        return Err(Error::WrongTag);
    }
    verify(
        policy,
        response,
        body,
        Some(request),
        jwks,
        backend,
        clock,
        scratch,
    )
}

fn check_components(
    policy: &Policy<'_>,
    input: &SignatureInput<'_>,
    msg: &Message<'_>,
    body: &[u8],
    request: Option<&Message<'_>>,
) -> Result<(), Error> {
    let need = |name: &str, req: bool, key: Option<&str>| {
        if input.covers(name, req, key) {
            Ok(())
        } else {
            Err(Error::MissingComponent)
        }
    };
    let has_body = !body.is_empty() || msg.has("content-digest");
    match policy.kind {
        Kind::Request => {
            need("@method", false, None)?;
            need("@target-uri", false, None)?;
            need("authorization", false, None)?;
            if msg.has("dpop") {
                need("dpop", false, None)?;
            }
        }
        Kind::Response => {
            need("@status", false, None)?;
            let req = request.ok_or(Error::UnsupportedComponent)?;
            need("@method", true, None)?;
            need("@target-uri", true, None)?;
            if req.has("content-digest") {
                need("content-digest", true, None)?;
            }
            if let Some((label, _)) = tagged(&members(req, "signature-input")?, TAG_REQUEST)? {
                need("signature", true, Some(label))?;
                need("signature-input", true, Some(label))?;
            }
        }
    }
    if has_body {
        need("content-digest", false, None)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments, reason = "each is a separate input")]
fn verify<'a, P: PublicKeyVerifier + ?Sized>(
    policy: &Policy<'_>,
    msg: &Message<'a>,
    body: &[u8],
    request: Option<&Message<'_>>,
    jwks: &Jwks<'_>,
    backend: &P,
    clock: &dyn Clock,
    scratch: &mut [u8],
) -> Result<VerifiedSignature<'a>, Error> {
    let inputs = members(msg, "signature-input")?;
    let signatures = members(msg, "signature")?;
    if inputs.is_empty()
        || inputs.len() != signatures.len()
        || !inputs
            .iter()
            .all(|(l, _)| signatures.iter().any(|(s, _)| s == l))
    {
        return Err(Error::SignatureMissing);
    }
    let (label, member) = tagged(&inputs, policy.tag())?.ok_or(Error::WrongTag)?;
    let input = SignatureInput::from_member(label, &member)?;
    let sig_b64 = match signatures.iter().find(|(l, _)| *l == label) {
        Some((_, Member::Item(BareItem::ByteSeq(b), _))) => *b,
        Some(_) => return Err(Error::StructuredField),
        None => return Err(Error::SignatureMissing),
    };

    check_components(policy, &input, msg, body, request)?;

    let now = clock.now();
    let created = input.created.ok_or(Error::MissingClaim)?;
    if created > now.saturating_add(policy.max_future_skew) {
        return Err(Error::IssuedInFuture);
    }
    if now.saturating_sub(created) > policy.max_age {
        return Err(Error::TooOld);
    }
    if input.expires.is_some_and(|e| now > e) {
        return Err(Error::Expired);
    }

    let keyid = input
        .keyid
        .ok_or(Error::MissingClaim)?
        .plain()
        .map_err(|_| Error::KeyNotFound)?;
    let (alg, key) = select_key(policy, input.alg, keyid, jwks)?;

    let len = signature_base(&input, msg, request, scratch)?;
    let base = scratch.get(..len).ok_or(Error::BufferTooSmall)?;
    let mut sig = [0u8; MAX_SIGNATURE_LEN];
    let sig = Base64::decode(sig_b64, &mut sig).map_err(|_| Error::BadSignature)?;
    match (alg, &key) {
        (SignatureAlgorithm::RsaPssSha512, PublicKey::Rsa(k)) => {
            backend.verify_rsa_pss_sha512(k, base, sig)?;
        }
        (SignatureAlgorithm::RsaPssSha512, _) => return Err(Error::KeyAlgMismatch),
        (a, k) => backend.verify_with(k, a.key_alg(), base, sig)?,
    }

    // RFC 9530: the digest the signature covers is the content's.
    let mut digest_lines = lines(msg, "content-digest");
    if let Some(line) = digest_lines.next() {
        if digest_lines.next().is_some() {
            return Err(Error::DuplicateLabel);
        }
        content_digest::verify(line?, body)?;
    } else if !body.is_empty() {
        return Err(Error::DigestMismatch);
    }

    Ok(VerifiedSignature {
        label,
        keyid,
        alg,
        created,
    })
}

fn select_key(
    policy: &Policy<'_>,
    declared: Option<SignatureAlgorithm>,
    keyid: &str,
    jwks: &Jwks<'_>,
) -> Result<(SignatureAlgorithm, PublicKey), Error> {
    let find = |a: SignatureAlgorithm| -> Result<PublicKey, Error> {
        let jwk = jwks.find(Some(keyid), a.key_alg())?;
        // A JWK that declares PS256 is not an rsa-pss-sha512 key.
        if a == SignatureAlgorithm::RsaPssSha512 && jwk.alg.is_some() {
            return Err(Error::KeyAlgMismatch);
        }
        Ok(jwk.key)
    };
    if let Some(a) = declared {
        if !policy.algs.contains(&a) {
            return Err(Error::AlgNotAllowed);
        }
        return Ok((a, find(a)?));
    }
    // No `alg`: the key's type decides, among the allowed algorithms.
    let mut found = None;
    for a in policy.algs {
        if let Ok(k) = find(*a) {
            if found.is_some() {
                return Err(Error::KeyNotFound);
            }
            found = Some((*a, k));
        }
    }
    found.ok_or(Error::KeyNotFound)
}

/// The lengths of what a signing call wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedFields {
    /// The `Signature-Input` field value's length in its buffer.
    pub signature_input_len: usize,
    /// The `Signature` field value's length in its buffer.
    pub signature_len: usize,
}

/// Buffers a signing call writes into.
#[derive(Debug)]
pub struct SignatureBuffers<'b> {
    /// Receives the `Signature-Input` field value (`label=(...);...`).
    pub signature_input: &'b mut [u8],
    /// Receives the `Signature` field value (`label=:...:`).
    pub signature: &'b mut [u8],
    /// Holds the signature base while signing.
    pub scratch: &'b mut [u8],
}

fn push_sf_string(w: &mut Writer<'_>, s: &str) -> Result<(), Error> {
    w.push(b"\"")?;
    for b in s.bytes() {
        if !(0x20..=0x7e).contains(&b) {
            return Err(Error::InvalidParameter);
        }
        if b == b'"' || b == b'\\' {
            w.push(b"\\")?;
        }
        w.push(&[b])?;
    }
    w.push(b"\"")
}

/// Signs a resource request for FAPI 2.0 HTTP Signatures: covers
/// `@method`, `@target-uri`, `authorization`, `dpop` when the request has
/// one and `content-digest` when `body` is not empty (the caller has set
/// it, with [`content_digest::write`]), with `created` from `clock`,
/// `keyid`, `alg` and tag `fapi-2-request`, under `label`.
///
/// A component the request lacks (no `Authorization`, no
/// `Content-Digest` with a body) is [`Error::ComponentAbsent`]. An RSA
/// (PS256) key signs `rsa-pss-sha512` with
/// [`Signer::sign_rsa_pss_sha512`]; one that cannot is
/// [`Error::UnsupportedAlg`].
pub fn sign_request<S: Signer + ?Sized>(
    signer: &S,
    label: &str,
    request: &Message<'_>,
    body: &[u8],
    clock: &dyn Clock,
    out: SignatureBuffers<'_>,
) -> Result<SignedFields, Error> {
    let mut components: heapless::Vec<(&str, Option<&str>), 8> = heapless::Vec::new();
    let mut add = |name, key| components.push((name, key)).map_err(|_| Error::TooLarge);
    add("@method", None)?;
    add("@target-uri", None)?;
    add("authorization", None)?;
    if request.has("dpop") {
        add("dpop", None)?;
    }
    if !body.is_empty() || request.has("content-digest") {
        add("content-digest", None)?;
    }
    sign_with(
        signer,
        label,
        &components,
        &[],
        TAG_REQUEST,
        request,
        None,
        clock,
        out,
    )
}

/// Signs a resource response for FAPI 2.0 HTTP Signatures: covers
/// `@status`, `content-digest` when `body` is not empty, and of `request`
/// with `;req`: `@method`, `@target-uri`, `content-digest` when it had one,
/// and its `fapi-2-request` signature (`signature` and `signature-input`
/// with `;key`) when it was signed; `created`, `keyid`, `alg` and tag
/// `fapi-2-response`.
#[allow(clippy::too_many_arguments, reason = "each is a separate input")]
pub fn sign_response<S: Signer + ?Sized>(
    signer: &S,
    label: &str,
    response: &Message<'_>,
    body: &[u8],
    request: &Message<'_>,
    clock: &dyn Clock,
    out: SignatureBuffers<'_>,
) -> Result<SignedFields, Error> {
    let request_inputs = members(request, "signature-input")?;
    let request_label = tagged(&request_inputs, TAG_REQUEST)?.map(|(l, _)| l);
    let mut own: heapless::Vec<(&str, Option<&str>), 4> = heapless::Vec::new();
    let mut linked: heapless::Vec<(&str, Option<&str>), 8> = heapless::Vec::new();
    own.push(("@status", None)).map_err(|_| Error::TooLarge)?;
    if !body.is_empty() || response.has("content-digest") {
        own.push(("content-digest", None))
            .map_err(|_| Error::TooLarge)?;
    }
    let mut add = |name, key| linked.push((name, key)).map_err(|_| Error::TooLarge);
    add("@method", None)?;
    add("@target-uri", None)?;
    if request.has("content-digest") {
        add("content-digest", None)?;
    }
    if let Some(l) = request_label {
        add("signature", Some(l))?;
        add("signature-input", Some(l))?;
    }
    sign_with(
        signer,
        label,
        &own,
        &linked,
        TAG_RESPONSE,
        response,
        Some(request),
        clock,
        out,
    )
}

#[allow(clippy::too_many_arguments, reason = "each is a separate input")]
fn sign_with(
    signer: &(impl Signer + ?Sized),
    label: &str,
    own: &[(&str, Option<&str>)],
    linked: &[(&str, Option<&str>)],
    tag: &str,
    msg: &Message<'_>,
    request: Option<&Message<'_>>,
    clock: &dyn Clock,
    out: SignatureBuffers<'_>,
) -> Result<SignedFields, Error> {
    let alg = SignatureAlgorithm::of_signer(signer.alg());
    let SignatureBuffers {
        signature_input,
        signature,
        scratch,
    } = out;

    let mut w = Writer::new(signature_input);
    w.push(label.as_bytes())?;
    w.push(b"=(")?;
    let all = own
        .iter()
        .map(|c| (c, false))
        .chain(linked.iter().map(|c| (c, true)));
    for (i, ((name, key), req)) in all.enumerate() {
        if i > 0 {
            w.push(b" ")?;
        }
        push_sf_string(&mut w, name)?;
        if req {
            w.push(b";req")?;
        }
        if let Some(k) = key {
            w.push(b";key=")?;
            push_sf_string(&mut w, k)?;
        }
    }
    w.push(b");created=")?;
    w.integer(i64::try_from(clock.now()).map_err(|_| Error::InvalidParameter)?)?;
    w.push(b";keyid=")?;
    push_sf_string(&mut w, signer.key_id())?;
    w.push(b";alg=\"")?;
    w.push(alg.name().as_bytes())?;
    w.push(b"\";tag=")?;
    push_sf_string(&mut w, tag)?;
    let input_len = w.len();

    // Parse what was written, so the base signs exactly that.
    let text = core::str::from_utf8(
        signature_input
            .get(..input_len)
            .ok_or(Error::BufferTooSmall)?,
    )
    .map_err(|_| Error::InvalidParameter)?;
    let dict = Dictionary::parse(text).map_err(|_| Error::InvalidParameter)?;
    let (parsed_label, member) = dict.iter().next().ok_or(Error::InvalidParameter)?;
    if parsed_label != label {
        return Err(Error::InvalidParameter);
    }
    let input = SignatureInput::from_member(parsed_label, &member)?;
    let base_len = signature_base(&input, msg, request, scratch)?;
    let base = scratch.get(..base_len).ok_or(Error::BufferTooSmall)?;

    let mut raw = [0u8; MAX_SIGNATURE_LEN];
    let n = match alg {
        // RFC 9421 §3.3.1: SHA-512, MGF1-SHA-512, 64-byte salt; a signer
        // without it refuses (UnsupportedAlg), nothing falls back.
        SignatureAlgorithm::RsaPssSha512 => signer.sign_rsa_pss_sha512(base, &mut raw)?,
        SignatureAlgorithm::EcdsaP256Sha256 | SignatureAlgorithm::Ed25519 => {
            signer.sign(base, &mut raw)?
        }
    };
    let raw = raw.get(..n).ok_or(Error::SigningFailed)?;
    let mut w = Writer::new(signature);
    w.push(label.as_bytes())?;
    w.push(b"=:")?;
    let mut b64 = [0u8; MAX_SIGNATURE_LEN.div_ceil(3) * 4];
    let text = Base64::encode(raw, &mut b64).map_err(|_| Error::BufferTooSmall)?;
    w.push(text.as_bytes())?;
    w.push(b":")?;
    Ok(SignedFields {
        signature_input_len: input_len,
        signature_len: w.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9421_2_2_derived_components_from_the_target_uri() {
        let fields = FieldList(&[]);
        let m = Message::request("GET", "https://Example.COM:443/a/b?x=1&y", &fields);
        let input = Dictionary::parse(
            r#"s=("@authority" "@scheme" "@path" "@query" "@request-target" "@query-param";name="x")"#,
        )
        .unwrap();
        let (l, mem) = input.iter().next().unwrap();
        let input = SignatureInput::from_member(l, &mem).unwrap();
        let mut out = [0u8; 512];
        let n = signature_base(&input, &m, None, &mut out).unwrap();
        let base = core::str::from_utf8(&out[..n]).unwrap();
        assert!(base.starts_with(
            "\"@authority\": example.com\n\"@scheme\": https\n\"@path\": /a/b\n\"@query\": ?x=1&y\n\"@request-target\": /a/b?x=1&y\n\"@query-param\";name=\"x\": 1\n"
        ));
    }
}
