# BAT, keep rate 0.7, fine-tuned for 30 epochs from a trained DeiT-S with the recipe of the official rho <= 0.6 logs.
# The official rho = 0.7 model was trained from scratch (bat_deit-small-kr0.7_8xb256-300e_in1k.py); this config is
# the like-for-like partner of the EViT / ToMe anchors below (evit_*, tome_*), which share its recipe and FLOP budget.
_base_ = './bat_deit-small-kr0.6_4xb256-30e-ft_in1k.py'

keep_rate = 0.7
model = dict(backbone=dict(keep_rate=keep_rate))
