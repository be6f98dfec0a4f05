//! fapi's stores on Redis: the replay cache ([`RedisReplayStore`]) and the
//! handle stores ([`RedisHandleStore`]) behind the `fapi` crate's async
//! traits ([`fapi::store::ReplayStore`], [`fapi::store::HandleStore`]), so
//! that several server nodes share one-time codes, request URIs, `jti`s,
//! refresh records, revoked grants and consents.
//!
//! - **Atomic on the server.** `record_once` and `insert` are one
//!   `SET key value NX PX ttl`; `take` is one `GETDEL`; `replace` (a
//!   redeemed code's tombstone) is one `SET key value XX GET PX ttl`
//!   (Redis 6.2 or later). Of any number of
//!   concurrent calls on any number of nodes exactly one wins
//!   (F2-CODE-ONCE, CDR-CODE-ONCE).
//! - **Same contract as the in-memory stores.** Live while
//!   `now < expires_at`; `expires_at <= now` is
//!   [`fapi_core::Error::Expired`] on the way in and
//!   [`fapi_core::Error::TokenInactive`] on the way out, read from the
//!   entry, whatever Redis's clock (see [`expiry`](crate::RedisOptions)).
//! - **Hashed, namespaced keys.** `fapi:<issuer>:<kind>:<sha-256 hex>`
//!   ([`namespace`]): Redis never holds a usable code or token.
//! - **Fail closed.** Every operation has a deadline (default 250 ms);
//!   unreachable, late, a protocol error or an unreadable entry is
//!   [`fapi_core::Error::StoreFailed`], never an acceptance. The connection
//!   reconnects by itself when Redis returns.
//!
//! - **More than one machine.** [`RedisEndpoint`] reads `rediss://` (TLS,
//!   with a CA file) and `redis+sentinel://host:port,.../service/db` (the
//!   primary that Redis Sentinel names, asked again after a failover).
//!   [`RedisOptions::wait`] makes every one-time write `WAIT` for replicas
//!   and fail closed when they do not acknowledge. What each mode
//!   guarantees, and the failover counts measured by the tests, are in the
//!   crate's README.
//!
//! A Redis that restarts empty forgets the `jti`s it held: a DPoP proof
//! captured in the minute before could be replayed once. Run it with the
//! append-only file fsynced on every write (`--appendonly yes
//! --appendfsync always`, as the fault test does) or a replica that is
//! promoted with its data; the tests' own Redis runs without persistence.
//!
//! Redis is inside the server's trust boundary, as its memory is: protect
//! it (a password or ACL user in the URL, a private network, no shared
//! tenants). Values are checked when read back, but whoever can write to
//! Redis can write a grant.
#![forbid(unsafe_code)]

mod connection;
mod endpoint;
mod expiry;
mod handle;
pub mod namespace;
mod options;
mod replay;
mod stores;

pub use connection::{ConnectError, RedisConnection};
pub use endpoint::{RedisEndpoint, SENTINEL_SCHEME, SENTINEL_TLS_SCHEME};
pub use handle::RedisHandleStore;
pub use namespace::Kind;
pub use options::{
    DEFAULT_DEADLINE, DEFAULT_EXPIRY_MARGIN, DEFAULT_RECONNECT_MAX_DELAY, DEFAULT_WAIT_TIMEOUT,
    RedisOptions,
};
pub use replay::RedisReplayStore;
pub use stores::RedisStores;
