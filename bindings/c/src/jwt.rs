//! JWTs (RFC 7519, RFC 8725): verified by the core's [`fapi_core::jwt`]
//! module, which checks the JWS, `typ`, `iss`, `aud`, `exp`, `nbf`, `iat`
//! and `jti`.

use core::ffi::c_char;

use fapi_core::jwt::{self, Expectations, Typ};
use fapi_core::{Alg, Error, FixedClock, Site, Verifier};

use crate::ffi::{self, Failure, Out, Where, boundary, fapi_error_detail};
use crate::jws::alg_list;
use crate::key::{fapi_alg, fapi_public_key};
use crate::values;

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
/// `claims_out`. An empty `expect.issuer` or `expect.audience` is
/// `FAPI_PROFILE_VIOLATION` (RFC 8725 §3.9), and the message names the
/// field; a refused token's message shows what was expected and what the
/// token held (`iss`, `aud`, `typ`, `exp` against now, the missing claim).
///
/// ```c
/// /* typ, iss and aud (this server: required), now, leeway */
/// fapi_jwt_expectations ex = {"JWT", 3, "https://as.example", 18, "https://rs.example", 18,
///                             time(NULL), 10};
/// fapi_alg algs[] = {FAPI_ALG_ES256};
/// char claims[4096]; size_t n;
/// if (fapi_jwt_verify(jwt, jwt_len, pub, algs, 1, &ex, claims, sizeof claims, &n, &err)
///     != FAPI_OK)
///     fprintf(stderr, "%s\n", err.message); /* expected aud "https://rs.example", got ... */
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
        let claims = unsafe { verify_with(compact, &key.verifier(), &algs, expect) }?;
        out.put(&claims)
    })
}

/// The JWT checks of [`fapi_jwt_verify`] with `verifier`; the claims JSON.
///
/// # Safety
/// The pairs of `expect` are valid.
pub(crate) unsafe fn verify_with(
    compact: &[u8],
    verifier: &dyn Verifier,
    algs: &[Alg],
    expect: &fapi_jwt_expectations,
) -> Result<Vec<u8>, Failure> {
    // SAFETY: forwarded contract.
    let (typ, issuer, audience) = unsafe {
        (
            ffi::opt_text(expect.typ, expect.typ_len, "expect.typ")?,
            ffi::text(expect.issuer, expect.issuer_len, "expect.issuer")?,
            ffi::text(expect.audience, expect.audience_len, "expect.audience")?,
        )
    };
    // RFC 8725 §3.9: a JWT is checked against the audience it was issued
    // for; the core refuses to verify without one (ProfileViolation).
    // Said here, with the field to set.
    for (value, field) in [(issuer, "issuer"), (audience, "audience")] {
        if value.is_empty() {
            return Err(Failure::core(
                Error::ProfileViolation,
                &format!(
                    "JWT expectations: expect.{field} is required (RFC 8725 §3.9: every JWT is \
                     checked against the {field} it must name)"
                ),
            ));
        }
    }
    if algs.is_empty() {
        return Err(Failure::core(
            Error::ProfileViolation,
            "JWT expectations: `algs` is empty: name the algorithms accepted",
        ));
    }
    let typ_rule = typ.map_or(Typ::AbsentOr("JWT"), Typ::Required);
    let expectations = Expectations::new(algs, typ_rule, issuer, audience)
        .and_then(|e| e.with_leeway(expect.leeway))
        .map_err(|e| {
            Failure::core(
                e,
                &format!(
                    "JWT expectations: leeway {} s (at most 60), typ {:?}",
                    expect.leeway,
                    typ.unwrap_or("JWT")
                ),
            )
        })?;
    let mut buf = vec![0u8; jwt::verify_buf_len(compact.len())];
    match jwt::verify(
        compact,
        &expectations,
        verifier,
        &FixedClock(expect.now),
        &mut buf,
    ) {
        Ok(verified) => Ok(verified.payload.to_vec()),
        Err(e) => {
            let expected = values::Expected {
                typ,
                issuer,
                audience,
                algs,
                now: expect.now,
                leeway: expect.leeway,
                required: &["iss", "aud", "exp", "jti"],
            };
            Err(match values::explain(e, compact, &expected) {
                Some(v) => Failure::core(e, &format!("JWT ({v})")),
                None => Failure::core(e, "JWT"),
            })
        }
    }
}
