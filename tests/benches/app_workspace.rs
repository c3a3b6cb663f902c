//! The workspace measured in the real app, as a trader meets it: the app binary in a real
//! window (Xvfb, tauri-driver + WebKitWebDriver), trading on the Demo venue.
//!
//! 1. Click to wire: market orders sent by clicking the ticket's button with a real pointer
//!    event (the X server's XTEST extension: the click goes through X, GTK and WebKit like a
//!    user's). From the moment the X server has the click to the engine's hand-over of the order
//!    to the connector (which signs and writes it within microseconds), both on this machine's
//!    wall clock: event delivery, the page's handler, the IPC hop, checks and journal included.
//!    Beside it, from the page's own submit event (its clock gives whole milliseconds), click to
//!    answer on the page, and the exchange's round trip. The orders come one every 2.2 s: from
//!    the tenth in a minute the guard sees a burst and asks for a confirmation, which the
//!    benchmark gives with a real click in its prompt; that click is then the one timed.
//! 2. Frame time with the Demo venue's market at about 5,000 stream messages a second
//!    (`RAMPART_DEMO_TICK_US`): every animation frame's interval over 20 s, the book's redraws,
//!    and the CPU each of the app's processes used meanwhile.
//! 3. Footprint: from the app process's start to the unlock screen drawn (warm: the same data
//!    directory started again), and the proportional set size of every process of the app
//!    (WebKit's included) at the unlock screen and with four Demo accounts streaming.
//!
//! `make bench` runs it with the release app (scripts/bench.sh); by hand:
//! `RAMPART_APP_BIN=$PWD/target/release/rampart-app xvfb-run -a cargo bench -p rampart-tests --bench app_workspace`
//! (add `-- click`, `-- frames` or `-- footprint` for one section).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rampart_tests::{App, Authenticator, Launch, add_demo_account, app_binary, enrol, unlock};
use serde_json::Value;
use x11_dl::xlib::{Display, Xlib};
use x11_dl::xtest::Xf86vmode as Xtest;

/// Orders timed for click to wire.
const ORDERS: usize = 120;
/// At most one order every this often: under the guard's step-up for a burst (30 orders in a
/// minute), which would want a fresh authenticator code per order. From the tenth order in a
/// minute the guard asks for a confirmation, and the benchmark confirms in its prompt.
const ORDER_EVERY: Duration = Duration::from_millis(2_200);
/// The Demo venue's price step for the busy market (µs): about 5,000 messages a second on the
/// watched instrument (about 2.85 per step: book diff, candle, mark).
const BUSY_TICK_US: u64 = 560;
/// How long frames are recorded under that load.
const FRAME_WINDOW: Duration = Duration::from_secs(20);
const WARM_STARTS: usize = 5;

#[tokio::main]
async fn main() {
    println!("app: {}", app_binary().display());
    // `-- click`, `-- frames` or `-- footprint` runs only those sections.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runs = |section: &str| only.is_empty() || only.iter().any(|o| o == section);
    if runs("click") {
        click_to_wire().await;
    }
    if runs("frames") {
        frames_under_load().await;
    }
    if runs("footprint") {
        footprint().await;
    }
}

fn launch() -> Launch {
    Launch {
        dbus_session: true,
        ..Launch::default()
    }
}

/// The p-th percentile (0..=100) of sorted values, nearest rank.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn summary(label: &str, mut values: Vec<f64>, unit: &str) {
    values.sort_by(f64::total_cmp);
    println!(
        "{label}: n={} p50 {:.2} {unit}, p90 {:.2} {unit}, p99 {:.2} {unit}, max {:.2} {unit}",
        values.len(),
        percentile(&values, 50.0),
        percentile(&values, 90.0),
        percentile(&values, 99.0),
        values.last().copied().unwrap_or(f64::NAN),
    );
}

async fn script_async(app: &App, script: &str) -> Value {
    app.driver()
        .execute_async(script, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
        .json()
        .clone()
}

/// Skips the confirmation for every order (the ticket's own setting), so a click sends.
async fn skip_confirmation(app: &App) {
    app.eval(
        "const t = document.querySelector('[data-testid=skip-confirm-toggle]');
         if (!t.checked) { t.click(); }
         const u = document.querySelector('[data-testid=skip-confirm-under]');
         u.value = '100000000'; u.dispatchEvent(new Event('change', { bubbles: true }));
         return true;",
    )
    .await;
}

async fn click_to_wire() {
    let app = App::start(launch()).await;
    enrol(&app).await;
    app.wait_text("[data-testid=ticket-mark]", |t| t != "—" && !t.is_empty())
        .await;
    skip_confirmation(&app).await;
    app.choose("ticket-type", "market").await;
    app.type_into("[data-testid=ticket-qty]", "0.01").await;

    let clock_fraction_ms = page_clock_fraction(&app).await;
    let x = XClick::open();
    let mut wire = Vec::new();
    let mut from_event = Vec::new();
    let mut page = Vec::new();
    let mut exchange = Vec::new();
    let mut last_toast: u64 = 0;
    let mut confirmed = 0usize;
    let mut next_at = Instant::now();
    for n in 0..ORDERS {
        tokio::time::sleep_until(next_at.into()).await;
        next_at = Instant::now() + ORDER_EVERY;
        // Alternate buys and sells at market, so the position stays small.
        let side = if n % 2 == 0 { "buy" } else { "sell" };
        app.click(&format!("[data-testid=ticket-side-{side}]"))
            .await;
        let at = app
            .eval(
                "const r = document.querySelector('[data-testid=ticket-submit]').getBoundingClientRect();
                 return [Math.round(window.screenX + r.x + r.width / 2),
                         Math.round(window.screenY + r.y + r.height / 2)];",
            )
            .await;
        let mut clicked_at_us = x.click(
            at[0].as_i64().expect("x") as i32,
            at[1].as_i64().expect("y") as i32,
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        // The page times the order itself; asking it often would only compete with it.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let mut asked = false;
        let timing = loop {
            // The guard's prompt (a burst): confirmed with a real click, which is then the
            // click that sends the order.
            if !asked {
                let prompt = app
                    .eval(
                        "const b = document.querySelector('[data-testid=guard-prompt] [data-testid=guard-confirm]');
                         if (!b) { return null; }
                         const r = b.getBoundingClientRect();
                         return [Math.round(window.screenX + r.x + r.width / 2),
                                 Math.round(window.screenY + r.y + r.height / 2)];",
                    )
                    .await;
                if let Some(xy) = prompt.as_array() {
                    asked = true;
                    confirmed += 1;
                    clicked_at_us = x.click(
                        xy[0].as_i64().expect("x") as i32,
                        xy[1].as_i64().expect("y") as i32,
                    );
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    continue;
                }
            }
            let found = app
                .eval(&format!(
                    "const t = Array.from(document.querySelectorAll('[data-testid=toast]'))
                       .filter((e) => Number(e.dataset.toast) > {last_toast}).pop();
                     if (!t) {{ return null; }}
                     const m = t.querySelector('[data-testid=toast-timing]');
                     if (t.dataset.kind === 'rejected') {{ return {{ rejected: t.textContent }}; }}
                     return m ? {{ toast: Number(t.dataset.toast), page: Number(m.dataset.pageUs),
                                   roundTrip: Number(m.dataset.roundTripUs),
                                   clicked: Number(m.dataset.clickedAtUs),
                                   sent: Number(m.dataset.sentAtUs) }} : null;"
                ))
                .await;
            if !found.is_null() {
                break found;
            }
            if Instant::now() >= deadline {
                app.screenshot("bench-no-answer").await;
                let seen = app
                    .eval(
                        "return [document.querySelector('[data-testid=toasts]')?.innerText,
                                 document.querySelector('[data-testid=ticket]')?.innerText];",
                    )
                    .await;
                panic!("order {n}: no answer within 10 s; the page shows {seen}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(timing.get("rejected").is_none(), "order {n}: {timing}");
        last_toast = timing["toast"].as_u64().unwrap();
        let page_us = timing["page"].as_f64().unwrap();
        let round_trip_us = timing["roundTrip"].as_f64().unwrap();
        let sent_at_us = timing["sent"].as_f64().unwrap();
        // Both on this machine's wall clock, to the microsecond: the X server had the click,
        // the engine handed the order to the connector.
        let to_wire_us = sent_at_us - clicked_at_us as f64;
        // The page's own view (its clock in whole milliseconds): the submit event to the
        // hand-over.
        let from_event_us = sent_at_us - timing["clicked"].as_f64().unwrap();
        // The page's estimate floors twice (see page_clock_fraction): on average the event was
        // the origin's fraction plus half a millisecond later than it says.
        let from_event_us = from_event_us - (clock_fraction_ms + 0.5) * 1000.0;
        // The order left after the click, and after the page saw it (to its clock's 1 ms).
        assert!(
            to_wire_us > 0.0 && from_event_us > -1_000.0 && from_event_us < to_wire_us + 1_000.0,
            "order {n}: click to wire {to_wire_us} µs, from the page's event {from_event_us} µs"
        );
        wire.push(to_wire_us / 1000.0);
        from_event.push(from_event_us / 1000.0);
        page.push(page_us / 1000.0);
        exchange.push(round_trip_us / 1000.0);
    }
    println!(
        "\n== click to wire: {ORDERS} market orders from the ticket's button, Demo venue, one every \
         {} ms; {confirmed} sent from the guard's confirmation (a burst), timed from that click",
        ORDER_EVERY.as_millis()
    );
    summary(
        "click to wire (the X server has the click, to the engine's hand-over to the connector)",
        wire,
        "ms",
    );
    summary(
        &format!(
            "the page's submit event to the hand-over (page clock in whole ms, \
             corrected by {:.2} ms)",
            clock_fraction_ms + 0.5
        ),
        from_event,
        "ms",
    );
    summary("click to answer on the page", page, "ms");
    summary(
        "the exchange's share (hand-over to the connector to its answer)",
        exchange,
        "ms",
    );
    app.quit().await;
}

/// The pointer on the benchmark's display ($DISPLAY, where the app's window is), driven through
/// XTEST as a mouse would drive it.
struct XClick {
    xlib: Xlib,
    xtest: Xtest,
    display: *mut Display,
}

impl XClick {
    fn open() -> Self {
        let xlib = Xlib::open().expect("libX11");
        let xtest = Xtest::open().expect("libXtst (the XTEST extension's client library)");
        // SAFETY: XOpenDisplay takes a null name to mean $DISPLAY; the result is checked.
        let display = unsafe { (xlib.XOpenDisplay)(std::ptr::null()) };
        assert!(!display.is_null(), "cannot open the X display ($DISPLAY)");
        Self {
            xlib,
            xtest,
            display,
        }
    }

    /// Moves the pointer to (x, y) on the screen and clicks the left button; returns the wall
    /// time (µs since the epoch) taken just before the X server is asked to process the press
    /// and release (so a click-to-wire figure from it can only be too long, never too short).
    fn click(&self, x: i32, y: i32) -> i64 {
        // SAFETY: `display` is open for the life of self; XTEST queues the events, XSync sends
        // them and waits until the server has processed them.
        unsafe {
            (self.xtest.XTestFakeMotionEvent)(self.display, -1, x, y, 0);
            (self.xlib.XSync)(self.display, 0);
            (self.xtest.XTestFakeButtonEvent)(self.display, 1, 1, 0);
            (self.xtest.XTestFakeButtonEvent)(self.display, 1, 0, 0);
            let at = wall_us();
            (self.xlib.XSync)(self.display, 0);
            at
        }
    }
}

impl Drop for XClick {
    fn drop(&mut self) {
        // SAFETY: opened in `open`, closed once.
        unsafe { (self.xlib.XCloseDisplay)(self.display) };
    }
}

fn wall_us() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_micros()).unwrap()
}

/// WebKit gives the page's wall clock (its time origin plus `performance.now()`) in whole
/// milliseconds, flooring both: an event at true wall time W reads as floor(O) + floor(W - O).
/// `Date.now()` floors W itself, so at a moment taken at random the two differ by one exactly
/// when the origin's fraction plus that of W - O reaches a whole millisecond: over many such
/// moments, how often they differ is the origin's fraction (ms) that the first floor dropped.
/// The second floor drops half a millisecond on average.
async fn page_clock_fraction(app: &App) -> f64 {
    let differs = script_async(
        app,
        "const done = arguments[arguments.length - 1];
         let n = 0, differ = 0;
         function sample() {
           // A random spin, so each sample falls anywhere within a millisecond.
           const spin = Math.random() * 2;
           const start = performance.now();
           while (performance.now() - start < spin) {}
           for (let i = 0; i < 20; i++) {
             const page = performance.timeOrigin + performance.now();
             const wall = Date.now();
             if (wall - Math.floor(page) >= 1) { differ += 1; }
             n += 1;
           }
           if (n < 4000) { setTimeout(sample, Math.random() * 3); } else { done(differ / n); }
         }
         sample();",
    )
    .await;
    differs.as_f64().expect("a fraction")
}

/// Field `n` (1-based, as proc(5) numbers them) of /proc/<pid>/stat; 0 when it cannot be read.
fn stat_field(pid: u32, n: usize) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which may hold spaces, start with field 3 (state).
    let Some(close) = stat.rfind(')') else {
        return 0;
    };
    stat[close + 1..]
        .split_whitespace()
        .nth(n - 3)
        .and_then(|f| f.parse().ok())
        .unwrap_or(0)
}

/// (utime + stime) of `pid` in clock ticks (fields 14 and 15).
fn cpu_ticks(pid: u32) -> u64 {
    stat_field(pid, 14) + stat_field(pid, 15)
}

/// The start time of `pid`, in clock ticks after boot (field 22).
fn start_ticks(pid: u32) -> u64 {
    stat_field(pid, 22)
}

fn ticks_per_second() -> f64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .expect("getconf CLK_TCK");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(100.0)
}

/// Proportional set size of `pid` in kB (smaps_rollup).
fn pss_kb(pid: u32) -> u64 {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    rollup
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The ten mappings of `pid` with the most PSS ("[anon]" for anonymous memory), from smaps.
fn largest_mappings(pid: u32) -> String {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut by_name: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    let mut current = String::new();
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            current = fields.nth(4).unwrap_or("[anon]").to_owned();
        } else if first == "Pss:" {
            let kb: u64 = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0);
            *by_name.entry(current.clone()).or_default() += kb;
        }
    }
    let mut all: Vec<(String, u64)> = by_name.into_iter().collect();
    all.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    all.iter()
        .take(10)
        .map(|(name, kb)| format!("{} {kb}", name.rsplit('/').next().unwrap_or(name)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every app process's PSS, printed one per line, and their total in MB.
fn footprint_of(app: &App, label: &str) -> f64 {
    let processes = app.app_processes();
    assert!(!processes.is_empty(), "the app's processes were not found");
    let mut total = 0;
    let mut parts = Vec::new();
    for (pid, name) in &processes {
        let kb = pss_kb(*pid);
        total += kb;
        parts.push(format!("{name} {:.1}", kb as f64 / 1024.0));
    }
    if std::env::var_os("RAMPART_BENCH_SMAPS").is_some() {
        for (pid, name) in &processes {
            println!(
                "  {name}: largest mappings by PSS (kB): {}",
                largest_mappings(*pid)
            );
        }
    }
    let mb = total as f64 / 1024.0;
    println!(
        "{label}: PSS {mb:.1} MB ({} processes: {})",
        processes.len(),
        parts.join(", ")
    );
    mb
}

async fn frames_under_load() {
    let app = App::start(Launch {
        demo_tick_us: Some(BUSY_TICK_US),
        ..launch()
    })
    .await;
    enrol(&app).await;
    // The watched instrument's feed at full rate before measuring.
    let deadline = Instant::now() + Duration::from_secs(60);
    let rate = loop {
        let rate = app
            .eval(
                "const s = document.querySelector('[data-testid=status-market]');
                 return s ? Number(s.dataset.rate) : 0;",
            )
            .await
            .as_u64()
            .unwrap_or(0);
        if rate >= 4_000 {
            break rate;
        }
        assert!(
            Instant::now() < deadline,
            "the Demo market did not reach 4,000 messages/s (last {rate})"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    tokio::time::sleep(Duration::from_secs(3)).await;

    let processes = app.app_processes();
    let before: Vec<u64> = processes.iter().map(|(pid, _)| cpu_ticks(*pid)).collect();
    let started = Instant::now();
    app.driver()
        .set_script_timeout(FRAME_WINDOW + Duration::from_secs(30))
        .await
        .expect("set the script timeout");
    let frames = script_async(
        &app,
        &format!(
            "const done = arguments[arguments.length - 1];
             const book = document.querySelector('[data-testid=book]') ?? document.body;
             let redraws = 0;
             const seen = new MutationObserver(() => {{ redraws += 1; }});
             seen.observe(book, {{ subtree: true, childList: true, characterData: true }});
             const rates = [];
             const sample = setInterval(() => {{
               const s = document.querySelector('[data-testid=status-market]');
               if (s) {{ rates.push(Number(s.dataset.rate)); }}
             }}, 1000);
             const gaps = [];
             let last = null;
             const until = performance.now() + {window};
             function frame(t) {{
               if (last !== null) {{ gaps.push(t - last); }}
               last = t;
               if (t < until) {{ requestAnimationFrame(frame); return; }}
               seen.disconnect(); clearInterval(sample);
               done({{ gaps, redraws, rates }});
             }}
             requestAnimationFrame(frame);",
            window = FRAME_WINDOW.as_millis()
        ),
    )
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let hz = ticks_per_second();
    println!(
        "\n== frames with the Demo market at {BUSY_TICK_US} µs a step ({rate} messages/s when measuring began)"
    );
    let gaps: Vec<f64> = serde_json::from_value(frames["gaps"].clone()).unwrap();
    let rates: Vec<u64> = serde_json::from_value(frames["rates"].clone()).unwrap();
    let over = gaps.iter().filter(|g| **g > 50.0).count();
    println!("stream messages/s during the window (status bar, each second): {rates:?}");
    summary("frame interval", gaps.clone(), "ms");
    println!(
        "frames: {} in {:.1} s ({:.1}/s), over 50 ms: {over}; book redraws (DOM mutations): {} ({:.1}/s)",
        gaps.len() + 1,
        FRAME_WINDOW.as_secs_f64(),
        (gaps.len() + 1) as f64 / FRAME_WINDOW.as_secs_f64(),
        frames["redraws"],
        frames["redraws"].as_f64().unwrap_or(0.0) / FRAME_WINDOW.as_secs_f64(),
    );
    for ((pid, name), ticks) in processes.iter().zip(before) {
        let used = cpu_ticks(*pid).saturating_sub(ticks) as f64 / hz;
        println!(
            "CPU {name} (pid {pid}): {:.0}% of one core",
            100.0 * used / elapsed
        );
    }
    footprint_of(&app, "footprint under this load, one Demo account");
    app.quit().await;
}

/// The wall-clock time (ms since the epoch) at which `pid` started.
fn started_at_ms(pid: u32) -> f64 {
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|u| u.split_whitespace().next()?.parse().ok())
        .expect("read /proc/uptime");
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0;
    let since_start_s = uptime - start_ticks(pid) as f64 / ticks_per_second();
    now_ms - since_start_s * 1000.0
}

/// Waits for the page's user-timing mark `name`; the wall-clock time (ms) it was set.
async fn mark_time_ms(app: &App, name: &str) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let at = app
            .eval(&format!(
                "const m = performance.getEntriesByName('{name}')[0];
                 return m ? performance.timeOrigin + m.startTime : null;"
            ))
            .await;
        if let Some(at) = at.as_f64() {
            return at;
        }
        assert!(Instant::now() < deadline, "no {name} mark within 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn footprint() {
    println!("\n== footprint");
    // Four Demo accounts: the one made at enrolment and three more; all connect at unlock.
    let app = App::start(launch()).await;
    let mut phone: Authenticator = enrol(&app).await;
    for n in 2..=4 {
        add_demo_account(
            &app,
            &mut phone,
            &format!("Demo {n}"),
            &format!("BenchKey{n}{}", "A".repeat(55)),
            &format!("BenchSecret{n}{}", "b".repeat(52)),
        )
        .await;
    }
    app.click("[data-testid=lock]").await;
    unlock(&app, &mut phone).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let live = app
            .eval(
                "const s = Array.from(document.querySelectorAll('[data-testid=status-stream]'));
                 return s.length === 4 && s.every((e) => e.textContent.includes('Stream live'))
                   && document.querySelector('[data-testid=status-market]') !== null;",
            )
            .await;
        if live == Value::Bool(true) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "four Demo accounts did not all stream within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    footprint_of(&app, "workspace open, four Demo accounts streaming");
    let root = app.quit_keeping_root().await;

    // Warm starts of the same installation to its unlock screen.
    let mut root = root;
    let mut times = Vec::new();
    for n in 0..WARM_STARTS {
        let app = App::start_in(launch(), root).await;
        let shown = mark_time_ms(&app, "rampart:unlock-shown").await;
        let (pid, _) = app.app_processes()[0].clone();
        let took = shown - started_at_ms(pid);
        println!("start {n}: process start to unlock screen drawn {took:.0} ms");
        times.push(took);
        if n == 0 {
            tokio::time::sleep(Duration::from_secs(3)).await;
            footprint_of(&app, "unlock screen, idle");
        }
        root = app.quit_keeping_root().await;
    }
    summary(
        "process start to unlock screen, warm (runs after the first)",
        times[1..].to_vec(),
        "ms",
    );
}
