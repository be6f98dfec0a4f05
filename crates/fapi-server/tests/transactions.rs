//! Login and consent transactions in the stores (memory here): each post
//! takes its transaction atomically, so concurrent consent posts of one
//! transaction give exactly one code (F2-CODE-ONCE); a wrong password or
//! CSRF token leaves it for the next try; a store that fails is the 503
//! page, never a page to go on from.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod nodes;

use std::sync::Arc;

use async_trait::async_trait;
use fapi::store::{HandleKey, HandleStore};
use fapi_core::Error;
use fapi_core::profile::Profile;
use fapi_server::transaction::Transaction;
use fapi_server::{RunningServer, ServerConfig, Stores, start};
use nodes::{
    ISSUER, Setup, approve_request, authorize_request, code_of, form_post, hidden, http_client,
    login_request, par, send,
};

const RACERS: usize = 64;

async fn bank(setup: &Setup, stores: Stores) -> RunningServer {
    let config = ServerConfig::new(Profile::FAPI2)
        .listen("127.0.0.1:0".parse().unwrap())
        .issuer(ISSUER)
        .plain_http(true)
        .nonce_key([7; 32])
        .client(setup.registration.clone())
        .stores(stores);
    start(config).await.unwrap()
}

/// F2-CODE-ONCE: 64 concurrent approvals of one transaction: one 303 with
/// a code, every other post refused (400, no code).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_concurrent_consent_posts_of_one_transaction_give_one_code() {
    let setup = Setup::new("txn-race");
    let client = &setup.client;
    let server = bank(&setup, Stores::memory()).await;
    let addr = server.local_addr();
    let http = http_client(RACERS);
    for round in 0..5 {
        let (uri, session) = par(&http, client, addr, "openid", None).await;
        let r = send(&http, addr, authorize_request(&uri)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = send(&http, addr, login_request(&r.body)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let consent_page = Arc::new(r.body);
        let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
        let tasks: Vec<_> = (0..RACERS)
            .map(|_| {
                let (http, page, barrier) = (
                    http.clone(),
                    Arc::clone(&consent_page),
                    Arc::clone(&barrier),
                );
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
                assert_eq!(r.status, 400, "round {round}: {r:?}");
                assert!(r.body.contains("invalid_request"), "{r:?}");
            }
        }
        assert_eq!(codes, 1, "round {round}: one transaction, one code");
    }
    server.shutdown().await;
}

/// A wrong password and a wrong CSRF token put the transaction back: the
/// right ones then sign in; a consent post before signing in is refused
/// and leaves it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_login_leaves_the_transaction_for_the_next_try() {
    let setup = Setup::new("txn-retry");
    let client = &setup.client;
    let server = bank(&setup, Stores::memory()).await;
    let addr = server.local_addr();
    let http = http_client(2);
    let (uri, session) = par(&http, client, addr, "openid", None).await;
    let page = send(&http, addr, authorize_request(&uri)).await.body;
    let (txn, csrf) = (hidden(&page, "txn"), hidden(&page, "csrf"));
    let post = |user: &str, password: &str, csrf: &str| {
        form_post(
            "/authorize/login",
            &[
                ("username", user),
                ("password", password),
                ("txn", &txn),
                ("csrf", csrf),
            ],
        )
    };
    let r = send(&http, addr, post("alice", "wrong", &csrf)).await;
    assert_eq!(r.status, 401, "{}", r.body);
    let r = send(&http, addr, post("alice", "alice-password", "forged")).await;
    assert_eq!(r.status, 400, "{}", r.body);
    // consent before sign-in: refused, the transaction stays
    let r = send(&http, addr, approve_request(&page)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = send(&http, addr, post("alice", "alice-password", &csrf)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(&http, addr, approve_request(&r.body)).await;
    assert!(code_of(client, &session, &r).is_some(), "{r:?}");
    // used: the same post again is refused
    let r = send(&http, addr, approve_request(&page)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    server.shutdown().await;
}

/// A transaction store whose backend is unreachable.
struct Down;

#[async_trait]
impl HandleStore<Transaction> for Down {
    async fn insert(&self, _: HandleKey, _: Transaction, _: u64, _: u64) -> Result<(), Error> {
        Err(Error::StoreFailed)
    }
    async fn take(&self, _: &HandleKey, _: u64) -> Result<Transaction, Error> {
        Err(Error::StoreFailed)
    }
    async fn get(&self, _: &HandleKey, _: u64) -> Result<Transaction, Error> {
        Err(Error::StoreFailed)
    }
    async fn remove(&self, _: &HandleKey) -> Result<(), Error> {
        Err(Error::StoreFailed)
    }
    async fn replace(
        &self,
        _: &HandleKey,
        _: Transaction,
        _: u64,
        _: u64,
    ) -> Result<Transaction, Error> {
        Err(Error::StoreFailed)
    }
}

/// The transaction store failing: `GET /authorize` is the 503 page, not a
/// login page (F2-PAR: the pushed request is not spent by a visit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_par_a_failed_transaction_store_is_the_503_page() {
    let setup = Setup::new("txn-down");
    let client = &setup.client;
    let mut stores = Stores::memory();
    stores.transactions = Arc::new(Down);
    let server = bank(&setup, stores).await;
    let addr = server.local_addr();
    let http = http_client(2);
    let (uri, _) = par(&http, client, addr, "openid", None).await;
    let r = send(&http, addr, authorize_request(&uri)).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("temporarily_unavailable"), "{}", r.body);
    assert!(!r.body.contains("name=\"csrf\""), "{}", r.body);
    // forms naming a transaction: 503 too, never accepted
    let r = send(
        &http,
        addr,
        form_post(
            "/authorize/consent",
            &[("decision", "approve"), ("txn", "t"), ("csrf", "c")],
        ),
    )
    .await;
    assert_eq!(r.status, 503, "{}", r.body);
    server.shutdown().await;
}
