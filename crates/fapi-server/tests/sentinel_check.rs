//! `fapi-server --check` with a Redis Sentinel store: it reaches the
//! primary through the sentinels (a primary, a replica and three sentinels
//! started here), before and after a failover, checks `--redis-wait`
//! against the replicas there are, and stops with one line and exit 1
//! when no sentinel answers.

#[path = "../../fapi-store-redis/tests/support/mod.rs"]
mod redis_support;

use core::time::Duration;
use std::process::{Command, ExitStatus};

use redis_support::{SentinelSet, eventually, free_port, redis_server};

fn check(dir: &std::path::Path, extra: &[&str]) -> (ExitStatus, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fapi-server"))
        .arg("--check")
        .arg("--dev-ca-dir")
        .arg(dir.join("ca"))
        .args(["--listen", "127.0.0.1:8443"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reaches_the_primary_through_the_sentinels_before_and_after_a_failover() {
    let Some(bin) = redis_server("sentinel_check") else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("fapi-sentinel-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut set = SentinelSet::start(&bin, 400, 2000).await;
    let url = set.url();
    let d = dir.clone();
    let run = move |extra: Vec<String>| {
        let d = d.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
                check(&d, &extra)
            })
            .await
            .unwrap()
        }
    };
    // the primary through the sentinels, with one replica acknowledging
    let (status, stdout, stderr) = run(vec![
        "--store".into(),
        url.clone(),
        "--redis-wait".into(),
        "1".into(),
    ])
    .await;
    assert!(status.success(), "{stderr}");
    assert!(
        stdout.starts_with("configuration ok: profile fapi2, 0 clients, store redis+sentinel://"),
        "{stdout}"
    );
    // two replicas asked for, one there: one line, exit 1
    let (status, _, stderr) = run(vec![
        "--store".into(),
        url.clone(),
        "--redis-wait".into(),
        "2".into(),
        "--redis-wait-timeout".into(),
        "50".into(),
    ])
    .await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("--redis-wait 2: expected 2 replicas of redis+sentinel://")
            && stderr.contains("found 1"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // the primary killed: once the sentinels promote the replica, the
    // check reaches it
    let old = set.primary_port().await.unwrap();
    set.node(old).kill();
    let started = std::time::Instant::now();
    loop {
        let (status, _, stderr) = run(vec!["--store".into(), url.clone()]).await;
        if status.success() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no failover: {stderr}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eventually("the replica promoted", Duration::from_secs(10), || async {
        set.primary_port().await.is_some_and(|p| p != old)
    })
    .await;
    // no sentinel answers: one line, exit 1
    set.sentinels.clear();
    let (status, stdout, stderr) = run(vec!["--store".into(), url.clone()]).await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.starts_with(&format!(
            "fapi-server: configuration: --store {url}: expected a sentinel naming the primary, and the primary answering PING, within 2000 ms, found "
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Redis flags without a Redis store, a CA for a URL without TLS, and a
/// CA file with no certificate: one line, exit 1, before any connection.
#[test]
fn bad_redis_flags_are_one_line_at_start() {
    let dir = std::env::temp_dir().join(format!("fapi-redis-flags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "nothing\n").unwrap();
    let port = free_port();
    let plain = format!("redis://127.0.0.1:{port}/0");
    let tls = format!("rediss://127.0.0.1:{port}/0");
    let empty = empty.to_str().unwrap();
    for (args, expected) in [
        (
            vec!["--redis-wait", "1"],
            "--redis-ca and --redis-wait need a Redis --store, found --store memory".to_owned(),
        ),
        (
            vec!["--store", &plain, "--redis-ca", empty],
            format!(
                "--redis-ca {empty}: TLS to Redis: a CA (CA file {empty}) is given for {plain}, which has no TLS"
            ),
        ),
        (
            vec!["--store", &tls, "--redis-ca", empty],
            format!(
                "--redis-ca {empty}: TLS to Redis: CA file {empty}: expected at least one PEM certificate, found none"
            ),
        ),
        (
            vec!["--store", "redis+sentinel://127.0.0.1:26379"],
            "--store redis+sentinel://127.0.0.1:26379: not a Redis URL".to_owned(),
        ),
    ] {
        let (status, stdout, stderr) = check(&dir, &args);
        assert_eq!(status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.starts_with(&format!("fapi-server: configuration: {expected}")),
            "{args:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
