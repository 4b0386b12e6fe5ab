#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG NPROC [train.py args...]   (environment: see tools/launch_common.sh)
set -euo pipefail
source "$(dirname "$0")/launch_common.sh"
CONFIG=$1 NPROC=$2
shift 2
dist_launch train.py "$NPROC" "$CONFIG" "$@"
