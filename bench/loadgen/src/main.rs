//! `loadgen`: keep-alive load against a running instance for a while, then a JSON summary on
//! stdout and, optionally, every request's latency as CSV (for bench/upgrade.py).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Keep-alive load: GET /healthz and POST /api/v1/donations, alternating, per connection.
#[derive(Debug, Parser)]
struct Args {
    /// Where the instance listens.
    #[arg(long)]
    address: SocketAddr,
    /// An amil's API token.
    #[arg(long)]
    token: String,
    /// Keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// How long to run at most; SIGINT or SIGTERM ends the run earlier, with the same report
    /// (for a driver that only knows when to stop once its work is done: bench/rolling.py).
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Write `sent_unix_ms,latency_us` per answered request here.
    #[arg(long)]
    latencies: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let load = tokio::spawn({
        let token = args.token.clone();
        async move { loadgen::run(args.address, &token, args.connections, stopped).await }
    });
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        () = tokio::time::sleep(Duration::from_secs(args.seconds)) => {}
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    stop.send(true)?;
    let report = load.await?;
    if let Some(path) = &args.latencies {
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        for (sent, latency) in &report.latencies {
            writeln!(
                file,
                "{},{}",
                report.started_unix_ms + sent.as_millis(),
                latency.as_micros()
            )?;
        }
        file.flush()?;
    }
    let summary = serde_json::json!({
        "started_unix_ms": report.started_unix_ms,
        "answered": report.answered,
        "donations": report.receipts.len(),
        "failed_requests": report.failed_requests.len(),
        "failed_examples": report.failed_requests.iter().take(5).collect::<Vec<_>>(),
        "connection_errors": report.connection_errors.len(),
        "connection_error_examples": report.connection_errors.iter().take(5).collect::<Vec<_>>(),
        "versions": report.versions.iter()
            .map(|(at, version)| (report.started_unix_ms + at.as_millis(), version))
            .collect::<Vec<_>>(),
    });
    println!("{summary}");
    Ok(())
}
