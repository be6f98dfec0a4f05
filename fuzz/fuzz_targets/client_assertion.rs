//! `private_key_jwt` client assertions (`assertion::verify_assertion`,
//! RFC 7523) against a fixed client JWKS (ES256, EdDSA and PS256 keys), a
//! fixed clock and a fresh replay cache per input.
//!
//! Input: one selector byte, then the body. Selector bit 0 clear: the body
//! is an assertion. Set: the body is the assertion's *claims*, which the
//! target signs itself with the client's ES256 or EdDSA key (bit 1), so
//! every input reaches the claim checks. Bits 3–5 pick the profile, bit 6
//! allows the token and PAR endpoints as audiences, bit 7 raises the
//! lifetime cap from 60 s to 300 s.
//!
//! Properties of an accepted assertion: `iss` = `sub` = the client id;
//! `aud` names the issuer (or, when allowed and the profile follows RFC
//! 7523 §3, an endpoint); under FAPI 2.0 final §5.3.2.1 (fapi2,
//! fapi2-plus) `aud` is the issuer as a plain string; `exp` is present,
//! in the future and at most the cap after `iat` (or now); the returned
//! `exp`/`iat` are the claims'; the `alg` is in the profile's list; a second
//! verification is refused with `Error::Replay`.
#![no_main]

use fapi_core::assertion::{self, AssertionConfig};
use fapi_core::jwk::Jwks;
use fapi_core::jws::HeaderParams;
use fapi_core::profile::{AssertionAudience, Profile};
use fapi_core::store::FixedReplayCache;
use fapi_core::{Alg, Error, FixedClock};
use fapi_fuzz::{
    CLIENT_ID, CLIENT_JWKS, ISSUER, KID_EDDSA, KID_ES256, NOW, PAR_ENDPOINT, RUSTCRYPTO,
    TOKEN_ENDPOINT, aud_contains, decode_parts, sign_with,
};
use libfuzzer_sys::fuzz_target;

const ENDPOINTS: &[&str] = &[TOKEN_ENDPOINT, PAR_ENDPOINT];

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
        let header = HeaderParams::default().with_kid(kid);
        let Ok(token) = sign_with(which, &header, body) else {
            return;
        };
        signed = token;
        &signed
    };
    let jwks = Jwks::from_json(&CLIENT_JWKS).expect("client JWKS");
    let mut config = AssertionConfig::new(&profile, ISSUER);
    if sel & 0x40 != 0 {
        config = config.with_endpoint_audiences(ENDPOINTS);
    }
    let cap = if sel & 0x80 != 0 {
        300
    } else {
        assertion::DEFAULT_MAX_LIFETIME
    };
    config = config.with_max_lifetime(cap).expect("lifetime");
    let clock = FixedClock(NOW);
    let replay = FixedReplayCache::<4>::new();
    let verify = || {
        assertion::verify_assertion(jwt, CLIENT_ID, &jwks, &config, &RUSTCRYPTO, &clock, &replay)
    };
    let Ok(ok) = verify() else {
        return;
    };
    assert_eq!(
        verify(),
        Err(Error::Replay),
        "a replayed assertion was accepted"
    );
    assert!(ok.exp > NOW, "expired assertion accepted");
    assert!(
        ok.exp - ok.iat.unwrap_or(NOW).min(ok.exp) <= cap,
        "lifetime over the cap"
    );

    // fapi-core reads some JSON serde_json does not (a lone surrogate
    // escape): such assertions keep only the properties above.
    let Some((header, claims)) = decode_parts(jwt) else {
        return;
    };
    let alg = Alg::from_name(header["alg"].as_str().expect("alg")).expect("known alg");
    assert!(
        profile.algs.contains(&alg),
        "alg outside the profile's list"
    );
    assert_eq!(
        claims["iss"].as_str(),
        Some(CLIENT_ID),
        "iss is not the client"
    );
    assert_eq!(
        claims["sub"].as_str(),
        Some(CLIENT_ID),
        "sub is not the client"
    );
    let aud = claims.get("aud");
    let endpoint_ok = sel & 0x40 != 0 && ENDPOINTS.iter().any(|e| aud_contains(aud, e));
    assert!(
        aud_contains(aud, ISSUER) || endpoint_ok,
        "aud names neither the issuer nor an allowed endpoint: {aud:?}"
    );
    if profile.client_assertion_audience == AssertionAudience::IssuerString {
        assert_eq!(
            aud.and_then(|a| a.as_str()),
            Some(ISSUER),
            "FAPI 2.0 final §5.3.2.1: aud is not the issuer as a string"
        );
    }
    assert_eq!(claims["exp"].as_u64(), Some(ok.exp), "exp is not the claim");
    assert_eq!(claims.get("iat").and_then(|v| v.as_u64()), ok.iat);
    let jti = claims["jti"].as_str().expect("jti");
    assert!(!jti.is_empty());
});
