//! The resource server as a `tower` layer ([`FapiLayer`]), usable from
//! axum, hyper or any tower stack, and an axum extractor for the verified
//! claims (feature `axum`).
//!
//! The layer runs [`ResourceServer::verify_request`] on every request. A
//! verified request reaches the inner service with its [`VerifiedClaims`]
//! in the request extensions; a refused one is answered by the layer with
//! the status and headers of its [`crate::resource::ResourceError`], and
//! never reaches the inner service.
//!
//! Where the profile requires signed messages (BG-SIGNED-REQ under
//! `berlin`, FAPI 2.0 HTTP Signatures under `fapi2-ms`) the layer reads
//! the whole request body first (at most [`FapiLayer::body_limit`] bytes,
//! else `413` with [`fapi_core::Error::TooLarge`]), verifies the request
//! and its signature and `Content-Digest` over that body
//! ([`ResourceServer::verify_message`]), hands the inner service the same
//! bytes, then reads the whole response and signs it for the request
//! ([`ResourceServer::sign_response`]). The client certificate of a mutual TLS
//! connection is read from the [`ClientCertificate`] extension, which the
//! TLS terminator sets.
//!
//! With axum, add the layer with `Router::route_layer`: it then runs for
//! the routes that matched, and a path with no route stays `404`.
//! `Router::layer` runs it before routing, so every unknown path would be
//! refused `401` for want of a token.
//!
//! [`InteractionIdLayer`] gives every response its `x-fapi-interaction-id`
//! (FAPI 1.0 Part 1 §6.2.1-11): the client's UUID echoed, or a fresh one.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::sync::Arc;

use crate::resource::{ResourceServer, VerifiedClaims};

/// The DER of the client certificate of the request's TLS connection, set
/// as a request extension by whatever terminates TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCertificate(pub Arc<[u8]>);

/// A `tower` layer that guards every request with a [`ResourceServer`].
///
/// ```
/// use std::sync::Arc;
/// use axum::{Router, routing::get};
/// use fapi::layer::FapiLayer;
/// use fapi::resource::{ResourceServer, VerifiedClaims};
/// use fapi::{IssuerKeys, KeySet, SigningKey};
/// use fapi_core::{Alg, profile::Profile};
///
/// async fn accounts(claims: VerifiedClaims) -> String {
///     format!("accounts of {}", claims.subject)
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let as_jwks = KeySet::new(SigningKey::generate(Alg::Es256)?).jwks_json()?;
/// let rs = ResourceServer::builder(
///     Profile::FAPI2,
///     "https://as.bank.example",
///     "https://api.bank.example",
///     IssuerKeys::from_jwks_json(&as_jwks)?,
/// )
/// .build()?;
/// let app: Router = Router::new()
///     .route("/accounts", get(accounts))
///     .route_layer(FapiLayer::new(Arc::new(rs)).require_scope("accounts"));
/// # let _ = app; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct FapiLayer {
    rs: Arc<ResourceServer>,
    scope: Option<Arc<str>>,
    body_limit: usize,
}

/// The largest request body read by default where messages are signed:
/// 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

impl FapiLayer {
    /// Guards with `rs`.
    #[must_use]
    pub fn new(rs: Arc<ResourceServer>) -> Self {
        Self {
            rs,
            scope: None,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// The largest request body read where the profile requires signed
    /// messages (default [`DEFAULT_BODY_LIMIT`]); a larger one is refused
    /// with `413` and [`fapi_core::Error::TooLarge`].
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use fapi::{IssuerKeys, KeySet, ResourceServer, SigningKey};
    /// # use fapi_core::{Alg, profile::Profile};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let jwks = KeySet::new(SigningKey::generate(Alg::Es256)?).jwks_json()?;
    /// # let rs = Arc::new(ResourceServer::builder(Profile::FAPI2, "https://as.bank.example", "https://api.bank.example", IssuerKeys::from_jwks_json(&jwks)?).build()?);
    /// let layer = fapi::layer::FapiLayer::new(rs).body_limit(64 * 1024);
    /// # let _ = layer; Ok(()) }
    /// ```
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Also requires the token to carry `scope` (else 403
    /// `insufficient_scope`).
    #[must_use]
    pub fn require_scope(mut self, scope: &str) -> Self {
        self.scope = Some(scope.into());
        self
    }
}

impl<S> tower_layer::Layer<S> for FapiLayer {
    type Service = FapiService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FapiService {
            inner,
            rs: Arc::clone(&self.rs),
            scope: self.scope.clone(),
            body_limit: self.body_limit,
        }
    }
}

/// The service [`FapiLayer`] makes.
#[derive(Clone, Debug)]
pub struct FapiService<S> {
    inner: S,
    rs: Arc<ResourceServer>,
    scope: Option<Arc<str>>,
    body_limit: usize,
}

type BoxError = Box<dyn core::error::Error + Send + Sync>;

/// The signing profiles' path: the body read, the request and its
/// signature verified, the response read and signed.
#[allow(clippy::too_many_arguments, reason = "each is a separate input")]
async fn signed_call<S, ReqBody, ResBody>(
    mut inner: S,
    rs: Arc<ResourceServer>,
    scope: Option<Arc<str>>,
    limit: usize,
    method: String,
    uri: String,
    cert: Option<ClientCertificate>,
    request: http::Request<ReqBody>,
) -> Result<http::Response<ResBody>, S::Error>
where
    S: tower_service::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    ReqBody: http_body::Body + From<bytes::Bytes>,
    ReqBody::Error: Into<BoxError>,
    ResBody: http_body::Body + From<bytes::Bytes> + Default,
{
    use http_body_util::BodyExt;
    let (parts, body) = request.into_parts();
    let body = match http_body_util::Limited::new(body, limit).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return Ok(rs.refuse_too_large(&parts.headers).to_response());
        }
        Err(_) => {
            // The connection failed while the body was read.
            return Ok(rs
                .refuse_body(fapi_core::Error::Malformed, &parts.headers)
                .to_response());
        }
    };
    let verified = match rs
        .verify_message(
            &method,
            &uri,
            &parts.headers,
            &body,
            cert.as_ref().map(|c| &*c.0),
            scope.as_deref(),
        )
        .await
    {
        Ok(v) => v,
        Err(e) => return Ok(e.to_response()),
    };
    let mut request = http::Request::from_parts(parts, ReqBody::from(body));
    let _ = request.extensions_mut().insert(verified.claims().clone());
    let response = inner.call(request).await?;
    let (mut parts, body) = response.into_parts();
    // A response body that fails to read cannot be signed.
    let Ok(body) = body
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
    else {
        return Ok(rs
            .refuse_body(fapi_core::Error::SigningFailed, &parts.headers)
            .to_response());
    };
    if let Err(e) = rs.sign_response(&verified, parts.status.as_u16(), &mut parts.headers, &body) {
        return Ok(e.to_response());
    }
    Ok(http::Response::from_parts(parts, ResBody::from(body)))
}

impl<S, ReqBody, ResBody> tower_service::Service<http::Request<ReqBody>> for FapiService<S>
where
    S: tower_service::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    ReqBody: http_body::Body + From<bytes::Bytes> + Send + 'static,
    ReqBody::Data: Send,
    ReqBody::Error: Into<BoxError>,
    ResBody: http_body::Body + From<bytes::Bytes> + Default + Send + 'static,
    ResBody::Data: Send,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        // The clone that was polled ready serves this request.
        let clone = self.inner.clone();
        let mut inner = core::mem::replace(&mut self.inner, clone);
        let rs = Arc::clone(&self.rs);
        let scope = self.scope.clone();
        let limit = self.body_limit;
        Box::pin(async move {
            let cert = request.extensions().get::<ClientCertificate>().cloned();
            let target = request
                .uri()
                .path_and_query()
                .map_or_else(|| request.uri().to_string(), |p| p.as_str().to_owned());
            let uri = if request.uri().scheme().is_some() {
                request.uri().to_string()
            } else {
                target
            };
            let method = request.method().as_str().to_owned();
            if rs.profile().signed_messages_required {
                // BG-SIGNED-REQ, FAPI 2.0 HTTP Signatures: the body is read
                // so its digest is checked, and the response signed.
                return signed_call(inner, rs, scope, limit, method, uri, cert, request).await;
            }
            let verified = match scope.as_deref() {
                Some(s) => {
                    rs.verify_request_with_scope(
                        &method,
                        &uri,
                        request.headers(),
                        cert.as_ref().map(|c| &*c.0),
                        s,
                    )
                    .await
                }
                None => {
                    rs.verify_request(
                        &method,
                        &uri,
                        request.headers(),
                        cert.as_ref().map(|c| &*c.0),
                    )
                    .await
                }
            };
            match verified {
                Ok(claims) => {
                    let _ = request.extensions_mut().insert(claims);
                    let mut response = inner.call(request).await?;
                    if let Some(n) = rs
                        .dpop_nonce()
                        .and_then(|n| http::HeaderValue::from_str(&n).ok())
                    {
                        let _ = response.headers_mut().insert("dpop-nonce", n);
                    }
                    Ok(response)
                }
                Err(e) => Ok(e.to_response()),
            }
        })
    }
}

#[cfg(feature = "axum")]
impl<S: Send + Sync> axum_core::extract::FromRequestParts<S> for VerifiedClaims {
    type Rejection = (http::StatusCode, &'static str);

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        // Present only behind a FapiLayer; a route without it is a server
        // configuration fault, never an unauthenticated pass.
        parts.extensions.get::<VerifiedClaims>().cloned().ok_or((
            http::StatusCode::INTERNAL_SERVER_ERROR,
            "route is not guarded by fapi::layer::FapiLayer",
        ))
    }
}

/// A `tower` layer that gives every response the `x-fapi-interaction-id`
/// of FAPI 1.0 Part 1 §6.2.1-11 ([`fapi_core::interaction::respond`]):
/// the client's UUID echoed as sent, or a fresh version 4 UUID when it
/// sent none, on success and refusal alike. A request whose value is not
/// an RFC 4122 UUID (or that sends the header twice) is answered by the
/// layer, `400 invalid_request` (RFC 6750 §3.1) with a fresh id and the
/// value received in `error_description`, and never reaches the inner
/// service.
///
/// ```
/// use axum::{Router, routing::get};
/// use fapi::layer::InteractionIdLayer;
///
/// let app: Router = Router::new()
///     .route("/accounts", get(|| async { "[]" }))
///     .layer(InteractionIdLayer::new());
/// # let _ = app;
/// ```
#[derive(Clone, Debug, Default)]
pub struct InteractionIdLayer {
    rng: fapi_awslc::SystemRandom,
}

impl InteractionIdLayer {
    /// A layer drawing fresh ids from the system's random generator.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl<S> tower_layer::Layer<S> for InteractionIdLayer {
    type Service = InteractionIdService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        InteractionIdService {
            inner,
            rng: self.rng.clone(),
        }
    }
}

/// The service [`InteractionIdLayer`] makes.
#[derive(Clone, Debug)]
pub struct InteractionIdService<S> {
    inner: S,
    rng: fapi_awslc::SystemRandom,
}

/// The longest part of a refused value quoted back.
const QUOTED: usize = 64;

/// The layer's own answer: `status`, the OAuth error JSON, no-store, and
/// the interaction id when there is one.
fn interaction_refusal<B: From<String>>(
    status: http::StatusCode,
    error: fapi_core::OAuthError,
    description: &str,
    id: Option<fapi_core::interaction::InteractionId>,
) -> http::Response<B> {
    let body = serde_json::json!({"error": error.as_str(), "error_description": description});
    let mut r = http::Response::new(B::from(body.to_string()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    let _ = h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    let _ = h.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    if let Some(v) = id.and_then(|i| http::HeaderValue::from_str(i.as_str()).ok()) {
        let _ = h.insert(fapi_core::interaction::HEADER, v);
    }
    r
}

impl<S, ReqBody, ResBody> tower_service::Service<http::Request<ReqBody>> for InteractionIdService<S>
where
    S: tower_service::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String> + Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        use fapi_core::interaction::{self, Response};
        use fapi_core::{Error as CoreError, OAuthError, Site};
        let received: Vec<&[u8]> = request
            .headers()
            .get_all(interaction::HEADER)
            .iter()
            .map(http::HeaderValue::as_bytes)
            .collect();
        let answer = interaction::respond(&received, &self.rng);
        let refused = match (&answer, received.as_slice()) {
            (Ok(Response::Refused(_, e)), [one]) => {
                let got = String::from_utf8_lossy(one);
                let got: String = got.chars().take(QUOTED).collect();
                Some(format!(
                    "{e}: {} is not an RFC 4122 UUID: got {got:?}",
                    interaction::HEADER
                ))
            }
            (Ok(Response::Refused(_, e)), many) => Some(format!(
                "{e}: {} given {} times",
                interaction::HEADER,
                many.len()
            )),
            _ => None,
        };
        // The clone that was polled ready serves this request.
        let clone = self.inner.clone();
        let mut inner = core::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let id = match answer {
                Ok(Response::Echoed(id) | Response::Created(id)) => id,
                Ok(Response::Refused(id, _)) => {
                    // RFC 6750 §3.1: a malformed request is invalid_request.
                    return Ok(interaction_refusal(
                        http::StatusCode::BAD_REQUEST,
                        OAuthError::InvalidRequest,
                        refused.as_deref().unwrap_or(""),
                        Some(id),
                    ));
                }
                Err(e) => {
                    let oauth = e.oauth_error(Site::ResourceRequest);
                    let status = if e == CoreError::RandomFailed {
                        http::StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        http::StatusCode::INTERNAL_SERVER_ERROR
                    };
                    return Ok(interaction_refusal(status, oauth, &e.to_string(), None));
                }
            };
            let mut response = inner.call(request).await?;
            if let Ok(v) = http::HeaderValue::from_str(id.as_str()) {
                let _ = response.headers_mut().insert(interaction::HEADER, v);
            }
            Ok(response)
        })
    }
}
