"""Datasets and the data pipeline: track tables, readers, leak-proof splits, feature cache,
segments, batches, label processing and standardisation.

    from tinymir.data import read_dataset
    from tinymir.data.splits import stratified_split, check_no_leak
"""
from .readers import DATASETS, detect_dataset, read_dataset
from .table import DatasetError, Track, TrackTable

__all__ = ["DATASETS", "DatasetError", "Track", "TrackTable", "detect_dataset", "read_dataset"]
