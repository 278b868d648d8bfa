"""Problem families: per-task seeding, disjoint splits, losses and gradients."""

from absl.testing import absltest
import numpy as np
import tensorflow as tf

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


if __name__ == "__main__":
  absltest.main()
