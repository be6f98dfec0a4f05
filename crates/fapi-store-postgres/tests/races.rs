//! F2-CODE-ONCE, CDR-CODE-ONCE, F2-SENDER across nodes: 64 concurrent
//! `take`s (or `replace`s) of one code, and 64 concurrent `record_once`s
//! of one `jti`,
//! from two separate connection pools (as two server nodes), give
//! exactly one success; 100 rounds each.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::sync::Arc;

use fapi::store::{HandleStore, ReplayStore, handle_key};
use fapi_core::Error;
use fapi_store_postgres::{Kind, PostgresHandleStore, PostgresOptions, PostgresReplayStore};
use support::{connect, issuer, now, pg_url};

const ROUNDS: u32 = 100;
const RACERS: usize = 64;

/// A deadline for a loaded test machine: these tests are about atomicity,
/// the deadline has tests of its own (contract.rs).
fn options() -> PostgresOptions {
    PostgresOptions::default().deadline(core::time::Duration::from_secs(10))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_cdr_code_once_64_takes_on_two_nodes_one_winner() {
    let Some(url) = pg_url("take_race") else {
        return;
    };
    let iss = issuer("take-race");
    // two nodes: two pools, each its own connections
    let nodes: [Arc<PostgresHandleStore<u32>>; 2] = [
        Arc::new(PostgresHandleStore::new(
            connect(&url, options()).await,
            &iss,
            Kind::Code,
        )),
        Arc::new(PostgresHandleStore::new(
            connect(&url, options()).await,
            &iss,
            Kind::Code,
        )),
    ];
    let t = now();
    for round in 0..ROUNDS {
        let key = handle_key(format!("code-{round}").as_bytes());
        nodes[0].insert(key, round, t + 60, t).await.unwrap();
        let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
        let tasks: Vec<_> = (0..RACERS)
            .map(|i| {
                let (node, barrier) = (Arc::clone(&nodes[i % 2]), Arc::clone(&barrier));
                tokio::spawn(async move {
                    let _ = barrier.wait().await;
                    node.take(&key, t + 1).await
                })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(v) => {
                    assert_eq!(v, round);
                    wins += 1;
                }
                Err(e) => assert_eq!(e, Error::TokenInactive, "round {round}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: exactly one take wins");
    }
}

/// F2-CODE-ONCE, RFC 6749 §4.1.2: 64 concurrent swaps of one code for
/// its tombstone on two nodes: exactly one gets the code, the others the
/// tombstone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_64_replaces_on_two_nodes_one_gets_the_code() {
    let Some(url) = pg_url("replace_race") else {
        return;
    };
    let iss = issuer("replace-race");
    let nodes: [Arc<PostgresHandleStore<u32>>; 2] = [
        Arc::new(PostgresHandleStore::new(
            connect(&url, options()).await,
            &iss,
            Kind::Code,
        )),
        Arc::new(PostgresHandleStore::new(
            connect(&url, options()).await,
            &iss,
            Kind::Code,
        )),
    ];
    let t = now();
    for round in 0..ROUNDS {
        let key = handle_key(format!("code-{round}").as_bytes());
        nodes[0].insert(key, round, t + 60, t).await.unwrap();
        let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
        let tasks: Vec<_> = (0..RACERS)
            .map(|i| {
                let (node, barrier) = (Arc::clone(&nodes[i % 2]), Arc::clone(&barrier));
                tokio::spawn(async move {
                    let _ = barrier.wait().await;
                    node.replace(&key, u32::MAX, t + 120, t + 1).await
                })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(v) if v == round => wins += 1,
                Ok(v) => assert_eq!(v, u32::MAX, "round {round}"),
                Err(e) => panic!("round {round}: {e:?}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: exactly one replace gets the code");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_sender_64_record_once_of_one_jti_on_two_nodes_one_winner() {
    let Some(url) = pg_url("jti_race") else {
        return;
    };
    let iss = issuer("jti-race");
    let nodes: [Arc<PostgresReplayStore>; 2] = [
        Arc::new(PostgresReplayStore::new(
            connect(&url, options()).await,
            &iss,
        )),
        Arc::new(PostgresReplayStore::new(
            connect(&url, options()).await,
            &iss,
        )),
    ];
    let t = now();
    for round in 0..ROUNDS {
        let jti = format!("jti-{round}");
        let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
        let tasks: Vec<_> = (0..RACERS)
            .map(|i| {
                let (node, barrier, jti) =
                    (Arc::clone(&nodes[i % 2]), Arc::clone(&barrier), jti.clone());
                tokio::spawn(async move {
                    let _ = barrier.wait().await;
                    node.record_once(jti.as_bytes(), t + 60, t).await
                })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => wins += 1,
                Err(e) => assert_eq!(e, Error::Replay, "round {round}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: exactly one record wins");
    }
}

/// F2-SENDER, F2-CODE-ONCE: 64 concurrent inserts under one key whose row
/// has expired (not swept): exactly one takes its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_64_inserts_over_an_expired_row_one_winner() {
    let Some(url) = pg_url("expired_insert_race") else {
        return;
    };
    let iss = issuer("expired-insert-race");
    let nodes: [Arc<PostgresHandleStore<u32>>; 2] = [
        Arc::new(PostgresHandleStore::new(
            connect(&url, options()).await,
            &iss,
            Kind::Code,
        )),
        Arc::new(PostgresHandleStore::new(
            connect(&url, options()).await,
            &iss,
            Kind::Code,
        )),
    ];
    let t = now();
    for round in 0..ROUNDS {
        let key = handle_key(format!("code-{round}").as_bytes());
        nodes[0].insert(key, u32::MAX, t + 10, t).await.unwrap();
        let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
        let tasks: Vec<_> = (0..RACERS)
            .map(|i| {
                let (node, barrier) = (Arc::clone(&nodes[i % 2]), Arc::clone(&barrier));
                tokio::spawn(async move {
                    let _ = barrier.wait().await;
                    let value = u32::try_from(i).unwrap();
                    node.insert(key, value, t + 60, t + 10)
                        .await
                        .map(|()| value)
                })
            })
            .collect();
        let mut winner = None;
        for task in tasks {
            match task.await.unwrap() {
                Ok(v) => {
                    assert!(winner.is_none(), "round {round}: a second insert won");
                    winner = Some(v);
                }
                Err(e) => assert_eq!(e, Error::Replay, "round {round}"),
            }
        }
        let winner = winner.expect("one insert wins");
        assert_eq!(nodes[1].take(&key, t + 11).await, Ok(winner));
    }
}
