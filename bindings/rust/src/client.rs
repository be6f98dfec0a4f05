//! The fintech client: [`Client`].
//!
//! It makes what a FAPI 2.0 client sends, with every value it must invent
//! filled in: PKCE pairs (F2-PKCE), `private_key_jwt` client assertions
//! (F2-CLIENT-AUTH; `jti`, `iat`, `exp` made here), DPoP proofs (`jti`,
//! `iat`, `ath` made here, the server's latest nonce remembered and one
//! retry on `use_dpop_nonce`), the pushed authorization request
//! (F2-PAR, on the user's action: F2-CLIENT-INFO), the check of the
//! authorization response's `iss` and `state` (F2-ISS), and the token
//! requests that redeem the code and refresh. Requests come out as
//! `http::Request<String>` for any HTTP client to send.

use core::future::Future;
use std::sync::Mutex;

use fapi_core::authorize::{self, AuthorizationRequest, UserAction};
use fapi_core::dpop::{self, ProofParams};
use fapi_core::http_sig::{self, Message, Policy};
use fapi_core::jwk::Jwks;
use fapi_core::jws::{self, HeaderParams};
use fapi_core::pkce;
use fapi_core::profile::{Profile, SenderConstraint};
use fapi_core::{Random, Signer, Site, SystemClock};
use http::{Method, Request, header};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::{At, Error};
use crate::http_sig::{
    HeaderFields, LABEL, MessageSignature, SigningBuffers, scratch_len, set_content_digest,
};
use crate::issuer::{SharedClock, TokenResponse};
use crate::jwe::{DecryptionKey, EncryptedResponse};
use crate::key::SigningKey;

use fapi_core::Error as CoreError;
use fapi_core::profile::ResponseMode;

mod oidc;
pub use oidc::VerifiedIdToken;

/// An authorization in progress: what the client keeps between the pushed
/// request and the redirect back. The PKCE verifier is zeroized on drop.
#[derive(Debug)]
pub struct AuthSession {
    pkce: pkce::Pair,
    state: String,
    nonce: Option<String>,
    response_mode: ResponseMode,
}

impl AuthSession {
    /// The `state` sent with the request.
    #[must_use]
    pub fn state(&self) -> &str {
        &self.state
    }
    /// The PKCE pair.
    #[must_use]
    pub fn pkce(&self) -> &pkce::Pair {
        &self.pkce
    }
    /// The `nonce` sent (with the `openid` scope): the ID token must
    /// carry it ([`Client::verify_id_token`]).
    #[must_use]
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }
    /// The `response_mode` asked for: the response is read for it
    /// ([`Client::authorization_response`]).
    #[must_use]
    pub fn response_mode(&self) -> ResponseMode {
        self.response_mode
    }
}

/// Builds a [`Client`].
pub struct ClientBuilder {
    profile: Profile,
    client_id: String,
    issuer: String,
    redirect_uri: Option<String>,
    key: Option<SigningKey>,
    dpop_key: Option<SigningKey>,
    token_endpoint: Option<String>,
    par_endpoint: Option<String>,
    authorization_endpoint: Option<String>,
    clock: SharedClock,
    tls_client_auth: bool,
    sharing_duration: Option<u64>,
    decryption: Option<Decryption>,
}

/// The client's JWE key and the responses it registered to receive
/// encrypted.
struct Decryption {
    key: DecryptionKey,
    encrypted: Vec<EncryptedResponse>,
}

impl ClientBuilder {
    /// The client's RSA encryption key (its public half registered in its
    /// JWK Set with `"use":"enc"`: [`Client::jwks_json`]) and the responses
    /// it registered to receive signed, then encrypted
    /// (`<kind>_encrypted_response_alg`: OpenID Connect Core §10.2, JARM
    /// §2.2, RFC 9701 §5). Those responses are decrypted with `key` (within
    /// the profile's JWE algorithms: OFB-ALG, CDR-ALG) before they are
    /// verified; one of them that comes signed only is refused
    /// ([`CoreError::EncryptionRequired`]), as is a JWE that is not a nested
    /// JWT ([`CoreError::NotNestedJwt`]) or one of another kind
    /// ([`CoreError::Encrypted`]).
    ///
    /// ```
    /// use fapi::{Client, DecryptionKey, jwe::EncryptedResponse};
    /// use fapi_core::profile::Profile;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::builder(Profile::FAPI2_MS, "fintech-1", "https://as.bank.example")
    ///     .signing_key(fapi::SigningKey::generate(fapi_core::Alg::Es256)?)
    ///     .dpop_key(fapi::SigningKey::generate(fapi_core::Alg::Es256)?)
    ///     .decryption_key(DecryptionKey::generate()?.with_key_id("fintech-enc-1")?, &[EncryptedResponse::IdToken])
    ///     .build()?;
    /// // Register the signing key and the "use":"enc" key.
    /// assert!(client.jwks_json()?.contains(r#""kid":"fintech-enc-1""#));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn decryption_key(mut self, key: DecryptionKey, encrypted: &[EncryptedResponse]) -> Self {
        self.decryption = Some(Decryption {
            key,
            encrypted: encrypted.to_vec(),
        });
        self
    }

    /// CDR: the sharing duration (seconds) the client asks for, sent as
    /// `claims.sharing_duration` in its request objects where the profile
    /// bounds refresh tokens by it (`refresh_within_sharing_duration`);
    /// without one the CDR issues no refresh token.
    #[must_use]
    pub fn sharing_duration(mut self, seconds: u64) -> Self {
        self.sharing_duration = Some(seconds);
        self
    }
    /// The client authenticates by its TLS client certificate
    /// (`tls_client_auth`, `self_signed_tls_client_auth`: RFC 8705): no
    /// client assertion is sent, even with a signing key (which then only
    /// signs request objects).
    #[must_use]
    pub fn tls_client_auth(mut self, on: bool) -> Self {
        self.tls_client_auth = on;
        self
    }
    /// The registered `https` redirect URI.
    #[must_use]
    pub fn redirect_uri(mut self, uri: &str) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }
    /// The key that signs client assertions and request objects.
    #[must_use]
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.key = Some(key);
        self
    }
    /// The key that signs DPoP proofs.
    #[must_use]
    pub fn dpop_key(mut self, key: SigningKey) -> Self {
        self.dpop_key = Some(key);
        self
    }
    /// The token endpoint (default `{issuer}/token`).
    #[must_use]
    pub fn token_endpoint(mut self, url: &str) -> Self {
        self.token_endpoint = Some(url.into());
        self
    }
    /// The PAR endpoint (default `{issuer}/par`).
    #[must_use]
    pub fn par_endpoint(mut self, url: &str) -> Self {
        self.par_endpoint = Some(url.into());
        self
    }
    /// The authorization endpoint (default `{issuer}/authorize`).
    #[must_use]
    pub fn authorization_endpoint(mut self, url: &str) -> Self {
        self.authorization_endpoint = Some(url.into());
        self
    }
    /// The clock (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }
    /// The client. Under a profile whose only sender constraint is DPoP a
    /// DPoP key is required ([`CoreError::DpopMissing`]); under a profile
    /// that requires signed messages (BG-SIGNED-REQ, `fapi2-ms`) a signing
    /// key ([`Self::signing_key`]), which signs resource requests
    /// ([`Client::sign_resource_request`]), else
    /// [`CoreError::ProfileViolation`].
    ///
    /// ```
    /// use fapi::{Client, SigningKey};
    /// use fapi_core::{Alg, profile::Profile};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let unsigned = Client::builder(Profile::BERLIN, "tpp-1", "https://as.bank.example").build();
    /// assert_eq!(unsigned.unwrap_err().core(), fapi_core::Error::ProfileViolation);
    /// let tpp = Client::builder(Profile::BERLIN, "tpp-1", "https://as.bank.example")
    ///     .signing_key(SigningKey::generate(Alg::Es256)?)
    ///     .build()?;
    /// # let _ = tpp; Ok(()) }
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        let site = Site::TokenRequest;
        let dpop_only = self.profile.sender == [SenderConstraint::Dpop];
        if dpop_only && self.dpop_key.is_none() {
            return Err(Error::at(CoreError::DpopMissing, site));
        }
        // BG-SIGNED-REQ, FAPI 2.0 HTTP Signatures: the client signs its
        // resource requests, so it has a key to sign them with.
        if self.profile.signed_messages_required && self.key.is_none() {
            return Err(Error::at(
                CoreError::ProfileViolation,
                Site::ResourceRequest,
            ));
        }
        for k in self.key.iter().chain(self.dpop_key.iter()) {
            k.alg().check_allowed(self.profile.algs).at(site)?;
        }
        Ok(Client {
            token_endpoint: self
                .token_endpoint
                .unwrap_or_else(|| format!("{}/token", self.issuer)),
            par_endpoint: self
                .par_endpoint
                .unwrap_or_else(|| format!("{}/par", self.issuer)),
            authorization_endpoint: self
                .authorization_endpoint
                .unwrap_or_else(|| format!("{}/authorize", self.issuer)),
            profile: self.profile,
            client_id: self.client_id,
            issuer: self.issuer,
            redirect_uri: self.redirect_uri,
            key: self.key,
            dpop_key: self.dpop_key,
            nonce: Mutex::new(None),
            clock: self.clock,
            rng: fapi_awslc::SystemRandom::new(),
            tls_client_auth: self.tls_client_auth,
            sharing_duration: self.sharing_duration,
            decryption: self.decryption,
        })
    }
}

/// A fintech client of one authorization server.
///
/// ```
/// use fapi::{Client, SigningKey};
/// use fapi_core::{Alg, profile::Profile};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder(Profile::FAPI2, "fintech-1", "https://as.bank.example")
///     .redirect_uri("https://fintech.example/cb")
///     .signing_key(SigningKey::generate(Alg::Es256)?)
///     .dpop_key(SigningKey::generate(Alg::Es256)?)
///     .build()?;
/// // F2-CLIENT-INFO: the authorization starts on the user's action.
/// let action = fapi_core::authorize::UserAction::new("You will be sent to your bank")?;
/// let (par, session) = client.par_request(action, "accounts", Some("aac-42"))?;
/// assert_eq!(par.uri(), "https://as.bank.example/par");
/// assert!(par.body().contains("code_challenge_method=S256"));
/// // ... POST it, send the user to the AS, and when they come back:
/// let back = format!("https://fintech.example/cb?code=abc&state={}&iss=https%3A%2F%2Fas.bank.example", session.state());
/// let code = client.code_from(&session, &back)?;
/// let token_request = client.code_token_request(&session, &code)?;
/// assert!(token_request.headers().contains_key("dpop"));
/// # Ok(()) }
/// ```
pub struct Client {
    profile: Profile,
    client_id: String,
    issuer: String,
    redirect_uri: Option<String>,
    key: Option<SigningKey>,
    dpop_key: Option<SigningKey>,
    token_endpoint: String,
    par_endpoint: String,
    authorization_endpoint: String,
    nonce: Mutex<Option<String>>,
    clock: SharedClock,
    rng: fapi_awslc::SystemRandom,
    tls_client_auth: bool,
    sharing_duration: Option<u64>,
    decryption: Option<Decryption>,
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.client_id)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Client {
    /// A builder for `client_id` at the authorization server `issuer`.
    #[must_use]
    pub fn builder(profile: Profile, client_id: &str, issuer: &str) -> ClientBuilder {
        ClientBuilder {
            profile,
            client_id: client_id.into(),
            issuer: issuer.into(),
            redirect_uri: None,
            key: None,
            dpop_key: None,
            token_endpoint: None,
            par_endpoint: None,
            authorization_endpoint: None,
            clock: std::sync::Arc::new(SystemClock),
            tls_client_auth: false,
            sharing_duration: None,
            decryption: None,
        }
    }

    /// The profile the client follows: [`Profile::signed_messages_required`]
    /// says whether its resource requests are signed.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let c = fapi::Client::builder(fapi_core::profile::Profile::FAPI2, "fintech-1", "https://as.bank.example").build()?;
    /// assert!(!c.profile().signed_messages_required);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The client id.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client's JWK Set to register at the AS: its signing key, and
    /// its encryption key's public half (`"use":"enc"`, no `alg`: it serves
    /// either RSA-OAEP algorithm) when it has one
    /// ([`ClientBuilder::decryption_key`]). Under a profile that signs
    /// resource messages an RSA signing key has no `alg` either: it signs
    /// PS256 assertions and `rsa-pss-sha512` messages.
    pub fn jwks_json(&self) -> Result<String, Error> {
        let site = Site::ClientAuthentication;
        let key = self.key.as_ref().ok_or(CoreError::KeyNotFound).at(site)?;
        let signing = crate::KeySet::new(key.clone()).jwks_json().at(site)?;
        // An RSA key that also signs resource messages serves PS256 for
        // assertions and rsa-pss-sha512 (RFC 9421 §3.3.1) for messages: a
        // JWK `alg` (RFC 7517 §4.4, optional) would bind it to PS256 only.
        let rsa_for_messages =
            self.profile.signed_messages_required && key.alg() == fapi_core::Alg::Ps256;
        if self.decryption.is_none() && !rsa_for_messages {
            return Ok(signing);
        }
        let mut set: serde_json::Value = serde_json::from_str(&signing)
            .map_err(|_| CoreError::Json)
            .at(site)?;
        if rsa_for_messages {
            for k in set
                .get_mut("keys")
                .and_then(serde_json::Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(members) = k.as_object_mut() {
                    let _ = members.remove("alg");
                }
            }
        }
        let Some(d) = &self.decryption else {
            return Ok(set.to_string());
        };
        let mut enc: serde_json::Value =
            serde_json::from_str(&d.key.public_jwk_json(crate::jwe::KeyAlg::RsaOaep))
                .map_err(|_| CoreError::Json)
                .at(site)?;
        if let Some(members) = enc.as_object_mut() {
            let _ = members.remove("alg");
        }
        set.get_mut("keys")
            .and_then(serde_json::Value::as_array_mut)
            .ok_or(CoreError::Json)
            .at(site)?
            .push(enc);
        Ok(set.to_string())
    }

    fn random_b64(&self) -> Result<String, CoreError> {
        let mut raw = [0u8; 16];
        self.rng.fill(&mut raw)?;
        let mut out = [0u8; 22];
        fapi_core::b64::encode(&raw, &mut out).map(str::to_owned)
    }

    /// A fresh PKCE pair (F2-PKCE: S256, 256 random bits).
    pub fn pkce(&self) -> Result<pkce::Pair, Error> {
        pkce::Pair::generate(&self.rng).at(Site::AuthorizationRequest)
    }

    /// A `private_key_jwt` client assertion for `aud` (RFC 7523 §3: `iss` =
    /// `sub` = the client id, a fresh `jti`, `iat` now, 60 s).
    pub fn client_assertion(&self, aud: &str) -> Result<String, Error> {
        let site = Site::ClientAuthentication;
        let key = self.key.as_ref().ok_or(CoreError::KeyNotFound).at(site)?;
        let now = self.clock.now();
        let jti = self.random_b64().at(site)?;
        let claims = serde_json::json!({
            "iss": self.client_id, "sub": self.client_id, "aud": aud,
            "jti": jti, "iat": now, "exp": now + fapi_core::assertion::DEFAULT_MAX_LIFETIME,
        });
        sign(key, None, claims.to_string().as_bytes()).at(site)
    }

    /// Remembers the server's `DPoP-Nonce` from a response's headers.
    pub fn remember_dpop_nonce(&self, headers: &http::HeaderMap) {
        if let Some(n) = headers.get("dpop-nonce").and_then(|v| v.to_str().ok()) {
            *self
                .nonce
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(n.into());
        }
    }

    /// A DPoP proof for `method` `uri` (with `ath` of `access_token`): a
    /// fresh `jti`, `iat` now, the latest server nonce.
    pub fn dpop_proof(
        &self,
        method: &str,
        uri: &str,
        access_token: Option<&str>,
    ) -> Result<String, Error> {
        let site = Site::DpopProof;
        let key = self
            .dpop_key
            .as_ref()
            .ok_or(CoreError::DpopMissing)
            .at(site)?;
        let jti = self.random_b64().at(site)?;
        let htu = uri.split(['?', '#']).next().unwrap_or(uri);
        let nonce = self
            .nonce
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let params = ProofParams {
            htm: method,
            htu,
            iat: self.clock.now(),
            jti: &jti,
            access_token,
            nonce: nonce.as_deref(),
        };
        let mut out = vec![0u8; dpop::MAX_PROOF_LEN];
        let n = dpop::sign_proof(key, &params, &mut out).at(site)?;
        out.truncate(n);
        String::from_utf8(out).map_err(|_| CoreError::Json).at(site)
    }

    /// Sends a DPoP-protected request with `send` (given the proof), and
    /// when the server answers with a new `DPoP-Nonce` and a 400 or 401
    /// (`use_dpop_nonce`), sends it once more with a proof carrying that
    /// nonce (RFC 9449 §8.2, §9).
    pub async fn send_with_dpop<B, F, Fut>(
        &self,
        method: &str,
        uri: &str,
        access_token: Option<&str>,
        mut send: F,
    ) -> Result<http::Response<B>, Error>
    where
        F: FnMut(String) -> Fut,
        Fut: Future<Output = http::Response<B>>,
    {
        let before = self
            .nonce
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let response = send(self.dpop_proof(method, uri, access_token)?).await;
        self.remember_dpop_nonce(response.headers());
        let fresh = response
            .headers()
            .get("dpop-nonce")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|n| before.as_deref() != Some(n));
        let status = response.status().as_u16();
        if fresh && (status == 400 || status == 401) {
            return Ok(send(self.dpop_proof(method, uri, access_token)?).await);
        }
        Ok(response)
    }

    fn authenticated_post(
        &self,
        url: &str,
        mut pairs: Vec<(&str, String)>,
        dpop: bool,
    ) -> Result<Request<String>, Error> {
        let assertion;
        if self.key.is_some() && !self.tls_client_auth {
            assertion = self.client_assertion(&self.issuer)?;
            pairs.push((
                "client_assertion_type",
                fapi_core::assertion::ASSERTION_TYPE.into(),
            ));
            pairs.push(("client_assertion", assertion));
        }
        pairs.push(("client_id", self.client_id.clone()));
        let body = form(
            &pairs
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        );
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if dpop && self.dpop_key.is_some() {
            req = req.header("dpop", self.dpop_proof("POST", url, None)?);
        }
        req.body(body)
            .map_err(|_| CoreError::InvalidParameter)
            .at(Site::TokenRequest)
    }

    /// F2-PAR, F2-CLIENT-INFO: on the user's `action`, the pushed
    /// authorization request for `scope` (PKCE S256, a fresh `state`,
    /// `dpop_jkt` with a DPoP key, the consent id, client authentication),
    /// checked as the server will check it, and the session to keep.
    ///
    /// Where the profile requires signed requests (OB-REQOBJ, and `ofb`,
    /// `cdr`), the parameters also travel in a request object signed with
    /// the client's key ([`Self::request_object`]); where the profile has
    /// no consent claim, such a request carries the consent in the scope as
    /// `consent:<id>`.
    pub fn par_request(
        &self,
        action: UserAction,
        scope: &str,
        consent_id: Option<&str>,
    ) -> Result<(Request<String>, AuthSession), Error> {
        let site = Site::ParRequest;
        let redirect = self
            .redirect_uri
            .as_deref()
            .ok_or(CoreError::InvalidParameter)
            .at(site)?;
        let pair = self.pkce()?;
        let state = self.random_b64().at(site)?;
        // OpenID Connect Core §3.1.2.1: a nonce with the openid scope.
        let nonce = if scope.split(' ').any(|s| s == "openid") {
            Some(self.random_b64().at(site)?)
        } else {
            None
        };
        // FAPI 2.0 Message Signing §5.4: JARM where the profile requires it.
        let response_mode = self.response_mode();
        let jkt = match &self.dpop_key {
            Some(k) => Some(
                k.public_key()
                    .at(site)?
                    .thumbprint()
                    .to_b64()
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        let signed = self.profile.signed_request_required && self.key.is_some();
        let scoped;
        let scope = match consent_id {
            Some(c) if signed && self.profile.consent_claim.is_none() => {
                scoped = format!("{scope} consent:{c}");
                scoped.as_str()
            }
            _ => scope,
        };
        let req = AuthorizationRequest {
            client_id: &self.client_id,
            response_type: "code",
            redirect_uri: Some(redirect),
            scope,
            state: Some(&state),
            code_challenge: Some(pair.challenge()),
            code_challenge_method: Some("S256"),
            dpop_jkt: jkt.as_deref(),
            consent_id,
            nonce: nonce.as_deref(),
            response_mode: (response_mode == ResponseMode::Jwt).then_some(response_mode.name()),
        };
        // F2-CLIENT-INFO: started by the user's action, checked first.
        let mut out = vec![0u8; 8192];
        let n = authorize::start_authorization(action, &self.profile, &req, &mut out).at(site)?;
        out.truncate(n);
        let mut pairs: Vec<(&str, String)> = vec![
            ("response_type", "code".into()),
            ("redirect_uri", redirect.into()),
            ("scope", scope.into()),
            ("state", state.clone()),
            ("code_challenge", pair.challenge().into()),
            ("code_challenge_method", "S256".into()),
        ];
        if let Some(n) = &nonce {
            pairs.push(("nonce", n.clone()));
        }
        if response_mode == ResponseMode::Jwt {
            pairs.push(("response_mode", response_mode.name().into()));
        }
        if signed {
            pairs.push((
                "request",
                self.request_object_with(&req, nonce.as_deref(), response_mode)?,
            ));
        }
        if let Some(j) = jkt.clone() {
            pairs.push(("dpop_jkt", j));
        }
        if let Some(c) = consent_id {
            pairs.push(("consent_id", c.into()));
        }
        let request = self.authenticated_post(&self.par_endpoint, pairs, false)?;
        Ok((
            request,
            AuthSession {
                pkce: pair,
                state,
                nonce,
                response_mode,
            },
        ))
    }

    /// A signed request object (RFC 9101; OB-REQOBJ, CDR-REQ-TTL: `exp`,
    /// `nbf`, `aud`, five minutes) carrying `req`, with the consent as the
    /// profile wants it (OB-INTENT: `openbanking_intent_id` as an essential
    /// claim; CDR: `claims.cdr_arrangement_id`).
    pub fn request_object(&self, req: &AuthorizationRequest<'_>) -> Result<String, Error> {
        self.request_object_with(req, None, self.response_mode())
    }

    /// [`Self::request_object`] with the `nonce` and `response_mode` of
    /// the pushed request.
    fn request_object_with(
        &self,
        req: &AuthorizationRequest<'_>,
        nonce: Option<&str>,
        response_mode: ResponseMode,
    ) -> Result<String, Error> {
        let site = Site::RequestObject;
        let key = self.key.as_ref().ok_or(CoreError::KeyNotFound).at(site)?;
        let now = self.clock.now();
        let jti = self.random_b64().at(site)?;
        let mut claims = serde_json::json!({
            "iss": req.client_id, "aud": self.issuer, "client_id": req.client_id,
            "jti": jti, "response_type": req.response_type, "scope": req.scope,
            "nbf": now, "iat": now, "exp": now + 300,
        });
        let pairs = [
            ("redirect_uri", req.redirect_uri),
            ("state", req.state),
            ("code_challenge", req.code_challenge),
            ("code_challenge_method", req.code_challenge_method),
            ("dpop_jkt", req.dpop_jkt),
            ("nonce", nonce),
            (
                "response_mode",
                (response_mode == ResponseMode::Jwt).then_some(response_mode.name()),
            ),
        ];
        if let Some(o) = claims.as_object_mut() {
            for (k, v) in pairs {
                if let Some(v) = v {
                    let _ = o.insert(k.into(), v.into());
                }
            }
            let consent = req.consent_id.unwrap_or("");
            match self.profile.consent_claim {
                // OB-INTENT
                Some("openbanking_intent_id") if !consent.is_empty() => {
                    let _ = o.insert(
                        "claims".into(),
                        serde_json::json!({"id_token": {"openbanking_intent_id": {"value": consent, "essential": true}}}),
                    );
                }
                Some("cdr_arrangement_id") if !consent.is_empty() => {
                    let _ = o.insert(
                        "claims".into(),
                        serde_json::json!({"cdr_arrangement_id": consent}),
                    );
                }
                _ => {}
            }
            // CDR: the sharing duration asked for, beside the arrangement.
            if let Some(d) = self
                .sharing_duration
                .filter(|_| self.profile.refresh_within_sharing_duration)
            {
                let claims = o.entry("claims").or_insert_with(|| serde_json::json!({}));
                if let Some(c) = claims.as_object_mut() {
                    let _ = c.insert("sharing_duration".into(), d.into());
                }
            }
        }
        sign(
            key,
            Some("oauth-authz-req+jwt"),
            claims.to_string().as_bytes(),
        )
        .at(site)
    }

    /// The URL to send the user to with the pushed `request_uri`.
    #[must_use]
    pub fn authorization_url(&self, request_uri: &str) -> String {
        format!(
            "{}?{}",
            self.authorization_endpoint,
            form(&[("client_id", &self.client_id), ("request_uri", request_uri)])
        )
    }

    /// F2-ISS: checks the authorization response the user came back with
    /// (`iss` first, then `state`) and returns the code. Where the session
    /// asked for `response_mode=jwt` (JARM) a plain response is
    /// [`CoreError::PlainResponseRefused`], and a JWT response is read by
    /// [`Client::authorization_response`], which has the issuer's keys.
    pub fn code_from(&self, session: &AuthSession, redirect: &str) -> Result<String, Error> {
        let query = redirect.split_once('?').map_or("", |(_, q)| q);
        let query = query.split('#').next().unwrap_or(query);
        if session.response_mode == ResponseMode::Jwt {
            // JARM §2.3: never the plain parameters in jwt mode.
            let _ = fapi_core::jarm::response_param(session.response_mode, query.as_bytes())
                .at(Site::AuthorizationRequest)?;
            return Err(Error::mismatch(
                CoreError::InvalidParameter,
                Site::AuthorizationRequest,
                "Client::authorization_response with the issuer's keys",
                "a JARM response given to code_from",
            ));
        }
        let code = authorize::check_response(query, &self.issuer, &session.state)
            .at(Site::AuthorizationRequest)?;
        Ok(code.to_owned())
    }

    /// The token request that redeems `code` (PKCE verifier, client
    /// authentication, a DPoP proof for the token endpoint).
    pub fn code_token_request(
        &self,
        session: &AuthSession,
        code: &str,
    ) -> Result<Request<String>, Error> {
        let site = Site::TokenRequest;
        let redirect = self
            .redirect_uri
            .as_deref()
            .ok_or(CoreError::InvalidParameter)
            .at(site)?;
        let pairs = vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.into()),
            ("redirect_uri", redirect.into()),
            ("code_verifier", session.pkce.verifier().into()),
        ];
        self.authenticated_post(&self.token_endpoint, pairs, true)
    }

    /// The token request for the client's own business
    /// (`grant_type=client_credentials`, F2-FLOWS), e.g. to create a
    /// consent: client authentication and a DPoP proof as for the others.
    ///
    /// ```
    /// # use fapi::{Client, SigningKey};
    /// # use fapi_core::{Alg, profile::Profile};
    /// # fn main() -> Result<(), fapi::Error> {
    /// let client = Client::builder(Profile::FAPI2, "fintech-1", "https://as.bank.example")
    ///     .signing_key(SigningKey::generate(Alg::Es256)?)
    ///     .dpop_key(SigningKey::generate(Alg::Es256)?)
    ///     .build()?;
    /// let r = client.client_credentials_request("accounts")?;
    /// assert!(r.body().contains("grant_type=client%5Fcredentials"));
    /// assert!(r.headers().contains_key("dpop"));
    /// # Ok(()) }
    /// ```
    pub fn client_credentials_request(&self, scope: &str) -> Result<Request<String>, Error> {
        let pairs = vec![
            ("grant_type", "client_credentials".into()),
            ("scope", scope.into()),
        ];
        self.authenticated_post(&self.token_endpoint, pairs, true)
    }

    /// The token request that refreshes with `refresh_token`.
    pub fn refresh_request(&self, refresh_token: &str) -> Result<Request<String>, Error> {
        let pairs = vec![
            ("grant_type", "refresh_token".into()),
            ("refresh_token", refresh_token.into()),
        ];
        self.authenticated_post(&self.token_endpoint, pairs, true)
    }

    /// The introspection request for `token` (RFC 7662 §2.1) to the
    /// server's introspection `endpoint` (its `introspection_endpoint`
    /// metadata), with client authentication (CDR-INTROSPECT: refresh
    /// tokens).
    pub fn introspection_request(
        &self,
        endpoint: &str,
        token: &str,
    ) -> Result<Request<String>, Error> {
        self.authenticated_post(endpoint, vec![("token", token.into())], false)
    }

    /// A resource request: `Authorization: DPoP <token>` with a proof for
    /// it, or `Bearer` for a certificate-bound token; where the profile
    /// requires signed messages (BG-SIGNED-REQ, `fapi2-ms`), signed
    /// ([`Self::sign_resource_request`]).
    pub fn resource_request(
        &self,
        method: &str,
        url: &str,
        access_token: &str,
    ) -> Result<Request<String>, Error> {
        let mut req = self.resource_request_unsigned(method, url, access_token)?;
        if self.profile.signed_messages_required {
            // BG-SIGNED-REQ, FAPI 2.0 HTTP Signatures.
            self.sign_resource_request(&mut req)?;
        }
        Ok(req)
    }

    /// A resource request with content: as [`Self::resource_request`], with
    /// `body` of type `content_type`, and where the profile requires
    /// signed messages (BG-SIGNED-REQ, `fapi2-ms`) signed with its
    /// `Content-Digest` ([`Self::sign_resource_request`]).
    ///
    /// ```
    /// use fapi::{Client, SigningKey};
    /// use fapi_core::{Alg, profile::Profile};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::builder(Profile::FAPI2_MS, "fintech-1", "https://as.bank.example")
    ///     .signing_key(SigningKey::generate(Alg::Es256)?)
    ///     .dpop_key(SigningKey::generate(Alg::Es256)?)
    ///     .build()?;
    /// let req = client.resource_request_with_body(
    ///     "POST",
    ///     "https://api.bank.example/payments",
    ///     "the-access-token",
    ///     "application/json",
    ///     r#"{"amount":"10.00"}"#.into(),
    /// )?;
    /// assert!(req.headers()["content-digest"].to_str()?.starts_with("sha-256=:"));
    /// assert!(req.headers()["signature-input"].to_str()?.contains(r#""content-digest""#));
    /// # Ok(()) }
    /// ```
    pub fn resource_request_with_body(
        &self,
        method: &str,
        url: &str,
        access_token: &str,
        content_type: &str,
        body: String,
    ) -> Result<Request<String>, Error> {
        let site = Site::ResourceRequest;
        let mut req = self.resource_request_unsigned(method, url, access_token)?;
        let _ = req.headers_mut().insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_str(content_type)
                .map_err(|_| CoreError::InvalidParameter)
                .at(site)?,
        );
        *req.body_mut() = body;
        if self.profile.signed_messages_required {
            self.sign_resource_request(&mut req)?;
        }
        Ok(req)
    }

    fn resource_request_unsigned(
        &self,
        method: &str,
        url: &str,
        access_token: &str,
    ) -> Result<Request<String>, Error> {
        let site = Site::ResourceRequest;
        let method_v = Method::from_bytes(method.as_bytes())
            .map_err(|_| CoreError::InvalidParameter)
            .at(site)?;
        let mut req = Request::builder().method(method_v).uri(url);
        if self.dpop_key.is_some() {
            let proof = self.dpop_proof(method, url, Some(access_token))?;
            req = req
                .header(header::AUTHORIZATION, format!("DPoP {access_token}"))
                .header("dpop", proof);
        } else {
            req = req.header(header::AUTHORIZATION, format!("Bearer {access_token}"));
        }
        req.body(String::new())
            .map_err(|_| CoreError::InvalidParameter)
            .at(site)
    }

    /// Signs a resource request as it will be sent (FAPI 2.0 HTTP
    /// Signatures, BG-SIGNED-REQ): sets `Content-Digest` when the body is
    /// not empty (RFC 9530), then `Signature-Input` and `Signature` (label
    /// `sig1`, tag `fapi-2-request`, `created`, `keyid`, `alg`; by the
    /// core's [`fapi_core::http_sig::sign_request`]) covering `@method`,
    /// `@target-uri` (the absolute URI), `authorization`, `dpop` when
    /// present and `content-digest`, made with the client's signing key.
    /// Set `Authorization` and `DPoP` before: a request without
    /// `Authorization` is [`CoreError::ComponentAbsent`], a URI that is
    /// not absolute [`CoreError::Malformed`], a client without a signing
    /// key [`CoreError::KeyNotFound`].
    ///
    /// ```
    /// use fapi::{Client, SigningKey};
    /// use fapi_core::{Alg, profile::Profile};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::builder(Profile::FAPI2, "fintech-1", "https://as.bank.example")
    ///     .signing_key(SigningKey::generate(Alg::Es256)?)
    ///     .build()?;
    /// let mut req = http::Request::post("https://api.bank.example/payments")
    ///     .header("authorization", "Bearer the-access-token")
    ///     .body(br#"{"amount":"10.00"}"#.to_vec())?;
    /// client.sign_resource_request(&mut req)?;
    /// assert!(req.headers()["signature"].to_str()?.starts_with("sig1=:"));
    /// # Ok(()) }
    /// ```
    pub fn sign_resource_request<B: AsRef<[u8]>>(
        &self,
        request: &mut Request<B>,
    ) -> Result<(), Error> {
        let method = request.method().as_str().to_owned();
        let uri = request.uri().to_string();
        let mut headers = core::mem::take(request.headers_mut());
        let signed =
            self.sign_resource_headers(&method, &uri, &mut headers, request.body().as_ref());
        *request.headers_mut() = headers;
        signed
    }

    /// [`Self::sign_resource_request`] for a request given by its parts:
    /// `method`, its absolute `uri`, the `headers` it will send (which
    /// receive `Content-Digest`, `Signature-Input` and `Signature`) and its
    /// `body` (empty for none).
    ///
    /// ```
    /// use fapi::{Client, SigningKey};
    /// use fapi_core::{Alg, profile::Profile};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::builder(Profile::BERLIN, "tpp-1", "https://as.bank.example")
    ///     .signing_key(SigningKey::generate(Alg::EdDsa)?)
    ///     .build()?;
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("authorization", "Bearer the-access-token".parse()?);
    /// client.sign_resource_headers("GET", "https://api.bank.example/v1/accounts", &mut headers, b"")?;
    /// assert!(headers["signature-input"].to_str()?.contains(r#"tag="fapi-2-request""#));
    /// # Ok(()) }
    /// ```
    pub fn sign_resource_headers(
        &self,
        method: &str,
        uri: &str,
        headers: &mut http::HeaderMap,
        body: &[u8],
    ) -> Result<(), Error> {
        let site = Site::ResourceRequest;
        let key = self.key.as_ref().ok_or(CoreError::KeyNotFound).at(site)?;
        set_content_digest(headers, body).at(site)?;
        let mut bufs = SigningBuffers::new(scratch_len(headers, uri));
        let signed = {
            let fields = HeaderFields(headers);
            let message = Message::request(method, uri, &fields);
            http_sig::sign_request(key, LABEL, &message, body, &*self.clock, bufs.buffers())
                .at(site)?
        };
        bufs.write(signed, headers).at(site)
    }

    /// Verifies the signed response to `request` (the request as this
    /// client sent it, its signature included) under FAPI 2.0 HTTP
    /// Signatures (RFC 9421 §3.2, by the core's
    /// [`fapi_core::http_sig::verify_response`]): the `fapi-2-response`
    /// signature, at most 60 s old, made with a key of `server_jwks` (the
    /// resource server's published JWK Set) in the profile's algorithms,
    /// covering `@status`, `content-digest` (recomputed over `body`) and
    /// with `;req` the request's `@method`, `@target-uri`,
    /// `content-digest` and signature. A signature made for another
    /// request does not verify ([`CoreError::BadSignature`], or
    /// [`CoreError::ComponentAbsent`] when the requests differ in shape).
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let client: fapi::Client = todo!();
    /// # let request: http::Request<String> = todo!();
    /// # let response: http::Response<Vec<u8>> = todo!();
    /// # let bank_jwks = "";
    /// let signature = client.verify_resource_response(
    ///     &request,
    ///     response.status().as_u16(),
    ///     response.headers(),
    ///     response.body(),
    ///     bank_jwks,
    /// )?;
    /// println!("signed by {}", signature.key_id);
    /// # Ok(()) }
    /// ```
    pub fn verify_resource_response<B>(
        &self,
        request: &Request<B>,
        status: u16,
        headers: &http::HeaderMap,
        body: &[u8],
        server_jwks: &str,
    ) -> Result<MessageSignature, Error> {
        let site = Site::ResourceRequest;
        let mut jwks_scratch = vec![0u8; server_jwks.len()];
        let jwks = Jwks::from_json_in(server_jwks.as_bytes(), &mut jwks_scratch).at(site)?;
        let uri = request.uri().to_string();
        let request_fields = HeaderFields(request.headers());
        let request_message = Message::request(request.method().as_str(), &uri, &request_fields);
        let fields = HeaderFields(headers);
        let response = Message::response(status, &fields);
        let policy = Policy::response(self.profile.http_sig_algs());
        let mut scratch = vec![
            0u8;
            scratch_len(headers, &uri)
                .saturating_add(scratch_len(request.headers(), &uri))
        ];
        http_sig::verify_response(
            &policy,
            &response,
            body,
            &request_message,
            &jwks,
            &fapi_awslc::AWSLC,
            &*self.clock,
            &mut scratch,
        )
        .map(MessageSignature::from)
        .at(site)
    }

    /// Reads a token endpoint response body.
    pub fn token_response(&self, body: &str) -> Result<TokenResponse, Error> {
        serde_json::from_str(body)
            .map_err(|_| CoreError::Json)
            .at(Site::TokenRequest)
    }
}

fn sign(key: &SigningKey, typ: Option<&str>, payload: &[u8]) -> Result<String, CoreError> {
    let header = HeaderParams {
        typ,
        kid: Some(key.key_id()),
        jwk: None,
    };
    let mut out = vec![0u8; 16 * 1024];
    let n = jws::sign(key, &header, payload, &mut out)?;
    out.truncate(n);
    String::from_utf8(out).map_err(|_| CoreError::Json)
}
