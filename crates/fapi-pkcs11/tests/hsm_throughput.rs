//! HSM signatures per second with 1, 2 and 4 sessions on each module
//! (SoftHSM2 and the TPM), ES256: N threads sign through one pool of N
//! sessions for a fixed time; one signature in 64 is verified. Ignored by `cargo test`; run it by hand (the rows are in
//! `benches/RESULTS.md`):
//!
//! ```text
//! . crates/fapi-pkcs11/tests/softhsm-setup.sh
//! . crates/fapi-pkcs11/tests/tpm-setup.sh
//! FAPI_BENCH_SECONDS=3 FAPI_BENCH_ROUNDS=3 cargo test -p fapi-pkcs11 --test hsm_throughput -- --ignored --nocapture --test-threads 1
//! ```
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;
use std::sync::Arc;
use std::time::Instant;

use fapi_core::{Alg, Signer};
use fapi_pkcs11::{HsmSigner, KeyRef, KeySpec, PoolConfig, keys};

use common::{Hsm, hsm, tpm, unique, verify_awslc};

const MESSAGE: &[u8] =
    b"eyJhbGciOiJFUzI1NiIsImtpZCI6ImJlbmNoIn0.eyJpc3MiOiJodHRwczovL2FzLmV4YW1wbGUifQ";

fn seconds() -> f64 {
    std::env::var("FAPI_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0)
}

/// Signatures per second with `sessions` threads on a pool of `sessions`.
fn rate(hsm: &Hsm, key: &KeyRef, sessions: usize, run: Duration) -> (f64, String) {
    let pool = hsm.pool_with(PoolConfig {
        max_sessions: sessions,
        wait: Duration::from_secs(10),
    });
    let signer = Arc::new(HsmSigner::new(Arc::clone(&pool), key, Alg::Es256).unwrap());
    let mechanism = signer.mechanism().to_string();
    let public = signer.info().public.clone();
    // Warm: every session open and the key loaded.
    std::thread::scope(|s| {
        for _ in 0..sessions {
            let _ = s.spawn(|| signer.sign_vec(MESSAGE).unwrap());
        }
    });
    let stop = AtomicBool::new(false);
    let count = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..sessions {
            let _ = s.spawn(|| {
                let mut sig = [0u8; 64];
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let len = signer.sign(MESSAGE, &mut sig).unwrap();
                    // One signature in 64 is verified (aws-lc-rs): a few
                    // percent of the thread's time, the same on each module.
                    if n.is_multiple_of(64) {
                        assert!(verify_awslc(&public, MESSAGE, &sig[..len]));
                    }
                    n += 1;
                }
                let _ = count.fetch_add(n, Ordering::Relaxed);
            });
        }
        std::thread::sleep(run);
        stop.store(true, Ordering::Relaxed);
    });
    let elapsed = start.elapsed().as_secs_f64();
    (count.load(Ordering::Relaxed) as f64 / elapsed, mechanism)
}

/// `FAPI_BENCH_ROUNDS` rounds (default 3) of 1, 2 and 4 sessions in turn,
/// so that the shared machine's changing load hits each alike; the median
/// and the range of each row.
fn rows(hsm: &Hsm, key: &KeyRef) {
    let run = Duration::from_secs_f64(seconds());
    let rounds: usize = std::env::var("FAPI_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let sessions = [1usize, 2, 4];
    let mut rates = vec![Vec::new(); sessions.len()];
    let mut mechanism = String::new();
    for _ in 0..rounds.max(1) {
        for (i, n) in sessions.iter().enumerate() {
            let (per_second, m) = rate(hsm, key, *n, run);
            rates[i].push(per_second);
            mechanism = m;
        }
    }
    for (i, n) in sessions.iter().enumerate() {
        let r = &mut rates[i];
        r.sort_by(f64::total_cmp);
        println!(
            "| {} | ES256 ({mechanism}) | {n} | {:.0} | {:.0}–{:.0} |",
            hsm.name,
            r[r.len() / 2],
            r[0],
            r[r.len() - 1]
        );
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[test]
#[ignore = "a measurement: run by hand, see the module documentation"]
fn hsm_es256_signatures_per_second_with_1_2_4_sessions() {
    println!(
        "\n{} s a measurement; load average before: {}; cores: {}",
        seconds(),
        loadavg(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!("| module | alg (mechanism) | sessions = threads | signatures/s (median) | range |");
    println!("|---|---|---|---|---|");
    if let Some(hsm) = hsm() {
        let pool = hsm.pool();
        let info = keys::generate(&pool, KeySpec::P256, &unique("throughput")).unwrap();
        drop(pool);
        rows(&hsm, &KeyRef::Id(info.id.clone()));
        keys::destroy(&hsm.pool(), &info.id).unwrap();
    }
    if let Some(tpm) = tpm() {
        let label = std::env::var("FAPI_TPM_ES256_KEY").unwrap();
        rows(&tpm, &KeyRef::Label(label));
    }
    println!("load average after: {}", loadavg());
}
