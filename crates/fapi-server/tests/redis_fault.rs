//! Redis stopped in the middle of a flow, over HTTP: two `fapi-server`
//! processes on a Redis of the test's own (`FAPI_REDIS_SERVER`, a free
//! port, no persistence). While Redis is frozen (SIGSTOP: slower than the
//! stores' deadline) or down (killed), every request that needs the store
//! answers 503 `temporarily_unavailable` (the JSON endpoints) or the 503
//! page (the user's pages), never a token, a login page or a code. Once
//! Redis is back (the same processes: the connection reconnects) a code
//! is accepted at most once (F2-CODE-ONCE), a request URI used at most
//! once (F2-PAR), what a killed Redis lost is refused, and a fresh
//! account-information flow completes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod nodes;

use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use fapi::Client;
use fapi::client::AuthSession;
use nodes::{
    ACCOUNTS, ISSUER, Node, OwnRedis, Reply, Setup, account_flow, approve_request,
    authorize_request, code_of, http_client, login_request, par, par_request, redis_server, send,
    send_dpop,
};

/// A JSON endpoint that needs the store, with Redis away.
/// `GET /healthz` or `GET /readyz`.
fn readiness(path: &str) -> http::Request<String> {
    http::Request::get(format!("{ISSUER}{path}"))
        .body(String::new())
        .unwrap()
}

fn assert_503_json(what: &str, r: &Reply) {
    assert_eq!(r.status, 503, "{what}: {r:?}");
    assert_eq!(
        r.json()["error"],
        "temporarily_unavailable",
        "{what}: {r:?}"
    );
}

/// A user's page that needs the store, with Redis away: the error page,
/// no form to go on with.
fn assert_503_page(what: &str, r: &Reply) {
    assert_eq!(r.status, 503, "{what}: {r:?}");
    assert!(r.body.contains("temporarily_unavailable"), "{what}: {r:?}");
    assert!(!r.body.contains("name=\"csrf\""), "{what}: {r:?}");
    assert!(r.headers.get("location").is_none(), "{what}: {r:?}");
}

/// PAR, authorize on `a`, login on `b`, consent on `a`: the code.
async fn code(
    http: &reqwest::Client,
    client: &Client,
    [a, b]: [SocketAddr; 2],
) -> (AuthSession, String) {
    let (uri, session) = par(http, client, a, "openid", None).await;
    let r = send(http, a, authorize_request(&uri)).await;
    assert_eq!(r.status, 200, "authorize: {r:?}");
    let r = send(http, b, login_request(&r.body)).await;
    assert_eq!(r.status, 200, "login: {r:?}");
    let r = send(http, a, approve_request(&r.body)).await;
    let code = code_of(client, &session, &r).unwrap_or_else(|| panic!("consent: {r:?}"));
    (session, code)
}

/// Waits until the node answers a client credentials request again.
async fn until_back(http: &reqwest::Client, client: &Client, node: SocketAddr) {
    let start = Instant::now();
    loop {
        let r = send_dpop(http, client, node, || {
            client.client_credentials_request("accounts").unwrap()
        })
        .await;
        if r.status == 200 {
            return;
        }
        assert_503_json("reconnecting", &r);
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "Redis did not come back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The redemptions of `code` on both nodes, once Redis is back: accepted
/// at most `max` times in all, every other answer `invalid_grant`.
async fn redeem_after(
    http: &reqwest::Client,
    client: &Client,
    nodes: [SocketAddr; 2],
    session: &AuthSession,
    code: &str,
    max: usize,
) {
    let mut accepted = 0;
    for node in [nodes[0], nodes[1], nodes[0]] {
        let r = send_dpop(http, client, node, || {
            client.code_token_request(session, code).unwrap()
        })
        .await;
        if r.status == 200 {
            accepted += 1;
        } else {
            assert_eq!(r.status, 400, "{r:?}");
            assert_eq!(r.json()["error"], "invalid_grant", "{r:?}");
        }
    }
    assert!(accepted <= max, "a code accepted {accepted} times");
}

/// The fresh flow once Redis is back, across both nodes: the accounts.
async fn fresh_flow_completes(http: &reqwest::Client, client: &Client, nodes: [SocketAddr; 2]) {
    let r = account_flow(http, client, |step| nodes[step % 2]).await;
    assert_eq!(r.status, 200, "GET {ACCOUNTS}: {r:?}");
    assert!(r.json()["Data"]["Account"].is_array(), "{r:?}");
}

/// F2-CODE-ONCE, F2-PAR: Redis frozen after the code is issued (and after
/// a second PAR, before its authorization request): 503s, never a token
/// or a login page; thawed, the code is accepted at most once (a
/// redemption that timed out may have spent it on Redis: fail closed) and
/// the request URI decided on once; a fresh flow completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_f2_par_redis_frozen_mid_flow_fails_closed_and_recovers() {
    let Some(bin) = redis_server("redis_fault") else {
        return;
    };
    let redis = OwnRedis::start_volatile(&bin);
    let setup = Setup::new("fault-frozen");
    let client = &setup.client;
    let (a, b) = (
        Node::start(&setup, &redis.url()),
        Node::start(&setup, &redis.url()),
    );
    let nodes = [a.addr, b.addr];
    let http = http_client(4);
    let (session, code) = code(&http, client, nodes).await;
    let (uri, _) = par(&http, client, nodes[1], "openid", None).await;

    redis.pause();
    for node in nodes {
        let r = send_dpop(&http, client, node, || {
            client.code_token_request(&session, &code).unwrap()
        })
        .await;
        assert_503_json("token, Redis frozen", &r);
        let r = send(&http, node, authorize_request(&uri)).await;
        assert_503_page("authorize, Redis frozen", &r);
        let r = send_dpop(&http, client, node, || {
            par_request(client, "openid", None).0
        })
        .await;
        assert_503_json("PAR, Redis frozen", &r);
        // the process answers, the store does not: live, not ready
        let r = send(&http, node, readiness("/healthz")).await;
        assert_eq!(r.status, 200, "healthz, Redis frozen: {r:?}");
        let r = send(&http, node, readiness("/readyz")).await;
        assert_503_json("readyz, Redis frozen", &r);
        assert!(r.body.contains("not ready"), "{r:?}");
    }
    redis.resume();

    until_back(&http, client, nodes[0]).await;
    for node in nodes {
        let r = send(&http, node, readiness("/readyz")).await;
        assert_eq!(r.status, 200, "readyz after the thaw: {r:?}");
    }
    redeem_after(&http, client, nodes, &session, &code, 1).await;
    // the authorization requests above failed at their read: the request
    // URI is still there, shown by each visit and spent by one decision
    let first = send(&http, nodes[0], authorize_request(&uri)).await;
    assert_eq!(first.status, 200, "authorize after the thaw: {first:?}");
    let second = send(&http, nodes[1], authorize_request(&uri)).await;
    assert_eq!(second.status, 200, "a reload after the thaw: {second:?}");
    let mut decisions = Vec::new();
    for (node, page) in [(nodes[0], &first), (nodes[1], &second)] {
        let r = send(&http, node, login_request(&page.body)).await;
        assert_eq!(r.status, 200, "login after the thaw: {r:?}");
        decisions.push(send(&http, node, approve_request(&r.body)).await.status);
    }
    assert_eq!(decisions, [303, 400], "one decision per request URI");
    let r = send(&http, nodes[1], authorize_request(&uri)).await;
    assert_eq!(r.status, 400, "the request URI after its decision: {r:?}");
    fresh_flow_completes(&http, client, nodes).await;
    drop((a, b));
}

/// F2-CODE-ONCE, F2-PAR: Redis killed after the code is issued and after a
/// second PAR: 503s, never a token or a login page; restarted empty (no
/// persistence), the lost code is `invalid_grant` and the lost request URI
/// refused, never accepted; a fresh flow completes on the same processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_f2_par_redis_killed_mid_flow_fails_closed_and_recovers() {
    let Some(bin) = redis_server("redis_fault") else {
        return;
    };
    let mut redis = OwnRedis::start_volatile(&bin);
    let setup = Setup::new("fault-killed");
    let client = &setup.client;
    let (a, b) = (
        Node::start(&setup, &redis.url()),
        Node::start(&setup, &redis.url()),
    );
    let nodes = [a.addr, b.addr];
    let http = http_client(4);
    let (session, code) = code(&http, client, nodes).await;
    let (uri, _) = par(&http, client, nodes[0], "openid", None).await;
    // a transaction in the middle: the login page shown, not yet posted
    let (uri2, _) = par(&http, client, nodes[0], "openid", None).await;
    let login_page = send(&http, nodes[1], authorize_request(&uri2)).await;
    assert_eq!(login_page.status, 200, "{login_page:?}");

    redis.kill();
    for node in nodes {
        let r = send_dpop(&http, client, node, || {
            client.code_token_request(&session, &code).unwrap()
        })
        .await;
        assert_503_json("token, Redis down", &r);
        let r = send(&http, node, authorize_request(&uri)).await;
        assert_503_page("authorize, Redis down", &r);
        let r = send(&http, node, login_request(&login_page.body)).await;
        assert_503_page("login, Redis down", &r);
        let r = send_dpop(&http, client, node, || {
            par_request(client, "openid", None).0
        })
        .await;
        assert_503_json("PAR, Redis down", &r);
    }
    redis.restart();

    until_back(&http, client, nodes[0]).await;
    until_back(&http, client, nodes[1]).await;
    // gone with the Redis that held them: refused, never accepted
    redeem_after(&http, client, nodes, &session, &code, 0).await;
    let r = send(&http, nodes[0], authorize_request(&uri)).await;
    assert_eq!(r.status, 400, "a lost request URI: {r:?}");
    let r = send(&http, nodes[1], login_request(&login_page.body)).await;
    assert_eq!(r.status, 400, "a lost transaction: {r:?}");
    assert!(r.body.contains("invalid_request"), "{r:?}");
    fresh_flow_completes(&http, client, nodes).await;
    drop((a, b));
}
