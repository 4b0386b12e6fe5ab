"""Builds mmext's compiled op ``mmext._ext`` (metadata lives in pyproject.toml).

Environment:
    MMEXT_WITH_OPS=0   skip the extension; mmext then runs the pure-PyTorch reference of every op.
    FORCE_CUDA=1       compile the CUDA kernels even when no GPU is visible (needs nvcc, CUDA_HOME and
                       TORCH_CUDA_ARCH_LIST); they are also compiled whenever torch.cuda.is_available().
    MMEXT_CUDA_ARGS    extra nvcc flags, split like a shell command line.
    MAX_JOBS           parallel compile jobs (read by torch's ninja build).

Build without isolation so that the installed torch is used: ``pip install -e . --no-build-isolation``.
"""
import glob
import os
import shlex
from setuptools import setup

CSRC = os.path.join('mmext', 'ops', 'csrc')


def get_extensions():
    if os.getenv('MMEXT_WITH_OPS', '1') == '0':
        return []
    try:
        import torch
        from torch.utils.cpp_extension import CppExtension, CUDAExtension
    except ImportError:
        print('mmext: torch is not importable in the build environment, so mmext._ext is not built '
              '(use pip install --no-build-isolation); the pure-PyTorch reference will be used.')
        return []

    sources = sorted(glob.glob(os.path.join(CSRC, 'pytorch', '*.cpp')) +
                     glob.glob(os.path.join(CSRC, 'pytorch', 'cpu', '*.cpp')))
    include_dirs = [os.path.abspath(os.path.join(CSRC, 'common'))]
    # torch >= 2.14 headers require C++20. -fopenmp: at::parallel_for is a header template whose OpenMP pragma is
    # compiled into this extension (without the flag it silently runs serially). -fno-math-errno lets the gate's
    # sqrt vectorise.
    extra_compile_args = {'cxx': ['-O3', '-std=c++20', '-fopenmp', '-fno-math-errno']}
    define_macros = []
    if torch.cuda.is_available() or os.getenv('FORCE_CUDA', '0') == '1':
        extension = CUDAExtension
        sources += sorted(glob.glob(os.path.join(CSRC, 'pytorch', 'cuda', '*.cu')) +
                          glob.glob(os.path.join(CSRC, 'pytorch', 'cuda', '*.cpp')))
        include_dirs.append(os.path.abspath(os.path.join(CSRC, 'common', 'cuda')))
        define_macros.append(('MMEXT_WITH_CUDA', None))
        extra_compile_args['nvcc'] = ['-O3', '-std=c++20'] + shlex.split(os.getenv('MMEXT_CUDA_ARGS', ''))
    else:
        extension = CppExtension
    return [
        extension(
            name='mmext._ext',
            sources=sources,
            include_dirs=include_dirs,
            define_macros=define_macros,
            extra_compile_args=extra_compile_args,
            extra_link_args=['-fopenmp'])
    ]


def get_cmdclass(ext_modules):
    if not ext_modules:
        return {}
    from torch.utils.cpp_extension import BuildExtension
    return {'build_ext': BuildExtension.with_options(use_ninja=True)}


ext_modules = get_extensions()
setup(ext_modules=ext_modules, cmdclass=get_cmdclass(ext_modules))
