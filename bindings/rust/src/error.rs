//! The crate's error: a [`fapi_core::Error`] (its stable code and the OAuth
//! error it maps to) with the place it happened, or a key that could not be
//! loaded, with the reason the backend gave; where the values are known,
//! a [`Detail`] of what was expected and what came.
//!
//! `Display` names the error first and labels its code
//! (`dpop_uri (fapi error 601) at DpopProof: invalid_dpop_proof: htu:
//! expected …, got …`), so the code is not taken for an HTTP status.

use core::fmt;
use std::borrow::Cow;

use fapi_core::{OAuthError, Site};

pub use crate::detail::Detail;

/// Why a call of this crate refused its input or could not complete.
///
/// Every variant carries a [`fapi_core::Error`], so every failure has a
/// stable numeric code ([`Error::code`]) and the OAuth error a server
/// answers with ([`Error::oauth_error`]).
///
/// ```
/// use fapi::Error;
/// use fapi_core::Site;
///
/// let e = Error::at(fapi_core::Error::Replay, Site::DpopProof);
/// assert_eq!(e.code(), 409);
/// assert_eq!(e.oauth_error().as_str(), "invalid_dpop_proof");
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The core refused an input at `site`.
    Refused {
        /// The core's error.
        error: fapi_core::Error,
        /// Where it happened; it decides the OAuth error.
        site: Site,
    },
    /// A signing or verification key could not be loaded.
    Key(KeyError),
    /// The core refused a value at `site`: what was expected and what was
    /// got (never a secret: issuers, audiences, algorithm names).
    Mismatch {
        /// The core's error.
        error: fapi_core::Error,
        /// Where it happened.
        site: Site,
        /// What was expected (or allowed).
        expected: String,
        /// What was got.
        got: String,
    },
    /// The core refused an input at `site`, and this crate read back the
    /// values involved ([`Detail`]: `htu`, `aud`, a missing claim, a `kid`,
    /// `exp` against now).
    Detailed {
        /// The core's error.
        error: fapi_core::Error,
        /// Where it happened.
        site: Site,
        /// What was expected and what came.
        detail: Detail,
    },
    /// A document could not be fetched or read: the issuer's metadata or
    /// JWKS ([`crate::discover`]). An unreachable issuer or an HTTP status
    /// other than 200 is [`fapi_core::Error::StoreFailed`] (the keys'
    /// store failed: `temporarily_unavailable`), a body that is not JSON
    /// [`fapi_core::Error::Json`], one over the limit
    /// [`fapi_core::Error::TooLarge`].
    Fetch {
        /// The core's error.
        error: fapi_core::Error,
        /// The URL fetched.
        url: String,
        /// The HTTP status, when one came.
        status: Option<u16>,
        /// What the HTTP stack or the parser said.
        reason: String,
    },
}

impl Error {
    /// The core's `error` at `site`.
    #[must_use]
    pub const fn at(error: fapi_core::Error, site: Site) -> Self {
        Self::Refused { error, site }
    }

    /// The core error behind this one.
    #[must_use]
    pub const fn core(&self) -> fapi_core::Error {
        match self {
            Self::Refused { error, .. }
            | Self::Mismatch { error, .. }
            | Self::Detailed { error, .. }
            | Self::Fetch { error, .. } => *error,
            Self::Key(k) => k.error,
        }
    }

    /// The stable numeric code ([`fapi_core::Error::code`]).
    #[must_use]
    pub const fn code(&self) -> u16 {
        self.core().code()
    }

    /// Where the error happened (`None` for a key that did not load).
    #[must_use]
    pub const fn site(&self) -> Option<Site> {
        match self {
            Self::Refused { site, .. }
            | Self::Mismatch { site, .. }
            | Self::Detailed { site, .. } => Some(*site),
            Self::Key(_) | Self::Fetch { .. } => None,
        }
    }

    /// The OAuth error a server answers with. A key that did not load is a
    /// server configuration fault: `server_error`.
    #[must_use]
    pub const fn oauth_error(&self) -> OAuthError {
        match self {
            Self::Refused { error, site }
            | Self::Mismatch { error, site, .. }
            | Self::Detailed { error, site, .. } => error.oauth_error(*site),
            Self::Fetch {
                error: fapi_core::Error::StoreFailed,
                ..
            } => OAuthError::TemporarilyUnavailable,
            Self::Key(_) | Self::Fetch { .. } => OAuthError::ServerError,
        }
    }

    /// What was expected and what came, where this crate knows it.
    ///
    /// ```
    /// use fapi::{Detail, Error};
    /// use fapi_core::Site;
    ///
    /// let e = Error::detailed(
    ///     fapi_core::Error::Expired,
    ///     Site::ResourceRequest,
    ///     Detail::Expired { exp: 1_700_000_000, now: 1_700_000_100 },
    /// );
    /// assert_eq!(e.code(), 401);
    /// assert_eq!(
    ///     e.to_string(),
    ///     "expired (fapi error 401) at ResourceRequest: invalid_token: exp 1700000000 is 100 s before now 1700000100"
    /// );
    /// assert_eq!(e.detail().unwrap().to_string(), "exp 1700000000 is 100 s before now 1700000100");
    /// ```
    #[must_use]
    pub fn detail(&self) -> Option<Detail> {
        match self {
            Self::Detailed { detail, .. } => Some(detail.clone()),
            Self::Mismatch { expected, got, .. } => Some(Detail::Mismatch {
                field: "value",
                expected: expected.clone(),
                got: got.clone(),
            }),
            Self::Refused { .. } | Self::Key(_) | Self::Fetch { .. } => None,
        }
    }

    /// The core's `error` at `site`, with `detail`.
    #[must_use]
    pub const fn detailed(error: fapi_core::Error, site: Site, detail: Detail) -> Self {
        Self::Detailed {
            error,
            site,
            detail,
        }
    }

    /// The core's `error` at `site`, with `detail` when there is one.
    pub(crate) fn with_detail(error: fapi_core::Error, site: Site, detail: Option<Detail>) -> Self {
        match detail {
            Some(detail) => Self::detailed(error, site, detail),
            None => Self::at(error, site),
        }
    }
}

/// `name (fapi error N)`: the name first and the code labelled, so that it
/// does not read as an HTTP status.
pub(crate) struct Named(pub fapi_core::Error);

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (fapi error {})", self.0.name(), self.0.code())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused { error, site } => {
                write!(
                    f,
                    "{} at {site:?}: {}",
                    Named(*error),
                    error.oauth_error(*site)
                )
            }
            Self::Key(k) => k.fmt(f),
            Self::Mismatch {
                error,
                site,
                expected,
                got,
            } => write!(
                f,
                "{} at {site:?}: {}: expected {expected}, got {got}",
                Named(*error),
                error.oauth_error(*site)
            ),
            Self::Detailed {
                error,
                site,
                detail,
            } => write!(
                f,
                "{} at {site:?}: {}: {detail}",
                Named(*error),
                error.oauth_error(*site)
            ),
            Self::Fetch {
                error, url, reason, ..
            } => write!(f, "{} fetching {url}: {reason}", Named(*error)),
        }
    }
}

impl Error {
    /// The core's `error` at `site`, naming what was `expected` and what
    /// was `got` (values that are not secrets).
    ///
    /// ```
    /// use fapi::Error;
    /// let e = Error::mismatch(fapi_core::Error::WrongIssuer, fapi_core::Site::AuthorizationRequest, "https://as", "https://evil");
    /// assert!(e.to_string().contains("expected https://as, got https://evil"));
    /// assert_eq!(e.code(), 406);
    /// ```
    #[must_use]
    pub fn mismatch(
        error: fapi_core::Error,
        site: Site,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Self {
        Self::Mismatch {
            error,
            site,
            expected: expected.into(),
            got: got.into(),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Refused { error, .. }
            | Self::Mismatch { error, .. }
            | Self::Detailed { error, .. }
            | Self::Fetch { error, .. } => Some(error),
            Self::Key(k) => Some(k),
        }
    }
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        Self::Key(e)
    }
}

/// A key that could not be loaded: the core error it maps to and the reason
/// the parser or the backend gave (aws-lc's `KeyRejected`, a PKCS#11
/// `CKR_*` value, a malformed PEM label). The reason never holds key
/// material.
///
/// ```
/// use fapi::SigningKey;
///
/// let err = SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
///     .unwrap_err();
/// assert_eq!(err.error(), fapi_core::Error::InvalidKey);
/// assert!(err.reason().contains("PKCS#8"), "{err}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyError {
    error: fapi_core::Error,
    reason: Cow<'static, str>,
}

impl KeyError {
    /// `error`, for `reason`.
    #[must_use]
    pub fn new(error: fapi_core::Error, reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            error,
            reason: reason.into(),
        }
    }

    /// The core error: its code and OAuth mapping.
    #[must_use]
    pub const fn error(&self) -> fapi_core::Error {
        self.error
    }

    /// Why the key was refused, as the parser or the backend said it.
    #[must_use]
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", Named(self.error), self.reason)
    }
}

impl core::error::Error for KeyError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<fapi_core::KeyError> for KeyError {
    fn from(e: fapi_core::KeyError) -> Self {
        Self::new(e.error(), e.reason())
    }
}

/// Attaches a [`Site`] to a core result.
pub(crate) trait At<T> {
    /// The error, at `site`.
    fn at(self, site: Site) -> Result<T, Error>;
}

impl<T> At<T> for Result<T, fapi_core::Error> {
    fn at(self, site: Site) -> Result<T, Error> {
        self.map_err(|e| Error::at(e, site))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_oauth_errors_are_the_cores() {
        let e = Error::at(fapi_core::Error::CodeInvalid, Site::TokenRequest);
        assert_eq!(e.code(), 800);
        assert_eq!(e.oauth_error(), OAuthError::InvalidGrant);
        assert_eq!(e.site(), Some(Site::TokenRequest));
        assert_eq!(
            e.to_string(),
            "code_invalid (fapi error 800) at TokenRequest: invalid_grant"
        );
        let k = Error::from(KeyError::new(fapi_core::Error::WeakKey, "RSA-1024"));
        assert_eq!(k.code(), 203);
        assert_eq!(k.oauth_error(), OAuthError::ServerError);
        assert!(k.to_string().contains("RSA-1024"));
        assert_eq!(k.site(), None);
    }
}
