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

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
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
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(5));

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

criterion_group!(benches, bench_pool);
criterion_main!(benches);
