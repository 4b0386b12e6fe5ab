from .token_reduction import (TokenBudget, batch_gather, bipartite_pairs, cls_attention, decouple, dpc_knn_cluster,
                              keep_rate_at, pairwise_sq_dist, reduce_tokens, token_budget, weighted_merge)

__all__ = [
    'TokenBudget', 'batch_gather', 'bipartite_pairs', 'cls_attention', 'decouple', 'dpc_knn_cluster', 'keep_rate_at',
    'pairwise_sq_dist', 'reduce_tokens', 'token_budget', 'weighted_merge'
]
