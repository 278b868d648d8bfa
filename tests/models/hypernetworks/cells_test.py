"""The recurrent cells against NumPy references of the paper's equations."""

from absl.testing import absltest
from absl.testing import parameterized
import keras
import numpy as np
import tensorflow as tf

from models.hypernetworks import cells


def sig(v):
  return 1.0 / (1.0 + np.exp(-v))


def np_ln(x, gain, bias, eps=cells.LN_EPSILON):
  mean = x.mean(-1, keepdims=True)
  var = x.var(-1, keepdims=True)
  return (x - mean) / np.sqrt(var + eps) * gain + bias


def np_lstm(x, h, c, w_x, w_h, b, ln=None, mask=None):
  """LSTM with optional per-gate LN (ln = (gates gain, gates bias, c gain, c bias))."""
  n = h.shape[-1]
  gates = x @ w_x + h @ w_h + b
  if ln is not None:
    gates = np.concatenate([np_ln(gates[:, k * n:(k + 1) * n], ln[0][k * n:(k + 1) * n],
                                  ln[1][k * n:(k + 1) * n]) for k in range(4)], -1)
  i, g, f, o = np.split(gates, 4, -1)
  cand = np.tanh(g) * (1.0 if mask is None else mask)
  c = sig(f + 1.0) * c + sig(i) * cand
  c_out = c if ln is None else np_ln(c, ln[2], ln[3])
  return sig(o) * np.tanh(c_out), c


def np_hyperlstm(x, h, c, hh, hc, w, ln=False):
  """§3.2 eq. 8-12, one gate y at a time, written from the paper."""
  hyper_ln = (w["hyper_ln_gates"] + w["hyper_ln_c"]) if ln else None
  hh, hc = np_lstm(np.concatenate([x, h], -1), hh, hc, w["hyper_w_x"], w["hyper_w_h"],
                   w["hyper_b"], hyper_ln)
  n = h.shape[-1]
  nz = w["w_hz"].shape[1]
  pre = []
  for y in range(4):  # i, g, f, o
    cols = slice(y * nz, (y + 1) * nz)
    z_h = hh @ w["w_zh"][:, cols] + w["b_zh"][cols]  # eq. 10
    z_x = hh @ w["w_zx"][:, cols] + w["b_zx"][cols]
    z_b = hh @ w["w_zb"][:, cols]
    d_h = z_h @ w["w_hz"][y]  # eq. 11
    d_x = z_x @ w["w_xz"][y]
    b_y = z_b @ w["w_bz"][y] + w["b0"][y * n:(y + 1) * n]
    wh_y = w["w_h"][:, y * n:(y + 1) * n]
    wx_y = w["w_x"][:, y * n:(y + 1) * n]
    a = d_h * (h @ wh_y) + d_x * (x @ wx_y) + b_y  # eq. 12, before LN
    if ln:
      a = np_ln(a, w["ln_gates"][0][y * n:(y + 1) * n], w["ln_gates"][1][y * n:(y + 1) * n])
    pre.append(a)
  i, g, f, o = pre
  c = sig(f + 1.0) * c + sig(i) * np.tanh(g)
  c_out = np_ln(c, *w["ln_c"]) if ln else c
  return sig(o) * np.tanh(c_out), c, hh, hc


def _random_weights(cell, rng):
  for v in cell.weights:
    v.assign(rng.randn(*v.shape).astype(np.float32) * 0.5)


def _np_weights(cell):
  out = {}
  for k, v in cell.step_weights().items():
    out[k] = tuple(t.numpy().astype(np.float64) for t in v) if isinstance(v, tuple) \
        else v.numpy().astype(np.float64)
  return out


class LSTMStepTest(parameterized.TestCase):

  @parameterized.parameters(False, True)
  def test_matches_numpy(self, layer_norm):
    rng = np.random.RandomState(0)
    cell = cells.LayerNormLSTMCell(5, layer_norm=layer_norm)
    cell.build((None, 3))
    _random_weights(cell, rng)
    x, h, c = rng.randn(4, 3), rng.randn(4, 5), rng.randn(4, 5)
    out, (h1, c1) = cell(tf.constant(x, tf.float32),
                         [tf.constant(h, tf.float32), tf.constant(c, tf.float32)])
    ln = None
    if layer_norm:
      ln = tuple(v.numpy() for v in (cell.ln_gates_gain, cell.ln_gates_bias,
                                     cell.ln_c_gain, cell.ln_c_bias))
    h2, c2 = np_lstm(x, h, c, cell.w_x.numpy(), cell.w_h.numpy(), cell.b.numpy(), ln)
    np.testing.assert_allclose(out.numpy(), h2, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(c1.numpy(), c2, rtol=1e-4, atol=1e-5)

  def test_candidate_dropout_keeps_the_memory_path(self):
    """With every candidate dropped, c_t = sigmoid(f + 1) c_{t-1} exactly."""
    rng = np.random.RandomState(1)
    x, h, c = (tf.constant(rng.randn(2, n), tf.float32) for n in (3, 4, 4))
    w_x, w_h, b = (tf.constant(rng.randn(*s), tf.float32) for s in
                   ((3, 16), (4, 16), (16,)))
    _, c1 = cells.lstm_step(x, h, c, w_x, w_h, b, candidate_mask=tf.zeros([2, 4]))
    f = np.split((x.numpy() @ w_x.numpy() + h.numpy() @ w_h.numpy() + b.numpy()), 4,
                 -1)[2]
    np.testing.assert_allclose(c1.numpy(), sig(f + 1.0) * c.numpy(), rtol=1e-5)


class HyperLSTMStepTest(parameterized.TestCase):

  @parameterized.parameters(False, True)
  def test_one_step_matches_the_papers_equations(self, layer_norm):
    rng = np.random.RandomState(2)
    cell = cells.HyperLSTMCell(6, hyper_units=5, embedding_size=3,
                               layer_norm=layer_norm)
    cell.build((None, 4))
    _random_weights(cell, rng)
    x, h, c = rng.randn(2, 4), rng.randn(2, 6), rng.randn(2, 6)
    hh, hc = rng.randn(2, 5), rng.randn(2, 5)
    out, state = cell(tf.constant(x, tf.float32),
                      [tf.constant(a, tf.float32) for a in (h, c, hh, hc)])
    expected = np_hyperlstm(x, h, c, hh, hc, _np_weights(cell), ln=layer_norm)
    np.testing.assert_allclose(out.numpy(), expected[0], rtol=1e-4, atol=1e-5)
    for got, want in zip(state, expected):
      np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-5)

  def test_papers_initialisation(self):
    """Appendix A.2.3: z_h = z_x = 1 and d_h = d_x = 0.1 at the start; the bias
    path W_bz and b_0 starts at zero; W_h is orthogonal per gate."""
    keras.utils.set_random_seed(0)
    cell = cells.HyperLSTMCell(8, hyper_units=4, embedding_size=4)
    cell.build((None, 3))
    np.testing.assert_array_equal(cell.w_zh.numpy(), 0.0)
    np.testing.assert_array_equal(cell.b_zh.numpy(), 1.0)
    np.testing.assert_array_equal(cell.w_bz.numpy(), 0.0)
    np.testing.assert_array_equal(cell.b0.numpy(), 0.0)
    d_h = np.ones(4) @ cell.w_hz.numpy()[0]  # z_h = 1
    np.testing.assert_allclose(d_h, 0.1, rtol=1e-6)
    self.assertAlmostEqual(float(np.std(cell.w_zb.numpy())), 0.01, delta=0.005)
    block = cell.w_h.numpy()[:, :8]
    np.testing.assert_allclose(block.T @ block, np.eye(8), atol=1e-5)

  def test_in_keras_rnn_equals_a_python_loop(self):
    keras.utils.set_random_seed(3)
    cell = cells.HyperLSTMCell(6, hyper_units=4, embedding_size=2, layer_norm=True)
    rnn = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    x = tf.random.normal([3, 5, 4])
    outputs, *final = rnn(x)
    self.assertEqual(outputs.shape, (3, 5, 6))
    self.assertEqual([s.shape for s in final], [(3, 6), (3, 6), (3, 4), (3, 4)])
    state = cell.get_initial_state(3)
    for t in range(5):
      out, state = cell(x[:, t], state)
      np.testing.assert_allclose(outputs[:, t].numpy(), out.numpy(), rtol=1e-5,
                                 atol=1e-6)
    compiled = tf.function(lambda v: rnn(v)[0])(x)
    np.testing.assert_allclose(compiled.numpy(), outputs.numpy(), rtol=1e-5, atol=1e-6)

  def test_dropout_only_in_training_and_seeded(self):
    keras.utils.set_random_seed(4)
    cell = cells.HyperLSTMCell(32, hyper_units=4, recurrent_dropout=0.5)
    rnn = keras.layers.RNN(cell, return_sequences=True)
    x = tf.random.normal([2, 3, 4])
    inference = rnn(x).numpy()
    np.testing.assert_array_equal(rnn(x, training=False).numpy(), inference)
    cell.set_dropout_seed([1, 2])
    a = rnn(x, training=True).numpy()
    b = rnn(x, training=True).numpy()
    cell.set_dropout_seed([1, 3])
    other = rnn(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    self.assertFalse(np.allclose(a, inference))
    self.assertFalse(np.allclose(a, other))

  def test_errors_name_the_argument(self):
    with self.assertRaisesRegex(ValueError, "hyper_units=0"):
      cells.HyperLSTMCell(8, hyper_units=0)
    with self.assertRaisesRegex(ValueError, "recurrent_dropout=1.0"):
      cells.LayerNormLSTMCell(8, recurrent_dropout=1.0)
    with self.assertRaisesRegex(ValueError, "units=-1"):
      cells.LayerNormLSTMCell(-1)


if __name__ == "__main__":
  absltest.main()
