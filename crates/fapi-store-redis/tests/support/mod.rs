//! What the Redis tests share: the Redis under test, a Redis of their own
//! for the fault tests, unique issuers, the wall clock.
#![allow(dead_code, missing_docs)]

use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use fapi_store_redis::{RedisConnection, RedisOptions};

/// The Redis that `tests/redis-setup.sh` started (`FAPI_REDIS_URL`), or
/// `None` (the test says it skips). Under `CI=true` a missing URL fails.
pub fn redis_url(test: &str) -> Option<String> {
    match std::env::var("FAPI_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test}: FAPI_REDIS_URL is not set under CI=true (source tests/redis-setup.sh)")
        }
        _ => {
            eprintln!("{test}: SKIPPED, FAPI_REDIS_URL is not set (source tests/redis-setup.sh)");
            None
        }
    }
}

/// The `redis-server` binary for a test's own Redis, or `None` (skip, or
/// fail under `CI=true`).
pub fn redis_server(test: &str) -> Option<String> {
    if let Ok(bin) = std::env::var("FAPI_REDIS_SERVER") {
        return Some(bin);
    }
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        Some("redis-server".into())
    } else if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: redis-server not found under CI=true");
    } else {
        eprintln!("{test}: SKIPPED, redis-server not found (source tests/redis-setup.sh)");
        None
    }
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An issuer no other test uses, so tests share one Redis.
pub fn issuer(test: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "https://{test}.test/{}/{nanos}/{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub async fn connect(url: &str, options: RedisOptions) -> RedisConnection {
    RedisConnection::connect(url, options)
        .await
        .expect("connect to Redis")
}

/// A raw command on its own connection, to look at what the store wrote.
pub async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// A Redis of the test's own, on a free port in a temporary directory:
/// with [`OwnRedis::start`] an append-only file fsynced on every write (so
/// that what Redis acknowledged survives a kill and a restart), with
/// [`OwnRedis::start_volatile`] no persistence at all (a kill loses every
/// entry). Killed on drop. The server's multi-node tests use it too
/// (`crates/fapi-server/tests/nodes`).
pub struct OwnRedis {
    bin: String,
    pub port: u16,
    dir: PathBuf,
    persistent: bool,
    child: Option<Child>,
}

impl OwnRedis {
    /// With an append-only file fsynced on every write.
    pub fn start(bin: &str) -> Self {
        Self::start_with(bin, true)
    }

    /// Without persistence: after a kill and a restart it is empty.
    pub fn start_volatile(bin: &str) -> Self {
        Self::start_with(bin, false)
    }

    fn start_with(bin: &str, persistent: bool) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir =
            std::env::temp_dir().join(format!("fapi-redis-own-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut r = Self {
            bin: bin.into(),
            port,
            dir,
            persistent,
            child: None,
        };
        r.restart();
        r
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Starts (again) on the same port and directory and waits until it
    /// answers.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let persistence: &[&str] = if self.persistent {
            &["--appendonly", "yes", "--appendfsync", "always"]
        } else {
            &["--appendonly", "no"]
        };
        let child = Command::new(&self.bin)
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--save", ""])
            .args(persistence)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills it (SIGKILL: no goodbye to the clients).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Freezes it (SIGSTOP): connections stay open and nothing answers.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Thaws it (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.signal("-CONT");
        }
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
