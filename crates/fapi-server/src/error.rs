//! Errors: [`ServeError`] (the server could not start or run) and
//! [`HttpError`] (a refused request, as the OAuth error JSON with its
//! status).
//!
//! Every refusal carries a [`fapi_core::Error`]: its stable numeric code is
//! in `error_description` and its [`Site`] decides the OAuth error. Where
//! fapi knows the values (a [`fapi::Detail`]: the proof's `htu` against the
//! request's, the token's `aud`, the `kid` asked for against the keys known,
//! `exp` against now), `error_description` and the refusal's log line say
//! what was expected and what came. A store
//! that fails ([`CoreError::StoreFailed`]: the backend is unreachable) is
//! `503 temporarily_unavailable`, never an acceptance.

use std::path::Path;

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fapi::resource::ResourceError;
use fapi_core::{OAuthError, Site};

use fapi_core::Error as CoreError;

/// Why the server could not start or run. Each variant has a stable code
/// ([`ServeError::code`]).
#[non_exhaustive]
#[derive(Debug)]
pub enum ServeError {
    /// A configuration value or file is wrong (code 1).
    Config(String),
    /// A file could not be read or written (code 2).
    Io(String),
    /// The TLS setup failed: certificates, keys, the development CA (code 3).
    Tls(String),
    /// The signing key, a lifetime or the issuer was refused by fapi (code 4).
    Key(fapi::Error),
    /// The listen address could not be bound (code 5).
    Bind(String),
    /// `--plain-http` on an address that is not loopback (code 6).
    PlainHttpNotLoopback,
}

impl ServeError {
    pub(crate) fn io(path: &Path, e: &std::io::Error) -> Self {
        Self::Io(format!("{}: {e}", path.display()))
    }

    /// The stable code.
    ///
    /// ```
    /// assert_eq!(fapi_server::ServeError::PlainHttpNotLoopback.code(), 6);
    /// ```
    #[must_use]
    pub const fn code(&self) -> u16 {
        match self {
            Self::Config(_) => 1,
            Self::Io(_) => 2,
            Self::Tls(_) => 3,
            Self::Key(_) => 4,
            Self::Bind(_) => 5,
            Self::PlainHttpNotLoopback => 6,
        }
    }
}

impl core::fmt::Display for ServeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Config(m) => write!(f, "configuration: {m}"),
            Self::Io(m) => write!(f, "file: {m}"),
            Self::Tls(m) => write!(f, "TLS: {m}"),
            Self::Key(e) => write!(f, "key or issuer: {e}"),
            Self::Bind(m) => write!(f, "listen: {m}"),
            Self::PlainHttpNotLoopback => {
                f.write_str("--plain-http is refused on an address that is not loopback")
            }
        }
    }
}

impl core::error::Error for ServeError {}

/// A refused request: the status, the OAuth error JSON body
/// (`{"error","error_description"}`) and headers (`DPoP-Nonce`,
/// `WWW-Authenticate`). Always `Cache-Control: no-store`.
///
/// ```
/// use fapi_server::HttpError;
/// use fapi_core::{Error, Site};
/// let e = HttpError::at(Error::CodeInvalid, Site::TokenRequest);
/// assert_eq!(e.status().as_u16(), 400);
/// assert_eq!(e.oauth_error(), "invalid_grant");
/// let down = HttpError::at(Error::StoreFailed, Site::TokenRequest);
/// assert_eq!(down.status().as_u16(), 503);
/// assert_eq!(down.oauth_error(), "temporarily_unavailable");
/// ```
#[derive(Debug, Clone)]
pub struct HttpError(Box<Refusal>);

/// What [`HttpError`] holds (boxed: handlers return it by value).
#[derive(Debug, Clone)]
struct Refusal {
    status: StatusCode,
    error: &'static str,
    code: Option<CoreError>,
    description: Option<String>,
    /// What was expected and what came, where fapi said it.
    detail: Option<String>,
    headers: HeaderMap,
}

impl HttpError {
    /// The core's `error` at `site`.
    #[must_use]
    pub fn at(error: CoreError, site: Site) -> Self {
        Self::from(fapi::Error::at(error, site))
    }

    /// An OAuth error without a core error behind it, e.g.
    /// `unsupported_grant_type` for a grant the server does not know.
    #[must_use]
    pub fn oauth(status: StatusCode, error: OAuthError, description: &str) -> Self {
        Self(Box::new(Refusal {
            status,
            error: error.as_str(),
            code: None,
            description: Some(description.into()),
            detail: None,
            headers: HeaderMap::new(),
        }))
    }

    /// `400 invalid_request` with `description`.
    #[must_use]
    pub fn bad_request(description: &str) -> Self {
        Self::oauth(
            StatusCode::BAD_REQUEST,
            OAuthError::InvalidRequest,
            description,
        )
    }

    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The OAuth error code.
    #[must_use]
    pub fn oauth_error(&self) -> &'static str {
        self.0.error
    }

    /// The core error, if one is behind this.
    #[must_use]
    pub fn core(&self) -> Option<CoreError> {
        self.0.code
    }

    /// The same refusal answered with `status`.
    #[must_use]
    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.0.status = status;
        self
    }

    /// The same refusal with `description` as its `error_description`.
    #[must_use]
    pub(crate) fn with_description(mut self, description: String) -> Self {
        self.0.description = Some(description);
        self
    }

    /// What the request log and the metrics learn of this refusal.
    pub(crate) fn refused(&self) -> Refused {
        Refused {
            code: self.0.code,
            oauth_error: self.0.error,
            detail: if self.0.code.is_none() {
                self.0.description.clone()
            } else {
                self.0.detail.clone()
            },
        }
    }

    /// Adds a response header.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            let _ = self.0.headers.insert(name, v);
        }
        self
    }

    /// The status an OAuth error is answered with (RFC 6749 §5.2, RFC 6750
    /// §3.1, RFC 9449 §7.1).
    #[must_use]
    pub fn status_of(error: OAuthError) -> StatusCode {
        match error {
            OAuthError::InvalidClient | OAuthError::InvalidToken => StatusCode::UNAUTHORIZED,
            OAuthError::InsufficientScope | OAuthError::AccessDenied => StatusCode::FORBIDDEN,
            OAuthError::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            OAuthError::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<fapi::Error> for HttpError {
    fn from(e: fapi::Error) -> Self {
        let core = e.core();
        // A store backend that fails is unavailable, never an acceptance
        // and never a client error.
        let oauth = if core == CoreError::StoreFailed {
            OAuthError::TemporarilyUnavailable
        } else {
            e.oauth_error()
        };
        // The code first (`fapi error N (name)`, where clients read it),
        // then what was expected and what came.
        let detail = e.detail().map(|d| d.to_string());
        let description = match &detail {
            Some(d) => format!("{core}: {d}"),
            None => core.to_string(),
        };
        Self(Box::new(Refusal {
            status: Self::status_of(oauth),
            error: oauth.as_str(),
            code: Some(core),
            description: Some(description),
            detail,
            headers: HeaderMap::new(),
        }))
    }
}

impl From<ResourceError> for HttpError {
    fn from(e: ResourceError) -> Self {
        let mut headers = e.headers();
        let core = e.error();
        let (status, error) = if core == Some(CoreError::StoreFailed) {
            (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
        } else {
            (
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED),
                e.oauth_error().map_or("invalid_token", OAuthError::as_str),
            )
        };
        let _ = headers.remove(header::CACHE_CONTROL);
        Self(Box::new(Refusal {
            status,
            error,
            code: core,
            description: e.description(),
            detail: e.detail().map(ToString::to_string),
            headers,
        }))
    }
}

/// What the request log and the metrics learn of a refusal (a response
/// extension): the core error, the OAuth error and, where no core error is
/// behind it, the description.
#[derive(Clone, Debug)]
pub(crate) struct Refused {
    pub code: Option<CoreError>,
    pub oauth_error: &'static str,
    pub detail: Option<String>,
}

#[derive(serde::Serialize)]
struct Body<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'a str>,
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let refused = self.refused();
        let e = *self.0;
        let body = Json(Body {
            error: e.error,
            error_description: e.description.as_deref(),
        });
        let mut r = (e.status, body).into_response();
        r.headers_mut().extend(e.headers);
        let _ = r.extensions_mut().insert(refused);
        let _ = r
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_failed_is_temporarily_unavailable_everywhere() {
        for site in [
            Site::TokenRequest,
            Site::ParRequest,
            Site::ClientAuthentication,
            Site::DpopProof,
            Site::Introspection,
        ] {
            let e = HttpError::at(CoreError::StoreFailed, site);
            assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(e.oauth_error(), "temporarily_unavailable");
        }
    }

    #[test]
    fn unknown_client_is_401_invalid_client() {
        let e = HttpError::at(CoreError::UnknownClient, Site::ClientAuthentication);
        assert_eq!(e.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(e.oauth_error(), "invalid_client");
    }
}
