"""A Sequential that runs its layers exactly in the declared order.

    y = f_L(… f_2(f_1(x))),    dx = J_1ᵀ(… J_Lᵀ dy)

(The fast :class:`tinymir.nn.Sequential` runs a ReLU that is followed by a max pool after the
pool, see :meth:`tinymir.nn.Sequential.run_order`; this one does not, which is how the tests
show that the reorder changes nothing.)
"""
from __future__ import annotations

from tinymir.nn import sequential as fast


class Sequential(fast.Sequential):
    def run_order(self) -> list[int]:
        return list(range(len(self.layers)))
