//! Writes the seed corpora of the fuzz targets into `fuzz/corpus/<target>/`:
//! the RFC examples (RFC 7515 A.3, RFC 8037 A.4, RFC 7638 §3.1, RFC 9449
//! §4.1), tokens signed here with the RFC example keys to reach every
//! header check, and the Wycheproof keys and signatures, read from
//! `$FAPI_WYCHEPROOF_DIR` (default `<repo>/../shared/vectors/wycheproof`).
//!
//! It also checks the RFC examples against fapi-core on the way: each one
//! must verify (or be refused) exactly as its RFC says.
//!
//! Run: `cargo run --release --example build_corpus` in `fuzz/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use fapi_core::jws::{self, Policy};
use fapi_core::{Alg, Error, PublicJwk};
use fapi_fuzz::{
    SoftVerifier, b64url, ed25519_key, es256_key, fixed_verifiers, rfc7515_a3, rfc7638, rfc8037,
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
        &SoftVerifier,
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

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn main() {
    check_rfc_examples();
    let mut corpus = Corpus::default();
    rfc_and_signed_seeds(&mut corpus);
    if let Some(dir) = wycheproof_dir() {
        wycheproof_seeds(&mut corpus, &dir);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    corpus.write(&root);
}
