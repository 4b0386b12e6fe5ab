"""tools/analysis_tools/colour_only_baseline.py: the two colour-only classifiers by hand, and the tool on a tiny set."""
import numpy as np

from tools.analysis_tools import colour_only_baseline as cob


def two_colour_pairs():
    img = np.zeros((4, 4, 3), np.uint8)
    label = np.zeros((4, 4), np.uint8)
    img[:, 2:] = (0, 0, 250)
    label[:, 2:] = 1
    label[0, 0] = 255  # ignored pixels take no part in the fit
    img[0, 0] = (0, 0, 255)
    return [(img, label)]


def test_nearest_class_mean_and_histogram_separate_two_colours():
    pairs = two_colour_pairs()
    means = cob.fit_nearest_class_mean(pairs, num_classes=3)
    np.testing.assert_allclose(means[:2], [[0, 0, 0], [0, 0, 250]])
    assert np.isinf(means[2]).all()  # an unseen class is never predicted
    img, label = pairs[0]
    expected = label.copy()
    expected[0, 0] = 1  # red, like class 1
    np.testing.assert_array_equal(cob.predict_nearest_class_mean(img, means), expected)
    table = cob.fit_colour_histogram(pairs, num_classes=3, bins=4)
    np.testing.assert_array_equal(table[cob.colour_bins(img, 4)], expected)
    # unseen bins get the majority class of the labelled pixels: 8 of class 1 against 7 of class 0
    assert (np.delete(table, np.unique(cob.colour_bins(img, 4))) == 1).all()


def test_miou_is_mmseg_arithmetic():
    pairs = two_colour_pairs()
    perfect = cob.miou([np.where(pairs[0][1] == 255, 0, pairs[0][1])], pairs, num_classes=2)
    assert perfect == dict(mIoU=100.0, aAcc=100.0)
    swapped = cob.miou([1 - np.where(pairs[0][1] == 255, 0, pairs[0][1])], pairs, num_classes=2)
    assert swapped == dict(mIoU=0.0, aAcc=0.0)


def test_tool_on_the_generated_shapes(tmp_path, repo_root, capsys):
    config = f'{repo_root}/configs/sdn/fcn_r18-w16-d8_1xb8-1k_synthetic-64x64.py'
    options = [f'{loader}.dataset.{key}' for loader in ('train_dataloader', 'val_dataloader')
               for key in (f'data_root={tmp_path}', 'num_samples=6')]
    results = cob.main([config, '--num-labelled', '4', '--cfg-options', *options])
    out = capsys.readouterr().out
    assert 'fitted on 4 labelled training images, scored on 6 validation images (6 classes)' in out
    assert set(results) == {'nearest class mean', 'colour histogram (16^3 bins)'}
    assert all(0 <= r['mIoU'] <= 100 for r in results.values())
