//! `skope-screenshots --skope PATH [--out DIR] [--size COLSxROWS]`: PNG screenshots of the real
//! TUI (`skope demo` in a pty, rendered from the emulated screen). `scripts/screenshots.sh`
//! builds skope and runs this.

mod canvas;
mod palette;
mod render;
mod session;
mod tour;

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use std::path::PathBuf;
use std::time::Duration;

const USAGE: &str = "usage: skope-screenshots --skope PATH [--out DIR] [--size COLSxROWS]";

fn main() -> Result<()> {
    color_eyre::install()?;
    let opts = options(std::env::args().skip(1))?;
    std::fs::create_dir_all(&opts.out)
        .wrap_err_with(|| format!("creating {}", opts.out.display()))?;
    let renderer = render::Renderer::new(render::Metrics::default(), palette::Palette::default())
        .map_err(|e| eyre!("bundled font: {e}"))?;
    for path in tour::run(&opts, &renderer)? {
        println!("{}", path.display());
    }
    Ok(())
}

fn options(mut args: impl Iterator<Item = String>) -> Result<tour::Options> {
    let mut skope = None;
    let mut out = PathBuf::from("screenshots");
    let (mut cols, mut rows) = (160, 45);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| eyre!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--skope" => skope = Some(PathBuf::from(value()?)),
            "--out" => out = PathBuf::from(value()?),
            "--size" => {
                let v = value()?;
                let parsed = v
                    .split_once('x')
                    .and_then(|(c, r)| Some((c.parse().ok()?, r.parse().ok()?)));
                (cols, rows) = parsed.ok_or_else(|| eyre!("--size {v}: want COLSxROWS"))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => bail!("unexpected argument {arg}\n{USAGE}"),
        }
    }
    // Slow machines: raise the wait for each view.
    let secs = std::env::var("SKOPE_SCREENSHOTS_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let skope = skope.ok_or_else(|| eyre!("--skope is required\n{USAGE}"))?;
    // Absolute: skope runs in a temporary directory.
    let skope =
        std::fs::canonicalize(&skope).wrap_err_with(|| format!("--skope {}", skope.display()))?;
    Ok(tour::Options {
        skope,
        out,
        cols,
        rows,
        timeout: Duration::from_secs(secs),
    })
}
