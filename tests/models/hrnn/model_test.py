"""The hierarchical RNN's features, GRU step and outputs against hand computations."""

from absl.testing import absltest
import numpy as np
import tensorflow as tf

from models.hrnn import model as model_lib


class FeaturesTest(absltest.TestCase):

  def test_features_by_hand(self):
    grad = tf.constant([[2.0, -1.0]])
    accum = tf.constant([[[1.0, 0.0], [0.0, 0.0]]])  # [B=1, n=2, K=2]
    ms = tf.constant([[[1.0, 4.0], [1.0, 1.0]]])
    inp_decay = tf.constant([[0.25, 0.0]])
    scl_decay = tf.constant([[0.5, 0.0]])
    log_lr = tf.constant([[np.log(1e-3), np.log(1e-2)]], tf.float32)
    x, new_accum, new_ms = model_lib.coordinate_features(
        grad, accum, ms, inp_decay, scl_decay, log_lr)
    # Coordinate 0: decays 0.25 and sqrt(0.25) = 0.5 (twice the timescale).
    a = np.array([0.25 * 1 + 0.75 * 2, 0.5 * 0 + 0.5 * 2])  # [1.75, 1.0]
    m = 0.5 * np.array([1.0, 4.0]) + 0.5 * a**2
    np.testing.assert_allclose(new_accum[0, 0].numpy(), a, rtol=1e-6)
    np.testing.assert_allclose(new_ms[0, 0].numpy(), m, rtol=1e-6)
    np.testing.assert_allclose(x[0, 0, :2].numpy(), a / np.sqrt(m), rtol=1e-5)
    log_m = np.log(m)
    np.testing.assert_allclose(x[0, 0, 2:4].numpy(), log_m - log_m.mean(), rtol=1e-5)
    # Relative log learning rate: against the tensor's mean.
    rel = np.log(1e-3) - (np.log(1e-3) + np.log(1e-2)) / 2
    self.assertAlmostEqual(float(x[0, 0, 4]), rel, places=5)
    # Coordinate 1: decay 0 -> the average is the gradient; RMS decay 0 -> |scaled| = 1.
    np.testing.assert_allclose(x[0, 1, :2].numpy(), [-1.0, -1.0], rtol=1e-5)


class GRUTest(absltest.TestCase):

  def test_bias_gru_step_matches_numpy(self):
    rng = np.random.RandomState(0)
    x, h = rng.randn(4, 3), rng.randn(4, 2)
    kernel, bias, extra = rng.randn(5, 6), rng.randn(6), rng.randn(4, 6)
    got = model_lib.bias_gru_step(*(tf.constant(v, tf.float32)
                                    for v in (x, h, kernel, bias, extra))).numpy()
    sig = lambda v: 1 / (1 + np.exp(-v))
    pre = bias + extra
    rz = sig(np.concatenate([x, h], 1) @ kernel[:, :4] + pre[:, :4])
    r, z = rz[:, :2], rz[:, 2:]
    c = np.tanh(np.concatenate([x, r * h], 1) @ kernel[:, 4:] + pre[:, 4:])
    np.testing.assert_allclose(got, z * h + (1 - z) * c, rtol=1e-5, atol=1e-6)


class NetworkTest(absltest.TestCase):

  def test_step_shapes_direction_and_learning_rate(self):
    net = model_lib.HierarchicalRNN()
    params = [tf.zeros([2, 3, 4]), tf.zeros([2, 5])]
    state = net.initial_state(params)
    log_lr = state["tensors"][0]["log_lr"].numpy()
    self.assertTrue(np.all(log_lr >= np.log(1e-6) - 1e-5))
    self.assertTrue(np.all(log_lr <= np.log(1e-2) + 1e-5))
    grads = [tf.random.normal([2, 3, 4]), tf.random.normal([2, 5])]
    updates, new_state = net(grads, state)
    self.assertEqual([u.shape for u in updates], [(2, 3, 4), (2, 5)])
    self.assertEqual(new_state["global"].shape, (2, 20))
    self.assertEqual(new_state["tensors"][0]["h"].shape, (2, 12, 10))
    # update = -exp(step_log_lr + offset) * direction with a unit-RMS direction per
    # tensor and task; the learning-rate readout starts at zero, so step_log_lr is
    # the initial log_lr.
    lr = np.exp(log_lr + float(net.step_offset.numpy()))
    direction = -updates[0].numpy().reshape(2, 12) / lr
    np.testing.assert_allclose(np.sqrt(np.mean(direction**2, axis=1)), [1.0, 1.0],
                               rtol=1e-4)

  def test_tasks_in_a_batch_do_not_interact(self):
    net = model_lib.HierarchicalRNN()
    params = [tf.zeros([3, 4])]
    grads = [tf.random.normal([3, 4])]
    state = net.initial_state(params)
    batch, _ = net(grads, state)
    alone_state = tf.nest.map_structure(lambda t: t[1:2], state)
    alone, _ = net([grads[0][1:2]], alone_state)
    np.testing.assert_allclose(batch[0][1].numpy(), alone[0][0].numpy(), rtol=1e-5)


class LookaheadTest(absltest.TestCase):

  def _params(self):
    rng = np.random.RandomState(0)
    return [tf.constant(rng.randn(2, 3, 2), tf.float32),
            tf.constant(rng.randn(2, 4), tf.float32)]

  def test_attended_point_is_params_plus_the_proposed_offset(self):
    net = model_lib.HierarchicalRNN(use_lookahead=True)
    params = self._params()
    state = net.initial_state(params)
    for p, q in zip(net.lookahead_point(params, state), params):
      np.testing.assert_array_equal(p, q)  # No offset before the first step.
    grads = [tf.ones_like(p) for p in params]
    _, state = net(grads, state)
    for p, q, a in zip(net.lookahead_point(params, state), params, state["lookahead"]):
      self.assertEqual(a.shape, q.shape)
      self.assertGreater(float(tf.reduce_max(tf.abs(a))), 0.0)
      np.testing.assert_allclose(p, q + a, rtol=1e-6)
    plain = model_lib.HierarchicalRNN()
    self.assertNotIn("lookahead", plain.initial_state(params))
    self.assertIs(plain.lookahead_point(params, plain.initial_state(params)), params)

  def test_meta_gradient_reaches_the_attention_weights(self):
    """Through the gradient at the attended point (a Hessian-vector product)."""
    from models import optimizees  # pylint: disable=g-import-not-at-top
    from models.hrnn import optimizer as optimizer_lib  # pylint: disable=g-import-not-at-top
    from models.hrnn import train as train_lib  # pylint: disable=g-import-not-at-top
    net = model_lib.HierarchicalRNN(use_lookahead=True)
    family = optimizees.get_family("logistic")
    task, params = family.sample(family.seeds("train", 0, 4))
    init, update = optimizer_lib.hrnn_update_fns(net)
    with tf.GradientTape() as tape:
      loss, _, _ = train_lib.unroll(family, update, task, params, init(params),
                                    family.eval_loss(task, params), 0, 4)
      loss = tf.reduce_mean(loss)
    grads = tape.gradient(loss, [net.attention_readout.kernel, net.attention_offset])
    for g in grads:
      self.assertIsNotNone(g)
      self.assertTrue(np.all(np.isfinite(g.numpy())))
      self.assertGreater(float(tf.reduce_max(tf.abs(g))), 0.0)

  def test_keras_optimizer_refuses_a_lookahead_net(self):
    from models.hrnn import optimizer as optimizer_lib  # pylint: disable=g-import-not-at-top
    with self.assertRaisesRegex(ValueError, "use_lookahead"):
      optimizer_lib.HRNNOptimizer(model_lib.HierarchicalRNN(use_lookahead=True))

  def test_config_round_trip_keeps_the_option(self):
    net = model_lib.HierarchicalRNN(use_lookahead=True)
    self.assertTrue(model_lib.HierarchicalRNN.from_config(net.get_config()).use_lookahead)


if __name__ == "__main__":
  absltest.main()
