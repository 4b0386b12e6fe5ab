# Clean protocol, valence model (see the arousal config).
_base_ = './trimodal-early-fusion_1xb300-300e_omg-clean-arousal.py'
model = dict(head=dict(targets=('valence', )))
