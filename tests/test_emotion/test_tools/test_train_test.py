"""The toy config end to end through tools/train.py and tools/test.py on raw synthetic files."""
import os.path as osp
import pickle

from tools import test as test_tool
from tools import train as train_tool
from tools.emotion import extract_features


def test_extract_train_then_test_from_checkpoint(omg_workspace, capsys):
    config = omg_workspace
    extract_features.main([config, '--split', 'train', '--fit-stats'])
    extract_features.main([config, '--split', 'val'])
    work_dir = 'work'
    train_tool.main([config, '--work-dir', work_dir])
    assert osp.isfile(osp.join(work_dir, 'epoch_2.pth'))
    out = 'preds.pkl'
    test_tool.main([config, osp.join(work_dir, 'epoch_2.pth'), '--work-dir', work_dir, '--out', out])
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 3 and 0 < float(predictions[0]['pred_arousal']) < 1
    log = capsys.readouterr().out
    assert 'omg/arousal_ccc' in log and 'omg/arousal_mse' in log
