# Sourced by tools/{dist,slurm}_{train,test}.sh; one place for how mmext launches multi-process jobs.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"

# dist_launch SCRIPT NPROC ARGS...: NPROC processes per node with torchrun (one per GPU; without GPUs, CPU processes
# on the gloo backend). Environment: NNODES (1), NODE_RANK (0), PORT (29500), MASTER_ADDR (127.0.0.1), PYTHON.
dist_launch() {
  local script=$1 nproc=$2
  shift 2
  exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$nproc" --master_port="${PORT:-29500}" \
    "$root/tools/$script" "$@" --launcher pytorch
}

# slurm_launch PARTITION JOB_NAME SCRIPT ARGS...: one task per GPU with srun.
# Environment: GPUS (4), GPUS_PER_NODE (4), CPUS_PER_TASK (5), SRUN_ARGS (empty), PYTHON.
slurm_launch() {
  local partition=$1 job_name=$2 script=$3
  shift 3
  exec srun -p "$partition" --job-name="$job_name" --gres=gpu:"${GPUS_PER_NODE:-4}" --ntasks="${GPUS:-4}" \
    --ntasks-per-node="${GPUS_PER_NODE:-4}" --cpus-per-task="${CPUS_PER_TASK:-5}" --kill-on-bad-exit=1 \
    ${SRUN_ARGS:-} "${PYTHON:-python}" -u "$root/tools/$script" "$@" --launcher=slurm
}
