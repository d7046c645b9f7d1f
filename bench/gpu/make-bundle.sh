#!/usr/bin/env bash
# Build a self-contained calibration bundle for a linux-x64 GPU machine with no Node.js and no network:
#   scarec-gpu-bundle/
#     node                  a copy of this machine's Node binary (process.execPath)
#     scarec.mjs            the CLI bundled with esbuild (every JS dependency inlined)
#     node_modules/webgpu/  the webgpu package with only its linux-x64 native binary (dawn.node)
#     run.sh                ./run.sh calibrate --backend webgpu --out profile.json
# and packs it as scarec-gpu-bundle.tar.gz (gzip: every Linux has it) (checked to be under 64 MiB).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-${TMPDIR:-/tmp}/scarec-gpu}
rm -rf "$out/scarec-gpu-bundle"
b="$out/scarec-gpu-bundle"
mkdir -p "$b/node_modules/webgpu/dist/linux-x64"
node -e 'require("fs").copyFileSync(process.execPath, process.argv[1])' "$b/node"
chmod +x "$b/node"
# webgpu stays external: its loader finds dawn.node next to itself
npx esbuild bench/gpu/harness-cli.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --outfile="$b/scarec.mjs" \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" --log-level=warning
cp node_modules/webgpu/index.js node_modules/webgpu/package.json node_modules/webgpu/LICENSE.md "$b/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$b/node_modules/webgpu/dist/linux-x64/"
cat > "$b/run.sh" <<'RUN'
#!/bin/sh
# Needs libvulkan1 and the NVIDIA Vulkan driver (nvidia ICD) on the GPU machine.
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/node" "$here/scarec.mjs" "$@"
RUN
chmod +x "$b/run.sh"
tar -C "$out" -czf "$out/scarec-gpu-bundle.tar.gz" scarec-gpu-bundle
size=$(stat -c %s "$out/scarec-gpu-bundle.tar.gz")
echo "bundle: $out/scarec-gpu-bundle.tar.gz ($((size / 1024 / 1024)) MiB)"
[ "$size" -lt $((64 * 1024 * 1024)) ] || { echo "bundle is over 64 MiB" >&2; exit 1; }
"$b/run.sh" calibrate --help >/dev/null && echo "bundle runs: ./run.sh calibrate --backend webgpu --quick"
