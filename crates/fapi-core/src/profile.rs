//! The requirement sets as data: `fapi2`, `fapi2-plus`, `obie`, `ofb`,
//! `cdr` and `berlin`. Runtime checks read a [`Profile`]; none of them
//! hard-codes a set's numbers.

use crate::alg::Alg;
use crate::http_sig::SignatureAlgorithm;

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

/// Which `aud` values a `private_key_jwt` client assertion may carry.
///
/// The rule is the profile's: [`crate::assertion::verify_assertion`] reads
/// it from [`Profile::client_assertion_audience`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssertionAudience {
    /// FAPI 2.0 Security Profile (final) §5.3.2.1: the issuer identifier
    /// only, as a plain JSON string. The token endpoint URL, the PAR
    /// endpoint URL and every array (even `[issuer]`) are refused: an
    /// assertion made for one endpoint or server cannot be replayed at
    /// another (the audience-injection attack on `private_key_jwt`).
    IssuerString,
    /// RFC 7523 §3 and RFC 9126 §2: a value that identifies this
    /// authorization server: the issuer identifier, the token endpoint
    /// URL, or the URL the assertion was sent to; as the string or as a
    /// member of an array.
    IssuerOrEndpoint,
}

/// How access tokens are bound to the client (F2-SENDER).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenderConstraint {
    /// DPoP (RFC 9449): `cnf.jkt`.
    Dpop,
    /// MTLS certificate-bound (RFC 8705): `cnf.x5t#S256`.
    Mtls,
}

/// How the authorization response reaches the client: as query
/// parameters, or as one JWT in the `response` query parameter (JARM
/// `query.jwt`, which `jwt` means for the `code` response type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResponseMode {
    /// `query` (RFC 6749 §4.1.2).
    Query,
    /// `jwt` / `query.jwt` (JARM §2.3).
    Jwt,
}

impl ResponseMode {
    /// The `response_mode` value: `query` or `jwt`.
    ///
    /// ```
    /// assert_eq!(fapi_core::profile::ResponseMode::Jwt.name(), "jwt");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::Jwt => "jwt",
        }
    }
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
    /// FAPI 2.0 Security Profile with FAPI 2.0 Message Signing (final,
    /// 2025): signed requests, signed authorization responses (JARM),
    /// signed introspection responses.
    Fapi2Ms,
}

/// One requirement set, as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Which set.
    pub id: ProfileId,
    /// Its name: `fapi2`, `fapi2-plus`, `obie`, `ofb`, `cdr`, `berlin`,
    /// `fapi2-ms`.
    pub name: &'static str,
    /// Allowed signature algorithms.
    pub algs: &'static [Alg],
    /// Allowed client authentication methods.
    pub client_auth: &'static [ClientAuthMethod],
    /// The `aud` values a client assertion may carry (FAPI 2.0 final
    /// §5.3.2.1; RFC 7523 §3, RFC 9126 §2).
    pub client_assertion_audience: AssertionAudience,
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
    /// Whether an authorization request carrying `id_token_hint` (as a
    /// parameter or in its request object) is refused (Open Finance
    /// Brasil).
    pub id_token_hint_refused: bool,
    /// Whether user-consented access goes only through the authorization code
    /// flow: the client credentials grant is then refused for anything a user
    /// consented to (CDR-CODE-FLOW, BG-CODE-FLOW).
    pub code_flow_only: bool,
    /// Whether refresh tokens may be rotated (never, in these sets).
    pub refresh_rotation: bool,
    /// Whether refresh tokens must be introspectable (RFC 7662).
    pub refresh_introspection: bool,
    /// The access token claim that carries the consent id.
    pub consent_claim: Option<&'static str>,
    /// Response types allowed at the authorization endpoint (F2-FLOWS: only
    /// `code`).
    pub response_types: &'static [&'static str],
    /// Grant types allowed at the token endpoint (F2-FLOWS).
    pub grant_types: &'static [&'static str],
    /// Whether the authorization response must carry `iss` (RFC 9207,
    /// F2-ISS).
    pub iss_required: bool,
    /// Whether redirect URIs must be `https` (F2-TLS-RESP).
    pub https_redirect_required: bool,
    /// Refresh token lifetime (CDR: more than 28 days, at most one year).
    /// A lifetime of 0 is never allowed.
    pub refresh_token_ttl: Seconds,
    /// Whether a refresh token lives at most as long as the sharing
    /// arrangement the user approved (CDR: `sharing_duration`; 0 or absent
    /// means no refresh token).
    pub refresh_within_sharing_duration: bool,
    /// JWE key management algorithms allowed, when restricted (OFB-ALG,
    /// CDR-ALG).
    pub jwe_algs: Option<&'static [&'static str]>,
    /// JWE content encryption algorithms allowed, when restricted.
    pub jwe_encs: Option<&'static [&'static str]>,
    /// TLS cipher suites (IANA names) the server must support (OFB-TLS).
    pub tls_suites: &'static [&'static str],
    /// Whether only TLS 1.2 or newer is allowed (BG-MTLS).
    pub tls12_required: bool,
    /// The conformance certification the server must hold (OB-FAPI1).
    pub required_conformance: Option<&'static str>,
    /// Whether resource requests and responses are signed HTTP messages
    /// (RFC 9421 under FAPI 2.0 HTTP Signatures: [`crate::http_sig`]): the
    /// client signs its requests (BG-SIGNED-REQ, `fapi2-ms`) and the
    /// resource server its responses. The algorithms are
    /// [`Profile::http_sig_algs`].
    pub signed_messages_required: bool,
    /// Whether authorization responses must be JWT-secured (JARM): a
    /// pushed request without `response_mode=jwt` is refused
    /// ([`Profile::check_response_mode`]; FAPI 2.0 Message Signing §5.4).
    pub jarm_required: bool,
    /// Whether introspection responses are signed JWTs (RFC 9701; FAPI 2.0
    /// Message Signing §5.6).
    pub signed_introspection_required: bool,
    /// Whether the ID token must carry the consent id as
    /// `openbanking_intent_id` (OB-INTENT): the issuer writes it and the
    /// client requires it.
    pub intent_in_id_token: bool,
    /// The `acr` values an ID token may carry, when the set requires one
    /// (CDR: `urn:cds.au:cdr:2`, `urn:cds.au:cdr:3`): the issuer writes one
    /// of them and the client requires one of them.
    pub id_token_acr_values: Option<&'static [&'static str]>,
    /// Every requirement ID of `requirements.md` that belongs to this set.
    pub requirements: &'static [&'static str],
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
// F2-FLOWS: only the authorization code response type.
const CODE_ONLY: &[&str] = &["code"];
// F2-FLOWS: authorization code and client credentials (and refresh tokens);
// never implicit or password.
const FAPI_GRANTS: &[&str] = &["authorization_code", "client_credentials", "refresh_token"];
// OFB-TLS: the two suites the paper lists.
const OFB_TLS_SUITES: &[&str] = &[
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
];
/// The conformance profile UK Open Banking requires (OB-FAPI1).
pub const FAPI1_ADVANCED: &str = "fapi1-advanced-final";
/// One year, the longest CDR sharing arrangement.
pub const ONE_YEAR: u64 = 365 * 24 * 3600;
/// The shortest CDR refresh token lifetime: more than 28 days.
pub const CDR_REFRESH_MIN_TTL: u64 = 28 * 24 * 3600 + 1;

const FAPI2_IDS: &[&str] = &[
    "F2-CONF-CLIENT",
    "F2-METADATA",
    "F2-FLOWS",
    "F2-CLIENT-AUTH",
    "F2-PAR",
    "F2-PAR-TTL",
    "F2-ISS",
    "F2-CODE-ONCE",
    "F2-CODE-TTL",
    "F2-ALG",
    "F2-PKCE",
    "F2-TLS-RESP",
    "F2-SENDER",
    "F2-RT-NO-ROTATE",
    "F2-AS-INFO",
    "F2-CLIENT-INFO",
];
const FAPI2_PLUS_IDS: &[&str] = &[
    "F2-CONF-CLIENT",
    "F2-METADATA",
    "F2-FLOWS",
    "F2-CLIENT-AUTH",
    "F2-PAR",
    "F2-PAR-TTL",
    "F2-ISS",
    "F2-CODE-ONCE",
    "F2-CODE-TTL",
    "F2-ALG",
    "F2-PKCE",
    "F2-TLS-RESP",
    "F2-SENDER",
    "F2-RT-NO-ROTATE",
    "F2-AS-INFO",
    "F2-CLIENT-INFO",
    "CDR-AT-TTL",
    "CDR-PAR-TTL",
    "CDR-REQ-TTL",
    "CDR-CODE-FLOW",
    "CDR-INTROSPECT",
];
const OBIE_IDS: &[&str] = &["OB-FAPI1", "OB-ALG", "OB-REQOBJ", "OB-SENDER", "OB-INTENT"];
const OFB_IDS: &[&str] = &[
    "OFB-CLIENT-AUTH",
    "OFB-METADATA",
    "OFB-PAR",
    "OFB-PAR-TTL",
    "OFB-PKCE",
    "OFB-AT-TTL",
    "OFB-RT-NO-ROTATE",
    "OFB-ALG",
    "OFB-TLS",
    "OFB-CONF-CLIENT",
];
const CDR_IDS: &[&str] = &[
    "CDR-CLIENT-AUTH",
    "CDR-CONF-CLIENT",
    "CDR-CODE-FLOW",
    "CDR-CODE-ONCE",
    "CDR-PAR",
    "CDR-PAR-TTL",
    "CDR-PKCE",
    "CDR-REQ-TTL",
    "CDR-AT-TTL",
    "CDR-RT-NO-ROTATE",
    "CDR-INTROSPECT",
    "CDR-ALG",
    "CDR-HOK",
];
/// The CDR levels of assurance an ID token's `acr` names (Consumer Data
/// Standards, security profile: ID token).
pub const CDR_ACR_VALUES: &[&str] = &["urn:cds.au:cdr:2", "urn:cds.au:cdr:3"];
const BERLIN_IDS: &[&str] = &["BG-MTLS", "BG-SIGNED-REQ", "BG-CODE-FLOW", "BG-PKCE"];

impl Profile {
    /// FAPI 2.0 Security Profile (final).
    pub const FAPI2: Self = Self {
        id: ProfileId::Fapi2,
        name: "fapi2",
        // F2-ALG
        algs: ALL_ALGS,
        // F2-CLIENT-AUTH
        client_auth: FAPI2_AUTH,
        // F2-CLIENT-AUTH, FAPI 2.0 final §5.3.2.1: the issuer, as a string.
        client_assertion_audience: AssertionAudience::IssuerString,
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
        id_token_hint_refused: false,
        code_flow_only: false,
        // F2-RT-NO-ROTATE
        refresh_rotation: false,
        refresh_introspection: false,
        consent_claim: None,
        // F2-FLOWS
        response_types: CODE_ONLY,
        grant_types: FAPI_GRANTS,
        // F2-ISS
        iss_required: true,
        // F2-TLS-RESP
        https_redirect_required: true,
        refresh_token_ttl: Seconds::ANY,
        refresh_within_sharing_duration: false,
        jwe_algs: None,
        jwe_encs: None,
        tls_suites: &[],
        tls12_required: false,
        required_conformance: None,
        signed_messages_required: false,
        jarm_required: false,
        signed_introspection_required: false,
        intent_in_id_token: false,
        id_token_acr_values: None,
        requirements: FAPI2_IDS,
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
        requirements: FAPI2_PLUS_IDS,
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
        // FAPI 1.0 Advanced: RFC 7523 §3, RFC 9126 §2.
        client_assertion_audience: AssertionAudience::IssuerOrEndpoint,
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
        id_token_hint_refused: false,
        code_flow_only: false,
        refresh_rotation: false,
        refresh_introspection: false,
        // OB-INTENT
        consent_claim: Some("openbanking_intent_id"),
        // FAPI 1.0 Advanced also allows the hybrid `code id_token`.
        response_types: &["code", "code id_token"],
        grant_types: FAPI_GRANTS,
        iss_required: false,
        https_redirect_required: true,
        refresh_token_ttl: Seconds::ANY,
        refresh_within_sharing_duration: false,
        jwe_algs: None,
        jwe_encs: None,
        tls_suites: &[],
        tls12_required: true,
        // OB-FAPI1
        required_conformance: Some(FAPI1_ADVANCED),
        signed_messages_required: false,
        jarm_required: false,
        signed_introspection_required: false,
        // OB-INTENT: the consent id in the ID token.
        intent_in_id_token: true,
        id_token_acr_values: None,
        requirements: OBIE_IDS,
    };

    /// Open Finance Brasil security profile 1.0.
    pub const OFB: Self = Self {
        id: ProfileId::Ofb,
        name: "ofb",
        // OFB-ALG
        algs: PS256_ONLY,
        // OFB-CLIENT-AUTH
        client_auth: PKJ_ONLY,
        // Built on FAPI 1.0: RFC 7523 §3, RFC 9126 §2.
        client_assertion_audience: AssertionAudience::IssuerOrEndpoint,
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
        // Open Finance Brasil: requests with `id_token_hint` are refused.
        id_token_hint_refused: true,
        code_flow_only: false,
        // OFB-RT-NO-ROTATE
        refresh_rotation: false,
        refresh_introspection: false,
        consent_claim: None,
        response_types: CODE_ONLY,
        grant_types: FAPI_GRANTS,
        iss_required: true,
        https_redirect_required: true,
        refresh_token_ttl: Seconds::ANY,
        refresh_within_sharing_duration: false,
        // OFB-ALG: RSA-OAEP with AES-256.
        jwe_algs: Some(&["RSA-OAEP"]),
        jwe_encs: Some(&["A256GCM"]),
        // OFB-TLS
        tls_suites: OFB_TLS_SUITES,
        tls12_required: true,
        required_conformance: None,
        signed_messages_required: false,
        jarm_required: false,
        signed_introspection_required: false,
        intent_in_id_token: false,
        id_token_acr_values: None,
        requirements: OFB_IDS,
    };

    /// Australia Consumer Data Right.
    pub const CDR: Self = Self {
        id: ProfileId::Cdr,
        name: "cdr",
        // CDR-ALG
        algs: PS256_ES256,
        // CDR-CLIENT-AUTH
        client_auth: PKJ_ONLY,
        // CDR: `aud` the issuer, the token endpoint or the invoked URL
        // (RFC 7523 §3, RFC 9126 §2).
        client_assertion_audience: AssertionAudience::IssuerOrEndpoint,
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
        id_token_hint_refused: false,
        // CDR-CODE-FLOW
        code_flow_only: true,
        // CDR-RT-NO-ROTATE
        refresh_rotation: false,
        // CDR-INTROSPECT
        refresh_introspection: true,
        consent_claim: Some("cdr_arrangement_id"),
        response_types: CODE_ONLY,
        grant_types: FAPI_GRANTS,
        iss_required: true,
        https_redirect_required: true,
        // Refresh tokens live more than 28 days, up to the sharing duration,
        // at most one year.
        refresh_token_ttl: Seconds::between(CDR_REFRESH_MIN_TTL, ONE_YEAR),
        refresh_within_sharing_duration: true,
        // CDR-ALG: RSA-OAEP with AES-128 or AES-256.
        jwe_algs: Some(&["RSA-OAEP", "RSA-OAEP-256"]),
        jwe_encs: Some(&["A128GCM", "A256GCM", "A128CBC-HS256", "A256CBC-HS512"]),
        tls_suites: &[],
        tls12_required: true,
        required_conformance: None,
        signed_messages_required: false,
        jarm_required: false,
        signed_introspection_required: false,
        intent_in_id_token: false,
        // CDR (Consumer Data Standards, ID token): `acr` is required, one of
        // the two CDR levels of assurance.
        id_token_acr_values: Some(CDR_ACR_VALUES),
        requirements: CDR_IDS,
    };

    /// Berlin Group openFinance.
    pub const BERLIN: Self = Self {
        id: ProfileId::Berlin,
        name: "berlin",
        algs: ALL_ALGS,
        // BG-MTLS
        client_auth: &[ClientAuthMethod::TlsClientAuth],
        // The Berlin Group framework builds on OAuth 2.0 and RFC 8705, not
        // on FAPI 2.0, so RFC 7523 §3 is its rule for assertions. It allows
        // `tls_client_auth` only (BG-MTLS): no assertion reaches this rule.
        client_assertion_audience: AssertionAudience::IssuerOrEndpoint,
        sender: MTLS_ONLY,
        access_token_ttl: Seconds::ANY,
        par_ttl: Seconds::between(1, 599),
        code_ttl: Seconds::between(1, 60),
        request_object_max_ttl: None,
        par_required: false,
        signed_request_required: false,
        // BG-PKCE
        pkce_required: true,
        id_token_hint_refused: false,
        // BG-CODE-FLOW
        code_flow_only: true,
        refresh_rotation: false,
        refresh_introspection: false,
        consent_claim: None,
        // BG-CODE-FLOW
        response_types: CODE_ONLY,
        grant_types: FAPI_GRANTS,
        iss_required: false,
        https_redirect_required: true,
        refresh_token_ttl: Seconds::ANY,
        refresh_within_sharing_duration: false,
        jwe_algs: None,
        jwe_encs: None,
        tls_suites: &[],
        // BG-MTLS: TLS 1.2 or newer.
        tls12_required: true,
        required_conformance: None,
        // BG-SIGNED-REQ
        signed_messages_required: true,
        jarm_required: false,
        signed_introspection_required: false,
        intent_in_id_token: false,
        id_token_acr_values: None,
        requirements: BERLIN_IDS,
    };

    /// FAPI 2.0 Security Profile (final) with FAPI 2.0 Message Signing
    /// (final, 2025): every FAPI 2.0 rule, and signed authorization
    /// requests at the PAR endpoint (§5.3), JWT-secured authorization
    /// responses (JARM, §5.4), signed introspection responses (RFC 9701,
    /// §5.6), signed ID tokens, and signed resource requests and responses
    /// (FAPI 2.0 HTTP Signatures, RFC 9421).
    ///
    /// ```
    /// use fapi_core::profile::Profile;
    /// let p = Profile::from_name("fapi2-ms")?;
    /// assert!(p.signed_request_required && p.jarm_required && p.signed_introspection_required);
    /// assert_eq!(p.requirements, Profile::FAPI2.requirements);
    /// # Ok::<(), fapi_core::Error>(())
    /// ```
    pub const FAPI2_MS: Self = Self {
        id: ProfileId::Fapi2Ms,
        name: "fapi2-ms",
        // FAPI 2.0 Message Signing §5.3.2.1: `exp - nbf` and the age of
        // `nbf` at most 60 minutes.
        request_object_max_ttl: Some(3600),
        // FAPI 2.0 Message Signing §5.3.2.1: signed requests (JAR) only.
        signed_request_required: true,
        // FAPI 2.0 Message Signing §5.4: JWT-secured authorization
        // responses, `iss` inside the JWT (F2-ISS).
        jarm_required: true,
        // FAPI 2.0 Message Signing §5.6: signed introspection responses.
        signed_introspection_required: true,
        // FAPI 2.0 HTTP Signatures (RFC 9421): signed resource requests and
        // responses.
        signed_messages_required: true,
        // Every other rule is FAPI 2.0's.
        ..Self::FAPI2
    };

    /// The seven profiles.
    pub const ALL: &'static [Profile] = &[
        Self::FAPI2,
        Self::FAPI2_PLUS,
        Self::OBIE,
        Self::OFB,
        Self::CDR,
        Self::BERLIN,
        Self::FAPI2_MS,
    ];

    /// The HTTP message signature algorithms (RFC 9421 §3.3) this profile
    /// allows, from its JOSE [`Profile::algs`]: ES256 gives
    /// `ecdsa-p256-sha256`, EdDSA `ed25519`, PS256 `rsa-pss-sha512` (the
    /// RSASSA-PSS of FAPI 2.0 HTTP Signatures). It builds the
    /// [`crate::http_sig::Policy`] of a signed resource request or response.
    ///
    /// ```
    /// use fapi_core::http_sig::{Policy, SignatureAlgorithm};
    /// use fapi_core::profile::Profile;
    /// let algs = Profile::BERLIN.http_sig_algs();
    /// assert!(algs.contains(&SignatureAlgorithm::EcdsaP256Sha256));
    /// let _policy = Policy::request(algs);
    /// ```
    #[must_use]
    pub const fn http_sig_algs(&self) -> &'static [SignatureAlgorithm] {
        use SignatureAlgorithm::{EcdsaP256Sha256 as Es, Ed25519 as Ed, RsaPssSha512 as Ps};
        let (mut ps, mut es, mut ed) = (false, false, false);
        let mut rest = self.algs;
        while let [a, tail @ ..] = rest {
            match a {
                Alg::Ps256 => ps = true,
                Alg::Es256 => es = true,
                Alg::EdDsa => ed = true,
            }
            rest = tail;
        }
        match (ps, es, ed) {
            (true, true, true) => &[Ps, Es, Ed],
            (true, true, false) => &[Ps, Es],
            (true, false, true) => &[Ps, Ed],
            (true, false, false) => &[Ps],
            (false, true, true) => &[Es, Ed],
            (false, true, false) => &[Es],
            (false, false, true) => &[Ed],
            (false, false, false) => &[],
        }
    }

    /// Whether requirement `id` belongs to this set.
    #[must_use]
    pub fn has(&self, id: &str) -> bool {
        self.requirements.contains(&id)
    }

    /// Checks a lifetime against a range: [`crate::Error::LifetimeTooLong`]
    /// above it, [`crate::Error::LifetimeTooShort`] below it.
    pub fn check_ttl(range: Seconds, ttl: u64) -> Result<(), crate::Error> {
        if ttl > range.max {
            Err(crate::Error::LifetimeTooLong)
        } else if ttl < range.min {
            Err(crate::Error::LifetimeTooShort)
        } else {
            Ok(())
        }
    }

    /// Checks whether an authorization request may carry `id_token_hint`
    /// (`present`): where [`Profile::id_token_hint_refused`] (Open Finance
    /// Brasil) it may not, [`crate::Error::InvalidParameter`]; the other
    /// sets follow OpenID Connect, where the hint is optional.
    pub const fn check_id_token_hint(&self, present: bool) -> Result<(), crate::Error> {
        if present && self.id_token_hint_refused {
            Err(crate::Error::InvalidParameter)
        } else {
            Ok(())
        }
    }

    /// The profile named `name` (`fapi2`, `fapi2-plus`, `obie`, `ofb`,
    /// `cdr`, `berlin`, `fapi2-ms`).
    pub fn from_name(name: &str) -> Result<Self, crate::Error> {
        Self::ALL
            .iter()
            .find(|p| p.name == name)
            .copied()
            .ok_or(crate::Error::ProfileViolation)
    }

    /// FAPI 2.0 Message Signing §5.4 (JARM §2.3): checks the
    /// `response_mode` of an authorization request where it enters (the
    /// PAR endpoint, or the request object's member). Where the profile
    /// requires JARM ([`Profile::jarm_required`]) only `jwt` and
    /// `query.jwt` pass, anything else (absent included) is
    /// [`crate::Error::ResponseModeRequired`]; elsewhere `query` and absent
    /// pass as well. Any other mode (`fragment`, `form_post`, unknown
    /// ones) is [`crate::Error::InvalidParameter`]: fapi answers in the
    /// query or in a JWT in the query.
    ///
    /// ```
    /// use fapi_core::profile::{Profile, ResponseMode};
    /// use fapi_core::Error;
    /// assert_eq!(Profile::FAPI2_MS.check_response_mode(Some("jwt")), Ok(ResponseMode::Jwt));
    /// assert_eq!(Profile::FAPI2_MS.check_response_mode(None), Err(Error::ResponseModeRequired));
    /// assert_eq!(Profile::FAPI2.check_response_mode(None), Ok(ResponseMode::Query));
    /// ```
    pub fn check_response_mode(&self, mode: Option<&str>) -> Result<ResponseMode, crate::Error> {
        let mode = match mode {
            None | Some("query") => ResponseMode::Query,
            Some("jwt" | "query.jwt") => ResponseMode::Jwt,
            Some(_) => return Err(crate::Error::InvalidParameter),
        };
        if self.jarm_required && mode != ResponseMode::Jwt {
            return Err(crate::Error::ResponseModeRequired);
        }
        Ok(mode)
    }

    /// Whether consents are CDR sharing arrangements (the consent claim is
    /// `cdr_arrangement_id`): the token response names the arrangement,
    /// and a new authorisation naming an arrangement the same client holds
    /// amends it (its older tokens are revoked once the new one succeeds).
    ///
    /// ```
    /// use fapi_core::profile::Profile;
    /// assert!(Profile::CDR.sharing_arrangements());
    /// assert!(!Profile::OBIE.sharing_arrangements());
    /// ```
    #[must_use]
    pub fn sharing_arrangements(&self) -> bool {
        self.consent_claim == Some("cdr_arrangement_id")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_lists_are_distinct_and_owned() {
        for p in Profile::ALL {
            for (i, a) in p.requirements.iter().enumerate() {
                assert!(
                    !p.requirements[i + 1..].contains(a),
                    "{} lists {a} twice",
                    p.name
                );
            }
            assert!(p.has(p.requirements[0]));
            assert!(!p.has("F2-NOPE"));
        }
        // fapi2-plus is every fapi2 rule plus the five stronger CDR rules.
        for id in Profile::FAPI2.requirements {
            assert!(Profile::FAPI2_PLUS.has(id), "{id}");
        }
        for id in [
            "CDR-AT-TTL",
            "CDR-PAR-TTL",
            "CDR-REQ-TTL",
            "CDR-CODE-FLOW",
            "CDR-INTROSPECT",
        ] {
            assert!(Profile::FAPI2_PLUS.has(id), "{id}");
        }
    }

    /// F2-RT-NO-ROTATE, OFB-RT-NO-ROTATE, CDR-RT-NO-ROTATE: no set rotates.
    #[test]
    fn no_set_rotates_refresh_tokens() {
        assert!(Profile::ALL.iter().all(|p| !p.refresh_rotation));
    }

    /// Open Finance Brasil refuses `id_token_hint`; the other five sets
    /// take it (OpenID Connect's optional hint).
    #[test]
    fn ofb_refuses_id_token_hint_the_others_take_it() {
        for p in Profile::ALL {
            assert_eq!(p.check_id_token_hint(false), Ok(()), "{}", p.name);
            let want = if p.id == ProfileId::Ofb {
                Err(crate::Error::InvalidParameter)
            } else {
                Ok(())
            };
            assert_eq!(p.check_id_token_hint(true), want, "{}", p.name);
        }
        assert_eq!(
            crate::Error::InvalidParameter
                .oauth_error(crate::Site::ParRequest)
                .as_str(),
            "invalid_request"
        );
        assert_eq!(
            crate::Error::InvalidParameter
                .oauth_error(crate::Site::RequestObject)
                .as_str(),
            "invalid_request_object"
        );
    }

    /// FAPI 2.0 Message Signing §5.4: under `fapi2-ms` a request without
    /// `response_mode=jwt` is refused; the other sets take `query` and
    /// JARM alike.
    #[test]
    fn fapi2_ms_5_4_response_mode_jwt_required() {
        let ms = Profile::FAPI2_MS;
        for mode in [None, Some("query")] {
            assert_eq!(
                ms.check_response_mode(mode),
                Err(crate::Error::ResponseModeRequired)
            );
        }
        assert_eq!(
            ms.check_response_mode(Some("query.jwt")),
            Ok(ResponseMode::Jwt)
        );
        for bad in ["fragment", "form_post", "fragment.jwt", "JWT", ""] {
            assert_eq!(
                ms.check_response_mode(Some(bad)),
                Err(crate::Error::InvalidParameter),
                "{bad}"
            );
        }
        for p in Profile::ALL.iter().filter(|p| p.id != ProfileId::Fapi2Ms) {
            assert!(!p.jarm_required, "{}", p.name);
            assert_eq!(p.check_response_mode(None), Ok(ResponseMode::Query));
            assert_eq!(p.check_response_mode(Some("jwt")), Ok(ResponseMode::Jwt));
        }
        assert_eq!(
            crate::Error::ResponseModeRequired
                .oauth_error(crate::Site::ParRequest)
                .as_str(),
            "invalid_request"
        );
    }

    /// FAPI 2.0 Message Signing: `fapi2-ms` is FAPI 2.0 with signed
    /// requests, JARM and signed introspection.
    #[test]
    fn fapi2_ms_is_fapi2_with_message_signing() {
        let ms = Profile::from_name("fapi2-ms").unwrap();
        assert_eq!(ms.id, ProfileId::Fapi2Ms);
        assert_eq!(ms.requirements, Profile::FAPI2.requirements);
        assert_eq!(ms.algs, Profile::FAPI2.algs);
        assert!(ms.signed_request_required && ms.par_required);
        assert!(ms.jarm_required && ms.signed_introspection_required);
        assert!(ms.signed_messages_required);
        assert_eq!(ms.request_object_max_ttl, Some(3600));
        assert_eq!(Profile::ALL.len(), 7);
        // OB-INTENT and the CDR acr are read by code, in their sets only.
        for p in Profile::ALL {
            assert_eq!(p.intent_in_id_token, p.id == ProfileId::Obie, "{}", p.name);
            assert_eq!(
                p.id_token_acr_values.is_some(),
                p.id == ProfileId::Cdr,
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn ttl_ranges() {
        assert_eq!(
            Profile::check_ttl(Profile::CDR.par_ttl, 91),
            Err(crate::Error::LifetimeTooLong)
        );
        assert_eq!(
            Profile::check_ttl(Profile::CDR.par_ttl, 9),
            Err(crate::Error::LifetimeTooShort)
        );
        assert_eq!(Profile::check_ttl(Profile::CDR.par_ttl, 90), Ok(()));
        assert_eq!(Profile::from_name("cdr"), Ok(Profile::CDR));
        assert_eq!(
            Profile::from_name("fapi3"),
            Err(crate::Error::ProfileViolation)
        );
    }

    /// BG-SIGNED-REQ and FAPI 2.0 HTTP Signatures: signed resource
    /// messages under `berlin` and `fapi2-ms` only, with the RFC 9421 §3.3
    /// algorithms of the profile's JOSE algorithms.
    #[test]
    fn bg_signed_req_rfc9421_3_3_profile_algorithms() {
        for p in Profile::ALL {
            assert_eq!(
                p.signed_messages_required,
                matches!(p.id, ProfileId::Berlin | ProfileId::Fapi2Ms),
                "{}",
                p.name
            );
            let algs = p.http_sig_algs();
            assert_eq!(algs.len(), p.algs.len(), "{}", p.name);
            for a in p.algs {
                let want = match a {
                    Alg::Ps256 => SignatureAlgorithm::RsaPssSha512,
                    Alg::Es256 => SignatureAlgorithm::EcdsaP256Sha256,
                    Alg::EdDsa => SignatureAlgorithm::Ed25519,
                };
                assert!(algs.contains(&want), "{} {}", p.name, want.name());
            }
        }
        assert_eq!(Profile::BERLIN.http_sig_algs(), SignatureAlgorithm::ALL);
    }
}
