//! Fail closed: Redis killed or frozen in the middle of the work gives
//! `StoreFailed` within the deadline, never an acceptance, and nothing is
//! accepted twice; once Redis is back, the next operations succeed. Each
//! test starts its own redis-server (append-only, fsync always) on a port
//! of its own, so the shared Redis is not disturbed.

mod support;

use core::time::Duration;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use fapi::store::{HandleStore, ReplayStore, handle_key};
use fapi_core::Error;
use fapi_store_redis::{Kind, RedisConnection, RedisHandleStore, RedisOptions, RedisReplayStore};
use support::{OwnRedis, issuer, now, redis_server};

const DEADLINE: Duration = Duration::from_millis(250);
/// What a loaded 2-core machine adds to a deadline before the task runs.
const SLACK: Duration = Duration::from_millis(250);

async fn until_ok<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: core::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !f().await {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{what}: Redis did not come back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// F2-CODE-ONCE: codes taken while Redis dies and comes back: every
/// failure is StoreFailed within the deadline, each code is taken at most
/// once over the whole run, a recorded `jti` stays recorded, and after the
/// restart the remaining codes are taken once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_redis_killed_and_restarted_fails_closed_and_recovers() {
    let Some(bin) = redis_server("fault_kill") else {
        return;
    };
    let mut redis = OwnRedis::start(&bin);
    let options = RedisOptions::default().deadline(DEADLINE);
    let conn = RedisConnection::connect(&redis.url(), options)
        .await
        .unwrap();
    let iss = issuer("fault");
    let codes = Arc::new(RedisHandleStore::<u32>::new(conn.clone(), &iss, Kind::Code));
    let replay = RedisReplayStore::new(conn, &iss);
    let t = now();
    const N: u32 = 200;
    for i in 0..N {
        codes
            .insert(handle_key(&i.to_be_bytes()), i, t + 120, t)
            .await
            .unwrap();
    }
    assert_eq!(replay.record_once(b"jti-before", t + 120, t).await, Ok(()));

    // two workers take codes, each code twice, while Redis is killed
    let wins = Arc::new(std::sync::Mutex::new(HashMap::<u32, u32>::new()));
    let worker = |offset: u32| {
        let (codes, wins) = (Arc::clone(&codes), Arc::clone(&wins));
        tokio::spawn(async move {
            let mut failed = 0u32;
            for i in 0..N / 2 {
                for _ in 0..2 {
                    let code = (i * 2 + offset) % N;
                    let start = Instant::now();
                    match codes.take(&handle_key(&code.to_be_bytes()), t + 1).await {
                        Ok(v) => *wins.lock().unwrap().entry(v).or_default() += 1,
                        Err(Error::TokenInactive) => {}
                        Err(Error::StoreFailed) => {
                            assert!(start.elapsed() < DEADLINE + SLACK, "{:?}", start.elapsed());
                            failed += 1;
                        }
                        Err(e) => panic!("unexpected {e:?}"),
                    }
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            failed
        })
    };
    let (a, b) = (worker(0), worker(1));
    tokio::time::sleep(Duration::from_millis(60)).await;
    redis.kill();
    // while it is down: every operation fails closed, within the deadline
    for op in 0..3u32 {
        let start = Instant::now();
        let r = replay
            .record_once(format!("jti-down-{op}").as_bytes(), t + 120, t)
            .await;
        assert_eq!(r, Err(Error::StoreFailed));
        assert!(start.elapsed() < DEADLINE + SLACK, "{:?}", start.elapsed());
        let start = Instant::now();
        assert_eq!(
            codes.get(&handle_key(&0u32.to_be_bytes()), t).await,
            Err(Error::StoreFailed)
        );
        assert!(start.elapsed() < DEADLINE + SLACK, "{:?}", start.elapsed());
    }
    // back in the middle of the workers' run
    redis.restart();
    until_ok("restart", || async {
        replay.record_once(b"jti-after", t + 120, t).await.is_ok()
    })
    .await;
    let failed = a.await.unwrap() + b.await.unwrap();
    assert!(failed > 0, "the workers saw Redis go away");
    // what was recorded before the fault is still recorded
    assert_eq!(
        replay.record_once(b"jti-before", t + 120, t).await,
        Err(Error::Replay)
    );
    // the codes not taken before the fault are taken now, once each
    for i in 0..N {
        match codes.take(&handle_key(&i.to_be_bytes()), t + 2).await {
            Ok(v) => *wins.lock().unwrap().entry(v).or_default() += 1,
            Err(e) => assert_eq!(e, Error::TokenInactive),
        }
    }
    let wins = wins.lock().unwrap();
    assert!(
        wins.values().all(|n| *n == 1),
        "a code taken twice: {wins:?}"
    );
    // A take whose GETDEL ran on Redis just before it was killed, but whose
    // reply was lost, answered StoreFailed: that code is spent and nobody
    // has it (fail closed; the client starts the flow again). Every other
    // code is taken exactly once.
    let taken = u32::try_from(wins.len()).unwrap();
    assert!(taken <= N, "more codes taken than stored: {taken}");
    assert!(
        taken + failed >= N,
        "codes lost without a failed take: {taken} taken, {failed} failed"
    );
}

/// A frozen Redis (SIGSTOP: the connection stays open, nothing answers)
/// fails every operation closed at the deadline; thawed, it serves again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_fails_closed_at_the_deadline_and_recovers() {
    let Some(bin) = redis_server("fault_pause") else {
        return;
    };
    let redis = OwnRedis::start(&bin);
    let options = RedisOptions::default().deadline(DEADLINE);
    let conn = RedisConnection::connect(&redis.url(), options)
        .await
        .unwrap();
    let iss = issuer("frozen");
    let codes = RedisHandleStore::<u32>::new(conn.clone(), &iss, Kind::Code);
    let replay = RedisReplayStore::new(conn, &iss);
    let t = now();
    let key = handle_key(b"code");
    codes.insert(key, 7, t + 120, t).await.unwrap();
    redis.pause();
    for _ in 0..3 {
        let start = Instant::now();
        assert_eq!(codes.take(&key, t).await, Err(Error::StoreFailed));
        let took = start.elapsed();
        assert!(
            took >= DEADLINE - Duration::from_millis(20) && took < DEADLINE + SLACK,
            "{took:?}"
        );
        let start = Instant::now();
        assert_eq!(
            replay.record_once(b"jti", t + 60, t).await,
            Err(Error::StoreFailed)
        );
        assert!(start.elapsed() < DEADLINE + SLACK);
    }
    redis.resume();
    // a take that timed out may have reached Redis after all: then the
    // code is spent (fail closed), else it is still there; never twice
    let mut taken = 0;
    let start = Instant::now();
    loop {
        match codes.take(&key, t).await {
            Ok(7) => {
                taken += 1;
                break;
            }
            Err(Error::TokenInactive) => break,
            r => assert!(start.elapsed() < Duration::from_secs(15), "not back: {r:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(codes.take(&key, t).await, Err(Error::TokenInactive));
    assert!(taken <= 1);
    // and a recorded jti stays recorded whether its timed-out SET landed
    let r = replay.record_once(b"jti", t + 60, t).await;
    assert!(r == Ok(()) || r == Err(Error::Replay), "{r:?}");
    assert_eq!(
        replay.record_once(b"jti", t + 60, t).await,
        Err(Error::Replay)
    );
    let k2 = handle_key(b"next");
    codes.insert(k2, 8, t + 60, t).await.unwrap();
    assert_eq!(codes.take(&k2, t).await, Ok(8));
}
