#!/usr/bin/env bash
# Screenshot the HTML report in headless Chromium, to check that it renders.
#   scripts/screenshot_report.sh [results/report.html] [results/report.png]
# Builds nothing: make the report first (make report, or snakemake --report
# results/report.html). Installs Debian's chromium with apt-get when it is missing
# (needs root). Rendering of the report's figures is checked by opening the PNG.
set -euo pipefail
report=$(realpath "${1:-results/report.html}")
out=$(realpath -m "${2:-results/report.png}")
test -s "$report" || { echo "no report at $report: run 'make report' first" >&2; exit 1; }
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "chromium is not installed (Debian: apt-get install chromium)" >&2; exit 1
  fi
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# --virtual-time-budget lets the report's JavaScript render before the capture
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$profile" --window-size="${WINDOW:-1400,1000}" \
  --virtual-time-budget=10000 --screenshot="$out" "file://$report${ANCHOR:-}" 2>/dev/null
test -s "$out" && echo "screenshot: $out"
