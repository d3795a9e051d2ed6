"""``cupyx.scipy.signal`` (CuPy 13 or later): ``resample_poly`` and ``savgol_filter`` with
CuPy's signatures."""
import scipy.signal as _signal
from cupy._core import forward


def resample_poly(x, up, down, axis=0, window=("kaiser", 5.0), padtype="constant", cval=None):
    return forward(_signal.resample_poly)(x, up, down, axis=axis, window=window,
                                          padtype=padtype, cval=cval)


def savgol_filter(x, window_length, polyorder, deriv=0, delta=1.0, axis=-1, mode="interp",
                  cval=0.0):
    return forward(_signal.savgol_filter)(x, window_length, polyorder, deriv=deriv, delta=delta,
                                          axis=axis, mode=mode, cval=cval)


def sosfilt(sos, x, axis=-1, zi=None):
    return forward(_signal.sosfilt)(sos, x, axis=axis, zi=zi)
