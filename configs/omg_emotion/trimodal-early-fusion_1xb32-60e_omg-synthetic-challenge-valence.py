# The synthetic challenge workflow, valence model (see the arousal config for the commands).
_base_ = './trimodal-early-fusion_1xb32-60e_omg-synthetic-challenge-arousal.py'
model = dict(head=dict(targets=('valence', )))
test_evaluator = dict(out_csv='work_dirs/omg_synthetic_test_predictions_valence.csv')
