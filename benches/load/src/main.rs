//! The token endpoint under load, and the full code flow's latency.
//!
//! ```text
//! fapi-load setup DIR                 # keys, clients.toml, a TLS CA and certificate
//! fapi-load token --issuer URL --dir DIR [--node URL]... [--requests N] [--concurrency C]
//! fapi-load flow --issuer URL --dir DIR [--flows N]
//! fapi-load discover --issuer URL --dir DIR [--audience URL]
//! ```
//!
//! `benches/load/run.sh` starts the servers (`fapi serve` in memory, on
//! Redis, two nodes on Redis, and oidc-provider) and runs the load against
//! each in the same run; `benches/RESULTS.md` has its figures.

mod discover;
mod flow;
mod setup;
mod stats;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Load tests of a FAPI 2.0 authorization server's token endpoint.
#[derive(Parser, Debug)]
#[command(name = "fapi-load", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Writes the keys, the client registration and the TLS files into DIR.
    Setup {
        /// The folder to write.
        dir: PathBuf,
    },
    /// Loads the token endpoint (client_credentials, private_key_jwt, DPoP).
    Token(token::TokenArgs),
    /// The latency of whole code flows (PAR, authorize, token) on `fapi serve`.
    Flow(flow::FlowArgs),
    /// Discovers an issuer's keys (`fapi::IssuerKeys::discover`) and verifies one of its tokens with them.
    Discover(discover::DiscoverArgs),
}

// One thread: `run.sh` pins the load to one core, where a worker pool
// hands every request between the main thread and a worker (`perf` of
// `fapi-load flow`: a quarter of its time in the scheduler's switches).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Setup { dir } => setup::run(&dir).map(|()| None),
        Command::Token(args) => token::run(args).await.map(Some),
        Command::Flow(args) => flow::run(args).await.map(Some),
        Command::Discover(args) => match discover::run(args).await {
            Ok(line) => {
                println!("{line}");
                return ExitCode::SUCCESS;
            }
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(summary)) => {
            println!("{}", summary.to_json());
            if summary.failures() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("fapi-load: {e}");
            ExitCode::from(3)
        }
    }
}
