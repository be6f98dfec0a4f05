//! `fapi serve`: the flags ([`ServeArgs`], flattened by the CLI) and
//! [`serve`], which runs until SIGINT or SIGTERM.

use core::net::SocketAddr;
use std::io::Write;
use std::path::PathBuf;

use crate::config::ServerConfig;
use crate::error::ServeError;
use crate::ops::request_log::{LogFormat, init_logs};
use crate::server::start;

/// The flags of `fapi serve`.
///
/// ```
/// use clap::Parser;
/// #[derive(Parser)]
/// struct Cli { #[command(flatten)] serve: fapi_server::ServeArgs }
/// let cli = Cli::parse_from(["fapi", "--profile", "obie", "--listen", "127.0.0.1:0"]);
/// assert_eq!(cli.serve.profile, "obie");
/// ```
#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// The requirement set: fapi2, fapi2-plus, obie, ofb, cdr, berlin or
    /// fapi2-ms.
    #[arg(long, default_value = "fapi2",
          value_parser = ["fapi2", "fapi2-plus", "obie", "ofb", "cdr", "berlin", "fapi2-ms"])]
    pub profile: String,
    /// The address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// The issuer URL (default: https://ADDRESS:PORT of the bound socket).
    #[arg(long)]
    pub issuer: Option<String>,
    /// The server certificate chain, PEM (with --tls-key).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The server certificate's private key, PEM (with --tls-cert).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Where the development CA is kept (ca.pem) when no certificate is given.
    #[arg(long, default_value = "./fapi-dev")]
    pub dev_ca_dir: PathBuf,
    /// The clients file (TOML, `[[client]]` tables).
    #[arg(long)]
    pub clients: Option<PathBuf>,
    /// The users file (TOML, `[[user]]` tables; default alice and bob).
    #[arg(long)]
    pub users: Option<PathBuf>,
    /// The signing key: a PEM file path, a pkcs11: URI, or several pkcs11:
    /// URIs separated by whitespace, one key in several tokens or modules
    /// (an HA signing group; default: a fresh key).
    #[arg(long)]
    pub key: Option<String>,
    /// A file of 32 bytes, the DPoP nonce key shared by the nodes (default: fresh).
    #[arg(long)]
    pub nonce_key_file: Option<PathBuf>,
    /// The state store: memory, a Redis URL shared by the nodes
    /// (redis://HOST:PORT/DB, rediss://HOST:PORT/DB (TLS),
    /// redis+sentinel://HOST:PORT[,HOST:PORT...]/SERVICE[/DB]) or
    /// postgres://USER@HOST:PORT/DB (several hosts: HOST1:PORT,HOST2:PORT
    /// with ?target_session_attrs=read-write).
    #[arg(long, default_value = "memory")]
    pub store: String,
    /// The replay cache (DPoP and client assertion jtis) on this Redis
    /// (any Redis URL --store takes), and the rest on --store.
    #[arg(long)]
    pub replay_store: Option<String>,
    /// The Redis flags: --redis-ca, --redis-wait, --redis-wait-timeout
    /// (for a Redis --store or --replay-store).
    #[command(flatten)]
    pub redis: crate::storage::store_url::RedisArgs,
    /// Serve plain HTTP (loopback addresses only).
    #[arg(long)]
    pub plain_http: bool,
    /// Print the ready line as JSON.
    #[arg(long)]
    pub json: bool,
    /// Load and check the configuration (files, keys, the store), print
    /// `configuration ok: ...` or the problem, and exit without serving.
    #[arg(long)]
    pub check: bool,
    /// The format of the request log on stderr: text, or json (one JSON
    /// object per line).
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    /// The log verbosity, a tracing filter: error, warn, info, debug, or
    /// e.g. fapi_server=debug (default: RUST_LOG when set, else info).
    #[arg(long)]
    pub log_level: Option<String>,
}

/// The ready line: JSON (`{"event":"ready","issuer":..,"ca":..,"profile":..,
/// "listen":..}`, the members in that order; `listen` is the bound
/// address, which tells the port of `--listen 127.0.0.1:0` when the
/// issuer is given) or a sentence that says the same.
///
/// ```
/// use fapi_server::ready_line;
/// let at = "127.0.0.1:40123".parse().unwrap();
/// assert_eq!(
///     ready_line(true, "https://bank.example", None, "fapi2", at),
///     r#"{"event":"ready","issuer":"https://bank.example","ca":null,"profile":"fapi2","listen":"127.0.0.1:40123"}"#
/// );
/// assert_eq!(
///     ready_line(false, "https://bank.example", None, "fapi2", at),
///     "fapi reference bank (fapi2) ready at https://bank.example, listening on 127.0.0.1:40123"
/// );
/// ```
#[must_use]
pub fn ready_line(
    json: bool,
    issuer: &str,
    ca: Option<&std::path::Path>,
    profile: &str,
    listen: SocketAddr,
) -> String {
    let ca = ca.map(|p| p.display().to_string());
    if json {
        // The members in the documented order (serde_json sorts a map's).
        let q = |v: &str| serde_json::Value::from(v).to_string();
        format!(
            r#"{{"event":"ready","issuer":{},"ca":{},"profile":{},"listen":{}}}"#,
            q(issuer),
            ca.as_deref().map_or_else(|| "null".to_owned(), q),
            q(profile),
            q(&listen.to_string())
        )
    } else {
        match ca {
            Some(ca) => format!(
                "fapi reference bank ({profile}) ready at {issuer}, listening on {listen}; trust the development CA at {ca}"
            ),
            None => {
                format!("fapi reference bank ({profile}) ready at {issuer}, listening on {listen}")
            }
        }
    }
}

/// The line of `fapi serve --check` when the configuration passes (a
/// Redis URL without its password).
///
/// ```
/// assert_eq!(
///     fapi_server::check_line("obie", 2, "redis://:pw@127.0.0.1:6379/0"),
///     "configuration ok: profile obie, 2 clients, store redis://127.0.0.1:6379/0"
/// );
/// ```
#[must_use]
pub fn check_line(profile: &str, clients: usize, store: &str) -> String {
    format!(
        "configuration ok: profile {profile}, {clients} clients, store {}",
        crate::check::store_display(store)
    )
}

/// Runs `fapi serve` until SIGINT or SIGTERM: prints one ready line on
/// stdout once listening; logs each request on stderr
/// ([`init_logs`]).
///
/// Before anything listens, the configuration is checked
/// ([`crate::check`]): a problem is one [`ServeError::Config`] line. With
/// `--check` it stops there and prints [`check_line`].
pub async fn serve(args: ServeArgs) -> Result<(), ServeError> {
    // Logs on stderr only: stdout carries the ready line alone.
    init_logs(
        LogFormat::parse(&args.log_format)?,
        args.log_level.as_deref(),
        std::io::stderr,
    )?;
    let config = ServerConfig::from_args(&args)?;
    crate::check::check_store_with(&args.store, &args.redis).await?;
    if let Some(replay) = &args.replay_store {
        crate::storage::store_postgres::check_replay_store(replay, &args.redis).await?;
    }
    if args.check {
        let line = check_line(&args.profile, config.client_count(), &args.store);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
        return Ok(());
    }
    let server = start(config).await?;
    let line = ready_line(
        args.json,
        server.issuer(),
        server.ca_pem_path(),
        &args.profile,
        server.local_addr(),
    );
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
    wait_for_signal().await?;
    server.shutdown().await;
    Ok(())
}

async fn wait_for_signal() -> Result<(), ServeError> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term =
            signal(SignalKind::terminate()).map_err(|e| ServeError::Config(e.to_string()))?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| ServeError::Config(e.to_string()))
    }
}
