//! What Cargo.lock may and may not hold.

use rampart_tests::workspace_root;

fn packages() -> Vec<(String, String)> {
    let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock")).expect("Cargo.lock");
    let mut out = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_owned());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
            out.push((n, v.trim_matches('"').to_owned()));
        }
    }
    out
}

#[test]
fn tauri_is_on_the_stable_2_line() {
    let pkgs = packages();
    for crate_name in ["tauri", "tauri-build", "tauri-runtime-wry"] {
        let versions: Vec<_> = pkgs.iter().filter(|(n, _)| n == crate_name).collect();
        assert_eq!(versions.len(), 1, "{crate_name}: {versions:?}");
        assert!(
            versions[0].1.starts_with("2."),
            "{crate_name} {}",
            versions[0].1
        );
    }
}

#[test]
fn tls_is_rustls_only() {
    let pkgs = packages();
    for banned in [
        "openssl",
        "openssl-sys",
        "native-tls",
        "tokio-native-tls",
        "hyper-tls",
    ] {
        assert!(
            !pkgs.iter().any(|(n, _)| n == banned),
            "{banned} is in Cargo.lock"
        );
    }
    assert!(
        pkgs.iter().any(|(n, _)| n == "reqwest"),
        "reqwest is the HTTP client"
    );
    assert!(
        pkgs.iter().any(|(n, _)| n == "rustls"),
        "rustls is the TLS stack"
    );
}
