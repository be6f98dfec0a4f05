//! The second PKCS#11 module: a TPM 2.0 (swtpm with tpm2-pkcs11, see
//! `tpm-setup.sh`). ES256 and PS256 keys generated on it through
//! `C_GenerateKeyPair` and made by `tpm2_ptool`, signatures and access
//! tokens made with them and verified by RustCrypto, aws-lc-rs and fapi's
//! two software backends.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use cryptoki::mechanism::MechanismType;
use fapi_awslc::AWSLC;
use fapi_core::crypto::{KeyVerifier, MAX_SIGNATURE_LEN};
use fapi_core::mtls::CertThumbprint;
use fapi_core::profile::Profile;
use fapi_core::token::{self, AccessTokenParams, Confirmation, Expectations, Presented};
use fapi_core::{Alg, Error, FixedClock, PublicKeyVerifier, Random, Signer};
use fapi_pkcs11::{HsmSigner, KeyInfo, KeyRef, KeySpec, keys};
use fapi_rustcrypto::RUSTCRYPTO;

use common::{assert_verifies, tpm, unique, verify_awslc, verify_rustcrypto};

const MESSAGES: &[&[u8]] = &[
    b"",
    b"eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9",
    &[0xa5; 1500],
];

/// Counter-based bytes for `jti`s: the token's randomness is not under
/// test here, its signature is.
struct Counter(core::sync::atomic::AtomicU8);

impl Random for Counter {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        for b in dest {
            *b = self.0.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }
}

fn signs_and_verifies(signer: &HsmSigner, info: &KeyInfo, alg: Alg) {
    assert_eq!(signer.alg(), alg);
    assert_eq!(signer.key_id(), info.kid);
    for message in MESSAGES {
        let mut sig = [0u8; MAX_SIGNATURE_LEN];
        let n = signer.sign(message, &mut sig).unwrap();
        let sig = &sig[..n];
        assert_eq!(n, if alg == Alg::Ps256 { 256 } else { 64 });
        // RustCrypto and aws-lc-rs directly (PS256: salt exactly 32).
        assert_verifies(&info.public, message, sig);
        // fapi's two software backends.
        let backends: [(&str, &dyn PublicKeyVerifier); 2] =
            [("rustcrypto", &RUSTCRYPTO), ("awslc", &AWSLC)];
        for (name, backend) in backends {
            assert_eq!(
                backend.verify_with(&info.public, alg, message, sig),
                Ok(()),
                "{alg} TPM signature through {name}"
            );
        }
        let mut other = message.to_vec();
        other.push(0);
        assert!(!verify_rustcrypto(&info.public, &other, sig));
        assert!(!verify_awslc(&info.public, &other, sig));
    }
}

/// ES256 (P-256) and PS256 (RSA 2048) keys generated on the TPM through
/// `C_GenerateKeyPair`: sensitive, not extractable, and their signatures
/// verify with both independent stacks and both fapi backends.
#[test]
fn tpm_keys_generated_through_pkcs11_sign_es256_and_ps256() {
    let Some(tpm) = tpm() else { return };
    let pool = tpm.pool();
    for alg in [Alg::Es256, Alg::Ps256] {
        tpm.unload_keys(&pool);
        let info = keys::generate(&pool, KeySpec::for_alg(alg), &unique(alg.name())).unwrap();
        assert_eq!(info.alg(), alg);
        let signer = HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(info.id.clone()), alg).unwrap();
        eprintln!("TPM {alg}: {}", signer.mechanism());
        signs_and_verifies(&signer, &info, alg);
        let lease = pool.lease().unwrap();
        let handle =
            fapi_pkcs11::key::find_private(lease.session(), &KeyRef::Id(info.id.clone())).unwrap();
        let attrs = lease
            .session()
            .get_attributes(
                handle,
                &[
                    cryptoki::object::AttributeType::Sensitive,
                    cryptoki::object::AttributeType::Extractable,
                ],
            )
            .unwrap();
        assert_eq!(
            attrs,
            vec![
                cryptoki::object::Attribute::Sensitive(true),
                cryptoki::object::Attribute::Extractable(false)
            ]
        );
    }
}

/// The keys `tpm2_ptool addkey` made in the setup sign through fapi too
/// (found by label, F2-ALG checked like any other key).
#[test]
fn tpm_ptool_keys_sign_es256_and_ps256() {
    let Some(tpm) = tpm() else { return };
    let pool = tpm.pool();
    for (alg, var) in [
        (Alg::Es256, "FAPI_TPM_ES256_KEY"),
        (Alg::Ps256, "FAPI_TPM_PS256_KEY"),
    ] {
        let label = std::env::var(var).unwrap_or_else(|_| panic!("{var} (tpm-setup.sh)"));
        let signer = HsmSigner::new(Arc::clone(&pool), &KeyRef::Label(label), alg).unwrap();
        let info = signer.info().clone();
        signs_and_verifies(&signer, &info, alg);
    }
}

/// F2-SENDER: an access token signed on the TPM (ES256, then PS256),
/// bound to a client certificate, verifies through the core's
/// resource-server checks with either software backend; without the
/// certificate it is refused.
#[test]
fn f2_sender_tpm_access_token_verifies_with_software_backends() {
    let Some(tpm) = tpm() else { return };
    let pool = tpm.pool();
    let cert = include_bytes!("../../fapi-core/testdata/client-cert.der");
    let profile = Profile::FAPI2;
    for alg in [Alg::Es256, Alg::Ps256] {
        tpm.unload_keys(&pool);
        let info = keys::generate(&pool, KeySpec::for_alg(alg), &unique("at")).unwrap();
        let signer = HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(info.id.clone()), alg).unwrap();
        let now = 1_900_000_000;
        let params = AccessTokenParams {
            issuer: "https://as.bank.example",
            subject: "alice",
            audience: "https://rs.bank.example",
            client_id: "fintech-1",
            scope: Some("accounts"),
            issued_at: now,
            lifetime: 300,
            confirmation: Some(Confirmation::X5tS256(CertThumbprint::of_der(cert))),
            consent_id: None,
        };
        let mut out = [0u8; 4096];
        let n = token::issue(&profile, &params, &signer, &Counter(0.into()), &mut out).unwrap();
        let at = &out[..n];
        let expect = Expectations::new("https://as.bank.example", "https://rs.bank.example");
        let verifiers: [(&str, &dyn PublicKeyVerifier); 2] =
            [("rustcrypto", &RUSTCRYPTO), ("awslc", &AWSLC)];
        for (name, backend) in verifiers {
            let key = KeyVerifier::new(backend, info.public.clone());
            let mut buf = [0u8; 4096];
            let claims = token::verify(
                at,
                &profile,
                &expect,
                &key,
                &FixedClock(now + 10),
                &Presented::certificate(cert),
                &mut buf,
            )
            .unwrap_or_else(|e| panic!("{alg} through {name}: {e}"));
            assert_eq!(claims.subject, "alice");
            assert!(claims.has_scope("accounts"));
            assert_eq!(
                token::verify(
                    at,
                    &profile,
                    &expect,
                    &key,
                    &FixedClock(now + 10),
                    &Presented::default(),
                    &mut buf,
                )
                .unwrap_err(),
                Error::CertificateMismatch,
                "{alg} without the certificate"
            );
        }
    }
}

/// The TPM does not do EdDSA: tpm2-pkcs11 lists no CKM_EDDSA and cannot
/// generate an Ed25519 key; the refusal is a typed error, never a key.
#[test]
fn tpm_without_eddsa_refuses_ed25519_keys() {
    let Some(tpm) = tpm() else { return };
    let pool = tpm.pool();
    assert!(!pool.token().supports(MechanismType::EDDSA));
    let err = keys::generate(&pool, KeySpec::Ed25519, &unique("ed")).unwrap_err();
    eprintln!("Ed25519 on the TPM: {err}");
    assert!(err.rv().is_some(), "{err:?}");
}

/// `rsa-pss-sha512` of HTTP message signatures (RFC 9421 §3.3.1) on the
/// TPM: tpm2-pkcs11 lists CKM_SHA512_RSA_PKCS_PSS, and the TPM's salt (the
/// hash length, 64) is the one RFC 9421 asks for; both fapi backends
/// verify it, and it is not a PS256 signature.
#[test]
fn rfc9421_3_3_1_rsa_pss_sha512_on_the_tpm_verifies_with_both_backends() {
    let Some(tpm) = tpm() else { return };
    let pool = tpm.pool();
    let label = std::env::var("FAPI_TPM_PS256_KEY").unwrap();
    let signer = HsmSigner::new(Arc::clone(&pool), &KeyRef::Label(label), Alg::Ps256).unwrap();
    if !pool.token().supports(MechanismType::SHA512_RSA_PKCS_PSS) {
        assert!(matches!(
            signer.sign_rsa_pss_sha512_vec(b"m"),
            Err(fapi_pkcs11::Error::UnsupportedMechanism(_))
        ));
        eprintln!("the TPM token lists no CKM_SHA512_RSA_PKCS_PSS: refused as unsupported");
        return;
    }
    let fapi_core::PublicKey::Rsa(key) = &signer.info().public else {
        panic!("not RSA")
    };
    for message in MESSAGES {
        let mut sig = [0u8; MAX_SIGNATURE_LEN];
        let n = signer.sign_rsa_pss_sha512(message, &mut sig).unwrap();
        let sig = &sig[..n];
        assert_eq!(RUSTCRYPTO.verify_rsa_pss_sha512(key, message, sig), Ok(()));
        assert_eq!(AWSLC.verify_rsa_pss_sha512(key, message, sig), Ok(()));
        assert!(!verify_rustcrypto(&signer.info().public, message, sig));
    }
}
