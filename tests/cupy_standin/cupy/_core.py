"""The stand-in's array: a NumPy array that behaves as a CuPy array where code usually goes wrong.

* ``np.asarray(dev)`` / ``__array__`` raise TypeError (CuPy: "Implicit conversion to a NumPy
  array is not allowed"); the host copy is ``dev.get()`` or ``cupy.asnumpy(dev)``.
* A NumPy array (or a list) as an operand of a device operation raises TypeError, whichever
  side it is on (``dev + host``, ``host * dev``, ``cupy.maximum(dev, host)``). Python and NumPy
  scalars are fine, as in CuPy; so are host index arrays and host values in ``dev[i] = v``.
* Reductions and scalar indexing return 0-d device arrays, never Python or NumPy scalars.
* Every device-to-host transfer is counted in :data:`counter`: ``float() int() bool()
  .item() .get() .tolist()``, formatting, pickling, ``Stream.synchronize()``, and the operations
  whose result size depends on the data (boolean-mask indexing, ``nonzero``, ``unique``, ...),
  which CuPy can only size by reading the device.
* Python scalars in ufuncs and operators follow CuPy 13's value-based rule
  (:func:`cupy13_scalars`): ``float32_array / 65536`` is float64, as on CuPy 13, where NumPy 2
  (and CuPy 14, NEP 50) keep float32. NumPy scalars keep NumPy 2's rule (``np.float64(2) *
  float32_array`` is float64, as on CuPy 14). So a result is float64 when either CuPy would
  make it so.
* :func:`record_dtypes` lists the float64 / complex128 arrays created inside a block, with the
  line of tinymir that made each: a float32 run must create none.
"""
from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading

import numpy as np

from . import _memory, _names


class Counter(threading.local):
    """Device-to-host synchronisations so far (``syncs``) and what caused them (``causes``)."""

    def __init__(self):
        self.syncs = 0
        self.causes: dict[str, int] = {}

    def add(self, cause: str) -> None:
        self.syncs += 1
        self.causes[cause] = self.causes.get(cause, 0) + 1


counter = Counter()
# numpy functions whose output size depends on the data: CuPy reads the device to size them
DATA_DEPENDENT = {"nonzero", "flatnonzero", "argwhere", "unique", "compress", "extract",
                  "count_nonzero_shape", "intersect1d", "setdiff1d", "union1d"}
HOST_MIX = ("Unsupported type {}: a NumPy array (or list) cannot be an operand of a device "
            "operation; move it with cupy.asarray first (the CuPy stand-in is strict as CuPy)")


def unwrap(obj, host_ok: bool = False):
    """Stand-in arrays -> their NumPy arrays, inside lists, tuples and dicts too. A NumPy array
    met on the way raises TypeError unless ``host_ok`` (creation and indexing)."""
    if isinstance(obj, ndarray):
        return obj._a
    if isinstance(obj, np.ndarray):
        if not host_ok:
            raise TypeError(HOST_MIX.format(type(obj)))
        return obj
    if isinstance(obj, (list, tuple)):
        return type(obj)(unwrap(item, host_ok) for item in obj)
    if isinstance(obj, dict):
        return {key: unwrap(value, host_ok) for key, value in obj.items()}
    return obj


def wrap(obj):
    """NumPy results -> stand-in arrays (NumPy scalars become 0-d device arrays)."""
    if isinstance(obj, np.ndarray):
        return ndarray(obj)
    if isinstance(obj, np.generic):
        return ndarray(np.asarray(obj))
    if isinstance(obj, tuple) and type(obj) is not tuple:      # named tuples (e.g. unique)
        return type(obj)(*(wrap(item) for item in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(wrap(item) for item in obj)
    return obj


def forward(func, name: str | None = None, host_ok: bool = False):
    """``func`` (a NumPy function) taking and returning stand-in arrays."""
    name = name or getattr(func, "__name__", "")
    data_dependent = name in DATA_DEPENDENT

    @functools.wraps(func)
    def call(*args, **kwargs):
        if data_dependent:
            counter.add(name)
        return wrap(func(*unwrap(args, host_ok), **unwrap(kwargs, host_ok)))
    return call


class ufunc:
    """A NumPy ufunc on stand-in arrays, with its ``at``/``reduce``/``outer`` methods."""

    def __init__(self, np_ufunc):
        self._u = np_ufunc
        self.__name__ = np_ufunc.__name__

    def __call__(self, *args, **kwargs):
        return _apply(self._u, "__call__", args, kwargs)

    def __getattr__(self, method):
        if method not in ("at", "reduce", "accumulate", "outer", "reduceat"):
            return getattr(self._u, method)
        return lambda *args, **kwargs: _apply(self._u, method, args, kwargs)


# -- CuPy 13's dtype rule for Python scalars ----------------------------------------------------
# From CuPy v13's cupy/_core/_kernel.pyx: ``ufunc.guess_routine`` calls
# ``_check_should_use_min_scalar(in_args)``: when the operands mix arrays and scalars and the
# highest kind among the arrays (bool < int/uint < float < complex, ``_get_kind_score``) is at
# least the highest among the scalars, each scalar's type is ``_min_scalar_type(value)``
# (``numpy.min_scalar_type``, and for a non-negative int also the signed type of that size),
# and the routine is the first loop of the ufunc whose inputs those types ``numpy.can_cast`` to
# safely (``_guess_routine_from_in_types``). So ``float32 / 65535`` runs the ``ff->f`` loop
# (uint16 casts safely to float32) but ``float32 / 65536`` the ``dd->d`` loop (uint32 and int32
# do not): a float64 result. Otherwise each scalar counts with its own dtype (a Python int as
# int64, a float as float64, a complex as complex128). CuPy 14 adopted NEP 50 (weak Python
# scalars, cupy/cupy#8323), as NumPy 2 did.
_KIND_SCORE = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_PY_SCALARS = {int: np.int64, float: np.float64, complex: np.complex128}
_LOOP_CHARS = set("?bBhHiIlLqQefdFD")


def _min_scalar_types(value) -> tuple:
    kind = np.min_scalar_type(value)
    if kind.kind == "u":
        signed = np.dtype(kind.char.lower())
        if value <= np.iinfo(signed).max:
            return kind, signed
    return (kind,)


def cupy13_scalars(np_ufunc, operands: tuple) -> tuple:
    """``operands`` (NumPy arrays and scalars) with each Python scalar replaced by the NumPy
    scalar of the type CuPy 13 would compute it in (see above); the rest as they are."""
    python = [i for i, v in enumerate(operands) if type(v) in _PY_SCALARS]
    arrays = [v for v in operands if isinstance(v, np.ndarray)]
    if not python or not arrays:
        return operands
    scalar_kinds = [np.asarray(v).dtype.kind for v in operands
                    if type(v) in _PY_SCALARS or isinstance(v, np.generic)]
    if max(_KIND_SCORE.get(a.dtype.kind, 4) for a in arrays) < max(
            _KIND_SCORE.get(k, 4) for k in scalar_kinds):
        return tuple(_PY_SCALARS[type(v)](v) if i in python else v
                     for i, v in enumerate(operands))
    try:
        in_types = [_min_scalar_types(v) if i in python else (np.asarray(v).dtype,)
                    for i, v in enumerate(operands)]
    except (TypeError, ValueError, OverflowError):
        return operands
    for loop in np_ufunc.types:
        chars = loop.split("->")[0]
        if len(chars) != len(operands) or not set(chars) <= _LOOP_CHARS:
            continue
        if all(any(np.can_cast(t, c) for t in types) for types, c in zip(in_types, chars)):
            return tuple(np.dtype(chars[i]).type(v) if i in python else v
                         for i, v in enumerate(operands))
    return operands


# -- arrays of a dtype a float32 run must not create -------------------------------------------
class DtypeLog:
    """The float64 / complex128 arrays created while :func:`record_dtypes` is active."""

    def __init__(self):
        self.active = 0
        self.seen: list[tuple[str, tuple, str]] = []     # (dtype, shape, where)


dtype_log = DtypeLog()
WIDE = (np.dtype(np.float64), np.dtype(np.complex128))
_HERE = os.path.dirname(os.path.abspath(__file__))


@contextlib.contextmanager
def record_dtypes():
    """``with standin.record_dtypes() as seen:`` -> ``seen``: (dtype, shape, where) of every
    float64 or complex128 device array created in the block; ``where`` is the first line
    outside the stand-in and NumPy/SciPy that asked for it (a tinymir line when there is one)."""
    start = len(dtype_log.seen)
    dtype_log.active += 1
    seen: list = []
    try:
        yield seen
    finally:
        dtype_log.active -= 1
        seen.extend(dtype_log.seen[start:])
        if not dtype_log.active:
            dtype_log.seen.clear()


def _where() -> str:
    frame, first = sys._getframe(2), None
    while frame is not None:
        path = frame.f_code.co_filename
        if not path.startswith(_HERE) and f"{os.sep}numpy{os.sep}" not in path \
                and f"{os.sep}scipy{os.sep}" not in path:
            spot = f"{path}:{frame.f_lineno} ({frame.f_code.co_name})"
            if f"{os.sep}tinymir{os.sep}" in path:
                return spot
            first = first or spot
        frame = frame.f_back
    return first or "?"


def _apply(np_ufunc, method, args, kwargs):
    out = kwargs.get("out")
    if out is not None:
        out = out if isinstance(out, tuple) else (out,)
        if not all(isinstance(o, ndarray) for o in out):
            raise TypeError(HOST_MIX.format("out=" + ", ".join(type(o).__name__ for o in out)))
        kwargs = {**kwargs, "out": tuple(o._a for o in out)}
    if method == "at":          # a.at(dev, indices, values): indices may come from the host
        target, indices, *rest = args
        args = (unwrap(target), unwrap(indices, host_ok=True), *unwrap(tuple(rest)))
    else:                       # ufuncs take device arrays and scalars, not lists (as CuPy)
        args = tuple(_scalar_operand(a) for a in args)
        if method == "__call__":
            args = cupy13_scalars(np_ufunc, args)
    result = getattr(np_ufunc, method)(*args, **kwargs)
    if out is not None:
        return out[0] if len(out) == 1 else out
    return wrap(result)


def _scalar_operand(other):
    """An operand of an arithmetic operator: a device array or a scalar, nothing from the host."""
    if isinstance(other, ndarray):
        return other._a
    if isinstance(other, (np.ndarray, list, tuple)):
        raise TypeError(HOST_MIX.format(type(other)))
    return other


def _binary(np_ufunc):
    def op(self, other):
        return wrap(np_ufunc(*cupy13_scalars(np_ufunc, (self._a, _scalar_operand(other)))))

    def rop(self, other):
        return wrap(np_ufunc(*cupy13_scalars(np_ufunc, (_scalar_operand(other), self._a))))

    def iop(self, other):
        np_ufunc(*cupy13_scalars(np_ufunc, (self._a, _scalar_operand(other))), out=self._a,
                 casting="same_kind")
        return self
    return op, rop, iop


def _synced(cause):
    def method(self, *args, **kwargs):
        counter.add(cause)
        return getattr(self._a, cause)(*args, **kwargs)
    method.__name__ = cause
    return method


def _index(key):
    """An index: stand-in arrays unwrapped; host index arrays are fine (CuPy copies them)."""
    return unwrap(key, host_ok=True)


def _is_mask(key) -> bool:
    keys = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, (ndarray, np.ndarray)) and k.dtype == bool for k in keys)


class ndarray:
    """A device array of the CuPy stand-in (see the module docstring)."""

    __slots__ = ("_a",)
    __array_priority__ = 1000
    __hash__ = None

    def __init__(self, array, dtype=None):
        if not isinstance(array, np.ndarray):           # cupy.ndarray(shape, dtype)
            array = np.empty(array, dtype=dtype or np.float64)
        if array.base is None:                          # owns its memory: a new allocation
            _memory.get_default_memory_pool().malloc(array.nbytes)
        if dtype_log.active and array.dtype in WIDE:
            dtype_log.seen.append((array.dtype.name, array.shape, _where()))
        self._a = array

    # -- the host boundary ------------------------------------------------------------
    def __array__(self, *args, **kwargs):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def get(self, stream=None, order="C", out=None, blocking=True):
        counter.add("get")
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, order=order)

    def set(self, arr, stream=None):
        self._a[...] = arr

    __bool__, __float__, __int__, __complex__ = (_synced("__bool__"), _synced("__float__"),
                                                 _synced("__int__"), _synced("__complex__"))
    item, tolist = _synced("item"), _synced("tolist")

    def __index__(self):
        counter.add("__index__")
        return self._a.__index__()

    def __format__(self, spec):
        counter.add("format")
        return format(self._a.item() if self._a.ndim == 0 else self._a, spec)

    def __repr__(self):
        return repr(self._a).replace("array(", "cupy.ndarray(", 1)

    def __str__(self):
        return str(self._a)

    def __reduce__(self):
        counter.add("pickle")
        return (ndarray, (self._a.copy(),))

    # -- NumPy's protocols: np.f(dev) runs on the device, mixing with host arrays raises -----
    def __array_ufunc__(self, np_ufunc, method, *inputs, **kwargs):
        return _apply(np_ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return forward(func)(*args, **kwargs)

    # -- Python protocols -------------------------------------------------------------
    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (ndarray(self._a[i:i + 1].reshape(self._a.shape[1:])) for i in range(len(self._a)))

    def __getitem__(self, key):
        if _is_mask(key):
            counter.add("boolean mask")
        return wrap(self._a[_index(key)])

    def __setitem__(self, key, value):
        self._a[_index(key)] = unwrap(value, host_ok=True)

    def __copy__(self):
        return ndarray(self._a.copy())

    def __deepcopy__(self, memo):
        return ndarray(self._a.copy())

    def __neg__(self):
        return wrap(-self._a)

    def __pos__(self):
        return wrap(+self._a)

    def __abs__(self):
        return wrap(abs(self._a))

    def __invert__(self):
        return wrap(~self._a)

    # -- attributes and methods: NumPy's, on the device ---------------------------------
    def __getattr__(self, name):
        if name.startswith("__"):       # no __array_interface__ & co: the host cannot peek
            raise AttributeError(name)
        _names.check("cupy.ndarray", name)
        value = getattr(self._a, name)
        if callable(value):
            return forward(value, name)
        return wrap(value)

    @property
    def T(self):
        return ndarray(self._a.T)

    def nonzero(self):
        counter.add("nonzero")
        return wrap(self._a.nonzero())

    def argpartition(self, kth, axis=-1):
        """A full stable sort, as CuPy's (see ``cupy.argpartition``)."""
        return ndarray(np.argsort(self._a, axis=axis, kind="stable"))


for _name in ("shape", "dtype", "ndim", "size", "nbytes", "itemsize", "strides", "flags"):
    setattr(ndarray, _name, property(lambda self, name=_name: getattr(self._a, name)))
for _name, _ufunc in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
                      ("truediv", np.true_divide), ("floordiv", np.floor_divide),
                      ("mod", np.remainder), ("pow", np.power), ("matmul", np.matmul),
                      ("and", np.bitwise_and), ("or", np.bitwise_or), ("xor", np.bitwise_xor),
                      ("lshift", np.left_shift), ("rshift", np.right_shift)]:
    _op, _rop, _iop = _binary(_ufunc)
    setattr(ndarray, f"__{_name}__", _op)
    setattr(ndarray, f"__r{_name}__", _rop)
    setattr(ndarray, f"__i{_name}__", _iop)
for _name, _ufunc in [("eq", np.equal), ("ne", np.not_equal), ("lt", np.less),
                      ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)]:
    setattr(ndarray, f"__{_name}__", _binary(_ufunc)[0])
