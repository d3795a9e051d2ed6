"""The tuned parts of the layers, which a reader learning the formulas can skip.

Each layer in :mod:`tinymir.nn` states its formula in its docstring and its ``_forward`` /
``_backward`` read like it; where a trick was needed to be fast (GEMM schedules for the
convolution, separable max pools with small arg-max codes, one ``tanh`` for the four LSTM
gates, passes over cache-sized blocks of the batch, a ReLU moved after its max pool), the layer
calls a named function from here. Every kernel is tested equal to the plain twin of its layer
in :mod:`tinymir.nn.reference`, on random and tie-heavy inputs and at every block size
(tests/test_nn_reference.py); each module's docstring names the bench that measures its gain.

    conv        Conv2D as GEMMs on im2col columns: a CPU and a GPU schedule, dx as a full
                correlation, the columns of that correlation built in blocks
    pool        MaxPool2D as 1-D max pools along H, then W
    lstm        the LSTM's weights rescaled for one tanh, its gate activation and its per-step
                local derivatives
    batchnorm   batch statistics, normalisation and dx in cache-sized blocks of the batch
    relu        ReLU and its mask over cache-sized runs, on every core
    elu         ELU and its slope in one pass over cache-sized blocks, with a vectorised exp
    dropout     Dropout's counter-based mask drawn and applied block by block
    adam        Adam's update of each parameter in one pass over cache-sized runs
    fusion      how a Sequential runs its layers: a ReLU after the max pool it precedes, a
                Conv2D straight into the MaxPool2D that follows it (CPU)
    blocks      the cache-sized blocks of the batch the CPU kernels work on: whole samples,
                a sample cut along an axis, or runs of elements
"""
