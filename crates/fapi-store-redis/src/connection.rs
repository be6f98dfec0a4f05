//! One connection to the Redis primary, shared by the stores of a server
//! node, with a deadline on every command: a reconnecting connection to
//! one Redis, or the primary that Redis Sentinel names, asked again after
//! a failover.

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use std::sync::{Arc, Mutex, PoisonError};

use fapi_core::Error;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{AsyncConnectionConfig, Cmd, FromRedisValue, Pipeline, RedisError, TlsMode, Value};

use crate::endpoint::{RedisEndpoint, SentinelTarget, Target};
use crate::options::RedisOptions;

/// Why a connection could not be made.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is not a Redis URL (`redis://host:port/db`,
    /// `rediss://host:port/db`, `redis+unix:///path`,
    /// `redis+sentinel://host:port,host:port/service/db`).
    Url(RedisError),
    /// Redis did not answer within the deadline, or refused; through
    /// Sentinel: no sentinel answered, or none named a primary that
    /// answers.
    Unreachable(String),
    /// Not called inside a Tokio runtime (the connection runs on one).
    NoRuntime,
    /// A URL this crate reads itself (the Sentinel form) that is
    /// malformed: what was expected, and what was found.
    Malformed(String),
    /// The TLS configuration: a CA file that cannot be read or holds no
    /// certificate, or a CA for a URL without TLS.
    Tls(String),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(e) => write!(f, "not a Redis URL: {e}"),
            Self::Malformed(e) => write!(f, "not a Redis URL: {e}"),
            Self::Unreachable(e) => write!(f, "Redis is unreachable: {e}"),
            Self::NoRuntime => f.write_str("a Redis connection needs a Tokio runtime"),
            Self::Tls(e) => write!(f, "TLS to Redis: {e}"),
        }
    }
}

impl core::error::Error for ConnectError {}

/// How the commands reach the primary.
#[derive(Clone)]
enum Route {
    /// One Redis: the redis crate's connection manager reconnects to it
    /// (the client is kept for the first connection's error, see
    /// [`RedisConnection::connect_to`]).
    Direct(ConnectionManager, Box<redis::Client>),
    /// The primary that the sentinels name, looked up again after an
    /// error.
    Sentinel(Arc<SentinelRoute>),
}

/// The primary found through Redis Sentinel.
///
/// The redis crate looks the primary up (`SENTINEL MASTERS` on the
/// sentinels, then `ROLE` on the primary it names) but its connection
/// manager reconnects to a fixed address, which after a failover is the
/// dead or demoted primary. So the connection is held here, and dropped on
/// a connection error, a timeout or a `READONLY`/`MASTERDOWN` reply; the
/// next command asks the sentinels again. The command that met the error
/// is not retried: it fails closed ([`Error::StoreFailed`]), since it may
/// have run (a `GETDEL` whose reply was lost has consumed its value).
struct SentinelRoute {
    service: String,
    client: tokio::sync::Mutex<SentinelClient>,
    current: Mutex<Option<(u64, MultiplexedConnection)>>,
    generation: AtomicU64,
    config: AsyncConnectionConfig,
}

impl SentinelRoute {
    fn cached(&self) -> Option<(u64, MultiplexedConnection)> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The connection to the primary: the one held, else a new one to the
    /// primary the sentinels name now.
    async fn primary(&self) -> Result<(u64, MultiplexedConnection), RedisError> {
        if let Some(c) = self.cached() {
            return Ok(c);
        }
        let mut client = self.client.lock().await;
        // another call may have found it while this one waited
        if let Some(c) = self.cached() {
            return Ok(c);
        }
        let primary = client.async_get_client().await?;
        let addr = primary.get_connection_info().addr().to_string();
        let conn = primary
            .get_multiplexed_async_connection_with_config(&self.config)
            .await?;
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((generation, conn.clone()));
        if generation > 1 {
            tracing::warn!(
                service = %self.service,
                primary = %addr,
                "Redis Sentinel: connected to the primary the sentinels name now"
            );
        } else {
            tracing::debug!(service = %self.service, primary = %addr, "Redis Sentinel: primary found");
        }
        Ok((generation, conn))
    }

    /// Drops the connection of `generation` (if it is still the one held):
    /// the next command asks the sentinels.
    fn forget(&self, generation: u64) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|(g, _)| *g == generation) {
            *current = None;
        }
    }
}

/// Whether `e` says the connection no longer reaches a writable primary:
/// an I/O error, a dropped or refused connection, a timeout, or a reply of
/// a demoted primary (`READONLY`) or of a replica cut off from it
/// (`MASTERDOWN`).
fn lost_primary(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_timeout()
        || e.is_unrecoverable_error()
        || matches!(e.code(), Some("READONLY" | "MASTERDOWN"))
}

/// A reply, or the server error it carries.
fn reply(value: Value) -> Result<Value, RedisError> {
    match value {
        Value::ServerError(e) => Err(e.into()),
        v => Ok(v),
    }
}

/// The connection to the primary, and the deadline of every command sent
/// through it. Cloning is cheap (one multiplexed connection is shared).
///
/// With one Redis (`redis://`, `rediss://`, `redis+unix://`) it
/// reconnects by itself. Through Sentinel (`redis+sentinel://`) it asks
/// the sentinels for the primary, and asks again after a connection
/// error, a timeout or a `READONLY` reply, so that after a failover the
/// next command reaches the new primary; the command in flight fails
/// closed ([`Error::StoreFailed`]).
///
/// Its `Debug` does not show the URL, which may hold a password.
#[derive(Clone)]
pub struct RedisConnection {
    route: Route,
    options: RedisOptions,
}

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConnection")
            .field("options", &self.options)
            .field("sentinel", &matches!(self.route, Route::Sentinel(_)))
            .finish_non_exhaustive()
    }
}

/// A backend failure: out of memory is [`Error::StoreFull`] (as a full
/// in-memory store), anything else [`Error::StoreFailed`].
fn failed(e: &RedisError) -> Error {
    if e.code() == Some("OOM") {
        Error::StoreFull
    } else {
        Error::StoreFailed
    }
}

/// rustls needs a crypto provider for `ClientConfig::builder()`: the
/// workspace's aws-lc-rs, unless the process installed one already.
fn install_crypto_provider() {
    let _already = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

impl RedisConnection {
    /// Connects to `url` and waits, at most the deadline, for Redis to
    /// answer (through Sentinel: for a sentinel to name the primary and
    /// the primary to answer).
    ///
    /// # Errors
    ///
    /// [`ConnectError::Url`] for a malformed URL, [`ConnectError::Unreachable`]
    /// when Redis does not answer in time.
    pub async fn connect(url: &str, options: RedisOptions) -> Result<Self, ConnectError> {
        Self::connect_to(&RedisEndpoint::parse(url)?, options).await
    }

    /// [`RedisConnection::connect`] to an endpoint (a URL with a CA file
    /// for TLS).
    ///
    /// ```no_run
    /// use fapi_store_redis::{RedisConnection, RedisEndpoint, RedisOptions};
    ///
    /// # async fn run() -> Result<(), fapi_store_redis::ConnectError> {
    /// let redis = RedisEndpoint::parse("rediss://redis.bank.internal:6380/0")?
    ///     .ca_file("/etc/fapi/redis-ca.pem".as_ref())?;
    /// let conn = RedisConnection::connect_to(&redis, RedisOptions::default()).await?;
    /// # let _ = conn; Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConnectError::Unreachable`] when Redis does not answer in time,
    /// [`ConnectError::Tls`] when TLS cannot be set up.
    pub async fn connect_to(
        endpoint: &RedisEndpoint,
        options: RedisOptions,
    ) -> Result<Self, ConnectError> {
        let conn = Self::connect_lazy_to(endpoint, options)?;
        // The connection manager retries a failed connection until the
        // deadline and then says only that: one connection of our own
        // first tells why (refused, a certificate of an unknown CA, a
        // wrong password).
        if let Route::Direct(_, client) = &conn.route {
            let config = AsyncConnectionConfig::new()
                .set_connection_timeout(Some(options.deadline))
                .set_response_timeout(Some(options.deadline));
            match tokio::time::timeout(
                options.deadline,
                client.get_multiplexed_async_connection_with_config(&config),
            )
            .await
            {
                Ok(Ok(_)) | Err(_) => {}
                Ok(Err(e)) => return Err(ConnectError::Unreachable(e.to_string())),
            }
        }
        let ping = redis::cmd("PING");
        match tokio::time::timeout(options.deadline, conn.exchange_one(&ping)).await {
            Ok(Ok(_)) => Ok(conn),
            Ok(Err(e)) => Err(ConnectError::Unreachable(e.to_string())),
            Err(_) => Err(ConnectError::Unreachable(format!(
                "no answer within {} ms",
                options.deadline.as_millis()
            ))),
        }
    }

    /// A connection to `url` made on first use: a node starts while Redis
    /// is down, every operation fails closed until Redis answers.
    ///
    /// # Errors
    ///
    /// [`ConnectError::Url`] for a malformed URL, [`ConnectError::NoRuntime`]
    /// outside a Tokio runtime.
    pub fn connect_lazy(url: &str, options: RedisOptions) -> Result<Self, ConnectError> {
        Self::connect_lazy_to(&RedisEndpoint::parse(url)?, options)
    }

    /// [`RedisConnection::connect_lazy`] to an endpoint.
    ///
    /// # Errors
    ///
    /// [`ConnectError::NoRuntime`] outside a Tokio runtime,
    /// [`ConnectError::Tls`] when TLS cannot be set up.
    pub fn connect_lazy_to(
        endpoint: &RedisEndpoint,
        options: RedisOptions,
    ) -> Result<Self, ConnectError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ConnectError::NoRuntime);
        }
        if endpoint.is_tls() {
            install_crypto_provider();
        }
        let route = match &endpoint.target {
            Target::Direct(info) => {
                let client = match endpoint.certificates() {
                    Some(certs) => redis::Client::build_with_tls(info.clone(), certs),
                    None => redis::Client::open(info.clone()),
                }
                .map_err(ConnectError::Url)?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(options.deadline))
                    .set_response_timeout(Some(options.deadline + options.wait_timeout))
                    .set_min_delay(Duration::from_millis(20))
                    .set_max_delay(options.reconnect_max_delay)
                    .set_number_of_retries(usize::MAX);
                Route::Direct(
                    ConnectionManager::new_lazy_with_config(client.clone(), config)
                        .map_err(ConnectError::Url)?,
                    Box::new(client),
                )
            }
            Target::Sentinel(target) => {
                Route::Sentinel(Arc::new(sentinel_route(endpoint, target, &options)?))
            }
        };
        Ok(Self { route, options })
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &RedisOptions {
        &self.options
    }

    /// Sends `cmd` and reads its one reply.
    async fn exchange_one(&self, cmd: &Cmd) -> Result<Value, RedisError> {
        match &self.route {
            Route::Direct(m, _) => reply(m.clone().send_packed_command(cmd).await?),
            Route::Sentinel(s) => {
                let (generation, mut conn) = s.primary().await?;
                let r = conn.send_packed_command(cmd).await.and_then(reply);
                if let Err(e) = &r
                    && lost_primary(e)
                {
                    s.forget(generation);
                }
                r
            }
        }
    }

    /// Sends `pipe` and reads its `count` replies, on one connection and
    /// in order.
    async fn exchange(&self, pipe: &Pipeline, count: usize) -> Result<Vec<Value>, RedisError> {
        match &self.route {
            Route::Direct(m, _) => m.clone().send_packed_commands(pipe, 0, count).await,
            Route::Sentinel(s) => {
                let (generation, mut conn) = s.primary().await?;
                let r = conn.send_packed_commands(pipe, 0, count).await;
                let lost = match &r {
                    Err(e) => lost_primary(e),
                    Ok(values) => values
                        .iter()
                        .any(|v| matches!(v, Value::ServerError(e) if matches!(e.code(), "READONLY" | "MASTERDOWN"))),
                };
                if lost {
                    s.forget(generation);
                }
                r
            }
        }
    }

    /// Forgets the connection to the primary after a timeout (Sentinel:
    /// the primary may be frozen or gone; the next command asks the
    /// sentinels). The redis crate's connection manager handles its own.
    fn after_timeout(&self) {
        if let Route::Sentinel(s) = &self.route
            && let Some((generation, _)) = s.cached()
        {
            s.forget(generation);
        }
    }

    /// Sends `cmd` and reads its reply as `T`, within the deadline: a
    /// timeout, an I/O or protocol error, or a reply of another type is
    /// [`Error::StoreFailed`] (fail closed), out of memory
    /// [`Error::StoreFull`].
    pub async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, Error> {
        let value = tokio::time::timeout(self.options.deadline, self.exchange_one(cmd))
            .await
            .map_err(|_| {
                self.after_timeout();
                Error::StoreFailed
            })?
            .map_err(|e| failed(&e))?;
        T::from_redis_value(value).map_err(|_| Error::StoreFailed)
    }

    /// A write of one-time state: [`RedisConnection::query`], then, when
    /// [`RedisOptions::wait`] asks for replicas, `WAIT replicas timeout`
    /// in the same pipeline (so on the same connection, after the write).
    /// Fewer replicas than asked within the timeout is
    /// [`Error::StoreFailed`], although the write happened on the primary:
    /// the caller refuses (a `take` refused so has consumed its value).
    pub async fn query_write<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, Error> {
        let wanted = self.options.wait_replicas;
        if wanted == 0 {
            return self.query(cmd).await;
        }
        let timeout = self.options.wait_timeout;
        let timeout_ms = u64::try_from(timeout.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let mut pipe = redis::pipe();
        let _ = pipe.add_command(cmd.clone());
        let _ = pipe.cmd("WAIT").arg(wanted).arg(timeout_ms);
        let values = tokio::time::timeout(self.options.deadline + timeout, self.exchange(&pipe, 2))
            .await
            .map_err(|_| {
                self.after_timeout();
                Error::StoreFailed
            })?
            .map_err(|e| failed(&e))?;
        let [write, acked]: [Value; 2] = values.try_into().map_err(|_| Error::StoreFailed)?;
        let write = reply(write).map_err(|e| failed(&e))?;
        let acked = reply(acked)
            .ok()
            .and_then(|v| u64::from_redis_value(v).ok())
            .ok_or(Error::StoreFailed)?;
        if acked < u64::from(wanted) {
            tracing::warn!(
                acknowledged = acked,
                wanted,
                timeout_ms,
                "Redis WAIT: {acked} of {wanted} replicas acknowledged the write within {timeout_ms} ms; failing closed"
            );
            return Err(Error::StoreFailed);
        }
        T::from_redis_value(write).map_err(|_| Error::StoreFailed)
    }
}

impl RedisConnection {
    /// How many replicas acknowledge this connection's writes:
    /// `WAIT replicas timeout` with the replicas and timeout of
    /// [`RedisOptions::wait`] (at least one replica asked for when `wait`
    /// is off), within the deadline plus the timeout. A start-up check:
    /// with fewer than asked, every one-time write would fail closed.
    ///
    /// # Errors
    ///
    /// [`Error::StoreFailed`] when Redis does not answer.
    pub async fn acknowledging_replicas(&self) -> Result<u64, Error> {
        let timeout = self.options.wait_timeout;
        let mut cmd = redis::cmd("WAIT");
        let _ = cmd.arg(self.options.wait_replicas.max(1)).arg(
            u64::try_from(timeout.as_millis())
                .unwrap_or(u64::MAX)
                .max(1),
        );
        let value = tokio::time::timeout(self.options.deadline + timeout, self.exchange_one(&cmd))
            .await
            .map_err(|_| Error::StoreFailed)?
            .map_err(|e| failed(&e))?;
        u64::from_redis_value(value).map_err(|_| Error::StoreFailed)
    }
}

/// The Sentinel route of `target`.
fn sentinel_route(
    endpoint: &RedisEndpoint,
    target: &SentinelTarget,
    options: &RedisOptions,
) -> Result<SentinelRoute, ConnectError> {
    let mut builder = SentinelClientBuilder::new(
        target.sentinels.iter().cloned(),
        &target.service,
        SentinelServerType::Master,
    )
    .map_err(ConnectError::Url)?
    .set_client_to_redis_db(target.db);
    if let Some(u) = &target.username {
        builder = builder.set_client_to_redis_username(u);
    }
    if let Some(p) = &target.password {
        builder = builder.set_client_to_redis_password(p);
    }
    if target.tls {
        builder = builder
            .set_client_to_redis_tls_mode(TlsMode::Secure)
            .set_client_to_sentinel_tls_mode(TlsMode::Secure);
        if let Some(certs) = endpoint.certificates() {
            builder = builder
                .set_client_to_redis_certificates(certs.clone())
                .set_client_to_sentinel_certificates(certs);
        }
    }
    let client = builder.build().map_err(ConnectError::Url)?;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(options.deadline))
        .set_response_timeout(Some(options.deadline + options.wait_timeout));
    Ok(SentinelRoute {
        service: target.service.clone(),
        client: tokio::sync::Mutex::new(client),
        current: Mutex::new(None),
        generation: AtomicU64::new(0),
        config,
    })
}
