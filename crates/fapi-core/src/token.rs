//! JWT access tokens (RFC 9068): issued by the authorization server,
//! verified by the resource server.
//!
//! [`issue`] writes an `at+jwt` with `iss`, `sub`, `aud`, `exp`, `iat`,
//! `jti` (128 random bits), `client_id`, `scope`, `cnf` (`jkt` or
//! `x5t#S256`) and the profile's consent claim. It refuses a lifetime
//! outside `profile.access_token_ttl` (CDR-AT-TTL, OFB-AT-TTL) and a token
//! without a sender constraint the profile allows (F2-SENDER).
//!
//! [`verify`] checks `typ` `at+jwt`, `alg` in the profile's list (OB-ALG,
//! OFB-ALG, CDR-ALG), the signature, `iss`, `aud`, `exp`, `nbf`, `iat`
//! (within a leeway of at most [`MAX_LEEWAY`]), the lifetime `exp - iat`
//! against the profile's maximum (CDR-AT-TTL, OFB-AT-TTL), the required
//! claims (RFC 9068 §2.2; an empty `jti` is [`Error::EmptyJti`]), and the
//! sender constraint against what the request
//! [`Presented`]: a DPoP proof verified for this very token and request
//! ([`ResourceProof`]), or the client certificate of the TLS connection.
//! Errors map to `invalid_token` or `invalid_dpop_proof` at
//! [`Site::ResourceRequest`](crate::Site::ResourceRequest).

use serde::Deserialize;

use crate::b64;
use crate::claims;
use crate::crypto::{Clock, Random, Signer, Verifier};
use crate::dpop::{DpopRequest, ResourceProof};
use crate::error::Error;
use crate::grant::GrantId;
use crate::json::Writer;
use crate::jwk::Thumbprint;
use crate::jws::{self, HeaderParams, Policy};
use crate::mtls::CertThumbprint;
use crate::profile::{Profile, SenderConstraint};

/// The JWS `typ` of a JWT access token.
pub const TYP: &str = "at+jwt";
/// The largest access token accepted (bytes).
pub const MAX_TOKEN_LEN: usize = 8192;
/// Random bytes in a `jti` (128 bits).
pub const JTI_BYTES: usize = 16;
/// Default clock leeway for `nbf`/`iat` at the resource server (FAPI 2.0:
/// 10 s).
pub const DEFAULT_LEEWAY: u64 = 10;
/// The largest configurable leeway (FAPI 2.0: refuse `iat`/`nbf` more than
/// 60 s in the future).
pub const MAX_LEEWAY: u64 = 60;

/// What a token is bound to (`cnf`, RFC 7800).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// `cnf.jkt`: a DPoP key thumbprint (RFC 9449 §6).
    Jkt(Thumbprint),
    /// `cnf.x5t#S256`: a client certificate thumbprint (RFC 8705 §3).
    X5tS256(CertThumbprint),
}

impl Confirmation {
    /// The sender constraint this binding is.
    #[must_use]
    pub const fn kind(&self) -> SenderConstraint {
        match self {
            Self::Jkt(_) => SenderConstraint::Dpop,
            Self::X5tS256(_) => SenderConstraint::Mtls,
        }
    }
}

/// The contents of an access token to issue.
#[derive(Clone, Copy, Debug)]
pub struct AccessTokenParams<'a> {
    /// `iss`: the authorization server's issuer identifier.
    pub issuer: &'a str,
    /// `sub`: the user (or the client, for client credentials).
    pub subject: &'a str,
    /// `aud`: the resource server.
    pub audience: &'a str,
    /// `client_id`.
    pub client_id: &'a str,
    /// `scope`, space-separated.
    pub scope: Option<&'a str>,
    /// `iat`.
    pub issued_at: u64,
    /// Lifetime in seconds: `exp = iat + lifetime`.
    pub lifetime: u64,
    /// The sender constraint (`cnf`); required (F2-SENDER).
    pub confirmation: Option<Confirmation>,
    /// The consent id, written under the profile's consent claim
    /// (`openbanking_intent_id`, `cdr_arrangement_id`).
    pub consent_id: Option<&'a str>,
}

/// Checks an access token lifetime against `profile.access_token_ttl`.
///
/// CDR-AT-TTL (120–600 s), OFB-AT-TTL (300–900 s): longer is
/// [`Error::LifetimeTooLong`], shorter [`Error::LifetimeTooShort`].
pub fn check_lifetime(profile: &Profile, lifetime: u64) -> Result<(), Error> {
    // CDR-AT-TTL / OFB-AT-TTL
    if lifetime > profile.access_token_ttl.max {
        return Err(Error::LifetimeTooLong);
    }
    if lifetime < profile.access_token_ttl.min || lifetime == 0 {
        return Err(Error::LifetimeTooShort);
    }
    Ok(())
}

/// Checks that `confirmation` is a sender constraint `profile` allows.
///
/// F2-SENDER: no `cnf`, or one of a kind the profile does not list (DPoP
/// under an MTLS-only profile: OB-SENDER, CDR-HOK), is
/// [`Error::SenderConstraintMissing`].
pub fn check_sender_constraint(
    profile: &Profile,
    confirmation: Option<&Confirmation>,
) -> Result<(), Error> {
    match confirmation {
        // F2-SENDER / OB-SENDER / CDR-HOK
        Some(c) if profile.sender.contains(&c.kind()) => Ok(()),
        _ => Err(Error::SenderConstraintMissing),
    }
}

/// Issues an access token signed by `signer` into `out`, returning its
/// length. The `jti` is 128 bits from `rng`.
pub fn issue<S, R>(
    profile: &Profile,
    params: &AccessTokenParams<'_>,
    signer: &S,
    rng: &R,
    out: &mut [u8],
) -> Result<usize, Error>
where
    S: Signer + ?Sized,
    R: Random + ?Sized,
{
    issue_for_grant(profile, params, None, signer, rng, out)
}

/// [`issue`], for a token of the grant `grant` (a redeemed code's, see
/// [`crate::grant`]): the token carries it as its `grant_id` claim, so
/// that a resource server refuses it once the grant is revoked
/// ([`AccessTokenClaims::grant_id`], [`crate::grant::check_active`]).
pub fn issue_for_grant<S, R>(
    profile: &Profile,
    params: &AccessTokenParams<'_>,
    grant: Option<&GrantId>,
    signer: &S,
    rng: &R,
    out: &mut [u8],
) -> Result<usize, Error>
where
    S: Signer + ?Sized,
    R: Random + ?Sized,
{
    // The profile's algorithms (OB-ALG, OFB-ALG, CDR-ALG) for what it signs.
    signer.alg().check_allowed(profile.algs)?;
    check_lifetime(profile, params.lifetime)?;
    // F2-SENDER: sender-constrained tokens only.
    check_sender_constraint(profile, params.confirmation.as_ref())?;
    let exp = params
        .issued_at
        .checked_add(params.lifetime)
        .ok_or(Error::LifetimeTooLong)?;
    let mut jti = [0u8; JTI_BYTES];
    rng.fill(&mut jti)?;

    let mut body = [0u8; 4096];
    let mut w = Writer::new(&mut body);
    w.raw(b"{")?;
    member_str(&mut w, "iss", params.issuer, false)?;
    member_str(&mut w, "sub", params.subject, true)?;
    member_str(&mut w, "aud", params.audience, true)?;
    w.raw(b",")?;
    w.key("exp")?;
    w.uint(exp)?;
    w.raw(b",")?;
    w.key("iat")?;
    w.uint(params.issued_at)?;
    w.raw(b",")?;
    w.key("jti")?;
    w.b64(&jti)?;
    member_str(&mut w, "client_id", params.client_id, true)?;
    if let Some(g) = grant {
        member_str(&mut w, "grant_id", g.as_str(), true)?;
    }
    if let Some(scope) = params.scope {
        member_str(&mut w, "scope", scope, true)?;
    }
    match params.confirmation {
        Some(Confirmation::Jkt(t)) => {
            w.raw(br#","cnf":{"jkt":"#)?;
            w.b64(t.as_bytes())?;
            w.raw(b"}")?;
        }
        Some(Confirmation::X5tS256(t)) => {
            w.raw(br#","cnf":{"x5t#S256":"#)?;
            w.b64(&t.0)?;
            w.raw(b"}")?;
        }
        None => return Err(Error::SenderConstraintMissing),
    }
    if let Some(id) = params.consent_id {
        // OB-INTENT: the consent travels as openbanking_intent_id (and the
        // CDR's as cdr_arrangement_id).
        let name = profile.consent_claim.ok_or(Error::InvalidParameter)?;
        member_str(&mut w, name, id, true)?;
    }
    w.raw(b"}")?;
    let len = w.len();
    let payload = body.get(..len).ok_or(Error::BufferTooSmall)?;
    let header = HeaderParams::typed(TYP).with_kid(signer.key_id());
    jws::sign(signer, &header, payload, out)
}

fn member_str(w: &mut Writer<'_>, name: &str, value: &str, comma: bool) -> Result<(), Error> {
    if comma {
        w.raw(b",")?;
    }
    w.key(name)?;
    w.string(value)
}

/// What the resource server expects of a token: the issuer, its own
/// audience value, and the clock leeway for `nbf` and `iat`, which cannot
/// exceed [`MAX_LEEWAY`].
///
/// ```
/// use fapi_core::token::{self, Expectations};
/// use fapi_core::Error;
///
/// let expect = Expectations::new("https://as.bank.example", "https://api.bank.example");
/// assert_eq!(expect.leeway(), token::DEFAULT_LEEWAY);
/// assert!(expect.with_leeway(60).is_ok());
/// // FAPI 2.0: nothing more than 60 s in the future is accepted.
/// assert_eq!(expect.with_leeway(3600).err(), Some(Error::ProfileViolation));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Expectations<'a> {
    issuer: &'a str,
    audience: &'a str,
    leeway: u64,
}

impl<'a> Expectations<'a> {
    /// Tokens of `issuer` for the resource server `audience`, with
    /// [`DEFAULT_LEEWAY`].
    #[must_use]
    pub const fn new(issuer: &'a str, audience: &'a str) -> Self {
        Self {
            issuer,
            audience,
            leeway: DEFAULT_LEEWAY,
        }
    }

    /// Accepts `nbf` and `iat` up to `seconds` in the future: more than
    /// [`MAX_LEEWAY`] is [`Error::ProfileViolation`].
    pub const fn with_leeway(mut self, seconds: u64) -> Result<Self, Error> {
        // FAPI 2.0 Security Profile: refuse more than 60 s in the future.
        if seconds > MAX_LEEWAY {
            return Err(Error::ProfileViolation);
        }
        self.leeway = seconds;
        Ok(self)
    }

    /// The authorization server's issuer identifier.
    #[must_use]
    pub const fn issuer(&self) -> &'a str {
        self.issuer
    }

    /// This resource server's audience value.
    #[must_use]
    pub const fn audience(&self) -> &'a str {
        self.audience
    }

    /// The clock leeway for `nbf` and `iat`.
    #[must_use]
    pub const fn leeway(&self) -> u64 {
        self.leeway
    }
}

/// What the request presented besides the token: a DPoP proof verified
/// for it ([`dpop::verify_resource_proof`](crate::dpop::verify_resource_proof))
/// together with the request itself, and the DER of the client certificate
/// of the TLS connection.
///
/// A DPoP proof can only be presented with the request it came with, and
/// only as a [`ResourceProof`]: a proof verified for the token endpoint or
/// without an access token does not have that type. [`verify`] checks that
/// the proof was verified for this very token (`ath`) and this request
/// (method and URI).
///
/// ```
/// use fapi_core::token::Presented;
///
/// # let der: &[u8] = b"certificate";
/// let nothing = Presented::default();
/// assert!(nothing.dpop_proof().is_none() && nothing.client_cert().is_none());
/// let cert = Presented::certificate(der);
/// assert_eq!(cert.client_cert(), Some(der));
/// ```
///
/// A proof verified for the token endpoint, or without an access token, is
/// a [`DpopProof`](crate::dpop::DpopProof), and cannot be presented:
///
/// ```compile_fail,E0308
/// use fapi_core::dpop::{DpopProof, DpopRequest};
/// use fapi_core::token::Presented;
///
/// fn at_the_resource_server<'a>(proof: &'a DpopProof, request: &DpopRequest<'a>) -> Presented<'a> {
///     Presented::dpop(proof, request)
/// }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Presented<'a> {
    dpop: Option<(&'a ResourceProof, DpopRequest<'a>)>,
    client_cert: Option<&'a [u8]>,
}

impl<'a> Presented<'a> {
    /// The request presented `proof`, verified for it: `request` is the
    /// request the token came with (its method and URI).
    #[must_use]
    pub const fn dpop(proof: &'a ResourceProof, request: &DpopRequest<'a>) -> Self {
        Self {
            dpop: Some((proof, *request)),
            client_cert: None,
        }
    }

    /// The request came over a TLS connection with this client certificate
    /// (DER).
    #[must_use]
    pub const fn certificate(der: &'a [u8]) -> Self {
        Self {
            dpop: None,
            client_cert: Some(der),
        }
    }

    /// Adds the client certificate (DER) of the TLS connection.
    #[must_use]
    pub const fn with_certificate(mut self, der: &'a [u8]) -> Self {
        self.client_cert = Some(der);
        self
    }

    /// The presented DPoP proof, if any.
    #[must_use]
    pub const fn dpop_proof(&self) -> Option<&'a ResourceProof> {
        match self.dpop {
            Some((proof, _)) => Some(proof),
            None => None,
        }
    }

    /// The presented client certificate (DER), if any.
    #[must_use]
    pub const fn client_cert(&self) -> Option<&'a [u8]> {
        self.client_cert
    }
}

#[derive(Deserialize)]
struct Cnf<'a> {
    #[serde(borrow)]
    jkt: Option<&'a str>,
    #[serde(borrow, rename = "x5t#S256")]
    x5t: Option<&'a str>,
}

#[derive(Deserialize)]
struct TokenMembers<'a> {
    #[serde(borrow)]
    iss: Option<&'a str>,
    #[serde(borrow)]
    aud: Option<claims::Audience<'a>>,
    #[serde(borrow)]
    sub: Option<&'a str>,
    #[serde(borrow)]
    client_id: Option<&'a str>,
    #[serde(borrow)]
    scope: Option<&'a str>,
    #[serde(borrow)]
    jti: Option<&'a str>,
    exp: Option<u64>,
    iat: Option<u64>,
    nbf: Option<u64>,
    #[serde(borrow)]
    cnf: Option<Cnf<'a>>,
    #[serde(borrow)]
    openbanking_intent_id: Option<&'a str>,
    #[serde(borrow)]
    cdr_arrangement_id: Option<&'a str>,
    #[serde(borrow)]
    grant_id: Option<&'a str>,
}

/// The claims of a verified access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessTokenClaims<'a> {
    /// `sub`.
    pub subject: &'a str,
    /// `client_id`.
    pub client_id: &'a str,
    /// `scope`.
    pub scope: Option<&'a str>,
    /// `jti`.
    pub jti: &'a str,
    /// `exp`.
    pub exp: u64,
    /// `iat`.
    pub iat: u64,
    /// `cnf.jkt`.
    pub cnf_jkt: Option<&'a str>,
    /// `cnf.x5t#S256`.
    pub cnf_x5t_s256: Option<&'a str>,
    /// The profile's consent claim, when present.
    pub consent_id: Option<&'a str>,
    /// `grant_id`: the grant the token was issued from, for a token of a
    /// redeemed code ([`issue_for_grant`]); a resource server refuses it
    /// once the grant is revoked ([`crate::grant::check_active`]).
    pub grant_id: Option<&'a str>,
}

impl AccessTokenClaims<'_> {
    /// Whether the space-separated `scope` contains `wanted`.
    #[must_use]
    pub fn has_scope(&self, wanted: &str) -> bool {
        self.scope
            .is_some_and(|s| s.split(' ').any(|x| x == wanted))
    }
}

/// Verifies `token` at the resource server with the authorization server's
/// key `key`; `buf` receives the decoded header and claims, which the
/// result borrows.
pub fn verify<'b, V, C>(
    token: &[u8],
    profile: &Profile,
    expect: &Expectations<'_>,
    key: &V,
    clock: &C,
    presented: &Presented<'_>,
    buf: &'b mut [u8],
) -> Result<AccessTokenClaims<'b>, Error>
where
    V: Verifier + ?Sized,
    C: Clock + ?Sized,
{
    if token.len() > MAX_TOKEN_LEN {
        return Err(Error::TooLarge);
    }
    // OB-ALG / OFB-ALG / CDR-ALG: enforced through profile.algs (PS256 only
    // for obie and ofb, PS256 or ES256 for cdr); RFC 9068 typ at+jwt.
    let policy = Policy::new(profile.algs).with_typ(TYP).json_payload();
    // The claims are checked as they are parsed (one pass), right here.
    let mut verified = jws::verify_claims_later(token, &policy, key, buf)?;
    let m: TokenMembers<'b> = verified.claims()?;
    if m.iss.ok_or(Error::MissingClaim)? != expect.issuer {
        return Err(Error::WrongIssuer);
    }
    let aud = m.aud.as_ref().ok_or(Error::MissingClaim)?;
    if !aud.contains(expect.audience) {
        return Err(Error::WrongAudience);
    }
    let now = clock.now();
    let exp = claims::check_exp(m.exp, now, 0)?;
    // The leeway is at most MAX_LEEWAY (Expectations::with_leeway).
    claims::check_nbf(m.nbf, now, expect.leeway)?;
    let iat = m.iat.ok_or(Error::MissingClaim)?;
    claims::check_iat(iat, now, expect.leeway, u64::MAX)?;
    // CDR-AT-TTL / OFB-AT-TTL at the resource server too: a token living
    // longer than the profile allows is refused, whoever issued it.
    if exp.saturating_sub(iat) > profile.access_token_ttl.max {
        return Err(Error::LifetimeTooLong);
    }
    let subject = m.sub.ok_or(Error::MissingClaim)?;
    let client_id = m.client_id.ok_or(Error::MissingClaim)?;
    let jti = m.jti.ok_or(Error::MissingClaim)?;
    // RFC 9068 §2.2: `jti` is required, and an empty one names no token
    // (as jwt::verify, DPoP proofs and client assertions refuse it).
    if jti.is_empty() {
        return Err(Error::EmptyJti);
    }
    let (cnf_jkt, cnf_x5t) = m.cnf.map_or((None, None), |c| (c.jkt, c.x5t));
    check_presented(profile, token, cnf_jkt, cnf_x5t, presented)?;
    let consent_id = match profile.consent_claim {
        Some("openbanking_intent_id") => m.openbanking_intent_id,
        Some("cdr_arrangement_id") => m.cdr_arrangement_id,
        _ => None,
    };
    Ok(AccessTokenClaims {
        subject,
        client_id,
        scope: m.scope,
        jti,
        exp,
        iat,
        cnf_jkt,
        cnf_x5t_s256: cnf_x5t,
        consent_id,
        grant_id: m.grant_id,
    })
}

/// F2-SENDER at the resource server: the token is bound, by a kind the
/// profile allows, to what the request presented. A token that carries both
/// `cnf.jkt` and `cnf.x5t#S256` (fapi never issues one) must satisfy both:
/// no binding is ever skipped because another one holds. A DPoP proof
/// counts only when it was verified for this very `token` and the request
/// it is presented with (RFC 9449 §4.3 step 12, §7.1).
fn check_presented(
    profile: &Profile,
    token: &[u8],
    cnf_jkt: Option<&str>,
    cnf_x5t: Option<&str>,
    presented: &Presented<'_>,
) -> Result<(), Error> {
    if cnf_jkt.is_none() && cnf_x5t.is_none() {
        // F2-SENDER: a bearer token is refused.
        return Err(Error::SenderConstraintMissing);
    }
    if let Some(jkt) = cnf_jkt {
        if !profile.sender.contains(&SenderConstraint::Dpop) {
            return Err(Error::SenderConstraintMissing);
        }
        let (proof, request) = presented.dpop.as_ref().ok_or(Error::DpopMissing)?;
        // RFC 9449 §4.3 step 12: ath is this token's; htm and htu this
        // request's. Then §7.1: cnf.jkt names the proof's key.
        crate::dpop::check_token_binding(proof, token, request, jkt)?;
    }
    if let Some(x5t) = cnf_x5t {
        if !profile.sender.contains(&SenderConstraint::Mtls) {
            return Err(Error::SenderConstraintMissing);
        }
        let der = presented.client_cert.ok_or(Error::CertificateMismatch)?;
        crate::mtls::check_certificate_binding(x5t, der)?;
    }
    Ok(())
}

/// The `jti` length of tokens this module issues (base64url of 16 bytes).
pub const JTI_LEN: usize = b64::encoded_len(JTI_BYTES);

#[cfg(test)]
mod tests {
    use super::*;

    /// CDR-AT-TTL: 120–600 s; OFB-AT-TTL: 300–900 s.
    #[test]
    fn at_ttl_cdr_ofb() {
        let cdr = Profile::CDR;
        assert_eq!(check_lifetime(&cdr, 601), Err(Error::LifetimeTooLong));
        assert_eq!(check_lifetime(&cdr, 119), Err(Error::LifetimeTooShort));
        assert_eq!(check_lifetime(&cdr, 120), Ok(()));
        assert_eq!(check_lifetime(&cdr, 600), Ok(()));
        let ofb = Profile::OFB;
        assert_eq!(check_lifetime(&ofb, 901), Err(Error::LifetimeTooLong));
        assert_eq!(check_lifetime(&ofb, 299), Err(Error::LifetimeTooShort));
        assert_eq!(check_lifetime(&ofb, 300), Ok(()));
        assert_eq!(check_lifetime(&ofb, 900), Ok(()));
        assert_eq!(
            check_lifetime(&Profile::FAPI2, 0),
            Err(Error::LifetimeTooShort)
        );
        assert_eq!(
            check_lifetime(&Profile::FAPI2_PLUS, 3600),
            Err(Error::LifetimeTooLong)
        );
    }

    /// F2-SENDER: no cnf is refused; OB-SENDER / CDR-HOK: DPoP binding is
    /// refused where only MTLS is allowed.
    #[test]
    fn f2_sender_constraint_required() {
        let jkt = Confirmation::Jkt(Thumbprint([1; 32]));
        let x5t = Confirmation::X5tS256(CertThumbprint([2; 32]));
        assert_eq!(
            check_sender_constraint(&Profile::FAPI2, None),
            Err(Error::SenderConstraintMissing)
        );
        assert_eq!(check_sender_constraint(&Profile::FAPI2, Some(&jkt)), Ok(()));
        assert_eq!(check_sender_constraint(&Profile::FAPI2, Some(&x5t)), Ok(()));
        for p in [Profile::OBIE, Profile::CDR] {
            assert_eq!(
                check_sender_constraint(&p, Some(&jkt)),
                Err(Error::SenderConstraintMissing)
            );
            assert_eq!(check_sender_constraint(&p, Some(&x5t)), Ok(()));
        }
    }
}
