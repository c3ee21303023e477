//! The load generator of `scripts/bench-sandbox.sh`: a fixed number of keep-alive connections
//! to one loopback server, each sending `POST /init/payment` with a valid ClaPay body one after
//! the other for a fixed time; prints requests per second, p50 and p99 latency, and the statuses.
//! Bounded in connections and time; refuses any address that is not loopback.
//!
//! ```text
//! cargo run --release -p clapay-tokens-sandbox --example load -- \
//!     --address 127.0.0.1:PORT --secret-file FILE [--connections 32] [--seconds 30] [--label NAME]
//! ```
//! The secret is read from a file (never from the command line, which other users can see).
//! Output: one line `LABEL requests=N seconds=S rps=R p50_us=A p99_us=B non_200=C`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;

struct Options {
    address: SocketAddr,
    secret: String,
    connections: usize,
    duration: Duration,
    label: String,
}

fn options() -> Result<Options, String> {
    let mut address = None;
    let mut secret_file = None;
    let mut connections = 32usize;
    let mut seconds = 30u64;
    let mut label = "load".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--address" => {
                address = Some(value.parse::<SocketAddr>().map_err(|e| e.to_string())?);
            }
            "--secret-file" => secret_file = Some(value),
            "--connections" => connections = value.parse().map_err(|_| "--connections N")?,
            "--seconds" => seconds = value.parse().map_err(|_| "--seconds N")?,
            "--label" => label = value,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    let address = address.ok_or("--address is required")?;
    if !address.ip().is_loopback() {
        return Err("the load generator sends to loopback addresses only".into());
    }
    let secret = match secret_file {
        Some(path) => std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {path}: {e}"))?
            .trim()
            .to_string(),
        None => String::new(),
    };
    if !(1..=1024).contains(&connections) || !(1..=600).contains(&seconds) {
        return Err("--connections 1 to 1024, --seconds 1 to 600".into());
    }
    Ok(Options {
        address,
        secret,
        connections,
        duration: Duration::from_secs(seconds),
        label,
    })
}

/// One connection's loop: latencies in microseconds and the statuses seen.
async fn connection(
    options: &Options,
    body: Bytes,
    until: Instant,
) -> Result<(Vec<u32>, BTreeMap<u16, u64>), String> {
    let stream = tokio::net::TcpStream::connect(options.address)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let host = options.address.to_string();
    let bearer = format!("Bearer {}", options.secret);
    let mut latencies = Vec::with_capacity(200_000);
    let mut statuses = BTreeMap::new();
    while Instant::now() < until {
        let request = Request::post("/init/payment")
            .header("host", host.as_str())
            .header("authorization", bearer.as_str())
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))
            .map_err(|e| e.to_string())?;
        sender.ready().await.map_err(|e| format!("ready: {e}"))?;
        let started = Instant::now();
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("send: {e}"))?;
        let status = response.status().as_u16();
        response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?;
        let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        latencies.push(micros);
        *statuses.entry(status).or_insert(0) += 1;
    }
    Ok((latencies, statuses))
}

fn percentile(sorted: &[u32], fraction: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let index = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let body = Bytes::from(
        r#"{"transaction_id":"bench-1","amount":5000,"country_code":"CI","operators_code":["OM"],"method":"MERCHANT","tunnel":"API","additional_infos":{"customer_phone":"0707070707"},"return_url":null,"operator_otp":""}"#,
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let options = std::sync::Arc::new(options);
    let (latencies, statuses, elapsed) = runtime.block_on(async {
        let started = Instant::now();
        let until = started + options.duration;
        let tasks: Vec<_> = (0..options.connections)
            .map(|_| {
                let options = std::sync::Arc::clone(&options);
                let body = body.clone();
                tokio::spawn(async move { connection(&options, body, until).await })
            })
            .collect();
        let mut latencies = Vec::new();
        let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
        for task in tasks {
            match task.await {
                Ok(Ok((mut lat, stat))) => {
                    latencies.append(&mut lat);
                    for (status, count) in stat {
                        *statuses.entry(status).or_insert(0) += count;
                    }
                }
                Ok(Err(error)) => eprintln!("a connection failed: {error}"),
                Err(error) => eprintln!("a connection task failed: {error}"),
            }
        }
        (latencies, statuses, started.elapsed())
    });
    let mut sorted = latencies;
    sorted.sort_unstable();
    let requests = sorted.len();
    let non_200: u64 = statuses
        .iter()
        .filter(|(status, _)| **status != 200)
        .map(|(_, count)| count)
        .sum();
    println!(
        "{} requests={requests} seconds={:.1} rps={:.0} p50_us={} p99_us={} non_200={non_200}",
        options.label,
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64(),
        percentile(&sorted, 0.50),
        percentile(&sorted, 0.99),
    );
    if non_200 > 0 {
        eprintln!("statuses: {statuses:?}");
    }
    ExitCode::SUCCESS
}
