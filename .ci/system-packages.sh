#!/usr/bin/env bash
# System packages the tests need (Debian). Idempotent: skips what is already installed.
set -euo pipefail
need=()
# (filled in by the issues that need system packages)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi
