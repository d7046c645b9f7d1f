#!/usr/bin/env bash
# System packages the tests need (Debian). Idempotent: skips what is already installed.
set -euo pipefail
need=()
# Issues #3 and #4: GLPK's glpsol and COIN-OR CBC read the LP/MPS files scarec writes (tests cross-check them).
command -v glpsol >/dev/null 2>&1 || need+=(glpk-utils)
command -v cbc >/dev/null 2>&1 || need+=(coinor-cbc)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi

# Issue #5 (calibration): lavapipe, Mesa's software Vulkan driver, gives the `webgpu` package (Dawn) an
# adapter on a machine without a GPU, so the WebGPU kernels run in CI. Bookworm's own Mesa (22.3) gives
# Dawn no adapter; Mesa 25 from bookworm-backports does. Only on Debian bookworm; elsewhere the webgpu
# tests skip with a reason.
if [ -r /etc/os-release ] && . /etc/os-release && [ "${VERSION_CODENAME:-}" = bookworm ]; then
  if ! ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 \
    || ! dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^25\.'; then
    export DEBIAN_FRONTEND=noninteractive
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/bookworm-backports.list
    fi
    apt-get update -qq
    apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers
  fi
fi
