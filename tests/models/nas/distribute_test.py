"""The REINFORCE step under MirroredStrategy (two logical CPUs) equals one device."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.nas import config as config_lib
from models.nas import model as model_lib
from models.nas import search
from zoo import distribute

STRATEGIES = {}
CONFIG = config_lib.NASConfig(children_per_step=4, max_layers=3, initial_layers=3)


def setUpModule():
  distribute.configure_logical_cpus(2)  # Once per process, before any op.
  STRATEGIES["one_device"] = distribute.get_distribution_strategy("one_device")
  STRATEGIES["mirrored"] = distribute.get_distribution_strategy("mirrored")


class MirroredTest(absltest.TestCase):

  def test_two_replicas_give_the_same_update(self):
    keras.utils.set_random_seed(0)
    weights = model_lib.build_from_config(CONFIG).get_weights()
    actions = model_lib.build_from_config(CONFIG).sample(4, 3, seed=[0, 1])[0]
    advantages = tf.constant([0.3, -0.1, 0.2, -0.4])
    results = {}
    for name, strategy in STRATEGIES.items():
      with strategy.scope():
        net = model_lib.build_from_config(CONFIG)
        net.set_weights(weights)
        # SGD, not the search's Adam: Adam divides each coordinate by its root mean
        # square, which turns a float32 rounding difference in a near-zero summed
        # gradient into an update difference of up to lr x 1e-3; SGD keeps it at
        # rounding size, so the comparison can be tight.
        optimizer = keras.optimizers.SGD(CONFIG.learning_rate)
        optimizer.build(net.trainable_variables)
      start = [v.numpy() for v in net.trainable_variables]
      step = search.make_reinforce_step(net, optimizer, CONFIG, strategy)
      metrics = [step(actions, advantages) for _ in range(2)]
      results[name] = ([float(m["reinforce_loss"]) for m in metrics],
                       [w.numpy() for w in net.trainable_variables], start)
    self.assertEqual(STRATEGIES["mirrored"].num_replicas_in_sync, 2)
    # The loss is a sum of terms of about 0.1 that nearly cancel (to about 3e-3 at the
    # first step), so float32 rounding of the terms shows up as ~6e-8 absolute.
    np.testing.assert_allclose(results["mirrored"][0], results["one_device"][0],
                               rtol=1e-5, atol=1e-6)
    moved = 0.0
    for a, b, w in zip(results["mirrored"][1], *results["one_device"][1:]):
      np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
      moved = max(moved, float(np.abs(b - w).max()))
    self.assertGreater(moved, 1e-4)  # The two steps did change the weights.


if __name__ == "__main__":
  absltest.main()
