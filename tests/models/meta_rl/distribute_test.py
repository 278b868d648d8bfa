"""A rollout-and-update step under MirroredStrategy (two logical CPUs) equals one
device: the same global batch of tasks, sliced per replica, the same advantages
(normalised with all-reduced statistics) and the same summed gradients."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.meta_rl import config as config_lib
from models.meta_rl import model as model_lib
from models.meta_rl import train
from zoo import distribute


_STRATEGIES = {}


def setUpModule():
  distribute.configure_logical_cpus(2)  # Once per process, before any op.
  # One strategy object of each kind per process: two MirroredStrategy objects
  # would issue collectives with clashing instance keys.
  _STRATEGIES["one_device"] = distribute.get_distribution_strategy("one_device")
  _STRATEGIES["mirrored"] = distribute.get_distribution_strategy("mirrored")


class MirroredStepTest(absltest.TestCase):

  def _run(self, strategy, config, initial):
    with strategy.scope():
      net = model_lib.build_from_config(config)
      net.set_weights(initial)
      # SGD, not the learner's Adam: Adam would blow a float32 rounding difference
      # in a near-zero summed gradient up to an update difference of up to lr x 1e-3.
      optimizer = keras.optimizers.SGD(0.1)
      optimizer.build(net.trainable_variables)
    step = train.make_train_step(net, optimizer, config, strategy, seed=3)
    outputs = [{k: float(v) for k, v in step(tf.constant(s, tf.int64)).items()}
               for s in (0, 1)]
    return outputs, [w.numpy() for w in net.weights]

  def _check(self, config):
    keras.utils.set_random_seed(1)
    initial = [w.numpy() for w in model_lib.build_from_config(config).weights]
    mirrored = _STRATEGIES["mirrored"]
    self.assertEqual(mirrored.num_replicas_in_sync, 2)
    one_out, one_weights = self._run(_STRATEGIES["one_device"], config, initial)
    two_out, two_weights = self._run(mirrored, config, initial)
    for a, b in zip(one_out, two_out):
      for k in a:
        self.assertAlmostEqual(a[k], b[k], delta=1e-4 * max(1.0, abs(a[k])), msg=k)
    moved = 0.0
    for w0, w1, w2 in zip(initial, one_weights, two_weights):
      np.testing.assert_allclose(w1, w2, rtol=1e-4, atol=1e-6)
      moved = max(moved, float(np.abs(w1 - w0).max()))
    self.assertGreater(moved, 1e-4)  # The step did update the weights.

  def test_ppo_rl2_on_mdps(self):
    self._check(config_lib.MetaRLConfig(
        env_kind="mdp", num_episodes=2, units=16, batch_size=8, ppo_epochs=2,
        grad_clip=0.5, train_steps=10))

  def test_a2c_lstm_on_bandits(self):
    self._check(config_lib.MetaRLConfig(
        env_kind="bandit", num_arms=3, num_pulls=10, bandit_episode_length=10,
        cell="lstm", units=8, algorithm="a2c", ppo_epochs=1, batch_size=8,
        train_steps=10))


if __name__ == "__main__":
  absltest.main()
