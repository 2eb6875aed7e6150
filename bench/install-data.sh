#!/usr/bin/env bash
# Installs the Debian packages the benchmarks read their real texts from (needs root).
set -euo pipefail
pkgs=(fortunes fortunes-min man-db manpages manpages-dev fortunes-de fortunes-fr fortunes-it fortunes-es fortunes-pl fortunes-ru fortunes-cs fortunes-br)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "bench: need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  available=()
  for p in "${missing[@]}"; do
    if apt-cache show "$p" >/dev/null 2>&1; then available+=("$p"); else echo "bench: package $p is not in this Debian release; its task part is skipped" >&2; fi
  done
  [ ${#available[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${available[@]}" >/dev/null
fi
# whatis needs the man-db index
[ -s /var/cache/man/index.db ] || mandb -q >/dev/null 2>&1 || true
