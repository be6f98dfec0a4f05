//! DPoP proofs (RFC 9449): made by a client with its key, verified by a
//! server with a replay cache. A verified proof (`fapi_verified_dpop_proof`)
//! is what an access token is bound to at the token endpoint.

use core::ffi::c_char;

use fapi_awslc::{AWSLC, SystemRandom};
use fapi_core::dpop::{self, DpopConfig, DpopProof, DpopRequest, ProofParams};
use fapi_core::{FixedClock, Random as _, Site};

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
}

/// A DPoP proof that verified: its key thumbprint (`jkt`), for binding an
/// access token (`cnf.jkt`) or a code (`dpop_jkt`) to the proof's key.
///
/// Thread safety: immutable; any number of threads may read one. Free it
/// once.
pub struct fapi_verified_dpop_proof {
    pub(crate) proof: DpopProof,
}

/// A fresh `jti`: 128 random bits, base64url.
pub(crate) fn fresh_jti() -> Result<String, Failure> {
    let mut raw = [0u8; 16];
    SystemRandom::new().fill(&mut raw).context("jti")?;
    let mut out = [0u8; 22];
    let s = fapi_core::b64::encode(&raw, &mut out).context("jti")?;
    Ok(s.to_owned())
}

/// Verifies `proof` as [`dpop::verify_proof`] does, with the profile's
/// algorithms and the default time window.
pub(crate) fn verify(
    profile: &fapi_core::profile::Profile,
    proof: &[u8],
    request: &DpopRequest<'_>,
    cache: &fapi_replay_cache,
    now: u64,
) -> Result<DpopProof, Failure> {
    dpop::verify_proof(
        proof,
        request,
        &DpopConfig::new(profile),
        &AWSLC,
        &FixedClock(now),
        cache,
    )
    .context("DPoP proof")
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
/// `verified` is not NULL, a handle to the verified proof there.
/// Refusals map to `invalid_dpop_proof`.
///
/// ```c
/// fapi_dpop_request rq = {"POST", 4, "https://as.example/token", 24, NULL, 0};
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
        let (profile, proof, r, cache, out) = unsafe {
            (
                profile_arg(profile)?,
                ffi::bytes(proof.cast::<u8>(), proof_len, "proof")?,
                ffi::arg(request, "request")?,
                ffi::arg(cache, "cache")?,
                Out::text(jkt, jkt_cap, jkt_len, "jkt_len")?,
            )
        };
        // SAFETY: contract: the request's pairs are valid.
        let request = unsafe {
            DpopRequest {
                method: ffi::text(r.method, r.method_len, "request.method")?,
                uri: ffi::text(r.uri, r.uri_len, "request.uri")?,
                access_token: ffi::opt_text(
                    r.access_token,
                    r.access_token_len,
                    "request.access_token",
                )?,
                nonce_binding: None,
            }
        };
        let proof = verify(profile, proof, &request, cache, now)?;
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
