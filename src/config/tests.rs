//! Parsing, profile selection and merging.

use super::*;
use crate::cli::Cli;
use clap::Parser;

const PROD: &str = "3f1c0b0e-4a52-4a53-9a3b-1d2c3e4f5a6b";
const BILLING: &str = "8d9e0f10-1111-4222-8333-944455566677";

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/etc/skope/config.toml"))
}

fn global(args: &[&str]) -> Global {
    let mut argv = vec!["skope"];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv)
        .unwrap_or_else(|e| panic!("{e}"))
        .global
}

fn sample() -> Config {
    let text = format!(
        r#"
default_profile = "prod"
theme = "no-color"

[keys.entries]
x = "export"
e = "none"

[profiles.prod]
url = "wss://streamkit.example.com"
token_cmd = "echo t"
stores = ["{PROD}", {{ id = "{BILLING}", name = "billing" }}]
store = "billing"
read_only = true
retry = "aggressive"
theme = "default"

[profiles.local]
data_dir = "data"
token_file = "~/tok"
"#
    );
    parse(&text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_sample_parses() {
    let c = sample();
    let prod = &c.file.profiles["prod"];
    assert_eq!(prod.url.as_deref(), Some("wss://streamkit.example.com"));
    assert_eq!(prod.store, Uuid::parse_str(BILLING).ok());
    assert_eq!(prod.stores.len(), 2);
    assert_eq!(prod.stores[0].name, None);
    assert_eq!(prod.stores[1].name.as_deref(), Some("billing"));
    assert!(prod.read_only);
    assert_eq!(prod.retry, Some(RetryChoice::Aggressive));
    let local = &c.file.profiles["local"];
    // Relative paths are relative to the file's dir; `~/` is home.
    assert_eq!(local.data_dir, Some(PathBuf::from("/etc/skope/data")));
    let tok = local.token_file.as_ref().expect("token_file");
    assert!(tok.is_absolute() && tok.ends_with("tok"), "{tok:?}");
}

#[test]
fn the_readme_example_parses() {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("```toml\n# ~/.config/skope/config.toml")
        .expect("README has a config example");
    let body = &readme[start + "```toml\n".len()..];
    let body = &body[..body.find("```").expect("closed")];
    parse(body).unwrap_or_else(|e| panic!("README example: {e}"));
}

#[test]
fn the_default_profile_applies_and_flags_win() {
    let c = sample();
    let (name, p) = c.profile(None).expect("ok").expect("default profile");
    assert_eq!(name, "prod");

    let mut g = global(&[]);
    apply(p, &mut g);
    assert_eq!(g.url.as_deref(), Some("wss://streamkit.example.com"));
    assert_eq!(g.token_cmd.as_deref(), Some("echo t"));
    assert_eq!(g.store, Uuid::parse_str(BILLING).ok());
    assert!(g.read_only);
    assert_eq!(g.retry, Some(RetryChoice::Aggressive));

    let mut g = global(&["--retry", "default", "--store", PROD, "--token-file", "/t"]);
    apply(p, &mut g);
    assert_eq!(g.retry, Some(RetryChoice::Default));
    assert_eq!(g.store, Uuid::parse_str(PROD).ok());
    // The token source moves as a whole: the flag's file, not the profile's command.
    assert_eq!(g.token_file, Some(PathBuf::from("/t")));
    assert_eq!(g.token_cmd, None);
}

#[test]
fn a_profile_token_never_goes_to_another_url() {
    let c = sample();
    let (_, p) = c.profile(Some("prod")).expect("ok").expect("profile");
    let mut g = global(&["--url", "ws://127.0.0.1:9"]);
    let note = apply(p, &mut g);
    assert_eq!(g.url.as_deref(), Some("ws://127.0.0.1:9"));
    assert_eq!(g.token_cmd, None);
    assert!(note.is_some());
    let mut g = global(&["--url", "wss://streamkit.example.com"]);
    assert_eq!(apply(p, &mut g), None);
    assert_eq!(g.token_cmd.as_deref(), Some("echo t"));
}

#[test]
fn another_server_on_the_command_line_gets_neither_the_profiles_server_nor_its_credentials() {
    // A profile with a token and a CA file but no url (an embedded dir): `--url` elsewhere gets
    // neither; the rest of the profile (store, read-only) still applies, field by field.
    let local = Profile {
        data_dir: Some("/srv/skope".into()),
        token: Some(crate::cli::Secret("t0ken".to_owned())),
        store: Some(Uuid::from_u128(9)),
        ca_file: Some("/etc/ca.pem".into()),
        read_only: true,
        ..Profile::default()
    };
    let mut g = global(&["--url", "ws://127.0.0.1:9"]);
    assert!(
        apply(&local, &mut g).is_some(),
        "a note says the token was held back"
    );
    assert_eq!(g.url.as_deref(), Some("ws://127.0.0.1:9"));
    assert!(g.token.is_none() && g.ca_file.is_none());
    assert!(g.data_dir.is_none());
    assert_eq!(g.store, Some(Uuid::from_u128(9)));
    assert!(g.read_only, "read-only still applies");
    // A remote profile: `--data-dir` runs embedded there, not against the profile's url.
    let c = sample();
    let (_, prod) = c.profile(Some("prod")).expect("ok").expect("profile");
    let mut g = global(&["--data-dir", "/tmp/x"]);
    apply(prod, &mut g);
    assert_eq!(g.url, None);
    assert_eq!(g.token_cmd, None);
    // The profile's own dir named again is the same server: its credentials apply.
    let mut g = global(&["--data-dir", "/srv/skope"]);
    assert_eq!(apply(&local, &mut g), None);
    assert!(g.token.is_some() && g.ca_file.is_some());
}

#[test]
fn unknown_profiles_list_the_known_ones() {
    let c = sample();
    let e = c.profile(Some("staging")).expect_err("unknown");
    let text = e.to_string();
    assert!(text.contains("\"staging\""), "{text}");
    assert!(text.contains("local, prod"), "{text}");
    assert!(text.contains("/etc/skope/config.toml"), "{text}");
    // An empty name (`--profile ""`, `SKOPE_PROFILE=`) is no profile, not the default one.
    assert!(c.profile(Some("")).expect("ok").is_none());
    let none = Config::default();
    assert!(none.profile(None).expect("no profile is fine").is_none());
    assert!(none.profile(Some("prod")).is_err());
}

fn invalid(text: &str) -> (usize, String) {
    match parse(text) {
        Err(ConfigError::Invalid { line, message, .. }) => (line, message),
        other => panic!("expected invalid, got {other:?}"),
    }
}

#[test]
fn errors_name_the_line() {
    let (line, msg) = invalid("theme = \"default\"\n[profiles.a]\nurl = \"ws://x\"\nur = 1\n");
    assert_eq!(line, 4);
    assert!(msg.contains("unknown field `ur`"), "{msg}");

    let (line, msg) = invalid("\n\ntheme = \"solarized\"\n");
    assert_eq!(line, 3);
    assert!(msg.contains("default") && msg.contains("no-color"), "{msg}");

    let (line, msg) = invalid("[keys.entries]\nx = \"export\"\nhyper-x = \"export\"\n");
    assert_eq!(line, 3);
    assert!(msg.contains("hyper-x"), "{msg}");

    let (line, msg) = invalid("[keys.entries]\n\nx = \"explode\"\n");
    assert_eq!(line, 3);
    assert!(msg.contains("explode"), "{msg}");

    let (line, msg) = invalid("[keys.nowhere]\nx = \"quit\"\n");
    assert_eq!(line, 1);
    assert!(msg.contains("nowhere"), "{msg}");

    let (line, msg) = invalid("[profiles.a]\nstores = [\"not-a-uuid\"]\n");
    assert_eq!(line, 2);
    assert!(msg.contains("not-a-uuid"), "{msg}");

    let (_, msg) = invalid("[profiles.a]\ntoken = \"t\"\ntoken_cmd = \"c\"\n");
    assert!(msg.contains("exclude"), "{msg}");

    let (_, msg) = invalid("[profiles.a]\nstore = \"orders\"\n");
    assert!(msg.contains("orders"), "{msg}");

    // Semantic profile errors point at the profile's table.
    let (line, msg) = invalid("theme = \"default\"\n[profiles.a]\nstore = \"orders\"\n");
    assert_eq!(line, 2);
    assert!(msg.contains("orders"), "{msg}");

    let (line, _) = invalid("theme = \"default\"\nbroken =\n");
    assert_eq!(line, 2);
}

#[test]
fn tokens_do_not_show_in_debug_output() {
    let c = parse("[profiles.a]\ntoken = \"s3cr3t\"\n").expect("parses");
    assert!(!format!("{c:?}").contains("s3cr3t"));
    let g = global(&["--token", "s3cr3t"]);
    assert!(!format!("{g:?}").contains("s3cr3t"));
}

#[test]
fn tui_settings_layer_profile_over_file_over_default() {
    let c = sample();
    let prod = c.profile(Some("prod")).ok().flatten().map(|(_, p)| p);
    let local = c.profile(Some("local")).ok().flatten().map(|(_, p)| p);
    assert_eq!(c.tui(prod).theme, ThemeName::Default);
    assert_eq!(c.tui(local).theme, ThemeName::NoColor);
    assert_eq!(Config::default().tui(None).theme, ThemeName::Default);
    assert_eq!(c.tui(prod).stores.len(), 2);
    assert!(c.tui(local).stores.is_empty());
    let km = c.tui(None).keymap;
    let x = KeyChord::parse("x").expect("key");
    let e = KeyChord::parse("e").expect("key");
    assert_eq!(
        km.lookup(Scope::Entries, &x),
        Some(crate::tui::action::Action::Export)
    );
    assert_eq!(km.lookup(Scope::Entries, &e), None);
}

#[test]
fn a_missing_default_file_is_fine_but_a_named_one_is_not() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("nope.toml");
    let e = Config::load(Some(&missing)).expect_err("named file must exist");
    assert!(e.to_string().contains("nope.toml"), "{e}");
    std::fs::write(&missing, "theme = \"no-color\"\n").expect("write");
    let c = Config::load(Some(&missing)).expect("loads");
    assert!(c.loaded);
    assert_eq!(c.file.theme, Some(ThemeName::NoColor));
}
