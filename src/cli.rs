//! Command-line definitions (clap). The names here are a contract: scripts depend on them.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;
use uuid::Uuid;

/// The store used when `--store` is not given (embedded mode).
pub const DEFAULT_STORE: Uuid = Uuid::from_u128(1);

#[derive(Debug, Parser)]
#[command(
    name = "skope",
    version,
    about = "A terminal explorer and client toolkit for streamkit event stores"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(flatten)]
    pub tui: crate::tui::TuiArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone)]
pub struct Global {
    /// The config file (default: `config.toml` in the platform config dir, e.g.
    /// `~/.config/skope/config.toml`; a missing default file is fine).
    #[arg(long, global = true, env = "SKOPE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Use this profile of the config file (default: its `default_profile`; `""`: none).
    /// Flags and environment variables beat the profile.
    #[arg(long, global = true, env = "SKOPE_PROFILE")]
    pub profile: Option<String>,
    /// A streamkit server (`ws://host:port` or `wss://…`; `/streamz` is appended). Without it,
    /// the embedded store under --data-dir.
    #[arg(long, global = true, env = "SKOPE_URL")]
    pub url: Option<String>,
    /// Bearer token for --url (prefer --token-file or --token-cmd: a flag shows in `ps`).
    /// [env: SKOPE_TOKEN, below any token flag]
    #[arg(long, global = true, conflicts_with_all = ["token_file", "token_cmd"], value_parser = parse_token)]
    pub token: Option<Secret>,
    /// Read the token from this file (re-read on every dial).
    #[arg(long, global = true, conflicts_with = "token_cmd")]
    pub token_file: Option<PathBuf>,
    /// Run this shell command for a token on every dial (short-lived JWTs).
    #[arg(long, global = true)]
    pub token_cmd: Option<String>,
    /// A PEM file of private CA certificates trusted for `wss://` (besides the system roots).
    #[arg(long, global = true, env = "SKOPE_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// Store UUID. Embedded default: 00000000-0000-0000-0000-000000000001; with --url, the
    /// store of the token's single `streamkit::<uuid>` scope, else required.
    #[arg(long, global = true, env = "SKOPE_STORE", value_parser = parse_store)]
    pub store: Option<Uuid>,
    /// Data directory of the embedded store (default: the platform data dir).
    #[arg(long, global = true, env = "SKOPE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Refuse every write: publish, produce, lease acquisition.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Retry policy for opening streams [default: default].
    #[arg(long, global = true, value_enum)]
    pub retry: Option<RetryChoice>,
    /// Write logs to this file (logs never go to stdout).
    #[arg(long, global = true, env = "SKOPE_LOG_FILE")]
    pub log_file: Option<PathBuf>,
    /// Log filter, e.g. `info` or `skope_client=debug`.
    #[arg(long, global = true, env = "SKOPE_LOG", default_value = "info")]
    pub log_level: String,
}

impl Global {
    /// Settle the token: an empty `--token` is none, and `env` (`SKOPE_TOKEN`) applies only
    /// when no token flag of any kind was given, and only when not empty. Read here rather than
    /// by clap: clap counts an environment value as given, so `SKOPE_TOKEN` (even empty) would
    /// conflict with `--token-file` instead of yielding to it.
    pub fn token_from_env(&mut self, env: Option<String>) {
        self.token = self.token.take().filter(|t| !t.0.is_empty());
        if self.token.is_none() && self.token_file.is_none() && self.token_cmd.is_none() {
            self.token = env.filter(|t| !t.is_empty()).map(Secret);
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RetryChoice {
    #[default]
    Default,
    Aggressive,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the config file's path and profiles (`skope config path` prints the path only).
    Config(ConfigArgs),
    /// A fresh embedded store with sample spaces and a live producer, in the TUI.
    Demo,
    /// List spaces, one JSON string per line.
    Spaces,
    /// List the segments of a space with their status, one JSON object per line.
    Segments { space: String },
    /// Print the latest entry of a segment as one JSON object.
    Peek { space: String, segment: String },
    /// Print entries as JSON lines (a segment in order, a space merged by time, or several spaces).
    Consume(ConsumeArgs),
    /// Append records read as JSON lines (the shape `consume` prints) from a file or stdin.
    Produce(ProduceArgs),
    /// Append one record with the next sequence.
    Publish(PublishArgs),
    /// Print segment status updates as JSON lines: a snapshot, then live updates.
    Subscribe {
        space: String,
        segment: Option<String>,
    },
    /// Hold a lease; with `-- CMD`, run CMD under it and stop CMD if the lease is lost.
    ///
    /// Exit codes: 0 released normally (or CMD exited 0); CMD's own code when it fails;
    /// 3 lease held by someone else; 4 lease lost (CMD was stopped); 1 any other error.
    Lease(LeaseArgs),
    /// Measure the connected server's throughput (records/s, MB/s, produce latency).
    Bench(BenchArgs),
    /// Serve the embedded store on streamkit's WebSocket protocol (`ws://ADDR/streamz`).
    ///
    /// Prints one JSON line `{"listening":"HOST:PORT"}` once bound; stops gracefully on
    /// Ctrl-C / SIGTERM (in-flight commits finish, connections get a `close` frame).
    Serve(ServeArgs),
    /// Mint an HS256 token for `skope serve --jwt-secret`; prints it on stdout.
    Token(TokenArgs),
}

/// A secret given on the command line; never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A secret read from the config file (same rules as on the command line).
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for Secret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("the secret is empty".into());
        }
        Ok(Secret(s.to_owned()))
    }
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub what: Option<ConfigWhat>,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum ConfigWhat {
    /// Print the config file's path (whether or not it exists).
    Path,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7447")]
    pub listen: String,
    /// HS256 secret that tokens must be signed with.
    #[arg(long, env = "SKOPE_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,
    /// PEM file with the RSA (RS256) or EC (ES256) public key that tokens must be signed with.
    #[arg(long, conflicts_with = "jwt_secret")]
    pub jwt_public_key: Option<PathBuf>,
    /// Serve without authentication: every client may use every store.
    #[arg(long, conflicts_with_all = ["jwt_secret", "jwt_public_key"])]
    pub allow_anonymous: bool,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The HS256 secret (the one given to `skope serve --jwt-secret`).
    #[arg(long, env = "SKOPE_JWT_SECRET", hide_env_values = true)]
    pub secret: Secret,
    /// Scope to grant (repeatable): `streamkit::*` or `streamkit::<store uuid>`.
    #[arg(long = "scope", default_value = "streamkit::*")]
    pub scopes: Vec<String>,
    /// Lifetime, e.g. `1h`, `30m`, `7d`.
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub ttl: Duration,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[arg(value_enum)]
    pub op: BenchOp,
    /// How many records to produce or consume.
    #[arg(long, default_value_t = 100_000)]
    pub records: u64,
    /// Payload size in bytes.
    #[arg(long, default_value_t = 100)]
    pub size: usize,
    /// Space to use.
    #[arg(long, default_value = "bench")]
    pub space: String,
    /// Segment to use (default: a fresh one per run).
    #[arg(long)]
    pub segment: Option<String>,
    /// Single-record round trips timed for the latency percentiles (produce).
    #[arg(long, default_value_t = 1000)]
    pub latency_samples: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchOp {
    Produce,
    Consume,
}

#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// Space to read (omit with --spaces).
    pub space: Option<String>,
    /// Segment to read in strict sequence order; omit to read the whole space by time.
    pub segment: Option<String>,
    /// First sequence (inclusive; segment reads).
    #[arg(long)]
    pub from_seq: Option<u64>,
    /// Last sequence (inclusive; segment reads).
    #[arg(long)]
    pub to_seq: Option<u64>,
    /// Only entries after this time (exclusive): RFC 3339 or Unix milliseconds.
    #[arg(long, value_parser = parse_time)]
    pub from_time: Option<i64>,
    /// Only entries up to this time (inclusive): RFC 3339 or Unix milliseconds.
    #[arg(long, value_parser = parse_time)]
    pub to_time: Option<i64>,
    /// Resume after this space offset (hex, as printed in `offset`).
    #[arg(long)]
    pub offset: Option<String>,
    /// Stop after N entries.
    #[arg(long)]
    pub limit: Option<u64>,
    /// Keep tailing after the end.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Read several spaces merged by time (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub spaces: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per entry (the shape `produce` reads).
    Jsonl,
    /// One human-readable line per entry.
    Text,
    /// The payload bytes only, each followed by a newline.
    Raw,
}

#[derive(Debug, Args)]
pub struct ProduceArgs {
    pub space: String,
    pub segment: String,
    /// Read records from this file instead of stdin.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Ignore the lines' sequences and append after the segment's current last sequence.
    #[arg(long)]
    pub append: bool,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    pub space: String,
    pub segment: String,
    /// The payload (omit with --file).
    pub payload: Option<String>,
    /// Read the payload from this file (`-` for stdin).
    #[arg(long, conflicts_with = "payload")]
    pub file: Option<PathBuf>,
    /// Metadata `key=value` (repeatable).
    #[arg(long = "meta", value_parser = parse_meta)]
    pub meta: Vec<(String, String)>,
}

#[derive(Debug, Args)]
pub struct LeaseArgs {
    pub key: String,
    /// Lease time-to-live, e.g. `30s`, `2m`.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub ttl: Duration,
    /// Command to run under the lease.
    #[arg(last = true)]
    pub command: Vec<String>,
}

/// A token as given (empty: none, see [`Global::token_from_env`]).
fn parse_token(s: &str) -> Result<Secret, String> {
    Ok(Secret(s.to_owned()))
}

fn parse_store(s: &str) -> Result<Uuid, String> {
    Uuid::parse_str(s).map_err(|e| format!("not a store UUID ({e})"))
}

fn parse_meta(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected key=value, got {s:?}")),
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (try 30s, 2m, 1h)"))
}

/// RFC 3339 or Unix milliseconds.
pub fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let t = humantime::parse_rfc3339_weak(s)
        .map_err(|e| format!("expected RFC 3339 time or Unix milliseconds: {e}"))?;
    let d = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?;
    i64::try_from(d.as_millis()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_token_flag_of_any_kind_beats_skope_token_and_empty_is_none() {
        let global = |args: &[&str]| {
            let mut argv = vec!["skope"];
            argv.extend_from_slice(args);
            Cli::try_parse_from(argv).expect("parses").global
        };
        let token = |g: &Global| g.token.as_ref().map(|t| t.0.clone());
        let env = || Some("from-env".to_owned());
        let mut g = global(&[]);
        g.token_from_env(env());
        assert_eq!(token(&g).as_deref(), Some("from-env"));
        let mut g = global(&["--token-file", "/tmp/t"]);
        g.token_from_env(env());
        assert_eq!(token(&g), None, "--token-file wins, no conflict");
        let mut g = global(&["--token", "flag"]);
        g.token_from_env(env());
        assert_eq!(token(&g).as_deref(), Some("flag"));
        let mut g = global(&["--token", ""]);
        g.token_from_env(Some(String::new()));
        assert_eq!(token(&g), None, "empty is none");
        // Two token flags still conflict.
        assert!(Cli::try_parse_from(["skope", "--token", "a", "--token-file", "f"]).is_err());
    }

    #[test]
    fn times_parse() {
        assert_eq!(parse_time("1700000000123"), Ok(1_700_000_000_123));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000_000));
        assert!(parse_time("yesterday").is_err());
    }
}
