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
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            deadline: DEFAULT_DEADLINE,
            expiry_margin: DEFAULT_EXPIRY_MARGIN,
            reconnect_max_delay: DEFAULT_RECONNECT_MAX_DELAY,
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

    /// The deadline of one operation.
    #[must_use]
    pub const fn deadline_duration(&self) -> Duration {
        self.deadline
    }
}
