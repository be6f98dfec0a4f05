//! The authorization server: [`Issuer`].
//!
//! Built from a profile, keys, a clock and stores, it answers the calls an
//! authorization server makes: client authentication
//! ([`Issuer::verify_client_assertion`], [`Issuer::authenticate_tls_client`]),
//! DPoP proofs at the token endpoint with server nonces
//! ([`Issuer::verify_dpop`]), pushed authorization requests
//! ([`Issuer::push`], [`Issuer::authorize`]), codes ([`Issuer::new_code`],
//! [`Issuer::redeem_code`]), access tokens ([`Issuer::issue_access_token`]),
//! refresh tokens, never rotated ([`Issuer::refresh`]), grants and their
//! revocation ([`Issuer::revoke_grant`]; a code presented again revokes
//! its first redemption's grant, RFC 6749 §4.1.2), and introspection
//! ([`Issuer::introspect`]). Every call runs the core's checks for the
//! profile; what one check proves is a value the next call takes
//! ([`AuthenticatedClient`], [`VerifiedDpop`], [`Binding`]), so a call
//! cannot be made without the check before it.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use fapi_core::assertion::{self, AssertionConfig};
use fapi_core::authorize::{
    self, Access, AuthorizationParams, AuthorizationRequest, ConsentPrompt, ConsentRecord,
    GrantType,
};
use fapi_core::code::{self, CodeRecord, Retention};
use fapi_core::dpop::{self, DpopConfig, DpopProof, DpopRequest, NonceIssuer, NonceKey};
use fapi_core::grant::{self, GrantId, RevokedGrant};
use fapi_core::introspection::{self, TokenInfo, TokenKind};
use fapi_core::jwk::Jwks;
use fapi_core::mtls::{self, CertThumbprint, PresentedCertificate, TlsClientAuthSubject};
use fapi_core::par::{self, AuthorizationEndpointRequest};
use fapi_core::pkce;
use fapi_core::profile::{ClientAuthMethod, Profile};
use fapi_core::refresh::{self, RefreshGrant, SenderBinding};
use fapi_core::request_object::{self, RequestObjectConfig};
use fapi_core::store::{HANDLE_LEN, handle_key};
use fapi_core::token::{self, AccessTokenParams, Confirmation};
use fapi_core::{Clock, Signer, Site, SystemClock};

use crate::deferred::{DeferredInsert, DeferredReplay, Preloaded};
use crate::error::{At, Error, KeyError};
use crate::key::SigningKey;
use crate::key_set::{KeySet, json_scratch};
use crate::memory::{MemoryReplayCache, MemoryStore};
use crate::store::{HandleStore, ReplayStore};

use fapi_core::Error as CoreError;

mod oidc;
pub use oidc::{DEFAULT_JWE_ENC, IdToken, JarmResponse};

/// A clock shared by the server's handlers.
pub type SharedClock = Arc<dyn Clock + Send + Sync>;

/// A client the authorization server knows.
///
/// ```
/// use fapi::issuer::ClientRegistration;
/// let reg = ClientRegistration::private_key_jwt("fintech-1", "Example Money", r#"{"keys":[]}"#);
/// assert_eq!(reg.client_id, "fintech-1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientRegistration {
    /// `client_id`.
    pub client_id: String,
    /// The name shown on the consent screen (F2-AS-INFO).
    pub name: String,
    /// How it authenticates.
    pub auth_method: ClientAuthMethod,
    /// Its JWK Set (assertions, request objects) as JSON.
    pub jwks: Option<String>,
    /// For `tls_client_auth`: the registered identity of its certificate.
    pub tls_subject_dn: Option<String>,
    /// `id_token_signed_response_alg` (OpenID Connect Dynamic Client
    /// Registration §2): one of the profile's algorithms.
    pub id_token_signed_response_alg: Option<String>,
    /// `id_token_encrypted_response_alg`: a JWE key management algorithm
    /// the profile allows (OFB-ALG, CDR-ALG).
    pub id_token_encrypted_response_alg: Option<String>,
    /// `id_token_encrypted_response_enc` (`A128CBC-HS256` when only the
    /// `alg` is registered).
    pub id_token_encrypted_response_enc: Option<String>,
    /// `authorization_signed_response_alg` (JARM §3).
    pub authorization_signed_response_alg: Option<String>,
    /// `authorization_encrypted_response_alg` (JARM §3).
    pub authorization_encrypted_response_alg: Option<String>,
    /// `authorization_encrypted_response_enc` (JARM §3).
    pub authorization_encrypted_response_enc: Option<String>,
    /// `introspection_signed_response_alg` (RFC 9701 §6).
    pub introspection_signed_response_alg: Option<String>,
    /// `introspection_encrypted_response_alg` (RFC 9701 §6).
    pub introspection_encrypted_response_alg: Option<String>,
    /// `introspection_encrypted_response_enc` (RFC 9701 §6).
    pub introspection_encrypted_response_enc: Option<String>,
}

impl ClientRegistration {
    /// A `private_key_jwt` client with its JWK Set.
    #[must_use]
    pub fn private_key_jwt(client_id: &str, name: &str, jwks: &str) -> Self {
        Self {
            client_id: client_id.into(),
            name: name.into(),
            auth_method: ClientAuthMethod::PrivateKeyJwt,
            jwks: Some(jwks.into()),
            tls_subject_dn: None,
            ..Self::empty()
        }
    }

    /// A `tls_client_auth` client identified by the subject DN (RFC 4514)
    /// of its certificate.
    #[must_use]
    pub fn tls_client_auth(client_id: &str, name: &str, subject_dn: &str) -> Self {
        Self {
            client_id: client_id.into(),
            name: name.into(),
            auth_method: ClientAuthMethod::TlsClientAuth,
            jwks: None,
            tls_subject_dn: Some(subject_dn.into()),
            ..Self::empty()
        }
    }
}

impl ClientRegistration {
    /// A `self_signed_tls_client_auth` client (RFC 8705 §2.2): its JWK Set
    /// carries the self-signed certificate it presents, as the `x5c` of a
    /// key.
    ///
    /// ```
    /// use fapi::issuer::ClientRegistration;
    /// let reg = ClientRegistration::self_signed_tls_client_auth("fintech-2", "Example Pay", r#"{"keys":[]}"#);
    /// assert_eq!(reg.auth_method.name(), "self_signed_tls_client_auth");
    /// ```
    #[must_use]
    pub fn self_signed_tls_client_auth(client_id: &str, name: &str, jwks: &str) -> Self {
        Self {
            client_id: client_id.into(),
            name: name.into(),
            auth_method: ClientAuthMethod::SelfSignedTlsClientAuth,
            jwks: Some(jwks.into()),
            tls_subject_dn: None,
            ..Self::empty()
        }
    }
}

/// The DER certificates (`x5c[0]` of each key) of a JWK Set.
fn jwks_certificates(jwks: &str) -> Result<Vec<Vec<u8>>, CoreError> {
    #[derive(serde::Deserialize)]
    struct Set {
        keys: Vec<Key>,
    }
    #[derive(serde::Deserialize)]
    struct Key {
        #[serde(default)]
        x5c: Vec<String>,
    }
    let set: Set = serde_json::from_str(jwks).map_err(|_| CoreError::Json)?;
    let mut out = Vec::new();
    for k in set.keys {
        if let Some(first) = k.x5c.first() {
            // x5c is standard base64 (RFC 7517 §4.7), not base64url.
            let der = base64_std_decode(first).ok_or(CoreError::Base64)?;
            out.push(der);
        }
    }
    Ok(out)
}

fn base64_std_decode(s: &str) -> Option<Vec<u8>> {
    let url: String = s
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let mut out = vec![0u8; url.len() * 3 / 4 + 3];
    let n = fapi_core::b64::decode(url.as_bytes(), &mut out).ok()?.len();
    out.truncate(n);
    Some(out)
}

/// A client that authenticated at an endpoint: what [`Issuer::push`],
/// [`Issuer::redeem_code`], [`Issuer::refresh`] and
/// [`Issuer::introspect`] take. Made only by [`Issuer::verify_client_assertion`]
/// and [`Issuer::authenticate_tls_client`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticatedClient {
    client_id: String,
    method: ClientAuthMethod,
}

impl AuthenticatedClient {
    /// The client's id.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// How it authenticated.
    #[must_use]
    pub fn method(&self) -> ClientAuthMethod {
        self.method
    }
}

/// A DPoP proof verified at the token endpoint (RFC 9449 §4.3): every check
/// passed and its `jti` is spent. Made only by [`Issuer::verify_dpop`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedDpop {
    proof: DpopProof,
}

impl VerifiedDpop {
    /// The proof key's RFC 7638 thumbprint, base64url (`cnf.jkt`).
    #[must_use]
    pub fn jkt(&self) -> String {
        self.proof.jkt.to_b64().as_str().to_owned()
    }

    /// The binding of tokens issued to this proof's key.
    #[must_use]
    pub fn binding(&self) -> Binding {
        Binding(Confirmation::Jkt(self.proof.jkt))
    }
}

/// What a token is bound to (F2-SENDER): a DPoP key
/// ([`VerifiedDpop::binding`]) or the client certificate of the TLS
/// connection ([`Binding::certificate`]). There is no unbound token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding(Confirmation);

impl Binding {
    /// Bound to the certificate (DER) the client presented in mutual TLS
    /// (RFC 8705 §3).
    #[must_use]
    pub fn certificate(der: &[u8]) -> Self {
        Self(Confirmation::X5tS256(CertThumbprint::of_der(der)))
    }

    fn sender(self) -> SenderBinding {
        match self.0 {
            Confirmation::Jkt(t) => SenderBinding::Dpop(t),
            Confirmation::X5tS256(c) => SenderBinding::Mtls(c.0),
        }
    }

    fn token_type(self) -> &'static str {
        match self.0 {
            Confirmation::Jkt(_) => "DPoP",
            Confirmation::X5tS256(_) => "Bearer",
        }
    }
}

/// An access token to issue. `jti` and `iat` are filled in; the lifetime
/// and audience default to the issuer's.
///
/// ```
/// # use fapi::issuer::{AccessToken, Binding};
/// let t = AccessToken::new("alice", "fintech-1", Binding::certificate(b"DER"))
///     .scope("accounts")
///     .consent_id("aac-42");
/// ```
#[derive(Clone, Debug)]
pub struct AccessToken {
    subject: String,
    client_id: String,
    binding: Binding,
    scope: Option<String>,
    consent_id: Option<String>,
    audience: Option<String>,
    lifetime: Option<u64>,
    grant: Option<GrantId>,
}

impl AccessToken {
    /// A token for `subject` (the user, or the client itself for client
    /// credentials), issued to `client_id`, bound to `binding`.
    #[must_use]
    pub fn new(subject: &str, client_id: &str, binding: Binding) -> Self {
        Self {
            subject: subject.into(),
            client_id: client_id.into(),
            binding,
            scope: None,
            consent_id: None,
            audience: None,
            lifetime: None,
            grant: None,
        }
    }
    /// `scope`.
    #[must_use]
    pub fn scope(mut self, scope: &str) -> Self {
        self.scope = Some(scope.into());
        self
    }
    /// The consent id, in the profile's consent claim (OB-INTENT).
    #[must_use]
    pub fn consent_id(mut self, id: &str) -> Self {
        self.consent_id = Some(id.into());
        self
    }
    /// `aud`, instead of the issuer's default resource server.
    #[must_use]
    pub fn audience(mut self, aud: &str) -> Self {
        self.audience = Some(aud.into());
        self
    }
    /// The lifetime in seconds, instead of the issuer's (checked against the
    /// profile: CDR-AT-TTL, OFB-AT-TTL).
    #[must_use]
    pub fn lifetime(mut self, seconds: u64) -> Self {
        self.lifetime = Some(seconds);
        self
    }
    /// The grant the token is issued from (its `grant_id` claim).
    #[must_use]
    fn grant(mut self, grant: Option<GrantId>) -> Self {
        self.grant = grant;
        self
    }
}

/// A token endpoint response (RFC 6749 §5.1).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenResponse {
    /// `access_token`.
    pub access_token: String,
    /// `token_type`: `DPoP` or `Bearer` (certificate-bound).
    pub token_type: String,
    /// `expires_in` (mandatory in the CDR).
    pub expires_in: u64,
    /// `refresh_token`, when one was issued (the same one on refresh:
    /// F2-RT-NO-ROTATE).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refresh_token: Option<String>,
    /// `scope`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scope: Option<String>,
    /// `cdr_arrangement_id`: under the CDR the sharing arrangement the
    /// tokens belong to ([`Profile::sharing_arrangements`]); the same id
    /// after an amendment and on every refresh.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cdr_arrangement_id: Option<String>,
    /// `id_token` (OpenID Connect Core §3.1.3.3): the ID token of a grant
    /// with `openid` ([`Issuer::id_token`], encrypted when the client
    /// registered it), which the server sets before it sends the
    /// response; [`Client::token_response`](crate::Client::token_response)
    /// keeps it for [`Client::verify_id_token`](crate::Client::verify_id_token).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id_token: Option<String>,
    /// The grant the tokens were issued from (a redeemed code's, also on
    /// refresh); not sent to the client. Keep it to revoke every token of
    /// the grant later ([`Issuer::revoke_grant`]).
    #[serde(skip)]
    pub grant_id: Option<GrantId>,
    /// For a redeemed code: the user's authentication, which the ID token
    /// of these tokens repeats (OpenID Connect Core §2, §3.1.3.6); not
    /// sent to the client.
    #[serde(skip)]
    pub authentication: Option<Authentication>,
}

/// The user's authentication behind a redeemed code: what its ID token
/// repeats (OpenID Connect Core §2, §3.1.3.6).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Authentication {
    /// The user who approved (`sub`).
    pub subject: String,
    /// The authorization request's `nonce`, if it had one.
    pub nonce: Option<String>,
    /// When the user authenticated (Unix seconds), if known (`auth_time`).
    pub auth_time: Option<u64>,
    /// The approved scope.
    pub scope: String,
    /// The consent (intent, arrangement) the user authorised, if any.
    pub consent_id: Option<String>,
}

impl TokenResponse {
    /// The JSON body.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl core::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("cdr_arrangement_id", &self.cdr_arrangement_id)
            .field("grant_id", &self.grant_id)
            .finish_non_exhaustive()
    }
}

/// The answer to a pushed authorization request (RFC 9126 §2.2).
#[derive(Clone, PartialEq, Eq)]
pub struct Pushed {
    /// `request_uri`.
    pub request_uri: String,
    /// `expires_in`.
    pub expires_in: u64,
}

impl core::fmt::Debug for Pushed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pushed")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// A pushed authorization request's parameters (RFC 9126 §2.1), as they
/// arrive in the form body. `Debug` leaves out the request object.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PushRequest {
    /// `response_type`.
    pub response_type: String,
    /// `redirect_uri`.
    pub redirect_uri: Option<String>,
    /// `scope`.
    pub scope: String,
    /// `state`.
    pub state: Option<String>,
    /// `code_challenge`.
    pub code_challenge: Option<String>,
    /// `code_challenge_method`.
    pub code_challenge_method: Option<String>,
    /// `dpop_jkt` (RFC 9449 §10).
    pub dpop_jkt: Option<String>,
    /// The consent id the client created (`consent_id` in the form).
    pub consent_id: Option<String>,
    /// `request`: a signed request object (JAR, RFC 9101).
    pub request: Option<String>,
    /// `nonce` (OpenID Connect Core §3.1.2.1): the ID token carries it.
    pub nonce: Option<String>,
    /// `response_mode` (JARM §2.3): `query`, `jwt` or `query.jwt`.
    pub response_mode: Option<String>,
    /// `id_token_hint`, kept so that [`Issuer::push`] applies the
    /// profile's rule to it (Open Finance Brasil refuses it).
    pub id_token_hint: Option<String>,
}

impl core::fmt::Debug for PushRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PushRequest")
            .field("response_type", &self.response_type)
            .field("redirect_uri", &self.redirect_uri)
            .field("scope", &self.scope)
            .field("consent_id", &self.consent_id)
            .field("request", &self.request.as_ref().map(|r| r.len()))
            .finish_non_exhaustive()
    }
}

impl PushRequest {
    /// Reads an `application/x-www-form-urlencoded` body. A parameter given
    /// twice is [`CoreError::InvalidParameter`] (RFC 6749 §3.1), and so is
    /// `request_uri` (RFC 9126 §2.1: it MUST NOT be provided in a pushed
    /// request).
    pub fn from_form(body: &str) -> Result<Self, CoreError> {
        let mut r = Self::default();
        let mut seen = std::collections::HashSet::new();
        for pair in body.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = form_decode(k)?;
            let v = form_decode(v)?;
            if !seen.insert(k.clone()) {
                return Err(CoreError::InvalidParameter);
            }
            // RFC 9126 §2.1
            par::check_pushed_parameter(&k)?;
            match k.as_str() {
                "response_type" => r.response_type = v,
                "redirect_uri" => r.redirect_uri = Some(v),
                "scope" => r.scope = v,
                "state" => r.state = Some(v),
                "code_challenge" => r.code_challenge = Some(v),
                "code_challenge_method" => r.code_challenge_method = Some(v),
                "dpop_jkt" => r.dpop_jkt = Some(v),
                "consent_id" => r.consent_id = Some(v),
                "request" => r.request = Some(v),
                "nonce" => r.nonce = Some(v),
                "response_mode" => r.response_mode = Some(v),
                "id_token_hint" => r.id_token_hint = Some(v),
                // client_id and client authentication are the caller's.
                _ => {}
            }
        }
        Ok(r)
    }
}

/// Decodes one `application/x-www-form-urlencoded` name or value.
pub(crate) fn form_decode(s: &str) -> Result<String, CoreError> {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| CoreError::InvalidParameter)
}

/// The authorization response to send the user's browser to: the
/// redirect, and its parameters for a response sent otherwise (JARM:
/// [`AuthorizationResponse::jarm`]).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    /// The redirect URL with `code`, `state` and `iss` (F2-ISS).
    pub redirect: String,
    /// `code`: the one-time authorization code (F2-CODE-TTL).
    pub code: String,
    /// `state`: the authorization request's, when it had one.
    pub state: Option<String>,
    /// `iss`: the issuer identifier (F2-ISS).
    pub iss: String,
}

impl AuthorizationResponse {
    /// The same response to sign as JARM ([`Issuer::jarm`], JARM §2.3.1):
    /// the code and the state travel inside the signed `response`, `iss`
    /// as its claim.
    #[must_use]
    pub fn jarm(&self) -> JarmResponse {
        JarmResponse::Code {
            code: self.code.clone(),
            state: self.state.clone(),
        }
    }
}

impl core::fmt::Debug for AuthorizationResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The redirect and the code are secrets.
        f.debug_struct("AuthorizationResponse")
            .field("state", &self.state)
            .field("iss", &self.iss)
            .finish_non_exhaustive()
    }
}

/// The lifetimes the issuer uses (seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetimes {
    /// Access tokens.
    pub access_token: u64,
    /// Authorization codes (F2-CODE-TTL).
    pub code: u64,
    /// PAR `request_uri`s (F2-PAR-TTL, OFB-PAR-TTL, CDR-PAR-TTL).
    pub request_uri: u64,
    /// Refresh tokens; 0 issues none.
    pub refresh_token: u64,
}

impl Lifetimes {
    /// Lifetimes inside `profile`'s ranges: access tokens 300 s, codes
    /// 60 s, request URIs 60 s, refresh tokens 90 days, each clamped to
    /// the profile's range (a refresh token never outlives the user's
    /// sharing duration where the profile says so: [`refresh::issue`]).
    #[must_use]
    pub fn for_profile(profile: &Profile) -> Self {
        let clamp = |v: u64, r: fapi_core::profile::Seconds| v.clamp(r.min.max(1), r.max);
        Self {
            access_token: clamp(300, profile.access_token_ttl),
            code: clamp(60, profile.code_ttl),
            request_uri: clamp(60, profile.par_ttl),
            refresh_token: clamp(90 * 24 * 3600, profile.refresh_token_ttl),
        }
    }
}

/// Builds an [`Issuer`]; every default is in the profile's ranges.
pub struct IssuerBuilder {
    profile: Profile,
    issuer: String,
    keys: KeySet,
    audience: Option<String>,
    clock: SharedClock,
    replay: Arc<dyn ReplayStore>,
    codes: Arc<dyn HandleStore<CodeRecord>>,
    requests: Arc<dyn HandleStore<AuthorizationParams>>,
    refresh: Arc<dyn HandleStore<RefreshGrant>>,
    revocations: Arc<dyn HandleStore<RevokedGrant>>,
    nonce_key: Option<NonceKey>,
    lifetimes: Lifetimes,
    clients: Vec<ClientRegistration>,
    token_endpoint: Option<String>,
    par_endpoint: Option<String>,
}

impl IssuerBuilder {
    /// The resource server tokens are for (`aud`), by default.
    #[must_use]
    pub fn audience(mut self, aud: &str) -> Self {
        self.audience = Some(aud.into());
        self
    }
    /// The clock (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }
    /// The replay cache for DPoP and client assertion `jti`s (default: in
    /// memory).
    #[must_use]
    pub fn replay_store(mut self, store: Arc<dyn ReplayStore>) -> Self {
        self.replay = store;
        self
    }
    /// The store of authorization codes and the tombstones of redeemed
    /// ones (default: in memory).
    #[must_use]
    pub fn code_store(mut self, store: Arc<dyn HandleStore<CodeRecord>>) -> Self {
        self.codes = store;
        self
    }
    /// The store of revoked grants (default: in memory). Give the resource
    /// servers the same store ([`crate::resource::ResourceServerBuilder::revocation_store`])
    /// so that they refuse the access tokens of a revoked grant.
    #[must_use]
    pub fn revocation_store(mut self, store: Arc<dyn HandleStore<RevokedGrant>>) -> Self {
        self.revocations = store;
        self
    }
    /// The store of pushed requests (default: in memory).
    #[must_use]
    pub fn request_store(mut self, store: Arc<dyn HandleStore<AuthorizationParams>>) -> Self {
        self.requests = store;
        self
    }
    /// The store of refresh token records (default: in memory).
    #[must_use]
    pub fn refresh_store(mut self, store: Arc<dyn HandleStore<RefreshGrant>>) -> Self {
        self.refresh = store;
        self
    }
    /// Require DPoP server nonces at the token endpoint (RFC 9449 §8),
    /// made with `key` (share it between instances of one server).
    #[must_use]
    pub fn dpop_nonces(mut self, key: NonceKey) -> Self {
        self.nonce_key = Some(key);
        self
    }
    /// The lifetimes (checked against the profile by [`Self::build`]).
    #[must_use]
    pub fn lifetimes(mut self, lifetimes: Lifetimes) -> Self {
        self.lifetimes = lifetimes;
        self
    }
    /// A client the server knows.
    #[must_use]
    pub fn client(mut self, registration: ClientRegistration) -> Self {
        self.clients.push(registration);
        self
    }
    /// The token endpoint URL (default `{issuer}/token`).
    #[must_use]
    pub fn token_endpoint(mut self, url: &str) -> Self {
        self.token_endpoint = Some(url.into());
        self
    }
    /// The PAR endpoint URL (default `{issuer}/par`).
    #[must_use]
    pub fn par_endpoint(mut self, url: &str) -> Self {
        self.par_endpoint = Some(url.into());
        self
    }

    /// The issuer. The signing key's algorithm must be the profile's
    /// (OB-ALG, OFB-ALG, CDR-ALG: [`CoreError::AlgNotAllowed`]) and every
    /// lifetime in its range (CDR-AT-TTL, OFB-AT-TTL, F2-CODE-TTL,
    /// F2-PAR-TTL, ...).
    pub fn build(self) -> Result<Issuer, Error> {
        let site = Site::TokenRequest;
        // OB-ALG / OFB-ALG / CDR-ALG: the server signs with the profile's algorithms.
        self.keys
            .active()
            .alg()
            .check_allowed(self.profile.algs)
            .at(site)?;
        let l = self.lifetimes;
        // CDR-AT-TTL / OFB-AT-TTL
        token::check_lifetime(&self.profile, l.access_token).at(site)?;
        // F2-CODE-TTL
        Profile::check_ttl(self.profile.code_ttl, l.code).at(site)?;
        // F2-PAR-TTL / OFB-PAR-TTL / CDR-PAR-TTL
        Profile::check_ttl(self.profile.par_ttl, l.request_uri).at(Site::ParRequest)?;
        // CDR: refresh tokens live more than 28 days, at most a year.
        if l.refresh_token > 0 {
            Profile::check_ttl(self.profile.refresh_token_ttl, l.refresh_token).at(site)?;
        }
        // F2-RT-NO-ROTATE: this issuer never rotates.
        refresh::check_rotation(&self.profile, false).at(site)?;
        let nonces = self
            .nonce_key
            .map(|k| NonceIssuer::new(k, dpop::DEFAULT_NONCE_BUCKET))
            .transpose()
            .at(Site::DpopProof)?;
        let token_endpoint = self
            .token_endpoint
            .unwrap_or_else(|| format!("{}/token", self.issuer));
        let par_endpoint = self
            .par_endpoint
            .unwrap_or_else(|| format!("{}/par", self.issuer));
        // OFB-ALG, CDR-ALG, F2-ALG: every client's registered algorithms.
        for c in &self.clients {
            c.check(&self.profile)?;
        }
        let clients = self
            .clients
            .into_iter()
            .map(|c| (c.client_id.clone(), c))
            .collect();
        Ok(Issuer {
            audience: self.audience.unwrap_or_else(|| self.issuer.clone()),
            profile: self.profile,
            issuer: self.issuer,
            keys: RwLock::new(self.keys),
            clock: self.clock,
            rng: fapi_awslc::SystemRandom::new(),
            replay: self.replay,
            codes: self.codes,
            requests: self.requests,
            refresh: self.refresh,
            revocations: self.revocations,
            nonces,
            lifetimes: l,
            clients: RwLock::new(clients),
            token_endpoint,
            par_endpoint,
        })
    }
}

/// The authorization server.
///
/// ```
/// use fapi::{Issuer, KeySet, SigningKey};
/// use fapi::issuer::{AccessToken, Binding};
/// use fapi_core::{Alg, profile::Profile};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), fapi::Error> {
/// let key = SigningKey::generate(Alg::Es256)?;
/// let issuer = Issuer::builder(Profile::FAPI2, "https://as.bank.example", KeySet::new(key))
///     .audience("https://api.bank.example")
///     .build()?;
/// // F2-SENDER: a token is always bound, here to the client's certificate.
/// let cert: &[u8] = include_bytes!("../../../crates/fapi-core/testdata/client-cert.der");
/// let token = issuer
///     .issue_access_token(AccessToken::new("alice", "fintech-1", Binding::certificate(cert)).scope("accounts"))
///     .await?;
/// assert_eq!(token.token_type, "Bearer");
/// assert_eq!(token.expires_in, 300);
/// let jwks = issuer.jwks_json()?; // publish at the jwks_uri
/// # let _ = jwks; Ok(()) }
/// ```
pub struct Issuer {
    profile: Profile,
    issuer: String,
    audience: String,
    keys: RwLock<KeySet>,
    clock: SharedClock,
    rng: fapi_awslc::SystemRandom,
    replay: Arc<dyn ReplayStore>,
    codes: Arc<dyn HandleStore<CodeRecord>>,
    requests: Arc<dyn HandleStore<AuthorizationParams>>,
    refresh: Arc<dyn HandleStore<RefreshGrant>>,
    revocations: Arc<dyn HandleStore<RevokedGrant>>,
    nonces: Option<NonceIssuer>,
    lifetimes: Lifetimes,
    clients: RwLock<HashMap<String, ClientRegistration>>,
    token_endpoint: String,
    par_endpoint: String,
}

impl core::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Issuer")
            .field("profile", &self.profile.name)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// Domains of the shared replay cache.
const DPOP_DOMAIN: &[u8] = b"dpop";
const ASSERTION_DOMAIN: &[u8] = b"client-assertion";
const REQUEST_URI_DOMAIN: &[u8] = b"request-uri";

/// Added to the lifetimes a grant's tombstone and revocation are kept for:
/// the clocks of the nodes and resource servers may differ.
pub const CLOCK_MARGIN: u64 = 60;

impl Issuer {
    /// A builder for the issuer `issuer` (its issuer identifier URL) under
    /// `profile`, signing with `keys`.
    #[must_use]
    pub fn builder(profile: Profile, issuer: &str, keys: KeySet) -> IssuerBuilder {
        IssuerBuilder {
            lifetimes: Lifetimes::for_profile(&profile),
            profile,
            issuer: issuer.into(),
            keys,
            audience: None,
            clock: Arc::new(SystemClock),
            replay: Arc::new(MemoryReplayCache::new()),
            codes: Arc::new(MemoryStore::new()),
            requests: Arc::new(MemoryStore::new()),
            refresh: Arc::new(MemoryStore::new()),
            revocations: Arc::new(MemoryStore::new()),
            nonce_key: None,
            clients: Vec::new(),
            token_endpoint: None,
            par_endpoint: None,
        }
    }

    /// The issuer identifier.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// The profile.
    #[must_use]
    pub fn profile(&self) -> &Profile {
        &self.profile
    }
    /// The token endpoint URL.
    #[must_use]
    pub fn token_endpoint(&self) -> &str {
        &self.token_endpoint
    }
    /// The PAR endpoint URL.
    #[must_use]
    pub fn par_endpoint(&self) -> &str {
        &self.par_endpoint
    }
    /// The lifetimes in use.
    #[must_use]
    pub fn lifetimes(&self) -> Lifetimes {
        self.lifetimes
    }

    fn now(&self) -> u64 {
        self.clock.now()
    }

    /// The longest a token of one grant may live (its refresh token's,
    /// where it may have one), and the clock margin: how long a revoked
    /// grant stays revoked.
    #[must_use]
    pub fn grant_lifetime(&self) -> u64 {
        let l = self.lifetimes;
        let refresh = if l.refresh_token > 0 {
            // A CDR refresh token may be clamped up to the profile's floor.
            l.refresh_token.max(self.profile.refresh_token_ttl.min)
        } else {
            0
        };
        l.access_token.max(refresh).saturating_add(CLOCK_MARGIN)
    }

    /// RFC 6749 §4.1.2: how long a redeemed code's tombstone and a replayed
    /// code's revocation are kept. The tombstone outlives the code and the
    /// access token of its redemption.
    fn retention(&self) -> Retention {
        let l = self.lifetimes;
        Retention {
            tombstone: l
                .code
                .saturating_add(l.access_token)
                .saturating_add(CLOCK_MARGIN),
            revocation: self.grant_lifetime(),
        }
    }

    fn active_key(&self) -> SigningKey {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .active()
            .clone()
    }

    /// The JWK Set to publish at the `jwks_uri`.
    pub fn jwks_json(&self) -> Result<String, Error> {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .jwks_json()
            .at(Site::ResourceRequest)
    }

    /// Rotates the signing key: `next` signs from now on, the previous key
    /// stays published. Its algorithm must be the profile's.
    pub fn rotate_key(&self, next: SigningKey) -> Result<(), Error> {
        next.alg()
            .check_allowed(self.profile.algs)
            .at(Site::TokenRequest)?;
        self.keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .rotate(next)
            .map_err(Error::Key)
    }

    /// Stops publishing the older key `kid`: tokens it signed no longer
    /// verify at resource servers that fetch the JWKS again.
    pub fn retire_key(&self, kid: &str) {
        self.keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retire(kid);
    }

    /// Registers (or replaces) a client, once its registration passes
    /// [`ClientRegistration::check`] under the issuer's profile.
    pub fn add_client(&self, registration: ClientRegistration) -> Result<(), Error> {
        registration.check(&self.profile)?;
        let _ = self
            .clients
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(registration.client_id.clone(), registration);
        Ok(())
    }

    fn client(&self, client_id: &str, site: Site) -> Result<ClientRegistration, Error> {
        self.clients
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(client_id)
            .cloned()
            .ok_or(Error::at(CoreError::UnknownClient, site))
    }

    /// A fresh DPoP nonce for the `DPoP-Nonce` header, when the issuer
    /// requires nonces.
    pub fn dpop_nonce(&self) -> Result<Option<String>, Error> {
        self.nonces
            .as_ref()
            .map(|n| n.issue(self.now(), None).map(|n| n.as_str().to_owned()))
            .transpose()
            .at(Site::DpopProof)
    }

    /// Authenticates `client_id` by its `private_key_jwt` assertion sent to
    /// `endpoint` (F2-CLIENT-AUTH, F2-CONF-CLIENT; the core's checks of
    /// RFC 7523 §3: `iss` = `sub` = client, `aud`, lifetime, `jti` once).
    ///
    /// The accepted `aud` values are the profile's
    /// ([`Profile::client_assertion_audience`]): under FAPI 2.0 final
    /// §5.3.2.1 the issuer as a plain string only; under RFC 7523 §3 and
    /// RFC 9126 §2 also the token endpoint URL and `endpoint`, the URL the
    /// assertion was sent to.
    pub async fn verify_client_assertion(
        &self,
        client_id: &str,
        assertion: &str,
        endpoint: &str,
    ) -> Result<AuthenticatedClient, Error> {
        let site = Site::ClientAuthentication;
        let reg = self.client(client_id, site)?;
        // F2-CLIENT-AUTH / OFB-CLIENT-AUTH / CDR-CLIENT-AUTH; F2-CONF-CLIENT
        let method = assertion::check_client_auth_method(
            &self.profile,
            reg.auth_method.name(),
            reg.jwks.is_some(),
        )
        .at(site)?;
        if method != ClientAuthMethod::PrivateKeyJwt {
            return Err(Error::at(CoreError::ClientAuthMethod, site));
        }
        let jwks_json = reg.jwks.as_deref().unwrap_or("");
        let mut scratch = json_scratch(jwks_json.as_bytes());
        let jwks = Jwks::from_json_in(jwks_json.as_bytes(), &mut scratch).at(site)?;
        // RFC 7523 §3, RFC 9126 §2: the token endpoint and the URL the
        // assertion was sent to identify this server where the profile's
        // audience rule accepts them (FAPI 2.0 final §5.3.2.1: never).
        let endpoints = [self.token_endpoint.as_str(), endpoint];
        let config =
            AssertionConfig::new(&self.profile, &self.issuer).with_endpoint_audiences(&endpoints);
        let deferred = DeferredReplay::default();
        let _ = assertion::verify_assertion(
            assertion.as_bytes(),
            &reg.client_id,
            &jwks,
            &config,
            &fapi_awslc::AWSLC,
            &*self.clock,
            &deferred,
        )
        .at(site)?;
        deferred
            .commit(&*self.replay, ASSERTION_DOMAIN)
            .await
            .at(site)?;
        Ok(AuthenticatedClient {
            client_id: reg.client_id,
            method,
        })
    }

    /// Authenticates a `tls_client_auth` client by the certificate of the
    /// TLS connection (BG-MTLS, F2-CLIENT-AUTH).
    pub fn authenticate_tls_client(
        &self,
        client_id: &str,
        presented: &PresentedCertificate<'_>,
    ) -> Result<AuthenticatedClient, Error> {
        let site = Site::ClientAuthentication;
        let reg = self.client(client_id, site)?;
        let method = assertion::check_client_auth_method(
            &self.profile,
            reg.auth_method.name(),
            reg.tls_subject_dn.is_some(),
        )
        .at(site)?;
        let dn = reg.tls_subject_dn.as_deref().unwrap_or("");
        // BG-MTLS
        let _ = mtls::authenticate_tls_client(
            &self.profile,
            &TlsClientAuthSubject::SubjectDn(dn),
            presented,
        )
        .at(site)?;
        Ok(AuthenticatedClient {
            client_id: reg.client_id,
            method,
        })
    }

    /// Authenticates a `self_signed_tls_client_auth` client (RFC 8705
    /// §2.2, F2-CLIENT-AUTH): the certificate of the TLS connection (DER)
    /// must be one registered in the client's JWK Set (`x5c`), compared in
    /// constant time; anything else is [`CoreError::CertificateMismatch`]
    /// (`invalid_client`).
    pub fn authenticate_self_signed_tls_client(
        &self,
        client_id: &str,
        certificate_der: &[u8],
    ) -> Result<AuthenticatedClient, Error> {
        use subtle::ConstantTimeEq;
        let site = Site::ClientAuthentication;
        let reg = self.client(client_id, site)?;
        // F2-CLIENT-AUTH: the profile's methods; F2-CONF-CLIENT: keys.
        let method = assertion::check_client_auth_method(
            &self.profile,
            reg.auth_method.name(),
            reg.jwks.is_some(),
        )
        .at(site)?;
        if method != ClientAuthMethod::SelfSignedTlsClientAuth || certificate_der.is_empty() {
            return Err(Error::at(CoreError::ClientAuthMethod, site));
        }
        let registered = jwks_certificates(reg.jwks.as_deref().unwrap_or("")).at(site)?;
        let matched = registered.iter().fold(false, |acc, der| {
            acc | (der.len() == certificate_der.len() && bool::from(der.ct_eq(certificate_der)))
        });
        if !matched {
            return Err(Error::at(CoreError::CertificateMismatch, site));
        }
        Ok(AuthenticatedClient {
            client_id: reg.client_id,
            method,
        })
    }

    /// Verifies the DPoP proof of a request to this server (`method`
    /// `uri`, the token or PAR endpoint): RFC 9449 §4.3, the profile's
    /// algorithms, the server nonce when required (answer `use_dpop_nonce`
    /// with [`Issuer::dpop_nonce`]), and the `jti` spent in the replay store.
    pub async fn verify_dpop(
        &self,
        proof: &str,
        method: &str,
        uri: &str,
    ) -> Result<VerifiedDpop, Error> {
        let site = Site::DpopProof;
        let mut config = DpopConfig::new(&self.profile);
        if let Some(n) = &self.nonces {
            config = config.with_nonces(n);
        }
        let request = DpopRequest {
            method,
            uri,
            nonce_binding: None,
        };
        let deferred = DeferredReplay::default();
        let verified = dpop::verify_proof(
            proof.as_bytes(),
            &request,
            &config,
            &fapi_awslc::AWSLC,
            &*self.clock,
            &deferred,
        );
        let proof = verified.map_err(|e| {
            // What the proof was expected to say: the request's method and
            // URI (as the core normalised it), a claim it lacks.
            let mut buf = vec![0u8; dpop::MAX_HTU_LEN];
            let htu = dpop::normalize_htu(uri, &mut buf).unwrap_or(uri);
            let expected = crate::detail::Expected {
                typ: dpop::TYP,
                required: crate::detail::DPOP_PROOF_CLAIMS,
                issuer: None,
                audience: None,
                request: Some((method, htu)),
                now: self.clock.now(),
            };
            Error::with_detail(e, site, crate::detail::of_jwt(e, proof, &expected))
        })?;
        deferred.commit(&*self.replay, DPOP_DOMAIN).await.at(site)?;
        Ok(VerifiedDpop { proof })
    }

    /// Issues an access token (RFC 9068): `iss`, `jti` and `iat` filled in,
    /// the profile's lifetime range (CDR-AT-TTL, OFB-AT-TTL), algorithms
    /// and sender constraints (F2-SENDER, OB-SENDER, CDR-HOK) enforced by
    /// the core.
    pub async fn issue_access_token(&self, t: AccessToken) -> Result<TokenResponse, Error> {
        let site = Site::TokenRequest;
        let lifetime = t.lifetime.unwrap_or(self.lifetimes.access_token);
        let key = self.active_key();
        let params = AccessTokenParams {
            issuer: &self.issuer,
            subject: &t.subject,
            audience: t.audience.as_deref().unwrap_or(&self.audience),
            client_id: &t.client_id,
            scope: t.scope.as_deref(),
            issued_at: self.now(),
            lifetime,
            confirmation: Some(t.binding.0),
            consent_id: t.consent_id.as_deref(),
        };
        let mut out = vec![0u8; token::MAX_TOKEN_LEN];
        let n = token::issue_for_grant(
            &self.profile,
            &params,
            t.grant.as_ref(),
            &key,
            &self.rng,
            &mut out,
        )
        .at(site)?;
        out.truncate(n);
        let access_token = String::from_utf8(out)
            .map_err(|_| CoreError::Json)
            .at(site)?;
        Ok(TokenResponse {
            access_token,
            token_type: t.binding.token_type().into(),
            expires_in: lifetime,
            refresh_token: None,
            scope: t.scope,
            cdr_arrangement_id: None,
            id_token: None,
            grant_id: t.grant,
            authentication: None,
        })
    }

    /// The token endpoint, `grant_type=client_credentials`: a token for the
    /// authenticated `client`'s own business (creating a consent, say),
    /// bound to `binding`. F2-FLOWS: the grant must be the profile's;
    /// CDR-CODE-FLOW, BG-CODE-FLOW: never for what a user consented to
    /// (the token carries no user and no consent).
    pub async fn client_credentials(
        &self,
        client: &AuthenticatedClient,
        binding: Binding,
        scope: &str,
    ) -> Result<TokenResponse, Error> {
        GrantType::parse(&self.profile, "client_credentials")
            .and_then(|g| g.check_access(&self.profile, Access::ClientOnly))
            .at(Site::TokenRequest)?;
        let t = AccessToken::new(&client.client_id, &client.client_id, binding).scope(scope);
        self.issue_access_token(t).await
    }

    /// The PAR endpoint (F2-PAR): the authenticated `client`'s request is
    /// checked against the profile (F2-FLOWS, F2-PKCE, F2-TLS-RESP; a
    /// signed request object verified with the client's keys, and required
    /// where the profile requires one: OB-REQOBJ) and stored under a fresh
    /// `request_uri` (F2-PAR-TTL). `dpop` is the PAR request's verified
    /// DPoP proof, if it had one: it binds the code to its key (RFC 9449
    /// §10.1).
    pub async fn push(
        &self,
        client: &AuthenticatedClient,
        dpop: Option<&VerifiedDpop>,
        request: &PushRequest,
    ) -> Result<Pushed, Error> {
        let site = Site::ParRequest;
        // Open Finance Brasil: requests with `id_token_hint` are refused
        // (in a request object the core's verification refuses it).
        self.profile
            .check_id_token_hint(request.id_token_hint.is_some())
            .at(site)?;
        let mut buf = vec![0u8; request_object::MAX_REQUEST_OBJECT_LEN];
        let reg = self.client(&client.client_id, site)?;
        let jwks_json = reg.jwks.clone().unwrap_or_default();
        let req = match request.request.as_deref() {
            Some(jwt) => {
                let mut scratch = json_scratch(jwks_json.as_bytes());
                let jwks = Jwks::from_json_in(jwks_json.as_bytes(), &mut scratch)
                    .at(Site::RequestObject)?;
                let config = RequestObjectConfig::new(&self.profile, &self.issuer);
                let ro = request_object::verify_request_object(
                    jwt.as_bytes(),
                    &client.client_id,
                    &jwks,
                    &config,
                    &fapi_awslc::AWSLC,
                    &*self.clock,
                    &mut buf,
                )
                .at(Site::RequestObject)?;
                AuthorizationParams::from_request_object(&self.profile, &ro).at(site)?
            }
            None => AuthorizationParams::from_request(
                &self.profile,
                &AuthorizationRequest {
                    client_id: &client.client_id,
                    response_type: &request.response_type,
                    redirect_uri: request.redirect_uri.as_deref(),
                    scope: &request.scope,
                    state: request.state.as_deref(),
                    code_challenge: request.code_challenge.as_deref(),
                    code_challenge_method: request.code_challenge_method.as_deref(),
                    dpop_jkt: request.dpop_jkt.as_deref(),
                    consent_id: request.consent_id.as_deref(),
                    // OpenID Connect Core §3.1.2.1
                    nonce: request.nonce.as_deref(),
                    // JARM §2.3; FAPI 2.0 Message Signing §5.4
                    response_mode: request.response_mode.as_deref(),
                },
            )
            .at(site)?,
        };
        if req.client_id() != client.client_id {
            return Err(Error::at(CoreError::ClientMismatch, site));
        }
        let deferred = DeferredInsert::default();
        // F2-PAR-TTL, OFB-PAR-TTL, CDR-PAR-TTL
        let uri = par::push(
            &self.profile,
            &deferred,
            &self.rng,
            req,
            dpop.map(|d| &d.proof.jkt),
            self.lifetimes.request_uri,
            self.now(),
        )
        .at(site)?;
        deferred.commit(&*self.requests).await.at(site)?;
        Ok(Pushed {
            request_uri: uri.as_str().to_owned(),
            expires_in: self.lifetimes.request_uri,
        })
    }

    /// The authorization endpoint: the pushed request behind `request_uri`
    /// (F2-PAR: an unknown or expired one is
    /// [`CoreError::RequestUriInvalid`]), as the consent screen to show
    /// (F2-AS-INFO: the client's name and id, the scope).
    ///
    /// The issuer serves only pushed requests, under every profile (RFC
    /// 9126 §5, `require_pushed_authorization_requests`): without a
    /// `request_uri` the answer is [`CoreError::ParRequired`]
    /// (`invalid_request`), also where the profile would allow plain
    /// parameters (`berlin`) or a request object by value (`obie`). F2-PAR,
    /// OFB-PAR, CDR-PAR require that; elsewhere the issuer is stricter than
    /// the set, and its metadata says so.
    ///
    /// The pushed request is read, not spent: a reload of the login page or
    /// a second tab shows it again. It is spent once, at the user's
    /// decision ([`Issuer::new_code`], [`Issuer::decline`]; FAPI 2.0
    /// Security Profile §5.3.2.2, note 3), so it still gives one code at
    /// most; after the decision it is gone.
    pub async fn authorize(
        &self,
        client_id: &str,
        request_uri: Option<&str>,
    ) -> Result<ConsentPrompt, Error> {
        let site = Site::AuthorizationRequest;
        let reg = self.client(client_id, site)?;
        let now = self.now();
        let params = match request_uri {
            Some(uri) => {
                // The core reads the request (refusing another client's,
                // or an expired one: F2-PAR-TTL) from what the store holds;
                // it stays in the store until the decision spends it.
                let key = handle_key(uri.as_bytes());
                let found = self.requests.get(&key, now).await;
                let preloaded = Preloaded::new(key, found);
                par::resolve(
                    &self.profile,
                    &preloaded,
                    client_id,
                    AuthorizationEndpointRequest::RequestUri(uri),
                    now,
                )
                .at(site)?
            }
            // F2-PAR / OFB-PAR / CDR-PAR, and pushed requests only under
            // every profile: nothing else is read.
            None => return Err(Error::at(CoreError::ParRequired, site)),
        };
        ConsentPrompt::new(&reg.name, params).at(site)
    }

    /// The user approved: a one-time code (F2-CODE-TTL) and the redirect
    /// carrying it with `state` and `iss` (F2-ISS).
    ///
    /// F2-PAR: the pushed request is spent first, atomically across the
    /// nodes sharing the replay store; a second decision on it (a reload,
    /// another tab) is [`CoreError::RequestUriInvalid`], so one pushed
    /// request gives one code at most. Then it is removed: the
    /// authorization endpoint no longer shows it.
    pub async fn new_code(&self, consent: &ConsentRecord) -> Result<AuthorizationResponse, Error> {
        let site = Site::AuthorizationRequest;
        let deferred = DeferredInsert::default();
        let spent = DeferredReplay::default();
        // F2-CODE-TTL; F2-PAR: the request URI spent with the code.
        let code = code::issue(
            &self.profile,
            &deferred,
            &spent,
            &self.rng,
            consent,
            self.lifetimes.code,
            self.now(),
        )
        .at(site)?;
        self.spend(spent, consent.params()).await?;
        deferred.commit(&*self.codes).await.at(site)?;
        let p = consent.params();
        let mut out = vec![0u8; 4096];
        // F2-ISS
        let n = authorize::write_response(
            p.redirect_uri(),
            code.as_str(),
            p.state(),
            &self.issuer,
            &mut out,
        )
        .at(site)?;
        out.truncate(n);
        let redirect = String::from_utf8(out)
            .map_err(|_| CoreError::Json)
            .at(site)?;
        Ok(AuthorizationResponse {
            redirect,
            code: code.as_str().to_owned(),
            state: Some(p.state().to_owned()).filter(|s| !s.is_empty()),
            iss: self.issuer.clone(),
        })
    }

    /// The user denied (or the request is otherwise answered without a
    /// code): the pushed request `prompt` shows is spent, as
    /// [`Issuer::new_code`] spends it, so that it is not used again.
    /// [`CoreError::RequestUriInvalid`] when it was already decided on.
    pub async fn decline(&self, prompt: &ConsentPrompt) -> Result<(), Error> {
        let spent = DeferredReplay::default();
        par::spend(&spent, prompt.params(), self.now()).at(Site::AuthorizationRequest)?;
        self.spend(spent, prompt.params()).await
    }

    /// F2-PAR: records the spent request URI in the shared replay store (a
    /// second decision is [`CoreError::RequestUriInvalid`]), then removes
    /// the pushed request.
    async fn spend(
        &self,
        spent: DeferredReplay,
        params: &AuthorizationParams,
    ) -> Result<(), Error> {
        let site = Site::AuthorizationRequest;
        let _ = spent
            .commit_if_asked(&*self.replay, REQUEST_URI_DOMAIN)
            .await
            .map_err(|e| {
                let e = if e == CoreError::Replay {
                    CoreError::RequestUriInvalid
                } else {
                    e
                };
                Error::at(e, site)
            })?;
        if let Some(pushed) = params.pushed_request() {
            // Spent already: a store that fails to remove it only leaves
            // a request URI whose every decision is refused.
            let _ = self.requests.remove(pushed.key()).await;
        }
        Ok(())
    }

    /// The token endpoint, `grant_type=authorization_code`: the code is
    /// swapped for its tombstone once (F2-CODE-ONCE, CDR-CODE-ONCE) for the
    /// authenticated `client` and `redirect_uri`, PKCE checked (F2-PKCE; RFC
    /// 7636 §4.6: a missing `code_verifier` is `invalid_grant`),
    /// the code's DPoP key checked against the verified proof (RFC 9449
    /// §10), then a token bound to `binding` and, where lifetimes allow, a
    /// refresh token bound to it, all of the code's grant
    /// ([`TokenResponse::grant_id`]).
    ///
    /// RFC 6749 §4.1.2, RFC 9700 §4.5: a code presented again is
    /// [`CoreError::CodeInvalid`], and the grant of its first redemption is
    /// revoked ([`Issuer::revoke_grant`]) before the refusal is returned.
    pub async fn redeem_code(
        &self,
        client: &AuthenticatedClient,
        binding: Binding,
        dpop: Option<&VerifiedDpop>,
        code: &str,
        redirect_uri: &str,
        code_verifier: Option<&str>,
    ) -> Result<TokenResponse, Error> {
        let site = Site::TokenRequest;
        // F2-FLOWS; CDR-CODE-FLOW
        GrantType::parse(&self.profile, "authorization_code")
            .and_then(|g| g.check_access(&self.profile, Access::UserConsented))
            .at(site)?;
        let now = self.now();
        let key = handle_key(code.as_bytes());
        let retention = self.retention();
        // F2-CODE-ONCE, CDR-CODE-ONCE: the store's atomic swap of the code
        // for its tombstone, then the core's checks of what it returned.
        let tombstone = code::tombstone(code);
        let until = now.saturating_add(retention.tombstone);
        let swapped = if code.len() == HANDLE_LEN {
            self.codes
                .replace(&key, tombstone.clone(), until, now)
                .await
        } else {
            Err(CoreError::TokenInactive)
        };
        let preloaded = Preloaded::replaced(key, tombstone, until, swapped);
        let revoked = DeferredInsert::default();
        let presented = code::Presented {
            code,
            client_id: &client.client_id,
            redirect_uri,
            // RFC 9449 §10: the core checks the code's DPoP key against
            // the verified proof.
            dpop: dpop.map(|d| &d.proof),
        };
        let redeemed = code::redeem(&preloaded, &revoked, &presented, retention, now, |c| {
            // F2-PKCE, RFC 7636 §4.6
            pkce::verify_presented(code_verifier, c)
        });
        // RFC 6749 §4.1.2: the grant of a replayed code is revoked before
        // the refusal goes out.
        match revoked.commit_if_asked(&*self.revocations).await {
            Ok(_) | Err(CoreError::Replay) => {}
            Err(e) => return Err(Error::at(e, site)),
        }
        let grant = redeemed.map_err(|e| match e {
            CoreError::DpopMissing | CoreError::DpopKeyMismatch | CoreError::DpopMethod => {
                Error::at(e, Site::DpopProof)
            }
            e => Error::at(e, site),
        })?;
        if let (Some(d), Confirmation::Jkt(t)) = (dpop, binding.0)
            && d.proof.jkt != t
        {
            return Err(Error::at(CoreError::DpopKeyMismatch, Site::DpopProof));
        }
        let consent = Some(grant.consent_id())
            .filter(|c| !c.is_empty() && self.profile.consent_claim.is_some());
        let mut token = AccessToken::new(grant.subject(), &client.client_id, binding)
            .scope(grant.scope())
            .grant(grant.grant_id());
        if let Some(c) = consent {
            token = token.consent_id(c);
        }
        let mut response = self.issue_access_token(token).await?;
        response.cdr_arrangement_id = self.arrangement_of(grant.consent_id());
        // OpenID Connect Core §3.1.3.6, §2: what the ID token repeats.
        response.authentication = Some(Authentication {
            subject: grant.subject().to_owned(),
            nonce: Some(grant.nonce())
                .filter(|n| !n.is_empty())
                .map(Into::into),
            auth_time: grant.auth_time(),
            scope: grant.scope().to_owned(),
            consent_id: Some(grant.consent_id())
                .filter(|c| !c.is_empty())
                .map(Into::into),
        });
        let record = RefreshGrant::from_code(&grant, binding.sender()).at(site)?;
        // CDR: no refresh token without a sharing duration; never longer.
        let range = refresh::allowed_lifetime(&self.profile, &record);
        if let Some(range) = range.filter(|_| self.lifetimes.refresh_token > 0) {
            let ttl = self.lifetimes.refresh_token.clamp(range.min, range.max);
            let deferred = DeferredInsert::default();
            let rt =
                refresh::issue(&self.profile, &deferred, &self.rng, record, ttl, now).at(site)?;
            deferred.commit(&*self.refresh).await.at(site)?;
            response.refresh_token = Some(rt.as_str().to_owned());
        }
        Ok(response)
    }

    /// The token endpoint, `grant_type=refresh_token`: the token must be
    /// the authenticated `client`'s and bound to `binding`; a new access
    /// token is issued and the same refresh token handed back
    /// (F2-RT-NO-ROTATE, OFB-RT-NO-ROTATE, CDR-RT-NO-ROTATE).
    pub async fn refresh(
        &self,
        client: &AuthenticatedClient,
        binding: Binding,
        refresh_token: &str,
    ) -> Result<TokenResponse, Error> {
        let site = Site::TokenRequest;
        let now = self.now();
        let key = handle_key(refresh_token.as_bytes());
        let found = self.refresh.get(&key, now).await;
        // RFC 6749 §4.1.2: the revocation of the token's grant, if any.
        let revoked = self
            .revocation_of(found.as_ref().ok().and_then(RefreshGrant::grant_id), now)
            .await;
        let preloaded = Preloaded::new(key, found);
        let r = refresh::redeem(
            &preloaded,
            &revoked,
            refresh_token,
            &client.client_id,
            &binding.sender(),
            now,
        )
        .at(site)?;
        let g = &r.grant;
        let mut token = AccessToken::new(g.subject(), g.client_id(), binding)
            .scope(g.scope())
            .grant(g.grant_id());
        if !g.consent_id().is_empty() && self.profile.consent_claim.is_some() {
            token = token.consent_id(g.consent_id());
        }
        let mut response = self.issue_access_token(token).await?;
        response.cdr_arrangement_id = self.arrangement_of(g.consent_id());
        // F2-RT-NO-ROTATE: the same refresh token.
        response.refresh_token = Some(r.refresh_token.to_owned());
        Ok(response)
    }

    /// The `cdr_arrangement_id` of a token response for a grant under the
    /// consent `consent_id`: the CDR token response names the sharing
    /// arrangement ([`Profile::sharing_arrangements`]).
    fn arrangement_of(&self, consent_id: &str) -> Option<String> {
        (self.profile.sharing_arrangements() && !consent_id.is_empty())
            .then(|| consent_id.to_owned())
    }

    /// What the revocation store holds for `grant` (nothing for no grant),
    /// for the core to read.
    async fn revocation_of(&self, grant: Option<GrantId>, now: u64) -> Preloaded<RevokedGrant> {
        match grant {
            Some(g) => Preloaded::new(g.key(), self.revocations.get(&g.key(), now).await),
            None => Preloaded::new([0; 32], Err(CoreError::TokenInactive)),
        }
    }

    /// Whether a token of `grant` is still good: `Ok(false)` when the grant
    /// is revoked, the store's error when it fails.
    async fn grant_active(&self, grant: Option<GrantId>, now: u64) -> Result<bool, Error> {
        let Some(g) = grant else {
            return Ok(true);
        };
        match grant::check_active(&self.revocation_of(Some(g), now).await, &g, now) {
            Ok(()) => Ok(true),
            Err(CoreError::TokenInactive) => Ok(false),
            Err(e) => Err(Error::at(e, Site::Introspection)),
        }
    }

    /// Revokes every token of `grant` (RFC 6749 §4.1.2, RFC 9700 §4.5; a
    /// CDR arrangement replaced by a new authorisation): its refresh token
    /// is refused at the token endpoint ([`Issuer::refresh`]) and answers
    /// inactive at introspection, and its access tokens are refused by the
    /// resource servers that read the same revocation store
    /// ([`crate::resource::ResourceServerBuilder::revocation_store`]), for
    /// [`Issuer::grant_lifetime`] from now. Revoking it again is fine.
    ///
    /// The grant of a token response is [`TokenResponse::grant_id`].
    pub async fn revoke_grant(&self, grant: &GrantId) -> Result<(), Error> {
        let site = Site::TokenRequest;
        let now = self.now();
        let deferred = DeferredInsert::default();
        grant::revoke(
            &deferred,
            grant,
            now.saturating_add(self.grant_lifetime()),
            now,
        )
        .at(site)?;
        match deferred.commit(&*self.revocations).await {
            Ok(()) | Err(CoreError::Replay) => Ok(()),
            Err(e) => Err(Error::at(e, site)),
        }
    }

    /// Revokes a refresh token (RFC 7009).
    pub async fn revoke(&self, refresh_token: &str) -> Result<(), Error> {
        self.refresh
            .remove(&handle_key(refresh_token.as_bytes()))
            .await
            .at(Site::Introspection)
    }

    /// The introspection endpoint (RFC 7662), for an authenticated
    /// `client`: the JSON answer for `token`, a refresh token of this
    /// server or one of its access tokens. CDR-INTROSPECT: where the
    /// profile says so, only refresh tokens are introspectable, and never
    /// with `username`.
    pub async fn introspect(
        &self,
        client: &AuthenticatedClient,
        token: &str,
    ) -> Result<String, Error> {
        let site = Site::Introspection;
        let now = self.now();
        let found = self.refresh.get(&handle_key(token.as_bytes()), now).await;
        let mut out = vec![0u8; 4096];
        let found = match found {
            // RFC 6749 §4.1.2: a token of a revoked grant is inactive.
            Ok(g) if !self.grant_active(g.grant_id(), now).await? => Err(CoreError::TokenInactive),
            other => other,
        };
        let n = match found {
            Ok(g) if g.client_id() == client.client_id => {
                let confirmation = Some(match g.binding() {
                    SenderBinding::Dpop(t) => Confirmation::Jkt(t),
                    SenderBinding::Mtls(c) => Confirmation::X5tS256(CertThumbprint(c)),
                });
                let info = TokenInfo {
                    kind: TokenKind::Refresh,
                    active: true,
                    scope: Some(g.scope()),
                    client_id: Some(g.client_id()),
                    subject: Some(g.subject()),
                    username: None,
                    // CDR-INTROSPECT: `exp`, the record's own expiry.
                    exp: g.expires_at(),
                    iat: None,
                    confirmation,
                    consent_id: Some(g.consent_id()).filter(|c| !c.is_empty()),
                };
                // CDR-INTROSPECT
                introspection::write_response(&self.profile, &info, &mut out).at(site)?
            }
            _ => self.introspect_access_token(token, now, &mut out).await?,
        };
        out.truncate(n);
        String::from_utf8(out).map_err(|_| CoreError::Json).at(site)
    }

    async fn introspect_access_token(
        &self,
        token: &str,
        now: u64,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let site = Site::Introspection;
        let keys = self
            .keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .issuer_keys()
            .map_err(|e: KeyError| Error::Key(e))?;
        let inactive = TokenInfo {
            kind: TokenKind::Access,
            active: false,
            scope: None,
            client_id: None,
            subject: None,
            username: None,
            exp: None,
            iat: None,
            confirmation: None,
            consent_id: None,
        };
        let Ok(key) = keys.for_token(token) else {
            return introspection::write_response(&self.profile, &inactive, out).at(site);
        };
        // The core's generic JWT verification: signature, typ at+jwt, iss,
        // aud (the default resource server), exp, nbf, iat.
        let expect = fapi_core::jwt::Expectations::new(
            self.profile.algs,
            fapi_core::jwt::Typ::Required(token::TYP),
            &self.issuer,
            &self.audience,
        )
        .at(site)?;
        let mut buf = vec![0u8; fapi_core::jwt::verify_buf_len(token.len())];
        let Ok(mut verified) =
            fapi_core::jwt::verify(token.as_bytes(), &expect, key, &*self.clock, &mut buf)
        else {
            return introspection::write_response(&self.profile, &inactive, out).at(site);
        };
        #[derive(serde::Deserialize)]
        struct Extra<'a> {
            #[serde(borrow)]
            client_id: Option<&'a str>,
            #[serde(borrow)]
            scope: Option<&'a str>,
            #[serde(borrow)]
            grant_id: Option<&'a str>,
        }
        let claims = verified.claims.clone();
        let extra: Extra<'_> = verified.extra().at(site)?;
        // RFC 6749 §4.1.2: a token of a revoked grant is inactive.
        let grant = match extra.grant_id.map(GrantId::parse) {
            None => None,
            Some(Ok(g)) => Some(g),
            Some(Err(_)) => {
                return introspection::write_response(&self.profile, &inactive, out).at(site);
            }
        };
        let live = self.grant_active(grant, now).await?;
        let info = TokenInfo {
            kind: TokenKind::Access,
            active: live && claims.exp.is_some_and(|exp| now < exp),
            scope: extra.scope,
            client_id: extra.client_id,
            subject: claims.sub,
            username: None,
            exp: claims.exp,
            iat: claims.iat,
            confirmation: None,
            consent_id: None,
        };
        // CDR-INTROSPECT: access tokens answer inactive where only refresh
        // tokens are introspectable.
        introspection::write_response(&self.profile, &info, out).at(site)
    }
}
