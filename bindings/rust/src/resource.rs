//! The resource server in one call: [`ResourceServer::verify_request`].
//!
//! It takes the request as it arrives (method, URI, headers, the client
//! certificate of the TLS connection) and checks, in this order: the
//! `Authorization` header (`DPoP` or `Bearer`, one token); the `DPoP` proof
//! (RFC 9449 §4.3 by the core: `typ`, `alg`, signature, `htm`, `htu`,
//! `iat`, `ath` of *this* token, the server nonce); the access token (RFC
//! 9068 by the core: `typ`, `alg`, the issuer key chosen by `kid`, `iss`,
//! `aud`, `exp`, and its `cnf` binding to the proof key or to the client
//! certificate: F2-SENDER, OB-SENDER, CDR-HOK); the scheme (a DPoP-bound
//! token presented as `Bearer` is refused, RFC 9449 §7.2); the token's
//! grant, where the server reads the issuer's revocation store (a token of
//! a revoked grant is `invalid_token`: RFC 6749 §4.1.2, RFC 9700 §4.5);
//! and last the proof's `jti`, spent in the replay store (so a refused
//! request does not use it up).
//!
//! A refusal is a [`ResourceError`] that renders as the response to send:
//! its status, its `WWW-Authenticate` challenge (RFC 9449 §7.1, RFC 6750
//! §3) and, for `use_dpop_nonce`, a fresh `DPoP-Nonce`. Where the values
//! are known, its [`Detail`] says what was expected and what came (the
//! proof's `htu` against the request's, the token's `aud` against this
//! server's, the `kid` against the keys known, `exp` against now), in
//! `error_description` too.

use std::sync::{Arc, RwLock};

use fapi_core::dpop::{self, DpopConfig, DpopRequest, NonceIssuer, NonceKey};
use fapi_core::grant::{self, GrantId, RevokedGrant};
use fapi_core::http_sig::{self, FieldList, Message, Policy};
use fapi_core::jwk::Jwks;
use fapi_core::profile::{Profile, SenderConstraint};
use fapi_core::token::{self, Expectations, Presented};
use fapi_core::{OAuthError, Signer, Site, SystemClock};
use http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::deferred::{DeferredReplay, Preloaded};
use crate::detail::{self, Detail, Expected};
use crate::error::KeyError;
use crate::http_sig::{
    CONTENT_DIGEST, ClientKeys, HeaderFields, LABEL, MessageSignature, SIGNATURE, SIGNATURE_INPUT,
    SigningBuffers, declares_content, scratch_len, set_content_digest,
};
use crate::issuer::SharedClock;
use crate::key::SigningKey;
use crate::key_set::IssuerKeys;
use crate::memory::MemoryReplayCache;
use crate::store::{HandleStore, ReplayStore};

use fapi_core::Error as CoreError;

/// The claims of a verified access token, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedClaims {
    /// `sub`.
    pub subject: String,
    /// `client_id`.
    pub client_id: String,
    /// `scope`.
    pub scope: Option<String>,
    /// `jti`.
    pub jti: String,
    /// `exp`.
    pub exp: u64,
    /// `iat`.
    pub iat: u64,
    /// `cnf.jkt`, for a DPoP-bound token.
    pub cnf_jkt: Option<String>,
    /// `cnf.x5t#S256`, for a certificate-bound token.
    pub cnf_x5t_s256: Option<String>,
    /// The profile's consent claim, when present.
    pub consent_id: Option<String>,
    /// `grant_id`: the grant (redeemed code) the token was issued from.
    pub grant_id: Option<String>,
}

impl VerifiedClaims {
    /// Whether the space-separated `scope` holds `wanted`.
    #[must_use]
    pub fn has_scope(&self, wanted: &str) -> bool {
        self.scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|x| x == wanted))
    }
}

/// A verified resource request: the access token's claims, the request's
/// signature where the profile requires one, and what
/// [`ResourceServer::sign_response`] needs to sign the response for this
/// request (its method, target URI, `Content-Digest` and signature). Made
/// only by [`ResourceServer::verify_message`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedRequest {
    claims: VerifiedClaims,
    signature: Option<MessageSignature>,
    method: String,
    target_uri: String,
    fields: Vec<(&'static str, String)>,
}

impl VerifiedRequest {
    /// The access token's claims.
    #[must_use]
    pub fn claims(&self) -> &VerifiedClaims {
        &self.claims
    }

    /// The access token's claims, owned.
    #[must_use]
    pub fn into_claims(self) -> VerifiedClaims {
        self.claims
    }

    /// The request's verified signature (`None` where the profile does not
    /// require signed messages).
    #[must_use]
    pub fn signature(&self) -> Option<&MessageSignature> {
        self.signature.as_ref()
    }

    /// The request's absolute target URI, as its signature covers it.
    #[must_use]
    pub fn target_uri(&self) -> &str {
        &self.target_uri
    }
}

/// The authentication scheme of a challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `DPoP` (RFC 9449).
    Dpop,
    /// `Bearer` (RFC 6750), for certificate-bound tokens.
    Bearer,
}

impl Scheme {
    fn as_str(self) -> &'static str {
        match self {
            Self::Dpop => "DPoP",
            Self::Bearer => "Bearer",
        }
    }
}

/// A refused resource request, ready to be answered.
///
/// ```
/// use fapi::resource::{ResourceError, Scheme};
/// use fapi_core::{Error, Site};
///
/// let e = ResourceError::new(Error::Replay, Site::DpopProof, Scheme::Dpop);
/// assert_eq!(e.status(), 401);
/// assert_eq!(
///     e.www_authenticate(),
///     r#"DPoP error="invalid_dpop_proof", error_description="fapi error 409 (replay)", algs="PS256 ES256 EdDSA""#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceError {
    error: Option<CoreError>,
    oauth: Option<OAuthError>,
    scheme: Scheme,
    algs: String,
    nonce: Option<String>,
    status: Option<u16>,
    accept_signature: Option<String>,
    // Boxed: a refusal is returned by value on every path.
    detail: Option<Box<Detail>>,
}

impl ResourceError {
    /// `error` at `site`, answered with a `scheme` challenge offering every
    /// algorithm fapi accepts.
    #[must_use]
    pub fn new(error: CoreError, site: Site, scheme: Scheme) -> Self {
        Self {
            error: Some(error),
            oauth: Some(error.oauth_error(site)),
            scheme,
            algs: algs_param(fapi_core::Alg::ALL),
            nonce: None,
            status: None,
            accept_signature: None,
            detail: None,
        }
    }

    /// The same refusal, saying what was expected and what came.
    ///
    /// ```
    /// use fapi::Detail;
    /// use fapi::resource::{ResourceError, Scheme};
    /// use fapi_core::{Error, Site};
    ///
    /// let e = ResourceError::new(Error::WrongAudience, Site::ResourceRequest, Scheme::Dpop)
    ///     .with_detail(Detail::Mismatch {
    ///         field: "aud",
    ///         expected: "https://api.bank.example".into(),
    ///         got: "https://other.example".into(),
    ///     });
    /// assert!(e.www_authenticate().contains(
    ///     r#"error_description="fapi error 407 (wrong_audience): aud: expected https://api.bank.example, got https://other.example""#
    /// ));
    /// ```
    #[must_use]
    pub fn with_detail(mut self, detail: Detail) -> Self {
        self.detail = Some(Box::new(detail));
        self
    }

    /// What was expected and what came, where known.
    #[must_use]
    pub fn detail(&self) -> Option<&Detail> {
        self.detail.as_deref()
    }

    /// The `error_description`: the core's code and name, then the
    /// [`Detail`] when there is one (`None` for a request that carried no
    /// credentials). Its values are clipped and hold no `"` or `\`
    /// ([`crate::detail::MAX_VALUE_LEN`]), so it sits in a quoted header
    /// parameter as it is.
    ///
    /// The code comes first (`fapi error 601 (dpop_uri)`) because clients
    /// read it back from that place.
    #[must_use]
    pub fn description(&self) -> Option<String> {
        let e = self.error?;
        Some(match &self.detail {
            Some(d) => format!("{e}: {d}"),
            None => e.to_string(),
        })
    }

    /// The core error (`None` for a request that carried no credentials).
    #[must_use]
    pub fn error(&self) -> Option<CoreError> {
        self.error
    }

    /// The OAuth error (`None` for a request that carried no credentials:
    /// RFC 6750 §3.1 sends no error code then).
    #[must_use]
    pub fn oauth_error(&self) -> Option<OAuthError> {
        self.oauth
    }

    /// The HTTP status: 400 for `invalid_request`, 403 for
    /// `insufficient_scope`, 503 and 500 for the server's own failures,
    /// 401 otherwise (RFC 6750 §3.1, RFC 9449 §7.1 and §9); 413 for a
    /// request body over the limit of a [`crate::layer::FapiLayer`].
    #[must_use]
    pub fn status(&self) -> u16 {
        if let Some(s) = self.status {
            return s;
        }
        match self.oauth {
            Some(OAuthError::InvalidRequest) => 400,
            Some(OAuthError::InsufficientScope) => 403,
            Some(OAuthError::TemporarilyUnavailable) => 503,
            Some(OAuthError::ServerError) => 500,
            _ => 401,
        }
    }

    /// The `WWW-Authenticate` header value.
    #[must_use]
    pub fn www_authenticate(&self) -> String {
        let mut v = String::from(self.scheme.as_str());
        let mut params = Vec::new();
        if let Some(o) = self.oauth {
            params.push(format!("error=\"{}\"", o.as_str()));
        }
        if let Some(d) = self.description() {
            params.push(format!("error_description=\"{d}\""));
        }
        if self.scheme == Scheme::Dpop {
            params.push(format!("algs=\"{}\"", self.algs));
        }
        if !params.is_empty() {
            v.push(' ');
            v.push_str(&params.join(", "));
        }
        v
    }

    /// The `DPoP-Nonce` header value, for `use_dpop_nonce`.
    #[must_use]
    pub fn dpop_nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// The `Accept-Signature` header value (RFC 9421 §5.1) sent with a
    /// refused request signature: the components and `tag` the profile
    /// requires of the request.
    #[must_use]
    pub fn accept_signature(&self) -> Option<&str> {
        self.accept_signature.as_deref()
    }

    /// The response headers: `WWW-Authenticate`, `DPoP-Nonce` and
    /// `Accept-Signature` when there is one, and `Cache-Control: no-store`.
    #[must_use]
    pub fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&self.www_authenticate()) {
            let _ = h.insert(header::WWW_AUTHENTICATE, v);
        }
        if let Some(n) = self
            .nonce
            .as_deref()
            .and_then(|n| HeaderValue::from_str(n).ok())
        {
            let _ = h.insert("dpop-nonce", n);
        }
        if let Some(a) = self
            .accept_signature
            .as_deref()
            .and_then(|a| HeaderValue::from_str(a).ok())
        {
            let _ = h.insert("accept-signature", a);
        }
        let _ = h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h
    }

    /// The whole response, with an empty body of type `B`.
    #[must_use]
    pub fn to_response<B: Default>(&self) -> http::Response<B> {
        let mut r = http::Response::new(B::default());
        *r.status_mut() = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::UNAUTHORIZED);
        *r.headers_mut() = self.headers();
        r
    }
}

impl core::fmt::Display for ResourceError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} {}", self.status(), self.www_authenticate())
    }
}

impl core::error::Error for ResourceError {}

/// `r` with `detail`, when there is one.
fn with_detail(r: ResourceError, detail: Option<Detail>) -> ResourceError {
    match detail {
        Some(d) => r.with_detail(d),
        None => r,
    }
}

fn algs_param(algs: &[fapi_core::Alg]) -> String {
    algs.iter().map(|a| a.name()).collect::<Vec<_>>().join(" ")
}

/// Builds a [`ResourceServer`].
pub struct ResourceServerBuilder {
    profile: Profile,
    issuer: String,
    audience: String,
    origin: Option<String>,
    keys: IssuerKeys,
    clock: SharedClock,
    replay: Arc<dyn ReplayStore>,
    revocations: Option<Arc<dyn HandleStore<RevokedGrant>>>,
    nonce_key: Option<NonceKey>,
    leeway: u64,
    client_keys: Option<Arc<dyn ClientKeys>>,
    response_key: Option<SigningKey>,
}

impl ResourceServerBuilder {
    /// Where the JWK Sets of clients are found, by `client_id`: a request
    /// signature (RFC 9421) is verified with the keys of the client the
    /// access token was issued to, and no other (BG-SIGNED-REQ). Required
    /// where the profile requires signed messages
    /// ([`Profile::signed_messages_required`]: `berlin`, `fapi2-ms`).
    #[must_use]
    pub fn client_keys(mut self, keys: Arc<dyn ClientKeys>) -> Self {
        self.client_keys = Some(keys);
        self
    }
    /// The key that signs resource responses (FAPI 2.0 HTTP Signatures,
    /// [`ResourceServer::sign_response`]), software or PKCS#11; its public
    /// half belongs in the JWK Set the server publishes. Required where the
    /// profile requires signed messages.
    #[must_use]
    pub fn response_signing_key(mut self, key: SigningKey) -> Self {
        self.response_key = Some(key);
        self
    }
    /// The clock (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }
    /// The replay cache for DPoP proof `jti`s (default: in memory).
    #[must_use]
    pub fn replay_store(mut self, store: Arc<dyn ReplayStore>) -> Self {
        self.replay = store;
        self
    }
    /// The issuer's store of revoked grants
    /// ([`crate::issuer::IssuerBuilder::revocation_store`]): a token of a
    /// revoked grant is refused (`invalid_token`; RFC 6749 §4.1.2, RFC 9700
    /// §4.5). Without one (the default), grants are not checked.
    #[must_use]
    pub fn revocation_store(mut self, store: Arc<dyn HandleStore<RevokedGrant>>) -> Self {
        self.revocations = Some(store);
        self
    }
    /// Require DPoP server nonces (RFC 9449 §9), made with `key`.
    #[must_use]
    pub fn dpop_nonces(mut self, key: NonceKey) -> Self {
        self.nonce_key = Some(key);
        self
    }
    /// The scheme, host and port clients use to reach this server
    /// (`https://api.bank.example`), joined to request paths for `htu`
    /// (default: the audience's).
    #[must_use]
    pub fn origin(mut self, origin: &str) -> Self {
        self.origin = Some(origin.trim_end_matches('/').into());
        self
    }
    /// The clock leeway for `nbf`/`iat` (default 10 s; more than
    /// [`token::MAX_LEEWAY`], 60 s, is refused by [`Self::build`]).
    #[must_use]
    pub fn leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }
    /// The resource server. Where the profile requires signed messages
    /// (BG-SIGNED-REQ, `fapi2-ms`), a server built without
    /// [`Self::client_keys`] or [`Self::response_signing_key`] is
    /// [`CoreError::ProfileViolation`]; a response key whose algorithm the
    /// profile does not allow is [`CoreError::AlgNotAllowed`].
    ///
    /// ```
    /// use fapi::{IssuerKeys, KeySet, ResourceServer, SigningKey};
    /// use fapi_core::{Alg, profile::Profile};
    /// # fn main() -> Result<(), Box<dyn core::error::Error>> {
    /// # let as_jwks = KeySet::new(SigningKey::generate(Alg::Es256)?).jwks_json()?;
    /// let rs = ResourceServer::builder(
    ///     Profile::BERLIN,
    ///     "https://as.bank.example",
    ///     "https://api.bank.example",
    ///     IssuerKeys::from_jwks_json(&as_jwks)?,
    /// )
    /// .build();
    /// assert_eq!(rs.unwrap_err().core(), fapi_core::Error::ProfileViolation);
    /// # Ok(()) }
    /// ```
    pub fn build(self) -> Result<ResourceServer, crate::Error> {
        self.build_inner()
            .map_err(|e| crate::Error::at(e, Site::ResourceRequest))
    }

    fn build_inner(self) -> Result<ResourceServer, CoreError> {
        // BG-SIGNED-REQ, FAPI 2.0 HTTP Signatures: the keys that verify
        // request signatures and the key that signs responses are where
        // the data enters; without them no request could be served.
        if self.profile.signed_messages_required
            && (self.client_keys.is_none() || self.response_key.is_none())
        {
            return Err(CoreError::ProfileViolation);
        }
        if let Some(k) = &self.response_key {
            k.alg().check_allowed(self.profile.algs)?;
        }
        // FAPI 2.0: nothing more than 60 s in the future.
        let _ = Expectations::new(&self.issuer, &self.audience).with_leeway(self.leeway)?;
        let nonces = self
            .nonce_key
            .map(|k| NonceIssuer::new(k, dpop::DEFAULT_NONCE_BUCKET))
            .transpose()?;
        let origin = self.origin.unwrap_or_else(|| origin_of(&self.audience));
        let scheme = if self.profile.sender.contains(&SenderConstraint::Dpop) {
            Scheme::Dpop
        } else {
            Scheme::Bearer
        };
        Ok(ResourceServer {
            profile: self.profile,
            issuer: self.issuer,
            audience: self.audience,
            origin,
            keys: RwLock::new(Arc::new(self.keys)),
            clock: self.clock,
            replay: self.replay,
            revocations: self.revocations,
            nonces,
            leeway: self.leeway,
            scheme,
            client_keys: self.client_keys,
            response_key: self.response_key,
        })
    }
}

fn origin_of(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    url[..end].to_owned()
}

/// A resource server trusting one authorization server.
///
/// ```
/// use fapi::resource::ResourceServer;
/// use fapi::{IssuerKeys, KeySet, SigningKey};
/// use fapi_core::{Alg, profile::Profile};
///
/// # fn main() -> Result<(), Box<dyn core::error::Error>> {
/// let as_keys = KeySet::new(SigningKey::generate(Alg::Es256)?);
/// let rs = ResourceServer::builder(
///     Profile::FAPI2,
///     "https://as.bank.example",
///     "https://api.bank.example",
///     IssuerKeys::from_jwks_json(&as_keys.jwks_json()?)?,
/// )
/// .build()?;
/// # let _ = rs; Ok(()) }
/// ```
pub struct ResourceServer {
    profile: Profile,
    issuer: String,
    audience: String,
    origin: String,
    keys: RwLock<Arc<IssuerKeys>>,
    clock: SharedClock,
    replay: Arc<dyn ReplayStore>,
    revocations: Option<Arc<dyn HandleStore<RevokedGrant>>>,
    nonces: Option<NonceIssuer>,
    leeway: u64,
    scheme: Scheme,
    client_keys: Option<Arc<dyn ClientKeys>>,
    response_key: Option<SigningKey>,
}

impl core::fmt::Debug for ResourceServer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ResourceServer")
            .field("profile", &self.profile.name)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// One header's value: absent, or present once (twice is a bad request).
fn single<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, CoreError> {
    let mut all = headers.get_all(name).iter();
    let Some(first) = all.next() else {
        return Ok(None);
    };
    if all.next().is_some() {
        return Err(CoreError::InvalidParameter);
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| CoreError::InvalidParameter)
}

impl ResourceServer {
    /// A builder for a resource server at `audience` (its `aud` value)
    /// trusting tokens of `issuer` signed by one of `keys`.
    #[must_use]
    pub fn builder(
        profile: Profile,
        issuer: &str,
        audience: &str,
        keys: IssuerKeys,
    ) -> ResourceServerBuilder {
        ResourceServerBuilder {
            profile,
            issuer: issuer.into(),
            audience: audience.into(),
            origin: None,
            keys,
            clock: Arc::new(SystemClock),
            replay: Arc::new(MemoryReplayCache::new()),
            revocations: None,
            nonce_key: None,
            leeway: token::DEFAULT_LEEWAY,
            client_keys: None,
            response_key: None,
        }
    }

    /// Replaces the issuer's keys (after fetching its JWKS again).
    pub fn set_issuer_keys(&self, keys: IssuerKeys) {
        *self
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(keys);
    }

    /// Replaces the issuer's keys from its JWKS document.
    pub fn set_issuer_jwks(&self, jwks: &str) -> Result<(), KeyError> {
        self.set_issuer_keys(IssuerKeys::from_jwks_json(jwks)?);
        Ok(())
    }

    /// The profile.
    #[must_use]
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    fn refuse(&self, error: CoreError, site: Site, scheme: Scheme) -> ResourceError {
        let mut e = ResourceError::new(error, site, scheme);
        e.algs = algs_param(self.profile.algs);
        if e.oauth == Some(OAuthError::UseDpopNonce) {
            e.nonce = self.fresh_nonce();
        }
        e
    }

    fn fresh_nonce(&self) -> Option<String> {
        let n = self.nonces.as_ref()?;
        n.issue(self.clock.now(), None)
            .ok()
            .map(|n| n.as_str().to_owned())
    }

    /// A fresh `DPoP-Nonce` to send with successful responses, when the
    /// server requires nonces (RFC 9449 §9: clients use the latest).
    #[must_use]
    pub fn dpop_nonce(&self) -> Option<String> {
        self.fresh_nonce()
    }

    /// Verifies a resource request that has no content: see the module
    /// documentation. `uri` is the request target, absolute or a path
    /// (joined to the origin); `client_cert` the DER of the TLS client
    /// certificate.
    ///
    /// Where the profile requires signed messages (BG-SIGNED-REQ,
    /// `fapi2-ms`) the request's signature is verified too, as by
    /// [`Self::verify_message`] with an empty body; a request that
    /// declares content (`Content-Digest`, a `Content-Length` other than
    /// 0, `Transfer-Encoding`) is refused with
    /// [`CoreError::DigestMismatch`], since its digest cannot be checked
    /// without the body: such a request goes through
    /// [`Self::verify_message`], which takes the body.
    pub async fn verify_request(
        &self,
        method: &str,
        uri: &str,
        headers: &HeaderMap,
        client_cert: Option<&[u8]>,
    ) -> Result<VerifiedClaims, ResourceError> {
        if self.profile.signed_messages_required && declares_content(headers) {
            // BG-SIGNED-REQ: content the signature's digest covers is
            // never left unchecked.
            return Err(self.refuse_signature(CoreError::DigestMismatch, headers));
        }
        self.verify_message(method, uri, headers, &[], client_cert, None)
            .await
            .map(VerifiedRequest::into_claims)
    }

    /// Verifies a resource request and its content `body` (empty when
    /// there is none): the access token as [`Self::verify_request`] does,
    /// then `scope` when given (else 403 `insufficient_scope`), and where
    /// the profile requires signed messages (BG-SIGNED-REQ, `fapi2-ms`)
    /// the request's `fapi-2-request` signature (RFC 9421 §3.2, by the
    /// core's [`fapi_core::http_sig::verify_request`]) made with a key of
    /// the JWK Set of the client the token was issued to, at most 60 s
    /// old, covering `@method`, `@target-uri`, `authorization`, `dpop`
    /// when present and `content-digest` when there is content, whose
    /// digest is recomputed over `body` (RFC 9530). The DPoP proof's
    /// `jti` is spent only once all of this has passed.
    ///
    /// A refused signature is `400 invalid_request` (RFC 6750 §3.1) with
    /// the core's code in `error_description` and an `Accept-Signature`
    /// (RFC 9421 §5.1) naming what to sign.
    ///
    /// The [`VerifiedRequest`] returned is what
    /// [`Self::sign_response`] signs the response for.
    pub async fn verify_message(
        &self,
        method: &str,
        uri: &str,
        headers: &HeaderMap,
        body: &[u8],
        client_cert: Option<&[u8]>,
        scope: Option<&str>,
    ) -> Result<VerifiedRequest, ResourceError> {
        let (claims, target_uri, deferred) =
            self.check_token(method, uri, headers, client_cert).await?;
        if scope.is_some_and(|wanted| !claims.has_scope(wanted)) {
            let scheme = if claims.cnf_jkt.is_some() {
                Scheme::Dpop
            } else {
                Scheme::Bearer
            };
            return Err(self.refuse(CoreError::InsufficientScope, Site::ResourceRequest, scheme));
        }
        let signature = if self.profile.signed_messages_required {
            // BG-SIGNED-REQ, FAPI 2.0 HTTP Signatures: signed by the client
            // the token was issued to, with its registered keys.
            Some(
                self.verify_signature(&claims.client_id, method, &target_uri, headers, body)
                    .await
                    .map_err(|e| self.refuse_signature(e, headers))?,
            )
        } else {
            None
        };
        if let Some(d) = deferred {
            d.commit(&*self.replay, b"dpop")
                .await
                .map_err(|e| self.refuse(e, Site::DpopProof, Scheme::Dpop))?;
        }
        let kept = [CONTENT_DIGEST, SIGNATURE_INPUT, SIGNATURE]
            .iter()
            .flat_map(|name| {
                headers
                    .get_all(*name)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .map(|v| (*name, v.to_owned()))
            })
            .collect();
        Ok(VerifiedRequest {
            claims,
            signature,
            method: method.to_owned(),
            target_uri,
            fields: kept,
        })
    }

    async fn verify_signature(
        &self,
        client_id: &str,
        method: &str,
        target_uri: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<MessageSignature, CoreError> {
        let keys = self
            .client_keys
            .as_ref()
            .ok_or(CoreError::ProfileViolation)?;
        let jwks = keys
            .client_jwks(client_id)
            .await?
            .ok_or(CoreError::KeyNotFound)?;
        let mut jwks_scratch = vec![0u8; jwks.len()];
        let jwks = Jwks::from_json_in(jwks.as_bytes(), &mut jwks_scratch)?;
        let fields = HeaderFields(headers);
        let message = Message::request(method, target_uri, &fields);
        let policy = Policy::request(self.profile.http_sig_algs());
        let mut scratch = vec![0u8; scratch_len(headers, target_uri)];
        http_sig::verify_request(
            &policy,
            &message,
            body,
            &jwks,
            &fapi_awslc::AWSLC,
            &*self.clock,
            &mut scratch,
        )
        .map(MessageSignature::from)
    }

    /// A refused request signature: `invalid_request` (RFC 6750 §3.1),
    /// unless the server failed, with `Accept-Signature` (RFC 9421 §5.1).
    fn refuse_signature(&self, error: CoreError, headers: &HeaderMap) -> ResourceError {
        let mut r = self.refuse(error, Site::ResourceRequest, self.scheme);
        if !matches!(
            r.oauth,
            Some(OAuthError::ServerError | OAuthError::TemporarilyUnavailable)
        ) {
            r.oauth = Some(OAuthError::InvalidRequest);
        }
        if error == CoreError::TooLarge {
            r.status = Some(413);
        }
        let mut components = String::from(r#""@method" "@target-uri" "authorization""#);
        if headers.contains_key("dpop") {
            components.push_str(r#" "dpop""#);
        }
        if declares_content(headers) {
            components.push_str(r#" "content-digest""#);
        }
        r.accept_signature = Some(format!(
            r#"{LABEL}=({components});tag="{}""#,
            http_sig::TAG_REQUEST
        ));
        r
    }

    /// The refusal of a request whose body is over the layer's limit
    /// (413, [`CoreError::TooLarge`]).
    #[cfg(feature = "tower")]
    pub(crate) fn refuse_too_large(&self, headers: &HeaderMap) -> ResourceError {
        self.refuse_signature(CoreError::TooLarge, headers)
    }

    /// The refusal of a request or response whose body could not be read:
    /// the request's (`invalid_request`) or the server's own (a 500).
    #[cfg(feature = "tower")]
    pub(crate) fn refuse_body(&self, error: CoreError, headers: &HeaderMap) -> ResourceError {
        let mut r = self.refuse_signature(error, headers);
        if error != CoreError::Malformed {
            r.oauth = Some(OAuthError::ServerError);
            r.accept_signature = None;
        }
        r
    }

    /// Signs the response to `request` for FAPI 2.0 HTTP Signatures: sets
    /// `Content-Digest` when `body` is not empty (RFC 9530), then
    /// `Signature-Input` and `Signature` (label `sig1`, tag
    /// `fapi-2-response`, by the core's
    /// [`fapi_core::http_sig::sign_response`]) covering `@status`, the
    /// digest, and of the request with `;req`: `@method`, `@target-uri`,
    /// its `content-digest` and its signature. The signature is made with
    /// the [`ResourceServerBuilder::response_signing_key`]; without one it
    /// is [`CoreError::ProfileViolation`] (500).
    ///
    /// A [`VerifiedRequest`] comes only from [`Self::verify_message`], so
    /// a response is signed only for the request it answers.
    pub fn sign_response(
        &self,
        request: &VerifiedRequest,
        status: u16,
        headers: &mut HeaderMap,
        body: &[u8],
    ) -> Result<(), ResourceError> {
        self.sign_response_inner(request, status, headers, body)
            .map_err(|e| {
                let mut r = self.refuse(e, Site::ResourceRequest, self.scheme);
                if r.oauth != Some(OAuthError::TemporarilyUnavailable) {
                    r.oauth = Some(OAuthError::ServerError);
                }
                r
            })
    }

    fn sign_response_inner(
        &self,
        request: &VerifiedRequest,
        status: u16,
        headers: &mut HeaderMap,
        body: &[u8],
    ) -> Result<(), CoreError> {
        let key = self
            .response_key
            .as_ref()
            .ok_or(CoreError::ProfileViolation)?;
        set_content_digest(headers, body)?;
        let lines: Vec<(&str, &str)> = request
            .fields
            .iter()
            .map(|(n, v)| (*n, v.as_str()))
            .collect();
        let request_fields = FieldList(&lines);
        let request_message =
            Message::request(&request.method, &request.target_uri, &request_fields);
        let mut bufs = SigningBuffers::new(
            scratch_len(headers, &request.target_uri)
                .saturating_add(lines.iter().map(|(_, v)| v.len()).sum()),
        );
        let signed = {
            let fields = HeaderFields(headers);
            let response = Message::response(status, &fields);
            http_sig::sign_response(
                key,
                LABEL,
                &response,
                body,
                &request_message,
                &*self.clock,
                bufs.buffers(),
            )?
        };
        bufs.write(signed, headers)
    }

    async fn check_token(
        &self,
        method: &str,
        uri: &str,
        headers: &HeaderMap,
        client_cert: Option<&[u8]>,
    ) -> Result<(VerifiedClaims, String, Option<DeferredReplay>), ResourceError> {
        // RFC 6750 §3.1: a malformed request is invalid_request (400).
        let bad = |e: CoreError| {
            let mut r = self.refuse(e, Site::ResourceRequest, self.scheme);
            r.oauth = Some(OAuthError::InvalidRequest);
            r
        };
        let authorization = single(headers, header::AUTHORIZATION.as_str()).map_err(bad)?;
        let Some(authorization) = authorization else {
            // RFC 6750 §3.1: no credentials, no error code.
            let mut e = self.refuse(CoreError::MissingClaim, Site::ResourceRequest, self.scheme);
            e.error = None;
            e.oauth = None;
            return Err(e);
        };
        let (scheme, token) = authorization
            .split_once(' ')
            .map(|(s, t)| (s, t.trim()))
            .ok_or_else(|| bad(CoreError::InvalidParameter))?;
        let scheme = if scheme.eq_ignore_ascii_case("DPoP") {
            Scheme::Dpop
        } else if scheme.eq_ignore_ascii_case("Bearer") {
            Scheme::Bearer
        } else {
            return Err(bad(CoreError::InvalidParameter));
        };
        if token.is_empty() || token.contains(' ') {
            return Err(bad(CoreError::Malformed));
        }
        let proof = single(headers, "dpop").map_err(bad)?;
        let full_uri;
        let uri = if uri.starts_with('/') {
            full_uri = format!("{}{uri}", self.origin);
            &full_uri
        } else {
            uri
        };

        // The proof, for this very token (ath) and request, with the replay
        // step deferred until the token has verified too.
        let deferred = DeferredReplay::default();
        let request = DpopRequest {
            method,
            uri,
            nonce_binding: None,
        };
        let verified_proof = match proof {
            Some(p) => {
                let mut config = DpopConfig::new(&self.profile);
                if let Some(n) = &self.nonces {
                    config = config.with_nonces(n);
                }
                Some(
                    dpop::verify_resource_proof(
                        p.as_bytes(),
                        &request,
                        token,
                        &config,
                        &fapi_awslc::AWSLC,
                        &*self.clock,
                        &deferred,
                    )
                    .map_err(|e| {
                        let r = self.refuse(e, Site::DpopProof, Scheme::Dpop);
                        with_detail(r, self.proof_detail(e, p, method, uri))
                    })?,
                )
            }
            None if scheme == Scheme::Dpop => {
                return Err(self.refuse(CoreError::DpopMissing, Site::DpopProof, Scheme::Dpop));
            }
            None => None,
        };

        #[cfg_attr(not(feature = "discover"), allow(unused_mut))]
        let mut keys = Arc::clone(
            &self
                .keys
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        // A kid the cached keys do not hold: the issuer may have rotated.
        // Discovered keys are fetched again, at most once per interval
        // (a failed fetch keeps the keys, and the token is refused).
        #[cfg(feature = "discover")]
        if keys.for_token(token).err() == Some(CoreError::KeyNotFound)
            && let Ok(Some(fresh)) = keys.refresh().await
        {
            let fresh = Arc::new(fresh);
            *self
                .keys
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::clone(&fresh);
            keys = fresh;
        }
        let token_err = |e: CoreError| {
            // RFC 9449 §7.1: a token not bound to the proof's key, or a
            // DPoP-bound token without a proof, is an invalid token.
            let challenge = match e {
                CoreError::DpopKeyMismatch | CoreError::DpopMissing => {
                    let mut r = self.refuse(e, Site::ResourceRequest, Scheme::Dpop);
                    r.oauth = Some(OAuthError::InvalidToken);
                    return r;
                }
                CoreError::CertificateMismatch => Scheme::Bearer,
                _ => scheme,
            };
            let r = self.refuse(e, Site::ResourceRequest, challenge);
            with_detail(r, self.token_detail(e, token))
        };
        let key = keys.for_token(token).map_err(|e| {
            let r = token_err(e);
            match e {
                CoreError::KeyNotFound => with_detail(r, keys.unknown_kid(token)),
                _ => r,
            }
        })?;
        let expect = Expectations::new(&self.issuer, &self.audience)
            .with_leeway(self.leeway)
            .map_err(token_err)?;
        let mut presented = match &verified_proof {
            Some(p) => Presented::dpop(p, &request),
            None => Presented::default(),
        };
        if let Some(der) = client_cert {
            presented = presented.with_certificate(der);
        }
        let mut buf = vec![0u8; token::MAX_TOKEN_LEN];
        // F2-SENDER, OB-SENDER, CDR-HOK: the core checks the binding.
        let claims = token::verify(
            token.as_bytes(),
            &self.profile,
            &expect,
            key,
            &*self.clock,
            &presented,
            &mut buf,
        )
        .map_err(token_err)?;
        // RFC 9449 §7.2: a DPoP-bound token is never a bearer token.
        if claims.cnf_jkt.is_some() && scheme != Scheme::Dpop {
            return Err(token_err(CoreError::DpopMissing));
        }
        let owned = VerifiedClaims {
            subject: claims.subject.into(),
            client_id: claims.client_id.into(),
            scope: claims.scope.map(Into::into),
            jti: claims.jti.into(),
            exp: claims.exp,
            iat: claims.iat,
            cnf_jkt: claims.cnf_jkt.map(Into::into),
            cnf_x5t_s256: claims.cnf_x5t_s256.map(Into::into),
            consent_id: claims.consent_id.map(Into::into),
            grant_id: claims.grant_id.map(Into::into),
        };
        // RFC 6749 §4.1.2, RFC 9700 §4.5: a token of a revoked grant.
        if let (Some(store), Some(g)) = (&self.revocations, owned.grant_id.as_deref()) {
            let g = GrantId::parse(g).map_err(token_err)?;
            let now = self.clock.now();
            let found = Preloaded::new(g.key(), store.get(&g.key(), now).await);
            grant::check_active(&found, &g, now).map_err(token_err)?;
        }
        let deferred = verified_proof.is_some().then_some(deferred);
        Ok((owned, uri.to_owned(), deferred))
    }

    /// What the proof `proof`, refused with `error`, was expected to say
    /// for the request `method` `uri`.
    fn proof_detail(
        &self,
        error: CoreError,
        proof: &str,
        method: &str,
        uri: &str,
    ) -> Option<Detail> {
        let mut buf = vec![0u8; dpop::MAX_HTU_LEN];
        // The request's URI as the core compared it (normalised), else as
        // it came.
        let htu = dpop::normalize_htu(uri, &mut buf).unwrap_or(uri);
        detail::of_jwt(
            error,
            proof,
            &Expected {
                typ: dpop::TYP,
                required: detail::DPOP_PROOF_CLAIMS,
                issuer: None,
                audience: None,
                request: Some((method, htu)),
                now: self.clock.now(),
            },
        )
    }

    /// What the access token `token`, refused with `error`, was expected
    /// to say.
    fn token_detail(&self, error: CoreError, token: &str) -> Option<Detail> {
        detail::of_jwt(
            error,
            token,
            &Expected {
                typ: token::TYP,
                required: detail::ACCESS_TOKEN_CLAIMS,
                issuer: Some(&self.issuer),
                audience: Some(&self.audience),
                request: None,
                now: self.clock.now(),
            },
        )
    }

    /// [`Self::verify_request`] for an `http::Request` as it arrived.
    pub async fn verify<B>(
        &self,
        request: &http::Request<B>,
        client_cert: Option<&[u8]>,
    ) -> Result<VerifiedClaims, ResourceError> {
        let uri = request.uri().to_string();
        self.verify_request(
            request.method().as_str(),
            &uri,
            request.headers(),
            client_cert,
        )
        .await
    }

    /// [`Self::verify_request`], then the scope: a token without `scope`
    /// is `insufficient_scope` (403). Under a signing profile a request
    /// with content is refused as by [`Self::verify_request`]: use
    /// [`Self::verify_message`].
    pub async fn verify_request_with_scope(
        &self,
        method: &str,
        uri: &str,
        headers: &HeaderMap,
        client_cert: Option<&[u8]>,
        scope: &str,
    ) -> Result<VerifiedClaims, ResourceError> {
        if self.profile.signed_messages_required && declares_content(headers) {
            // BG-SIGNED-REQ: see verify_request.
            return Err(self.refuse_signature(CoreError::DigestMismatch, headers));
        }
        self.verify_message(method, uri, headers, &[], client_cert, Some(scope))
            .await
            .map(VerifiedRequest::into_claims)
    }

    /// The current time of this server's clock.
    #[must_use]
    pub fn now(&self) -> u64 {
        self.clock.now()
    }
}
