# EViT anchor (keep rate 0.7, attentive tokens kept, the rest fused into one CLS-attention-weighted token), run by
# BATViT's mode='evit' with BAT's fine-tune recipe. EViT README: 79.5 % top-1 at 3.0 GFLOPs (its own recipe).
_base_ = './bat_deit-small-kr0.7_4xb256-30e-ft_in1k.py'

model = dict(backbone=dict(mode='evit'))
