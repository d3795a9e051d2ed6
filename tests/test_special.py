"""tinymir.special (the one sigmoid and softmax of every model) against scipy.special,
extreme logits included."""
import numpy as np
import scipy.special

from tinymir import special


def test_sigmoid_softmax_logsumexp_match_scipy_on_extreme_logits():
    z = np.array([[-1000.0, 0.0, 1000.0], [-745.0, -30.0, 40.0], [1e-300, 2.0, -2.0]])
    with np.errstate(over="raise"):                     # never exponentiates a large number
        np.testing.assert_allclose(special.sigmoid(z), scipy.special.expit(z), rtol=1e-15,
                                   atol=1e-300)
        np.testing.assert_allclose(special.softmax(z, axis=1), scipy.special.softmax(z, axis=1),
                                   rtol=1e-14)
        np.testing.assert_allclose(special.log_softmax(z, axis=0),
                                   scipy.special.log_softmax(z, axis=0), rtol=1e-14)
        np.testing.assert_allclose(special.logsumexp(z, axis=1),
                                   scipy.special.logsumexp(z, axis=1), rtol=1e-15)
    assert special.logsumexp(z, axis=1, keepdims=True).shape == (3, 1)
