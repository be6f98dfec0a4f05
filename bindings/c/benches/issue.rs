//! The C API's overhead over the Rust API for one access-token issue: the
//! same ES256 key (aws-lc), the same claims and the same DPoP binding,
//! through `fapi_core::token::issue` and through the exported
//! `fapi_access_token_issue` (the panic boundary, the pointer and UTF-8
//! checks, the error detail, the output buffer).
//!
//! Timed call by call in pairs of alternating order (see [`paired`]), so
//! that both see the same load on a shared machine:
//!
//!     cargo bench -p fapi-ffi --bench issue

use core::ffi::c_char;
use core::hint::black_box;

use fapi_core::profile::Profile;
use fapi_core::token::{self, AccessTokenParams, Confirmation};
use fapi_ffi::dpop::{fapi_dpop_proof_params, fapi_dpop_request, fapi_verified_dpop_proof};
use fapi_ffi::key::fapi_key;
use fapi_ffi::profile::fapi_profile;
use fapi_ffi::replay::fapi_replay_cache;
use fapi_ffi::token::fapi_access_token_params;

const ISSUER: &str = "https://as.bank.example.com";
const SUBJECT: &str = "c5b1f6f0-2d3a-4b8e-9f61-0d6f7a9e2c41";
const AUDIENCE: &str = "https://api.bank.example.com/open-banking/v3.1/aisp";
const CLIENT_ID: &str = "s6BhdRkqt3-fapi-client-0001";
const SCOPE: &str = "openid accounts payments fundsconfirmations";
const TOKEN_URI: &str = "https://as.bank.example.com/token";
const NOW: u64 = 1_900_000_000;

fn ptr(s: &str) -> *const c_char {
    s.as_ptr().cast()
}

/// Times `rust` and `c` call by call, in pairs whose order alternates, so
/// that both see the same load on a shared machine; prints the median time
/// of each, the median per-pair difference and the median per-pair ratio.
fn paired(name: &str, mut rust: impl FnMut(), mut c: impl FnMut()) {
    let pairs: usize = std::env::var("FAPI_BENCH_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4001);
    let time = |f: &mut dyn FnMut()| {
        let start = std::time::Instant::now();
        f();
        start.elapsed().as_secs_f64() * 1e9
    };
    for _ in 0..200 {
        let _ = (time(&mut rust), time(&mut c));
    }
    let (mut r, mut f, mut diff, mut ratio) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..pairs {
        let (a, b) = if i % 2 == 0 {
            let a = time(&mut rust);
            (a, time(&mut c))
        } else {
            let b = time(&mut c);
            (time(&mut rust), b)
        };
        r.push(a);
        f.push(b);
        diff.push(b - a);
        ratio.push(b / a);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "paired {name} ({pairs} pairs): rust {:.0} ns, c {:.0} ns, median c - rust {:.0} ns, median ratio c/rust {:.4}",
        median(&mut r),
        median(&mut f),
        median(&mut diff),
        median(&mut ratio)
    );
}

fn main() {
    // One PKCS#8 key, loaded once for Rust and once as a C handle.
    let der = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &aws_lc_rs::rand::SystemRandom::new(),
    )
    .expect("pkcs8");
    let der = der.as_ref();
    let rust_key = fapi_awslc::Es256SigningKey::from_pkcs8_der(der).expect("key");
    let mut c_key: *mut fapi_key = core::ptr::null_mut();
    let mut profile: *const fapi_profile = core::ptr::null();
    let mut cache: *mut fapi_replay_cache = core::ptr::null_mut();
    let mut proof: *mut fapi_verified_dpop_proof = core::ptr::null_mut();
    let null = core::ptr::null_mut();
    // SAFETY: valid pairs and out-pointers, as the header documents.
    unsafe {
        assert_eq!(
            fapi_ffi::key::fapi_key_from_pkcs8(der.as_ptr(), der.len(), &mut c_key, null),
            0
        );
        assert_eq!(
            fapi_ffi::profile::fapi_profile_get(ptr("fapi2"), 5, &mut profile, null),
            0
        );
        assert_eq!(
            fapi_ffi::replay::fapi_replay_cache_new(16, &mut cache, null),
            0
        );
    }
    // The client's DPoP proof, verified once: the binding of both tokens.
    let mut client_c: *mut fapi_key = core::ptr::null_mut();
    let mut proof_text = [0u8; 2048];
    let mut proof_len = 0usize;
    let mut jkt = [0u8; 64];
    let mut jkt_len = 0usize;
    // SAFETY: as above.
    unsafe {
        assert_eq!(fapi_ffi::key::fapi_key_generate(2, &mut client_c, null), 0);
        let params = fapi_dpop_proof_params {
            htm: ptr("POST"),
            htm_len: 4,
            htu: ptr(TOKEN_URI),
            htu_len: TOKEN_URI.len(),
            iat: NOW,
            access_token: core::ptr::null(),
            access_token_len: 0,
            nonce: core::ptr::null(),
            nonce_len: 0,
        };
        assert_eq!(
            fapi_ffi::dpop::fapi_dpop_proof_create(
                client_c,
                &params,
                proof_text.as_mut_ptr().cast(),
                proof_text.len(),
                &mut proof_len,
                null
            ),
            0
        );
        let request = fapi_dpop_request {
            method: ptr("POST"),
            method_len: 4,
            uri: ptr(TOKEN_URI),
            uri_len: TOKEN_URI.len(),
            access_token: core::ptr::null(),
            access_token_len: 0,
            nonces: core::ptr::null(),
            nonce_binding: core::ptr::null(),
            nonce_binding_len: 0,
        };
        assert_eq!(
            fapi_ffi::dpop::fapi_dpop_proof_verify(
                profile,
                proof_text.as_ptr().cast(),
                proof_len,
                &request,
                cache,
                NOW,
                jkt.as_mut_ptr().cast(),
                jkt.len(),
                &mut jkt_len,
                &mut proof,
                null
            ),
            0
        );
    }
    let mut raw = [0u8; 32];
    let jkt_text = core::str::from_utf8(&jkt[..jkt_len]).expect("jkt");
    let n = fapi_core::b64::decode(jkt_text.as_bytes(), &mut raw)
        .expect("jkt")
        .len();
    assert_eq!(n, 32);

    let rust_params = AccessTokenParams {
        issuer: ISSUER,
        subject: SUBJECT,
        audience: AUDIENCE,
        client_id: CLIENT_ID,
        scope: Some(SCOPE),
        issued_at: NOW,
        lifetime: 300,
        confirmation: Some(Confirmation::Jkt(fapi_core::Thumbprint(raw))),
        consent_id: None,
    };
    let c_params = fapi_access_token_params {
        issuer: ptr(ISSUER),
        issuer_len: ISSUER.len(),
        subject: ptr(SUBJECT),
        subject_len: SUBJECT.len(),
        audience: ptr(AUDIENCE),
        audience_len: AUDIENCE.len(),
        client_id: ptr(CLIENT_ID),
        client_id_len: CLIENT_ID.len(),
        scope: ptr(SCOPE),
        scope_len: SCOPE.len(),
        issued_at: NOW,
        lifetime: 300,
        dpop: proof,
        client_cert_der: core::ptr::null(),
        client_cert_der_len: 0,
        consent_id: core::ptr::null(),
        consent_id_len: 0,
    };
    let rng = fapi_awslc::SystemRandom::new();
    let fapi2 = Profile::FAPI2;
    let mut out_r = [0u8; 2048];
    let mut out_c = [0u8; 2048];
    let mut out_len = 0usize;
    let mut msg = [0 as c_char; 512];
    let mut oauth = [0 as c_char; 32];
    let mut detail = fapi_ffi::ffi::fapi_error_detail {
        message: msg.as_mut_ptr(),
        message_cap: msg.len(),
        oauth_error: oauth.as_mut_ptr(),
        oauth_error_cap: oauth.len(),
    };
    // Both produce tokens of the same length.
    let n_rust = token::issue(&fapi2, &rust_params, &rust_key, &rng, &mut out_r).expect("issue");
    // SAFETY: as above.
    let rc = unsafe {
        fapi_ffi::token::fapi_access_token_issue(
            profile,
            c_key,
            &c_params,
            out_c.as_mut_ptr().cast(),
            out_c.len(),
            &mut out_len,
            &mut detail,
        )
    };
    assert_eq!((rc, out_len), (0, n_rust));

    paired(
        "access token issue, ES256 aws-lc, DPoP-bound",
        || {
            let n = token::issue(&fapi2, &rust_params, &rust_key, &rng, &mut out_r);
            let _ = black_box(n.expect("issue"));
        },
        || {
            // SAFETY: as above.
            let rc = unsafe {
                fapi_ffi::token::fapi_access_token_issue(
                    profile,
                    c_key,
                    black_box(&c_params),
                    out_c.as_mut_ptr().cast(),
                    out_c.len(),
                    &mut out_len,
                    &mut detail,
                )
            };
            assert_eq!(black_box(rc), 0);
        },
    );
    // SAFETY: handles from this library, freed once.
    unsafe {
        fapi_ffi::dpop::fapi_verified_dpop_proof_free(proof);
        fapi_ffi::replay::fapi_replay_cache_free(cache);
        fapi_ffi::key::fapi_key_free(c_key);
        fapi_ffi::key::fapi_key_free(client_c);
    }
}
