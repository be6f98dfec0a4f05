//! The HA signing group on SoftHSM2: one P-256 key imported into the two
//! group tokens of `softhsm-setup.sh` (`FAPI_PKCS11_HA_TOKENS`).
//!
//! Taking a member down: SoftHSM2 keeps each token in a directory of its
//! token directory, and its calls fail once that directory is gone (the
//! key's object file cannot be read, `C_SignInit` answers
//! `CKR_OBJECT_HANDLE_INVALID`, and a fresh search finds nothing). Root
//! reads a `chmod 000` directory, so the tests rename it. SoftHSM2 then
//! holds the token invalid until the module is initialised again, so each
//! member the tests take down is its own instance of the module (a copy of
//! the library, which the loader maps apart) and bringing it back is:
//! the directory back, and that instance finalised, which the member's
//! pool answers by initialising it again (`CKR_CRYPTOKI_NOT_INITIALIZED`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod group_common;

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use fapi_core::mtls::CertThumbprint;
use fapi_core::profile::Profile;
use fapi_core::token::{self, AccessTokenParams, Confirmation, Expectations, Presented};
use fapi_core::{Alg, FixedClock, Signer};
use fapi_pkcs11::{
    Error, GroupConfig, GroupMember, HsmGroup, HsmSigner, KeyRef, Pin, PoolConfig, SessionPool,
    Token,
};

use common::{BothVerifier, Hsm, assert_verifies, hsm, unique};
use group_common::{TokenAway, ha_tokens, import_p256, p256_secret};

/// The group tokens, or `None` when the setup script did not make them
/// (loud; a failure under `CI=true`).
fn group_tokens() -> Option<(String, String)> {
    match ha_tokens() {
        Some(t) => Some((t[0].clone(), t[1].clone())),
        None => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true and FAPI_PKCS11_HA_TOKENS is not set: source softhsm-setup.sh");
            }
            eprintln!(
                "\n*** SKIPPED: FAPI_PKCS11_HA_TOKENS not set; source softhsm-setup.sh ***\n"
            );
            None
        }
    }
}

/// A private copy of the module: the loader maps it as a module instance
/// of its own, initialised and finalised apart from the others. The file
/// is removed when dropped (the mapped library stays loaded).
struct ModuleCopy(PathBuf);

impl ModuleCopy {
    fn new(hsm: &Hsm, name: &str) -> Self {
        let dir = std::env::temp_dir().join(unique("fapi-ha-module"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("libsofthsm2-{name}.so"));
        let _ = std::fs::copy(&hsm.module, &path).unwrap();
        Self(path)
    }
}

impl Drop for ModuleCopy {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn pool_on(hsm: &Hsm, module: &Path, label: &str) -> Arc<SessionPool> {
    let token = Token::open(module, label).unwrap();
    let config = PoolConfig {
        max_sessions: 4,
        wait: Duration::from_secs(5),
    };
    Arc::new(SessionPool::new(token, Pin::new(&hsm.pin), config).unwrap())
}

fn member(pool: &Arc<SessionPool>, id: &[u8], name: &str) -> GroupMember {
    let signer = HsmSigner::new(Arc::clone(pool), &KeyRef::Id(id.to_vec()), Alg::Es256).unwrap();
    GroupMember::new(name, signer)
}

/// The same new key in both group tokens, each through `modules`.
fn shared_key(
    hsm: &Hsm,
    modules: [&Path; 2],
) -> (Vec<u8>, [Arc<SessionPool>; 2], fapi_pkcs11::KeyInfo) {
    let (a, b) = group_tokens().unwrap();
    let secret = p256_secret();
    let id = unique("ha").into_bytes();
    let label = unique("ha-key");
    let pa = pool_on(hsm, modules[0], &a);
    let pb = pool_on(hsm, modules[1], &b);
    let ia = import_p256(&pa, &secret, &id, &label);
    let ib = import_p256(&pb, &secret, &id, &label);
    assert_eq!(ia.public, ib.public);
    (id, [pa, pb], ia)
}

const CERT: &[u8] = include_bytes!("../../fapi-core/testdata/client-cert.der");

fn config() -> GroupConfig {
    GroupConfig {
        backoff_min: Duration::from_millis(50),
        backoff_max: Duration::from_millis(400),
    }
}

fn issue(group: &HsmGroup, n: u64) -> Vec<u8> {
    // `n` names the issuance in a failure.
    let params = AccessTokenParams {
        issuer: "https://as.bank.example",
        subject: "alice",
        audience: "https://rs.bank.example",
        client_id: "fintech-1",
        scope: Some("accounts"),
        issued_at: 1_900_000_000,
        lifetime: 300,
        confirmation: Some(Confirmation::X5tS256(CertThumbprint::of_der(CERT))),
        consent_id: None,
    };
    let mut out = [0u8; 4096];
    let len = token::issue(
        &Profile::FAPI2,
        &params,
        group,
        &fapi_awslc::SystemRandom::new(),
        &mut out,
    )
    .unwrap_or_else(|e| panic!("issuance {n} failed: {e}"));
    out[..len].to_vec()
}

fn verify_token(at: &[u8], group: &HsmGroup) {
    let key = BothVerifier(group.info().public.clone());
    let mut buf = [0u8; 4096];
    let expect = Expectations::new("https://as.bank.example", "https://rs.bank.example");
    let claims = token::verify(
        at,
        &Profile::FAPI2,
        &expect,
        &key,
        &FixedClock(1_900_000_010),
        &Presented::certificate(CERT),
        &mut buf,
    )
    .unwrap();
    assert_eq!(claims.subject, "alice");
}

/// Both members sign, from two threads; every signature verifies with
/// RustCrypto and aws-lc-rs under the one public key and `kid`.
#[test]
fn group_spreads_signatures_over_both_members() {
    let Some(hsm) = hsm() else { return };
    if group_tokens().is_none() {
        return;
    }
    let (id, [pa, pb], info) = shared_key(&hsm, [&hsm.module, &hsm.module]);
    let group = Arc::new(
        HsmGroup::new(vec![member(&pa, &id, "a"), member(&pb, &id, "b")], config()).unwrap(),
    );
    assert_eq!(group.key_id(), info.kid);
    assert_eq!(group.alg(), Alg::Es256);
    let threads: Vec<_> = (0..2u8)
        .map(|t| {
            let group = Arc::clone(&group);
            let public = info.public.clone();
            std::thread::spawn(move || {
                for i in 0..40u8 {
                    let msg = [t, i, 7, 7];
                    let mut sig = [0u8; 64];
                    let n = group.sign(&msg, &mut sig).unwrap();
                    assert_verifies(&public, &msg, &sig[..n]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let health = group.health();
    assert_eq!(group.members_in(), 2);
    assert!(
        health
            .iter()
            .all(|m| m.signatures >= 10 && m.failures == 0 && m.is_in),
        "{health:?}"
    );
    assert_eq!(health.iter().map(|m| m.signatures).sum::<u64>(), 80);
}

/// A member that holds another key under the same id is refused when the
/// group is opened, naming both members and both `kid`s.
#[test]
fn member_with_another_key_is_refused() {
    let Some(hsm) = hsm() else { return };
    let Some((a, b)) = group_tokens() else { return };
    let id = unique("ha-mismatch").into_bytes();
    let pa = pool_on(&hsm, &hsm.module, &a);
    let pb = pool_on(&hsm, &hsm.module, &b);
    let ia = import_p256(&pa, &p256_secret(), &id, "mismatch");
    let ib = import_p256(&pb, &p256_secret(), &id, "mismatch");
    let err = HsmGroup::new(
        vec![member(&pa, &id, "hsm-a"), member(&pb, &id, "hsm-b")],
        config(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::GroupKeyMismatch {
            expected_member: "hsm-a".into(),
            expected_kid: ia.kid.clone(),
            member: "hsm-b".into(),
            kid: ib.kid.clone(),
        }
    );
    let text = err.to_string();
    assert!(
        text.contains("hsm-a")
            && text.contains("hsm-b")
            && text.contains(&ia.kid)
            && text.contains(&ib.kid),
        "{text}"
    );
    assert_eq!(fapi_core::Error::from(err), fapi_core::Error::InvalidKey);
    assert_eq!(
        HsmGroup::new(Vec::new(), config()).unwrap_err(),
        Error::GroupEmpty
    );
}

/// A refusal of the request (RFC 9421's `rsa-pss-sha512` with a P-256
/// key) is returned at once, not retried, and takes no member out.
#[test]
fn refused_request_is_not_retried() {
    let Some(hsm) = hsm() else { return };
    if group_tokens().is_none() {
        return;
    }
    let (id, [pa, pb], _) = shared_key(&hsm, [&hsm.module, &hsm.module]);
    let group =
        HsmGroup::new(vec![member(&pa, &id, "a"), member(&pb, &id, "b")], config()).unwrap();
    let mut sig = [0u8; 512];
    assert_eq!(
        group.sign_rsa_pss_sha512(b"m", &mut sig),
        Err(fapi_core::Error::UnsupportedAlg)
    );
    assert_eq!(
        group.sign_rsa_pss_sha512_vec(b"m"),
        Err(Error::WrongKeyType)
    );
    let mut short = [0u8; 10];
    assert_eq!(
        group.sign(b"m", &mut short),
        Err(fapi_core::Error::BufferTooSmall)
    );
    let health = group.health();
    assert!(
        health.iter().all(|m| m.is_in && m.failures == 0),
        "{health:?}"
    );
}

/// With every member down, the error says so and carries each member's
/// last error; a member that is down is out, the other keeps signing.
#[test]
fn every_member_out_names_each_member() {
    let Some(hsm) = hsm() else { return };
    let Some((a, b)) = group_tokens() else { return };
    let (ma, mb) = (ModuleCopy::new(&hsm, "a"), ModuleCopy::new(&hsm, "b"));
    let (id, [pa, pb], info) = shared_key(&hsm, [&ma.0, &mb.0]);
    // A first wait long enough to tell a probe from no probe.
    let backoff = GroupConfig {
        backoff_min: Duration::from_millis(1500),
        backoff_max: Duration::from_secs(60),
    };
    let group = HsmGroup::new(
        vec![member(&pa, &id, "hsm-a"), member(&pb, &id, "hsm-b")],
        backoff,
    )
    .unwrap();
    let away_a = TokenAway::take(&a);
    for i in 0..6u8 {
        let sig = group.sign_vec(&[i]).unwrap();
        assert_verifies(&info.public, &[i], &sig);
    }
    let health = group.health();
    assert!(!health[0].is_in && health[0].failures == 1, "{health:?}");
    assert!(health[1].is_in && health[1].signatures >= 6, "{health:?}");
    assert_eq!(group.members_in(), 1);
    // While its wait runs, the member that is out is not called.
    let went_out = Instant::now();
    for i in 0..20u8 {
        let _ = group.sign_vec(&[i]).unwrap();
    }
    if went_out.elapsed() < backoff.backoff_min {
        assert_eq!(group.health()[0].failures, 1, "{:?}", group.health());
    }
    // After it, one call probes it (and fails: still out, a longer wait).
    std::thread::sleep(backoff.backoff_min);
    let _ = group.sign_vec(b"probe").unwrap();
    let health = group.health();
    assert!(!health[0].is_in && health[0].failures == 2, "{health:?}");
    assert!(health[0].out_for >= backoff.backoff_min, "{health:?}");
    // Every member down: the member whose wait runs is tried too, as a
    // last resort, before the error.
    let away_b = TokenAway::take(&b);
    let err = group.sign_vec(b"m").unwrap_err();
    drop((away_a, away_b));
    assert_eq!(group.health()[0].failures, 3, "{:?}", group.health());
    let Error::GroupUnavailable(members) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(members.len(), 2);
    assert_eq!(members[0].0, "hsm-a");
    assert_eq!(members[1].0, "hsm-b");
    assert!(
        members.iter().all(|(_, e)| e.is_member_fault()),
        "{members:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("hsm-a: ") && text.contains("hsm-b: "),
        "{text}"
    );
    assert_eq!(fapi_core::Error::from(err), fapi_core::Error::SigningFailed);
    assert_eq!(group.members_in(), 0);
}

/// The kill test: two threads issue access tokens through the group for a
/// few seconds while member `a` is taken down and brought back. No
/// issuance fails; `a` goes out and comes back in, and both members sign
/// before and after.
#[test]
fn no_issuance_fails_while_a_member_is_killed_and_brought_back() {
    let Some(hsm) = hsm() else { return };
    let Some((a, _)) = group_tokens() else { return };
    let (ma, mb) = (ModuleCopy::new(&hsm, "a"), ModuleCopy::new(&hsm, "b"));
    let (id, [pa, pb], _) = shared_key(&hsm, [&ma.0, &mb.0]);
    let group = Arc::new(
        HsmGroup::new(
            vec![member(&pa, &id, "hsm-a"), member(&pb, &id, "hsm-b")],
            config(),
        )
        .unwrap(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let issued = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..2u64)
        .map(|t| {
            let (group, stop, issued) =
                (Arc::clone(&group), Arc::clone(&stop), Arc::clone(&issued));
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let at = issue(&group, t * 1_000_000 + n);
                    if n.is_multiple_of(16) {
                        verify_token(&at, &group);
                    }
                    n += 1;
                    let _ = issued.fetch_add(1, Ordering::Relaxed);
                }
                n
            })
        })
        .collect();
    let wait_for = |what: &str, cond: &dyn Fn(&HsmGroup) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !cond(&group) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:?}",
                group.health()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    std::thread::sleep(Duration::from_millis(800));
    let before = group.health();
    assert!(
        before.iter().all(|m| m.is_in && m.signatures > 0),
        "{before:?}"
    );

    // Kill: a's token directory goes away.
    let away = TokenAway::take(&a);
    wait_for("a out", &|g| !g.health()[0].is_in);
    std::thread::sleep(Duration::from_millis(800));
    let during = group.health();
    assert!(!during[0].is_in && during[0].failures >= 1, "{during:?}");
    assert!(during[0].last_error.is_some(), "{during:?}");
    assert!(
        during[1].is_in && during[1].signatures > before[1].signatures,
        "{during:?}"
    );

    // Bring back: the directory back and a's module instance restarted.
    drop(away);
    pa.token().context().clone().finalize().unwrap();
    wait_for("a back in", &|g| g.health()[0].is_in);
    let back = group.health();
    std::thread::sleep(Duration::from_millis(800));
    stop.store(true, Ordering::Relaxed);
    let per_thread: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let after = group.health();
    assert!(after.iter().all(|m| m.is_in), "{after:?}");
    assert!(
        after[0].signatures > back[0].signatures,
        "a signs again: {after:?}"
    );
    assert!(
        after[1].signatures > back[1].signatures,
        "b still signs: {after:?}"
    );
    let total: u64 = after.iter().map(|m| m.signatures).sum();
    assert_eq!(total, issued.load(Ordering::Relaxed));
    eprintln!("issued {per_thread:?}; health {after:?}");
}
