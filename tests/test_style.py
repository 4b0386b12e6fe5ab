"""The code style of OpenMMLab (flake8 + isort settings, 120 columns; configured in pyproject.toml) holds for the
whole repository."""
import os.path as osp
import subprocess
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.mark.parametrize('command', [['ruff', 'check', '.'], ['isort', '--check-only', '--quiet', '.']],
                         ids=['ruff', 'isort'])
def test_style(command):
    result = subprocess.run([sys.executable, '-m', *command], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
