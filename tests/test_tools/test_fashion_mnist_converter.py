"""tools/dataset_converters/fashion_mnist.py on tiny generated IDX files: sources, checks, errors, idempotence.

The real release is never needed: the Debian path runs against a fake ``apt-get`` that serves a ``.deb`` built here
with ``dpkg-deb -b`` in the package's layout.
"""
import gzip
import os
import os.path as osp
import shutil
import stat
import subprocess

import numpy as np
import pytest

from tools.dataset_converters import fashion_mnist as fm

TINY = {'train': 20, 'test': 10}  # 2 and 1 images per class


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b''.join(int(d).to_bytes(4, 'big') for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_tiny_release(folder: str, gz: bool, sizes=TINY, seed: int = 0) -> dict:
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in sizes.items():
        prefix = 'train' if split == 'train' else 't10k'
        arrays[f'{prefix}-images-idx3-ubyte'] = rng.integers(0, 256, (n, 28, 28))
        arrays[f'{prefix}-labels-idx1-ubyte'] = rng.permutation(np.arange(n) % 10)
    for name, array in arrays.items():
        data = idx_bytes(array)
        if gz:
            with gzip.open(osp.join(folder, name + '.gz'), 'wb') as f:
                f.write(data)
        else:
            with open(osp.join(folder, name), 'wb') as f:
                f.write(data)
    return arrays


@pytest.mark.parametrize('gz', [True, False], ids=['gz', 'raw'])
def test_src_is_decompressed_checked_and_read_by_mmpretrain(tmp_path, gz):
    arrays = write_tiny_release(str(tmp_path / 'src' / 'nested'), gz=gz)
    out = str(tmp_path / 'out')
    summary = fm.prepare(out, src=str(tmp_path / 'src'), expected_sizes=TINY)
    assert summary == {'train': dict(images=20, per_class=2), 'test': dict(images=10, per_class=1)}

    from mmpretrain.datasets import FashionMNIST
    test_set = FashionMNIST(data_root=out, split='test', test_mode=True, download=False)
    assert len(test_set) == 10
    np.testing.assert_array_equal(test_set[3]['img'], arrays['t10k-images-idx3-ubyte'][3])
    assert int(test_set[3]['gt_label']) == arrays['t10k-labels-idx1-ubyte'][3]
    assert len(FashionMNIST(data_root=out, split='train', download=False)) == 20


def test_second_run_reuses_checked_files_and_a_changed_file_is_checked_again(tmp_path, capsys):
    write_tiny_release(str(tmp_path / 'src'), gz=True)
    out = str(tmp_path / 'out')
    fm.prepare(out, src=str(tmp_path / 'src'), expected_sizes=TINY)
    shutil.rmtree(tmp_path / 'src')  # a second run must not need the source any more
    capsys.readouterr()
    fm.prepare(out, src=str(tmp_path / 'src'), expected_sizes=TINY)
    assert 'already holds the checked files' in capsys.readouterr().out

    with open(osp.join(out, 't10k-labels-idx1-ubyte'), 'ab') as f:  # a changed file is no longer trusted
        f.write(b'\0')
    with pytest.raises(fm.FashionMNISTError, match='is not a folder'):
        fm.prepare(out, src=str(tmp_path / 'src'), expected_sizes=TINY)


def test_missing_file_names_the_file_and_the_three_sources(tmp_path):
    write_tiny_release(str(tmp_path / 'src'), gz=True)
    os.remove(tmp_path / 'src' / 't10k-labels-idx1-ubyte.gz')
    with pytest.raises(fm.FashionMNISTError) as error:
        fm.prepare(str(tmp_path / 'out'), src=str(tmp_path / 'src'), expected_sizes=TINY)
    message = str(error.value)
    assert 't10k-labels-idx1-ubyte' in message
    assert '--src DIR' in message and 'internet' in message and 'apt-get download dataset-fashion-mnist' in message


@pytest.mark.parametrize('defect, match', [
    ('truncated', 'truncated'),
    ('unbalanced', 'images per class'),
    ('count', 'expected 20'),
    ('label_count', 'labels of shape'),
])
def test_release_check_rejects_bad_files(tmp_path, defect, match):
    root = str(tmp_path)
    arrays = write_tiny_release(root, gz=False)
    if defect == 'truncated':
        with open(osp.join(root, 'train-images-idx3-ubyte'), 'r+b') as f:
            f.truncate(100)
    elif defect == 'unbalanced':
        labels = arrays['train-labels-idx1-ubyte'].copy()
        labels[labels == 3] = 4
        with open(osp.join(root, 'train-labels-idx1-ubyte'), 'wb') as f:
            f.write(idx_bytes(labels))
    elif defect == 'count':
        write_tiny_release(root, gz=False, sizes={'train': 30, 'test': 10})
    else:
        with open(osp.join(root, 'train-labels-idx1-ubyte'), 'wb') as f:
            f.write(idx_bytes(arrays['train-labels-idx1-ubyte'][:10]))
    with pytest.raises(fm.FashionMNISTError, match=match):
        fm.check_release(root, TINY)


def test_release_md5_is_the_decompressed_contents(tmp_path):
    write_tiny_release(str(tmp_path), gz=False)
    assert sorted(fm.release_md5_mismatches(str(tmp_path))) == sorted(fm.FILES)  # tiny files are not the release
    assert fm.RELEASE_MD5.keys() == fm.FILES.keys()


@pytest.fixture
def fake_apt(tmp_path, monkeypatch):
    """An ``apt-get`` on PATH whose ``download`` writes a .deb of tiny files in the real package's layout."""
    if shutil.which('dpkg-deb') is None:
        pytest.skip('dpkg-deb not available')
    package = tmp_path / 'pkg'
    write_tiny_release(str(package / fm.DEBIAN_DATA_DIR), gz=True)
    (package / 'DEBIAN').mkdir()
    (package / 'DEBIAN' / 'control').write_text(
        'Package: dataset-fashion-mnist\nVersion: 0.0-1\nArchitecture: all\nMaintainer: test <t@t>\n'
        'Description: tiny\n')
    deb = tmp_path / 'dataset-fashion-mnist_0.0-1_all.deb'
    subprocess.run(['dpkg-deb', '-b', str(package), str(deb)], check=True, capture_output=True)
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    calls = tmp_path / 'apt_calls'
    script = bin_dir / 'apt-get'
    script.write_text(f'#!/bin/sh\necho "$@" >> {calls}\ncp {deb} .\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv('PATH', f'{bin_dir}{os.pathsep}{os.environ["PATH"]}')
    return calls


def test_offline_debian_package_is_downloaded_once_into_the_cache(tmp_path, fake_apt):
    cache = str(tmp_path / 'cache')
    fm.prepare(str(tmp_path / 'out1'), offline=True, cache=cache, expected_sizes=TINY)
    fm.prepare(str(tmp_path / 'out2'), offline=True, cache=cache, expected_sizes=TINY)
    assert fake_apt.read_text().split('\n')[:-1] == ['download dataset-fashion-mnist']  # the cache served out2
    assert fm.check_release(str(tmp_path / 'out2'), TINY)['test'] == dict(images=10, per_class=1)


def test_no_source_exits_with_the_named_error(tmp_path, monkeypatch, capsys):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for tool in ('apt-get', 'dpkg-deb'):
        script = bin_dir / tool
        script.write_text('#!/bin/sh\necho "E: Unable to locate package" >&2\nexit 100\n')
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv('PATH', str(bin_dir))
    assert fm.main(['--out', str(tmp_path / 'out'), '--offline', '--cache', str(tmp_path / 'cache')]) == 1
    err = capsys.readouterr().err
    assert 'Unable to locate package' in err and 'apt-get update' in err
    assert '--src DIR' in err and 'internet' in err
