//! JWE known answers, Wycheproof and cross-backend round trips.
//!
//! - RFC 7516 Appendix A.1 and RFC 7520 §5.2 decrypt to their plaintexts;
//!   RFC 7520 §5.1 (RSA1_5) is refused.
//! - Wycheproof RSA-OAEP files through both software backends
//!   (`fapi-rustcrypto`, `fapi-awslc`): every `valid` case with the empty
//!   label JWE uses decrypts to its `msg`; every `invalid` case is refused
//!   with `Error::DecryptionFailed`, and nothing else. In the misc file only
//!   the parameter sets a JWE `alg` names (SHA-1/MGF1-SHA-1, SHA-256/
//!   MGF1-SHA-256) decrypt.
//! - Wycheproof AES-GCM (96-bit IV, 128-bit tag, 128 and 256-bit keys) and
//!   the two CBC-HMAC files through the core's content layer.
//!
//! Vectors are read at test time from `$FAPI_WYCHEPROOF_DIR`; see
//! `fapi_conformance::wycheproof_dir`.

use fapi_conformance::{hex, wycheproof_dir};
use fapi_core::jwe::{self, ContentEnc, EncryptParams, KeyAlg, KeyDecrypter, KeyEncrypter, Policy};
use fapi_core::{Error, Random, b64};
use serde_json::Value;

struct Os;
impl Random for Os {
    fn fill(&self, d: &mut [u8]) -> Result<(), Error> {
        fapi_awslc::SystemRandom::new().fill(d)
    }
}

fn load(name: &str) -> Option<Value> {
    let path = wycheproof_dir()?.join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Some(serde_json::from_str(&text).expect("Wycheproof JSON"))
}

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/jwe_vectors.json")).unwrap()
}

fn b64d(v: &Value) -> Vec<u8> {
    let s = v.as_str().unwrap();
    let mut buf = vec![0u8; s.len()];
    let n = b64::decode_vartime(s.as_bytes(), &mut buf).unwrap().len();
    buf.truncate(n);
    buf
}

fn rustcrypto_key(jwk: &Value) -> fapi_rustcrypto::RsaOaepDecryptionKey<Os> {
    let m = |k: &str| b64d(&jwk[k]);
    fapi_rustcrypto::RsaOaepDecryptionKey::from_components(
        &m("n"),
        &m("e"),
        &m("d"),
        &m("p"),
        &m("q"),
        Os,
    )
    .unwrap()
}

fn decrypt_with(
    key: &dyn KeyDecrypter,
    compact: &str,
    policy: &Policy<'_>,
) -> Result<Vec<u8>, Error> {
    let mut buf = vec![0u8; jwe::decrypt_buf_len(compact.len())];
    jwe::decrypt(compact.as_bytes(), policy, key, &Os, &mut buf).map(|d| d.plaintext.to_vec())
}

/// RFC 7516 Appendix A.1: RSA-OAEP + A256GCM decrypts to the appendix's
/// plaintext.
#[test]
fn rfc7516_a1_decrypts() {
    let v = &vectors()["rfc7516_a1"];
    let key = rustcrypto_key(&v["jwk"]);
    let p = decrypt_with(&key, v["compact"].as_str().unwrap(), &Policy::ALL).unwrap();
    assert_eq!(p, v["plaintext"].as_str().unwrap().as_bytes());
    // OFB-ALG allows exactly this pair.
    let ofb = Policy::from_profile(&fapi_core::profile::Profile::OFB);
    assert!(decrypt_with(&key, v["compact"].as_str().unwrap(), &ofb).is_ok());
}

/// RFC 7520 §5.2 decrypts to the §5 plaintext (with its `kid`); §5.1's
/// RSA1_5 is refused before the key is used.
#[test]
fn rfc7520_5_2_decrypts_and_5_1_rsa1_5_is_refused() {
    let v = &vectors()["rfc7520_5_2"];
    let key = rustcrypto_key(&v["jwk"])
        .with_key_id("samwise.gamgee@hobbiton.example")
        .unwrap();
    let compact = v["compact"].as_str().unwrap();
    let p = decrypt_with(&key, compact, &Policy::ALL).unwrap();
    assert_eq!(p, v["plaintext"].as_str().unwrap().as_bytes());
    let parts: Vec<&str> = compact.split('.').collect();
    let rsa1_5 = format!(
        "{}.{}",
        v["rfc7520_5_1_rsa1_5_header"].as_str().unwrap(),
        parts[1..].join(".")
    );
    assert_eq!(
        decrypt_with(&key, &rsa1_5, &Policy::ALL),
        Err(Error::UnsupportedAlg)
    );
}

/// RFC 7516 §5.1/§5.2 across backends: aws-lc encrypts, RustCrypto
/// decrypts, and back, for every alg × enc.
#[test]
fn rfc7516_round_trip_across_backends() {
    let rc = fapi_rustcrypto::RsaOaepDecryptionKey::generate(2048, Os).unwrap();
    let aws = fapi_awslc::RsaOaepDecryptionKey::generate(2048).unwrap();
    let to_rc = fapi_awslc::RsaOaepEncryptionKey::new(rc.public_key(), rc.key_id()).unwrap();
    let to_aws =
        fapi_rustcrypto::RsaOaepEncryptionKey::new(aws.public_key(), aws.key_id()).unwrap();
    let pairs: [(&dyn KeyEncrypter, &dyn KeyDecrypter); 4] = [
        (&to_rc, &rc),
        (&to_aws, &aws),
        (&rc.encryption_key().unwrap(), &rc),
        (&aws.encryption_key().unwrap(), &aws),
    ];
    for (enc_key, dec_key) in pairs {
        for alg in KeyAlg::ALL {
            for enc in ContentEnc::ALL {
                let pt = b"{\"iss\":\"https://bank.example\"}";
                let mut out = vec![0u8; jwe::encrypt_buf_len(pt.len(), enc_key.modulus_len())];
                let n = jwe::encrypt(
                    &EncryptParams::new(alg, enc).nested_jwt(),
                    pt,
                    &enc_key,
                    &Os,
                    &mut out,
                )
                .unwrap();
                let compact = core::str::from_utf8(&out[..n]).unwrap();
                let got = decrypt_with(dec_key, compact, &Policy::ALL.nested_jwt()).unwrap();
                assert_eq!(got, pt, "{alg:?} {enc:?}");
            }
        }
    }
}

#[derive(Default, Debug)]
struct Counts {
    valid: usize,
    invalid: usize,
    decrypted: usize,
    refused: usize,
    skipped_label: usize,
    skipped_key: usize,
}

fn jwe_alg(sha: &str, mgf: &str) -> Option<KeyAlg> {
    match (sha, mgf) {
        ("SHA-1", "SHA-1") => Some(KeyAlg::RsaOaep),
        ("SHA-256", "SHA-256") => Some(KeyAlg::RsaOaep256),
        _ => None,
    }
}

fn unwrap(key: &dyn KeyDecrypter, alg: KeyAlg, ct: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = [0u8; 1024];
    key.unwrap_key(alg, ct, &mut out).map(|n| out[..n].to_vec())
}

fn oaep_file(name: &str) {
    let Some(file) = load(name) else { return };
    let mut c = Counts::default();
    for g in file["testGroups"].as_array().unwrap() {
        let der = hex(g["privateKeyPkcs8"].as_str().unwrap());
        let named = jwe_alg(g["sha"].as_str().unwrap(), g["mgfSha"].as_str().unwrap());
        let rc = fapi_rustcrypto::RsaOaepDecryptionKey::from_pkcs8_der(&der, Os);
        let aws = fapi_awslc::RsaOaepDecryptionKey::from_pkcs8_der(&der);
        let (rc, aws) = match (rc, aws) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(a), Err(b)) => {
                // Keys under 2048 bits (F2-ALG) are refused by both.
                assert_eq!(
                    (a.error(), b.error()),
                    (Error::WeakKey, Error::WeakKey),
                    "{name}"
                );
                c.skipped_key += g["tests"].as_array().unwrap().len();
                continue;
            }
            _ => panic!("{name}: the backends disagree on a key"),
        };
        let backends: [&dyn KeyDecrypter; 2] = [&rc, &aws];
        for t in g["tests"].as_array().unwrap() {
            let id = &t["tcId"];
            let ct = hex(t["ct"].as_str().unwrap());
            let msg = hex(t["msg"].as_str().unwrap());
            let valid = t["result"] == "valid";
            if valid {
                c.valid += 1;
            } else {
                c.invalid += 1;
            }
            // JWE uses the empty label (RFC 7518 §4.3).
            let labelled = !t["label"].as_str().unwrap().is_empty();
            for key in backends {
                for alg in KeyAlg::ALL {
                    let got = unwrap(key, alg, &ct);
                    if valid && !labelled && Some(alg) == named {
                        assert_eq!(got.as_deref(), Ok(&msg[..]), "{name} tc {id} {alg:?}");
                        c.decrypted += 1;
                    } else {
                        assert_eq!(got, Err(Error::DecryptionFailed), "{name} tc {id} {alg:?}");
                        c.refused += 1;
                    }
                }
            }
            if valid && labelled {
                c.skipped_label += 1;
            }
        }
    }
    eprintln!("{name}: {c:?}");
    assert!(
        c.decrypted > 0 || name.contains("misc"),
        "{name}: nothing decrypted"
    );
}

/// Wycheproof RSA-OAEP SHA-1 → JWE `RSA-OAEP`.
#[test]
fn wycheproof_rsa_oaep_2048_sha1() {
    oaep_file("rsa_oaep_2048_sha1_mgf1sha1_test.json");
}

/// Wycheproof RSA-OAEP SHA-256 → JWE `RSA-OAEP-256`.
#[test]
fn wycheproof_rsa_oaep_256_2048_and_3072() {
    oaep_file("rsa_oaep_2048_sha256_mgf1sha256_test.json");
    oaep_file("rsa_oaep_3072_sha256_mgf1sha256_test.json");
}

/// Wycheproof mixed OAEP parameters: only the two JWE names decrypt.
#[test]
fn wycheproof_rsa_oaep_misc_only_jwe_parameters_decrypt() {
    oaep_file("rsa_oaep_misc_test.json");
}

fn aead_file(name: &str, pick: impl Fn(&Value) -> Option<ContentEnc>) {
    let Some(file) = load(name) else { return };
    let (mut ok, mut refused) = (0, 0);
    for g in file["testGroups"].as_array().unwrap() {
        let Some(enc) = pick(g) else { continue };
        for t in g["tests"].as_array().unwrap() {
            let id = &t["tcId"];
            let h = |k: &str| hex(t[k].as_str().unwrap());
            let (key, iv, aad, msg, tag) = (h("key"), h("iv"), h("aad"), h("msg"), h("tag"));
            let mut buf = h("ct");
            let got = jwe::open(enc, &key, &iv, &aad, &mut buf, &tag).map(|n| buf[..n].to_vec());
            if t["result"] == "valid" {
                assert_eq!(got.as_deref(), Ok(&msg[..]), "{name} tc {id}");
                // And the same ciphertext and tag come out of seal.
                let mut sealed = msg.clone();
                sealed.resize(enc.ciphertext_len(msg.len()), 0);
                let mut t2 = [0u8; 32];
                let n = jwe::seal(enc, &key, &iv, &aad, &mut sealed, msg.len(), &mut t2).unwrap();
                assert_eq!(
                    (&sealed[..n], &t2[..enc.tag_len()]),
                    (&h("ct")[..], &tag[..]),
                    "{name} tc {id}"
                );
                ok += 1;
            } else {
                let want = if tag.len() == enc.tag_len() && iv.len() == enc.iv_len() {
                    Error::DecryptionFailed
                } else {
                    Error::JweLength
                };
                assert_eq!(got, Err(want), "{name} tc {id}");
                refused += 1;
            }
        }
    }
    eprintln!("{name}: {ok} valid decrypted, {refused} invalid refused");
    assert!(ok > 0 && refused > 0, "{name}: no cases ran");
}

/// Wycheproof AES-GCM → JWE `A128GCM`, `A256GCM` (RFC 7518 §5.3: 96-bit
/// IV, 128-bit tag).
#[test]
fn wycheproof_aes_gcm_a128gcm_a256gcm() {
    aead_file("aes_gcm_test.json", |g| {
        match (
            g["keySize"].as_u64(),
            g["ivSize"].as_u64(),
            g["tagSize"].as_u64(),
        ) {
            (Some(128), Some(96), Some(128)) => Some(ContentEnc::A128Gcm),
            (Some(256), Some(96), Some(128)) => Some(ContentEnc::A256Gcm),
            _ => None,
        }
    });
}

/// Wycheproof `A128CBC-HS256` and `A256CBC-HS512` (RFC 7518 §5.2).
#[test]
fn wycheproof_aes_cbc_hmac_sha2() {
    aead_file("a128cbc_hs256_test.json", |_| {
        Some(ContentEnc::A128CbcHs256)
    });
    aead_file("a256cbc_hs512_test.json", |_| {
        Some(ContentEnc::A256CbcHs512)
    });
}
