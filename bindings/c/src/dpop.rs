//! DPoP proofs (RFC 9449): made by a client with its key, verified by a
//! server with a replay cache. A verified proof (`fapi_verified_dpop_proof`)
//! is what an access token is bound to at the token endpoint.

use core::ffi::c_char;

use fapi_awslc::{AWSLC, SystemRandom};
use fapi_core::dpop::{
    self, DEFAULT_NONCE_BUCKET, DpopConfig, DpopProof, DpopRequest, NonceIssuer, NonceKey,
    ProofParams, ResourceProof,
};
use fapi_core::{Error, FixedClock, Random as _, Site};

use crate::ffi::{self, Context, Failure, Out, Where, boundary, fapi_error_detail};
use crate::key::fapi_key;
use crate::profile::{fapi_profile, profile_arg};
use crate::replay::fapi_replay_cache;

/// What a client puts in a proof.
#[repr(C)]
#[derive(Debug)]
pub struct fapi_dpop_proof_params {
    /// `htm`: the request method (`POST`).
    pub htm: *const c_char,
    /// Its length.
    pub htm_len: usize,
    /// `htu`: the request URI without query and fragment.
    pub htu: *const c_char,
    /// Its length.
    pub htu_len: usize,
    /// `iat`: now, seconds since the epoch.
    pub iat: u64,
    /// The access token the request presents (its `ath` goes in the proof),
    /// or NULL at the token endpoint.
    pub access_token: *const c_char,
    /// Its length.
    pub access_token_len: usize,
    /// The server's `DPoP-Nonce`, or NULL.
    pub nonce: *const c_char,
    /// Its length.
    pub nonce_len: usize,
}

/// The request a proof must match.
#[repr(C)]
#[derive(Debug)]
pub struct fapi_dpop_request {
    /// The request method, as received.
    pub method: *const c_char,
    /// Its length.
    pub method_len: usize,
    /// The absolute request URI as the server sees it.
    pub uri: *const c_char,
    /// Its length.
    pub uri_len: usize,
    /// The access token presented with the request (then `ath` is
    /// required), or NULL at the token endpoint.
    pub access_token: *const c_char,
    /// Its length.
    pub access_token_len: usize,
    /// The server's nonce issuer when it requires DPoP nonces (a proof
    /// without one is `FAPI_DPOP_NONCE_REQUIRED`, a stale one
    /// `FAPI_DPOP_NONCE_INVALID`, both `use_dpop_nonce`), or NULL.
    pub nonces: *const fapi_dpop_nonces,
    /// What the nonce is bound to (the client id, say), or NULL.
    pub nonce_binding: *const u8,
    /// Its length.
    pub nonce_binding_len: usize,
}

/// A DPoP proof that verified: its key thumbprint (`jkt`), for binding an
/// access token (`cnf.jkt`) or a code (`dpop_jkt`) to the proof's key.
///
/// Thread safety: immutable; any number of threads may read one. Free it
/// once.
pub struct fapi_verified_dpop_proof {
    pub(crate) proof: DpopProof,
}

/// A DPoP server nonce issuer (RFC 9449 §8): stateless nonces, the
/// HMAC-SHA256 of a time bucket (and an optional binding) under a secret
/// key, accepted in their bucket and the next.
///
/// Thread safety: immutable; any number of threads may use one at once.
/// The key is zeroized when it is freed.
pub struct fapi_dpop_nonces {
    pub(crate) issuer: NonceIssuer,
}

/// The nonce issuer and binding of a request, when the server requires
/// nonces.
///
/// # Safety
/// `nonces` is NULL or a live issuer; the binding pair is valid.
pub(crate) unsafe fn nonce_config<'a>(
    nonces: *const fapi_dpop_nonces,
    binding: *const u8,
    binding_len: usize,
) -> Result<(Option<&'a NonceIssuer>, Option<&'a [u8]>), Failure> {
    // SAFETY: the caller's contract.
    let (nonces, binding) = unsafe {
        (
            ffi::opt_arg(nonces),
            ffi::opt_bytes(binding, binding_len, "nonce_binding")?,
        )
    };
    Ok((nonces.map(|n| &n.issuer), binding))
}

/// A fresh `jti`: 128 random bits, base64url.
pub(crate) fn fresh_jti() -> Result<String, Failure> {
    let mut raw = [0u8; 16];
    SystemRandom::new().fill(&mut raw).context("jti")?;
    let mut out = [0u8; 22];
    let s = fapi_core::b64::encode(&raw, &mut out).context("jti")?;
    Ok(s.to_owned())
}

/// The profile's DPoP configuration: its algorithms, the default time
/// window and, when given, server nonces.
fn config<'a>(
    profile: &'a fapi_core::profile::Profile,
    nonces: Option<&'a NonceIssuer>,
) -> DpopConfig<'a> {
    let config = DpopConfig::new(profile);
    match nonces {
        Some(n) => config.with_nonces(n),
        None => config,
    }
}

/// Verifies `proof` as [`dpop::verify_proof`] does (token and PAR
/// endpoints: no access token).
pub(crate) fn verify(
    profile: &fapi_core::profile::Profile,
    proof: &[u8],
    request: &DpopRequest<'_>,
    nonces: Option<&NonceIssuer>,
    cache: &fapi_replay_cache,
    now: u64,
) -> Result<DpopProof, Failure> {
    dpop::verify_proof(
        proof,
        request,
        &config(profile, nonces),
        &AWSLC,
        &FixedClock(now),
        cache,
    )
    .map_err(|e| refusal(e, proof, request, now, false))
}

/// The core's refusal of a proof, with the values involved.
fn refusal(e: Error, proof: &[u8], request: &DpopRequest<'_>, now: u64, resource: bool) -> Failure {
    match crate::values::explain_dpop(e, proof, request.method, request.uri, now, resource) {
        Some(v) => Failure::core(e, &format!("DPoP proof ({v})")),
        None => Failure::core(e, "DPoP proof"),
    }
}

/// Verifies `proof` as [`dpop::verify_resource_proof`] does: for this
/// request and this access token (`ath`, RFC 9449 §4.3 step 12, F2-SENDER).
pub(crate) fn verify_resource(
    profile: &fapi_core::profile::Profile,
    proof: &[u8],
    request: &DpopRequest<'_>,
    access_token: &str,
    nonces: Option<&NonceIssuer>,
    cache: &fapi_replay_cache,
    now: u64,
) -> Result<ResourceProof, Failure> {
    dpop::verify_resource_proof(
        proof,
        request,
        access_token,
        &config(profile, nonces),
        &AWSLC,
        &FixedClock(now),
        cache,
    )
    .map_err(|e| refusal(e, proof, request, now, true))
}

/// Makes a DPoP proof signed by `key` (the client's): header `typ`
/// `dpop+jwt` with the public key as `jwk`, claims `jti` (fresh, 128 bits),
/// `htm`, `htu`, `iat`, `ath` (when an access token is given) and `nonce`.
///
/// ```c
/// fapi_dpop_proof_params p = {"POST", 4, "https://as.example/token", 24, time(NULL),
///                             NULL, 0, NULL, 0};
/// char proof[2048]; size_t n;
/// fapi_dpop_proof_create(client_key, &p, proof, sizeof proof, &n, &err);
/// ```
///
/// # Safety
/// `key` is a live key; `params` is valid with valid pairs; `out` is
/// writable for `cap` bytes; `out_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_dpop_proof_create(
    key: *const fapi_key,
    params: *const fapi_dpop_proof_params,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (key, p, out) = unsafe {
            (
                ffi::arg(key, "key")?.signer(),
                ffi::arg(params, "params")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        // SAFETY: contract: the params' pairs are valid.
        let (htm, htu, access_token, nonce) = unsafe {
            (
                ffi::text(p.htm, p.htm_len, "params.htm")?,
                ffi::text(p.htu, p.htu_len, "params.htu")?,
                ffi::opt_text(p.access_token, p.access_token_len, "params.access_token")?,
                ffi::opt_text(p.nonce, p.nonce_len, "params.nonce")?,
            )
        };
        let jti = fresh_jti()?;
        let params = ProofParams {
            htm,
            htu,
            iat: p.iat,
            jti: &jti,
            access_token,
            nonce,
        };
        out.produce("DPoP proof", |buf| {
            dpop::sign_proof(key, &params, buf).context("DPoP proof")
        })
    })
}

/// Verifies a DPoP proof for `request` under `profile` (RFC 9449 §4.3):
/// `typ`, `alg` in the profile's list, the embedded public key and the
/// signature; `htm`, `htu` (normalised per RFC 3986), `iat` within
/// [now - 60 s, now + 10 s], `ath` when an access token is presented; and
/// last the `jti`, recorded in `cache` (a second use is `FAPI_REPLAY`).
/// Writes the proof key's thumbprint (`jkt`, 43 characters) and, when
/// `verified` is not NULL, a handle to the verified proof there. A `jkt`
/// buffer under 43 bytes is refused before the proof is checked, so its
/// `jti` is not used up.
/// Refusals map to `invalid_dpop_proof`.
///
/// ```c
/// fapi_dpop_request rq = {"POST", 4, "https://as.example/token", 24, NULL, 0, NULL, NULL, 0};
/// char jkt[43]; size_t n;
/// fapi_verified_dpop_proof *proof = NULL;
/// fapi_dpop_proof_verify(profile, header, header_len, &rq, jtis, time(NULL), jkt, sizeof jkt, &n,
///                        &proof, &err);
/// ```
///
/// # Safety
/// `profile` is from `fapi_profile_get`; the pairs are valid; `request` is
/// valid; `cache` is a live cache; `jkt` is writable for `jkt_cap` bytes;
/// `jkt_len` is writable; `verified` is NULL or writable; `err` is NULL or
/// valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_dpop_proof_verify(
    profile: *const fapi_profile,
    proof: *const c_char,
    proof_len: usize,
    request: *const fapi_dpop_request,
    cache: *const fapi_replay_cache,
    now: u64,
    jkt: *mut c_char,
    jkt_cap: usize,
    jkt_len: *mut usize,
    verified: *mut *mut fapi_verified_dpop_proof,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    // SAFETY: contract.
    unsafe { ffi::clear_handle(verified) };
    boundary(err, Where::At(Site::DpopProof), || {
        // SAFETY: contract.
        let (profile, proof, r, cache, mut out) = unsafe {
            (
                profile_arg(profile)?,
                ffi::bytes(proof.cast::<u8>(), proof_len, "proof")?,
                ffi::arg(request, "request")?,
                ffi::arg(cache, "cache")?,
                Out::text(jkt, jkt_cap, jkt_len, "jkt_len")?,
            )
        };
        // SAFETY: contract: the request's pairs and issuer are valid.
        let (nonces, nonce_binding) =
            unsafe { nonce_config(r.nonces, r.nonce_binding, r.nonce_binding_len) }?;
        // SAFETY: contract: the request's pairs are valid.
        let (request, access_token) = unsafe {
            (
                DpopRequest {
                    method: ffi::text(r.method, r.method_len, "request.method")?,
                    uri: ffi::text(r.uri, r.uri_len, "request.uri")?,
                    nonce_binding,
                },
                ffi::opt_text(r.access_token, r.access_token_len, "request.access_token")?,
            )
        };
        // A short `jkt` buffer is refused before the proof's `jti` is used.
        out.reserve(fapi_core::jwk::THUMBPRINT_B64_LEN)?;
        // With an access token the proof must carry its `ath`.
        let proof = match access_token {
            Some(token) => verify_resource(profile, proof, &request, token, nonces, cache, now)?
                .proof()
                .clone(),
            None => verify(profile, proof, &request, nonces, cache, now)?,
        };
        out.put(proof.jkt.to_b64().as_str().as_bytes())?;
        if !verified.is_null() {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { ffi::put_handle(verified, fapi_verified_dpop_proof { proof }, "verified") }?;
        }
        Ok(())
    })
}

/// Writes the `jkt` of a verified proof (43 characters).
///
/// ```c
/// char jkt[43]; size_t n;
/// fapi_verified_dpop_proof_jkt(proof, jkt, sizeof jkt, &n, &err); /* the code's dpop_jkt */
/// ```
///
/// # Safety
/// `proof` is a live verified proof; `out` is writable for `cap` bytes;
/// `out_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_verified_dpop_proof_jkt(
    proof: *const fapi_verified_dpop_proof,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (proof, out) = unsafe {
            (
                ffi::arg(proof, "proof")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        out.put(proof.proof.jkt.to_b64().as_str().as_bytes())
    })
}

/// Frees a verified proof. `NULL` is fine.
///
/// # Safety
/// `proof` is NULL or a verified proof from this library, not yet freed
/// and used by no other call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_verified_dpop_proof_free(proof: *mut fapi_verified_dpop_proof) {
    ffi::quietly(|| {
        // SAFETY: contract.
        unsafe { ffi::free_handle(proof) }
    });
}

/// Makes a DPoP nonce issuer with the 32-byte secret `key` (or, when `key`
/// is NULL, a fresh key from the operating system: nonces then die with
/// the process) and time buckets of `bucket_seconds` (0: 60 s; more than
/// 300 s is `FAPI_PROFILE_VIOLATION`, RFC 9449 §8). Several server
/// processes share nonces by sharing the key.
///
/// ```c
/// fapi_dpop_nonces *nonces = NULL;
/// fapi_dpop_nonces_new(NULL, 0, 0, &nonces, &err);
/// ```
///
/// # Safety
/// `key` is NULL or valid for `key_len` bytes; `out` is writable; `err` is
/// NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_dpop_nonces_new(
    key: *const u8,
    key_len: usize,
    bucket_seconds: u64,
    out: *mut *mut fapi_dpop_nonces,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    // SAFETY: contract.
    unsafe { ffi::clear_handle(out) };
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let key = unsafe { ffi::opt_bytes(key, key_len, "key") }?;
        let key = match key {
            Some(k) => NonceKey::new(k.try_into().map_err(|_| {
                Failure::core(
                    fapi_core::Error::InvalidKey,
                    "DPoP nonce key: 32 bytes are needed",
                )
            })?),
            None => NonceKey::generate(&SystemRandom::new()).context("DPoP nonce key")?,
        };
        let bucket = if bucket_seconds == 0 {
            DEFAULT_NONCE_BUCKET
        } else {
            bucket_seconds
        };
        let issuer = NonceIssuer::new(key, bucket).context("DPoP nonces")?;
        // SAFETY: contract.
        unsafe { ffi::put_handle(out, fapi_dpop_nonces { issuer }, "out") }
    })
}

/// Writes the current nonce (43 characters) for `binding` (NULL: none), to
/// send in the `DPoP-Nonce` header.
///
/// ```c
/// char nonce[43]; size_t n;
/// fapi_dpop_nonces_issue(nonces, time(NULL), NULL, 0, nonce, sizeof nonce, &n, &err);
/// ```
///
/// # Safety
/// `nonces` is a live issuer; the binding pair is valid; `out` is writable
/// for `cap` bytes; `out_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments, reason = "(pointer, length) pairs")]
pub unsafe extern "C" fn fapi_dpop_nonces_issue(
    nonces: *const fapi_dpop_nonces,
    now: u64,
    binding: *const u8,
    binding_len: usize,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (nonces, binding, out) = unsafe {
            (
                ffi::arg(nonces, "nonces")?,
                ffi::opt_bytes(binding, binding_len, "binding")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        let nonce = nonces.issuer.issue(now, binding).context("DPoP nonce")?;
        out.put(nonce.as_str().as_bytes())
    })
}

/// Frees a nonce issuer (its key is zeroized). `NULL` is fine.
///
/// # Safety
/// `nonces` is NULL or an issuer from this library, not yet freed and used
/// by no other call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_dpop_nonces_free(nonces: *mut fapi_dpop_nonces) {
    ffi::quietly(|| {
        // SAFETY: contract.
        unsafe { ffi::free_handle(nonces) }
    });
}
