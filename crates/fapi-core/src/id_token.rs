//! OpenID Connect ID tokens (OpenID Connect Core 1.0 §2), issued by the
//! authorization server and verified by the client, into caller buffers.
//!
//! [`issue`] writes `iss`, `sub`, `aud` (the client), `exp`, `iat` and,
//! when given, `auth_time` (required, and within the request's `max_age`,
//! when the request carried one: [`IdTokenParams::max_age`]), `nonce`, `acr`, `at_hash`, `c_hash`, `s_hash`
//! and the profile's claims: `openbanking_intent_id` where the profile
//! carries the consent in the ID token (OB-INTENT, required there), an
//! `acr` among the profile's values where it requires one (CDR), and the
//! CDR expiry claims when given. It signs with the profile's algorithms
//! only (F2-ALG, OB-ALG, OFB-ALG, CDR-ALG).
//!
//! [`verify`] is the client's check (OpenID Connect Core §3.1.3.7):
//!
//! - the signature, with an algorithm of the profile (and of the client's
//!   registration, [`Expectations::with_algs`]); `typ` absent or `JWT`;
//! - `iss` exactly the issuer ([`Error::WrongIssuer`]), `aud` naming the
//!   client ([`Error::WrongAudience`]), `sub` present;
//! - `azp` required and equal to the client where `aud` names several
//!   audiences, and equal whenever present
//!   ([`Error::WrongAuthorizedParty`]);
//! - `exp` present and not passed, `iat` present, not in the future and
//!   not older than the caller's limit ([`Expectations::with_max_age`],
//!   at most a day; [`Error::TooOld`]);
//! - `auth_time` required, not in the future and at most `max_age`
//!   seconds old when the client sent `max_age` in its authorization
//!   request (§3.1.2.1, §3.1.3.7 item 13: [`Expectations::with_auth_max_age`];
//!   [`Error::MissingClaim`], [`Error::IssuedInFuture`], [`Error::TooOld`]);
//! - `nonce` equal (in constant time) to the one the client sent, and
//!   required when it sent one ([`Error::NonceMismatch`],
//!   [`Error::MissingClaim`]);
//! - `at_hash` checked when the caller gives the access token (optional
//!   at the token endpoint, §3.1.3.8: checked when present); `c_hash`
//!   required and checked when it gives the code, `s_hash` required and
//!   checked when it gives the state (an ID token from the authorization
//!   endpoint: §3.3.2.11, FAPI 1.0 Advanced §5.2.2.1)
//!   ([`Error::HashMismatch`]);
//! - the profile's claims: `openbanking_intent_id` under OB-INTENT, an
//!   `acr` of the profile's values under the CDR ([`Error::AcrNotAllowed`]).
//!
//! The hashes ([`half_hash`]) are the left half of the hash the signing
//! algorithm uses: SHA-256 for PS256 and ES256, SHA-512 for EdDSA over
//! Ed25519 (OpenID Connect Core §3.1.3.6 and its errata), base64url.
//!
//! ```
//! use fapi_core::crypto::{Signer, Verifier};
//! use fapi_core::id_token::{self, Expectations, IdTokenParams};
//! use fapi_core::profile::Profile;
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
//! let params = IdTokenParams::new("https://as.bank.example", "alice", "fintech-1", now)
//!     .nonce("n-0S6_WzA2Mj")
//!     .access_token(b"at-123");
//! let mut token = [0u8; 2048];
//! let n = id_token::issue(&Profile::FAPI2, &params, &key, &mut token)?;
//!
//! // The client: its nonce from the session, the access token it received.
//! let expect = Expectations::new(&Profile::FAPI2, "https://as.bank.example", "fintech-1")?
//!     .with_nonce("n-0S6_WzA2Mj")
//!     .with_access_token(b"at-123");
//! let mut buf = [0u8; id_token::verify_buf_len(2048)];
//! let verified = id_token::verify(&token[..n], &expect, &key, &FixedClock(now), &mut buf)?;
//! assert_eq!(verified.subject, "alice");
//!
//! let other = expect.with_nonce("another");
//! let mut buf = [0u8; id_token::verify_buf_len(2048)];
//! assert_eq!(id_token::verify(&token[..n], &other, &key, &FixedClock(now), &mut buf).err(), Some(Error::NonceMismatch));
//!
//! // The request carried max_age=300: auth_time is required.
//! let with_max_age = expect.with_auth_max_age(300);
//! let mut buf = [0u8; id_token::verify_buf_len(2048)];
//! assert_eq!(id_token::verify(&token[..n], &with_max_age, &key, &FixedClock(now), &mut buf).err(), Some(Error::MissingClaim));
//! # Ok::<(), Error>(())
//! ```

use serde::Deserialize;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::alg::Alg;
use crate::claims::Audience;
use crate::crypto::{Clock, PublicKeyVerifier, Signer, Verifier};
use crate::error::Error;
use crate::json::Writer;
use crate::jwk::Jwks;
use crate::jws::{self, HeaderParams};
use crate::jwt::{self, Typ, VerifiedJwt};
use crate::profile::Profile;

/// The `typ` an ID token carries when it carries one.
pub const TYP: &str = "JWT";
/// The default lifetime of an issued ID token (seconds).
pub const DEFAULT_LIFETIME: u64 = 300;
/// The default limit on an ID token's age at the client (seconds).
pub const DEFAULT_MAX_AGE: u64 = 600;
/// The largest claims document [`issue`] writes (bytes).
pub const MAX_CLAIMS: usize = 4096;

/// The buffer [`verify`] needs at most for an ID token of `len` bytes.
///
/// ```
/// assert_eq!(fapi_core::id_token::verify_buf_len(1000), fapi_core::jwt::verify_buf_len(1000));
/// ```
#[must_use]
pub const fn verify_buf_len(len: usize) -> usize {
    jwt::verify_buf_len(len)
}

/// The left half of a hash, base64url-encoded: an `at_hash`, `c_hash` or
/// `s_hash` value (22 characters for SHA-256, 43 for SHA-512).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HalfHash {
    buf: [u8; 43],
    len: usize,
}

impl HalfHash {
    /// The base64url text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.buf
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// Whether `value` is this hash (constant time: the claim of a token
    /// an attacker may have made).
    #[must_use]
    pub fn matches(&self, value: &str) -> bool {
        bool::from(self.as_str().as_bytes().ct_eq(value.as_bytes()))
    }
}

impl core::fmt::Debug for HalfHash {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // A hash of a token or code: not the value, but not printed either.
        f.write_str("HalfHash(..)")
    }
}

/// OpenID Connect Core §3.1.3.6, §3.3.2.11: the left-most half of the
/// hash of `value` (the ASCII access token, code or state) with the hash
/// function of `alg`'s JWS algorithm: SHA-256 for PS256 and ES256,
/// SHA-512 for EdDSA (Ed25519), base64url without padding.
///
/// ```
/// use fapi_core::{Alg, id_token::half_hash};
/// // OpenID Connect Core Appendix A.4: the c_hash of its example code.
/// let h = half_hash(Alg::Ps256, b"Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk")?;
/// assert_eq!(h.as_str(), "LDktKdoQak3Pk0cnXxCltA");
/// # Ok::<(), fapi_core::Error>(())
/// ```
pub fn half_hash(alg: Alg, value: &[u8]) -> Result<HalfHash, Error> {
    let mut buf = [0u8; 43];
    let len = match alg {
        Alg::Ps256 | Alg::Es256 => {
            let d: [u8; 32] = Sha256::digest(value).into();
            b64::encode(d.get(..16).ok_or(Error::BufferTooSmall)?, &mut buf)?.len()
        }
        Alg::EdDsa => {
            let d: [u8; 64] = Sha512::digest(value).into();
            b64::encode(d.get(..32).ok_or(Error::BufferTooSmall)?, &mut buf)?.len()
        }
    };
    Ok(HalfHash { buf, len })
}

use crate::b64;

/// What an ID token says: built with [`IdTokenParams::new`] and its
/// setters, written by [`issue`].
#[derive(Clone, Copy)]
pub struct IdTokenParams<'a> {
    /// `iss`: the issuer identifier.
    pub issuer: &'a str,
    /// `sub`: the end-user.
    pub subject: &'a str,
    /// `aud`: the client id.
    pub client_id: &'a str,
    /// `iat`.
    pub issued_at: u64,
    /// `exp - iat`, 1 to [`jwt::MAX_LIFETIME`] seconds.
    pub lifetime: u64,
    /// `auth_time`: when the end-user authenticated.
    pub auth_time: Option<u64>,
    /// The authorization request's `max_age` (OpenID Connect Core
    /// §3.1.2.1): `auth_time` is then required, and at most `max_age`
    /// seconds before `iat`.
    pub max_age: Option<u64>,
    /// `nonce`: the authorization request's.
    pub nonce: Option<&'a str>,
    /// `acr`.
    pub acr: Option<&'a str>,
    /// The access token issued with the ID token, for `at_hash`.
    pub access_token: Option<&'a [u8]>,
    /// The authorization code, for `c_hash`.
    pub code: Option<&'a [u8]>,
    /// The `state`, for `s_hash`.
    pub state: Option<&'a [u8]>,
    /// The consent id, written as `openbanking_intent_id` (OB-INTENT).
    pub intent_id: Option<&'a str>,
    /// CDR `sharing_expires_at`, when the server still writes it.
    pub sharing_expires_at: Option<u64>,
    /// CDR `refresh_token_expires_at`, when the server still writes it.
    pub refresh_token_expires_at: Option<u64>,
}

impl core::fmt::Debug for IdTokenParams<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The access token and the code are secrets.
        f.debug_struct("IdTokenParams")
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("client_id", &self.client_id)
            .field("issued_at", &self.issued_at)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl<'a> IdTokenParams<'a> {
    /// An ID token of `issuer` about `subject` for `client_id`, issued at
    /// `issued_at`, living [`DEFAULT_LIFETIME`].
    #[must_use]
    pub const fn new(
        issuer: &'a str,
        subject: &'a str,
        client_id: &'a str,
        issued_at: u64,
    ) -> Self {
        Self {
            issuer,
            subject,
            client_id,
            issued_at,
            lifetime: DEFAULT_LIFETIME,
            auth_time: None,
            max_age: None,
            nonce: None,
            acr: None,
            access_token: None,
            code: None,
            state: None,
            intent_id: None,
            sharing_expires_at: None,
            refresh_token_expires_at: None,
        }
    }

    /// With `exp = iat + seconds`.
    #[must_use]
    pub const fn lifetime(mut self, seconds: u64) -> Self {
        self.lifetime = seconds;
        self
    }

    /// With `auth_time`.
    #[must_use]
    pub const fn auth_time(mut self, t: u64) -> Self {
        self.auth_time = Some(t);
        self
    }

    /// For an authorization request with `max_age` (OpenID Connect Core
    /// §3.1.2.1): [`issue`] then requires `auth_time`
    /// ([`Error::MissingClaim`]) no more than `seconds` before `iat`
    /// ([`Error::TooOld`]: the end-user had to authenticate again).
    #[must_use]
    pub const fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// With `nonce`.
    #[must_use]
    pub const fn nonce(mut self, nonce: &'a str) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// With `acr`.
    #[must_use]
    pub const fn acr(mut self, acr: &'a str) -> Self {
        self.acr = Some(acr);
        self
    }

    /// With `at_hash` of `token`.
    #[must_use]
    pub const fn access_token(mut self, token: &'a [u8]) -> Self {
        self.access_token = Some(token);
        self
    }

    /// With `c_hash` of `code`.
    #[must_use]
    pub const fn code(mut self, code: &'a [u8]) -> Self {
        self.code = Some(code);
        self
    }

    /// With `s_hash` of `state`.
    #[must_use]
    pub const fn state(mut self, state: &'a [u8]) -> Self {
        self.state = Some(state);
        self
    }

    /// With `openbanking_intent_id` (OB-INTENT).
    #[must_use]
    pub const fn intent_id(mut self, id: &'a str) -> Self {
        self.intent_id = Some(id);
        self
    }

    /// With the CDR `sharing_expires_at` and `refresh_token_expires_at`.
    #[must_use]
    pub const fn cdr_expiry(mut self, sharing: u64, refresh_token: u64) -> Self {
        self.sharing_expires_at = Some(sharing);
        self.refresh_token_expires_at = Some(refresh_token);
        self
    }
}

/// OB-INTENT and the CDR `acr`: the profile's claims as the issuer and the
/// client check them alike.
fn check_profile_claims(
    profile: &Profile,
    intent: Option<&str>,
    acr: Option<&str>,
) -> Result<(), Error> {
    // OB-INTENT: the consent id travels as openbanking_intent_id.
    if profile.intent_in_id_token && intent.is_none_or(str::is_empty) {
        return Err(Error::MissingClaim);
    }
    // CDR: `acr` required, `urn:cds.au:cdr:2` or `urn:cds.au:cdr:3`.
    if let Some(allowed) = profile.id_token_acr_values {
        match acr {
            Some(a) if allowed.contains(&a) => {}
            _ => return Err(Error::AcrNotAllowed),
        }
    }
    Ok(())
}

/// Issues the ID token `params` describes under `profile`, signed by
/// `signer` (an algorithm of the profile: F2-ALG, OB-ALG, OFB-ALG,
/// CDR-ALG, else [`Error::AlgNotAllowed`]), into `out`; returns its length.
/// Under OB-INTENT without an intent id it is [`Error::MissingClaim`];
/// under the CDR without an allowed `acr` [`Error::AcrNotAllowed`]; a
/// lifetime of 0 is [`Error::LifetimeTooShort`], over a day
/// [`Error::LifetimeTooLong`].
pub fn issue<S: Signer + ?Sized>(
    profile: &Profile,
    params: &IdTokenParams<'_>,
    signer: &S,
    out: &mut [u8],
) -> Result<usize, Error> {
    let alg = signer.alg();
    // F2-ALG / OB-ALG / OFB-ALG / CDR-ALG: the profile's algorithms.
    alg.check_allowed(profile.algs)?;
    if params.lifetime == 0 {
        return Err(Error::LifetimeTooShort);
    }
    if params.lifetime > jwt::MAX_LIFETIME {
        return Err(Error::LifetimeTooLong);
    }
    // OIDC Core §2: iss, sub, aud are required and not empty.
    if params.issuer.is_empty() || params.subject.is_empty() || params.client_id.is_empty() {
        return Err(Error::MissingClaim);
    }
    check_profile_claims(profile, params.intent_id, params.acr)?;
    // OIDC Core §3.1.2.1: with max_age, auth_time is required and the
    // authentication no older than max_age.
    if let Some(max_age) = params.max_age {
        let t = params.auth_time.ok_or(Error::MissingClaim)?;
        check_auth_time(t, max_age, params.issued_at, 0)?;
    }
    let exp = params
        .issued_at
        .checked_add(params.lifetime)
        .ok_or(Error::LifetimeTooLong)?;
    let mut body = [0u8; MAX_CLAIMS];
    let mut w = Writer::new(&mut body);
    w.raw(b"{")?;
    put_str(&mut w, "iss", params.issuer, false)?;
    put_str(&mut w, "sub", params.subject, true)?;
    put_str(&mut w, "aud", params.client_id, true)?;
    put_uint(&mut w, "exp", exp)?;
    put_uint(&mut w, "iat", params.issued_at)?;
    if let Some(t) = params.auth_time {
        put_uint(&mut w, "auth_time", t)?;
    }
    if let Some(n) = params.nonce {
        put_str(&mut w, "nonce", n, true)?;
    }
    if let Some(a) = params.acr {
        put_str(&mut w, "acr", a, true)?;
    }
    for (name, value) in [
        ("at_hash", params.access_token),
        ("c_hash", params.code),
        ("s_hash", params.state),
    ] {
        if let Some(v) = value {
            put_str(&mut w, name, half_hash(alg, v)?.as_str(), true)?;
        }
    }
    if let Some(id) = params.intent_id {
        // OB-INTENT
        put_str(&mut w, "openbanking_intent_id", id, true)?;
    }
    if let Some(t) = params.sharing_expires_at {
        put_uint(&mut w, "sharing_expires_at", t)?;
    }
    if let Some(t) = params.refresh_token_expires_at {
        put_uint(&mut w, "refresh_token_expires_at", t)?;
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

pub(crate) fn put_str(
    w: &mut Writer<'_>,
    name: &str,
    value: &str,
    comma: bool,
) -> Result<(), Error> {
    if comma {
        w.raw(b",")?;
    }
    w.key(name)?;
    w.string(value)
}

pub(crate) fn put_uint(w: &mut Writer<'_>, name: &str, value: u64) -> Result<(), Error> {
    w.raw(b",")?;
    w.key(name)?;
    w.uint(value)
}

/// What the client expects of an ID token (OpenID Connect Core
/// §3.1.3.7): built by [`Expectations::new`] from the profile, the issuer
/// and its client id; the nonce it sent, the access token, code and state
/// it holds, and the age limit are set by methods.
#[derive(Clone, Copy)]
pub struct Expectations<'a> {
    profile: &'a Profile,
    algs: &'a [Alg],
    issuer: &'a str,
    client_id: &'a str,
    nonce: Option<&'a str>,
    access_token: Option<&'a [u8]>,
    code: Option<&'a [u8]>,
    state: Option<&'a [u8]>,
    max_age: u64,
    auth_max_age: Option<u64>,
    leeway: u64,
}

impl core::fmt::Debug for Expectations<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Expectations")
            .field("profile", &self.profile.name)
            .field("algs", &self.algs)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

impl<'a> Expectations<'a> {
    /// ID tokens of `issuer` for `client_id` under `profile`: its
    /// algorithms, [`DEFAULT_MAX_AGE`], [`jwt::DEFAULT_LEEWAY`]. An empty
    /// issuer or client id is [`Error::ProfileViolation`].
    pub fn new(profile: &'a Profile, issuer: &'a str, client_id: &'a str) -> Result<Self, Error> {
        if issuer.is_empty() || client_id.is_empty() {
            return Err(Error::ProfileViolation);
        }
        Ok(Self {
            profile,
            algs: profile.algs,
            issuer,
            client_id,
            nonce: None,
            access_token: None,
            code: None,
            state: None,
            max_age: DEFAULT_MAX_AGE,
            auth_max_age: None,
            leeway: jwt::DEFAULT_LEEWAY,
        })
    }

    /// Only `algs` (the client's registered `id_token_signed_response_alg`):
    /// each must be the profile's, and the list not empty, else
    /// [`Error::AlgNotAllowed`] / [`Error::ProfileViolation`].
    pub fn with_algs(mut self, algs: &'a [Alg]) -> Result<Self, Error> {
        if algs.is_empty() {
            return Err(Error::ProfileViolation);
        }
        for a in algs {
            a.check_allowed(self.profile.algs)?;
        }
        self.algs = algs;
        Ok(self)
    }

    /// The nonce the client sent: the ID token must carry it.
    #[must_use]
    pub const fn with_nonce(mut self, nonce: &'a str) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// The access token received with the ID token: `at_hash`, when
    /// present, must be its hash (§3.1.3.8).
    #[must_use]
    pub const fn with_access_token(mut self, token: &'a [u8]) -> Self {
        self.access_token = Some(token);
        self
    }

    /// The code received with the ID token: `c_hash` is required and must
    /// be its hash (§3.3.2.11).
    #[must_use]
    pub const fn with_code(mut self, code: &'a [u8]) -> Self {
        self.code = Some(code);
        self
    }

    /// The state received with the ID token: `s_hash` is required and
    /// must be its hash (FAPI 1.0 Advanced §5.2.2.1).
    #[must_use]
    pub const fn with_state(mut self, state: &'a [u8]) -> Self {
        self.state = Some(state);
        self
    }

    /// Refuse an ID token whose `iat` is more than `seconds` old: 1 to
    /// [`jwt::MAX_LIFETIME`], else [`Error::ProfileViolation`].
    pub const fn with_max_age(mut self, seconds: u64) -> Result<Self, Error> {
        if seconds == 0 || seconds > jwt::MAX_LIFETIME {
            return Err(Error::ProfileViolation);
        }
        self.max_age = seconds;
        Ok(self)
    }

    /// The `max_age` the client sent in its authorization request (OpenID
    /// Connect Core §3.1.2.1, §3.1.3.7 item 13): `auth_time` is then
    /// required ([`Error::MissingClaim`]), not in the future
    /// ([`Error::IssuedInFuture`]) and at most `seconds` old, give or take
    /// the leeway ([`Error::TooOld`]: the end-user must authenticate
    /// again). `0` asks for an authentication just now.
    ///
    /// ```
    /// use fapi_core::{id_token::Expectations, profile::Profile};
    /// let expect = Expectations::new(&Profile::FAPI2, "https://as.bank.example", "fintech-1")?
    ///     .with_nonce("n-0S6_WzA2Mj")
    ///     .with_auth_max_age(300);
    /// # let _ = expect;
    /// # Ok::<(), fapi_core::Error>(())
    /// ```
    #[must_use]
    pub const fn with_auth_max_age(mut self, seconds: u64) -> Self {
        self.auth_max_age = Some(seconds);
        self
    }

    /// A clock leeway of `seconds`: more than [`jwt::MAX_LEEWAY`] is
    /// [`Error::ProfileViolation`].
    pub const fn with_leeway(mut self, seconds: u64) -> Result<Self, Error> {
        if seconds > jwt::MAX_LEEWAY {
            return Err(Error::ProfileViolation);
        }
        self.leeway = seconds;
        Ok(self)
    }

    /// The accepted algorithms.
    #[must_use]
    pub const fn algs(&self) -> &'a [Alg] {
        self.algs
    }

    /// The issuer expected.
    #[must_use]
    pub const fn issuer(&self) -> &'a str {
        self.issuer
    }

    /// The client id expected in `aud`.
    #[must_use]
    pub const fn client_id(&self) -> &'a str {
        self.client_id
    }

    fn jwt(&self) -> Result<jwt::Expectations<'a>, Error> {
        // OIDC Core §2 / RFC 8725 §3.11: `typ` absent or JWT.
        jwt::Expectations::new(self.algs, Typ::AbsentOr(TYP), self.issuer, self.client_id)?
            .with_leeway(self.leeway)?
            .with_max_age(self.max_age)
    }
}

/// A verified ID token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdToken<'b> {
    /// `sub`.
    pub subject: &'b str,
    /// `aud`.
    pub audience: Audience<'b>,
    /// `iat`.
    pub issued_at: u64,
    /// `exp`.
    pub expires_at: u64,
    /// `auth_time`.
    pub auth_time: Option<u64>,
    /// `acr`.
    pub acr: Option<&'b str>,
    /// `azp`.
    pub azp: Option<&'b str>,
    /// `openbanking_intent_id` (OB-INTENT).
    pub intent_id: Option<&'b str>,
    /// CDR `sharing_expires_at`.
    pub sharing_expires_at: Option<u64>,
    /// CDR `refresh_token_expires_at`.
    pub refresh_token_expires_at: Option<u64>,
}

#[derive(Deserialize)]
struct Members<'a> {
    #[serde(borrow)]
    nonce: Option<&'a str>,
    auth_time: Option<u64>,
    #[serde(borrow)]
    acr: Option<&'a str>,
    #[serde(borrow)]
    azp: Option<&'a str>,
    #[serde(borrow)]
    at_hash: Option<&'a str>,
    #[serde(borrow)]
    c_hash: Option<&'a str>,
    #[serde(borrow)]
    s_hash: Option<&'a str>,
    #[serde(borrow)]
    openbanking_intent_id: Option<&'a str>,
    sharing_expires_at: Option<u64>,
    refresh_token_expires_at: Option<u64>,
}

/// Verifies the ID token `jwt` with `key` (the issuer's key for the
/// header's algorithm) against `expect` at `clock`'s time; `buf` holds
/// the decoded token ([`verify_buf_len`] bytes suffice). See the module
/// documentation for the checks.
pub fn verify<'b, V, C>(
    jwt: &[u8],
    expect: &Expectations<'_>,
    key: &V,
    clock: &C,
    buf: &'b mut [u8],
) -> Result<IdToken<'b>, Error>
where
    V: Verifier + ?Sized,
    C: Clock + ?Sized,
{
    let verified = jwt::verify(jwt, &expect.jwt()?, key, clock, buf)?;
    finish(verified, expect, clock.now())
}

/// [`verify`] with the key of the issuer's `jwks` that the header's `kid`
/// and `alg` select.
pub fn verify_with_jwks<'b, P, C>(
    jwt: &[u8],
    expect: &Expectations<'_>,
    backend: &P,
    jwks: &Jwks<'_>,
    clock: &C,
    buf: &'b mut [u8],
) -> Result<IdToken<'b>, Error>
where
    P: PublicKeyVerifier + ?Sized,
    C: Clock + ?Sized,
{
    let verified = jwt::verify_with_jwks(jwt, &expect.jwt()?, backend, jwks, clock, buf)?;
    finish(verified, expect, clock.now())
}

/// The hash claim `claim` against the value the client holds: checked when
/// present, and required where `required`.
fn check_hash(
    alg: Alg,
    value: Option<&[u8]>,
    claim: Option<&str>,
    required: bool,
) -> Result<(), Error> {
    match (value, claim) {
        (Some(v), Some(c)) => {
            if half_hash(alg, v)?.matches(c) {
                Ok(())
            } else {
                Err(Error::HashMismatch)
            }
        }
        (Some(_), None) if required => Err(Error::MissingClaim),
        _ => Ok(()),
    }
}

/// `auth_time` against `max_age` at `now`, give or take `leeway`: not in
/// the future ([`Error::IssuedInFuture`]), at most `max_age` old
/// ([`Error::TooOld`]).
fn check_auth_time(auth_time: u64, max_age: u64, now: u64, leeway: u64) -> Result<(), Error> {
    if auth_time > now.saturating_add(leeway) {
        return Err(Error::IssuedInFuture);
    }
    if now > auth_time.saturating_add(max_age).saturating_add(leeway) {
        return Err(Error::TooOld);
    }
    Ok(())
}

fn finish<'b>(
    mut v: VerifiedJwt<'b>,
    expect: &Expectations<'_>,
    now: u64,
) -> Result<IdToken<'b>, Error> {
    let alg = v.header.alg;
    let c = v.claims.clone();
    // OIDC Core §2: sub, exp and iat are required.
    let subject = c.sub.ok_or(Error::MissingClaim)?;
    let expires_at = c.exp.ok_or(Error::MissingClaim)?;
    let issued_at = c.iat.ok_or(Error::MissingClaim)?;
    let m: Members<'b> = v.extra()?;
    // OIDC Core §3.1.3.7 steps 4 and 5: azp required with several
    // audiences, and the client whenever present.
    let several = matches!(&c.aud, Audience::Many(list) if list.len() > 1);
    match m.azp {
        Some(azp) if azp != expect.client_id => return Err(Error::WrongAuthorizedParty),
        None if several => return Err(Error::WrongAuthorizedParty),
        _ => {}
    }
    // OIDC Core §3.1.2.1, §3.1.3.7 item 13: with max_age, auth_time is
    // required and recent enough.
    if let Some(max_age) = expect.auth_max_age {
        let t = m.auth_time.ok_or(Error::MissingClaim)?;
        check_auth_time(t, max_age, now, expect.leeway)?;
    }
    // OIDC Core §3.1.3.7 step 11: the nonce sent, required when sent,
    // compared in constant time.
    if let Some(sent) = expect.nonce {
        let got = m.nonce.ok_or(Error::MissingClaim)?;
        if !bool::from(sent.as_bytes().ct_eq(got.as_bytes())) {
            return Err(Error::NonceMismatch);
        }
    }
    // OIDC Core §3.1.3.8 (at_hash, optional at the token endpoint),
    // §3.3.2.11 (c_hash), FAPI 1.0 Advanced §5.2.2.1 (s_hash).
    check_hash(alg, expect.access_token, m.at_hash, false)?;
    check_hash(alg, expect.code, m.c_hash, true)?;
    check_hash(alg, expect.state, m.s_hash, true)?;
    // OB-INTENT; CDR acr.
    check_profile_claims(expect.profile, m.openbanking_intent_id, m.acr)?;
    Ok(IdToken {
        subject,
        audience: c.aud,
        issued_at,
        expires_at,
        auth_time: m.auth_time,
        acr: m.acr,
        azp: m.azp,
        intent_id: m.openbanking_intent_id,
        sharing_expires_at: m.sharing_expires_at,
        refresh_token_expires_at: m.refresh_token_expires_at,
    })
}
