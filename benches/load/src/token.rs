//! `fapi-load token`: the token endpoint under load.
//!
//! Every request is `grant_type=client_credentials` with a fresh
//! `private_key_jwt` assertion and a fresh DPoP proof (ES256), for a JWT
//! access token. The assertions and proofs are signed before the clock
//! starts, so the measured work is the server's, not the client's
//! signing: the client then only sends bytes over kept-alive TLS
//! connections. Requests go round-robin to every `--node` (two nodes
//! behind one issuer identifier, as behind a load balancer).

use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use fapi::{Client, SigningKey};
use fapi_core::profile::Profile;

use crate::setup::{CLIENT_ID, Failure};
use crate::stats::Summary;

/// What to load, and how hard.
#[derive(clap::Args, Debug)]
pub struct TokenArgs {
    /// The issuer identifier (the assertion's `aud`; metadata is read from it).
    #[arg(long)]
    pub issuer: String,
    /// A node's base URL to send to (repeat for several; default: the issuer).
    #[arg(long = "node")]
    pub nodes: Vec<String>,
    /// The folder `fapi-load setup` wrote.
    #[arg(long)]
    pub dir: PathBuf,
    /// How many token requests.
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// How many requests in flight (one kept-alive connection each).
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Stop after this many seconds even if requests remain.
    #[arg(long, default_value_t = 30)]
    pub max_seconds: u64,
    /// The label of this run in the output.
    #[arg(long, default_value = "run")]
    pub label: String,
}

/// An HTTPS client trusting the setup's CA, HTTP/1.1, kept alive.
pub fn http_client(dir: &std::path::Path, pool: usize) -> Result<reqwest::Client, Failure> {
    let ca = std::fs::read(dir.join("ca.pem")).map_err(|e| format!("ca.pem: {e}"))?;
    let ca = reqwest::Certificate::from_pem(&ca).map_err(|e| format!("ca.pem: {e}"))?;
    // reqwest without a built-in provider: aws-lc, as the servers use.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .http1_only()
        .pool_max_idle_per_host(pool)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("HTTPS client: {e}"))
}

/// The token endpoint from the issuer's metadata (RFC 8414, then OIDC).
pub async fn token_endpoint(http: &reqwest::Client, issuer: &str) -> Result<String, Failure> {
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let url = format!("{issuer}{path}");
        let Ok(resp) = http.get(&url).send().await else {
            continue;
        };
        if !resp.status().is_success() {
            continue;
        }
        let text = resp.text().await.map_err(|e| format!("{url}: {e}"))?;
        let meta: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{url}: {e}"))?;
        if let Some(t) = meta["token_endpoint"].as_str() {
            return Ok(t.to_owned());
        }
    }
    Err(format!("{issuer}: no metadata with a token_endpoint"))
}

/// The load client: its assertion key and a fresh DPoP key.
pub fn load_client(dir: &std::path::Path, issuer: &str, token: &str) -> Result<Client, Failure> {
    let key = SigningKey::from_file(dir.join("client.pem")).map_err(|e| e.to_string())?;
    let dpop = SigningKey::generate(fapi_core::Alg::Es256).map_err(|e| e.to_string())?;
    Client::builder(Profile::FAPI2, CLIENT_ID, issuer)
        .signing_key(key)
        .dpop_key(dpop)
        .token_endpoint(token)
        .build()
        .map_err(|e| e.to_string())
}

/// One signed request: the form body and the DPoP header.
pub(crate) struct Prepared {
    body: String,
    dpop: String,
}

pub(crate) fn prepare(client: &Client, issuer: &str, token: &str) -> Result<Prepared, Failure> {
    let assertion = client.client_assertion(issuer).map_err(|e| e.to_string())?;
    let dpop = client
        .dpop_proof("POST", token, None)
        .map_err(|e| e.to_string())?;
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", CLIENT_ID)
        .append_pair(
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        )
        .append_pair("client_assertion", &assertion)
        .append_pair("scope", "accounts")
        .finish();
    Ok(Prepared { body, dpop })
}

/// Sends one prepared token request to `url`.
pub(crate) async fn send(
    http: &reqwest::Client,
    url: &str,
    p: &Prepared,
) -> Result<reqwest::Response, reqwest::Error> {
    http.post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("dpop", &p.dpop)
        .body(p.body.clone())
        .send()
        .await
}

/// The node URL of a token endpoint: the same path on `node`.
fn on_node(token: &str, issuer: &str, node: &str) -> String {
    token.strip_prefix(issuer).map_or_else(
        || token.to_owned(),
        |path| format!("{}{path}", node.trim_end_matches('/')),
    )
}

/// Runs the load and prints one JSON line of results.
pub async fn run(args: TokenArgs) -> Result<Summary, Failure> {
    let http = http_client(&args.dir, args.concurrency)?;
    let issuer = args.issuer.trim_end_matches('/').to_owned();
    let nodes = if args.nodes.is_empty() {
        vec![issuer.clone()]
    } else {
        args.nodes.clone()
    };
    let token = token_endpoint(&http, &issuer).await?;
    let client = load_client(&args.dir, &issuer, &token)?;
    let urls: Vec<String> = nodes.iter().map(|n| on_node(&token, &issuer, n)).collect();

    // A first request learns the server's DPoP nonce, where it wants one
    // (RFC 9449 §8); every prepared proof then carries it.
    for url in &urls {
        let probe = prepare(&client, &issuer, &token)?;
        let resp = send(&http, url, &probe)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        client.remember_dpop_nonce(resp.headers());
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if !status.is_success() && !text.contains("use_dpop_nonce") {
            return Err(format!("{url}: the first token request: {status} {text}"));
        }
    }

    let signing = Instant::now();
    let prepared: Vec<Prepared> = (0..args.requests)
        .map(|_| prepare(&client, &issuer, &token))
        .collect::<Result<_, _>>()?;
    let signing = signing.elapsed();
    let prepared = Arc::new(prepared);
    let urls = Arc::new(urls);
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(args.concurrency);
    for _ in 0..args.concurrency {
        let (http, prepared, urls, next) = (
            http.clone(),
            Arc::clone(&prepared),
            Arc::clone(&urls),
            Arc::clone(&next),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failed = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= prepared.len() || Instant::now() > deadline {
                    break;
                }
                let url = &urls[i % urls.len()];
                let t0 = Instant::now();
                match send(&http, url, &prepared[i]).await {
                    Ok(r) if r.status().is_success() => {
                        let body = r.text().await.unwrap_or_default();
                        lat.push(t0.elapsed());
                        // The same work on every server: a DPoP-bound token.
                        if !body.contains("\"access_token\"") || !body.contains("\"DPoP\"") {
                            failed.push(format!("200 without a DPoP token: {body}"));
                        }
                    }
                    Ok(r) => {
                        let s = r.status();
                        failed.push(format!("{s} {}", r.text().await.unwrap_or_default()));
                    }
                    Err(e) => failed.push(e.to_string()),
                }
            }
            (lat, failed)
        }));
    }
    let mut lat = Vec::new();
    let mut failed = Vec::new();
    for t in tasks {
        let (l, f) = t.await.map_err(|e| e.to_string())?;
        lat.extend(l);
        failed.extend(f);
    }
    let elapsed = started.elapsed();
    Ok(Summary::new(
        &args.label,
        lat,
        failed,
        elapsed,
        signing,
        args.concurrency,
    ))
}
