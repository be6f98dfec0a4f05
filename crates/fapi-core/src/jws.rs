//! Compact JWS (RFC 7515) for PS256, ES256 and EdDSA, signed into caller
//! buffers and verified against an explicit algorithm allow-list.
//!
//! Verification refuses, each with its own [`Error`]: more or fewer than
//! three parts (a five-part JWE is [`Error::Encrypted`]), oversized input,
//! bad base64url, malformed or duplicate-member JSON, an algorithm outside
//! F2-ALG or outside the caller's allow-list, a key whose algorithm is not
//! the header's, a `crit` naming an extension the caller does not
//! understand, `b64: false`, a wrong `typ`, and key-carrying headers (`jwk`,
//! `jku`, `x5u`, `x5c`) unless the caller asked for the embedded `jwk`, as
//! DPoP does. `jku` and `x5u` are always refused: fapi never fetches keys
//! named by the attacker.

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::alg::Alg;
use crate::b64;
use crate::crypto::{MAX_SIGNATURE_LEN, PublicKeyVerifier, Signer, Verifier};
use crate::error::Error;
use crate::json::{self, Writer};
use crate::jwk::{JwkMembers, Jwks, PublicJwk, PublicKey};

/// The largest decoded JOSE header accepted or written (bytes). Room for an
/// RSA-8192 `jwk`.
pub const MAX_HEADER: usize = 2048;
/// The largest compact JWS accepted (bytes).
pub const MAX_COMPACT: usize = 32 * 1024;
/// The most `crit` entries accepted.
pub const MAX_CRIT: usize = 8;

/// What a verification accepts.
#[derive(Clone, Copy, Debug)]
pub struct Policy<'p> {
    /// The algorithms accepted (the profile's). An algorithm outside it is
    /// [`Error::AlgNotAllowed`].
    pub algs: &'p [Alg],
    /// The `typ` the token must have (compared as RFC 7515 §4.1.9 says:
    /// case-insensitively, with `application/` optional), or `None` to
    /// accept any.
    pub typ: Option<&'p str>,
    /// The `crit` extensions the caller understands and checks itself.
    pub crit: &'p [&'p str],
    /// Whether the payload is JSON claims (a JWT). Its harmless string
    /// escapes are then rewritten in place ([`json::normalize_escapes`]);
    /// any other payload is returned byte for byte.
    pub json_payload: bool,
}

impl<'p> Policy<'p> {
    /// A policy that accepts `algs` and any `typ`.
    #[must_use]
    pub const fn new(algs: &'p [Alg]) -> Self {
        Self {
            algs,
            typ: None,
            crit: &[],
            json_payload: false,
        }
    }

    /// The same policy, requiring `typ`.
    #[must_use]
    pub const fn with_typ(mut self, typ: &'p str) -> Self {
        self.typ = Some(typ);
        self
    }

    /// The same policy, for a payload of JSON claims (a JWT).
    #[must_use]
    pub const fn json_payload(mut self) -> Self {
        self.json_payload = true;
        self
    }

    /// The same policy, understanding the `crit` extensions in `crit`.
    #[must_use]
    pub const fn with_crit(mut self, crit: &'p [&'p str]) -> Self {
        self.crit = crit;
        self
    }
}

#[derive(Deserialize)]
struct HeaderMembers<'a> {
    #[serde(borrow)]
    alg: Option<&'a str>,
    #[serde(borrow)]
    typ: Option<&'a str>,
    #[serde(borrow)]
    kid: Option<&'a str>,
    #[serde(borrow)]
    cty: Option<&'a str>,
    #[serde(borrow)]
    crit: Option<heapless::Vec<&'a str, MAX_CRIT>>,
    b64: Option<bool>,
    #[serde(borrow)]
    jwk: Option<JwkMembers<'a>>,
    jku: Option<IgnoredAny>,
    x5u: Option<IgnoredAny>,
    x5c: Option<IgnoredAny>,
    enc: Option<IgnoredAny>,
}

/// A checked JOSE header.
#[derive(Clone, Debug)]
pub struct Header<'a> {
    /// The algorithm, one of the caller's allowed ones.
    pub alg: Alg,
    /// `typ`, when present.
    pub typ: Option<&'a str>,
    /// `kid`, when present.
    pub kid: Option<&'a str>,
    /// `cty`, when present.
    pub cty: Option<&'a str>,
    /// The embedded public key (`jwk`), only when the caller asked for it.
    pub jwk: Option<PublicJwk<'a>>,
    /// The `crit` extensions (all understood by the caller).
    pub crit: heapless::Vec<&'a str, MAX_CRIT>,
}

/// A JWS whose signature verified: its header and decoded payload.
#[derive(Clone, Debug)]
pub struct Verified<'b> {
    /// The header.
    pub header: Header<'b>,
    /// The payload bytes (usually JSON claims).
    pub payload: &'b [u8],
}

/// Whether a JWS `typ` value names `expected` (RFC 7515 §4.1.9: media types
/// compare case-insensitively and `application/` may be left out).
#[must_use]
pub fn typ_matches(actual: &str, expected: &str) -> bool {
    fn strip(s: &str) -> &str {
        match s.get(..12) {
            Some(p) if p.eq_ignore_ascii_case("application/") => &s[12..],
            _ => s,
        }
    }
    strip(actual).eq_ignore_ascii_case(strip(expected))
}

/// Refuses a `typ` that names another kind of token fapi handles (a DPoP
/// proof or an access token) where a client assertion or a request object
/// is expected (RFC 8725 §3.11: no cross-JWT confusion), with
/// [`Error::WrongType`].
pub fn refuse_foreign_typ(typ: Option<&str>) -> Result<(), Error> {
    const FOREIGN: &[&str] = &["dpop+jwt", "at+jwt", "token-introspection+jwt"];
    match typ {
        Some(t) if FOREIGN.iter().any(|f| typ_matches(t, f)) => Err(Error::WrongType),
        _ => Ok(()),
    }
}

/// The three base64url parts of a compact JWS. A compact JWS is often a
/// credential (an access token, a client assertion), so its `Debug` shows
/// the length of each part and nothing of their bytes.
#[derive(Clone, Copy)]
pub struct Parts<'a> {
    /// The protected header, encoded.
    pub header: &'a [u8],
    /// The payload, encoded.
    pub payload: &'a [u8],
    /// The signature, encoded.
    pub signature: &'a [u8],
    /// `header.payload`: what the signature covers.
    pub signing_input: &'a [u8],
}

impl core::fmt::Debug for Parts<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Parts")
            .field("header_len", &self.header.len())
            .field("payload_len", &self.payload.len())
            .field("signature_len", &self.signature.len())
            .finish_non_exhaustive()
    }
}

/// Splits a compact JWS into its parts, without decoding them.
pub fn split(compact: &[u8]) -> Result<Parts<'_>, Error> {
    if compact.len() > MAX_COMPACT {
        return Err(Error::TooLarge);
    }
    match compact.iter().filter(|c| **c == b'.').count() {
        2 => {}
        4 => return Err(Error::Encrypted),
        _ => return Err(Error::Malformed),
    }
    let mut it = compact.splitn(3, |c| *c == b'.');
    let (Some(header), Some(payload), Some(signature)) = (it.next(), it.next(), it.next()) else {
        return Err(Error::Malformed);
    };
    // header '.' payload: the two parts and the dot between them.
    let input_len = header.len().saturating_add(1).saturating_add(payload.len());
    let signing_input = compact.get(..input_len).ok_or(Error::Malformed)?;
    Ok(Parts {
        header,
        payload,
        signature,
        signing_input,
    })
}

/// How the verification key is chosen.
enum KeySource<'k, 'j> {
    Fixed(&'k dyn Verifier),
    Embedded(&'k dyn PublicKeyVerifier),
    Set(&'k dyn PublicKeyVerifier, &'k Jwks<'j>),
}

/// Verifies `compact` with `key`, whose algorithm must be the header's.
///
/// `buf` receives the decoded header and payload, which the result borrows;
/// [`Error::TooLarge`] when it is too small.
pub fn verify<'b, V: Verifier + ?Sized>(
    compact: &[u8],
    policy: &Policy<'_>,
    key: &V,
    buf: &'b mut [u8],
) -> Result<Verified<'b>, Error> {
    run(compact, policy, KeySource::Fixed(&key), buf)
}

/// Verifies `compact` with the public key in its own `jwk` header, as a
/// DPoP proof is verified (RFC 9449 §4.3). The key must be public-only and
/// of the header's algorithm; the result's `header.jwk` is that key.
pub fn verify_embedded<'b, P: PublicKeyVerifier + ?Sized>(
    compact: &[u8],
    policy: &Policy<'_>,
    backend: &P,
    buf: &'b mut [u8],
) -> Result<Verified<'b>, Error> {
    run(compact, policy, KeySource::Embedded(&backend), buf)
}

/// Verifies `compact` with the key of `jwks` that its `kid` and `alg` select
/// (a client's JWKS for `private_key_jwt`).
pub fn verify_with_jwks<'b, P: PublicKeyVerifier + ?Sized>(
    compact: &[u8],
    policy: &Policy<'_>,
    backend: &P,
    jwks: &Jwks<'_>,
    buf: &'b mut [u8],
) -> Result<Verified<'b>, Error> {
    run(compact, policy, KeySource::Set(&backend, jwks), buf)
}

fn run<'b>(
    compact: &[u8],
    policy: &Policy<'_>,
    source: KeySource<'_, '_>,
    buf: &'b mut [u8],
) -> Result<Verified<'b>, Error> {
    let parts = split(compact)?;
    let header_len = b64::decoded_len(parts.header.len()).ok_or(Error::Base64)?;
    if header_len > MAX_HEADER {
        return Err(Error::TooLarge);
    }
    if header_len > buf.len() {
        return Err(Error::TooLarge);
    }
    let (head_buf, payload_buf) = buf.split_at_mut(header_len);
    let head: &'b [u8] = decode_json(parts.header, head_buf)?;
    let members: HeaderMembers<'b> = json::parse(head)?;

    // F2-ALG: the algorithm is one of the three, then one the caller allows.
    let alg = Alg::from_name(members.alg.ok_or(Error::UnsupportedAlg)?)?;
    alg.check_allowed(policy.algs)?;
    if members.enc.is_some() {
        return Err(Error::Encrypted);
    }
    if members.b64 == Some(false) {
        return Err(Error::UnencodedPayload);
    }
    let crit = match members.crit {
        Some(list) => {
            if list.is_empty() || !list.iter().all(|c| policy.crit.contains(c)) {
                return Err(Error::UnsupportedCrit);
            }
            list
        }
        None => heapless::Vec::new(),
    };
    if policy
        .typ
        .is_some_and(|want| !members.typ.is_some_and(|t| typ_matches(t, want)))
    {
        return Err(Error::WrongType);
    }
    // Keys named by the sender are never fetched.
    if members.jku.is_some() || members.x5u.is_some() || members.x5c.is_some() {
        return Err(Error::EmbeddedKey);
    }
    let embedded = match (&source, members.jwk.as_ref()) {
        (KeySource::Embedded(_), Some(m)) => Some(PublicJwk::from_members(m)?),
        (KeySource::Embedded(_), None) => return Err(Error::MissingEmbeddedKey),
        (_, Some(_)) => return Err(Error::EmbeddedKey),
        (_, None) => None,
    };

    let mut sig_buf = [0u8; MAX_SIGNATURE_LEN];
    let signature = b64::decode(parts.signature, &mut sig_buf).map_err(|e| match e {
        Error::TooLarge => Error::BadSignature,
        e => e,
    })?;
    if alg
        .fixed_signature_len()
        .is_some_and(|n| n != signature.len())
    {
        return Err(Error::BadSignature);
    }
    match source {
        KeySource::Fixed(key) => {
            if key.alg() != alg {
                return Err(Error::KeyAlgMismatch);
            }
            key.verify(parts.signing_input, signature)?;
        }
        KeySource::Embedded(backend) => {
            let jwk = embedded.as_ref().ok_or(Error::MissingEmbeddedKey)?;
            check_key(&jwk.key, jwk.alg, alg)?;
            backend.verify_with(&jwk.key, alg, parts.signing_input, signature)?;
        }
        KeySource::Set(backend, jwks) => {
            let jwk = jwks.find(members.kid, alg)?;
            check_key(&jwk.key, jwk.alg, alg)?;
            backend.verify_with(&jwk.key, alg, parts.signing_input, signature)?;
        }
    }

    let payload: &'b [u8] = if policy.json_payload {
        decode_json(parts.payload, payload_buf)?
    } else {
        b64::decode(parts.payload, payload_buf)?
    };
    Ok(Verified {
        header: Header {
            alg,
            typ: members.typ,
            kid: members.kid,
            cty: members.cty,
            jwk: embedded,
            crit,
        },
        payload,
    })
}

/// Decodes a base64url JOSE header or JSON payload into `buf` and rewrites
/// harmless string escapes in place ([`json::normalize_escapes`]).
fn decode_json<'b>(src: &[u8], buf: &'b mut [u8]) -> Result<&'b [u8], Error> {
    let decoded = b64::decode_mut(src, buf)?;
    let len = json::normalize_escapes(decoded);
    decoded.get(..len).ok_or(Error::Json)
}

fn check_key(key: &PublicKey, jwk_alg: Option<Alg>, alg: Alg) -> Result<(), Error> {
    key.check_alg(alg)?;
    if jwk_alg.is_some_and(|a| a != alg) {
        return Err(Error::KeyAlgMismatch);
    }
    Ok(())
}

/// Decodes a compact JWS **without verifying it**, to read what selects the
/// verification key (a client assertion's `iss`, say). Nothing read here
/// may be trusted until the same token has gone through [`verify`],
/// [`verify_embedded`] or [`verify_with_jwks`].
pub fn decode_unverified<'b>(compact: &[u8], buf: &'b mut [u8]) -> Result<(Alg, &'b [u8]), Error> {
    let parts = split(compact)?;
    let header_len = b64::decoded_len(parts.header.len()).ok_or(Error::Base64)?;
    if header_len > MAX_HEADER || header_len > buf.len() {
        return Err(Error::TooLarge);
    }
    let (head_buf, payload_buf) = buf.split_at_mut(header_len);
    let head: &'b [u8] = decode_json(parts.header, head_buf)?;
    let members: HeaderMembers<'b> = json::parse(head)?;
    let alg = Alg::from_name(members.alg.ok_or(Error::UnsupportedAlg)?)?;
    let payload: &'b [u8] = decode_json(parts.payload, payload_buf)?;
    Ok((alg, payload))
}

/// The protected header members fapi writes when it signs.
#[derive(Clone, Copy, Debug, Default)]
pub struct HeaderParams<'a> {
    /// `typ`, such as `dpop+jwt` or `at+jwt`.
    pub typ: Option<&'a str>,
    /// `kid`; usually the signer's key id.
    pub kid: Option<&'a str>,
    /// The public key to embed as `jwk` (DPoP proofs).
    pub jwk: Option<&'a PublicKey>,
}

impl<'a> HeaderParams<'a> {
    /// A header with `typ`.
    #[must_use]
    pub const fn typed(typ: &'a str) -> Self {
        Self {
            typ: Some(typ),
            kid: None,
            jwk: None,
        }
    }

    /// The same header with `kid`.
    #[must_use]
    pub const fn with_kid(mut self, kid: &'a str) -> Self {
        self.kid = Some(kid);
        self
    }

    /// The same header embedding `jwk`.
    #[must_use]
    pub const fn with_jwk(mut self, jwk: &'a PublicKey) -> Self {
        self.jwk = Some(jwk);
        self
    }
}

/// Signs `payload` as a compact JWS with `signer`, writing it into `out` and
/// returning its length. The header's `alg` is the signer's.
pub fn sign<S: Signer + ?Sized>(
    signer: &S,
    header: &HeaderParams<'_>,
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, Error> {
    let alg = signer.alg();
    // Signing is on every token's path: small stack buffers for the common
    // case (a header without an embedded RSA key, a 64-byte signature), the
    // full-size ones only when they are needed, so that each call does not
    // zero 3 KiB.
    let mut small_head = [0u8; SMALL_HEADER];
    let input_len = match write_header(alg, header, &mut small_head) {
        Ok(head) => put_signing_input(out, head, payload)?,
        Err(Error::BufferTooSmall) => {
            let mut head = [0u8; MAX_HEADER];
            put_signing_input(out, write_header(alg, header, &mut head)?, payload)?
        }
        Err(e) => return Err(e),
    };
    match alg.fixed_signature_len() {
        Some(FIXED_SIGNATURE_LEN) => {
            put_signature(signer, out, input_len, &mut [0u8; FIXED_SIGNATURE_LEN])
        }
        _ => put_signature(signer, out, input_len, &mut [0u8; MAX_SIGNATURE_LEN]),
    }
}

/// The header buffer tried first by [`sign`].
const SMALL_HEADER: usize = 256;
/// The signature length of ES256 and EdDSA.
const FIXED_SIGNATURE_LEN: usize = 64;

/// Writes the protected header JSON for `alg` and `header` into `buf`.
fn write_header<'b>(
    alg: Alg,
    header: &HeaderParams<'_>,
    buf: &'b mut [u8],
) -> Result<&'b [u8], Error> {
    let len = {
        let mut w = Writer::new(buf);
        w.raw(b"{")?;
        w.key("alg")?;
        w.string(alg.name())?;
        if let Some(typ) = header.typ {
            w.raw(b",")?;
            w.key("typ")?;
            w.string(typ)?;
        }
        if let Some(kid) = header.kid {
            w.raw(b",")?;
            w.key("kid")?;
            w.string(kid)?;
        }
        if let Some(key) = header.jwk {
            key.check_alg(alg)?;
            w.raw(b",")?;
            w.key("jwk")?;
            let jwk = PublicJwk {
                key: key.clone(),
                kid: None,
                alg: None,
                key_use: None,
            };
            jwk.write(&mut w)?;
        }
        w.raw(b"}")?;
        w.len()
    };
    buf.get(..len).ok_or(Error::BufferTooSmall)
}

/// Writes `b64(head) '.' b64(payload)` at the start of `out`, returning its
/// length.
fn put_signing_input(out: &mut [u8], head: &[u8], payload: &[u8]) -> Result<usize, Error> {
    let at = put_b64(out, 0, head)?;
    let at = put_dot(out, at)?;
    put_b64(out, at, payload)
}

/// Signs the signing input at the start of `out` with `signer` (through
/// `sig`, which must be long enough for the signature) and appends
/// `'.' b64(signature)`, returning the compact length.
fn put_signature<S: Signer + ?Sized>(
    signer: &S,
    out: &mut [u8],
    input_len: usize,
    sig: &mut [u8],
) -> Result<usize, Error> {
    let signing_input = out.get(..input_len).ok_or(Error::BufferTooSmall)?;
    let sig_len = signer.sign(signing_input, sig)?;
    let sig = sig.get(..sig_len).ok_or(Error::SigningFailed)?;
    let at = put_dot(out, input_len)?;
    put_b64(out, at, sig)
}

/// Writes `.` at `at`, returning the position after it.
fn put_dot(out: &mut [u8], at: usize) -> Result<usize, Error> {
    *out.get_mut(at).ok_or(Error::BufferTooSmall)? = b'.';
    at.checked_add(1).ok_or(Error::BufferTooSmall)
}

/// Writes the base64url of `bytes` at `at`, returning the position after it.
/// Everything encoded here (header, payload, signature) is published as the
/// JWS, so the faster table-lookup encoder is used.
fn put_b64(out: &mut [u8], at: usize, bytes: &[u8]) -> Result<usize, Error> {
    let len = b64::encode_vartime(bytes, out.get_mut(at..).ok_or(Error::BufferTooSmall)?)?;
    at.checked_add(len).ok_or(Error::BufferTooSmall)
}
