//! A TCP proxy on 127.0.0.1 in front of moto that counts, per operation,
//! the requests going through it, and can hold back or drop the answers to
//! some of them: how the tests see what the binary really sent (a change
//! sent once, a snapshot's calls) and what it does when an answer is lost.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Counts, per operation name found in a request (the `X-Amz-Target`
/// header's value), how many requests went through; answers to requests
/// naming one of `hold` are never passed back.
pub struct HoldingProxy {
    port: u16,
    pub lost: Lost,
    pub seen: Arc<Mutex<BTreeMap<String, usize>>>,
}

/// How the answer to a held request is lost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lost {
    /// Never comes: the connection stays open until the client gives up.
    Held,
    /// The connection is closed instead.
    Closed,
}

impl HoldingProxy {
    pub async fn start(
        upstream: String,
        ops: &'static [&'static str],
        hold: &'static [&'static str],
        lost: Lost,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(BTreeMap::new()));
        let counts = seen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let counts = counts.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    relay(client, server, ops, hold, lost, counts).await;
                });
            }
        });
        HoldingProxy { port, lost, seen }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn count(&self, op: &str) -> usize {
        self.seen.lock().unwrap().get(op).copied().unwrap_or(0)
    }
}

/// One connection: requests pass, each counted by the operation it names;
/// once a request names `hold`, nothing more comes back on it.
async fn relay(
    client: TcpStream,
    server: TcpStream,
    ops: &'static [&'static str],
    hold: &'static [&'static str],
    lost: Lost,
    counts: Arc<Mutex<BTreeMap<String, usize>>>,
) {
    let (mut client_r, mut client_w) = client.into_split();
    let (mut server_r, mut server_w) = server.into_split();
    let held = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let held_up = held.clone();
    let up = tokio::spawn(async move {
        // Everything sent on this connection so far: a header may arrive
        // split over two reads, so occurrences are counted over the whole.
        let mut sent = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match client_r.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let before = sent.len();
            sent.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&sent);
            let old = String::from_utf8_lossy(&sent[..before]);
            for op in ops {
                let new = text.matches(op).count() - old.matches(op).count();
                if new > 0 {
                    *counts.lock().unwrap().entry(op.to_string()).or_default() += new;
                    if hold.contains(op) {
                        held_up.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            }
            if server_w.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    });
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match server_r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        // The answer to the held request (and anything after it on this
        // connection) is swallowed: the client waits until it gives up.
        if held.load(std::sync::atomic::Ordering::SeqCst) {
            continue;
        }
        if client_w.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    // moto closes its side after answering; a held connection stays open
    // (the answer is "still coming") until the client gives up on it.
    if held.load(std::sync::atomic::Ordering::SeqCst) && lost == Lost::Held {
        let _ = up.await;
        drop(client_w);
    } else {
        up.abort();
    }
}

/// moto's address (`host:port`), for [`HoldingProxy::start`].
pub fn moto_addr(moto_url: &str) -> String {
    moto_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}
