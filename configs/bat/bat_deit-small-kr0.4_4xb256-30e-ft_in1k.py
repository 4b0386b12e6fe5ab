# BAT, keep rate 0.4, fine-tuned for 30 epochs from a trained DeiT-S (official log: 78.65 % top-1, 2.083 GFLOPs).
# Same recipe as the keep-rate-0.6 config. The token schedule uses the default Cn = r rule, which matches the
# official FLOPs only at rho = 0.7; the per-rate (Cn, r) of the logs are unknown.
_base_ = './bat_deit-small-kr0.6_4xb256-30e-ft_in1k.py'

keep_rate = 0.4
model = dict(backbone=dict(keep_rate=keep_rate))
