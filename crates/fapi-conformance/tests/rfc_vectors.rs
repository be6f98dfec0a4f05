//! Known-answer vectors from the specifications (`vectors.md`), through
//! both backends. Values are copied from the RFC and FAPI texts.

use fapi_conformance::backends;
use fapi_core::jwk::RsaPublicKey;
use fapi_core::jws::{self, HeaderParams, Policy};
use fapi_core::{Alg, PublicJwk, PublicKey, Signer, b64};

// --- RFC 7638 §3.1 ------------------------------------------------------

const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

#[test]
fn rfc7638_rsa_thumbprint() {
    let mut n = [0u8; 512];
    let n = b64::decode(RFC7638_N.as_bytes(), &mut n).unwrap();
    let key = PublicKey::Rsa(RsaPublicKey::new(n, &[1, 0, 1]).unwrap());
    assert_eq!(
        key.thumbprint().to_b64().as_str(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    // The same key as a JWK (the RFC's `kid`; its `alg` RS256 is not a FAPI
    // algorithm, so it is left out here and refused in bad_inputs.rs).
    let json = format!(r#"{{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","kid":"2011-04-29"}}"#);
    let jwk = PublicJwk::from_json(json.as_bytes()).unwrap();
    assert_eq!(
        jwk.thumbprint().to_b64().as_str(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

// --- RFC 8037 A.1 to A.5 ------------------------------------------------

const RFC8037_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const RFC8037_JWS: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
const RFC8037_SIGNING_INPUT: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
const RFC8037_SIG: &str =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

fn rfc8037_seed() -> [u8; 32] {
    b64::decode_array::<32>(RFC8037_D.as_bytes()).unwrap()
}

fn rfc8037_signers() -> Vec<(&'static str, Box<dyn Signer>)> {
    vec![
        (
            "rustcrypto",
            Box::new(fapi_rustcrypto::Ed25519SigningKey::from_bytes(&rfc8037_seed()).unwrap()),
        ),
        (
            "awslc",
            Box::new(fapi_awslc::Ed25519SigningKey::from_bytes(&rfc8037_seed()).unwrap()),
        ),
    ]
}

/// RFC 8037 A.2 and A.3: the public key of the A.1 seed and its thumbprint.
#[test]
fn rfc8037_okp_public_key_and_thumbprint() {
    let json = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{RFC8037_X}"}}"#);
    let jwk = PublicJwk::from_json(json.as_bytes()).unwrap();
    assert_eq!(
        jwk.thumbprint().to_b64().as_str(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
    for (name, signer) in rfc8037_signers() {
        assert_eq!(signer.public_key().unwrap(), jwk.key, "{name}");
        // The default key id is the RFC 7638 thumbprint.
        assert_eq!(
            signer.key_id(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
            "{name}"
        );
    }
}

/// RFC 8037 A.4: Ed25519 is deterministic, so the exact JWS is reproduced,
/// both over the RFC's signing input and through `jws::sign` (which writes
/// the same protected header, `{"alg":"EdDSA"}`).
#[test]
fn rfc8037_a4_exact_eddsa_jws() {
    for (name, signer) in rfc8037_signers() {
        let mut sig = [0u8; 64];
        assert_eq!(
            signer
                .sign(RFC8037_SIGNING_INPUT.as_bytes(), &mut sig)
                .unwrap(),
            64
        );
        let mut enc = [0u8; 86];
        assert_eq!(b64::encode(&sig, &mut enc).unwrap(), RFC8037_SIG, "{name}");

        let mut out = [0u8; 512];
        let n = jws::sign(
            &*signer,
            &HeaderParams::default(),
            b"Example of Ed25519 signing",
            &mut out,
        )
        .unwrap();
        assert_eq!(
            core::str::from_utf8(&out[..n]).unwrap(),
            RFC8037_JWS,
            "{name}"
        );
    }
}

/// RFC 8037 A.5: the A.4 JWS verifies, with the parsed key of each backend
/// and through each backend's run-time verifier.
#[test]
fn rfc8037_a5_verify() {
    let key = PublicKey::Ed25519 {
        x: b64::decode_array::<32>(RFC8037_X.as_bytes()).unwrap(),
    };
    let policy = Policy::new(&[Alg::EdDsa]);
    let mut buf = [0u8; 256];
    let rc = fapi_rustcrypto::Ed25519VerifyingKey::from_public_key(&key).unwrap();
    let v = jws::verify(RFC8037_JWS.as_bytes(), &policy, &rc, &mut buf).unwrap();
    assert_eq!(v.payload, b"Example of Ed25519 signing");
    let aws = fapi_awslc::Ed25519VerifyingKey::from_public_key(&key).unwrap();
    let mut buf2 = [0u8; 256];
    let v = jws::verify(RFC8037_JWS.as_bytes(), &policy, &aws, &mut buf2).unwrap();
    assert_eq!(v.payload, b"Example of Ed25519 signing");
    for (name, backend) in backends() {
        let kv = fapi_core::crypto::KeyVerifier::new(backend, key.clone());
        let mut buf3 = [0u8; 256];
        let v = jws::verify(RFC8037_JWS.as_bytes(), &policy, &kv, &mut buf3).expect(name);
        assert_eq!(v.header.alg, Alg::EdDsa);
    }
}

// --- RFC 7515 A.3 -------------------------------------------------------

const RFC7515_A3_JWK: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
const RFC7515_A3_JWS: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
/// The A.3 private key `d`: signing with it must verify under the A.3 key.
const RFC7515_A3_D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";

#[test]
fn rfc7515_a3_es256_verifies() {
    let jwk = PublicJwk::from_json(RFC7515_A3_JWK.as_bytes()).unwrap();
    let policy = Policy::new(&[Alg::Es256]);
    let mut buf = [0u8; 512];
    let rc = fapi_rustcrypto::Es256VerifyingKey::from_public_key(&jwk.key).unwrap();
    let v = jws::verify(RFC7515_A3_JWS.as_bytes(), &policy, &rc, &mut buf).unwrap();
    assert_eq!(
        v.payload,
        b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"
    );
    let aws = fapi_awslc::Es256VerifyingKey::from_public_key(&jwk.key).unwrap();
    assert!(jws::verify(RFC7515_A3_JWS.as_bytes(), &policy, &aws, &mut [0u8; 512]).is_ok());
    for (name, backend) in backends() {
        let kv = fapi_core::crypto::KeyVerifier::new(backend, jwk.key.clone());
        assert!(
            jws::verify(RFC7515_A3_JWS.as_bytes(), &policy, &kv, &mut [0u8; 512]).is_ok(),
            "{name}"
        );
    }
}

/// The A.3 private key gives the A.3 public key in both backends, and its
/// (randomized) signatures verify under the RFC's public key.
#[test]
fn rfc7515_a3_private_key_signs() {
    let d = b64::decode_array::<32>(RFC7515_A3_D.as_bytes()).unwrap();
    let jwk = PublicJwk::from_json(RFC7515_A3_JWK.as_bytes()).unwrap();
    let signers: Vec<Box<dyn Signer>> = vec![
        Box::new(fapi_rustcrypto::Es256SigningKey::from_bytes(&d).unwrap()),
        Box::new(fapi_awslc::Es256SigningKey::from_bytes(&d).unwrap()),
    ];
    for signer in signers {
        assert_eq!(signer.public_key().unwrap(), jwk.key);
        let mut out = [0u8; 512];
        let n = jws::sign(
            &*signer,
            &HeaderParams::default(),
            b"{\"iss\":\"joe\"}",
            &mut out,
        )
        .unwrap();
        for (name, backend) in backends() {
            let kv = fapi_core::crypto::KeyVerifier::new(backend, jwk.key.clone());
            let mut buf = [0u8; 512];
            assert!(
                jws::verify(&out[..n], &Policy::new(&[Alg::Es256]), &kv, &mut buf).is_ok(),
                "{name}"
            );
        }
    }
}

// --- RFC 9449 §4.1 Figure 2 ----------------------------------------------

const RFC9449_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";

#[test]
fn rfc9449_figure2_dpop_proof_verifies_with_embedded_key() {
    let policy = Policy::new(&[Alg::Es256]).with_typ("dpop+jwt");
    for (name, backend) in backends() {
        let mut buf = [0u8; 1024];
        let v = jws::verify_embedded(RFC9449_PROOF.as_bytes(), &policy, backend, &mut buf)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.header.typ, Some("dpop+jwt"));
        let jwk = v.header.jwk.expect("embedded jwk");
        assert_eq!(
            jwk.thumbprint().to_b64().as_str(),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
        assert_eq!(
            v.payload,
            br#"{"jti":"-BwC3ESc6acc2lTc","htm":"POST","htu":"https://server.example.com/token","iat":1562262616}"#
        );
    }
}

// --- FAPI 1.0 Advanced (final), Appendix A.0 and A.1 ----------------------

/// A.0: the client's JWK (line wraps of `n` removed).
const FAPI_A0_CLIENT_JWK: &str = r#"{
  "kty": "RSA",
  "e": "AQAB",
  "use": "sig",
  "kid": "client-2020-08-28",
  "alg": "PS256",
  "n": "i0Ybm4TJyErnD5FIs-6sgAdtP6fG631FXbe5gcOGYgn9aC2BS2h9Ah5cRGQpr3aLLVKCRWU6HRfnGseUBOejo57vI-kgab2YsQJSwedAxvtKrIrJlgKn1gTXMNsz-NQd1LyLSV50qJVEy5l9RtsdDzOV8_kLCbzroEL3rc00iqVZBcQiYm8Bx4z0G8LYZ4oMJAG462Mf_znJkKXsuSIH735xnSmx74CC8TOe6G-V0Wi_wVSJ9bHPphSki_kWUtjVGcnyjYuQVE0LRj3qrGPAX9bsVKSqs8T9AM41TB9oV5Sjz5YhggwICvvCCGwil9qhUoQRkeXtWuGCfvCSeTdawQ"
}"#;

/// A.1: the request object (line wraps removed).
const FAPI_A1_REQUEST_OBJECT: &str = "eyJraWQiOiJjbGllbnQtMjAyMC0wOC0yOCIsImFsZyI6IlBTMjU2In0.eyJhdWQiOiJodHRwczpcL1wvZmFwaS1hcy5leGFtcGxlLmNvbVwvIiwibmJmIjoxNTk0MTQwMDMwLCJzY29wZSI6Im9wZW5pZCBwYXltZW50cyIsImlzcyI6IjUyNDgwNzU0MDUzIiwicmVzcG9uc2VfdHlwZSI6ImNvZGUgaWRfdG9rZW4iLCJyZWRpcmVjdF91cmkiOiJodHRwczpcL1wvZmFwaS1jbGllbnQuZXhhbXBsZS5vcmdcL2ZhcGktYXMtY2FsbGJhY2siLCJzdGF0ZSI6IlZnU1VJRW5mbG5EeFRlMXZBdHI1NG8iLCJleHAiOjE1OTQxNDAzOTAsIm5vbmNlIjoiN3hEQ0h2aXVQTVNYSklpZ2tIT2NEaSIsImNsaWVudF9pZCI6IjUyNDgwNzU0MDUzIn0.VSo5VWN3lOiCry2KItU5RI62i9KG2KQlBdpsDT0DI0vSMK-q85aJZvsMiHBNBv1PQ9qAWmU3oJS-yi-Ks_lDlP6lIMFrOL_Ym3VxJ_SM6lrc8JSZH_nNx6sqxPpeMQTF4SFPx30vHrlBVJaCGfnCMVC6Nbzwef0vOEpNixZT-9cwa3dZ-pddAyt58dKGxS76NR_wxdBaSKN0AfPoui0HSSaAkIdRds21NKIOf4r9BjV5lr1Oi-4IJUQp-xdeLCPD3fD6Y-TJbHFToJ4FsQzglN83BfNYaeXV_yTtK7yeSw2R-ee0b3uMV0iD1ee77b7bbcjR3msLISFjM40d9Pv8qQ";

/// F2-ALG: the FAPI 1.0 Advanced A.1 request object is PS256 with a 32-byte
/// salt, and verifies with the A.0 client key in both backends.
#[test]
fn fapi1_advanced_a1_ps256_request_object() {
    let jwk = PublicJwk::from_json(FAPI_A0_CLIENT_JWK.as_bytes()).unwrap();
    assert_eq!(jwk.alg, Some(Alg::Ps256));
    let policy = Policy::new(&[Alg::Ps256]);
    let mut buf = [0u8; 2048];
    let rc = fapi_rustcrypto::Ps256VerifyingKey::from_public_key(&jwk.key).unwrap();
    let v = jws::verify(FAPI_A1_REQUEST_OBJECT.as_bytes(), &policy, &rc, &mut buf).unwrap();
    assert_eq!(v.header.kid, Some("client-2020-08-28"));
    let claims: serde_json::Value = serde_json::from_slice(v.payload).unwrap();
    assert_eq!(claims["client_id"], "52480754053");
    assert_eq!(claims["aud"], "https://fapi-as.example.com/");
    let aws = fapi_awslc::Ps256VerifyingKey::from_public_key(&jwk.key).unwrap();
    assert!(
        jws::verify(
            FAPI_A1_REQUEST_OBJECT.as_bytes(),
            &policy,
            &aws,
            &mut [0u8; 2048]
        )
        .is_ok()
    );
    // And selected from a JWKS by its `kid`, as a server does.
    let jwks = format!(r#"{{"keys":[{FAPI_A0_CLIENT_JWK}]}}"#);
    let set = fapi_core::jwk::Jwks::from_json(jwks.as_bytes()).unwrap();
    for (name, backend) in backends() {
        let mut buf3 = [0u8; 2048];
        let v = jws::verify_with_jwks(
            FAPI_A1_REQUEST_OBJECT.as_bytes(),
            &policy,
            backend,
            &set,
            &mut buf3,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.header.alg, Alg::Ps256);
    }
}
