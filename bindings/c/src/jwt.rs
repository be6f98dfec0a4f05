//! JWTs (RFC 7519, RFC 8725): verified by the core's [`fapi_core::jwt`]
//! module, which checks the JWS, `typ`, `iss`, `aud`, `exp`, `nbf`, `iat`
//! and `jti`.

use core::ffi::c_char;

use fapi_core::jwt::{self, Expectations, Typ};
use fapi_core::{FixedClock, Site};

use crate::ffi::{self, Context, Out, Where, boundary, fapi_error_detail};
use crate::jws::alg_list;
use crate::key::{fapi_alg, fapi_public_key};

/// What a JWT must satisfy: its issuer and audience are required; `typ`
/// is required when given, and otherwise may be absent or `JWT`.
#[repr(C)]
#[derive(Debug)]
pub struct fapi_jwt_expectations {
    /// The required `typ` header (RFC 8725 §3.11), or NULL: then `typ` may
    /// be absent or `JWT` (ID tokens, JARM responses).
    pub typ: *const c_char,
    /// Its length.
    pub typ_len: usize,
    /// The required `iss` (not NULL, not empty).
    pub issuer: *const c_char,
    /// Its length.
    pub issuer_len: usize,
    /// A value `aud` must be or contain (not NULL, not empty).
    pub audience: *const c_char,
    /// Its length.
    pub audience_len: usize,
    /// The time of the check, seconds since the epoch.
    pub now: u64,
    /// Clock leeway for `exp`, `nbf` and `iat` (seconds; more than 60 is
    /// `FAPI_PROFILE_VIOLATION`).
    pub leeway: u64,
}

/// Verifies a JWT with [`fapi_core::jwt::verify`]: the JWS (`alg` in
/// `algs` and the key's, F2-ALG), `typ` (`FAPI_WRONG_TYPE`), the claims
/// JSON (one object, no member twice), `iss` (`FAPI_WRONG_ISSUER`), `aud`
/// (`FAPI_WRONG_AUDIENCE`), `exp` (required, `FAPI_MISSING_CLAIM`; passed:
/// `FAPI_EXPIRED`), `nbf` (`FAPI_NOT_YET_VALID`), `iat`
/// (`FAPI_ISSUED_IN_FUTURE`), a lifetime (`exp - iat`, or `exp - now`
/// without `iat`) of at most a day (`FAPI_LIFETIME_TOO_LONG`) and a
/// non-empty `jti` (`FAPI_EMPTY_JTI`). The claims JSON is written to
/// `claims_out`.
///
/// ```c
/// fapi_jwt_expectations ex = {"JWT", 3, "https://as.example", 18, NULL, 0, time(NULL), 10};
/// fapi_alg algs[] = {FAPI_ALG_ES256};
/// char claims[4096]; size_t n;
/// fapi_jwt_verify(jwt, jwt_len, pub, algs, 1, &ex, claims, sizeof claims, &n, &err);
/// ```
///
/// # Safety
/// Each (pointer, length) pair is valid; `key` is a live public key;
/// `algs` holds `n_algs` values; `expect` is valid; `claims_out` is
/// writable for `cap` bytes; `claims_len` is writable; `err` is NULL or
/// valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_jwt_verify(
    jwt: *const c_char,
    jwt_len: usize,
    key: *const fapi_public_key,
    algs: *const fapi_alg,
    n_algs: usize,
    expect: *const fapi_jwt_expectations,
    claims_out: *mut c_char,
    cap: usize,
    claims_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::At(Site::ResourceRequest), || {
        // SAFETY: contract.
        let (compact, key, algs, expect, out) = unsafe {
            (
                ffi::bytes(jwt.cast::<u8>(), jwt_len, "jwt")?,
                ffi::arg(key, "key")?,
                alg_list(algs, n_algs)?,
                ffi::arg(expect, "expect")?,
                Out::text(claims_out, cap, claims_len, "claims_len")?,
            )
        };
        // SAFETY: contract: the expectations' pairs are valid.
        let (typ, issuer, audience) = unsafe {
            (
                ffi::opt_text(expect.typ, expect.typ_len, "expect.typ")?,
                ffi::text(expect.issuer, expect.issuer_len, "expect.issuer")?,
                ffi::text(expect.audience, expect.audience_len, "expect.audience")?,
            )
        };
        let typ = typ.map_or(Typ::AbsentOr("JWT"), Typ::Required);
        let expectations = Expectations::new(&algs, typ, issuer, audience)
            .and_then(|e| e.with_leeway(expect.leeway))
            .context("JWT expectations")?;
        let mut buf = vec![0u8; jwt::verify_buf_len(compact.len())];
        let verified = jwt::verify(
            compact,
            &expectations,
            &key.verifier(),
            &FixedClock(expect.now),
            &mut buf,
        )
        .context("JWT")?;
        let claims = verified.payload;
        out.put(claims)
    })
}
