"""Datasets and the data pipeline, one idea per module:

=================  ==========================================================================
``table``          :class:`Track`, :class:`TrackTable` (labels -> indices or 0/1 matrix),
                   :class:`DatasetError`
``readers``        :func:`read_dataset`: GTZAN, class folders, FMA, MTG-Jamendo, tag CSVs
``tags``           multi-label tag processing: prefix, synonyms, minimum count, top N + Others
``splits``         stratified / k-fold / group-aware / official / GTZAN-filtered splits, and
                   the leak guard :func:`~tinymir.data.splits.check_no_leak`
``balance``        class weights, seed 000's multi-label up- and down-sampling
``cache``          :class:`~tinymir.data.cache.FeatureCache`: resumable, parallel, memory-mapped
``segments``       fixed-length windows in frames over cached tracks, made after the split
``batches``        :class:`~tinymir.data.batches.BatchIterator`: seeded shuffled mini-batches
``standardize``    :class:`~tinymir.data.standardize.Standardizer` fitted on training tracks
``describe``       the text of ``tinymir dataset info``
=================  ==========================================================================

::

    from tinymir.data import read_dataset
    from tinymir.data.splits import stratified_split, check_no_leak

    table = read_dataset("GTZAN/")                        # reader chosen from the layout
    split = stratified_split(table.strata(), (0.8, 0.1, 0.1), seed=0)
    check_no_leak(split, table.ids, table.groups)
"""
from .readers import DATASETS, detect_dataset, read_dataset
from .table import DatasetError, Track, TrackTable

__all__ = ["DATASETS", "DatasetError", "Track", "TrackTable", "detect_dataset", "read_dataset"]
