"""tools/dist_train.sh with two CPU processes on the gloo backend (no GPU needed)."""
import os.path as osp
import socket
import subprocess


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
