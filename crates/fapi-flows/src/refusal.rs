//! A refusal: the typed error and where it happened, which decides the
//! OAuth error a server answers with.

use fapi_core::{Error, OAuthError, Site};

/// Why a simulated server refused a request: the [`Error`] and the
/// [`Site`] it happened at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The typed error.
    pub error: Error,
    /// Where it happened.
    pub site: Site,
}

impl Refusal {
    /// The OAuth error the server answers with.
    #[must_use]
    pub const fn oauth_error(&self) -> OAuthError {
        self.error.oauth_error(self.site)
    }
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} -> {}", self.error.name(), self.oauth_error())
    }
}

/// Attaches a [`Site`] to a core result.
pub trait At<T> {
    /// The result, its error refused at `site`.
    fn at(self, site: Site) -> Result<T, Refusal>;
}

impl<T> At<T> for Result<T, Error> {
    fn at(self, site: Site) -> Result<T, Refusal> {
        self.map_err(|error| Refusal { error, site })
    }
}
