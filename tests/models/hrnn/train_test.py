"""Meta-training of the HRNN: the unroll schedule, a learning test, one trace per
family, and a distributed step equal to the single-device one."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models import optimizees
from models.hrnn import config as config_lib
from models.hrnn import model as model_lib
from models.hrnn import train as train_lib
from zoo import distribute
from zoo import training


def setUpModule():
  distribute.configure_logical_cpus(2)  # Before any op, for the mirrored test.


class ScheduleTest(absltest.TestCase):

  def test_unrolls_are_heavy_tailed_capped_and_reproducible(self):
    config = config_lib.HRNNConfig(mean_extra_unrolls=3.0, max_unrolls=8)
    draws = np.array([train_lib.num_unrolls(config, 0, s) for s in range(4000)])
    self.assertEqual(draws.min(), 1)
    self.assertEqual(draws.max(), 8)
    # 1 + min(floor(Exp(3)), 7): mean 1 + sum_{k=1..7} P(Exp(3) >= k).
    expected = 1 + sum(np.exp(-k / 3.0) for k in range(1, 8))
    self.assertAlmostEqual(draws.mean(), expected, delta=0.1)
    self.assertEqual(train_lib.num_unrolls(config, 0, 17),
                     train_lib.num_unrolls(config, 0, 17))


class MetaTrainingTest(absltest.TestCase):

  def test_short_meta_training_lowers_the_validation_objective(self):
    self._learns(use_lookahead=False)

  def test_short_meta_training_with_the_lookahead_lowers_it_too(self):
    self._learns(use_lookahead=True)

  def _learns(self, use_lookahead):
    keras.utils.set_random_seed(0)
    config = config_lib.HRNNConfig(
        train_families=("quadratic", "logistic"), unroll_length=10, max_unrolls=4,
        mean_extra_unrolls=3.0, meta_batch_size=8, meta_learning_rate=3e-3,
        train_steps=40, validate_every=40, num_validation_tasks=16, eval_steps=40,
        log_every=40, checkpoint_every=40, use_lookahead=use_lookahead)
    strategy = distribute.get_distribution_strategy("one_device")
    with strategy.scope():
      net = model_lib.build_from_config(config)
    families = [optimizees.get_family(n) for n in config.train_families]

    def objective():
      ratios = []
      for family in families:
        losses = train_lib.optimize(net, family, family.seeds("validation", 0, 16), 40)
        ratios.append(np.mean(np.log(losses[-1] / losses[0])))
      return np.mean(ratios)

    before = objective()
    context = training.TrainContext(model_dir=self.create_tempdir().full_path,
                                    strategy=strategy, log=lambda _: None)
    metrics = train_lib.train(net, config, context)
    self.assertEqual(metrics["train_steps"], 40)
    self.assertLess(objective(), before - 0.1)

  def test_each_family_step_traces_once(self):
    config = config_lib.HRNNConfig(unroll_length=5, meta_batch_size=4)
    strategy = distribute.get_distribution_strategy("one_device")
    with strategy.scope():
      net = model_lib.build_from_config(config)
      meta_opt = keras.optimizers.Adam(1e-3)
      meta_opt.build(net.trainable_variables)
    step = train_lib.make_train_step(net, meta_opt, optimizees.get_family("rosenbrock"),
                                     config, strategy)
    for s, unrolls in ((0, 1), (1, 3), (2, 2)):
      out = step(tf.constant(s, tf.int64), unrolls)
    self.assertTrue(np.isfinite(float(out["meta_loss"])))
    self.assertEqual(step.traces(), 2)  # The first unroll, and the following ones.


class MirroredTest(absltest.TestCase):

  def test_two_replicas_equal_one_device(self):
    config = config_lib.HRNNConfig(unroll_length=5, meta_batch_size=8)
    family = optimizees.get_family("logistic")
    keras.utils.set_random_seed(3)
    initial = [w.numpy() for w in model_lib.build_from_config(config).weights]
    results = []
    for name in ("one_device", "mirrored"):
      strategy = distribute.get_distribution_strategy(name)
      with strategy.scope():
        net = model_lib.build_from_config(config)
        net.set_weights(initial)
        meta_opt = keras.optimizers.Adam(1e-2)
        meta_opt.build(net.trainable_variables)
      step = train_lib.make_train_step(net, meta_opt, family, config, strategy)
      out = step(tf.constant(5, tf.int64), 2)
      results.append((float(out["meta_loss"]), [w.numpy() for w in net.weights]))
    self.assertEqual(distribute.get_distribution_strategy("mirrored")
                     .num_replicas_in_sync, 2)
    self.assertAlmostEqual(results[0][0], results[1][0], delta=1e-5)
    moved = False
    for w0, a, b in zip(initial, results[0][1], results[1][1]):
      np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
      moved |= not np.allclose(w0, a)
    self.assertTrue(moved)


if __name__ == "__main__":
  absltest.main()
