//! JWT-secured authorization responses (JARM: OpenID "JWT Secured
//! Authorization Response Mode for OAuth 2.0" §2–4; FAPI 2.0 Message
//! Signing §5.4).
//!
//! [`issue`] signs the authorization response: `iss` (the issuer,
//! RFC 9207's mix-up defence inside the JWT), `aud` (the client id), `iat`,
//! `exp` at most [`MAX_LIFETIME`] (10 minutes) later, and either `code`
//! and `state` or `error`, `error_description` and `state` (JARM §2.1,
//! §2.2).
//!
//! On the client, [`response_param`] reads the redirect's query for the
//! mode the client asked for: under [`ResponseMode::Jwt`] only the
//! `response` parameter is accepted, and a plain response (`code`,
//! `error`, `state` or `iss` as parameters) is
//! [`Error::PlainResponseRefused`]; [`verify`] then checks the signature
//! (the profile's algorithms), `iss` exactly the expected issuer, `aud`
//! the client, `exp` not passed and at most 10 minutes after `iat`
//! (FAPI 2.0 Message Signing §5.4), and returns the code or the error.
//!
//! ```
//! use fapi_core::crypto::{Signer, Verifier};
//! use fapi_core::jarm::{self, Expectations, Response};
//! use fapi_core::profile::{Profile, ResponseMode};
//! use fapi_core::{Alg, Error, FixedClock, PublicKey};
//! # struct Key(ed25519_dalek::SigningKey);
//! # impl Signer for Key {
//! #     fn alg(&self) -> Alg { Alg::EdDsa }
//! #     fn key_id(&self) -> &str { "as-1" }
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
//! let response = Response::Code { code: "c-1", state: Some("s-1") };
//! let mut jwt = [0u8; 1024];
//! let n = jarm::issue(&Profile::FAPI2_MS, "https://as.bank.example", "fintech-1", &response, now, 300, &key, &mut jwt)?;
//!
//! // The client asked for response_mode=jwt: only `response` is read.
//! let query = format!("response={}", core::str::from_utf8(&jwt[..n]).unwrap());
//! let token = jarm::response_param(ResponseMode::Jwt, query.as_bytes())?.unwrap();
//! let expect = Expectations::new(&Profile::FAPI2_MS, "https://as.bank.example", "fintech-1")?;
//! let mut buf = [0u8; jarm::verify_buf_len(1024)];
//! assert_eq!(jarm::verify(token, &expect, &key, &FixedClock(now), &mut buf)?, response);
//!
//! // A plain response where a JWT was asked for is refused.
//! assert_eq!(jarm::response_param(ResponseMode::Jwt, b"code=c-1&state=s-1").err(), Some(Error::PlainResponseRefused));
//! # Ok::<(), Error>(())
//! ```

use serde::Deserialize;

use crate::alg::Alg;
use crate::crypto::{Clock, PublicKeyVerifier, Signer, Verifier};
use crate::error::Error;
use crate::id_token::{put_str, put_uint};
use crate::json::Writer;
use crate::jwk::Jwks;
use crate::jws::{self, HeaderParams};
use crate::jwt::{self, Typ, VerifiedJwt};
use crate::profile::{Profile, ResponseMode};

/// The longest a JARM response lives, `exp - iat` (FAPI 2.0 Message
/// Signing §5.4: 10 minutes).
pub const MAX_LIFETIME: u64 = 600;
/// The `typ` a JARM response carries when it carries one.
pub const TYP: &str = "JWT";
/// The largest claims document [`issue`] writes (bytes).
pub const MAX_CLAIMS: usize = 2048;

/// The buffer [`verify`] needs at most for a response of `len` bytes.
///
/// ```
/// assert_eq!(fapi_core::jarm::verify_buf_len(100), fapi_core::jwt::verify_buf_len(100));
/// ```
#[must_use]
pub const fn verify_buf_len(len: usize) -> usize {
    jwt::verify_buf_len(len)
}

/// What an authorization response carries (JARM §2.1, §2.2).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Response<'a> {
    /// Success: the code and the request's `state`.
    Code {
        /// `code`.
        code: &'a str,
        /// `state`, when the request had one.
        state: Option<&'a str>,
    },
    /// An error (RFC 6749 §4.1.2.1).
    Error {
        /// `error`.
        error: &'a str,
        /// `error_description`.
        description: Option<&'a str>,
        /// `state`, when the request had one.
        state: Option<&'a str>,
    },
}

impl core::fmt::Debug for Response<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            // The code is a secret.
            Self::Code { state, .. } => f
                .debug_struct("Code")
                .field("code", &"..")
                .field("state", state)
                .finish(),
            Self::Error {
                error,
                description,
                state,
            } => f
                .debug_struct("Error")
                .field("error", error)
                .field("description", description)
                .field("state", state)
                .finish(),
        }
    }
}

/// Signs the authorization response `response` of `issuer` for
/// `client_id` under `profile` (its algorithms), issued at `issued_at`
/// and living `lifetime` seconds (1 to [`MAX_LIFETIME`]: FAPI 2.0 Message
/// Signing §5.4, else [`Error::LifetimeTooShort`] /
/// [`Error::LifetimeTooLong`]), into `out`; returns its length.
#[allow(clippy::too_many_arguments)]
pub fn issue<S: Signer + ?Sized>(
    profile: &Profile,
    issuer: &str,
    client_id: &str,
    response: &Response<'_>,
    issued_at: u64,
    lifetime: u64,
    signer: &S,
    out: &mut [u8],
) -> Result<usize, Error> {
    // The profile's algorithms (F2-ALG, OB-ALG, OFB-ALG, CDR-ALG).
    signer.alg().check_allowed(profile.algs)?;
    // FAPI 2.0 Message Signing §5.4: exp at most 10 minutes after issue.
    if lifetime == 0 {
        return Err(Error::LifetimeTooShort);
    }
    if lifetime > MAX_LIFETIME {
        return Err(Error::LifetimeTooLong);
    }
    // JARM §2.1: iss and aud are required.
    if issuer.is_empty() || client_id.is_empty() {
        return Err(Error::MissingClaim);
    }
    let exp = issued_at
        .checked_add(lifetime)
        .ok_or(Error::LifetimeTooLong)?;
    let mut body = [0u8; MAX_CLAIMS];
    let mut w = Writer::new(&mut body);
    w.raw(b"{")?;
    put_str(&mut w, "iss", issuer, false)?;
    put_str(&mut w, "aud", client_id, true)?;
    put_uint(&mut w, "iat", issued_at)?;
    put_uint(&mut w, "exp", exp)?;
    let state = match response {
        Response::Code { code, state } => {
            if code.is_empty() {
                return Err(Error::MissingClaim);
            }
            put_str(&mut w, "code", code, true)?;
            state
        }
        Response::Error {
            error,
            description,
            state,
        } => {
            if error.is_empty() {
                return Err(Error::MissingClaim);
            }
            put_str(&mut w, "error", error, true)?;
            if let Some(d) = description {
                put_str(&mut w, "error_description", d, true)?;
            }
            state
        }
    };
    if let Some(s) = state {
        put_str(&mut w, "state", s, true)?;
    }
    w.raw(b"}")?;
    let len = w.len();
    let payload = body.get(..len).ok_or(Error::BufferTooSmall)?;
    jws::sign(
        signer,
        &HeaderParams::typed(TYP).with_kid(signer.key_id()),
        payload,
        out,
    )
}

/// JARM §2.3.1, FAPI 2.0 Message Signing §5.4: the authorization response
/// in the redirect's `query` (without the `?`), read for the mode the
/// client asked for. Under [`ResponseMode::Jwt`] it is the `response`
/// parameter, and nothing else: a plain response (`code`, `error`, `state`
/// or `iss` as a parameter, with or without `response`) or no `response`
/// at all is [`Error::PlainResponseRefused`]; a `response` given twice or
/// percent-encoded (a compact JWS never needs it) is [`Error::Malformed`].
/// Under [`ResponseMode::Query`] it is `Ok(None)`: the caller reads the
/// plain parameters.
///
/// ```
/// use fapi_core::{Error, jarm::response_param, profile::ResponseMode};
/// assert_eq!(response_param(ResponseMode::Jwt, b"response=eyJ.eyJ.sig")?, Some(b"eyJ.eyJ.sig".as_slice()));
/// assert_eq!(response_param(ResponseMode::Jwt, b"error=access_denied").err(), Some(Error::PlainResponseRefused));
/// assert_eq!(response_param(ResponseMode::Query, b"code=c&state=s")?, None);
/// # Ok::<(), Error>(())
/// ```
pub fn response_param(mode: ResponseMode, query: &[u8]) -> Result<Option<&[u8]>, Error> {
    if mode == ResponseMode::Query {
        return Ok(None);
    }
    let mut found = None;
    for pair in query.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (
                pair.get(..i).ok_or(Error::Malformed)?,
                pair.get(i.saturating_add(1)..).ok_or(Error::Malformed)?,
            ),
            None => (pair, &[][..]),
        };
        match name {
            b"response" => {
                if found.is_some() {
                    return Err(Error::Malformed);
                }
                if value.is_empty() || value.iter().any(|&b| b == b'%' || b == b'+') {
                    return Err(Error::Malformed);
                }
                found = Some(value);
            }
            // JARM §2.3: the response parameters travel inside the JWT
            // only; the same parameter beside it is an injected response.
            b"code" | b"error" | b"error_description" | b"state" | b"iss" => {
                return Err(Error::PlainResponseRefused);
            }
            _ => {}
        }
    }
    found.map(Some).ok_or(Error::PlainResponseRefused)
}

/// What the client expects of a JARM response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expectations<'a> {
    algs: &'a [Alg],
    issuer: &'a str,
    client_id: &'a str,
    leeway: u64,
}

impl<'a> Expectations<'a> {
    /// Responses of `issuer` (the issuer the client sent its request to:
    /// RFC 9207) for `client_id`, signed with the profile's algorithms. An
    /// empty issuer or client id is [`Error::ProfileViolation`].
    pub fn new(profile: &'a Profile, issuer: &'a str, client_id: &'a str) -> Result<Self, Error> {
        if issuer.is_empty() || client_id.is_empty() {
            return Err(Error::ProfileViolation);
        }
        Ok(Self {
            algs: profile.algs,
            issuer,
            client_id,
            leeway: jwt::DEFAULT_LEEWAY,
        })
    }

    /// Only `algs` (the client's `authorization_signed_response_alg`), each
    /// of the profile's algorithms that built this.
    pub fn with_algs(mut self, algs: &'a [Alg]) -> Result<Self, Error> {
        if algs.is_empty() {
            return Err(Error::ProfileViolation);
        }
        for a in algs {
            a.check_allowed(self.algs)?;
        }
        self.algs = algs;
        Ok(self)
    }

    /// A clock leeway of `seconds`, at most [`jwt::MAX_LEEWAY`].
    pub const fn with_leeway(mut self, seconds: u64) -> Result<Self, Error> {
        if seconds > jwt::MAX_LEEWAY {
            return Err(Error::ProfileViolation);
        }
        self.leeway = seconds;
        Ok(self)
    }

    fn jwt(&self) -> Result<jwt::Expectations<'a>, Error> {
        jwt::Expectations::new(self.algs, Typ::AbsentOr(TYP), self.issuer, self.client_id)?
            .with_leeway(self.leeway)?
            // FAPI 2.0 Message Signing §5.4: at most 10 minutes.
            .with_max_lifetime(MAX_LIFETIME)
    }
}

#[derive(Deserialize)]
struct Members<'a> {
    #[serde(borrow)]
    code: Option<&'a str>,
    #[serde(borrow)]
    state: Option<&'a str>,
    #[serde(borrow)]
    error: Option<&'a str>,
    #[serde(borrow)]
    error_description: Option<&'a str>,
}

/// Verifies the JARM response `jwt` with the issuer's `key` against
/// `expect` at `clock`'s time (JARM §4.4): the signature, `iss` exactly
/// the issuer ([`Error::WrongIssuer`]), `aud` the client
/// ([`Error::WrongAudience`]), `exp` present, not passed, and at most
/// [`MAX_LIFETIME`] after `iat` (or now) ([`Error::LifetimeTooLong`]);
/// then a `code` or an `error` ([`Error::MissingClaim`] with neither,
/// [`Error::Json`] with both).
pub fn verify<'b, V, C>(
    jwt: &[u8],
    expect: &Expectations<'_>,
    key: &V,
    clock: &C,
    buf: &'b mut [u8],
) -> Result<Response<'b>, Error>
where
    V: Verifier + ?Sized,
    C: Clock + ?Sized,
{
    finish(jwt::verify(jwt, &expect.jwt()?, key, clock, buf)?)
}

/// [`verify`] with the key of the issuer's `jwks` that `kid` and `alg`
/// select.
pub fn verify_with_jwks<'b, P, C>(
    jwt: &[u8],
    expect: &Expectations<'_>,
    backend: &P,
    jwks: &Jwks<'_>,
    clock: &C,
    buf: &'b mut [u8],
) -> Result<Response<'b>, Error>
where
    P: PublicKeyVerifier + ?Sized,
    C: Clock + ?Sized,
{
    finish(jwt::verify_with_jwks(
        jwt,
        &expect.jwt()?,
        backend,
        jwks,
        clock,
        buf,
    )?)
}

fn finish(mut v: VerifiedJwt<'_>) -> Result<Response<'_>, Error> {
    let m: Members<'_> = v.extra()?;
    match (m.code, m.error) {
        (Some(code), None) if !code.is_empty() => Ok(Response::Code {
            code,
            state: m.state,
        }),
        (None, Some(error)) if !error.is_empty() => Ok(Response::Error {
            error,
            description: m.error_description,
            state: m.state,
        }),
        (Some(_), Some(_)) => Err(Error::Json),
        _ => Err(Error::MissingClaim),
    }
}
