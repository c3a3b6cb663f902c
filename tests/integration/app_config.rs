//! The app's security configuration, read from the files Tauri compiles in: the CSP, the global
//! object, the one capability, and the command allow-list.

use std::collections::BTreeSet;

use rampart_tests::workspace_root;
use serde_json::Value;

fn read(path: &str) -> String {
    std::fs::read_to_string(workspace_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn tauri_conf() -> Value {
    serde_json::from_str(&read("src-tauri/tauri.conf.json")).expect("tauri.conf.json is JSON")
}

fn quoted_names(text: &str) -> BTreeSet<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The names in `const COMMANDS: &[&str] = &[...]` in src-tauri/build.rs.
pub(crate) fn manifest_commands() -> BTreeSet<String> {
    let build = read("src-tauri/build.rs");
    let start = build
        .find("const COMMANDS: &[&str] = &[")
        .expect("COMMANDS in build.rs");
    let list = &build[start..];
    quoted_names(&list[..list.find("];").expect("end of COMMANDS")])
}

#[test]
fn csp_allows_only_our_own_scripts_and_ipc() {
    let conf = tauri_conf();
    let csp = &conf["app"]["security"]["csp"];
    let directive = |name: &str| {
        csp[name]
            .as_str()
            .unwrap_or_else(|| panic!("CSP has no {name}"))
    };

    assert_eq!(directive("default-src"), "'none'");
    assert_eq!(directive("script-src"), "'self'");
    assert_eq!(directive("connect-src"), "ipc: http://ipc.localhost");
    assert_eq!(directive("object-src"), "'none'");
    let all: Vec<&str> = csp
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_str)
        .collect();
    for source in all {
        for banned in [
            "'unsafe-eval'",
            "'unsafe-inline'",
            "data:",
            "blob:",
            "http:",
            "https:",
            "*",
        ] {
            assert!(
                !source.split_whitespace().any(|s| s == banned),
                "CSP source list {source:?} allows {banned}"
            );
        }
    }
    assert!(
        conf["app"]["security"]["devCsp"].is_null(),
        "no looser CSP for dev builds"
    );
    assert!(conf["app"]["security"]["dangerousDisableAssetCspModification"].is_null());
    assert!(
        conf["build"]["devUrl"].is_null(),
        "the app loads no remote or dev-server content"
    );
}

#[test]
fn no_global_tauri_and_a_frozen_prototype() {
    let conf = tauri_conf();
    assert_eq!(conf["app"]["withGlobalTauri"], false);
    assert_eq!(conf["app"]["security"]["freezePrototype"], true);
    assert_eq!(
        conf["app"]["security"]["capabilities"],
        serde_json::json!(["main"])
    );
    let windows = conf["app"]["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0]["label"], "main");
    assert!(
        windows[0]["url"].is_null(),
        "the window loads the bundled UI only"
    );
}

#[test]
fn one_capability_for_the_main_window_allowing_commands_by_name() {
    let dir = workspace_root().join("src-tauri/capabilities");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "exactly one capability file");
    let cap: Value = serde_json::from_str(&read("src-tauri/capabilities/main.json")).unwrap();
    assert_eq!(cap["identifier"], "main");
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
    assert_eq!(
        cap["permissions"],
        serde_json::json!(["main-window"]),
        "no core or plugin permissions"
    );

    let set = read("src-tauri/permissions/main-window.toml");
    let start = set
        .find("permissions = [")
        .expect("permissions = [...] in main-window.toml");
    let list = &set[start..];
    let allowed = quoted_names(&list[..list.find(']').expect("end of permissions")]);
    let commands = manifest_commands();
    assert!(!commands.is_empty());
    let expected: BTreeSet<String> = commands
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    assert_eq!(
        allowed, expected,
        "each command in build.rs is allowed by name, and only those"
    );
}

#[test]
fn every_registered_handler_is_in_the_app_manifest() {
    let lib = read("src-tauri/src/lib.rs");
    let start = lib
        .find("generate_handler![")
        .expect("generate_handler! in lib.rs");
    let list = &lib[start + "generate_handler![".len()..];
    let handlers: BTreeSet<String> = list[..list.find(']').unwrap()]
        .split(',')
        .map(|h| h.trim().rsplit("::").next().unwrap_or_default().to_owned())
        .filter(|h| !h.is_empty())
        .collect();
    assert_eq!(handlers, manifest_commands());
}

/// One name per command from the UI to the desk (issue 8): the UI's typed command map
/// (`interface Commands` in ui/src/lib/ipc.ts) lists exactly the registered commands, and each
/// command in src-tauri/src/commands.rs is one call to the `Desk` method of the same name.
#[test]
fn the_ui_command_map_and_the_desk_use_the_registered_names() {
    let ipc = read("ui/src/lib/ipc.ts");
    let start = ipc
        .find("export interface Commands {")
        .expect("interface Commands in ipc.ts");
    let body = &ipc[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("\n}").expect("end of Commands")];
    let ui: BTreeSet<String> = body
        .lines()
        .filter_map(|l| {
            l.trim()
                .split_once(':')
                .map(|(name, _)| name.trim().to_owned())
        })
        .filter(|name| !name.is_empty() && !name.starts_with("//") && !name.contains(' '))
        .collect();
    assert_eq!(
        ui,
        manifest_commands(),
        "ipc.ts Commands vs build.rs COMMANDS"
    );

    let commands = read("src-tauri/src/commands.rs");
    let mut seen = BTreeSet::new();
    for chunk in commands.split("#[tauri::command]").skip(1) {
        let name = chunk
            .split("pub async fn ")
            .nth(1)
            .and_then(|rest| rest.split('(').next())
            .expect("a command function")
            .to_owned();
        let body = &chunk[chunk.find('{').expect("a body")..];
        let delegates = [format!("desk.{name}("), format!("d.{name}(")];
        assert!(
            delegates.iter().any(|d| body.contains(d.as_str())),
            "command {name} must call the desk method of the same name:\n{body}"
        );
        seen.insert(name);
    }
    assert_eq!(
        seen,
        manifest_commands(),
        "commands.rs vs build.rs COMMANDS"
    );
}

/// Tauri enables the web inspector in debug builds only, unless its `devtools` feature is on.
#[test]
fn devtools_stay_out_of_release_builds() {
    for manifest in ["Cargo.toml", "src-tauri/Cargo.toml"] {
        let text = read(manifest);
        for line in text.lines().filter(|l| l.trim_start().starts_with("tauri")) {
            assert!(!line.contains("devtools"), "{manifest}: {line}");
        }
    }
    let conf = tauri_conf();
    assert!(conf["app"]["windows"][0]["devtools"].is_null());
}
