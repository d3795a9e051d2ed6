"""The tuned parts of the layers, which a reader learning the formulas can skip.

Each layer in :mod:`tinymir.nn` states its formula in its docstring and its ``_forward`` /
``_backward`` read like it; where the CPU needed a trick to be fast (separable max pools with
small arg-max codes, one ``tanh`` for the four LSTM gates, passes over cache-sized runs of the
batch), the layer calls a named function from here. Every kernel is tested equal to the plain
twin of its layer in :mod:`tinymir.nn.reference`, on random and tie-heavy inputs and at every
run size (tests/test_nn_reference.py).

    pool        MaxPool2D as 1-D max pools along W, then H
    lstm        the LSTM's gate activation and its per-step local derivatives
    batchnorm   batch statistics, normalisation and dx in cache-sized runs of the batch
"""
