//! Signed request objects (JAR, RFC 9101; FAPI 2.0 Message Signing; FAPI
//! 1.0 Advanced §5.2.2) and signed request messages (Berlin Group).
//!
//! One rule set serves every profile that requires signed requests
//! (`fapi2-ms`, `obie`, `ofb`, `cdr`): FAPI 2.0 Message Signing §5.3.2.1,
//! of which OB-REQOBJ (FAPI 1.0 Advanced §5.2.2-13) and CDR-REQ-TTL are
//! cases with the same 60 minutes:
//!
//! - `typ` `oauth-authz-req+jwt` is accepted (RFC 9101 §10.8 explicit
//!   typing), as are `JWT` and no `typ` (clients of the FAPI 1.0 sets send
//!   them); a JWT of any other type (`at+jwt`, `dpop+jwt`,
//!   `token-introspection+jwt`, a JARM `typ` of another kind, ...) is
//!   [`Error::WrongType`]: a token made for another purpose is never taken
//!   as a request;
//! - `aud` is, or is an array containing, the issuer;
//! - `exp` and `nbf` are required, `nbf` at most 60 minutes in the past,
//!   `exp - nbf` at most 60 minutes;
//! - `response_mode`, when the profile requires JARM, is `jwt`
//!   ([`Profile::check_response_mode`], FAPI 2.0 Message Signing §5.4).
//!
//! [`verify_request_object`] checks the JWS with the client's JWKS (`alg`
//! in the profile's list), `iss` = the client id, `client_id` (when
//! present) = the client id, `aud` naming the issuer, `exp` and `nbf`
//! present, `exp - nbf` at most the profile's `request_object_max_ttl`
//! (OB-REQOBJ, CDR-REQ-TTL; FAPI 2.0 Message Signing's 60 min where the
//! profile sets none), `nbf` no older than that and not in the future beyond
//! the skew, `exp` not passed, `nonce` at most 64 characters, no `request`
//! or `request_uri` member (RFC 9101 §4, RFC 9126 §2.1), and no
//! `id_token_hint` where the profile refuses it (Open Finance Brasil). It
//! returns the authorization parameters for the PAR and authorization
//! endpoints.
//!
//! [`verify_signed_request`] verifies a TPP's signature over a request
//! message (BG-SIGNED-REQ): a JWS with a detached payload (RFC 7515
//! Appendix F) whose payload is the request body.

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::b64;
use crate::claims;
use crate::crypto::{Clock, MAX_SIGNATURE_LEN, PublicKeyVerifier};
use crate::error::Error;
use crate::jwk::Jwks;
use crate::jws::{self, Policy};
use crate::profile::{Profile, ResponseMode};

/// The explicit type of a request object (RFC 9101 §10.8).
pub const TYP: &str = "oauth-authz-req+jwt";

/// FAPI 2.0 Message Signing §5.3.2.1, RFC 9101 §10.8: the request object's
/// `typ`: absent, `JWT` or `oauth-authz-req+jwt` (compared as RFC 7515
/// §4.1.9 says), else [`Error::WrongType`].
///
/// ```
/// use fapi_core::{Error, request_object::check_typ};
/// assert_eq!(check_typ(Some("oauth-authz-req+jwt")), Ok(()));
/// assert_eq!(check_typ(None), Ok(()));
/// assert_eq!(check_typ(Some("at+jwt")), Err(Error::WrongType));
/// ```
pub fn check_typ(typ: Option<&str>) -> Result<(), Error> {
    match typ {
        None => Ok(()),
        Some(t) if jws::typ_matches(t, TYP) || jws::typ_matches(t, "JWT") => Ok(()),
        Some(_) => Err(Error::WrongType),
    }
}

/// The longest request object lifetime and age when the profile sets none
/// (FAPI 2.0 Message Signing: 60 minutes).
pub const DEFAULT_MAX_TTL: u64 = 3600;
/// Accepted `nbf` skew into the future (FAPI 2.0: 10 s).
pub const DEFAULT_MAX_FUTURE_SKEW: u64 = 10;
/// The largest configurable future skew (FAPI 2.0: refuse > 60 s).
pub const MAX_FUTURE_SKEW_LIMIT: u64 = 60;
/// The longest `nonce` accepted (FAPI 2.0: 64 characters).
pub const MAX_NONCE_LEN: usize = 64;
/// The largest request object accepted (bytes).
pub const MAX_REQUEST_OBJECT_LEN: usize = 16 * 1024;
/// The largest signed request body accepted (bytes).
pub const MAX_SIGNED_BODY_LEN: usize = 16 * 1024;

/// How request objects are verified.
///
/// ```
/// use fapi_core::profile::Profile;
/// use fapi_core::request_object::RequestObjectConfig;
/// use fapi_core::Error;
///
/// let config = RequestObjectConfig::new(&Profile::FAPI2, "https://as.bank.example");
/// assert_eq!(config.max_future_skew(), 10);
/// assert!(config.with_max_future_skew(60).is_ok());
/// // FAPI 2.0: nothing more than 60 s in the future is accepted.
/// assert_eq!(config.with_max_future_skew(61).err(), Some(Error::ProfileViolation));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RequestObjectConfig<'a> {
    /// The authorization server's issuer identifier (the required `aud`).
    pub issuer: &'a str,
    /// The profile.
    pub profile: &'a Profile,
    /// Accepted `nbf` skew into the future, at most
    /// [`MAX_FUTURE_SKEW_LIMIT`] ([`RequestObjectConfig::with_max_future_skew`]).
    max_future_skew: u64,
}

impl<'a> RequestObjectConfig<'a> {
    /// Request objects for `issuer` under `profile`, default skew.
    #[must_use]
    pub const fn new(profile: &'a Profile, issuer: &'a str) -> Self {
        Self {
            issuer,
            profile,
            max_future_skew: DEFAULT_MAX_FUTURE_SKEW,
        }
    }

    /// Accept `nbf` up to `seconds` in the future: more than
    /// [`MAX_FUTURE_SKEW_LIMIT`] is [`Error::ProfileViolation`].
    pub const fn with_max_future_skew(mut self, seconds: u64) -> Result<Self, Error> {
        // FAPI 2.0 Security Profile: refuse more than 60 s in the future.
        if seconds > MAX_FUTURE_SKEW_LIMIT {
            return Err(Error::ProfileViolation);
        }
        self.max_future_skew = seconds;
        Ok(self)
    }

    /// The accepted `nbf` skew into the future.
    #[must_use]
    pub const fn max_future_skew(&self) -> u64 {
        self.max_future_skew
    }

    /// The longest `exp - nbf` and `now - nbf`.
    #[must_use]
    pub const fn max_ttl(&self) -> u64 {
        match self.profile.request_object_max_ttl {
            Some(t) => t,
            None => DEFAULT_MAX_TTL,
        }
    }
}

/// A requested claim: `{"value": "...", "essential": true}` (OpenID Connect
/// Core §5.5.1).
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
struct RequestedClaim<'a> {
    #[serde(borrow)]
    value: Option<&'a str>,
    essential: Option<bool>,
}

#[derive(Deserialize, Clone, Copy, Debug)]
struct ClaimsTarget<'a> {
    #[serde(borrow)]
    openbanking_intent_id: Option<RequestedClaim<'a>>,
}

#[derive(Deserialize, Clone, Copy, Debug)]
struct ClaimsRequest<'a> {
    #[serde(borrow)]
    id_token: Option<ClaimsTarget<'a>>,
    #[serde(borrow)]
    userinfo: Option<ClaimsTarget<'a>>,
    #[serde(borrow)]
    cdr_arrangement_id: Option<&'a str>,
    sharing_duration: Option<u64>,
}

#[derive(Deserialize)]
struct RequestMembers<'a> {
    #[serde(borrow)]
    iss: Option<&'a str>,
    #[serde(borrow)]
    aud: Option<claims::Audience<'a>>,
    exp: Option<u64>,
    nbf: Option<u64>,
    #[serde(borrow)]
    jti: Option<&'a str>,
    #[serde(borrow)]
    client_id: Option<&'a str>,
    #[serde(borrow)]
    redirect_uri: Option<&'a str>,
    #[serde(borrow)]
    response_type: Option<&'a str>,
    #[serde(borrow)]
    scope: Option<&'a str>,
    #[serde(borrow)]
    state: Option<&'a str>,
    #[serde(borrow)]
    code_challenge: Option<&'a str>,
    #[serde(borrow)]
    code_challenge_method: Option<&'a str>,
    #[serde(borrow)]
    dpop_jkt: Option<&'a str>,
    #[serde(borrow)]
    nonce: Option<&'a str>,
    #[serde(borrow)]
    response_mode: Option<&'a str>,
    #[serde(borrow)]
    claims: Option<ClaimsRequest<'a>>,
    /// Never allowed inside a request object (RFC 9101 §4).
    request: Option<IgnoredAny>,
    /// Never allowed inside a request object (RFC 9101 §4, RFC 9126 §2.1).
    request_uri: Option<IgnoredAny>,
    /// Refused where the profile says so (Open Finance Brasil).
    id_token_hint: Option<IgnoredAny>,
}

/// The authorization parameters of a verified request object.
///
/// Only [`verify_request_object`] makes one (a private field keeps it so),
/// so holding one proves the signature and claims were checked: this is
/// what [`crate::authorize::AuthorizationParams::from_request_object`]
/// takes where a profile requires signed requests (OB-REQOBJ).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthorizationParams<'a> {
    /// `client_id` (the authenticated client).
    pub client_id: &'a str,
    /// `redirect_uri`.
    pub redirect_uri: Option<&'a str>,
    /// `response_type`.
    pub response_type: Option<&'a str>,
    /// `scope`.
    pub scope: Option<&'a str>,
    /// `state`.
    pub state: Option<&'a str>,
    /// `code_challenge`.
    pub code_challenge: Option<&'a str>,
    /// `code_challenge_method`.
    pub code_challenge_method: Option<&'a str>,
    /// `dpop_jkt` (RFC 9449 §10).
    pub dpop_jkt: Option<&'a str>,
    /// `nonce`, at most 64 characters.
    pub nonce: Option<&'a str>,
    /// `response_mode`: `query` (or absent) or `jwt` (JARM), as the
    /// profile allows ([`Profile::check_response_mode`]).
    pub response_mode: ResponseMode,
    /// `openbanking_intent_id` requested in `claims.id_token` or
    /// `claims.userinfo` (OB-INTENT).
    pub openbanking_intent_id: Option<&'a str>,
    /// Whether that claim was requested as essential.
    pub intent_essential: bool,
    /// `claims.cdr_arrangement_id` (CDR).
    pub cdr_arrangement_id: Option<&'a str>,
    /// `claims.sharing_duration` (CDR), seconds.
    pub sharing_duration: Option<u64>,
    /// `jti`, when present.
    pub jti: Option<&'a str>,
    /// `exp`.
    pub exp: u64,
    /// `nbf`.
    pub nbf: u64,
    /// Made by [`verify_request_object`] only.
    verified: Verified,
}

/// The mark of a request object whose signature and claims were checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Verified;

#[cfg(test)]
impl<'a> AuthorizationParams<'a> {
    /// Parameters as if verified, for the unit tests of the modules that
    /// consume them.
    pub(crate) fn verified_for_tests(client_id: &'a str) -> Self {
        Self {
            client_id,
            redirect_uri: None,
            response_type: None,
            scope: None,
            state: None,
            code_challenge: None,
            code_challenge_method: None,
            dpop_jkt: None,
            nonce: None,
            response_mode: ResponseMode::Query,
            openbanking_intent_id: None,
            intent_essential: false,
            cdr_arrangement_id: None,
            sharing_duration: None,
            jti: None,
            exp: 0,
            nbf: 0,
            verified: Verified,
        }
    }
}

/// Verifies the request object `jwt` of `client_id`, whose keys are
/// `jwks`; `buf` receives the decoded header and claims, which the result
/// borrows. Errors map to `invalid_request_object` at
/// [`Site::RequestObject`](crate::Site::RequestObject).
pub fn verify_request_object<'b, P, C>(
    jwt: &[u8],
    client_id: &str,
    jwks: &Jwks<'_>,
    config: &RequestObjectConfig<'_>,
    backend: &P,
    clock: &C,
    buf: &'b mut [u8],
) -> Result<AuthorizationParams<'b>, Error>
where
    P: PublicKeyVerifier + ?Sized,
    C: Clock + ?Sized,
{
    if jwt.len() > MAX_REQUEST_OBJECT_LEN {
        return Err(Error::TooLarge);
    }
    // The profile's algorithms (OB-ALG, OFB-ALG, CDR-ALG).
    let mut verified = jws::verify_with_jwks(
        jwt,
        &Policy::new(config.profile.algs).json_payload(),
        backend,
        jwks,
        buf,
    )?;
    // FAPI 2.0 Message Signing §5.3.2.1: oauth-authz-req+jwt accepted,
    // no token of another type.
    check_typ(verified.header.typ)?;
    let m: RequestMembers<'b> = verified.claims()?;
    // RFC 9101 §5: iss is the client, and client_id (if present) the same.
    if m.iss.ok_or(Error::MissingClaim)? != client_id {
        return Err(Error::WrongIssuer);
    }
    if m.client_id.is_some_and(|c| c != client_id) {
        return Err(Error::ClientMismatch);
    }
    let aud = m.aud.as_ref().ok_or(Error::MissingClaim)?;
    if !aud.contains(config.issuer) {
        return Err(Error::WrongAudience);
    }
    // FAPI 2.0 Message Signing §5.3.2.1 (and OB-REQOBJ, CDR-REQ-TTL): exp
    // and nbf required, exp - nbf and the age of nbf at most 60 minutes.
    let exp = m.exp.ok_or(Error::MissingClaim)?;
    let nbf = m.nbf.ok_or(Error::MissingClaim)?;
    let max_ttl = config.max_ttl();
    if exp.saturating_sub(nbf) > max_ttl {
        return Err(Error::LifetimeTooLong);
    }
    let now = clock.now();
    // nbf no older than the limit (checked before exp, which it implies
    // when exp - nbf is within the limit, so that the rule is reported).
    if now.saturating_sub(nbf) > max_ttl {
        return Err(Error::TooOld);
    }
    let _ = claims::check_exp(Some(exp), now, 0)?;
    claims::check_nbf(Some(nbf), now, config.max_future_skew)?;
    if m.nonce.is_some_and(|n| n.chars().count() > MAX_NONCE_LEN) {
        return Err(Error::InvalidParameter);
    }
    // RFC 9101 §4: a request object holds neither `request` nor
    // `request_uri`; RFC 9126 §2.1: a pushed request names no
    // `request_uri`.
    if m.request.is_some() || m.request_uri.is_some() {
        return Err(Error::InvalidParameter);
    }
    // Open Finance Brasil: requests with `id_token_hint` are refused.
    config
        .profile
        .check_id_token_hint(m.id_token_hint.is_some())?;
    // FAPI 2.0 Message Signing §5.4: response_mode=jwt where the profile
    // requires JARM.
    let response_mode = config.profile.check_response_mode(m.response_mode)?;
    let (intent, essential) = m
        .claims
        .and_then(|c| {
            [c.id_token, c.userinfo]
                .into_iter()
                .flatten()
                .filter_map(|t| t.openbanking_intent_id)
                .find(|r| r.value.is_some())
        })
        .map_or((None, false), |r| (r.value, r.essential.unwrap_or(false)));
    Ok(AuthorizationParams {
        client_id: m.client_id.unwrap_or_else(|| m.iss.unwrap_or("")),
        redirect_uri: m.redirect_uri,
        response_type: m.response_type,
        scope: m.scope,
        state: m.state,
        code_challenge: m.code_challenge,
        code_challenge_method: m.code_challenge_method,
        dpop_jkt: m.dpop_jkt,
        nonce: m.nonce,
        response_mode,
        openbanking_intent_id: intent,
        intent_essential: essential,
        cdr_arrangement_id: m.claims.and_then(|c| c.cdr_arrangement_id),
        sharing_duration: m.claims.and_then(|c| c.sharing_duration),
        jti: m.jti,
        exp,
        nbf,
        verified: Verified,
    })
}

/// Verifies a TPP's signature over a request message.
///
/// The scratch [`verify_signed_request`] needs at most for a body of
/// `body_len` bytes: the reassembled JWS (the longest header and signature
/// fapi accepts around the encoded body) and room to verify it
/// ([`jws::verify_buf_len`]).
///
/// ```
/// use fapi_core::request_object::{signed_request_buf_len, MAX_SIGNED_BODY_LEN};
/// assert!(signed_request_buf_len(MAX_SIGNED_BODY_LEN) < 64 * 1024);
/// ```
#[must_use]
pub const fn signed_request_buf_len(body_len: usize) -> usize {
    let compact = b64::encoded_len(jws::MAX_HEADER)
        .saturating_add(b64::encoded_len(body_len))
        .saturating_add(b64::encoded_len(MAX_SIGNATURE_LEN))
        .saturating_add(2);
    compact.saturating_add(jws::verify_buf_len(compact))
}

/// BG-SIGNED-REQ: the TPP signs its requests. `signature` is a compact JWS
/// with a detached payload (`header..signature`, RFC 7515 Appendix F) or
/// with the payload attached, and the payload is `body`, the exact bytes
/// of the request message; the key is chosen from the TPP's `jwks` by
/// `kid` and `alg`, the `alg` from the profile's list. A signature over
/// other bytes is [`Error::BadSignature`]; an attached payload that is not
/// `body` is [`Error::BadSignature`] as well. A header over
/// [`jws::MAX_HEADER`] is [`Error::TooLarge`], a signature part longer than
/// any signature fapi accepts [`Error::BadSignature`]. `scratch` holds the
/// reassembled JWS and its decoding: [`signed_request_buf_len`] of the
/// body's length always suffices, whatever the client sent; less may be
/// [`Error::BufferTooSmall`]. Freshness (a signed date) is the HTTP layer's:
/// fapi checks what the signature covers.
pub fn verify_signed_request<P>(
    signature: &[u8],
    body: &[u8],
    profile: &Profile,
    jwks: &Jwks<'_>,
    backend: &P,
    scratch: &mut [u8],
) -> Result<(), Error>
where
    P: PublicKeyVerifier + ?Sized,
{
    if body.len() > MAX_SIGNED_BODY_LEN {
        return Err(Error::TooLarge);
    }
    let parts = jws::split(signature)?;
    // The parts the client sent are bounded before the scratch is: input
    // over a limit is the client's error, never a buffer too small.
    if parts.header.len() > b64::encoded_len(jws::MAX_HEADER) {
        return Err(Error::TooLarge);
    }
    if parts.signature.len() > b64::encoded_len(MAX_SIGNATURE_LEN) {
        return Err(Error::BadSignature);
    }
    let body_b64_len = b64::encoded_len(body.len());
    let compact_len = parts
        .header
        .len()
        .saturating_add(body_b64_len)
        .saturating_add(parts.signature.len())
        .saturating_add(2);
    if compact_len > scratch.len() {
        return Err(Error::BufferTooSmall);
    }
    let (compact, rest) = scratch.split_at_mut(compact_len);
    let mut at = 0usize;
    for piece in [parts.header, b".".as_slice()] {
        let end = at.saturating_add(piece.len());
        compact
            .get_mut(at..end)
            .ok_or(Error::BufferTooSmall)?
            .copy_from_slice(piece);
        at = end;
    }
    let end = at.saturating_add(body_b64_len);
    let encoded = b64::encode(body, compact.get_mut(at..end).ok_or(Error::BufferTooSmall)?)?;
    // An attached payload must be the body itself.
    if !parts.payload.is_empty() && parts.payload != encoded.as_bytes() {
        return Err(Error::BadSignature);
    }
    at = end;
    for piece in [b".".as_slice(), parts.signature] {
        let end = at.saturating_add(piece.len());
        compact
            .get_mut(at..end)
            .ok_or(Error::BufferTooSmall)?
            .copy_from_slice(piece);
        at = end;
    }
    // BG-SIGNED-REQ: the signature over the request, by the TPP's key.
    let _ = jws::verify_with_jwks(compact, &Policy::new(profile.algs), backend, jwks, rest)?;
    Ok(())
}
