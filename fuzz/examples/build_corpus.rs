//! Writes the seed corpora of the fuzz targets into `fuzz/corpus/<target>/`:
//! the RFC examples (RFC 7515 A.3, RFC 8037 A.4, RFC 7638 §3.1, RFC 9449
//! §4.1), tokens signed here with the RFC example keys to reach every
//! header check, and the Wycheproof keys and signatures, read from
//! `$FAPI_WYCHEPROOF_DIR` (default `<repo>/../shared/vectors/wycheproof`),
//! and the HTTP message signature fields of RFC 9421 and RFC 9530.
//!
//! It also checks the RFC examples against fapi-core on the way: each one
//! must verify (or be refused) exactly as its RFC says.
//!
//! Run: `cargo run --release --example build_corpus` in `fuzz/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use fapi_core::jws::{self, Policy};
use fapi_core::profile::Profile;
use fapi_core::{Alg, Error, PublicJwk};
use fapi_fuzz::{
    RUSTCRYPTO, b64url, ed25519_key, es256_key, fixed_verifiers, rfc7515_a3, rfc7638, rfc8037,
    rfc9449,
};
use serde_json::{Value, json};

#[derive(Default)]
struct Corpus {
    seeds: BTreeMap<&'static str, Vec<Vec<u8>>>,
}

impl Corpus {
    fn add(&mut self, target: &'static str, seed: impl AsRef<[u8]>) {
        self.seeds
            .entry(target)
            .or_default()
            .push(seed.as_ref().to_vec());
    }

    /// A JWS goes to both JWS targets, and its decoded header and payload
    /// to the JSON target.
    fn add_jws(&mut self, compact: &str) {
        self.add("jws_verify", compact);
        self.add("jws_embedded", compact);
        for part in compact.split('.').take(2) {
            if let Some(bytes) = fapi_fuzz::b64url_decode(part.as_bytes()) {
                self.add("json_check", bytes);
            }
        }
    }

    fn add_jwk(&mut self, jwk: &Value) {
        let text = serde_json::to_vec(jwk).expect("JSON");
        self.add("jwk_thumbprint", &text);
        self.add("json_check", &text);
    }

    fn write(&self, root: &Path) {
        for (target, seeds) in &self.seeds {
            let dir = root.join(target);
            fs::create_dir_all(&dir).expect("corpus directory");
            for (i, seed) in seeds.iter().enumerate() {
                fs::write(dir.join(format!("seed-{i:05}")), seed).expect("write seed");
            }
            println!("{target}: {} seeds", seeds.len());
        }
    }
}

fn compact(header: &Value, payload: &[u8], signature: &[u8]) -> String {
    let head = serde_json::to_vec(header).expect("JSON");
    format!(
        "{}.{}.{}",
        b64url(&head),
        b64url(payload),
        b64url(signature)
    )
}

fn decode(s: &str) -> Vec<u8> {
    fapi_fuzz::b64url_decode(s.as_bytes()).expect("base64url")
}

/// Signs a header (given as raw JSON text, so duplicates and escapes can be
/// seeded) and payload with the RFC 7515 A.3 key or the RFC 8037 key.
fn sign_raw(alg: Alg, header: &str, payload: &[u8]) -> String {
    let input = format!("{}.{}", b64url(header.as_bytes()), b64url(payload));
    let sig = match alg {
        Alg::Es256 => {
            use p256::ecdsa::signature::Signer as _;
            let key = p256::ecdsa::SigningKey::from_slice(&decode(rfc7515_a3::D)).expect("d");
            let sig: p256::ecdsa::Signature = key.sign(input.as_bytes());
            sig.to_bytes().to_vec()
        }
        _ => {
            use ed25519_dalek::Signer as _;
            let d: [u8; 32] = decode(rfc8037::D).try_into().expect("32 bytes");
            let key = ed25519_dalek::SigningKey::from_bytes(&d);
            key.sign(input.as_bytes()).to_bytes().to_vec()
        }
    };
    format!("{input}.{}", b64url(&sig))
}

fn wycheproof_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FAPI_WYCHEPROOF_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/wycheproof")
        });
    if dir.is_dir() {
        Some(dir)
    } else if std::env::var("CI").as_deref() == Ok("true") {
        panic!("Wycheproof vectors missing at {} (CI=true)", dir.display());
    } else {
        eprintln!(
            "WARNING: Wycheproof vectors missing at {}: seeds skipped",
            dir.display()
        );
        None
    }
}

fn check_rfc_examples() {
    let [es256, ed25519] = fixed_verifiers();
    let mut buf = [0u8; 4096];
    // RFC 7515 A.3.2: the ES256 JWS verifies.
    let ok = jws::verify(
        rfc7515_a3::JWS.as_bytes(),
        &Policy::new(&[Alg::Es256]),
        &es256,
        &mut buf,
    )
    .expect("RFC 7515 A.3 verifies");
    assert_eq!(ok.header.alg, Alg::Es256);
    let mut buf = [0u8; 4096];
    // RFC 8037 A.5: the EdDSA JWS verifies.
    let ok = jws::verify(
        rfc8037::JWS.as_bytes(),
        &Policy::new(&[Alg::EdDsa]),
        &ed25519,
        &mut buf,
    )
    .expect("RFC 8037 A.4 verifies");
    assert_eq!(ok.payload, b"Example of Ed25519 signing");
    let mut buf = [0u8; 4096];
    // RFC 8037 A.4: Ed25519 is deterministic, so signing again gives the
    // same bytes.
    assert_eq!(
        sign_raw(
            Alg::EdDsa,
            r#"{"alg":"EdDSA"}"#,
            b"Example of Ed25519 signing"
        ),
        rfc8037::JWS
    );
    // RFC 9449 §4.1: the proof verifies with its own key, whose thumbprint
    // is the `jkt` of RFC 9449.
    let ok = jws::verify_embedded(
        rfc9449::PROOF.as_bytes(),
        &Policy::new(&[Alg::Es256]).with_typ("dpop+jwt"),
        &RUSTCRYPTO,
        &mut buf,
    )
    .expect("RFC 9449 proof verifies");
    let jwk = ok.header.jwk.expect("embedded key");
    assert_eq!(jwk.thumbprint().to_b64().as_str(), rfc9449::JKT);
    // RFC 7638 §3.1: its `alg` is RS256, which F2-ALG refuses; without it
    // the thumbprint is the RFC's.
    assert_eq!(
        PublicJwk::from_json(rfc7638::JWK.as_bytes()).err(),
        Some(Error::UnsupportedAlg)
    );
    let mut no_alg: Value = serde_json::from_str(rfc7638::JWK).expect("JSON");
    let _ = no_alg.as_object_mut().expect("object").remove("alg");
    let text = serde_json::to_vec(&no_alg).expect("JSON");
    let jwk = PublicJwk::from_json(&text).expect("RFC 7638 key");
    assert_eq!(jwk.thumbprint().to_b64().as_str(), rfc7638::THUMBPRINT);
    // RFC 8037 A.3.
    let okp = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#, rfc8037::X);
    let jwk = PublicJwk::from_json(okp.as_bytes()).expect("RFC 8037 key");
    assert_eq!(
        jwk.thumbprint().to_b64().as_str(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
    assert_eq!(jwk.key, ed25519_key());
    let ec = format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{}","y":"{}"}}"#,
        rfc7515_a3::X,
        rfc7515_a3::Y
    );
    assert_eq!(
        PublicJwk::from_json(ec.as_bytes())
            .expect("RFC 7515 key")
            .key,
        es256_key()
    );
}

fn rfc_and_signed_seeds(c: &mut Corpus) {
    for token in [rfc7515_a3::JWS, rfc8037::JWS, rfc9449::PROOF] {
        c.add_jws(token);
    }
    let ec = json!({"kty":"EC","crv":"P-256","x":rfc7515_a3::X,"y":rfc7515_a3::Y});
    let okp = json!({"kty":"OKP","crv":"Ed25519","x":rfc8037::X});
    let ec_private =
        json!({"kty":"EC","crv":"P-256","x":rfc7515_a3::X,"y":rfc7515_a3::Y,"d":rfc7515_a3::D});
    let okp_private = json!({"kty":"OKP","crv":"Ed25519","x":rfc8037::X,"d":rfc8037::D});
    for jwk in [&ec, &okp, &ec_private, &okp_private] {
        c.add_jwk(jwk);
    }
    c.add("jwk_thumbprint", rfc7638::JWK);
    c.add("json_check", rfc7638::JWK);
    let rfc7638_no_alg = rfc7638::JWK.replace(r#","alg":"RS256""#, "");
    c.add("jwk_thumbprint", &rfc7638_no_alg);
    let ec_text = ec.to_string();
    let okp_text = okp.to_string();
    let ecp_text = ec_private.to_string();
    let claims = br#"{"jti":"-BwC3ESc6acc2lTc","htm":"POST","htu":"https://server.example.com/token","iat":1562262616}"#;
    // Headers that reach every check of jws::verify, each signed for real.
    let headers: Vec<(Alg, String)> = vec![
        (Alg::Es256, r#"{"alg":"ES256"}"#.into()),
        (
            Alg::Es256,
            r#"{"alg":"ES256","typ":"JWT","kid":"k1"}"#.into(),
        ),
        (
            Alg::Es256,
            r#"{"alg":"ES256","typ":"at+jwt","cty":"JWT"}"#.into(),
        ),
        (
            Alg::Es256,
            r#"{"alg":"ES256","crit":["exp"],"exp":1}"#.into(),
        ),
        (Alg::Es256, r#"{"alg":"ES256","crit":[]}"#.into()),
        (
            Alg::Es256,
            r#"{"alg":"ES256","b64":false,"crit":["b64"]}"#.into(),
        ),
        (
            Alg::Es256,
            r#"{"alg":"ES256","jku":"https://attacker.example/jwks"}"#.into(),
        ),
        (
            Alg::Es256,
            r#"{"alg":"ES256","x5u":"https://attacker.example/cert"}"#.into(),
        ),
        (Alg::Es256, r#"{"alg":"ES256","x5c":["MIIB"]}"#.into()),
        (Alg::Es256, r#"{"alg":"ES256","enc":"A256GCM"}"#.into()),
        (Alg::Es256, r#"{"alg":"ES256","alg":"none"}"#.into()),
        (Alg::Es256, r#"{"alg":"ES\u0032256"}"#.into()),
        (Alg::Es256, r#"{"alg":"none"}"#.into()),
        (Alg::Es256, r#"{"alg":"HS256"}"#.into()),
        (Alg::Es256, r#"{"alg":"RS256"}"#.into()),
        (Alg::Es256, r#"{"alg":"PS256"}"#.into()),
        (Alg::Es256, r#"{"alg":"EdDSA"}"#.into()),
        (Alg::Es256, r#"{"typ":"JWT"}"#.into()),
        (
            Alg::Es256,
            format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{ec_text}}}"#),
        ),
        (
            Alg::Es256,
            format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{ecp_text}}}"#),
        ),
        (
            Alg::Es256,
            format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{okp_text}}}"#),
        ),
        (
            Alg::Es256,
            format!(r#"{{"typ":"JWT","alg":"ES256","jwk":{ec_text}}}"#),
        ),
        (
            Alg::Es256,
            format!(r#"{{"typ":"dpop+jwt","alg":"ES256","jwk":{ec_text},"kid":"x"}}"#),
        ),
        (Alg::EdDsa, r#"{"alg":"EdDSA"}"#.into()),
        (
            Alg::EdDsa,
            r#"{"alg":"EdDSA","typ":"application/dpop+jwt"}"#.into(),
        ),
        (
            Alg::EdDsa,
            format!(r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{okp_text}}}"#),
        ),
        (
            Alg::EdDsa,
            format!(r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{ec_text}}}"#),
        ),
    ];
    for (alg, header) in &headers {
        for payload in [&claims[..], b"", b"Example of Ed25519 signing"] {
            let token = sign_raw(*alg, header, payload);
            c.add_jws(&token);
        }
    }
    // A JWE-shaped token and truncated or stretched ones.
    c.add_jws("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d");
    c.add_jws(&rfc7515_a3::JWS[..rfc7515_a3::JWS.len() - 2]);
    c.add_jws(&format!("{}AA", rfc8037::JWS));
    c.add_jws(&format!("{}.", rfc8037::JWS));
    // Shapes for the JSON target.
    for doc in [
        "{}",
        r#"{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":{"l":{}}}}}}}}}}}}"#,
        r#"{"a":[[[[[[[[[[[[1]]]]]]]]]]]]}"#,
        r#"{"a":1,"a":2}"#,
        r#"{"\u0061":1}"#,
        r#"{"s":"\ud800"}"#,
        r#"{"n":1e400,"m":-0.0e-0,"t":true,"f":false,"z":null}"#,
        r#" { "a" : [ 1 , "x" ] } "#,
    ] {
        c.add("json_check", doc);
    }
    let many: Vec<String> = (0..65).map(|i| format!(r#""k{i}":{i}"#)).collect();
    c.add("json_check", format!("{{{}}}", many.join(",")));
}

fn wycheproof_seeds(c: &mut Corpus, dir: &Path) {
    let files = [
        ("ecdsa_secp256r1_sha256_p1363_test.json", "ES256"),
        ("ed25519_test.json", "EdDSA"),
        ("rsa_pss_2048_sha256_mgf1_32_test.json", "PS256"),
        ("rsa_pss_2048_sha256_mgf1_0_test.json", "PS256"),
        ("rsa_pss_3072_sha256_mgf1_32_test.json", "PS256"),
        ("rsa_pss_4096_sha256_mgf1_32_test.json", "PS256"),
    ];
    for (file, alg) in files {
        let path = dir.join(file);
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc: Value = serde_json::from_str(&text).expect("Wycheproof JSON");
        for group in doc["testGroups"].as_array().expect("testGroups") {
            let Some(jwk) = group.get("publicKeyJwk") else {
                continue;
            };
            let mut jwk = jwk.clone();
            c.add_jwk(&jwk);
            let obj = jwk.as_object_mut().expect("JWK object");
            let _ = obj.remove("kid");
            let _ = obj.remove("alg");
            c.add_jwk(&jwk);
            for test in group["tests"].as_array().expect("tests") {
                let msg = hex(test["msg"].as_str().expect("msg"));
                let sig = hex(test["sig"].as_str().expect("sig"));
                // The signatures are over `msg`, not a JWS signing input:
                // none verifies, but every odd length and value reaches the
                // signature decoding and the backend.
                c.add_jws(&compact(&json!({"alg": alg}), &msg, &sig));
                c.add_jws(&compact(
                    &json!({"typ":"dpop+jwt","alg": alg,"jwk": jwk}),
                    &msg,
                    &sig,
                ));
            }
        }
    }
}

/// A seed for a selector-byte target: `sel` then `body`.
fn with_sel(sel: u8, body: impl AsRef<[u8]>) -> Vec<u8> {
    let mut v = vec![sel];
    v.extend_from_slice(body.as_ref());
    v
}

/// Adds `claims` to a claims-signing target under every selector that
/// signs (bit 0 set) for the given profiles and extra bits, and `token`
/// (signed here) under the verifying selectors.
fn add_protocol(
    c: &mut Corpus,
    target: &'static str,
    sels: &[u8],
    token: Option<&[u8]>,
    claims: &[u8],
) {
    for &sel in sels {
        c.add(target, with_sel(sel | 1, claims));
        if let Some(t) = token {
            c.add(target, with_sel(sel & !1, t));
        }
    }
}

/// Seeds of the protocol targets: real proofs, assertions, request objects
/// and access tokens signed here with the fixed keys (ES256, EdDSA and the
/// PS256 test key), their claims for the claims-signing mode, the RFC 9449
/// §4.1 proof and the RFC 7636 Appendix B verifier. Each valid one is
/// checked to verify on the way.
fn protocol_seeds(c: &mut Corpus) {
    use fapi_core::dpop::{self, DpopConfig, DpopRequest};
    use fapi_core::jws::HeaderParams;
    use fapi_core::store::FixedReplayCache;
    use fapi_core::{FixedClock, Signer as _};
    use fapi_fuzz::{
        CLIENT_ID, ISSUER, KID_EDDSA, KID_ES256, KID_PS256, NOW, PAR_ENDPOINT, RESOURCE,
        TOKEN_ENDPOINT, sign_with,
    };
    let clock = FixedClock(NOW);
    // Selector profile bits (3–5): Profile::ALL order.
    let profile_bits = |i: u8| i << 3;
    let fapi2 = profile_bits(0);
    let obie = profile_bits(2);
    let cdr = profile_bits(4);
    let ath = fapi_fuzz::sha256_b64(b"Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU");

    // --- dpop_proof
    let request = DpopRequest {
        method: "POST",
        uri: TOKEN_ENDPOINT,
        nonce_binding: None,
    };
    let verify = |proof: &[u8], request: &DpopRequest<'_>| {
        dpop::verify_proof(
            proof,
            request,
            &DpopConfig::new(&Profile::FAPI2),
            &RUSTCRYPTO,
            &clock,
            &FixedReplayCache::<4>::new(),
        )
    };
    // RFC 9449 §4.1 Figure 2: accepted at its own iat.
    let ok = verify(rfc9449::PROOF.as_bytes(), &request).expect("RFC 9449 proof accepted");
    assert_eq!(ok.jkt.to_b64().as_str(), rfc9449::JKT);
    c.add("dpop_proof", with_sel(fapi2, rfc9449::PROOF.as_bytes()));
    let proof_claims = [
        format!(
            r#"{{"jti":"-BwC3ESc6acc2lTc","htm":"POST","htu":"{TOKEN_ENDPOINT}","iat":{NOW}}}"#
        ),
        format!(
            r#"{{"jti":"e1j3V_bKic8-LAEB","htm":"POST","htu":"HTTPS://Server.Example.COM:443/./x/../token?q=1#f","iat":{}}}"#,
            NOW - 30
        ),
        format!(
            r#"{{"jti":"x","htm":"POST","htu":"https://server.example.com/%74oken","iat":{},"nonce":"n"}}"#,
            NOW + 5
        ),
        format!(r#"{{"jti":"a","htm":"GET","htu":"{TOKEN_ENDPOINT}","iat":{NOW}}}"#),
        format!(
            r#"{{"jti":"b","htm":"POST","htu":"https://server.example.com/other","iat":{NOW}}}"#
        ),
        format!(
            r#"{{"jti":"c","htm":"POST","htu":"{TOKEN_ENDPOINT}","iat":{}}}"#,
            NOW - 61
        ),
        format!(r#"{{"jti":"d","htm":"POST","htu":"{TOKEN_ENDPOINT}","iat":{NOW},"ath":"{ath}"}}"#),
    ];
    for (i, claims) in proof_claims.iter().enumerate() {
        for which in [0u8, 1] {
            let key = if which == 0 {
                fapi_fuzz::es256_signer().public_key()
            } else {
                fapi_fuzz::ed25519_signer().public_key()
            }
            .expect("key");
            let header = HeaderParams::typed(dpop::TYP).with_jwk(&key);
            let proof = sign_with(which, &header, claims.as_bytes()).expect("sign");
            if i < 3 {
                verify(&proof, &request).expect("seed proof accepted");
            }
            let sel = which << 1 | if i == 6 { 0x40 } else { 0 };
            c.add("dpop_proof", with_sel(sel, &proof));
            c.add("dpop_proof", with_sel(sel | 1, claims.as_bytes()));
            c.add("dpop_proof", with_sel(sel | cdr, &proof));
        }
    }
    // A PS256 proof with the RSA key embedded.
    let header = HeaderParams::typed(dpop::TYP).with_jwk(&fapi_fuzz::PS256_PUBLIC);
    let proof = sign_with(2, &header, proof_claims[0].as_bytes()).expect("sign");
    verify(&proof, &request).expect("PS256 proof accepted");
    c.add("dpop_proof", with_sel(obie, &proof));
    c.add("dpop_proof", with_sel(fapi2, &proof));
    c.add_jws(std::str::from_utf8(&proof).expect("ASCII"));
    let d = sign_with(
        0,
        &HeaderParams::typed(dpop::TYP).with_jwk(&es256_key()),
        proof_claims[6].as_bytes(),
    )
    .expect("sign");
    let rp = dpop::verify_resource_proof(
        &d,
        &request,
        "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU",
        &DpopConfig::new(&Profile::FAPI2),
        &RUSTCRYPTO,
        &clock,
        &FixedReplayCache::<4>::new(),
    )
    .expect("proof with ath accepted");
    assert_eq!(rp.ath(), ath);

    // --- client_assertion and request_object
    use fapi_core::assertion::{self, AssertionConfig};
    use fapi_core::jwk::Jwks;
    use fapi_core::request_object::{self, RequestObjectConfig};
    let jwks_json = &*fapi_fuzz::CLIENT_JWKS;
    let jwks = Jwks::from_json(jwks_json).expect("JWKS");
    let assertion_claims = [
        format!(
            r#"{{"iss":"{CLIENT_ID}","sub":"{CLIENT_ID}","aud":"{ISSUER}","jti":"id-1","exp":{},"iat":{NOW}}}"#,
            NOW + 60
        ),
        format!(
            r#"{{"iss":"{CLIENT_ID}","sub":"{CLIENT_ID}","aud":["{TOKEN_ENDPOINT}","x"],"jti":"id-2","exp":{},"nbf":{NOW}}}"#,
            NOW + 30
        ),
        format!(
            r#"{{"iss":"{CLIENT_ID}","sub":"{CLIENT_ID}","aud":"{PAR_ENDPOINT}","jti":"id-3","exp":{},"iat":{}}}"#,
            NOW + 200,
            NOW - 50
        ),
        format!(
            r#"{{"iss":"{CLIENT_ID}","sub":"other","aud":"{ISSUER}","jti":"id-4","exp":{}}}"#,
            NOW + 10
        ),
        format!(
            r#"{{"iss":"{CLIENT_ID}","sub":"{CLIENT_ID}","aud":"https://attacker.example","jti":"id-5","exp":{}}}"#,
            NOW + 10
        ),
    ];
    for (i, claims) in assertion_claims.iter().enumerate() {
        for (which, kid) in [(0u8, KID_ES256), (1, KID_EDDSA), (2, KID_PS256)] {
            let token = sign_with(
                which,
                &HeaderParams::default().with_kid(kid),
                claims.as_bytes(),
            )
            .expect("sign");
            if i == 0 {
                assertion::verify_assertion(
                    &token,
                    CLIENT_ID,
                    &jwks,
                    &AssertionConfig::new(&Profile::FAPI2, ISSUER),
                    &RUSTCRYPTO,
                    &clock,
                    &FixedReplayCache::<4>::new(),
                )
                .expect("seed assertion accepted");
            }
            let sel = if which == 2 { obie } else { which << 1 | fapi2 };
            add_protocol(
                c,
                "client_assertion",
                &[sel, sel | 0x40, sel | 0xc0],
                Some(&token),
                claims.as_bytes(),
            );
        }
    }
    let request_claims = [
        format!(
            r#"{{"iss":"{CLIENT_ID}","aud":"{ISSUER}","client_id":"{CLIENT_ID}","response_type":"code","redirect_uri":"https://client.example.org/cb","scope":"openid accounts","state":"af0ifjsldkj","code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM","code_challenge_method":"S256","nonce":"n-0S6_WzA2Mj","exp":{},"nbf":{},"jti":"r-1"}}"#,
            NOW + 300,
            NOW - 10
        ),
        format!(
            r#"{{"iss":"{CLIENT_ID}","aud":["{ISSUER}"],"response_type":"code","exp":{},"nbf":{NOW},"claims":{{"id_token":{{"openbanking_intent_id":{{"value":"urn:bank:1","essential":true}}}},"cdr_arrangement_id":"arr-1","sharing_duration":7776000}},"dpop_jkt":"{}"}}"#,
            NOW + 3600,
            rfc9449::JKT
        ),
        format!(
            r#"{{"iss":"{CLIENT_ID}","aud":"{ISSUER}","exp":{},"nbf":{}}}"#,
            NOW + 4000,
            NOW - 10
        ),
    ];
    for (i, claims) in request_claims.iter().enumerate() {
        for (which, kid) in [(0u8, KID_ES256), (1, KID_EDDSA), (2, KID_PS256)] {
            let token = sign_with(
                which,
                &HeaderParams::typed("oauth-authz-req+jwt").with_kid(kid),
                claims.as_bytes(),
            )
            .expect("sign");
            if i == 0 {
                let mut buf = vec![0u8; token.len()];
                request_object::verify_request_object(
                    &token,
                    CLIENT_ID,
                    &jwks,
                    &RequestObjectConfig::new(&Profile::FAPI2, ISSUER),
                    &RUSTCRYPTO,
                    &clock,
                    &mut buf,
                )
                .expect("seed request object accepted");
            }
            let sels: Vec<u8> = (0..6u8)
                .map(|p| (which.min(1) << 1) | profile_bits(p))
                .collect();
            add_protocol(c, "request_object", &sels, Some(&token), claims.as_bytes());
        }
    }

    // --- access_token: issued by fapi-core for each binding.
    use fapi_core::mtls::CertThumbprint;
    use fapi_core::token::{self, AccessTokenParams, Confirmation, Expectations, Presented};
    let cert: &[u8] = fapi_fuzz::CLIENT_CERT;
    let rng = fapi_fuzz::CounterRandom::default();
    let dpop_key = ed25519_key();
    for (conf, presented_bits) in [
        (Confirmation::Jkt(dpop_key.thumbprint()), 0x40u8),
        (Confirmation::X5tS256(CertThumbprint::of_der(cert)), 0x80),
    ] {
        for (profile_index, profile) in Profile::ALL.iter().enumerate() {
            let params = AccessTokenParams {
                issuer: ISSUER,
                subject: "user-42",
                audience: RESOURCE,
                client_id: CLIENT_ID,
                scope: Some("accounts payments"),
                issued_at: NOW - 5,
                lifetime: profile.access_token_ttl.max.min(600),
                confirmation: Some(conf),
                consent_id: profile.consent_claim.map(|_| "urn:bank:aac:1"),
            };
            let mut out = vec![0u8; 8192];
            for which in [0u8, 1, 2] {
                let issued = match which {
                    0 => token::issue(profile, &params, &fapi_fuzz::es256_signer(), &rng, &mut out),
                    1 => token::issue(
                        profile,
                        &params,
                        &fapi_fuzz::ed25519_signer(),
                        &rng,
                        &mut out,
                    ),
                    _ => token::issue(profile, &params, &fapi_fuzz::ps256_signer(), &rng, &mut out),
                };
                let Ok(n) = issued else { continue };
                let jwt = &out[..n];
                let sel = which << 1 | profile_bits(profile_index as u8) | presented_bits;
                c.add("access_token", with_sel(sel, jwt));
                c.add("access_token", with_sel(sel | 0xc0, jwt));
                c.add(
                    "json_check",
                    decode(
                        std::str::from_utf8(jwt.split(|b| *b == b'.').nth(1).expect("payload"))
                            .expect("ASCII"),
                    ),
                );
                if which < 2 {
                    let claims = decode(
                        std::str::from_utf8(jwt.split(|b| *b == b'.').nth(1).expect("payload"))
                            .expect("ASCII"),
                    );
                    c.add("access_token", with_sel(sel | 1, &claims));
                }
                if profile_index == 0 && which == 0 {
                    let proof = fapi_fuzz::resource_proof(
                        std::str::from_utf8(jwt).expect("ASCII"),
                        &fapi_fuzz::RESOURCE_REQUEST,
                    )
                    .expect("resource proof verifies");
                    assert_eq!(proof.jkt(), dpop_key.thumbprint());
                    let presented = Presented::dpop(&proof, &fapi_fuzz::RESOURCE_REQUEST)
                        .with_certificate(cert);
                    let verifier = fapi_core::crypto::KeyVerifier::new(&RUSTCRYPTO, es256_key());
                    let mut buf = vec![0u8; n];
                    token::verify(
                        jwt,
                        profile,
                        &Expectations::new(ISSUER, RESOURCE),
                        &verifier,
                        &clock,
                        &presented,
                        &mut buf,
                    )
                    .expect("issued token verifies");
                }
            }
        }
    }

    // --- pkce: RFC 7636 Appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    assert_eq!(fapi_core::pkce::verify(verifier, challenge), Ok(()));
    c.add("pkce", format!("{verifier}\n{challenge}\n\x05\x02"));
    c.add("pkce", verifier);
    c.add("pkce", format!("{verifier}\n{}", &challenge[..42]));
    c.add("pkce", format!("{}~.\n{challenge}", &verifier[..41]));
    c.add("pkce", "a".repeat(128));
    c.add("pkce", "a".repeat(129));
    c.add("pkce", format!("{verifier}+\n{challenge}"));

    // --- metadata_audit
    let metadata = format!(
        r#"{{"issuer":"{ISSUER}","authorization_endpoint":"{ISSUER}/authorize","token_endpoint":"{TOKEN_ENDPOINT}","jwks_uri":"{ISSUER}/jwks","pushed_authorization_request_endpoint":"{PAR_ENDPOINT}","require_pushed_authorization_requests":true,"token_endpoint_auth_methods_supported":["private_key_jwt","tls_client_auth"],"token_endpoint_auth_signing_alg_values_supported":["PS256","ES256","EdDSA"],"dpop_signing_alg_values_supported":["ES256","PS256"],"request_object_signing_alg_values_supported":["PS256","ES256"],"id_token_signing_alg_values_supported":["PS256"],"request_object_encryption_alg_values_supported":["RSA-OAEP"],"request_object_encryption_enc_values_supported":["A256GCM"],"code_challenge_methods_supported":["S256"],"response_types_supported":["code"],"grant_types_supported":["authorization_code","client_credentials","refresh_token"],"tls_client_certificate_bound_access_tokens":true,"authorization_response_iss_parameter_supported":true,"introspection_endpoint":"{ISSUER}/introspect","require_signed_request_object":true,"claims_supported":["openbanking_intent_id","cdr_arrangement_id"],"claims_parameter_supported":true,"scopes_supported":["accounts"],"mtls_endpoint_aliases":{{"token_endpoint":"https://mtls.server.example.com/token"}}}}"#
    );
    fapi_core::audit::Metadata::parse(metadata.as_bytes()).expect("metadata parses");
    c.add("metadata_audit", &metadata);
    c.add("metadata_audit", "{}");
    c.add("metadata_audit", r#"{"issuer":"http://as","response_types_supported":["code","token"],"code_challenge_methods_supported":["plain"],"token_endpoint_auth_methods_supported":["client_secret_basic","none"]}"#);
    c.add("metadata_audit", r#"{"issuer":"a","issuer":"b"}"#);
    c.add("json_check", &metadata);

    // --- authorization_response: RFC 9207 §2.4's response (its `iss`, its
    // state), RFC 6749 §4.1.2's, and near misses.
    let honest = "https://honest.as.example";
    let state = "ZWVlNDBlYzA1NjdkMDNhYjg3ZjUxZjAyNGQzMTM2NzI";
    let rfc9207 = format!(
        "code=x1848ZT64p4IirMPT0R-X3141MFPTuBX-VFL_cvaplMH58&state={state}&iss=https%3A%2F%2Fhonest.as.example"
    );
    assert_eq!(
        fapi_core::authorize::check_response(&rfc9207, honest, state),
        Ok("x1848ZT64p4IirMPT0R-X3141MFPTuBX-VFL_cvaplMH58")
    );
    c.add(
        "authorization_response",
        format!("{rfc9207}\n{honest}\n{state}"),
    );
    c.add(
        "authorization_response",
        format!("{rfc9207}\nhttps://attacker.example\n{state}"),
    );
    c.add(
        "authorization_response",
        format!("code=SplxlOBeZQQYbYS6WxSbIA&state=xyz&iss={ISSUER}"),
    );
    c.add(
        "authorization_response",
        "code=SplxlOBeZQQYbYS6WxSbIA&state=xyz",
    );
    c.add(
        "authorization_response",
        format!("code=a&code=b&state=xyz&iss={ISSUER}"),
    );
    c.add(
        "authorization_response",
        format!("error=access_denied&state=xyz&iss={ISSUER}"),
    );
    c.add(
        "authorization_response",
        format!("code=a&state=x+y%7E&iss={ISSUER}\n{ISSUER}\nx y~"),
    );
    c.add(
        "authorization_response",
        format!("code=a&state=%zz&iss={ISSUER}\n{ISSUER}\n%zz"),
    );
    c.add(
        "authorization_response",
        format!("&&code=a%20&state=xyz&iss={ISSUER}&iss"),
    );

    // --- redirect_uri: RFC 6749's example client, and what F2-TLS-RESP and
    // RFC 6749 §3.1.2 refuse.
    for uri in [
        "https://client.example.com/cb",
        "https://client.example.com:8443/cb?x=1&y=%20",
        "HTTPS://[2001:db8::1]:443/cb",
        "http://client.example.com/cb",
        "com.example.app:/oauth2redirect",
        "https://client.example.com/cb#frag",
        "https://user@client.example.com/cb",
        "https://:443/cb",
        "https:///cb",
        "https://client.example.com/a b",
        "https://client.example.com\\.evil.example/",
        "https://client.example.com/%zz",
        "https://client.example.com/{x}",
    ] {
        c.add("redirect_uri", uri);
    }
    c.add(
        "redirect_uri",
        format!("https://client.example.com/{}", "a".repeat(300)),
    );
}

/// Seeds of the JWE target: the RFC 7516 A.1 and RFC 7520 §5.2 protected
/// headers and plaintexts encrypted to the fixed RSA-OAEP test key (and the
/// RFCs' own JWEs, which are to other keys), every `alg` × `enc` with
/// `fapi_core::jwe::encrypt`, a nested JWT, and malformed variants: wrong
/// part counts, refused headers (RSA1_5, dir, zip, crit, duplicates, other
/// `kid`s), bad lengths, flipped tags and non-canonical base64url. Each
/// good one is checked to decrypt on the way; the refused ones to be
/// refused with their own error.
fn jwe_seeds(c: &mut Corpus) {
    use fapi_core::jwe::{self, ContentEnc, EncryptParams, KeyAlg};
    use fapi_fuzz::{CounterRandom, JWE_KEY, JWE_RECIPIENT, KID_ENC, jwe_with_header};

    const TARGET: &str = "jwe_decrypt";
    let vectors: Value = serde_json::from_str(include_str!(
        "../../crates/fapi-conformance/tests/data/jwe_vectors.json"
    ))
    .expect("JWE vectors");
    let rng = CounterRandom::default();
    let decrypt = |compact: &str, policy: &jwe::Policy<'_>| {
        let mut buf = vec![0u8; jwe::decrypt_buf_len(compact.len())];
        jwe::decrypt(compact.as_bytes(), policy, &*JWE_KEY, &rng, &mut buf)
            .map(|d| d.plaintext.to_vec())
    };
    // The selector of a ready-made JWE under policy `p` (see the target:
    // 0 all, 1 narrow, 2.. the profiles, 8.. the same requiring a nested
    // JWT).
    let ready = |p: u8| p << 4;
    // The selector that makes the target encrypt with `alg` and `enc`.
    let sealing = |alg: KeyAlg, enc: ContentEnc, p: u8| {
        let a = KeyAlg::ALL.iter().position(|x| *x == alg).expect("alg") as u8;
        let e = ContentEnc::ALL.iter().position(|x| *x == enc).expect("enc") as u8;
        1 | a << 1 | e << 2 | p << 4
    };
    let ofb = 2 + Profile::ALL
        .iter()
        .position(|p| *p == Profile::OFB)
        .expect("OFB") as u8;
    let cdr = 2 + Profile::ALL
        .iter()
        .position(|p| *p == Profile::CDR)
        .expect("CDR") as u8;
    let mut good = Vec::new();

    // RFC 7516 A.1 and RFC 7520 §5.2: the RFCs' own JWEs (to keys the target
    // does not hold: the unwrap fails and the random CEK takes over), and
    // their headers and plaintexts encrypted to the test key.
    for name in ["rfc7516_a1", "rfc7520_5_2"] {
        let v = &vectors[name];
        let compact = v["compact"].as_str().expect("compact");
        let plaintext = v["plaintext"].as_str().expect("plaintext").as_bytes();
        for p in [0, ofb, cdr] {
            c.add(TARGET, with_sel(ready(p), compact.as_bytes()));
        }
        assert!(decrypt(compact, &jwe::Policy::ALL).is_err());
        let header = decode(compact.split('.').next().expect("header"));
        let text = std::str::from_utf8(&header).expect("header text");
        let own_kid = text.replace("samwise.gamgee@hobbiton.example", KID_ENC);
        for h in [text, own_kid.as_str()] {
            let made = jwe_with_header(
                h.as_bytes(),
                KeyAlg::RsaOaep,
                ContentEnc::A256Gcm,
                plaintext,
                &rng,
            )
            .expect("encrypt");
            let mut body = h.as_bytes().to_vec();
            body.push(b'\n');
            body.extend_from_slice(plaintext);
            for p in [0, ofb, cdr] {
                c.add(TARGET, with_sel(ready(p), &made));
                c.add(
                    TARGET,
                    with_sel(sealing(KeyAlg::RsaOaep, ContentEnc::A256Gcm, p), &body),
                );
            }
            // RFC 7520's kid is not the test key's.
            good.push((made, !h.contains("samwise"), plaintext.to_vec()));
        }
        c.add("json_check", &header);
    }
    for (made, decrypts, plaintext) in &good {
        let got = decrypt(made, &jwe::Policy::from_profile(&Profile::OFB));
        if *decrypts {
            assert_eq!(
                got.as_ref().ok(),
                Some(plaintext),
                "RFC-shaped JWE decrypts"
            );
        } else {
            assert_eq!(got.err(), Some(Error::KeyNotFound));
        }
    }

    // Every alg × enc, plain and nested (a JWT signed with the RFC 7515 A.3
    // key: FAPI 2.0's encrypted request objects and ID tokens).
    let claims = format!(
        r#"{{"iss":"{}","aud":"{}","exp":{},"nonce":"n-0S6_WzA2Mj","sub":"user-42"}}"#,
        fapi_fuzz::CLIENT_ID,
        fapi_fuzz::ISSUER,
        fapi_fuzz::NOW + 300
    );
    let jwt = fapi_fuzz::sign_with(
        0,
        &fapi_core::jws::HeaderParams::default().with_kid(fapi_fuzz::KID_ES256),
        claims.as_bytes(),
    )
    .expect("sign");
    let mut encrypted = Vec::new();
    for alg in KeyAlg::ALL {
        for enc in ContentEnc::ALL {
            for (params, plaintext, p) in [
                (
                    EncryptParams::new(alg, enc),
                    &b"Live long and prosper."[..],
                    0u8,
                ),
                (EncryptParams::new(alg, enc), b"", 1),
                (EncryptParams::new(alg, enc).nested_jwt(), &jwt[..], 8),
                (EncryptParams::new(alg, enc).nested_jwt(), &jwt[..], 8 + cdr),
            ] {
                let mut out = vec![0u8; jwe::encrypt_buf_len(plaintext.len(), 256)];
                let n = jwe::encrypt(&params, plaintext, &*JWE_RECIPIENT, &rng, &mut out)
                    .expect("encrypt");
                let compact = String::from_utf8(out[..n].to_vec()).expect("ASCII");
                assert_eq!(
                    decrypt(&compact, &jwe::Policy::ALL).expect("decrypts"),
                    plaintext,
                    "{} {} decrypts",
                    alg.name(),
                    enc.name()
                );
                c.add(TARGET, with_sel(ready(p), &compact));
                encrypted.push(compact);
            }
            let mut body =
                format!(r#"{{"alg":"{}","enc":"{}"}}"#, alg.name(), enc.name()).into_bytes();
            body.extend_from_slice(b"\nLive long and prosper.");
            c.add(TARGET, with_sel(sealing(alg, enc, 0), &body));
        }
    }

    // Malformed variants of a good one: RSA-OAEP-256 (alg 1) +
    // A128CBC-HS256 (enc 2), the first of its four.
    let base = &encrypted[(4 + 2) * 4];
    let parts: Vec<&str> = base.split('.').collect();
    assert_eq!(parts.len(), 5);
    let join = |p: &[&str]| p.join(".");
    let flip = |s: &str, at: usize| {
        let mut b = s.as_bytes().to_vec();
        let i = at.min(b.len() - 1);
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        String::from_utf8(b).expect("ASCII")
    };
    let tag_flipped = flip(parts[4], 3);
    let ct_flipped = flip(parts[3], 0);
    let ek_flipped = flip(parts[1], 10);
    let iv_short = &parts[2][..parts[2].len() - 2];
    // A 16-byte tag's last character carries 2 bits: `B` sets a trailing
    // bit (non-canonical base64url).
    let tag_trailing = format!("{}B", &parts[4][..parts[4].len() - 1]);
    let variants = [
        (join(&parts[..4]), Error::Malformed),
        (format!("{base}."), Error::Malformed),
        (
            join(&[parts[0], parts[1], parts[2], parts[3], &tag_flipped]),
            Error::DecryptionFailed,
        ),
        (
            join(&[parts[0], parts[1], parts[2], &ct_flipped, parts[4]]),
            Error::DecryptionFailed,
        ),
        (
            join(&[parts[0], &ek_flipped, parts[2], parts[3], parts[4]]),
            Error::DecryptionFailed,
        ),
        (
            join(&[parts[0], parts[1], iv_short, parts[3], parts[4]]),
            Error::JweLength,
        ),
        (
            join(&[parts[0], &parts[1][..40], parts[2], parts[3], parts[4]]),
            Error::JweLength,
        ),
        (
            join(&[parts[0], "", parts[2], parts[3], parts[4]]),
            Error::JweLength,
        ),
        (
            join(&[parts[0], parts[1], parts[2], "", parts[4]]),
            Error::DecryptionFailed,
        ),
        (
            join(&[parts[0], parts[1], parts[2], parts[3], &tag_trailing]),
            Error::DecryptionFailed,
        ),
        (
            join(&[parts[0], parts[1], parts[2], parts[3], "!!"]),
            Error::Base64,
        ),
    ];
    for (compact, want) in &variants {
        let got = decrypt(compact, &jwe::Policy::ALL);
        assert!(got.is_err(), "malformed JWE decrypted");
        if *want != Error::DecryptionFailed {
            assert_eq!(got.err(), Some(*want), "{compact}");
        }
        c.add(TARGET, with_sel(ready(0), compact));
    }
    // Headers the checks refuse, each on the good JWE's other parts and
    // encrypted for real by the target.
    let rest = join(&parts[1..]);
    for (header, want) in [
        (
            r#"{"alg":"RSA1_5","enc":"A128CBC-HS256"}"#,
            Error::UnsupportedAlg,
        ),
        (
            r#"{"alg":"dir","enc":"A128CBC-HS256"}"#,
            Error::UnsupportedAlg,
        ),
        (
            r#"{"alg":"RSA-OAEP-384","enc":"A128CBC-HS256"}"#,
            Error::UnsupportedAlg,
        ),
        (r#"{"enc":"A128CBC-HS256"}"#, Error::UnsupportedAlg),
        (
            r#"{"alg":"RSA-OAEP-256","enc":"A192GCM"}"#,
            Error::UnsupportedEnc,
        ),
        (r#"{"alg":"RSA-OAEP-256"}"#, Error::UnsupportedEnc),
        (
            r#"{"alg":"RSA-OAEP-256","enc":"A128CBC-HS256","zip":"DEF"}"#,
            Error::Compressed,
        ),
        (
            r#"{"alg":"RSA-OAEP-256","enc":"A128CBC-HS256","crit":["exp"],"exp":1}"#,
            Error::UnsupportedCrit,
        ),
        (
            r#"{"alg":"RSA-OAEP-256","enc":"A128CBC-HS256","alg":"RSA-OAEP"}"#,
            Error::DuplicateMember,
        ),
        (
            r#"{"alg":"RSA-OAEP-256","enc":"A128CBC-HS256","kid":"other"}"#,
            Error::KeyNotFound,
        ),
        (
            r#"{"alg":"RSA-OAEP-256","enc":"A128CBC-HS256","kid":"enc-1","cty":"JWT"}"#,
            Error::DecryptionFailed,
        ),
        (
            r#"{"alg":"RSA\u002dOAEP-256","enc":"A128CBC-HS256"}"#,
            Error::DecryptionFailed,
        ),
        (
            r#"{"alg":"RSA-OAEP-256","enc":"A128CBC-HS256"} "#,
            Error::DecryptionFailed,
        ),
        (r#"["RSA-OAEP-256"]"#, Error::Json),
        ("", Error::Json),
    ] {
        let compact = format!("{}.{rest}", b64url(header.as_bytes()));
        let got = decrypt(&compact, &jwe::Policy::ALL);
        if want != Error::Json {
            assert_eq!(got.err(), Some(want), "{header}");
        } else {
            assert!(got.is_err());
        }
        c.add(TARGET, with_sel(ready(0), &compact));
        let mut body = header.as_bytes().to_vec();
        body.extend_from_slice(b"\nLive long and prosper.");
        for p in [0, 1, ofb, cdr, 8] {
            c.add(
                TARGET,
                with_sel(
                    sealing(KeyAlg::RsaOaep256, ContentEnc::A128CbcHs256, p),
                    &body,
                ),
            );
        }
        // Sealed under another alg or enc than the header says: the random
        // CEK path.
        c.add(
            TARGET,
            with_sel(sealing(KeyAlg::RsaOaep, ContentEnc::A128CbcHs256, 0), &body),
        );
        c.add(
            TARGET,
            with_sel(
                sealing(KeyAlg::RsaOaep256, ContentEnc::A256CbcHs512, 0),
                &body,
            ),
        );
        c.add("json_check", header);
    }
    // A plain JWE where a nested JWT is required, and the OFB policy
    // (RSA-OAEP + A256GCM only) seeing the others.
    c.add(TARGET, with_sel(ready(8), base));
    c.add(TARGET, with_sel(ready(ofb), base));
    assert_eq!(
        decrypt(base, &jwe::Policy::ALL.nested_jwt()).err(),
        Some(Error::NotNestedJwt)
    );
    assert_eq!(
        decrypt(base, &jwe::Policy::from_profile(&Profile::OFB)).err(),
        Some(Error::AlgNotAllowed)
    );
}

/// HTTP message signature seeds (RFC 9421 Appendix B.2, §2.1.2, §2.2.8,
/// §2.4, §4.3; RFC 9530 §2 and Appendix B), and the request signed for
/// FAPI 2.0 HTTP Signatures (`fapi_fuzz::http_msg`). Each RFC field is
/// checked on the way: it parses, and a digest verifies against its body.
fn http_sig_seeds(c: &mut Corpus) {
    const INPUTS: &[&str] = &[
        r#"sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#,
        r#"sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example""#,
        r#"sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss""#,
        r#"sig-b24=("@status" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-ecc-p256""#,
        r#"sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret""#,
        r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#,
        r#"sig1=("@method" "@authority" "@path" "content-digest" "content-type" "content-length");created=1618884475;keyid="test-key-ecc-p256", proxy_sig=("@method" "@authority" "@path" "content-digest" "content-type" "content-length" "forwarded");created=1618884480;keyid="test-key-rsa";alg="rsa-v1_5-sha256";expires=1618884540"#,
        r#"reqres=("@status" "content-digest" "content-type" "@authority";req "@method";req "@path";req "content-digest";req);created=1618884479;keyid="test-key-ecc-p256""#,
        r#"ttrp=("@path" "@query" "@method" "@authority" "client-cert");created=1618884473;keyid="test-key-ecc-p256""#,
        r#"sig1=("example-dict";key="a" "example-dict";key="b" "example-dict";key="c");created=1618884473;alg="ed25519""#,
        r#"sig1=("@query-param";name="param" "@query-param";name="bar" "@query-param";name="fa%C3%A7ade%22%3A%20");created=1618884473"#,
        r#"sig1=("@method" "@target-uri" "@request-target" "@scheme" "@query" "@target-uri";req);expires=1;nonce="n";tag="fapi-2-request""#,
    ];
    const SIGNATURES: &[&str] = &[
        "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:",
        "sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw==:",
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:",
        "sig1=:AAAA:, sig2=:wqcAqbmY:",
    ];
    const DIGESTS: &[(&str, &[u8])] = &[
        // RFC 9421 B.2 / RFC 9530 Appendix B: `{"hello": "world"}`.
        (
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            br#"{"hello": "world"}"#,
        ),
        (
            fapi_fuzz::http_msg::REQUEST_DIGEST,
            br#"{"hello": "world"}"#,
        ),
        (
            "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:",
            br#"{"message": "good dog"}"#,
        ),
        // Several algorithms, one unknown (RFC 9530 §2), and an empty body.
        (
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, unixsum=:AAAA:;x=1",
            br#"{"hello": "world"}"#,
        ),
        (
            "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:",
            b"",
        ),
    ];
    for input in INPUTS {
        fapi_core::sfv::Dictionary::parse(input).expect("an RFC 9421 Signature-Input parses");
        c.add("sfv_signature_input", input);
    }
    for sig in SIGNATURES {
        fapi_core::sfv::Dictionary::parse(sig).expect("an RFC 9421 Signature parses");
        c.add("sfv_signature", sig);
    }
    let (input, sig) = &*fapi_fuzz::http_msg::SIGNED;
    c.add("sfv_signature_input", input);
    c.add("sfv_signature", sig);
    for (field, body) in DIGESTS {
        assert_eq!(
            fapi_core::content_digest::verify(field, body),
            Ok(()),
            "RFC 9530 example {field}"
        );
        let mut seed = field.as_bytes().to_vec();
        seed.push(b'\n');
        seed.extend_from_slice(body);
        c.add("content_digest", seed);
    }
    // Refused shapes: a Want-Content-Digest (RFC 9530 §4) in its place, and
    // an unpadded byte sequence (RFC 8941 §4.2.7 leniency fapi refuses).
    c.add("content_digest", "sha-256=10, sha-512=3\n");
    c.add(
        "content_digest",
        "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU:\n",
    );
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn main() {
    check_rfc_examples();
    let mut corpus = Corpus::default();
    rfc_and_signed_seeds(&mut corpus);
    protocol_seeds(&mut corpus);
    jwe_seeds(&mut corpus);
    http_sig_seeds(&mut corpus);
    if let Some(dir) = wycheproof_dir() {
        wycheproof_seeds(&mut corpus, &dir);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    corpus.write(&root);
}
