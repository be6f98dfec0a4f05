//! The client's side of ID tokens and JARM responses.

use fapi_core::id_token::{self, Expectations};
use fapi_core::jarm::{self, Response};
use fapi_core::profile::ResponseMode;
use fapi_core::{Error as CoreError, Site};

use zeroize::Zeroizing;

use super::{AuthSession, Client};
use crate::error::{At, Error};
use crate::jwe::{EncryptedResponse, Policy};
use crate::key_set::IssuerKeys;

/// A response's signed JWT: as it came, or decrypted from a nested JWT
/// (and then erased when dropped).
enum Opened<'a> {
    Signed(&'a str),
    Decrypted(Zeroizing<String>),
}

impl Opened<'_> {
    fn as_str(&self) -> &str {
        match self {
            Self::Signed(s) => s,
            Self::Decrypted(s) => s,
        }
    }
}

/// An ID token that passed [`Client::verify_id_token`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedIdToken {
    /// `sub`.
    pub subject: String,
    /// `iat`.
    pub issued_at: u64,
    /// `exp`.
    pub expires_at: u64,
    /// `auth_time`.
    pub auth_time: Option<u64>,
    /// `acr`.
    pub acr: Option<String>,
    /// `openbanking_intent_id` (OB-INTENT).
    pub intent_id: Option<String>,
}

/// The claims of a JWT payload, read without trusting them, to name what a
/// refused value was (never a secret: `iss`, `aud`).
fn unverified_claim(jwt: &str, name: &str) -> String {
    let Some(payload) = jwt.split('.').nth(1) else {
        return "a malformed JWT".into();
    };
    let mut buf = vec![0u8; payload.len()];
    let Ok(json) = fapi_core::b64::decode(payload.as_bytes(), &mut buf) else {
        return "a malformed JWT".into();
    };
    serde_json::from_slice::<serde_json::Value>(json)
        .ok()
        .and_then(|v| v.get(name).map(ToString::to_string))
        .unwrap_or_else(|| format!("no {name}"))
}

/// A core error with the expected and received `iss`/`aud` named, where it
/// is one of those.
fn detailed(e: CoreError, site: Site, jwt: &str, issuer: &str, client_id: &str) -> Error {
    match e {
        CoreError::WrongIssuer => Error::mismatch(e, site, issuer, unverified_claim(jwt, "iss")),
        CoreError::WrongAudience => {
            Error::mismatch(e, site, client_id, unverified_claim(jwt, "aud"))
        }
        CoreError::WrongAuthorizedParty => {
            Error::mismatch(e, site, client_id, unverified_claim(jwt, "azp"))
        }
        e => Error::at(e, site),
    }
}

impl Client {
    /// The signed JWT of a response of `kind`: decrypted with the client's
    /// key where it registered encryption for `kind` (a nested JWT, within
    /// the profile's JWE algorithms: OFB-ALG, CDR-ALG), else as it came. A
    /// signed JWT where encryption was registered is
    /// [`CoreError::EncryptionRequired`]; a JWE where it was not is
    /// [`CoreError::Encrypted`].
    fn open<'a>(
        &self,
        jwt: &'a str,
        kind: EncryptedResponse,
        site: Site,
    ) -> Result<Opened<'a>, Error> {
        let is_jwe = jwt.bytes().filter(|b| *b == b'.').count() == 4;
        let key = self
            .decryption
            .as_ref()
            .filter(|d| d.encrypted.contains(&kind))
            .map(|d| &d.key);
        match (key, is_jwe) {
            (Some(key), true) => {
                let policy = Policy::from_profile(&self.profile);
                key.decrypt_nested_jwt(jwt, &policy)
                    .map(Opened::Decrypted)
                    .map_err(|e| Error::at(e.core(), site))
            }
            // The client expects encryption: a response in the clear is
            // refused, whatever its signature.
            (Some(_), false) => Err(Error::at(CoreError::EncryptionRequired, site)),
            (None, true) => Err(Error::at(CoreError::Encrypted, site)),
            (None, false) => Ok(Opened::Signed(jwt)),
        }
    }

    /// OpenID Connect Core §3.1.3.7: verifies the ID token `id_token` the
    /// token endpoint returned, with the issuer's published `keys`: the
    /// profile's algorithms, `iss`, `aud`, `azp`, `exp`, `iat` age,
    /// `nonce` equal to the one `session` sent (required when it sent one),
    /// `at_hash` against `access_token` when given, and the profile's
    /// claims (OB-INTENT, the CDR `acr`). A refused `iss`, `aud` or `azp`
    /// names the expected and the received value. Where the client
    /// registered encrypted ID tokens
    /// ([`ClientBuilder::decryption_key`](super::ClientBuilder::decryption_key)
    /// with [`EncryptedResponse::IdToken`]) the token is decrypted first
    /// (OpenID Connect Core §10.2: a nested JWT, signed then encrypted) and
    /// a signed-only one is [`CoreError::EncryptionRequired`].
    pub fn verify_id_token(
        &self,
        keys: &IssuerKeys,
        id_token: &str,
        session: Option<&AuthSession>,
        access_token: Option<&str>,
    ) -> Result<VerifiedIdToken, Error> {
        let site = Site::TokenRequest;
        let mut expect =
            Expectations::new(&self.profile, &self.issuer, &self.client_id).at(site)?;
        if let Some(n) = session.and_then(|s| s.nonce.as_deref()) {
            expect = expect.with_nonce(n);
        }
        if let Some(t) = access_token {
            expect = expect.with_access_token(t.as_bytes());
        }
        let opened = self.open(id_token, EncryptedResponse::IdToken, site)?;
        let id_token = opened.as_str();
        let key = keys.for_token(id_token).at(site)?;
        let mut buf = vec![0u8; id_token::verify_buf_len(id_token.len())];
        let v = id_token::verify(id_token.as_bytes(), &expect, key, &*self.clock, &mut buf)
            .map_err(|e| detailed(e, site, id_token, &self.issuer, &self.client_id))?;
        Ok(VerifiedIdToken {
            subject: v.subject.into(),
            issued_at: v.issued_at,
            expires_at: v.expires_at,
            auth_time: v.auth_time,
            acr: v.acr.map(Into::into),
            intent_id: v.intent_id.map(Into::into),
        })
    }

    /// The authorization response the user came back with, read for the
    /// mode `session` asked for, and its code.
    ///
    /// - `response_mode=jwt` (JARM; required under `fapi2-ms`): only the
    ///   `response` parameter is read (a plain response is
    ///   [`CoreError::PlainResponseRefused`]); the JWT is verified with the
    ///   issuer's `keys` (`iss` exactly the issuer: RFC 9207; `aud` the
    ///   client; `exp` at most 10 minutes: FAPI 2.0 Message Signing §5.4),
    ///   then its `state` is the session's. Where the client registered
    ///   encrypted responses ([`EncryptedResponse::Authorization`]) it is
    ///   decrypted first (JARM §2.2: signed, then encrypted).
    /// - `query`: as [`Client::code_from`] (F2-ISS, then `state`).
    ///
    /// An error response is [`CoreError::InvalidParameter`] naming the
    /// `error` the server sent.
    pub fn authorization_response(
        &self,
        session: &AuthSession,
        keys: &IssuerKeys,
        redirect: &str,
    ) -> Result<String, Error> {
        let site = Site::AuthorizationRequest;
        let query = redirect.split_once('?').map_or("", |(_, q)| q);
        let query = query.split('#').next().unwrap_or(query);
        let Some(jwt) = jarm::response_param(session.response_mode, query.as_bytes()).at(site)?
        else {
            return self.code_from(session, redirect);
        };
        let jwt = core::str::from_utf8(jwt)
            .map_err(|_| CoreError::Malformed)
            .at(site)?;
        let opened = self.open(jwt, EncryptedResponse::Authorization, site)?;
        let jwt = opened.as_str();
        let expect =
            jarm::Expectations::new(&self.profile, &self.issuer, &self.client_id).at(site)?;
        let key = keys.for_token(jwt).at(site)?;
        let mut buf = vec![0u8; jarm::verify_buf_len(jwt.len())];
        let r = jarm::verify(jwt.as_bytes(), &expect, key, &*self.clock, &mut buf)
            .map_err(|e| detailed(e, site, jwt, &self.issuer, &self.client_id))?;
        match r {
            Response::Code { code, state } => {
                if state != Some(session.state.as_str()) {
                    return Err(Error::mismatch(
                        CoreError::InvalidParameter,
                        site,
                        "the session's state",
                        "another state",
                    ));
                }
                Ok(code.to_owned())
            }
            Response::Error { error, .. } => Err(Error::mismatch(
                CoreError::InvalidParameter,
                site,
                "a code",
                format!("error {error}"),
            )),
        }
    }

    /// RFC 9701 §5, §7: verifies a signed introspection response for the
    /// resource server `audience` (its client id) with the issuer's
    /// `keys`: `typ` exactly `token-introspection+jwt`, the profile's
    /// algorithms, `iss`, `aud`, `iat` at most
    /// [`fapi_core::introspection::DEFAULT_MAX_AGE`] seconds old; returns
    /// the RFC 7662 response's `active`. Where the resource server
    /// registered encrypted responses ([`EncryptedResponse::Introspection`])
    /// it is decrypted first (RFC 9701 §5: a nested JWT).
    pub fn verify_signed_introspection(
        &self,
        keys: &IssuerKeys,
        jwt: &str,
        audience: &str,
    ) -> Result<bool, Error> {
        let site = Site::Introspection;
        let opened = self.open(jwt, EncryptedResponse::Introspection, site)?;
        let jwt = opened.as_str();
        let key = keys.for_token(jwt).at(site)?;
        let mut buf = vec![0u8; fapi_core::jwt::verify_buf_len(jwt.len())];
        let t = fapi_core::introspection::verify_signed_response(
            jwt.as_bytes(),
            self.profile.algs,
            &self.issuer,
            audience,
            fapi_core::introspection::DEFAULT_MAX_AGE,
            key,
            &*self.clock,
            &mut buf,
        )
        .map_err(|e| detailed(e, site, jwt, &self.issuer, audience))?;
        Ok(t.active)
    }

    /// The response mode a pushed request of this client asks for:
    /// `jwt` where the profile requires JARM.
    #[must_use]
    pub fn response_mode(&self) -> ResponseMode {
        if self.profile.jarm_required {
            ResponseMode::Jwt
        } else {
            ResponseMode::Query
        }
    }
}
