//! PKCE S256 (RFC 7636; F2-PKCE): a fresh pair for the client, the
//! challenge of a verifier, and the server's check.

use core::ffi::c_char;

use fapi_core::Site;
use fapi_core::pkce::{self, Challenge, Pair};

use crate::ffi::{self, Context, Out, Where, boundary, fapi_error_detail};

/// The length of a generated code verifier and of every S256 challenge.
/// (A literal, so that cbindgen can write it; a test ties it to the core.)
pub const FAPI_PKCE_LEN: usize = 43;

/// Makes a fresh PKCE pair: a 43-character code verifier of 256 random bits
/// and its S256 challenge (43 characters each).
///
/// ```c
/// char verifier[FAPI_PKCE_LEN], challenge[FAPI_PKCE_LEN]; size_t vn, cn;
/// fapi_pkce_pair(verifier, sizeof verifier, &vn, challenge, sizeof challenge, &cn, &err);
/// ```
///
/// # Safety
/// Each output buffer is writable for its capacity; each out-length is
/// writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_pkce_pair(
    verifier: *mut c_char,
    verifier_cap: usize,
    verifier_len: *mut usize,
    challenge: *mut c_char,
    challenge_cap: usize,
    challenge_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::Server, || {
        // SAFETY: contract.
        let (v_out, c_out) = unsafe {
            (
                Out::text(verifier, verifier_cap, verifier_len, "verifier_len")?,
                Out::text(challenge, challenge_cap, challenge_len, "challenge_len")?,
            )
        };
        let pair = Pair::generate(&fapi_awslc::SystemRandom::new()).context("PKCE pair")?;
        let c = c_out.put(pair.challenge().as_bytes());
        v_out.put(pair.verifier().as_bytes())?;
        c
    })
}

/// Writes the S256 challenge of `verifier` (43 characters). A verifier that
/// is not 43 to 128 unreserved characters is `FAPI_PKCE_VERIFIER_FORMAT`.
///
/// ```c
/// char c[FAPI_PKCE_LEN]; size_t n;
/// fapi_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", 43, c, sizeof c, &n, &err);
/// /* c: E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM (RFC 7636 Appendix B) */
/// ```
///
/// # Safety
/// `verifier` is valid for `len` bytes; `out` is writable for `cap` bytes;
/// `out_len` is writable; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_pkce_challenge(
    verifier: *const c_char,
    len: usize,
    out: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::At(Site::TokenRequest), || {
        // SAFETY: contract.
        let (verifier, out) = unsafe {
            (
                ffi::text(verifier, len, "verifier")?,
                Out::text(out, cap, out_len, "out_len")?,
            )
        };
        let c = Challenge::s256(verifier).context("PKCE verifier")?;
        out.put(c.as_str().as_bytes())
    })
}

/// The token endpoint's check (F2-PKCE): `verifier` against the stored S256
/// `challenge`, in constant time. `FAPI_PKCE_VERIFIER_FORMAT` for a
/// malformed verifier, `FAPI_PKCE_MISMATCH` otherwise; both `invalid_grant`.
///
/// ```c
/// if (fapi_pkce_verify(verifier, verifier_len, stored_challenge, 43, &err) != FAPI_OK)
///     /* 400 {"error":"invalid_grant"} */;
/// ```
///
/// # Safety
/// Each (pointer, length) pair is valid; `err` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fapi_pkce_verify(
    verifier: *const c_char,
    verifier_len: usize,
    challenge: *const c_char,
    challenge_len: usize,
    err: *mut fapi_error_detail,
) -> crate::fapi_result {
    boundary(err, Where::At(Site::TokenRequest), || {
        // SAFETY: contract.
        let (v, c) = unsafe {
            (
                ffi::text(verifier, verifier_len, "verifier")?,
                ffi::text(challenge, challenge_len, "challenge")?,
            )
        };
        // F2-PKCE: S256, constant-time comparison.
        pkce::verify(v, c).context("PKCE")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn pkce_len_is_the_core_s256_length() {
        assert_eq!(super::FAPI_PKCE_LEN, fapi_core::pkce::CHALLENGE_LEN);
    }
}
