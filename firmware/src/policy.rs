//! Policy at the key: the checks every request passes before the module
//! signs, and the [`Approved`] values that prove it did.
//!
//! The device keys sign only an [`Approved`] value, and only this module
//! makes one, so no path reaches a key without the checks below. They are
//! the profile's own (fapi-core's `token::check_lifetime`,
//! `token::check_sender_constraint`, `Alg::check_allowed`,
//! `dpop::normalize_htu`'s checks), applied where the request enters the module:
//!
//! | check | access token | DPoP proof | refused with |
//! |---|---|---|---|
//! | the profile is one the module was provisioned with | yes | yes | `ProfileViolation` |
//! | `alg` is in the profile's list (F2-ALG, OB-ALG, OFB-ALG, CDR-ALG) | yes | yes | `AlgNotAllowed` |
//! | required claims `iss`, `sub`, `aud`, `client_id`, `iat`, `exp` (RFC 9068 §2.2) | yes | | `MissingClaim` |
//! | `iat` within [`CLOCK_LEEWAY`] of the module's clock | yes | set by the module | `IssuedInFuture`, `TooOld` |
//! | lifetime `exp - iat` within the profile's range (CDR-AT-TTL, OFB-AT-TTL) and the module's cap | yes | | `LifetimeTooLong`, `LifetimeTooShort` |
//! | a sender constraint of a kind the profile allows (F2-SENDER, OB-SENDER, CDR-HOK) | `cnf` | DPoP allowed at all | `SenderConstraintMissing`, `ProfileViolation` |
//! | the consent claim is the profile's (OB-INTENT) | yes | | `InvalidParameter` |
//! | `htm` a method token, `htu` an absolute `https` URI without query or fragment | | yes | `DpopMethod`, `DpopUri` |
//! | `ath` over a well-formed access token, `nonce` of NQCHARs | | yes | `InvalidParameter`, `DpopNonceInvalid` |

use fapi_core::jwk::Thumbprint;
use fapi_core::mtls::CertThumbprint;
use fapi_core::profile::{Profile, SenderConstraint};
use fapi_core::token::{self, AccessTokenParams, Confirmation};
use fapi_core::{Alg, Error, b64, claims, dpop};

use crate::provision::{Profiles, Provisioning};
use crate::request::{CnfClaim, IssueRequest, ProofRequest};

/// How far an access token's `iat` may be from the module's clock, either
/// way (seconds): the FAPI 2.0 clock skew of 10 s.
pub const CLOCK_LEEWAY: u64 = token::DEFAULT_LEEWAY;
/// The longest `htm` accepted (bytes).
pub const MAX_METHOD_LEN: usize = 32;
/// The longest `nonce` accepted (bytes).
pub const MAX_NONCE_LEN: usize = 256;

/// A request that passed every check of [`Policy`]. Only this module
/// makes one; the device keys sign nothing else.
#[derive(Clone, Copy, Debug)]
pub struct Approved<T>(T);

impl<T> Approved<T> {
    /// What was approved.
    pub fn get(&self) -> &T {
        &self.0
    }
}

/// An access token the module may sign.
#[derive(Clone, Copy, Debug)]
pub struct TokenGrant<'a> {
    /// The profile it is issued under.
    pub profile: Profile,
    /// The algorithm it is signed with.
    pub alg: Alg,
    /// Its contents.
    pub params: AccessTokenParams<'a>,
}

/// A DPoP proof the module may sign. Its `Debug` does not print the access
/// token.
#[derive(Clone, Copy)]
pub struct ProofGrant<'a> {
    /// The algorithm it is signed with.
    pub alg: Alg,
    /// `htm`.
    pub htm: &'a str,
    /// `htu`.
    pub htu: &'a str,
    /// `iat`: the module's clock.
    pub iat: u64,
    /// The access token the proof goes with (for `ath`).
    pub access_token: Option<&'a str>,
    /// The server's nonce.
    pub nonce: Option<&'a str>,
}

impl core::fmt::Debug for ProofGrant<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ProofGrant")
            .field("alg", &self.alg)
            .field("htm", &self.htm)
            .field("htu", &self.htu)
            .field("iat", &self.iat)
            .field("access_token", &self.access_token.map(|_| "[redacted]"))
            .field("nonce", &self.nonce)
            .finish()
    }
}

/// What the module was provisioned to allow.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    profiles: Profiles,
    max_lifetime: Option<u64>,
    now: u64,
}

impl Policy {
    /// The policy of a provisioning record.
    #[must_use]
    pub fn new(p: &Provisioning) -> Self {
        Self {
            profiles: p.profiles,
            max_lifetime: p.max_lifetime,
            now: p.now,
        }
    }

    /// The module's clock (seconds since the epoch).
    #[must_use]
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Checks a request to issue an access token; see the module
    /// documentation for the checks, made in the table's order.
    ///
    /// ```
    /// use fapi_core::{Alg, Error};
    /// use fapi_firmware::policy::Policy;
    /// use fapi_firmware::provision::Provisioning;
    /// use fapi_firmware::request::{IssueRequest, Request};
    ///
    /// let p = Provisioning::parse(br#"{"seed":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8","now":1000,"profiles":["cdr"]}"#).unwrap();
    /// let line = br#"{"cmd":"issue","profile":"cdr","alg":"ES256","claims":{"iss":"i","sub":"s","aud":"a","client_id":"c","iat":1000,"exp":87400,"cnf":{"x5t#S256":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}}"#;
    /// let Ok(Request::Issue(r)) = Request::parse(line) else { panic!() };
    /// // CDR-AT-TTL: a day-long token is refused at the key.
    /// assert_eq!(Policy::new(&p).approve_token(&r).err(), Some(Error::LifetimeTooLong));
    /// ```
    #[inline(never)]
    pub fn approve_token<'a>(
        &self,
        r: &IssueRequest<'a>,
    ) -> Result<Approved<TokenGrant<'a>>, Error> {
        let profile = self.profiles.get(r.profile)?;
        // F2-ALG, OB-ALG, OFB-ALG, CDR-ALG: the profile's algorithms.
        r.alg.check_allowed(profile.algs)?;
        let c = &r.claims;
        // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat are required.
        let issuer = required(c.iss)?;
        let subject = required(c.sub)?;
        let audience = required(c.aud)?;
        let client_id = required(c.client_id)?;
        let iat = c.iat.ok_or(Error::MissingClaim)?;
        let exp = c.exp.ok_or(Error::MissingClaim)?;
        // The module's clock decides `iat`: a host cannot pre-date or
        // post-date a token to stretch the time it is usable.
        claims::check_iat(iat, self.now, CLOCK_LEEWAY, CLOCK_LEEWAY)?;
        let lifetime = exp.checked_sub(iat).ok_or(Error::LifetimeTooShort)?;
        // The module's own cap, on top of the profile's.
        if self.max_lifetime.is_some_and(|max| lifetime > max) {
            return Err(Error::LifetimeTooLong);
        }
        // CDR-AT-TTL, OFB-AT-TTL (and a zero lifetime under every profile).
        token::check_lifetime(&profile, lifetime)?;
        // F2-SENDER: no bearer tokens; OB-SENDER, CDR-HOK: certificate-bound
        // only where the profile says so.
        let confirmation = match c.cnf {
            None => return Err(Error::SenderConstraintMissing),
            Some(CnfClaim::Jkt(j)) => Confirmation::Jkt(Thumbprint(digest(j)?)),
            Some(CnfClaim::X5tS256(x)) => Confirmation::X5tS256(CertThumbprint(digest(x)?)),
        };
        token::check_sender_constraint(&profile, Some(&confirmation))?;
        // OB-INTENT: the consent id travels under the profile's claim name
        // and no other.
        let consent_id = match c.consent {
            None => None,
            Some(k) if profile.consent_claim == Some(k.name) => Some(required(Some(k.value))?),
            Some(_) => return Err(Error::InvalidParameter),
        };
        let scope = match c.scope {
            Some(s) => Some(required(Some(s))?),
            None => None,
        };
        Ok(Approved(TokenGrant {
            profile,
            alg: r.alg,
            params: AccessTokenParams {
                issuer,
                subject,
                audience,
                client_id,
                scope,
                issued_at: iat,
                lifetime,
                confirmation: Some(confirmation),
                consent_id,
            },
        }))
    }

    /// Checks a request to sign a DPoP proof; see the module documentation.
    ///
    /// ```
    /// use fapi_core::Error;
    /// use fapi_firmware::policy::Policy;
    /// use fapi_firmware::provision::Provisioning;
    /// use fapi_firmware::request::Request;
    ///
    /// let p = Provisioning::parse(br#"{"seed":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8","now":1000,"profiles":["fapi2"]}"#).unwrap();
    /// let Ok(Request::Proof(r)) = Request::parse(br#"{"cmd":"dpop","profile":"fapi2","alg":"EdDSA","htm":"POST","htu":"http://as.example/token"}"#) else { panic!() };
    /// assert_eq!(Policy::new(&p).approve_proof(&r).err(), Some(Error::DpopUri));
    /// ```
    #[inline(never)]
    pub fn approve_proof<'a>(
        &self,
        r: &ProofRequest<'a>,
    ) -> Result<Approved<ProofGrant<'a>>, Error> {
        let profile = self.profiles.get(r.profile)?;
        // F2-SENDER: DPoP is one of the profile's sender constraints, or the
        // module signs no proof (OB-SENDER, CDR-HOK: MTLS only).
        if !profile.sender.contains(&SenderConstraint::Dpop) {
            return Err(Error::ProfileViolation);
        }
        // F2-ALG: the profile's algorithms.
        r.alg.check_allowed(profile.algs)?;
        check_method(r.htm)?;
        check_htu(r.htu)?;
        if let Some(t) = r.access_token {
            check_access_token(t)?;
        }
        if let Some(n) = r.nonce {
            check_nonce(n)?;
        }
        Ok(Approved(ProofGrant {
            alg: r.alg,
            htm: r.htm,
            htu: r.htu,
            iat: self.now,
            access_token: r.access_token,
            nonce: r.nonce,
        }))
    }
}

/// A required claim: absent or empty is [`Error::MissingClaim`].
fn required(v: Option<&str>) -> Result<&str, Error> {
    v.filter(|s| !s.is_empty()).ok_or(Error::MissingClaim)
}

/// A base64url SHA-256 digest (`cnf.jkt`, `cnf.x5t#S256`): 43 characters
/// for 32 bytes, [`Error::Base64`] or [`Error::InvalidParameter`] otherwise.
fn digest(v: &str) -> Result<[u8; 32], Error> {
    b64::decode_array::<32>(v.as_bytes()).map_err(|e| match e {
        Error::Base64 => Error::Base64,
        _ => Error::InvalidParameter,
    })
}

/// RFC 9110 §9.1: a method is a token (§5.6.2, `1*tchar`).
fn check_method(m: &str) -> Result<(), Error> {
    let tchar = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    if m.is_empty() || m.len() > MAX_METHOD_LEN || !m.bytes().all(tchar) {
        return Err(Error::DpopMethod);
    }
    Ok(())
}

/// RFC 9449 §4.2: `htu` is the target URI without query and fragment;
/// FAPI 2.0 endpoints are TLS only, so it is `https`. It must also be one
/// `dpop::normalize_htu` accepts: at most `dpop::MAX_HTU_LEN` visible
/// ASCII characters, a non-empty authority without user information, a
/// non-empty host, a port of digits only, percent signs each followed by
/// two hex digits, and a normalised form within `dpop::MAX_HTU_LEN`.
///
/// These are the normaliser's checks, made without writing the
/// normalised form, which the module never uses (the normaliser is 2 KiB
/// of flash, this 0.4 KiB). The tests hold the two to the same answer on
/// every input they try.
#[inline(never)]
fn check_htu(htu: &str) -> Result<(), Error> {
    const HTTPS: &[u8] = b"https://";
    let uri = htu.as_bytes();
    // The scheme (before the first `://`) is `https`, in any case.
    let rest = match uri.split_at_checked(HTTPS.len()) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case(HTTPS) => rest,
        _ => return Err(Error::DpopUri),
    };
    // Visible ASCII only, and no query or fragment.
    let visible = |c: &u8| c.is_ascii_graphic() && *c != b'?' && *c != b'#';
    if uri.len() > dpop::MAX_HTU_LEN || !uri.iter().all(visible) {
        return Err(Error::DpopUri);
    }
    let path_at = rest.iter().position(|c| *c == b'/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at_checked(path_at).ok_or(Error::DpopUri)?;
    if authority.is_empty() || authority.contains(&b'@') {
        return Err(Error::DpopUri);
    }
    // The port follows the last ':' outside an IPv6 literal.
    let (host, port) = match authority.iter().rposition(|c| *c == b':') {
        Some(i) if !authority.get(i..).is_some_and(|s| s.contains(&b']')) => (
            authority.get(..i).unwrap_or(&[]),
            authority.get(i.saturating_add(1)..),
        ),
        _ => (authority, None),
    };
    if host.is_empty() || !port.unwrap_or(&[]).iter().all(u8::is_ascii_digit) {
        return Err(Error::DpopUri);
    }
    // Each `%` starts a percent-encoding: two hex digits follow.
    let mut tail = path;
    while let Some(at) = tail.iter().position(|c| *c == b'%') {
        match tail.get(at.saturating_add(1)..) {
            Some([h, l, more @ ..]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                tail = more;
            }
            _ => return Err(Error::DpopUri),
        }
    }
    // The normalised form is never longer than the URI but for the `/` an
    // empty path becomes, and shorter when the port shrinks (an empty port
    // or 443 left out, leading zeros dropped): it is over the limit only
    // for a URI at the limit with an empty path and a port that stays.
    let port_stays = port.is_none_or(|p| !matches!(p, [] | b"443" | [b'0', _, ..]));
    if path.is_empty() && uri.len() == dpop::MAX_HTU_LEN && port_stays {
        return Err(Error::DpopUri);
    }
    Ok(())
}

/// RFC 6750 §2.1 `b64token` (`1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
/// "+" / "/" ) *"="`), at most `token::MAX_TOKEN_LEN` bytes.
fn check_access_token(t: &str) -> Result<(), Error> {
    let body = t.trim_end_matches('=');
    let ok = |c: u8| c.is_ascii_alphanumeric() || b"-._~+/".contains(&c);
    if body.is_empty() || t.len() > token::MAX_TOKEN_LEN || !body.bytes().all(ok) {
        return Err(Error::InvalidParameter);
    }
    Ok(())
}

/// RFC 9449 §8.1: `nonce = 1*NQCHAR` (`%x21 / %x23-5B / %x5D-7E`).
fn check_nonce(n: &str) -> Result<(), Error> {
    let nqchar = |c: u8| matches!(c, 0x21 | 0x23..=0x5b | 0x5d..=0x7e);
    if n.is_empty() || n.len() > MAX_NONCE_LEN || !n.bytes().all(nqchar) {
        return Err(Error::DpopNonceInvalid);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Request;

    const NOW: u64 = 1_900_000_000;
    const D: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    fn policy(profiles: &str, cap: Option<u64>) -> Policy {
        let cap = cap
            .map(|c| format!(r#","max_lifetime":{c}"#))
            .unwrap_or_default();
        let rec = format!(
            r#"{{"seed":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8","now":{NOW},"profiles":{profiles}{cap}}}"#
        );
        Policy::new(&Provisioning::parse(rec.as_bytes()).unwrap())
    }

    /// An issue request under `profile` with `alg` and the claims `claims`
    /// (a JSON object body without braces).
    fn token(p: &Policy, profile: &str, alg: &str, claims: &str) -> Result<(), Error> {
        let line = format!(
            r#"{{"cmd":"issue","profile":"{profile}","alg":"{alg}","claims":{{{claims}}}}}"#
        );
        let Request::Issue(r) = Request::parse(line.as_bytes())? else {
            panic!("not an issue request")
        };
        p.approve_token(&r).map(|_| ())
    }

    fn claims(lifetime: u64, cnf: &str) -> String {
        format!(
            r#""iss":"https://as","sub":"alice","aud":"https://rs","client_id":"c1","iat":{NOW},"exp":{},"cnf":{cnf}"#,
            NOW + lifetime
        )
    }

    fn x5t() -> String {
        format!(r#"{{"x5t#S256":"{D}"}}"#)
    }

    fn jkt() -> String {
        format!(r#"{{"jkt":"{D}"}}"#)
    }

    /// CDR-AT-TTL (120–600 s) and OFB-AT-TTL (300–900 s) at the key, plus
    /// the module's own cap under a profile without one (fapi2).
    #[test]
    fn cdr_at_ttl_ofb_at_ttl_enforced_at_the_key() {
        let p = policy(r#"["cdr","ofb","fapi2","fapi2-plus"]"#, Some(900));
        assert_eq!(token(&p, "cdr", "ES256", &claims(600, &x5t())), Ok(()));
        assert_eq!(
            token(&p, "cdr", "ES256", &claims(601, &x5t())),
            Err(Error::LifetimeTooLong)
        );
        assert_eq!(
            token(&p, "cdr", "ES256", &claims(119, &x5t())),
            Err(Error::LifetimeTooShort)
        );
        assert_eq!(
            token(&p, "fapi2-plus", "EdDSA", &claims(86_400, &jkt())),
            Err(Error::LifetimeTooLong)
        );
        // OFB-ALG allows PS256 only: the lifetime is not even looked at.
        assert_eq!(
            token(&p, "ofb", "ES256", &claims(600, &x5t())),
            Err(Error::AlgNotAllowed)
        );
        assert_eq!(
            token(&p, "ofb", "PS256", &claims(299, &x5t())),
            Err(Error::LifetimeTooShort)
        );
        assert_eq!(
            token(&p, "ofb", "PS256", &claims(901, &x5t())),
            Err(Error::LifetimeTooLong)
        );
        assert_eq!(token(&p, "ofb", "PS256", &claims(900, &x5t())), Ok(()));
        // fapi2 caps nothing; the module caps at 900 s.
        assert_eq!(token(&p, "fapi2", "EdDSA", &claims(900, &jkt())), Ok(()));
        assert_eq!(
            token(&p, "fapi2", "EdDSA", &claims(901, &jkt())),
            Err(Error::LifetimeTooLong)
        );
        assert_eq!(
            token(&p, "fapi2", "EdDSA", &claims(0, &jkt())),
            Err(Error::LifetimeTooShort)
        );
        let uncapped = policy(r#"["fapi2"]"#, None);
        assert_eq!(
            token(&uncapped, "fapi2", "EdDSA", &claims(86_400, &jkt())),
            Ok(())
        );
    }

    /// F2-SENDER: no `cnf` is refused; OB-SENDER / CDR-HOK: a DPoP binding
    /// is refused where only MTLS is allowed.
    #[test]
    fn f2_sender_cdr_hok_ob_sender_at_the_key() {
        let p = policy(r#"["fapi2","cdr","obie"]"#, None);
        let bearer = r#""iss":"https://as","sub":"alice","aud":"https://rs","client_id":"c1","iat":1900000000,"exp":1900000300"#;
        for (profile, alg) in [("fapi2", "ES256"), ("cdr", "ES256"), ("obie", "PS256")] {
            assert_eq!(
                token(&p, profile, alg, bearer),
                Err(Error::SenderConstraintMissing),
                "{profile}"
            );
        }
        assert_eq!(token(&p, "fapi2", "ES256", &claims(300, &jkt())), Ok(()));
        assert_eq!(token(&p, "fapi2", "ES256", &claims(300, &x5t())), Ok(()));
        assert_eq!(
            token(&p, "cdr", "ES256", &claims(300, &jkt())),
            Err(Error::SenderConstraintMissing)
        );
        assert_eq!(
            token(&p, "obie", "PS256", &claims(300, &jkt())),
            Err(Error::SenderConstraintMissing)
        );
        // A thumbprint that is not 32 bytes of base64url.
        assert_eq!(
            token(&p, "fapi2", "ES256", &claims(300, r#"{"jkt":"AAAA"}"#)),
            Err(Error::InvalidParameter)
        );
        assert_eq!(
            token(
                &p,
                "fapi2",
                "ES256",
                &claims(300, &format!(r#"{{"jkt":"{}*"}}"#, &D[..42]))
            ),
            Err(Error::Base64)
        );
    }

    /// F2-ALG, CDR-ALG, OB-ALG: only the profile's algorithms.
    #[test]
    fn f2_alg_cdr_alg_ob_alg_at_the_key() {
        let p = policy(r#"["fapi2","cdr","obie"]"#, None);
        assert_eq!(
            token(&p, "cdr", "EdDSA", &claims(300, &x5t())),
            Err(Error::AlgNotAllowed)
        );
        assert_eq!(
            token(&p, "obie", "ES256", &claims(300, &x5t())),
            Err(Error::AlgNotAllowed)
        );
        assert_eq!(
            token(&p, "fapi2", "HS256", &claims(300, &x5t())),
            Err(Error::UnsupportedAlg)
        );
        assert_eq!(
            token(&p, "fapi2", "none", &claims(300, &x5t())),
            Err(Error::UnsupportedAlg)
        );
        for alg in ["ES256", "EdDSA", "PS256"] {
            assert_eq!(
                token(&p, "fapi2", alg, &claims(300, &x5t())),
                Ok(()),
                "{alg}"
            );
        }
    }

    /// RFC 9068 §2.2: each required claim absent (or empty) is refused.
    #[test]
    fn required_claims() {
        let p = policy(r#"["fapi2"]"#, None);
        let members = [
            r#""iss":"https://as""#.to_owned(),
            r#""sub":"alice""#.to_owned(),
            r#""aud":"https://rs""#.to_owned(),
            r#""client_id":"c1""#.to_owned(),
            format!(r#""iat":{NOW}"#),
            format!(r#""exp":{}"#, NOW + 300),
            format!(r#""cnf":{}"#, jkt()),
        ];
        let all = members.join(",");
        assert_eq!(token(&p, "fapi2", "ES256", &all), Ok(()));
        for (i, name) in ["iss", "sub", "aud", "client_id", "iat", "exp"]
            .iter()
            .enumerate()
        {
            let mut without = members.to_vec();
            let _ = without.remove(i);
            assert_eq!(
                token(&p, "fapi2", "ES256", &without.join(",")),
                Err(Error::MissingClaim),
                "{name}"
            );
        }
        let empty_sub = all.replace(r#""sub":"alice""#, r#""sub":"""#);
        assert_eq!(
            token(&p, "fapi2", "ES256", &empty_sub),
            Err(Error::MissingClaim)
        );
        let empty_scope = format!(r#"{all},"scope":"""#);
        assert_eq!(
            token(&p, "fapi2", "ES256", &empty_scope),
            Err(Error::MissingClaim)
        );
    }

    /// The module's clock decides `iat`; `exp` before `iat` is refused.
    #[test]
    fn iat_against_the_module_clock() {
        let p = policy(r#"["fapi2"]"#, None);
        let at = |iat: u64, exp: u64| {
            format!(
                r#""iss":"i","sub":"s","aud":"a","client_id":"c","iat":{iat},"exp":{exp},"cnf":{{"jkt":"{D}"}}"#
            )
        };
        assert_eq!(
            token(&p, "fapi2", "ES256", &at(NOW + 10, NOW + 300)),
            Ok(())
        );
        assert_eq!(
            token(&p, "fapi2", "ES256", &at(NOW - 10, NOW + 300)),
            Ok(())
        );
        assert_eq!(
            token(&p, "fapi2", "ES256", &at(NOW + 11, NOW + 300)),
            Err(Error::IssuedInFuture)
        );
        assert_eq!(
            token(&p, "fapi2", "ES256", &at(NOW - 11, NOW + 300)),
            Err(Error::TooOld)
        );
        assert_eq!(
            token(&p, "fapi2", "ES256", &at(NOW, NOW - 1)),
            Err(Error::LifetimeTooShort)
        );
        assert_eq!(token(&p, "fapi2", "ES256", &at(NOW, u64::MAX)), Ok(()));
    }

    /// OB-INTENT: the consent claim is the profile's; another profile's
    /// name, or a consent claim where the profile has none, is refused.
    #[test]
    fn ob_intent_consent_claim_is_the_profiles() {
        let p = policy(r#"["fapi2","cdr","obie"]"#, None);
        let with = |name: &str| format!(r#"{},"{name}":"consent-1""#, claims(300, &x5t()));
        assert_eq!(
            token(&p, "obie", "PS256", &with("openbanking_intent_id")),
            Ok(())
        );
        assert_eq!(
            token(&p, "cdr", "ES256", &with("cdr_arrangement_id")),
            Ok(())
        );
        assert_eq!(
            token(&p, "cdr", "ES256", &with("openbanking_intent_id")),
            Err(Error::InvalidParameter)
        );
        assert_eq!(
            token(&p, "fapi2", "ES256", &with("cdr_arrangement_id")),
            Err(Error::InvalidParameter)
        );
    }

    #[test]
    fn profiles_not_provisioned_are_refused() {
        let p = policy(r#"["cdr"]"#, None);
        assert_eq!(
            token(&p, "fapi2", "ES256", &claims(300, &jkt())),
            Err(Error::ProfileViolation)
        );
        assert_eq!(
            token(&p, "fapi3", "ES256", &claims(300, &jkt())),
            Err(Error::ProfileViolation)
        );
    }

    /// The checks `check_htu` made before it checked without writing: the
    /// `https` prefix, no query or fragment, and `dpop::normalize_htu`.
    fn htu_by_normalising(htu: &str) -> Result<(), Error> {
        if htu.contains(['?', '#']) {
            return Err(Error::DpopUri);
        }
        let prefix = htu.as_bytes().get(..8);
        if !prefix.is_some_and(|p| p.eq_ignore_ascii_case(b"https://")) {
            return Err(Error::DpopUri);
        }
        let mut buf = [0u8; dpop::MAX_HTU_LEN];
        dpop::normalize_htu(htu, &mut buf).map(|_| ())
    }

    /// `check_htu` accepts exactly what `dpop::normalize_htu` accepts (with
    /// the `https` prefix and without query or fragment): the listed URIs,
    /// the lengths around `dpop::MAX_HTU_LEN`, and 200,000 random strings
    /// over the characters the normaliser treats apart.
    #[test]
    fn htu_check_is_the_normalisers() {
        let mut cases: Vec<String> = [
            "https://as.example/token",
            "HTTPS://AS.example:443/a/../b/./c/%7e%2F%2f",
            "https://a",
            "https://a:",
            "https://a:0",
            "https://a:00",
            "https://a:0443",
            "https://a:8443/",
            "https://a:x1/",
            "https://:443/",
            "https://[::1]/x",
            "https://[::1]:443",
            "https://[::1]",
            "https://[::1]:x",
            "https://u@a/t",
            "https:///t",
            "https://",
            "https:/a",
            "http://a/t",
            "https://a/%",
            "https://a/%4",
            "https://a/%4g",
            "https://a/%%41",
            "https://a/%41%",
            "https://a/b c",
            "https://a/\u{e9}",
            "https://a/t?q",
            "https://a/t#f",
            "",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let max = dpop::MAX_HTU_LEN;
        for n in [max - 2, max - 1, max, max + 1] {
            for tail in [
                "", ":", ":443", ":0443", ":0", ":00", ":8443", ":1", "/", "/a",
            ] {
                let host = "h".repeat(n.saturating_sub(8 + tail.len()));
                cases.push(format!("https://{host}{tail}"));
            }
        }
        let alphabet = b"hHtTpPsS:/.%@[]?#09afAFgG~- \x7f";
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let len = usize::try_from(next() % 24).unwrap();
            let mut s = String::from(if next() % 8 == 0 {
                "hTtPs://"
            } else {
                "https://"
            });
            for _ in 0..len {
                let i = usize::try_from(next() % alphabet.len() as u64).unwrap();
                s.push(char::from(alphabet[i]));
            }
            cases.push(s);
        }
        for htu in &cases {
            assert_eq!(check_htu(htu), htu_by_normalising(htu), "{htu:?}");
        }
    }

    fn proof(p: &Policy, fields: &str) -> Result<ProofGrant<'static>, Error> {
        let line: &'static str =
            Box::leak(format!(r#"{{"cmd":"dpop",{fields}}}"#).into_boxed_str());
        let Request::Proof(r) = Request::parse(line.as_bytes())? else {
            panic!("not a proof request")
        };
        p.approve_proof(&r).map(|a| *a.get())
    }

    /// DPoP proofs: only under profiles with DPoP (F2-SENDER; CDR-HOK and
    /// OB-SENDER are MTLS only), only the profile's algorithms, `htm` a
    /// method, `htu` an https URI without query or fragment.
    #[test]
    fn proof_requests() {
        let p = policy(r#"["fapi2","cdr"]"#, None);
        let ok = proof(
            &p,
            r#""profile":"fapi2","alg":"EdDSA","htm":"POST","htu":"https://as.example/token","access_token":"abc.def-_~+/==","nonce":"n-1""#,
        )
        .unwrap();
        assert_eq!((ok.iat, ok.htm, ok.nonce), (NOW, "POST", Some("n-1")));
        assert!(!format!("{ok:?}").contains("abc.def"));
        for (fields, want) in [
            (
                r#""profile":"cdr","alg":"ES256","htm":"POST","htu":"https://a/t""#,
                Error::ProfileViolation,
            ),
            (
                r#""profile":"obie","alg":"ES256","htm":"POST","htu":"https://a/t""#,
                Error::ProfileViolation,
            ),
            (
                r#""profile":"fapi2","alg":"RS256","htm":"POST","htu":"https://a/t""#,
                Error::UnsupportedAlg,
            ),
            (
                r#""profile":"fapi2","alg":"ES256","htm":"","htu":"https://a/t""#,
                Error::DpopMethod,
            ),
            (
                r#""profile":"fapi2","alg":"ES256","htm":"PO ST","htu":"https://a/t""#,
                Error::DpopMethod,
            ),
            (
                r#""profile":"fapi2","alg":"ES256","htm":"POST","htu":"http://a/t""#,
                Error::DpopUri,
            ),
            (
                r#""profile":"fapi2","alg":"ES256","htm":"POST","htu":"https://a/t?x=1""#,
                Error::DpopUri,
            ),
            (
                r#""profile":"fapi2","alg":"ES256","htm":"POST","htu":"https://a/t#f""#,
                Error::DpopUri,
            ),
            (
                r#""profile":"fapi2","alg":"ES256","htm":"POST","htu":"https://u@a/t""#,
                Error::DpopUri,
            ),
            (
                r#""profile":"fapi2","alg":"ES256","htm":"POST","htu":"/token""#,
                Error::DpopUri,
            ),
            (
                r#""profile":"fapi2","alg":"ES256","htm":"POST","htu":"https://a/t","access_token":"a b""#,
                Error::InvalidParameter,
            ),
            (
                r#""profile":"fapi2","alg":"ES256","htm":"POST","htu":"https://a/t","access_token":"==""#,
                Error::InvalidParameter,
            ),
            (
                r#""profile":"fapi2","alg":"ES256","htm":"POST","htu":"https://a/t","nonce":"a b""#,
                Error::DpopNonceInvalid,
            ),
            (
                r#""profile":"fapi2","alg":"ES256","htm":"POST","htu":"https://a/t","nonce":"""#,
                Error::DpopNonceInvalid,
            ),
        ] {
            assert_eq!(proof(&p, fields).err(), Some(want), "{fields}");
        }
    }
}
