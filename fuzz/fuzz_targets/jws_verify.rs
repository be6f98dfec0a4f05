//! Compact JWS verification with fixed keys (the RFC 7515 A.3 P-256 key and
//! the RFC 8037 Ed25519 key) under several allow-lists.
//!
//! Property: whatever verifies has an `alg` in the allow-list and equal to
//! the key's, carries no key-bearing or unencoded-payload header, and its
//! decoded header and payload re-encode to exactly the input's first two
//! parts (no base64 malleability).
#![no_main]

use fapi_core::Alg;
use fapi_core::crypto::Verifier as _;
use fapi_core::jws::{self, Policy};
use fapi_fuzz::{b64url, b64url_decode, fixed_verifiers};
use libfuzzer_sys::fuzz_target;

const POLICIES: &[&[Alg]] = &[
    &[Alg::Es256, Alg::EdDsa],
    &[Alg::Es256],
    &[Alg::EdDsa],
    &[Alg::Ps256],
];

fuzz_target!(|data: &[u8]| {
    let verifiers = fixed_verifiers();
    let mut buf = vec![0u8; data.len()];
    for algs in POLICIES {
        for key in &verifiers {
            let Ok(ok) = jws::verify(data, &Policy::new(algs), key, &mut buf) else {
                continue;
            };
            assert!(algs.contains(&ok.header.alg), "alg outside the allow-list");
            assert_eq!(ok.header.alg, key.alg(), "alg is not the key's");
            assert!(ok.header.jwk.is_none());
            let payload = ok.payload.to_vec();

            let mut parts = data.split(|c| *c == b'.');
            let (head, body) = (parts.next().unwrap(), parts.next().unwrap());
            let header = b64url_decode(head).expect("accepted header is base64url");
            assert_eq!(
                b64url(&header).as_bytes(),
                head,
                "header re-encodes differently"
            );
            assert_eq!(
                b64url(&payload).as_bytes(),
                body,
                "payload re-encodes differently"
            );
            let json: serde_json::Value = serde_json::from_slice(&header).expect("header is JSON");
            assert_eq!(json["alg"].as_str(), Some(ok.header.alg.name()));
            for refused in ["jwk", "jku", "x5u", "x5c", "enc"] {
                assert!(json.get(refused).is_none(), "accepted a `{refused}` header");
            }
            assert_ne!(json.get("b64"), Some(&serde_json::Value::Bool(false)));
        }
    }
});
