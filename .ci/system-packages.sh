#!/usr/bin/env bash
# System packages the tests need (Debian). Idempotent: skips what is already installed.
set -euo pipefail
need=()
# Issues #3 and #4: GLPK's glpsol and COIN-OR CBC read the LP/MPS files scarec writes (tests cross-check them).
command -v glpsol >/dev/null 2>&1 || need+=(glpk-utils)
command -v cbc >/dev/null 2>&1 || need+=(coinor-cbc)
# Issue #16: the report's figures are rendered in headless Chromium and checked for overlapping text.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Issue #12: the PyTorch executor's tests (CPU PyTorch from Debian, for Debian's /usr/bin/python3).
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need+=(python3-torch)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi

# The archive this machine already uses for its own release: the URI and keyring of the first configured source
# (deb822 .sources stanza or one-line .list entry) whose suites include "$1". Prints "URI KEYRING" (KEYRING may
# be empty); nothing when no source serves that suite. No host is named here: backports come from the mirror the
# machine is configured with.
configured_archive() {
  local suite=$1 f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk -v suite="$suite" '
      function flush() { if (uris != "" && found) { print uris, keyring; done = 1; exit } uris = ""; keyring = ""; found = 0 }
      /^[[:space:]]*$/ { flush(); next }
      /^URIs:/ { uris = $2 }
      /^Signed-By:/ { keyring = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) found = 1 }
      END { if (!done) flush() }
    ' "$f" | head -n 1 | grep . && return 0
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    awk -v suite="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i, ""; exit } }' "$f" | grep . && return 0
  done
  return 1
}

# Issue #5 (calibration): lavapipe, Mesa's software Vulkan driver, gives the `webgpu` package (Dawn) an
# adapter on a machine without a GPU, so the WebGPU kernels run in CI. Bookworm's own Mesa (22.3) gives
# Dawn no adapter; Mesa 25 from bookworm-backports does. Only on Debian bookworm; elsewhere the webgpu
# tests skip with a reason.
if [ -r /etc/os-release ] && . /etc/os-release && [ "${VERSION_CODENAME:-}" = bookworm ]; then
  if ! ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 \
    || ! dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^25\.'; then
    export DEBIAN_FRONTEND=noninteractive
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      if read -r uri keyring < <(configured_archive bookworm); then
        {
          echo 'Types: deb'
          echo "URIs: $uri"
          echo 'Suites: bookworm-backports'
          echo 'Components: main'
          [ -n "$keyring" ] && echo "Signed-By: $keyring"
        } > /etc/apt/sources.list.d/scarec-bookworm-backports.sources
      else
        echo 'system-packages: no configured Debian source for bookworm; cannot add bookworm-backports (webgpu tests will skip)' >&2
      fi
    fi
    apt-get update -qq
    apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers || echo 'system-packages: mesa-vulkan-drivers from bookworm-backports not installed (webgpu tests will skip)' >&2
  fi
fi
