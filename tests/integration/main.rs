//! Rampart's integration tests: one binary (modules below), run by `make test` under Xvfb inside
//! a D-Bus session with an unlocked gnome-keyring.

mod app_config;
mod audit_crash;
mod audit_trail;
mod binance_connector;
mod binance_limits;
mod binance_sim;
mod bybit_connector;
mod deribit_connector;
mod first_screen;
mod guard;
mod guard_safety;
mod guard_workspace;
mod multi_venue;
mod okx_connector;
mod order_engine;
mod recovery_flow;
mod rotation_crash;
mod sealed_files;
mod supply_chain;
mod support;
mod vault_flow;
mod webview_sandbox;
mod workspace;
