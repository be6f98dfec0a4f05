//! Signed request objects (`request_object::verify_request_object`,
//! RFC 9101 / FAPI 2.0 JAR) against a fixed client JWKS and clock.
//!
//! Input: one selector byte, then the body. Selector bit 0 clear: the body
//! is a request object. Set: the body is its *claims*, which the target
//! signs itself with the client's ES256 or EdDSA key (bit 1), so every
//! input reaches the claim checks. Bits 3–5 pick the profile (each has its
//! own `exp - nbf` cap).
//!
//! Properties of an accepted request object: `aud` names the issuer;
//! `iss` is the client id and `client_id`, when present, too; `exp` and
//! `nbf` are present, `exp - nbf` is at most the profile's cap, `exp` is in
//! the future, `nbf` not beyond the skew; the returned parameters are the
//! claims'; the `alg` is in the profile's list.
#![no_main]

use fapi_core::jwk::Jwks;
use fapi_core::jws::HeaderParams;
use fapi_core::profile::Profile;
use fapi_core::request_object::{self, RequestObjectConfig};
use fapi_core::{Alg, FixedClock};
use fapi_fuzz::{
    CLIENT_ID, CLIENT_JWKS, ISSUER, KID_EDDSA, KID_ES256, NOW, RUSTCRYPTO, aud_contains,
    decode_parts, sign_with,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let profile = Profile::ALL[usize::from(sel >> 3 & 7) % Profile::ALL.len()];
    let signed;
    let jwt: &[u8] = if sel & 1 == 0 {
        body
    } else {
        // Claims fapi-core's JSON check refuses would be refused after the
        // signature: skip the signing (the check runs the same code).
        if fapi_core::json::check(body).is_err() {
            return;
        }
        let which = (sel >> 1) & 1;
        let kid = if which == 0 { KID_ES256 } else { KID_EDDSA };
        let header = HeaderParams::typed("oauth-authz-req+jwt").with_kid(kid);
        let Ok(token) = sign_with(which, &header, body) else {
            return;
        };
        signed = token;
        &signed
    };
    let jwks = Jwks::from_json(&CLIENT_JWKS).expect("client JWKS");
    let config = RequestObjectConfig::new(&profile, ISSUER);
    let clock = FixedClock(NOW);
    let mut buf = vec![0u8; jwt.len()];
    let Ok(ok) = request_object::verify_request_object(
        jwt,
        CLIENT_ID,
        &jwks,
        &config,
        &RUSTCRYPTO,
        &clock,
        &mut buf,
    ) else {
        return;
    };
    let max = config.max_ttl();
    assert!(
        ok.exp.saturating_sub(ok.nbf) <= max,
        "exp - nbf over the cap"
    );
    assert!(ok.exp > NOW, "expired request object accepted");
    assert!(
        ok.nbf <= NOW + config.max_future_skew(),
        "nbf in the future"
    );
    assert_eq!(ok.client_id, CLIENT_ID, "client_id is not the client");

    // fapi-core reads some JSON serde_json does not (a lone surrogate
    // escape): such objects keep only the properties above.
    let Some((header, claims)) = decode_parts(jwt) else {
        return;
    };
    let alg = Alg::from_name(header["alg"].as_str().expect("alg")).expect("known alg");
    assert!(
        profile.algs.contains(&alg),
        "alg outside the profile's list"
    );
    assert!(
        aud_contains(claims.get("aud"), ISSUER),
        "aud is not the issuer"
    );
    assert_eq!(
        claims["iss"].as_str(),
        Some(CLIENT_ID),
        "iss is not the client"
    );
    if let Some(c) = claims.get("client_id") {
        assert_eq!(c.as_str(), Some(CLIENT_ID), "client_id is not the client");
    }
    assert_eq!(claims["exp"].as_u64(), Some(ok.exp));
    assert_eq!(claims["nbf"].as_u64(), Some(ok.nbf));
    for (name, value) in [
        ("redirect_uri", ok.redirect_uri),
        ("scope", ok.scope),
        ("state", ok.state),
        ("code_challenge", ok.code_challenge),
        ("code_challenge_method", ok.code_challenge_method),
        ("dpop_jkt", ok.dpop_jkt),
        ("nonce", ok.nonce),
    ] {
        assert_eq!(claims.get(name).and_then(|v| v.as_str()), value, "{name}");
    }
});
