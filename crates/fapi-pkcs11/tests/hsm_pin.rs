//! The PIN: a wrong one is refused with its typed error, and the PIN is
//! read from the environment or a file.
//!
//! One test in its own process: PKCS#11 login state is shared by every
//! session of an application, so a wrong PIN is only checked while nobody
//! else in the process is logged in.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use fapi_pkcs11::{Error, Pin, PoolConfig, SessionPool};

use common::hsm;

#[test]
fn wrong_pin_refused_then_env_and_file_pins_work() {
    let Some(hsm) = hsm() else { return };
    let wrong = SessionPool::new(
        hsm.token(),
        Pin::new("not-the-pin-000"),
        PoolConfig::default(),
    );
    let err = wrong.unwrap_err();
    assert_eq!(err, Error::WrongPin);
    assert!(!err.to_string().contains("not-the-pin"));
    assert_eq!(fapi_core::Error::from(err), fapi_core::Error::SigningFailed);

    let from_env = Pin::from_env("FAPI_PKCS11_PIN").unwrap();
    assert!(!format!("{from_env:?}{from_env}").contains(&hsm.pin));
    let pool = SessionPool::new(hsm.token(), from_env, PoolConfig::default()).unwrap();
    assert!(!format!("{pool:?}").contains(&hsm.pin));
    drop(pool);

    let path = std::env::temp_dir().join(format!("fapi-pkcs11-pin-{}", std::process::id()));
    std::fs::write(&path, format!("{}\n", hsm.pin)).unwrap();
    let from_file = Pin::from_file(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    drop(SessionPool::new(hsm.token(), from_file, PoolConfig::default()).unwrap());
}
