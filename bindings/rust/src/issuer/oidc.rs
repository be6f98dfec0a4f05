//! ID tokens, JARM responses and signed introspection responses from the
//! [`Issuer`], and the registration fields that choose their algorithms.

use fapi_core::id_token::{self, IdTokenParams};
use fapi_core::jarm::{self, Response};
use fapi_core::profile::Profile;
use fapi_core::{Alg, Error as CoreError, Signer, Site, introspection, jws};

use super::{ClientRegistration, Issuer};
use crate::error::{At, Error};
use crate::jwe::{ContentEnc, EncryptedResponse, KeyAlg, Policy};

/// The `enc` a registration means when it names only the `alg` (OpenID
/// Connect Dynamic Client Registration §2, JARM §3, RFC 9701 §6).
pub const DEFAULT_JWE_ENC: &str = "A128CBC-HS256";

impl ClientRegistration {
    pub(super) fn empty() -> Self {
        Self {
            client_id: String::new(),
            name: String::new(),
            auth_method: fapi_core::profile::ClientAuthMethod::PrivateKeyJwt,
            jwks: None,
            tls_subject_dn: None,
            id_token_signed_response_alg: None,
            id_token_encrypted_response_alg: None,
            id_token_encrypted_response_enc: None,
            authorization_signed_response_alg: None,
            authorization_encrypted_response_alg: None,
            authorization_encrypted_response_enc: None,
            introspection_signed_response_alg: None,
            introspection_encrypted_response_alg: None,
            introspection_encrypted_response_enc: None,
        }
    }

    /// Checks the registration's response algorithms against `profile`:
    /// each `*_signed_response_alg` one of the profile's signature
    /// algorithms (F2-ALG, OB-ALG, OFB-ALG: PS256, CDR-ALG: PS256 or
    /// ES256), each `*_encrypted_response_alg`/`_enc` one of the profile's
    /// JWE algorithms ([`Profile::jwe_algs`], [`Profile::jwe_encs`]: OFB-ALG
    /// RSA-OAEP with A256GCM, CDR-ALG RSA-OAEP or RSA-OAEP-256 with AES-128
    /// or AES-256) or, where the profile sets none, of
    /// [`KeyAlg::ALL_NAMES`] and [`ContentEnc::ALL_NAMES`]. An `enc` without its `alg` is refused
    /// ([`CoreError::InvalidParameter`]); an `alg` without `enc` means
    /// [`DEFAULT_JWE_ENC`]; an `alg` outside the set is
    /// [`CoreError::AlgNotAllowed`], an `enc` outside it
    /// [`CoreError::EncNotAllowed`]. A registration asking for encryption
    /// needs an RSA `"use":"enc"` key for its `alg` in its JWK Set
    /// ([`CoreError::KeyNotFound`]): the responses are encrypted to it. The
    /// error names the field, the value and the allowed values.
    ///
    /// ```
    /// use fapi::issuer::ClientRegistration;
    /// use fapi_core::profile::Profile;
    /// let mut reg = ClientRegistration::private_key_jwt("fintech-1", "Example Money", r#"{"keys":[]}"#);
    /// reg.id_token_signed_response_alg = Some("ES256".into());
    /// let err = reg.check(&Profile::OFB).unwrap_err();
    /// assert_eq!(err.core(), fapi_core::Error::AlgNotAllowed);
    /// assert!(err.to_string().contains("expected id_token_signed_response_alg one of PS256, got ES256"), "{err}");
    /// assert!(reg.check(&Profile::CDR).is_ok());
    /// ```
    pub fn check(&self, profile: &Profile) -> Result<(), Error> {
        let site = Site::ClientAuthentication;
        let alg_names: Vec<&str> = profile.algs.iter().map(|a| a.name()).collect();
        for (field, value) in [
            (
                "id_token_signed_response_alg",
                &self.id_token_signed_response_alg,
            ),
            (
                "authorization_signed_response_alg",
                &self.authorization_signed_response_alg,
            ),
            (
                "introspection_signed_response_alg",
                &self.introspection_signed_response_alg,
            ),
        ] {
            if let Some(v) = value {
                let ok = Alg::from_name(v).is_ok_and(|a| profile.algs.contains(&a));
                if !ok {
                    return Err(Error::mismatch(
                        CoreError::AlgNotAllowed,
                        site,
                        format!("{field} one of {}", alg_names.join(", ")),
                        v.clone(),
                    ));
                }
            }
        }
        for kind in EncryptedResponse::ALL {
            let Some((alg, _)) = self.encryption(kind, profile, site)? else {
                continue;
            };
            // OpenID Connect Dynamic Client Registration §2: the response is
            // encrypted to the client's registered `"use":"enc"` key.
            let jwks = self.jwks.as_deref().unwrap_or(r#"{"keys":[]}"#);
            let _ = crate::jwe::select_enc_key(jwks, alg).map_err(|e| match e {
                CoreError::KeyNotFound => no_enc_key(alg, site),
                e => Error::at(e, site),
            })?;
        }
        Ok(())
    }

    /// Whether the client registered encryption of its ID tokens, JARM
    /// responses or introspection responses.
    #[must_use]
    pub fn wants_encryption(&self) -> bool {
        self.id_token_encrypted_response_alg.is_some()
            || self.authorization_encrypted_response_alg.is_some()
            || self.introspection_encrypted_response_alg.is_some()
    }

    /// The registered `<kind>_signed_response_alg`,
    /// `_encrypted_response_alg` and `_encrypted_response_enc`.
    fn response_fields(
        &self,
        kind: EncryptedResponse,
    ) -> (Option<&String>, Option<&String>, Option<&String>) {
        match kind {
            EncryptedResponse::IdToken => (
                self.id_token_signed_response_alg.as_ref(),
                self.id_token_encrypted_response_alg.as_ref(),
                self.id_token_encrypted_response_enc.as_ref(),
            ),
            EncryptedResponse::Authorization => (
                self.authorization_signed_response_alg.as_ref(),
                self.authorization_encrypted_response_alg.as_ref(),
                self.authorization_encrypted_response_enc.as_ref(),
            ),
            EncryptedResponse::Introspection => (
                self.introspection_signed_response_alg.as_ref(),
                self.introspection_encrypted_response_alg.as_ref(),
                self.introspection_encrypted_response_enc.as_ref(),
            ),
        }
    }

    /// The JWE algorithms the client registered for `kind`, checked against
    /// `profile` (OFB-ALG, CDR-ALG: [`Profile::jwe_algs`],
    /// [`Profile::jwe_encs`]; where the profile sets none,
    /// [`KeyAlg::ALL_NAMES`] and [`ContentEnc::ALL_NAMES`]): `None` when it registered no encryption; the `enc`
    /// [`DEFAULT_JWE_ENC`] when only the `alg` is registered (OpenID Connect
    /// Dynamic Client Registration §2). An `enc` without its `alg` is
    /// [`CoreError::InvalidParameter`], an `alg` outside the set
    /// [`CoreError::AlgNotAllowed`], an `enc` outside it
    /// [`CoreError::EncNotAllowed`]; each names the field, the value and the
    /// allowed values.
    fn encryption(
        &self,
        kind: EncryptedResponse,
        profile: &Profile,
        site: Site,
    ) -> Result<Option<(KeyAlg, ContentEnc)>, Error> {
        let prefix = kind.metadata_prefix();
        let (_, alg, enc) = self.response_fields(kind);
        let alg = match (alg, enc) {
            (None, None) => return Ok(None),
            (None, Some(e)) => {
                return Err(Error::mismatch(
                    CoreError::InvalidParameter,
                    site,
                    format!("{prefix}_encrypted_response_alg with {prefix}_encrypted_response_enc"),
                    format!("only {prefix}_encrypted_response_enc {e}"),
                ));
            }
            (Some(a), _) => a.as_str(),
        };
        let enc_registered = enc.is_some();
        let enc = enc.map_or(DEFAULT_JWE_ENC, String::as_str);
        let policy = Policy::from_profile(profile);
        // OFB-ALG, CDR-ALG: the profile's JWE algorithms, and only those
        // fapi implements (never RSA1_5 or dir).
        let key_alg = KeyAlg::from_name(alg)
            .ok()
            .filter(|a| policy.algs.contains(&a.name()));
        let Some(key_alg) = key_alg else {
            return Err(Error::mismatch(
                CoreError::AlgNotAllowed,
                site,
                format!(
                    "{prefix}_encrypted_response_alg one of {}",
                    policy.algs.join(", ")
                ),
                alg,
            ));
        };
        let content = ContentEnc::from_name(enc)
            .ok()
            .filter(|e| policy.encs.contains(&e.name()));
        let Some(content) = content else {
            // The default is named as such: the registration did not say it.
            let got = if enc_registered {
                enc.to_owned()
            } else {
                format!("{enc} (the default when none is registered)")
            };
            return Err(Error::mismatch(
                CoreError::EncNotAllowed,
                site,
                format!(
                    "{prefix}_encrypted_response_enc one of {}",
                    policy.encs.join(", ")
                ),
                got,
            ));
        };
        policy.check(key_alg, content).at(site)?;
        Ok(Some((key_alg, content)))
    }
}

/// How a response to one client is encrypted: the algorithms it registered
/// and its registered JWK Set, where its `"use":"enc"` key is.
struct Sealing {
    alg: KeyAlg,
    enc: ContentEnc,
    jwks: String,
}

/// An ID token to issue ([`Issuer::id_token`]): its subject and client,
/// and the claims the authorization gave it.
///
/// ```
/// let t = fapi::IdToken::new("alice", "fintech-1")
///     .nonce("n-0S6_WzA2Mj")
///     .auth_time(1_900_000_000)
///     .access_token("the-access-token")
///     .intent_id("urn-alphabank-intent-58923");
/// assert_eq!(t.subject(), "alice");
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IdToken {
    subject: String,
    client_id: String,
    nonce: Option<String>,
    auth_time: Option<u64>,
    max_age: Option<u64>,
    acr: Option<String>,
    access_token: Option<String>,
    code: Option<String>,
    state: Option<String>,
    intent_id: Option<String>,
    cdr_expiry: Option<(u64, u64)>,
    lifetime: Option<u64>,
}

impl core::fmt::Debug for IdToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The access token and code are secrets.
        f.debug_struct("IdToken")
            .field("subject", &self.subject)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl IdToken {
    /// An ID token about `subject` for `client_id`.
    #[must_use]
    pub fn new(subject: &str, client_id: &str) -> Self {
        Self {
            subject: subject.into(),
            client_id: client_id.into(),
            ..Self::default()
        }
    }

    /// The subject.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// `nonce`: the authorization request's (its request object's).
    #[must_use]
    pub fn nonce(mut self, nonce: &str) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// `auth_time`: when the user authenticated.
    #[must_use]
    pub fn auth_time(mut self, t: u64) -> Self {
        self.auth_time = Some(t);
        self
    }

    /// The authorization request's `max_age` (OpenID Connect Core
    /// §3.1.2.1): [`Issuer::id_token`] then requires `auth_time`
    /// ([`CoreError::MissingClaim`]) no more than `seconds` before now
    /// ([`CoreError::TooOld`]: the user had to authenticate again).
    ///
    /// ```
    /// use fapi::{IdToken, Issuer, KeySet, SigningKey};
    /// use fapi_core::{Alg, profile::Profile};
    /// # fn main() -> Result<(), fapi::Error> {
    /// let issuer = Issuer::builder(Profile::FAPI2, "https://as.bank.example", KeySet::new(SigningKey::generate(Alg::Es256)?)).build()?;
    /// let t = IdToken::new("alice", "fintech-1").max_age(300);
    /// assert_eq!(issuer.id_token(&t).unwrap_err().core(), fapi_core::Error::MissingClaim);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// `acr` (CDR: `urn:cds.au:cdr:2` or `urn:cds.au:cdr:3`, required).
    #[must_use]
    pub fn acr(mut self, acr: &str) -> Self {
        self.acr = Some(acr.into());
        self
    }

    /// `at_hash` of the access token issued with it.
    #[must_use]
    pub fn access_token(mut self, token: &str) -> Self {
        self.access_token = Some(token.into());
        self
    }

    /// `c_hash` of the code.
    #[must_use]
    pub fn code(mut self, code: &str) -> Self {
        self.code = Some(code.into());
        self
    }

    /// `s_hash` of the state.
    #[must_use]
    pub fn state(mut self, state: &str) -> Self {
        self.state = Some(state.into());
        self
    }

    /// `openbanking_intent_id` (OB-INTENT: required under obie).
    #[must_use]
    pub fn intent_id(mut self, id: &str) -> Self {
        self.intent_id = Some(id.into());
        self
    }

    /// The CDR `sharing_expires_at` and `refresh_token_expires_at`.
    #[must_use]
    pub fn cdr_expiry(mut self, sharing: u64, refresh_token: u64) -> Self {
        self.cdr_expiry = Some((sharing, refresh_token));
        self
    }

    /// `exp - iat`, seconds ([`id_token::DEFAULT_LIFETIME`] otherwise).
    #[must_use]
    pub fn lifetime(mut self, seconds: u64) -> Self {
        self.lifetime = Some(seconds);
        self
    }
}

/// An authorization response to sign as JARM ([`Issuer::jarm`]).
#[derive(Clone, PartialEq, Eq)]
pub enum JarmResponse {
    /// The code, and the request's state.
    Code {
        /// `code`.
        code: String,
        /// `state`.
        state: Option<String>,
    },
    /// An error (RFC 6749 §4.1.2.1), and the request's state.
    Error {
        /// `error`.
        error: String,
        /// `error_description`.
        description: Option<String>,
        /// `state`.
        state: Option<String>,
    },
}

impl core::fmt::Debug for JarmResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
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

/// A registered JWKS without the `"use":"enc"` RSA key for `alg`.
fn no_enc_key(alg: KeyAlg, site: Site) -> Error {
    Error::mismatch(
        CoreError::KeyNotFound,
        site,
        format!(
            "an RSA \"use\":\"enc\" key for {} in the registered JWKS",
            alg.name()
        ),
        "none",
    )
}

fn to_string(out: Vec<u8>, n: usize, site: Site) -> Result<String, Error> {
    let mut out = out;
    out.truncate(n);
    String::from_utf8(out).map_err(|_| CoreError::Json).at(site)
}

impl Issuer {
    /// How the response of `kind` to `client_id` is protected: its
    /// registered signing algorithm for `kind` checked against the active
    /// key's `alg`, and its registered encryption, if any, checked again
    /// against the profile (OFB-ALG, CDR-ALG: refused at registration
    /// already). An unregistered client gets signed responses.
    fn response_sealing(
        &self,
        client_id: &str,
        alg: Alg,
        kind: EncryptedResponse,
        site: Site,
    ) -> Result<Option<Sealing>, Error> {
        let clients = self
            .clients
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(reg) = clients.get(client_id) else {
            return Ok(None);
        };
        if let (Some(want), _, _) = reg.response_fields(kind)
            && want != alg.name()
        {
            return Err(Error::mismatch(
                CoreError::AlgNotAllowed,
                site,
                format!("the registered {want}"),
                format!("a signing key for {}", alg.name()),
            ));
        }
        let Some((alg, enc)) = reg.encryption(kind, &self.profile, site)? else {
            return Ok(None);
        };
        let jwks = reg.jwks.clone().ok_or_else(|| {
            Error::mismatch(
                CoreError::KeyNotFound,
                site,
                format!("a registered JWKS with an enc key for {}", alg.name()),
                "no JWKS",
            )
        })?;
        Ok(Some(Sealing { alg, enc, jwks }))
    }

    /// The signed response `jws`, as it is sent: encrypted, when the
    /// client registered encryption, as a nested JWT (`cty: "JWT"`, RFC
    /// 7519 §5.2, OpenID Connect Core §10.2) to its `"use":"enc"` key (its
    /// `kid` in the JWE header); otherwise as it is.
    fn seal(&self, jws: String, sealing: Option<Sealing>, site: Site) -> Result<String, Error> {
        let Some(s) = sealing else {
            return Ok(jws);
        };
        crate::jwe::encrypt(jws.as_bytes(), &s.jwks, s.alg, s.enc, Some("JWT")).map_err(|e| match e
            .core()
        {
            CoreError::KeyNotFound => no_enc_key(s.alg, site),
            core => Error::at(core, site),
        })
    }

    /// Issues the ID token `t` (OpenID Connect Core §2) with the active
    /// signing key under the profile's rules: its algorithms (F2-ALG,
    /// OB-ALG, OFB-ALG, CDR-ALG) and the client's registered
    /// `id_token_signed_response_alg`; `openbanking_intent_id` required
    /// under obie (OB-INTENT); an `acr` of `urn:cds.au:cdr:2`/`:3` under
    /// the CDR.
    ///
    /// ```
    /// use fapi::{IdToken, Issuer, KeySet, SigningKey};
    /// use fapi_core::{Alg, profile::Profile};
    /// # fn main() -> Result<(), fapi::Error> {
    /// let issuer = Issuer::builder(Profile::FAPI2, "https://as.bank.example", KeySet::new(SigningKey::generate(Alg::Es256)?)).build()?;
    /// let jwt = issuer.id_token(&IdToken::new("alice", "fintech-1").nonce("n-1").access_token("at"))?;
    /// assert_eq!(jwt.split('.').count(), 3);
    /// // OB-INTENT: under obie the consent id is required.
    /// let obie_es256 = Profile { algs: &[Alg::Es256], ..Profile::OBIE };
    /// let obie = Issuer::builder(obie_es256, "https://as.bank.example", KeySet::new(SigningKey::generate(Alg::Es256)?)).build()?;
    /// assert_eq!(obie.id_token(&IdToken::new("alice", "fintech-1")).unwrap_err().core(), fapi_core::Error::MissingClaim);
    /// # Ok(()) }
    /// ```
    pub fn id_token(&self, t: &IdToken) -> Result<String, Error> {
        let site = Site::TokenRequest;
        let key = self.active_key();
        let sealing =
            self.response_sealing(&t.client_id, key.alg(), EncryptedResponse::IdToken, site)?;
        let mut p = IdTokenParams::new(&self.issuer, &t.subject, &t.client_id, self.now());
        p.lifetime = t.lifetime.unwrap_or(id_token::DEFAULT_LIFETIME);
        p.nonce = t.nonce.as_deref();
        p.auth_time = t.auth_time;
        p.max_age = t.max_age;
        p.acr = t.acr.as_deref();
        p.access_token = t.access_token.as_deref().map(str::as_bytes);
        p.code = t.code.as_deref().map(str::as_bytes);
        p.state = t.state.as_deref().map(str::as_bytes);
        p.intent_id = t.intent_id.as_deref();
        if let Some((s, r)) = t.cdr_expiry {
            p = p.cdr_expiry(s, r);
        }
        let mut out = vec![0u8; 8192];
        let n = id_token::issue(&self.profile, &p, &key, &mut out).at(site)?;
        self.seal(to_string(out, n, site)?, sealing, site)
    }

    /// Signs the authorization response `response` for `client_id` as a
    /// JARM response (JARM §2; FAPI 2.0 Message Signing §5.4): `iss`, `aud`,
    /// `iat` and `exp` (`lifetime` seconds, at most 600) with the active
    /// key, the profile's and the client's algorithm. The redirect carries
    /// it as `response=<jwt>`.
    ///
    /// ```
    /// use fapi::{Issuer, KeySet, SigningKey, issuer::JarmResponse};
    /// use fapi_core::{Alg, profile::Profile};
    /// # fn main() -> Result<(), fapi::Error> {
    /// let issuer = Issuer::builder(Profile::FAPI2_MS, "https://as.bank.example", KeySet::new(SigningKey::generate(Alg::Es256)?)).build()?;
    /// let r = JarmResponse::Code { code: "c-1".into(), state: Some("s-1".into()) };
    /// let jwt = issuer.jarm("fintech-1", &r, 300)?;
    /// assert_eq!(jwt.split('.').count(), 3);
    /// assert_eq!(issuer.jarm("fintech-1", &r, 601).unwrap_err().core(), fapi_core::Error::LifetimeTooLong);
    /// # Ok(()) }
    /// ```
    pub fn jarm(
        &self,
        client_id: &str,
        response: &JarmResponse,
        lifetime: u64,
    ) -> Result<String, Error> {
        let site = Site::AuthorizationRequest;
        let key = self.active_key();
        let sealing =
            self.response_sealing(client_id, key.alg(), EncryptedResponse::Authorization, site)?;
        let r = match response {
            JarmResponse::Code { code, state } => Response::Code {
                code,
                state: state.as_deref(),
            },
            JarmResponse::Error {
                error,
                description,
                state,
            } => Response::Error {
                error,
                description: description.as_deref(),
                state: state.as_deref(),
            },
        };
        let mut out = vec![0u8; jarm::MAX_CLAIMS * 2 + 2048];
        let n = jarm::issue(
            &self.profile,
            &self.issuer,
            client_id,
            &r,
            self.now(),
            lifetime,
            &key,
            &mut out,
        )
        .at(site)?;
        self.seal(to_string(out, n, site)?, sealing, site)
    }

    /// RFC 9701: the introspection response `response` (an RFC 7662 JSON
    /// object, such as [`Issuer::introspect`] gives) signed for the
    /// resource server `audience` (its client id), served as
    /// `application/token-introspection+jwt`.
    ///
    /// ```
    /// use fapi::{Issuer, KeySet, SigningKey};
    /// use fapi_core::{Alg, profile::Profile};
    /// # fn main() -> Result<(), fapi::Error> {
    /// let issuer = Issuer::builder(Profile::FAPI2_MS, "https://as.bank.example", KeySet::new(SigningKey::generate(Alg::Es256)?)).build()?;
    /// let jwt = issuer.signed_introspection("rs-1", &serde_json::json!({"active": true, "scope": "accounts"}))?;
    /// assert_eq!(jwt.split('.').count(), 3);
    /// # Ok(()) }
    /// ```
    pub fn signed_introspection(
        &self,
        audience: &str,
        response: &serde_json::Value,
    ) -> Result<String, Error> {
        let site = Site::Introspection;
        if !response.is_object() {
            return Err(Error::mismatch(
                CoreError::Json,
                site,
                "an RFC 7662 response object",
                "another JSON value",
            ));
        }
        let key = self.active_key();
        let sealing =
            self.response_sealing(audience, key.alg(), EncryptedResponse::Introspection, site)?;
        let body = response.to_string();
        let header = jws::HeaderParams::typed(introspection::SIGNED_TYP).with_kid(key.key_id());
        let cap = jws::max_signed_len(key.alg(), &header, body.len() + 1024).at(site)?;
        let mut out = vec![0u8; cap];
        let n = introspection::write_signed_response(
            &self.profile,
            &self.issuer,
            audience,
            self.now(),
            body.as_bytes(),
            &key,
            &mut out,
        )
        .at(site)?;
        self.seal(to_string(out, n, site)?, sealing, site)
    }
}
