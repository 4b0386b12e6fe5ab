"""Write mmext's synthetic OMG-Emotion copy (speech, transcripts, cartoon-face videos; see
:mod:`mmext.emotion.datasets.synthetic_omg`).

    python tools/emotion/make_synthetic_omg.py [DATA_ROOT] [--train-videos 40] [--val-videos 12] [--test-videos 0]
                                               [--utterances-per-video 8] [--seed 0] [--layout mmext|prepare_data]

``--layout prepare_data`` writes exactly what the challenge's ``prepare_data.py`` leaves (H.264 + AAC utterance
videos, no WAV; the test split as the unlabelled ``omg_TestVideos_WithoutLabels.csv`` plus the later
``omg_TestVideos_WithLabels.csv``), for the challenge workflow of
``configs/omg_emotion/trimodal-early-fusion_1xb32-60e_omg-synthetic-challenge-*.py``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))  # run from a checkout

from mmext.emotion.datasets import generate_synthetic_omg  # noqa: E402


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description='Generate the synthetic OMG-Emotion data set')
    parser.add_argument('data_root', nargs='?', default='data/omg_synthetic', help='folder to create')
    parser.add_argument('--train-videos', type=int, default=40)
    parser.add_argument('--val-videos', type=int, default=12)
    parser.add_argument('--test-videos', type=int, default=0)
    parser.add_argument('--utterances-per-video', type=int, default=8)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--layout', choices=('mmext', 'prepare_data'), default='mmext',
                        help="mmext's (video-only MPEG-4, WAV beside it) or exactly prepare_data.py's")
    args = parser.parse_args(argv)
    num_videos = dict(train=args.train_videos, val=args.val_videos)
    if args.test_videos:
        num_videos['test'] = args.test_videos
    root = generate_synthetic_omg(args.data_root, num_videos=num_videos,
                                  utterances_per_video=args.utterances_per_video, seed=args.seed, layout=args.layout)
    print(f'synthetic OMG-Emotion data in {root}')
    return root


if __name__ == '__main__':
    main()
