//! The requirement sets as data: `fapi2`, `fapi2-plus`, `obie`, `ofb`,
//! `cdr` and `berlin`. Runtime checks read a [`Profile`]; none of them
//! hard-codes a set's numbers.

use crate::alg::Alg;

/// An inclusive range of seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seconds {
    /// The shortest allowed.
    pub min: u64,
    /// The longest allowed.
    pub max: u64,
}

impl Seconds {
    /// Any lifetime.
    pub const ANY: Self = Self { min: 0, max: u64::MAX };

    /// `min..=max`.
    #[must_use]
    pub const fn between(min: u64, max: u64) -> Self {
        Self { min, max }
    }

    /// Whether `s` lies in the range.
    #[must_use]
    pub const fn contains(&self, s: u64) -> bool {
        s >= self.min && s <= self.max
    }
}

/// A client authentication method (RFC 8414 `token_endpoint_auth_methods`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuthMethod {
    /// `private_key_jwt` (RFC 7523).
    PrivateKeyJwt,
    /// `tls_client_auth` (RFC 8705).
    TlsClientAuth,
    /// `self_signed_tls_client_auth` (RFC 8705).
    SelfSignedTlsClientAuth,
}

impl ClientAuthMethod {
    /// The metadata name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::TlsClientAuth => "tls_client_auth",
            Self::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
        }
    }
}

/// How access tokens are bound to the client (F2-SENDER).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenderConstraint {
    /// DPoP (RFC 9449): `cnf.jkt`.
    Dpop,
    /// MTLS certificate-bound (RFC 8705): `cnf.x5t#S256`.
    Mtls,
}

/// Which requirement set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProfileId {
    /// FAPI 2.0 Security Profile (final).
    Fapi2,
    /// FAPI 2.0 plus the stronger overseas rules the paper recommends.
    Fapi2Plus,
    /// UK Open Banking.
    Obie,
    /// Open Finance Brasil.
    Ofb,
    /// Australia Consumer Data Right.
    Cdr,
    /// Berlin Group openFinance.
    Berlin,
}

/// One requirement set, as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Which set.
    pub id: ProfileId,
    /// Its name: `fapi2`, `fapi2-plus`, `obie`, `ofb`, `cdr`, `berlin`.
    pub name: &'static str,
    /// Allowed signature algorithms.
    pub algs: &'static [Alg],
    /// Allowed client authentication methods.
    pub client_auth: &'static [ClientAuthMethod],
    /// Allowed sender constraints for access tokens.
    pub sender: &'static [SenderConstraint],
    /// Access token lifetime.
    pub access_token_ttl: Seconds,
    /// PAR `request_uri` lifetime.
    pub par_ttl: Seconds,
    /// Authorization code lifetime.
    pub code_ttl: Seconds,
    /// Longest `exp - nbf` of a signed request object, when bounded.
    pub request_object_max_ttl: Option<u64>,
    /// Whether PAR is required.
    pub par_required: bool,
    /// Whether authorization requests must be signed request objects (JAR).
    pub signed_request_required: bool,
    /// Whether PKCE (S256) is required.
    pub pkce_required: bool,
    /// Whether the client credentials grant is refused (code flow only).
    pub code_flow_only: bool,
    /// Whether refresh tokens may be rotated (never, in these sets).
    pub refresh_rotation: bool,
    /// Whether refresh tokens must be introspectable (RFC 7662).
    pub refresh_introspection: bool,
    /// The access token claim that carries the consent id.
    pub consent_claim: Option<&'static str>,
}
