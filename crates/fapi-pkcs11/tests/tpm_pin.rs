//! The PIN on the TPM token: a wrong one is refused with its typed error
//! (tpm2-pkcs11 checks it by unsealing the token's wrapping key, so the
//! TPM's dictionary-attack counter counts it: `tpm-setup.sh` relaxes the
//! lockout for the test TPM), and the right one, from the environment or a
//! file, logs in afterwards.
//!
//! One test in its own process: login state is shared by every session of
//! an application, so a wrong PIN is only checked while nobody else in the
//! process is logged in.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use fapi_core::{Alg, Signer};
use fapi_pkcs11::{Error, HsmSigner, KeyRef, Pin, PoolConfig, SessionPool};

use common::{assert_verifies, tpm};

#[test]
fn tpm_wrong_pin_refused_then_env_and_file_pins_work() {
    let Some(tpm) = tpm() else { return };
    for wrong in ["not-the-pin-000", "x"] {
        let err =
            SessionPool::new(tpm.token(), Pin::new(wrong), PoolConfig::default()).unwrap_err();
        assert_eq!(err, Error::WrongPin, "{err:?}");
        assert!(!err.to_string().contains(wrong));
        assert_eq!(fapi_core::Error::from(err), fapi_core::Error::SigningFailed);
    }

    let from_env = Pin::from_env("FAPI_TPM_PIN").unwrap();
    assert!(!format!("{from_env:?}{from_env}").contains(&tpm.pin));
    let pool = Arc::new(SessionPool::new(tpm.token(), from_env, PoolConfig::default()).unwrap());
    assert!(!format!("{pool:?}").contains(&tpm.pin));
    let label = std::env::var("FAPI_TPM_ES256_KEY").unwrap();
    let signer = HsmSigner::new(Arc::clone(&pool), &KeyRef::Label(label), Alg::Es256).unwrap();
    let mut sig = [0u8; 64];
    let n = signer.sign(b"after a wrong PIN", &mut sig).unwrap();
    assert_verifies(&signer.info().public, b"after a wrong PIN", &sig[..n]);
    drop(signer);
    tpm.unload_keys(&pool);
    drop(pool);

    let path = std::env::temp_dir().join(format!("fapi-tpm-pin-{}", std::process::id()));
    std::fs::write(&path, format!("{}\n", tpm.pin)).unwrap();
    let from_file = Pin::from_file(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    drop(SessionPool::new(tpm.token(), from_file, PoolConfig::default()).unwrap());
}
