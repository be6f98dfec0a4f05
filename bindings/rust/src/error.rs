//! The crate's error: a [`fapi_core::Error`] (its stable code and the OAuth
//! error it maps to) with the place it happened, or a key that could not be
//! loaded, with the reason the backend gave.

use core::fmt;
use std::borrow::Cow;

use fapi_core::{OAuthError, Site};

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
            Self::Refused { error, .. } | Self::Mismatch { error, .. } => *error,
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
            Self::Refused { site, .. } | Self::Mismatch { site, .. } => Some(*site),
            Self::Key(_) => None,
        }
    }

    /// The OAuth error a server answers with. A key that did not load is a
    /// server configuration fault: `server_error`.
    #[must_use]
    pub const fn oauth_error(&self) -> OAuthError {
        match self {
            Self::Refused { error, site } | Self::Mismatch { error, site, .. } => {
                error.oauth_error(*site)
            }
            Self::Key(_) => OAuthError::ServerError,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused { error, site } => {
                write!(f, "{error} at {site:?}: {}", error.oauth_error(*site))
            }
            Self::Key(k) => k.fmt(f),
            Self::Mismatch {
                error,
                site,
                expected,
                got,
            } => write!(
                f,
                "{error} at {site:?}: {}: expected {expected}, got {got}",
                error.oauth_error(*site)
            ),
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
            Self::Refused { error, .. } | Self::Mismatch { error, .. } => Some(error),
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
        write!(f, "{}: {}", self.error, self.reason)
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
        assert!(e.to_string().contains("invalid_grant"));
        let k = Error::from(KeyError::new(fapi_core::Error::WeakKey, "RSA-1024"));
        assert_eq!(k.code(), 203);
        assert_eq!(k.oauth_error(), OAuthError::ServerError);
        assert!(k.to_string().contains("RSA-1024"));
        assert_eq!(k.site(), None);
    }
}
