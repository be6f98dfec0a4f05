//! `rsa-pss-sha512` of HTTP message signatures (RFC 9421 §3.3.1: SHA-512,
//! MGF1-SHA-512, a 64-byte salt) through the backends'
//! `PublicKeyVerifier::verify_rsa_pss_sha512`: the RSA-PSS examples of
//! RFC 9421 Appendix B.2.1–B.2.3 over their exact signature bases (which
//! `fapi-core`'s tests check), and the Wycheproof RSA-PSS SHA-512 file.
//!
//! The RustCrypto backend implements it; the aws-lc backend does not yet
//! (its `RSA_PSS_2048_8192_SHA512` would fit) and refuses with
//! `UnsupportedAlg`, which is asserted so that adding it is noticed.
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
            if name == "awslc" {
                assert_eq!(result, Err(Error::UnsupportedAlg), "{example} {name}");
                continue;
            }
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
        let (mut total, mut verified) = (0usize, 0usize);
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
                if backend_name == "awslc" {
                    assert_eq!(result, Err(Error::UnsupportedAlg));
                    continue;
                }
                let label = case["result"].as_str().unwrap();
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
        println!("wycheproof {name} [{backend_name}]: {total} cases, {verified} verified");
    }
}
