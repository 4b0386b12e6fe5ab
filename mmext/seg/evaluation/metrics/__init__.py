from .boundary_metric import BoundaryMetric

__all__ = ['BoundaryMetric']
