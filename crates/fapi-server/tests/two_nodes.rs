//! Two `fapi-server` processes (the flags of `fapi serve`) on one Redis
//! (`FAPI_REDIS_URL`, from `crates/fapi-store-redis/tests/redis-setup.sh`),
//! then on one PostgreSQL (`FAPI_POSTGRES_URL`):
//! same issuer, signing key, nonce key and clients file, each its own
//! process and Redis connection. 64 concurrent uses of one code, one
//! request URI and one DPoP `jti`, split across both nodes, give exactly
//! one success (F2-CODE-ONCE, F2-PAR, F2-SENDER); 100 rounds. A request
//! URI is shown by every visit (a reload, another tab) and spent by the
//! one decision that gives a code (FAPI 2.0 Security Profile §5.3.2.2,
//! note 3). The login and consent forms go to the node that did not show
//! the login page: the transactions are shared.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod nodes;

use core::net::SocketAddr;
use std::sync::Arc;

use fapi::{Client, SigningKey};
use fapi_core::Alg;
use fapi_core::profile::Profile;
use fapi_server::config::ClientConfig;
use fapi_server::store_url::redis_stores;
use fapi_server::{ServerConfig, start};
use fapi_store_redis::{RedisConnection, RedisOptions};
use nodes::{
    ISSUER, Node, REDIRECT, Reply, Setup, approve_request, authorize_request, code_of, form_post,
    http_client, login_request, par, pg_url, redis_url, send,
};

const RACERS: usize = 64;
const ROUNDS: usize = 100;

/// Client credentials with DPoP: the token request with `proof`.
fn client_credentials(client: &Client, proof: &str) -> http::Request<String> {
    let assertion = client.client_assertion(ISSUER).unwrap();
    let mut req = form_post(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("scope", "accounts"),
            ("client_id", client.client_id()),
            (
                "client_assertion_type",
                fapi_core::assertion::ASSERTION_TYPE,
            ),
            ("client_assertion", assertion.as_str()),
        ],
    );
    let _ = req
        .headers_mut()
        .insert("dpop", http::HeaderValue::from_str(proof).unwrap());
    req
}

/// Sends `reqs` all at once, alternating between the nodes.
async fn race(
    http: &reqwest::Client,
    nodes: [SocketAddr; 2],
    reqs: Vec<http::Request<String>>,
) -> Vec<Reply> {
    let barrier = Arc::new(tokio::sync::Barrier::new(reqs.len()));
    let tasks: Vec<_> = reqs
        .into_iter()
        .enumerate()
        .map(|(i, req)| {
            let (http, barrier) = (http.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                let _ = barrier.wait().await;
                send(&http, nodes[i % 2], req).await
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn one_winner(what: &str, round: usize, responses: &[Reply], ok: u16) -> usize {
    let winners: Vec<usize> = (0..responses.len())
        .filter(|i| responses[*i].status == ok)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "{what}, round {round}: exactly one success; first answer {} {}",
        responses[0].status,
        responses[0].body
    );
    for r in responses {
        assert!(
            r.status == ok || (400..500).contains(&r.status),
            "{what}, round {round}: {} {}",
            r.status,
            r.body
        );
    }
    winners[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_f2_par_f2_sender_two_processes_race_one_winner() {
    let Some(url) = redis_url("two_nodes") else {
        return;
    };
    two_processes_race(&url, &[], "two-nodes", ROUNDS).await;
}

/// The same races on one PostgreSQL (`FAPI_POSTGRES_URL`, from
/// `crates/fapi-store-postgres/tests/postgres-setup.sh`): `DELETE …
/// RETURNING`, `INSERT … ON CONFLICT` and `UPDATE … RETURNING` give one
/// winner across the processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_f2_par_f2_sender_two_processes_on_postgres_one_winner() {
    let Some(url) = pg_url("two_nodes_postgres") else {
        return;
    };
    two_processes_race(&url, &[], "two-nodes-pg", ROUNDS).await;
}

/// The documented split, `--store postgres://… --replay-store redis://…`:
/// the request URI and the code on PostgreSQL, the DPoP `jti`s on Redis;
/// one winner each (20 rounds: the stores' races are above).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_f2_sender_two_processes_on_postgres_with_redis_replay_one_winner() {
    let (Some(pg), Some(redis)) = (pg_url("two_nodes_split"), redis_url("two_nodes_split")) else {
        return;
    };
    two_processes_race(&pg, &["--replay-store", &redis], "two-nodes-split", 20).await;
}

/// `rounds` rounds of the three races on two processes on `--store url`
/// (with the `extra` flags).
async fn two_processes_race(url: &str, extra: &[&str], name: &str, rounds: usize) {
    let setup = Setup::new(name);
    let client = &setup.client;
    // Two processes; dropped (killed and waited for) on a failure too.
    let a = Node::start_with(&setup, url, extra);
    let b = Node::start_with(&setup, url, extra);
    let nodes = [a.addr, b.addr];
    let http = http_client(RACERS);
    let started = std::time::Instant::now();
    let mut winners = 0;

    for round in 0..rounds {
        // PAR on one node (after the DPoP nonce both nodes issue and accept)
        let (request_uri, session) = par(&http, client, nodes[round % 2], "openid", None).await;

        // F2-PAR: 64 visits of one request URI, each its own login page
        let reqs = (0..RACERS)
            .map(|_| authorize_request(&request_uri))
            .collect();
        let pages = race(&http, nodes, reqs).await;
        for p in &pages {
            assert_eq!(p.status, 200, "round {round}: a visit: {}", p.body);
        }
        // the login forms to the other node (sent alternately, so each to
        // the node that did not show it): the transactions are shared
        let reqs = pages.iter().map(|p| login_request(&p.body)).collect();
        let consent_pages = race(&http, [nodes[1], nodes[0]], reqs).await;
        for p in &consent_pages {
            assert_eq!(p.status, 200, "round {round}: a login: {}", p.body);
        }
        // 64 approvals at once: one decision, one code
        let reqs = consent_pages
            .iter()
            .map(|p| approve_request(&p.body))
            .collect();
        let responses = race(&http, nodes, reqs).await;
        let w = one_winner("request_uri", round, &responses, 303);
        winners += 1;
        let code = code_of(client, &session, &responses[w])
            .unwrap_or_else(|| panic!("the approval: {:?}", responses[w]));
        // the token endpoint's DPoP nonce (RFC 9449 §8), from either node
        let proof = client
            .dpop_proof("POST", &format!("{ISSUER}/token"), None)
            .unwrap();
        let r = send(
            &http,
            nodes[(round + 1) % 2],
            client_credentials(client, &proof),
        )
        .await;
        client.remember_dpop_nonce(&r.headers);

        // F2-CODE-ONCE: 64 redemptions of one code (each with its own
        // assertion and proof), split across the nodes: one token
        let reqs = (0..RACERS)
            .map(|_| client.code_token_request(&session, &code).unwrap())
            .collect();
        let responses = race(&http, nodes, reqs).await;
        let w = one_winner("code", round, &responses, 200);
        winners += 1;
        assert!(responses[w].body.contains("access_token"));

        // F2-SENDER: 64 token requests carrying one DPoP proof (one jti),
        // each with its own client assertion: one token
        let proof = client
            .dpop_proof("POST", &format!("{ISSUER}/token"), None)
            .unwrap();
        let reqs = (0..RACERS)
            .map(|_| client_credentials(client, &proof))
            .collect();
        let responses = race(&http, nodes, reqs).await;
        let _ = one_winner("dpop jti", round, &responses, 200);
        winners += 1;
    }
    assert_eq!(winners, 3 * rounds);
    eprintln!(
        "{name}: {rounds} rounds of 3 races of {RACERS} in {:?}",
        started.elapsed()
    );
    drop((a, b));
}

/// The store down: a node answers 503 `temporarily_unavailable`, never a
/// token (recovery is `fapi-store-redis`'s fault test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_failed_is_503_temporarily_unavailable() {
    let Some(_) = redis_url("two_nodes") else {
        return;
    };
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let client = Client::builder(Profile::FAPI2, "client-1", ISSUER)
        .redirect_uri(REDIRECT)
        .signing_key(SigningKey::generate(Alg::Es256).unwrap())
        .dpop_key(SigningKey::generate(Alg::Es256).unwrap())
        .build()
        .unwrap();
    let registration = ClientConfig {
        client_id: "client-1".into(),
        name: "Client One".into(),
        redirect_uris: vec![REDIRECT.into()],
        auth: "private_key_jwt".into(),
        jwks: Some(client.jwks_json().unwrap()),
        jwks_file: None,
        tls_client_auth_subject_dn: None,
        scopes: vec!["accounts".into()],
        ..ClientConfig::default()
    };
    // a Redis URL on which nothing listens: every store call fails
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conn = RedisConnection::connect_lazy(
        &format!("redis://127.0.0.1:{port}/0"),
        RedisOptions::default(),
    )
    .unwrap();
    let server = start(
        ServerConfig::new(Profile::FAPI2)
            .listen("127.0.0.1:0".parse().unwrap())
            .issuer(ISSUER)
            .plain_http(true)
            .nonce_key([7; 32])
            .client(registration)
            .stores(redis_stores(&conn, ISSUER)),
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let mut saw_503 = false;
    for _ in 0..3 {
        let proof = client
            .dpop_proof("POST", &format!("{ISSUER}/token"), None)
            .unwrap();
        let r = send(
            &http,
            server.local_addr(),
            client_credentials(&client, &proof),
        )
        .await;
        client.remember_dpop_nonce(&r.headers);
        assert_ne!(r.status, 200, "no token without the replay store");
        if r.status == 503 {
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(v["error"], "temporarily_unavailable");
            saw_503 = true;
            break;
        }
    }
    assert!(
        saw_503,
        "the token endpoint answers 503 while Redis is down"
    );
    server.shutdown().await;
}
