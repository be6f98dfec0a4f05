//! F2-CODE-ONCE, CDR-CODE-ONCE, F2-SENDER across nodes: 64 concurrent
//! `take`s (or `replace`s) of one code, and 64 concurrent `record_once`s
//! of one `jti`,
//! from two separate connection managers (as two server nodes), give
//! exactly one success; 100 rounds each.

mod support;

use std::sync::Arc;

use fapi::store::{HandleStore, ReplayStore, handle_key};
use fapi_core::Error;
use fapi_store_redis::{Kind, RedisHandleStore, RedisOptions, RedisReplayStore};
use support::{connect, issuer, now, redis_url};

const ROUNDS: u32 = 100;
const RACERS: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_cdr_code_once_64_takes_on_two_nodes_one_winner() {
    let Some(url) = redis_url("take_race") else {
        return;
    };
    let iss = issuer("take-race");
    // two nodes: two connection managers, two multiplexed connections
    let nodes: [Arc<RedisHandleStore<u32>>; 2] = [
        Arc::new(RedisHandleStore::new(
            connect(&url, RedisOptions::default()).await,
            &iss,
            Kind::Code,
        )),
        Arc::new(RedisHandleStore::new(
            connect(&url, RedisOptions::default()).await,
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
    let Some(url) = redis_url("replace_race") else {
        return;
    };
    let iss = issuer("replace-race");
    let nodes: [Arc<RedisHandleStore<u32>>; 2] = [
        Arc::new(RedisHandleStore::new(
            connect(&url, RedisOptions::default()).await,
            &iss,
            Kind::Code,
        )),
        Arc::new(RedisHandleStore::new(
            connect(&url, RedisOptions::default()).await,
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
    let Some(url) = redis_url("jti_race") else {
        return;
    };
    let iss = issuer("jti-race");
    let nodes: [Arc<RedisReplayStore>; 2] = [
        Arc::new(RedisReplayStore::new(
            connect(&url, RedisOptions::default()).await,
            &iss,
        )),
        Arc::new(RedisReplayStore::new(
            connect(&url, RedisOptions::default()).await,
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
