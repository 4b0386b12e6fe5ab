#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py args...]   (environment: see tools/launch_common.sh)
set -euo pipefail
source "$(dirname "$0")/launch_common.sh"
CONFIG=$1 CHECKPOINT=$2 NPROC=$3
shift 3
dist_launch test.py "$NPROC" "$CONFIG" "$CHECKPOINT" "$@"
