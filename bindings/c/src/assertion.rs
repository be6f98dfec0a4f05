//! `private_key_jwt` client assertions (RFC 7523): made by the client,
//! verified by the authorization server with the client's JWKS.

use core::ffi::c_char;

use fapi_awslc::AWSLC;
use fapi_core::assertion::{self, AssertionConfig, DEFAULT_MAX_LIFETIME};
use fapi_core::json::Writer;
use fapi_core::jwk::Jwks;
use fapi_core::jws::{self, HeaderParams};
use fapi_core::{Error, FixedClock, Site};

use crate::dpop::fresh_jti;
use crate::ffi::{self, Context, Failure, Out, Where, boundary, fapi_error_detail, fapi_str};
use crate::key::fapi_key;
use crate::profile::{fapi_profile, profile_arg};
use crate::replay::fapi_replay_cache;
use crate::values;

/// The claims of an assertion: `iss` = `sub` = `client_id`, `aud`, a fresh
/// `jti`, `iat` and `exp`.
fn claims(
    client_id: &str,
    audience: &str,
    jti: &str,
    iat: u64,
    exp: u64,
    out: &mut [u8],
) -> Result<usize, Error> {
    let mut w = Writer::new(out);
    w.raw(b"{")?;
    w.key("iss")?;
    w.string(client_id)?;
    w.raw(b",")?;
    w.key("sub")?;
    w.string(client_id)?;
    w.raw(b",")?;
    w.key("aud")?;
    w.string(audience)?;
    w.raw(b",")?;
    w.key("jti")?;
    w.string(jti)?;
    w.raw(b",")?;
    w.key("iat")?;
    w.uint(iat)?;
    w.raw(b",")?;
    w.key("exp")?;
    w.uint(exp)?;
    w.raw(b"}")?;
    Ok(w.len())
}

/// Makes a client assertion for `private_key_jwt`, signed by the client's
/// `key` (`kid` its key id, no `typ`): `iss` = `sub` = `client_id`, `aud`
/// = `audience` (the issuer identifier, as FAPI 2.0 asks clients to send),
/// a fresh 128-bit `jti`, `iat` = `now`, `exp` = `now + lifetime`. The
/// lifetime is 1 to 60 s: what servers accept by default.
///
/// ```c
/// char a[2048]; size_t n;
/// fapi_client_assertion_create(client_key, "c1", 2, "https://as.example", 18, time(NULL), 60,
///                              a, sizeof a, &n, &err);
/// ```
///
/// # Safety
/// `key` is a live key; the pairs are valid; `out` is writable for `cap`
/// bytes; `out_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_client_assertion_create(
    key: *const fapi_key,
    client_id: *const c_char,
    client_id_len: usize,
    audience: *const c_char,
    audience_len: usize,
    now: u64,
    lifetime: u64,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (key, client_id, audience, out) = unsafe {
            (
                ffi::arg(key, "key")?.signer(),
                ffi::text(client_id, client_id_len, "client_id")?,
                ffi::text(audience, audience_len, "audience")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        if lifetime == 0 {
            return Err(Failure::core(
                Error::LifetimeTooShort,
                "client assertion lifetime",
            ));
        }
        if lifetime > DEFAULT_MAX_LIFETIME {
            return Err(Failure::core(
                Error::LifetimeTooLong,
                "client assertion lifetime",
            ));
        }
        let exp = now
            .checked_add(lifetime)
            .ok_or_else(|| Failure::core(Error::LifetimeTooLong, "client assertion `exp`"))?;
        let jti = fresh_jti()?;
        let mut body = [0u8; 2048];
        let n =
            claims(client_id, audience, &jti, now, exp, &mut body).context("client assertion")?;
        let payload = body
            .get(..n)
            .ok_or_else(|| Failure::core(Error::BufferTooSmall, "client assertion"))?;
        let header = HeaderParams {
            typ: None,
            kid: Some(key.key_id()),
            jwk: None,
        };
        out.produce("client assertion", |buf| {
            jws::sign(key, &header, payload, buf).context("client assertion")
        })
    })
}

/// Verifies the client assertion of `client_id` at the authorization server
/// (RFC 7523 §3, FAPI 2.0): the signature with the key of `client_jwks`
/// that `kid` and `alg` select (`alg` in the profile's list), `iss` = `sub`
/// = `client_id` (`FAPI_CLIENT_MISMATCH`), `aud` as the profile's rule
/// accepts (`FAPI_WRONG_AUDIENCE`): under `fapi2` and `fapi2-plus` (FAPI
/// 2.0 final §5.3.2.1) `issuer` as a plain string only, `endpoints`
/// ignored; under the others (RFC 7523 §3, RFC 9126 §2) `issuer` or one
/// of `endpoints` (the token endpoint URL and the URL the assertion was
/// sent to), as a string or an array member; `exp` (`FAPI_EXPIRED`), a lifetime
/// of at most 60 s (`FAPI_LIFETIME_TOO_LONG`), `iat`/`nbf` at most 10 s
/// ahead, and the `jti` used once (recorded in `cache`: `FAPI_REPLAY`).
/// Refusals map to `invalid_client`.
///
/// ```c
/// fapi_str aud[] = {{"https://as.example/token", 24}};
/// if (fapi_client_assertion_verify(profile, a, a_len, "c1", 2, jwks, jwks_len,
///                                  "https://as.example", 18, aud, 1, jtis, time(NULL), &err)
///     != FAPI_OK)
///     /* 401 {"error":"invalid_client"} */;
/// ```
///
/// # Safety
/// `profile` is from `fapi_profile_get`; the pairs are valid; `endpoints`
/// holds `n_endpoints` valid strings; `cache` is a live cache; `err` is
/// NULL or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_client_assertion_verify(
    profile: *const fapi_profile,
    assertion: *const c_char,
    assertion_len: usize,
    client_id: *const c_char,
    client_id_len: usize,
    client_jwks: *const c_char,
    client_jwks_len: usize,
    issuer: *const c_char,
    issuer_len: usize,
    endpoints: *const fapi_str,
    n_endpoints: usize,
    cache: *const fapi_replay_cache,
    now: u64,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::At(Site::ClientAuthentication), || {
        // SAFETY: contract.
        let (profile, assertion, client_id, jwks, issuer, endpoints, cache) = unsafe {
            (
                profile_arg(profile)?,
                ffi::bytes(assertion.cast::<u8>(), assertion_len, "assertion")?,
                ffi::text(client_id, client_id_len, "client_id")?,
                ffi::bytes(client_jwks.cast::<u8>(), client_jwks_len, "client_jwks")?,
                ffi::text(issuer, issuer_len, "issuer")?,
                ffi::texts(endpoints, n_endpoints, "endpoints")?,
                ffi::arg(cache, "cache")?,
            )
        };
        // Members written with escapes (RFC 8259 §7) are read: scratch
        // sized from the input.
        let mut scratch = vec![0u8; fapi_core::json::scratch_len(jwks).context("client JWKS")?];
        let jwks = Jwks::from_json_in(jwks, &mut scratch).context("client JWKS")?;
        let config = AssertionConfig::new(profile, issuer).with_endpoint_audiences(&endpoints);
        let _ = assertion::verify_assertion(
            assertion,
            client_id,
            &jwks,
            &config,
            &AWSLC,
            &FixedClock(now),
            cache,
        )
        .map_err(|err| {
            // RFC 7523 §3: iss and sub are the client_id, aud the
            // authorization server (its issuer, or an endpoint the profile
            // allows).
            let expected = values::Expected {
                typ: None,
                issuer: client_id,
                audience: issuer,
                algs: profile.algs,
                now,
                leeway: 0,
                required: &["iss", "sub", "aud", "jti", "exp"],
            };
            match values::explain(err, assertion, &expected) {
                Some(v) => Failure::core(err, &format!("client assertion ({v})")),
                None => Failure::core(err, "client assertion"),
            }
        })?;
        Ok(())
    })
}
