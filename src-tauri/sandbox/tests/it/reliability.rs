//! The gateway under bad input and load: malformed and oversized bodies, 1,000 concurrent
//! connections against small limits (queued, all answered), a client that sends its headers too
//! slowly (cut off), idle connections that would hold every slot, and a stop in the middle of
//! traffic that still writes every answered check.

use std::sync::Arc;
use std::time::Duration;

use clapay_sandbox::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{init_body, Gateway, TestRegistry, STEP};

/// Sends raw bytes on a new connection and reads until the server closes it; returns the status
/// code of the first answer (0 if none came) and the time the server took to close.
async fn raw(address: std::net::SocketAddr, bytes: &[u8]) -> u16 {
    tokio::time::timeout(STEP, async {
        let mut stream = TcpStream::connect(address).await.expect("connect");
        // The server may answer and close before every byte is written (413).
        let _ = stream.write_all(bytes).await;
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        status_of(&answer)
    })
    .await
    .expect("the server answers or closes in time")
}

fn status_of(answer: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(answer);
    text.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

fn post_bytes(secret: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST /init/payment HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {secret}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_are_refused_and_the_gateway_keeps_serving() {
    let mut registry = TestRegistry::new();
    let (_, secret) = registry.sandbox_token("shop");
    let gateway = Gateway::start(&registry, Config::default()).await;
    let deep = "[".repeat(10_000);
    let mut random = vec![0u8; 4096];
    fastrand::fill(&mut random);
    let corpus: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"\"text\"".to_vec(),
        b"{\"amount\": 1e999}".to_vec(),
        b"{\"amount\": NaN}".to_vec(),
        b"{\"a\":1,\"a\":2".to_vec(),
        b"\xff\xfe\x00{".to_vec(),
        deep.into_bytes(),
        random,
        serde_json::to_vec(&serde_json::json!({
            "transaction_id": "\u{202e}\u{0}", "amount": u64::MAX, "country_code": "CI",
            "operators_code": ["OM"], "method": "MERCHANT", "tunnel": "API"
        }))
        .expect("json"),
        serde_json::to_vec(&serde_json::json!({
            "transaction_id": "t", "amount": 5, "country_code": "CI",
            "operators_code": vec!["OM"; 17], "method": "MERCHANT", "tunnel": "API"
        }))
        .expect("json"),
    ];
    for body in &corpus {
        let status = raw(gateway.address, &post_bytes(&secret, body)).await;
        assert_eq!(
            status,
            400,
            "a malformed body is a 400: {:?}",
            &body[..body.len().min(40)]
        );
    }
    // A request line or header that is not HTTP is refused by hyper itself.
    let status = raw(gateway.address, b"HELLO\r\n\r\n").await;
    assert_eq!(status, 400, "not HTTP");
    let reply = gateway
        .post("/init/payment", Some(&secret), &init_body(100))
        .await;
    assert_eq!(reply.status, 200, "still serving: {}", reply.text());
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_answered_413_however_they_are_sent() {
    let mut registry = TestRegistry::new();
    let (_, secret) = registry.sandbox_token("shop");
    let gateway = Gateway::start(&registry, Config::default()).await;
    // Declared too large: refused without reading it.
    let declared = format!(
        "POST /init/payment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {secret}\r\n\
         Content-Length: 10485760\r\nConnection: close\r\n\r\n{{"
    );
    assert_eq!(raw(gateway.address, declared.as_bytes()).await, 413);
    // Chunked, with no declared length: refused once past the limit.
    let mut chunked = format!(
        "POST /init/payment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {secret}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..80 {
        chunked.extend_from_slice(b"400\r\n");
        chunked.extend_from_slice(&[b' '; 1024]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(raw(gateway.address, &chunked).await, 413);
    gateway.stop().await;
    assert_eq!(registry.all_usage_events(), 0, "nothing was checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_connections_are_queued_and_all_answered() {
    let mut registry = TestRegistry::new();
    let (_, secret) = registry.sandbox_token("shop");
    let mut config = Config::default();
    // Far fewer slots than clients: the rest must wait, not fail.
    config.limits.max_connections = 64;
    config.limits.max_in_flight = 16;
    let gateway = Gateway::start(&registry, config).await;
    let request = Arc::new(post_bytes(&secret, init_body(5000).to_string().as_bytes()));
    let clients: Vec<_> = (0..1000)
        .map(|_| {
            let request = Arc::clone(&request);
            let address = gateway.address;
            tokio::spawn(async move { raw(address, &request).await })
        })
        .collect();
    let mut answered = 0;
    for client in clients {
        let status = client.await.expect("client");
        assert_eq!(status, 200, "every client is answered, none refused");
        answered += 1;
    }
    gateway.stop().await;
    assert_eq!(answered, 1000);
    assert_eq!(
        registry.usage_events(),
        (1000, 0),
        "every answered check is on disk after the stop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_headers_slowly_is_cut_off() {
    let mut registry = TestRegistry::new();
    let (_, secret) = registry.sandbox_token("shop");
    let mut config = Config::default();
    config.limits.header_read_timeout = Duration::from_millis(300);
    config.limits.max_connections = 2;
    let gateway = Gateway::start(&registry, config).await;
    // Two clients take both slots: one sends half a header and stops, one sends nothing.
    let mut slow = TcpStream::connect(gateway.address).await.expect("connect");
    slow.write_all(b"POST /init/payment HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut idle = TcpStream::connect(gateway.address).await.expect("connect");
    // A third client waits in the queue until the server cuts the other two off.
    let reply = gateway
        .post("/init/payment", Some(&secret), &init_body(100))
        .await;
    assert_eq!(reply.status, 200, "served once a slot frees");
    for stream in [&mut slow, &mut idle] {
        let mut answer = Vec::new();
        let read = tokio::time::timeout(STEP, stream.read_to_end(&mut answer))
            .await
            .expect("the server closes the connection in time");
        // Closed (EOF or reset), with at most a 408 from hyper, never a request handled.
        assert!(
            read.is_err() || answer.is_empty() || status_of(&answer) == 408,
            "cut off: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_under_load_writes_every_answered_check() {
    let mut registry = TestRegistry::new();
    let (_, secret) = registry.sandbox_token("shop");
    let gateway = Gateway::start(&registry, Config::default()).await;
    let request = Arc::new(post_bytes(&secret, init_body(5000).to_string().as_bytes()));
    let answered = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let request = Arc::clone(&request);
            let answered = Arc::clone(&answered);
            let address = gateway.address;
            tokio::spawn(async move {
                for _ in 0..10_000 {
                    let Ok(mut stream) = TcpStream::connect(address).await else {
                        return;
                    };
                    if stream.write_all(&request).await.is_err() {
                        return;
                    }
                    let mut answer = Vec::new();
                    let _ = stream.read_to_end(&mut answer).await;
                    match status_of(&answer) {
                        200 => {
                            answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    gateway.stop().await;
    for client in clients {
        tokio::time::timeout(STEP, client)
            .await
            .expect("clients end once the gateway is gone")
            .expect("client");
    }
    let answered = answered.load(std::sync::atomic::Ordering::SeqCst);
    assert!(answered > 0, "the load ran");
    assert_eq!(
        registry.usage_events().0,
        answered,
        "every check answered 200 is on disk after the stop"
    );
}
