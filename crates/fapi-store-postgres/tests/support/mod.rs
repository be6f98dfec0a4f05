//! What the PostgreSQL tests share: the PostgreSQL under test, clusters of
//! a test's own (a primary and a synchronous standby for the failover
//! test), unique issuers, the wall clock.
#![allow(
    dead_code,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use fapi_store_postgres::{PostgresOptions, PostgresPool};

fn ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// The PostgreSQL that `tests/postgres-setup.sh` started
/// (`FAPI_POSTGRES_URL`), or `None` (the test says it skips). Under
/// `CI=true` a missing URL fails.
pub fn pg_url(test: &str) -> Option<String> {
    match std::env::var("FAPI_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if ci() => {
            panic!(
                "{test}: FAPI_POSTGRES_URL is not set under CI=true (source tests/postgres-setup.sh)"
            )
        }
        _ => {
            eprintln!(
                "{test}: SKIPPED, FAPI_POSTGRES_URL is not set (source tests/postgres-setup.sh)"
            );
            None
        }
    }
}

/// The directory of PostgreSQL's programs (`FAPI_PG_BINDIR`) for clusters
/// of a test's own, or `None` (skip, or fail under `CI=true`).
pub fn pg_bindir(test: &str) -> Option<PathBuf> {
    match std::env::var("FAPI_PG_BINDIR") {
        Ok(d) if Path::new(&d).join("initdb").exists() => Some(d.into()),
        _ if ci() => panic!("{test}: FAPI_PG_BINDIR is not set under CI=true"),
        _ => {
            eprintln!(
                "{test}: SKIPPED, FAPI_PG_BINDIR is not set (source tests/postgres-setup.sh)"
            );
            None
        }
    }
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An issuer no other test uses, so tests share one database.
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

pub async fn connect(url: &str, options: PostgresOptions) -> PostgresPool {
    PostgresPool::connect(url, options)
        .await
        .expect("connect to PostgreSQL")
}

/// A raw client on its own connection, to look at (or lock) what the store
/// wrote.
pub async fn raw(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    drop(tokio::spawn(conn));
    client
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The uid and gid of the `postgres` system user when this process runs
/// as root (PostgreSQL refuses to run as root), else `None`.
fn postgres_user() -> Option<(u32, u32)> {
    let id = |args: &[&str]| -> Option<u32> {
        let out = Command::new("id").args(args).output().ok()?;
        core::str::from_utf8(out.stdout.trim_ascii())
            .ok()?
            .parse()
            .ok()
    };
    if id(&["-u"])? != 0 {
        return None;
    }
    let user = (id(&["-u", "postgres"]), id(&["-g", "postgres"]));
    match user {
        (Some(u), Some(g)) => Some((u, g)),
        _ => panic!("running as root and there is no postgres user to run PostgreSQL as"),
    }
}

/// A command running `bin` of PostgreSQL, as `postgres` under root (set
/// on the process itself, so that `postgres` is this process's child and
/// its process group is the one [`Cluster::kill`] kills).
fn pg_command(bindir: &Path, bin: &str) -> Command {
    let mut c = Command::new(bindir.join(bin));
    if let Some((uid, gid)) = postgres_user() {
        let _ = c.uid(uid).gid(gid);
    }
    c
}

fn run(mut c: Command, what: &str) {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `pid` and its children (PostgreSQL's backends and workers, each in a
/// session of its own, so a process group signal would miss them), from
/// `/proc/*/stat`.
fn family(pid: u32) -> Vec<u32> {
    let mut out = vec![pid];
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push(child);
        }
    }
    out
}

/// A PostgreSQL cluster of a test's own on a free port of 127.0.0.1, in a
/// temporary directory, its `postgres` a child of the test, so that
/// [`Cluster::kill`] kills it and every backend at once (SIGKILL: as a
/// machine that dies). Killed and removed on drop.
pub struct Cluster {
    bindir: PathBuf,
    pub dir: PathBuf,
    pub port: u16,
    child: Option<Child>,
}

impl Cluster {
    fn new_dir(bindir: &Path, name: &str) -> Self {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("fapi-pg-{name}-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if postgres_user().is_some() {
            run(
                {
                    let mut c = Command::new("chown");
                    let _ = c.arg("postgres").arg(&dir);
                    c
                },
                "chown",
            );
        }
        Self {
            bindir: bindir.into(),
            dir,
            port,
            child: None,
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A new primary (initdb, user `fapi`, trust on loopback), started.
    pub fn primary(bindir: &Path, name: &str) -> Self {
        let mut c = Self::new_dir(bindir, name);
        let mut initdb = pg_command(bindir, "initdb");
        let _ = initdb.arg("-D").arg(c.data()).args([
            "-U",
            "fapi",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        run(initdb, "initdb");
        c.start();
        c
    }

    /// Makes this cluster (stopped) a streaming standby of `primary`
    /// (`pg_basebackup -R`, replacing its data), without a synchronous
    /// standby of its own, and starts it.
    pub fn rebuild_as_standby_of(&mut self, primary: &Cluster) {
        assert!(self.child.is_none(), "stop it first");
        let _ = std::fs::remove_dir_all(self.data());
        let mut bb = pg_command(&self.bindir, "pg_basebackup");
        let _ = bb
            .arg("-D")
            .arg(self.data())
            .args(["-h", "127.0.0.1", "-p", &primary.port.to_string()])
            .args([
                "-U",
                "fapi",
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ]);
        run(bb, "pg_basebackup");
        // The primary's `synchronous_standby_names` (ALTER SYSTEM) came
        // with the copy: a promoted standby would wait for a standby of
        // its own. It gets one when it is primary.
        let auto = self.data().join("postgresql.auto.conf");
        let text = std::fs::read_to_string(&auto).unwrap();
        let kept: String = text
            .lines()
            .filter(|l| !l.starts_with("synchronous_standby_names"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&auto, kept).unwrap();
        self.start();
    }

    /// A standby of `primary`, started.
    pub fn standby_of(primary: &Cluster, name: &str) -> Self {
        let mut c = Self::new_dir(&primary.bindir, name);
        c.rebuild_as_standby_of(primary);
        c
    }

    pub fn url(&self) -> String {
        format!("postgres://fapi@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts `postgres` (on its port, loopback only) and waits until it
    /// accepts connections.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "already running");
        let mut c = pg_command(&self.bindir, "postgres");
        let _ = c
            .arg("-D")
            .arg(self.data())
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-p",
                &self.port.to_string(),
            ])
            .arg("-k")
            .arg(&self.dir)
            .args(["-c", "fsync=off", "-c", "max_connections=100"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.join(format!("log-{}", now()))).unwrap());
        self.child = Some(c.spawn().expect("start postgres"));
        let start = Instant::now();
        loop {
            let ready = pg_command(&self.bindir, "pg_isready")
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "postgres did not start on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL to `postgres` and all its backends and workers at once (as
    /// a machine that dies): nothing is flushed, no client is told.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-KILL")
                .args(family(c.id()).iter().map(u32::to_string))
                .stderr(Stdio::null())
                .status();
            let _ = c.wait();
        }
    }

    /// Promotes a standby (`pg_ctl promote`, waiting until it accepts
    /// writes).
    pub fn promote(&self) {
        let mut c = pg_command(&self.bindir, "pg_ctl");
        let _ = c.arg("promote").arg("-w").arg("-D").arg(self.data());
        run(c, "pg_ctl promote");
    }

    /// Freezes it (SIGSTOP to the process group): connections stay open and
    /// nothing answers.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Thaws it (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, sig: &str) {
        if let Some(c) = &self.child {
            let _ = Command::new("kill")
                .arg(sig)
                .args(family(c.id()).iter().map(u32::to_string))
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.resume();
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Makes `primary` wait for a synchronous standby on every commit
/// (`synchronous_standby_names = '*'`, `synchronous_commit = on`), and
/// waits until `standby` streams as the synchronous one.
pub async fn make_synchronous(primary: &Cluster) {
    let c = raw(&primary.url()).await;
    // one statement a message: ALTER SYSTEM refuses a transaction block
    for sql in [
        "ALTER SYSTEM SET synchronous_standby_names = '*'",
        "ALTER SYSTEM SET synchronous_commit = 'on'",
        "SELECT pg_reload_conf()",
    ] {
        c.batch_execute(sql).await.unwrap();
    }
    let start = Instant::now();
    loop {
        let row = c
            .query_opt(
                "SELECT 1 FROM pg_stat_replication WHERE sync_state = 'sync'",
                &[],
            )
            .await
            .unwrap();
        if row.is_some() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no synchronous standby"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
