//! Harness for end-to-end tests: the real Rampart binary in a real window, driven over WebDriver
//! through tauri-driver and WebKitWebDriver.
//!
//! The test process must already have a display (`xvfb-run`) and, for the keychain, a D-Bus
//! session with an unlocked Secret Service (scripts/with-keyring.sh); `make test` arranges both.
//! Each launch gets a fresh HOME and XDG directories, its own ports, and is torn down with its
//! whole process group.

pub mod intercept;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use thirtyfour::prelude::*;
use thirtyfour::{Capabilities, WebDriver};
use tokio::sync::{Mutex, MutexGuard};
use totp_rs::{Algorithm, Secret, Totp};

/// One app at a time: WebKit is heavy on a 2-core machine and screenshots must not race.
static SERIAL: Mutex<()> = Mutex::const_new(());

/// How long the driver pair may take to accept connections, and a page element to appear.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
pub const UI_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits inside the workspace")
        .to_path_buf()
}

/// The debug build of the app that `make test` builds before running the tests.
pub fn app_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("RAMPART_APP_BIN") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("debug/rampart-app")
}

/// Where end-to-end tests leave their screenshots.
pub fn screenshot_dir() -> PathBuf {
    workspace_root().join("target/e2e")
}

fn tauri_driver() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("tauri-driver"))
            .find(|candidate| candidate.is_file())
    });
    on_path.unwrap_or_else(|| {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
            });
        home.join("bin/tauri-driver")
    })
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral loopback port");
    listener
        .local_addr()
        .expect("bound socket has an address")
        .port()
}

fn wait_for_port(port: u16, deadline: Instant, driver: &mut Child) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    loop {
        if TcpStream::connect_timeout(&addr, POLL).is_ok() {
            return;
        }
        if let Ok(Some(status)) = driver.try_wait() {
            panic!("tauri-driver exited ({status}) before port {port} accepted connections");
        }
        assert!(
            Instant::now() < deadline,
            "port {port} did not accept connections within {STARTUP_TIMEOUT:?}"
        );
        std::thread::sleep(POLL);
    }
}

/// How to start the app.
#[derive(Debug, Clone, Copy, Default)]
pub struct Launch {
    /// Give the app a D-Bus session of its own with an unlocked gnome-keyring (kept under the
    /// launch's data directory, so a restart in the same directory finds the same secrets). When
    /// false the app starts with no session bus at all.
    pub dbus_session: bool,
    /// More symbols for the Demo venue, one per line (`RAMPART_DEMO_EXTRA_SYMBOLS`, read by debug
    /// builds): a venue's text that must show as text.
    pub demo_extra_symbols: &'static str,
    /// How often the Demo venue's prices move, in µs (`RAMPART_DEMO_TICK_US`): a busy market.
    pub demo_tick_us: Option<u64>,
    /// What the Demo accounts' keys may do (`RAMPART_DEMO_KEY_PERMISSIONS`, debug builds):
    /// `withdrawals`, `no-ip-restriction`, `read-only`, comma-separated.
    pub demo_key_permissions: &'static str,
    /// The loopback ports the Demo exchanges take, in the order they start
    /// (`RAMPART_DEMO_PORTS`, debug builds), so a test can reach one as another client.
    pub demo_ports: Option<[u16; 3]>,
}

/// Inside `dbus-run-session`: note the bus address for the test, unlock a keyring kept under
/// $XDG_DATA_HOME/keyrings, then become tauri-driver.
const SESSION_SCRIPT: &str = r#"
printf '%s' "$DBUS_SESSION_BUS_ADDRESS" > "$RAMPART_E2E_BUS_FILE.tmp"
mv "$RAMPART_E2E_BUS_FILE.tmp" "$RAMPART_E2E_BUS_FILE"
# In the foreground (backgrounded here) so that it stays in this process group and ends with it.
printf '%s' rampart-e2e-keyring |
  gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null &
for _ in $(seq 1 100); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
    grep -q 'boolean true' && break
  sleep 0.1
done
exec "$0" "$@"
"#;

/// A running app with a WebDriver session on its window.
pub struct App {
    driver: Option<WebDriver>,
    tauri_driver: Child,
    root: tempfile::TempDir,
    /// The app's own D-Bus session address, when it has one.
    bus: Option<String>,
    _serial: MutexGuard<'static, ()>,
}

impl App {
    pub async fn start(launch: Launch) -> App {
        let root = tempfile::tempdir().expect("temporary directory for the app's HOME");
        Self::start_in(launch, root).await
    }

    /// Starts the app with `root` as its HOME and XDG directories (reuse one to restart).
    pub async fn start_in(launch: Launch, root: tempfile::TempDir) -> App {
        let serial = SERIAL.lock().await;
        let binary = app_binary();
        assert!(
            binary.is_file(),
            "{} is missing: build it first (`make test` does: cargo build -p rampart-app)",
            binary.display()
        );
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "end-to-end tests need a display: run them through `make test` (xvfb-run)"
        );

        let dirs = ["home", "data", "config", "cache", "state", "runtime"];
        for dir in dirs {
            std::fs::create_dir_all(root.path().join(dir)).expect("create XDG directory");
        }
        let port = free_port();
        let native_port = free_port();

        let bus_file = root.path().join("bus");
        let _ = std::fs::remove_file(&bus_file);
        let driver_args = [
            "--port".to_owned(),
            port.to_string(),
            "--native-port".to_owned(),
            native_port.to_string(),
        ];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(root.path().join("state/app.log"))
            .expect("open the app log");
        let mut command = if launch.dbus_session {
            let mut c = Command::new("dbus-run-session");
            c.args(["--", "bash", "-c", SESSION_SCRIPT])
                .arg(tauri_driver())
                .args(&driver_args)
                .env("RAMPART_E2E_BUS_FILE", &bus_file);
            c
        } else {
            let mut c = Command::new(tauri_driver());
            // "disabled:" tells libdbus (GTK, WebKit) there is no bus, so none is autolaunched.
            c.args(&driver_args)
                .env("DBUS_SESSION_BUS_ADDRESS", "disabled:")
                .env("XDG_RUNTIME_DIR", root.path().join("runtime"));
            c
        };
        command
            .env("HOME", root.path().join("home"))
            .env("XDG_DATA_HOME", root.path().join("data"))
            .env("XDG_CONFIG_HOME", root.path().join("config"))
            .env("XDG_CACHE_HOME", root.path().join("cache"))
            .env("XDG_STATE_HOME", root.path().join("state"))
            .env("RAMPART_LOG", "info")
            .env("RAMPART_DEMO_EXTRA_SYMBOLS", launch.demo_extra_symbols)
            .env("RAMPART_DEMO_KEY_PERMISSIONS", launch.demo_key_permissions)
            .env(
                "RAMPART_DEMO_PORTS",
                launch
                    .demo_ports
                    .map(|p| p.map(|p| p.to_string()).join(","))
                    .unwrap_or_default(),
            )
            .env(
                "RAMPART_DEMO_TICK_US",
                launch
                    .demo_tick_us
                    .map(|us| us.to_string())
                    .unwrap_or_default(),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // The app's log (and the drivers') goes to a file under the launch's directory, which
            // the canary checks scan like any other file the app wrote.
            .stderr(log)
            // Its own process group, so WebKitWebDriver and the app go down with it.
            .process_group(0);
        let mut tauri_driver = command.spawn().unwrap_or_else(|e| {
            panic!(
                "start {}: {e} (make test installs it)",
                tauri_driver().display()
            )
        });

        let deadline = Instant::now() + STARTUP_TIMEOUT;
        wait_for_port(port, deadline, &mut tauri_driver);
        wait_for_port(native_port, deadline, &mut tauri_driver);
        let bus = if launch.dbus_session {
            while !bus_file.exists() {
                assert!(
                    Instant::now() < deadline,
                    "the app's D-Bus session did not start"
                );
                std::thread::sleep(POLL);
            }
            Some(std::fs::read_to_string(&bus_file).expect("read the bus address"))
        } else {
            None
        };

        let mut caps = Capabilities::new();
        caps.set("browserName", "wry")
            .expect("serialise capability");
        caps.set(
            "tauri:options",
            serde_json::json!({ "application": binary }),
        )
        .expect("serialise capability");
        let driver = match WebDriver::new(format!("http://127.0.0.1:{port}"), caps).await {
            Ok(driver) => driver,
            Err(err) => {
                kill_group(&mut tauri_driver);
                panic!("could not open a WebDriver session on the app: {err}");
            }
        };
        App {
            driver: Some(driver),
            tauri_driver,
            root,
            bus,
            _serial: serial,
        }
    }

    pub fn driver(&self) -> &WebDriver {
        self.driver.as_ref().expect("driver is present until quit")
    }

    /// The fresh directory the app got as HOME and XDG base directories.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Waits until the element matching `css` exists and its text satisfies `want`; returns the
    /// text. Fails with the last text seen.
    pub async fn wait_text(&self, css: &str, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + UI_TIMEOUT;
        let mut last = String::from("<element not found>");
        loop {
            if let Ok(element) = self.driver().find(By::Css(css)).await
                && let Ok(text) = element.text().await
            {
                if want(&text) {
                    return text;
                }
                last = text;
            }
            assert!(
                Instant::now() < deadline,
                "{css}: no acceptable text within {UI_TIMEOUT:?}; last seen: {last:?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.wait_text(css, |_| true).await
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let element = self.element(css).await;
        element
            .attr(name)
            .await
            .unwrap_or_else(|e| panic!("{css}[{name}]: {e}"))
    }

    /// The element matching `css`; fails the test if there is none.
    pub async fn element(&self, css: &str) -> thirtyfour::WebElement {
        self.driver()
            .find(By::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// Clicks the element matching `css`. The page redraws on its own (live tables, the status
    /// poll), so an element replaced between finding and clicking it is found again, up to
    /// three times.
    pub async fn click(&self, css: &str) {
        for attempt in 1..=3 {
            match self.element(css).await.click().await {
                Ok(()) => return,
                Err(e) if attempt < 3 && e.to_string().contains("stale element") => {
                    tokio::time::sleep(POLL).await;
                }
                Err(e) => panic!("click {css}: {e}"),
            }
        }
    }

    /// Runs a script in the page and returns its JSON result.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.driver()
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
            .json()
            .clone()
    }

    /// Runs `body` (an async function body that may use `invoke`, the page's IPC call) in the
    /// page and returns its value; a rejected call comes back as `{ error: "<json>" }`.
    pub async fn invoke(&self, body: &str) -> serde_json::Value {
        let script = format!(
            "const done = arguments[arguments.length - 1];
             const invoke = window.__TAURI_INTERNALS__.invoke;
             (async () => {{ {body} }})().then(done, (e) => done({{ error: JSON.stringify(e) }}));"
        );
        self.driver()
            .execute_async(&script, Vec::new())
            .await
            .expect("run a script in the page")
            .json()
            .clone()
    }

    /// Sets a <select> the way a user's choice does (its change event).
    pub async fn choose(&self, testid: &str, value: &str) {
        self.eval(&format!(
            "const s = document.querySelector('[data-testid={testid}]'); s.value = '{value}'; \
             s.dispatchEvent(new Event('change', {{ bubbles: true }})); return true;"
        ))
        .await;
    }

    /// Saves a PNG of the window under target/e2e/ and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        // The DOM can be ahead of the pixels: wait until the page has painted twice since the
        // last change (two animation frames), so the picture shows the screen the test just
        // found, not the frame before it.
        self.driver()
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                Vec::new(),
            )
            .await
            .expect("wait for the page to paint");
        // Painting in software (no GPU: the app turns WebKit's DMA-BUF renderer off), WebKit
        // takes the snapshot from the next frame it paints, and a page where nothing changes
        // paints none: keep a transparent pixel changing while the snapshot is taken.
        self.eval(
            "const tick = document.createElement('div');
             tick.id = '__rampart_shot_tick';
             tick.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;' +
               'pointer-events:none;background:rgba(0,0,0,0)';
             document.body.appendChild(tick);
             let n = 0;
             window.__rampartShotTimer = setInterval(() => {
               n += 1; tick.style.background = `rgba(${n % 2},0,0,0)`;
             }, 16);
             return true;",
        )
        .await;
        let png = self
            .driver()
            .screenshot_as_png()
            .await
            .expect("take a screenshot");
        self.eval(
            "clearInterval(window.__rampartShotTimer);
             document.getElementById('__rampart_shot_tick')?.remove();
             return true;",
        )
        .await;
        assert!(png.starts_with(b"\x89PNG"), "the driver returned no PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("create target/e2e");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// The app's processes: the app itself first, then every process it started (WebKit's web
    /// and network processes), as (pid, command name). Empty if the app is not running.
    pub fn app_processes(&self) -> Vec<(u32, String)> {
        let table = process_table();
        let under_driver = descendants(&table, self.tauri_driver.id());
        let binary = std::fs::canonicalize(app_binary()).unwrap_or_else(|_| app_binary());
        let Some(app) = under_driver.into_iter().find(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == binary)
        }) else {
            return Vec::new();
        };
        std::iter::once(app)
            .chain(descendants(&table, app))
            .map(|pid| {
                let name = table
                    .iter()
                    .find(|p| p.0 == pid)
                    .map(|p| p.2.clone())
                    .unwrap_or_default();
                (pid, name)
            })
            .collect()
    }

    /// What the app and its drivers have logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.path().join("state/app.log")).unwrap_or_default()
    }

    /// Runs `secret-tool` on the app's own Secret Service; returns what it printed.
    pub fn secret_tool(&self, args: &[&str]) -> String {
        let bus = self
            .bus
            .as_deref()
            .expect("this launch has no D-Bus session");
        let out = Command::new("secret-tool")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
            .output()
            .expect("run secret-tool (libsecret-tools)");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// Replaces the secret stored under `service` / `username` in the app's own Secret Service
    /// with `secret` (as another program on the machine could): the old items are cleared,
    /// then one is stored from standard input.
    pub fn secret_tool_replace(&self, service: &str, username: &str, secret: &str) {
        use std::io::Write;
        let bus = self
            .bus
            .as_deref()
            .expect("this launch has no D-Bus session");
        let cleared = Command::new("secret-tool")
            .args(["clear", "service", service, "username", username])
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
            .status()
            .expect("run secret-tool (libsecret-tools)");
        assert!(cleared.success(), "secret-tool clear failed");
        let mut store = Command::new("secret-tool")
            .args([
                "store",
                "--label=rampart test",
                "service",
                service,
                "username",
                username,
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
            .stdin(Stdio::piped())
            .spawn()
            .expect("run secret-tool (libsecret-tools)");
        store
            .stdin
            .take()
            .expect("secret-tool's stdin")
            .write_all(secret.as_bytes())
            .expect("write the secret");
        assert!(
            store.wait().expect("secret-tool").success(),
            "secret-tool store failed"
        );
    }

    /// Types into an input after clearing it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        element
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear {css}: {e}"));
        element
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Waits until an element matching `css` exists.
    pub async fn wait_for(&self, css: &str) {
        self.wait_text(css, |_| true).await;
    }

    /// Ends the WebDriver session (closing the app) and the driver processes.
    pub async fn quit(self) {
        drop(self.quit_keeping_root().await);
    }

    /// Like [`App::quit`], but hands back the HOME/XDG directory so the app can be restarted in it.
    pub async fn quit_keeping_root(mut self) -> tempfile::TempDir {
        if let Some(driver) = self.driver.take() {
            // The app may already be gone; teardown continues either way.
            let _ = tokio::time::timeout(Duration::from_secs(15), driver.quit()).await;
        }
        kill_group(&mut self.tauri_driver);
        let placeholder = tempfile::tempdir().expect("temporary directory");
        std::mem::replace(&mut self.root, placeholder)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        kill_group(&mut self.tauri_driver);
    }
}

fn kill_group(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let group = format!("-{}", child.id());
    let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    let _ = child.wait();
}

/// Every process now: (pid, parent pid, command name).
fn process_table() -> Vec<(u32, u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid ...": the name may hold spaces and parentheses.
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let name = stat[open + 1..close].to_owned();
            let ppid = stat[close + 1..].split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid, name))
        })
        .collect()
}

/// Every process below `root` in `table` (children, their children, ...), breadth first.
fn descendants(table: &[(u32, u32, String)], root: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut next = vec![root];
    while let Some(parent) = next.pop() {
        for (pid, ppid, _) in table {
            if *ppid == parent && !out.contains(pid) {
                out.push(*pid);
                next.push(*pid);
            }
        }
    }
    out
}

/// The authenticator secret the enrolment screen shows (in groups of four), read as a trader
/// types it into a phone: the text, without its spaces. The page keeps it nowhere else.
pub async fn shown_secret(app: &App) -> String {
    app.wait_for("[data-testid=enrol-secret]").await;
    app.text("[data-testid=enrol-secret]")
        .await
        .split_whitespace()
        .collect()
}

/// Enrols the authenticator on the first screen (the secret shown there becomes the returned
/// phone) and saves the recovery codes; the app then shows the workspace.
pub async fn enrol(app: &App) -> Authenticator {
    enrol_keeping_codes(app).await.0
}

/// [`enrol`], also returning the recovery codes the screen showed.
pub async fn enrol_keeping_codes(app: &App) -> (Authenticator, Vec<String>) {
    let base32 = shown_secret(app).await;
    let mut phone = Authenticator::new(&base32);
    app.type_into("[data-testid=enrol-code]", &phone.fresh_code().await)
        .await;
    app.click("[data-testid=enrol-activate]").await;
    let codes = saved_recovery_codes(app).await;
    app.wait_for("[data-testid=workspace]").await;
    (phone, codes)
}

/// The recovery codes screen: reads the codes, ticks "saved" and continues.
pub async fn saved_recovery_codes(app: &App) -> Vec<String> {
    app.wait_for("[data-testid=recovery-codes]").await;
    let codes = app
        .eval(
            "return Array.from(document.querySelectorAll('[data-testid=recovery-codes] code'))
               .map((c) => c.textContent);",
        )
        .await;
    app.click("[data-testid=recovery-saved]").await;
    app.click("[data-testid=recovery-done]").await;
    serde_json::from_value(codes).expect("the recovery codes as text")
}

/// Unlocks from the lock screen with a fresh code; the app then shows the workspace.
pub async fn unlock(app: &App, phone: &mut Authenticator) {
    app.wait_for("[data-testid=unlock]").await;
    app.type_into("[data-testid=unlock-code]", &phone.fresh_code().await)
        .await;
    app.click("[data-testid=unlock-submit]").await;
    app.wait_for("[data-testid=workspace]").await;
}

/// Fills the Accounts screen's form for a Demo account (its own simulator, these made-up keys)
/// and submits it; the account connects at the next unlock.
pub async fn submit_demo_account(
    app: &App,
    phone: &mut Authenticator,
    label: &str,
    api_key: &str,
    api_secret: &str,
) {
    app.eval(
        "for (const [id, v] of [['add-venue', 'demo'], ['add-environment', 'demo']]) { \
           const s = document.querySelector(`[data-testid=${id}]`); s.value = v; \
           s.dispatchEvent(new Event('change')); } return true;",
    )
    .await;
    app.type_into("[data-testid=add-label]", label).await;
    app.type_into("[data-testid=add-key]", api_key).await;
    app.type_into("[data-testid=add-secret]", api_secret).await;
    app.type_into("[data-testid=add-code]", &phone.fresh_code().await)
        .await;
    app.click("[data-testid=add-submit]").await;
}

/// Goes to the Accounts screen and adds a Demo account there (see [`submit_demo_account`]),
/// waiting until it is listed.
pub async fn add_demo_account(
    app: &App,
    phone: &mut Authenticator,
    label: &str,
    api_key: &str,
    api_secret: &str,
) {
    app.click("[data-testid=nav-accounts]").await;
    app.wait_for("[data-testid=add-account]").await;
    submit_demo_account(app, phone, label, api_key, api_secret).await;
    app.wait_for(&format!("[data-testid=account-row][data-label='{label}']"))
        .await;
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// The trader's phone: computes codes from the secret shown on screen, each time step once.
pub struct Authenticator {
    totp: Totp,
    last_step: u64,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl Authenticator {
    pub fn new(base32: &str) -> Self {
        let secret = Secret::try_from_base32(base32).expect("the screen shows valid base32");
        let totp = totp_rs::Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_step_duration(30)
            .with_secret(secret.as_bytes().to_vec())
            .build()
            .unwrap();
        Self { totp, last_step: 0 }
    }

    /// A code for a time step not used before: the current one, or the next (the app accepts
    /// one step of drift), waiting for the clock when both are spent.
    pub async fn fresh_code(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            let step = unix_now() / 30;
            let candidate = step.max(self.last_step + 1);
            if candidate <= step + 1 {
                self.last_step = candidate;
                return self.totp.generate(candidate * 30).to_string();
            }
            assert!(Instant::now() < deadline, "no fresh TOTP step came");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// A six-digit string that no step the app would accept right now produces.
    pub fn wrong_code(&self) -> String {
        let step = unix_now() / 30;
        let valid: Vec<String> = (step.saturating_sub(2)..=step + 2)
            .map(|s| self.totp.generate(s * 30).to_string())
            .collect();
        (0..1_000_000)
            .map(|n| format!("{n:06}"))
            .find(|c| !valid.contains(c))
            .unwrap()
    }
}

/// For engine tests that are not about the guard: the user has confirmed and given a code, so
/// only the guard's refusals (limits, the breaker) stop an order.
pub const CONSENTED: rampart_engine::orders::Consent = rampart_engine::orders::Consent {
    confirmed: true,
    stepped_up: true,
};

/// A guard as the app makes one (default thresholds and limits), with no history.
pub fn new_guard() -> rampart_guard::Guard {
    rampart_guard::Guard::new(
        rampart_guard::Thresholds::default(),
        rampart_guard::History::default(),
        rampart_engine::orders::CLIENT_ID_PREFIX,
    )
}

/// The placed order of a place call made with [`CONSENTED`] (which the guard never sends back
/// for a confirmation or a code).
pub fn placed(
    outcome: Result<rampart_engine::orders::PlaceOutcome, rampart_engine::orders::OrderError>,
) -> Result<rampart_engine::orders::PlacedOrder, rampart_engine::orders::OrderError> {
    match outcome? {
        rampart_engine::orders::PlaceOutcome::Placed { order } => Ok(order),
        other => panic!("the guard asked again after full consent: {other:?}"),
    }
}

/// Loopback ports free a moment ago, for [`Launch::demo_ports`].
pub fn free_ports<const N: usize>() -> [u16; N] {
    // Held together so that the N are distinct, then released for the app to take.
    let held: Vec<std::net::TcpListener> = (0..N)
        .map(|_| std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind a loopback port"))
        .collect();
    std::array::from_fn(|i| held[i].local_addr().expect("a bound port").port())
}

/// The data key the order journals of the engine-level tests, the crash child and the
/// benchmarks are sealed under (the app uses the vault's).
pub fn journal_key() -> rampart_vault::DataKey {
    rampart_vault::DataKey::from_bytes([0x5a; 32])
}

/// Starts `command` (its standard output piped), kills it with SIGKILL after `delay` (counted
/// from its first line starting with `ready`, when given, else from the start) and returns
/// every line it printed. For the crash tests: a kill at a random point of the child's work.
pub fn run_and_kill(mut command: Command, ready: Option<&str>, delay: Duration) -> Vec<String> {
    use std::io::{BufRead, BufReader};
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the child starts");
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    if let Some(ready) = ready {
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            let seen = line.starts_with(ready);
            lines.push(line);
            if seen {
                break;
            }
        }
    }
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    lines.extend(rx.try_iter());
    lines
}

/// A wall clock a test moves by hand (a TOTP step per code, days at a time), with the
/// machine's real uptime for the unlock guard's waits.
pub struct StepClock(pub std::sync::atomic::AtomicU64);

impl StepClock {
    pub fn starting_at(seconds: u64) -> std::sync::Arc<StepClock> {
        std::sync::Arc::new(StepClock(std::sync::atomic::AtomicU64::new(seconds)))
    }

    /// Moves one TOTP step on and returns `seed`'s code then: a fresh code.
    pub fn fresh_code(&self, seed: &rampart_vault::totp::TotpSeed) -> String {
        use rampart_engine::Clock as _;
        self.0.fetch_add(30, std::sync::atomic::Ordering::SeqCst);
        seed.code_at(self.now())
    }
}

impl rampart_engine::Clock for StepClock {
    fn now(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn uptime(&self) -> rampart_vault::guard::Uptime {
        rampart_engine::SystemClock.uptime()
    }
}
