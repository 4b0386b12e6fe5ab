"""tools/dist_train.sh with two CPU processes on the gloo backend (no GPU needed)."""
import os.path as osp
import socket
import subprocess
import sys

import torch


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_dist_train_two_cpu_processes(tmp_path, repo_root, seg_data_overrides, tiny_seg_config, tool_env):
    work_dir = str(tmp_path / 'dist')
    env = dict(tool_env, PORT=str(free_port()))
    result = subprocess.run(
        ['bash', osp.join(repo_root, 'tools', 'dist_train.sh'), tiny_seg_config, '2', '--work-dir', work_dir,
         '--cfg-options', 'train_cfg.max_iters=4', *seg_data_overrides],
        env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    # torchrun exits 0 only when every rank exited 0.
    assert result.returncode == 0, output[-4000:]
    assert 'Distributed training: True' in output and 'GPU number: 2' in output, output[-4000:]
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))


def test_augseg_teacher_is_identical_on_both_ranks(tmp_path, repo_root, semi_seg_data_overrides, tiny_semi_seg_config,
                                            tool_env):
    work_dir = str(tmp_path / 'dist')
    # 4 steps: 2 copying the student, then 2 EMA updates, the last of which no DDP forward re-synchronises.
    result = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2', f'--master_port={free_port()}',
         osp.join(repo_root, 'tests', 'data', 'dist_train_and_dump.py'), tiny_semi_seg_config, '--launcher',
         'pytorch', '--work-dir', work_dir, '--cfg-options', 'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
         *semi_seg_data_overrides],
        env=tool_env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert 'Distributed training: True' in output, output[-4000:]
    rank0, rank1 = (torch.load(osp.join(work_dir, f'state_rank{r}.pth'), weights_only=False) for r in (0, 1))
    assert rank0.keys() == rank1.keys()
    teacher = [k for k in rank0 if k.startswith('teacher.')]
    assert any(k.endswith('running_mean') for k in teacher)
    for key in teacher:
        torch.testing.assert_close(rank0[key], rank1[key], rtol=0, atol=0, msg=key)
    # The ranks saw different images: their students' batch-norm statistics differ, their weights do not (DDP).
    assert any(not torch.equal(rank0[k], rank1[k]) for k in rank0 if k.startswith('student.') and 'running' in k)
    student_params = [k for k in rank0 if k.startswith('student.') and 'running' not in k]
    assert all(torch.equal(rank0[k], rank1[k]) for k in student_params)
    # The teacher is not a copy of the student (the last steps were EMA updates).
    assert any(not torch.equal(rank0[k], rank0['student.' + k[len('teacher.'):]]) for k in teacher)
