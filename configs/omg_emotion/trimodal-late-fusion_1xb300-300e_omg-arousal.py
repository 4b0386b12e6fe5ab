# Late fusion of the authors' code (not the reported model): each branch keeps its sigmoid decision layer and a
# linear Dense(1) combines the three predictions.
_base_ = './trimodal-early-fusion_1xb300-300e_omg-arousal.py'
model = dict(
    fusion=dict(type='LateFusion', targets=('arousal', )),
    head=dict(hidden_dim=None, activations=('identity', ), output_init='glorot_uniform'))
