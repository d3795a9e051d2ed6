"""Training and evaluation: what ``tinymir train / evaluate / predict`` run.

    from tinymir.train import run
    report = run.train(run.TrainConfig(arch="cnn3", data="data/demo", out="runs/cnn3"))

=============  ================================================================================
``inputs``     features per track (through the feature cache), segments, standardised batches
``loop``       the training loop, precise BatchNorm statistics, resumable run state
``callbacks``  best epoch, ReduceLROnPlateau, early stopping
``checkpoint`` run state as one ``.npz``, written atomically
``evaluate``   probabilities, tag thresholds, single-label and multi-label reports
``run``        a whole run: split, features, model, training, scoring, RUN_DIR files
``report``     ``history.csv``, ``report.json``, ``report.md``, ``curves.png``, ``confusion.png``
``predict``    a saved model on new files, or on a labelled dataset
=============  ================================================================================
"""
