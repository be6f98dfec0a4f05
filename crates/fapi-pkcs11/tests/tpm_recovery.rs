//! Session loss on the TPM: the software TPM is stopped under a pool that
//! is signing, and started again on the same state.
//!
//! While the TPM is down every signature is a typed error (never a panic,
//! never a signature). tpm2-pkcs11 keeps one connection to the TPM from
//! `C_Initialize` and does not open another, so after the TPM is back the
//! module answers with typed errors until it is initialised again; once
//! `C_Finalize` is called (by the operator, or by whatever takes a failed
//! module out and retries it later), the pool sees
//! `CKR_CRYPTOKI_NOT_INITIALIZED`, initialises the module, reopens its
//! sessions, logs in, finds the key again by `CKA_ID` and signs, with the
//! same key.
//!
//! Stops the TPM of `tpm-setup.sh` (and starts it again): its own process.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use core::time::Duration;
use std::sync::Arc;

use fapi_core::{Alg, Signer};
use fapi_pkcs11::{HsmSigner, KeyRef, PoolConfig};

use common::{Hsm, Swtpm, tpm, verify_rustcrypto};

/// A signature, or the typed error: never a panic, never a signature that
/// does not verify under the key.
fn sign(signer: &HsmSigner, message: &[u8]) -> Result<(), fapi_core::Error> {
    let mut sig = [0u8; 64];
    let n = signer.sign(message, &mut sig)?;
    assert!(
        verify_rustcrypto(&signer.info().public, message, &sig[..n]),
        "a wrong signature"
    );
    Ok(())
}

fn signer(tpm: &Hsm) -> HsmSigner {
    let pool = tpm.pool_with(PoolConfig {
        max_sessions: 3,
        wait: Duration::from_secs(2),
    });
    let label = std::env::var("FAPI_TPM_ES256_KEY").unwrap();
    HsmSigner::new(pool, &KeyRef::Label(label), Alg::Es256).unwrap()
}

#[test]
fn tpm_stopped_and_started_again_typed_errors_then_recovers() {
    let Some(tpm) = tpm() else { return };
    let Some(swtpm) = Swtpm::from_env() else {
        panic!(
            "FAPI_TPM_DIR, FAPI_TPM_PORT, FAPI_TPM_CTRL_PORT or FAPI_TPM_SWTPM unset (tpm-setup.sh)"
        );
    };
    let signer = Arc::new(signer(&tpm));
    // Warm: every session of the pool open, the key loaded.
    std::thread::scope(|s| {
        for t in 0..3u8 {
            let signer = Arc::clone(&signer);
            let _ = s.spawn(move || sign(&signer, &[t; 32]).unwrap());
        }
    });

    swtpm.stop();
    for i in 0..5u8 {
        let err = sign(&signer, &[i; 10]).unwrap_err();
        assert_eq!(err, fapi_core::Error::SigningFailed);
    }
    let crate_err = signer.sign_vec(b"down").unwrap_err();
    eprintln!("TPM down: {crate_err}");
    assert!(crate_err.rv().is_some(), "{crate_err:?}");

    swtpm.start();
    let mut after_restart = Vec::new();
    for i in 0..5u8 {
        match sign(&signer, &[i; 11]) {
            Ok(()) => after_restart.push("signed".to_owned()),
            Err(e) => {
                assert_eq!(e, fapi_core::Error::SigningFailed);
                after_restart.push(
                    signer
                        .sign_vec(b"x")
                        .map_or_else(|e| e.to_string(), |_| "signed".into()),
                );
            }
        }
    }
    eprintln!("TPM back, module not re-initialised: {after_restart:?}");

    // The module is finalised; the pool initialises it again and recovers.
    signer.pool().token().context().clone().finalize().unwrap();
    for i in 0..10u8 {
        sign(&signer, &[i; 12]).unwrap();
    }
    // From several threads at once, too.
    std::thread::scope(|s| {
        for t in 0..3u8 {
            let signer = Arc::clone(&signer);
            let _ = s.spawn(move || {
                for i in 0..5u8 {
                    sign(&signer, &[t, i]).unwrap();
                }
            });
        }
    });
    assert!(signer.pool().generation() >= 1);
}
