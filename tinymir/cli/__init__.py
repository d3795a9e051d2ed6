"""The ``tinymir`` command line (installed as ``tinymir.cli``)."""
