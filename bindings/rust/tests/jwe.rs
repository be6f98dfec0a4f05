//! `fapi::jwe`: encrypt to a recipient's JWKS, decrypt with a
//! `DecryptionKey`, under the profile's allow-lists.

use fapi::jwe::{self, ContentEnc, DecryptionKey, KeyAlg, Policy};
use fapi_core::Error as CoreError;
use fapi_core::profile::Profile;

fn key() -> DecryptionKey {
    DecryptionKey::generate()
        .unwrap()
        .with_key_id("rp-enc")
        .unwrap()
}

/// RFC 7516 §5.1 and §5.2 through the crate, for every alg × enc.
#[test]
fn rfc7516_round_trip_every_alg_and_enc() {
    let key = key();
    for alg in KeyAlg::ALL {
        let jwks = format!(r#"{{"keys":[{}]}}"#, key.public_jwk_json(alg));
        for enc in ContentEnc::ALL {
            let c = jwe::encrypt(b"{\"sub\":\"alice\"}", &jwks, alg, enc, None).unwrap();
            assert_eq!(c.split('.').count(), 5);
            let p = key.decrypt(&c, &Policy::ALL).unwrap();
            assert_eq!(&p[..], b"{\"sub\":\"alice\"}");
        }
    }
}

/// RFC 7519 §5.2: a nested JWT is `cty: JWT`; a plain JWE is refused where
/// one is expected.
#[test]
fn rfc7519_5_2_nested_jwt() {
    let key = key();
    let jwk = key.public_jwk_json(KeyAlg::RsaOaep);
    let inner = "eyJhbGciOiJFUzI1NiJ9.e30.sig";
    let nested = jwe::encrypt(
        inner.as_bytes(),
        &jwk,
        KeyAlg::RsaOaep,
        ContentEnc::A256Gcm,
        Some("JWT"),
    )
    .unwrap();
    assert_eq!(
        &*key.decrypt_nested_jwt(&nested, &Policy::ALL).unwrap(),
        inner
    );
    let plain = jwe::encrypt(
        inner.as_bytes(),
        &jwk,
        KeyAlg::RsaOaep,
        ContentEnc::A256Gcm,
        None,
    )
    .unwrap();
    assert_eq!(
        key.decrypt_nested_jwt(&plain, &Policy::ALL)
            .unwrap_err()
            .core(),
        CoreError::NotNestedJwt
    );
}

/// OFB-ALG (RSA-OAEP + A256GCM only) and CDR-ALG read from the profile.
#[test]
fn ofb_alg_refuses_a128gcm_and_rsa_oaep_256() {
    let key = key();
    let ofb = Policy::from_profile(&Profile::OFB);
    let jwk = key.public_jwk_json(KeyAlg::RsaOaep);
    let a128 = jwe::encrypt(b"x", &jwk, KeyAlg::RsaOaep, ContentEnc::A128Gcm, None).unwrap();
    assert_eq!(
        key.decrypt(&a128, &ofb).unwrap_err().core(),
        CoreError::EncNotAllowed
    );
    let jwk256 = key.public_jwk_json(KeyAlg::RsaOaep256);
    let oaep256 =
        jwe::encrypt(b"x", &jwk256, KeyAlg::RsaOaep256, ContentEnc::A256Gcm, None).unwrap();
    assert_eq!(
        key.decrypt(&oaep256, &ofb).unwrap_err().core(),
        CoreError::AlgNotAllowed
    );
    let cdr = Policy::from_profile(&Profile::CDR);
    assert!(key.decrypt(&oaep256, &cdr).is_ok());
}

/// RFC 7517 §4.2: only a `"use":"enc"` key of the right `alg` is chosen;
/// private members are refused.
#[test]
fn rfc7517_4_2_encryption_key_selection() {
    let key = key();
    let jwk: serde_json::Value =
        serde_json::from_str(&key.public_jwk_json(KeyAlg::RsaOaep)).unwrap();
    let mut sig = jwk.clone();
    sig["use"] = "sig".into();
    let jwks = serde_json::json!({ "keys": [sig] }).to_string();
    let err = jwe::encrypt(b"x", &jwks, KeyAlg::RsaOaep, ContentEnc::A256Gcm, None).unwrap_err();
    assert_eq!(err.core(), CoreError::KeyNotFound);
    // The `alg` of the key must be the one asked for.
    let err = jwe::encrypt(
        b"x",
        &jwk.to_string(),
        KeyAlg::RsaOaep256,
        ContentEnc::A256Gcm,
        None,
    )
    .unwrap_err();
    assert_eq!(err.core(), CoreError::KeyNotFound);
    let mut private = jwk.clone();
    private["d"] = "AQAB".into();
    let err = jwe::encrypt(
        b"x",
        &private.to_string(),
        KeyAlg::RsaOaep,
        ContentEnc::A256Gcm,
        None,
    )
    .unwrap_err();
    assert_eq!(err.core(), CoreError::PrivateKeyMember);
    // Both a JWKS and one JWK are accepted; the header names the key's kid.
    let c = jwe::encrypt(
        b"x",
        &jwk.to_string(),
        KeyAlg::RsaOaep,
        ContentEnc::A256Gcm,
        None,
    )
    .unwrap();
    assert!(key.decrypt(&c, &Policy::ALL).is_ok());
}

/// RFC 7516 §11.5: a tampered JWE, or one for another key, is the one
/// decryption error.
#[test]
fn rfc7516_11_5_one_decryption_error() {
    let (a, b) = (
        key(),
        DecryptionKey::generate()
            .unwrap()
            .with_key_id("rp-enc")
            .unwrap(),
    );
    let c = jwe::encrypt(
        b"secret",
        &a.public_jwk_json(KeyAlg::RsaOaep),
        KeyAlg::RsaOaep,
        ContentEnc::A128CbcHs256,
        None,
    )
    .unwrap();
    assert_eq!(
        b.decrypt(&c, &Policy::ALL).unwrap_err().core(),
        CoreError::DecryptionFailed
    );
    let mut parts: Vec<String> = c.split('.').map(str::to_owned).collect();
    let last = parts[3].pop().unwrap();
    parts[3].push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(
        a.decrypt(&parts.join("."), &Policy::ALL)
            .unwrap_err()
            .core(),
        CoreError::DecryptionFailed
    );
    assert!(!format!("{a:?}").contains("BEGIN"));
}
