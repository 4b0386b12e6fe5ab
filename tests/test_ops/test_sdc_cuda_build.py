"""Compiles the SDC op's CUDA sources with nvcc (compile only, one architecture) wherever nvcc is installed.

Runs in the normal test suite so that a CUDA kernel that no longer compiles is caught on machines without a GPU;
the full build is ``FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="8.0;9.0" pip install -e . --no-build-isolation``.
"""
import glob
import os
import os.path as osp
import shutil
import subprocess
import sysconfig

import pytest
import torch
from torch.utils.cpp_extension import COMMON_NVCC_FLAGS, include_paths

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CSRC = osp.join(REPO, 'mmext', 'ops', 'csrc')


def _find_cuda_home():
    """A CUDA toolkit root holding bin/nvcc and include/cuda_runtime.h, or None."""
    nvcc = shutil.which('nvcc')
    # /usr/local/bin/nvcc may be a wrapper script, so the toolkit directories are tried as well.
    candidates = [os.getenv('CUDA_HOME'), os.getenv('CUDA_PATH'),
                  osp.dirname(osp.dirname(osp.realpath(nvcc))) if nvcc else None]
    candidates += sorted(glob.glob('/usr/local/cuda*'), reverse=True)
    for root in filter(None, candidates):
        if osp.isfile(osp.join(root, 'bin', 'nvcc')) and osp.isfile(osp.join(root, 'include', 'cuda_runtime.h')):
            return root
    return None


CUDA_HOME = _find_cuda_home()


@pytest.mark.skipif(CUDA_HOME is None or torch.version.cuda is None,
                    reason='needs nvcc and a CUDA build of torch')
def test_cuda_sources_compile(tmp_path):
    includes = [f'-I{p}' for p in include_paths()] + [
        f'-I{osp.join(CUDA_HOME, "include")}', f'-I{osp.join(CSRC, "common")}', f'-I{osp.join(CSRC, "common", "cuda")}'
    ]
    defines = ['-DMMEXT_WITH_CUDA', f'-D_GLIBCXX_USE_CXX11_ABI={int(torch._C._GLIBCXX_USE_CXX11_ABI)}']
    commands = [[
        osp.join(CUDA_HOME, 'bin', 'nvcc'), '-c', cu, '-o', str(tmp_path / (osp.basename(cu) + '.o')), '-std=c++20',
        '-O3', '-Xcompiler', '-fPIC', '-gencode=arch=compute_80,code=sm_80', *COMMON_NVCC_FLAGS, *defines, *includes
    ] for cu in glob.glob(osp.join(CSRC, 'pytorch', 'cuda', '*.cu'))]
    commands += [[
        os.getenv('CXX', 'c++'), '-c', cpp, '-o', str(tmp_path / (osp.basename(cpp) + '.o')), '-std=c++20', '-fPIC',
        f'-I{sysconfig.get_paths()["include"]}', *defines, *includes
    ] for cpp in glob.glob(osp.join(CSRC, 'pytorch', 'cuda', '*.cpp'))]
    assert len(commands) >= 2, 'expected the CUDA launcher (.cu) and cudabind.cpp'
    # Both compilers run at once: the suite runs on two cores.
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for cmd in commands]
    for cmd, proc in zip(commands, procs):
        log = proc.communicate()[0]
        assert proc.returncode == 0, f'{" ".join(cmd)}\n{log}'
        own_warnings = [line for line in log.splitlines() if CSRC in line and 'warning' in line.lower()]
        assert not own_warnings, '\n'.join(own_warnings)
