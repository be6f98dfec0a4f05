//! Pooled signing against a bare cryptoki `C_Sign` loop (one session per
//! thread), at 1 and 2 threads, for ES256, EdDSA and PS256 on SoftHSM2.
//!
//! Each iteration signs a fixed batch split across the threads; criterion
//! reports signatures per second. Needs the token of `tests/softhsm-setup.sh`:
//!
//! ```text
//! . crates/fapi-pkcs11/tests/softhsm-setup.sh
//! cargo bench -p fapi-pkcs11 --bench pool
//! ```
#![allow(
    missing_docs,
    unused_results,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::hint::black_box;
use core::time::Duration;
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::session::Session;
use fapi_core::{Alg, Signer};
use fapi_pkcs11::{HsmSigner, KeyRef, KeySpec, Pin, PoolConfig, SessionPool, Token, keys};
use sha2::{Digest, Sha256};

fn batch(alg: Alg) -> usize {
    match alg {
        Alg::Es256 | Alg::EdDsa => 64,
        Alg::Ps256 => 16,
    }
}

/// One bare signature, the same work the pool does minus the pool: a
/// software SHA-256 digest and CKM_ECDSA for ES256, the PSS mechanism for
/// PS256, CKM_EDDSA for EdDSA.
fn bare_sign(
    session: &Session,
    key: cryptoki::object::ObjectHandle,
    alg: Alg,
    message: &[u8],
) -> Vec<u8> {
    match alg {
        Alg::Es256 => session
            .sign(&Mechanism::Ecdsa, key, &Sha256::digest(message))
            .unwrap(),
        Alg::Ps256 => {
            let params = PkcsPssParams {
                hash_alg: MechanismType::SHA256,
                mgf: PkcsMgfType::MGF1_SHA256,
                s_len: 32u64.into(),
            };
            session
                .sign(&Mechanism::Sha256RsaPkcsPss(params), key, message)
                .unwrap()
        }
        Alg::EdDsa => {
            let params = EddsaParams::new(EddsaSignatureScheme::Pure);
            session
                .sign(&Mechanism::Eddsa(params), key, message)
                .unwrap()
        }
    }
}

fn bench_pool(c: &mut Criterion) {
    let (Ok(label), Ok(pin)) = (
        std::env::var("FAPI_PKCS11_TOKEN"),
        std::env::var("FAPI_PKCS11_PIN"),
    ) else {
        eprintln!(
            "*** SKIPPED: no SoftHSM2 token; source crates/fapi-pkcs11/tests/softhsm-setup.sh ***"
        );
        return;
    };
    let token = Token::open_from_env(&label).unwrap();
    let pool = Arc::new(
        SessionPool::new(
            token.clone(),
            Pin::new(&pin),
            PoolConfig {
                max_sessions: 4,
                ..PoolConfig::default()
            },
        )
        .unwrap(),
    );
    let message = b"eyJhbGciOiJFUzI1NiIsImtpZCI6ImJlbmNoIn0.eyJpc3MiOiJodHRwczovL2FzLmV4YW1wbGUifQ";

    for alg in [Alg::Es256, Alg::EdDsa, Alg::Ps256] {
        let label = format!("bench-{}-{}", alg.name(), std::process::id());
        let info = keys::generate(&pool, KeySpec::for_alg(alg), &label).unwrap();
        let signer = HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(info.id.clone()), alg).unwrap();
        let n = batch(alg);
        let mut group = c.benchmark_group(format!("pkcs11-{}", alg.name()));
        group.throughput(Throughput::Elements(n as u64));
        group.sample_size(15);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(4));

        for threads in [1usize, 2] {
            group.bench_function(format!("pool/{threads}t"), |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        std::thread::scope(|s| {
                            for _ in 0..threads {
                                let _ = s.spawn(|| {
                                    let mut sig = [0u8; 512];
                                    for _ in 0..n / threads {
                                        let _ = black_box(signer.sign(message, &mut sig).unwrap());
                                    }
                                });
                            }
                        });
                    }
                    start.elapsed()
                });
            });

            if threads == 1 {
                let checked = HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(info.id.clone()), alg)
                    .unwrap()
                    .with_handle_check(true);
                group.bench_function("pool+handle-check/1t", |b| {
                    b.iter_custom(|iters| {
                        let start = Instant::now();
                        let mut sig = [0u8; 512];
                        for _ in 0..iters {
                            for _ in 0..n {
                                let _ = black_box(checked.sign(message, &mut sig).unwrap());
                            }
                        }
                        start.elapsed()
                    });
                });
            }

            // One session per thread, opened once and logged in through the
            // application's shared login; the key handle found once.
            let mut sessions: Vec<Session> = (0..threads)
                .map(|_| token.context().open_rw_session(token.slot()).unwrap())
                .collect();
            for s in &sessions {
                pool.login(s).unwrap();
            }
            let key =
                fapi_pkcs11::key::find_private(&sessions[0], &KeyRef::Id(info.id.clone())).unwrap();
            group.bench_function(format!("bare/{threads}t"), |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        std::thread::scope(|s| {
                            for session in sessions.iter_mut() {
                                let session: &mut Session = session;
                                let _ = s.spawn(move || {
                                    for _ in 0..n / threads {
                                        let _ = black_box(bare_sign(session, key, alg, message));
                                    }
                                });
                            }
                        });
                    }
                    start.elapsed()
                });
            });
            drop(sessions);
        }
        group.finish();
        keys::destroy(&pool, &info.id).unwrap();
    }
}

/// Pool and bare batches measured in alternation, so that a shared
/// machine's changing load hits both alike; prints the median ratios.
fn interleaved() {
    let (Ok(label), Ok(pin)) = (
        std::env::var("FAPI_PKCS11_TOKEN"),
        std::env::var("FAPI_PKCS11_PIN"),
    ) else {
        return;
    };
    let rounds: usize = std::env::var("FAPI_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(21);
    let token = Token::open_from_env(&label).unwrap();
    let pool = Arc::new(
        SessionPool::new(
            token.clone(),
            Pin::new(&pin),
            PoolConfig {
                max_sessions: 4,
                ..PoolConfig::default()
            },
        )
        .unwrap(),
    );
    let message = b"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL2FzLmV4YW1wbGUifQ";
    println!(
        "\ninterleaved A/B ({rounds} rounds; median signatures/s; ratio = median of per-round pool/bare)"
    );
    println!("| alg | threads | pool sig/s | bare sig/s | pool/bare |");
    println!("|---|---|---|---|---|");
    let mut scaling = Vec::new();
    for alg in [Alg::Es256, Alg::EdDsa, Alg::Ps256] {
        let info = keys::generate(
            &pool,
            KeySpec::for_alg(alg),
            &format!("ab-{}-{}", alg.name(), std::process::id()),
        )
        .unwrap();
        let signer = HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(info.id.clone()), alg).unwrap();
        let n = batch(alg) * 4;
        let mut medians = Vec::new();
        for threads in [1usize, 2] {
            let mut sessions: Vec<Session> = (0..threads)
                .map(|_| token.context().open_rw_session(token.slot()).unwrap())
                .collect();
            for s in &sessions {
                pool.login(s).unwrap();
            }
            let key =
                fapi_pkcs11::key::find_private(&sessions[0], &KeyRef::Id(info.id.clone())).unwrap();
            let run_pool = || {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for _ in 0..threads {
                        let _ = s.spawn(|| {
                            let mut sig = [0u8; 512];
                            for _ in 0..n / threads {
                                let _ = black_box(signer.sign(message, &mut sig).unwrap());
                            }
                        });
                    }
                });
                start.elapsed().as_secs_f64()
            };
            let run_bare = |sessions: &mut Vec<Session>| {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for session in sessions.iter_mut() {
                        let session: &mut Session = session;
                        let _ = s.spawn(move || {
                            for _ in 0..n / threads {
                                let _ = black_box(bare_sign(session, key, alg, message));
                            }
                        });
                    }
                });
                start.elapsed().as_secs_f64()
            };
            let (mut p, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
            for round in 0..rounds {
                let (tp, tb) = if round % 2 == 0 {
                    let tp = run_pool();
                    (tp, run_bare(&mut sessions))
                } else {
                    let tb = run_bare(&mut sessions);
                    (run_pool(), tb)
                };
                p.push(n as f64 / tp);
                b.push(n as f64 / tb);
                r.push(tb / tp);
            }
            let median = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            let (mp, mb, mr) = (median(&mut p), median(&mut b), median(&mut r));
            println!(
                "| {} | {threads} | {mp:.0} | {mb:.0} | {mr:.3} |",
                alg.name()
            );
            medians.push((mp, mb));
            drop(sessions);
        }
        scaling.push((
            alg,
            medians[1].0 / medians[0].0,
            medians[1].1 / medians[0].1,
        ));
        keys::destroy(&pool, &info.id).unwrap();
    }
    println!("\n| alg | pool 2t/1t | bare 2t/1t |");
    println!("|---|---|---|");
    for (alg, pool_ratio, bare_ratio) in scaling {
        println!("| {} | {pool_ratio:.2} | {bare_ratio:.2} |", alg.name());
    }
}

criterion_group!(benches, bench_pool);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    interleaved();
}
