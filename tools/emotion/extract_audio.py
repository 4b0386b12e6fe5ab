"""Write the 16-bit mono WAV of every utterance of one OMG-Emotion split, from the videos the challenge's
``prepare_data.py`` writes (``<target_dir>/<video>/<utterance>``, H.264 + AAC), with the ffmpeg binary of the
``imageio-ffmpeg`` wheel.

    python tools/emotion/extract_audio.py CONFIG [--split train|val|test] [--workers N] [--sample-rate HZ]
                                          [--on-error skip|raise] [--cfg-options k=v ...]

The split's rows and paths come from the config's ``<split>_dataloader.dataset`` (``video_path_tmpl``,
``wav_path_tmpl``: by default the WAV is written beside its video, where ``tools/emotion/extract_features.py``
reads it). Each WAV is written through a temporary file and a rename; WAVs already there are skipped, so an
interrupted run continues where it stopped. A video without an audio stream gets an empty WAV (the features then
mask the audio of that utterance); a missing or unreadable video is skipped, counted and listed in
``{cache_dir}/wav_failures.json``.
"""
import argparse
import json
import os
import os.path as osp
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # run from a checkout

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402

import mmext.emotion  # noqa: E402,F401
from mmext.emotion.datasets.media import extract_wav, ffmpeg_exe  # noqa: E402
from mmext.emotion.datasets.transforms import ExtractionError  # noqa: E402
from mmext.registry import DATASETS  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Write the WAV of every utterance video of an OMG-Emotion split')
    parser.add_argument('config', help="an emotion config (its <split>_dataloader.dataset's paths)")
    parser.add_argument('--split', choices=('train', 'val', 'test'), default='train', help='which dataloader')
    parser.add_argument('--workers', type=int, default=1, help='ffmpeg processes at a time')
    parser.add_argument('--sample-rate', type=int, default=None,
                        help="resample to this rate (default: keep the video's, as ffmpeg -i utt.mp4 -vn utt.wav)")
    parser.add_argument('--on-error', choices=('skip', 'raise'), default='skip',
                        help='a missing or unreadable video is skipped and counted, or raises')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override settings, key=value pairs')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.workers < 1:
        raise ValueError(f'--workers must be at least 1, got {args.workers}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope('mmext')
    ffmpeg_exe()  # fail before the progress bar when imageio-ffmpeg is missing
    dataset_cfg = dict(cfg[f'{args.split}_dataloader'].dataset, require_features=False, pipeline=[], lazy_init=True)
    dataset = DATASETS.build(dataset_cfg)
    items = dataset.load_annotations()
    todo = [item for item in items if not osp.isfile(item['wav_path'])]
    print_log(f'{args.split}: {len(items)} utterances, {len(items) - len(todo)} WAVs already there, converting '
              f'{len(todo)}', logger='current')

    def convert(item: dict) -> Tuple[dict, Optional[str], Optional[str]]:
        try:
            return item, extract_wav(item['video_path'], item['wav_path'], args.sample_rate), None
        except ExtractionError as err:
            return item, None, str(err)

    failures, no_audio = [], 0
    if todo:
        progress = ProgressBar(len(todo))
        with ThreadPoolExecutor(args.workers) as pool:
            for item, status, reason in pool.map(convert, todo):
                if reason is not None:
                    if args.on_error == 'raise':
                        raise ExtractionError(reason)
                    failures.append(dict(video=item['video'], utterance=item['utterance'], reason=reason))
                no_audio += status == 'no_audio_stream'
                progress.update()
        sys.stdout.write('\n')
    report_dir = dataset.data_path(dataset.cache_dir)
    os.makedirs(report_dir, exist_ok=True)
    with open(osp.join(report_dir, 'wav_failures.json'), 'w') as f:
        json.dump(failures, f, indent=1)
    summary = dict(total=len(items), existing=len(items) - len(todo), converted=len(todo) - len(failures),
                   no_audio_stream=no_audio, failed=len(failures))
    print_log(f'{args.split}: {summary}' + (f'; failures, e.g. {failures[0]["reason"]} (all in '
                                              f'{report_dir}/wav_failures.json)' if failures else ''),
              logger='current')
    return summary


if __name__ == '__main__':
    main()
