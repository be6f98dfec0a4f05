//! Public JWK parsing and RFC 7638 thumbprints.
//!
//! Properties: `Thumbprint::of_jwk`, whenever it succeeds (on any JWK,
//! private or carrying any `alg`), equals an independent RFC 7638
//! computation over the input. A JWK that `PublicJwk::from_json` parses
//! writes back (`write_json`) to JSON that parses to the same key, `kid`,
//! `alg` and `use`, with the same thumbprint; that thumbprint equals the
//! independent computation and `of_jwk`; and no private member was present
//! in the input.
#![no_main]

use fapi_core::{PublicJwk, Thumbprint};
use fapi_fuzz::{PRIVATE_MEMBERS, independent_thumbprint};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let any = Thumbprint::of_jwk(data);
    if let Ok(t) = any {
        let json: serde_json::Value = serde_json::from_slice(data).expect("accepted JSON");
        assert_eq!(
            Some(t.0),
            independent_thumbprint(&json),
            "of_jwk differs from RFC 7638"
        );
    }
    let Ok(jwk) = PublicJwk::from_json(data) else {
        return;
    };
    let thumbprint = jwk.thumbprint();
    assert_eq!(any, Ok(thumbprint), "of_jwk differs from the strict parser");

    let mut out = vec![0u8; 4096 + data.len()];
    let n = jwk.write_json(&mut out).expect("a parsed JWK writes");
    let again = PublicJwk::from_json(&out[..n]).expect("a written JWK parses");
    assert_eq!(again, jwk, "round trip changed the JWK");
    assert_eq!(again.thumbprint(), thumbprint);

    let json: serde_json::Value = serde_json::from_slice(data).expect("accepted JSON");
    for member in PRIVATE_MEMBERS {
        assert!(
            json.get(*member).is_none(),
            "accepted a private `{member}` member"
        );
    }
    let independent = independent_thumbprint(&json).expect("canonical JWK");
    assert_eq!(
        thumbprint.0, independent,
        "thumbprint differs from RFC 7638"
    );
});
