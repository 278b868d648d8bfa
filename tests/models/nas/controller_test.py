"""The controller: its log-probabilities, the anchor attention, and REINFORCE."""

import itertools

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.nas import config as config_lib
from models.nas import controller as controller_lib
from models.nas import search


def _sigmoid(x):
  return 1 / (1 + np.exp(-x))


class ControllerTest(absltest.TestCase):

  def test_anchor_logits_match_numpy(self):
    rng = np.random.default_rng(0)
    anchors, h_i = rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 5))
    w_prev, w_curr, v = rng.normal(size=(5, 4)), rng.normal(size=(5, 4)), rng.normal(size=4)
    want = np.zeros((2, 3))
    for b in range(2):
      for j in range(3):
        # v^T tanh(W_prev h_j + W_curr h_i), §3.3.
        want[b, j] = v @ np.tanh(anchors[b, j] @ w_prev + h_i[b] @ w_curr)
    got = controller_lib.anchor_logits(*(tf.constant(a, tf.float32) for a in
                                         (anchors, h_i, w_prev, w_curr, v)))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)

  def test_sampled_log_probs_match_the_sampling_distribution(self):
    keras.utils.set_random_seed(0)
    # One token of 3 choices, 2 layers: 3 * 3 * 2 = 18 architectures in all.
    net = controller_lib.Controller(token_sizes=(3,), max_layers=2, units=8)
    for w in net.trainable_variables:  # Weights large enough to make P non-uniform.
      w.assign(w * 20.0)
    every = np.array([[a, b, s] for a, b, s in itertools.product(range(3), range(3),
                                                                range(2))])
    log_p, _ = net(every)
    p = np.exp(log_p.numpy())
    self.assertAlmostEqual(p.sum(), 1.0, places=5)
    self.assertGreater(p.max() / p.min(), 3.0)
    n = 20000
    actions, sampled_log_p, _ = net.sample(n, 2, seed=[1, 2])
    actions = actions.numpy()
    # The log-probability returned with a sample is that of the scoring pass.
    rescored, _ = net(actions)
    np.testing.assert_allclose(sampled_log_p.numpy(), rescored.numpy(), atol=1e-5)
    index = actions[:, 0] * 6 + actions[:, 1] * 2 + actions[:, 2]
    freq = np.bincount(index, minlength=18) / n
    # Binomial standard error; 5 sigma.
    np.testing.assert_array_less(np.abs(freq - p), 5 * np.sqrt(p * (1 - p) / n) + 1e-3)

  def test_entropy_of_a_uniform_controller(self):
    net = controller_lib.Controller(token_sizes=(4, 2), max_layers=3, units=6)
    for w in net.trainable_variables:
      w.assign(tf.zeros_like(w))
    actions, log_p, entropy = net.sample(5, 3, seed=[0, 0])
    # Uniform: 3 layers x (log 4 + log 2) plus 3 skip bits of log 2.
    want = 3 * (np.log(4) + np.log(2)) + 3 * np.log(2)
    np.testing.assert_allclose(entropy.numpy(), want, rtol=1e-5)
    np.testing.assert_allclose(log_p.numpy(), -want, rtol=1e-5)
    self.assertEqual(actions.shape, (5, net.num_actions(3)))

  def test_same_seed_same_sample_and_compiled_equals_eager(self):
    net = controller_lib.Controller(token_sizes=(4, 4), max_layers=4)
    a1, lp1, _ = net.sample(6, 4, seed=[3, 4])
    a2, lp2, _ = tf.function(lambda: net.sample(6, 4, seed=[3, 4]))()
    np.testing.assert_array_equal(a1.numpy(), a2.numpy())
    np.testing.assert_allclose(lp1.numpy(), lp2.numpy(), rtol=1e-5)
    a3, _, _ = net.sample(6, 4, seed=[3, 5])
    self.assertFalse(np.array_equal(a1.numpy(), a3.numpy()))

  def test_reinforce_raises_the_probability_of_a_rewarded_architecture(self):
    keras.utils.set_random_seed(1)
    config = config_lib.NASConfig(children_per_step=2, learning_rate=0.01,
                                  entropy_weight=0.0, max_layers=3, initial_layers=3)
    net = controller_lib.Controller(token_sizes=(4, 4), max_layers=3)
    optimizer = keras.optimizers.Adam(config.learning_rate)
    optimizer.build(net.trainable_variables)
    step = search.make_reinforce_step(net, optimizer, config, tf.distribute.get_strategy())
    actions, _, _ = net.sample(2, 3, seed=[0, 9])
    before, _ = net(actions)
    # Child 0 beat the baseline, child 1 fell below it.
    for _ in range(5):
      step(actions, tf.constant([0.5, -0.5]))
    after, _ = net(actions)
    self.assertGreater(float(after[0]), float(before[0]) + 0.1)
    self.assertLess(float(after[1]), float(before[1]) - 0.1)

  def test_reinforce_loss_sign(self):
    # Minimising the loss must raise log P where the advantage is positive.
    log_p = tf.Variable([-2.0, -3.0])
    with tf.GradientTape() as tape:
      loss = search.reinforce_loss(log_p, tf.zeros(2), tf.constant([1.0, -1.0]), 0.0, 2)
    grad = tape.gradient(loss, log_p).numpy()
    np.testing.assert_allclose(grad, [-0.5, 0.5])

  def test_search_record_round_trip_and_errors(self):
    net = controller_lib.Controller(token_sizes=(4, 4), max_layers=3, record_capacity=4)
    net.record.write(1, 0, [1, 2, 3, 0, 1], 2, 0.5)
    net.record.write(1, 1, [0, 0, 0], 1, 0.25)
    self.assertEqual(net.record.read(1), [([1, 2, 3, 0, 1], 2, 0.5), ([0, 0, 0], 1, 0.25)])
    self.assertEqual(net.record.read(0), [])
    with self.assertRaisesRegex(ValueError, "raise record_capacity"):
      net.record.write(0, 4, [0], 1, 0.1)
    with self.assertRaisesRegex(ValueError, r"num_layers must be in \[1, 3\]"):
      net.sample(2, 4, seed=[0, 0])
    with self.assertRaisesRegex(ValueError, "no architecture depth"):
      net(tf.zeros([1, 6], tf.int32))


if __name__ == "__main__":
  absltest.main()
