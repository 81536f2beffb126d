#!/usr/bin/env bash
# Regenerate screenshots/*.png from the real TUI: builds skope (release) and the renderer, then
# runs `skope demo` on a fresh temporary data dir in a 160×45 pseudo-terminal, drives it with
# keys to each main view and draws the emulated screen with the bundled DejaVu Sans Mono.
# Extra arguments go to the renderer (e.g. --size 120x30, --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p skope -p skope-screenshots
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
"$target_dir/release/skope-screenshots" --skope "$target_dir/release/skope" --out screenshots "$@"
