//! `rez-gateway`: serves the whole Rez catalogue with the in-memory demo backend.

use clap::Parser;
use rez_realtime::gateway::{self, DEV_SECRET, GatewayConfig};
use std::net::SocketAddr;

/// Serve the Rez real-time catalogue (Socket.IO, namespace `/`) with an in-memory backend.
#[derive(Debug, Parser)]
#[command(name = "rez-gateway", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:3000", env = "SWITCHBOARD_ADDR")]
    addr: SocketAddr,
    /// Emit realistic order, feed, leaderboard, cart, stock and flash-sale events.
    #[arg(long)]
    demo: bool,
    /// Seconds between demo events.
    #[arg(long, default_value_t = 2)]
    demo_interval: u64,
    /// Redis URL (`redis://host:port`, Redis 7+): room broadcasts then reach every gateway on
    /// the same Redis, and reliable resends are deduplicated across them. Without it everything
    /// stays in this process.
    #[arg(long, value_name = "URL", env = "SWITCHBOARD_REDIS_URL")]
    redis: Option<String>,
    /// Print a development token for this user id (signed with the current secret) and exit.
    #[arg(long, value_name = "USER_ID")]
    mint_token: Option<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs go to stderr so stdout carries only results (`TOKEN=$(rez-gateway --mint-token u1)`);
    // colour only on a terminal, and never with NO_COLOR set.
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = Args::parse();
    let secret = match std::env::var("SWITCHBOARD_JWT_SECRET") {
        Ok(s) if !s.is_empty() => s,
        _ => {
            tracing::warn!("SWITCHBOARD_JWT_SECRET is not set: using the DEVELOPMENT secret. Anyone can mint tokens for it. Never run this in production.");
            DEV_SECRET.to_string()
        }
    };
    if let Some(user) = args.mint_token {
        println!("{}", switchboard_runtime::server::JwtHs256::mint(secret.as_bytes(), &user, Some("customer"), 24 * 3600));
        return std::process::ExitCode::SUCCESS;
    }
    let config = GatewayConfig {
        addr: args.addr,
        jwt_secret: secret.into_bytes(),
        demo: args.demo,
        demo_interval: std::time::Duration::from_secs(args.demo_interval.max(1)),
        redis_url: args.redis.clone().filter(|u| !u.is_empty()),
        ..GatewayConfig::default()
    };
    let gw = match gateway::start(config).await {
        Ok(g) => g,
        Err(e) => {
            match &args.redis {
                Some(url) if !url.is_empty() => eprintln!("error: cannot start on {} with Redis at {url}: {e}", args.addr),
                _ => eprintln!("error: cannot listen on {}: {e}", args.addr),
            }
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("listening on http://{}", gw.addr);
    let _ = tokio::signal::ctrl_c().await;
    println!("{}", serde_json_line(&gw.runtime.metrics().snapshot()));
    std::process::ExitCode::SUCCESS
}

fn serde_json_line(m: &switchboard_runtime::server::MetricsSnapshot) -> String {
    switchboard_runtime::__private::serde_json::to_string(m).unwrap_or_default()
}
