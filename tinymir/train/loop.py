"""The training loop: mini-batch gradient descent, one validation per epoch, resumable.

One step on a batch ``(x, y)``::

    z = model.forward(x, training=True)          # logits
    L = loss(z, y) + sum_l lambda_l ||W_l||^2    # data term + L2 penalties
    model.backward(dL/dz); optimizer.step()      # fills every param.grad, then updates

After each epoch the BatchNorm running statistics are re-estimated on training batches
(:func:`recalibrate_batchnorm`), then the loop validates, logs ``loss``, ``acc``, the
validation metrics, ``lr``, samples per second and the shares of time spent waiting for data
and augmenting, runs the callbacks, and saves the run state (weights, optimiser, callbacks,
augmentation generator, history) to ``state_path``. An ``augment`` hook
(:class:`tinymir.train.augment.Augmenter`) sees every training batch and nothing else.
:meth:`Trainer.fit`
with ``resume=True`` restores that state and carries on with the next epoch; batches are
shuffled from ``(seed, epoch)`` and Dropout's generators are part of the weights' state, so on
the CPU a resumed run is bit-for-bit the run that was not interrupted.

A non-finite loss, gradient or updated weight stops the run at once (Keras'
``TerminateOnNaN``) with :class:`Diverged` naming the epoch and batch; nothing of that epoch is
saved, so the state on disk stays the one after the last good epoch. The check adds no
device-to-host transfer: each step brings its loss terms, hits and one finiteness flag (all
gradients and weights, reduced on the device) over as one array.
"""
from __future__ import annotations

import functools
import operator
import sys
import time
from pathlib import Path

import numpy as np

from tinymir import backend, nn
from tinymir.progress import Progress, format_seconds

from .checkpoint import load_state, save_state

RECALIBRATION_BATCHES = 32


class Diverged(RuntimeError):
    """Training met a non-finite loss, gradient or weight; ``epoch`` and ``batch`` count
    from 1."""

    def __init__(self, epoch: int, batch: int, loss: float):
        self.epoch, self.batch = epoch, batch
        what = (f"non-finite loss ({loss})" if not np.isfinite(loss)
                else "non-finite gradient or weights")
        super().__init__(f"{what} at epoch {epoch}, batch {batch}: training stopped")


def recalibrate_batchnorm(model, batches, epoch: int, max_batches: int = RECALIBRATION_BATCHES):
    """Replace every BatchNorm's running statistics by their average over training batches
    computed with the current weights ("precise BN").

    A running average ``r <- m r + (1 - m) batch`` (Keras: m = 0.99) still remembers its
    initial (0, 1) and the early weights after a few dozen steps, which is all a small set
    gets, and inference with such statistics can be far from what training saw. Here batch k
    (from 0) uses ``m = k / (k + 1)``, so after the pass ``r = mean_k batch_k``. Only the
    BatchNorm layers run in training mode (Dropout is off, no random numbers are drawn) and no
    gradient is computed.

    Parameters
    ----------
    model : nn.Sequential
        The network; its BatchNorm layers' running statistics are replaced.
    batches : BatchIterator
        The training batches.
    epoch : int
        The epoch whose batch order is used.
    max_batches : int, default RECALIBRATION_BATCHES
        At most this many batches are averaged.
    """
    norms = [layer for layer in model.layers if isinstance(layer, nn.BatchNorm)]
    if not norms:
        return
    saved = [layer.momentum for layer in norms]
    try:
        for k, (h, _, _) in enumerate(batches.epoch(epoch)):
            if k == max_batches:
                break
            for layer in norms:
                layer.momentum = k / (k + 1)
            for index in model.run_order():
                layer = model.layers[index]
                h = layer.forward(h, training=isinstance(layer, nn.BatchNorm),
                                  keep_for_backward=False)
    finally:
        for layer, momentum in zip(norms, saved):
            layer.momentum = momentum


def all_finite(xp, arrays):
    """A device boolean: every element of every array is finite (no transfer to the host)."""
    return functools.reduce(operator.and_, (xp.isfinite(a).all() for a in arrays),
                            xp.asarray(True))


class Trainer:
    """Trains ``model`` with ``loss`` and ``optimizer``; see the module docstring.

    ``validate(model) -> dict`` returns the validation metrics of the epoch (``val_acc``,
    ``val_auc``, ``val_loss``, ...); ``callbacks`` is a dict ``name -> Callback``; ``augment``
    an :class:`~tinymir.train.augment.Augmenter` for the training batches (None: none).
    """

    def __init__(self, model, loss, optimizer, validate, callbacks: dict | None = None,
                 multilabel: bool = False, state_path=None, stream=None, progress: bool = True,
                 augment=None):
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.validate = validate
        self.callbacks = dict(callbacks or {})
        self.multilabel = multilabel
        self.state_path = Path(state_path) if state_path is not None else None
        self.stream = stream if stream is not None else sys.stderr
        self.progress = progress
        self.augment = augment
        self.history: list[dict] = []

    # -- one epoch ------------------------------------------------------------------------
    def train_epoch(self, batches, epoch: int, label: str = "") -> dict:
        """One pass over ``batches.epoch(epoch)``; returns loss, accuracy and timing."""
        xp = backend.xp()
        dtype = backend.float_dtype()
        total_loss = total_hits = seen = 0.0
        wait = compute = 0.0
        bar = Progress(batches.n_samples, unit="samples", label=label, stream=self.stream,
                       enabled=self.progress)
        start = tick = time.perf_counter()
        if self.augment:
            epoch_batches = self.augment.epoch_batches(batches, epoch)
            augmenting = time.perf_counter() - start
        else:
            epoch_batches, augmenting = batches.epoch(epoch), 0.0
        params = [p for _, p in self.model.parameters()]     # checked finite every step
        tick = time.perf_counter()
        for index, (x, y, _) in enumerate(epoch_batches):
            fetched = time.perf_counter()
            if self.augment:         # labels stay on the host (mixup mixes them there)
                x, y = self.augment(x, y)
            augmented = time.perf_counter()
            targets = backend.to_device(y, dtype if self.multilabel else None)
            got_batch = time.perf_counter()
            logits = self.model.forward(x, training=True)
            # host labels: the loss checks their range on the host, with no transfer back
            data_loss, penalty = self.loss.forward(logits, y), self.model.penalty()
            self.model.backward(self.loss.backward(), input_grad=False)
            finite = all_finite(xp, [p.grad for p in params])
            self.optimizer.step()
            finite = finite & all_finite(xp, [p.value for p in params])
            # one device -> host transfer per step (it also waits for the step to finish, so
            # the timing below is right): loss, penalty, hits, all finite
            step = backend.to_host(xp.stack([xp.asarray(v, dtype=dtype) for v in
                                             (data_loss, penalty,
                                              self._hits(xp, logits, targets), finite)]))
            batch_loss = float(step[0] + step[1])
            if not (np.isfinite(batch_loss) and step[3]):
                raise Diverged(epoch + 1, index + 1, batch_loss)
            n = int(x.shape[0])
            total_loss += batch_loss * n
            total_hits += float(step[2])
            seen += n
            now = time.perf_counter()
            wait += (fetched - tick) + (got_batch - augmented)
            augmenting += augmented - fetched
            compute += now - got_batch
            tick = now
            bar.advance(n)
        bar.close()
        elapsed = time.perf_counter() - start
        if not seen:
            raise ValueError("the training set produced no batches")
        logs = {"loss": total_loss / seen, "acc": total_hits / seen,
                "samples_per_s": seen / elapsed if elapsed else float("inf"),
                "data_share": wait / (wait + compute) if wait + compute else 0.0,
                "epoch_time": elapsed}
        if self.augment:
            logs["augment_share"] = augmenting / elapsed if elapsed else 0.0
        return logs

    def _hits(self, xp, logits, y):
        """Correct answers in a batch, per sample: the label (with mixed labels the larger
        share), or the share of tags right at threshold 0.5 (binary accuracy, which all-zeros
        answers can make look good)."""
        if self.multilabel:
            return ((logits > 0) == (y > 0.5)).mean(axis=1).sum()
        if y.ndim == 2:
            y = xp.argmax(y, axis=1)
        return (xp.argmax(logits, axis=1) == y).sum()

    # -- the run --------------------------------------------------------------------------
    def fit(self, batches, epochs: int, resume: bool = False) -> list[dict]:
        """Train until ``epochs`` epochs are done or a callback stops; returns the history."""
        start_epoch = self.load() + 1 if resume else 0
        if resume and self.history and self.history[-1].get("stopped"):
            if start_epoch >= epochs:
                self._say(f"run already finished at epoch {start_epoch} (early stopping); "
                          "a larger --epochs continues it")
                return self.history
            for callback in self.callbacks.values():    # asked for more: patience anew
                callback.restart()
        for epoch in range(start_epoch, epochs):
            logs = {"epoch": epoch + 1, "lr": float(self.optimizer.lr)}
            logs.update(self.train_epoch(batches, epoch, label=f"epoch {epoch + 1}/{epochs}"))
            recalibrate_batchnorm(self.model, batches, epoch)
            logs.update(self.validate(self.model))
            stop = False
            for callback in self.callbacks.values():
                stop = callback.on_epoch_end(epoch + 1, logs) or stop
            logs["stopped"] = stop
            self.history.append(logs)
            self.save()
            left = np.mean([h["epoch_time"] for h in self.history]) * (epochs - epoch - 1)
            self._say(self.describe(logs) + (f"  ~{format_seconds(left)} left"
                                             if not stop and epoch + 1 < epochs else ""))
            if stop:
                self._say(f"stopping early after epoch {epoch + 1}")
                break
        return self.history

    @staticmethod
    def describe(logs: dict) -> str:
        shown = [f"epoch {logs['epoch']}"]
        for key, value in logs.items():
            if key in ("epoch", "stopped", "epoch_time") or not isinstance(value, float):
                continue
            shown.append(f"{key} {value:.4g}")
        return "  ".join(shown)

    def _say(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    # -- resumable state ------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {"epoch": len(self.history) and self.history[-1]["epoch"],
                "model": self.model.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "callbacks": {name: cb.state_dict() for name, cb in self.callbacks.items()},
                "augment": self.augment.state_dict() if self.augment else None,
                "history": self.history}

    def save(self) -> None:
        if self.state_path is not None:
            save_state(self.state_path, self.state_dict())

    def load(self) -> int:
        """Restore the state saved after the last completed epoch; returns that epoch index
        (0-based), or -1 when the state holds no epoch yet."""
        state = load_state(self.state_path)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        for name, cb in self.callbacks.items():
            cb.load_state_dict(state["callbacks"][name])
        if self.augment:
            self.augment.load_state_dict(state.get("augment") or {})
        self.history = list(state["history"])
        return int(state["epoch"]) - 1
