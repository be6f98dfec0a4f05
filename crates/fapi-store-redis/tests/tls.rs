//! TLS to Redis (`rediss://`): a real `redis-server` listening on a TLS
//! port only, with a certificate of a test CA made here (rcgen). The store
//! works when the CA is given, and refuses to connect when the server's
//! certificate does not chain to the CA it is given (or to the system's
//! roots when none is).

mod support;

use core::time::Duration;
use std::path::{Path, PathBuf};

use fapi::store::{HandleStore, ReplayStore, handle_key};
use fapi_core::Error;
use fapi_store_redis::{
    ConnectError, Kind, RedisConnection, RedisEndpoint, RedisHandleStore, RedisOptions,
    RedisReplayStore,
};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    SanType,
};
use support::{Node, SentinelSet, TlsFiles, eventually, free_port, issuer, now, redis_server};

/// A CA (PEM) and a server certificate and key it signed, for 127.0.0.1
/// and localhost.
fn test_ca(name: &str) -> (String, String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(DnType::CommonName, name);
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::from_params(&ca, &ca_key);
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    leaf.subject_alt_names
        .push(SanType::IpAddress([127, 0, 0, 1].into()));
    leaf.distinguished_name.push(DnType::CommonName, "redis");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

struct TlsRedis {
    dir: PathBuf,
    node: Node,
    ca: PathBuf,
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        self.node.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh directory with a test CA, and a server certificate and key it
/// signed for 127.0.0.1.
fn tls_files(name: &str) -> (PathBuf, TlsFiles) {
    let (ca, cert, key) = test_ca("fapi test CA");
    let dir = std::env::temp_dir().join(format!("fapi-redis-tls-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let write = |file: &str, text: &str| {
        let p = dir.join(file);
        std::fs::write(&p, text).unwrap();
        p
    };
    let files = TlsFiles {
        ca: write("ca.pem", &ca),
        cert: write("cert.pem", &cert),
        key: write("key.pem", &key),
    };
    (dir, files)
}

/// A redis-server with TLS on a free port and no plain port.
fn start_tls(bin: &str, name: &str) -> TlsRedis {
    let (dir, files) = tls_files(name);
    let port = free_port();
    let args = vec![
        "--bind".into(),
        "127.0.0.1".into(),
        "--port".into(),
        "0".into(),
        "--tls-port".into(),
        port.to_string(),
        "--tls-cert-file".into(),
        files.cert.display().to_string(),
        "--tls-key-file".into(),
        files.key.display().to_string(),
        "--tls-ca-cert-file".into(),
        files.ca.display().to_string(),
        "--tls-auth-clients".into(),
        "no".into(),
        "--dir".into(),
        dir.display().to_string(),
        "--save".into(),
        String::new(),
        "--appendonly".into(),
        "no".into(),
    ];
    TlsRedis {
        node: Node::spawn_on(bin, args, port),
        ca: files.ca,
        dir,
    }
}

fn endpoint(port: u16, ca: Option<&Path>) -> RedisEndpoint {
    let e = RedisEndpoint::parse(&format!("rediss://127.0.0.1:{port}/0")).unwrap();
    match ca {
        Some(ca) => e.ca_file(ca).unwrap(),
        None => e,
    }
}

/// F2-CODE-ONCE over TLS: the stores work on a `rediss://` Redis whose
/// certificate chains to the CA given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_over_tls_with_a_ca_file() {
    let Some(bin) = redis_server("tls") else {
        return;
    };
    let redis = start_tls(&bin, "ok");
    let conn = RedisConnection::connect_to(
        &endpoint(redis.node.port, Some(&redis.ca)),
        RedisOptions::default(),
    )
    .await
    .expect("TLS connection with the test CA");
    let iss = issuer("tls");
    let codes = RedisHandleStore::<u32>::new(conn.clone(), &iss, Kind::Code);
    let replay = RedisReplayStore::new(conn, &iss);
    let t = now();
    let key = handle_key(b"code over tls");
    codes.insert(key, 7, t + 60, t).await.unwrap();
    assert_eq!(codes.take(&key, t).await, Ok(7));
    assert_eq!(codes.take(&key, t).await, Err(Error::TokenInactive));
    assert_eq!(replay.record_once(b"jti", t + 60, t).await, Ok(()));
    assert_eq!(
        replay.record_once(b"jti", t + 60, t).await,
        Err(Error::Replay)
    );
}

/// A certificate that does not chain to the CA given (another CA), or to
/// the system's roots (no CA given): no connection, with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_redis_certificate_is_refused() {
    let Some(bin) = redis_server("tls_untrusted") else {
        return;
    };
    let redis = start_tls(&bin, "untrusted");
    let other = std::env::temp_dir().join(format!("fapi-other-ca-{}.pem", std::process::id()));
    std::fs::write(&other, test_ca("another CA").0).unwrap();
    let options = RedisOptions::default().deadline(Duration::from_secs(2));
    for ca in [Some(other.as_path()), None] {
        let e = RedisConnection::connect_to(&endpoint(redis.node.port, ca), options)
            .await
            .unwrap_err();
        assert!(matches!(e, ConnectError::Unreachable(_)), "{e}");
        assert!(
            e.to_string().to_lowercase().contains("certificate"),
            "the reason names the certificate: {e}"
        );
    }
    // and a plain connection to the TLS port gets no answer
    let plain = format!("redis://127.0.0.1:{}/0", redis.node.port);
    let e = RedisConnection::connect(
        &plain,
        RedisOptions::default().deadline(Duration::from_millis(300)),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, ConnectError::Unreachable(_)), "{e}");
    let _ = std::fs::remove_file(other);
}

/// Bad TLS configuration is refused before any connection: a CA for a
/// URL without TLS, a CA file that is missing or holds no certificate.
#[test]
fn bad_tls_configuration_is_one_clear_error() {
    let plain = RedisEndpoint::parse("redis://127.0.0.1:6379/0").unwrap();
    let e = plain.ca_file(Path::new("/nonexistent/ca.pem")).unwrap_err();
    assert!(matches!(e, ConnectError::Tls(_)), "{e}");
    let tls = RedisEndpoint::parse("rediss://127.0.0.1:6379/0").unwrap();
    let e = tls
        .clone()
        .ca_file(Path::new("/nonexistent/ca.pem"))
        .unwrap_err();
    assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
    let empty = std::env::temp_dir().join(format!("fapi-empty-ca-{}.pem", std::process::id()));
    std::fs::write(&empty, "no certificate here\n").unwrap();
    let e = tls.ca_file(&empty).unwrap_err();
    assert!(e.to_string().contains("found none"), "{e}");
    let _ = std::fs::remove_file(empty);
}

/// `rediss+sentinel://`: the sentinels, the primary and the replica on
/// TLS only (and replicating over TLS); the store asks the sentinels over
/// TLS, checks every certificate against the CA, and after the primary is
/// killed reaches the promoted replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f2_code_once_through_sentinels_over_tls_and_after_a_failover() {
    let Some(bin) = redis_server("tls_sentinel") else {
        return;
    };
    let (dir, files) = tls_files("sentinel");
    let mut set = SentinelSet::start_with(&bin, 400, 2000, Some(files.clone())).await;
    let url = set.url();
    assert!(url.starts_with("rediss+sentinel://"), "{url}");
    let endpoint = RedisEndpoint::parse(&url)
        .unwrap()
        .ca_file(&files.ca)
        .unwrap();
    let options = RedisOptions::default().deadline(Duration::from_millis(500));
    let conn = RedisConnection::connect_to(&endpoint, options)
        .await
        .expect("the primary through the sentinels, over TLS");
    let codes = RedisHandleStore::<u32>::new(conn, &issuer("tls-sentinel"), Kind::Code);
    let t = now();
    let (a, b) = (handle_key(b"before"), handle_key(b"after"));
    codes.insert(a, 1, t + 60, t).await.unwrap();
    codes.insert(b, 2, t + 60, t).await.unwrap();
    assert_eq!(codes.take(&a, t).await, Ok(1));
    let old = set.primary_port().await.unwrap();
    set.node(old).kill();
    eventually(
        "the failover, over TLS",
        Duration::from_secs(30),
        || async {
            match codes.take(&b, t).await {
                Ok(v) => {
                    assert_eq!(v, 2);
                    true
                }
                Err(Error::StoreFailed) => false,
                Err(e) => panic!("{e:?}"),
            }
        },
    )
    .await;
    assert_ne!(set.primary_port().await, Some(old));
    assert_eq!(codes.take(&a, t).await, Err(Error::TokenInactive));
    drop(set);
    let _ = std::fs::remove_dir_all(dir);
}
