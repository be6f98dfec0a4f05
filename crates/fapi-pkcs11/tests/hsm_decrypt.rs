//! JWE decryption with RSA keys in SoftHSM2 (`CKM_RSA_PKCS_OAEP`): the JWE
//! is encrypted by aws-lc (`fapi_awslc::RsaOaepEncryptionKey`) to the
//! token's public key and decrypted in the token.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use core::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use fapi_core::jwe::{self, ContentEnc, EncryptParams, KeyAlg, KeyDecrypter, Policy};
use fapi_core::{Alg, Error as CoreError, Random};
use fapi_pkcs11::{Error, HsmDecrypter, KeyRef, KeySpec, keys};

use common::{hsm, unique};

/// aws-lc's generator, counting the bytes drawn.
#[derive(Default)]
struct Counting(AtomicUsize);
impl Random for Counting {
    fn fill(&self, d: &mut [u8]) -> Result<(), CoreError> {
        let _ = self.0.fetch_add(d.len(), Ordering::Relaxed);
        fapi_awslc::SystemRandom::new().fill(d)
    }
}

fn recipient(key: &HsmDecrypter) -> fapi_awslc::RsaOaepEncryptionKey {
    fapi_awslc::RsaOaepEncryptionKey::new(key.public_key(), key.key_id()).unwrap()
}

fn encrypt(key: &HsmDecrypter, alg: KeyAlg, enc: ContentEnc, plaintext: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; jwe::encrypt_buf_len(plaintext.len(), 256)];
    let n = jwe::encrypt(
        &EncryptParams::new(alg, enc).nested_jwt(),
        plaintext,
        &recipient(key),
        &Counting::default(),
        &mut out,
    )
    .unwrap();
    out.truncate(n);
    out
}

fn decrypt(key: &HsmDecrypter, compact: &[u8], random: &Counting) -> Result<Vec<u8>, CoreError> {
    let mut buf = vec![0u8; jwe::decrypt_buf_len(compact.len())];
    jwe::decrypt(compact, &Policy::ALL, key, random, &mut buf).map(|d| d.plaintext.to_vec())
}

fn decryption_key(hsm: &common::Hsm) -> HsmDecrypter {
    let pool = hsm.pool();
    let label = unique("jwe-enc");
    let info = keys::generate_decryption(&pool, 2048, &label).unwrap();
    let key = HsmDecrypter::new(Arc::clone(&pool), &KeyRef::Label(label)).unwrap();
    assert_eq!(key.info().id, info.id);
    assert_eq!(key.modulus_len(), 256);
    assert_eq!(key.key_id(), Some(info.kid.as_str()));
    key
}

/// RFC 7518 §4.3 and RFC 7516 §5.2: a JWE encrypted by aws-lc to the
/// token's key decrypts in the token, for every `alg` the token does and
/// both content encryptions the profiles name most.
#[test]
fn rfc7518_4_3_rsa_oaep_unwraps_in_the_token() {
    let Some(hsm) = hsm() else { return };
    let key = decryption_key(&hsm);
    // SoftHSM2 does RSA-OAEP (SHA-1) at least.
    assert!(key.algs().contains(&KeyAlg::RsaOaep), "{:?}", key.algs());
    eprintln!("SoftHSM2 CKM_RSA_PKCS_OAEP does: {:?}", key.algs());
    let plaintext = b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";
    for &alg in key.algs() {
        for enc in [
            ContentEnc::A256Gcm,
            ContentEnc::A128CbcHs256,
            ContentEnc::A256CbcHs512,
        ] {
            let compact = encrypt(&key, alg, enc, plaintext);
            let got = decrypt(&key, &compact, &Counting::default()).unwrap();
            assert_eq!(got, plaintext, "{} {}", alg.name(), enc.name());
        }
    }
    // And through the key directly: the CEK comes back as it went in.
    let cek = [0x5au8; 32];
    let mut ek = [0u8; 256];
    let n = fapi_core::jwe::KeyEncrypter::wrap_key(
        &recipient(&key),
        KeyAlg::RsaOaep,
        &cek,
        &Counting::default(),
        &mut ek,
    )
    .unwrap();
    assert_eq!(
        &key.decrypt_key(KeyAlg::RsaOaep, &ek[..n]).unwrap()[..],
        &cek
    );
}

/// An OAEP hash the token does not do is a typed error, never a crash nor
/// another hash: `Error::UnsupportedMechanism` from the key, and
/// `KeyAlgMismatch` from `jwe::decrypt` before the key is used. SoftHSM2
/// (2.6, Debian) does CKM_RSA_PKCS_OAEP with SHA-1 and MGF1-SHA-1 only: it
/// refuses SHA-256 at `C_DecryptInit`. On a token that does both, both
/// decrypt.
#[test]
fn rfc7518_4_3_unsupported_oaep_hash_is_a_typed_error() {
    let Some(hsm) = hsm() else { return };
    let key = decryption_key(&hsm);
    let compact = encrypt(&key, KeyAlg::RsaOaep256, ContentEnc::A256Gcm, b"hello");
    if key.algs().contains(&KeyAlg::RsaOaep256) {
        assert_eq!(
            decrypt(&key, &compact, &Counting::default()).unwrap(),
            b"hello"
        );
        return;
    }
    let random = Counting::default();
    assert_eq!(
        decrypt(&key, &compact, &random),
        Err(CoreError::KeyAlgMismatch)
    );
    // Refused before anything was drawn or unwrapped.
    assert_eq!(random.0.load(Ordering::Relaxed), 0);
    let ek = &compact.split(|c| *c == b'.').nth(1).unwrap();
    let mut raw = vec![0u8; 256];
    let n = fapi_core::b64::decode_vartime(ek, &mut raw).unwrap().len();
    let err = key.decrypt_key(KeyAlg::RsaOaep256, &raw[..n]).unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedMechanism(m) if m.contains("SHA256")),
        "{err:?}"
    );
    let mut out = [0u8; 64];
    assert_eq!(
        key.unwrap_key(KeyAlg::RsaOaep256, &raw[..n], &mut out),
        Err(CoreError::KeyAlgMismatch)
    );
}

/// RFC 7516 §11.5 (RFC 3218): an encrypted key the token does not unwrap,
/// or that unwraps to a CEK of the wrong length, ends in the one
/// `DecryptionFailed`, and `jwe::decrypt` drew the random CEK it carried
/// on with.
#[test]
fn rfc7516_11_5_failed_unwrap_in_the_token_is_the_one_error() {
    let Some(hsm) = hsm() else { return };
    let key = decryption_key(&hsm);
    let compact = encrypt(&key, KeyAlg::RsaOaep, ContentEnc::A256Gcm, b"secret");
    let parts: Vec<&[u8]> = compact.split(|c| *c == b'.').collect();

    // Another encrypted key of the right length: OAEP does not decode.
    let mut raw = vec![0u8; 256];
    let n = fapi_core::b64::decode_vartime(parts[1], &mut raw)
        .unwrap()
        .len();
    raw.truncate(n);
    raw[100] ^= 1;
    let mut out = [0u8; 64];
    assert_eq!(
        key.unwrap_key(KeyAlg::RsaOaep, &raw, &mut out),
        Err(CoreError::DecryptionFailed)
    );
    let mut ek = vec![0u8; 400];
    let m = fapi_core::b64::encode_vartime(&raw, &mut ek).unwrap();
    let tampered = [parts[0], &ek[..m], parts[2], parts[3], parts[4]].join(&b'.');
    let random = Counting::default();
    assert_eq!(
        decrypt(&key, &tampered, &random),
        Err(CoreError::DecryptionFailed)
    );
    // The 32-byte A256GCM stand-in CEK was drawn.
    assert_eq!(random.0.load(Ordering::Relaxed), 32);

    // A valid OAEP block holding a 16-byte key where A256GCM needs 32:
    // it unwraps in the token, and is refused all the same.
    let mut short = [0u8; 256];
    let n = fapi_core::jwe::KeyEncrypter::wrap_key(
        &recipient(&key),
        KeyAlg::RsaOaep,
        &[7u8; 16],
        &Counting::default(),
        &mut short,
    )
    .unwrap();
    assert_eq!(
        key.decrypt_key(KeyAlg::RsaOaep, &short[..n]).unwrap().len(),
        16
    );
    let m = fapi_core::b64::encode_vartime(&short[..n], &mut ek).unwrap();
    let wrong_len = [parts[0], &ek[..m], parts[2], parts[3], parts[4]].join(&b'.');
    let random = Counting::default();
    assert_eq!(
        decrypt(&key, &wrong_len, &random),
        Err(CoreError::DecryptionFailed)
    );
    assert_eq!(random.0.load(Ordering::Relaxed), 32);

    // A block of the wrong length is refused before the token is asked.
    let mut short_ek = vec![0u8; 400];
    let m = fapi_core::b64::encode_vartime(&raw[..255], &mut short_ek).unwrap();
    let wrong = [parts[0], &short_ek[..m], parts[2], parts[3], parts[4]].join(&b'.');
    assert_eq!(
        decrypt(&key, &wrong, &Counting::default()),
        Err(CoreError::JweLength)
    );
    // The token still decrypts after all that.
    assert_eq!(
        decrypt(&key, &compact, &Counting::default()).unwrap(),
        b"secret"
    );
}

/// RFC 7517 §4.2 (one key, one use) and F2-ALG: an RSA signing key (which
/// SoftHSM2 also lets decrypt: `CKA_DECRYPT` defaults to true) and an EC
/// key are refused as JWE decryption keys; an
/// RSA key under 2048 bits is never generated.
#[test]
fn rfc7517_4_2_signing_keys_do_not_decrypt() {
    let Some(hsm) = hsm() else { return };
    let pool = hsm.pool();
    let ps256 = unique("ps256-not-enc");
    let _ = keys::generate(&pool, KeySpec::for_alg(Alg::Ps256), &ps256).unwrap();
    assert_eq!(
        HsmDecrypter::new(Arc::clone(&pool), &KeyRef::Label(ps256)).unwrap_err(),
        Error::WrongKeyType
    );
    let es256 = unique("es256-not-enc");
    let _ = keys::generate(&pool, KeySpec::P256, &es256).unwrap();
    assert_eq!(
        HsmDecrypter::new(Arc::clone(&pool), &KeyRef::Label(es256)).unwrap_err(),
        Error::WrongKeyType
    );
    assert_eq!(
        HsmDecrypter::new(Arc::clone(&pool), &KeyRef::Label(unique("missing"))).unwrap_err(),
        Error::KeyNotFound
    );
    assert_eq!(
        keys::generate_decryption(&pool, 1024, &unique("weak")).unwrap_err(),
        Error::WeakKey
    );
}
