"""SNAIL's blocks: NumPy references, causality, dilations, attention, cached inference."""

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from models.snail import layers
from models.snail import model as model_lib


def _np_causal_conv(x, kernel, bias, dilation):
  out = np.zeros(x.shape[:2] + (kernel.shape[-1],))
  for t in range(x.shape[1]):
    past = x[:, t - dilation] if t >= dilation else np.zeros_like(x[:, t])
    out[:, t] = past @ kernel[0] + x[:, t] @ kernel[1] + bias
  return out


def _np_attention(x, wq, bq, wk, bk, wv, bv):
  """Loops over query steps t; softmax over keys s <= t."""
  q, k, v = x @ wq + bq, x @ wk + bk, x @ wv + bv
  out = np.zeros(x.shape[:2] + (wv.shape[1],))
  probs = np.zeros(x.shape[:2] + (x.shape[1],))
  for t in range(x.shape[1]):
    logits = np.einsum("bk,bsk->bs", q[:, t], k[:, :t + 1]) / np.sqrt(wk.shape[1])
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    probs[:, t, :t + 1] = p
    out[:, t] = np.einsum("bs,bsv->bv", p, v[:, :t + 1])
  return np.concatenate([x, out], axis=-1), probs


def _stack(seq_len=9, channels=6):
  stack = model_lib.SnailStack([("attention", 8, 4), ("tc", 5), ("attention", 6, 3),
                                ("tc", 4)], seq_len=seq_len, tie_key_query_init=False)
  stack.build((None, None, channels))
  return stack


class BlockMathTest(parameterized.TestCase):

  @parameterized.parameters(1, 2, 4)
  def test_causal_conv_matches_numpy(self, dilation):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 3)).astype(np.float32)
    kernel = rng.normal(size=(2, 3, 4)).astype(np.float32)
    bias = rng.normal(size=(4,)).astype(np.float32)
    np.testing.assert_allclose(layers.causal_conv(x, kernel, bias, dilation).numpy(),
                               _np_causal_conv(x, kernel, bias, dilation), atol=1e-5)

  def test_dense_block_is_tanh_times_sigmoid_appended(self):
    block = layers.DenseBlock(2, 4)
    x = np.random.default_rng(1).normal(size=(2, 6, 3)).astype(np.float32)
    y = block(x).numpy()
    xf = _np_causal_conv(x, block.wf.numpy(), block.bf.numpy(), 2)
    xg = _np_causal_conv(x, block.wg.numpy(), block.bg.numpy(), 2)
    np.testing.assert_allclose(y[..., :3], x)
    np.testing.assert_allclose(y[..., 3:], np.tanh(xf) / (1 + np.exp(-xg)), atol=1e-5)

  def test_attention_matches_numpy_and_normalises_over_keys(self):
    block = layers.AttentionBlock(5, 4, tie_key_query_init=False)
    x = np.random.default_rng(2).normal(size=(3, 8, 6)).astype(np.float32)
    y = block(x).numpy()
    weights = [w.numpy() for w in block._weights()]
    want, probs = _np_attention(x, *weights)
    np.testing.assert_allclose(y, want, atol=1e-5)
    # A reference with the softmax over queries instead (a known public bug) differs.
    self.assertTrue(np.allclose(probs.sum(axis=-1), 1.0))
    self.assertFalse(np.allclose(probs.sum(axis=-2), 1.0))
    # Each value read is a convex combination: with constant values it is the value.
    const = layers.AttentionBlock(5, 2, tie_key_query_init=False)
    const.build((None, None, 6))
    const.wv.assign(np.zeros((6, 2), np.float32))
    const.bv.assign(np.array([3.0, -1.0], np.float32))
    np.testing.assert_allclose(const(x).numpy()[..., 6:],
                               np.broadcast_to([3.0, -1.0], (3, 8, 2)), atol=1e-5)

  def test_tied_key_query_init(self):
    block = layers.AttentionBlock(5, 4)
    block.build((None, None, 6))
    np.testing.assert_array_equal(block.wk.numpy(), block.wq.numpy())
    untied = layers.AttentionBlock(5, 4, tie_key_query_init=False)
    untied.build((None, None, 6))
    self.assertFalse(np.allclose(untied.wk.numpy(), untied.wq.numpy()))
    dense = layers.DenseBlock(2, 4)
    dense.build((None, None, 4))
    self.assertFalse(np.allclose(dense.wf.numpy(), dense.wg.numpy()))


class ScheduleTest(parameterized.TestCase):

  @parameterized.parameters((2, [2]), (5, [2, 4, 8]), (26, [2, 4, 8, 16, 32]),
                            (101, [2, 4, 8, 16, 32, 64, 128]))
  def test_dilations_are_paper_schedule(self, seq_len, want):
    self.assertEqual(layers.tc_dilations(seq_len), want)
    self.assertEqual([b.dilation for b in layers.TCBlock(seq_len, 3).blocks], want)

  def test_dilation_start_zero(self):
    self.assertEqual(layers.tc_dilations(26, dilation_start=0), [1, 2, 4, 8, 16])

  @parameterized.parameters((26, 128, 37), (11, 16, 8))
  def test_width_grows_by_filters_times_log2_t(self, seq_len, filters, channels):
    block = layers.TCBlock(seq_len, filters)
    y = block(tf.zeros([1, seq_len, channels]))
    self.assertEqual(y.shape[-1], channels + filters * int(np.ceil(np.log2(seq_len))))
    self.assertEqual(block.compute_output_shape((1, seq_len, channels))[-1], y.shape[-1])

  def test_errors_name_the_argument(self):
    with self.assertRaisesRegex(ValueError, "seq_len=1"):
      layers.tc_dilations(1)
    with self.assertRaisesRegex(ValueError, "filters=0"):
      layers.DenseBlock(2, 0)
    with self.assertRaisesRegex(ValueError, "key_size=0"):
      layers.AttentionBlock(0, 4)
    with self.assertRaisesRegex(ValueError, "'lstm'"):
      model_lib.SnailStack([("lstm", 3)], seq_len=4)


class CausalityAndCacheTest(parameterized.TestCase):

  @parameterized.parameters(0, 3, 7)
  def test_outputs_before_t_ignore_later_inputs(self, t):
    stack = _stack()
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 9, 6)).astype(np.float32)
    changed = x.copy()
    changed[:, t + 1:] = rng.normal(size=changed[:, t + 1:].shape)
    changed[:, t + 1:] *= 10
    a, b = stack(x).numpy(), stack(changed).numpy()
    np.testing.assert_allclose(a[:, :t + 1], b[:, :t + 1], atol=1e-5)
    if t + 1 < 9:
      self.assertGreater(np.abs(a[:, t + 1:] - b[:, t + 1:]).max(), 1e-2)

  def test_every_block_is_causal(self):
    x = np.random.default_rng(4).normal(size=(1, 8, 6)).astype(np.float32)
    changed = x.copy()
    changed[:, 5] += 3.0
    for block in (layers.DenseBlock(4, 3), layers.TCBlock(8, 3),
                  layers.AttentionBlock(4, 3, tie_key_query_init=False)):
      np.testing.assert_allclose(block(x).numpy()[:, :5], block(changed).numpy()[:, :5],
                                 atol=1e-5, err_msg=block.name)

  def test_step_by_step_equals_full_pass(self):
    stack = _stack()
    x = np.random.default_rng(5).normal(size=(3, 9, 6)).astype(np.float32)
    state = stack.initial_state(3, capacity=9)
    outputs = []
    for t in range(9):
      y, state = stack.step(tf.constant(x[:, t]), state)
      outputs.append(y.numpy())
    np.testing.assert_allclose(np.stack(outputs, 1), stack(x).numpy(), atol=1e-4)

  def test_prefix_cache_then_steps_equals_full_pass(self):
    stack = _stack()
    x = np.random.default_rng(6).normal(size=(2, 9, 6)).astype(np.float32)
    full = stack(x).numpy()
    prefix, state = stack.call_with_state(tf.constant(x[:, :5]), capacity=9)
    np.testing.assert_allclose(prefix.numpy(), full[:, :5], atol=1e-4)
    for t in range(5, 9):
      y, state = stack.step(tf.constant(x[:, t]), state)
      np.testing.assert_allclose(y.numpy(), full[:, t], atol=1e-4)

  def test_compiled_step_equals_eager(self):
    stack = _stack()
    x = np.random.default_rng(7).normal(size=(2, 6)).astype(np.float32)
    # The dense blocks' caches are TensorArrays: a state lives in the context (eager
    # or one compiled function) that created it.
    step = lambda x: stack.step(x, stack.initial_state(2, capacity=9))[0]
    eager = step(tf.constant(x))
    compiled = tf.function(step)(tf.constant(x))
    np.testing.assert_allclose(compiled.numpy(), eager.numpy(), atol=1e-5)


if __name__ == "__main__":
  absltest.main()
