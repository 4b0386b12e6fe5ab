# Deng et al. (arXiv 1805.00625), trimodal early fusion, arousal model (paper: CCC 0.400 on the validation set).
# Paper-parity protocol: the best-val-MSE checkpoint and early stopping on the validation set that is reported.
_base_ = [
    '../_base_/models/omg_trimodal_early_fusion.py', '../_base_/datasets/omg_emotion.py',
    '../_base_/schedules/omg_sgd-inverse-time_300e.py', '../_base_/emotion_runtime.py'
]
model = dict(head=dict(targets=('arousal', )))
# omg/mean_mse is the MSE of the model's one target. The authors' EarlyStopping(patience=20) keeps Keras' min_delta=0
# (mmengine's default, 0.1, is far larger than any MSE/CCC change).
default_hooks = dict(checkpoint=dict(save_best='omg/mean_mse', rule='less'))
custom_hooks = [dict(type='EarlyStoppingHook', monitor='omg/mean_mse', rule='less', patience=20, min_delta=0)]
# Validation and test score every row, as the challenge's script: faceless utterances are kept with the visual
# branch masked (the authors drop them from their trimodal set, which the official score does not).
val_dataloader = dict(dataset=dict(faceless='keep'))
test_dataloader = dict(dataset=dict(faceless='keep'))
