# Deng et al. (arXiv 1805.00625), trimodal early fusion, valence model (paper: CCC 0.353 on the validation set).
_base_ = './trimodal-early-fusion_1xb300-300e_omg-arousal.py'
model = dict(head=dict(targets=('valence', )))
