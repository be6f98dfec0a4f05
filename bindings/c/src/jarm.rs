//! JWT-secured authorization responses (JARM; FAPI 2.0 Message Signing
//! §5.4): signed by the authorization server
//! ([`fapi_core::jarm::issue`]), read from the redirect and verified by the
//! client ([`fapi_core::jarm::response_param`],
//! [`fapi_core::jarm::verify`]).

use core::ffi::c_char;

use fapi_core::jarm::{self, Expectations, Response};
use fapi_core::profile::ResponseMode;
use fapi_core::{Error, FixedClock, Site};
use subtle::ConstantTimeEq as _;

use crate::ffi::{self, Context, Failure, Out, Where, boundary, fapi_error_detail};
use crate::jws::alg_list;
use crate::key::{fapi_alg, fapi_key, fapi_public_key};
use crate::profile::{fapi_profile, profile_arg};

/// An authorization response (JARM §2.1, §2.2): a success, `code` (and
/// `state`), or an error, `error` (and `error_description`, `state`).
/// Exactly one of `code` and `error` is set; the others are NULL when
/// absent.
#[repr(C)]
pub struct fapi_jarm_response {
    /// `code`, or NULL for an error response.
    pub code: *const c_char,
    /// Its length.
    pub code_len: usize,
    /// `error` (RFC 6749 §4.1.2.1, e.g. `access_denied`), or NULL.
    pub error: *const c_char,
    /// Its length.
    pub error_len: usize,
    /// `error_description`, or NULL.
    pub error_description: *const c_char,
    /// Its length.
    pub error_description_len: usize,
    /// The request's `state`, or NULL.
    pub state: *const c_char,
    /// Its length.
    pub state_len: usize,
}

/// `Debug` shows no member: the code is a secret.
impl core::fmt::Debug for fapi_jarm_response {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("fapi_jarm_response").finish_non_exhaustive()
    }
}

/// What the client expects of a JARM response.
#[repr(C)]
#[derive(Debug)]
pub struct fapi_jarm_expectations {
    /// The issuer the client sent its request to (exactly `iss`: RFC 9207).
    pub issuer: *const c_char,
    /// Its length.
    pub issuer_len: usize,
    /// The client's own id (`aud`).
    pub client_id: *const c_char,
    /// Its length.
    pub client_id_len: usize,
    /// The `state` the client sent, or NULL: when given, the response's
    /// `state` must be equal (compared in constant time), else
    /// `FAPI_INVALID_PARAMETER` (CSRF, session swapping).
    pub state: *const c_char,
    /// Its length.
    pub state_len: usize,
    /// The client's `authorization_signed_response_alg` values, each of the
    /// profile's; NULL with `n_algs` 0 for the profile's list.
    pub algs: *const fapi_alg,
    /// Their number.
    pub n_algs: usize,
    /// Clock leeway for `exp` and `iat` (seconds; more than 60 is
    /// `FAPI_PROFILE_VIOLATION`).
    pub leeway: u64,
    /// The time of the check, seconds since the epoch.
    pub now: u64,
}

/// Signs the authorization response `response` of `issuer` for `client_id`
/// under `profile` ([`fapi_core::jarm::issue`]): `iss`, `aud`, `iat`,
/// `exp` (`lifetime`: 1 to 600 seconds, FAPI 2.0 Message Signing §5.4;
/// else `FAPI_LIFETIME_TOO_SHORT`, `FAPI_LIFETIME_TOO_LONG`), and `code`
/// and `state`, or `error`, `error_description` and `state`. A key outside
/// the profile's algorithms is `FAPI_ALG_NOT_ALLOWED`; both or neither of
/// `code` and `error` is `FAPI_INVALID_PARAMETER`; an empty one
/// `FAPI_MISSING_CLAIM`. The server redirects to
/// `redirect_uri?response=<out>`.
///
/// ```c
/// fapi_jarm_response r = {.code = code, .code_len = code_len, .state = state,
///                         .state_len = state_len};
/// char jwt[2048]; size_t n;
/// fapi_jarm_issue(profile, key, "https://as.example", 18, "c1", 2, &r, time(NULL), 300,
///                 jwt, sizeof jwt, &n, &err);
/// ```
///
/// # Safety
/// `profile` is from `fapi_profile_get`; `key` is a live key; each
/// (pointer, length) pair is valid; `response` is valid with valid pairs;
/// `out` is writable for `cap` bytes; `out_len` is writable; `err` is NULL
/// or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_jarm_issue(
    profile: *const fapi_profile,
    key: *const fapi_key,
    issuer: *const c_char,
    issuer_len: usize,
    client_id: *const c_char,
    client_id_len: usize,
    response: *const fapi_jarm_response,
    issued_at: u64,
    lifetime: u64,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (profile, key, issuer, client_id, r, out) = unsafe {
            (
                profile_arg(profile)?,
                ffi::arg(key, "key")?.signer(),
                ffi::text(issuer, issuer_len, "issuer")?,
                ffi::text(client_id, client_id_len, "client_id")?,
                ffi::arg(response, "response")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        // SAFETY: contract: the response's pairs are valid.
        let (code, error, description, state) = unsafe {
            (
                ffi::opt_text(r.code, r.code_len, "response.code")?,
                ffi::opt_text(r.error, r.error_len, "response.error")?,
                ffi::opt_text(
                    r.error_description,
                    r.error_description_len,
                    "response.error_description",
                )?,
                ffi::opt_text(r.state, r.state_len, "response.state")?,
            )
        };
        let response = match (code, error) {
            (Some(code), None) if description.is_none() => Response::Code { code, state },
            (None, Some(error)) => Response::Error {
                error,
                description,
                state,
            },
            _ => {
                return Err(Failure::core(
                    Error::InvalidParameter,
                    "JARM response: exactly one of `code` and `error` \
                     (`error_description` only with `error`)",
                ));
            }
        };
        out.produce("JARM response", |buf| {
            jarm::issue(
                profile, issuer, client_id, &response, issued_at, lifetime, key, buf,
            )
            .context("JARM response")
        })
    })
}

/// Verifies the JARM response in the query of the redirect the user came
/// back with (`query`: what follows `?`, without the `#fragment`), for a
/// client that asked for `response_mode=jwt`.
///
/// Only the `response` parameter is read: a plain response (`code`,
/// `error`, `state` or `iss` as a parameter, beside `response` or instead
/// of it) is `FAPI_PLAIN_RESPONSE_REFUSED` (JARM §2.3, FAPI 2.0 Message
/// Signing §5.4); a `response` twice or percent-encoded is
/// `FAPI_MALFORMED`. Then ([`fapi_core::jarm::verify`]) the signature with
/// `as_key` and an algorithm of the profile and of `expect.algs`; `iss`
/// exactly the issuer (`FAPI_WRONG_ISSUER`); `aud` the client
/// (`FAPI_WRONG_AUDIENCE`); `exp` present, not passed and at most 10
/// minutes after `iat` (`FAPI_EXPIRED`, `FAPI_LIFETIME_TOO_LONG`); a `code`
/// or an `error` (`FAPI_MISSING_CLAIM` with neither, `FAPI_JSON` with
/// both); and, when `expect.state` is given, `state` equal to it
/// (`FAPI_INVALID_PARAMETER`).
///
/// The response is written to `out` as JSON: `{"code":..,"state":..}` or
/// `{"error":..,"error_description":..,"state":..}` (members absent when
/// the response has none). An error response verifies: its `error` is the
/// authorization server's answer, signed. A buffer of `query_len` bytes
/// always suffices.
///
/// ```c
/// fapi_jarm_expectations ex = {.issuer = "https://as.example", .issuer_len = 18,
///     .client_id = "c1", .client_id_len = 2, .state = state, .state_len = state_len,
///     .leeway = 10, .now = time(NULL)};
/// char response[2048]; size_t n;
/// if (fapi_jarm_verify(profile, as_key, &ex, query, query_len, response, sizeof response, &n,
///                      &err) != FAPI_OK)
///     /* refuse the redirect */;
/// ```
///
/// # Safety
/// `profile` is from `fapi_profile_get`; `as_key` is a live public key;
/// `expect` is valid with valid pairs and `n_algs` values at `algs`;
/// `query` is valid for `query_len` bytes; `out` is writable for `cap`
/// bytes; `out_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_jarm_verify(
    profile: *const fapi_profile,
    as_key: *const fapi_public_key,
    expect: *const fapi_jarm_expectations,
    query: *const c_char,
    query_len: usize,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::At(Site::AuthorizationRequest), || {
        // SAFETY: contract.
        let (profile, as_key, e, query, out) = unsafe {
            (
                profile_arg(profile)?,
                ffi::arg(as_key, "as_key")?,
                ffi::arg(expect, "expect")?,
                ffi::bytes(query.cast::<u8>(), query_len, "query")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        // SAFETY: contract: the expectations' pairs are valid.
        let (issuer, client_id, expected_state) = unsafe {
            (
                ffi::text(e.issuer, e.issuer_len, "expect.issuer")?,
                ffi::text(e.client_id, e.client_id_len, "expect.client_id")?,
                ffi::opt_bytes(e.state.cast::<u8>(), e.state_len, "expect.state")?,
            )
        };
        let algs = if e.n_algs == 0 {
            Vec::new()
        } else {
            // SAFETY: contract: `algs` holds `n_algs` values.
            unsafe { alg_list(e.algs, e.n_algs) }?
        };
        let mut expectations = Expectations::new(profile, issuer, client_id)
            .and_then(|x| x.with_leeway(e.leeway))
            .context("JARM expectations")?;
        if !algs.is_empty() {
            expectations = expectations.with_algs(&algs).context("JARM expectations")?;
        }
        // JARM §2.3: the client asked for a JWT; nothing else is read.
        let jwt = jarm::response_param(ResponseMode::Jwt, query)
            .context("JARM response")?
            .ok_or_else(|| Failure::core(Error::PlainResponseRefused, "JARM response"))?;
        let mut buf = zeroize::Zeroizing::new(vec![0u8; jarm::verify_buf_len(jwt.len())]);
        let response = jarm::verify(
            jwt,
            &expectations,
            &as_key.verifier(),
            &FixedClock(e.now),
            &mut buf,
        )
        .context("JARM response")?;
        let state = match response {
            Response::Code { state, .. } | Response::Error { state, .. } => state,
        };
        if let Some(want) = expected_state {
            let got = state.unwrap_or_default().as_bytes();
            if !bool::from(want.ct_eq(got)) {
                return Err(Failure::core(
                    Error::InvalidParameter,
                    "JARM response: `state` is not the one sent",
                ));
            }
        }
        let mut doc = serde_json::Map::new();
        let mut put = |name: &str, value: Option<&str>| {
            if let Some(v) = value {
                let _ = doc.insert(name.to_owned(), v.into());
            }
        };
        match response {
            Response::Code { code, state } => {
                put("code", Some(code));
                put("state", state);
            }
            Response::Error {
                error,
                description,
                state,
            } => {
                put("error", Some(error));
                put("error_description", description);
                put("state", state);
            }
        }
        let json = zeroize::Zeroizing::new(serde_json::Value::Object(doc).to_string());
        out.put(json.as_bytes())
    })
}
