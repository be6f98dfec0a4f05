//! `--store postgres://…`: the server's stores on PostgreSQL
//! (`fapi-store-postgres`), and `--replay-store redis://…`: the replay
//! cache alone on Redis.
//!
//! - `--store postgres://USER@HOST:PORT[,HOST2:PORT2]/DB?target_session_attrs=read-write`
//!   keeps every store in PostgreSQL: codes, pushed requests, refresh
//!   records, revoked grants, consents, login transactions, and the replay
//!   cache. With a synchronous standby, nothing a node acknowledged is
//!   lost on failover; with several hosts and `read-write`, a node finds
//!   the promoted standby by itself.
//! - `--replay-store redis://HOST:PORT/DB` with it puts the replay cache
//!   (DPoP and client assertion `jti`s, and the mark of each request URI
//!   decided on) on Redis, faster, and leaves the rest on PostgreSQL. A
//!   Redis failover may then forget the `jti`s of the last moments (Redis
//!   replicates asynchronously); codes, refresh tokens and consents stay
//!   on PostgreSQL.

use core::net::SocketAddr;
use core::time::Duration;

use std::sync::Arc;

use fapi::store::ReplayStore;
use fapi_store_postgres::{
    Kind, PostgresHandleStore, PostgresOptions, PostgresPool, PostgresStores,
};
use fapi_store_redis::{RedisConnection, RedisReplayStore};

use crate::authorization::transaction::Transaction;
use crate::error::ServeError;
use crate::resource::consent::Consent;
use crate::storage::stores::Stores;

/// How often a node sweeps expired rows (in bounded batches).
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// How long the start-up check waits for PostgreSQL to answer.
pub const CHECK_DEADLINE: Duration = Duration::from_secs(2);

/// Whether `value` names a PostgreSQL store.
///
/// ```
/// use fapi_server::store_postgres::is_postgres;
/// assert!(is_postgres("postgres://fapi@127.0.0.1:5432/fapi"));
/// assert!(is_postgres("postgresql://fapi@db1:5432,db2:5432/fapi"));
/// assert!(!is_postgres("redis://127.0.0.1:6379/0"));
/// ```
#[must_use]
pub fn is_postgres(value: &str) -> bool {
    value.starts_with("postgres://") || value.starts_with("postgresql://")
}

/// The PostgreSQL stores of `issuer` on `pool`, as the server holds them.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use fapi_store_postgres::{PostgresOptions, PostgresPool};
/// let pool = PostgresPool::connect("postgres://fapi@127.0.0.1:5432/fapi", PostgresOptions::default()).await?;
/// let stores = fapi_server::store_postgres::postgres_stores(&pool, "https://bank.example");
/// # let _ = stores; Ok(()) }
/// ```
#[must_use]
pub fn postgres_stores(pool: &PostgresPool, issuer: &str) -> Stores {
    let p = PostgresStores::<Consent>::on(pool, issuer);
    Stores {
        replay: p.replay,
        codes: p.codes,
        requests: p.requests,
        refresh: p.refresh,
        revocations: p.revocations,
        consents: p.consents,
        transactions: Arc::new(PostgresHandleStore::<Transaction>::new(
            pool.clone(),
            issuer,
            Kind::Transaction,
        )),
    }
}

/// The issuer whose namespace the nodes share: `--issuer`, else `https://`
/// and the `--listen` address (not port 0: a free port is an issuer of
/// its own).
fn shared_issuer(
    flag: &str,
    issuer: Option<&str>,
    listen: SocketAddr,
) -> Result<String, ServeError> {
    match issuer {
        Some(i) => Ok(i.to_owned()),
        None if listen.port() != 0 => Ok(format!("https://{listen}")),
        None => Err(ServeError::Config(format!(
            "{flag}: give --issuer (the nodes share its namespace) or a --listen port"
        ))),
    }
}

/// The stores of `--store postgres://…` (a pool whose connections are made
/// on first use; [`check`] connects and migrates at start), sweeping
/// expired rows every [`SWEEP_EVERY`]. Called inside a Tokio runtime.
///
/// # Errors
///
/// [`ServeError::Config`] for a malformed URL, or without `--issuer` on
/// port 0.
pub fn stores(value: &str, issuer: Option<&str>, listen: SocketAddr) -> Result<Stores, ServeError> {
    let issuer = shared_issuer("--store postgres", issuer, listen)?;
    let pool = PostgresPool::connect_lazy(value, PostgresOptions::default())
        .map_err(|e| ServeError::Config(format!("--store: {e}")))?;
    // Runs as long as the runtime; expiry never depends on it.
    drop(pool.spawn_sweeper(SWEEP_EVERY));
    Ok(postgres_stores(&pool, &issuer))
}

/// The replay cache of `--replay-store redis://…` (a lazy connection;
/// [`check_replay_store`] pings it at start).
///
/// # Errors
///
/// [`ServeError::Config`] for a value that is not a Redis URL, or
/// without `--issuer` on port 0.
pub fn replay_store(
    value: &str,
    issuer: Option<&str>,
    listen: SocketAddr,
    redis: &crate::storage::store_url::RedisArgs,
) -> Result<Arc<dyn ReplayStore>, ServeError> {
    if !crate::storage::store_url::is_redis(value) {
        return Err(ServeError::Config(format!(
            "--replay-store: expected a Redis URL (redis://, rediss://, redis+unix://, redis+sentinel://), found {}",
            crate::check::store_display(value)
        )));
    }
    let issuer = shared_issuer("--replay-store", issuer, listen)?;
    let endpoint = redis
        .endpoint(value)
        .map_err(|e| ServeError::Config(format!("--replay-store: {e}")))?;
    let conn = RedisConnection::connect_lazy_to(&endpoint, redis.options())
        .map_err(|e| ServeError::Config(format!("--replay-store: {e}")))?;
    Ok(Arc::new(RedisReplayStore::new(conn, &issuer)))
}

/// `url` as it may be printed: the hosts and the database, without the
/// user information or the parameters (either may hold a password).
///
/// ```
/// use fapi_server::store_postgres::display;
/// assert_eq!(
///     display("postgres://fapi:secret@db1:5432,db2:5432/fapi?password=x&target_session_attrs=read-write"),
///     "postgres://db1:5432,db2:5432/fapi"
/// );
/// ```
#[must_use]
pub fn display(url: &str) -> String {
    crate::check::store_display(url)
}

/// The start-up check of `--store postgres://…`: connects within
/// [`CHECK_DEADLINE`] and runs the schema migrations the database lacks.
///
/// # Errors
///
/// [`ServeError::Config`]: `--store URL: expected a PostgreSQL answering
/// within 2000 ms, found ...`, or the migration's failure.
pub async fn check(value: &str) -> Result<(), ServeError> {
    let options = PostgresOptions::default()
        .deadline(CHECK_DEADLINE)
        .pool_size(1);
    let pool = PostgresPool::connect(value, options).await.map_err(|e| {
        ServeError::Config(format!(
            "--store {}: expected a PostgreSQL answering within {} ms and a schema it can migrate, found {e}",
            display(value),
            CHECK_DEADLINE.as_millis()
        ))
    })?;
    drop(pool);
    Ok(())
}

/// The start-up check of `--replay-store`: the Redis answers `PING` within
/// [`CHECK_DEADLINE`].
///
/// # Errors
///
/// [`ServeError::Config`]: `--replay-store URL: expected a Redis answering
/// PING within 2000 ms, found ...`.
pub async fn check_replay_store(
    value: &str,
    redis: &crate::storage::store_url::RedisArgs,
) -> Result<(), ServeError> {
    let endpoint = redis
        .endpoint(value)
        .map_err(|e| ServeError::Config(format!("--replay-store: {e}")))?;
    RedisConnection::connect_to(&endpoint, redis.options().deadline(CHECK_DEADLINE))
        .await
        .map(drop)
        .map_err(|e| {
            ServeError::Config(format!(
                "--replay-store {}: expected a Redis answering PING within {} ms, found {e}",
                crate::check::store_display(value),
                CHECK_DEADLINE.as_millis()
            ))
        })
}
