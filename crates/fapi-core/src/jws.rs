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
//! named by the attacker. A JWT payload ([`Policy::json_payload`]) must be
//! exactly one JSON object under the rules of [`json::check`].
//!
//! # Buffers
//!
//! Verification decodes the header and payload into the caller's buffer,
//! followed by room for decoding their escaped strings. A buffer of
//! [`verify_buf_len`]`(compact.len())` bytes suffices for any input;
//! a smaller one that does not fit is [`Error::BufferTooSmall`] (the
//! server's sizing, a `server_error`), while input over fapi's limits is
//! [`Error::TooLarge`]. Signing writes at most [`max_signed_len`] bytes.

use core::fmt;

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
    /// Whether the payload is JSON claims (a JWT). It must then be exactly
    /// one JSON object by the rules of [`json::check`] (valid UTF-8, no
    /// duplicate members, within the limits), else the error `check` gives;
    /// the escapes JSON does not require are rewritten in place
    /// ([`json::normalize_escapes`]). Any other payload is returned byte for
    /// byte.
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

    /// The same policy, for a payload of JSON claims (a JWT): exactly one
    /// JSON object under the rules of [`json::check`] (no duplicate
    /// members, valid UTF-8, within the limits), else the error `check`
    /// gives.
    ///
    /// ```
    /// use fapi_core::{Alg, jws::Policy};
    /// let policy = Policy::new(&[Alg::Es256]).with_typ("JWT").json_payload();
    /// assert!(policy.json_payload);
    /// ```
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
pub struct Verified<'b> {
    /// The header.
    pub header: Header<'b>,
    /// The payload bytes (usually JSON claims).
    pub payload: &'b [u8],
    /// The rest of the caller's buffer, after the payload: room to decode
    /// the payload's escaped strings ([`Verified::claims`]). For a JSON
    /// payload it is at least [`json::scratch_len`] of the payload.
    pub scratch: &'b mut [u8],
    /// What is known of a JSON payload (see [`PayloadCheck`]).
    checked: PayloadCheck<'b>,
}

/// What [`Verified::claims`] knows of the payload it reads.
#[derive(Clone, Copy)]
enum PayloadCheck<'b> {
    /// Not a JSON payload, or nothing known: claims are checked and parsed.
    None,
    /// The payload as [`json::check`] accepted it: parsed without a second
    /// check.
    Done(&'b [u8]),
    /// The payload of a verification whose caller reads the claims right
    /// after it ([`verify_claims_later`] and its kin, inside fapi): checked
    /// while it is parsed, in one pass, with the errors and their order
    /// of a check at verification followed by the parse.
    OnePass(&'b [u8]),
}

impl<'b> Verified<'b> {
    /// Parses the JSON payload into `T`, decoding its escaped strings into
    /// [`Verified::scratch`], which this uses up (a second call has no
    /// scratch left).
    ///
    /// ```
    /// # use fapi_core::{Alg, Error, crypto::Verifier, jws::{self, Policy}};
    /// # struct AnyKey;
    /// # impl Verifier for AnyKey {
    /// #     fn alg(&self) -> Alg { Alg::EdDsa }
    /// #     fn verify(&self, _: &[u8], _: &[u8]) -> Result<(), Error> { Ok(()) }
    /// # }
    /// #[derive(serde::Deserialize)]
    /// struct Claims<'a> {
    ///     sub: &'a str,
    /// }
    /// // {"alg":"EdDSA"} . {"sub":"a\"b"} . a 64-byte signature
    /// let jws = b"eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhXCJiIn0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    /// let mut buf = [0u8; jws::verify_buf_len(256)];
    /// let mut v = jws::verify(jws, &Policy::new(&[Alg::EdDsa]).json_payload(), &AnyKey, &mut buf)?;
    /// let claims: Claims<'_> = v.claims()?;
    /// assert_eq!(claims.sub, "a\"b");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn claims<T: Deserialize<'b>>(&mut self) -> Result<T, Error> {
        let scratch = core::mem::take(&mut self.scratch);
        // RFC 8725 §3.4: the payload was checked (no duplicate members,
        // UTF-8, one object) when it was read; the check is not repeated
        // for the very same bytes. A payload swapped in since is checked.
        match self.checked {
            PayloadCheck::Done(c) if core::ptr::eq(c, self.payload) => {
                json::parse_checked_in(c, scratch)
            }
            PayloadCheck::OnePass(c) if core::ptr::eq(c, self.payload) => {
                json::parse_checking_in(c, scratch).map(|(claims, _)| claims)
            }
            _ => json::parse_in(self.payload, scratch),
        }
    }
}

impl Verified<'_> {
    /// The payload check that a verification whose claims are read later
    /// ([`verify_claims_later`]) left to [`Verified::claims`], for a caller
    /// that refuses the token before reading them: its error comes first,
    /// as it would have from [`verify`]. Nothing for any other
    /// verification (its payload was checked when it was read).
    pub(crate) fn check_payload(&self) -> Result<(), Error> {
        match self.checked {
            PayloadCheck::OnePass(payload) if json::scratch_len(payload)? > self.scratch.len() => {
                Err(Error::BufferTooSmall)
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for Verified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("header", &self.header)
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

/// The buffer size that [`verify`], [`verify_embedded`],
/// [`verify_with_jwks`] and [`decode_unverified`] need at most for a compact
/// JWS of `compact_len` bytes: its decoded header and payload (at most 3/4
/// of the input) and room for decoding their escaped strings (at most as
/// much again).
///
/// ```
/// use fapi_core::jws;
/// let mut buf = [0u8; jws::verify_buf_len(fapi_core::token::MAX_TOKEN_LEN)];
/// assert_eq!(buf.len(), 12_288);
/// ```
#[must_use]
pub const fn verify_buf_len(compact_len: usize) -> usize {
    compact_len.saturating_mul(3) / 2
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
    // The first dot from the front (past the short header), the last from
    // the back (past the short signature), and one vectorised search of
    // the payload between them for any other: a token is read byte by
    // byte only where it must be (`perf` on `token::verify`: counting the
    // dots, then splitting at them, were two byte loops over the whole
    // token).
    let (Some(first), Some(last)) = (
        compact.iter().position(|c| *c == b'.'),
        compact.iter().rposition(|c| *c == b'.'),
    ) else {
        return Err(Error::Malformed);
    };
    let (Some(header), Some(payload), Some(signature)) = (
        compact.get(..first),
        compact.get(first.saturating_add(1)..last),
        compact.get(last.saturating_add(1)..),
    ) else {
        // One dot only (first == last).
        return Err(Error::Malformed);
    };
    if payload.contains(&b'.') {
        // A JWE (RFC 7516 §7.1) has four dots.
        return Err(if compact.iter().filter(|c| **c == b'.').count() == 4 {
            Error::Encrypted
        } else {
            Error::Malformed
        });
    }
    // header '.' payload: the two parts and the dot between them.
    let signing_input = compact.get(..last).ok_or(Error::Malformed)?;
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
/// `buf` receives the decoded header and payload, which the result borrows,
/// and room to decode their escaped strings; [`Error::BufferTooSmall`] when
/// it is too small ([`verify_buf_len`] always suffices).
pub fn verify<'b, V: Verifier + ?Sized>(
    compact: &[u8],
    policy: &Policy<'_>,
    key: &V,
    buf: &'b mut [u8],
) -> Result<Verified<'b>, Error> {
    run(compact, policy, KeySource::Fixed(&key), buf, Claims::Now)
}

/// [`verify`] for a caller inside fapi that calls [`Verified::claims`]
/// right after it: a JSON payload is then checked while the claims are
/// parsed (one pass), and the errors are the ones, in the order, that
/// [`verify`] and then `claims` would give. A caller that can fail between
/// the two calls first calls [`Verified::check_payload`] on that path.
pub(crate) fn verify_claims_later<'b, V: Verifier + ?Sized>(
    compact: &[u8],
    policy: &Policy<'_>,
    key: &V,
    buf: &'b mut [u8],
) -> Result<Verified<'b>, Error> {
    run(compact, policy, KeySource::Fixed(&key), buf, Claims::Later)
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
    run(
        compact,
        policy,
        KeySource::Embedded(&backend),
        buf,
        Claims::Now,
    )
}

/// [`verify_embedded`], for a caller that reads the claims right after it
/// (see [`verify_claims_later`]).
pub(crate) fn verify_embedded_claims_later<'b, P: PublicKeyVerifier + ?Sized>(
    compact: &[u8],
    policy: &Policy<'_>,
    backend: &P,
    buf: &'b mut [u8],
) -> Result<Verified<'b>, Error> {
    run(
        compact,
        policy,
        KeySource::Embedded(&backend),
        buf,
        Claims::Later,
    )
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
    run(
        compact,
        policy,
        KeySource::Set(&backend, jwks),
        buf,
        Claims::Now,
    )
}

/// [`verify_with_jwks`], for a caller that reads the claims right after it
/// (see [`verify_claims_later`]).
pub(crate) fn verify_with_jwks_claims_later<'b, P: PublicKeyVerifier + ?Sized>(
    compact: &[u8],
    policy: &Policy<'_>,
    backend: &P,
    jwks: &Jwks<'_>,
    buf: &'b mut [u8],
) -> Result<Verified<'b>, Error> {
    run(
        compact,
        policy,
        KeySource::Set(&backend, jwks),
        buf,
        Claims::Later,
    )
}

/// When a JSON payload is checked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Claims {
    /// At verification (the public functions).
    Now,
    /// While [`Verified::claims`] parses it, right after the verification.
    Later,
}

fn run<'b>(
    compact: &[u8],
    policy: &Policy<'_>,
    source: KeySource<'_, '_>,
    buf: &'b mut [u8],
    claims: Claims,
) -> Result<Verified<'b>, Error> {
    let parts = split(compact)?;
    let (members, payload_buf) = read_header(parts.header, buf)?;

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

    // A signature longer than any fapi accepts is simply a bad one. The
    // signature is public (it travels in the JWS): table-lookup decode.
    // ES256 and EdDSA signatures decode into 64 bytes on the stack; the
    // 1 KiB buffer (zeroed on each call) only for longer ones.
    let mut small_sig = [0u8; FIXED_SIGNATURE_LEN];
    let mut large_sig;
    let sig_buf: &mut [u8] = match b64::decoded_len(parts.signature.len()) {
        Some(n) if n <= FIXED_SIGNATURE_LEN => &mut small_sig,
        _ => {
            large_sig = [0u8; MAX_SIGNATURE_LEN];
            &mut large_sig
        }
    };
    let signature = b64::decode_vartime(parts.signature, sig_buf).map_err(|e| match e {
        Error::BufferTooSmall => Error::BadSignature,
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

    let later = policy.json_payload && claims == Claims::Later;
    let (payload, scratch) = read_payload(parts.payload, policy.json_payload, later, payload_buf)?;
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
        scratch,
        checked: match (policy.json_payload, later) {
            (false, _) => PayloadCheck::None,
            (true, false) => PayloadCheck::Done(payload),
            (true, true) => PayloadCheck::OnePass(payload),
        },
    })
}

/// Decodes and parses the protected header at the start of `buf`, with room
/// after it for its escaped strings; returns the header and the rest of
/// `buf`.
fn read_header<'b>(
    encoded: &[u8],
    buf: &'b mut [u8],
) -> Result<(HeaderMembers<'b>, &'b mut [u8]), Error> {
    let header_len = b64::decoded_len(encoded.len()).ok_or(Error::Base64)?;
    if header_len > MAX_HEADER {
        return Err(Error::TooLarge);
    }
    let (head_buf, rest) = buf
        .split_at_mut_checked(header_len)
        .ok_or(Error::BufferTooSmall)?;
    let head: &'b [u8] = decode_json(encoded, head_buf)?;
    // Checked while it is parsed, in one pass, where flash is not counted
    // (the same errors; see `json::parse_checking_in`).
    #[cfg(not(feature = "compact"))]
    {
        json::parse_checking_in(head, rest)
    }
    #[cfg(feature = "compact")]
    {
        let need = json::scratch_len(head)?;
        let (scratch, rest) = rest
            .split_at_mut_checked(need)
            .ok_or(Error::BufferTooSmall)?;
        let members = json::parse_checked_in(head, scratch)?;
        Ok((members, rest))
    }
}

/// Decodes the payload at the start of `buf`; returns it and the rest of
/// `buf`. A JSON payload must be one JSON object that [`json::check`]
/// accepts, and the rest of `buf` must have room for its escaped strings.
fn read_payload<'b>(
    encoded: &[u8],
    json_payload: bool,
    check_later: bool,
    buf: &'b mut [u8],
) -> Result<(&'b [u8], &'b mut [u8]), Error> {
    let len = b64::decoded_len(encoded.len()).ok_or(Error::Base64)?;
    let (payload_buf, rest) = buf.split_at_mut_checked(len).ok_or(Error::BufferTooSmall)?;
    if !json_payload {
        return Ok((b64::decode_vartime(encoded, payload_buf)?, rest));
    }
    let payload: &'b [u8] = decode_json(encoded, payload_buf)?;
    if check_later {
        // Checked by `Verified::claims`, right after, as it parses.
        return Ok((payload, rest));
    }
    // RFC 7519 §7.2: the claims are a JSON object; RFC 8725 §3.4 (and
    // RFC 7519 §4): no duplicate claims, and valid UTF-8.
    if json::scratch_len(payload)? > rest.len() {
        return Err(Error::BufferTooSmall);
    }
    Ok((payload, rest))
}

/// Decodes a base64url JOSE header or JSON payload into `buf` and rewrites
/// the escapes JSON does not require in place ([`json::normalize_escapes`]).
///
/// The header and payload of a JWS are readable by whoever holds it, so
/// they are decoded with the table-lookup [`b64::decode_vartime`] (same
/// rules, same errors as the constant-time decode; see its comment for why
/// that is safe and what it saves).
fn decode_json<'b>(src: &[u8], buf: &'b mut [u8]) -> Result<&'b [u8], Error> {
    let decoded = b64::decode_mut_vartime(src, buf)?;
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

/// A compact JWS decoded **without verifying it**: what selects the
/// verification key. Nothing here may be trusted until the same token has
/// gone through [`verify`], [`verify_embedded`] or [`verify_with_jwks`].
pub struct Unverified<'b> {
    /// The header's `alg` (one of the three; not yet checked against any
    /// allow-list).
    pub alg: Alg,
    /// The header's `kid`, when present: the key a server picks from its
    /// own store.
    pub kid: Option<&'b str>,
    /// The header's `typ`, when present.
    pub typ: Option<&'b str>,
    /// The payload, which [`decode_unverified`] requires to be one JSON
    /// object that [`json::check`] accepts.
    pub payload: &'b [u8],
    /// The rest of the caller's buffer: room to decode the payload's
    /// escaped strings ([`Unverified::claims`]).
    pub scratch: &'b mut [u8],
}

impl<'b> Unverified<'b> {
    /// Parses the (unverified) JSON payload into `T`, decoding its escaped
    /// strings into [`Unverified::scratch`], which this uses up.
    pub fn claims<T: Deserialize<'b>>(&mut self) -> Result<T, Error> {
        json::parse_in(self.payload, core::mem::take(&mut self.scratch))
    }
}

impl fmt::Debug for Unverified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unverified")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("typ", &self.typ)
            .field("payload_len", &self.payload.len())
            .finish_non_exhaustive()
    }
}

/// Decodes a compact JWS **without verifying it**, to read what selects the
/// verification key: the header's `alg`, `kid` and `typ`, and the JSON
/// payload (a client assertion's `iss`, say). Nothing read here may be
/// trusted until the same token has gone through [`verify`],
/// [`verify_embedded`] or [`verify_with_jwks`]. `buf` is sized as for
/// [`verify`].
///
/// ```
/// use fapi_core::{Alg, jws};
/// // {"alg":"ES256","kid":"k-2024","typ":"JWT"} . {"iss":"client-1"} . signature
/// let jwt = b"eyJhbGciOiJFUzI1NiIsImtpZCI6ImstMjAyNCIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJjbGllbnQtMSJ9.c2ln";
/// let mut buf = [0u8; jws::verify_buf_len(128)];
/// let u = jws::decode_unverified(jwt, &mut buf)?;
/// assert_eq!((u.alg, u.kid, u.typ), (Alg::Es256, Some("k-2024"), Some("JWT")));
/// assert_eq!(u.payload, br#"{"iss":"client-1"}"#);
/// # Ok::<(), fapi_core::Error>(())
/// ```
pub fn decode_unverified<'b>(compact: &[u8], buf: &'b mut [u8]) -> Result<Unverified<'b>, Error> {
    let parts = split(compact)?;
    let (members, payload_buf) = read_header(parts.header, buf)?;
    let alg = Alg::from_name(members.alg.ok_or(Error::UnsupportedAlg)?)?;
    let (payload, scratch) = read_payload(parts.payload, true, false, payload_buf)?;
    Ok(Unverified {
        alg,
        kid: members.kid,
        typ: members.typ,
        payload,
        scratch,
    })
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
/// returning its length. The header's `alg` is the signer's. An `out`
/// shorter than the JWS is [`Error::BufferTooSmall`]; [`max_signed_len`]
/// bytes always suffice.
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
        Err(Error::BufferTooSmall) => put_large_header(alg, header, payload, out)?,
        Err(e) => return Err(e),
    };
    match alg.fixed_signature_len() {
        Some(FIXED_SIGNATURE_LEN) => {
            put_signature(signer, out, input_len, &mut [0u8; FIXED_SIGNATURE_LEN])
        }
        _ => put_long_signature(signer, out, input_len),
    }
}

/// The most bytes [`sign`] writes for `header` and a payload of
/// `payload_len` bytes under `alg`: exact for ES256 and EdDSA, and for
/// PS256 a bound that holds for any RSA key fapi accepts (up to
/// [`MAX_RSA_BITS`](crate::jwk::MAX_RSA_BITS)).
///
/// ```
/// use fapi_core::{Alg, jws::{self, HeaderParams}};
/// let header = HeaderParams::typed("at+jwt").with_kid("k1");
/// // {"alg":"ES256","typ":"at+jwt","kid":"k1"}: 41 bytes, 55 in base64url;
/// // 100 payload bytes, 134; a 64-byte signature, 86; two dots.
/// assert_eq!(jws::max_signed_len(Alg::Es256, &header, 100)?, 55 + 1 + 134 + 1 + 86);
/// # Ok::<(), fapi_core::Error>(())
/// ```
pub fn max_signed_len(
    alg: Alg,
    header: &HeaderParams<'_>,
    payload_len: usize,
) -> Result<usize, Error> {
    if payload_len > MAX_COMPACT {
        return Err(Error::TooLarge);
    }
    let mut head = [0u8; MAX_HEADER];
    let head_len = write_header(alg, header, &mut head)?.len();
    let signature_len = alg.fixed_signature_len().unwrap_or(MAX_SIGNATURE_LEN);
    b64::encoded_len(head_len)
        .checked_add(b64::encoded_len(payload_len))
        .and_then(|n| n.checked_add(b64::encoded_len(signature_len)))
        .and_then(|n| n.checked_add(2))
        .ok_or(Error::TooLarge)
}

/// [`sign`]'s path for a signature as long as an RSA modulus: its 1 KiB
/// buffer is on the stack only for PS256, not in every `sign` frame.
#[inline(never)]
fn put_long_signature<S: Signer + ?Sized>(
    signer: &S,
    out: &mut [u8],
    input_len: usize,
) -> Result<usize, Error> {
    put_signature(signer, out, input_len, &mut [0u8; MAX_SIGNATURE_LEN])
}

/// [`sign`]'s path for a header over [`SMALL_HEADER`] (an embedded RSA
/// key): its 2 KiB buffer is on the stack only when that path is taken, not
/// in every `sign` frame (a firmware's stack pays for the largest frame).
#[inline(never)]
fn put_large_header(
    alg: Alg,
    header: &HeaderParams<'_>,
    payload: &[u8],
    out: &mut [u8],
) -> Result<usize, Error> {
    let mut head = [0u8; MAX_HEADER];
    put_signing_input(out, write_header(alg, header, &mut head)?, payload)
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
            // The key's members only (no `kid`, `alg`, `use`), written from
            // the borrowed key: no copy of a key that may hold 1 KiB of RSA
            // modulus.
            w.raw(b"{")?;
            key.write_members(&mut w)?;
            w.raw(b"}")?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `split` by the number of dots: two is a JWS (empty parts included),
    /// four a JWE (`Encrypted`), any other count `Malformed`; the parts
    /// and the signing input are those between the dots.
    #[test]
    fn split_by_dot_count() {
        let p = split(b"aa.bbb.c").unwrap();
        assert_eq!(
            (p.header, p.payload, p.signature, p.signing_input),
            (&b"aa"[..], &b"bbb"[..], &b"c"[..], &b"aa.bbb"[..])
        );
        let p = split(b"..").unwrap();
        assert_eq!(
            (p.header, p.payload, p.signature),
            (&b""[..], &b""[..], &b""[..])
        );
        assert_eq!(p.signing_input, b".");
        for (text, want) in [
            (&b""[..], Error::Malformed),
            (b"abc", Error::Malformed),
            (b"a.b", Error::Malformed),
            (b".", Error::Malformed),
            (b"a.b.c.d", Error::Malformed),
            (b"a.b.c.d.e", Error::Encrypted),
            (b"....", Error::Encrypted),
            (b"a.b.c.d.e.f", Error::Malformed),
            (b"a..b..c.d", Error::Malformed),
        ] {
            assert_eq!(split(text).err(), Some(want), "{text:?}");
        }
        let long = [b'a'; MAX_COMPACT + 1];
        assert_eq!(split(&long).err(), Some(Error::TooLarge));
    }
}
