# Deng et al. (arXiv 1805.00625), trimodal early fusion, arousal model (paper: CCC 0.400 on the validation set).
# Paper-parity protocol: the best-val-MSE checkpoint and early stopping on the validation set that is reported.
_base_ = [
    '../_base_/models/omg_trimodal_early_fusion.py', '../_base_/datasets/omg_emotion.py',
    '../_base_/schedules/omg_sgd-inverse-time_300e.py', '../_base_/emotion_runtime.py'
]
target = 'arousal'
model = dict(head=dict(targets=(target, )))
val_evaluator = dict(targets=(target, ))
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best=f'omg/{target}_mse', rule='less'))
# min_delta: mmengine's default 0.1 is far larger than any MSE/CCC change.
custom_hooks = [
    dict(type='EarlyStoppingHook', monitor=f'omg/{target}_mse', rule='less', patience=20, min_delta=1e-3)
]
