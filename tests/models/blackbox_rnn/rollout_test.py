"""The meta-losses by hand, EI by Monte Carlo, and rollouts on GP functions."""

import math

from absl.testing import absltest
import numpy as np
import tensorflow as tf

from models.blackbox_rnn import gp
from models.blackbox_rnn import model as model_lib
from models.blackbox_rnn import rollout

YS = np.array([[0.5, 0.2, 0.4, -0.3, -0.1], [1.0, 2.0, 3.0, 4.0, 5.0]])


class LossTest(absltest.TestCase):

  def test_sum(self):
    np.testing.assert_allclose(rollout.meta_loss("sum", tf.constant(YS)).numpy(),
                               YS.sum(1))

  def test_observed_improvement_by_hand(self):
    loss = rollout.meta_loss("oi", tf.constant(YS)).numpy()
    # Row 0: improvements 0.2 - 0.5, none, -0.3 - 0.2, none: -0.3 - 0.5 = -0.8,
    # which is min_t y_t - y_1 (the sum telescopes). Row 1 never improves.
    np.testing.assert_allclose(loss, [-0.8, 0.0], atol=1e-12)
    np.testing.assert_allclose(loss, YS.min(1) - YS[:, 0], atol=1e-12)

  def test_observed_improvement_gradient_flows_to_the_best_point_only(self):
    ys = tf.Variable(YS)
    with tf.GradientTape() as tape:
      loss = tf.reduce_sum(rollout.meta_loss("oi", ys))
    np.testing.assert_allclose(tape.gradient(loss, ys).numpy(),
                               [[-1, 0, 0, 1, 0], [0, 0, 0, 0, 0]])

  def test_incumbents(self):
    np.testing.assert_allclose(rollout.incumbents(tf.constant(YS)).numpy(),
                               [[0.5, 0.2, 0.2, -0.3], [1, 1, 1, 1]])

  def test_expected_improvement_matches_monte_carlo(self):
    mu, sigma, best = 0.3, 0.7, 0.1
    samples = np.random.RandomState(0).normal(mu, sigma, 2_000_000)
    mc = np.maximum(best - samples, 0.0).mean()
    ei = float(rollout.expected_improvement(tf.constant(mu), tf.constant(sigma),
                                            tf.constant(best)))
    self.assertAlmostEqual(ei, mc, delta=1e-3)

  def test_expected_improvement_loss(self):
    mus = tf.constant([[0.0, 0.1, -0.2]])
    sigmas = tf.constant([[1.0, 0.5, 0.25]])
    ys = tf.constant([[0.3, 0.4, 0.0]])
    loss = float(rollout.meta_loss("ei", ys, mus, sigmas)[0])
    expected = -sum(float(rollout.expected_improvement(m, s, b))
                    for m, s, b in ((0.1, 0.5, 0.3), (-0.2, 0.25, 0.3)))
    self.assertAlmostEqual(loss, expected, places=6)

  def test_unknown_loss(self):
    with self.assertRaisesRegex(ValueError, "received: 'max'"):
      rollout.meta_loss("max", tf.constant(YS))


class RolloutTest(absltest.TestCase):

  def test_exact_gp_rollout(self):
    family = gp.GPFamily(dim=2)
    net = model_lib.BlackboxRNN(dim=2, hidden_sizes=(8,), horizon=6, memory_heads=1)
    seeds = family.seeds("train", 0, 5)
    xs, ys, mus, sigmas = rollout.rollout_exact_gp(
        net, family, family.sample_params(seeds), family.sample_eps(seeds, 6), 6)
    self.assertEqual(xs.shape, (5, 6, 2))
    for t in (ys, mus, sigmas):
      self.assertEqual(t.shape, (5, 6))
    self.assertTrue(np.all((xs.numpy() >= 0) & (xs.numpy() <= 1)))
    # Before the first query the posterior is the prior.
    np.testing.assert_allclose(mus.numpy()[:, 0], 0.0)
    np.testing.assert_allclose(sigmas.numpy()[:, 0], math.sqrt(1 + family.jitter))
    # y_t = mu_t + sigma_t eps_t.
    eps = family.sample_eps(seeds, 6).numpy()
    np.testing.assert_allclose(ys.numpy(), mus.numpy() + sigmas.numpy() * eps, rtol=1e-9)

  def test_rff_rollout_queries_the_function(self):
    family = gp.GPFamily(dim=2, rff_features=32)
    rff = family.sample_rff(family.seeds("test", 0, 3))
    net = model_lib.BlackboxRNN(dim=2, hidden_sizes=(8,), horizon=4)
    xs, ys = rollout.rollout_rff(net, rff, 4)
    np.testing.assert_allclose(ys.numpy(), gp.rff_values(rff, xs).numpy(), rtol=1e-6)


if __name__ == "__main__":
  absltest.main()
