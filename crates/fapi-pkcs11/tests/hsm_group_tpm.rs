//! An HA signing group across two different modules: SoftHSM2 and the TPM
//! (swtpm with tpm2-pkcs11) holding the same P-256 key, imported from one
//! PKCS#8 file with `softhsm2-util --import` and `tpm2_ptool import`.
//!
//! The two members sign with different mechanisms (SoftHSM2 lists no
//! `CKM_ECDSA_SHA256`, so `CKM_ECDSA` over a host digest; the TPM
//! `CKM_ECDSA_SHA256`), under one `kid`.
//!
//! Two threads issue access tokens through the group, each verified by
//! RustCrypto and aws-lc-rs, while swtpm is stopped and started again: no
//! issuance fails. The TPM member goes out when swtpm stops, and the group
//! signs on SoftHSM2. tpm2-pkcs11 keeps the connection it opened at
//! `C_Initialize` and never opens another, so it recovers only once the
//! module is finalised: the TPM member is marked
//! `restart_module_when_probed` (the module serves it alone), so each probe
//! finalises the module and the member's pool initialises it again. While
//! swtpm is down those probes fail; the first probe after swtpm is back
//! reopens the sessions, logs in, finds the key by `CKA_ID` and signs: the
//! member is back in with no call from outside. Nothing logs out after the
//! TPM restart (tpm2-pkcs11 1.9 may abort on `C_Logout` then).
//!
//! Needs both tokens (`softhsm-setup.sh` and `tpm-setup.sh`); skipped with
//! a line without them, a failure under `CI=true`. Stops the TPM of
//! `tpm-setup.sh` and starts it again: its own process.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use fapi_core::mtls::CertThumbprint;
use fapi_core::profile::Profile;
use fapi_core::token::{self, AccessTokenParams, Confirmation, Expectations, Presented};
use fapi_core::{Alg, FixedClock};
use fapi_pkcs11::{GroupConfig, GroupMember, HsmGroup, HsmSigner, KeyRef, PoolConfig};

use common::{BothVerifier, Hsm, Swtpm, hsm, tpm, unique};

/// swtpm started again when the test fails with it stopped, for the TPM
/// tests after it.
struct Restart<'a>(&'a Swtpm);

impl Drop for Restart<'_> {
    fn drop(&mut self) {
        if !self.0.listening() {
            self.0.start();
        }
    }
}

/// The P-256 key both modules import (PKCS#8 PEM).
const KEY_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../bindings/rust/testdata/pkcs8-p256.pem"
);

/// Runs `cmd`; panics with its output when it fails.
fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The key of [`KEY_FILE`] in SoftHSM2's test token as `label`, `CKA_ID`
/// `id`.
fn import_softhsm(soft: &Hsm, label: &str, id: &str) {
    run(
        Command::new("softhsm2-util")
            .args([
                "--import",
                KEY_FILE,
                "--token",
                &soft.token,
                "--label",
                label,
            ])
            .args(["--id", id, "--pin", &soft.pin]),
        "softhsm2-util --import",
    );
}

/// The key of [`KEY_FILE`] in the TPM token as `label`, `CKA_ID` `id`:
/// `tpm2_ptool import`, run (as `tpm-setup.sh` runs `tpm2_ptool`) with the
/// tpm2-tools wrappers that flush the transient objects each command
/// leaves.
fn import_tpm(tpm: &Hsm, label: &str, id: &str) {
    let dir = PathBuf::from(std::env::var_os("FAPI_TPM_DIR").unwrap());
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let store = std::env::var("TPM2_PKCS11_STORE").unwrap();
    run(
        Command::new("tpm2_ptool")
            .env("PATH", path)
            .arg("import")
            .arg(format!("--label={}", tpm.token))
            .arg(format!("--key-label={label}"))
            .arg(format!("--id={id}"))
            .arg(format!("--userpin={}", tpm.pin))
            .arg(format!("--privkey={KEY_FILE}"))
            .args(["--algorithm=ecc", "--path", &store]),
        "tpm2_ptool import",
    );
}

const CERT: &[u8] = include_bytes!("../../fapi-core/testdata/client-cert.der");

/// An access token signed by the group and verified (RustCrypto and
/// aws-lc-rs) under its public key; `n` names the issuance in a failure.
fn issue_and_verify(group: &HsmGroup, n: u64) {
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
    .unwrap_or_else(|e| panic!("issuance {n} failed: {e}; {:?}", group.health()));
    let key = BothVerifier(group.info().public.clone());
    let mut buf = [0u8; 4096];
    let expect = Expectations::new("https://as.bank.example", "https://rs.bank.example");
    let claims = token::verify(
        &out[..len],
        &Profile::FAPI2,
        &expect,
        &key,
        &FixedClock(1_900_000_010),
        &Presented::certificate(CERT),
        &mut buf,
    )
    .unwrap_or_else(|e| panic!("issuance {n} does not verify: {e}"));
    assert_eq!(claims.subject, "alice");
}

/// Waits (at most 30 s) for `cond` on the group's health.
fn wait_for(group: &HsmGroup, what: &str, cond: impl Fn(&HsmGroup) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond(group) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            group.health()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn group_of_softhsm_and_tpm_keeps_issuing_while_swtpm_is_stopped_and_started() {
    let Some(soft) = hsm() else { return };
    let Some(tpm) = tpm() else { return };
    let Some(swtpm) = Swtpm::from_env() else {
        panic!(
            "FAPI_TPM_DIR, FAPI_TPM_PORT, FAPI_TPM_CTRL_PORT or FAPI_TPM_SWTPM unset (tpm-setup.sh)"
        );
    };
    let label = unique("ha-tpm");
    // A CKA_ID of this run (hex), as the label.
    let id: String = label
        .bytes()
        .rev()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    import_softhsm(&soft, &label, &id);
    import_tpm(&tpm, &label, &id);
    let key = KeyRef::Label(label.clone());
    let soft_signer = HsmSigner::new(soft.pool(), &key, Alg::Es256).unwrap();
    let tpm_signer = HsmSigner::new(
        tpm.pool_with(PoolConfig {
            max_sessions: 2,
            wait: Duration::from_secs(5),
        }),
        &key,
        Alg::Es256,
    )
    .unwrap();
    // One key, two mechanisms.
    assert_eq!(soft_signer.info().public, tpm_signer.info().public);
    eprintln!(
        "SoftHSM2 signs with {}, the TPM with {}",
        soft_signer.mechanism(),
        tpm_signer.mechanism()
    );
    assert_ne!(soft_signer.mechanism(), tpm_signer.mechanism());
    let group = Arc::new(
        HsmGroup::new(
            vec![
                GroupMember::new(format!("token {} (SoftHSM2)", soft.token), soft_signer),
                GroupMember::new(format!("token {} (TPM)", tpm.token), tpm_signer)
                    .restart_module_when_probed(),
            ],
            GroupConfig {
                backoff_min: Duration::from_millis(300),
                backoff_max: Duration::from_secs(1),
            },
        )
        .unwrap(),
    );

    let stop = Arc::new(AtomicBool::new(false));
    let issued = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (group, stop, issued) =
                (Arc::clone(&group), Arc::clone(&stop), Arc::clone(&issued));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let n = issued.fetch_add(1, Ordering::Relaxed);
                    issue_and_verify(&group, n);
                }
            })
        })
        .collect();
    // The threads panic on a failed issuance: stop at once when one did.
    let check_threads = || {
        assert!(
            threads.iter().all(|t| !t.is_finished()),
            "an issuance failed (see the panic above)"
        );
    };
    wait_for(&group, "both members to sign", |g| {
        g.health().iter().all(|m| m.signatures >= 5)
    });
    check_threads();

    // The TPM goes away: its member goes out, SoftHSM2 signs everything.
    let restart = Restart(&swtpm);
    swtpm.stop();
    wait_for(&group, "the TPM member out", |g| !g.health()[1].is_in);
    let out = group.health();
    eprintln!("TPM stopped: {out:?}");
    std::thread::sleep(Duration::from_millis(1500));
    check_threads();
    let during = group.health();
    assert!(!during[1].is_in && during[0].is_in, "{during:?}");
    assert!(during[0].signatures > out[0].signatures + 10, "{during:?}");

    // Probes while the TPM is down: the module finalised, initialised
    // again, and the call failed.
    let probed = during[1].failures;
    wait_for(&group, "two probes of the stopped TPM", |g| {
        g.health()[1].failures >= probed + 2
    });
    check_threads();
    assert!(!group.health()[1].is_in);

    // The TPM is back: the next probe restarts the module and signs.
    swtpm.start();
    drop(restart);
    wait_for(&group, "the TPM member back in", |g| g.health()[1].is_in);
    let back = group.health();
    std::thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("no issuance failed");
    }
    let after = group.health();
    eprintln!(
        "issued {} access tokens, none failed; {after:?}",
        issued.load(Ordering::Relaxed)
    );
    assert!(after.iter().all(|m| m.is_in), "{after:?}");
    assert!(
        after[1].signatures > back[1].signatures,
        "the TPM signs again: {after:?}"
    );
    assert!(after[0].signatures > back[0].signatures, "{after:?}");
}
