//! `fapi-server`: the reference bank on its own (the `fapi serve` flags).

use clap::Parser;

/// The fapi reference bank.
#[derive(Parser)]
#[command(
    name = "fapi-server",
    version,
    about = "The fapi reference bank: a FAPI 2.0 authorization and resource server"
)]
struct Cli {
    #[command(flatten)]
    serve: fapi_server::ServeArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match fapi_server::serve(cli.serve).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fapi-server: {e} (code {})", e.code());
            std::process::ExitCode::FAILURE
        }
    }
}
