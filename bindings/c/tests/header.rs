//! The committed header against the Rust side: every core error has its
//! `FAPI_<NAME>` with its own number, the C API's codes lie above every
//! `u16`, and every exported function is declared.

use fapi_core::Error;

const HEADER: &str = include_str!("../include/fapi.h");

fn define(name: &str) -> Option<u64> {
    HEADER.lines().find_map(|l| {
        let rest = l.strip_prefix("#define ")?;
        let (n, v) = rest.split_once(' ')?;
        (n == name).then(|| v.trim().parse().ok()).flatten()
    })
}

/// Result codes are the core's numbers, as they are, and never change.
#[test]
fn every_core_error_is_in_the_header_with_its_number() {
    for e in Error::ALL {
        let name = format!("FAPI_{}", e.name().to_ascii_uppercase());
        assert_eq!(define(&name), Some(u64::from(e.code())), "{name}");
    }
    assert_eq!(define("FAPI_OK"), Some(0));
    for name in [
        "FAPI_PANIC",
        "FAPI_NULL_ARGUMENT",
        "FAPI_INSUFFICIENT_SIZE",
        "FAPI_INVALID_ARGUMENT",
        "FAPI_HSM",
    ] {
        let code = define(name).unwrap_or_else(|| panic!("{name} missing"));
        assert!(code > u64::from(u16::MAX), "{name} = {code}");
    }
}

#[test]
fn the_header_is_c_and_cpp_and_declares_the_api() {
    assert!(HEADER.contains("#ifndef FAPI_H"));
    assert!(HEADER.contains("#ifdef __cplusplus"));
    for f in [
        "fapi_key_from_pkcs8",
        "fapi_key_from_jwk",
        "fapi_key_from_pkcs11_uri",
        "fapi_key_from_pkcs11",
        "fapi_jwks_write",
        "fapi_jws_sign",
        "fapi_jws_verify",
        "fapi_jwt_verify",
        "fapi_access_token_issue",
        "fapi_access_token_verify",
        "fapi_pkce_pair",
        "fapi_pkce_verify",
        "fapi_dpop_proof_create",
        "fapi_dpop_proof_verify",
        "fapi_replay_cache_new",
        "fapi_client_assertion_create",
        "fapi_client_assertion_verify",
        "fapi_jwk_thumbprint",
        "fapi_audit",
        "fapi_content_digest_write",
        "fapi_http_sig_sign_request",
        "fapi_http_sig_sign_response",
        "fapi_http_sig_verify_request",
        "fapi_http_sig_verify_response",
        "fapi_http_sig_signature_base",
        "fapi_public_key_verify",
    ] {
        assert!(HEADER.contains(&format!(" {f}(")), "{f}");
    }
}
