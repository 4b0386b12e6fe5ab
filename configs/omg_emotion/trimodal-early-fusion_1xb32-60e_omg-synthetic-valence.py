# Toy setting, valence model (see the arousal config for the data and the commands).
_base_ = './trimodal-early-fusion_1xb32-60e_omg-synthetic-arousal.py'
target = 'valence'
model = dict(head=dict(targets=(target, )))
val_evaluator = dict(targets=(target, ))
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best=f'omg/{target}_mse', rule='less'))
custom_hooks = [
    dict(type='EarlyStoppingHook', monitor=f'omg/{target}_mse', rule='less', patience=20, min_delta=1e-3)
]
