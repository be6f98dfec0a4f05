//! Signatures made in SoftHSM2, checked by two independent stacks, and the
//! key lifecycle: generate, publish, rotate, destroy.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use cryptoki::mechanism::MechanismType;
use cryptoki::object::{Attribute, AttributeType};
use fapi_core::jws::{self, HeaderParams, Policy};
use fapi_core::{Alg, Signer};
use fapi_pkcs11::{HsmSigner, KeyRef, KeySpec, keys};

use common::{BothVerifier, assert_verifies, hsm, unique, verify_awslc, verify_rustcrypto};

const MESSAGES: &[&[u8]] = &[
    b"",
    b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9",
    &[0xa5; 1500],
];

fn signs_and_verifies(alg: Alg) {
    let Some(hsm) = hsm() else { return };
    let pool = hsm.pool();
    let info = keys::generate(&pool, KeySpec::for_alg(alg), &unique(alg.name())).unwrap();
    assert_eq!(info.alg(), alg);
    let signer = HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(info.id.clone()), alg).unwrap();
    assert_eq!(signer.alg(), alg);
    assert_eq!(signer.key_id(), info.kid);
    assert_eq!(signer.public_key().unwrap(), info.public);
    for message in MESSAGES {
        let mut sig = [0u8; fapi_core::crypto::MAX_SIGNATURE_LEN];
        let n = signer.sign(message, &mut sig).unwrap();
        let sig = &sig[..n];
        match alg {
            Alg::Es256 | Alg::EdDsa => assert_eq!(n, 64),
            Alg::Ps256 => assert_eq!(n, 256),
        }
        assert_verifies(&info.public, message, sig);
        // A changed message does not verify: the verifiers are not lenient.
        let mut other = message.to_vec();
        other.push(0);
        assert!(!verify_rustcrypto(&info.public, &other, sig));
        assert!(!verify_awslc(&info.public, &other, sig));
    }
    // A buffer too small for the signature is the core's typed error.
    let mut short = [0u8; 63];
    assert_eq!(
        signer.sign(b"m", &mut short),
        Err(fapi_core::Error::BufferTooSmall)
    );
}

/// ES256 in the token: SoftHSM2 lists no CKM_ECDSA_SHA256, so this takes the
/// CKM_ECDSA path over a software SHA-256 digest and converts to `r || s`.
#[test]
fn es256_hsm_signature_verifies_with_rustcrypto_and_awslc() {
    if let Some(hsm) = hsm() {
        let token = hsm.token();
        assert!(token.supports(MechanismType::ECDSA));
        eprintln!(
            "token lists CKM_ECDSA_SHA256: {}",
            token.supports(MechanismType::ECDSA_SHA256)
        );
    }
    signs_and_verifies(Alg::Es256);
}

/// PS256: CKM_SHA256_RSA_PKCS_PSS, MGF1-SHA256, salt 32 (both verifiers
/// require a 32-byte salt).
#[test]
fn ps256_hsm_signature_verifies_with_rustcrypto_and_awslc() {
    signs_and_verifies(Alg::Ps256);
}

/// `rsa-pss-sha512` of HTTP message signatures (RFC 9421 §3.3.1) in the
/// token: CKM_SHA512_RSA_PKCS_PSS with MGF1-SHA512 and a 64-byte salt,
/// through `Signer::sign_rsa_pss_sha512`. The signature verifies with both
/// backends' `verify_rsa_pss_sha512`, and with the `rsa` crate fixed at a
/// 64-byte salt but not at 32; it is not a PS256 signature. A token that
/// lacks the mechanism is `UnsupportedMechanism`, never another hash.
#[test]
fn rfc9421_3_3_1_rsa_pss_sha512_hsm_signature_verifies_with_both_backends() {
    use fapi_core::PublicKeyVerifier as _;
    use rsa::signature::Verifier as _;
    let Some(hsm) = hsm() else { return };
    let pool = hsm.pool();
    let info = keys::generate(&pool, KeySpec::Rsa(2048), &unique("pss512")).unwrap();
    let signer =
        HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(info.id.clone()), Alg::Ps256).unwrap();
    if !pool.token().supports(MechanismType::SHA512_RSA_PKCS_PSS) {
        assert!(matches!(
            signer.sign_rsa_pss_sha512_vec(b"m"),
            Err(fapi_pkcs11::Error::UnsupportedMechanism(_))
        ));
        let mut sig = [0u8; 512];
        assert_eq!(
            signer.sign_rsa_pss_sha512(b"m", &mut sig),
            Err(fapi_core::Error::UnsupportedAlg)
        );
        eprintln!("token lists no CKM_SHA512_RSA_PKCS_PSS: refused as unsupported");
        return;
    }
    let fapi_core::PublicKey::Rsa(key) = &info.public else {
        panic!("not RSA")
    };
    let rsa_key = |salt: usize| {
        let n = rsa::BoxedUint::from_be_slice_vartime(key.n());
        let e = rsa::BoxedUint::from_be_slice_vartime(key.e());
        rsa::pss::VerifyingKey::<sha2::Sha512>::new_with_salt_len(
            rsa::PublicKey::new(n, e).unwrap(),
            salt,
        )
    };
    for message in MESSAGES {
        let mut sig = [0u8; fapi_core::crypto::MAX_SIGNATURE_LEN];
        let n = signer.sign_rsa_pss_sha512(message, &mut sig).unwrap();
        assert_eq!(n, 256);
        let sig = &sig[..n];
        assert_eq!(
            fapi_rustcrypto::RUSTCRYPTO.verify_rsa_pss_sha512(key, message, sig),
            Ok(())
        );
        assert_eq!(
            fapi_awslc::AWSLC.verify_rsa_pss_sha512(key, message, sig),
            Ok(())
        );
        let parsed = rsa::pss::Signature::try_from(sig).unwrap();
        assert!(rsa_key(64).verify(message, &parsed).is_ok(), "salt 64");
        assert!(rsa_key(32).verify(message, &parsed).is_err(), "salt 32");
        // Not a PS256 signature.
        assert!(!verify_rustcrypto(&info.public, message, sig));
        assert!(!verify_awslc(&info.public, message, sig));
        let mut other = message.to_vec();
        other.push(0);
        assert_eq!(
            fapi_awslc::AWSLC.verify_rsa_pss_sha512(key, &other, sig),
            Err(fapi_core::Error::BadSignature)
        );
    }
    let mut short = [0u8; 255];
    assert_eq!(
        signer.sign_rsa_pss_sha512(b"m", &mut short),
        Err(fapi_core::Error::BufferTooSmall)
    );
}

/// A P-256 or Ed25519 key in the token does not sign rsa-pss-sha512.
#[test]
fn rfc9421_3_3_1_non_rsa_hsm_key_does_not_sign_rsa_pss_sha512() {
    let Some(hsm) = hsm() else { return };
    let pool = hsm.pool();
    for alg in [Alg::Es256, Alg::EdDsa] {
        let info = keys::generate(&pool, KeySpec::for_alg(alg), &unique("not-rsa")).unwrap();
        let signer = HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(info.id.clone()), alg).unwrap();
        assert_eq!(
            signer.sign_rsa_pss_sha512_vec(b"m"),
            Err(fapi_pkcs11::Error::WrongKeyType)
        );
        let mut sig = [0u8; 512];
        assert_eq!(
            signer.sign_rsa_pss_sha512(b"m", &mut sig),
            Err(fapi_core::Error::UnsupportedAlg)
        );
    }
}

/// EdDSA: CKM_EDDSA on a CKK_EC_EDWARDS Ed25519 key.
#[test]
fn eddsa_hsm_signature_verifies_with_rustcrypto_and_awslc() {
    signs_and_verifies(Alg::EdDsa);
}

/// A compact JWS signed in the HSM through `fapi_core::jws::sign` verifies
/// through `fapi_core::jws::verify`, for each algorithm (F2-ALG).
#[test]
fn f2_alg_jws_signed_in_hsm_verifies_in_core() {
    let Some(hsm) = hsm() else { return };
    let pool = hsm.pool();
    for alg in Alg::ALL {
        let info = keys::generate(&pool, KeySpec::for_alg(*alg), &unique("jws")).unwrap();
        let signer =
            HsmSigner::new(Arc::clone(&pool), &KeyRef::Label(info.label.clone()), *alg).unwrap();
        let payload = br#"{"iss":"https://as.example","sub":"alice","exp":1900000000}"#;
        let header = HeaderParams::typed("at+jwt").with_kid(signer.key_id());
        let mut out = [0u8; 4096];
        let n = jws::sign(&signer, &header, payload, &mut out).unwrap();
        let compact = &out[..n];
        let verifier = BothVerifier(info.public.clone());
        let mut buf = [0u8; 4096];
        let verified = jws::verify(
            compact,
            &Policy::new(&[*alg]).with_typ("at+jwt"),
            &verifier,
            &mut buf,
        )
        .unwrap();
        assert_eq!(verified.payload, payload);
        assert_eq!(verified.header.alg, *alg);
        assert_eq!(verified.header.kid, Some(info.kid.as_str()));
        // One flipped signature character: refused with the core's error.
        let mut bad = compact.to_vec();
        let last = bad.len() - 2;
        bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            jws::verify(&bad, &Policy::new(&[*alg]), &verifier, &mut [0u8; 4096]).unwrap_err(),
            fapi_core::Error::BadSignature
        );
    }
}

/// Generated keys are token objects, sensitive and not extractable.
#[test]
fn generated_keys_never_leave_the_token() {
    let Some(hsm) = hsm() else { return };
    let pool = hsm.pool();
    for spec in [KeySpec::P256, KeySpec::Ed25519, KeySpec::Rsa(2048)] {
        let info = keys::generate(&pool, spec, &unique("attrs")).unwrap();
        let lease = pool.lease().unwrap();
        let handle =
            fapi_pkcs11::key::find_private(lease.session(), &KeyRef::Id(info.id.clone())).unwrap();
        let attrs = lease
            .session()
            .get_attributes(
                handle,
                &[
                    AttributeType::Token,
                    AttributeType::Sensitive,
                    AttributeType::Extractable,
                    AttributeType::Private,
                ],
            )
            .unwrap();
        for a in attrs {
            match a {
                Attribute::Token(v) | Attribute::Sensitive(v) | Attribute::Private(v) => assert!(v),
                Attribute::Extractable(v) => assert!(!v),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}

/// The JWKS lists every signing key with its RFC 7638 kid; rotation adds a
/// key with a new kid and keeps the old one until it is destroyed; a signer
/// whose key was destroyed gets `KeyNotFound`.
#[test]
fn jwks_rotation_and_destroy() {
    let Some(hsm) = hsm() else { return };
    let pool = hsm.pool();
    let old = keys::generate(&pool, KeySpec::P256, &unique("rot-old")).unwrap();
    let signer =
        HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(old.id.clone()), Alg::Es256).unwrap();
    let new = keys::rotate(&pool, &old, &unique("rot-new")).unwrap();
    assert_ne!(old.kid, new.kid);
    assert_eq!(new.alg(), Alg::Es256);

    let mut out = vec![0u8; 256 * 1024];
    let n = keys::write_jwks(&pool, &mut out).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out[..n]).unwrap();
    let kids: Vec<&str> = json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(kids.contains(&old.kid.as_str()) && kids.contains(&new.kid.as_str()));
    for k in json["keys"].as_array().unwrap() {
        let text = serde_json::to_vec(k).unwrap();
        let jwk = fapi_core::PublicJwk::from_json(&text).unwrap();
        // kid is the RFC 7638 thumbprint of the published key.
        assert!(jwk.thumbprint().matches_b64(jwk.kid.unwrap()));
        assert!(k.get("d").is_none());
    }

    keys::destroy(&pool, &old.id).unwrap();
    let n = keys::write_jwks(&pool, &mut out).unwrap();
    let text = core::str::from_utf8(&out[..n]).unwrap();
    assert!(!text.contains(&old.kid) && text.contains(&new.kid));
    assert_eq!(
        keys::destroy(&pool, &old.id),
        Err(fapi_pkcs11::Error::KeyNotFound)
    );
    let mut sig = [0u8; 64];
    assert_eq!(
        signer.sign(b"m", &mut sig),
        Err(fapi_core::Error::KeyNotFound)
    );
    let listed = keys::list(&pool).unwrap();
    assert!(
        listed
            .iter()
            .any(|k| k.key.as_ref().is_ok_and(|i| i.kid == new.kid))
    );
    assert!(!listed.iter().any(|k| k.id == old.id));
}

/// The pool's Debug output never shows the PIN.
#[test]
fn pin_not_in_debug_output() {
    let Some(hsm) = hsm() else { return };
    let pool = hsm.pool();
    let text = format!("{pool:?} {:?}", pool.token());
    assert!(!text.contains(&hsm.pin), "PIN printed");
    assert!(text.contains("redacted"));
}
