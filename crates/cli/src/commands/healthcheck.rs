//! `healthcheck`: exit 0 when the instance on this host answers `GET /readyz` with 200.
//!
//! For a container's `HEALTHCHECK` (the image has no shell and no curl, so the probe is the
//! binary itself) and for scripts. It reads only `PORT` (see [`config::probe_address`]) and
//! speaks plain HTTP/1.1 to loopback, as the server listens.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use hyper::StatusCode;
use hyper_util::rt::TokioIo;

use super::config_failure;
use crate::config::{self, Environment};
use crate::exit::Exit;

/// The whole probe (connect, request, response head) must fit in this. `/readyz` answers after
/// one database round trip; a server that needs longer is not fit for traffic either. Docker's
/// default health check timeout is 30 s, Kubernetes' probe timeout 1 s: the orchestrator's own
/// limit, when shorter, still wins.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The exit code for "not ready": Docker reads 1 as unhealthy and reserves 2, so the
/// sysexits code for an unavailable service (69) is not used here.
const NOT_READY: u8 = 1;

/// The readiness endpoint, as orchestrators probe it.
const READINESS_PATH: &str = "/readyz";

/// Probes the instance at `PORT`; prints one line saying what it found.
pub fn run(env_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let environment =
        Environment::from_process(env_file).map_err(|report| config_failure(&report))?;
    let address = config::probe_address(&environment).map_err(|report| config_failure(&report))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let url = format!("http://{address}{READINESS_PATH}");
    let status = runtime
        .block_on(async { tokio::time::timeout(PROBE_TIMEOUT, readiness(address)).await })
        .map_err(|_| {
            not_ready(&format!(
                "{url} did not answer within {} s",
                PROBE_TIMEOUT.as_secs()
            ))
        })?
        .map_err(|err| not_ready(&format!("{err:#}")))?;
    if status == StatusCode::OK {
        println!("ready: {url} answered {status}");
        Ok(ExitCode::SUCCESS)
    } else {
        Err(not_ready(&format!("{url} answered {status}")))
    }
}

fn not_ready(reason: &str) -> anyhow::Error {
    Exit::new(NOT_READY, format!("not ready: {reason}")).into()
}

/// The status `GET /readyz` gets from `address`.
async fn readiness(address: SocketAddr) -> anyhow::Result<StatusCode> {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .with_context(|| format!("nothing answers on {address} (is the instance running?)"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .with_context(|| format!("no HTTP connection to {address}"))?;
    // Drives the connection while the request is in flight; dropped with the runtime.
    tokio::spawn(connection);
    let request = hyper::Request::get(READINESS_PATH)
        .header(hyper::header::HOST, address.to_string())
        .body(String::new())?;
    let response = sender
        .send_request(request)
        .await
        .with_context(|| format!("{address} did not answer GET {READINESS_PATH}"))?;
    Ok(response.status())
}
