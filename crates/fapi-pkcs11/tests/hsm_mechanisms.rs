//! Which mechanism each module signs with, and that every path verifies.
//!
//! The signer takes the first mechanism of its algorithm that the token
//! lists (`C_GetMechanismList`): hashing in the token when it can, else a
//! SHA-256 digest made on the host. SoftHSM2 2.6 lists no
//! `CKM_ECDSA_SHA256`, so its ES256 runs `CKM_ECDSA`; the TPM lists both.
//! Each mechanism a token lists for ES256 and PS256 is then forced with
//! `with_mechanism`, and its signatures checked by RustCrypto and aws-lc-rs.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use cryptoki::mechanism::MechanismType;
use fapi_core::{Alg, Signer};
use fapi_pkcs11::{Error, HsmSigner, KeyRef, KeySpec, keys};

use common::{Hsm, assert_verifies, hsm, tpm, unique};

fn candidates(alg: Alg) -> [MechanismType; 2] {
    match alg {
        Alg::Es256 => [MechanismType::ECDSA_SHA256, MechanismType::ECDSA],
        _ => [
            MechanismType::SHA256_RSA_PKCS_PSS,
            MechanismType::RSA_PKCS_PSS,
        ],
    }
}

/// Returns, per algorithm, the mechanism the signer picked.
fn every_listed_path_verifies(hsm: &Hsm) -> Vec<(Alg, MechanismType)> {
    let pool = hsm.pool();
    let mut picked = Vec::new();
    for alg in [Alg::Es256, Alg::Ps256] {
        hsm.unload_keys(&pool);
        let info = keys::generate(&pool, KeySpec::for_alg(alg), &unique("mech")).unwrap();
        let signer = HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(info.id.clone()), alg).unwrap();
        let listed: Vec<MechanismType> = candidates(alg)
            .into_iter()
            .filter(|m| pool.token().supports(*m))
            .collect();
        eprintln!(
            "{} {alg}: lists {:?}, signs with {}",
            hsm.name,
            listed.iter().map(ToString::to_string).collect::<Vec<_>>(),
            signer.mechanism()
        );
        // The general rule: the first one the token lists.
        assert_eq!(Some(&signer.mechanism()), listed.first(), "{}", hsm.name);
        picked.push((alg, signer.mechanism()));
        for mechanism in candidates(alg) {
            let forced = HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(info.id.clone()), alg)
                .unwrap()
                .with_mechanism(mechanism);
            if !listed.contains(&mechanism) {
                // A mechanism the token does not list: the typed error,
                // naming it.
                let err = forced.unwrap_err();
                assert!(
                    matches!(&err, Error::UnsupportedMechanism(m) if m.contains(&mechanism.to_string())),
                    "{err:?}"
                );
                continue;
            }
            let forced = forced.unwrap();
            assert_eq!(forced.mechanism(), mechanism);
            for message in [&b""[..], b"eyJhbGciOiJFUzI1NiJ9.e30", &[7u8; 999]] {
                let mut sig = [0u8; 512];
                let n = forced.sign(message, &mut sig).unwrap();
                assert_verifies(&info.public, message, &sig[..n]);
            }
        }
        // A mechanism of another algorithm is refused, naming both sides.
        let other = if alg == Alg::Es256 {
            MechanismType::RSA_PKCS_PSS
        } else {
            MechanismType::ECDSA
        };
        let err = signer.with_mechanism(other).unwrap_err();
        assert!(
            matches!(&err, Error::UnsupportedMechanism(m) if m.contains(&other.to_string()) && m.contains(alg.name())),
            "{err:?}"
        );
    }
    picked
}

/// SoftHSM2: ES256 over a host digest (`CKM_ECDSA`), PS256 in the token
/// (`CKM_SHA256_RSA_PKCS_PSS`); `CKM_RSA_PKCS_PSS` over a host digest
/// verifies too, and `CKM_ECDSA_SHA256` is refused as unlisted.
#[test]
fn softhsm2_mechanisms_picked_from_the_token_and_each_path_verifies() {
    let Some(hsm) = hsm() else { return };
    let picked = every_listed_path_verifies(&hsm);
    if !hsm.token().supports(MechanismType::ECDSA_SHA256) {
        assert_eq!(picked[0], (Alg::Es256, MechanismType::ECDSA));
    }
}

/// The TPM (tpm2-pkcs11): it lists `CKM_ECDSA_SHA256` and `CKM_ECDSA`,
/// `CKM_SHA256_RSA_PKCS_PSS` and `CKM_RSA_PKCS_PSS` (salt = hash length,
/// which is what PS256 needs); the signer hashes in the token, and the
/// host-digest paths verify too.
#[test]
fn tpm_mechanisms_picked_from_the_token_and_each_path_verifies() {
    let Some(tpm) = tpm() else { return };
    let picked = every_listed_path_verifies(&tpm);
    let token = tpm.token();
    let mut listed: Vec<String> = token
        .context()
        .get_mechanism_list(token.slot())
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    listed.sort();
    eprintln!("TPM C_GetMechanismList: {}", listed.join(" "));
    for (alg, m) in picked {
        eprintln!("TPM {alg} signs with {m}");
    }
}
