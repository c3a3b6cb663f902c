//! The webview is untrusted: in the running app it gets no global Tauri object, a frozen
//! prototype chain, no inline script and no network beyond IPC.

use std::net::TcpListener;
use std::time::Duration;

use rampart_tests::{App, Launch};

#[tokio::test]
async fn the_webview_cannot_reach_the_network_or_run_inline_script() {
    let app = App::start(Launch {
        dbus_session: true,
        ..Launch::default()
    })
    .await;
    app.wait_for("[data-testid=keychain-strip]").await;

    // withGlobalTauri is off and freezePrototype is on.
    assert_eq!(
        app.eval("return typeof window.__TAURI__;").await,
        "undefined"
    );
    assert_eq!(
        app.eval("return Object.isFrozen(Object.prototype);").await,
        true
    );

    // An injected inline script does not run (script-src 'self' without 'unsafe-inline').
    app.eval(
        "const s = document.createElement('script');
         s.textContent = 'window.__rampartInjected = true;';
         document.body.appendChild(s);
         return null;",
    )
    .await;
    assert_eq!(
        app.eval("return window.__rampartInjected === true;").await,
        false
    );

    // A fetch to a loopback server is refused by connect-src, and the server sees nothing.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!(
        "http://127.0.0.1:{}/steal",
        listener.local_addr().unwrap().port()
    );
    let outcome = app
        .driver()
        .execute_async(
            "const [url, done] = arguments;
             fetch(url).then(() => done('reached'), (e) => done('blocked: ' + e));",
            vec![serde_json::json!(url)],
        )
        .await
        .expect("run the fetch probe")
        .json()
        .clone();
    let outcome = outcome.as_str().unwrap_or_default().to_owned();
    assert!(outcome.starts_with("blocked"), "{outcome}");
    // Nothing connects while the probe's request could still be on its way.
    super::support::holds_for(
        Duration::from_millis(300),
        &format!("the webview opened a connection to {url}"),
        || listener.accept().is_err(),
    )
    .await;

    app.quit().await;
}
