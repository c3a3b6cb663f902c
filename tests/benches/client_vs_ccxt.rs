//! `make bench`'s comparison: ccxt's binanceusdm (async, the pinned ccxt in the venv that
//! tests/ccxt/run.sh creates) and Rampart's connector (`RestClient::place_order`, typed MARKET
//! orders) placing the same orders against the same standalone `rampart sim` (the release
//! binary, a child process on a loopback port): 0.002 BTCUSDT, sides alternating, one order in
//! flight, warm-up orders first, then each order timed on its own.
//!
//! Runs, against one simulator over plain HTTP: ccxt and Rampart taking turns (ccxt, Rampart,
//! Rampart, ccxt: the simulator's per-order work grows with the orders it keeps, so both see
//! the same states on average), with a raw client's turns before and after them
//! (Rampart prepares the order with `RestClient::prepare_order`, then writes the request on a
//! kept-open socket and reads the answer with no HTTP library): the raw client's time is the
//! simulator's and the loopback's, the floor every client shares. The simulator's CPU time per
//! order (from /proc/<pid>/task/*/schedstat) is printed for each run. Then the same turns
//! against a `rampart sim --tls` (TLS 1.3, trusting the certificate the simulator prints).
//!
//! Environment: RAMPART_BIN (default <target>/release/rampart), CCXT_PYTHON (default
//! target/ccxt-venv/bin/python), BENCH_WARM_UP (200), BENCH_ORDERS (2000), SIM_THREADS (passed
//! to `rampart sim --threads` when set).
//!
//! `cargo build --release -p rampart-cli && cargo bench -p rampart-tests --bench client_vs_ccxt`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rampart_core::trading::PositionSide;
use rampart_core::{OrderType, Qty, Side};
use rampart_venues::binance_usdm::{ClientOptions, OrderRequest, RestClient, SymbolFilters};

const KEY: &str = "benchKey0123456789abcdefABCDEF0123456789abcdefABCDEF0123456789ab";
const SECRET: &str = "benchSecret0123456789abcdefABCDEF0123456789abcdefABCDEF01234567";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn target_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is <target>/tmp.
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"))
}

fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `rampart sim` as a child process; stopped with SIGINT (then killed) when dropped.
struct Sim {
    child: Child,
    root: String,
    cert: Option<PathBuf>,
}

impl Sim {
    fn start(tls: bool) -> Sim {
        let bin = std::env::var_os("RAMPART_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| target_dir().join("release").join("rampart"));
        let mut cmd = Command::new(&bin);
        cmd.args(["sim", "--listen", "127.0.0.1:0", "--api-key", KEY])
            .args(["--api-secret", SECRET])
            // Limits high enough that the run measures latency, not Binance's order pace.
            .args([
                "--orders-per-10s",
                "1000000",
                "--orders-per-minute",
                "1000000",
            ])
            .args(["--weight-per-minute", "1000000"]);
        if let Ok(threads) = std::env::var("SIM_THREADS") {
            cmd.args(["--threads", &threads]);
        }
        if tls {
            cmd.arg("--tls");
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start {} ({e}); build it with cargo build --release -p rampart-cli",
                    bin.display()
                )
            });
        let stdout = child.stdout.take().expect("the simulator's stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (mut rest, mut cert) = (None, None);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
                continue;
            };
            if let Some(url) = line.strip_prefix("REST: ") {
                rest = Some(url.trim().to_owned());
            } else if let Some(path) = line.strip_prefix("CERT: ") {
                cert = Some(PathBuf::from(path.trim()));
            } else if line.contains("Ctrl+C") {
                break;
            }
        }
        let rest = rest.expect("the simulator printed its REST: line");
        // REST: http://127.0.0.1:PORT/fapi/v1 → the root both clients are given.
        let root = rest
            .strip_suffix("/fapi/v1")
            .unwrap_or(&rest)
            .trim_end_matches('/')
            .to_owned();
        assert!(
            root.starts_with("http://127.0.0.1:") || root.starts_with("https://127.0.0.1:"),
            "{root} is not loopback"
        );
        Sim { child, root, cert }
    }

    /// CPU time (ns) the simulator's threads have used so far.
    fn cpu_ns(&self) -> u64 {
        let dir = format!("/proc/{}/task", self.child.id());
        let Ok(tasks) = std::fs::read_dir(dir) else {
            return 0;
        };
        tasks
            .filter_map(Result::ok)
            .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
            .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .sum()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Run {
    label: String,
    latencies: Vec<Duration>,
    sim_cpu_per_order: Option<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let last = sorted.len().saturating_sub(1);
    // Percentile index over a few thousand samples: exact enough in f64.
    let idx = ((last as f64) * p).round() as usize;
    sorted[idx.min(last)]
}

impl Run {
    /// Another turn of the same client: its latencies added, the simulator's CPU averaged.
    fn merge(&mut self, other: Run) {
        self.latencies.extend(other.latencies);
        self.sim_cpu_per_order = match (self.sim_cpu_per_order, other.sim_cpu_per_order) {
            (Some(a), Some(b)) => Some((a + b) / 2),
            (a, b) => a.or(b),
        };
    }

    fn p(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        percentile(&sorted, p)
    }

    fn print(&self) {
        println!(
            "{:<52} p50 {:>8.1} µs  p90 {:>8.1} µs  p99 {:>8.1} µs  sim CPU/order {}",
            self.label,
            self.p(0.5).as_secs_f64() * 1e6,
            self.p(0.9).as_secs_f64() * 1e6,
            self.p(0.99).as_secs_f64() * 1e6,
            self.sim_cpu_per_order.map_or("?".to_owned(), |d| format!(
                "{:.1} µs",
                d.as_secs_f64() * 1e6
            )),
        );
    }
}

fn ccxt(sim: &Sim, warm_up: usize, orders: usize, label: &str) -> Run {
    let python = std::env::var_os("CCXT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_dir().join("target/ccxt-venv/bin/python"));
    let mut cmd = Command::new(&python);
    cmd.arg(repo_dir().join("tests/ccxt/bench_place.py"))
        .args([
            "--root",
            &sim.root,
            "--api-key",
            KEY,
            "--api-secret",
            SECRET,
        ])
        .args(["--warm-up", &warm_up.to_string()])
        .args(["--orders", &orders.to_string()]);
    if let Some(cert) = &sim.cert {
        cmd.arg("--cert").arg(cert);
    }
    // The simulator's CPU is read around the whole script (its set-up included: load_markets
    // and the warm-up), so it is divided by every request the script makes.
    let before = sim.cpu_ns();
    let out = cmd.stderr(Stdio::inherit()).output().unwrap_or_else(|e| {
        panic!(
            "could not run {} ({e}); run tests/ccxt/run.sh once to create the venv",
            python.display()
        )
    });
    let sim_ns = sim.cpu_ns().saturating_sub(before);
    assert!(out.status.success(), "the ccxt bench failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let latencies: Vec<Duration> = text
        .lines()
        .find_map(|l| l.strip_prefix("LATENCIES_NS "))
        .expect("the ccxt bench's LATENCIES_NS line")
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .map(Duration::from_nanos)
        .collect();
    assert_eq!(latencies.len(), orders);
    Run {
        label: label.to_owned(),
        latencies,
        sim_cpu_per_order: Some(Duration::from_nanos(
            sim_ns / u64::try_from(warm_up + orders + 2).unwrap_or(1),
        )),
    }
}

fn market(i: usize) -> OrderRequest {
    OrderRequest {
        symbol: "BTCUSDT".into(),
        side: if i.is_multiple_of(2) {
            Side::Buy
        } else {
            Side::Sell
        },
        order_type: OrderType::Market,
        quantity: Qty::from_str("0.002").expect("a quantity"),
        price: None,
        stop_price: None,
        time_in_force: None,
        reduce_only: false,
        working_type: None,
        position_side: PositionSide::Net,
        client_order_id: rampart_engine::orders::new_client_order_id(),
    }
}

async fn connect(sim: &Sim) -> (RestClient, SymbolFilters) {
    let options = ClientOptions {
        extra_root_pem: sim
            .cert
            .as_ref()
            .map(|p| std::fs::read_to_string(p).expect("the simulator's certificate")),
        ..Default::default()
    };
    let client = RestClient::with_options(&sim.root, KEY, SECRET, &options).expect("a client");
    client.sync_clock().await.expect("the simulator's clock");
    let filters = client
        .exchange_info()
        .await
        .expect("exchangeInfo")
        .into_iter()
        .find(|f| f.symbol == "BTCUSDT")
        .expect("BTCUSDT");
    (client, filters)
}

async fn rampart(sim: &Sim, warm_up: usize, orders: usize, label: &str) -> Run {
    let (client, filters) = connect(sim).await;
    let mut latencies = Vec::with_capacity(orders);
    let mut sim_ns = 0;
    for i in 0..warm_up + orders {
        if i == warm_up {
            sim_ns = sim.cpu_ns();
        }
        let request = market(i);
        let started = Instant::now();
        let placed = client.place_order(&request, &filters, None).await;
        let took = started.elapsed();
        let placed = placed.unwrap_or_else(|e| panic!("order {i}: {e}"));
        assert_eq!(placed.client_order_id, request.client_order_id);
        if i >= warm_up {
            latencies.push(took);
        }
    }
    let sim_ns = sim.cpu_ns().saturating_sub(sim_ns);
    Run {
        label: label.to_owned(),
        latencies,
        sim_cpu_per_order: Some(Duration::from_nanos(
            sim_ns / u64::try_from(orders).unwrap_or(1),
        )),
    }
}

/// The floor: the simulator and the loopback alone. The order is prepared by Rampart
/// (`RestClient::prepare_order`, not timed), then written as one HTTP/1.1 request on a socket
/// kept open, and the answer read to its Content-Length, with no HTTP library in between.
async fn raw(sim: &Sim, warm_up: usize, orders: usize) -> Run {
    let (client, filters) = connect(sim).await;
    let addr = sim
        .root
        .strip_prefix("http://")
        .expect("plain http for the raw client");
    let mut socket = TcpStream::connect(addr).expect("a socket to the simulator");
    socket.set_nodelay(true).expect("TCP_NODELAY");
    let mut latencies = Vec::with_capacity(orders);
    let mut buf = vec![0u8; 64 * 1024];
    let mut sim_ns = 0;
    for i in 0..warm_up + orders {
        if i == warm_up {
            sim_ns = sim.cpu_ns();
        }
        let prepared = client
            .prepare_order(&market(i), &filters, None)
            .await
            .expect("a prepared order");
        let (header, key) = prepared.api_key_header();
        let request = format!(
            "POST {} HTTP/1.1\r\nhost: {addr}\r\n{header}: {key}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{}",
            prepared.path(),
            prepared.body().len(),
            prepared.body()
        );
        let started = Instant::now();
        socket.write_all(request.as_bytes()).expect("written");
        let mut filled = 0;
        let status_ok = loop {
            let n = socket.read(&mut buf[filled..]).expect("read");
            assert!(n > 0, "the simulator closed the connection");
            filled += n;
            let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .expect("a Content-Length");
            while filled < end + 4 + length {
                let n = socket.read(&mut buf[filled..]).expect("read");
                assert!(n > 0, "the simulator closed the connection");
                filled += n;
            }
            break head.starts_with("http/1.1 200");
        };
        let took = started.elapsed();
        assert!(
            status_ok,
            "{}",
            String::from_utf8_lossy(&buf[..filled.min(400)])
        );
        if i >= warm_up {
            latencies.push(took);
        }
    }
    let sim_ns = sim.cpu_ns().saturating_sub(sim_ns);
    Run {
        label: "raw socket (prepared by Rampart), http: the floor".into(),
        latencies,
        sim_cpu_per_order: Some(Duration::from_nanos(
            sim_ns / u64::try_from(orders).unwrap_or(1),
        )),
    }
}

fn main() {
    let warm_up = env_usize("BENCH_WARM_UP", 200);
    let orders = env_usize("BENCH_ORDERS", 2000);
    // One thread for the client, as ccxt's asyncio loop is one thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    println!(
        "MARKET 0.002 BTCUSDT, sides alternating, one in flight, {warm_up} warm-up + {orders} timed orders per client, against `rampart sim` (release) on loopback"
    );
    // The simulator keeps every order it was sent and some of its work grows with them, so
    // the two clients take turns in ABBA order (each half of each client's orders), and both
    // see the simulator in the same states on average.
    let half = orders / 2;
    let plain = Sim::start(false);
    let ccxt_label = "ccxt 4.5.90 binanceusdm (async), http";
    let rampart_label = "Rampart RestClient::place_order, http";
    let mut floor = runtime.block_on(raw(&plain, warm_up, half));
    let mut ccxt_http = ccxt(&plain, warm_up, half, ccxt_label);
    let mut rampart_http = runtime.block_on(rampart(&plain, warm_up, half, rampart_label));
    rampart_http.merge(runtime.block_on(rampart(&plain, warm_up, half, rampart_label)));
    ccxt_http.merge(ccxt(&plain, warm_up, half, ccxt_label));
    floor.merge(runtime.block_on(raw(&plain, warm_up, half)));
    drop(plain);
    let tls = Sim::start(true);
    let ccxt_label = "ccxt 4.5.90 binanceusdm (async), TLS";
    let rampart_label = "Rampart RestClient::place_order, TLS 1.3";
    let mut ccxt_tls = ccxt(&tls, warm_up, half, ccxt_label);
    let mut rampart_tls = runtime.block_on(rampart(&tls, warm_up, half, rampart_label));
    rampart_tls.merge(runtime.block_on(rampart(&tls, warm_up, half, rampart_label)));
    ccxt_tls.merge(ccxt(&tls, warm_up, half, ccxt_label));
    drop(tls);
    println!(
        "{half} orders per turn, turns in this order on one simulator process per scheme: (raw,) ccxt, Rampart, Rampart, ccxt(, raw)"
    );
    for run in [&ccxt_http, &rampart_http, &floor, &ccxt_tls, &rampart_tls] {
        run.print();
    }
    let ratio = rampart_http.p(0.5).as_secs_f64() / ccxt_http.p(0.5).as_secs_f64();
    println!(
        "Rampart p50 / ccxt p50 (http, same simulator): {ratio:.3} (1/{:.1})",
        1.0 / ratio
    );
    let ratio_tls = rampart_tls.p(0.5).as_secs_f64() / ccxt_tls.p(0.5).as_secs_f64();
    println!("Rampart p50 / ccxt p50 (TLS): {ratio_tls:.3}");
    println!(
        "simulator + loopback (raw client) share of Rampart's http p50: {:.0}%",
        100.0 * floor.p(0.5).as_secs_f64() / rampart_http.p(0.5).as_secs_f64()
    );
}
