//! `fapi`: the command line of the fapi signing and token core.
//!
//! Keys (`keygen`, `jwks`), tokens (`sign`, `verify`), DPoP proofs
//! (`dpop create`, `dpop verify`), HTTP message signatures (`http-sig`:
//! RFC 9421 with RFC 9530 Content-Digest), PKCE pairs, RFC 7638 thumbprints and
//! the audit of an authorization server's metadata against the
//! requirement sets (`audit`). Every check is the core's; this crate
//! parses arguments, reads files and prints.
//!
//! Exit codes: 0 done, 1 refused or a check failed, 2 usage error, 3 an
//! I/O or environment error (see [`failure`]).

mod audit_cmd;
mod cli;
mod demo;
mod dpop_cmd;
mod failure;
mod fetch;
mod http_sig_cmd;
mod https;
mod input;
mod jose_view;
mod jws_cmd;
mod keygen;
mod keys;
mod output;
mod pkce_cmd;
mod probe;
mod requirement_table;
mod requirements;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command, DpopCommand, HttpSigCommand};
use crate::failure::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.command.json();
    // One worker per core the process may run on (tokio's default: the
    // affinity mask, or `TOKIO_WORKER_THREADS`). A fixed count left a
    // 32-core server on two workers, and two workers on one core handed
    // every request from thread to thread (`strace`: 1.6 futex calls per
    // request of the code flow under `taskset -c 0`).
    let result = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(run(cli.command)),
        Err(e) => Err(Failure::environment("the async runtime", e)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            f.report(json);
            ExitCode::from(f.exit_code())
        }
    }
}

async fn run(command: Command) -> Result<(), Failure> {
    match &command {
        Command::Keygen(a) => keygen::run(a),
        Command::Jwks(a) => jws_cmd::jwks(a),
        Command::Sign(a) => jws_cmd::sign(a),
        Command::Verify(a) => jws_cmd::verify(a).await,
        Command::Inspect(a) => jws_cmd::inspect(a),
        Command::Explain(a) => requirements::explain(a),
        Command::Dpop(DpopCommand::Create(a)) => dpop_cmd::create(a),
        Command::Dpop(DpopCommand::Verify(a)) => dpop_cmd::verify(a),
        Command::HttpSig(HttpSigCommand::SignRequest(a)) => http_sig_cmd::sign_request(a),
        Command::HttpSig(HttpSigCommand::SignResponse(a)) => http_sig_cmd::sign_response(a),
        Command::HttpSig(HttpSigCommand::VerifyRequest(a)) => http_sig_cmd::verify_request(a).await,
        Command::HttpSig(HttpSigCommand::VerifyResponse(a)) => {
            http_sig_cmd::verify_response(a).await
        }
        Command::Pkce(a) => pkce_cmd::pkce(a),
        Command::Thumbprint(a) => pkce_cmd::thumbprint(a),
        Command::Audit(a) => audit_cmd::run(a).await,
        Command::Serve(a) => fapi_server::serve(a.clone()).await.map_err(|e| match e {
            fapi_server::ServeError::Config(why) => Failure::usage("serve", why),
            fapi_server::ServeError::PlainHttpNotLoopback => Failure::usage("serve", e.to_string()),
            other => Failure::environment("serve", other),
        }),
        Command::Demo(a) => demo::run(a).await,
        Command::Probe(a) => probe::run(a).await,
    }
}
