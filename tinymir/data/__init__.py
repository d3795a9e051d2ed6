"""Datasets and the data pipeline: track tables, readers, leak-proof splits, feature cache,
segments, batches, label processing and standardisation.

    from tinymir.data import read_dataset
    from tinymir.data.splits import stratified_split, check_no_leak
"""
from .table import DatasetError, Track, TrackTable

__all__ = ["DatasetError", "Track", "TrackTable"]
