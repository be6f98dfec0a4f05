//! JWS verification with the key in the token's own `jwk` header, as a
//! DPoP proof is verified.
//!
//! Property: no accepted token has an `alg` outside the allow-list or
//! different from its key's; the embedded key is public-only (no private
//! member in the raw header, checked with `serde_json`), and its thumbprint
//! agrees with an independent RFC 7638 computation.
#![no_main]

use fapi_core::Alg;
use fapi_core::jws::{self, Policy};
use fapi_fuzz::{PRIVATE_MEMBERS, RUSTCRYPTO, b64url_decode, independent_thumbprint};
use libfuzzer_sys::fuzz_target;

const ALGS: &[&[Alg]] = &[
    &[Alg::Es256, Alg::EdDsa],
    &[Alg::EdDsa],
    &[Alg::Ps256, Alg::Es256],
];

fuzz_target!(|data: &[u8]| {
    let mut buf = vec![0u8; data.len()];
    for algs in ALGS {
        for policy in [Policy::new(algs), Policy::new(algs).with_typ("dpop+jwt")] {
            let Ok(ok) = jws::verify_embedded(data, &policy, &RUSTCRYPTO, &mut buf) else {
                continue;
            };
            let alg = ok.header.alg;
            assert!(algs.contains(&alg), "alg outside the allow-list");
            let jwk = ok
                .header
                .jwk
                .as_ref()
                .expect("accepted without an embedded key");
            assert_eq!(jwk.key.alg(), alg, "embedded key of another algorithm");
            let thumbprint = jwk.thumbprint();

            let head = data.split(|c| *c == b'.').next().unwrap();
            let header = b64url_decode(head).expect("accepted header is base64url");
            let json: serde_json::Value = serde_json::from_slice(&header).expect("header is JSON");
            let raw = json
                .get("jwk")
                .expect("no jwk member")
                .as_object()
                .expect("jwk object");
            for member in PRIVATE_MEMBERS {
                assert!(
                    !raw.contains_key(*member),
                    "accepted a private `{member}` member"
                );
            }
            let independent = independent_thumbprint(&json["jwk"]).expect("canonical JWK");
            assert_eq!(
                thumbprint.0, independent,
                "thumbprint differs from RFC 7638"
            );
        }
    }
});
