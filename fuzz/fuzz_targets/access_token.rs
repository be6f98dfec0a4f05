//! JWT access tokens (`token::verify`, RFC 9068) at a resource server, with
//! what the client presented: a DPoP proof verified for the token and the
//! request, a TLS client certificate, both or neither.
//!
//! Input: one selector byte, then the body. Selector bit 0 clear: the body
//! is a token. Set: the body is the token's *claims*, which the target
//! signs itself (header `typ: at+jwt`) with the server key picked by bits
//! 1–2 (ES256, EdDSA; in token mode also PS256), so every input reaches
//! the claim checks. Bits 3–5 pick the profile; bits 6–7 what was
//! presented (nothing, a DPoP proof, a certificate, both). The DPoP proof
//! is a real one, signed with the RFC 8037 Ed25519 key for this token on
//! `GET https://rs.example.com/accounts` and verified for them
//! (`dpop::verify_resource_proof`).
//!
//! Properties of an accepted token: its `typ` is `at+jwt`; `iss` is the
//! issuer; `aud` names the resource server; `exp` is in the future and
//! `iat` not beyond the leeway; `exp - iat` within the profile's maximum
//! lifetime; the token is sender-constrained in a way
//! the profile allows, and every `cnf` member names what was presented:
//! `cnf.jkt` is the presented proof key's RFC 7638 thumbprint, and
//! `cnf.x5t#S256` is base64url(SHA-256) of the presented certificate; a
//! DPoP-bound token is refused when its proof is presented with another
//! request (`Error::DpopMethod`); the returned claims are the token's.
#![no_main]

use fapi_core::crypto::KeyVerifier;
use fapi_core::dpop::DpopRequest;
use fapi_core::jws::{self, HeaderParams};
use fapi_core::profile::{Profile, SenderConstraint};
use fapi_core::token::{self, Expectations, Presented};
use fapi_core::{Alg, Error, FixedClock};
use fapi_fuzz::{
    CLIENT_CERT, ISSUER, KID_EDDSA, KID_ES256, NOW, PS256_PUBLIC, RESOURCE, RESOURCE_REQUEST,
    RUSTCRYPTO, aud_contains, decode_parts, ed25519_key, es256_key, resource_proof, sha256_b64,
    sign_with,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let profile = Profile::ALL[usize::from(sel >> 3 & 7) % Profile::ALL.len()];
    let which = (sel >> 1) & 3;
    let signed;
    let jwt: &[u8] = if sel & 1 == 0 {
        body
    } else {
        // Claims fapi-core's JSON check refuses would be refused after the
        // signature: skip the signing (the check runs the same code).
        if fapi_core::json::check(body).is_err() {
            return;
        }
        let which = which & 1;
        let kid = if which == 0 { KID_ES256 } else { KID_EDDSA };
        let header = HeaderParams::typed(token::TYP).with_kid(kid);
        let Ok(token) = sign_with(which, &header, body) else {
            return;
        };
        signed = token;
        &signed
    };
    let key = match which {
        0 => es256_key(),
        1 | 3 => ed25519_key(),
        _ => PS256_PUBLIC.clone(),
    };
    let verifier = KeyVerifier::new(&RUSTCRYPTO, key);
    // The DPoP key is the RFC 8037 Ed25519 key; the proof is made for this
    // token (a token that is not text cannot have one).
    let proof = (sel & 0x40 != 0)
        .then(|| core::str::from_utf8(jwt).ok())
        .flatten()
        .and_then(|at| resource_proof(at, &RESOURCE_REQUEST));
    let presented = proof.as_ref().map_or_else(Presented::default, |p| {
        Presented::dpop(p, &RESOURCE_REQUEST)
    });
    let presented = if sel & 0x80 != 0 {
        presented.with_certificate(CLIENT_CERT)
    } else {
        presented
    };
    let expect = Expectations::new(ISSUER, RESOURCE);
    let clock = FixedClock(NOW);
    let mut buf = vec![0u8; jwt.len()];
    let Ok(ok) = token::verify(
        jwt, &profile, &expect, &verifier, &clock, &presented, &mut buf,
    ) else {
        return;
    };
    assert!(ok.exp > NOW, "expired token accepted");
    assert!(ok.iat <= NOW + expect.leeway(), "iat in the future");
    assert!(
        ok.exp.saturating_sub(ok.iat) <= profile.access_token_ttl.max,
        "lifetime beyond the profile's maximum"
    );
    // Every binding the token carries holds; a bearer token never passes.
    assert!(
        ok.cnf_jkt.is_some() || ok.cnf_x5t_s256.is_some(),
        "bearer token accepted"
    );
    if let Some(jkt) = ok.cnf_jkt {
        assert!(profile.sender.contains(&SenderConstraint::Dpop));
        let proof = presented
            .dpop_proof()
            .expect("DPoP-bound token without a proof");
        assert_eq!(
            jkt,
            proof.jkt().to_b64().as_str(),
            "cnf.jkt is not the proof key"
        );
        assert_eq!(proof.jkt(), ed25519_key().thumbprint());
        // The same proof with another request than the one it was made for.
        let elsewhere = DpopRequest {
            method: "POST",
            ..RESOURCE_REQUEST
        };
        let moved = Presented::dpop(proof, &elsewhere);
        let moved = match presented.client_cert() {
            Some(der) => moved.with_certificate(der),
            None => moved,
        };
        let mut again = vec![0u8; jwt.len()];
        assert_eq!(
            token::verify(
                jwt, &profile, &expect, &verifier, &clock, &moved, &mut again
            )
            .err(),
            Some(Error::DpopMethod),
            "a proof accepted for another request"
        );
    }
    if let Some(x5t) = ok.cnf_x5t_s256 {
        assert!(profile.sender.contains(&SenderConstraint::Mtls));
        assert!(
            presented.client_cert().is_some(),
            "certificate-bound token without one"
        );
        assert_eq!(
            x5t,
            sha256_b64(CLIENT_CERT),
            "cnf.x5t#S256 is not the certificate"
        );
    }

    // fapi-core reads some JSON serde_json does not (a lone surrogate
    // escape): such tokens keep only the properties above.
    let Some((header, claims)) = decode_parts(jwt) else {
        return;
    };
    let alg = Alg::from_name(header["alg"].as_str().expect("alg")).expect("known alg");
    assert!(
        profile.algs.contains(&alg),
        "alg outside the profile's list"
    );
    let typ = header["typ"].as_str().expect("typ");
    assert!(jws::typ_matches(typ, token::TYP), "typ {typ:?}");
    let bare = typ.get(typ.len().saturating_sub(6)..).unwrap_or("");
    assert!(bare.eq_ignore_ascii_case("at+jwt"), "typ {typ:?}");
    assert_eq!(claims["iss"].as_str(), Some(ISSUER), "iss");
    assert!(aud_contains(claims.get("aud"), RESOURCE), "aud");
    assert_eq!(claims["exp"].as_u64(), Some(ok.exp));
    assert_eq!(claims["iat"].as_u64(), Some(ok.iat));
    assert_eq!(claims["sub"].as_str(), Some(ok.subject));
    assert_eq!(claims["client_id"].as_str(), Some(ok.client_id));
    assert_eq!(claims["jti"].as_str(), Some(ok.jti));
    let cnf = &claims["cnf"];
    assert_eq!(cnf.get("jkt").and_then(|v| v.as_str()), ok.cnf_jkt);
    assert_eq!(
        cnf.get("x5t#S256").and_then(|v| v.as_str()),
        ok.cnf_x5t_s256
    );
});
