//! DPoP proof verification (`dpop::verify_proof`, and
//! `dpop::verify_resource_proof` when an access token is presented;
//! RFC 9449 §4.3) for a fixed request (`POST` to the token endpoint of
//! RFC 9449 §4.1), a fixed clock and a fresh replay cache per input.
//!
//! Input: one selector byte, then the body. Selector bit 0 clear: the body
//! is a proof. Set: the body is the proof's *claims*, which the target signs
//! itself with a fixed key embedded as `jwk` (bits 1–2 pick ES256, EdDSA),
//! so every input reaches the claim checks. Bits 3–5 pick the profile,
//! bit 6 presents an access token (then `ath` is required).
//!
//! Properties of an accepted proof: its `alg` is in the profile's list; the
//! returned `jkt` is the independent RFC 7638 thumbprint of the header's
//! `jwk` and of the returned key; `htm` is the request method; `htu`
//! normalises (independently, RFC 3986 §6.2.2) to the request URI; `iat`
//! is within the window; `ath` is base64url(SHA-256(token)) when a token was
//! presented; the verified proof records the request it was verified for
//! (and, with a token, that token: another token is `Error::DpopAth`,
//! another method or URI `Error::DpopMethod` or `Error::DpopUri`); a second
//! verification of the same proof is refused with `Error::Replay`.
#![no_main]

use fapi_core::dpop::{self, DpopConfig, DpopRequest};
use fapi_core::jws::HeaderParams;
use fapi_core::profile::Profile;
use fapi_core::store::FixedReplayCache;
use fapi_core::{Alg, Error, FixedClock};
use fapi_fuzz::{
    NOW, PAR_ENDPOINT, RUSTCRYPTO, TOKEN_ENDPOINT, decode_parts, ed25519_key, es256_key,
    independent_thumbprint, normalize_uri, sha256_b64, sign_with,
};
use libfuzzer_sys::fuzz_target;

/// The access token of RFC 9449 §7.1.
const ACCESS_TOKEN: &str = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let profile = Profile::ALL[usize::from(sel >> 3 & 7) % Profile::ALL.len()];
    let signed;
    let proof: &[u8] = if sel & 1 == 0 {
        body
    } else {
        // Claims fapi-core's JSON check refuses would be refused after the
        // signature: skip the signing (the check runs the same code).
        if fapi_core::json::check(body).is_err() {
            return;
        }
        let which = (sel >> 1) & 1;
        let key = if which == 0 {
            es256_key()
        } else {
            ed25519_key()
        };
        let header = HeaderParams::typed(dpop::TYP).with_jwk(&key);
        let Ok(token) = sign_with(which, &header, body) else {
            return;
        };
        signed = token;
        &signed
    };
    let request = DpopRequest {
        method: "POST",
        uri: TOKEN_ENDPOINT,
        nonce_binding: None,
    };
    let access_token = (sel & 0x40 != 0).then_some(ACCESS_TOKEN);
    let config = DpopConfig::new(&profile);
    let clock = FixedClock(NOW);
    let replay = FixedReplayCache::<4>::new();
    let run = || match access_token {
        None => dpop::verify_proof(proof, &request, &config, &RUSTCRYPTO, &clock, &replay),
        Some(token) => dpop::verify_resource_proof(
            proof,
            &request,
            token,
            &config,
            &RUSTCRYPTO,
            &clock,
            &replay,
        )
        .map(|rp| {
            // Recorded for this token and this request only.
            assert_eq!(rp.check_presented(token.as_bytes(), &request), Ok(()));
            assert_eq!(
                rp.check_presented(b"another token", &request),
                Err(Error::DpopAth)
            );
            assert_eq!(rp.ath(), sha256_b64(token.as_bytes()));
            rp.proof().clone()
        }),
    };
    let Ok(ok) = run() else {
        return;
    };
    assert_eq!(run(), Err(Error::Replay), "a replayed proof was accepted");
    assert_eq!(ok.check_request(&request), Ok(()));
    assert_eq!(
        ok.check_request(&DpopRequest {
            method: "GET",
            ..request
        }),
        Err(Error::DpopMethod)
    );
    assert_eq!(
        ok.check_request(&DpopRequest {
            uri: PAR_ENDPOINT,
            ..request
        }),
        Err(Error::DpopUri)
    );
    // fapi-core reads some JSON serde_json does not (a lone surrogate
    // escape): such proofs keep only the properties above.
    let Some((header, claims)) = decode_parts(proof) else {
        return;
    };
    let alg = Alg::from_name(header["alg"].as_str().expect("alg")).expect("known alg");
    assert!(
        profile.algs.contains(&alg),
        "alg outside the profile's list"
    );
    assert_eq!(ok.key.alg(), alg, "proof key of another algorithm");
    let independent = independent_thumbprint(&header["jwk"]).expect("canonical jwk");
    assert_eq!(
        ok.jkt.0, independent,
        "jkt is not the jwk's RFC 7638 thumbprint"
    );
    assert_eq!(ok.key.thumbprint(), ok.jkt, "jkt is not the returned key's");
    assert_eq!(claims["htm"].as_str(), Some(request.method), "htm mismatch");
    assert_eq!(ok.htm(), request.method, "recorded htm");
    let htu = claims["htu"].as_str().expect("htu");
    assert_eq!(
        normalize_uri(htu).as_deref(),
        normalize_uri(TOKEN_ENDPOINT).as_deref(),
        "htu {htu:?} does not name the request URI"
    );
    let iat = claims["iat"].as_u64().expect("iat");
    assert_eq!(ok.iat, iat);
    assert!(iat <= NOW + config.max_future_skew() && NOW - iat.min(NOW) <= config.max_age());
    if let Some(token) = access_token {
        assert_eq!(
            claims["ath"].as_str(),
            Some(sha256_b64(token.as_bytes()).as_str())
        );
    }
});
