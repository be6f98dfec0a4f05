//! Encrypted responses: an ID token, a JARM response or an RFC 9701
//! introspection response the issuer signed is encrypted to the client's
//! `"use":"enc"` key when the client registered the kind's
//! `*_encrypted_response_alg` (OpenID Connect Registration §2, JARM §3,
//! RFC 9701 §6): a nested JWT (RFC 7519 §5.2, `cty: "JWT"`), under the
//! profile's JWE allow-lists (OFB-ALG, CDR-ALG), checked by
//! `fapi_core::jwe::Policy`. A client that registered none gets the
//! signed JWT as it is.

use fapi::jwe::{self, ContentEnc, KeyAlg, Policy};
use fapi_core::Site;

use crate::app::App;
use crate::config::{ClientConfig, DEFAULT_ENC};
use crate::error::HttpError;

/// Which response is sealed: the registration fields it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `id_token_encrypted_response_alg`/`_enc`.
    IdToken,
    /// `authorization_encrypted_response_alg`/`_enc` (JARM).
    Authorization,
    /// `introspection_encrypted_response_alg`/`_enc` (RFC 9701).
    Introspection,
}

impl Kind {
    fn registered(self, c: &ClientConfig) -> (Option<&str>, Option<&str>) {
        let (alg, enc) = match self {
            Self::IdToken => (
                &c.id_token_encrypted_response_alg,
                &c.id_token_encrypted_response_enc,
            ),
            Self::Authorization => (
                &c.authorization_encrypted_response_alg,
                &c.authorization_encrypted_response_enc,
            ),
            Self::Introspection => (
                &c.introspection_encrypted_response_alg,
                &c.introspection_encrypted_response_enc,
            ),
        };
        (alg.as_deref(), enc.as_deref())
    }

    const fn site(self) -> Site {
        match self {
            Self::IdToken => Site::TokenRequest,
            Self::Authorization => Site::AuthorizationRequest,
            Self::Introspection => Site::Introspection,
        }
    }
}

/// `jwt` (signed by the issuer) as the client `client_id` registered to
/// receive `kind`: encrypted to its `"use":"enc"` key as a nested JWT, or
/// unchanged. The profile's JWE lists (OFB-ALG, CDR-ALG) are enforced
/// here as well as at start.
pub(crate) fn seal(
    app: &App,
    client_id: &str,
    kind: Kind,
    jwt: String,
) -> Result<String, HttpError> {
    let site = kind.site();
    let Some(c) = app.clients.get(client_id) else {
        return Ok(jwt);
    };
    let (Some(alg), enc) = kind.registered(c) else {
        return Ok(jwt);
    };
    let refuse = |e: fapi_core::Error| HttpError::at(e, site);
    let alg = KeyAlg::from_name(alg).map_err(refuse)?;
    let enc = ContentEnc::from_name(enc.unwrap_or(DEFAULT_ENC)).map_err(refuse)?;
    // OFB-ALG, CDR-ALG: the profile's key management and content
    // encryption algorithms only.
    Policy::from_profile(&app.profile)
        .check(alg, enc)
        .map_err(refuse)?;
    let jwks = c
        .jwks_json()
        .map_err(|_| refuse(fapi_core::Error::KeyNotFound))?
        .ok_or_else(|| refuse(fapi_core::Error::KeyNotFound))?;
    // RFC 7519 §5.2: signed, then encrypted; `cty` says so.
    jwe::encrypt(jwt.as_bytes(), &jwks, alg, enc, Some("JWT")).map_err(HttpError::from)
}
