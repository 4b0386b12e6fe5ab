#!/usr/bin/env bash
# Usage: tools/slurm_train.sh PARTITION JOB_NAME CONFIG [train.py args...]   (environment: see tools/launch_common.sh)
set -euo pipefail
source "$(dirname "$0")/launch_common.sh"
PARTITION=$1 JOB_NAME=$2 CONFIG=$3
shift 3
slurm_launch "$PARTITION" "$JOB_NAME" train.py "$CONFIG" "$@"
