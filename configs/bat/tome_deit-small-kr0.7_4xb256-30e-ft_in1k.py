# ToMe anchor: ToMe's bipartite soft matching (no decoupling; CLS token as A[0], never merged) at the same layers and
# token counts as BAT at keep rate 0.7 (58 / 41 / 29 merges), run by BATViT's mode='tome' with BAT's fine-tune recipe.
# ToMe's own choices: keys as the matching metric, size-weighted means and proportional attention. (ToMe's published
# setting merges r = 13 tokens in every layer; reproduce it with reduce_layers=tuple(range(12)), num_pairs=13.)
_base_ = './bat_deit-small-kr0.7_4xb256-30e-ft_in1k.py'

model = dict(backbone=dict(mode='tome', match_metric='k', merge_weight='size', prop_attn=True))
