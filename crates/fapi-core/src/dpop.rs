//! DPoP (RFC 9449): proof verification with every check of §4.3, `ath`,
//! stateless server nonces and the binding of tokens and codes to the
//! proof's key.
//!
//! [`verify_proof`] checks, in this order, each with its own [`Error`]:
//! the JWS (`typ` `dpop+jwt`, `alg` in the profile's list, a public-only
//! `jwk` header of that algorithm, the signature), the claims `jti`, `htm`,
//! `htu` and `iat` present; `htm` equal to the request method; `htu` equal
//! to the request URI without query and fragment, both normalised per
//! RFC 3986 §6.2.2 and §6.2.3 ([`normalize_htu`]); `iat` within the time
//! window; `ath` when an access token is presented; the server nonce when
//! the server requires one; and last `jti` used once (so a proof refused for
//! another reason does not use up its `jti`).
//!
//! # Two kinds of verified proof
//!
//! A proof is verified for one request, and what it was verified against is
//! part of its type:
//!
//! - [`verify_proof`] (token and PAR endpoints, no access token) returns a
//!   [`DpopProof`]: the key, its thumbprint (`cnf.jkt`, `dpop_jkt`), `iat`,
//!   and the method and URI it was checked against.
//! - [`verify_resource_proof`] (resource requests) also takes the access
//!   token and checks `ath` (RFC 9449 §4.3 step 12); it returns a
//!   [`ResourceProof`], which records the `ath` as well.
//!
//! The resource server's [`token::verify`](crate::token::verify) takes only
//! a [`ResourceProof`], with the request it is presented with, and checks
//! that the proof was verified for this very token (`ath`) and this request
//! (method, URI) before it compares `cnf.jkt` with the proof's key
//! (RFC 9449 §7.1, F2-SENDER). A token endpoint proof, a proof verified
//! without the token, or one whose `ath` is another token's, is refused
//! there by type or by [`Error::DpopAth`].
//!
//! # Time window
//!
//! - `iat` up to [`DEFAULT_MAX_FUTURE_SKEW`] (10 s) in the future is
//!   accepted: the FAPI 2.0 Security Profile asks servers to accept 10 s of
//!   clock skew. The skew is configurable up to [`MAX_FUTURE_SKEW_LIMIT`]
//!   (60 s), because FAPI 2.0 requires refusing anything more than 60 s in
//!   the future.
//! - `iat` more than [`DEFAULT_MAX_AGE`] (60 s) in the past is refused. A
//!   proof is made for one request and sent at once (RFC 9449 §11.1 asks
//!   for a window of seconds to minutes); 60 s covers a slow client and a
//!   slow network, and bounds how long the replay cache must remember a
//!   `jti`. Configurable up to [`MAX_AGE_LIMIT`] (five minutes).
//! - A `jti` (prefixed with the key thumbprint, so one client cannot use up
//!   another's) is recorded until `iat + max_age + 1`, the first second at
//!   which the proof is refused as too old anyway: the replay cache holds
//!   it at every second the `iat` check accepts the proof, including the
//!   last (`now - iat == max_age`), with any skew, zero included.
//!
//! # Nonces
//!
//! [`NonceIssuer`] issues nonces without state: a nonce is the base64url
//! HMAC-SHA256, under a server secret, of the current time bucket and an
//! optional client binding (a client id, say). A nonce is accepted in its
//! own bucket and the next one, so it lives between one and two bucket
//! lengths ([`DEFAULT_NONCE_BUCKET`], 60 s, by default; at most
//! [`MAX_NONCE_BUCKET`]). Missing where
//! required is [`Error::DpopNonceRequired`], wrong or stale is
//! [`Error::DpopNonceInvalid`]; both map to `use_dpop_nonce`.

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::alg::Alg;
use crate::b64;
use crate::claims;
use crate::crypto::{Clock, PublicKeyVerifier, Random, Signer};
use crate::error::Error;
use crate::json::Writer;
use crate::jwk::{PublicKey, Thumbprint};
use crate::jws::{self, HeaderParams, Policy};
use crate::profile::Profile;
use crate::secret::Redacted;
use crate::store::ReplayCache;

/// The JWS `typ` of a DPoP proof.
pub const TYP: &str = "dpop+jwt";
/// Default accepted `iat` skew into the future (FAPI 2.0: 10 s).
pub const DEFAULT_MAX_FUTURE_SKEW: u64 = 10;
/// The largest configurable future skew (FAPI 2.0: refuse > 60 s).
pub const MAX_FUTURE_SKEW_LIMIT: u64 = 60;
/// Default largest proof age, `now - iat`.
pub const DEFAULT_MAX_AGE: u64 = 60;
/// The largest configurable proof age (five minutes): RFC 9449 §11.1 asks
/// for a window of "seconds or minutes", and the replay cache holds each
/// `jti` for that long.
pub const MAX_AGE_LIMIT: u64 = 300;
/// The longest `jti` accepted (bytes).
pub const MAX_JTI_LEN: usize = 64;
/// The longest `htu` or request URI accepted (bytes).
pub const MAX_HTU_LEN: usize = 2048;
/// The largest DPoP proof accepted (bytes).
pub const MAX_PROOF_LEN: usize = 8192;
/// Default nonce time bucket (seconds).
pub const DEFAULT_NONCE_BUCKET: u64 = 60;
/// The longest configurable nonce time bucket (five minutes, seconds): a
/// nonce is good for one to two buckets, and a server nonce exists to
/// limit how long a proof made with it is good for (RFC 9449 §8).
pub const MAX_NONCE_BUCKET: u64 = 300;
/// Length of a nonce: base64url of a 32-byte MAC.
pub const NONCE_LEN: usize = 43;
/// Length of an `ath` value: base64url of a SHA-256 digest.
pub const ATH_LEN: usize = 43;
/// The longest `htm` accepted (bytes): longer than any HTTP method in use.
pub const MAX_HTM_LEN: usize = 32;

/// How DPoP proofs are verified.
#[derive(Clone, Copy, Debug)]
pub struct DpopConfig<'a> {
    algs: &'a [Alg],
    max_future_skew: u64,
    max_age: u64,
    nonces: Option<&'a NonceIssuer>,
}

impl<'a> DpopConfig<'a> {
    /// The profile's algorithms, the default time window, no nonces.
    #[must_use]
    pub const fn new(profile: &Profile) -> Self {
        Self {
            algs: profile.algs,
            max_future_skew: DEFAULT_MAX_FUTURE_SKEW,
            max_age: DEFAULT_MAX_AGE,
            nonces: None,
        }
    }

    /// Accept `iat` up to `seconds` in the future. More than
    /// [`MAX_FUTURE_SKEW_LIMIT`] is [`Error::ProfileViolation`].
    pub fn with_max_future_skew(mut self, seconds: u64) -> Result<Self, Error> {
        if seconds > MAX_FUTURE_SKEW_LIMIT {
            return Err(Error::ProfileViolation);
        }
        self.max_future_skew = seconds;
        Ok(self)
    }

    /// Refuse proofs whose `iat` is more than `seconds` old. Zero and more
    /// than [`MAX_AGE_LIMIT`] are [`Error::ProfileViolation`].
    pub fn with_max_age(mut self, seconds: u64) -> Result<Self, Error> {
        // RFC 9449 §11.1: a window of seconds to minutes.
        if seconds == 0 || seconds > MAX_AGE_LIMIT {
            return Err(Error::ProfileViolation);
        }
        self.max_age = seconds;
        Ok(self)
    }

    /// Require a server nonce issued by `nonces`.
    #[must_use]
    pub const fn with_nonces(mut self, nonces: &'a NonceIssuer) -> Self {
        self.nonces = Some(nonces);
        self
    }

    /// The accepted future skew.
    #[must_use]
    pub const fn max_future_skew(&self) -> u64 {
        self.max_future_skew
    }

    /// The largest accepted proof age.
    #[must_use]
    pub const fn max_age(&self) -> u64 {
        self.max_age
    }
}

/// The HTTP request a proof must match: its method and its absolute URI as
/// the server sees it, and what the server nonce is bound to.
///
/// The access token of a resource request is not part of it: a proof for a
/// resource request is verified with [`verify_resource_proof`], which takes
/// the token, and only the [`ResourceProof`] it returns is accepted by
/// [`token::verify`](crate::token::verify).
#[derive(Clone, Copy, Debug)]
pub struct DpopRequest<'a> {
    /// The request method, as sent (`POST`, `GET`).
    pub method: &'a str,
    /// The absolute request URI as the server sees it.
    pub uri: &'a str,
    /// What the server nonce is bound to (a client id, say), if anything.
    pub nonce_binding: Option<&'a [u8]>,
}

/// The SHA-256 of a normalised request URI ([`normalize_htu`]): how a
/// verified proof records its `htu` in 32 bytes rather than up to
/// [`MAX_HTU_LEN`].
fn htu_digest(uri: &str) -> Result<[u8; 32], Error> {
    let mut buf = [0u8; MAX_HTU_LEN];
    let normalized = normalize_htu(uri, &mut buf)?;
    Ok(Sha256::digest(normalized.as_bytes()).into())
}

/// A DPoP proof verified for one request without an access token: at the
/// token endpoint (code and refresh grants, `dpop_jkt` binding) and the
/// PAR endpoint. It records the method and the URI it was verified
/// against.
///
/// It cannot be built outside this module, and it is not accepted by the
/// resource server's [`token::verify`](crate::token::verify), which needs a
/// [`ResourceProof`]: a proof verified without the access token, or for the
/// token endpoint, is never taken as a resource request's proof.
///
/// ```
/// # use fapi_core::dpop::DpopProof;
/// fn token_endpoint_binding(proof: &DpopProof) -> fapi_core::Thumbprint {
///     // `cnf.jkt` of the access token to issue.
///     proof.jkt
/// }
/// ```
///
/// ```compile_fail,E0451
/// use fapi_core::dpop::DpopProof;
///
/// fn forge(p: &DpopProof) -> DpopProof {
///     DpopProof { htm: p.htm().try_into().unwrap(), ..p.clone() }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DpopProof {
    /// The RFC 7638 thumbprint of the proof's key: `cnf.jkt` and `dpop_jkt`.
    pub jkt: Thumbprint,
    /// The proof's public key.
    pub key: PublicKey,
    /// The proof's `iat`.
    pub iat: u64,
    /// `htm`: the request method it was verified against.
    htm: heapless::String<MAX_HTM_LEN>,
    /// SHA-256 of the normalised request URI it was verified against.
    htu: [u8; 32],
}

impl DpopProof {
    /// A proof of the key `jkt` as if verified for `method` at `uri`, for
    /// the unit tests of the modules that take a verified proof.
    #[cfg(test)]
    pub(crate) fn verified_for_tests(jkt: Thumbprint, method: &str, uri: &str) -> Self {
        Self {
            jkt,
            key: PublicKey::Ed25519 { x: [0; 32] },
            iat: 0,
            htm: heapless::String::try_from(method).unwrap_or_default(),
            htu: htu_digest(uri).unwrap_or_default(),
        }
    }

    /// The method (`htm`) the proof was verified against.
    #[must_use]
    pub fn htm(&self) -> &str {
        &self.htm
    }

    /// Checks that this proof was verified for `request`: its method
    /// ([`Error::DpopMethod`] otherwise) and its URI, compared as
    /// [`normalize_htu`] normalises them ([`Error::DpopUri`] otherwise).
    pub fn check_request(&self, request: &DpopRequest<'_>) -> Result<(), Error> {
        // RFC 9449 §4.3 steps 8 and 9.
        if self.htm.as_str() != request.method {
            return Err(Error::DpopMethod);
        }
        if htu_digest(request.uri)? != self.htu {
            return Err(Error::DpopUri);
        }
        Ok(())
    }
}

/// A DPoP proof verified for a resource request together with the access
/// token it was presented with (RFC 9449 §4.3 step 12, §7.1): the method,
/// the URI and the `ath` it was verified against. The only proof the
/// resource server's [`token::verify`](crate::token::verify) accepts, and
/// only for the very token and request it records
/// ([`ResourceProof::check_presented`]).
///
/// It cannot be built outside this module: [`verify_resource_proof`] is its
/// only source.
///
/// ```compile_fail,E0451
/// use fapi_core::dpop::{DpopProof, ResourceProof};
///
/// fn forge(proof: DpopProof) -> ResourceProof {
///     ResourceProof { proof, ath: [b'A'; 43] }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceProof {
    proof: DpopProof,
    ath: [u8; ATH_LEN],
}

impl ResourceProof {
    /// The verified proof: its key, thumbprint, `iat` and method.
    #[must_use]
    pub const fn proof(&self) -> &DpopProof {
        &self.proof
    }

    /// The RFC 7638 thumbprint of the proof's key (what `cnf.jkt` names).
    #[must_use]
    pub const fn jkt(&self) -> Thumbprint {
        self.proof.jkt
    }

    /// The `ath` the proof was verified against: base64url(SHA-256) of the
    /// access token.
    #[must_use]
    pub fn ath(&self) -> &str {
        // Only base64url characters are stored.
        core::str::from_utf8(&self.ath).unwrap_or("")
    }

    /// RFC 9449 §4.3 step 12 and §7.1, F2-SENDER: checks that this proof
    /// was verified for `access_token` (its `ath`, in constant time:
    /// [`Error::DpopAth`] otherwise) and for `request` (method and URI:
    /// [`Error::DpopMethod`], [`Error::DpopUri`]).
    pub fn check_presented(
        &self,
        access_token: &[u8],
        request: &DpopRequest<'_>,
    ) -> Result<(), Error> {
        let want = ath_of(access_token);
        if !bool::from(want.ct_eq(&self.ath)) {
            return Err(Error::DpopAth);
        }
        self.proof.check_request(request)
    }
}

#[derive(Deserialize)]
struct ProofClaims<'a> {
    #[serde(borrow)]
    jti: Option<&'a str>,
    #[serde(borrow)]
    htm: Option<&'a str>,
    #[serde(borrow)]
    htu: Option<&'a str>,
    iat: Option<u64>,
    #[serde(borrow)]
    ath: Option<&'a str>,
    #[serde(borrow)]
    nonce: Option<&'a str>,
}

/// Verifies the DPoP proof `proof` for `request` (RFC 9449 §4.3), a request
/// that presents no access token: the token endpoint and the PAR endpoint.
/// See the module documentation for the checks and their order.
///
/// The returned [`DpopProof`] binds the token to issue (`cnf.jkt`) or the
/// code (`dpop_jkt`, [`check_code_binding`]); it is not accepted at the
/// resource server, whose proofs go through [`verify_resource_proof`].
pub fn verify_proof<P, C, R>(
    proof: &[u8],
    request: &DpopRequest<'_>,
    config: &DpopConfig<'_>,
    backend: &P,
    clock: &C,
    replay: &R,
) -> Result<DpopProof, Error>
where
    P: PublicKeyVerifier + ?Sized,
    C: Clock + ?Sized,
    R: ReplayCache + ?Sized,
{
    verify(proof, request, None, config, backend, clock, replay)
}

/// Verifies the DPoP proof `proof` of a resource request that presents
/// `access_token` (RFC 9449 §4.3, §7.1): every check of [`verify_proof`],
/// and `ath` = base64url(SHA-256(`access_token`)) (step 12,
/// [`Error::DpopAth`] when absent or different).
///
/// The returned [`ResourceProof`] records the method, the URI and the
/// `ath`; [`token::verify`](crate::token::verify) accepts it for this token
/// and this request only.
pub fn verify_resource_proof<P, C, R>(
    proof: &[u8],
    request: &DpopRequest<'_>,
    access_token: &str,
    config: &DpopConfig<'_>,
    backend: &P,
    clock: &C,
    replay: &R,
) -> Result<ResourceProof, Error>
where
    P: PublicKeyVerifier + ?Sized,
    C: Clock + ?Sized,
    R: ReplayCache + ?Sized,
{
    let proof = verify(
        proof,
        request,
        Some(access_token),
        config,
        backend,
        clock,
        replay,
    )?;
    Ok(ResourceProof {
        proof,
        ath: ath(access_token),
    })
}

fn verify<P, C, R>(
    proof: &[u8],
    request: &DpopRequest<'_>,
    access_token: Option<&str>,
    config: &DpopConfig<'_>,
    backend: &P,
    clock: &C,
    replay: &R,
) -> Result<DpopProof, Error>
where
    P: PublicKeyVerifier + ?Sized,
    C: Clock + ?Sized,
    R: ReplayCache + ?Sized,
{
    if proof.len() > MAX_PROOF_LEN {
        return Err(Error::TooLarge);
    }
    let mut buf = [0u8; jws::verify_buf_len(MAX_PROOF_LEN)];
    // typ dpop+jwt; alg in the profile's list; jwk public-only and of the
    // header's algorithm; the signature.
    let policy = Policy::new(config.algs).with_typ(TYP).json_payload();
    // The claims are checked as they are parsed, just below.
    let mut verified = jws::verify_embedded_claims_later(proof, &policy, backend, &mut buf)?;
    if verified.header.typ != Some(TYP) {
        // RFC 9449 §4.2 names the exact media type. (A payload that is not
        // good JSON is refused first, as when it was checked at once.)
        verified.check_payload()?;
        return Err(Error::WrongType);
    }
    let c: ProofClaims<'_> = verified.claims()?;
    let jwk = verified.header.jwk.ok_or(Error::MissingEmbeddedKey)?;
    let jti = c.jti.ok_or(Error::MissingClaim)?;
    let htm = c.htm.ok_or(Error::MissingClaim)?;
    let htu = c.htu.ok_or(Error::MissingClaim)?;
    let iat = c.iat.ok_or(Error::MissingClaim)?;
    if jti.is_empty() {
        return Err(Error::EmptyJti);
    }
    if jti.len() > MAX_JTI_LEN {
        return Err(Error::TooLarge);
    }
    if htm != request.method {
        return Err(Error::DpopMethod);
    }
    // Recorded in the proof: longer than any method in use is refused.
    let htm = heapless::String::<MAX_HTM_LEN>::try_from(htm).map_err(|_| Error::DpopMethod)?;
    let htu = matching_htu_digest(htu, request.uri)?;
    let now = clock.now();
    claims::check_iat(iat, now, config.max_future_skew, config.max_age)?;
    // RFC 9449 §4.3 step 12: the ath of the presented access token.
    if let Some(token) = access_token {
        check_ath(c.ath, token)?;
    }
    if let Some(nonces) = config.nonces {
        nonces.check(c.nonce, now, request.nonce_binding)?;
    }
    // The replay key is the key thumbprint and the jti: one client cannot
    // use up another's jti.
    let jkt = jwk.key.thumbprint();
    let mut id = [0u8; 32 + MAX_JTI_LEN];
    let id_len = 32usize.saturating_add(jti.len());
    let (head, tail) = id.split_at_mut(32);
    head.copy_from_slice(jkt.as_bytes());
    tail.get_mut(..jti.len())
        .ok_or(Error::TooLarge)?
        .copy_from_slice(jti.as_bytes());
    replay.record_once(
        id.get(..id_len).ok_or(Error::TooLarge)?,
        replay_until(iat, config.max_age),
        now,
    )?;
    Ok(DpopProof {
        jkt,
        key: jwk.key,
        iat,
        htm,
        htu,
    })
}

/// Until when a proof's `jti` is recorded: the first second at which the
/// proof is refused as too old. [`claims::check_iat`] accepts
/// `now - iat <= max_age`, so the last second of acceptance is
/// `iat + max_age`, whatever the future skew (a proof from the future only
/// starts its window later), and a replay cache keeps an entry while
/// `now < expires_at`: the entry is live at every second the proof passes
/// the `iat` check, and the two edges agree even with no skew at all.
fn replay_until(iat: u64, max_age: u64) -> u64 {
    iat.saturating_add(max_age).saturating_add(1)
}

/// Checks that the proof's `htu` names `request_uri`, both normalised with
/// [`normalize_htu`]: [`Error::DpopUri`] otherwise.
pub fn check_htu(htu: &str, request_uri: &str) -> Result<(), Error> {
    matching_htu_digest(htu, request_uri).map(|_| ())
}

/// [`check_htu`], returning the SHA-256 of the normalised URI (what a
/// verified proof records).
fn matching_htu_digest(htu: &str, request_uri: &str) -> Result<[u8; 32], Error> {
    let mut a = [0u8; MAX_HTU_LEN];
    let mut b = [0u8; MAX_HTU_LEN];
    let a = normalize_htu(htu, &mut a)?;
    let b = normalize_htu(request_uri, &mut b)?;
    if a == b {
        Ok(Sha256::digest(b.as_bytes()).into())
    } else {
        Err(Error::DpopUri)
    }
}

struct Out<'o> {
    buf: &'o mut [u8],
    len: usize,
}

impl Out<'_> {
    fn push(&mut self, c: u8) -> Result<(), Error> {
        *self.buf.get_mut(self.len).ok_or(Error::DpopUri)? = c;
        self.len = self.len.checked_add(1).ok_or(Error::DpopUri)?;
        Ok(())
    }
    fn extend(&mut self, s: &[u8]) -> Result<(), Error> {
        s.iter().try_for_each(|c| self.push(*c))
    }
    fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => c.checked_sub(b'0'),
        b'a'..=b'f' => c.checked_sub(b'a' - 10),
        b'A'..=b'F' => c.checked_sub(b'A' - 10),
        _ => None,
    }
}

fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

/// `uri` split at its first `://`: what `str::split_once("://")` gives,
/// without the general substring searcher.
pub(crate) fn split_scheme(uri: &str) -> Option<(&str, &str)> {
    let at = uri.as_bytes().windows(3).position(|w| w == b"://")?;
    Some((uri.get(..at)?, uri.get(at.checked_add(3)?..)?))
}

/// Normalises an `htu` (or the request URI) for comparison, writing it into
/// `out`: query and fragment removed; scheme and host lower-cased; the
/// default port (80 for http, 443 for https) and an empty port removed;
/// percent-encodings of unreserved characters decoded and the others
/// upper-cased (RFC 3986 §6.2.2.1–2); dot segments removed (§6.2.2.3); an
/// empty path made `/` (§6.2.3). Only absolute `http` and `https` URIs
/// without user information are accepted ([`Error::DpopUri`] otherwise).
pub fn normalize_htu<'o>(uri: &str, out: &'o mut [u8]) -> Result<&'o str, Error> {
    if uri.len() > MAX_HTU_LEN {
        return Err(Error::DpopUri);
    }
    if !uri.bytes().all(|c| c.is_ascii_graphic()) {
        return Err(Error::DpopUri);
    }
    let end = uri.find(['?', '#']).unwrap_or(uri.len());
    let uri = uri.get(..end).ok_or(Error::DpopUri)?;
    let (scheme, rest) = split_scheme(uri).ok_or(Error::DpopUri)?;
    let default_port = if scheme.eq_ignore_ascii_case("https") {
        "443"
    } else if scheme.eq_ignore_ascii_case("http") {
        "80"
    } else {
        return Err(Error::DpopUri);
    };
    let path_at = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at_checked(path_at).ok_or(Error::DpopUri)?;
    if authority.contains('@') || authority.is_empty() {
        return Err(Error::DpopUri);
    }
    // The port follows the last ':' outside an IPv6 literal.
    let host_end = match authority.rfind(':') {
        Some(i) if !authority.get(i..).is_some_and(|s| s.contains(']')) => i,
        _ => authority.len(),
    };
    let (host, port) = authority.split_at_checked(host_end).ok_or(Error::DpopUri)?;
    let port = port.strip_prefix(':').unwrap_or(port);
    if host.is_empty() || !port.bytes().all(|c| c.is_ascii_digit()) {
        return Err(Error::DpopUri);
    }
    let mut o = Out { buf: out, len: 0 };
    for c in scheme.bytes() {
        o.push(c.to_ascii_lowercase())?;
    }
    o.extend(b"://")?;
    for c in host.bytes() {
        o.push(c.to_ascii_lowercase())?;
    }
    // Leading zeros do not change the port; ":" alone means the default.
    let digits = port.trim_start_matches('0');
    let port = if digits.is_empty() && !port.is_empty() {
        "0"
    } else {
        digits
    };
    if !port.is_empty() && port != default_port {
        o.push(b':')?;
        o.extend(port.as_bytes())?;
    }
    // Percent-encoding normalisation into a scratch buffer.
    let mut scratch = [0u8; MAX_HTU_LEN];
    let mut p = Out {
        buf: &mut scratch,
        len: 0,
    };
    let mut bytes = path.bytes();
    while let Some(c) = bytes.next() {
        if c == b'%' {
            let (Some(h), Some(l)) = (bytes.next(), bytes.next()) else {
                return Err(Error::DpopUri);
            };
            let (Some(hv), Some(lv)) = (hex_val(h), hex_val(l)) else {
                return Err(Error::DpopUri);
            };
            let v = hv
                .checked_mul(16)
                .and_then(|v| v.checked_add(lv))
                .ok_or(Error::DpopUri)?;
            if is_unreserved(v) {
                p.push(v)?;
            } else {
                p.extend(&[b'%', h.to_ascii_uppercase(), l.to_ascii_uppercase()])?;
            }
        } else {
            p.push(c)?;
        }
    }
    // Dot-segment removal (RFC 3986 §5.2.4) on an absolute path.
    let path = core::str::from_utf8(p.bytes()).map_err(|_| Error::DpopUri)?;
    let path_start = o.len;
    if let Some(abs) = path.strip_prefix('/') {
        let mut segs = abs.split('/').peekable();
        while let Some(seg) = segs.next() {
            let last = segs.peek().is_none();
            match seg {
                "." | ".." => {
                    if seg == ".." {
                        let kept = o.bytes().get(path_start..).unwrap_or(&[]);
                        let cut = kept.iter().rposition(|c| *c == b'/').unwrap_or(0);
                        o.len = path_start.saturating_add(cut);
                    }
                    if last {
                        o.push(b'/')?;
                    }
                }
                s => {
                    o.push(b'/')?;
                    o.extend(s.as_bytes())?;
                }
            }
        }
    }
    if o.len == path_start {
        o.push(b'/')?;
    }
    let len = o.len;
    let written = out_slice(o.buf, len)?;
    core::str::from_utf8(written).map_err(|_| Error::DpopUri)
}

fn out_slice(buf: &mut [u8], len: usize) -> Result<&[u8], Error> {
    buf.get(..len).ok_or(Error::DpopUri).map(|s| s as &[u8])
}

/// The `ath` of an access token: base64url(SHA-256(ASCII token))
/// (RFC 9449 §4.2).
#[must_use]
pub fn ath(access_token: &str) -> [u8; ATH_LEN] {
    ath_of(access_token.as_bytes())
}

fn ath_of(access_token: &[u8]) -> [u8; ATH_LEN] {
    let digest: [u8; 32] = Sha256::digest(access_token).into();
    let mut out = [0u8; ATH_LEN];
    // 32 bytes always encode to 43 characters.
    let _ = b64::encode(&digest, &mut out);
    out
}

/// Checks a proof's `ath` against the presented access token, in constant
/// time: [`Error::DpopAth`] when absent or different.
pub fn check_ath(claim: Option<&str>, access_token: &str) -> Result<(), Error> {
    let claim = claim.ok_or(Error::DpopAth)?;
    let want = ath(access_token);
    if claim.len() == ATH_LEN && bool::from(want.ct_eq(claim.as_bytes())) {
        Ok(())
    } else {
        Err(Error::DpopAth)
    }
}

/// Checks a DPoP-bound access token against the proof of the request it
/// came with (RFC 9449 §4.3 step 12, §7.1; F2-SENDER): `proof` was
/// verified for this very `access_token` ([`Error::DpopAth`]) and this
/// `request` ([`Error::DpopMethod`], [`Error::DpopUri`]), and the token's
/// `cnf.jkt` names the proof's key ([`Error::DpopKeyMismatch`]).
///
/// [`token::verify`](crate::token::verify) runs it for every token with
/// `cnf.jkt`. It takes a [`ResourceProof`]: a token endpoint proof
/// ([`DpopProof`]) cannot be given.
pub fn check_token_binding(
    proof: &ResourceProof,
    access_token: &[u8],
    request: &DpopRequest<'_>,
    cnf_jkt: &str,
) -> Result<(), Error> {
    proof.check_presented(access_token, request)?;
    if proof.proof.jkt.matches_b64(cnf_jkt) {
        Ok(())
    } else {
        Err(Error::DpopKeyMismatch)
    }
}

/// Checks the code's (or the PAR request's) `dpop_jkt` against the token
/// request's proof (RFC 9449 §10): when the code is bound, a proof is
/// required ([`Error::DpopMissing`]) and must be of that key
/// ([`Error::DpopKeyMismatch`]).
pub fn check_code_binding(proof: Option<&DpopProof>, dpop_jkt: Option<&str>) -> Result<(), Error> {
    match (dpop_jkt, proof) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(Error::DpopMissing),
        (Some(jkt), Some(p)) if p.jkt.matches_b64(jkt) => Ok(()),
        (Some(_), Some(_)) => Err(Error::DpopKeyMismatch),
    }
}

/// The secret key of a [`NonceIssuer`]; zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct NonceKey([u8; 32]);

impl NonceKey {
    /// A key from 32 secret bytes.
    #[must_use]
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A fresh key from `rng`.
    pub fn generate<R: Random + ?Sized>(rng: &R) -> Result<Self, Error> {
        let mut k = Self([0u8; 32]);
        rng.fill(&mut k.0)?;
        Ok(k)
    }
}

impl core::fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NonceKey").finish_non_exhaustive()
    }
}

/// A server nonce (43 base64url characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nonce([u8; NONCE_LEN]);

impl Nonce {
    /// The nonce text, for the `DPoP-Nonce` header.
    #[must_use]
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

/// Issues and checks DPoP server nonces without state (see the module
/// documentation).
#[derive(Clone, Debug)]
pub struct NonceIssuer {
    key: NonceKey,
    bucket_seconds: u64,
}

impl NonceIssuer {
    /// An issuer with `key` and buckets of `bucket_seconds`: zero and more
    /// than [`MAX_NONCE_BUCKET`] are [`Error::ProfileViolation`].
    pub fn new(key: NonceKey, bucket_seconds: u64) -> Result<Self, Error> {
        // RFC 9449 §8: a nonce limits how long a proof is good for.
        if bucket_seconds == 0 || bucket_seconds > MAX_NONCE_BUCKET {
            return Err(Error::ProfileViolation);
        }
        Ok(Self {
            key,
            bucket_seconds,
        })
    }

    fn bucket(&self, now: u64) -> u64 {
        now.checked_div(self.bucket_seconds).unwrap_or(0)
    }

    fn mac(&self, bucket: u64, binding: Option<&[u8]>) -> Result<[u8; 32], Error> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key.0)
            .map_err(|_| Error::ProfileViolation)?;
        mac.update(b"fapi dpop nonce v1\0");
        mac.update(&bucket.to_be_bytes());
        match binding {
            Some(b) => {
                mac.update(&[1]);
                mac.update(&(b.len() as u64).to_be_bytes());
                mac.update(b);
            }
            None => mac.update(&[0]),
        }
        Ok(mac.finalize().into_bytes().into())
    }

    /// The nonce for the current bucket and `binding`.
    pub fn issue(&self, now: u64, binding: Option<&[u8]>) -> Result<Nonce, Error> {
        let mac = self.mac(self.bucket(now), binding)?;
        let mut out = [0u8; NONCE_LEN];
        let _ = b64::encode(&mac, &mut out)?;
        Ok(Nonce(out))
    }

    /// Checks a proof's `nonce`: [`Error::DpopNonceRequired`] when absent,
    /// [`Error::DpopNonceInvalid`] unless it is the nonce of the current or
    /// the previous bucket for `binding`.
    pub fn check(
        &self,
        nonce: Option<&str>,
        now: u64,
        binding: Option<&[u8]>,
    ) -> Result<(), Error> {
        let nonce = nonce.ok_or(Error::DpopNonceRequired)?;
        if nonce.len() != NONCE_LEN {
            return Err(Error::DpopNonceInvalid);
        }
        let current = self.bucket(now);
        let mut ok = subtle::Choice::from(0);
        for bucket in [Some(current), current.checked_sub(1)]
            .into_iter()
            .flatten()
        {
            let mac = self.mac(bucket, binding)?;
            let mut want = [0u8; NONCE_LEN];
            let _ = b64::encode(&mac, &mut want)?;
            ok |= want.ct_eq(nonce.as_bytes());
        }
        if bool::from(ok) {
            Ok(())
        } else {
            Err(Error::DpopNonceInvalid)
        }
    }
}

/// What a client puts in a DPoP proof. Its `Debug` shows whether an access
/// token is there, never the token.
#[derive(Clone, Copy)]
pub struct ProofParams<'a> {
    /// `htm`.
    pub htm: &'a str,
    /// `htu` (without query and fragment).
    pub htu: &'a str,
    /// `iat`.
    pub iat: u64,
    /// `jti`: a fresh unique value.
    pub jti: &'a str,
    /// The access token the request presents (for `ath`).
    pub access_token: Option<&'a str>,
    /// The server nonce, when the server gave one.
    pub nonce: Option<&'a str>,
}

impl core::fmt::Debug for ProofParams<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProofParams")
            .field("htm", &self.htm)
            .field("htu", &self.htu)
            .field("iat", &self.iat)
            .field("jti", &self.jti)
            .field("access_token", &Redacted::option(self.access_token))
            .field("nonce", &self.nonce)
            .finish()
    }
}

/// Signs a DPoP proof with `signer` (client side), writing the compact JWS
/// into `out` and returning its length.
pub fn sign_proof<S: Signer + ?Sized>(
    signer: &S,
    params: &ProofParams<'_>,
    out: &mut [u8],
) -> Result<usize, Error> {
    let key = signer.public_key()?;
    let mut body = [0u8; 4096];
    let mut w = Writer::new(&mut body);
    w.raw(b"{")?;
    w.key("jti")?;
    w.string(params.jti)?;
    w.raw(b",")?;
    w.key("htm")?;
    w.string(params.htm)?;
    w.raw(b",")?;
    w.key("htu")?;
    w.string(params.htu)?;
    w.raw(b",")?;
    w.key("iat")?;
    w.uint(params.iat)?;
    if let Some(token) = params.access_token {
        w.raw(b",")?;
        w.key("ath")?;
        w.raw(b"\"")?;
        w.raw(&ath(token))?;
        w.raw(b"\"")?;
    }
    if let Some(nonce) = params.nonce {
        w.raw(b",")?;
        w.key("nonce")?;
        w.string(nonce)?;
    }
    w.raw(b"}")?;
    let len = w.len();
    let payload = body.get(..len).ok_or(Error::BufferTooSmall)?;
    jws::sign(
        signer,
        &HeaderParams::typed(TYP).with_jwk(&key),
        payload,
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> std::string::String {
        let mut b = [0u8; MAX_HTU_LEN];
        normalize_htu(s, &mut b)
            .map(std::string::String::from)
            .unwrap_or_else(|e| std::format!("ERR {e:?}"))
    }

    #[test]
    fn htu_normalisation_rfc3986() {
        let want = "https://server.example.com/token";
        for same in [
            "https://server.example.com/token",
            "HTTPS://Server.Example.COM/token",
            "https://server.example.com:443/token",
            "https://server.example.com:0443/token",
            "https://server.example.com/token?x=1",
            "https://server.example.com/token#frag",
            "https://server.example.com/%74oken",
            "https://server.example.com/a/../token",
            "https://server.example.com/./token",
        ] {
            assert_eq!(norm(same), want, "{same}");
        }
        assert_eq!(
            norm("https://server.example.com"),
            "https://server.example.com/"
        );
        assert_eq!(
            norm("https://server.example.com?q"),
            "https://server.example.com/"
        );
        assert_eq!(norm("http://a.example:80/x"), "http://a.example/x");
        assert_eq!(norm("http://a.example:443/x"), "http://a.example:443/x");
        assert_eq!(norm("https://a.example:8443/x"), "https://a.example:8443/x");
        assert_eq!(norm("https://a.example/a%2fb"), "https://a.example/a%2Fb");
        assert_eq!(norm("https://a.example/a/b/.."), "https://a.example/a/");
        assert_eq!(norm("https://[::1]:443/x"), "https://[::1]/x");
        assert_eq!(norm("https://[::1]/x"), "https://[::1]/x");
        assert_eq!(norm("https://a.example:/x"), "https://a.example/x");
        assert_eq!(norm("https://a.example:00/x"), "https://a.example:0/x");
        // path case is significant
        assert_ne!(
            norm("https://a.example/Token"),
            norm("https://a.example/token")
        );
        for bad in [
            "server.example.com/token",
            "ftp://a.example/x",
            "https://user@a.example/x",
            "https:///x",
            "https://a.example/%zz",
            "https://a.example/%2",
            "https://a.example/a b",
            "https://a.example:x1/",
        ] {
            assert_eq!(norm(bad), "ERR DpopUri", "{bad}");
        }
    }

    #[test]
    fn wrong_htu_refused() {
        assert_eq!(
            check_htu("https://a.example/token", "https://a.example/par"),
            Err(Error::DpopUri)
        );
        assert_eq!(
            check_htu("https://b.example/token", "https://a.example/token"),
            Err(Error::DpopUri)
        );
        assert_eq!(
            check_htu("http://a.example/token", "https://a.example/token"),
            Err(Error::DpopUri)
        );
        assert_eq!(
            check_htu("https://a.example/token?x", "https://A.example:443/token"),
            Ok(())
        );
    }

    /// RFC 9449 §7.1: the `ath` of the example access token.
    #[test]
    fn rfc9449_ath_vector() {
        let token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
        let want = "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo";
        assert_eq!(&ath(token), want.as_bytes());
        assert_eq!(check_ath(Some(want), token), Ok(()));
        assert_eq!(check_ath(Some(want), "other"), Err(Error::DpopAth));
        assert_eq!(check_ath(None, token), Err(Error::DpopAth));
        assert_eq!(check_ath(Some("fUHy"), token), Err(Error::DpopAth));
    }

    #[test]
    fn nonces_are_bucketed_and_bound() {
        let issuer = NonceIssuer::new(NonceKey::new([7; 32]), 60).unwrap();
        let n = issuer.issue(1_000, Some(b"client-a")).unwrap();
        assert_eq!(n.as_str().len(), NONCE_LEN);
        // same bucket, next bucket: accepted
        assert_eq!(
            issuer.check(Some(n.as_str()), 1_019, Some(b"client-a")),
            Ok(())
        );
        assert_eq!(
            issuer.check(Some(n.as_str()), 1_079, Some(b"client-a")),
            Ok(())
        );
        // two buckets later: stale
        assert_eq!(
            issuer.check(Some(n.as_str()), 1_140, Some(b"client-a")),
            Err(Error::DpopNonceInvalid)
        );
        // another binding, no binding, another key
        assert_eq!(
            issuer.check(Some(n.as_str()), 1_000, Some(b"client-b")),
            Err(Error::DpopNonceInvalid)
        );
        assert_eq!(
            issuer.check(Some(n.as_str()), 1_000, None),
            Err(Error::DpopNonceInvalid)
        );
        let other = NonceIssuer::new(NonceKey::new([8; 32]), 60).unwrap();
        assert_eq!(
            other.check(Some(n.as_str()), 1_000, Some(b"client-a")),
            Err(Error::DpopNonceInvalid)
        );
        // missing, malformed
        assert_eq!(
            issuer.check(None, 1_000, None),
            Err(Error::DpopNonceRequired)
        );
        assert_eq!(
            issuer.check(Some("abc"), 1_000, None),
            Err(Error::DpopNonceInvalid)
        );
        // a nonce from the future bucket is not accepted either
        let later = issuer.issue(1_200, None).unwrap();
        assert_eq!(
            issuer.check(Some(later.as_str()), 1_000, None),
            Err(Error::DpopNonceInvalid)
        );
        assert_eq!(
            NonceIssuer::new(NonceKey::new([0; 32]), 0).err(),
            Some(Error::ProfileViolation)
        );
        assert!(!std::format!("{issuer:?}").contains("7, 7"));
        // both errors answer use_dpop_nonce
        for e in [Error::DpopNonceRequired, Error::DpopNonceInvalid] {
            assert_eq!(
                e.oauth_error(crate::Site::DpopProof).as_str(),
                "use_dpop_nonce"
            );
        }
    }

    #[test]
    fn skew_is_capped_at_60_seconds() {
        let c = DpopConfig::new(&Profile::FAPI2);
        assert_eq!(c.max_future_skew(), 10);
        assert_eq!(c.max_age(), 60);
        assert!(c.with_max_future_skew(60).is_ok());
        assert_eq!(
            c.with_max_future_skew(61).err(),
            Some(Error::ProfileViolation)
        );
        assert_eq!(c.with_max_age(0).err(), Some(Error::ProfileViolation));
    }
}
