//! Signed JWTs of any kind (RFC 7519, RFC 8725): ID tokens, JARM
//! authorization responses, signed introspection responses (RFC 9701), a
//! bank's own signed API messages. Access tokens (RFC 9068), client
//! assertions, request objects and DPoP proofs have modules of their own,
//! which add the rules of their kind on top of these.
//!
//! [`verify`] and [`verify_with_jwks`] check, each with its own [`Error`]:
//!
//! - the JWS: `alg` in the caller's explicit allow-list (F2-ALG first:
//!   PS256, ES256 or EdDSA only) and the key's, no embedded or remote keys,
//!   no unknown `crit`, the signature ([`jws`]);
//! - `typ` as the caller says (RFC 8725 §3.11): required and equal, or
//!   absent or equal ([`Typ`]); a JWT of another type is
//!   [`Error::WrongType`];
//! - the claims: exactly one JSON object, no member twice ([`json::check`]);
//! - `iss` the expected issuer ([`Error::WrongIssuer`]) and `aud` naming
//!   the expected audience ([`Error::WrongAudience`]), both required;
//! - `exp` present and not passed, `nbf` and `iat` not in the future, each
//!   with a leeway of at most [`MAX_LEEWAY`] (60 s: FAPI 2.0 requires
//!   refusing anything more than 60 s in the future); `exp` may be absent
//!   only under an age limit on `iat` ([`Expectations::with_max_age`]), so
//!   that every accepted JWT has a bounded life;
//! - the lifetime, `exp - iat` (or `exp - now` without `iat`), at most
//!   [`MAX_LIFETIME`] (a day) or the lower limit the caller sets
//!   ([`Expectations::with_max_lifetime`]): [`Error::LifetimeTooLong`], so
//!   that an `exp` far in the future (`u64::MAX`) is not a JWT valid for
//!   ever;
//! - a `jti`, when present, is not empty ([`Error::EmptyJti`]).
//!
//! The leeway, age and lifetime are set through methods that refuse values
//! outside the limits, so a verification that breaks them cannot be
//! configured.
//!
//! ```
//! use fapi_core::crypto::{Signer, Verifier};
//! use fapi_core::jws::{self, HeaderParams};
//! use fapi_core::jwt::{self, Expectations, Typ};
//! use fapi_core::{Alg, Error, FixedClock, PublicKey};
//! # struct Key(ed25519_dalek::SigningKey);
//! # impl Signer for Key {
//! #     fn alg(&self) -> Alg { Alg::EdDsa }
//! #     fn key_id(&self) -> &str { "bank-2024" }
//! #     fn sign(&self, m: &[u8], out: &mut [u8]) -> Result<usize, Error> {
//! #         use ed25519_dalek::Signer as _;
//! #         out.get_mut(..64).ok_or(Error::BufferTooSmall)?.copy_from_slice(&self.0.sign(m).to_bytes());
//! #         Ok(64)
//! #     }
//! #     fn public_key(&self) -> Result<PublicKey, Error> {
//! #         Ok(PublicKey::Ed25519 { x: self.0.verifying_key().to_bytes() })
//! #     }
//! # }
//! # impl Verifier for Key {
//! #     fn alg(&self) -> Alg { Alg::EdDsa }
//! #     fn verify(&self, m: &[u8], s: &[u8]) -> Result<(), Error> {
//! #         let s: [u8; 64] = s.try_into().map_err(|_| Error::BadSignature)?;
//! #         self.0.verifying_key().verify_strict(m, &ed25519_dalek::Signature::from_bytes(&s)).map_err(|_| Error::BadSignature)
//! #     }
//! # }
//! # let key = Key(ed25519_dalek::SigningKey::from_bytes(&[7; 32]));
//! let now = 1_900_000_000;
//! // An ID token, as an OpenID provider signs it.
//! let claims = format!(
//!     r#"{{"iss":"https://as.bank.example","sub":"alice","aud":"fintech-1","iat":{now},"exp":{},"nonce":"n-0S6"}}"#,
//!     now + 300
//! );
//! let mut token = [0u8; 1024];
//! let n = jws::sign(&key, &HeaderParams::typed("JWT"), claims.as_bytes(), &mut token)?;
//!
//! // The client verifies it: EdDSA or PS256 only, `typ` JWT if present.
//! let expect = Expectations::new(&[Alg::EdDsa, Alg::Ps256], Typ::AbsentOr("JWT"), "https://as.bank.example", "fintech-1")?
//!     .with_leeway(30)?;
//! let mut buf = [0u8; jwt::verify_buf_len(1024)];
//! let mut verified = jwt::verify(&token[..n], &expect, &key, &FixedClock(now), &mut buf)?;
//! assert_eq!(verified.claims.sub, Some("alice"));
//!
//! // Claims of its own kind, from the same payload.
//! #[derive(serde::Deserialize)]
//! struct IdToken<'a> { nonce: Option<&'a str> }
//! let id: IdToken<'_> = verified.extra()?;
//! assert_eq!(id.nonce, Some("n-0S6"));
//!
//! // Expired beyond the leeway; a leeway over 60 s cannot be set.
//! let late = FixedClock(now + 300 + 30);
//! let mut buf = [0u8; jwt::verify_buf_len(1024)];
//! assert_eq!(jwt::verify(&token[..n], &expect, &key, &late, &mut buf).err(), Some(Error::Expired));
//! assert_eq!(expect.with_leeway(61).err(), Some(Error::ProfileViolation));
//! # Ok::<(), Error>(())
//! ```

use core::fmt;

use serde::Deserialize;

use crate::alg::Alg;
use crate::claims::{self, Audience};
use crate::crypto::{Clock, PublicKeyVerifier, Verifier};
use crate::error::Error;
use crate::json;
use crate::jwk::Jwks;
use crate::jws::{self, Header, Policy, Verified};

/// The default clock leeway for `exp`, `nbf` and `iat` (FAPI 2.0: accept
/// 10 s of skew).
pub const DEFAULT_LEEWAY: u64 = 10;
/// The largest leeway that can be configured (FAPI 2.0: refuse anything
/// more than 60 s in the future).
pub const MAX_LEEWAY: u64 = 60;
/// The longest lifetime of a JWT that [`verify`] accepts, and the largest
/// age limit that can be configured: a day (seconds). ID tokens, JARM
/// responses, signed introspection responses and signed messages live
/// seconds to minutes (FAPI 2.0 sets no number; the sets that do bound
/// access tokens at 600 or 900 s and request objects at 60 min), and Open
/// Finance Brasil keeps a signed message's `jti` for 86 400 s; a JWT that
/// claims to live longer is [`Error::LifetimeTooLong`].
pub const MAX_LIFETIME: u64 = 86_400;

/// The buffer size [`verify`] and [`verify_with_jwks`] need at most for a
/// JWT of `jwt_len` bytes: what [`jws::verify_buf_len`] says, and room for
/// [`VerifiedJwt::extra`] to decode the payload's escaped strings once more.
///
/// ```
/// assert_eq!(fapi_core::jwt::verify_buf_len(1000), 2250);
/// ```
#[must_use]
pub const fn verify_buf_len(jwt_len: usize) -> usize {
    jwt_len.saturating_mul(9) / 4
}

/// How the `typ` header is checked (RFC 8725 §3.11, compared as
/// RFC 7515 §4.1.9 says: case-insensitively, `application/` optional).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Typ<'a> {
    /// `typ` must be present and name this type: explicit typing, as for
    /// `token-introspection+jwt` (RFC 9701) or `oauth-authz-req+jwt`.
    Required(&'a str),
    /// `typ` may be absent; when present it must name this type: ID tokens
    /// and JARM responses (`JWT`), whose senders often leave it out.
    AbsentOr(&'a str),
}

/// What a JWT must be to pass [`verify`]: built by [`Expectations::new`],
/// adjusted by methods that refuse values outside FAPI's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expectations<'a> {
    algs: &'a [Alg],
    typ: Typ<'a>,
    issuer: &'a str,
    audience: &'a str,
    leeway: u64,
    max_age: Option<u64>,
    max_lifetime: u64,
}

impl<'a> Expectations<'a> {
    /// JWTs signed with one of `algs`, of type `typ`, issued by `issuer`
    /// for `audience`, with [`DEFAULT_LEEWAY`], `exp` required and a
    /// lifetime of at most [`MAX_LIFETIME`]. An empty
    /// allow-list, issuer or audience is [`Error::ProfileViolation`]: every
    /// verification names what it accepts.
    ///
    /// ```
    /// use fapi_core::{Alg, Error, jwt::{Expectations, Typ}};
    /// let e = Expectations::new(&[Alg::Ps256], Typ::Required("token-introspection+jwt"), "https://as", "https://rs")?;
    /// assert_eq!(e.leeway(), 10);
    /// assert_eq!(Expectations::new(&[], Typ::AbsentOr("JWT"), "https://as", "c").err(), Some(Error::ProfileViolation));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn new(
        algs: &'a [Alg],
        typ: Typ<'a>,
        issuer: &'a str,
        audience: &'a str,
    ) -> Result<Self, Error> {
        let (Typ::Required(t) | Typ::AbsentOr(t)) = typ;
        if algs.is_empty() || issuer.is_empty() || audience.is_empty() || t.is_empty() {
            return Err(Error::ProfileViolation);
        }
        Ok(Self {
            algs,
            typ,
            issuer,
            audience,
            leeway: DEFAULT_LEEWAY,
            max_age: None,
            max_lifetime: MAX_LIFETIME,
        })
    }

    /// The same expectations with a clock leeway of `seconds` for `exp`,
    /// `nbf` and `iat`; more than [`MAX_LEEWAY`] is
    /// [`Error::ProfileViolation`].
    pub fn with_leeway(mut self, seconds: u64) -> Result<Self, Error> {
        if seconds > MAX_LEEWAY {
            return Err(Error::ProfileViolation);
        }
        self.leeway = seconds;
        Ok(self)
    }

    /// The same expectations, requiring `iat` no more than `seconds` in the
    /// past (a signed introspection response or API message, RFC 9701 and
    /// Open Finance Brasil: within 60 s). With an age limit `exp` may be
    /// absent. Zero and more than [`MAX_LIFETIME`] are
    /// [`Error::ProfileViolation`].
    pub fn with_max_age(mut self, seconds: u64) -> Result<Self, Error> {
        // Without `exp` the age limit is the JWT's whole life.
        if seconds == 0 || seconds > MAX_LIFETIME {
            return Err(Error::ProfileViolation);
        }
        self.max_age = Some(seconds);
        Ok(self)
    }

    /// The same expectations, refusing a JWT whose lifetime (`exp - iat`,
    /// or `exp - now` without `iat`) is longer than `seconds` (a JARM
    /// response: minutes). Zero and more than [`MAX_LIFETIME`] are
    /// [`Error::ProfileViolation`].
    ///
    /// ```
    /// use fapi_core::{Alg, Error, jwt::{self, Expectations, Typ}};
    /// let e = Expectations::new(&[Alg::Ps256], Typ::AbsentOr("JWT"), "https://as", "c")?;
    /// assert_eq!(e.max_lifetime(), jwt::MAX_LIFETIME);
    /// assert_eq!(e.with_max_lifetime(600)?.max_lifetime(), 600);
    /// assert_eq!(e.with_max_lifetime(u64::MAX).err(), Some(Error::ProfileViolation));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn with_max_lifetime(mut self, seconds: u64) -> Result<Self, Error> {
        if seconds == 0 || seconds > MAX_LIFETIME {
            return Err(Error::ProfileViolation);
        }
        self.max_lifetime = seconds;
        Ok(self)
    }

    /// The accepted algorithms.
    #[must_use]
    pub const fn algs(&self) -> &'a [Alg] {
        self.algs
    }

    /// The clock leeway (seconds).
    #[must_use]
    pub const fn leeway(&self) -> u64 {
        self.leeway
    }

    /// The age limit on `iat` (seconds), if any.
    #[must_use]
    pub const fn max_age(&self) -> Option<u64> {
        self.max_age
    }

    /// The longest accepted lifetime (seconds).
    #[must_use]
    pub const fn max_lifetime(&self) -> u64 {
        self.max_lifetime
    }
}

/// The registered claims of a verified JWT (RFC 7519 §4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtClaims<'b> {
    /// `iss`: the expected issuer.
    pub iss: &'b str,
    /// `sub`, when present.
    pub sub: Option<&'b str>,
    /// `aud`: it names the expected audience.
    pub aud: Audience<'b>,
    /// `exp`; absent only under an age limit.
    pub exp: Option<u64>,
    /// `nbf`, when present.
    pub nbf: Option<u64>,
    /// `iat`; present under an age limit.
    pub iat: Option<u64>,
    /// `jti`, when present (never empty).
    pub jti: Option<&'b str>,
}

#[derive(Deserialize)]
struct Registered<'a> {
    #[serde(borrow)]
    iss: Option<&'a str>,
    #[serde(borrow)]
    sub: Option<&'a str>,
    #[serde(borrow)]
    aud: Option<Audience<'a>>,
    exp: Option<u64>,
    nbf: Option<u64>,
    iat: Option<u64>,
    #[serde(borrow)]
    jti: Option<&'a str>,
}

/// A JWT that passed [`verify`]: its header, registered claims and payload.
pub struct VerifiedJwt<'b> {
    /// The checked header.
    pub header: Header<'b>,
    /// The registered claims, checked.
    pub claims: JwtClaims<'b>,
    /// The claims JSON, for claims of the JWT's own kind
    /// ([`VerifiedJwt::extra`]).
    pub payload: &'b [u8],
    /// What is left of the caller's buffer, where [`VerifiedJwt::extra`]
    /// decodes escaped strings.
    pub scratch: &'b mut [u8],
}

impl<'b> VerifiedJwt<'b> {
    /// Reads claims of the JWT's own kind (an ID token's `nonce`, an
    /// introspection response's `token_introspection`) from the verified
    /// payload into `T`, decoding escaped strings into what is left of the
    /// caller's buffer, which this uses up. A buffer of
    /// [`verify_buf_len`] bytes always has room.
    pub fn extra<T: Deserialize<'b>>(&mut self) -> Result<T, Error> {
        json::parse_in(self.payload, core::mem::take(&mut self.scratch))
    }
}

impl fmt::Debug for VerifiedJwt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedJwt")
            .field("header", &self.header)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

/// Verifies `jwt` with `key` (whose algorithm must be the header's) against
/// `expect` at `clock`'s time; `buf` receives the decoded header and claims,
/// which the result borrows ([`verify_buf_len`] bytes always suffice, less
/// may be [`Error::BufferTooSmall`]). See the module documentation for the
/// checks.
pub fn verify<'b, V, C>(
    jwt: &[u8],
    expect: &Expectations<'_>,
    key: &V,
    clock: &C,
    buf: &'b mut [u8],
) -> Result<VerifiedJwt<'b>, Error>
where
    V: Verifier + ?Sized,
    C: Clock + ?Sized,
{
    let verified = jws::verify(jwt, &policy(expect), key, buf)?;
    finish(verified, expect, clock)
}

/// [`verify`] with the key of `jwks` that the header's `kid` and `alg`
/// select (a client's or an authorization server's published keys).
pub fn verify_with_jwks<'b, P, C>(
    jwt: &[u8],
    expect: &Expectations<'_>,
    backend: &P,
    jwks: &Jwks<'_>,
    clock: &C,
    buf: &'b mut [u8],
) -> Result<VerifiedJwt<'b>, Error>
where
    P: PublicKeyVerifier + ?Sized,
    C: Clock + ?Sized,
{
    let verified = jws::verify_with_jwks(jwt, &policy(expect), backend, jwks, buf)?;
    finish(verified, expect, clock)
}

/// The JWS policy: F2-ALG and the caller's allow-list, a JSON payload, and
/// a required `typ` checked by the JWS layer.
fn policy<'p>(expect: &Expectations<'p>) -> Policy<'p> {
    let policy = Policy::new(expect.algs).json_payload();
    match expect.typ {
        Typ::Required(t) => policy.with_typ(t),
        Typ::AbsentOr(_) => policy,
    }
}

fn finish<'b, C: Clock + ?Sized>(
    verified: Verified<'b>,
    expect: &Expectations<'_>,
    clock: &C,
) -> Result<VerifiedJwt<'b>, Error> {
    if let (Typ::AbsentOr(want), Some(t)) = (expect.typ, verified.header.typ)
        && !jws::typ_matches(t, want)
    {
        return Err(Error::WrongType);
    }
    let Verified {
        header,
        payload,
        scratch,
        ..
    } = verified;
    let (m, scratch): (Registered<'b>, _) = json::parse_in_rest(payload, scratch)?;
    let iss = m.iss.ok_or(Error::MissingClaim)?;
    if iss != expect.issuer {
        return Err(Error::WrongIssuer);
    }
    let aud = m.aud.ok_or(Error::MissingClaim)?;
    if !aud.contains(expect.audience) {
        return Err(Error::WrongAudience);
    }
    let now = clock.now();
    let leeway = expect.leeway;
    let exp = match (m.exp, expect.max_age) {
        (None, Some(_)) => None,
        (exp, _) => Some(claims::check_exp(exp, now, leeway)?),
    };
    claims::check_nbf(m.nbf, now, leeway)?;
    match (m.iat, expect.max_age) {
        (Some(iat), max_age) => claims::check_iat(iat, now, leeway, max_age.unwrap_or(u64::MAX))?,
        (None, Some(_)) => return Err(Error::MissingClaim),
        (None, None) => {}
    }
    // Every accepted JWT has a bounded life: `exp` of u64::MAX is not a
    // JWT valid for ever.
    if let Some(exp) = exp
        && exp.saturating_sub(m.iat.unwrap_or(now)) > expect.max_lifetime
    {
        return Err(Error::LifetimeTooLong);
    }
    if m.jti.is_some_and(str::is_empty) {
        return Err(Error::EmptyJti);
    }
    Ok(VerifiedJwt {
        header,
        claims: JwtClaims {
            iss,
            sub: m.sub,
            aud,
            exp,
            nbf: m.nbf,
            iat: m.iat,
            jti: m.jti,
        },
        payload,
        scratch,
    })
}
