//! One error type for every rejection, with stable numeric codes.
//!
//! The codes never change meaning: the C API returns them as they are, and
//! servers may log them. Each error also maps to the OAuth error code that a
//! server answers with, which depends on where the error happened ([`Site`]):
//! the same bad signature is `invalid_dpop_proof` in a DPoP proof and
//! `invalid_client` in a client assertion.

use core::fmt;

/// Why fapi refused an input or could not complete an operation.
///
/// Signature failure is one variant, [`Error::BadSignature`], with no detail,
/// so that nothing about the failure leaks to a caller or a log.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum Error {
    // --- encoding: 1xx ---------------------------------------------------
    /// Invalid base64url: padding, whitespace, a bad character or non-zero
    /// trailing bits.
    Base64 = 100,
    /// Malformed JSON, or JSON that does not have the expected shape.
    Json = 101,
    /// An input is larger than fapi accepts: each module states its bounds
    /// as `MAX_*` constants ([`crate::jws::MAX_COMPACT`],
    /// [`crate::json::MAX_DOCUMENT`], [`crate::json::MAX_DEPTH`],
    /// [`crate::token::MAX_TOKEN_LEN`], ...).
    TooLarge = 102,
    /// A JSON object names the same member twice (RFC 7515 §4, RFC 8725).
    DuplicateMember = 103,
    /// A compact serialization that does not have exactly three parts.
    Malformed = 104,
    /// A buffer the caller passed (for output, or for decoding input into)
    /// is too small: the server's own sizing mistake, not the input's, so it
    /// maps to `server_error`. The `*_len` functions say what is needed
    /// ([`jws::verify_buf_len`](crate::jws::verify_buf_len),
    /// [`jws::max_signed_len`](crate::jws::max_signed_len),
    /// [`json::scratch_len`](crate::json::scratch_len)). Input over one of
    /// fapi's limits is [`Error::TooLarge`] instead, and an escaped string
    /// where the call was given no scratch at all [`Error::EscapedValue`].
    BufferTooSmall = 105,
    /// A JSON string written with escapes (RFC 8259 §7: `"a\/b"`,
    /// `"caf\u00e9"`) that a call given no scratch space would have to
    /// return borrowed from the input as the text it stands for
    /// ([`json::parse`](crate::json::parse),
    /// [`PublicJwk::from_json`](crate::jwk::PublicJwk::from_json),
    /// [`Jwks::from_json`](crate::jwk::Jwks::from_json)): valid JSON that
    /// this call does not read, refused as the input's form (a client
    /// error), not as a server failure. The call's `_in` variant reads it
    /// with [`json::scratch_len`](crate::json::scratch_len) bytes of
    /// scratch.
    EscapedValue = 106,
    /// A structured field (RFC 8941) that does not parse strictly:
    /// `Signature-Input`, `Signature` (RFC 9421 §4) or `Content-Digest`
    /// (RFC 9530 §2), or a member of the wrong type in one of them.
    StructuredField = 107,

    // --- algorithms and keys: 2xx ---------------------------------------
    /// An algorithm fapi never accepts: `none`, HS*, RS*, PS384, ES512, ...
    /// (F2-ALG).
    UnsupportedAlg = 200,
    /// A supported algorithm that the caller's allow-list (the profile) does
    /// not allow.
    AlgNotAllowed = 201,
    /// The key's algorithm is not the header's algorithm.
    KeyAlgMismatch = 202,
    /// A key weaker than F2-ALG allows (RSA under 2048 bits).
    WeakKey = 203,
    /// Private key members in a JWK where a public key is expected.
    PrivateKeyMember = 204,
    /// A key that cannot be parsed or is not on its curve.
    InvalidKey = 205,
    /// No key matches the `kid` and algorithm.
    KeyNotFound = 206,
    /// A key type or curve fapi does not support (`oct`, P-384, X25519, ...).
    UnsupportedKeyType = 207,
    /// A JWK whose `use` or `key_ops` does not allow verifying signatures
    /// (`"use":"enc"`, `"key_ops":["encrypt"]`), or whose `use` and
    /// `key_ops` contradict each other (RFC 7517 §4.2, §4.3).
    KeyUse = 208,

    // --- JWS: 3xx ---------------------------------------------------------
    /// The signature does not verify. No further detail, by design.
    BadSignature = 300,
    /// A `crit` header names an extension that is not understood.
    UnsupportedCrit = 301,
    /// `b64: false` (RFC 7797 unencoded payload) is refused.
    UnencodedPayload = 302,
    /// A key-carrying header (`jwk`, `jku`, `x5u`, `x5c`) where the verifier
    /// did not ask for an embedded key.
    EmbeddedKey = 303,
    /// The embedded `jwk` header that this verification needs is absent.
    MissingEmbeddedKey = 304,
    /// The `typ` header is not the one this token type requires.
    WrongType = 305,
    /// The signing backend (an HSM, say) failed to sign.
    SigningFailed = 306,
    /// A JWE (five parts) where a JWS is expected.
    Encrypted = 307,

    // --- JWE (RFC 7516, RFC 7518): 31x ------------------------------------
    /// A JWE did not decrypt: the encrypted key did not unwrap (RSA-OAEP),
    /// the content encryption key had the wrong length, the authentication
    /// tag did not match, or the CBC padding was wrong. One variant with no
    /// detail, by design (RFC 7516 §11.5, RFC 3218: no padding or OAEP
    /// oracle).
    DecryptionFailed = 310,
    /// A JWE `enc` fapi never accepts: anything but `A128GCM`, `A256GCM`,
    /// `A128CBC-HS256` and `A256CBC-HS512` (RFC 7518 §5.1).
    UnsupportedEnc = 311,
    /// A supported JWE `enc` that the caller's allow-list (the profile's
    /// `jwe_encs`: OFB-ALG, CDR-ALG) does not allow.
    EncNotAllowed = 312,
    /// A compressed JWE (`zip`, RFC 7516 §4.1.3): refused, compression
    /// before encryption leaks the plaintext's content through its length.
    Compressed = 313,
    /// A JWE whose `cty` is not `JWT` where a nested JWT (signed, then
    /// encrypted) is expected (RFC 7519 §5.2, RFC 7516 §4.1.12).
    NotNestedJwt = 314,
    /// A JWE whose encrypted key, initialization vector or authentication
    /// tag does not have the length its `alg` and `enc` fix (RFC 7518
    /// §4.3, §5.2.2, §5.3), or that lacks its encrypted key.
    JweLength = 315,
    /// A signed JWT (a JWS) where the recipient registered encryption and
    /// so expects a nested JWT, signed then encrypted (OpenID Connect Core
    /// §10.2, JARM §2.2, RFC 9701 §5): a response sent in the clear is
    /// refused.
    EncryptionRequired = 316,

    // --- HTTP message signatures (RFC 9421, RFC 9530): 32x ---------------
    /// A signature label named twice, in one field or across
    /// `Signature-Input` and `Signature` field lines (RFC 9421 §4.1), a
    /// component covered twice by one signature (§2.5), or any other key
    /// repeated in a structured field.
    DuplicateLabel = 320,
    /// A signature that does not cover a component the profile requires
    /// (FAPI 2.0 HTTP Signatures: `@method`, `@target-uri`,
    /// `authorization`, `dpop`, `content-digest`; `@status` and the
    /// request's components with `;req` in a response).
    MissingComponent = 321,
    /// A component the signature covers is not in the message (RFC 9421
    /// §2.5, §3.2).
    ComponentAbsent = 322,
    /// A covered component or component parameter fapi does not
    /// implement, or one used where RFC 9421 forbids it (`@status` in a
    /// request, `@signature-params` in the list, `;req` without a request).
    UnsupportedComponent = 323,
    /// A signature whose `tag` is not the profile's (`fapi-2-request`,
    /// `fapi-2-response`), or that has none.
    WrongTag = 324,
    /// No signature in the message (no `Signature-Input`), or a label in
    /// `Signature-Input` without its `Signature` or the other way round.
    SignatureMissing = 325,
    /// A `Content-Digest` that is not the digest of the content (RFC 9530
    /// §2), or that is absent where there is content.
    DigestMismatch = 326,
    /// A `Content-Digest` with no algorithm fapi implements (`sha-256`,
    /// `sha-512`; RFC 9530 §2 ignores the others).
    UnsupportedDigest = 327,

    // --- claims and time: 4xx -------------------------------------------
    /// A required claim is absent.
    MissingClaim = 400,
    /// `exp` is in the past.
    Expired = 401,
    /// `nbf` is in the future.
    NotYetValid = 402,
    /// `iat` is further in the future than the allowed skew.
    IssuedInFuture = 403,
    /// `iat` (or `nbf`) is older than the allowed age.
    TooOld = 404,
    /// A lifetime is longer than the profile allows.
    LifetimeTooLong = 405,
    /// `iss` is not the expected issuer.
    WrongIssuer = 406,
    /// `aud` does not name this server.
    WrongAudience = 407,
    /// `sub` (or `client_id`) is not the expected one.
    WrongSubject = 408,
    /// A `jti` (or other one-time value) was already used.
    Replay = 409,
    /// A lifetime is shorter than the profile requires.
    LifetimeTooShort = 410,
    /// A `jti` claim that is present but empty: no one-time use can be
    /// recorded for it.
    EmptyJti = 411,
    /// An ID token's `nonce` is not the one the client sent in its
    /// authorization request (OpenID Connect Core §3.1.3.7 step 11).
    NonceMismatch = 412,
    /// An `at_hash`, `c_hash` or `s_hash` claim is not the left half of the
    /// hash of the access token, code or state (OpenID Connect Core
    /// §3.1.3.8, §3.3.2.11; FAPI 1.0 Advanced §5.2.2.1).
    HashMismatch = 413,
    /// `azp` is absent where an ID token names several audiences, or names
    /// another client (OpenID Connect Core §3.1.3.7 steps 4 and 5).
    WrongAuthorizedParty = 414,
    /// An `acr` value the profile does not allow, or none where it requires
    /// one (CDR: `urn:cds.au:cdr:2` or `urn:cds.au:cdr:3`).
    AcrNotAllowed = 415,

    // --- PKCE: 5xx --------------------------------------------------------
    /// A PKCE method other than S256 (F2-PKCE).
    PkceMethod = 500,
    /// A code verifier that is not 43–128 unreserved characters.
    PkceVerifierFormat = 501,
    /// The code verifier does not match the challenge.
    PkceMismatch = 502,
    /// PKCE is required and absent.
    PkceMissing = 503,

    // --- DPoP and sender constraint: 6xx ---------------------------------
    /// `htm` does not match the request method.
    DpopMethod = 600,
    /// `htu` does not match the request URI.
    DpopUri = 601,
    /// `ath` does not match the presented access token.
    DpopAth = 602,
    /// The server requires a DPoP nonce and the proof has none.
    DpopNonceRequired = 603,
    /// The proof's DPoP nonce is not valid (any more).
    DpopNonceInvalid = 604,
    /// The proof's key is not the key the token or code is bound to.
    DpopKeyMismatch = 605,
    /// A DPoP proof is required and absent.
    DpopMissing = 606,
    /// The client certificate is not the one the token is bound to.
    CertificateMismatch = 650,
    /// The token is not sender-constrained (F2-SENDER).
    SenderConstraintMissing = 651,

    // --- clients: 7xx -----------------------------------------------------
    /// A client authentication method the profile does not allow.
    ClientAuthMethod = 700,
    /// `iss`, `sub` and `client_id` do not name the same client.
    ClientMismatch = 701,
    /// The client is not known.
    UnknownClient = 702,
    /// A public client where only confidential clients are allowed.
    PublicClient = 703,

    // --- grants and handles: 8xx -----------------------------------------
    /// The authorization code is unknown, expired or already used.
    CodeInvalid = 800,
    /// The `redirect_uri` is not the one the code was issued for.
    RedirectMismatch = 802,
    /// The PAR `request_uri` is unknown, expired or already used.
    RequestUriInvalid = 803,
    /// The authorization request did not come through PAR.
    ParRequired = 804,
    /// A grant type the profile refuses (implicit, password, ...).
    GrantTypeRefused = 805,
    /// A response type other than `code`.
    ResponseTypeRefused = 806,
    /// A redirect URI that is not `https`.
    InsecureRedirect = 807,
    /// The token does not carry the scope the resource needs.
    InsufficientScope = 808,
    /// The token or handle is not active.
    TokenInactive = 809,
    /// The request is missing a parameter or has an invalid one.
    InvalidParameter = 810,
    /// The profile requires the authorization request as a signed request
    /// object (RFC 9101, OB-REQOBJ) and it came as plain parameters.
    SignedRequestRequired = 811,
    /// A plain authorization response (`code`, `error` as query
    /// parameters) where the client asked for a JWT-secured one
    /// (`response_mode=jwt`, JARM §2.3, FAPI 2.0 Message Signing §5.4).
    PlainResponseRefused = 812,
    /// The profile requires JWT-secured authorization responses (JARM,
    /// FAPI 2.0 Message Signing §5.4) and the request did not ask for
    /// `response_mode=jwt`.
    ResponseModeRequired = 813,

    // --- state and environment: 9xx --------------------------------------
    /// A fixed-capacity store is full of live entries; nothing was evicted.
    StoreFull = 900,
    /// A store backend failed.
    StoreFailed = 901,
    /// The random source failed.
    RandomFailed = 902,

    // --- configuration: 10xx ---------------------------------------------
    /// A server configuration that breaks the selected profile.
    ProfileViolation = 1000,
}

impl Error {
    /// The stable numeric code of this error.
    #[must_use]
    pub const fn code(self) -> u16 {
        self as u16
    }

    /// A stable, lower-case identifier for logs and the C API.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Base64 => "base64",
            Self::Json => "json",
            Self::TooLarge => "too_large",
            Self::DuplicateMember => "duplicate_member",
            Self::Malformed => "malformed",
            Self::BufferTooSmall => "buffer_too_small",
            Self::EscapedValue => "escaped_value",
            Self::StructuredField => "structured_field",
            Self::UnsupportedAlg => "unsupported_alg",
            Self::AlgNotAllowed => "alg_not_allowed",
            Self::KeyAlgMismatch => "key_alg_mismatch",
            Self::WeakKey => "weak_key",
            Self::PrivateKeyMember => "private_key_member",
            Self::InvalidKey => "invalid_key",
            Self::KeyNotFound => "key_not_found",
            Self::UnsupportedKeyType => "unsupported_key_type",
            Self::KeyUse => "key_use",
            Self::BadSignature => "bad_signature",
            Self::UnsupportedCrit => "unsupported_crit",
            Self::UnencodedPayload => "unencoded_payload",
            Self::EmbeddedKey => "embedded_key",
            Self::MissingEmbeddedKey => "missing_embedded_key",
            Self::WrongType => "wrong_type",
            Self::SigningFailed => "signing_failed",
            Self::Encrypted => "encrypted",
            Self::DecryptionFailed => "decryption_failed",
            Self::UnsupportedEnc => "unsupported_enc",
            Self::EncNotAllowed => "enc_not_allowed",
            Self::Compressed => "compressed",
            Self::NotNestedJwt => "not_nested_jwt",
            Self::JweLength => "jwe_length",
            Self::EncryptionRequired => "encryption_required",
            Self::DuplicateLabel => "duplicate_label",
            Self::MissingComponent => "missing_component",
            Self::ComponentAbsent => "component_absent",
            Self::UnsupportedComponent => "unsupported_component",
            Self::WrongTag => "wrong_tag",
            Self::SignatureMissing => "signature_missing",
            Self::DigestMismatch => "digest_mismatch",
            Self::UnsupportedDigest => "unsupported_digest",
            Self::MissingClaim => "missing_claim",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::TooOld => "too_old",
            Self::LifetimeTooLong => "lifetime_too_long",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::WrongSubject => "wrong_subject",
            Self::Replay => "replay",
            Self::LifetimeTooShort => "lifetime_too_short",
            Self::EmptyJti => "empty_jti",
            Self::NonceMismatch => "nonce_mismatch",
            Self::HashMismatch => "hash_mismatch",
            Self::WrongAuthorizedParty => "wrong_authorized_party",
            Self::AcrNotAllowed => "acr_not_allowed",
            Self::PkceMethod => "pkce_method",
            Self::PkceVerifierFormat => "pkce_verifier_format",
            Self::PkceMismatch => "pkce_mismatch",
            Self::PkceMissing => "pkce_missing",
            Self::DpopMethod => "dpop_method",
            Self::DpopUri => "dpop_uri",
            Self::DpopAth => "dpop_ath",
            Self::DpopNonceRequired => "dpop_nonce_required",
            Self::DpopNonceInvalid => "dpop_nonce_invalid",
            Self::DpopKeyMismatch => "dpop_key_mismatch",
            Self::DpopMissing => "dpop_missing",
            Self::CertificateMismatch => "certificate_mismatch",
            Self::SenderConstraintMissing => "sender_constraint_missing",
            Self::ClientAuthMethod => "client_auth_method",
            Self::ClientMismatch => "client_mismatch",
            Self::UnknownClient => "unknown_client",
            Self::PublicClient => "public_client",
            Self::CodeInvalid => "code_invalid",
            Self::RedirectMismatch => "redirect_mismatch",
            Self::RequestUriInvalid => "request_uri_invalid",
            Self::ParRequired => "par_required",
            Self::GrantTypeRefused => "grant_type_refused",
            Self::ResponseTypeRefused => "response_type_refused",
            Self::InsecureRedirect => "insecure_redirect",
            Self::InsufficientScope => "insufficient_scope",
            Self::TokenInactive => "token_inactive",
            Self::InvalidParameter => "invalid_parameter",
            Self::SignedRequestRequired => "signed_request_required",
            Self::PlainResponseRefused => "plain_response_refused",
            Self::ResponseModeRequired => "response_mode_required",
            Self::StoreFull => "store_full",
            Self::StoreFailed => "store_failed",
            Self::RandomFailed => "random_failed",
            Self::ProfileViolation => "profile_violation",
        }
    }

    /// Every error, in code order (for the C header, docs and tests).
    pub const ALL: &'static [Error] = &[
        Self::Base64,
        Self::Json,
        Self::TooLarge,
        Self::DuplicateMember,
        Self::Malformed,
        Self::BufferTooSmall,
        Self::EscapedValue,
        Self::StructuredField,
        Self::UnsupportedAlg,
        Self::AlgNotAllowed,
        Self::KeyAlgMismatch,
        Self::WeakKey,
        Self::PrivateKeyMember,
        Self::InvalidKey,
        Self::KeyNotFound,
        Self::UnsupportedKeyType,
        Self::KeyUse,
        Self::BadSignature,
        Self::UnsupportedCrit,
        Self::UnencodedPayload,
        Self::EmbeddedKey,
        Self::MissingEmbeddedKey,
        Self::WrongType,
        Self::SigningFailed,
        Self::Encrypted,
        Self::DecryptionFailed,
        Self::UnsupportedEnc,
        Self::EncNotAllowed,
        Self::Compressed,
        Self::NotNestedJwt,
        Self::JweLength,
        Self::EncryptionRequired,
        Self::DuplicateLabel,
        Self::MissingComponent,
        Self::ComponentAbsent,
        Self::UnsupportedComponent,
        Self::WrongTag,
        Self::SignatureMissing,
        Self::DigestMismatch,
        Self::UnsupportedDigest,
        Self::MissingClaim,
        Self::Expired,
        Self::NotYetValid,
        Self::IssuedInFuture,
        Self::TooOld,
        Self::LifetimeTooLong,
        Self::WrongIssuer,
        Self::WrongAudience,
        Self::WrongSubject,
        Self::Replay,
        Self::LifetimeTooShort,
        Self::EmptyJti,
        Self::NonceMismatch,
        Self::HashMismatch,
        Self::WrongAuthorizedParty,
        Self::AcrNotAllowed,
        Self::PkceMethod,
        Self::PkceVerifierFormat,
        Self::PkceMismatch,
        Self::PkceMissing,
        Self::DpopMethod,
        Self::DpopUri,
        Self::DpopAth,
        Self::DpopNonceRequired,
        Self::DpopNonceInvalid,
        Self::DpopKeyMismatch,
        Self::DpopMissing,
        Self::CertificateMismatch,
        Self::SenderConstraintMissing,
        Self::ClientAuthMethod,
        Self::ClientMismatch,
        Self::UnknownClient,
        Self::PublicClient,
        Self::CodeInvalid,
        Self::RedirectMismatch,
        Self::RequestUriInvalid,
        Self::ParRequired,
        Self::GrantTypeRefused,
        Self::ResponseTypeRefused,
        Self::InsecureRedirect,
        Self::InsufficientScope,
        Self::TokenInactive,
        Self::InvalidParameter,
        Self::SignedRequestRequired,
        Self::PlainResponseRefused,
        Self::ResponseModeRequired,
        Self::StoreFull,
        Self::StoreFailed,
        Self::RandomFailed,
        Self::ProfileViolation,
    ];

    /// The error for a numeric code, if one has it.
    #[must_use]
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.code() == code)
    }

    /// The OAuth error code a server answers with when this error happens at
    /// `site`.
    #[must_use]
    pub const fn oauth_error(self, site: Site) -> OAuthError {
        // Errors that mean the same thing wherever they happen.
        match self {
            Self::DpopNonceRequired | Self::DpopNonceInvalid => return OAuthError::UseDpopNonce,
            Self::StoreFull | Self::RandomFailed | Self::SigningFailed => {
                return OAuthError::TemporarilyUnavailable;
            }
            Self::StoreFailed | Self::BufferTooSmall | Self::ProfileViolation => {
                return OAuthError::ServerError;
            }
            Self::GrantTypeRefused => return OAuthError::UnsupportedGrantType,
            Self::ResponseTypeRefused => return OAuthError::UnsupportedResponseType,
            Self::RequestUriInvalid => return OAuthError::InvalidRequestUri,
            Self::InsufficientScope => return OAuthError::InsufficientScope,
            Self::UnknownClient | Self::ClientAuthMethod | Self::PublicClient => {
                return OAuthError::InvalidClient;
            }
            _ => {}
        }
        match site {
            Site::DpopProof => OAuthError::InvalidDpopProof,
            Site::ClientAuthentication => OAuthError::InvalidClient,
            Site::RequestObject => OAuthError::InvalidRequestObject,
            Site::ResourceRequest => match self {
                Self::DpopMissing
                | Self::DpopMethod
                | Self::DpopUri
                | Self::DpopAth
                | Self::DpopKeyMismatch => OAuthError::InvalidDpopProof,
                _ => OAuthError::InvalidToken,
            },
            Site::TokenRequest => match self {
                Self::InvalidParameter
                | Self::Json
                | Self::EscapedValue
                | Self::Malformed
                | Self::TooLarge => OAuthError::InvalidRequest,
                Self::DpopMissing | Self::DpopMethod | Self::DpopUri | Self::DpopAth => {
                    OAuthError::InvalidDpopProof
                }
                _ => OAuthError::InvalidGrant,
            },
            Site::AuthorizationRequest | Site::ParRequest => match self {
                Self::InsecureRedirect | Self::RedirectMismatch => OAuthError::InvalidRequest,
                Self::ClientMismatch => OAuthError::UnauthorizedClient,
                _ => OAuthError::InvalidRequest,
            },
            Site::Introspection => OAuthError::InvalidRequest,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fapi error {} ({})", self.code(), self.name())
    }
}

impl core::error::Error for Error {}

impl From<base64ct::Error> for Error {
    fn from(_: base64ct::Error) -> Self {
        Self::Base64
    }
}

/// Where in a FAPI exchange an error happened; it decides the OAuth error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Site {
    /// Verifying a DPoP proof (RFC 9449).
    DpopProof,
    /// Authenticating a client (`private_key_jwt`, MTLS).
    ClientAuthentication,
    /// The token endpoint's grant (code, PKCE, refresh token).
    TokenRequest,
    /// A pushed authorization request.
    ParRequest,
    /// The authorization endpoint.
    AuthorizationRequest,
    /// A signed request object (JAR).
    RequestObject,
    /// A resource server checking an access token.
    ResourceRequest,
    /// The introspection endpoint.
    Introspection,
}

/// The OAuth 2.0 error codes fapi maps its errors to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OAuthError {
    /// `invalid_request` (RFC 6749).
    InvalidRequest,
    /// `invalid_client` (RFC 6749).
    InvalidClient,
    /// `invalid_grant` (RFC 6749).
    InvalidGrant,
    /// `unauthorized_client` (RFC 6749).
    UnauthorizedClient,
    /// `unsupported_grant_type` (RFC 6749).
    UnsupportedGrantType,
    /// `unsupported_response_type` (RFC 6749).
    UnsupportedResponseType,
    /// `invalid_scope` (RFC 6749).
    InvalidScope,
    /// `access_denied` (RFC 6749).
    AccessDenied,
    /// `server_error` (RFC 6749).
    ServerError,
    /// `temporarily_unavailable` (RFC 6749).
    TemporarilyUnavailable,
    /// `invalid_token` (RFC 6750).
    InvalidToken,
    /// `insufficient_scope` (RFC 6750).
    InsufficientScope,
    /// `invalid_dpop_proof` (RFC 9449).
    InvalidDpopProof,
    /// `use_dpop_nonce` (RFC 9449).
    UseDpopNonce,
    /// `invalid_request_object` (RFC 9101).
    InvalidRequestObject,
    /// `invalid_request_uri` (RFC 9101).
    InvalidRequestUri,
}

impl OAuthError {
    /// The error code as it appears on the wire.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
            Self::InvalidRequestObject => "invalid_request_object",
            Self::InvalidRequestUri => "invalid_request_uri",
        }
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        for (i, a) in Error::ALL.iter().enumerate() {
            assert_eq!(Error::from_code(a.code()), Some(*a));
            for b in &Error::ALL[i + 1..] {
                assert_ne!(a.code(), b.code());
                assert_ne!(a.name(), b.name());
            }
        }
        assert_eq!(Error::from_code(0), None);
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(Error::Base64.code(), 100);
        assert_eq!(Error::UnsupportedAlg.code(), 200);
        assert_eq!(Error::BadSignature.code(), 300);
        assert_eq!(Error::Replay.code(), 409);
        assert_eq!(Error::PkceMismatch.code(), 502);
        assert_eq!(Error::DpopNonceRequired.code(), 603);
        assert_eq!(Error::StoreFull.code(), 900);
        assert_eq!(Error::KeyUse.code(), 208);
        assert_eq!(Error::EmptyJti.code(), 411);
        assert_eq!(Error::EscapedValue.code(), 106);
        assert_eq!(Error::DecryptionFailed.code(), 310);
        assert_eq!(Error::JweLength.code(), 315);
        assert_eq!(Error::EncryptionRequired.code(), 316);
        assert_eq!(Error::StructuredField.code(), 107);
        assert_eq!(Error::DuplicateLabel.code(), 320);
        assert_eq!(Error::UnsupportedDigest.code(), 327);
    }

    /// A caller's buffer that is too small is the server's fault
    /// (`server_error`) wherever it happens; input over a limit is the
    /// client's (`invalid_request`, `invalid_token`, ...).
    #[test]
    fn buffer_too_small_is_a_server_error_too_large_is_not() {
        for site in [
            Site::DpopProof,
            Site::ClientAuthentication,
            Site::TokenRequest,
            Site::ParRequest,
            Site::AuthorizationRequest,
            Site::RequestObject,
            Site::ResourceRequest,
            Site::Introspection,
        ] {
            assert_eq!(
                Error::BufferTooSmall.oauth_error(site),
                OAuthError::ServerError
            );
            assert_ne!(Error::TooLarge.oauth_error(site), OAuthError::ServerError);
            assert_ne!(Error::EmptyJti.oauth_error(site), OAuthError::ServerError);
            assert_ne!(
                Error::EscapedValue.oauth_error(site),
                OAuthError::ServerError
            );
        }
    }

    #[test]
    fn oauth_mapping_depends_on_site() {
        let e = Error::BadSignature;
        assert_eq!(
            e.oauth_error(Site::DpopProof).as_str(),
            "invalid_dpop_proof"
        );
        assert_eq!(
            e.oauth_error(Site::ClientAuthentication).as_str(),
            "invalid_client"
        );
        assert_eq!(
            e.oauth_error(Site::ResourceRequest).as_str(),
            "invalid_token"
        );
        assert_eq!(
            e.oauth_error(Site::RequestObject).as_str(),
            "invalid_request_object"
        );
        assert_eq!(
            Error::CodeInvalid.oauth_error(Site::TokenRequest).as_str(),
            "invalid_grant"
        );
        assert_eq!(
            Error::DpopNonceRequired
                .oauth_error(Site::ResourceRequest)
                .as_str(),
            "use_dpop_nonce"
        );
        assert_eq!(
            Error::StoreFull.oauth_error(Site::DpopProof).as_str(),
            "temporarily_unavailable"
        );
    }
}
