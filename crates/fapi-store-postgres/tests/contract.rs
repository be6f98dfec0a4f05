//! The store contracts of `fapi::store` (the in-memory and Redis stores'
//! cases, one by one) against a real PostgreSQL: `FAPI_POSTGRES_URL` from
//! `tests/postgres-setup.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use core::time::Duration;

use fapi::store::{HandleStore, ReplayStore, handle_key};
use fapi_core::Error;
use fapi_core::authorize::{AuthorizationParams, AuthorizationRequest, ConsentPrompt};
use fapi_core::code::{CodeGrant, CodeRecord, Presented, Retention};
use fapi_core::crypto::Random;
use fapi_core::grant::{GrantId, RevokedGrant};
use fapi_core::profile::Profile;
use fapi_core::refresh::{RefreshGrant, SenderBinding};
use fapi_core::store::{FixedHandleStore, FixedReplayCache};
use fapi_store_postgres::{
    ConnectError, Kind, MIGRATIONS, Namespace, PostgresHandleStore, PostgresOptions, PostgresPool,
    PostgresReplayStore, PostgresStores,
};
use support::{connect, free_port, issuer, now, pg_url, raw};

#[tokio::test]
async fn replay_record_once_expired_and_rerecorded_after_expiry() {
    let Some(url) = pg_url("replay_record_once") else {
        return;
    };
    let pool = connect(&url, PostgresOptions::default()).await;
    let c = PostgresReplayStore::new(pool, &issuer("replay"));
    let t = now();
    assert_eq!(c.record_once(b"a", t + 10, t).await, Ok(()));
    assert_eq!(c.record_once(b"a", t + 10, t + 5).await, Err(Error::Replay));
    assert_eq!(
        c.record_once(b"a", t + 100, t + 9).await,
        Err(Error::Replay)
    );
    // expires_at <= now: refused before anything is sent
    assert_eq!(c.record_once(b"d", t, t).await, Err(Error::Expired));
    assert_eq!(c.record_once(b"d", t - 1, t).await, Err(Error::Expired));
    // now == expires_at: the row is dead, and the identifier may be
    // recorded again at once (the expired row is replaced in the same
    // statement, with no sweep in between)
    assert_eq!(c.record_once(b"a", t + 100, t + 10).await, Ok(()));
    assert_eq!(
        c.record_once(b"a", t + 200, t + 99).await,
        Err(Error::Replay)
    );
    assert_eq!(c.record_once(b"a", t + 200, t + 101).await, Ok(()));
}

#[tokio::test]
async fn handle_store_insert_take_get_remove() {
    let Some(url) = pg_url("handle_store") else {
        return;
    };
    let pool = connect(&url, PostgresOptions::default()).await;
    let s = PostgresHandleStore::<u32>::new(pool, &issuer("handles"), Kind::Code);
    let (k1, k2) = (handle_key(b"1"), handle_key(b"2"));
    let t = now();
    assert_eq!(s.insert(k1, 1, t + 10, t).await, Ok(()));
    assert_eq!(s.insert(k1, 9, t + 20, t).await, Err(Error::Replay));
    assert_eq!(s.insert(k2, 2, t + 100, t).await, Ok(()));
    assert_eq!(s.get(&k1, t + 5).await, Ok(1));
    assert_eq!(s.get(&k1, t + 5).await, Ok(1), "get leaves it in place");
    assert_eq!(s.get(&k1, t + 9).await, Ok(1), "live one second before");
    // expires_at <= now: dead although the row is still there
    assert_eq!(s.get(&k1, t + 10).await, Err(Error::TokenInactive));
    assert_eq!(s.take(&k1, t + 10).await, Err(Error::TokenInactive));
    assert_eq!(s.take(&k1, t + 11).await, Err(Error::TokenInactive));
    // ... and still dead for a caller whose clock is ahead, live for one
    // whose clock is behind: the caller's `now` decides, not the sweeper
    assert_eq!(s.get(&k1, t + 9).await, Ok(1));
    assert_eq!(s.take(&k2, t + 50).await, Ok(2));
    assert_eq!(s.take(&k2, t + 50).await, Err(Error::TokenInactive));
    assert_eq!(s.get(&k2, t + 50).await, Err(Error::TokenInactive));
    assert_eq!(s.insert(k2, 3, t + 300, t + 50).await, Ok(()));
    assert_eq!(s.remove(&k2).await, Ok(()));
    assert_eq!(s.remove(&k2).await, Ok(()), "an absent key is fine");
    assert_eq!(s.get(&k2, t + 51).await, Err(Error::TokenInactive));
    assert_eq!(s.insert(k1, 1, t, t).await, Err(Error::Expired));
    assert_eq!(
        s.take(&handle_key(b"never"), t).await,
        Err(Error::TokenInactive)
    );
    // an expired row takes a new value under its key (insert-once is about
    // live rows), atomically, with no sweep in between
    assert_eq!(s.insert(k1, 5, t + 60, t + 10).await, Ok(()));
    assert_eq!(s.insert(k1, 6, t + 60, t + 11).await, Err(Error::Replay));
    assert_eq!(s.take(&k1, t + 12).await, Ok(5));
}

/// RFC 6749 §4.1.2: `replace` swaps a live entry for another and returns
/// it; nothing is written under an absent or expired key; the new entry
/// lives until its own expiry.
#[tokio::test]
async fn handle_store_replace_swaps_a_live_entry_only() {
    let Some(url) = pg_url("handle_replace") else {
        return;
    };
    let pool = connect(&url, PostgresOptions::default()).await;
    let s = PostgresHandleStore::<u32>::new(pool, &issuer("replace"), Kind::Code);
    let k = handle_key(b"code");
    let t = now();
    assert_eq!(s.replace(&k, 9, t + 10, t).await, Err(Error::TokenInactive));
    assert_eq!(
        s.get(&k, t).await,
        Err(Error::TokenInactive),
        "nothing written under an absent key"
    );
    s.insert(k, 1, t + 10, t).await.unwrap();
    assert_eq!(s.replace(&k, 2, t, t).await, Err(Error::Expired));
    assert_eq!(s.replace(&k, 2, t + 300, t).await, Ok(1));
    assert_eq!(s.get(&k, t + 100).await, Ok(2), "lives past the old expiry");
    // now == expires_at: inactive, and nothing written
    assert_eq!(
        s.replace(&k, 3, t + 400, t + 300).await,
        Err(Error::TokenInactive)
    );
    assert_eq!(s.get(&k, t + 299).await, Ok(2));
}

/// RFC 6749 §4.1.2 through PostgreSQL with the core: a code redeemed twice
/// revokes the grant of its first redemption, which the tombstone names.
#[tokio::test]
async fn rfc6749_4_1_2_replayed_code_revokes_its_grant_through_postgres() {
    let Some(url) = pg_url("code_replay") else {
        return;
    };
    let stores =
        PostgresStores::<String>::connect(&url, &issuer("replayed"), PostgresOptions::default())
            .await
            .unwrap();
    let (_, grant) = core_values();
    let t = now();
    let code = "A".repeat(43);
    let k = handle_key(code.as_bytes());
    stores
        .codes
        .insert(k, CodeRecord::Issued(grant), t + 60, t)
        .await
        .unwrap();
    let retain = Retention {
        tombstone: 360,
        revocation: 3600,
    };
    let req = Presented {
        code: &code,
        client_id: "client-1",
        redirect_uri: "https://client.example/cb",
        dpop: None,
    };
    for (round, want) in [(1, Error::DpopMissing), (2, Error::CodeInvalid)] {
        let tombstone = fapi_core::code::tombstone(&code);
        let old = stores
            .codes
            .replace(&k, tombstone, t + 360 + round, t + round)
            .await;
        let local = FixedHandleStore::<CodeRecord, 1>::new();
        if let Ok(v) = old {
            fapi_core::store::HandleStore::insert(&local, k, v, t + 60, t + round).unwrap();
        }
        let revoked = FixedHandleStore::<RevokedGrant, 1>::new();
        let r = fapi_core::code::redeem(&local, &revoked, &req, retain, t + round, |_| Ok(()));
        assert_eq!(r, Err(want), "round {round}");
        let active = fapi_core::grant::check_active(&revoked, &GrantId::of_code(&code), t + 3);
        assert_eq!(active.is_err(), want == Error::CodeInvalid, "round {round}");
    }
}

/// Rows are namespaced by issuer and kind, and hold the SHA-256 of the
/// handle, never the handle.
#[tokio::test]
async fn keys_are_hashed_and_namespaced() {
    let Some(url) = pg_url("keys") else { return };
    let pool = connect(&url, PostgresOptions::default()).await;
    let (a, b) = (issuer("ns-a"), issuer("ns-b"));
    let codes_a = PostgresHandleStore::<String>::new(pool.clone(), &a, Kind::Code);
    let codes_b = PostgresHandleStore::<String>::new(pool.clone(), &b, Kind::Code);
    let refresh_a = PostgresHandleStore::<String>::new(pool.clone(), &a, Kind::Refresh);
    let t = now();
    let key = handle_key(b"the-code-in-clear");
    codes_a
        .insert(key, "grant-a".into(), t + 60, t)
        .await
        .unwrap();
    // another issuer, or another kind, does not see it
    assert_eq!(codes_b.get(&key, t).await, Err(Error::TokenInactive));
    assert_eq!(refresh_a.get(&key, t).await, Err(Error::TokenInactive));
    codes_b
        .insert(key, "grant-b".into(), t + 60, t)
        .await
        .unwrap();
    assert_eq!(codes_a.take(&key, t).await.as_deref(), Ok("grant-a"));
    assert_eq!(codes_b.take(&key, t).await.as_deref(), Ok("grant-b"));

    codes_a
        .insert(key, "grant".into(), t + 60, t)
        .await
        .unwrap();
    let replay = PostgresReplayStore::new(pool, &a);
    replay
        .record_once(b"jti-in-clear", t + 30, t)
        .await
        .unwrap();
    let r = raw(&url).await;
    let ns = Namespace::new(&a, Kind::Code);
    let rows = r
        .query(
            "SELECT kind, key, expires_at, value FROM fapi_entries WHERE issuer = $1 ORDER BY kind",
            &[&ns.issuer()],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let (kind, k, exp, value): (String, Vec<u8>, i64, Vec<u8>) = (
        rows[0].get(0),
        rows[0].get(1),
        rows[0].get(2),
        rows[0].get(3),
    );
    assert_eq!(
        (kind.as_str(), &k[..], exp, &value[..]),
        (
            "code",
            &key[..],
            i64::try_from(t + 60).unwrap(),
            &b"\"grant\""[..]
        )
    );
    let (kind, k, exp): (String, Vec<u8>, i64) = (rows[1].get(0), rows[1].get(1), rows[1].get(2));
    assert_eq!(
        (kind.as_str(), &k[..], exp),
        (
            "replay",
            &handle_key(b"jti-in-clear")[..],
            i64::try_from(t + 30).unwrap()
        )
    );
    for row in &rows {
        let k: Vec<u8> = row.get(1);
        assert!(!k.windows(8).any(|w| w == b"in-clear"));
    }
}

/// A row that does not parse as the store's type, or that breaks an
/// invariant of it, is `StoreFailed`, never a value.
#[tokio::test]
async fn unreadable_rows_fail_closed() {
    let Some(url) = pg_url("unreadable") else {
        return;
    };
    let pool = connect(&url, PostgresOptions::default()).await;
    let iss = issuer("garbage");
    let codes = PostgresHandleStore::<CodeRecord>::new(pool, &iss, Kind::Code);
    let ns = Namespace::new(&iss, Kind::Code);
    let r = raw(&url).await;
    let t = now();
    for (name, bytes) in [
        ("empty", b"".to_vec()),
        ("not json", b"{not json".to_vec()),
        ("another type", b"[1,2,3]".to_vec()),
    ] {
        let key = handle_key(name.as_bytes());
        let _ = r
            .execute(
                "INSERT INTO fapi_entries (issuer, kind, key, expires_at, value) \
                 VALUES ($1, 'code', $2, $3, $4)",
                &[
                    &ns.issuer(),
                    &&key[..],
                    &i64::try_from(t + 60).unwrap(),
                    &bytes,
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            codes.get(&key, t).await.map(|_| ()),
            Err(Error::StoreFailed),
            "{name}"
        );
        assert_eq!(
            codes.take(&key, t).await.map(|_| ()),
            Err(Error::StoreFailed),
            "{name}"
        );
    }
}

struct Counter(core::sync::atomic::AtomicU8);
impl Random for Counter {
    fn fill(&self, dest: &mut [u8]) -> Result<(), Error> {
        let n = self.0.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        for (i, b) in dest.iter_mut().enumerate() {
            *b = n.wrapping_add(u8::try_from(i % 251).unwrap());
        }
        Ok(())
    }
}

/// A FAPI 2.0 request pushed and taken (so it counts as pushed), approved,
/// and the code grant issued for it: the core's own values.
fn core_values() -> (AuthorizationParams, CodeGrant) {
    let req = AuthorizationRequest {
        client_id: "client-1",
        response_type: "code",
        redirect_uri: Some("https://client.example/cb"),
        scope: "openid accounts",
        state: Some("st"),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        code_challenge_method: Some("S256"),
        dpop_jkt: Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"),
        consent_id: Some("urn:bank:aac:1"),
        // OpenID Connect Core §3.1.2.1: kept through the store.
        nonce: Some("n-0S6_WzA2Mj"),
        response_mode: None,
    };
    let p = &Profile::FAPI2;
    let params = AuthorizationParams::from_request(p, &req).unwrap();
    let rng = Counter(0.into());
    let pars = FixedHandleStore::<AuthorizationParams, 2>::new();
    let uri = fapi_core::par::push(p, &pars, &rng, params.clone(), None, 60, 100).unwrap();
    let pushed = fapi_core::par::take(&pars, "client-1", uri.as_str(), 101).unwrap();
    // OpenID Connect Core §2: the sign-in time goes with the code.
    let record = ConsentPrompt::new("Client One", pushed)
        .unwrap()
        .approve_at("alice", 1_700_000_000)
        .unwrap();
    let codes = FixedHandleStore::<CodeRecord, 2>::new();
    let spent = FixedReplayCache::<2>::new();
    let code = fapi_core::code::issue(p, &codes, &spent, &rng, &record, 60, 101).unwrap();
    let Ok(CodeRecord::Issued(grant)) =
        fapi_core::store::HandleStore::get(&codes, &code.key(), 102)
    else {
        panic!("the code is stored as issued")
    };
    assert_eq!(grant.nonce(), "n-0S6_WzA2Mj");
    assert_eq!(grant.auth_time(), Some(1_700_000_000));
    (params, grant)
}

/// F2-CODE-ONCE: the core's stored values (a PAR request, a code grant, a
/// refresh grant) go through PostgreSQL unchanged and are taken once.
#[tokio::test]
async fn f2_code_once_core_values_round_trip_through_postgres() {
    let Some(url) = pg_url("core_values") else {
        return;
    };
    let stores =
        PostgresStores::<String>::connect(&url, &issuer("core"), PostgresOptions::default())
            .await
            .unwrap();
    let (params, grant) = core_values();
    let refresh = RefreshGrant::from_code(&grant, SenderBinding::Mtls([5; 32])).unwrap();
    let t = now();
    let k = handle_key(b"k");
    stores
        .requests
        .insert(k, params.clone(), t + 60, t)
        .await
        .unwrap();
    let issued = CodeRecord::Issued(grant.clone());
    stores
        .codes
        .insert(k, issued.clone(), t + 60, t)
        .await
        .unwrap();
    stores
        .refresh
        .insert(k, refresh.clone(), t + 60, t)
        .await
        .unwrap();
    stores
        .consents
        .insert(k, "consent".into(), t + 60, t)
        .await
        .unwrap();
    assert_eq!(stores.requests.take(&k, t).await, Ok(params));
    let tombstone = fapi_core::code::tombstone("the code");
    assert_eq!(
        stores
            .codes
            .replace(&k, tombstone.clone(), t + 600, t)
            .await,
        Ok(issued)
    );
    assert_eq!(stores.codes.get(&k, t + 100).await, Ok(tombstone));
    assert_eq!(stores.codes.take(&k, t).await.map(|_| ()), Ok(()));
    assert_eq!(stores.codes.take(&k, t).await, Err(Error::TokenInactive));
    let revoked = RevokedGrant {
        grant: GrantId::of_code("the code"),
        revoked_at: t,
    };
    stores
        .revocations
        .insert(revoked.grant.key(), revoked, t + 60, t)
        .await
        .unwrap();
    assert_eq!(
        stores.revocations.get(&revoked.grant.key(), t).await,
        Ok(revoked)
    );
    assert_eq!(stores.refresh.get(&k, t).await, Ok(refresh));
    assert_eq!(stores.consents.get(&k, t).await.as_deref(), Ok("consent"));
    let _: std::sync::Arc<dyn ReplayStore> = stores.replay.clone();
    let _: std::sync::Arc<dyn HandleStore<CodeRecord>> = stores.codes.clone();
    let _: std::sync::Arc<dyn HandleStore<RevokedGrant>> = stores.revocations.clone();
}

#[test]
fn outside_a_runtime_is_a_connect_error_not_a_panic() {
    assert!(matches!(
        PostgresPool::connect_lazy("postgres://fapi@127.0.0.1:1/x", PostgresOptions::default()),
        Err(ConnectError::NoRuntime)
    ));
}

#[tokio::test]
async fn a_malformed_url_or_no_postgres_is_a_connect_error() {
    for bad in [
        "http://x",
        "postgres://x:notaport/db",
        "postgres://x/db?sslmode=nope",
    ] {
        assert!(
            matches!(
                PostgresPool::connect(bad, PostgresOptions::default()).await,
                Err(ConnectError::Url(_))
            ),
            "{bad}"
        );
    }
    let port = free_port();
    let start = std::time::Instant::now();
    let r = PostgresPool::connect(
        &format!("postgres://fapi@127.0.0.1:{port}/postgres"),
        PostgresOptions::default(),
    )
    .await;
    assert!(matches!(r, Err(ConnectError::Unreachable(_))), "{r:?}");
    assert!(start.elapsed() < Duration::from_millis(1000));
}

/// Fail closed: a pool whose database is gone answers `StoreFailed` to
/// every operation within the deadline, never an acceptance.
#[tokio::test]
async fn no_database_is_store_failed_within_the_deadline() {
    let port = free_port();
    let options = PostgresOptions::default().deadline(Duration::from_millis(200));
    let pool = PostgresPool::connect_lazy(
        &format!("postgres://fapi@127.0.0.1:{port}/postgres"),
        options,
    )
    .unwrap();
    let iss = issuer("dead");
    let codes = PostgresHandleStore::<u32>::new(pool.clone(), &iss, Kind::Code);
    let replay = PostgresReplayStore::new(pool.clone(), &iss);
    let k = handle_key(b"k");
    let t = now();
    let start = std::time::Instant::now();
    assert_eq!(codes.insert(k, 1, t + 60, t).await, Err(Error::StoreFailed));
    assert_eq!(codes.take(&k, t).await, Err(Error::StoreFailed));
    assert_eq!(codes.get(&k, t).await, Err(Error::StoreFailed));
    assert_eq!(
        codes.replace(&k, 2, t + 60, t).await,
        Err(Error::StoreFailed)
    );
    assert_eq!(codes.remove(&k).await, Err(Error::StoreFailed));
    assert_eq!(
        replay.record_once(b"j", t + 60, t).await,
        Err(Error::StoreFailed)
    );
    assert_eq!(pool.sweep_expired(t).await, Err(Error::StoreFailed));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

/// Fail closed at the deadline: a take that waits on a row another
/// transaction holds is `StoreFailed` when the deadline passes (its
/// connection is closed, not handed to the next caller), and the store
/// answers again once the lock is gone: the code is still there, taken
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_past_the_deadline_is_store_failed() {
    let Some(url) = pg_url("deadline") else {
        return;
    };
    let options = PostgresOptions::default()
        .deadline(Duration::from_millis(300))
        .pool_size(2);
    let pool = connect(&url, options).await;
    let iss = issuer("deadline");
    let codes = PostgresHandleStore::<u32>::new(pool, &iss, Kind::Code);
    let ns = Namespace::new(&iss, Kind::Code);
    let k = handle_key(b"locked");
    let t = now();
    codes.insert(k, 7, t + 60, t).await.unwrap();
    let mut holder = raw(&url).await;
    let tx = holder.transaction().await.unwrap();
    let locked = tx
        .query(
            "SELECT 1 FROM fapi_entries WHERE issuer = $1 AND kind = 'code' AND key = $2 FOR UPDATE",
            &[&ns.issuer(), &&k[..]],
        )
        .await
        .unwrap();
    assert_eq!(locked.len(), 1);
    for _ in 0..3 {
        let start = std::time::Instant::now();
        assert_eq!(codes.take(&k, t + 1).await, Err(Error::StoreFailed));
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(280) && took < Duration::from_millis(1500),
            "{took:?}"
        );
    }
    tx.rollback().await.unwrap();
    // the late statements' connections were closed: their takes were
    // cancelled with them, or ran once the lock was gone; either way the
    // code is taken at most once
    let mut got = 0;
    for _ in 0..20 {
        match codes.take(&k, t + 1).await {
            Ok(7) => got += 1,
            Err(Error::TokenInactive) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(got <= 1);
}

/// The migrations run once, whoever starts first: eight pools connecting
/// at once to a fresh database take turns on the advisory lock, and each
/// migration is recorded once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_once_when_nodes_start_together() {
    let Some(url) = pg_url("migrations") else {
        return;
    };
    let admin = raw(&url).await;
    let db = format!("fapi_migrate_{}_{}", std::process::id(), now());
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .await
        .unwrap();
    let fresh = url
        .rsplit_once('/')
        .map(|(base, _)| format!("{base}/{db}"))
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let fresh = fresh.clone();
            tokio::spawn(async move {
                // a deadline for a loaded machine: this test is about the
                // advisory lock, not the deadline
                let options = PostgresOptions::default().deadline(Duration::from_secs(10));
                PostgresPool::connect(&fresh, options).await.map(|_| ())
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let pool = connect(&fresh, PostgresOptions::default()).await;
    assert_eq!(pool.migrate().await, Ok(vec![]), "nothing left to apply");
    let c = raw(&fresh).await;
    let versions: Vec<i32> = c
        .query(
            "SELECT version FROM fapi_schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let want: Vec<i32> = MIGRATIONS.iter().map(|m| m.version).collect();
    assert_eq!(versions, want);
    drop((c, pool));
    let _ = admin
        .batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)"))
        .await;
}

/// Expired rows are swept in bounded batches, and only once past the
/// margin; live rows stay. (Times far in the past, so that no other
/// test's rows are swept.)
#[tokio::test]
async fn expired_rows_are_swept_in_bounded_batches() {
    let Some(url) = pg_url("sweep") else { return };
    let options = PostgresOptions::default()
        .sweep_batch(10)
        .sweep_margin(Duration::from_secs(100));
    let pool = connect(&url, options).await;
    let iss = issuer("sweep");
    let s = PostgresHandleStore::<u32>::new(pool.clone(), &iss, Kind::Code);
    let ns = Namespace::new(&iss, Kind::Code);
    for i in 0..25u32 {
        let k = handle_key(format!("old-{i}").as_bytes());
        s.insert(k, i, 1_000 + u64::from(i), 900).await.unwrap();
    }
    let live = handle_key(b"live");
    s.insert(live, 99, 5_000, 900).await.unwrap();
    // within the margin: nothing swept
    assert_eq!(pool.sweep_expired(1_050).await, Ok(0));
    let mut swept = Vec::new();
    loop {
        let n = pool.sweep_expired(2_000).await.unwrap();
        swept.push(n);
        if n < 10 {
            break;
        }
    }
    // other tests' rows are not this old; only this test's 25 go
    assert_eq!(swept, vec![10, 10, 5]);
    let r = raw(&url).await;
    let left: i64 = r
        .query_one(
            "SELECT count(*) FROM fapi_entries WHERE issuer = $1",
            &[&ns.issuer()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 1);
    assert_eq!(s.get(&live, 2_000).await, Ok(99));
}
