//! How a Redis store waits and reconnects.

use core::time::Duration;

/// The default deadline of one store operation: a token request waits no
/// longer than this for Redis before it fails closed.
pub const DEFAULT_DEADLINE: Duration = Duration::from_millis(250);

/// The default time an entry is kept in Redis after its `expires_at`: room
/// for the clocks of the server nodes to differ (see [`RedisOptions`]).
pub const DEFAULT_EXPIRY_MARGIN: Duration = Duration::from_secs(2);

/// The longest pause between two reconnection attempts.
pub const DEFAULT_RECONNECT_MAX_DELAY: Duration = Duration::from_secs(1);

/// The default time `WAIT` gives the replicas to acknowledge a one-time
/// write (see [`RedisOptions::wait`]).
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_millis(100);

/// Options of a Redis store.
///
/// - `deadline`: every operation (connecting included) that takes longer
///   fails with [`fapi_core::Error::StoreFailed`]; nothing is accepted on a
///   timeout.
/// - `expiry_margin`: an entry stays in Redis this long after `expires_at`.
///   Expiry is read from the entry, so a value is never returned once
///   `expires_at <= now`; the margin keeps a one-time identifier recorded
///   while a node whose clock is behind may still accept it. Re-recording
///   an identifier inside the margin is [`fapi_core::Error::Replay`]
///   (stricter than the in-memory store, never looser).
/// - `reconnect_max_delay`: the longest pause between reconnection
///   attempts once Redis is unreachable.
/// - `wait` (off by default): after each write of one-time state
///   (`insert`, `take`, `replace`, `remove`, `record_once`) the store sends
///   `WAIT replicas timeout` on the same connection, and a write that
///   fewer replicas acknowledged within the timeout is
///   [`fapi_core::Error::StoreFailed`]. Such a write has happened on the
///   primary all the same: a `take` refused this way has consumed the
///   value (the client gets 503 and starts again; the value is never
///   accepted twice). Redis documents that `WAIT` does not make it
///   strongly consistent: see the crate's README for what it does and
///   does not guarantee across a failover.
///
/// ```
/// use core::time::Duration;
/// use fapi_store_redis::RedisOptions;
///
/// let o = RedisOptions::default().deadline(Duration::from_millis(100));
/// assert_eq!(o.deadline_duration(), Duration::from_millis(100));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedisOptions {
    pub(crate) deadline: Duration,
    pub(crate) expiry_margin: Duration,
    pub(crate) reconnect_max_delay: Duration,
    pub(crate) wait_replicas: u32,
    pub(crate) wait_timeout: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            deadline: DEFAULT_DEADLINE,
            expiry_margin: DEFAULT_EXPIRY_MARGIN,
            reconnect_max_delay: DEFAULT_RECONNECT_MAX_DELAY,
            wait_replicas: 0,
            wait_timeout: DEFAULT_WAIT_TIMEOUT,
        }
    }
}

impl RedisOptions {
    /// The deadline of one operation.
    #[must_use]
    pub const fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// How long an entry outlives its `expires_at` in Redis.
    #[must_use]
    pub const fn expiry_margin(mut self, margin: Duration) -> Self {
        self.expiry_margin = margin;
        self
    }

    /// The longest pause between reconnection attempts.
    #[must_use]
    pub const fn reconnect_max_delay(mut self, delay: Duration) -> Self {
        self.reconnect_max_delay = delay;
        self
    }

    /// `WAIT` for `replicas` replicas, at most `timeout` (at least 1 ms:
    /// Redis reads `WAIT n 0` as "block forever"), after each one-time
    /// write; `replicas == 0` turns it off. A write's deadline is then
    /// `deadline + timeout`.
    ///
    /// ```
    /// use core::time::Duration;
    /// use fapi_store_redis::RedisOptions;
    ///
    /// let o = RedisOptions::default().wait(1, Duration::from_millis(50));
    /// assert_eq!(o.wait_replicas(), 1);
    /// assert_eq!(o.wait_timeout(), Duration::from_millis(50));
    /// assert_eq!(RedisOptions::default().wait(1, Duration::ZERO).wait_timeout(), Duration::from_millis(1));
    /// ```
    #[must_use]
    pub fn wait(mut self, replicas: u32, timeout: Duration) -> Self {
        self.wait_replicas = replicas;
        self.wait_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The deadline of one operation.
    #[must_use]
    pub const fn deadline_duration(&self) -> Duration {
        self.deadline
    }

    /// How many replicas a one-time write waits for (0: none).
    #[must_use]
    pub const fn wait_replicas(&self) -> u32 {
        self.wait_replicas
    }

    /// How long a one-time write waits for its replicas.
    #[must_use]
    pub const fn wait_timeout(&self) -> Duration {
        self.wait_timeout
    }
}
