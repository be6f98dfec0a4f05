//! Two threads verifying DPoP proofs at the token endpoint through one
//! `Issuer` and its sharded replay cache: 2 x 100,000 proofs with unique
//! `jti`s give no false replay, every replayed `jti` is caught, and of two
//! threads racing on the same proof exactly one wins.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::{Arc, Barrier};

use fapi::{Client, Issuer, KeySet, SigningKey};
use fapi_core::{Alg, Error, FixedClock, profile::Profile};

const AS: &str = "https://as.bank.example";
const PER_THREAD: usize = 100_000;
const RACES: usize = 5_000;
const NOW: u64 = 1_900_000_000;

fn client(id: &str) -> Client {
    Client::builder(Profile::FAPI2, id, AS)
        .dpop_key(SigningKey::generate(Alg::Es256).unwrap())
        .clock(Arc::new(FixedClock(NOW)))
        .build()
        .unwrap()
}

fn proofs(client: &Client, n: usize, uri: &str) -> Vec<String> {
    (0..n)
        .map(|_| client.dpop_proof("POST", uri, None).unwrap())
        .collect()
}

fn block_on<F: core::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

/// F2-SENDER: DPoP proofs at the token endpoint, 2 threads x 100,000.
#[test]
fn f2_sender_two_threads_no_false_replay_every_replay_caught() {
    let issuer = Arc::new(
        Issuer::builder(
            Profile::FAPI2,
            AS,
            KeySet::new(SigningKey::generate(Alg::Es256).unwrap()),
        )
        .clock(Arc::new(FixedClock(NOW)))
        .build()
        .unwrap(),
    );
    let uri = issuer.token_endpoint().to_owned();
    // Each thread makes its own client's proofs (unique jtis).
    let makers: Vec<_> = ["fintech-a", "fintech-b"]
        .into_iter()
        .map(|id| {
            let uri = uri.clone();
            std::thread::spawn(move || Arc::new(proofs(&client(id), PER_THREAD, &uri)))
        })
        .collect();
    let sets: Vec<Arc<Vec<String>>> = makers.into_iter().map(|t| t.join().unwrap()).collect();
    let barrier = Arc::new(Barrier::new(2));
    let run = |mine: usize| {
        let (issuer, barrier, uri) = (Arc::clone(&issuer), Arc::clone(&barrier), uri.clone());
        let (own, other) = (Arc::clone(&sets[mine]), Arc::clone(&sets[1 - mine]));
        std::thread::spawn(move || {
            block_on(async {
                let _ = barrier.wait();
                // Phase 1: every unique proof passes; no false replay.
                for p in own.iter() {
                    let _ = issuer.verify_dpop(p, "POST", &uri).await.unwrap();
                }
                let _ = barrier.wait();
                // Phase 2: the other thread's proofs, all spent: each is a replay.
                let mut caught = 0;
                for p in other.iter() {
                    let e = issuer.verify_dpop(p, "POST", &uri).await.unwrap_err();
                    assert_eq!(e.core(), Error::Replay);
                    assert_eq!(e.oauth_error().as_str(), "invalid_dpop_proof");
                    caught += 1;
                }
                caught
            })
        })
    };
    let (a, b) = (run(0), run(1));
    assert_eq!(a.join().unwrap(), PER_THREAD);
    assert_eq!(b.join().unwrap(), PER_THREAD);
}

/// Two threads verify the same fresh proofs at the same moment: exactly
/// one wins each race, the other is told Replay.
#[test]
fn f2_sender_racing_on_one_proof_exactly_one_wins() {
    let issuer = Arc::new(
        Issuer::builder(
            Profile::FAPI2,
            AS,
            KeySet::new(SigningKey::generate(Alg::Es256).unwrap()),
        )
        .clock(Arc::new(FixedClock(NOW)))
        .build()
        .unwrap(),
    );
    let uri = issuer.token_endpoint().to_owned();
    let shared = Arc::new(proofs(&client("fintech-r"), RACES, &uri));
    let barrier = Arc::new(Barrier::new(2));
    let run = || {
        let (issuer, barrier, uri, shared) = (
            Arc::clone(&issuer),
            Arc::clone(&barrier),
            uri.clone(),
            Arc::clone(&shared),
        );
        std::thread::spawn(move || {
            block_on(async {
                let mut wins = Vec::with_capacity(RACES);
                for p in shared.iter() {
                    let _ = barrier.wait();
                    let r = issuer.verify_dpop(p, "POST", &uri).await;
                    assert!(r.as_ref().is_ok() || r.as_ref().unwrap_err().core() == Error::Replay);
                    wins.push(r.is_ok());
                }
                wins
            })
        })
    };
    let (a, b) = (run(), run());
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    for i in 0..RACES {
        assert!(a[i] ^ b[i], "race {i}: exactly one verification wins");
    }
}
