//! The store contracts of `fapi::store` (the in-memory stores' cases, one by
//! one) against a real Redis: `FAPI_REDIS_URL` from `tests/redis-setup.sh`.

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
use fapi_store_redis::{Kind, RedisHandleStore, RedisOptions, RedisReplayStore, RedisStores};
use redis::AsyncCommands;
use support::{connect, issuer, now, raw, redis_url};

fn exact() -> RedisOptions {
    RedisOptions::default().expiry_margin(Duration::ZERO)
}

#[tokio::test]
async fn replay_record_once_expired_and_rerecorded_after_expiry() {
    let Some(url) = redis_url("replay_record_once") else {
        return;
    };
    let conn = connect(&url, exact()).await;
    let c = RedisReplayStore::new(conn, &issuer("replay"));
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
    // once expired the identifier may be recorded again (real time: Redis
    // keeps it `expires_at - now` seconds from the write, and `now` is whole
    // seconds, so up to 1 s past `expires_at`)
    assert_eq!(c.record_once(b"b", t + 1, t).await, Ok(()));
    while now() < t + 2 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(c.record_once(b"b", t + 100, t + 2).await, Ok(()));
    assert_eq!(
        c.record_once(b"b", t + 100, t + 3).await,
        Err(Error::Replay)
    );
}

#[tokio::test]
async fn replay_inside_the_expiry_margin_stays_refused() {
    let Some(url) = redis_url("replay_margin") else {
        return;
    };
    let conn = connect(&url, RedisOptions::default()).await;
    let c = RedisReplayStore::new(conn, &issuer("margin"));
    let t = now();
    assert_eq!(c.record_once(b"j", t + 1, t).await, Ok(()));
    while now() < t + 1 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // expired by the caller's clock, still held for a node whose clock is behind
    assert_eq!(c.record_once(b"j", t + 60, t + 1).await, Err(Error::Replay));
}

#[tokio::test]
async fn handle_store_insert_take_get_remove() {
    let Some(url) = redis_url("handle_store") else {
        return;
    };
    let conn = connect(&url, exact()).await;
    let s = RedisHandleStore::<u32>::new(conn, &issuer("handles"), Kind::Code);
    let (k1, k2) = (handle_key(b"1"), handle_key(b"2"));
    let t = now();
    assert_eq!(s.insert(k1, 1, t + 10, t).await, Ok(()));
    assert_eq!(s.insert(k1, 9, t + 20, t).await, Err(Error::Replay));
    assert_eq!(s.insert(k2, 2, t + 100, t).await, Ok(()));
    assert_eq!(s.get(&k1, t + 5).await, Ok(1));
    assert_eq!(s.get(&k1, t + 5).await, Ok(1), "get leaves it in place");
    // expires_at <= now: dead although Redis still holds it
    assert_eq!(s.get(&k1, t + 10).await, Err(Error::TokenInactive));
    assert_eq!(s.take(&k1, t + 10).await, Err(Error::TokenInactive));
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
}

/// RFC 6749 §4.1.2: `replace` swaps a live entry for another and returns
/// it; nothing is written under an absent key; the new entry lives (and
/// carries a TTL) until its own expiry.
#[tokio::test]
async fn handle_store_replace_swaps_a_live_entry_only() {
    let Some(url) = redis_url("handle_replace") else {
        return;
    };
    let conn = connect(&url, exact()).await;
    let s = RedisHandleStore::<u32>::new(conn, &issuer("replace"), Kind::Code);
    let k = handle_key(b"code");
    let t = now();
    assert_eq!(s.replace(&k, 9, t + 10, t).await, Err(Error::TokenInactive));
    assert_eq!(
        s.get(&k, t).await,
        Err(Error::TokenInactive),
        "XX: nothing written"
    );
    s.insert(k, 1, t + 10, t).await.unwrap();
    assert_eq!(s.replace(&k, 2, t, t).await, Err(Error::Expired));
    assert_eq!(s.replace(&k, 2, t + 300, t).await, Ok(1));
    assert_eq!(s.get(&k, t + 100).await, Ok(2), "lives past the old expiry");
    let mut r = raw(&url).await;
    let pttl: i64 = r.pttl(s.redis_key(&k)).await.unwrap();
    assert!(pttl > 299_000 && pttl <= 300_000, "PTTL {pttl}");
    // past its expiry by the caller's clock: inactive
    assert_eq!(
        s.replace(&k, 3, t + 400, t + 300).await,
        Err(Error::TokenInactive)
    );
}

/// RFC 6749 §4.1.2 through Redis with the core: a code redeemed twice
/// revokes the grant of its first redemption, which the Redis tombstone
/// names.
#[tokio::test]
async fn rfc6749_4_1_2_replayed_code_revokes_its_grant_through_redis() {
    let Some(url) = redis_url("code_replay") else {
        return;
    };
    let stores = RedisStores::<String>::connect(&url, &issuer("replayed"), RedisOptions::default())
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
    // the fapi crate's way: the async swap, then the core's checks (the
    // first finds the code, bound to a DPoP key the request did not prove)
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

#[tokio::test]
async fn keys_are_hashed_namespaced_and_carry_a_ttl() {
    let Some(url) = redis_url("keys") else { return };
    let conn = connect(&url, RedisOptions::default()).await;
    let (a, b) = (issuer("ns-a"), issuer("ns-b"));
    let codes_a = RedisHandleStore::<String>::new(conn.clone(), &a, Kind::Code);
    let codes_b = RedisHandleStore::<String>::new(conn.clone(), &b, Kind::Code);
    let refresh_a = RedisHandleStore::<String>::new(conn.clone(), &a, Kind::Refresh);
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
    let redis_key = codes_a.redis_key(&key);
    assert!(redis_key.starts_with("fapi:") && redis_key.contains(":code:"));
    assert!(!redis_key.contains("the-code-in-clear"));
    let mut r = raw(&url).await;
    let pttl: i64 = r.pttl(&redis_key).await.unwrap();
    assert!(pttl > 59_000 && pttl <= 62_000, "PTTL {pttl}");
    let replay = RedisReplayStore::new(conn, &a);
    replay
        .record_once(b"jti-in-clear", t + 30, t)
        .await
        .unwrap();
    let pttl: i64 = r.pttl(replay.redis_key(b"jti-in-clear")).await.unwrap();
    assert!(pttl > 29_000 && pttl <= 32_000, "PTTL {pttl}");
    let mut iter: redis::AsyncIter<String> = r.scan_match("fapi:*").await.unwrap();
    while let Some(k) = iter.next_item().await {
        let k = k.unwrap();
        assert!(!k.contains("in-clear"), "{k}");
    }
}

#[tokio::test]
async fn unreadable_entries_fail_closed() {
    let Some(url) = redis_url("unreadable") else {
        return;
    };
    let conn = connect(&url, RedisOptions::default()).await;
    let codes = RedisHandleStore::<CodeRecord>::new(conn, &issuer("garbage"), Kind::Code);
    let mut r = raw(&url).await;
    let t = now();
    for (name, bytes) in [
        ("short", b"abc".to_vec()),
        (
            "not json",
            [&(t + 60).to_be_bytes()[..], b"{not json"].concat(),
        ),
        (
            "another type",
            [&(t + 60).to_be_bytes()[..], b"[1,2,3]"].concat(),
        ),
    ] {
        let key = handle_key(name.as_bytes());
        let () = r.set(codes.redis_key(&key), bytes).await.unwrap();
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
/// refresh grant) go through Redis unchanged and are taken once.
#[tokio::test]
async fn f2_code_once_core_values_round_trip_through_redis() {
    let Some(url) = redis_url("core_values") else {
        return;
    };
    let stores = RedisStores::<String>::connect(&url, &issuer("core"), RedisOptions::default())
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
    // RFC 6749 §4.1.2: swapped once for its tombstone, which names the
    // grant and survives the code
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
    let _ = grant;
    assert_eq!(stores.refresh.get(&k, t).await, Ok(refresh));
    assert_eq!(stores.consents.get(&k, t).await.as_deref(), Ok("consent"));
    // the stores are the fapi traits' objects, as a server holds them
    let _: std::sync::Arc<dyn ReplayStore> = stores.replay.clone();
    let _: std::sync::Arc<dyn HandleStore<CodeRecord>> = stores.codes.clone();
    let _: std::sync::Arc<dyn HandleStore<RevokedGrant>> = stores.revocations.clone();
}

#[test]
fn outside_a_runtime_is_a_connect_error_not_a_panic() {
    assert!(matches!(
        fapi_store_redis::RedisConnection::connect_lazy(
            "redis://127.0.0.1:1/0",
            RedisOptions::default()
        ),
        Err(fapi_store_redis::ConnectError::NoRuntime)
    ));
}

#[tokio::test]
async fn a_malformed_url_or_no_redis_is_a_connect_error() {
    assert!(matches!(
        fapi_store_redis::RedisConnection::connect("http://x", RedisOptions::default()).await,
        Err(fapi_store_redis::ConnectError::Malformed(_))
    ));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let start = std::time::Instant::now();
    let r = fapi_store_redis::RedisConnection::connect(
        &format!("redis://127.0.0.1:{port}/0"),
        RedisOptions::default(),
    )
    .await;
    assert!(matches!(
        r,
        Err(fapi_store_redis::ConnectError::Unreachable(_))
    ));
    assert!(start.elapsed() < Duration::from_millis(600));
}
