"""Tests of the LSTM optimizer network against hand computations and NumPy."""

import math

from absl.testing import absltest
import numpy as np
import tensorflow as tf

from models.l2l_lstm import model as model_lib


def _np_lstm(x, h, c, kernel, bias):
  sig = lambda v: 1.0 / (1.0 + np.exp(-v))
  z = np.concatenate([x, h], -1) @ kernel + bias
  i, f, g, o = np.split(z, 4, axis=-1)
  c = sig(f) * c + sig(i) * np.tanh(g)
  return sig(o) * np.tanh(c), c


class LogAndSignTest(absltest.TestCase):

  def test_hand_values(self):
    g = tf.constant([1.0, -0.1, 0.0, 1e-30, 200.0, 1e-3])
    out = model_lib.log_and_sign(g, k=5.0).numpy()
    # log|g| / 5 is clamped below at -1 (|g| < e^-5 = 6.7e-3).
    expected_log = [0.0, math.log(0.1) / 5, -1.0, -1.0, math.log(200.0) / 5, -1.0]
    # g e^5 is clipped to [-1, 1] (|g| > 6.7e-3).
    expected_sign = [1.0, -1.0, 0.0, 1e-30 * math.exp(5), 1.0, 1e-3 * math.exp(5)]
    np.testing.assert_allclose(out[:, 0], expected_log, rtol=1e-5)
    np.testing.assert_allclose(out[:, 1], expected_sign, rtol=1e-5, atol=1e-12)


class NetworkTest(absltest.TestCase):

  def test_lstm_step_matches_numpy(self):
    rng = np.random.RandomState(0)
    x, h, c = rng.randn(5, 2), rng.randn(5, 3), rng.randn(5, 3)
    kernel, bias = rng.randn(5, 12), rng.randn(12)
    h1, c1 = model_lib.lstm_step(*(tf.constant(a, tf.float32)
                                   for a in (x, h, c, kernel, bias)))
    h2, c2 = _np_lstm(x, h, c, kernel, bias)
    np.testing.assert_allclose(h1.numpy(), h2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c1.numpy(), c2, rtol=1e-5, atol=1e-6)

  def test_forward_matches_numpy_and_is_coordinatewise(self):
    net = model_lib.CoordinatewiseLSTM(hidden_sizes=(4, 3), output_scale=0.5)
    grads = tf.constant([0.3, -2.0, 1e-4], tf.float32)
    state = net.initial_state(3)
    update, new_state = net(grads, state)
    self.assertEqual(update.shape, (3,))
    self.assertEqual([s[0].shape for s in new_state], [(3, 4), (3, 3)])
    # NumPy reference of the whole network.
    x = model_lib.log_and_sign(grads).numpy()
    for cell in net.cells:
      x, _ = _np_lstm(x, np.zeros((3, cell.units)), np.zeros((3, cell.units)),
                      cell.kernel.numpy(), cell.bias.numpy())
    expected = 0.5 * (x @ net.head.kernel.numpy() + net.head.bias.numpy())[:, 0]
    np.testing.assert_allclose(update.numpy(), expected, rtol=1e-5, atol=1e-7)
    # Each coordinate alone gives the same update: weights shared, state separate.
    single, _ = net(grads[1:2], net.initial_state(1))
    self.assertAlmostEqual(float(single[0]), float(update[1]), places=6)

  def test_forget_gate_bias_starts_at_one(self):
    net = model_lib.CoordinatewiseLSTM(hidden_sizes=(5,))
    np.testing.assert_array_equal(net.cells[0].bias.numpy()[5:10], np.ones(5))

  def test_compiled_equals_eager(self):
    net = model_lib.CoordinatewiseLSTM()
    grads = tf.random.normal([7])
    eager, _ = net(grads, net.initial_state(7))
    compiled, _ = tf.function(lambda g: net(g, net.initial_state(7)))(grads)
    np.testing.assert_allclose(eager.numpy(), compiled.numpy(), rtol=1e-6)

  def test_bad_preprocess(self):
    with self.assertRaisesRegex(ValueError, "received: 'tanh'"):
      model_lib.CoordinatewiseLSTM(preprocess="tanh")


if __name__ == "__main__":
  absltest.main()
