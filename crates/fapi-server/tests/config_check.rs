//! `fapi serve` refuses, at start, configuration that could never work:
//! one line naming the file (or flag), the client and the field, with what
//! was expected against what was found, and a non-zero exit; `--check`
//! loads and checks everything and exits without serving.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use fapi_core::Alg;
use fapi_server::config::ServerConfig;
use fapi_server::{ServeArgs, ServeError};

/// A fresh folder for one test.
fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fapi-config-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn args(profile: &str, dir: &Path) -> ServeArgs {
    ServeArgs {
        profile: profile.into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        issuer: None,
        tls_cert: None,
        tls_key: None,
        dev_ca_dir: dir.join("ca"),
        clients: None,
        users: None,
        key: None,
        nonce_key_file: None,
        store: "memory".into(),
        redis: fapi_server::store_url::RedisArgs::default(),
        replay_store: None,
        // No development CA to make: the checks do not need one.
        plain_http: true,
        json: false,
        check: false,
        log_format: "text".into(),
        log_level: None,
    }
}

/// A public JWK of `alg`, made once per algorithm.
fn jwk(alg: Alg) -> &'static str {
    static ES: OnceLock<String> = OnceLock::new();
    static PS: OnceLock<String> = OnceLock::new();
    let cell = if alg == Alg::Ps256 { &PS } else { &ES };
    cell.get_or_init(|| {
        fapi::SigningKey::generate(alg)
            .unwrap()
            .public_jwk_json()
            .unwrap()
    })
}

/// One `[[client]]` table.
fn client(id: &str, auth: &str, jwks: &str, redirect: &str) -> String {
    format!(
        "[[client]]\nclient_id = \"{id}\"\nname = \"Fintech\"\nredirect_uris = [\"{redirect}\"]\n\
         auth = \"{auth}\"\njwks = '{jwks}'\ntls_client_auth_subject_dn = \"CN={id}\"\n\
         scopes = [\"openid\", \"accounts\"]\n"
    )
}

const CB: &str = "https://fintech.example/cb";

/// The line `from_args` refuses `clients` (the file's text) with under
/// `profile`, asserting that it names the file, the client and the field.
fn refusal(name: &str, profile: &str, clients: &str, client_id: &str, field: &str) -> String {
    let d = temp(name);
    let file = d.join("clients.toml");
    std::fs::write(&file, clients).unwrap();
    let mut a = args(profile, &d);
    a.clients = Some(file.clone());
    let line = match ServerConfig::from_args(&a) {
        Err(ServeError::Config(line)) => line,
        other => panic!("{name}: expected a configuration refusal, got {other:?}"),
    };
    let head = format!("{}: client {client_id}: {field}: expected ", file.display());
    assert!(line.starts_with(&head), "{name}: {line}");
    assert!(!line.contains('\n'), "{name}: {line}");
    let _ = std::fs::remove_dir_all(&d);
    line
}

/// The clients template of the README, as it is written.
fn readme_template() -> String {
    let readme = include_str!("../README.md");
    let start = readme.find("# clients.toml\n").unwrap();
    let rest = &readme[start..];
    rest[..rest.find("```").unwrap()].to_owned()
}

#[test]
fn the_readme_clients_template_left_as_is_is_refused() {
    let template = readme_template();
    assert!(
        template.contains(r#"jwks = '{"keys":[...]}'"#),
        "{template}"
    );
    let line = refusal("template", "fapi2", &template, "fintech-1", "jwks");
    assert!(
        line.contains("expected a JWK Set (JSON), found {\"keys\":[...]} (not JSON"),
        "{line}"
    );
}

#[test]
fn an_empty_key_set_where_a_key_is_needed_is_refused() {
    // private_key_jwt signs its assertions with a key.
    let line = refusal(
        "empty-pkjwt",
        "fapi2",
        &client("fintech-1", "private_key_jwt", r#"{"keys":[]}"#, CB),
        "fintech-1",
        "jwks",
    );
    assert!(
        line.contains("at least one public signing key (private_key_jwt"),
        "{line}"
    );
    // obie: request objects are signed, whatever the client authentication.
    let line = refusal(
        "empty-obie",
        "obie",
        &client("tpp-1", "tls_client_auth", r#"{"keys":[]}"#, CB),
        "tpp-1",
        "jwks",
    );
    assert!(
        line.contains("profile obie requires signed request objects"),
        "{line}"
    );
    // berlin: resource requests are signed.
    let line = refusal(
        "empty-berlin",
        "berlin",
        &client("tpp-2", "tls_client_auth", r#"{"keys":[]}"#, CB),
        "tpp-2",
        "jwks",
    );
    assert!(
        line.contains("profile berlin requires signed resource requests"),
        "{line}"
    );
}

#[test]
fn a_pem_where_a_jwk_set_belongs_is_refused() {
    let pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----";
    // Pasted into `jwks` (a multi-line TOML string).
    let pasted = client("fintech-1", "private_key_jwt", "PEM", CB)
        .replace("jwks = 'PEM'", &format!("jwks = '''\n{pem}'''"));
    let line = refusal("pem", "fapi2", &pasted, "fintech-1", "jwks");
    assert!(
        line.ends_with("found a PEM where a JWK Set belongs"),
        "{line}"
    );
    // Named by `jwks_file`: the field names the file.
    let d = temp("pem-file");
    let key = d.join("fintech-1.pem");
    std::fs::write(&key, pem).unwrap();
    let named = client("fintech-1", "private_key_jwt", "PEM", CB)
        .replace("jwks = 'PEM'", &format!("jwks_file = '{}'", key.display()));
    let line = refusal(
        "pem-named",
        "fapi2",
        &named,
        "fintech-1",
        &format!("jwks_file {}", key.display()),
    );
    assert!(
        line.ends_with("found a PEM where a JWK Set belongs"),
        "{line}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn an_invalid_ec_key_is_refused_with_the_core_error() {
    let jwks = r#"{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA","kid":"k1"}]}"#;
    let line = refusal(
        "ec",
        "fapi2",
        &client("fintech-1", "private_key_jwt", jwks, CB),
        "fintech-1",
        "jwks key 0 (kid k1)",
    );
    assert!(line.contains("invalid_key"), "{line}");
}

#[test]
fn the_same_client_id_twice_is_refused() {
    let one = client(
        "fintech-1",
        "private_key_jwt",
        &format!(r#"{{"keys":[{}]}}"#, jwk(Alg::Es256)),
        CB,
    );
    let line = refusal(
        "dup",
        "fapi2",
        &format!("{one}\n{one}"),
        "fintech-1",
        "client_id",
    );
    assert!(
        line.contains("[[client]] 1 and again in [[client]] 2"),
        "{line}"
    );
}

#[test]
fn an_auth_method_the_profile_does_not_allow_is_refused() {
    let jwks = format!(r#"{{"keys":[{}]}}"#, jwk(Alg::Es256));
    let line = refusal(
        "berlin-auth",
        "berlin",
        &client("tpp-1", "private_key_jwt", &jwks, CB),
        "tpp-1",
        "auth",
    );
    assert!(
        line.contains("expected one of tls_client_auth (profile berlin allows only these), found \"private_key_jwt\""),
        "{line}"
    );
}

#[test]
fn a_client_key_of_an_algorithm_the_profile_does_not_allow_is_refused() {
    let jwks = format!(r#"{{"keys":[{}]}}"#, jwk(Alg::Es256));
    let line = refusal(
        "obie-es256",
        "obie",
        &client("tpp-1", "private_key_jwt", &jwks, CB),
        "tpp-1",
        "jwks",
    );
    assert!(line.contains("profile obie allows PS256 only"), "{line}");
    assert!(line.ends_with("found only ES256 keys"), "{line}");
    // The same client with a PS256 key passes.
    let d = temp("obie-ps256");
    let file = d.join("clients.toml");
    let jwks = format!(r#"{{"keys":[{}]}}"#, jwk(Alg::Ps256));
    std::fs::write(&file, client("tpp-1", "private_key_jwt", &jwks, CB)).unwrap();
    let mut a = args("obie", &d);
    a.clients = Some(file);
    assert!(ServerConfig::from_args(&a).is_ok());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_server_key_the_profile_does_not_allow_is_refused() {
    let d = temp("server-key");
    let key = d.join("es256.pem");
    std::fs::write(&key, rcgen::KeyPair::generate().unwrap().serialize_pem()).unwrap();
    let mut a = args("obie", &d);
    a.key = Some(key.display().to_string());
    match ServerConfig::from_args(&a) {
        Err(ServeError::Config(line)) => assert_eq!(
            line,
            format!(
                "--key {}: an ES256 key; profile obie allows PS256 only",
                key.display()
            )
        ),
        other => panic!("{other:?}"),
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn unusable_redirect_uris_are_refused() {
    let jwks = format!(r#"{{"keys":[{}]}}"#, jwk(Alg::Es256));
    for (name, uri, why) in [
        ("relative", "/cb", "(not absolute)"),
        ("fragment", "https://fintech.example/cb#x", "(a fragment)"),
        (
            "http",
            "http://fintech.example/cb",
            "(http where profile fapi2 requires https)",
        ),
    ] {
        let line = refusal(
            name,
            "fapi2",
            &client("fintech-1", "private_key_jwt", &jwks, uri),
            "fintech-1",
            "redirect_uris[0]",
        );
        assert!(line.ends_with(why), "{line}");
    }
}

/// `fapi-server --check` with `extra` flags: exit status, stdout, stderr.
fn check(name: &str, extra: &[&str]) -> (std::process::ExitStatus, String, String) {
    let d = temp(name);
    let out = Command::new(env!("CARGO_BIN_EXE_fapi-server"))
        .arg("--check")
        .arg("--dev-ca-dir")
        .arg(d.join("ca"))
        .args(extra)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&d);
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_refuses_a_store_with_no_redis_behind_it() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}/0");
    let (status, stdout, stderr) =
        check("no-redis", &["--listen", "127.0.0.1:8443", "--store", &url]);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.starts_with(&format!(
            "fapi-server: configuration: --store {url}: expected a Redis answering PING within 2000 ms, found "
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn check_passes_a_good_configuration_and_refuses_a_bad_one() {
    let d = temp("good");
    let file = d.join("clients.toml");
    let jwks = format!(r#"{{"keys":[{}]}}"#, jwk(Alg::Es256));
    std::fs::write(&file, client("fintech-1", "private_key_jwt", &jwks, CB)).unwrap();
    let (status, stdout, stderr) = check(
        "good-run",
        &["--profile", "fapi2", "--clients", file.to_str().unwrap()],
    );
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        "configuration ok: profile fapi2, 1 clients, store memory\n"
    );
    // The README's template: exit 1, one line on stderr.
    std::fs::write(&file, readme_template()).unwrap();
    let (status, stdout, stderr) = check(
        "bad-run",
        &["--profile", "fapi2", "--clients", file.to_str().unwrap()],
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.starts_with(&format!(
            "fapi-server: configuration: {}: client fintech-1: jwks: expected a JWK Set (JSON)",
            file.display()
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let _ = std::fs::remove_dir_all(&d);
}

/// With `FAPI_REDIS_URL` (crates/fapi-store-redis/tests/redis-setup.sh), a
/// store that answers passes.
#[test]
fn check_passes_a_redis_store_that_answers() {
    let Ok(url) = std::env::var("FAPI_REDIS_URL") else {
        return;
    };
    let (status, stdout, stderr) =
        check("redis-ok", &["--listen", "127.0.0.1:8443", "--store", &url]);
    assert!(status.success(), "{stderr}");
    assert!(
        stdout.starts_with("configuration ok: profile fapi2, 0 clients, store redis://"),
        "{stdout}"
    );
}

#[test]
fn check_refuses_a_postgres_store_with_nothing_behind_it() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url =
        format!("postgres://fapi:secret@127.0.0.1:{port}/fapi?target_session_attrs=read-write");
    let (status, stdout, stderr) = check("no-pg", &["--listen", "127.0.0.1:8443", "--store", &url]);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.starts_with(&format!(
            "fapi-server: configuration: --store postgres://127.0.0.1:{port}/fapi: expected a PostgreSQL answering within 2000 ms and a schema it can migrate, found PostgreSQL is unreachable: "
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn check_refuses_a_replay_store_that_is_not_a_reachable_redis() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (status, _, stderr) = check(
        "bad-replay",
        &[
            "--listen",
            "127.0.0.1:8443",
            "--replay-store",
            "postgres://x/y",
        ],
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(
            "fapi-server: configuration: --replay-store: expected a Redis URL (redis://, rediss://, redis+unix://, redis+sentinel://), found postgres://x/y"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let url = format!("redis://127.0.0.1:{port}/0");
    let (status, _, stderr) = check(
        "no-replay-redis",
        &["--listen", "127.0.0.1:8443", "--replay-store", &url],
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "fapi-server: configuration: --replay-store {url}: expected a Redis answering PING within 2000 ms, found "
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// With `FAPI_POSTGRES_URL` (crates/fapi-store-postgres/tests/postgres-setup.sh):
/// `--check` connects to a fresh database and migrates it; a second check
/// finds nothing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_connects_to_a_postgres_store_and_migrates_it() {
    let Ok(url) = std::env::var("FAPI_POSTGRES_URL") else {
        return;
    };
    let (admin, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    drop(tokio::spawn(conn));
    let db = format!("fapi_check_{}", std::process::id());
    // one statement a message: CREATE DATABASE refuses a transaction block
    for sql in [
        format!("DROP DATABASE IF EXISTS {db}"),
        format!("CREATE DATABASE {db}"),
    ] {
        admin.batch_execute(&sql).await.unwrap();
    }
    let fresh = url
        .rsplit_once('/')
        .map(|(base, _)| format!("{base}/{db}"))
        .unwrap();
    for run in 0..2 {
        let (status, stdout, stderr) =
            check("pg-ok", &["--listen", "127.0.0.1:8443", "--store", &fresh]);
        assert!(status.success(), "run {run}: {stderr}");
        assert_eq!(
            stdout,
            format!(
                "configuration ok: profile fapi2, 0 clients, store {}\n",
                fapi_server::check::store_display(&fresh)
            )
        );
    }
    let (c, conn) = tokio_postgres::connect(&fresh, tokio_postgres::NoTls)
        .await
        .unwrap();
    drop(tokio::spawn(conn));
    let versions: Vec<i32> = c
        .query("SELECT version FROM fapi_schema_migrations", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, vec![1]);
    drop(c);
    let _ = admin
        .batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)"))
        .await;
}
