from .metrics import CCCMetric

__all__ = ['CCCMetric']
