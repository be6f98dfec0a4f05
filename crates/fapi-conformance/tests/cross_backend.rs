//! Round trips across backends: a token signed by one backend verifies with
//! the other, for PS256, ES256 and EdDSA, through parsed keys and through
//! the run-time verifiers (including a DPoP-style embedded key).

use fapi_conformance::backends;
use fapi_core::jws::{self, HeaderParams, Policy};
use fapi_core::{Alg, Error, PublicKey, Signer, Verifier};

fn signers() -> Vec<(&'static str, Box<dyn Signer>)> {
    let rng = fapi_awslc::SystemRandom::new();
    vec![
        (
            "rustcrypto-es256",
            Box::new(fapi_rustcrypto::Es256SigningKey::generate(&rng).unwrap()),
        ),
        (
            "rustcrypto-eddsa",
            Box::new(fapi_rustcrypto::Ed25519SigningKey::generate(&rng).unwrap()),
        ),
        (
            "rustcrypto-ps256",
            Box::new(fapi_rustcrypto::Ps256SigningKey::generate(2048, rng.clone()).unwrap()),
        ),
        (
            "awslc-es256",
            Box::new(fapi_awslc::Es256SigningKey::generate(&rng).unwrap()),
        ),
        (
            "awslc-eddsa",
            Box::new(fapi_awslc::Ed25519SigningKey::generate(&rng).unwrap()),
        ),
        (
            "awslc-ps256",
            Box::new(fapi_awslc::Ps256SigningKey::generate(2048).unwrap()),
        ),
    ]
}

fn parsed_verifiers(key: &PublicKey) -> Vec<(&'static str, Box<dyn Verifier>)> {
    match key {
        PublicKey::P256 { .. } => vec![
            (
                "rustcrypto",
                Box::new(fapi_rustcrypto::Es256VerifyingKey::from_public_key(key).unwrap()),
            ),
            (
                "awslc",
                Box::new(fapi_awslc::Es256VerifyingKey::from_public_key(key).unwrap()),
            ),
        ],
        PublicKey::Ed25519 { .. } => vec![
            (
                "rustcrypto",
                Box::new(fapi_rustcrypto::Ed25519VerifyingKey::from_public_key(key).unwrap()),
            ),
            (
                "awslc",
                Box::new(fapi_awslc::Ed25519VerifyingKey::from_public_key(key).unwrap()),
            ),
        ],
        PublicKey::Rsa(_) => vec![
            (
                "rustcrypto",
                Box::new(fapi_rustcrypto::Ps256VerifyingKey::from_public_key(key).unwrap()),
            ),
            (
                "awslc",
                Box::new(fapi_awslc::Ps256VerifyingKey::from_public_key(key).unwrap()),
            ),
        ],
    }
}

/// F2-ALG: all three algorithms interoperate across backends.
#[test]
fn f2_alg_signed_by_one_backend_verifies_with_the_other() {
    let policy = Policy::new(Alg::ALL).with_typ("at+jwt");
    for (signer_name, signer) in signers() {
        let key = signer.public_key().unwrap();
        assert_eq!(
            signer.key_id(),
            key.thumbprint().to_b64().as_str(),
            "{signer_name}"
        );
        let header = HeaderParams::typed("at+jwt").with_kid(signer.key_id());
        let mut out = [0u8; 4096];
        let n = jws::sign(&*signer, &header, br#"{"sub":"alice"}"#, &mut out).unwrap();
        let token = &out[..n];
        for (verifier_name, verifier) in parsed_verifiers(&key) {
            let mut buf = [0u8; 4096];
            let v = jws::verify(token, &policy, &*verifier, &mut buf)
                .unwrap_or_else(|e| panic!("{signer_name} -> {verifier_name}: {e}"));
            assert_eq!(v.payload, br#"{"sub":"alice"}"#);
            assert_eq!(v.header.kid, Some(signer.key_id()));
            // Tampered: a signature character changed (not the last one,
            // whose spare bits would make it bad base64 instead).
            let mut bad = token.to_vec();
            let at = bad.len() - 10;
            bad[at] = if bad[at] == b'A' { b'B' } else { b'A' };
            assert_eq!(
                jws::verify(&bad, &policy, &*verifier, &mut [0u8; 4096]).err(),
                Some(Error::BadSignature),
                "{signer_name} -> {verifier_name}"
            );
        }
        for (backend_name, backend) in backends() {
            let kv = fapi_core::crypto::KeyVerifier::new(backend, key.clone());
            let mut buf = [0u8; 4096];
            assert!(
                jws::verify(token, &policy, &kv, &mut buf).is_ok(),
                "{signer_name} -> {backend_name}"
            );
        }
    }
}

/// A DPoP-style proof (key in the `jwk` header) signed by each backend
/// verifies through each backend's run-time verifier.
#[test]
fn embedded_key_round_trip() {
    let policy = Policy::new(Alg::ALL).with_typ("dpop+jwt");
    for (signer_name, signer) in signers() {
        let key = signer.public_key().unwrap();
        let header = HeaderParams::typed("dpop+jwt").with_jwk(&key);
        let mut out = [0u8; 4096];
        let n = jws::sign(&*signer, &header, br#"{"htm":"POST"}"#, &mut out).unwrap();
        for (backend_name, backend) in backends() {
            let mut buf = [0u8; 4096];
            let v = jws::verify_embedded(&out[..n], &policy, backend, &mut buf)
                .unwrap_or_else(|e| panic!("{signer_name} -> {backend_name}: {e}"));
            assert_eq!(v.header.jwk.unwrap().key, key);
        }
    }
}

/// Keys print no secret: `Debug` shows only the key id.
#[test]
fn debug_prints_no_secret() {
    let scalar = [7u8; 32];
    let rc = format!(
        "{:?}",
        fapi_rustcrypto::Es256SigningKey::from_bytes(&scalar).unwrap()
    );
    let aws = format!(
        "{:?}",
        fapi_awslc::Es256SigningKey::from_bytes(&scalar).unwrap()
    );
    let ed = format!(
        "{:?}",
        fapi_rustcrypto::Ed25519SigningKey::from_bytes(&scalar).unwrap()
    );
    let ed2 = format!(
        "{:?}",
        fapi_awslc::Ed25519SigningKey::from_bytes(&scalar).unwrap()
    );
    for s in [rc, aws, ed, ed2] {
        assert!(s.contains("kid") && s.ends_with(".. }"), "{s}");
        assert!(!s.contains("07, 07") && !s.contains("[7, 7"), "{s}");
    }
}

/// Signing into a buffer that is too small is a typed error.
#[test]
fn short_signature_buffer() {
    let rc = fapi_rustcrypto::Ed25519SigningKey::from_bytes(&[1u8; 32]).unwrap();
    let aws = fapi_awslc::Ed25519SigningKey::from_bytes(&[1u8; 32]).unwrap();
    let mut small = [0u8; 63];
    assert_eq!(rc.sign(b"m", &mut small), Err(Error::BufferTooSmall));
    assert_eq!(aws.sign(b"m", &mut small), Err(Error::BufferTooSmall));
    let aws_rsa = fapi_awslc::Ps256SigningKey::generate(2048).unwrap();
    let mut small = [0u8; 255];
    assert_eq!(aws_rsa.sign(b"m", &mut small), Err(Error::BufferTooSmall));
}

/// Bad secret keys are refused with a typed error.
#[test]
fn bad_secret_keys() {
    // P-256 scalar of zero and one at or above the group order.
    assert_eq!(
        fapi_rustcrypto::Es256SigningKey::from_bytes(&[0u8; 32])
            .map_err(Error::from)
            .err(),
        Some(Error::InvalidKey)
    );
    assert_eq!(
        fapi_rustcrypto::Es256SigningKey::from_bytes(&[0xffu8; 32])
            .map_err(Error::from)
            .err(),
        Some(Error::InvalidKey)
    );
    assert_eq!(
        fapi_awslc::Es256SigningKey::from_bytes(&[0u8; 32])
            .map_err(Error::from)
            .err(),
        Some(Error::InvalidKey)
    );
    assert_eq!(
        fapi_awslc::Es256SigningKey::from_bytes(&[0xffu8; 32])
            .map_err(Error::from)
            .err(),
        Some(Error::InvalidKey)
    );
    assert_eq!(
        fapi_rustcrypto::Es256SigningKey::from_bytes(&[1u8; 31])
            .map_err(Error::from)
            .err(),
        Some(Error::InvalidKey)
    );
    assert_eq!(
        fapi_rustcrypto::Ed25519SigningKey::from_bytes(&[1u8; 31])
            .map_err(Error::from)
            .err(),
        Some(Error::InvalidKey)
    );
    assert_eq!(
        fapi_awslc::Ed25519SigningKey::from_bytes(&[1u8; 33])
            .map_err(Error::from)
            .err(),
        Some(Error::InvalidKey)
    );
    let rng = fapi_awslc::SystemRandom::new();
    // F2-ALG: no RSA key under 2048 bits is made.
    assert_eq!(
        fapi_rustcrypto::Ps256SigningKey::generate(1024, rng.clone())
            .map_err(Error::from)
            .err(),
        Some(Error::WeakKey)
    );
    assert_eq!(
        fapi_rustcrypto::Ps256SigningKey::from_pkcs8_der(b"junk", rng)
            .map_err(Error::from)
            .err(),
        Some(Error::InvalidKey)
    );
    assert_eq!(
        fapi_awslc::Ps256SigningKey::from_pkcs8_der(b"junk")
            .map_err(Error::from)
            .err(),
        Some(Error::InvalidKey)
    );
}

/// A failing random source is a typed error, not a panic.
#[test]
fn failing_random_source() {
    struct Broken;
    impl fapi_core::Random for Broken {
        fn fill(&self, _: &mut [u8]) -> Result<(), Error> {
            Err(Error::RandomFailed)
        }
    }
    assert_eq!(
        fapi_rustcrypto::Es256SigningKey::generate(&Broken)
            .map_err(Error::from)
            .err(),
        Some(Error::RandomFailed)
    );
    assert_eq!(
        fapi_rustcrypto::Ed25519SigningKey::generate(&Broken)
            .map_err(Error::from)
            .err(),
        Some(Error::RandomFailed)
    );
}

/// `SystemClock` reads a time after this code was written.
#[test]
fn system_clock_reads_now() {
    use fapi_core::Clock as _;
    assert!(fapi_core::SystemClock.now() > 1_700_000_000);
}
