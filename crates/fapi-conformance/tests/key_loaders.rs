//! One naming scheme on both software backends: the same constructors
//! (`generate`, `from_bytes`, `from_pkcs8_der`, `from_sec1_der`,
//! `from_pkcs1_der`, `with_key_id`, `verifying_key`) load the same keys from
//! the same documents, and refuse the same documents with the same
//! `fapi_core::Error` and a reason.
//!
//! The documents are real encoders' output: the RFC 8410 §10.3 examples,
//! keys written by OpenSSL 3.0 (`testdata/keys/`, with the public halves
//! OpenSSL computed), and the RFC 7515 A.3 key written out by aws-lc.

use aws_lc_rs::encoding::AsDer as _;
use fapi_conformance::hex;
use fapi_core::{Alg, Error, PublicKey, Random, Signer, Verifier, b64};

const P256_SEC1: &[u8] = include_bytes!("../testdata/keys/p256.sec1.der");
const P256_PKCS8: &[u8] = include_bytes!("../testdata/keys/p256.pk8.der");
const P256_SPKI: &[u8] = include_bytes!("../testdata/keys/p256.spki.der");
const P384_SEC1: &[u8] = include_bytes!("../testdata/keys/p384.sec1.der");
const P384_PKCS8: &[u8] = include_bytes!("../testdata/keys/p384.pk8.der");
const ED25519_PKCS8: &[u8] = include_bytes!("../testdata/keys/ed25519.pk8.der");
const ED25519_SPKI: &[u8] = include_bytes!("../testdata/keys/ed25519.spki.der");
const RSA2048_PKCS1: &[u8] = include_bytes!("../testdata/keys/rsa2048.pk1.der");
const RSA2048_PKCS8: &[u8] = include_bytes!("../testdata/keys/rsa2048.pk8.der");
const RSA2048_MODULUS: &str = include_str!("../testdata/keys/rsa2048.modulus.hex");
const RSA1024_PKCS8: &[u8] = include_bytes!("../testdata/keys/rsa1024.pk8.der");

/// RFC 8410 §10.3: the example Ed25519 private key, PKCS#8 v1.
const RFC8410_V1: &str = "302e020100300506032b657004220420d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842";
/// RFC 8410 §10.3: the same key as a v2 `OneAsymmetricKey`, with an
/// attribute and the public key.
const RFC8410_V2: &str = "3072020101300506032b657004220420d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842a01f301d060a2a864886f70d01090914310f0c0d437572646c652043686169727381210019bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1";
/// RFC 8410 §10.1: the example public key (the §10.3 key's).
const RFC8410_PUBLIC: &str = "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1";
/// RFC 8410 §10.3: the seed inside the examples.
const RFC8410_SEED: &str = "d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842";

/// RFC 7515 A.3's P-256 private key `d` and its public JWK.
const RFC7515_A3_D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
const RFC7515_A3_JWK: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;

/// A deterministic random source (counter bytes): the same draws for
/// both backends.
#[derive(Clone, Default)]
struct Counter(core::cell::Cell<u8>);

impl Random for Counter {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        for b in dest {
            *b = self.0.get();
            self.0.set(self.0.get().wrapping_add(1));
        }
        Ok(())
    }
}

fn p256_point(spki: &[u8]) -> PublicKey {
    // An SPKI of a P-256 key ends with the 65-byte uncompressed point.
    PublicKey::p256_from_sec1(&spki[spki.len() - 65..]).unwrap()
}

/// Signs with `signer` and verifies with `verifier`.
fn round_trip(signer: &dyn Signer, verifier: &dyn Verifier) {
    let mut sig = [0u8; 512];
    let n = signer.sign(b"fapi", &mut sig).unwrap();
    verifier.verify(b"fapi", &sig[..n]).unwrap();
}

/// RFC 5915 (SEC1) and RFC 5958 (PKCS#8) ES256 keys written by OpenSSL load
/// on both backends, through the same constructors, to the public key
/// OpenSSL computed; each verifying half verifies the other backend's
/// signatures.
#[test]
fn rfc5915_sec1_and_rfc5958_pkcs8_es256_load_alike() {
    let want = p256_point(P256_SPKI);
    let rc_sec1 = fapi_rustcrypto::Es256SigningKey::from_sec1_der(P256_SEC1).unwrap();
    let rc_pk8 = fapi_rustcrypto::Es256SigningKey::from_pkcs8_der(P256_PKCS8).unwrap();
    let aws_sec1 = fapi_awslc::Es256SigningKey::from_sec1_der(P256_SEC1).unwrap();
    let aws_pk8 = fapi_awslc::Es256SigningKey::from_pkcs8_der(P256_PKCS8).unwrap();
    for key in [&rc_sec1 as &dyn Signer, &rc_pk8, &aws_sec1, &aws_pk8] {
        assert_eq!(key.public_key().unwrap(), want);
        assert_eq!(key.alg(), Alg::Es256);
        // The default key id is the RFC 7638 thumbprint.
        assert_eq!(key.key_id(), want.thumbprint().to_b64().as_str());
    }
    round_trip(&rc_sec1, &aws_pk8.verifying_key());
    round_trip(&aws_sec1, &rc_pk8.verifying_key());
}

/// The RFC 7515 A.3 key, written out as PKCS#8 and SEC1 by aws-lc, loads on
/// both backends to the RFC's public key, as does its raw `d`.
#[test]
fn rfc7515_a3_key_loads_from_every_encoding() {
    let d = b64::decode_array::<32>(RFC7515_A3_D.as_bytes()).unwrap();
    let want = fapi_core::PublicJwk::from_json(RFC7515_A3_JWK.as_bytes())
        .unwrap()
        .key;
    let aws = fapi_awslc::Es256SigningKey::from_bytes(&d).unwrap();
    let pkcs8 = aws.as_aws_lc().to_pkcs8v1().unwrap();
    let sec1 = aws.as_aws_lc().private_key().as_der().unwrap();
    let keys: Vec<Box<dyn Signer>> = vec![
        Box::new(fapi_rustcrypto::Es256SigningKey::from_bytes(&d).unwrap()),
        Box::new(fapi_rustcrypto::Es256SigningKey::from_pkcs8_der(pkcs8.as_ref()).unwrap()),
        Box::new(fapi_rustcrypto::Es256SigningKey::from_sec1_der(sec1.as_ref()).unwrap()),
        Box::new(fapi_awslc::Es256SigningKey::from_pkcs8_der(pkcs8.as_ref()).unwrap()),
        Box::new(fapi_awslc::Es256SigningKey::from_sec1_der(sec1.as_ref()).unwrap()),
        Box::new(aws),
    ];
    for key in &keys {
        assert_eq!(key.public_key().unwrap(), want);
    }
}

/// Documents of the wrong kind are refused alike: PKCS#8 where SEC1 is
/// asked for and the reverse, another curve (P-384), another algorithm
/// (Ed25519, RSA), a public key that is not the private key's, junk. Each
/// refusal is `InvalidKey` with a reason.
#[test]
fn rfc5915_rfc5958_wrong_documents_refused_alike() {
    // The SEC1 document ends with the public point: change its last byte.
    let mut wrong_public = P256_SEC1.to_vec();
    *wrong_public.last_mut().unwrap() ^= 1;
    let sec1_cases: [(&str, &[u8]); 6] = [
        ("PKCS#8 as SEC1", P256_PKCS8),
        ("P-384 SEC1", P384_SEC1),
        ("Ed25519 PKCS#8 as SEC1", ED25519_PKCS8),
        ("another public key", &wrong_public),
        ("junk", b"\x30\x03\x02\x01\x01"),
        ("empty", b""),
    ];
    for (what, der) in sec1_cases {
        let rc = fapi_rustcrypto::Es256SigningKey::from_sec1_der(der).unwrap_err();
        let aws = fapi_awslc::Es256SigningKey::from_sec1_der(der).unwrap_err();
        for (backend, e) in [("rustcrypto", rc.error()), ("awslc", aws.error())] {
            assert_eq!(e, Error::InvalidKey, "{backend}: {what}");
        }
        assert!(!rc.reason().is_empty() && !aws.reason().is_empty());
        assert!(aws.to_string().ends_with(aws.reason()), "{aws}");
    }
    let pkcs8_cases: [(&str, &[u8]); 5] = [
        ("SEC1 as PKCS#8", P256_SEC1),
        ("P-384 PKCS#8", P384_PKCS8),
        ("Ed25519 PKCS#8", ED25519_PKCS8),
        ("RSA PKCS#8", RSA2048_PKCS8),
        ("junk", b"\x30\x00"),
    ];
    for (what, der) in pkcs8_cases {
        let rc = fapi_rustcrypto::Es256SigningKey::from_pkcs8_der(der).unwrap_err();
        let aws = fapi_awslc::Es256SigningKey::from_pkcs8_der(der).unwrap_err();
        assert_eq!(rc.error(), Error::InvalidKey, "rustcrypto: {what}");
        assert_eq!(aws.error(), Error::InvalidKey, "awslc: {what}");
    }
    for (what, der) in [("P-256 PKCS#8", P256_PKCS8), ("RSA PKCS#8", RSA2048_PKCS8)] {
        let rc = fapi_rustcrypto::Ed25519SigningKey::from_pkcs8_der(der).unwrap_err();
        let aws = fapi_awslc::Ed25519SigningKey::from_pkcs8_der(der).unwrap_err();
        assert_eq!(rc.error(), Error::InvalidKey, "rustcrypto: {what}");
        assert_eq!(aws.error(), Error::InvalidKey, "awslc: {what}");
    }
}

/// RFC 8410 §10.3: the example private key (v1, and v2 with an attribute
/// and its public key) loads on both backends to the §10.1 public key, as
/// does its raw seed; OpenSSL's Ed25519 PKCS#8 loads to the public key
/// OpenSSL computed.
#[test]
fn rfc8410_10_3_ed25519_pkcs8_loads_alike() {
    let want = PublicKey::Ed25519 {
        x: hex(RFC8410_PUBLIC).try_into().unwrap(),
    };
    let seed = hex(RFC8410_SEED);
    for der in [hex(RFC8410_V1), hex(RFC8410_V2)] {
        let rc = fapi_rustcrypto::Ed25519SigningKey::from_pkcs8_der(&der).unwrap();
        let aws = fapi_awslc::Ed25519SigningKey::from_pkcs8_der(&der).unwrap();
        assert_eq!(rc.public_key().unwrap(), want);
        assert_eq!(aws.public_key().unwrap(), want);
        round_trip(&rc, &aws.verifying_key());
        round_trip(&aws, &rc.verifying_key());
    }
    let rc = fapi_rustcrypto::Ed25519SigningKey::from_bytes(&seed).unwrap();
    let aws = fapi_awslc::Ed25519SigningKey::from_bytes(&seed).unwrap();
    assert_eq!(rc.public_key().unwrap(), want);
    assert_eq!(aws.public_key().unwrap(), want);

    let want = PublicKey::Ed25519 {
        x: ED25519_SPKI[ED25519_SPKI.len() - 32..].try_into().unwrap(),
    };
    let rc = fapi_rustcrypto::Ed25519SigningKey::from_pkcs8_der(ED25519_PKCS8).unwrap();
    let aws = fapi_awslc::Ed25519SigningKey::from_pkcs8_der(ED25519_PKCS8).unwrap();
    assert_eq!(rc.public_key().unwrap(), want);
    assert_eq!(aws.public_key().unwrap(), want);
}

/// RFC 8410 §7 (RFC 5958 §2): a v2 document whose public key is not the
/// private key's is refused by both backends.
#[test]
fn rfc8410_v2_with_another_public_key_refused_alike() {
    let mut der = hex(RFC8410_V2);
    *der.last_mut().unwrap() ^= 1;
    let rc = fapi_rustcrypto::Ed25519SigningKey::from_pkcs8_der(&der).unwrap_err();
    let aws = fapi_awslc::Ed25519SigningKey::from_pkcs8_der(&der).unwrap_err();
    assert_eq!(rc.error(), Error::InvalidKey, "{rc}");
    assert_eq!(aws.error(), Error::InvalidKey, "{aws}");
}

/// RFC 8017 A.1.2 (PKCS#1) and RFC 5958 (PKCS#8) RSA keys written by
/// OpenSSL load on both backends to OpenSSL's modulus, and sign PS256 that
/// the other backend verifies. F2-ALG: a 1024-bit key is `WeakKey` on both.
#[test]
fn f2_alg_rfc8017_pkcs1_and_pkcs8_ps256_load_alike() {
    let rng = fapi_awslc::SystemRandom::new();
    let rc1 = fapi_rustcrypto::Ps256SigningKey::from_pkcs1_der(RSA2048_PKCS1, rng.clone()).unwrap();
    let rc8 = fapi_rustcrypto::Ps256SigningKey::from_pkcs8_der(RSA2048_PKCS8, rng.clone()).unwrap();
    let aws1 = fapi_awslc::Ps256SigningKey::from_pkcs1_der(RSA2048_PKCS1).unwrap();
    let aws8 = fapi_awslc::Ps256SigningKey::from_pkcs8_der(RSA2048_PKCS8).unwrap();
    let modulus = hex(RSA2048_MODULUS.trim());
    for key in [&rc1 as &dyn Signer, &rc8, &aws1, &aws8] {
        let PublicKey::Rsa(k) = key.public_key().unwrap() else {
            panic!("not RSA");
        };
        assert_eq!(k.n(), modulus.as_slice());
        assert_eq!(key.alg(), Alg::Ps256);
    }
    round_trip(&rc1, &aws8.verifying_key());
    round_trip(&aws1, &rc8.verifying_key());

    // F2-ALG: no RSA key under 2048 bits, whatever loads it.
    let rc =
        fapi_rustcrypto::Ps256SigningKey::from_pkcs8_der(RSA1024_PKCS8, rng.clone()).unwrap_err();
    let aws = fapi_awslc::Ps256SigningKey::from_pkcs8_der(RSA1024_PKCS8).unwrap_err();
    assert_eq!(rc.error(), Error::WeakKey, "{rc}");
    assert_eq!(aws.error(), Error::WeakKey, "{aws}");
    assert_eq!(
        fapi_rustcrypto::Ps256SigningKey::generate(1024, rng)
            .unwrap_err()
            .error(),
        Error::WeakKey
    );
    assert_eq!(
        fapi_awslc::Ps256SigningKey::generate(1024)
            .unwrap_err()
            .error(),
        Error::WeakKey
    );
    // Documents of another kind.
    for der in [P256_PKCS8, P256_SEC1, b"junk".as_slice()] {
        let rng = fapi_awslc::SystemRandom::new();
        let rc = fapi_rustcrypto::Ps256SigningKey::from_pkcs8_der(der, rng.clone()).unwrap_err();
        let aws = fapi_awslc::Ps256SigningKey::from_pkcs8_der(der).unwrap_err();
        assert_eq!(
            (rc.error(), aws.error()),
            (Error::InvalidKey, Error::InvalidKey)
        );
        let rc = fapi_rustcrypto::Ps256SigningKey::from_pkcs1_der(der, rng).unwrap_err();
        let aws = fapi_awslc::Ps256SigningKey::from_pkcs1_der(der).unwrap_err();
        assert_eq!(
            (rc.error(), aws.error()),
            (Error::InvalidKey, Error::InvalidKey)
        );
    }
}

/// `generate(&rng)` draws the same bytes on both backends: the same random
/// source makes the same ES256 and Ed25519 key, and a failing source is
/// `RandomFailed` on both.
#[test]
fn generate_draws_alike_on_both_backends() {
    let a = fapi_rustcrypto::Es256SigningKey::generate(&Counter::default()).unwrap();
    let b = fapi_awslc::Es256SigningKey::generate(&Counter::default()).unwrap();
    assert_eq!(a.public_key().unwrap(), b.public_key().unwrap());
    let a = fapi_rustcrypto::Ed25519SigningKey::generate(&Counter::default()).unwrap();
    let b = fapi_awslc::Ed25519SigningKey::generate(&Counter::default()).unwrap();
    assert_eq!(a.public_key().unwrap(), b.public_key().unwrap());

    struct Broken;
    impl Random for Broken {
        fn fill(&self, _: &mut [u8]) -> Result<(), Error> {
            Err(Error::RandomFailed)
        }
    }
    let errors = [
        fapi_rustcrypto::Es256SigningKey::generate(&Broken).map(|_| ()),
        fapi_awslc::Es256SigningKey::generate(&Broken).map(|_| ()),
        fapi_rustcrypto::Ed25519SigningKey::generate(&Broken).map(|_| ()),
        fapi_awslc::Ed25519SigningKey::generate(&Broken).map(|_| ()),
    ];
    for e in errors {
        assert_eq!(e.unwrap_err().error(), Error::RandomFailed);
    }
}

/// `with_key_id` has one rule on both backends: not empty
/// (`InvalidParameter`), at most 64 bytes (`TooLarge`).
#[test]
fn with_key_id_alike_on_both_backends() {
    let d = [5u8; 32];
    let long = "k".repeat(65);
    let max = "k".repeat(64);
    for (kid, want) in [
        ("", Err(Error::InvalidParameter)),
        (long.as_str(), Err(Error::TooLarge)),
        (max.as_str(), Ok(())),
    ] {
        let got = [
            fapi_rustcrypto::Es256SigningKey::from_bytes(&d)
                .unwrap()
                .with_key_id(kid)
                .map(|k| assert_eq!(k.key_id(), kid)),
            fapi_awslc::Es256SigningKey::from_bytes(&d)
                .unwrap()
                .with_key_id(kid)
                .map(|k| assert_eq!(k.key_id(), kid)),
            fapi_rustcrypto::Ed25519SigningKey::from_bytes(&d)
                .unwrap()
                .with_key_id(kid)
                .map(|k| assert_eq!(k.key_id(), kid)),
            fapi_awslc::Ed25519SigningKey::from_bytes(&d)
                .unwrap()
                .with_key_id(kid)
                .map(|k| assert_eq!(k.key_id(), kid)),
        ];
        for g in got {
            assert_eq!(g.map_err(Error::from), want, "{kid:?}");
        }
    }
}

/// RFC 5915 / RFC 5958 keys aws-lc refuses keep aws-lc's own reason in the
/// error's message (`KeyRejected::description_` for the same document),
/// and a raw P-256 scalar out of range is refused by aws-lc's constructors,
/// with their reason.
#[test]
fn rfc5915_rfc5958_aws_lc_rejection_reason_kept() {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
    let alg = &ECDSA_P256_SHA256_FIXED_SIGNING;
    for der in [P384_PKCS8, ED25519_PKCS8, b"junk".as_slice()] {
        let want = EcdsaKeyPair::from_pkcs8(alg, der).unwrap_err();
        let got = fapi_awslc::Es256SigningKey::from_pkcs8_der(der).unwrap_err();
        assert_eq!(got.error(), Error::InvalidKey);
        assert_eq!(got.reason(), want.description_());
        assert_eq!(
            got.to_string(),
            format!("{}: {}", Error::InvalidKey, want.description_())
        );
    }
    for der in [P384_SEC1, b"junk".as_slice()] {
        let want = EcdsaKeyPair::from_private_key_der(alg, der).unwrap_err();
        let got = fapi_awslc::Es256SigningKey::from_sec1_der(der).unwrap_err();
        assert_eq!(
            (got.error(), got.reason()),
            (Error::InvalidKey, want.description_())
        );
    }
    // Zero, and the group order n itself.
    let n = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    for scalar in [[0u8; 32].to_vec(), n] {
        let got = fapi_awslc::Es256SigningKey::from_bytes(&scalar).unwrap_err();
        assert_eq!(got.error(), Error::InvalidKey);
        let want = aws_lc_rs::agreement::PrivateKey::from_private_key(
            &aws_lc_rs::agreement::ECDH_P256,
            &scalar,
        )
        .unwrap_err();
        assert_eq!(got.reason(), want.description_());
        let rc = fapi_rustcrypto::Es256SigningKey::from_bytes(&scalar).unwrap_err();
        assert_eq!(rc.error(), Error::InvalidKey);
    }
    // n - 1 is the largest valid scalar, on both backends.
    let n_minus_1 = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550");
    let a = fapi_awslc::Es256SigningKey::from_bytes(&n_minus_1).unwrap();
    let b = fapi_rustcrypto::Es256SigningKey::from_bytes(&n_minus_1).unwrap();
    assert_eq!(a.public_key().unwrap(), b.public_key().unwrap());
}
