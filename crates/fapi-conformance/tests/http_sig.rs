//! `rsa-pss-sha512` of HTTP message signatures (RFC 9421 §3.3.1: SHA-512,
//! MGF1-SHA-512, a 64-byte salt) through the backends'
//! `PublicKeyVerifier::verify_rsa_pss_sha512`: the RSA-PSS examples of
//! RFC 9421 Appendix B.2.1–B.2.3 over their exact signature bases (which
//! `fapi-core`'s tests check), and the Wycheproof RSA-PSS SHA-512 file.
//!
//! Both backends implement it (RustCrypto: `rsa`'s PSS verifier with the
//! salt length fixed at 64; aws-lc: `RSA_PSS_2048_8192_SHA512` with the
//! salt length fixed at 64). Wycheproof verdicts: `valid` verifies,
//! `invalid` is `BadSignature`, `acceptable` would be rejected (the file
//! has none today; the count is asserted so a new file is noticed).
//!
//! Signing goes through `Signer::sign_rsa_pss_sha512` of each RSA key
//! (RustCrypto, aws-lc, the `fapi` crate's `SigningKey`): each signature
//! verifies with every backend, its salt is 64 bytes (an independent
//! aws-lc verifier fixed at salt 64 accepts it, one fixed at 32 refuses
//! it), and signatures made with another salt length (0, 32, the maximum)
//! are refused by every backend. Then `http_sig::sign_request` with an RSA
//! key writes `alg="rsa-pss-sha512"` and the request verifies through
//! `http_sig::verify_request` with each backend (BG-SIGNED-REQ).
//!
//! Vectors are read at test time from `$FAPI_WYCHEPROOF_DIR`; see
//! `fapi_conformance::wycheproof_dir`.

use fapi_conformance::{backends, hex, wycheproof_dir};
use fapi_core::jwk::RsaPublicKey;
use fapi_core::{Error, b64};
use serde_json::Value;

/// RFC 9421 Appendix B.1.2 `test-key-rsa-pss`, the modulus.
const TEST_KEY_RSA_PSS_N: &str = "af8b669b7af6d1677f3dbaaf3f5b36f9012dbe9b91695f18ab8d208d447ccb6463c5ae9da46d865c76cf7ef32cf1cb7e2e1d461f8e71dbc470dd1cb9de69bea005e3c90f3a3a70e467937c9586e0803e0edf0e8cea902f2e4864f79027753ae27db2053cd53c3cf30eececab1401ea803b339e33c59933ad08470dd99d45a5681c870b982cf2fe5a892a96d775d67aaace2f9b27d72f48a00361d50000de5652dcdda62cba2db4e04b13fba1c894e139f483923a683649ec0f0bce8d0a4b2658a00e3ce66a9c3b419501d570f65ab868e4fdbfa77e9dbe1b9cd91056494b4377d502f266fb17433a9f4b08d08de3c576a670ce90557af94f67579a3273a5c8db";

const REQUEST_DIGEST: &str = "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:";

fn std_b64(s: &str) -> Vec<u8> {
    let url: String = s
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let mut out = vec![0u8; 1024];
    b64::decode(url.as_bytes(), &mut out).unwrap().to_vec()
}

fn b2_cases() -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "B.2.1",
            r#""@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#.to_owned(),
            "d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==",
        ),
        (
            "B.2.2",
            format!("\"@authority\": example.com\n\"content-digest\": {REQUEST_DIGEST}\n\"@query-param\";name=\"Pet\": dog\n\"@signature-params\": (\"@authority\" \"content-digest\" \"@query-param\";name=\"Pet\");created=1618884473;keyid=\"test-key-rsa-pss\";tag=\"header-example\""),
            "LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==",
        ),
        (
            "B.2.3",
            format!("\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\"@query\": ?param=Value&Pet=dog\n\"@authority\": example.com\n\"content-type\": application/json\n\"content-digest\": {REQUEST_DIGEST}\n\"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@query\" \"@authority\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-rsa-pss\""),
            "bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==",
        ),
    ]
}

#[test]
fn rfc9421_b_2_1_to_b_2_3_rsa_pss_sha512_verify() {
    let key = RsaPublicKey::new(&hex(TEST_KEY_RSA_PSS_N), &[1, 0, 1]).unwrap();
    for (name, backend) in backends() {
        for (example, base, sig) in b2_cases() {
            let sig = std_b64(sig);
            let result = backend.verify_rsa_pss_sha512(&key, base.as_bytes(), &sig);
            assert_eq!(result, Ok(()), "{example} via {name}");
            let mut tampered = base.clone().into_bytes();
            tampered[1] ^= 0x20;
            assert_eq!(
                backend.verify_rsa_pss_sha512(&key, &tampered, &sig),
                Err(Error::BadSignature),
                "{example} via {name}, base altered"
            );
        }
    }
}

#[test]
fn wycheproof_rsa_pss_4096_sha512_salt64() {
    let name = "rsa_pss_4096_sha512_mgf1_64_test.json";
    let Some(dir) = wycheproof_dir() else { return };
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    for (backend_name, backend) in backends() {
        let (mut total, mut verified, mut acceptable) = (0usize, 0usize, 0usize);
        for group in doc["testGroups"].as_array().unwrap() {
            assert_eq!(group["sha"], "SHA-512");
            assert_eq!(group["mgfSha"], "SHA-512");
            assert_eq!(group["sLen"], 64);
            let pk = &group["publicKey"];
            let strip = |b: Vec<u8>| {
                let i = b.iter().position(|x| *x != 0).unwrap_or(b.len());
                b[i..].to_vec()
            };
            let key = RsaPublicKey::new(
                &strip(hex(pk["modulus"].as_str().unwrap())),
                &strip(hex(pk["publicExponent"].as_str().unwrap())),
            )
            .unwrap();
            for case in group["tests"].as_array().unwrap() {
                total += 1;
                let msg = hex(case["msg"].as_str().unwrap());
                let sig = hex(case["sig"].as_str().unwrap());
                let result = backend.verify_rsa_pss_sha512(&key, &msg, &sig);
                let label = case["result"].as_str().unwrap();
                // `acceptable` is rejected: fapi takes the strict side.
                acceptable += usize::from(label == "acceptable");
                assert_eq!(
                    result.is_ok(),
                    label == "valid",
                    "{name} #{} via {backend_name}: {label} ({})",
                    case["tcId"],
                    case["comment"]
                );
                if let Err(e) = result {
                    assert_eq!(e, Error::BadSignature);
                }
                verified += usize::from(result.is_ok());
            }
        }
        assert_eq!(
            total,
            usize::try_from(doc["numberOfTests"].as_u64().unwrap()).unwrap()
        );
        // The file has no `acceptable` case; a new version that adds some
        // must be looked at.
        assert_eq!(acceptable, 0, "{name}: acceptable cases appeared");
        println!("wycheproof {name} [{backend_name}]: {total} cases, {verified} verified");
    }
}

// --- signing rsa-pss-sha512 through the key seam ----------------------------

use aws_lc_rs::rand::SystemRandom as AwsRandom;
use aws_lc_rs::signature::{
    RSA_PSS_2048_8192_SHA512, RSA_PSS_SHA512, RsaKeyPair, RsaParameters, RsaPssSaltLength,
    RsaPublicKeyComponents, RsaSignatureEncoding,
};
use fapi_core::crypto::MAX_SIGNATURE_LEN;
use fapi_core::http_sig::{self, FieldList, Message, Policy, SignatureAlgorithm, SignatureBuffers};
use fapi_core::jwk::{Jwks, PublicJwk, write_jwks};
use fapi_core::{FixedClock, PublicKey, Signer};

/// OpenSSL's 2048-bit test key (`testdata/keys/README.md`).
const RSA2048_PK8: &[u8] = include_bytes!("../testdata/keys/rsa2048.pk8.der");

fn rsa_signers() -> Vec<(&'static str, Box<dyn Signer>)> {
    let rng = fapi_awslc::SystemRandom::new();
    vec![
        (
            "rustcrypto",
            Box::new(fapi_rustcrypto::Ps256SigningKey::from_pkcs8_der(RSA2048_PK8, rng).unwrap()),
        ),
        (
            "awslc",
            Box::new(fapi_awslc::Ps256SigningKey::from_pkcs8_der(RSA2048_PK8).unwrap()),
        ),
        (
            "fapi::SigningKey",
            Box::new(fapi::SigningKey::from_pkcs8_der(RSA2048_PK8).unwrap()),
        ),
    ]
}

fn rsa_key(signer: &dyn Signer) -> RsaPublicKey {
    match signer.public_key().unwrap() {
        PublicKey::Rsa(k) => k,
        other => panic!("not RSA: {other:?}"),
    }
}

/// aws-lc-rs directly (not through fapi), PSS-SHA512 with a fixed salt.
fn aws_verify_salt(
    key: &RsaPublicKey,
    params: &'static RsaParameters,
    msg: &[u8],
    sig: &[u8],
) -> bool {
    RsaPublicKeyComponents {
        n: key.n(),
        e: key.e(),
    }
    .verify(params, msg, sig)
    .is_ok()
}

static SALT_64: RsaParameters =
    RSA_PSS_2048_8192_SHA512.with_pss_salt_length(RsaPssSaltLength::Custom(64));
static SALT_32: RsaParameters =
    RSA_PSS_2048_8192_SHA512.with_pss_salt_length(RsaPssSaltLength::Custom(32));

#[test]
fn rfc9421_3_3_1_rsa_pss_sha512_signed_by_each_backend_verifies_with_every_backend() {
    let messages: [&[u8]; 3] = [b"", b"\"@method\": POST\n", &[0x5a; 1500]];
    for (signer_name, signer) in rsa_signers() {
        let key = rsa_key(signer.as_ref());
        for msg in messages {
            let mut sig = [0u8; MAX_SIGNATURE_LEN];
            let n = signer.sign_rsa_pss_sha512(msg, &mut sig).unwrap();
            assert_eq!(n, 256, "{signer_name}");
            let sig = &sig[..n];
            for (backend_name, backend) in backends() {
                assert_eq!(
                    backend.verify_rsa_pss_sha512(&key, msg, sig),
                    Ok(()),
                    "{signer_name} -> {backend_name}"
                );
                let mut other = msg.to_vec();
                other.push(0);
                assert_eq!(
                    backend.verify_rsa_pss_sha512(&key, &other, sig),
                    Err(Error::BadSignature),
                    "{signer_name} -> {backend_name}, message altered"
                );
            }
            // The salt is 64 bytes: an independent verifier fixed at 64
            // accepts it, one fixed at 32 does not.
            assert!(aws_verify_salt(&key, &SALT_64, msg, sig), "{signer_name}");
            assert!(!aws_verify_salt(&key, &SALT_32, msg, sig), "{signer_name}");
            // Not PS256 either: the JOSE verifier refuses it.
            for (backend_name, backend) in backends() {
                assert_eq!(
                    backend.verify_with(
                        &PublicKey::Rsa(key.clone()),
                        fapi_core::Alg::Ps256,
                        msg,
                        sig
                    ),
                    Err(Error::BadSignature),
                    "{signer_name} -> {backend_name} as PS256"
                );
            }
        }
        // Too small a buffer is the typed error.
        let mut short = [0u8; 255];
        assert_eq!(
            signer.sign_rsa_pss_sha512(b"m", &mut short),
            Err(Error::BufferTooSmall),
            "{signer_name}"
        );
    }
}

/// RFC 9421 §3.3.1 fixes the salt at 64 bytes: a PSS-SHA512 signature with
/// a salt of 0, 32 or the maximum length is refused by every backend. For
/// aws-lc this also shows what its default (`RsaPssSaltLength::Digest`)
/// does on verification: the salt must be exactly the hash length, it is
/// not recovered from the signature.
#[test]
fn rfc9421_3_3_1_rsa_pss_sha512_other_salt_lengths_refused() {
    static SALT_0: RsaSignatureEncoding =
        RSA_PSS_SHA512.with_pss_salt_length(RsaPssSaltLength::Custom(0));
    static SALT_32_SIGN: RsaSignatureEncoding =
        RSA_PSS_SHA512.with_pss_salt_length(RsaPssSaltLength::Custom(32));
    static SALT_MAX: RsaSignatureEncoding =
        RSA_PSS_SHA512.with_pss_salt_length(RsaPssSaltLength::Max);
    static SALT_64_SIGN: RsaSignatureEncoding =
        RSA_PSS_SHA512.with_pss_salt_length(RsaPssSaltLength::Custom(64));
    let pair = RsaKeyPair::from_pkcs8(RSA2048_PK8).unwrap();
    let key = rsa_key(&fapi_awslc::Ps256SigningKey::from_pkcs8_der(RSA2048_PK8).unwrap());
    let rng = AwsRandom::new();
    let msg = b"\"@method\": GET\n";
    let sign = |enc: &'static RsaSignatureEncoding| {
        let mut sig = vec![0u8; pair.public_modulus_len()];
        pair.sign(enc, &rng, msg, &mut sig).unwrap();
        sig
    };
    for (what, enc) in [
        ("salt 0", &SALT_0),
        ("salt 32", &SALT_32_SIGN),
        ("salt max (190)", &SALT_MAX),
    ] {
        let sig = sign(enc);
        for (backend_name, backend) in backends() {
            assert_eq!(
                backend.verify_rsa_pss_sha512(&key, msg, &sig),
                Err(Error::BadSignature),
                "{what} via {backend_name}"
            );
        }
        // aws-lc's default salt length on verification is the hash length,
        // exactly.
        assert!(
            !aws_verify_salt(&key, &RSA_PSS_2048_8192_SHA512, msg, &sig),
            "{what}"
        );
    }
    let sig = sign(&SALT_64_SIGN);
    assert!(aws_verify_salt(&key, &RSA_PSS_2048_8192_SHA512, msg, &sig));
    for (backend_name, backend) in backends() {
        assert_eq!(
            backend.verify_rsa_pss_sha512(&key, msg, &sig),
            Ok(()),
            "salt 64 via {backend_name}"
        );
    }
}

/// A key that is not RSA cannot sign rsa-pss-sha512: `UnsupportedAlg`.
#[test]
fn rfc9421_3_3_1_non_rsa_keys_do_not_sign_rsa_pss_sha512() {
    let rng = fapi_awslc::SystemRandom::new();
    let keys: Vec<Box<dyn Signer>> = vec![
        Box::new(fapi_rustcrypto::Es256SigningKey::generate(&rng).unwrap()),
        Box::new(fapi_rustcrypto::Ed25519SigningKey::generate(&rng).unwrap()),
        Box::new(fapi_awslc::Es256SigningKey::generate(&rng).unwrap()),
        Box::new(fapi_awslc::Ed25519SigningKey::generate(&rng).unwrap()),
    ];
    for k in keys {
        let mut sig = [0u8; MAX_SIGNATURE_LEN];
        assert_eq!(
            k.sign_rsa_pss_sha512(b"m", &mut sig),
            Err(Error::UnsupportedAlg),
            "{:?}",
            k.alg()
        );
    }
}

/// BG-SIGNED-REQ with an RSA key: `sign_request` signs `rsa-pss-sha512`
/// (the `alg` parameter says so) and `verify_request` accepts it through
/// each backend, against a JWKS whose RSA key names no JOSE `alg`; the
/// same request under a policy without rsa-pss-sha512 is refused.
#[test]
fn bg_signed_req_rfc9421_3_1_rsa_pss_sha512_request_signed_and_verified() {
    const NOW: u64 = 1_700_000_000;
    const URI: &str = "https://rs.example/payments?x=1";
    let body = br#"{"amount":"10.00"}"#;
    let mut digest = [0u8; 98];
    let n = fapi_core::content_digest::write(
        fapi_core::content_digest::DigestAlgorithm::Sha256,
        body,
        &mut digest,
    )
    .unwrap();
    let digest = core::str::from_utf8(&digest[..n]).unwrap().to_owned();
    for (signer_name, signer) in rsa_signers() {
        let fields = [
            ("Authorization", "DPoP at"),
            ("Content-Digest", digest.as_str()),
        ];
        let list = FieldList(&fields);
        let msg = Message::request("POST", URI, &list);
        let (mut a, mut b, mut c) = ([0u8; 1024], [0u8; 1024], [0u8; 4096]);
        let out = http_sig::sign_request(
            signer.as_ref(),
            "sig1",
            &msg,
            body,
            &FixedClock(NOW),
            SignatureBuffers {
                signature_input: &mut a,
                signature: &mut b,
                scratch: &mut c,
            },
        )
        .unwrap();
        let input = core::str::from_utf8(&a[..out.signature_input_len]).unwrap();
        let signature = core::str::from_utf8(&b[..out.signature_len]).unwrap();
        assert!(input.contains(r#";alg="rsa-pss-sha512";"#), "{input}");

        let mut jwk = PublicJwk::new(signer.public_key().unwrap(), Some(signer.key_id()));
        jwk.alg = None;
        let mut json = [0u8; 2048];
        let n = write_jwks(&[jwk], &mut json).unwrap();
        let jwks = Jwks::from_json(&json[..n]).unwrap();

        let signed = [
            ("Authorization", "DPoP at"),
            ("Content-Digest", digest.as_str()),
            ("Signature-Input", input),
            ("Signature", signature),
        ];
        let list = FieldList(&signed);
        let msg = Message::request("POST", URI, &list);
        for (backend_name, backend) in backends() {
            let mut scratch = [0u8; 4096];
            let v = http_sig::verify_request(
                &Policy::request(SignatureAlgorithm::ALL),
                &msg,
                body,
                &jwks,
                backend,
                &FixedClock(NOW + 5),
                &mut scratch,
            )
            .unwrap_or_else(|e| panic!("{signer_name} -> {backend_name}: {e:?}"));
            assert_eq!(v.alg, SignatureAlgorithm::RsaPssSha512);
            let mut scratch = [0u8; 4096];
            assert_eq!(
                http_sig::verify_request(
                    &Policy::request(&[SignatureAlgorithm::EcdsaP256Sha256]),
                    &msg,
                    body,
                    &jwks,
                    backend,
                    &FixedClock(NOW + 5),
                    &mut scratch,
                )
                .map(|_| ()),
                Err(Error::AlgNotAllowed),
                "{signer_name} -> {backend_name}"
            );
        }
    }
}
