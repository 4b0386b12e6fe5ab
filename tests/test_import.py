"""``import mmext`` is what custom_imports runs: it must be silent and pull in only what registration needs."""
import subprocess
import sys

# The host modules mmext's registered classes derive from or register into. mmpretrain.models is the heavy one
# (it imports mmdet.models itself); it is needed because the BAT backbone subclasses its VisionTransformer.
REGISTRATION_NEEDS = ['mmengine.runner', 'mmcv.cnn', 'mmseg.registry', 'mmseg.datasets', 'mmpretrain.registry',
                      'mmpretrain.datasets', 'mmpretrain.models']
WATCHED = ('mmseg', 'mmpretrain', 'mmdet', 'mmcv', 'mmengine', 'torchvision', 'mmaction', 'sklearn', 'timm',
           'open_clip', 'scipy', 'matplotlib')

PROBE = f'''
import importlib, sys, time
for name in {REGISTRATION_NEEDS!r}:
    importlib.import_module(name)
before = set(sys.modules)
start = time.perf_counter()
import mmext
elapsed = time.perf_counter() - start
extra = sorted(m for m in set(sys.modules) - before if m.split('.')[0] in {WATCHED!r})
sys.stderr.write(f'MMEXT_PROBE {{elapsed:.2f}} {{extra}}')
'''


def test_import_is_silent_and_imports_only_what_registration_needs(tool_env):
    result = subprocess.run([sys.executable, '-c', PROBE], env=tool_env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ''
    noise, probe = result.stderr.split('MMEXT_PROBE ')
    assert noise == '', f'import mmext printed: {noise}'
    _, extra = probe.split(' ', 1)
    assert extra == '[]', f'import mmext imported more of the host libraries than registration needs: {extra}'
