//! `--store`: which stores a node keeps its state in. `memory` (the
//! default) is the in-memory stores of one node; `redis://HOST:PORT/DB`
//! (or `redis+unix:///PATH`) the Redis stores of `fapi-store-redis`,
//! which the nodes of one issuer share. `rediss://` is refused at start:
//! this build has no TLS to Redis, so reach it on loopback, a Unix socket
//! or through a TLS tunnel.

use core::net::SocketAddr;

use std::sync::Arc;

use fapi_store_redis::{Kind, RedisConnection, RedisHandleStore, RedisOptions, RedisStores};

use crate::consent::Consent;
use crate::error::ServeError;
use crate::stores::Stores;
use crate::transaction::Transaction;

/// The Redis stores of `issuer` on `conn`, as the server holds them.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use fapi_store_redis::{RedisConnection, RedisOptions};
/// let conn = RedisConnection::connect("redis://127.0.0.1:6379/0", RedisOptions::default()).await?;
/// let stores = fapi_server::store_url::redis_stores(&conn, "https://bank.example");
/// # let _ = stores; Ok(()) }
/// ```
#[must_use]
pub fn redis_stores(conn: &RedisConnection, issuer: &str) -> Stores {
    let r = RedisStores::<Consent>::on(conn, issuer);
    Stores {
        replay: r.replay,
        codes: r.codes,
        requests: r.requests,
        refresh: r.refresh,
        revocations: r.revocations,
        consents: r.consents,
        // Shared by the nodes: the login and consent forms may be posted
        // to any of them.
        transactions: Arc::new(RedisHandleStore::<Transaction>::new(
            conn.clone(),
            issuer,
            Kind::Transaction,
        )),
    }
}

/// The stores `--store value` names: `None` for `memory` (the default
/// stores), the Redis stores for a Redis URL, namespaced by the issuer
/// (`--issuer`, else `https://` and the `--listen` address), which the
/// nodes of one issuer share. The connection made here is lazy; `fapi
/// serve` pings Redis at start ([`crate::check::check_store`]) and does
/// not start without it, and a node whose Redis goes away later answers
/// `503 temporarily_unavailable` until it is back.
///
/// It is called inside a Tokio runtime (the connection runs a task on it);
/// outside one a Redis URL is [`ServeError::Config`].
///
/// ```
/// use fapi_server::store_url::stores_from_arg;
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let listen = "127.0.0.1:8443".parse().unwrap();
/// let any_port = "127.0.0.1:0".parse().unwrap();
/// let bank = Some("https://bank.example");
/// assert!(stores_from_arg("memory", None, listen).unwrap().is_none());
/// assert!(stores_from_arg("redis://127.0.0.1:6379/0", bank, any_port).unwrap().is_some());
/// assert!(stores_from_arg("redis://127.0.0.1:6379/0", None, listen).unwrap().is_some());
/// // a free port is an issuer of its own: no namespace to share
/// assert!(stores_from_arg("redis://127.0.0.1:6379/0", None, any_port).is_err());
/// assert!(stores_from_arg("postgres://fapi@127.0.0.1:5432/fapi", bank, listen).unwrap().is_some());
/// assert!(stores_from_arg("mysql://x", bank, listen).is_err());
/// assert!(stores_from_arg("rediss://redis.example:6380/0", bank, listen).is_err());
/// # }
/// ```
///
/// # Errors
///
/// [`ServeError::Config`] for another value, a malformed Redis URL, a
/// `rediss://` URL (no TLS to Redis in this build), or a Redis store
/// without `--issuer` on port 0.
pub fn stores_from_arg(
    value: &str,
    issuer: Option<&str>,
    listen: SocketAddr,
) -> Result<Option<Stores>, ServeError> {
    if value == "memory" {
        return Ok(None);
    }
    if crate::store_postgres::is_postgres(value) {
        return crate::store_postgres::stores(value, issuer, listen).map(Some);
    }
    if value.starts_with("rediss://") {
        return Err(ServeError::Config(
            "--store: rediss:// (TLS to Redis) is not built in; use redis:// on loopback, \
             redis+unix:// or a TLS tunnel"
                .into(),
        ));
    }
    if ["redis://", "redis+unix://"]
        .iter()
        .any(|s| value.starts_with(s))
    {
        let issuer = match issuer {
            Some(i) => i.to_owned(),
            None if listen.port() != 0 => format!("https://{listen}"),
            None => {
                return Err(ServeError::Config(
                    "--store redis: give --issuer (the nodes share its namespace) or a --listen port"
                        .into(),
                ));
            }
        };
        let issuer = issuer.as_str();
        let conn = RedisConnection::connect_lazy(value, RedisOptions::default())
            .map_err(|e| ServeError::Config(format!("--store: {e}")))?;
        return Ok(Some(redis_stores(&conn, issuer)));
    }
    Err(ServeError::Config(
        "--store: \"memory\", a redis:// or a postgres:// URL".into(),
    ))
}
