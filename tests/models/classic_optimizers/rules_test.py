"""The functional baselines equal Keras' optimizers; tuning lands inside its grid."""

from absl.testing import absltest
from absl.testing import parameterized
import keras
import numpy as np
import tensorflow as tf

from models import classic_optimizers
from models import optimizees

KERAS = {
    "sgd": lambda lr: keras.optimizers.SGD(lr),
    "momentum": lambda lr: keras.optimizers.SGD(lr, momentum=0.9),
    "nesterov": lambda lr: keras.optimizers.SGD(lr, momentum=0.9, nesterov=True),
    "rmsprop": lambda lr: keras.optimizers.RMSprop(lr),
    "adam": lambda lr: keras.optimizers.Adam(lr),
}


class RulesTest(parameterized.TestCase):

  @parameterized.parameters("sgd", "momentum", "nesterov", "rmsprop", "adam")
  def test_matches_keras_step_by_step(self, name):
    rng = np.random.RandomState(0)
    lrs = np.array([0.1, 0.01], np.float32)
    init = rng.randn(2, 3).astype(np.float32)
    rule = classic_optimizers.get_rule(name)
    params = [tf.constant(init)]
    state = rule.init(params)
    keras_vars = [keras.Variable(init[i]) for i in range(2)]
    keras_opts = [KERAS[name](float(lr)) for lr in lrs]
    for _ in range(5):
      grads = rng.randn(2, 3).astype(np.float32)
      updates, state = rule.update([tf.constant(grads)], state, tf.constant(lrs))
      params = [params[0] + updates[0]]
      for i in range(2):
        keras_opts[i].apply_gradients([(tf.constant(grads[i]), keras_vars[i])])
    for i in range(2):
      np.testing.assert_allclose(params[0][i].numpy(), keras_vars[i].numpy(),
                                 rtol=1e-5, atol=1e-6)

  def test_unknown_rule(self):
    with self.assertRaisesRegex(ValueError, "Unknown optimizer rule 'adagrad'"):
      classic_optimizers.get_rule("adagrad")


class TuningTest(absltest.TestCase):

  def test_sgd_on_quadratics_lands_inside_the_grid(self):
    family = optimizees.Quadratic(dim=5)
    seeds = family.seeds("validation", 0, 16)
    rule = classic_optimizers.get_rule("sgd")
    result = classic_optimizers.tune_learning_rate(
        family, rule, seeds, steps=50, grid=[1e-4, 1e-3])  # Far too small a grid.
    best = result.grid.index(result.learning_rate)
    self.assertTrue(0 < best < len(result.grid) - 1, result)
    self.assertGreater(len(result.grid), 2)  # It was widened.
    self.assertEqual(result.scores[best], min(result.scores))
    # Too large a step size diverges and scores inf.
    self.assertEqual(result.scores[-1], float("inf"))

  def test_run_rule_shapes_and_loss_decrease(self):
    family = optimizees.Quadratic()
    losses = classic_optimizers.run_rule(
        family, classic_optimizers.get_rule("adam"), family.seeds("test", 0, 3),
        [0.01, 0.1], steps=20, record_every=5)
    self.assertEqual(losses.shape, (5, 2, 3))
    self.assertTrue(np.all(losses[-1] < losses[0]))


if __name__ == "__main__":
  absltest.main()
