//! Load: 2 threads × 2,000 signatures through one pool, every signature
//! verified independently.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use fapi_core::{Alg, Signer};
use fapi_pkcs11::{HsmSigner, KeyRef, KeySpec, keys};

use common::{hsm, unique, verify_awslc};

const THREADS: usize = 2;
const PER_THREAD: usize = 2_000;

fn load(alg: Alg) {
    let Some(hsm) = hsm() else { return };
    let pool = hsm.pool();
    let info = keys::generate(&pool, KeySpec::for_alg(alg), &unique("load")).unwrap();
    let signer =
        Arc::new(HsmSigner::new(Arc::clone(&pool), &KeyRef::Id(info.id.clone()), alg).unwrap());
    let start = std::time::Instant::now();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let signer = Arc::clone(&signer);
            let public = info.public.clone();
            std::thread::spawn(move || {
                let mut sig = [0u8; 64];
                for i in 0..PER_THREAD {
                    let message = format!("thread {t} message {i}");
                    let n = signer.sign(message.as_bytes(), &mut sig).unwrap();
                    assert!(
                        verify_awslc(&public, message.as_bytes(), &sig[..n]),
                        "t{t} i{i}"
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    eprintln!(
        "{alg}: {} signatures in {:?} through the pool, all verified",
        THREADS * PER_THREAD,
        start.elapsed()
    );
    assert!(pool.lease().is_ok());
}

#[test]
fn es256_two_threads_two_thousand_each() {
    load(Alg::Es256);
}

#[test]
fn eddsa_two_threads_two_thousand_each() {
    load(Alg::EdDsa);
}
