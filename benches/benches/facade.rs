//! The `fapi` crate against what it stands on.
//!
//! - `store/record_once/{1000,1000000}`: the sharded in-memory replay cache
//!   holding a steady 1,000 or 1,000,000 live `jti`s (a sliding 60 s
//!   window: each call records a new one and the oldest expire and are
//!   reclaimed as the logical clock moves). Goal: the two within 2x.
//! - `store/record_once_2_threads/1000000`: the same at 1,000,000, two
//!   threads recording at once (wall time per call).
//! - `issue/{core,facade}`: `fapi_core::token::issue` with an aws-lc key
//!   against `fapi::Issuer::issue_access_token` (owned `String`, `jti` and
//!   `iat` filled in). Goal: the facade at most 5% more.
//! - `verify/{core,facade}`: `fapi_core::dpop::verify_resource_proof` and
//!   `fapi_core::token::verify` (the same pre-parsed aws-lc key, the same
//!   replay cache) against `fapi::ResourceServer::verify_request` on the
//!   same headers. Each iteration gets a fresh proof, made outside the
//!   timing. Goal: the facade at most 5% more.

use core::cell::Cell;
use core::hint::black_box;
use core::time::Duration;
use std::sync::Arc;
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use fapi::issuer::AccessToken;
use fapi::memory::MemoryReplayCache;
use fapi::{Client, Issuer, IssuerKeys, KeySet, ResourceServer, SigningKey};
use fapi_core::dpop::{self, DpopConfig, DpopRequest};
use fapi_core::profile::Profile;
use fapi_core::token::{self, AccessTokenParams, Confirmation, Expectations, Presented};
use fapi_core::{Alg, Signer as _, SystemClock};

const WINDOW: u64 = 60;
const AS: &str = "https://as.bank.example";
const API: &str = "https://api.bank.example";
const URL: &str = "https://api.bank.example/accounts";

/// A replay cache holding `live` entries in a sliding window, and the
/// call that records the next one.
struct Steady {
    cache: MemoryReplayCache,
    next: Cell<u64>,
    per_second: u64,
}

impl Steady {
    fn new(live: u64) -> Self {
        let s = Self {
            cache: MemoryReplayCache::new(),
            next: Cell::new(0),
            per_second: (live / WINDOW).max(1),
        };
        for _ in 0..live {
            s.record();
        }
        s
    }

    fn record(&self) {
        let i = self.next.get();
        self.next.set(i + 1);
        let now = 1_000_000 + i / self.per_second;
        self.cache
            .record_once_now(&i.to_be_bytes(), now + WINDOW, now)
            .expect("fresh id");
    }
}

fn store(c: &mut Criterion) {
    let mut g = c.benchmark_group("store");
    for live in [1_000u64, 1_000_000] {
        let s = Steady::new(live);
        let _ = g.bench_function(format!("record_once/{live}"), |b| b.iter(|| s.record()));
    }
    // Two threads, each recording its own ids into one cache of 1,000,000.
    let cache = Arc::new(MemoryReplayCache::new());
    let live = 1_000_000u64;
    let per_second = live / WINDOW;
    for i in 0..live {
        let now = 1_000_000 + i / per_second;
        cache
            .record_once_now(&i.to_be_bytes(), now + WINDOW, now)
            .expect("fresh");
    }
    let next = Arc::new(core::sync::atomic::AtomicU64::new(live));
    let _ = g.bench_function("record_once_2_threads/1000000", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    let (cache, next) = (Arc::clone(&cache), Arc::clone(&next));
                    std::thread::spawn(move || {
                        for _ in 0..iters / 2 {
                            let i = next.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
                            let now = 1_000_000 + i / per_second;
                            cache
                                .record_once_now(&i.to_be_bytes(), now + WINDOW, now)
                                .expect("fresh");
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().expect("worker");
            }
            let elapsed: Duration = start.elapsed();
            elapsed
        })
    });
    g.finish();
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

fn issue(c: &mut Criterion) {
    let rt = runtime();
    let key = SigningKey::generate(Alg::Es256).expect("key");
    let raw = fapi_awslc::Es256SigningKey::generate(&fapi_awslc::SystemRandom::new()).expect("key");
    let issuer = Issuer::builder(Profile::FAPI2, AS, KeySet::new(key))
        .audience(API)
        .build()
        .expect("issuer");
    let client = Client::builder(Profile::FAPI2, "fintech-1", AS)
        .dpop_key(SigningKey::generate(Alg::Es256).expect("key"))
        .build()
        .expect("client");
    let proof = client
        .dpop_proof("POST", issuer.token_endpoint(), None)
        .expect("proof");
    let dpop = rt
        .block_on(issuer.verify_dpop(&proof, "POST", issuer.token_endpoint()))
        .expect("dpop");
    let jkt = client_jkt(&client);
    let rng = fapi_awslc::SystemRandom::new();
    let mut out = vec![0u8; token::MAX_TOKEN_LEN];

    let mut g = c.benchmark_group("issue");
    let _ = g.bench_function("core", |b| {
        b.iter(|| {
            let params = AccessTokenParams {
                issuer: AS,
                subject: "alice",
                audience: API,
                client_id: "fintech-1",
                scope: Some("accounts"),
                issued_at: fapi_core::Clock::now(&SystemClock),
                lifetime: 300,
                confirmation: Some(Confirmation::Jkt(jkt)),
                consent_id: None,
            };
            black_box(token::issue(&Profile::FAPI2, &params, &raw, &rng, &mut out).expect("issue"))
        })
    });
    let _ = g.bench_function("facade", |b| {
        b.iter(|| {
            let t = AccessToken::new("alice", "fintech-1", dpop.binding()).scope("accounts");
            black_box(rt.block_on(issuer.issue_access_token(t)).expect("issue"))
        })
    });
    g.finish();
}

fn client_jkt(client: &Client) -> fapi_core::Thumbprint {
    let proof = client.dpop_proof("GET", URL, None).expect("proof");
    let cache = MemoryReplayCache::new();
    dpop::verify_proof(
        proof.as_bytes(),
        &DpopRequest {
            method: "GET",
            uri: URL,
            nonce_binding: None,
        },
        &DpopConfig::new(&Profile::FAPI2),
        &fapi_awslc::AWSLC,
        &SystemClock,
        &cache,
    )
    .expect("proof")
    .jkt
}

fn verify(c: &mut Criterion) {
    let rt = runtime();
    let as_key = SigningKey::generate(Alg::Es256).expect("key");
    let public = as_key.public_key().expect("public");
    let keys = KeySet::new(as_key);
    let rs = ResourceServer::builder(
        Profile::FAPI2,
        AS,
        API,
        IssuerKeys::from_jwks_json(&keys.jwks_json().expect("jwks")).expect("keys"),
    )
    .build()
    .expect("rs");
    let issuer = Issuer::builder(Profile::FAPI2, AS, keys)
        .audience(API)
        .build()
        .expect("issuer");
    let client = Client::builder(Profile::FAPI2, "fintech-1", AS)
        .dpop_key(SigningKey::generate(Alg::Es256).expect("key"))
        .build()
        .expect("client");
    let proof = client
        .dpop_proof("POST", issuer.token_endpoint(), None)
        .expect("proof");
    let dpop = rt
        .block_on(issuer.verify_dpop(&proof, "POST", issuer.token_endpoint()))
        .expect("dpop");
    let token = rt
        .block_on(issuer.issue_access_token(
            AccessToken::new("alice", "fintech-1", dpop.binding()).scope("accounts"),
        ))
        .expect("token")
        .access_token;
    let verifying = fapi_awslc::Es256VerifyingKey::from_public_key(&public).expect("key");
    let cache = MemoryReplayCache::new();
    let expect = Expectations::new(AS, API);
    let request = DpopRequest {
        method: "GET",
        uri: URL,
        nonce_binding: None,
    };
    let fresh = || {
        client
            .resource_request("GET", URL, &token)
            .expect("request")
    };

    let mut g = c.benchmark_group("verify");
    let _ = g.bench_function("core", |b| {
        b.iter_batched(
            fresh,
            |req| {
                let proof = req.headers()["dpop"].to_str().expect("proof");
                let p = dpop::verify_resource_proof(
                    proof.as_bytes(),
                    &request,
                    &token,
                    &DpopConfig::new(&Profile::FAPI2),
                    &fapi_awslc::AWSLC,
                    &SystemClock,
                    &cache,
                )
                .expect("proof");
                let mut buf = vec![0u8; token::MAX_TOKEN_LEN];
                let presented = Presented::dpop(&p, &request);
                let claims = token::verify(
                    token.as_bytes(),
                    &Profile::FAPI2,
                    &expect,
                    &verifying,
                    &SystemClock,
                    &presented,
                    &mut buf,
                )
                .expect("token");
                black_box(claims.subject.len())
            },
            BatchSize::SmallInput,
        )
    });
    let _ = g.bench_function("facade", |b| {
        b.iter_batched(
            fresh,
            |req| black_box(rt.block_on(rs.verify(&req, None)).expect("verify")),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, store, issue, verify);
criterion_main!(benches);
