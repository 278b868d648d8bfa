"""The PPO step under MirroredStrategy (two logical CPUs) equals one device."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.optimizer_search import config as config_lib
from models.optimizer_search import controller
from models.optimizer_search import train
from zoo import distribute


def setUpModule():
  distribute.configure_logical_cpus(2)  # Once per process, before any op.


def _run(strategy, config):
  keras.utils.set_random_seed(0)
  with strategy.scope():
    model = controller.build_from_config(config)
    # SGD, not the search's Adam: Adam would blow a float32 rounding difference in a
    # near-zero summed gradient up to an update difference of up to lr x 1e-3.
    optimizer = keras.optimizers.SGD(config.learning_rate)
    optimizer.build(model.trainable_variables)
  step = train.make_ppo_step(model, optimizer, config, strategy)
  losses = []
  for i in range(2):
    tokens, logp = model.sample(config.samples_per_step, tf.constant([1, i]))
    advantage = tf.cast(tokens[..., 0] % 3, tf.float32) - 1.0
    losses.append(float(step(tokens, advantage, logp)))
  return losses, [w.numpy() for w in model.trainable_weights]


class DistributeTest(absltest.TestCase):

  def test_two_replicas_equal_one_device(self):
    config = config_lib.SearchConfig(num_controllers=2, num_units=1, samples_per_step=8,
                                     ppo_epochs=2, learning_rate=0.05)
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    self.assertLen(devices, 2)
    one_losses, one = _run(tf.distribute.OneDeviceStrategy(devices[0]), config)
    two_losses, two = _run(tf.distribute.MirroredStrategy(devices), config)
    np.testing.assert_allclose(two_losses, one_losses, rtol=1e-5)
    for a, b in zip(one, two):
      # The all-reduce sums in another order: rounding-size differences only.
      np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    self.assertFalse(np.allclose(one[-1], 0.0))  # The step did change the heads.


if __name__ == "__main__":
  absltest.main()
