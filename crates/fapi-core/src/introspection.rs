//! Token introspection responses (RFC 7662), written into caller buffers.
//!
//! CDR-INTROSPECT: where the profile makes refresh tokens introspectable
//! (`profile.refresh_introspection`: `cdr`, `fapi2-plus`), only refresh
//! tokens are: an access token query answers `{"active":false}`, and the
//! response never carries `username`. Under the CDR it carries
//! `cdr_arrangement_id` (the profile's consent claim).
//!
//! Signed introspection responses (RFC 9701; FAPI 2.0 Message Signing
//! §5.6): [`write_signed_response`] wraps the RFC 7662 response in a JWT
//! (`typ` `token-introspection+jwt`, `iss`, `aud` the resource server,
//! `iat`, and the response as the `token_introspection` claim);
//! [`verify_signed_response`] is the resource server's check of it.

use serde::Deserialize;

use crate::alg::Alg;
use crate::crypto::{Clock, Signer, Verifier};
use crate::error::Error;
use crate::json::{self, Writer};
use crate::jws::{self, HeaderParams};
use crate::jwt::{self, Typ};
use crate::mtls::CertThumbprint;
use crate::profile::Profile;
use crate::token::Confirmation;

/// Which kind of token was looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// An access token.
    Access,
    /// A refresh token.
    Refresh,
}

/// What the server knows of the token it looked up.
#[derive(Clone, Copy, Debug)]
pub struct TokenInfo<'a> {
    /// Which kind of token it is.
    pub kind: TokenKind,
    /// Whether it is live (known, not expired, not revoked).
    pub active: bool,
    /// `scope`.
    pub scope: Option<&'a str>,
    /// `client_id`.
    pub client_id: Option<&'a str>,
    /// `sub`.
    pub subject: Option<&'a str>,
    /// `username`: never written where `profile.refresh_introspection`.
    pub username: Option<&'a str>,
    /// `exp`.
    pub exp: Option<u64>,
    /// `iat`.
    pub iat: Option<u64>,
    /// `cnf`.
    pub confirmation: Option<Confirmation>,
    /// The consent id, written under the profile's consent claim.
    pub consent_id: Option<&'a str>,
}

/// The inactive answer.
pub const INACTIVE: &[u8] = br#"{"active":false}"#;

/// Writes the introspection response for `info` under `profile` into
/// `out`, returning its length.
pub fn write_response(
    profile: &Profile,
    info: &TokenInfo<'_>,
    out: &mut [u8],
) -> Result<usize, Error> {
    // CDR-INTROSPECT: only refresh tokens are introspectable.
    let refused = profile.refresh_introspection && info.kind == TokenKind::Access;
    if !info.active || refused {
        let mut w = Writer::new(out);
        w.raw(INACTIVE)?;
        return Ok(w.len());
    }
    let mut w = Writer::new(out);
    w.raw(br#"{"active":true"#)?;
    let put = |w: &mut Writer<'_>, name: &str, value: Option<&str>| -> Result<(), Error> {
        if let Some(v) = value {
            w.raw(b",")?;
            w.key(name)?;
            w.string(v)?;
        }
        Ok(())
    };
    put(&mut w, "scope", info.scope)?;
    put(&mut w, "client_id", info.client_id)?;
    put(&mut w, "sub", info.subject)?;
    // CDR-INTROSPECT: never username where refresh tokens are introspected
    // under the CDR rules.
    if !profile.refresh_introspection {
        put(&mut w, "username", info.username)?;
    }
    put(
        &mut w,
        "token_type",
        Some(match info.kind {
            TokenKind::Access => "access_token",
            TokenKind::Refresh => "refresh_token",
        }),
    )?;
    for (name, value) in [("exp", info.exp), ("iat", info.iat)] {
        if let Some(v) = value {
            w.raw(b",")?;
            w.key(name)?;
            w.uint(v)?;
        }
    }
    match info.confirmation {
        Some(Confirmation::Jkt(t)) => {
            w.raw(br#","cnf":{"jkt":"#)?;
            w.b64(t.as_bytes())?;
            w.raw(b"}")?;
        }
        Some(Confirmation::X5tS256(CertThumbprint(t))) => {
            w.raw(br#","cnf":{"x5t#S256":"#)?;
            w.b64(&t)?;
            w.raw(b"}")?;
        }
        None => {}
    }
    if let (Some(name), Some(id)) = (profile.consent_claim, info.consent_id) {
        // CDR-INTROSPECT: the response carries cdr_arrangement_id.
        put(&mut w, name, Some(id))?;
    }
    w.raw(b"}")?;
    Ok(w.len())
}

/// The `typ` of a signed introspection response (RFC 9701 §5).
pub const SIGNED_TYP: &str = "token-introspection+jwt";
/// The media type a signed introspection response is served as and asked
/// for (RFC 9701 §4, §5).
pub const SIGNED_CONTENT_TYPE: &str = "application/token-introspection+jwt";
/// The largest RFC 7662 response [`write_signed_response`] wraps (bytes).
pub const MAX_RESPONSE: usize = 4096;
/// The default age limit a resource server puts on a signed response's
/// `iat` (seconds).
pub const DEFAULT_MAX_AGE: u64 = 60;

/// RFC 9701 §5: signs the introspection response `response` (an RFC 7662
/// JSON object, as [`write_response`] writes it) of `issuer` for the
/// resource server `audience`, issued at `issued_at`, with `signer` (an
/// algorithm of `profile`: F2-ALG, OB-ALG, OFB-ALG, CDR-ALG); writes the
/// JWT into `out` and returns its length. `response` that is not one JSON
/// object is [`Error::Json`], over [`MAX_RESPONSE`] [`Error::TooLarge`].
///
/// ```
/// # use fapi_core::{Alg, Error, PublicKey, crypto::Signer};
/// # struct Key(ed25519_dalek::SigningKey);
/// # impl Signer for Key {
/// #     fn alg(&self) -> Alg { Alg::EdDsa }
/// #     fn key_id(&self) -> &str { "as-1" }
/// #     fn sign(&self, m: &[u8], out: &mut [u8]) -> Result<usize, Error> {
/// #         use ed25519_dalek::Signer as _;
/// #         out.get_mut(..64).ok_or(Error::BufferTooSmall)?.copy_from_slice(&self.0.sign(m).to_bytes());
/// #         Ok(64)
/// #     }
/// #     fn public_key(&self) -> Result<PublicKey, Error> {
/// #         Ok(PublicKey::Ed25519 { x: self.0.verifying_key().to_bytes() })
/// #     }
/// # }
/// # let key = Key(ed25519_dalek::SigningKey::from_bytes(&[7; 32]));
/// use fapi_core::{introspection, profile::Profile};
/// let mut out = [0u8; 1024];
/// let n = introspection::write_signed_response(
///     &Profile::FAPI2_MS, "https://as.bank.example", "https://rs.bank.example",
///     1_900_000_000, br#"{"active":true,"scope":"accounts"}"#, &key, &mut out)?;
/// assert_eq!(out[..n].iter().filter(|&&b| b == b'.').count(), 2);
/// # Ok::<(), Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn write_signed_response<S: Signer + ?Sized>(
    profile: &Profile,
    issuer: &str,
    audience: &str,
    issued_at: u64,
    response: &[u8],
    signer: &S,
    out: &mut [u8],
) -> Result<usize, Error> {
    signer.alg().check_allowed(profile.algs)?;
    if response.len() > MAX_RESPONSE {
        return Err(Error::TooLarge);
    }
    // RFC 9701 §5: the claim holds the RFC 7662 response object.
    json::check(response)?;
    if response.first() != Some(&b'{') {
        return Err(Error::Json);
    }
    if issuer.is_empty() || audience.is_empty() {
        return Err(Error::MissingClaim);
    }
    let mut body = [0u8; MAX_RESPONSE + 512];
    let mut w = Writer::new(&mut body);
    w.raw(b"{")?;
    w.key("iss")?;
    w.string(issuer)?;
    w.raw(b",")?;
    w.key("aud")?;
    w.string(audience)?;
    w.raw(b",")?;
    w.key("iat")?;
    w.uint(issued_at)?;
    w.raw(b",")?;
    w.key("token_introspection")?;
    w.raw(response)?;
    w.raw(b"}")?;
    let len = w.len();
    let payload = body.get(..len).ok_or(Error::BufferTooSmall)?;
    jws::sign(
        signer,
        &HeaderParams::typed(SIGNED_TYP).with_kid(signer.key_id()),
        payload,
        out,
    )
}

/// The RFC 7662 members of a verified signed introspection response.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct IntrospectedToken<'a> {
    /// `active`.
    pub active: bool,
    /// `scope`.
    #[serde(borrow)]
    pub scope: Option<&'a str>,
    /// `client_id`.
    #[serde(borrow)]
    pub client_id: Option<&'a str>,
    /// `sub`.
    #[serde(borrow)]
    pub sub: Option<&'a str>,
    /// `token_type`.
    #[serde(borrow)]
    pub token_type: Option<&'a str>,
    /// `exp`.
    pub exp: Option<u64>,
    /// `iat`.
    pub iat: Option<u64>,
    /// `cdr_arrangement_id` (CDR-INTROSPECT).
    #[serde(borrow)]
    pub cdr_arrangement_id: Option<&'a str>,
}

#[derive(Deserialize)]
struct SignedMembers<'a> {
    #[serde(borrow)]
    token_introspection: Option<IntrospectedToken<'a>>,
}

/// RFC 9701 §5 and §7, the resource server's check: `typ` exactly
/// `token-introspection+jwt` ([`Error::WrongType`]), the signature with
/// one of `algs` (the profile's), `iss` the authorization server
/// ([`Error::WrongIssuer`]), `aud` the resource server's own id
/// ([`Error::WrongAudience`]), `iat` present, not in the future and at
/// most `max_age` seconds old (1 to a day; [`Error::TooOld`]), and the
/// `token_introspection` claim ([`Error::MissingClaim`]).
///
/// ```
/// # use fapi_core::{Alg, Error, FixedClock, PublicKey, crypto::{Signer, Verifier}};
/// # struct Key(ed25519_dalek::SigningKey);
/// # impl Signer for Key {
/// #     fn alg(&self) -> Alg { Alg::EdDsa }
/// #     fn key_id(&self) -> &str { "as-1" }
/// #     fn sign(&self, m: &[u8], out: &mut [u8]) -> Result<usize, Error> {
/// #         use ed25519_dalek::Signer as _;
/// #         out.get_mut(..64).ok_or(Error::BufferTooSmall)?.copy_from_slice(&self.0.sign(m).to_bytes());
/// #         Ok(64)
/// #     }
/// #     fn public_key(&self) -> Result<PublicKey, Error> {
/// #         Ok(PublicKey::Ed25519 { x: self.0.verifying_key().to_bytes() })
/// #     }
/// # }
/// # impl Verifier for Key {
/// #     fn alg(&self) -> Alg { Alg::EdDsa }
/// #     fn verify(&self, m: &[u8], s: &[u8]) -> Result<(), Error> {
/// #         let s: [u8; 64] = s.try_into().map_err(|_| Error::BadSignature)?;
/// #         self.0.verifying_key().verify_strict(m, &ed25519_dalek::Signature::from_bytes(&s)).map_err(|_| Error::BadSignature)
/// #     }
/// # }
/// # let key = Key(ed25519_dalek::SigningKey::from_bytes(&[7; 32]));
/// use fapi_core::{introspection, profile::Profile};
/// let now = 1_900_000_000;
/// let mut out = [0u8; 1024];
/// let n = introspection::write_signed_response(&Profile::FAPI2_MS, "https://as", "https://rs", now,
///     br#"{"active":true}"#, &key, &mut out)?;
/// let mut buf = [0u8; fapi_core::jwt::verify_buf_len(1024)];
/// let t = introspection::verify_signed_response(&out[..n], Profile::FAPI2_MS.algs, "https://as", "https://rs",
///     60, &key, &FixedClock(now + 5), &mut buf)?;
/// assert!(t.active);
/// # Ok::<(), Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn verify_signed_response<'b, V, C>(
    jwt: &[u8],
    algs: &[Alg],
    issuer: &str,
    audience: &str,
    max_age: u64,
    key: &V,
    clock: &C,
    buf: &'b mut [u8],
) -> Result<IntrospectedToken<'b>, Error>
where
    V: Verifier + ?Sized,
    C: Clock + ?Sized,
{
    // RFC 9701 §5: explicit typing, iss, aud and iat required.
    let expect = jwt::Expectations::new(algs, Typ::Required(SIGNED_TYP), issuer, audience)?
        .with_max_age(max_age)?;
    let mut v = jwt::verify(jwt, &expect, key, clock, buf)?;
    if v.claims.iat.is_none() {
        return Err(Error::MissingClaim);
    }
    let m: SignedMembers<'b> = v.extra()?;
    m.token_introspection.ok_or(Error::MissingClaim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwk::Thumbprint;

    fn info(kind: TokenKind) -> TokenInfo<'static> {
        TokenInfo {
            kind,
            active: true,
            scope: Some("bank:accounts.basic:read"),
            client_id: Some("client-1"),
            subject: Some("user-1"),
            username: Some("alice"),
            exp: Some(1_700_000_600),
            iat: Some(1_700_000_000),
            confirmation: Some(Confirmation::X5tS256(CertThumbprint([0xAB; 32]))),
            consent_id: Some("arr-42"),
        }
    }

    fn write(p: &Profile, i: &TokenInfo<'_>) -> serde_json::Value {
        let mut buf = [0u8; 1024];
        let n = write_response(p, i, &mut buf).unwrap();
        serde_json::from_slice(&buf[..n]).unwrap()
    }

    /// CDR-INTROSPECT: access tokens answer inactive; refresh tokens carry
    /// cdr_arrangement_id and never username.
    #[test]
    fn cdr_introspect_refresh_only() {
        let p = Profile::CDR;
        assert_eq!(
            write(&p, &info(TokenKind::Access)),
            serde_json::json!({"active": false})
        );
        let v = write(&p, &info(TokenKind::Refresh));
        assert_eq!(v["active"], true);
        assert_eq!(v["cdr_arrangement_id"], "arr-42");
        assert_eq!(v["scope"], "bank:accounts.basic:read");
        assert_eq!(v["exp"], 1_700_000_600u64);
        assert!(v.get("username").is_none());
        assert_eq!(v["cnf"]["x5t#S256"].as_str().unwrap().len(), 43);
        // fapi2-plus adopts CDR-INTROSPECT for refresh tokens too.
        let v = write(&Profile::FAPI2_PLUS, &info(TokenKind::Access));
        assert_eq!(v, serde_json::json!({"active": false}));
        let v = write(&Profile::FAPI2_PLUS, &info(TokenKind::Refresh));
        assert_eq!(v["active"], true);
        assert!(v.get("username").is_none());
    }

    #[test]
    fn fapi2_introspects_access_tokens() {
        let mut i = info(TokenKind::Access);
        i.confirmation = Some(Confirmation::Jkt(Thumbprint([1; 32])));
        let v = write(&Profile::FAPI2, &i);
        assert_eq!(v["active"], true);
        assert_eq!(v["username"], "alice");
        assert_eq!(v["token_type"], "access_token");
        assert!(v["cnf"]["jkt"].is_string());
        // no consent claim under fapi2
        assert!(v.get("cdr_arrangement_id").is_none());
        i.active = false;
        assert_eq!(
            write(&Profile::FAPI2, &i),
            serde_json::json!({"active": false})
        );
        let mut small = [0u8; 8];
        assert_eq!(
            write_response(&Profile::FAPI2, &info(TokenKind::Refresh), &mut small),
            Err(Error::BufferTooSmall)
        );
    }
}
