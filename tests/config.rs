//! End to end: the real `skope` binary with config files in temp dirs (profiles, precedence,
//! read-only, errors naming the file and line, `skope config`).

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

const STORE: &str = "3f1c0b0e-4a52-4a53-9a3b-1d2c3e4f5a6b";

/// A temp home: `XDG_CONFIG_HOME` points into it, so the user's own config never leaks in.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Home {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Write `text` as the default config file (`$XDG_CONFIG_HOME/skope/config.toml`).
    fn default_config(&self, text: &str) -> PathBuf {
        let p = self.path("xdg/skope/config.toml");
        std::fs::create_dir_all(p.parent().unwrap_or(Path::new(".")))
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
        p
    }

    fn skope(&self) -> Command {
        let mut c = Command::cargo_bin("skope").unwrap_or_else(|e| panic!("binary: {e}"));
        c.env("XDG_CONFIG_HOME", self.path("xdg"))
            .env("HOME", self.dir.path())
            .env_remove("SKOPE_CONFIG")
            .env_remove("SKOPE_PROFILE")
            .env_remove("SKOPE_DATA_DIR")
            .env_remove("SKOPE_URL")
            .env_remove("SKOPE_STORE")
            .env_remove("SKOPE_TOKEN")
            .timeout(std::time::Duration::from_secs(60));
        c
    }

    /// The spaces of `store` in `data_dir`, as printed by `skope spaces`.
    fn spaces(&self, data_dir: &Path, store: Option<&str>) -> String {
        let mut c = self.skope();
        c.arg("--data-dir").arg(data_dir);
        if let Some(s) = store {
            c.args(["--store", s]);
        }
        let out = c.arg("spaces").assert().success();
        String::from_utf8_lossy(&out.get_output().stdout).into_owned()
    }
}

fn config_with_profile(home: &Home) -> PathBuf {
    home.default_config(&format!(
        r#"
[profiles.work]
data_dir = "{}"
stores = [{{ id = "{STORE}", name = "orders" }}]
store = "orders"
retry = "aggressive"

[profiles.safe]
data_dir = "{}"
read_only = true
"#,
        home.path("work").display(),
        home.path("safe").display(),
    ))
}

#[test]
fn a_profile_fills_what_flags_and_env_leave_unset() {
    let home = Home::new();
    config_with_profile(&home);
    // The profile's data dir and store.
    home.skope()
        .args(["--profile", "work", "publish", "from-profile", "s", "1"])
        .assert()
        .success();
    assert_eq!(
        home.spaces(&home.path("work"), Some(STORE)),
        "\"from-profile\"\n"
    );
    // Not the default store: the profile's `store` (a name from its `stores`) applied.
    assert_eq!(home.spaces(&home.path("work"), None), "");

    // A flag beats the profile (the data dir), the rest of the profile still applies.
    home.skope()
        .args(["--profile", "work", "--data-dir"])
        .arg(home.path("flag"))
        .args(["publish", "from-flag", "s", "1"])
        .assert()
        .success();
    assert_eq!(
        home.spaces(&home.path("flag"), Some(STORE)),
        "\"from-flag\"\n"
    );
    // An environment variable beats the profile too; SKOPE_PROFILE names it.
    home.skope()
        .env("SKOPE_PROFILE", "work")
        .env("SKOPE_DATA_DIR", home.path("env"))
        .args(["publish", "from-env", "s", "1"])
        .assert()
        .success();
    assert_eq!(
        home.spaces(&home.path("env"), Some(STORE)),
        "\"from-env\"\n"
    );
    // The profile's directory saw only the first publish.
    assert_eq!(
        home.spaces(&home.path("work"), Some(STORE)),
        "\"from-profile\"\n"
    );
}

#[test]
fn the_default_profile_applies_without_profile() {
    let home = Home::new();
    let text =
        std::fs::read_to_string(config_with_profile(&home)).unwrap_or_else(|e| panic!("{e}"));
    home.default_config(&format!("default_profile = \"work\"\n{text}"));
    home.skope()
        .args(["publish", "implicit", "s", "1"])
        .assert()
        .success();
    assert_eq!(
        home.spaces(&home.path("work"), Some(STORE)),
        "\"implicit\"\n"
    );
    // An empty SKOPE_PROFILE turns the default profile off (and an empty token is no token).
    home.skope()
        .env("SKOPE_PROFILE", "")
        .env("SKOPE_TOKEN", "")
        .arg("--data-dir")
        .arg(home.path("plain"))
        .args(["publish", "no-profile", "s", "1"])
        .assert()
        .success();
    let default_store = "00000000-0000-0000-0000-000000000001";
    assert_eq!(
        home.spaces(&home.path("plain"), Some(default_store)),
        "\"no-profile\"\n"
    );
}

#[test]
fn a_read_only_profile_refuses_writes() {
    let home = Home::new();
    config_with_profile(&home);
    home.skope()
        .args(["--profile", "safe", "publish", "a", "s", "x"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "read-only mode: refusing to publish",
        ));
    home.skope()
        .args(["--profile", "safe", "produce", "a", "s"])
        .write_stdin("{\"payload\":1}\n")
        .assert()
        .failure()
        .stderr(predicate::str::contains("read-only"));
    // Reads still work, and nothing was written.
    home.skope()
        .args(["--profile", "safe", "spaces"])
        .assert()
        .success()
        .stdout("");
}

#[test]
fn an_unknown_profile_lists_the_known_ones() {
    let home = Home::new();
    let path = config_with_profile(&home);
    home.skope()
        .args(["--profile", "prod", "spaces"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("no profile \"prod\"")
                .and(predicate::str::contains("safe, work"))
                .and(predicate::str::contains(path.display().to_string())),
        );
    // Without any config file, naming a profile is an error too.
    let empty = Home::new();
    empty
        .skope()
        .args(["--profile", "prod", "spaces"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no such file"));
}

#[test]
fn a_malformed_file_is_named_with_its_line() {
    let home = Home::new();
    let path = home.default_config(
        "theme = \"default\"\n\n[profiles.a]\nurl = \"ws://x\"\nretry = \"sometimes\"\n",
    );
    let out = home.skope().arg("spaces").assert().failure();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains(&format!("{}:5:", path.display())),
        "path and line: {err}"
    );
    assert!(err.contains("sometimes"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");

    home.default_config("[profiles.a]\nurll = \"ws://x\"\n");
    home.skope().arg("spaces").assert().failure().stderr(
        predicate::str::contains(":2:").and(predicate::str::contains("unknown field `urll`")),
    );

    home.default_config("[keys.entries]\nx = \"explode\"\n");
    home.skope()
        .arg("spaces")
        .assert()
        .failure()
        .stderr(predicate::str::contains(":2:").and(predicate::str::contains("explode")));
}

#[test]
fn an_explicit_config_must_exist_and_a_missing_default_is_fine() {
    let home = Home::new();
    let data = home.path("data");
    home.skope()
        .arg("--data-dir")
        .arg(&data)
        .arg("spaces")
        .assert()
        .success();
    let missing = home.path("nope.toml");
    home.skope()
        .arg("--config")
        .arg(&missing)
        .arg("spaces")
        .assert()
        .failure()
        .stderr(predicate::str::contains(missing.display().to_string()));
    // SKOPE_CONFIG names a file in another place, which then is the one read.
    let other = home.path("other.toml");
    std::fs::write(
        &other,
        format!(
            "[profiles.x]\ndata_dir = \"{}\"\nread_only = true\n",
            data.display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    home.skope()
        .env("SKOPE_CONFIG", &other)
        .args(["--profile", "x", "publish", "a", "s", "1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("read-only"));
}

#[test]
fn skope_config_shows_the_file_and_profiles() {
    let home = Home::new();
    home.skope()
        .args(["config", "path"])
        .assert()
        .success()
        .stdout(format!(
            "{}\n",
            home.path("xdg/skope/config.toml").display()
        ));
    let out = home.skope().arg("config").assert().success();
    let v: serde_json::Value =
        serde_json::from_slice(&out.get_output().stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["exists"], false);
    assert_eq!(v["profiles"], serde_json::json!([]));

    config_with_profile(&home);
    let out = home
        .skope()
        .args(["--profile", "safe", "config"])
        .assert()
        .success();
    let v: serde_json::Value =
        serde_json::from_slice(&out.get_output().stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["exists"], true);
    assert_eq!(v["profile"], "safe");
    assert_eq!(v["profiles"], serde_json::json!(["safe", "work"]));

    // A broken file can still be found.
    let path = home.default_config("theme = \"solarized\"\n");
    home.skope()
        .args(["config", "path"])
        .assert()
        .success()
        .stdout(format!("{}\n", path.display()));
    home.skope()
        .arg("config")
        .assert()
        .failure()
        .stderr(predicate::str::contains(":1:"));
}
