//! Result codes: `FAPI_OK`, every [`fapi_core::Error`] code as it is, and
//! the codes only the C API has.
//!
//! The numbers never change. A core error's number is
//! [`Error::code`](fapi_core::Error::code), a `u16`; the C API's own codes
//! start at 65536 (`0x10000`), above every `u16`, so the two ranges cannot
//! collide whatever codes the core adds. A core error that is added later
//! and not listed here yet still reaches C with its own number.

use core::ffi::c_char;

use fapi_core::{Error, OAuthError, Site};

use crate::ffi::{Failure, Out, Where, boundary, fapi_error_detail, server_oauth_error};

/// The result of every fallible function: [`FAPI_OK`], a core error code
/// (100 to 65535) or a C API code (65536 and up).
pub type fapi_result = u32;

/// Success.
pub const FAPI_OK: fapi_result = 0;

/// `Error::Base64`: Invalid base64url: padding, whitespace, a bad character or non-zero trailing bits.
pub const FAPI_BASE64: fapi_result = 100;
/// `Error::Json`: Malformed JSON, or JSON that does not have the expected shape.
pub const FAPI_JSON: fapi_result = 101;
/// `Error::TooLarge`: An input is larger than fapi accepts (see `limits`).
pub const FAPI_TOO_LARGE: fapi_result = 102;
/// `Error::DuplicateMember`: A JSON object names the same member twice (RFC 7515 §4, RFC 8725).
pub const FAPI_DUPLICATE_MEMBER: fapi_result = 103;
/// `Error::Malformed`: A compact serialization that does not have exactly three parts.
pub const FAPI_MALFORMED: fapi_result = 104;
/// `Error::BufferTooSmall`: a buffer inside fapi is too small for the
/// value (a token longer than fapi writes). A caller's output buffer that is
/// too small is [`FAPI_INSUFFICIENT_SIZE`] instead.
pub const FAPI_BUFFER_TOO_SMALL: fapi_result = 105;
/// `Error::UnsupportedAlg`: An algorithm fapi never accepts: `none`, HS*, RS*, PS384, ES512, ... (F2-ALG).
pub const FAPI_UNSUPPORTED_ALG: fapi_result = 200;
/// `Error::AlgNotAllowed`: A supported algorithm that the caller's allow-list (the profile) does not allow.
pub const FAPI_ALG_NOT_ALLOWED: fapi_result = 201;
/// `Error::KeyAlgMismatch`: The key's algorithm is not the header's algorithm.
pub const FAPI_KEY_ALG_MISMATCH: fapi_result = 202;
/// `Error::WeakKey`: A key weaker than F2-ALG allows (RSA under 2048 bits).
pub const FAPI_WEAK_KEY: fapi_result = 203;
/// `Error::PrivateKeyMember`: Private key members in a JWK where a public key is expected.
pub const FAPI_PRIVATE_KEY_MEMBER: fapi_result = 204;
/// `Error::InvalidKey`: A key that cannot be parsed or is not on its curve.
pub const FAPI_INVALID_KEY: fapi_result = 205;
/// `Error::KeyNotFound`: No key matches the `kid` and algorithm.
pub const FAPI_KEY_NOT_FOUND: fapi_result = 206;
/// `Error::UnsupportedKeyType`: A key type or curve fapi does not support (`oct`, P-384, X25519, ...).
pub const FAPI_UNSUPPORTED_KEY_TYPE: fapi_result = 207;
/// `Error::BadSignature`: The signature does not verify. No further detail, by design.
pub const FAPI_BAD_SIGNATURE: fapi_result = 300;
/// `Error::UnsupportedCrit`: A `crit` header names an extension that is not understood.
pub const FAPI_UNSUPPORTED_CRIT: fapi_result = 301;
/// `Error::UnencodedPayload`: `b64: false` (RFC 7797 unencoded payload) is refused.
pub const FAPI_UNENCODED_PAYLOAD: fapi_result = 302;
/// `Error::EmbeddedKey`: A key-carrying header (`jwk`, `jku`, `x5u`, `x5c`) where the verifier did not ask for an embedded key.
pub const FAPI_EMBEDDED_KEY: fapi_result = 303;
/// `Error::MissingEmbeddedKey`: The embedded `jwk` header that this verification needs is absent.
pub const FAPI_MISSING_EMBEDDED_KEY: fapi_result = 304;
/// `Error::WrongType`: The `typ` header is not the one this token type requires.
pub const FAPI_WRONG_TYPE: fapi_result = 305;
/// `Error::SigningFailed`: The signing backend (an HSM, say) failed to sign.
pub const FAPI_SIGNING_FAILED: fapi_result = 306;
/// `Error::Encrypted`: A JWE (five parts) where a JWS is expected.
pub const FAPI_ENCRYPTED: fapi_result = 307;
/// `Error::MissingClaim`: A required claim is absent.
pub const FAPI_MISSING_CLAIM: fapi_result = 400;
/// `Error::Expired`: `exp` is in the past.
pub const FAPI_EXPIRED: fapi_result = 401;
/// `Error::NotYetValid`: `nbf` is in the future.
pub const FAPI_NOT_YET_VALID: fapi_result = 402;
/// `Error::IssuedInFuture`: `iat` is further in the future than the allowed skew.
pub const FAPI_ISSUED_IN_FUTURE: fapi_result = 403;
/// `Error::TooOld`: `iat` (or `nbf`) is older than the allowed age.
pub const FAPI_TOO_OLD: fapi_result = 404;
/// `Error::LifetimeTooLong`: A lifetime is longer than the profile allows.
pub const FAPI_LIFETIME_TOO_LONG: fapi_result = 405;
/// `Error::WrongIssuer`: `iss` is not the expected issuer.
pub const FAPI_WRONG_ISSUER: fapi_result = 406;
/// `Error::WrongAudience`: `aud` does not name this server.
pub const FAPI_WRONG_AUDIENCE: fapi_result = 407;
/// `Error::WrongSubject`: `sub` (or `client_id`) is not the expected one.
pub const FAPI_WRONG_SUBJECT: fapi_result = 408;
/// `Error::Replay`: A `jti` (or other one-time value) was already used.
pub const FAPI_REPLAY: fapi_result = 409;
/// `Error::LifetimeTooShort`: A lifetime is shorter than the profile requires.
pub const FAPI_LIFETIME_TOO_SHORT: fapi_result = 410;
/// `Error::PkceMethod`: A PKCE method other than S256 (F2-PKCE).
pub const FAPI_PKCE_METHOD: fapi_result = 500;
/// `Error::PkceVerifierFormat`: A code verifier that is not 43–128 unreserved characters.
pub const FAPI_PKCE_VERIFIER_FORMAT: fapi_result = 501;
/// `Error::PkceMismatch`: The code verifier does not match the challenge.
pub const FAPI_PKCE_MISMATCH: fapi_result = 502;
/// `Error::PkceMissing`: PKCE is required and absent.
pub const FAPI_PKCE_MISSING: fapi_result = 503;
/// `Error::DpopMethod`: `htm` does not match the request method.
pub const FAPI_DPOP_METHOD: fapi_result = 600;
/// `Error::DpopUri`: `htu` does not match the request URI.
pub const FAPI_DPOP_URI: fapi_result = 601;
/// `Error::DpopAth`: `ath` does not match the presented access token.
pub const FAPI_DPOP_ATH: fapi_result = 602;
/// `Error::DpopNonceRequired`: The server requires a DPoP nonce and the proof has none.
pub const FAPI_DPOP_NONCE_REQUIRED: fapi_result = 603;
/// `Error::DpopNonceInvalid`: The proof's DPoP nonce is not valid (any more).
pub const FAPI_DPOP_NONCE_INVALID: fapi_result = 604;
/// `Error::DpopKeyMismatch`: The proof's key is not the key the token or code is bound to.
pub const FAPI_DPOP_KEY_MISMATCH: fapi_result = 605;
/// `Error::DpopMissing`: A DPoP proof is required and absent.
pub const FAPI_DPOP_MISSING: fapi_result = 606;
/// `Error::CertificateMismatch`: The client certificate is not the one the token is bound to.
pub const FAPI_CERTIFICATE_MISMATCH: fapi_result = 650;
/// `Error::SenderConstraintMissing`: The token is not sender-constrained (F2-SENDER).
pub const FAPI_SENDER_CONSTRAINT_MISSING: fapi_result = 651;
/// `Error::ClientAuthMethod`: A client authentication method the profile does not allow.
pub const FAPI_CLIENT_AUTH_METHOD: fapi_result = 700;
/// `Error::ClientMismatch`: `iss`, `sub` and `client_id` do not name the same client.
pub const FAPI_CLIENT_MISMATCH: fapi_result = 701;
/// `Error::UnknownClient`: The client is not known.
pub const FAPI_UNKNOWN_CLIENT: fapi_result = 702;
/// `Error::PublicClient`: A public client where only confidential clients are allowed.
pub const FAPI_PUBLIC_CLIENT: fapi_result = 703;
/// `Error::CodeInvalid`: The authorization code is unknown, expired or already used.
pub const FAPI_CODE_INVALID: fapi_result = 800;
/// `Error::RedirectMismatch`: The `redirect_uri` is not the one the code was issued for.
pub const FAPI_REDIRECT_MISMATCH: fapi_result = 802;
/// `Error::RequestUriInvalid`: The PAR `request_uri` is unknown, expired or already used.
pub const FAPI_REQUEST_URI_INVALID: fapi_result = 803;
/// `Error::ParRequired`: The authorization request did not come through PAR.
pub const FAPI_PAR_REQUIRED: fapi_result = 804;
/// `Error::GrantTypeRefused`: A grant type the profile refuses (implicit, password, ...).
pub const FAPI_GRANT_TYPE_REFUSED: fapi_result = 805;
/// `Error::ResponseTypeRefused`: A response type other than `code`.
pub const FAPI_RESPONSE_TYPE_REFUSED: fapi_result = 806;
/// `Error::InsecureRedirect`: A redirect URI that is not `https`.
pub const FAPI_INSECURE_REDIRECT: fapi_result = 807;
/// `Error::InsufficientScope`: The token does not carry the scope the resource needs.
pub const FAPI_INSUFFICIENT_SCOPE: fapi_result = 808;
/// `Error::TokenInactive`: The token or handle is not active.
pub const FAPI_TOKEN_INACTIVE: fapi_result = 809;
/// `Error::InvalidParameter`: The request is missing a parameter or has an invalid one.
pub const FAPI_INVALID_PARAMETER: fapi_result = 810;
/// `Error::SignedRequestRequired`: The profile requires the authorization
/// request as a signed request object (RFC 9101, OB-REQOBJ) and it came as
/// plain parameters.
pub const FAPI_SIGNED_REQUEST_REQUIRED: fapi_result = 811;
/// `Error::StoreFull`: A fixed-capacity store is full of live entries; nothing was evicted.
pub const FAPI_STORE_FULL: fapi_result = 900;
/// `Error::StoreFailed`: A store backend failed.
pub const FAPI_STORE_FAILED: fapi_result = 901;
/// `Error::RandomFailed`: The random source failed.
pub const FAPI_RANDOM_FAILED: fapi_result = 902;
/// `Error::ProfileViolation`: A server configuration that breaks the selected profile.
pub const FAPI_PROFILE_VIOLATION: fapi_result = 1000;

/// The first code of the C API's own range, above every `u16` core code.
pub const FAPI_FFI_BASE: fapi_result = 0x1_0000;
/// A panic inside fapi was caught at the C boundary. The operation did not
/// complete; the handles passed in are still valid. Please report it.
pub const FAPI_PANIC: fapi_result = 0x1_0000;
/// A required pointer argument was NULL (the message names it).
pub const FAPI_NULL_ARGUMENT: fapi_result = 0x1_0001;
/// The caller's output buffer is too small: its out-length now holds the
/// size needed, and the call can be repeated with a buffer that large.
pub const FAPI_INSUFFICIENT_SIZE: fapi_result = 0x1_0002;
/// An argument has no valid meaning: text that is not UTF-8, a length
/// over `PTRDIFF_MAX`, an unknown `fapi_alg` or `fapi_site`, a PKCS#11 URI
/// attribute fapi does not support (the message says which).
pub const FAPI_INVALID_ARGUMENT: fapi_result = 0x1_0003;
/// The PKCS#11 module, token, PIN or session failed while a key was loaded
/// (the message carries the failed call and its `CKR_*` value). Failures
/// while signing are [`FAPI_SIGNING_FAILED`].
pub const FAPI_HSM: fapi_result = 0x1_0004;

/// The C API's own codes, with their names.
pub(crate) const FFI_CODES: &[(fapi_result, &str)] = &[
    (FAPI_PANIC, "panic"),
    (FAPI_NULL_ARGUMENT, "null_argument"),
    (FAPI_INSUFFICIENT_SIZE, "insufficient_size"),
    (FAPI_INVALID_ARGUMENT, "invalid_argument"),
    (FAPI_HSM, "hsm"),
];

/// The C result code of a core error: its own stable number.
#[must_use]
pub fn code_of(e: Error) -> fapi_result {
    fapi_result::from(e.code())
}

/// The stable lower-case name of a result code (`ok`, a core error's
/// [`Error::name`](fapi_core::Error::name), or a C API code's name).
#[must_use]
pub fn name_of(code: fapi_result) -> Option<&'static str> {
    if code == FAPI_OK {
        return Some("ok");
    }
    if let Some((_, name)) = FFI_CODES.iter().find(|(c, _)| *c == code) {
        return Some(name);
    }
    u16::try_from(code)
        .ok()
        .and_then(Error::from_code)
        .map(Error::name)
}

/// `fapi_site`: where in a FAPI exchange a failure happened; it decides the
/// OAuth error (see [`fapi_result_oauth_error`]).
pub type fapi_site = u32;
/// The server's own work: loading keys, signing, issuing, an audit.
pub const FAPI_SITE_SERVER: fapi_site = 0;
/// Verifying a DPoP proof.
pub const FAPI_SITE_DPOP_PROOF: fapi_site = 1;
/// Authenticating a client.
pub const FAPI_SITE_CLIENT_AUTHENTICATION: fapi_site = 2;
/// The token endpoint's grant.
pub const FAPI_SITE_TOKEN_REQUEST: fapi_site = 3;
/// A pushed authorization request.
pub const FAPI_SITE_PAR_REQUEST: fapi_site = 4;
/// The authorization endpoint.
pub const FAPI_SITE_AUTHORIZATION_REQUEST: fapi_site = 5;
/// A signed request object.
pub const FAPI_SITE_REQUEST_OBJECT: fapi_site = 6;
/// A resource server checking an access token.
pub const FAPI_SITE_RESOURCE_REQUEST: fapi_site = 7;
/// The introspection endpoint.
pub const FAPI_SITE_INTROSPECTION: fapi_site = 8;

fn site_of(site: fapi_site) -> Result<Where, Failure> {
    Ok(Where::At(match site {
        FAPI_SITE_SERVER => return Ok(Where::Server),
        FAPI_SITE_DPOP_PROOF => Site::DpopProof,
        FAPI_SITE_CLIENT_AUTHENTICATION => Site::ClientAuthentication,
        FAPI_SITE_TOKEN_REQUEST => Site::TokenRequest,
        FAPI_SITE_PAR_REQUEST => Site::ParRequest,
        FAPI_SITE_AUTHORIZATION_REQUEST => Site::AuthorizationRequest,
        FAPI_SITE_REQUEST_OBJECT => Site::RequestObject,
        FAPI_SITE_RESOURCE_REQUEST => Site::ResourceRequest,
        FAPI_SITE_INTROSPECTION => Site::Introspection,
        other => return Err(Failure::invalid(format!("{other} is not a fapi_site"))),
    }))
}

/// Writes the stable lower-case name of a result code (`ok`,
/// `bad_signature`, `insufficient_size`, ...). An unknown code is
/// `FAPI_INVALID_ARGUMENT`.
///
/// ```c
/// char name[64]; size_t n;
/// fapi_result_name(FAPI_DPOP_ATH, name, sizeof name, &n, NULL); /* "dpop_ath" */
/// ```
///
/// # Safety
/// `out` is writable for `cap` bytes; `out_len` is writable; `err` is NULL
/// or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_result_name(
    code: fapi_result,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let out = unsafe { Out::text(out, cap, out_len, "out_len") }?;
        let name = name_of(code)
            .ok_or_else(|| Failure::invalid(format!("{code} is not a fapi_result")))?;
        out.put(name.as_bytes())
    })
}

/// Writes the OAuth error code (`invalid_token`, `invalid_dpop_proof`,
/// `use_dpop_nonce`, ...) a server answers with when `code` happens at
/// `site` (`FAPI_SITE_*`). The C API's own codes are `server_error`.
///
/// ```c
/// char e[FAPI_OAUTH_ERROR_MAX]; size_t n;
/// fapi_result_oauth_error(FAPI_BAD_SIGNATURE, FAPI_SITE_DPOP_PROOF, e, sizeof e, &n, NULL);
/// /* "invalid_dpop_proof" */
/// ```
///
/// # Safety
/// `out` is writable for `cap` bytes; `out_len` is writable; `err` is NULL
/// or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_result_oauth_error(
    code: fapi_result,
    site: fapi_site,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let out = unsafe { Out::text(out, cap, out_len, "out_len") }?;
        let site = site_of(site)?;
        let oauth = if FFI_CODES.iter().any(|(c, _)| *c == code) {
            OAuthError::ServerError
        } else {
            let e = u16::try_from(code)
                .ok()
                .and_then(Error::from_code)
                .ok_or_else(|| Failure::invalid(format!("{code} is not an error code")))?;
            match site {
                Where::At(s) => e.oauth_error(s),
                Where::Server => server_oauth_error(e),
            }
        };
        out.put(oauth.as_str().as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every core error keeps its own number in C, and the C API's codes lie
    /// above every `u16`.
    #[test]
    fn core_codes_pass_through_and_ffi_codes_cannot_collide() {
        for e in Error::ALL {
            assert_eq!(code_of(*e), u32::from(e.code()));
            assert_eq!(name_of(code_of(*e)), Some(e.name()));
        }
        for (code, name) in FFI_CODES {
            assert!(*code >= FAPI_FFI_BASE && *code > u32::from(u16::MAX));
            assert_eq!(name_of(*code), Some(*name));
        }
        assert_eq!(name_of(FAPI_OK), Some("ok"));
        assert_eq!(name_of(7), None);
    }
}
