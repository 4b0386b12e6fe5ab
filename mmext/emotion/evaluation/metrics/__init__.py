from .ccc_metric import CCCMetric

__all__ = ['CCCMetric']
