"""Training: what ``tinymir train`` and ``tinymir experiment`` run (a trained model on new audio
is :mod:`tinymir.predict`).

    from tinymir.train import config, run
    report = run.train(config.TrainConfig(arch="cnn3", data="data/demo", out="runs/cnn3"))

=============  ================================================================================
``config``     ``TrainConfig`` (front end nested), option checks, ``config.json``, resume rule
``prepare``    dataset, named split, features per track, segments: the data a run trains on
``inputs``     features per track (through the feature cache), segments, standardised batches
``objective``  the loss (class- or tag-weighted) and the recipe's optimiser
``loop``       the training loop, precise BatchNorm statistics, resumable run state
``callbacks``  best epoch, ReduceLROnPlateau, early stopping
``checkpoint`` run state as one ``.npz``, written atomically
``evaluate``   probabilities, tag thresholds, scores per part, single- and multi-label reports
``rundir``     RUN_DIR's files: claiming it, replacing an earlier run at the end, Ctrl-C
``run``        a whole run: prepare, train, score, write RUN_DIR; resume
``report``     ``history.csv``, ``report.json``, ``report.md``, ``curves.png``, the headline
``grid``       an experiment: a grid of runs (cells x seeds), resumable, and its results
=============  ================================================================================
"""
