//! ES256 signatures per second: an HA signing group of two SoftHSM2 tokens
//! (`HsmGroup`) against one token (`HsmSigner`), at 2 and 4 threads.
//!
//! One P-256 key is imported into both group tokens of
//! `tests/softhsm-setup.sh` (`FAPI_PKCS11_HA_TOKENS`). Each round runs every
//! configuration for a fixed time, in an order that turns round each round,
//! so that all see the same background load; the figure is the median over
//! rounds. Prints the load average before and after.
//!
//! ```text
//! . crates/fapi-pkcs11/tests/softhsm-setup.sh
//! FAPI_BENCH_ROUNDS=7 cargo bench -p fapi-pkcs11 --bench group --profile dev
//! ```
#![allow(
    missing_docs,
    unused_results,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[path = "../tests/group_common/mod.rs"]
mod group_common;

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;
use std::sync::Arc;
use std::time::Instant;

use fapi_core::{Alg, Signer};
use fapi_pkcs11::{
    GroupConfig, GroupMember, HsmGroup, HsmSigner, KeyRef, Pin, PoolConfig, SessionPool, Token,
};

/// Signatures per second of `signer` from `threads` threads for `time`.
fn rate(signer: &Arc<dyn Signer + Send + Sync>, threads: usize, time: Duration) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (signer, stop, count) = (Arc::clone(signer), Arc::clone(&stop), Arc::clone(&count));
            std::thread::spawn(move || {
                let mut sig = [0u8; 64];
                let mut msg = [0u8; 200];
                msg[0] = u8::try_from(t).unwrap_or(0);
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    msg[1..9].copy_from_slice(&n.to_le_bytes());
                    signer.sign(&msg, &mut sig).unwrap();
                    n += 1;
                }
                count.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    std::thread::sleep(time);
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    let elapsed = start.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "a count of signatures")]
    let n = count.load(Ordering::Relaxed) as f64;
    n / elapsed
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let (Some(labels), Ok(pin)) = (group_common::ha_tokens(), std::env::var("FAPI_PKCS11_PIN"))
    else {
        eprintln!(
            "*** SKIPPED: no SoftHSM2 group tokens; source crates/fapi-pkcs11/tests/softhsm-setup.sh ***"
        );
        return;
    };
    // `cargo bench` passes `--bench`; anything else (a test run) skips.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rounds: usize = std::env::var("FAPI_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let module = fapi_pkcs11::token::module_path_from_env();
    let secret = group_common::p256_secret();
    let id = format!("bench-group-{}", std::process::id()).into_bytes();
    let pools: Vec<Arc<SessionPool>> = labels[..2]
        .iter()
        .map(|l| {
            let token = Token::open(&module, l).unwrap();
            Arc::new(SessionPool::new(token, Pin::new(&pin), PoolConfig::default()).unwrap())
        })
        .collect();
    for p in &pools {
        group_common::import_p256(p, &secret, &id, "bench-group");
    }
    let signer = |p: &Arc<SessionPool>| {
        HsmSigner::new(Arc::clone(p), &KeyRef::Id(id.clone()), Alg::Es256).unwrap()
    };
    let single: Arc<dyn Signer + Send + Sync> = Arc::new(signer(&pools[0]));
    let group = Arc::new(
        HsmGroup::new(
            vec![
                GroupMember::new(&labels[0], signer(&pools[0])),
                GroupMember::new(&labels[1], signer(&pools[1])),
            ],
            GroupConfig::default(),
        )
        .unwrap(),
    );
    let group_dyn: Arc<dyn Signer + Send + Sync> = Arc::clone(&group) as _;
    let time = Duration::from_millis(1500);
    println!(
        "sessions per token: {}; {rounds} rounds of {} ms per configuration",
        PoolConfig::default().max_sessions,
        time.as_millis()
    );
    println!("load average before: {}", loadavg());
    for threads in [2usize, 4] {
        let (mut one, mut two) = (Vec::new(), Vec::new());
        for r in 0..rounds {
            if r % 2 == 0 {
                one.push(rate(&single, threads, time));
                two.push(rate(&group_dyn, threads, time));
            } else {
                two.push(rate(&group_dyn, threads, time));
                one.push(rate(&single, threads, time));
            }
        }
        let ratios: Vec<String> = one
            .iter()
            .zip(&two)
            .map(|(a, b)| format!("{:.2}", b / a))
            .collect();
        let (m1, m2) = (median(&mut one), median(&mut two));
        println!(
            "ES256 {threads} threads: one token {m1:.0}/s, group of two {m2:.0}/s, group/one {:.2} (per round {})",
            m2 / m1,
            ratios.join(" ")
        );
    }
    let health = group.health();
    println!(
        "group members' signatures: {}",
        health
            .iter()
            .map(|m| format!("{} {} (failures {})", m.name, m.signatures, m.failures))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("load average after: {}", loadavg());
}
