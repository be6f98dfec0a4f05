//! The requirement IDs and their rules: one table, the digest of
//! `shared/spec/requirements.md` (the paper's sets and the specifications
//! they cite) carried in the crate, so that `fapi explain` and
//! `docs/requirements.md` need nothing outside the repository. The test
//! `tests/requirements_catalogue.rs` checks it against that file when it
//! is present.
//!
//! Data only, no dependencies: the test includes this file by path.

/// One requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// The stable ID.
    pub id: &'static str,
    /// The requirement set it comes from (`fapi2`, `obie`, `ofb`, `cdr`,
    /// `berlin`).
    pub set: &'static str,
    /// The rule, as the digest states it (Markdown).
    pub rule: &'static str,
}

/// The sets, their source documents.
pub const SETS: &[(&str, &str)] = &[
    ("fapi2", "FAPI 2.0 Security Profile (final, Feb 2025)"),
    ("obie", "UK Open Banking"),
    ("ofb", "Open Finance Brasil security profile 1.0 ID3"),
    (
        "cdr",
        "Australia Consumer Data Right, Information Security Profile",
    ),
    (
        "berlin",
        "Berlin Group openFinance Protocol Functions and Security Measures 2.3",
    ),
];

/// Every requirement, in the digest's order.
pub const REQUIREMENTS: &[Requirement] = &[
    Requirement {
        id: "F2-CONF-CLIENT",
        set: "fapi2",
        rule: "only confidential clients (they hold signing keys)",
    },
    Requirement {
        id: "F2-METADATA",
        set: "fapi2",
        rule: "AS publishes metadata per RFC 8414 / OpenID Connect Discovery",
    },
    Requirement {
        id: "F2-FLOWS",
        set: "fapi2",
        rule: "implicit and resource-owner-password grants are refused; only authorization code and client credentials",
    },
    Requirement {
        id: "F2-CLIENT-AUTH",
        set: "fapi2",
        rule: "client authentication is `tls_client_auth`/`self_signed_tls_client_auth` (RFC 8705) or `private_key_jwt`; nothing else (no client secrets)",
    },
    Requirement {
        id: "F2-PAR",
        set: "fapi2",
        rule: "pushed authorization requests (RFC 9126) required; an authorization request without a PAR `request_uri` is refused; the client is authenticated at the PAR endpoint",
    },
    Requirement {
        id: "F2-PAR-TTL",
        set: "fapi2",
        rule: "PAR `request_uri` lifetime under 600 s [paper]",
    },
    Requirement {
        id: "F2-ISS",
        set: "fapi2",
        rule: "the authorization response carries `iss` (RFC 9207) and the client checks it",
    },
    Requirement {
        id: "F2-CODE-ONCE",
        set: "fapi2",
        rule: "an authorization code is accepted at most once",
    },
    Requirement {
        id: "F2-CODE-TTL",
        set: "fapi2",
        rule: "authorization code lifetime at most 60 s [paper]",
    },
    Requirement {
        id: "F2-ALG",
        set: "fapi2",
        rule: "signatures PS256, ES256 or EdDSA (Ed25519) only; RSA keys at least 2048 bits; EC/EdDSA keys at least 224 bits [paper]; `none`, HS*, RS* refused",
    },
    Requirement {
        id: "F2-PKCE",
        set: "fapi2",
        rule: "PKCE (RFC 7636) required, method S256 only",
    },
    Requirement {
        id: "F2-TLS-RESP",
        set: "fapi2",
        rule: "authorization responses never travel unencrypted (https redirect URIs)",
    },
    Requirement {
        id: "F2-SENDER",
        set: "fapi2",
        rule: "only sender-constrained access tokens: DPoP (RFC 9449) or MTLS certificate-bound (RFC 8705)",
    },
    Requirement {
        id: "F2-RT-NO-ROTATE",
        set: "fapi2",
        rule: "refresh tokens are not rotated (except in exceptional cases)",
    },
    Requirement {
        id: "F2-AS-INFO",
        set: "fapi2",
        rule: "the AS shows the user the client identity and the scope before consent",
    },
    Requirement {
        id: "F2-CLIENT-INFO",
        set: "fapi2",
        rule: "the client starts authorization only on the user's action and says so",
    },
    Requirement {
        id: "OB-FAPI1",
        set: "obie",
        rule: "FAPI 1.0 Advanced is mandatory (no profile of its own); products must pass the OpenID Foundation conformance tests",
    },
    Requirement {
        id: "OB-ALG",
        set: "obie",
        rule: "PS256 (FAPI 1.0 Advanced allows PS256 and ES256) (spec)",
    },
    Requirement {
        id: "OB-REQOBJ",
        set: "obie",
        rule: "signed request objects (JAR) with `exp`, `nbf`, `aud`; lifetime `exp - nbf` at most 60 min (FAPI 1.0 Advanced 5.2.2-13) (spec)",
    },
    Requirement {
        id: "OB-SENDER",
        set: "obie",
        rule: "MTLS certificate-bound access tokens (FAPI 1.0 Advanced) (spec)",
    },
    Requirement {
        id: "OB-INTENT",
        set: "obie",
        rule: "the consent id travels as the `openbanking_intent_id` claim (spec)",
    },
    Requirement {
        id: "OFB-CLIENT-AUTH",
        set: "ofb",
        rule: "client authentication by `private_key_jwt` only",
    },
    Requirement {
        id: "OFB-METADATA",
        set: "ofb",
        rule: "metadata via RFC 8414 or OpenID Connect Discovery",
    },
    Requirement {
        id: "OFB-PAR",
        set: "ofb",
        rule: "PAR required",
    },
    Requirement {
        id: "OFB-PAR-TTL",
        set: "ofb",
        rule: "PAR `request_uri` lifetime at least 60 s [paper] (and under 600 s as FAPI 2.0)",
    },
    Requirement {
        id: "OFB-PKCE",
        set: "ofb",
        rule: "PKCE required",
    },
    Requirement {
        id: "OFB-AT-TTL",
        set: "ofb",
        rule: "access token lifetime between 300 s and 900 s [paper]",
    },
    Requirement {
        id: "OFB-RT-NO-ROTATE",
        set: "ofb",
        rule: "no refresh token rotation",
    },
    Requirement {
        id: "OFB-ALG",
        set: "ofb",
        rule: "signatures PS256 (SHA-256) only; encryption RSA-OAEP with AES-256 [paper]",
    },
    Requirement {
        id: "OFB-TLS",
        set: "ofb",
        rule: "TLS suites ECDHE-RSA-AES128-GCM-SHA256 and ECDHE-RSA-AES256-GCM-SHA384 supported [paper]",
    },
    Requirement {
        id: "OFB-CONF-CLIENT",
        set: "ofb",
        rule: "confidential clients (implied by private_key_jwt)",
    },
    Requirement {
        id: "CDR-CLIENT-AUTH",
        set: "cdr",
        rule: "no MTLS client authentication; `private_key_jwt` [paper]",
    },
    Requirement {
        id: "CDR-CONF-CLIENT",
        set: "cdr",
        rule: "confidential clients only",
    },
    Requirement {
        id: "CDR-CODE-FLOW",
        set: "cdr",
        rule: "authorization code flow only",
    },
    Requirement {
        id: "CDR-CODE-ONCE",
        set: "cdr",
        rule: "codes are not reused",
    },
    Requirement {
        id: "CDR-PAR",
        set: "cdr",
        rule: "PAR required",
    },
    Requirement {
        id: "CDR-PAR-TTL",
        set: "cdr",
        rule: "PAR `request_uri` lifetime between 10 s and 90 s [paper]",
    },
    Requirement {
        id: "CDR-PKCE",
        set: "cdr",
        rule: "PKCE required",
    },
    Requirement {
        id: "CDR-REQ-TTL",
        set: "cdr",
        rule: "request objects (and other signed requests) valid at most 60 min [paper]",
    },
    Requirement {
        id: "CDR-AT-TTL",
        set: "cdr",
        rule: "access token lifetime between 120 s and 600 s [paper]",
    },
    Requirement {
        id: "CDR-RT-NO-ROTATE",
        set: "cdr",
        rule: "no refresh token rotation",
    },
    Requirement {
        id: "CDR-INTROSPECT",
        set: "cdr",
        rule: "refresh token status through token introspection (RFC 7662)",
    },
    Requirement {
        id: "CDR-ALG",
        set: "cdr",
        rule: "signatures PS256 or ES256 (SHA-256); encryption RSA-OAEP with AES-128 or AES-256 [paper]",
    },
    Requirement {
        id: "CDR-HOK",
        set: "cdr",
        rule: "access tokens are MTLS holder-of-key bound (the CDR keeps MTLS for token binding and transaction security, not client authentication) (spec)",
    },
    Requirement {
        id: "BG-MTLS",
        set: "berlin",
        rule: "client (TPP) identified by MTLS, TLS 1.2 or newer, algorithm strength per NIST / national IT security authorities",
    },
    Requirement {
        id: "BG-SIGNED-REQ",
        set: "berlin",
        rule: "the TPP signs its request messages",
    },
    Requirement {
        id: "BG-CODE-FLOW",
        set: "berlin",
        rule: "authorization code flow (OAuth 2.0 is optional in the framework)",
    },
    Requirement {
        id: "BG-PKCE",
        set: "berlin",
        rule: "PKCE required",
    },
];
