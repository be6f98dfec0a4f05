//! Fail closed, then recover: a PostgreSQL of the test's own (from
//! `FAPI_PG_BINDIR`) killed, restarted and frozen under a live pool.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use core::time::Duration;
use std::time::Instant;

use fapi::store::{HandleStore, ReplayStore, handle_key};
use fapi_core::Error;
use fapi_store_postgres::{Kind, PostgresHandleStore, PostgresOptions, PostgresReplayStore};
use support::{Cluster, connect, issuer, now, pg_bindir};

/// Retries `f` while it is `StoreFailed` (the pool reconnects), for at
/// most 10 s, and returns its first other answer.
async fn answer<T, F, Fut>(what: &str, mut f: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: core::future::Future<Output = Result<T, Error>>,
{
    let start = Instant::now();
    loop {
        match f().await {
            Err(Error::StoreFailed) => {
                assert!(
                    start.elapsed() < Duration::from_secs(10),
                    "{what}: no recovery"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

/// F2-CODE-ONCE across a crash: PostgreSQL killed (SIGKILL) is
/// `StoreFailed` for every operation, within the deadline; restarted, the
/// pool reconnects by itself, and what was acknowledged before the crash
/// is there (a taken code stays taken, a recorded `jti` stays recorded, a
/// stored refresh record is still readable).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_postgres_killed_and_restarted_fails_closed_and_recovers() {
    let Some(bindir) = pg_bindir("fault_kill") else {
        return;
    };
    let mut pg = Cluster::primary(&bindir, "fault-kill");
    let options = PostgresOptions::default().deadline(Duration::from_millis(300));
    let pool = connect(&pg.url(), options).await;
    let iss = issuer("fault-kill");
    let codes = PostgresHandleStore::<u32>::new(pool.clone(), &iss, Kind::Code);
    let refresh = PostgresHandleStore::<u32>::new(pool.clone(), &iss, Kind::Refresh);
    let replay = PostgresReplayStore::new(pool.clone(), &iss);
    let t = now();
    let (code, other, rt) = (handle_key(b"code"), handle_key(b"other"), handle_key(b"rt"));
    codes.insert(code, 1, t + 60, t).await.unwrap();
    codes.insert(other, 2, t + 60, t).await.unwrap();
    refresh.insert(rt, 3, t + 3600, t).await.unwrap();
    assert_eq!(codes.take(&code, t).await, Ok(1));
    assert_eq!(replay.record_once(b"jti", t + 60, t).await, Ok(()));

    pg.kill();
    let start = Instant::now();
    assert_eq!(codes.take(&other, t).await, Err(Error::StoreFailed));
    assert_eq!(codes.get(&other, t).await, Err(Error::StoreFailed));
    assert_eq!(
        replay.record_once(b"jti-2", t + 60, t).await,
        Err(Error::StoreFailed)
    );
    assert_eq!(
        codes.insert(code, 9, t + 60, t).await,
        Err(Error::StoreFailed)
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );

    pg.start();
    assert_eq!(
        answer("take after restart", || codes.take(&code, t + 1)).await,
        Err(Error::TokenInactive),
        "a code taken before the crash stays taken"
    );
    assert_eq!(
        replay.record_once(b"jti", t + 60, t + 1).await,
        Err(Error::Replay)
    );
    assert_eq!(refresh.get(&rt, t + 1).await, Ok(3));
    assert_eq!(codes.take(&other, t + 1).await, Ok(2));
}

/// A frozen PostgreSQL (SIGSTOP: connections open, nothing answers) is
/// `StoreFailed` at the deadline, every time, and the pool answers again
/// once it thaws.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_postgres_fails_closed_at_the_deadline_and_recovers() {
    let Some(bindir) = pg_bindir("fault_pause") else {
        return;
    };
    let pg = Cluster::primary(&bindir, "fault-pause");
    let options = PostgresOptions::default().deadline(Duration::from_millis(300));
    let pool = connect(&pg.url(), options).await;
    let iss = issuer("fault-pause");
    let codes = PostgresHandleStore::<u32>::new(pool, &iss, Kind::Code);
    let t = now();
    let k = handle_key(b"code");
    codes.insert(k, 1, t + 60, t).await.unwrap();
    pg.pause();
    for _ in 0..3 {
        let start = Instant::now();
        assert_eq!(codes.take(&k, t).await, Err(Error::StoreFailed));
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(280) && took < Duration::from_millis(1500),
            "{took:?}"
        );
    }
    pg.resume();
    // the statements sent to the frozen server were abandoned with their
    // connections; whichever ran, the code is taken at most once
    let first = answer("take after thaw", || codes.take(&k, t + 1)).await;
    assert!(
        matches!(first, Ok(1) | Err(Error::TokenInactive)),
        "{first:?}"
    );
    assert_eq!(codes.take(&k, t + 1).await, Err(Error::TokenInactive));
    codes.insert(k, 2, t + 60, t + 1).await.unwrap();
    assert_eq!(codes.take(&k, t + 1).await, Ok(2));
}
