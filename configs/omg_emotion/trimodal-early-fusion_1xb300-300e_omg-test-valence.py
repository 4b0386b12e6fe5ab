# The challenge's unlabelled test split for the valence model (see the arousal config).
_base_ = './trimodal-early-fusion_1xb300-300e_omg-test-arousal.py'
model = dict(head=dict(targets=('valence', )))
test_evaluator = dict(out_csv='work_dirs/omg_test_predictions_valence.csv')
