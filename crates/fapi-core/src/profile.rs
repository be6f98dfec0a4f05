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
    pub const ANY: Self = Self {
        min: 0,
        max: u64::MAX,
    };

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

const ALL_ALGS: &[Alg] = &[Alg::Ps256, Alg::Es256, Alg::EdDsa];
const PS256_ONLY: &[Alg] = &[Alg::Ps256];
const PS256_ES256: &[Alg] = &[Alg::Ps256, Alg::Es256];
const FAPI2_AUTH: &[ClientAuthMethod] = &[
    ClientAuthMethod::PrivateKeyJwt,
    ClientAuthMethod::TlsClientAuth,
    ClientAuthMethod::SelfSignedTlsClientAuth,
];
const PKJ_ONLY: &[ClientAuthMethod] = &[ClientAuthMethod::PrivateKeyJwt];
const DPOP_OR_MTLS: &[SenderConstraint] = &[SenderConstraint::Dpop, SenderConstraint::Mtls];
const MTLS_ONLY: &[SenderConstraint] = &[SenderConstraint::Mtls];

impl Profile {
    /// FAPI 2.0 Security Profile (final).
    pub const FAPI2: Self = Self {
        id: ProfileId::Fapi2,
        name: "fapi2",
        // F2-ALG
        algs: ALL_ALGS,
        // F2-CLIENT-AUTH
        client_auth: FAPI2_AUTH,
        // F2-SENDER
        sender: DPOP_OR_MTLS,
        access_token_ttl: Seconds::ANY,
        // F2-PAR-TTL: under 600 s.
        par_ttl: Seconds::between(1, 599),
        // F2-CODE-TTL: at most 60 s.
        code_ttl: Seconds::between(1, 60),
        request_object_max_ttl: None,
        // F2-PAR
        par_required: true,
        signed_request_required: false,
        // F2-PKCE
        pkce_required: true,
        code_flow_only: false,
        // F2-RT-NO-ROTATE
        refresh_rotation: false,
        refresh_introspection: false,
        consent_claim: None,
    };

    /// FAPI 2.0 plus the stronger overseas rules: CDR-AT-TTL, CDR-PAR-TTL,
    /// CDR-REQ-TTL, CDR-CODE-FLOW and CDR-INTROSPECT.
    pub const FAPI2_PLUS: Self = Self {
        id: ProfileId::Fapi2Plus,
        name: "fapi2-plus",
        access_token_ttl: Seconds::between(120, 600),
        par_ttl: Seconds::between(10, 90),
        request_object_max_ttl: Some(3600),
        code_flow_only: true,
        refresh_introspection: true,
        ..Self::FAPI2
    };

    /// UK Open Banking (FAPI 1.0 Advanced).
    pub const OBIE: Self = Self {
        id: ProfileId::Obie,
        name: "obie",
        // OB-ALG
        algs: PS256_ONLY,
        client_auth: &[
            ClientAuthMethod::PrivateKeyJwt,
            ClientAuthMethod::TlsClientAuth,
        ],
        // OB-SENDER
        sender: MTLS_ONLY,
        access_token_ttl: Seconds::ANY,
        par_ttl: Seconds::between(1, 599),
        code_ttl: Seconds::between(1, 60),
        // OB-REQOBJ
        request_object_max_ttl: Some(3600),
        par_required: false,
        signed_request_required: true,
        pkce_required: true,
        code_flow_only: false,
        refresh_rotation: false,
        refresh_introspection: false,
        // OB-INTENT
        consent_claim: Some("openbanking_intent_id"),
    };

    /// Open Finance Brasil security profile 1.0.
    pub const OFB: Self = Self {
        id: ProfileId::Ofb,
        name: "ofb",
        // OFB-ALG
        algs: PS256_ONLY,
        // OFB-CLIENT-AUTH
        client_auth: PKJ_ONLY,
        sender: MTLS_ONLY,
        // OFB-AT-TTL
        access_token_ttl: Seconds::between(300, 900),
        // OFB-PAR-TTL: at least 60 s, and under 600 s as FAPI 2.0.
        par_ttl: Seconds::between(60, 599),
        code_ttl: Seconds::between(1, 60),
        request_object_max_ttl: None,
        // OFB-PAR
        par_required: true,
        signed_request_required: true,
        // OFB-PKCE
        pkce_required: true,
        code_flow_only: false,
        // OFB-RT-NO-ROTATE
        refresh_rotation: false,
        refresh_introspection: false,
        consent_claim: None,
    };

    /// Australia Consumer Data Right.
    pub const CDR: Self = Self {
        id: ProfileId::Cdr,
        name: "cdr",
        // CDR-ALG
        algs: PS256_ES256,
        // CDR-CLIENT-AUTH
        client_auth: PKJ_ONLY,
        // CDR-HOK
        sender: MTLS_ONLY,
        // CDR-AT-TTL
        access_token_ttl: Seconds::between(120, 600),
        // CDR-PAR-TTL
        par_ttl: Seconds::between(10, 90),
        code_ttl: Seconds::between(1, 60),
        // CDR-REQ-TTL
        request_object_max_ttl: Some(3600),
        // CDR-PAR
        par_required: true,
        signed_request_required: true,
        // CDR-PKCE
        pkce_required: true,
        // CDR-CODE-FLOW
        code_flow_only: true,
        // CDR-RT-NO-ROTATE
        refresh_rotation: false,
        // CDR-INTROSPECT
        refresh_introspection: true,
        consent_claim: Some("cdr_arrangement_id"),
    };

    /// Berlin Group openFinance.
    pub const BERLIN: Self = Self {
        id: ProfileId::Berlin,
        name: "berlin",
        algs: ALL_ALGS,
        // BG-MTLS
        client_auth: &[ClientAuthMethod::TlsClientAuth],
        sender: MTLS_ONLY,
        access_token_ttl: Seconds::ANY,
        par_ttl: Seconds::between(1, 599),
        code_ttl: Seconds::between(1, 60),
        request_object_max_ttl: None,
        par_required: false,
        signed_request_required: false,
        // BG-PKCE
        pkce_required: true,
        // BG-CODE-FLOW
        code_flow_only: true,
        refresh_rotation: false,
        refresh_introspection: false,
        consent_claim: None,
    };

    /// The six profiles.
    pub const ALL: &'static [Profile] = &[
        Self::FAPI2,
        Self::FAPI2_PLUS,
        Self::OBIE,
        Self::OFB,
        Self::CDR,
        Self::BERLIN,
    ];

    /// The profile named `name` (`fapi2`, `fapi2-plus`, `obie`, `ofb`,
    /// `cdr`, `berlin`).
    pub fn from_name(name: &str) -> Result<Self, crate::Error> {
        Self::ALL
            .iter()
            .find(|p| p.name == name)
            .copied()
            .ok_or(crate::Error::ProfileViolation)
    }
}
