//! `fapi._fapi`: the Python extension module of the `fapi` wheel.
//!
//! A thin PyO3 face of the [`fapi`] crate: keys, the issuer, the resource
//! server, the client, PKCE, DPoP and thumbprints. Every check is the
//! crate's (and so the core's); this module only converts arguments and
//! turns each refusal into a typed Python exception (`fapi.errors`) that
//! carries the fapi code, its name and the OAuth error.
//!
//! ```python
//! import fapi
//! assert fapi.pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") \
//!     == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
//! ```

use std::sync::Arc;

use fapi::issuer::{AccessToken, Binding};
use fapi::resource::{ResourceError, VerifiedClaims as RsClaims};
use fapi::{IssuerKeys, KeySet};
use fapi_core::profile::Profile;
use fapi_core::{Alg, Signer, Site};
use http::{HeaderMap, HeaderName, HeaderValue};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

// --- errors -------------------------------------------------------------

/// What a refusal carries to Python: `fapi.errors.raise_for` picks the
/// exception class from `code` (its hundreds: encoding, keys, JWS, ...).
#[derive(Default)]
struct Refusal {
    message: String,
    code: Option<u16>,
    name: &'static str,
    oauth_error: Option<&'static str>,
    site: Option<String>,
    expected: Option<String>,
    got: Option<String>,
    reason: Option<String>,
    status: Option<u16>,
    www_authenticate: Option<String>,
    headers: Vec<(String, String)>,
}

impl Refusal {
    fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self.build(py) {
            Ok(err) => err,
            Err(err) => err,
        }
    }

    fn build(self, py: Python<'_>) -> PyResult<PyErr> {
        let errors = py.import("fapi.errors")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("site", self.site)?;
        kwargs.set_item("expected", self.expected)?;
        kwargs.set_item("got", self.got)?;
        kwargs.set_item("reason", self.reason)?;
        kwargs.set_item("status", self.status)?;
        kwargs.set_item("www_authenticate", self.www_authenticate)?;
        kwargs.set_item("headers", self.headers)?;
        let exc = errors.getattr("_make")?.call(
            (self.message, self.code, self.name, self.oauth_error),
            Some(&kwargs),
        )?;
        Ok(PyErr::from_value(exc))
    }
}

/// A refusal of the crate: an `Error` (core code at a site, maybe with
/// the values expected and got) or a key that did not load.
trait IntoRefusal {
    fn refusal(&self) -> Refusal;
}

impl IntoRefusal for fapi::Error {
    fn refusal(&self) -> Refusal {
        let core = self.core();
        let mut r = Refusal {
            message: self.to_string(),
            code: Some(core.code()),
            name: core.name(),
            oauth_error: Some(self.oauth_error().as_str()),
            site: self.site().map(|s| format!("{s:?}")),
            ..Refusal::default()
        };
        match self {
            fapi::Error::Mismatch { expected, got, .. } => {
                r.expected = Some(expected.clone());
                r.got = Some(got.clone());
            }
            fapi::Error::Key(k) => r.reason = Some(k.reason().to_owned()),
            _ => {}
        }
        r
    }
}

impl IntoRefusal for fapi::KeyError {
    fn refusal(&self) -> Refusal {
        fapi::Error::from(self.clone()).refusal()
    }
}

impl IntoRefusal for ResourceError {
    fn refusal(&self) -> Refusal {
        let core = self.error();
        Refusal {
            message: self.to_string(),
            code: core.map(fapi_core::Error::code),
            // A request with no credentials at all has no core error
            // (RFC 6750 §3.1: no error code in the challenge either).
            name: core.map_or("no_credentials", fapi_core::Error::name),
            oauth_error: self.oauth_error().map(fapi_core::OAuthError::as_str),
            site: core.map(|_| "ResourceRequest".to_owned()),
            status: Some(self.status()),
            www_authenticate: Some(self.www_authenticate()),
            headers: self
                .headers()
                .iter()
                .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect(),
            ..Refusal::default()
        }
    }
}

impl IntoRefusal for (fapi_core::Error, Site) {
    fn refusal(&self) -> Refusal {
        fapi::Error::at(self.0, self.1).refusal()
    }
}

/// `result`, its refusal raised as the typed exception.
fn raise<T, E: IntoRefusal>(py: Python<'_>, result: Result<T, E>) -> PyResult<T> {
    result.map_err(|e| e.refusal().into_pyerr(py))
}

/// A core `error` at `site`, raised.
fn refuse<T>(py: Python<'_>, error: fapi_core::Error, site: Site) -> PyResult<T> {
    Err((error, site).refusal().into_pyerr(py))
}

// --- argument conversions -------------------------------------------------

fn profile(py: Python<'_>, name: &str) -> PyResult<Profile> {
    match Profile::from_name(name) {
        Ok(p) => Ok(p),
        Err(e) => Err(fapi::Error::mismatch(
            e,
            Site::TokenRequest,
            "a profile name (fapi2, fapi2-plus, fapi2-ms, obie, cdr, ofb, berlin)",
            name,
        )
        .refusal()
        .into_pyerr(py)),
    }
}

fn alg(py: Python<'_>, name: &str) -> PyResult<Alg> {
    match Alg::from_name(name) {
        Ok(a) => Ok(a),
        Err(e) => Err(
            fapi::Error::mismatch(e, Site::TokenRequest, "PS256, ES256 or EdDSA", name)
                .refusal()
                .into_pyerr(py),
        ),
    }
}

/// A JSON text given as `str`, or a `dict`/`list` serialised with Python's
/// `json` module (compact).
fn json_text(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = value.extract::<String>() {
        return Ok(s);
    }
    if value.is_instance_of::<PyDict>() || value.is_instance_of::<PyList>() {
        let kwargs = PyDict::new(py);
        kwargs.set_item("separators", (",", ":"))?;
        return py
            .import("json")?
            .getattr("dumps")?
            .call((value,), Some(&kwargs))?
            .extract();
    }
    Err(PyTypeError::new_err(format!(
        "expected a JSON str or a dict, got {}",
        value.get_type().name()?
    )))
}

/// Request headers from a mapping with `.items()` (a `dict`, Starlette's
/// `Headers`, `http.client.HTTPMessage`) or an iterable of `(name, value)`
/// pairs. Names or values that HTTP does not allow are refused as
/// `invalid_request` (code 104, malformed) at the resource request.
fn header_map(py: Python<'_>, headers: Option<&Bound<'_, PyAny>>) -> PyResult<HeaderMap> {
    let mut map = HeaderMap::new();
    let Some(headers) = headers else {
        return Ok(map);
    };
    let pairs = if headers.hasattr("items")? {
        headers.call_method0("items")?
    } else {
        headers.clone()
    };
    for pair in pairs.try_iter()? {
        let pair = pair?;
        let tuple = pair.cast::<PyTuple>()?;
        let name: String = tuple.get_item(0)?.extract()?;
        let value: String = tuple.get_item(1)?.extract()?;
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) else {
            return refuse(py, fapi_core::Error::Malformed, Site::ResourceRequest);
        };
        let _ = map.append(name, value);
    }
    Ok(map)
}

/// An `http::Request` of the crate as a Python `HttpRequest`.
fn http_request(req: http::Request<String>) -> HttpRequest {
    let (parts, body) = req.into_parts();
    HttpRequest {
        method: parts.method.as_str().to_owned(),
        url: parts.uri.to_string(),
        headers: parts
            .headers
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        body,
    }
}

// --- keys ---------------------------------------------------------------------

/// A private signing key: software (PEM, private JWK, generated) or in an
/// HSM (PKCS#11 URI). Its `repr` never shows key material.
///
/// ```python
/// key = fapi.SigningKey.generate("ES256")
/// assert key.alg == "ES256" and not key.is_hsm
/// ```
#[pyclass(frozen, module = "fapi._fapi")]
#[derive(Clone)]
struct SigningKey {
    inner: fapi::SigningKey,
}

#[pymethods]
impl SigningKey {
    /// A fresh software key: "ES256", "EdDSA" or "PS256" (RSA 2048).
    #[staticmethod]
    fn generate(py: Python<'_>, alg_name: &str) -> PyResult<Self> {
        let a = alg(py, alg_name)?;
        let inner = raise(py, py.detach(|| fapi::SigningKey::generate(a)))?;
        Ok(Self { inner })
    }

    /// A PEM document: PKCS#8 `PRIVATE KEY`, SEC1 `EC PRIVATE KEY` or
    /// PKCS#1 `RSA PRIVATE KEY`.
    #[staticmethod]
    fn from_pem(py: Python<'_>, pem: &str) -> PyResult<Self> {
        let inner = raise(py, fapi::SigningKey::from_pem(pem))?;
        Ok(Self { inner })
    }

    /// A private JWK (`str` or `dict`): EC P-256, OKP Ed25519 or RSA.
    #[staticmethod]
    fn from_jwk(py: Python<'_>, jwk: &Bound<'_, PyAny>) -> PyResult<Self> {
        let text = json_text(py, jwk)?;
        let inner = raise(py, fapi::SigningKey::from_jwk(&text))?;
        Ok(Self { inner })
    }

    /// A key in an HSM by RFC 7512 URI (`pkcs11:token=...;object=...?module-path=...&pin-source=...`).
    #[staticmethod]
    fn from_pkcs11_uri(py: Python<'_>, uri: &str) -> PyResult<Self> {
        let inner = raise(py, py.detach(|| fapi::SigningKey::from_pkcs11_uri(uri)))?;
        Ok(Self { inner })
    }

    /// A configuration value: a `pkcs11:` URI, a PEM document or a JWK.
    #[staticmethod]
    fn from_config(py: Python<'_>, value: &str) -> PyResult<Self> {
        let inner = raise(py, py.detach(|| fapi::SigningKey::from_config(value)))?;
        Ok(Self { inner })
    }

    /// The key in the file at `path` (PEM, JWK, or PKCS#8/SEC1 DER).
    #[staticmethod]
    fn from_file(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let inner = raise(py, fapi::SigningKey::from_file(path))?;
        Ok(Self { inner })
    }

    /// The same key under `kid` (instead of its RFC 7638 thumbprint).
    fn with_key_id(&self, py: Python<'_>, kid: &str) -> PyResult<Self> {
        let inner = raise(py, self.inner.clone().with_key_id(kid))?;
        Ok(Self { inner })
    }

    /// The JWS algorithm: "PS256", "ES256" or "EdDSA".
    #[getter]
    fn alg(&self) -> &'static str {
        self.inner.alg().name()
    }

    /// The key id (`kid`).
    #[getter]
    fn kid(&self) -> String {
        self.inner.key_id().to_owned()
    }

    /// Whether the key lives in an HSM.
    #[getter]
    fn is_hsm(&self) -> bool {
        self.inner.is_hsm()
    }

    /// The public JWK (with `kid`, `alg`, `use`) as JSON.
    fn public_jwk(&self, py: Python<'_>) -> PyResult<String> {
        raise(
            py,
            self.inner
                .public_jwk_json()
                .map_err(|e| (e, Site::TokenRequest)),
        )
    }

    /// The RFC 7638 thumbprint of the public key (base64url).
    fn thumbprint(&self, py: Python<'_>) -> PyResult<String> {
        thumbprint_of(py, &self.public_jwk(py)?)
    }

    fn __repr__(&self) -> String {
        format!(
            "SigningKey(alg={:?}, kid={:?}, hsm={})",
            self.alg(),
            self.inner.key_id(),
            self.inner.is_hsm()
        )
    }
}

// --- results ------------------------------------------------------------------

/// An HTTP request built by the client: send it with any HTTP library.
#[pyclass(frozen, get_all, module = "fapi._fapi")]
struct HttpRequest {
    /// The method ("POST").
    method: String,
    /// The absolute URL.
    url: String,
    /// The headers, in order, as `(name, value)` pairs.
    headers: Vec<(String, String)>,
    /// The body (a form for token requests; empty for a GET).
    body: String,
}

#[pymethods]
impl HttpRequest {
    /// The headers as a `dict` (the last value of a repeated name).
    fn headers_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (n, v) in &self.headers {
            d.set_item(n, v)?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!("HttpRequest(method={:?}, url={:?})", self.method, self.url)
    }
}

/// A token response (RFC 6749 §5.1). Its `repr` shows no token.
#[pyclass(frozen, module = "fapi._fapi")]
struct TokenResponse {
    /// The access token.
    #[pyo3(get)]
    access_token: String,
    /// "DPoP" or "Bearer" (certificate-bound).
    #[pyo3(get)]
    token_type: String,
    /// Its lifetime in seconds.
    #[pyo3(get)]
    expires_in: u64,
    /// The granted scope.
    #[pyo3(get)]
    scope: Option<String>,
    /// A refresh token, when one was issued.
    #[pyo3(get)]
    refresh_token: Option<String>,
    /// An ID token, when one was issued.
    #[pyo3(get)]
    id_token: Option<String>,
    /// The JSON body, as the crate writes it.
    json: String,
}

impl From<fapi::issuer::TokenResponse> for TokenResponse {
    fn from(t: fapi::issuer::TokenResponse) -> Self {
        Self {
            json: t.to_json(),
            access_token: t.access_token,
            token_type: t.token_type,
            expires_in: t.expires_in,
            scope: t.scope,
            refresh_token: t.refresh_token,
            id_token: t.id_token,
        }
    }
}

#[pymethods]
impl TokenResponse {
    /// The JSON body of the token endpoint's answer.
    fn to_json(&self) -> String {
        self.json.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "TokenResponse(token_type={:?}, expires_in={}, scope={:?})",
            self.token_type, self.expires_in, self.scope
        )
    }
}

/// A DPoP proof that the issuer verified (its `jti` spent): what binds a
/// token to the client's key.
#[pyclass(frozen, module = "fapi._fapi")]
struct VerifiedDpop {
    inner: fapi::issuer::VerifiedDpop,
}

#[pymethods]
impl VerifiedDpop {
    /// The RFC 7638 thumbprint of the proof's key (the token's `cnf.jkt`).
    #[getter]
    fn jkt(&self) -> String {
        self.inner.jkt()
    }

    fn __repr__(&self) -> String {
        format!("VerifiedDpop(jkt={:?})", self.inner.jkt())
    }
}

/// The claims of an access token that the resource server accepted.
#[pyclass(frozen, get_all, module = "fapi._fapi")]
struct VerifiedClaims {
    /// `sub`: the user (or the client, for a client credentials token).
    subject: String,
    /// `client_id`.
    client_id: String,
    /// `scope`.
    scope: Option<String>,
    /// `jti`.
    jti: String,
    /// `exp` (seconds since the epoch).
    exp: u64,
    /// `iat`.
    iat: u64,
    /// `cnf.jkt`, for a DPoP-bound token.
    cnf_jkt: Option<String>,
    /// The consent the token was issued for, if any.
    consent_id: Option<String>,
}

impl From<RsClaims> for VerifiedClaims {
    fn from(c: RsClaims) -> Self {
        Self {
            subject: c.subject,
            client_id: c.client_id,
            scope: c.scope,
            jti: c.jti,
            exp: c.exp,
            iat: c.iat,
            cnf_jkt: c.cnf_jkt,
            consent_id: c.consent_id,
        }
    }
}

#[pymethods]
impl VerifiedClaims {
    /// Whether `scope` is one of the token's scopes.
    fn has_scope(&self, scope: &str) -> bool {
        self.scope
            .as_deref()
            .is_some_and(|s| s.split(' ').any(|x| x == scope))
    }

    fn __repr__(&self) -> String {
        format!(
            "VerifiedClaims(subject={:?}, client_id={:?}, scope={:?})",
            self.subject, self.client_id, self.scope
        )
    }
}

/// A PKCE pair (RFC 7636, S256). The verifier is a secret: its `repr`
/// shows only the challenge.
#[pyclass(frozen, get_all, module = "fapi._fapi")]
struct PkcePair {
    /// The code verifier (sent at the token endpoint).
    verifier: String,
    /// The S256 code challenge (sent in the authorization request).
    challenge: String,
    /// "S256".
    method: String,
}

#[pymethods]
impl PkcePair {
    fn __repr__(&self) -> String {
        format!("PkcePair(challenge={:?}, method=\"S256\")", self.challenge)
    }
}

// --- issuer ---------------------------------------------------------------------

/// An authorization server's token issuing: DPoP proofs at its endpoints,
/// access tokens (RFC 9068) bound to the client's DPoP key or TLS
/// certificate, its JWKS. Stores are in memory.
///
/// ```python
/// issuer = fapi.Issuer("fapi2", "https://as.example", fapi.SigningKey.generate("ES256"),
///                      audience="https://api.example")
/// ```
#[pyclass(frozen, module = "fapi._fapi")]
struct Issuer {
    inner: fapi::Issuer,
}

#[pymethods]
impl Issuer {
    #[new]
    #[pyo3(signature = (profile_name, issuer, key, *, audience=None, token_endpoint=None, par_endpoint=None))]
    fn new(
        py: Python<'_>,
        profile_name: &str,
        issuer: &str,
        key: &SigningKey,
        audience: Option<&str>,
        token_endpoint: Option<&str>,
        par_endpoint: Option<&str>,
    ) -> PyResult<Self> {
        let p = profile(py, profile_name)?;
        let mut b = fapi::Issuer::builder(p, issuer, KeySet::new(key.inner.clone()));
        if let Some(a) = audience {
            b = b.audience(a);
        }
        if let Some(t) = token_endpoint {
            b = b.token_endpoint(t);
        }
        if let Some(t) = par_endpoint {
            b = b.par_endpoint(t);
        }
        let inner = raise(py, b.build())?;
        Ok(Self { inner })
    }

    /// The issuer identifier (`iss`).
    #[getter]
    fn issuer(&self) -> String {
        self.inner.issuer().to_owned()
    }

    /// The token endpoint (a DPoP proof's `htu` there).
    #[getter]
    fn token_endpoint(&self) -> String {
        self.inner.token_endpoint().to_owned()
    }

    /// The JWKS to publish at the `jwks_uri`.
    fn jwks(&self, py: Python<'_>) -> PyResult<String> {
        raise(py, self.inner.jwks_json())
    }

    /// A fresh `DPoP-Nonce`, when the profile requires server nonces.
    fn dpop_nonce(&self, py: Python<'_>) -> PyResult<Option<String>> {
        raise(py, self.inner.dpop_nonce())
    }

    /// Verifies the `DPoP` header of a request (`method`, absolute `url`)
    /// to this server: RFC 9449 §4.3 and the profile's algorithms; its
    /// `jti` is spent.
    fn verify_dpop(
        &self,
        py: Python<'_>,
        proof: &str,
        method: &str,
        url: &str,
    ) -> PyResult<VerifiedDpop> {
        let inner = py.detach(|| pollster::block_on(self.inner.verify_dpop(proof, method, url)));
        Ok(VerifiedDpop {
            inner: raise(py, inner)?,
        })
    }

    /// Issues an access token for `subject` and `client_id`, bound to the
    /// verified DPoP proof `dpop` or to the client's TLS `certificate` (DER).
    #[pyo3(signature = (subject, client_id, *, dpop=None, certificate=None, scope=None, audience=None, lifetime=None, consent_id=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn issue_access_token(
        &self,
        py: Python<'_>,
        subject: &str,
        client_id: &str,
        dpop: Option<&VerifiedDpop>,
        certificate: Option<Vec<u8>>,
        scope: Option<&str>,
        audience: Option<&str>,
        lifetime: Option<u64>,
        consent_id: Option<&str>,
    ) -> PyResult<TokenResponse> {
        let binding = match (dpop, certificate) {
            (Some(d), None) => d.inner.binding(),
            (None, Some(der)) => Binding::certificate(&der),
            // F2-SENDER: every token is sender-constrained, by exactly one.
            _ => {
                return refuse(
                    py,
                    fapi_core::Error::SenderConstraintMissing,
                    Site::TokenRequest,
                );
            }
        };
        let mut t = AccessToken::new(subject, client_id, binding);
        if let Some(s) = scope {
            t = t.scope(s);
        }
        if let Some(a) = audience {
            t = t.audience(a);
        }
        if let Some(l) = lifetime {
            t = t.lifetime(l);
        }
        if let Some(c) = consent_id {
            t = t.consent_id(c);
        }
        let issued = py.detach(|| pollster::block_on(self.inner.issue_access_token(t)));
        Ok(raise(py, issued)?.into())
    }

    /// Publishes `key` beside the active one and signs with it from now on.
    fn rotate_key(&self, py: Python<'_>, key: &SigningKey) -> PyResult<()> {
        raise(py, self.inner.rotate_key(key.inner.clone()))
    }

    /// Stops publishing the key `kid`.
    fn retire_key(&self, kid: &str) {
        self.inner.retire_key(kid);
    }

    /// Registers a `private_key_jwt` client with its public JWKS.
    fn add_private_key_jwt_client(
        &self,
        py: Python<'_>,
        client_id: &str,
        name: &str,
        jwks: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let jwks = json_text(py, jwks)?;
        let reg = fapi::issuer::ClientRegistration::private_key_jwt(client_id, name, &jwks);
        raise(py, self.inner.add_client(reg))
    }

    /// Verifies a `private_key_jwt` client assertion sent to `endpoint`
    /// (RFC 7523 §3, the profile's algorithms, the `jti` spent); returns
    /// the client id.
    fn verify_client_assertion(
        &self,
        py: Python<'_>,
        client_id: &str,
        assertion: &str,
        endpoint: &str,
    ) -> PyResult<String> {
        let r = py.detach(|| {
            pollster::block_on(
                self.inner
                    .verify_client_assertion(client_id, assertion, endpoint),
            )
        });
        Ok(raise(py, r)?.client_id().to_owned())
    }

    fn __repr__(&self) -> String {
        format!(
            "Issuer(issuer={:?}, profile={:?})",
            self.inner.issuer(),
            self.inner.profile().name
        )
    }
}

// --- resource server ---------------------------------------------------------

/// A resource server: one call per request verifies the access token, its
/// sender constraint (the DPoP proof for the request's method and URL, or
/// the TLS certificate) and the scope. Refusals raise a `fapi.FapiError`
/// subclass carrying `status`, `www_authenticate` and `headers` to answer
/// with.
///
/// ```python
/// rs = fapi.ResourceServer("fapi2", "https://as.example", "https://api.example", jwks)
/// claims = rs.verify("GET", "https://api.example/accounts", request_headers)
/// ```
#[pyclass(frozen, module = "fapi._fapi")]
struct ResourceServer {
    inner: Arc<fapi::ResourceServer>,
}

#[pymethods]
impl ResourceServer {
    #[new]
    #[pyo3(signature = (profile_name, issuer, audience, jwks, *, origin=None, leeway=None))]
    fn new(
        py: Python<'_>,
        profile_name: &str,
        issuer: &str,
        audience: &str,
        jwks: &Bound<'_, PyAny>,
        origin: Option<&str>,
        leeway: Option<u64>,
    ) -> PyResult<Self> {
        let p = profile(py, profile_name)?;
        let jwks = json_text(py, jwks)?;
        let keys = raise(py, IssuerKeys::from_jwks_json(&jwks))?;
        let mut b = fapi::ResourceServer::builder(p, issuer, audience, keys);
        if let Some(o) = origin {
            b = b.origin(o);
        }
        if let Some(l) = leeway {
            b = b.leeway(l);
        }
        let inner = raise(py, b.build())?;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Replaces the issuer's keys (its JWKS fetched again).
    fn set_issuer_jwks(&self, py: Python<'_>, jwks: &Bound<'_, PyAny>) -> PyResult<()> {
        let jwks = json_text(py, jwks)?;
        raise(py, self.inner.set_issuer_jwks(&jwks))
    }

    /// A fresh `DPoP-Nonce` for a successful response, when the server
    /// requires nonces.
    fn dpop_nonce(&self) -> Option<String> {
        self.inner.dpop_nonce()
    }

    /// Verifies a request: `method`, its `url` (absolute, or a path joined
    /// to the origin), its `headers` (a mapping or `(name, value)` pairs)
    /// and, under mutual TLS, the client's `certificate` (DER). With
    /// `scope`, the token must carry it (else 403 `insufficient_scope`).
    /// With `body`, the request's content (signed-message profiles check
    /// its digest).
    #[pyo3(signature = (method, url, headers=None, *, scope=None, certificate=None, body=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn verify(
        &self,
        py: Python<'_>,
        method: &str,
        url: &str,
        headers: Option<&Bound<'_, PyAny>>,
        scope: Option<&str>,
        certificate: Option<Vec<u8>>,
        body: Option<Vec<u8>>,
    ) -> PyResult<VerifiedClaims> {
        let map = header_map(py, headers)?;
        let rs = &self.inner;
        let result = py.detach(|| {
            pollster::block_on(rs.verify_message(
                method,
                url,
                &map,
                body.as_deref().unwrap_or_default(),
                certificate.as_deref(),
                scope,
            ))
        });
        Ok(raise(py, result)?.into_claims().into())
    }

    fn __repr__(&self) -> String {
        format!("ResourceServer(profile={:?})", self.inner.profile().name)
    }
}

// --- client --------------------------------------------------------------------

/// A fintech client: `private_key_jwt` assertions, DPoP proofs, PKCE, and
/// token and resource requests ready to send.
///
/// ```python
/// client = fapi.Client("fapi2", "fintech-1", "https://as.example",
///                      signing_key=fapi.SigningKey.generate("ES256"),
///                      dpop_key=fapi.SigningKey.generate("ES256"))
/// proof = client.dpop_proof("GET", "https://api.example/accounts", access_token="...")
/// ```
#[pyclass(frozen, module = "fapi._fapi")]
struct Client {
    inner: fapi::Client,
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (profile_name, client_id, issuer, *, signing_key=None, dpop_key=None, redirect_uri=None, token_endpoint=None, par_endpoint=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn new(
        py: Python<'_>,
        profile_name: &str,
        client_id: &str,
        issuer: &str,
        signing_key: Option<&SigningKey>,
        dpop_key: Option<&SigningKey>,
        redirect_uri: Option<&str>,
        token_endpoint: Option<&str>,
        par_endpoint: Option<&str>,
    ) -> PyResult<Self> {
        let p = profile(py, profile_name)?;
        let mut b = fapi::Client::builder(p, client_id, issuer);
        if let Some(k) = signing_key {
            b = b.signing_key(k.inner.clone());
        }
        if let Some(k) = dpop_key {
            b = b.dpop_key(k.inner.clone());
        }
        if let Some(r) = redirect_uri {
            b = b.redirect_uri(r);
        }
        if let Some(t) = token_endpoint {
            b = b.token_endpoint(t);
        }
        if let Some(t) = par_endpoint {
            b = b.par_endpoint(t);
        }
        let inner = raise(py, b.build())?;
        Ok(Self { inner })
    }

    /// The client id.
    #[getter]
    fn client_id(&self) -> String {
        self.inner.client_id().to_owned()
    }

    /// The client's public JWKS, to register at the authorization server.
    fn jwks(&self, py: Python<'_>) -> PyResult<String> {
        raise(py, self.inner.jwks_json())
    }

    /// A fresh PKCE pair (S256, 256 random bits).
    fn pkce(&self, py: Python<'_>) -> PyResult<PkcePair> {
        let pair = raise(py, self.inner.pkce())?;
        Ok(PkcePair {
            verifier: pair.verifier().to_owned(),
            challenge: pair.challenge().to_owned(),
            method: "S256".to_owned(),
        })
    }

    /// A `private_key_jwt` client assertion for `aud` (RFC 7523).
    fn client_assertion(&self, py: Python<'_>, aud: &str) -> PyResult<String> {
        raise(py, py.detach(|| self.inner.client_assertion(aud)))
    }

    /// A DPoP proof for `method` `url` (with `ath` of `access_token`, for
    /// a resource request), carrying the latest server nonce.
    #[pyo3(signature = (method, url, access_token=None))]
    fn dpop_proof(
        &self,
        py: Python<'_>,
        method: &str,
        url: &str,
        access_token: Option<&str>,
    ) -> PyResult<String> {
        raise(
            py,
            py.detach(|| self.inner.dpop_proof(method, url, access_token)),
        )
    }

    /// Remembers a server's `DPoP-Nonce` for the next proofs.
    fn remember_dpop_nonce(&self, py: Python<'_>, nonce: &str) -> PyResult<()> {
        let Ok(v) = HeaderValue::from_str(nonce) else {
            return refuse(py, fapi_core::Error::DpopNonceInvalid, Site::DpopProof);
        };
        let mut headers = HeaderMap::new();
        let _ = headers.insert("dpop-nonce", v);
        self.inner.remember_dpop_nonce(&headers);
        Ok(())
    }

    /// The token request of the client credentials grant for `scope`:
    /// client assertion and DPoP proof included.
    fn client_credentials_request(&self, py: Python<'_>, scope: &str) -> PyResult<HttpRequest> {
        let r = raise(
            py,
            py.detach(|| self.inner.client_credentials_request(scope)),
        )?;
        Ok(http_request(r))
    }

    /// A resource request with `access_token`: `Authorization: DPoP` and a
    /// proof bound to it (or `Bearer` under mutual TLS).
    fn resource_request(
        &self,
        py: Python<'_>,
        method: &str,
        url: &str,
        access_token: &str,
    ) -> PyResult<HttpRequest> {
        let r = raise(
            py,
            py.detach(|| self.inner.resource_request(method, url, access_token)),
        )?;
        Ok(http_request(r))
    }

    /// Reads a token endpoint's JSON answer.
    fn token_response(&self, py: Python<'_>, body: &str) -> PyResult<TokenResponse> {
        Ok(raise(py, self.inner.token_response(body))?.into())
    }

    fn __repr__(&self) -> String {
        format!(
            "Client(client_id={:?}, profile={:?})",
            self.inner.client_id(),
            self.inner.profile().name
        )
    }
}

// --- functions --------------------------------------------------------------------

/// The S256 code challenge of a PKCE `verifier` (RFC 7636 §4.2), after
/// checking its format (43 to 128 unreserved characters).
#[pyfunction]
fn pkce_challenge(py: Python<'_>, verifier: &str) -> PyResult<String> {
    match fapi_core::pkce::Challenge::s256(verifier) {
        Ok(c) => Ok(c.as_str().to_owned()),
        Err(e) => refuse(py, e, Site::TokenRequest),
    }
}

/// Checks a PKCE `verifier` against the S256 `challenge` (constant time);
/// raises `PkceError` when they do not match.
#[pyfunction]
fn pkce_verify(py: Python<'_>, verifier: &str, challenge: &str) -> PyResult<()> {
    raise(
        py,
        fapi_core::pkce::verify(verifier, challenge).map_err(|e| (e, Site::TokenRequest)),
    )
}

/// The RFC 7638 thumbprint (base64url SHA-256) of a public or private JWK
/// (`str` or `dict`): EC P-256, OKP Ed25519 or RSA.
#[pyfunction]
fn jwk_thumbprint(py: Python<'_>, jwk: &Bound<'_, PyAny>) -> PyResult<String> {
    thumbprint_of(py, &json_text(py, jwk)?)
}

fn thumbprint_of(py: Python<'_>, jwk: &str) -> PyResult<String> {
    match fapi_core::Thumbprint::of_jwk(jwk.as_bytes()) {
        Ok(t) => Ok(t.to_b64().as_str().to_owned()),
        Err(e) => refuse(py, e, Site::DpopProof),
    }
}

/// The DPoP `ath` of an access token: base64url(SHA-256(token)) (RFC 9449 §4.2).
#[pyfunction]
fn dpop_ath(access_token: &str) -> String {
    let ath = fapi_core::dpop::ath(access_token);
    String::from_utf8_lossy(&ath).into_owned()
}

/// The profiles fapi knows, by name.
#[pyfunction]
fn profiles() -> Vec<&'static str> {
    Profile::ALL.iter().map(|p| p.name).collect()
}

#[pymodule]
fn _fapi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SigningKey>()?;
    m.add_class::<Issuer>()?;
    m.add_class::<ResourceServer>()?;
    m.add_class::<Client>()?;
    m.add_class::<HttpRequest>()?;
    m.add_class::<TokenResponse>()?;
    m.add_class::<VerifiedDpop>()?;
    m.add_class::<VerifiedClaims>()?;
    m.add_class::<PkcePair>()?;
    m.add_function(wrap_pyfunction!(pkce_challenge, m)?)?;
    m.add_function(wrap_pyfunction!(pkce_verify, m)?)?;
    m.add_function(wrap_pyfunction!(jwk_thumbprint, m)?)?;
    m.add_function(wrap_pyfunction!(dpop_ath, m)?)?;
    m.add_function(wrap_pyfunction!(profiles, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
