# Toy setting, valence model (see the arousal config for the data and the commands).
_base_ = './trimodal-early-fusion_1xb32-60e_omg-synthetic-arousal.py'
model = dict(head=dict(targets=('valence', )))
