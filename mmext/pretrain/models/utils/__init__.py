from .clip_checkpoint import clip_visual_state_dict, infer_clip_visual_arch, read_clip_checkpoint
from .masked_tokens import cls_visible_masked, masked_counts, split_by_mask
from .token_reduction import (TokenBudget, batch_gather, bipartite_pairs, cls_attention, decouple, dpc_knn_cluster,
                              keep_rate_at, pairwise_sq_dist, reduce_tokens, token_budget, weighted_merge)

__all__ = [
    'TokenBudget', 'batch_gather', 'bipartite_pairs', 'cls_attention', 'decouple', 'dpc_knn_cluster', 'keep_rate_at',
    'pairwise_sq_dist', 'reduce_tokens', 'token_budget', 'weighted_merge', 'clip_visual_state_dict',
    'infer_clip_visual_arch', 'read_clip_checkpoint', 'cls_visible_masked', 'masked_counts', 'split_by_mask'
]
