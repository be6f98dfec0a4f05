//! [`start`]: binds, builds the issuer and the resource server from the
//! configuration, and serves the router over TLS (or plain HTTP on
//! loopback) until [`RunningServer::shutdown`].

use core::net::SocketAddr;
use core::time::Duration;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use fapi::{Issuer, IssuerKeys, KeySet, ResourceServer};
use fapi_core::dpop::NonceKey;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::app::{App, binds_with_dpop};
use crate::authorization::{authorize, introspect, metadata, par, token};
use crate::config::{ClientConfig, ServerConfig, TlsSource};
use crate::error::{HttpError, ServeError};
use crate::ops::health;
use crate::resource::{accounts, consent, payments};
use crate::storage::stores::Stores;
use crate::tls::dev_ca::DevCa;
use crate::tls::{PeerCertificate, TlsSetup};

/// The largest request body (form or JSON): 64 KiB; more is 413.
pub const MAX_BODY: usize = 64 * 1024;
/// The read buffer of a connection, which bounds the request head: 16 KiB;
/// a larger header block is 431.
pub const MAX_HEAD: usize = 16 * 1024;
/// The time a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A server that is listening.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    issuer: String,
    ca: Option<DevCa>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// The bound address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    /// The issuer identifier (`https://127.0.0.1:PORT` by default).
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// The path of the development CA's `ca.pem`, when it was written to a
    /// folder.
    #[must_use]
    pub fn ca_pem_path(&self) -> Option<&Path> {
        self.ca.as_ref().and_then(DevCa::ca_pem_path)
    }
    /// The development CA certificate, PEM, when the server uses one.
    #[must_use]
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca.as_ref().map(DevCa::ca_pem)
    }
    /// Stops accepting, closes the connections and waits for the loop.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// OFB Security Profile §5.2.2.1: the token endpoint's ID token is
/// returned unencrypted, and this server returns ID tokens only there; an
/// `ofb` client registering `id_token_encrypted_response_alg` asks for
/// what the set forbids, so the server does not start.
fn refuse_ofb_id_token_encryption(
    profile: &fapi_core::profile::Profile,
    c: &ClientConfig,
) -> Result<(), ServeError> {
    if profile.id == fapi_core::profile::ProfileId::Ofb
        && let Some(v) = &c.id_token_encrypted_response_alg
    {
        return Err(ServeError::Config(format!(
            "client {}: id_token_encrypted_response_alg {v} is refused under ofb: OFB Security Profile §5.2.2.1 returns the token endpoint's ID token unencrypted",
            c.client_id
        )));
    }
    Ok(())
}

fn router(app: Arc<App>) -> Router {
    const AISP: &str = "/open-banking/v3.1/aisp";
    const PISP: &str = "/open-banking/v3.1/pisp";
    Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::well_known),
        )
        .route(
            "/.well-known/openid-configuration",
            get(metadata::well_known),
        )
        .route("/jwks", get(metadata::jwks))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/par", post(par::push))
        .route("/authorize", get(authorize::start))
        .route("/authorize/login", post(authorize::login))
        .route("/authorize/consent", post(authorize::decide))
        .route("/token", post(token::token))
        .route("/introspect", post(introspect::introspect))
        .route("/revoke", post(introspect::revoke))
        // The resource routes: the body read for the guard, and the
        // response signed where messages are signed (BG-SIGNED-REQ).
        .merge(
            Router::new()
                .route(
                    &format!("{AISP}/account-access-consents"),
                    post(consent::create_account_access),
                )
                .route(
                    &format!("{AISP}/account-access-consents/{{id}}"),
                    get(consent::get_account_access),
                )
                .route(&format!("{AISP}/accounts"), get(accounts::list))
                .route(
                    &format!("{AISP}/accounts/{{id}}/balances"),
                    get(accounts::balances),
                )
                .route(
                    &format!("{AISP}/accounts/{{id}}/transactions"),
                    get(accounts::transactions),
                )
                .route(
                    &format!("{PISP}/domestic-payment-consents"),
                    post(payments::create_consent),
                )
                .route(
                    &format!("{PISP}/domestic-payment-consents/{{id}}"),
                    get(payments::get_consent),
                )
                .route(
                    &format!("{PISP}/domestic-payment-consents/{{id}}/funds-confirmation"),
                    get(payments::funds_confirmation),
                )
                .route(
                    &format!("{PISP}/domestic-payments"),
                    post(payments::create_payment),
                )
                .route(
                    &format!("{PISP}/domestic-payments/{{id}}"),
                    get(payments::get_payment),
                )
                .route_layer(axum::middleware::from_fn_with_state(
                    Arc::clone(&app),
                    crate::app::resource_call,
                )),
        )
        .fallback(|| async {
            HttpError::oauth(
                StatusCode::NOT_FOUND,
                fapi_core::OAuthError::InvalidRequest,
                "no such endpoint",
            )
            .into_response()
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
        // FAPI 1.0 Part 1 §6.2.1-11: every response, refusals included,
        // carries the client's x-fapi-interaction-id or a fresh one.
        .layer(fapi::layer::InteractionIdLayer::new())
        // Outermost: every answer, the refusals above included, is logged
        // and counted.
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            crate::ops::request_log::log_request,
        ))
        .with_state(app)
}

/// The clients' registered JWK Sets, for the signatures of their resource
/// requests (BG-SIGNED-REQ): under a signing profile each client needs a
/// key that can sign them (an algorithm of the profile's, with a `kid`),
/// else the server does not start.
fn client_keys(
    profile: &fapi_core::profile::Profile,
    clients: &[ClientConfig],
) -> Result<Arc<dyn fapi::http_sig::ClientKeys>, ServeError> {
    let keys = fapi::http_sig::MemoryClientKeys::new();
    for c in clients {
        let id = &c.client_id;
        let algs: Vec<&str> = profile.http_sig_algs().iter().map(|a| a.name()).collect();
        let refuse = |why: &str| {
            ServeError::Config(format!(
                "client {id}: {why}: {} requires signed resource requests (BG-SIGNED-REQ, FAPI 2.0 HTTP Signatures) with a key for {}",
                profile.name,
                algs.join(", ")
            ))
        };
        let jwks = c
            .jwks_json()?
            .ok_or_else(|| refuse("no jwks or jwks_file"))?;
        let _ = fapi::http_sig::usable_keys(profile, &jwks)
            .map_err(|e| refuse(&format!("no usable signing key in its jwks ({e})")))?;
        keys.insert(id, &jwks)
            .map_err(|e| refuse(&format!("jwks refused ({e})")))?;
    }
    Ok(Arc::new(keys))
}

fn key_err(e: fapi::Error) -> ServeError {
    ServeError::Key(e)
}

/// Starts a server: see [`ServerConfig`].
///
/// ```no_run
/// use fapi_server::{ServerConfig, start};
/// # #[tokio::main] async fn main() -> Result<(), fapi_server::ServeError> {
/// let server = start(ServerConfig::new(fapi_core::profile::Profile::FAPI2)
///     .listen("127.0.0.1:0".parse().unwrap())).await?;
/// println!("{}", server.issuer());
/// server.shutdown().await;
/// # Ok(()) }
/// ```
pub async fn start(mut config: ServerConfig) -> Result<RunningServer, ServeError> {
    if config.plain_http && !config.listen.ip().is_loopback() {
        return Err(ServeError::PlainHttpNotLoopback);
    }
    let profile = config.profile;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| ServeError::Bind(format!("{}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError::Bind(e.to_string()))?;
    let scheme = if config.plain_http { "http" } else { "https" };
    let base = config
        .issuer
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{addr}"));
    let (tls, ca) = if config.plain_http {
        (None, None)
    } else {
        match config.tls.take() {
            Some(TlsSource::Files { cert, key }) => {
                let c = std::fs::read(&cert).map_err(|e| ServeError::io(&cert, &e))?;
                let k = zeroize::Zeroizing::new(
                    std::fs::read(&key).map_err(|e| ServeError::io(&key, &e))?,
                );
                (Some(TlsSetup::new(&c, &k, None)?), None)
            }
            Some(TlsSource::DevCa(ca)) => {
                let (chain, key) = ca.server_certificate(&[])?;
                let key = zeroize::Zeroizing::new(key);
                let setup = TlsSetup::new(
                    chain.as_bytes(),
                    key.as_bytes(),
                    Some(ca.ca_pem().as_bytes()),
                )?;
                (Some(setup), Some(ca))
            }
            None => {
                let ca = DevCa::generate()?;
                let (chain, key) = ca.server_certificate(&[])?;
                let key = zeroize::Zeroizing::new(key);
                let setup = TlsSetup::new(
                    chain.as_bytes(),
                    key.as_bytes(),
                    Some(ca.ca_pem().as_bytes()),
                )?;
                (Some(setup), Some(ca))
            }
        }
    };
    let key = match config.signing_key.take() {
        Some(k) => k,
        None => ServerConfig::default_key(&profile)?,
    };
    let signing_alg = fapi_core::crypto::Signer::alg(&key);
    // With the signing group's member health when the key is a group.
    let metrics = Arc::new(crate::ops::metrics::Metrics::for_key(&key));
    // Every store call is timed (fapi_store_call_duration_seconds).
    let stores = crate::ops::metrics::timed(
        config.stores.take().unwrap_or_else(Stores::memory),
        &metrics,
    );
    let nonce_bytes = match config.nonce_key {
        Some(k) => k,
        None => {
            use aws_lc_rs::rand::SecureRandom;
            let mut k = [0u8; 32];
            aws_lc_rs::rand::SystemRandom::new()
                .fill(&mut k)
                .map_err(|_| ServeError::Config("no randomness for the nonce key".into()))?;
            k
        }
    };
    let dpop = binds_with_dpop(&profile);
    let response_key = key.clone();
    let mut builder = Issuer::builder(profile, &base, KeySet::new(key))
        .audience(&base)
        .replay_store(Arc::clone(&stores.replay))
        .code_store(Arc::clone(&stores.codes))
        .request_store(Arc::clone(&stores.requests))
        .refresh_store(Arc::clone(&stores.refresh))
        .revocation_store(Arc::clone(&stores.revocations));
    if dpop {
        // RFC 9449 §8: server nonces at the token and PAR endpoints.
        builder = builder.dpop_nonces(NonceKey::new(nonce_bytes));
    }
    let mut clients = HashMap::new();
    for c in &config.clients {
        // OpenID Connect Registration §2, JARM §3, RFC 9701 §6 against the
        // profile (OFB-ALG, CDR-ALG) and the server's key: the issuer
        // signs, and encrypts where the client registered it.
        let reg = c.check_responses(&profile, signing_alg)?;
        refuse_ofb_id_token_encryption(&profile, c)?;
        builder = builder.client(reg);
        let _ = clients.insert(c.client_id.clone(), c.clone());
    }
    let issuer = builder.build().map_err(key_err)?;
    let jwks = issuer.jwks_json().map_err(key_err)?;
    let keys = IssuerKeys::from_jwks_json(&jwks).map_err(|e| key_err(e.into()))?;
    // RFC 6749 §4.1.2: the resource server refuses tokens of revoked grants.
    let mut rs = ResourceServer::builder(profile, &base, &base, keys)
        .replay_store(Arc::clone(&stores.replay))
        .revocation_store(Arc::clone(&stores.revocations));
    if dpop {
        // RFC 9449 §9: nonces at the resource server too.
        rs = rs.dpop_nonces(NonceKey::new(nonce_bytes));
    }
    if profile.signed_messages_required {
        // BG-SIGNED-REQ, FAPI 2.0 HTTP Signatures: request signatures are
        // verified with the keys each client registered; responses are
        // signed with the key published at jwks_uri.
        rs = rs
            .client_keys(client_keys(&profile, &config.clients)?)
            .response_signing_key(response_key);
    }
    let rs = rs.build().map_err(key_err)?;
    let app = Arc::new(App {
        profile,
        issuer,
        signing_alg,
        rs,
        base: base.clone(),
        clients,
        users: core::mem::take(&mut config.users),
        stores,
        dpop,
        rng: aws_lc_rs::rand::SystemRandom::new(),
        metrics,
    });
    let router = router(app);
    let (tx, rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, tls, router, rx));
    Ok(RunningServer {
        addr,
        issuer: base,
        ca,
        shutdown: tx,
        task,
    })
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsSetup>,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = tls
        .as_ref()
        .map(|t| tokio_rustls::TlsAcceptor::from(Arc::clone(&t.config)));
    let mut conns = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => break,
            a = listener.accept() => a,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
        };
        let Ok((tcp, _)) = accepted else {
            // EMFILE and the like: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        // Every answer is written as soon as it is ready: without this,
        // Nagle's algorithm holds the last segment of an answer written in
        // two parts until the client's delayed ACK (40 ms on Linux), which
        // the code flow's p99 showed. A refusal only costs the latency.
        let _ = tcp.set_nodelay(true);
        let router = router.clone();
        let acceptor = acceptor.clone();
        let tls = tls.clone();
        let _ = conns.spawn(async move {
            match (acceptor, tls) {
                (Some(acceptor), Some(tls)) => {
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await
                    else {
                        return;
                    };
                    let peer = tls.peer(stream.get_ref().1.peer_certificates().unwrap_or(&[]));
                    serve_connection(TokioIo::new(stream), router, peer).await;
                }
                _ => serve_connection(TokioIo::new(tcp), router, None).await,
            }
        });
    }
    conns.shutdown().await;
}

async fn serve_connection<I>(io: I, router: Router, peer: Option<PeerCertificate>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let svc = router.map_request(move |mut req: Request<Incoming>| {
        if let Some(p) = &peer {
            let _ = req
                .extensions_mut()
                .insert(fapi::layer::ClientCertificate(Arc::clone(&p.der)));
            let _ = req.extensions_mut().insert(p.clone());
        }
        req
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    let _ = http
        .max_buf_size(MAX_HEAD)
        .header_read_timeout(Duration::from_secs(30))
        .timer(hyper_util::rt::TokioTimer::new());
    let _ = http
        .serve_connection(io, TowerToHyperService::new(svc))
        .await;
}
