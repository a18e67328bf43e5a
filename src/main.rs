use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    greenlane::cli::run().await
}
