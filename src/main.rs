use std::process::ExitCode;

use gatehouse::{config::Config, server};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn,sqlx=warn")),
        )
        .init();

    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => match serve().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("gatehouse: {e:#}");
                ExitCode::FAILURE
            }
        },
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("gatehouse: unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

const USAGE: &str = "Usage: gatehouse [serve]\n\n\
    Configuration comes from gatehouse.toml (or the file named by GATEHOUSE_CONFIG)\n\
    and GATEHOUSE_* environment variables; see the README.";

async fn serve() -> anyhow::Result<()> {
    let config = Config::load()?;
    let leptos_options = server::leptos_options()?;
    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "Failed to listen on {} (configuration key `bind`): {e}",
                config.bind
            )
        })?;
    let running = server::start(config, leptos_options, listener).await?;
    tracing::info!(
        "Gatehouse is ready at {} (listening on {})",
        running.state.config.base_url,
        running.addr
    );
    tokio::select! {
        result = running.task => { result??; }
        _ = tokio::signal::ctrl_c() => { tracing::info!("shutting down"); }
    }
    Ok(())
}
