//! Grants and pushed requests over HTTP:
//!
//! - RFC 6749 §4.1.2, RFC 9700 §4.5: a code presented again is refused, and
//!   the access tokens (the first and the refreshed ones) and the refresh
//!   token of its first redemption are revoked: 401 `invalid_token` at the
//!   resource server, 400 `invalid_grant` at refresh. In memory, and with
//!   two `fapi-server` processes on one Redis (`FAPI_REDIS_URL`), the
//!   replay sent to the other node.
//! - F2-PAR (FAPI 2.0 Security Profile §5.3.2.2, note 3; the OpenID
//!   Foundation's `par-ensure-reused-request-uri-prior-to-auth-completion-succeeds`):
//!   the `request_uri` used twice in the browser before the decision
//!   works (a reload, a second tab); the decision spends it, so it gives
//!   one code at most, and after it the `request_uri` is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod nodes;

use core::net::SocketAddr;
use std::sync::Arc;

use fapi::Client;
use fapi::client::AuthSession;
use fapi_core::profile::Profile;
use fapi_server::{RunningServer, ServerConfig, Stores, start};
use nodes::{
    ACCOUNTS, ISSUER, Node, Reply, Setup, account_consent_body, approve_request, authorize_request,
    code_of, form_post, hidden, http_client, login_request, par, redis_url, rs_request, send,
    send_dpop,
};

async fn bank(setup: &Setup) -> RunningServer {
    let config = ServerConfig::new(Profile::FAPI2)
        .listen("127.0.0.1:0".parse().unwrap())
        .issuer(ISSUER)
        .plain_http(true)
        .nonce_key([7; 32])
        .client(setup.registration.clone())
        .stores(Stores::memory());
    start(config).await.unwrap()
}

/// The tokens of one authorization: the code, its session, the token
/// response.
struct Tokens {
    session: AuthSession,
    code: String,
    access_token: String,
    refresh_token: String,
}

/// Client credentials, an account-access consent, PAR, login and consent
/// and the code's redemption, each step on the node `at(step)` names.
async fn tokens(
    http: &reqwest::Client,
    client: &Client,
    at: impl Fn(usize) -> SocketAddr,
) -> Tokens {
    let r = send_dpop(http, client, at(0), || {
        client.client_credentials_request("accounts").unwrap()
    })
    .await;
    assert_eq!(r.status, 200, "client credentials: {}", r.body);
    let cc = r.json()["access_token"].as_str().unwrap().to_owned();
    let body = account_consent_body();
    let consents = "/open-banking/v3.1/aisp/account-access-consents";
    let r = send_dpop(http, client, at(1), || {
        rs_request(client, "POST", consents, &cc, Some(&body))
    })
    .await;
    assert_eq!(r.status, 201, "consent: {}", r.body);
    let consent_id = r.json()["Data"]["ConsentId"].as_str().unwrap().to_owned();
    let (uri, session) = par(http, client, at(2), "openid accounts", Some(&consent_id)).await;
    let r = send(http, at(3), authorize_request(&uri)).await;
    assert_eq!(r.status, 200, "authorize: {}", r.body);
    let r = send(http, at(4), login_request(&r.body)).await;
    assert_eq!(r.status, 200, "login: {}", r.body);
    let r = send(http, at(5), approve_request(&r.body)).await;
    let code = code_of(client, &session, &r).unwrap_or_else(|| panic!("consent: {r:?}"));
    let r = send_dpop(http, client, at(6), || {
        client.code_token_request(&session, &code).unwrap()
    })
    .await;
    assert_eq!(r.status, 200, "token: {}", r.body);
    let v = r.json();
    Tokens {
        session,
        code,
        access_token: v["access_token"].as_str().unwrap().to_owned(),
        refresh_token: v["refresh_token"].as_str().unwrap().to_owned(),
    }
}

/// `GET` accounts with `token` at `addr`.
async fn accounts(http: &reqwest::Client, client: &Client, addr: SocketAddr, token: &str) -> Reply {
    send_dpop(http, client, addr, || {
        rs_request(client, "GET", ACCOUNTS, token, None)
    })
    .await
}

async fn refresh(http: &reqwest::Client, client: &Client, addr: SocketAddr, rt: &str) -> Reply {
    send_dpop(http, client, addr, || client.refresh_request(rt).unwrap()).await
}

async fn redeem(http: &reqwest::Client, client: &Client, addr: SocketAddr, t: &Tokens) -> Reply {
    send_dpop(http, client, addr, || {
        client.code_token_request(&t.session, &t.code).unwrap()
    })
    .await
}

fn assert_invalid_token(r: &Reply, what: &str) {
    assert_eq!(r.status, 401, "{what}: {}", r.body);
    let challenge = r.headers["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("invalid_token"), "{what}: {challenge}");
}

fn assert_invalid_grant(r: &Reply, what: &str) {
    assert_eq!(r.status, 400, "{what}: {}", r.body);
    assert_eq!(r.json()["error"], "invalid_grant", "{what}");
}

/// RFC 6749 §4.1.2, RFC 9700 §4.5: the code presented again is refused
/// (F2-CODE-ONCE) and every token of its first redemption is revoked: the
/// first access token and one refreshed from it get 401 `invalid_token` at
/// the resource server, the refresh token 400 `invalid_grant`. Another
/// authorization of the same client and user keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6749_4_1_2_replayed_code_revokes_access_and_refresh_tokens() {
    let setup = Setup::new("grants-replay");
    let client = &setup.client;
    let server = bank(&setup).await;
    let addr = server.local_addr();
    let http = http_client(4);
    let t = tokens(&http, client, |_| addr).await;
    let other = tokens(&http, client, |_| addr).await;
    assert_eq!(
        accounts(&http, client, addr, &t.access_token).await.status,
        200
    );
    let r = refresh(&http, client, addr, &t.refresh_token).await;
    assert_eq!(r.status, 200, "refresh: {}", r.body);
    let refreshed = r.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(accounts(&http, client, addr, &refreshed).await.status, 200);

    // F2-CODE-ONCE: refused
    assert_invalid_grant(&redeem(&http, client, addr, &t).await, "the code again");
    // RFC 6749 §4.1.2: the first redemption's tokens are revoked
    assert_invalid_token(
        &accounts(&http, client, addr, &t.access_token).await,
        "the first access token",
    );
    assert_invalid_token(
        &accounts(&http, client, addr, &refreshed).await,
        "the refreshed access token",
    );
    assert_invalid_grant(
        &refresh(&http, client, addr, &t.refresh_token).await,
        "the refresh token",
    );
    // the other grant is untouched
    assert_eq!(
        accounts(&http, client, addr, &other.access_token)
            .await
            .status,
        200
    );
    assert_eq!(
        refresh(&http, client, addr, &other.refresh_token)
            .await
            .status,
        200
    );
    server.shutdown().await;
}

/// RFC 6749 §4.1.2 across nodes: two `fapi-server` processes on one Redis;
/// the code is redeemed on one node and presented again on the other; the
/// tokens of the first redemption are refused on both nodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc6749_4_1_2_two_nodes_replayed_code_revokes_tokens_on_every_node() {
    let Some(url) = redis_url("grants") else {
        return;
    };
    let setup = Setup::new("grants-two-nodes");
    let client = &setup.client;
    let (a, b) = (Node::start(&setup, &url), Node::start(&setup, &url));
    let nodes = [a.addr, b.addr];
    let http = http_client(4);
    let t = tokens(&http, client, |step| nodes[step % 2]).await;
    for n in nodes {
        assert_eq!(
            accounts(&http, client, n, &t.access_token).await.status,
            200
        );
    }
    // the token request was node 0's (step 6): the replay goes to node 1
    assert_invalid_grant(&redeem(&http, client, nodes[1], &t).await, "the code again");
    for n in nodes {
        assert_invalid_token(
            &accounts(&http, client, n, &t.access_token).await,
            "the first access token",
        );
        assert_invalid_grant(
            &refresh(&http, client, n, &t.refresh_token).await,
            "the refresh token",
        );
    }
    drop((a, b));
}

/// `GET /authorize` of `uri`: the login page (200) or the error page.
async fn visit(http: &reqwest::Client, addr: SocketAddr, uri: &str) -> Reply {
    send(http, addr, authorize_request(uri)).await
}

fn assert_request_uri_refused(r: &Reply, what: &str) {
    assert_eq!(r.status, 400, "{what}: {}", r.body);
    assert!(r.body.contains("invalid_request_uri"), "{what}: {}", r.body);
    assert!(!r.body.contains("name=\"csrf\""), "{what}: {}", r.body);
}

/// F2-PAR (FAPI 2.0 Security Profile §5.3.2.2, note 3): the request URI
/// used twice in the browser before the decision (a reload of the login
/// page) shows the login page both times and the flow completes from the
/// second; after completion it is refused, and the first page's
/// transaction can no longer decide (one code per request URI).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_par_reused_request_uri_prior_to_auth_completion_succeeds() {
    let setup = Setup::new("grants-reload");
    let client = &setup.client;
    let server = bank(&setup).await;
    let addr = server.local_addr();
    let http = http_client(4);
    let (uri, session) = par(&http, client, addr, "openid", None).await;
    let first = visit(&http, addr, &uri).await;
    assert_eq!(first.status, 200, "first visit: {}", first.body);
    let reload = visit(&http, addr, &uri).await;
    assert_eq!(reload.status, 200, "reload: {}", reload.body);
    assert_ne!(hidden(&first.body, "txn"), hidden(&reload.body, "txn"));
    let r = send(&http, addr, login_request(&reload.body)).await;
    assert_eq!(r.status, 200, "login: {}", r.body);
    let r = send(&http, addr, approve_request(&r.body)).await;
    let code = code_of(client, &session, &r).unwrap_or_else(|| panic!("consent: {r:?}"));
    let r = send_dpop(&http, client, addr, || {
        client.code_token_request(&session, &code).unwrap()
    })
    .await;
    assert_eq!(r.status, 200, "token: {}", r.body);

    // completed: the request URI is refused
    assert_request_uri_refused(&visit(&http, addr, &uri).await, "after completion");
    // the first tab signs in and approves: no second code
    let r = send(&http, addr, login_request(&first.body)).await;
    assert_eq!(r.status, 200, "login in the first tab: {}", r.body);
    let r = send(&http, addr, approve_request(&r.body)).await;
    assert_request_uri_refused(&r, "a decision in the first tab");
    assert!(code_of(client, &session, &r).is_none());
    server.shutdown().await;
}

/// F2-PAR: a denial is a decision too: it spends the request URI (the
/// client gets `access_denied`), and a second tab cannot then approve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_par_a_denial_spends_the_request_uri() {
    let setup = Setup::new("grants-deny");
    let client = &setup.client;
    let server = bank(&setup).await;
    let addr = server.local_addr();
    let http = http_client(4);
    let (uri, _session) = par(&http, client, addr, "openid", None).await;
    let tab1 = visit(&http, addr, &uri).await;
    let tab2 = visit(&http, addr, &uri).await;
    let pages = [
        send(&http, addr, login_request(&tab1.body)).await,
        send(&http, addr, login_request(&tab2.body)).await,
    ];
    let deny = form_post(
        "/authorize/consent",
        &[
            ("decision", "deny"),
            ("txn", hidden(&pages[0].body, "txn").as_str()),
            ("csrf", hidden(&pages[0].body, "csrf").as_str()),
        ],
    );
    let r = send(&http, addr, deny).await;
    assert_eq!(r.status, 303, "deny: {}", r.body);
    assert!(
        r.headers["location"]
            .to_str()
            .unwrap()
            .contains("error=access_denied")
    );
    let r = send(&http, addr, approve_request(&pages[1].body)).await;
    assert_request_uri_refused(&r, "an approval after the denial");
    assert_request_uri_refused(&visit(&http, addr, &uri).await, "after the denial");
    server.shutdown().await;
}

/// F2-PAR, F2-CODE-ONCE: 16 tabs of one request URI, each signed in, then
/// all approving at once: exactly one code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_par_concurrent_decisions_of_one_request_uri_give_one_code() {
    const TABS: usize = 16;
    let setup = Setup::new("grants-tabs");
    let client = &setup.client;
    let server = bank(&setup).await;
    let addr = server.local_addr();
    let http = http_client(TABS);
    for round in 0..3 {
        let (uri, session) = par(&http, client, addr, "openid", None).await;
        let mut consent_pages = Vec::new();
        for _ in 0..TABS {
            let page = visit(&http, addr, &uri).await;
            assert_eq!(page.status, 200, "{}", page.body);
            let r = send(&http, addr, login_request(&page.body)).await;
            assert_eq!(r.status, 200, "{}", r.body);
            consent_pages.push(r.body);
        }
        let barrier = Arc::new(tokio::sync::Barrier::new(TABS));
        let tasks: Vec<_> = consent_pages
            .into_iter()
            .map(|page| {
                let (http, barrier) = (http.clone(), Arc::clone(&barrier));
                tokio::spawn(async move {
                    let _ = barrier.wait().await;
                    send(&http, addr, approve_request(&page)).await
                })
            })
            .collect();
        let mut codes = 0;
        for t in tasks {
            let r = t.await.unwrap();
            if code_of(client, &session, &r).is_some() {
                codes += 1;
            } else {
                assert_request_uri_refused(&r, "another tab");
            }
        }
        assert_eq!(codes, 1, "round {round}: one code per request URI");
    }
    server.shutdown().await;
}
