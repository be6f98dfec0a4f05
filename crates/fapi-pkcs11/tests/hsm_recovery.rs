//! Sessions lost under the pool: logged out, closed by finalising the
//! module, the token re-initialised. Each ends in a verified signature or a
//! typed error, never in a wrong signature.
//!
//! These tests finalise the module, which closes every session of the
//! process: they run in their own test binary, one at a time.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex, MutexGuard};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use fapi_core::{Alg, Signer};
use fapi_pkcs11::{
    Error, HsmSigner, KeyInfo, KeyRef, KeySpec, Pin, PoolConfig, SessionPool, Token, keys,
};

use common::{Hsm, assert_verifies, hsm, unique, verify_rustcrypto};

fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn init(ctx: &Pkcs11) {
    ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .unwrap();
}

fn signer_on(hsm: &Hsm, label: &str, alg: Alg) -> (Arc<SessionPool>, HsmSigner, KeyInfo) {
    let token = Token::open(&hsm.module, label).unwrap();
    let config = PoolConfig {
        max_sessions: 3,
        ..PoolConfig::default()
    };
    let pool = Arc::new(SessionPool::new(token, Pin::new(&hsm.pin), config).unwrap());
    let info = keys::generate(&pool, KeySpec::for_alg(alg), &unique("recover")).unwrap();
    let signer = HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(info.id.clone()), alg).unwrap();
    (pool, signer, info)
}

/// Fills the pool with idle sessions so that every one of them goes stale.
fn warm(signer: &HsmSigner, info: &KeyInfo) {
    let pool = signer.pool();
    let leases: Vec<_> = (0..pool.config().max_sessions)
        .map(|_| pool.lease().unwrap())
        .collect();
    drop(leases);
    sign_ok(signer, info, b"warm");
}

fn sign_ok(signer: &HsmSigner, info: &KeyInfo, message: &[u8]) {
    let mut sig = [0u8; 512];
    let n = signer.sign(message, &mut sig).unwrap();
    assert_verifies(&info.public, message, &sig[..n]);
}

/// CKR_USER_NOT_LOGGED_IN: another session of the process logs out; the
/// next signature logs in again and verifies.
#[test]
fn logged_out_behind_the_pool_recovers() {
    let _serial = serial();
    let Some(hsm) = hsm() else { return };
    let (pool, signer, info) = signer_on(&hsm, &hsm.token, Alg::EdDsa);
    warm(&signer, &info);
    let side = pool
        .token()
        .context()
        .open_ro_session(pool.token().slot())
        .unwrap();
    side.logout().unwrap();
    for i in 0..10u8 {
        sign_ok(&signer, &info, &[i; 40]);
    }
    assert!(pool.generation() >= 1);
}

/// Every session is closed under the pool (C_Finalize), the module is
/// initialised again by someone else, who opens and logs in a session of
/// their own that may reuse a stale handle number. The next signatures
/// recover with valid signatures, and the other session is left alone.
#[test]
fn sessions_closed_under_the_pool_recover() {
    closed_under_the_pool(false);
}

/// The same, with the per-signature key handle check on.
#[test]
fn sessions_closed_under_the_pool_recover_with_handle_check() {
    closed_under_the_pool(true);
}

fn closed_under_the_pool(check: bool) {
    let _serial = serial();
    let Some(hsm) = hsm() else { return };
    let (pool, signer, info) = signer_on(&hsm, &hsm.token, Alg::Es256);
    let signer = signer.with_handle_check(check);
    warm(&signer, &info);
    let ctx = pool.token().context().clone();
    ctx.clone().finalize().unwrap();
    init(&ctx);
    let slot = Token::with_context(ctx.clone(), &hsm.token).unwrap().slot();
    let theirs = ctx.open_rw_session(slot).unwrap();
    theirs
        .login(UserType::User, Some(&AuthPin::from(hsm.pin.as_str())))
        .unwrap();
    for i in 0..20u8 {
        sign_ok(&signer, &info, &[i; 33]);
    }
    // Their session is still open and logged in: the pool never closed it.
    let state = theirs.get_session_info().unwrap().session_state();
    assert_eq!(format!("{state:?}"), "RwUser", "{state:?}");
}

/// The module is finalised and nobody initialises it again: the pool does
/// (CKR_CRYPTOKI_NOT_INITIALIZED), reopens, logs in and signs.
#[test]
fn module_finalised_under_the_pool_recovers() {
    let _serial = serial();
    let Some(hsm) = hsm() else { return };
    let (pool, signer, info) = signer_on(&hsm, &hsm.token, Alg::Ps256);
    warm(&signer, &info);
    pool.token().context().clone().finalize().unwrap();
    for i in 0..5u8 {
        sign_ok(&signer, &info, &[i; 7]);
    }
}

/// The token is re-initialised while the pool uses it: its keys are gone.
/// Signing ends in a typed error (`KeyNotFound`), never a signature.
#[test]
fn token_reinitialised_in_process_is_typed_error() {
    let _serial = serial();
    let Some(hsm) = hsm() else { return };
    let (pool, signer, info) = signer_on(&hsm, &hsm.reinit_token, Alg::Es256);
    warm(&signer, &info);
    let ctx = pool.token().context().clone();
    let slot = pool.token().slot();
    // C_InitToken needs every session of the token closed.
    ctx.clone().finalize().unwrap();
    init(&ctx);
    let so = AuthPin::from(hsm.so_pin.as_str());
    ctx.init_token(slot, &so, &hsm.reinit_token).unwrap();
    {
        let s = ctx.open_rw_session(slot).unwrap();
        s.login(UserType::So, Some(&so)).unwrap();
        s.init_pin(&AuthPin::from(hsm.pin.as_str())).unwrap();
        s.logout().unwrap();
    }
    let mut sig = [0u8; 64];
    for _ in 0..3 {
        match signer.sign(b"after re-init", &mut sig) {
            Err(e) => assert_eq!(e, fapi_core::Error::KeyNotFound),
            Ok(n) => panic!("signed with a key the token no longer has ({n} bytes)"),
        }
    }
    assert_eq!(signer.sign_vec(b"x").unwrap_err(), Error::KeyNotFound);
    // A key made on the new token signs again through the same pool.
    let fresh = keys::generate(&pool, KeySpec::P256, &unique("fresh")).unwrap();
    let signer =
        HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(fresh.id.clone()), Alg::Es256).unwrap();
    sign_ok(&signer, &fresh, b"fresh");
}

/// The token is re-initialised by another process (softhsm2-util) while the
/// pool uses it. Every result is a typed error or a signature that
/// verifies under the original key: never a wrong signature.
#[test]
fn token_reinitialised_by_another_process_never_wrong_signature() {
    let _serial = serial();
    let Some(hsm) = hsm() else { return };
    let Ok(util) = which_softhsm2_util() else {
        eprintln!("*** SKIPPED: softhsm2-util not found ***");
        return;
    };
    let (_pool, signer, info) = signer_on(&hsm, &hsm.reinit_token, Alg::EdDsa);
    warm(&signer, &info);
    let status = std::process::Command::new(util)
        .args([
            "--init-token",
            "--token",
            &hsm.reinit_token,
            "--label",
            &hsm.reinit_token,
        ])
        .args(["--pin", &hsm.pin, "--so-pin", &hsm.so_pin])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let (mut ok, mut refused) = (0, 0);
    for i in 0..20u8 {
        let message = [i; 20];
        let mut sig = [0u8; 64];
        match signer.sign(&message, &mut sig) {
            Ok(n) => {
                assert!(
                    verify_rustcrypto(&info.public, &message, &sig[..n]),
                    "a wrong signature"
                );
                ok += 1;
            }
            Err(e) => {
                assert!(
                    matches!(
                        e,
                        fapi_core::Error::KeyNotFound | fapi_core::Error::SigningFailed
                    ),
                    "{e:?}"
                );
                refused += 1;
            }
        }
    }
    eprintln!(
        "after an external re-initialisation: {ok} verified signatures, {refused} typed errors"
    );
}

fn which_softhsm2_util() -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("softhsm2-util"))
        .find(|p| p.exists())
        .ok_or(())
}
