"""Policy search: the advantages, a learning test for each phase, and a distributed
PPO step equal to the single-device one."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models import optimizees
from models.l2o_policy import config as config_lib
from models.l2o_policy import model as model_lib
from models.l2o_policy import train as train_lib
from zoo import distribute
from zoo import training


def setUpModule():
  distribute.configure_logical_cpus(2)  # Before any op, for the mirrored test.


class AdvantageTest(absltest.TestCase):

  def test_cost_to_go_against_the_noise_free_run(self):
    config = config_lib.PolicyConfig(discount=1.0)
    # Two tasks, two steps: task 0 beats its baseline at the last step, task 1 is
    # identical to its baseline.
    losses = tf.constant([[2.0, 1.0], [1.0, 0.5], [0.5, 0.5]])
    baseline = tf.constant([[2.0, 1.0], [1.0, 0.5], [1.0, 0.5]])
    adv = train_lib.advantages(losses, config, baseline).numpy()
    # Costs f_{t+1}/f_0: task 0 0.5, 0.25 vs baseline 0.5, 0.5 -> raw advantages
    # 0.25, 0.25; task 1 zeros. Normalised by the RMS over all entries (0.25/sqrt 2).
    np.testing.assert_allclose(adv[:, 0], [np.sqrt(2.0)] * 2, rtol=1e-5)
    np.testing.assert_allclose(adv[:, 1], [0.0, 0.0], atol=1e-6)

  def test_log_suboptimality_cost_weighs_the_gap_to_the_reference_minimum(self):
    config = config_lib.PolicyConfig(cost="log_suboptimality", discount=1.0)
    # One step, two tasks with the same objectives but different reference minima: the
    # one closer to its minimum after the step has the lower cost.
    losses = tf.constant([[2.0, 2.0], [1.1, 1.1]])
    f_ref = tf.constant([1.0, 0.0])
    togo = train_lib._cost_to_go(losses, config, f_ref).numpy()  # pylint: disable=protected-access
    np.testing.assert_allclose(togo[0], [np.log(0.1 / 1.0), np.log(1.1 / 2.0)], rtol=1e-4)
    with self.assertRaisesRegex(ValueError, "imitation"):
      config_lib.PolicyConfig(cost="log_suboptimality", imitation_steps=0)
    with self.assertRaisesRegex(ValueError, "cost must be"):
      config_lib.PolicyConfig(cost="sum")

  def test_diverged_runs_cost_the_cap(self):
    config = config_lib.PolicyConfig(cost_cap=3.0)
    losses = tf.constant([[1.0, 1.0], [np.inf, 0.5]])
    adv = train_lib.advantages(losses, config).numpy()
    self.assertTrue(np.all(np.isfinite(adv)))
    self.assertLess(adv[0, 0], adv[0, 1])


def _setup(strategy, config, family, initial=None, teacher=(0.9, 0.5)):
  with strategy.scope():
    net = model_lib.build_from_config(config)
    if initial is not None:
      net.set_weights(initial)
    imitation_opt = keras.optimizers.Adam(config.imitation_learning_rate)
    imitation_opt.build(net.trainable_variables)
    ppo_opt = keras.optimizers.Adam(config.learning_rate)
    ppo_opt.build(net.trainable_variables)
  data = train_lib.teacher_data(net, family, config, teacher)
  if initial is None:
    train_lib.set_scales_from(net, *data)
  steps = train_lib.make_train_steps(net, imitation_opt, ppo_opt, family, config,
                                     strategy, seed=0, data=data)
  return net, steps


class LearningTest(absltest.TestCase):

  def test_imitation_then_ppo_lower_the_objective(self):
    """Imitating tuned momentum takes the untrained policy's final objective far
    down; the whole loop (run_loop, validation, best weights) runs end to end."""
    config = config_lib.PolicyConfig(
        horizon=20, eval_steps=20, imitation_steps=60, imitation_tasks=64,
        imitation_batch=16, train_steps=4, batch_tasks=16, validate_every=16,
        num_validation_tasks=32, checkpoint_every=32, log_every=32)
    family = optimizees.get_family("logistic")
    keras.utils.set_random_seed(1)
    strategy = distribute.get_distribution_strategy("one_device")
    with strategy.scope():
      net = model_lib.build_from_config(config)
    seeds = family.seeds("validation", 0, 32)
    before = float(np.mean(train_lib.make_optimize_fn(net, family, 20, 20)(seeds)[-1]))
    out = train_lib.train(net, config, training.TrainContext(
        model_dir=self.create_tempdir().full_path, strategy=strategy,
        log=lambda _: None))
    after = float(np.mean(train_lib.make_optimize_fn(net, family, 20, 20)(seeds)[-1]))
    self.assertEqual(out["train_steps"], 64)
    self.assertGreater(out["imitation_teacher_learning_rate"], 0)
    self.assertIn(out["imitation_teacher_momentum"], config.imitation_momenta)
    self.assertAlmostEqual(after, out["best_validation_objective"], places=4)
    self.assertLess(after, 0.8 * before)


class LogSuboptimalityTest(absltest.TestCase):

  def test_a_ppo_step_with_the_reference_minimum_runs_and_moves_the_policy(self):
    config = config_lib.PolicyConfig(horizon=6, batch_tasks=8, num_minibatches=2,
                                     ppo_epochs=1, imitation_tasks=16, imitation_batch=8,
                                     cost="log_suboptimality", reference_steps=20,
                                     learning_rate=1e-2)
    family = optimizees.get_family("logistic")
    keras.utils.set_random_seed(5)
    strategy = distribute.get_distribution_strategy("one_device")
    with strategy.scope():
      net = model_lib.build_from_config(config)
      opts = [keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2)]
      for opt in opts:
        opt.build(net.trainable_variables)
    before = [w.numpy() for w in net.trainable_variables]
    _, ppo_step = train_lib.make_train_steps(net, *opts, family, config, strategy, seed=0,
                                             teacher=(0.9, 0.5))
    out = ppo_step(tf.constant(0, tf.int64))
    self.assertTrue(np.isfinite(float(out["ppo_loss"])))
    self.assertTrue(any(not np.allclose(b, w.numpy())
                        for b, w in zip(before, net.trainable_variables)))


class MirroredTest(absltest.TestCase):

  def test_two_replicas_equal_one_device(self):
    config = config_lib.PolicyConfig(horizon=6, batch_tasks=8, num_minibatches=2,
                                     ppo_epochs=2, imitation_tasks=16, imitation_batch=8,
                                     learning_rate=1e-2, imitation_learning_rate=1e-2)
    family = optimizees.get_family("logistic")
    keras.utils.set_random_seed(3)
    net0, _ = _setup(distribute.get_distribution_strategy("one_device"), config, family)
    initial = [w.numpy() for w in net0.weights]
    results = []
    for name in ("one_device", "mirrored"):
      strategy = distribute.get_distribution_strategy(name)
      net, (imitation_step, ppo_step) = _setup(strategy, config, family, initial)
      imitation = float(imitation_step(tf.constant(1, tf.int64))["imitation_loss"])
      ppo = ppo_step(tf.constant(2, tf.int64))
      results.append((imitation, float(ppo["ppo_loss"]), float(ppo["final_over_initial"]),
                      [w.numpy() for w in net.weights]))
    self.assertEqual(distribute.get_distribution_strategy("mirrored")
                     .num_replicas_in_sync, 2)
    for a, b in zip(results[0][:3], results[1][:3]):
      self.assertAlmostEqual(a, b, delta=1e-5 * max(1.0, abs(a)))
    moved = False
    for w0, a, b in zip(initial, results[0][3], results[1][3]):
      np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
      moved |= not np.allclose(w0, a)
    self.assertTrue(moved)


if __name__ == "__main__":
  absltest.main()
