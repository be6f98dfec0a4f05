//! JWTs (RFC 7519, RFC 8725): a JWS of JSON claims whose `iss`, `aud`,
//! `exp`, `nbf` and `iat` are checked.

use core::ffi::c_char;

use fapi_core::claims;
use fapi_core::jws::{self, Policy};
use fapi_core::{Error, Site};

use crate::ffi::{self, Context, Out, Where, boundary, fapi_error_detail};
use crate::jws::alg_list;
use crate::key::{fapi_alg, fapi_public_key};

/// What a JWT must satisfy. Each text is optional (NULL: not checked).
#[repr(C)]
#[derive(Debug)]
pub struct fapi_jwt_expectations {
    /// The required `typ` header (RFC 8725 §3.11), or NULL.
    pub typ: *const c_char,
    /// Its length.
    pub typ_len: usize,
    /// The required `iss`, or NULL.
    pub issuer: *const c_char,
    /// Its length.
    pub issuer_len: usize,
    /// A value `aud` must be or contain, or NULL.
    pub audience: *const c_char,
    /// Its length.
    pub audience_len: usize,
    /// The time of the check, seconds since the epoch.
    pub now: u64,
    /// Clock leeway for `exp`, `nbf` and `iat` (seconds).
    pub leeway: u64,
}

#[derive(serde::Deserialize)]
struct TimeClaims<'a> {
    #[serde(borrow)]
    iss: Option<&'a str>,
    exp: Option<u64>,
    nbf: Option<u64>,
    iat: Option<u64>,
}

/// Verifies a JWT: the JWS as [`fapi_jws_verify`](crate::jws::fapi_jws_verify)
/// does (claims JSON without duplicate members), then `exp` (required,
/// `FAPI_MISSING_CLAIM`; passed: `FAPI_EXPIRED`), `nbf` (`FAPI_NOT_YET_VALID`),
/// `iat` (`FAPI_ISSUED_IN_FUTURE`), `iss` (`FAPI_WRONG_ISSUER`) and `aud`
/// (`FAPI_WRONG_AUDIENCE`). The claims JSON is written to `claims_out`.
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
                ffi::opt_text(expect.issuer, expect.issuer_len, "expect.issuer")?,
                ffi::opt_text(expect.audience, expect.audience_len, "expect.audience")?,
            )
        };
        let mut policy = Policy::new(&algs).json_payload();
        if let Some(t) = typ {
            policy = policy.with_typ(t);
        }
        let mut buf = vec![0u8; compact.len()];
        let verified = jws::verify(compact, &policy, &key.verifier(), &mut buf).context("JWT")?;
        let claims = verified.payload;
        let c: TimeClaims<'_> = fapi_core::json::parse(claims).context("JWT claims")?;
        let (now, leeway) = (expect.now, expect.leeway);
        let _ = claims::check_exp(c.exp, now, leeway).context("JWT `exp`")?;
        claims::check_nbf(c.nbf, now, leeway).context("JWT `nbf`")?;
        if let Some(iat) = c.iat {
            claims::check_iat(iat, now, leeway, u64::MAX).context("JWT `iat`")?;
        }
        if let Some(want) = issuer
            && c.iss != Some(want)
        {
            return Err(ffi::Failure::core(Error::WrongIssuer, "JWT `iss`"));
        }
        if let Some(want) = audience {
            let aud = claims::audience(claims)
                .context("JWT `aud`")?
                .ok_or_else(|| ffi::Failure::core(Error::MissingClaim, "JWT `aud`"))?;
            if !aud.contains(want) {
                return Err(ffi::Failure::core(Error::WrongAudience, "JWT `aud`"));
            }
        }
        out.put(claims)
    })
}
