"""Problem families: per-task seeding, disjoint splits, losses and gradients."""

import dataclasses

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from models import optimizees


class SeedsTest(absltest.TestCase):

  def test_splits_and_salts_never_share_seeds(self):
    seen = set()
    for split in optimizees.SPLITS:
      for salt in (11, 23):
        seeds = optimizees.task_seeds(split, 0, 1000, salt).numpy()
        keys = {tuple(s) for s in seeds}
        self.assertEmpty(seen & keys)
        seen |= keys
    with self.assertRaisesRegex(ValueError, "split must be one of"):
      optimizees.task_seeds("dev", 0, 1, 0)


class QuadraticTest(absltest.TestCase):

  def test_task_does_not_depend_on_its_batch(self):
    family = optimizees.Quadratic()
    alone, params_alone = family.sample(family.seeds("test", 5, 1))
    batch, params_batch = family.sample(family.seeds("test", 0, 8))
    np.testing.assert_array_equal(alone["w"][0].numpy(), batch["w"][5].numpy())
    np.testing.assert_array_equal(params_alone[0][0].numpy(), params_batch[0][5].numpy())

  def test_loss_and_gradient_by_hand(self):
    family = optimizees.Quadratic(dim=2)
    task = {"w": tf.constant([[[1.0, 2.0], [0.0, 1.0]]]), "y": tf.constant([[1.0, 1.0]])}
    theta = [tf.constant([[1.0, -1.0]])]
    loss, grads = family.loss_and_grads(task, theta, 0)
    # r = W theta - y = (-1 - 1, -1 - 1) = (-2, -2); f = 8; grad = 2 W^T r.
    self.assertAlmostEqual(float(loss[0]), 8.0)
    np.testing.assert_allclose(grads[0].numpy(), [[-4.0, -12.0]])

  def test_distribution_is_the_papers(self):
    family = optimizees.Quadratic()
    task, params = family.sample(family.seeds("train", 0, 200))
    w = task["w"].numpy()
    self.assertAlmostEqual(w.mean(), 0.0, delta=0.02)
    self.assertAlmostEqual(w.std(), 1.0, delta=0.02)
    self.assertAlmostEqual(float(tf.math.reduce_std(params[0])), 0.01, delta=0.001)


class DigitsMLPTest(absltest.TestCase):

  def test_shapes_loss_and_minibatches(self):
    family = optimizees.DigitsMLP(hidden=20, batch_size=16, horizon=10)
    task, params = family.sample(family.seeds("train", 0, 3))
    self.assertEqual([tuple(p.shape) for p in params],
                     [(3, 64, 20), (3, 20), (3, 20, 10), (3, 10)])
    self.assertEqual(task["batches"].shape, (3, 10, 16))
    loss, grads = family.loss_and_grads(task, params, tf.constant(3))
    self.assertEqual(loss.shape, (3,))
    # Near ln(10) at initialisation.
    self.assertTrue(np.all(np.abs(family.eval_loss(task, params).numpy() - np.log(10))
                           < 0.5))
    self.assertTrue(all(np.all(np.isfinite(g.numpy())) for g in grads))
    # Steps past the horizon reuse the minibatches cyclically.
    np.testing.assert_allclose(family.loss(task, params, tf.constant(13)).numpy(),
                               loss.numpy())

  def test_gradient_descent_lowers_the_loss(self):
    family = optimizees.DigitsMLP()
    task, params = family.sample(family.seeds("train", 0, 2))
    start = family.eval_loss(task, params).numpy()
    for step in range(50):
      _, grads = family.loss_and_grads(task, params, tf.constant(step))
      params = [p - 1.0 * g for p, g in zip(params, grads)]
    self.assertTrue(np.all(family.eval_loss(task, params).numpy() < 0.7 * start))


OFFLINE_PRESETS = [n for n in optimizees.FAMILIES if not n.endswith("mnist_mlp")]


class PresetsTest(parameterized.TestCase):

  @parameterized.parameters(*OFFLINE_PRESETS)
  def test_preset_samples_batched_independent_tasks(self, name):
    family = optimizees.get_family(name)
    task, params = family.sample(family.seeds("validation", 0, 4))
    alone, alone_params = family.sample(family.seeds("validation", 2, 1))
    for a, b in zip(params, alone_params):
      np.testing.assert_array_equal(a[2].numpy(), b[0].numpy())
    loss, grads = family.loss_and_grads(task, params, tf.constant(3))
    self.assertEqual(loss.shape, (4,))
    self.assertTrue(np.all(np.isfinite(loss.numpy())))
    self.assertEqual([g.shape for g in grads], [p.shape for p in params])
    self.assertTrue(np.all(np.isfinite(family.eval_loss(task, params).numpy())))
    # A small gradient step lowers the full objective of every task.
    before = family.eval_loss(task, params).numpy()
    _, grads = family.loss_and_grads(task, params, tf.constant(0))
    if family.noisy:
      clean = dataclasses.replace(family, noise_std=0.0)
      _, grads = clean.loss_and_grads(task, params, tf.constant(0))
    scale = 1e-4 / max(float(tf.reduce_max([tf.reduce_max(tf.abs(g)) for g in grads])),
                       1e-12)
    stepped = [p - scale * g for p, g in zip(params, grads)]
    self.assertTrue(np.all(family.eval_loss(task, stepped).numpy() < before))

  def test_unknown_preset(self):
    with self.assertRaisesRegex(ValueError, "Unknown problem family 'rosenbrok'"):
      optimizees.get_family("rosenbrok")


class HandComputedTest(absltest.TestCase):

  def test_rosenbrock_minimum_and_value(self):
    task = {"a": tf.constant([1.5]), "b": tf.constant([50.0])}
    at_min = [tf.constant([[1.5, 2.25]])]  # (a, a^2) in 2-d.
    self.assertAlmostEqual(float(optimizees.Rosenbrock(dim=2).eval_loss(task, at_min)[0]),
                           0.0, places=4)
    family = optimizees.Rosenbrock(dim=3)
    x = [tf.constant([[0.0, 1.0, 0.0]])]
    # 50 (1 - 0)^2 + 1.5^2 + 50 (0 - 1)^2 + (1.5 - 1)^2
    self.assertAlmostEqual(float(family.eval_loss(task, x)[0]), 102.5, places=4)

  def test_logistic_and_robust_losses(self):
    x = tf.constant([[[1.0, 0.0], [0.0, 2.0]]])
    w, b = tf.constant([[0.5, -1.0]]), tf.constant([[0.2]])
    logistic = optimizees.LogisticRegression(dim=2, l2=0.1)
    got = float(logistic.eval_loss({"x": x, "y": tf.constant([[1.0, 0.0]])}, [w, b])[0])
    z = np.array([0.7, -1.8])
    expected = np.mean([np.log1p(np.exp(-z[0])), np.log1p(np.exp(z[1]))]) + 0.05 * 1.25
    self.assertAlmostEqual(got, expected, places=5)
    robust = optimizees.RobustRegression(dim=2, c=1.0)
    got = float(robust.eval_loss({"x": x, "y": tf.constant([[1.0, 0.0]])}, [w, b])[0])
    r = np.array([1.0 - 0.7, 0.0 + 1.8])
    self.assertAlmostEqual(got, np.mean(r**2 / (1 + r**2)), places=5)

  def test_gradient_noise_has_the_stated_scale(self):
    noisy = optimizees.get_family("quadratic_noisy", noise_std=0.5, horizon=64)
    clean = dataclasses.replace(noisy, noise_std=0.0)
    task, params = noisy.sample(noisy.seeds("train", 0, 32))
    diffs = []
    for step in range(64):
      _, g_noisy = noisy.loss_and_grads(task, params, tf.constant(step))
      _, g_clean = clean.loss_and_grads(task, params, tf.constant(step))
      diffs.append((g_noisy[0] - g_clean[0]).numpy())
    diffs = np.stack(diffs)
    self.assertAlmostEqual(diffs.mean(), 0.0, delta=0.02)
    self.assertAlmostEqual(diffs.std(), 0.5, delta=0.02)
    np.testing.assert_allclose(noisy.eval_loss(task, params).numpy(),
                               clean.eval_loss(task, params).numpy())


class TFDSMLPTest(absltest.TestCase):

  def test_mnist_mlp_through_tfds_mock_data(self):
    with tfds.testing.mock_data(num_examples=64):
      family = optimizees.get_family("mnist_mlp", max_examples=64, batch_size=16,
                                     horizon=5)
      task, params = family.sample(family.seeds("test", 0, 2))
      self.assertEqual(params[0].shape, (2, 784, 20))
      loss, _ = family.loss_and_grads(task, params, tf.constant(1))
      self.assertTrue(np.all(np.isfinite(loss.numpy())))


if __name__ == "__main__":
  absltest.main()
