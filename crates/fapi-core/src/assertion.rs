//! `private_key_jwt` client authentication (RFC 7523 §3, FAPI 2.0) and the
//! client authentication method each profile allows.
//!
//! [`verify_assertion`] checks: the JWS with the client's JWKS (key chosen by
//! `kid` and `alg`, `alg` in the profile's list, no embedded keys); `iss` =
//! `sub` = the client id; `aud` as the profile's
//! [`AssertionAudience`] rule says (FAPI 2.0 final §5.3.2.1: the issuer
//! identifier as a plain string, nothing else; RFC 7523 §3 and RFC 9126
//! §2: the issuer, the token endpoint URL or the URL the assertion was
//! sent to, as a string or an array member); `exp` present and not passed; the lifetime (`exp - iat`, or
//! `exp - now` without `iat`) at most [`DEFAULT_MAX_LIFETIME`] (60 s) unless
//! configured otherwise (up to [`MAX_LIFETIME_LIMIT`]); `iat` and `nbf` no more than
//! [`DEFAULT_MAX_FUTURE_SKEW`] (10 s, FAPI 2.0) in the future; `jti`
//! present and used once. Every error maps to `invalid_client` at
//! [`Site::ClientAuthentication`](crate::Site::ClientAuthentication).
//!
//! The 60 s lifetime: an assertion is made for one request and sent at once;
//! a short lifetime bounds what a leaked assertion is worth and how long the
//! replay cache must remember its `jti`.

use serde::Deserialize;

use crate::alg::Alg;
use crate::claims;
use crate::crypto::{Clock, PublicKeyVerifier};
use crate::error::Error;
use crate::jwk::Jwks;
use crate::jws::{self, Policy};
use crate::profile::{AssertionAudience, ClientAuthMethod, Profile};
use crate::store::ReplayCache;

/// The `client_assertion_type` of RFC 7523 §2.2.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Default longest assertion lifetime (seconds).
pub const DEFAULT_MAX_LIFETIME: u64 = 60;
/// The longest configurable assertion lifetime (an hour, seconds, as the
/// longest signed request object of FAPI 2.0 Message Signing): an
/// assertion is made for one request, and the replay cache holds its `jti`
/// until `exp`.
pub const MAX_LIFETIME_LIMIT: u64 = 3600;
/// Default accepted `iat`/`nbf` skew into the future (FAPI 2.0: 10 s).
pub const DEFAULT_MAX_FUTURE_SKEW: u64 = 10;
/// The largest configurable future skew (FAPI 2.0: refuse > 60 s).
pub const MAX_FUTURE_SKEW_LIMIT: u64 = 60;
/// The longest `jti` accepted (bytes).
pub const MAX_JTI_LEN: usize = 256;
/// The longest client id accepted (bytes).
pub const MAX_CLIENT_ID_LEN: usize = 256;
/// The largest assertion accepted (bytes).
pub const MAX_ASSERTION_LEN: usize = 8192;

/// Checks a client's registered authentication method under `profile` and
/// returns it.
///
/// F2-CONF-CLIENT, OFB-CONF-CLIENT, CDR-CONF-CLIENT: `none` and a client
/// registered without keys (`has_keys`: a JWKS for `private_key_jwt` and
/// `self_signed_tls_client_auth`, a certificate subject for
/// `tls_client_auth`) are [`Error::PublicClient`].
/// F2-CLIENT-AUTH, OFB-CLIENT-AUTH, CDR-CLIENT-AUTH: client secrets
/// (`client_secret_basic`, `client_secret_post`, `client_secret_jwt`),
/// unknown methods and methods the profile does not list are
/// [`Error::ClientAuthMethod`].
pub fn check_client_auth_method(
    profile: &Profile,
    registered: &str,
    has_keys: bool,
) -> Result<ClientAuthMethod, Error> {
    let method = match registered {
        // F2-CONF-CLIENT / OFB-CONF-CLIENT / CDR-CONF-CLIENT
        "none" => return Err(Error::PublicClient),
        "private_key_jwt" => ClientAuthMethod::PrivateKeyJwt,
        "tls_client_auth" => ClientAuthMethod::TlsClientAuth,
        "self_signed_tls_client_auth" => ClientAuthMethod::SelfSignedTlsClientAuth,
        // F2-CLIENT-AUTH: no client secrets, nothing unknown.
        _ => return Err(Error::ClientAuthMethod),
    };
    // F2-CLIENT-AUTH / OFB-CLIENT-AUTH / CDR-CLIENT-AUTH: the profile's list.
    if !profile.client_auth.contains(&method) {
        return Err(Error::ClientAuthMethod);
    }
    // F2-CONF-CLIENT / OFB-CONF-CLIENT / CDR-CONF-CLIENT: a client without
    // keys cannot keep a secret of its own.
    if !has_keys {
        return Err(Error::PublicClient);
    }
    Ok(method)
}

/// How client assertions are verified.
#[derive(Clone, Copy, Debug)]
pub struct AssertionConfig<'a> {
    issuer: &'a str,
    audience: AssertionAudience,
    endpoints: &'a [&'a str],
    algs: &'a [Alg],
    max_lifetime: u64,
    max_future_skew: u64,
}

impl<'a> AssertionConfig<'a> {
    /// Assertions for the authorization server `issuer` under `profile`:
    /// the profile's audience rule
    /// ([`Profile::client_assertion_audience`]) with no endpoint URLs (so
    /// the issuer identifier only), the default lifetime and skew.
    #[must_use]
    pub const fn new(profile: &Profile, issuer: &'a str) -> Self {
        Self {
            issuer,
            audience: profile.client_assertion_audience,
            endpoints: &[],
            algs: profile.algs,
            max_lifetime: DEFAULT_MAX_LIFETIME,
            max_future_skew: DEFAULT_MAX_FUTURE_SKEW,
        }
    }

    /// The endpoint URLs that identify this server besides its issuer: the
    /// token endpoint URL and the URL the assertion was sent to (RFC 7523
    /// §3, RFC 9126 §2). They are accepted as `aud` only where the
    /// profile's rule is [`AssertionAudience::IssuerOrEndpoint`]; under
    /// [`AssertionAudience::IssuerString`] (FAPI 2.0 final §5.3.2.1) they
    /// are refused whatever is passed here.
    #[must_use]
    pub const fn with_endpoint_audiences(mut self, endpoints: &'a [&'a str]) -> Self {
        self.endpoints = endpoints;
        self
    }

    /// Accept lifetimes up to `seconds`: zero and more than
    /// [`MAX_LIFETIME_LIMIT`] are [`Error::ProfileViolation`].
    pub fn with_max_lifetime(mut self, seconds: u64) -> Result<Self, Error> {
        if seconds == 0 || seconds > MAX_LIFETIME_LIMIT {
            return Err(Error::ProfileViolation);
        }
        self.max_lifetime = seconds;
        Ok(self)
    }

    /// Accept `iat`/`nbf` up to `seconds` in the future (at most
    /// [`MAX_FUTURE_SKEW_LIMIT`], else [`Error::ProfileViolation`]).
    pub fn with_max_future_skew(mut self, seconds: u64) -> Result<Self, Error> {
        if seconds > MAX_FUTURE_SKEW_LIMIT {
            return Err(Error::ProfileViolation);
        }
        self.max_future_skew = seconds;
        Ok(self)
    }
}

#[derive(Deserialize)]
struct AssertionClaims<'a> {
    #[serde(borrow)]
    iss: Option<&'a str>,
    #[serde(borrow)]
    sub: Option<&'a str>,
    #[serde(borrow)]
    jti: Option<&'a str>,
    #[serde(borrow)]
    aud: Option<claims::Audience<'a>>,
    exp: Option<u64>,
    iat: Option<u64>,
    nbf: Option<u64>,
}

impl AssertionAudience {
    /// Checks a client assertion's `aud` against this rule, for the server
    /// `issuer` reached at `endpoints` (the token endpoint URL and the URL
    /// the assertion was sent to): [`Error::WrongAudience`] when it is
    /// refused.
    ///
    /// ```
    /// use fapi_core::claims::Audience;
    /// use fapi_core::profile::AssertionAudience;
    /// use fapi_core::Error;
    /// let iss = "https://as.example";
    /// let eps = ["https://as.example/token", "https://as.example/par"];
    /// let par = Audience::One("https://as.example/par");
    /// // FAPI 2.0 final §5.3.2.1: the issuer as a string only.
    /// assert_eq!(AssertionAudience::IssuerString.check(&par, iss, &eps), Err(Error::WrongAudience));
    /// assert_eq!(AssertionAudience::IssuerString.check(&Audience::One(iss), iss, &eps), Ok(()));
    /// // RFC 7523 §3, RFC 9126 §2: the endpoint it was sent to as well.
    /// assert_eq!(AssertionAudience::IssuerOrEndpoint.check(&par, iss, &eps), Ok(()));
    /// ```
    pub fn check(
        self,
        aud: &claims::Audience<'_>,
        issuer: &str,
        endpoints: &[&str],
    ) -> Result<(), Error> {
        let accepted = match (self, aud) {
            // FAPI 2.0 final §5.3.2.1: only the issuer, only as a string;
            // an array is refused even when it holds only the issuer.
            (Self::IssuerString, claims::Audience::One(a)) => *a == issuer,
            (Self::IssuerString, claims::Audience::Many(_)) => false,
            // RFC 7523 §3, RFC 9126 §2: a value that identifies this server.
            (Self::IssuerOrEndpoint, aud) => aud.contains(issuer) || aud.contains_any(endpoints),
        };
        if accepted {
            Ok(())
        } else {
            Err(Error::WrongAudience)
        }
    }
}

/// A client assertion that verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedAssertion {
    /// Its `exp`.
    pub exp: u64,
    /// Its `iat`, when present.
    pub iat: Option<u64>,
}

/// Verifies the client assertion `assertion` of `client_id`, whose keys are
/// `jwks` (see the module documentation).
pub fn verify_assertion<P, C, R>(
    assertion: &[u8],
    client_id: &str,
    jwks: &Jwks<'_>,
    config: &AssertionConfig<'_>,
    backend: &P,
    clock: &C,
    replay: &R,
) -> Result<VerifiedAssertion, Error>
where
    P: PublicKeyVerifier + ?Sized,
    C: Clock + ?Sized,
    R: ReplayCache + ?Sized,
{
    if assertion.len() > MAX_ASSERTION_LEN {
        return Err(Error::TooLarge);
    }
    if client_id.is_empty() || client_id.len() > MAX_CLIENT_ID_LEN {
        return Err(Error::UnknownClient);
    }
    let mut buf = [0u8; jws::verify_buf_len(MAX_ASSERTION_LEN)];
    // F2-ALG and the profile's list (OFB-ALG, CDR-ALG); key by kid and alg.
    // The claims are checked as they are parsed, just below.
    let mut verified = jws::verify_with_jwks_claims_later(
        assertion,
        &Policy::new(config.algs).json_payload(),
        backend,
        jwks,
        &mut buf,
    )?;
    if let Err(e) = jws::refuse_foreign_typ(verified.header.typ) {
        // A payload that is not good JSON is refused first, as when it was
        // checked at once.
        verified.check_payload()?;
        return Err(e);
    }
    let c: AssertionClaims<'_> = verified.claims()?;
    let iss = c.iss.ok_or(Error::MissingClaim)?;
    let sub = c.sub.ok_or(Error::MissingClaim)?;
    // RFC 7523 §3: iss = sub = client_id.
    if iss != sub || iss != client_id {
        return Err(Error::ClientMismatch);
    }
    let aud = c.aud.as_ref().ok_or(Error::MissingClaim)?;
    config
        .audience
        .check(aud, config.issuer, config.endpoints)?;
    let now = clock.now();
    let exp = claims::check_exp(c.exp, now, 0)?;
    if let Some(iat) = c.iat {
        claims::check_iat(iat, now, config.max_future_skew, u64::MAX)?;
    }
    claims::check_nbf(c.nbf, now, config.max_future_skew)?;
    let lifetime = exp.saturating_sub(c.iat.unwrap_or(now));
    if lifetime > config.max_lifetime {
        return Err(Error::LifetimeTooLong);
    }
    let jti = c.jti.ok_or(Error::MissingClaim)?;
    if jti.is_empty() {
        return Err(Error::EmptyJti);
    }
    if jti.len() > MAX_JTI_LEN {
        return Err(Error::TooLarge);
    }
    // Single use, per client: the key is client_id NUL jti.
    let mut id = [0u8; MAX_CLIENT_ID_LEN + 1 + MAX_JTI_LEN];
    let cid_end = client_id.len();
    let jti_start = cid_end.saturating_add(1);
    let id_len = jti_start.saturating_add(jti.len());
    id.get_mut(..cid_end)
        .ok_or(Error::TooLarge)?
        .copy_from_slice(client_id.as_bytes());
    id.get_mut(jti_start..id_len)
        .ok_or(Error::TooLarge)?
        .copy_from_slice(jti.as_bytes());
    replay.record_once(id.get(..id_len).ok_or(Error::TooLarge)?, exp, now)?;
    Ok(VerifiedAssertion { exp, iat: c.iat })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// F2-CONF-CLIENT, OFB-CONF-CLIENT, CDR-CONF-CLIENT: public clients and
    /// clients without keys are refused.
    #[test]
    fn conf_client_f2_ofb_cdr() {
        for p in [Profile::FAPI2, Profile::OFB, Profile::CDR] {
            assert_eq!(
                check_client_auth_method(&p, "none", false),
                Err(Error::PublicClient)
            );
            assert_eq!(
                check_client_auth_method(&p, "none", true),
                Err(Error::PublicClient)
            );
            assert_eq!(
                check_client_auth_method(&p, "private_key_jwt", false),
                Err(Error::PublicClient)
            );
            assert_eq!(
                check_client_auth_method(&p, "private_key_jwt", true),
                Ok(ClientAuthMethod::PrivateKeyJwt)
            );
        }
    }

    /// F2-CLIENT-AUTH, OFB-CLIENT-AUTH, CDR-CLIENT-AUTH: client secrets are
    /// refused everywhere; MTLS client authentication only where listed.
    #[test]
    fn client_auth_method_f2_ofb_cdr() {
        for p in Profile::ALL {
            for m in [
                "client_secret_basic",
                "client_secret_post",
                "client_secret_jwt",
                "bogus",
                "",
            ] {
                assert_eq!(
                    check_client_auth_method(p, m, true),
                    Err(Error::ClientAuthMethod),
                    "{m}"
                );
            }
        }
        let f2 = Profile::FAPI2;
        assert_eq!(
            check_client_auth_method(&f2, "tls_client_auth", true),
            Ok(ClientAuthMethod::TlsClientAuth)
        );
        assert_eq!(
            check_client_auth_method(&f2, "self_signed_tls_client_auth", true),
            Ok(ClientAuthMethod::SelfSignedTlsClientAuth)
        );
        // OFB-CLIENT-AUTH and CDR-CLIENT-AUTH: private_key_jwt only.
        for p in [Profile::OFB, Profile::CDR] {
            for m in ["tls_client_auth", "self_signed_tls_client_auth"] {
                assert_eq!(
                    check_client_auth_method(&p, m, true),
                    Err(Error::ClientAuthMethod),
                    "{m}"
                );
            }
        }
        assert_eq!(
            Error::ClientAuthMethod
                .oauth_error(crate::Site::ClientAuthentication)
                .as_str(),
            "invalid_client"
        );
    }

    /// F2-CLIENT-AUTH, FAPI 2.0 final §5.3.2.1; RFC 7523 §3, RFC 9126 §2:
    /// the accepted `aud` values are the profile's, for each of the six.
    /// fapi2 and fapi2-plus take the issuer as a plain string only; obie,
    /// ofb and cdr (built on FAPI 1.0) also the token endpoint URL and the
    /// URL the assertion was sent to, as a string or an array member;
    /// berlin (OAuth 2.0 and RFC 8705) follows RFC 7523.
    #[test]
    fn client_assertion_audience_per_profile_fapi2_final_5_3_2_1_rfc7523_s3() {
        use crate::claims::Audience;
        const ISS: &str = "https://as.example";
        const TOKEN: &str = "https://as.example/token";
        const PAR: &str = "https://as.example/par";
        let endpoints = [TOKEN, PAR];
        let many = |v: &[&'static str]| {
            let mut l = heapless::Vec::new();
            for a in v {
                l.push(*a).unwrap();
            }
            Audience::Many(l)
        };
        let cases: [(Audience<'_>, bool, bool); 8] = [
            // (aud, accepted under the issuer-string rule, under RFC 7523)
            (Audience::One(ISS), true, true),
            (Audience::One(TOKEN), false, true),
            (Audience::One(PAR), false, true),
            (many(&[ISS]), false, true),
            (many(&[ISS, "https://other.example.com"]), false, true),
            (many(&[TOKEN]), false, true),
            (Audience::One("https://other.example.com"), false, false),
            (many(&["https://other.example.com"]), false, false),
        ];
        let want_rule = |p: &Profile| match p.id {
            crate::profile::ProfileId::Fapi2
            | crate::profile::ProfileId::Fapi2Plus
            | crate::profile::ProfileId::Fapi2Ms => AssertionAudience::IssuerString,
            crate::profile::ProfileId::Obie
            | crate::profile::ProfileId::Ofb
            | crate::profile::ProfileId::Cdr
            | crate::profile::ProfileId::Berlin => AssertionAudience::IssuerOrEndpoint,
        };
        for p in Profile::ALL {
            assert_eq!(p.client_assertion_audience, want_rule(p), "{}", p.name);
            let config = AssertionConfig::new(p, ISS).with_endpoint_audiences(&endpoints);
            for (aud, strict, rfc7523) in &cases {
                let want = match config.audience {
                    AssertionAudience::IssuerString => *strict,
                    AssertionAudience::IssuerOrEndpoint => *rfc7523,
                };
                let got = config.audience.check(aud, ISS, config.endpoints);
                let expected = if want {
                    Ok(())
                } else {
                    Err(Error::WrongAudience)
                };
                assert_eq!(got, expected, "{} {aud:?}", p.name);
            }
            // Without endpoint URLs only the issuer identifies the server.
            let bare = AssertionConfig::new(p, ISS);
            assert_eq!(
                bare.audience
                    .check(&Audience::One(TOKEN), ISS, bare.endpoints),
                Err(Error::WrongAudience)
            );
        }
        assert_eq!(
            Error::WrongAudience
                .oauth_error(crate::Site::ClientAuthentication)
                .as_str(),
            "invalid_client"
        );
    }

    #[test]
    fn config_bounds() {
        let c = AssertionConfig::new(&Profile::FAPI2, "https://as");
        assert_eq!(c.with_max_lifetime(0).err(), Some(Error::ProfileViolation));
        assert_eq!(
            c.with_max_future_skew(61).err(),
            Some(Error::ProfileViolation)
        );
        assert!(c.with_max_future_skew(60).is_ok());
    }
}
