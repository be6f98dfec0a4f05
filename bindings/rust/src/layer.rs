//! The resource server as a `tower` layer ([`FapiLayer`]), usable from
//! axum, hyper or any tower stack, and an axum extractor for the verified
//! claims (feature `axum`).
//!
//! The layer runs [`ResourceServer::verify_request`] on every request. A
//! verified request reaches the inner service with its [`VerifiedClaims`]
//! in the request extensions; a refused one is answered by the layer with
//! the status and headers of its [`crate::resource::ResourceError`], and
//! never reaches the inner service. The client certificate of a mutual TLS
//! connection is read from the [`ClientCertificate`] extension, which the
//! TLS terminator sets.

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
///     .layer(FapiLayer::new(Arc::new(rs)).require_scope("accounts"));
/// # let _ = app; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct FapiLayer {
    rs: Arc<ResourceServer>,
    scope: Option<Arc<str>>,
}

impl FapiLayer {
    /// Guards with `rs`.
    #[must_use]
    pub fn new(rs: Arc<ResourceServer>) -> Self {
        Self { rs, scope: None }
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
        }
    }
}

/// The service [`FapiLayer`] makes.
#[derive(Clone, Debug)]
pub struct FapiService<S> {
    inner: S,
    rs: Arc<ResourceServer>,
    scope: Option<Arc<str>>,
}

impl<S, ReqBody, ResBody> tower_service::Service<http::Request<ReqBody>> for FapiService<S>
where
    S: tower_service::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
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
