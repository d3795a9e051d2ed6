"""The input gradient every explanation rests on: ``model.backward(g, input_grad=True)`` of every
zoo architecture against central differences in float64, and the regulariser's gradient."""
import numpy as np
import pytest

from tinymir import backend, models
from tinymir.explain import represent

#: Smaller inputs than the zoo's defaults where an architecture allows them (speed).
SMALL = {"cnn3": dict(n_mels=16, segment=0.75), "ffnn": dict(n_mels=16, segment=0.75),
         "cnn4": dict(n_mels=32, segment=1.5), "lstm": dict(n_mfcc=13, segment=0.75),
         "fma_cnn": dict(segment=3.0), "crnn": dict(segment=3.0)}


def directional_checks(f, x, grad, rng, directions=3, eps=1e-5):
    """Relative errors of ``<grad, v>`` against ``(f(x + eps v) - f(x - eps v)) / 2 eps`` for
    random unit directions ``v`` and for the three coordinates of largest gradient."""
    errors = []
    largest = np.argsort(-np.abs(grad).ravel())[:3]
    for k in range(directions + 3):
        v = np.zeros(x.shape)
        if k < directions:
            v = rng.standard_normal(x.shape)
            v /= np.linalg.norm(v)
        else:
            v.flat[largest[k - directions]] = 1.0
        numeric = (f(x + eps * v) - f(x - eps * v)) / (2 * eps)
        analytic = float((grad * v).sum())
        errors.append(abs(numeric - analytic) / max(abs(numeric) + abs(analytic), 1e-9))
    return errors


#: cnn6 and cnn7 only add 1x1 convolutions to cnn5's blocks: checked in the slow run.
CASES = [pytest.param(name, "logit", False, marks=pytest.mark.slow)
         if name in ("cnn6", "cnn7") else (name, "logit", False) for name in models.ARCHS] + [
    ("cnn3", "logprob", False), ("cnn3", "logprob", True), ("lstm", "logprob", False)]


@pytest.mark.parametrize("name, objective, multilabel", CASES)
def test_input_gradient_of_every_zoo_model(name, objective, multilabel):
    rng = np.random.default_rng(0)
    with backend.default_dtype(np.float64):
        front = models.default_front(name).replace(**SMALL.get(name, {}))
        model = models.build(name, 3, front, seed=1)
        x = rng.standard_normal((2,) + front.input_shape)
        classes = np.array([0, 2])

        def f(value):
            score, _ = represent.class_scores(model.forward(backend.to_device(value),
                                                            training=False), classes, objective,
                                               multilabel)
            return float(backend.to_host(score).sum())

        _, grad = represent.input_gradient(model, backend.to_device(x), classes, objective,
                                            multilabel)
        errors = directional_checks(f, x, backend.to_host(grad), rng)
    assert max(errors) < 1e-5, errors


def test_penalty_gradient_is_the_derivative_of_the_penalties():
    rng = np.random.default_rng(1)
    settings = represent.Settings(l2=0.3, tv_time=0.7, tv_freq=0.2)
    x = rng.standard_normal((2, 1, 5, 7))

    def f(value):
        return (settings.l2 * (value ** 2).sum() + settings.tv_time * np.abs(
            np.diff(value, axis=-1)).sum() + settings.tv_freq * np.abs(
            np.diff(value, axis=-2)).sum())

    grad = represent.penalty_gradient(x, settings)
    assert max(directional_checks(f, x, grad, rng)) < 1e-6
