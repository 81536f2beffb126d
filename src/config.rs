//! The config file: top-level defaults, `[keys.*]` keymap overrides, and named profiles.
//!
//! Where: `--config PATH` / `SKOPE_CONFIG`, else `config.toml` in the platform config dir
//! (`~/.config/skope/config.toml` on Linux). A missing default file means "no config"; a
//! missing named file, bad TOML, an unknown field, key or action is an error naming the file
//! and line.
//!
//! ```toml
//! default_profile = "prod"       # when neither --profile nor SKOPE_PROFILE is given
//! theme = "default"              # default | no-color (a set NO_COLOR always wins)
//!
//! [keys.entries]                 # scopes and key syntax of assets/keymap.toml
//! x = "export"
//! e = "none"                     # unbind
//!
//! [profiles.prod]
//! url = "wss://streamkit.example.com"
//! token_cmd = "vault read -field=token secret/streamkit"   # or token / token_file
//! stores = ["…uuid…", { id = "…uuid…", name = "orders" }]  # offered in the store picker
//! store = "orders"               # the store used: a UUID or a name from `stores`
//! read_only = true
//! retry = "aggressive"           # default | aggressive
//! theme = "no-color"
//! ca_file = "~/certs/ca.pem"     # paths: `~/` is home, relative is the config file's dir
//!
//! [profiles.local]
//! data_dir = "~/skope-data"      # an embedded profile (no url)
//! ```
//!
//! Precedence: flags > environment > profile > defaults (clap already merges the first two;
//! [`apply`] fills what is still unset). The server (`url` or `data_dir`) moves as a whole; a
//! profile's token source is used only when no flag or variable names one, and it and `ca_file`
//! only for the profile's own server: a `--url` or `--data-dir` elsewhere never gets them.
//! `read_only = true` cannot be turned off from the command line.

use crate::cli::{Global, RetryChoice, Secret};
use crate::tui::keymap::{Binding, KeyChord, Keymap, Scope};
use crate::tui::theme::ThemeName;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;
use uuid::Uuid;

/// The file's name in the platform config dir.
pub const FILE_NAME: &str = "config.toml";

/// Why the config cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read config file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Bad TOML or a bad value, with where it is (1-based).
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("no profile {name:?} in {file} (profiles: {known})")]
    UnknownProfile {
        name: String,
        file: String,
        known: String,
    },
}

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The profile used when none is named.
    pub default_profile: Option<String>,
    /// The theme unless the profile names one.
    pub theme: Option<ThemeName>,
    /// Keymap overrides: `[keys.<scope>] key = "action"` (or `"none"`).
    #[serde(default)]
    keys: BTreeMap<Scope, BTreeMap<Spanned<String>, Binding>>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One `[profiles.NAME]` table. Every field is optional.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawProfile")]
pub struct Profile {
    pub url: Option<String>,
    pub token: Option<Secret>,
    pub token_file: Option<PathBuf>,
    pub token_cmd: Option<String>,
    pub ca_file: Option<PathBuf>,
    /// The store used (resolved from a UUID or a name in `stores`).
    pub store: Option<Uuid>,
    /// Stores the picker offers, in this order.
    pub stores: Vec<StoreEntry>,
    pub read_only: bool,
    pub retry: Option<RetryChoice>,
    pub theme: Option<ThemeName>,
    pub data_dir: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    url: Option<String>,
    token: Option<Secret>,
    token_file: Option<PathBuf>,
    token_cmd: Option<String>,
    ca_file: Option<PathBuf>,
    store: Option<String>,
    #[serde(default)]
    stores: Vec<StoreEntry>,
    #[serde(default)]
    read_only: bool,
    retry: Option<RetryChoice>,
    theme: Option<ThemeName>,
    data_dir: Option<PathBuf>,
}

impl TryFrom<RawProfile> for Profile {
    type Error = String;
    fn try_from(raw: RawProfile) -> Result<Self, String> {
        let sources = [
            raw.token.is_some(),
            raw.token_file.is_some(),
            raw.token_cmd.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() > 1 {
            return Err("`token`, `token_file` and `token_cmd` exclude each other".into());
        }
        let store = match &raw.store {
            None => None,
            Some(s) => Some(match Uuid::parse_str(s) {
                Ok(id) => id,
                Err(_) => raw
                    .stores
                    .iter()
                    .find(|e| e.name.as_deref() == Some(s))
                    .map(|e| e.id)
                    .ok_or_else(|| {
                        format!(
                            "store {s:?} is neither a UUID nor a name in this profile's `stores`"
                        )
                    })?,
            }),
        };
        Ok(Profile {
            url: raw.url,
            token: raw.token,
            token_file: raw.token_file,
            token_cmd: raw.token_cmd,
            ca_file: raw.ca_file,
            store,
            stores: raw.stores,
            read_only: raw.read_only,
            retry: raw.retry,
            theme: raw.theme,
            data_dir: raw.data_dir,
        })
    }
}

/// A store a profile offers: `"<uuid>"` or `{ id = "<uuid>", name = "orders" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreEntry {
    pub id: Uuid,
    pub name: Option<String>,
}

impl<'de> Deserialize<'de> for StoreEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, MapAccess, Visitor};

        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            id: Uuid,
            name: Option<String>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StoreEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(r#"a store UUID or { id = "<uuid>", name = "…" }"#)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<StoreEntry, E> {
                Uuid::parse_str(s)
                    .map(|id| StoreEntry { id, name: None })
                    .map_err(|e| E::custom(format!("{s:?} is not a store UUID ({e})")))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StoreEntry, A::Error> {
                let f = Full::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(StoreEntry {
                    id: f.id,
                    name: f.name,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// The config in effect: the file read (if any) with its keymap overrides checked.
#[derive(Debug, Default)]
pub struct Config {
    /// The file looked at (`None`: no config dir).
    pub path: Option<PathBuf>,
    /// Whether that file exists and was read.
    pub loaded: bool,
    pub file: ConfigFile,
    keys: Vec<(Scope, KeyChord, Binding)>,
}

/// What the TUI takes from the config.
#[derive(Debug, Clone)]
pub struct TuiSettings {
    pub theme: ThemeName,
    pub keymap: Keymap,
    /// The profile's stores for the picker.
    pub stores: Vec<StoreEntry>,
}

/// The default file: `config.toml` in the platform config dir.
#[must_use]
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "skope").map(|d| d.config_dir().join(FILE_NAME))
}

impl Config {
    /// Read `explicit` (which must exist), else the default file (which may be missing).
    ///
    /// # Errors
    /// The file cannot be read, or is not a valid config.
    pub fn load(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        let (path, required) = match explicit {
            Some(p) => (p.to_path_buf(), true),
            None => match default_path() {
                Some(p) => (p, false),
                None => return Ok(Config::default()),
            },
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, &path),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Ok(Config {
                path: Some(path),
                ..Config::default()
            }),
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }

    /// Parse `text`, the contents of `path` (relative paths inside are relative to its dir).
    ///
    /// # Errors
    /// Bad TOML, an unknown field, theme, scope, key or action.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let invalid = |span: Option<std::ops::Range<usize>>, message: String| {
            let (line, column) = line_column(text, span.map_or(0, |s| s.start));
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let mut file: ConfigFile =
            toml::from_str(text).map_err(|e| invalid(e.span(), e.message().to_owned()))?;
        let mut keys = Vec::new();
        for (scope, table) in &file.keys {
            for (key, binding) in table {
                let chord =
                    KeyChord::parse(key.get_ref()).map_err(|e| invalid(Some(key.span()), e))?;
                keys.push((*scope, chord, *binding));
            }
        }
        let base = path.parent().unwrap_or(Path::new("."));
        for p in file.profiles.values_mut() {
            for f in [&mut p.token_file, &mut p.ca_file, &mut p.data_dir]
                .into_iter()
                .flatten()
            {
                *f = expand(f, base);
            }
        }
        Ok(Config {
            path: Some(path.to_path_buf()),
            loaded: true,
            file,
            keys,
        })
    }

    /// The profile to use: `name` (from `--profile` / `SKOPE_PROFILE`; empty: none at all),
    /// else the file's `default_profile`, else none.
    ///
    /// # Errors
    /// The profile named does not exist (the message lists those that do).
    pub fn profile<'a>(
        &'a self,
        name: Option<&'a str>,
    ) -> Result<Option<(&'a str, &'a Profile)>, ConfigError> {
        let Some(name) = name.or(self.file.default_profile.as_deref()) else {
            return Ok(None);
        };
        if name.is_empty() {
            return Ok(None);
        }
        match self.file.profiles.get_key_value(name) {
            Some((n, p)) => Ok(Some((n.as_str(), p))),
            None => Err(ConfigError::UnknownProfile {
                name: name.to_owned(),
                file: match (&self.path, self.loaded) {
                    (Some(p), true) => p.display().to_string(),
                    (Some(p), false) => format!("{} (no such file)", p.display()),
                    (None, _) => "the config (no config dir)".into(),
                },
                known: if self.file.profiles.is_empty() {
                    "none".into()
                } else {
                    self.file
                        .profiles
                        .keys()
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            }),
        }
    }

    /// The TUI's theme, keymap and picker stores under `profile`.
    #[must_use]
    pub fn tui(&self, profile: Option<&Profile>) -> TuiSettings {
        TuiSettings {
            theme: profile
                .and_then(|p| p.theme)
                .or(self.file.theme)
                .unwrap_or_default(),
            keymap: Keymap::default_keymap().with_overrides(&self.keys),
            stores: profile.map(|p| p.stores.clone()).unwrap_or_default(),
        }
    }
}

/// Fill the options the command line and the environment left unset from `profile`, field by
/// field, except for what names or reaches the server:
///
/// - the server (`url` or `data_dir`) moves as a whole: a `--url` or `--data-dir` (or its
///   environment variable) takes neither of the profile's, so `--data-dir` on a remote profile
///   runs embedded there instead of quietly connecting to the profile's url;
/// - the credentials (the token source, as a whole, and `ca_file`) go only to the profile's own
///   server, so they never reach a server they were not meant for.
///
/// Returns a note for the user when the profile's token was held back for that reason.
pub fn apply(profile: &Profile, global: &mut Global) -> Option<String> {
    let mut note = None;
    let same_server = match (&global.url, &global.data_dir) {
        (None, None) => {
            global.url.clone_from(&profile.url);
            global.data_dir.clone_from(&profile.data_dir);
            true
        }
        (Some(url), _) => profile.url.as_ref() == Some(url),
        (None, Some(dir)) => profile.url.is_none() && profile.data_dir.as_ref() == Some(dir),
    };
    let token_given =
        global.token.is_some() || global.token_file.is_some() || global.token_cmd.is_some();
    let profile_token =
        profile.token.is_some() || profile.token_file.is_some() || profile.token_cmd.is_some();
    if same_server {
        if !token_given && profile_token {
            global.token.clone_from(&profile.token);
            global.token_file.clone_from(&profile.token_file);
            global.token_cmd.clone_from(&profile.token_cmd);
        }
        if global.ca_file.is_none() {
            global.ca_file.clone_from(&profile.ca_file);
        }
    } else if !token_given && profile_token {
        note = Some(
            "--url or --data-dir (or SKOPE_URL, SKOPE_DATA_DIR) is not the profile's server: \
             the profile's token is not sent"
                .into(),
        );
    }
    if global.store.is_none() {
        global.store = profile.store;
    }
    global.read_only |= profile.read_only;
    if global.retry.is_none() {
        global.retry = profile.retry;
    }
    note
}

/// `~/x` under the home dir; a relative path under `base` (the config file's dir).
fn expand(p: &Path, base: &Path) -> PathBuf {
    if let (Ok(rest), Some(home)) = (p.strip_prefix("~"), directories::BaseDirs::new()) {
        return home.home_dir().join(rest);
    }
    if p.is_relative() {
        base.join(p)
    } else {
        p.to_path_buf()
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests;
