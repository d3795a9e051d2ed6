"""``cupyx.scipy``: SciPy's functions on stand-in device arrays, with CuPy's signatures."""
