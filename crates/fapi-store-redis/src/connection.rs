//! One reconnecting connection to Redis, shared by the stores of a server
//! node, with a deadline on every command.

use core::fmt;
use core::time::Duration;

use fapi_core::Error;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, FromRedisValue, RedisError};

use crate::options::RedisOptions;

/// Why a connection could not be made.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL is not a Redis URL (`redis://host:port/db`,
    /// `redis+unix:///path`).
    Url(RedisError),
    /// Redis did not answer within the deadline, or refused.
    Unreachable(String),
    /// Not called inside a Tokio runtime (the connection runs on one).
    NoRuntime,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(e) => write!(f, "not a Redis URL: {e}"),
            Self::Unreachable(e) => write!(f, "Redis is unreachable: {e}"),
            Self::NoRuntime => f.write_str("a Redis connection needs a Tokio runtime"),
        }
    }
}

impl core::error::Error for ConnectError {}

/// A connection manager that reconnects by itself, and the deadline of
/// every command sent through it. Cloning is cheap (one multiplexed
/// connection is shared).
///
/// Its `Debug` does not show the URL, which may hold a password.
#[derive(Clone)]
pub struct RedisConnection {
    manager: ConnectionManager,
    options: RedisOptions,
}

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConnection")
            .field("options", &self.options)
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

impl RedisConnection {
    /// Connects to `url` and waits, at most the deadline, for Redis to
    /// answer.
    ///
    /// # Errors
    ///
    /// [`ConnectError::Url`] for a malformed URL, [`ConnectError::Unreachable`]
    /// when Redis does not answer in time.
    pub async fn connect(url: &str, options: RedisOptions) -> Result<Self, ConnectError> {
        let conn = Self::connect_lazy(url, options)?;
        let ping = redis::cmd("PING");
        match tokio::time::timeout(
            options.deadline,
            conn.manager.clone().send_packed_command(&ping),
        )
        .await
        {
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
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ConnectError::NoRuntime);
        }
        let client = redis::Client::open(url).map_err(ConnectError::Url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.deadline))
            .set_response_timeout(Some(options.deadline))
            .set_min_delay(Duration::from_millis(20))
            .set_max_delay(options.reconnect_max_delay)
            .set_number_of_retries(usize::MAX);
        let manager =
            ConnectionManager::new_lazy_with_config(client, config).map_err(ConnectError::Url)?;
        Ok(Self { manager, options })
    }

    /// The options.
    #[must_use]
    pub fn options(&self) -> &RedisOptions {
        &self.options
    }

    /// Sends `cmd` and reads its reply as `T`, within the deadline: a
    /// timeout, an I/O or protocol error, or a reply of another type is
    /// [`Error::StoreFailed`] (fail closed), out of memory
    /// [`Error::StoreFull`].
    pub async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, Error> {
        let mut manager = self.manager.clone();
        let value = tokio::time::timeout(self.options.deadline, manager.send_packed_command(cmd))
            .await
            .map_err(|_| Error::StoreFailed)?
            .map_err(|e| failed(&e))?;
        T::from_redis_value(value).map_err(|_| Error::StoreFailed)
    }
}
