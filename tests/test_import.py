"""Each import entry is what a config's custom_imports runs: it must be silent, load only its own host library and
install the trusted-checkpoint fix. ``import mmext`` itself loads nothing but the version."""
import json
import subprocess
import sys

import pytest

HOSTS = ('torch', 'mmengine', 'mmcv', 'mmseg', 'mmpretrain', 'mmdet')

# entry -> host packages it must not import (mmpretrain.models imports mmdet.models itself, so mmext.pretrain
# cannot avoid mmdet).
FORBIDDEN = {
    'mmext': HOSTS,
    'mmext.ops': ('mmcv', 'mmseg', 'mmpretrain', 'mmdet'),
    'mmext.seg': ('mmpretrain', 'mmdet'),
    'mmext.pretrain': ('mmseg',),
    'mmext.emotion': ('mmcv', 'mmseg', 'mmpretrain', 'mmdet'),
}
CHECKPOINT_FIX = ('mmext.ops', 'mmext.seg', 'mmext.pretrain', 'mmext.emotion', 'mmext.all')

PROBE = '''
import importlib, json, sys
importlib.import_module(sys.argv[1])
hosts = sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[2].split(',')))
runner = sys.modules.get('mmengine.runner')
patched = bool(runner and getattr(runner.Runner.resume, '__mmext_trusting__', False))
sys.stderr.write('MMEXT_PROBE ' + json.dumps(dict(hosts=hosts, patched=patched)))
'''


def probe(entry: str, env: dict) -> dict:
    result = subprocess.run([sys.executable, '-c', PROBE, entry, ','.join(HOSTS)], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    noise, report = result.stderr.split('MMEXT_PROBE ')
    assert result.stdout == '' and noise == '', f'import {entry} printed: {result.stdout}{noise}'
    return json.loads(report)


@pytest.mark.parametrize('entry', sorted(set(FORBIDDEN) | set(CHECKPOINT_FIX)))
def test_entry_is_silent_loads_only_its_host_and_installs_the_checkpoint_fix(tool_env, entry):
    report = probe(entry, tool_env)
    loaded = sorted(set(report['hosts']) & set(FORBIDDEN.get(entry, ())))
    assert not loaded, f'import {entry} imported {loaded}; it must load only its own host library'
    assert report['patched'] == (entry in CHECKPOINT_FIX), f'import {entry} must install the trusted-checkpoint fix'
