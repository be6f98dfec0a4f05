//! OpenID Connect ID tokens (OpenID Connect Core 1.0 §2): issued by the
//! authorization server under a profile ([`fapi_core::id_token::issue`]),
//! verified by the client ([`fapi_core::id_token::verify`]: §3.1.3.7, the
//! nonce, `azp`, `at_hash`/`c_hash`/`s_hash`, OB-INTENT, the CDR `acr`).

use core::ffi::c_char;

use fapi_core::claims::Audience;
use fapi_core::id_token::{self, Expectations, IdTokenParams};
use fapi_core::{FixedClock, Site};

use crate::ffi::{self, Context, Failure, Out, Where, boundary, fapi_error_detail};
use crate::jws::alg_list;
use crate::key::{fapi_alg, fapi_key, fapi_public_key};
use crate::profile::{fapi_profile, profile_arg};
use crate::values;

/// The contents of an ID token to issue. Texts are (pointer, length)
/// pairs; optional ones are NULL when absent. Times are seconds since the
/// epoch; an optional time is 0 when absent.
///
/// The access token, code and state are hashed into `at_hash`, `c_hash`
/// and `s_hash` (the left half of the hash of the key's algorithm: SHA-256
/// for PS256 and ES256, SHA-512 for EdDSA); they are not written.
#[repr(C)]
pub struct fapi_id_token_params {
    /// `iss`.
    pub issuer: *const c_char,
    /// Its length.
    pub issuer_len: usize,
    /// `sub`: the end-user.
    pub subject: *const c_char,
    /// Its length.
    pub subject_len: usize,
    /// `aud`: the client id.
    pub client_id: *const c_char,
    /// Its length.
    pub client_id_len: usize,
    /// `iat`.
    pub issued_at: u64,
    /// `exp - iat`: 1 to 86400 seconds (0 is `FAPI_LIFETIME_TOO_SHORT`).
    pub lifetime: u64,
    /// `auth_time`, or 0.
    pub auth_time: u64,
    /// `nonce`: the authorization request's, or NULL.
    pub nonce: *const c_char,
    /// Its length.
    pub nonce_len: usize,
    /// `acr`, or NULL (required under `cdr`: `urn:cds.au:cdr:2` or `:3`).
    pub acr: *const c_char,
    /// Its length.
    pub acr_len: usize,
    /// The access token issued with the ID token, for `at_hash`, or NULL.
    pub access_token: *const c_char,
    /// Its length.
    pub access_token_len: usize,
    /// The authorization code, for `c_hash`, or NULL.
    pub code: *const c_char,
    /// Its length.
    pub code_len: usize,
    /// The request's `state`, for `s_hash`, or NULL.
    pub state: *const c_char,
    /// Its length.
    pub state_len: usize,
    /// The consent id, written as `openbanking_intent_id` (OB-INTENT:
    /// required under `obie`), or NULL.
    pub intent_id: *const c_char,
    /// Its length.
    pub intent_id_len: usize,
    /// CDR `sharing_expires_at`, or 0.
    pub sharing_expires_at: u64,
    /// CDR `refresh_token_expires_at`, or 0.
    pub refresh_token_expires_at: u64,
    /// The authorization request's `max_age`, or 0: then `auth_time` is
    /// required and at most `max_age` before `issued_at` (OpenID Connect
    /// Core §3.1.2.1).
    pub max_age: u64,
}

/// `Debug` names the public members only: the access token and the code are
/// secrets.
impl core::fmt::Debug for fapi_id_token_params {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("fapi_id_token_params")
            .field("issued_at", &self.issued_at)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// What the client expects of an ID token (OpenID Connect Core §3.1.3.7).
/// Texts are (pointer, length) pairs; optional ones are NULL when absent.
#[repr(C)]
pub struct fapi_id_token_expectations {
    /// The issuer the client sent its request to (exactly `iss`).
    pub issuer: *const c_char,
    /// Its length.
    pub issuer_len: usize,
    /// The client's own id (in `aud`, and `azp` when present).
    pub client_id: *const c_char,
    /// Its length.
    pub client_id_len: usize,
    /// The nonce the client sent, or NULL: when given, the ID token must
    /// carry it (`FAPI_MISSING_CLAIM`) and it must be equal
    /// (`FAPI_NONCE_MISMATCH`).
    pub nonce: *const c_char,
    /// Its length.
    pub nonce_len: usize,
    /// The access token received with the ID token, or NULL: `at_hash`,
    /// when present, must be its hash (`FAPI_HASH_MISMATCH`).
    pub access_token: *const c_char,
    /// Its length.
    pub access_token_len: usize,
    /// The code received with the ID token, or NULL: `c_hash` is then
    /// required and must be its hash.
    pub code: *const c_char,
    /// Its length.
    pub code_len: usize,
    /// The state received with the ID token, or NULL: `s_hash` is then
    /// required and must be its hash.
    pub state: *const c_char,
    /// Its length.
    pub state_len: usize,
    /// The client's registered algorithms
    /// (`id_token_signed_response_alg`), each of the profile's; NULL with
    /// `n_algs` 0 for the profile's list.
    pub algs: *const fapi_alg,
    /// Their number.
    pub n_algs: usize,
    /// The oldest `iat` accepted, in seconds before `now`: 1 to 86400, or
    /// 0 for the default (600).
    pub max_age: u64,
    /// Clock leeway for `exp` and `iat` (seconds; more than 60 is
    /// `FAPI_PROFILE_VIOLATION`).
    pub leeway: u64,
    /// The time of the check, seconds since the epoch.
    pub now: u64,
}

/// `Debug` names the public members only: the access token and the code are
/// secrets.
impl core::fmt::Debug for fapi_id_token_expectations {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("fapi_id_token_expectations")
            .field("n_algs", &self.n_algs)
            .field("max_age", &self.max_age)
            .field("leeway", &self.leeway)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// Issues an ID token signed by `key` under `profile`
/// ([`fapi_core::id_token::issue`]): `iss`, `sub`, `aud`, `exp`, `iat`,
/// and the optional claims of `params`. Refused: a key whose algorithm the
/// profile does not allow (`FAPI_ALG_NOT_ALLOWED`: F2-ALG, OB-ALG,
/// OFB-ALG, CDR-ALG), a lifetime of 0 or over a day
/// (`FAPI_LIFETIME_TOO_SHORT`, `FAPI_LIFETIME_TOO_LONG`), an empty `iss`,
/// `sub` or `aud` (`FAPI_MISSING_CLAIM`), no intent id under `obie`
/// (OB-INTENT, `FAPI_MISSING_CLAIM`), no allowed `acr` under `cdr`
/// (`FAPI_ACR_NOT_ALLOWED`).
///
/// ```c
/// fapi_id_token_params p = {.issuer = "https://as.example", .issuer_len = 18,
///     .subject = "alice", .subject_len = 5, .client_id = "c1", .client_id_len = 2,
///     .issued_at = time(NULL), .lifetime = 300, .nonce = nonce, .nonce_len = strlen(nonce),
///     .access_token = at, .access_token_len = at_len};
/// char id_token[4096]; size_t n;
/// fapi_id_token_issue(profile, key, &p, id_token, sizeof id_token, &n, &err);
/// ```
///
/// # Safety
/// `profile` is from `fapi_profile_get`; `key` is a live key; `params` is
/// valid with valid pairs; `out` is writable for `cap` bytes; `out_len` is
/// writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_id_token_issue(
    profile: *const fapi_profile,
    key: *const fapi_key,
    params: *const fapi_id_token_params,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (profile, key, p, out) = unsafe {
            (
                profile_arg(profile)?,
                ffi::arg(key, "key")?.signer(),
                ffi::arg(params, "params")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        // SAFETY: contract: the params' pairs are valid.
        let (issuer, subject, client_id, nonce, acr, access_token, code, state, intent_id) = unsafe {
            (
                ffi::text(p.issuer, p.issuer_len, "params.issuer")?,
                ffi::text(p.subject, p.subject_len, "params.subject")?,
                ffi::text(p.client_id, p.client_id_len, "params.client_id")?,
                ffi::opt_text(p.nonce, p.nonce_len, "params.nonce")?,
                ffi::opt_text(p.acr, p.acr_len, "params.acr")?,
                ffi::opt_bytes(
                    p.access_token.cast::<u8>(),
                    p.access_token_len,
                    "params.access_token",
                )?,
                ffi::opt_bytes(p.code.cast::<u8>(), p.code_len, "params.code")?,
                ffi::opt_bytes(p.state.cast::<u8>(), p.state_len, "params.state")?,
                ffi::opt_text(p.intent_id, p.intent_id_len, "params.intent_id")?,
            )
        };
        let some = |t: u64| (t != 0).then_some(t);
        let params = IdTokenParams {
            issuer,
            subject,
            client_id,
            issued_at: p.issued_at,
            lifetime: p.lifetime,
            auth_time: some(p.auth_time),
            nonce,
            acr,
            access_token,
            code,
            state,
            intent_id,
            sharing_expires_at: some(p.sharing_expires_at),
            refresh_token_expires_at: some(p.refresh_token_expires_at),
            max_age: some(p.max_age),
        };
        out.produce("ID token", |buf| {
            id_token::issue(profile, &params, key, buf).context("ID token")
        })
    })
}

/// Verifies an ID token at the client under `profile`, with the issuer's
/// key ([`fapi_core::id_token::verify`], OpenID Connect Core §3.1.3.7):
/// the signature with an algorithm of the profile and of `expect.algs`
/// (`FAPI_ALG_NOT_ALLOWED`); `typ` absent or `JWT`; `iss`
/// (`FAPI_WRONG_ISSUER`); `aud` naming the client (`FAPI_WRONG_AUDIENCE`);
/// `azp` (`FAPI_WRONG_AUTHORIZED_PARTY`); `exp` (`FAPI_EXPIRED`); `iat`
/// not in the future and not older than `max_age` (`FAPI_TOO_OLD`); the
/// nonce (`FAPI_NONCE_MISMATCH`, in constant time); `at_hash`, `c_hash`,
/// `s_hash` (`FAPI_HASH_MISMATCH`); `openbanking_intent_id` under `obie`
/// and the `acr` under `cdr`. The OAuth error of a refusal is the token
/// response's (`invalid_grant` for the signature and the claims,
/// `invalid_request` for a malformed token): the client does not use the
/// token response.
///
/// The verified claims are written to `claims_out` as JSON: `iss`, `sub`,
/// `aud`, `exp`, `iat`, and those present of `auth_time`, `acr`, `azp`,
/// `openbanking_intent_id`, `sharing_expires_at`,
/// `refresh_token_expires_at`. A buffer of `id_token_len + issuer_len +
/// 256` bytes always suffices.
///
/// ```c
/// fapi_id_token_expectations ex = {.issuer = "https://as.example", .issuer_len = 18,
///     .client_id = "c1", .client_id_len = 2, .nonce = nonce, .nonce_len = strlen(nonce),
///     .access_token = at, .access_token_len = at_len, .leeway = 10, .now = time(NULL)};
/// char claims[4096]; size_t n;
/// if (fapi_id_token_verify(profile, as_key, &ex, id_token, id_token_len, claims, sizeof claims,
///                          &n, &err) != FAPI_OK)
///     /* refuse the token response */;
/// ```
///
/// # Safety
/// `profile` is from `fapi_profile_get`; `as_key` is a live public key;
/// `expect` is valid with valid pairs and `n_algs` values at `algs`;
/// `id_token` is valid for `id_token_len` bytes; `claims_out` is writable
/// for `cap` bytes; `claims_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_id_token_verify(
    profile: *const fapi_profile,
    as_key: *const fapi_public_key,
    expect: *const fapi_id_token_expectations,
    id_token: *const c_char,
    id_token_len: usize,
    claims_out: *mut c_char,
    cap: usize,
    claims_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::At(Site::TokenRequest), || {
        // SAFETY: contract.
        let (profile, as_key, e, compact, out) = unsafe {
            (
                profile_arg(profile)?,
                ffi::arg(as_key, "as_key")?,
                ffi::arg(expect, "expect")?,
                ffi::bytes(id_token.cast::<u8>(), id_token_len, "id_token")?,
                Out::text(claims_out, cap, claims_len, "claims_len")?,
            )
        };
        // SAFETY: contract: the expectations' pairs and list are valid.
        let (issuer, client_id, nonce, access_token, code, state) = unsafe {
            (
                ffi::text(e.issuer, e.issuer_len, "expect.issuer")?,
                ffi::text(e.client_id, e.client_id_len, "expect.client_id")?,
                ffi::opt_text(e.nonce, e.nonce_len, "expect.nonce")?,
                ffi::opt_bytes(
                    e.access_token.cast::<u8>(),
                    e.access_token_len,
                    "expect.access_token",
                )?,
                ffi::opt_bytes(e.code.cast::<u8>(), e.code_len, "expect.code")?,
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
            .context("ID token expectations")?;
        if !algs.is_empty() {
            expectations = expectations
                .with_algs(&algs)
                .context("ID token expectations")?;
        }
        if e.max_age != 0 {
            expectations = expectations
                .with_max_age(e.max_age)
                .context("ID token expectations")?;
        }
        if let Some(n) = nonce {
            expectations = expectations.with_nonce(n);
        }
        if let Some(t) = access_token {
            expectations = expectations.with_access_token(t);
        }
        if let Some(c) = code {
            expectations = expectations.with_code(c);
        }
        if let Some(s) = state {
            expectations = expectations.with_state(s);
        }
        let mut buf = zeroize::Zeroizing::new(vec![0u8; id_token::verify_buf_len(compact.len())]);
        let t = id_token::verify(
            compact,
            &expectations,
            &as_key.verifier(),
            &FixedClock(e.now),
            &mut buf,
        )
        .map_err(|err| {
            let allowed = if algs.is_empty() {
                profile.algs
            } else {
                &algs[..]
            };
            let expected = values::Expected {
                typ: None,
                issuer,
                audience: client_id,
                algs: allowed,
                now: e.now,
                leeway: e.leeway,
                required: &["iss", "sub", "aud", "exp", "iat"],
            };
            match values::explain(err, compact, &expected) {
                Some(v) => Failure::core(err, &format!("ID token ({v})")),
                None => Failure::core(err, "ID token"),
            }
        })?;
        let mut doc = serde_json::Map::new();
        let mut put = |name: &str, value: serde_json::Value| {
            let _ = doc.insert(name.to_owned(), value);
        };
        put("iss", issuer.into());
        put("sub", t.subject.into());
        put(
            "aud",
            match &t.audience {
                Audience::One(a) => (*a).into(),
                Audience::Many(list) => list.iter().copied().collect::<Vec<_>>().into(),
            },
        );
        put("exp", t.expires_at.into());
        put("iat", t.issued_at.into());
        if let Some(v) = t.auth_time {
            put("auth_time", v.into());
        }
        if let Some(v) = t.acr {
            put("acr", v.into());
        }
        if let Some(v) = t.azp {
            put("azp", v.into());
        }
        if let Some(v) = t.intent_id {
            put("openbanking_intent_id", v.into());
        }
        if let Some(v) = t.sharing_expires_at {
            put("sharing_expires_at", v.into());
        }
        if let Some(v) = t.refresh_token_expires_at {
            put("refresh_token_expires_at", v.into());
        }
        out.put(serde_json::Value::Object(doc).to_string().as_bytes())
    })
}
