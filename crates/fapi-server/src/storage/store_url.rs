//! `--store`: which stores a node keeps its state in. `memory` (the
//! default) is the in-memory stores of one node; a Redis URL the Redis
//! stores of `fapi-store-redis`, which the nodes of one issuer share:
//! `redis://HOST:PORT/DB`, `redis+unix:///PATH`, `rediss://HOST:PORT/DB`
//! (TLS; `--redis-ca FILE` for the CA), or the primary that Redis Sentinel
//! names, `redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]`
//! (`rediss+sentinel://` with TLS). `--redis-wait N` makes each one-time
//! write wait for N replicas ([`RedisArgs`]).

use core::net::SocketAddr;
use core::time::Duration;
use std::path::PathBuf;

use std::sync::Arc;

use fapi_store_redis::{
    DEFAULT_WAIT_TIMEOUT, Kind, RedisConnection, RedisEndpoint, RedisHandleStore, RedisOptions,
    RedisStores,
};

use crate::authorization::transaction::Transaction;
use crate::error::ServeError;
use crate::resource::consent::Consent;
use crate::storage::stores::Stores;

/// The Redis flags of `fapi serve`: TLS and `WAIT`.
///
/// ```
/// use clap::Parser;
/// #[derive(Parser)]
/// struct Cli { #[command(flatten)] redis: fapi_server::store_url::RedisArgs }
/// let cli = Cli::parse_from(["fapi", "--redis-wait", "1", "--redis-wait-timeout", "50"]);
/// let o = cli.redis.options();
/// assert_eq!((o.wait_replicas(), o.wait_timeout().as_millis()), (1, 50));
/// ```
#[derive(Clone, Debug, clap::Args)]
pub struct RedisArgs {
    /// The CA certificates (PEM) that sign the Redis servers' (and the
    /// sentinels') certificates, for rediss:// and rediss+sentinel://
    /// (default: the system's roots).
    #[arg(long, value_name = "FILE")]
    pub redis_ca: Option<PathBuf>,
    /// After each one-time write (a code, request URI, jti, refresh token
    /// taken, stored or replaced) WAIT for N replicas; fewer within
    /// --redis-wait-timeout fails the request closed (503). 0: no WAIT.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub redis_wait: u32,
    /// How long a one-time write waits for its replicas, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    pub redis_wait_timeout: u64,
}

impl Default for RedisArgs {
    fn default() -> Self {
        Self {
            redis_ca: None,
            redis_wait: 0,
            redis_wait_timeout: u64::try_from(DEFAULT_WAIT_TIMEOUT.as_millis()).unwrap_or(100),
        }
    }
}

impl RedisArgs {
    /// The store options these flags ask for (the default deadline).
    #[must_use]
    pub fn options(&self) -> RedisOptions {
        RedisOptions::default().wait(
            self.redis_wait,
            Duration::from_millis(self.redis_wait_timeout),
        )
    }

    /// The Redis endpoint of `--store value` with `--redis-ca`.
    ///
    /// # Errors
    ///
    /// [`ServeError::Config`], one line: a malformed URL, a CA for a URL
    /// without TLS, a CA file that cannot be read or holds no certificate.
    pub fn endpoint(&self, value: &str) -> Result<RedisEndpoint, ServeError> {
        let shown = crate::check::store_display(value);
        let e = RedisEndpoint::parse(value)
            .map_err(|e| ServeError::Config(format!("--store {shown}: {e}")))?;
        match &self.redis_ca {
            None => Ok(e),
            Some(ca) => e
                .ca_file(ca)
                .map_err(|e| ServeError::Config(format!("--redis-ca {}: {e}", ca.display()))),
        }
    }

    /// Whether a Redis flag is given (they need a Redis `--store`).
    fn any(&self) -> bool {
        self.redis_ca.is_some() || self.redis_wait > 0
    }
}

/// Whether `value` names a Redis store.
#[must_use]
pub fn is_redis(value: &str) -> bool {
    [
        "redis://",
        "rediss://",
        "redis+unix://",
        "redis+sentinel://",
        "rediss+sentinel://",
    ]
    .iter()
    .any(|s| value.starts_with(s))
}

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
/// assert!(stores_from_arg("rediss://redis.example:6380/0", bank, listen).unwrap().is_some());
/// assert!(stores_from_arg("redis+sentinel://127.0.0.1:26379/bank", bank, listen).unwrap().is_some());
/// assert!(stores_from_arg("redis+sentinel://127.0.0.1:26379", bank, listen).is_err());
/// # }
/// ```
///
/// # Errors
///
/// [`ServeError::Config`] for another value, a malformed Redis URL, or a
/// Redis store without `--issuer` on port 0.
pub fn stores_from_arg(
    value: &str,
    issuer: Option<&str>,
    listen: SocketAddr,
) -> Result<Option<Stores>, ServeError> {
    stores_from_args(value, issuer, listen, &RedisArgs::default())
}

/// [`stores_from_arg`] with the Redis flags (`--redis-ca`,
/// `--redis-wait`).
///
/// # Errors
///
/// As [`stores_from_arg`], and [`ServeError::Config`] for a Redis flag
/// without a Redis store or a CA file that is not usable.
pub fn stores_from_args(
    value: &str,
    issuer: Option<&str>,
    listen: SocketAddr,
    redis: &RedisArgs,
) -> Result<Option<Stores>, ServeError> {
    if !is_redis(value) && redis.any() {
        return Err(ServeError::Config(format!(
            "--redis-ca and --redis-wait need a Redis --store, found --store {}",
            crate::check::store_display(value)
        )));
    }
    if value == "memory" {
        return Ok(None);
    }
    if crate::storage::store_postgres::is_postgres(value) {
        return crate::storage::store_postgres::stores(value, issuer, listen).map(Some);
    }
    if is_redis(value) {
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
        let conn = RedisConnection::connect_lazy_to(&redis.endpoint(value)?, redis.options())
            .map_err(|e| ServeError::Config(format!("--store: {e}")))?;
        return Ok(Some(redis_stores(&conn, issuer)));
    }
    Err(ServeError::Config(
        "--store: \"memory\", a postgres:// URL or a Redis URL (redis://, rediss://, redis+unix://, redis+sentinel://, rediss+sentinel://)".into(),
    ))
}
