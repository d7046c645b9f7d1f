#!/usr/bin/env bash
# Execute every notebook in notebooks/ headless (tslab kernel, Debian's jupyter-nbconvert) and fail on any
# cell error. Installs what is missing, so it is idempotent:
#   - Debian: jupyter-nbconvert, python3-ipykernel (nbclient, jupyter_client); needs root, as in CI
#   - tslab 1.0.22 (npm, global) and its kernel spec, registered with Debian's /usr/bin/python3 (not a
#     pyenv/venv python3 that may come first on PATH and has no jupyter)
#   - dist/ (the notebooks import ../dist/index.js), built when missing or older than src/
# Executed copies go to a temp folder; the notebooks in the repository stay unexecuted.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! [ -x /usr/bin/jupyter-nbconvert ] || ! /usr/bin/python3 -c 'import ipykernel, nbclient' 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq jupyter-nbconvert python3-ipykernel
fi
if ! command -v tslab >/dev/null 2>&1 || ! tslab --version 2>/dev/null | grep -q '1\.0\.22'; then
  npm install -g tslab@1.0.22
fi
if ! /usr/bin/python3 -c "from jupyter_client.kernelspec import KernelSpecManager as K; K().get_kernel_spec('tslab')" 2>/dev/null; then
  tslab install --python=/usr/bin/python3
fi
if ! [ -f dist/index.js ] || ! [ -f dist/index.d.ts ] || [ -n "$(find src -newer dist/index.js -name '*.ts' -print -quit)" ]; then
  npx tsup
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
failed=()
for nb in notebooks/*.ipynb; do
  name="$(basename "$nb")"
  start=$(date +%s)
  # nbconvert runs the kernel in the notebook's folder, so relative paths (../dist, ../models) resolve.
  if (cd notebooks && timeout 600 /usr/bin/jupyter-nbconvert --to notebook --execute \
        --ExecutePreprocessor.timeout=300 --ExecutePreprocessor.kernel_name=tslab \
        --output-dir "$out" "$name" >"$out/$name.log" 2>&1); then
    echo "ok    $name ($(( $(date +%s) - start )) s)"
  else
    echo "FAIL  $name"
    tail -n 30 "$out/$name.log"
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "notebooks with errors: ${failed[*]}"
  exit 1
fi
echo "all $(ls notebooks/*.ipynb | wc -l) notebooks ran without errors"
