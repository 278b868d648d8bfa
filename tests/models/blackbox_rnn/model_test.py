"""The RNN optimizer: LSTM and memory math against NumPy, its inputs, its box."""

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from models.blackbox_rnn import model as model_lib


def _sig(v):
  return 1.0 / (1.0 + np.exp(-v))


def _np_lstm(x, h, c, kernel, bias):
  z = np.concatenate([x, h], -1) @ kernel + bias
  i, f, g, o = np.split(z, 4, axis=-1)
  c = _sig(f) * c + _sig(i) * np.tanh(g)
  return _sig(o) * np.tanh(c), c


def _observe(values, points):
  """Features of the last of `values` (observed at `points`) after all of them."""
  b = values.shape[1]
  stats = model_lib.initial_stats(b)
  for y, x in zip(values, points):
    features, stats = model_lib.observation_features(
        stats, tf.constant(x, tf.float32), tf.constant(y, tf.float32), horizon=10)
  return features.numpy(), stats


class MathTest(absltest.TestCase):

  def test_lstm_step_matches_numpy(self):
    rng = np.random.RandomState(0)
    x, h, c = rng.randn(5, 3), rng.randn(5, 4), rng.randn(5, 4)
    kernel, bias = rng.randn(7, 16), rng.randn(16)
    h1, c1 = model_lib.lstm_step(*(tf.constant(a, tf.float32)
                                   for a in (x, h, c, kernel, bias)))
    h2, c2 = _np_lstm(x, h, c, kernel, bias)
    np.testing.assert_allclose(h1.numpy(), h2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c1.numpy(), c2, rtol=1e-5, atol=1e-6)

  def test_observation_features_by_hand(self):
    # Values 3, 1, 2 at points (0.1, 0.2), (0.5, 0.9), (1.0, 0.0).
    values = np.array([[3.0], [1.0], [2.0]])
    points = np.array([[[0.1, 0.2]], [[0.5, 0.9]], [[1.0, 0.0]]])
    features, stats = _observe(values, points)
    mean, std = 2.0, np.std([3.0, 1.0, 2.0])
    expected = [1.0, -1.0,                       # 2 x - 1
                (2.0 - mean) / std,              # the value, standardised
                (2.0 - 1.0) / std,               # above the best before it
                (1.0 - mean) / std,              # the best, standardised
                3 / 10]                          # queries / horizon
    np.testing.assert_allclose(features[0], expected, rtol=1e-5, atol=1e-6)
    self.assertEqual(float(stats["best"][0]), 1.0)

  def test_first_observation_has_no_spread(self):
    features, _ = _observe(np.array([[5.0]]), np.array([[[0.5, 0.5]]]))
    np.testing.assert_allclose(features[0], [0, 0, 0, 0, 0, 0.1], atol=1e-7)

  def test_features_do_not_change_under_affine_maps_of_f(self):
    rng = np.random.RandomState(1)
    values = rng.randn(6, 4)
    points = rng.rand(6, 4, 3)
    base, _ = _observe(values, points)
    scaled, _ = _observe(1e3 * values - 7.0, points)
    np.testing.assert_allclose(base, scaled, rtol=1e-3, atol=1e-4)

  def test_features_are_clipped(self):
    values = np.array([[0.0], [0.0], [0.0], [0.0], [1e6]])
    features, _ = _observe(values, np.full([5, 1, 2], 0.5))
    self.assertLessEqual(np.abs(features).max(), model_lib.FEATURE_CLIP)

  def test_memory_read_matches_numpy(self):
    rng = np.random.RandomState(2)
    q, k, v = rng.randn(2, 3, 4), rng.randn(2, 5, 3, 4), rng.randn(2, 5, 3, 6)
    mask = np.array([[1, 1, 1, 0, 0], [0, 0, 0, 0, 0]], np.float64)
    read = model_lib.memory_read(*(tf.constant(a) for a in (q, k, v, mask))).numpy()
    logits = np.einsum("hk,mhk->hm", q[0], k[0, :3]) / 2.0
    w = np.exp(logits - logits.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    np.testing.assert_allclose(read[0], np.einsum("hm,mhv->hv", w, v[0, :3]).ravel(),
                               rtol=1e-10)
    np.testing.assert_array_equal(read[1], np.zeros(18))  # Nothing written yet.


class NetworkTest(parameterized.TestCase):

  @parameterized.parameters(0, 2)
  def test_proposals_stay_in_the_box(self, heads):
    net = model_lib.BlackboxRNN(dim=3, hidden_sizes=(8,), horizon=5, memory_heads=heads)
    for w in net.weights:  # Huge weights saturate the sigmoid: still in [0, 1].
      w.assign(w * 50.0)
    state = net.initial_state(4)
    x, state = net.step(state)
    rng = np.random.RandomState(0)
    for _ in range(4):
      y = tf.constant(rng.randn(4) * 1e8, tf.float32)
      x, state = net.step(state, x, y)
      self.assertTrue(np.all((x.numpy() >= 0.0) & (x.numpy() <= 1.0)))
      self.assertTrue(np.all(np.isfinite(x.numpy())))

  def test_step_matches_numpy(self):
    net = model_lib.BlackboxRNN(dim=2, hidden_sizes=(5, 4), horizon=10)
    x0, state = net.step(net.initial_state(1))
    x1, _ = net.step(state, x0, tf.constant([0.7]))
    # NumPy: zero input first, then the features of (x0, 0.7).
    h = [np.zeros((1, 5)), np.zeros((1, 4))]
    c = [np.zeros((1, 5)), np.zeros((1, 4))]
    features, _ = _observe(np.array([[0.7]]), x0.numpy()[None])
    outs = []
    for inputs in (np.zeros((1, 6)), features):
      for i, cell in enumerate(net.cells):
        h[i], c[i] = _np_lstm(inputs, h[i], c[i], cell.kernel.numpy(), cell.bias.numpy())
        inputs = h[i]
      outs.append(_sig(inputs @ net.head.kernel.numpy() + net.head.bias.numpy()))
    np.testing.assert_allclose(x0.numpy(), outs[0], rtol=1e-5)
    np.testing.assert_allclose(x1.numpy(), outs[1], rtol=1e-5)

  def test_memory_holds_the_queries(self):
    net = model_lib.BlackboxRNN(dim=2, hidden_sizes=(6,), memory_heads=2)
    state = net.initial_state(3, capacity=4)
    x, state = net.step(state)
    first = x
    x, state = net.step(state, x, tf.constant([1.0, 2.0, 3.0]))
    x, state = net.step(state, x, tf.constant([4.0, 5.0, 6.0]))
    np.testing.assert_array_equal(state["memory_mask"].numpy()[0], [1, 1, 0, 0])
    np.testing.assert_allclose(state["memory_x"].numpy()[:, 0], first.numpy())
    np.testing.assert_allclose(state["memory_y"].numpy()[:, :2],
                               [[1, 4], [2, 5], [3, 6]])
    self.assertEqual(state["read"].shape, (3, 32))

  def test_compiled_equals_eager(self):
    net = model_lib.BlackboxRNN(dim=2, memory_heads=2)

    def run():
      state = net.initial_state(3)
      x, state = net.step(state)
      return net.step(state, x, tf.constant([0.1, -0.2, 0.3]))[0]

    np.testing.assert_allclose(run().numpy(), tf.function(run)().numpy(), rtol=1e-6)

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, "received: dim=0"):
      model_lib.BlackboxRNN(dim=0)
    with self.assertRaisesRegex(ValueError, "received: -1"):
      model_lib.BlackboxRNN(memory_heads=-1)


if __name__ == "__main__":
  absltest.main()
