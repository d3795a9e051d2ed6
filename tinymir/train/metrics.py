"""Moved: the metrics are :mod:`tinymir.metrics` (below every folder). This name keeps working
for a while, with a warning that says so."""
from tinymir import moved

__getattr__ = moved.module(__name__, "tinymir.metrics")
