//! What the Redis tests share: the Redis under test, a Redis of their own
//! for the fault tests, unique issuers, the wall clock.
#![allow(dead_code, missing_docs)]

use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, PoisonError};
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

/// A free port on 127.0.0.1 (bound, read, released), never one handed out
/// before in this process: a node killed in one test keeps its port for
/// its restart, and the kernel may offer that port, free meanwhile, to a
/// test running beside it (two servers on one port: the second one's
/// start-up check passed on the first one's listener).
pub fn free_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if GIVEN
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(port)
        {
            return port;
        }
    }
}

/// One `redis-server` process (a data node or a sentinel) with its
/// arguments, so that it can be killed and started again.
pub struct Node {
    bin: String,
    args: Vec<String>,
    pub port: u16,
    child: Option<Child>,
}

impl Node {
    pub fn spawn_on(bin: &str, args: Vec<String>, port: u16) -> Self {
        let mut n = Self {
            bin: bin.into(),
            args,
            port,
            child: None,
        };
        n.restart();
        n
    }

    /// Starts (again) with the same arguments and waits until the port
    /// accepts connections.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new(&self.bin)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server did not start on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // A listener on the port is not proof that it is this process's:
        // a redis-server that could not bind exits.
        if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
            panic!(
                "redis-server exited ({status}) although 127.0.0.1:{} answers: another process holds the port",
                self.port
            );
        }
    }

    /// SIGKILL: no goodbye to clients, replicas or sentinels.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The TLS files of servers that listen on TLS only: a CA (PEM) and the
/// servers' certificate (for 127.0.0.1) and key, in files.
#[derive(Clone)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// The `redis-server` arguments of a TLS-only server (and, with
    /// `tls-replication`, TLS to its primary and, for a sentinel, to the
    /// servers it watches).
    fn args(&self) -> Vec<String> {
        [
            "--tls-cert-file",
            self.cert.to_str().unwrap(),
            "--tls-key-file",
            self.key.to_str().unwrap(),
            "--tls-ca-cert-file",
            self.ca.to_str().unwrap(),
            "--tls-auth-clients",
            "no",
            "--tls-replication",
            "yes",
        ]
        .map(String::from)
        .to_vec()
    }
}

/// A primary, a replica and three sentinels (quorum 2) on free loopback
/// ports in a temporary directory, none persistent; killed and removed on
/// drop. The service is `fapi`. With TLS every one of them listens on TLS
/// only and they talk to each other over TLS.
pub struct SentinelSet {
    dir: PathBuf,
    tls: Option<TlsFiles>,
    /// `[0]` starts as the primary, `[1]` as its replica.
    pub data: Vec<Node>,
    pub sentinels: Vec<Node>,
}

pub const SERVICE: &str = "fapi";

/// A command's reply on a fresh connection to `port` (a test's probe).
pub async fn ask<T: redis::FromRedisValue>(port: u16, cmd: &redis::Cmd) -> redis::RedisResult<T> {
    ask_tls(port, cmd, None).await
}

/// [`ask`] over TLS when `tls` is given (the servers' files).
pub async fn ask_tls<T: redis::FromRedisValue>(
    port: u16,
    cmd: &redis::Cmd,
    tls: Option<&TlsFiles>,
) -> redis::RedisResult<T> {
    let client = match tls {
        None => redis::Client::open(format!("redis://127.0.0.1:{port}/"))?,
        Some(t) => redis::Client::build_with_tls(
            format!("rediss://127.0.0.1:{port}/"),
            redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(std::fs::read(&t.ca).unwrap()),
            },
        )?,
    };
    let mut c = tokio::time::timeout(
        Duration::from_secs(2),
        client.get_multiplexed_async_connection(),
    )
    .await
    .map_err(|_| redis::RedisError::from((redis::ErrorKind::Io, "connect timeout")))??;
    tokio::time::timeout(Duration::from_secs(2), cmd.query_async(&mut c))
        .await
        .map_err(|_| redis::RedisError::from((redis::ErrorKind::Io, "reply timeout")))?
}

/// Polls `f` every 50 ms until it is true, at most `limit`.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: core::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !f().await {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl SentinelSet {
    /// Starts the primary and the replica, waits for the replica's link,
    /// then the sentinels (so that their first `INFO` of the primary lists
    /// the replica), and waits until each sentinel knows the replica and
    /// the two other sentinels.
    pub async fn start(bin: &str, down_after_ms: u32, failover_timeout_ms: u32) -> Self {
        Self::start_with(bin, down_after_ms, failover_timeout_ms, None).await
    }

    /// [`SentinelSet::start`], on TLS when `tls` is given.
    pub async fn start_with(
        bin: &str,
        down_after_ms: u32,
        failover_timeout_ms: u32,
        tls: Option<TlsFiles>,
    ) -> Self {
        let tls_ref = tls.as_ref();
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "fapi-sentinel-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let data_node = |name: &str, replica_of: Option<u16>| {
            let port = free_port();
            let conf = dir.join(format!("{name}.conf"));
            // a config file, so that CONFIG REWRITE (sent by the sentinels
            // on a promotion) works
            std::fs::write(&conf, "").unwrap();
            let listen = match tls_ref {
                None => vec!["--port".into(), port.to_string()],
                Some(t) => {
                    let mut a = vec![
                        "--port".into(),
                        "0".into(),
                        "--tls-port".into(),
                        port.to_string(),
                    ];
                    a.extend(t.args());
                    a
                }
            };
            let mut args = vec![
                conf.display().to_string(),
                "--bind".into(),
                "127.0.0.1".into(),
                "--dir".into(),
                dir.display().to_string(),
                "--dbfilename".into(),
                format!("{name}.rdb"),
                "--save".into(),
                String::new(),
                "--appendonly".into(),
                "no".into(),
                // a full sync at once (Redis 7 waits 5 s for more replicas)
                "--repl-diskless-sync-delay".into(),
                "0".into(),
            ];
            args.extend(listen);
            if let Some(p) = replica_of {
                args.extend(["--replicaof".into(), "127.0.0.1".into(), p.to_string()]);
            }
            Node::spawn_on(bin, args, port)
        };
        let primary = data_node("a", None);
        let replica = data_node("b", Some(primary.port));
        let replica_port = replica.port;
        eventually("replica link up", Duration::from_secs(15), || async move {
            ask_tls::<String>(replica_port, redis::cmd("INFO").arg("replication"), tls_ref)
                .await
                .is_ok_and(|i| i.contains("master_link_status:up"))
        })
        .await;
        let mut sentinels = Vec::new();
        for i in 0..3 {
            let port = free_port();
            let conf = dir.join(format!("sentinel-{i}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "bind 127.0.0.1\nport {port}\ndir {}\n\
                     sentinel monitor {SERVICE} 127.0.0.1 {} 2\n\
                     sentinel down-after-milliseconds {SERVICE} {down_after_ms}\n\
                     sentinel failover-timeout {SERVICE} {failover_timeout_ms}\n\
                     sentinel parallel-syncs {SERVICE} 1\n",
                    dir.display(),
                    primary.port
                ),
            )
            .unwrap();
            let mut args = vec![conf.display().to_string(), "--sentinel".into()];
            if let Some(t) = tls_ref {
                args.extend([
                    "--port".into(),
                    "0".into(),
                    "--tls-port".into(),
                    port.to_string(),
                ]);
                args.extend(t.args());
            }
            sentinels.push(Node::spawn_on(bin, args, port));
        }
        for s in &sentinels {
            let port = s.port;
            eventually(
                "sentinels know the replica and each other",
                Duration::from_secs(20),
                || async move {
                    let replicas: redis::RedisResult<Vec<redis::Value>> = ask_tls(
                        port,
                        redis::cmd("SENTINEL").arg("REPLICAS").arg(SERVICE),
                        tls_ref,
                    )
                    .await;
                    let others: redis::RedisResult<Vec<redis::Value>> = ask_tls(
                        port,
                        redis::cmd("SENTINEL").arg("SENTINELS").arg(SERVICE),
                        tls_ref,
                    )
                    .await;
                    replicas.is_ok_and(|r| r.len() == 1) && others.is_ok_and(|o| o.len() == 2)
                },
            )
            .await;
        }
        Self {
            dir,
            tls,
            data: vec![primary, replica],
            sentinels,
        }
    }

    /// `redis+sentinel://` with the three sentinels, service `fapi`, db 0.
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .sentinels
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port))
            .collect();
        let scheme = if self.tls.is_some() {
            "rediss+sentinel"
        } else {
            "redis+sentinel"
        };
        format!("{scheme}://{}/{SERVICE}/0", hosts.join(","))
    }

    /// The port of the primary the first answering sentinel names.
    pub async fn primary_port(&self) -> Option<u16> {
        for s in &self.sentinels {
            let addr: redis::RedisResult<(String, u16)> = ask_tls(
                s.port,
                redis::cmd("SENTINEL")
                    .arg("GET-MASTER-ADDR-BY-NAME")
                    .arg(SERVICE),
                self.tls.as_ref(),
            )
            .await;
            if let Ok((_, port)) = addr {
                return Some(port);
            }
        }
        None
    }

    /// The data node on `port`.
    pub fn node(&mut self, port: u16) -> &mut Node {
        self.data
            .iter_mut()
            .find(|n| n.port == port)
            .expect("a data node")
    }
}

impl Drop for SentinelSet {
    fn drop(&mut self) {
        self.sentinels.clear();
        self.data.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
