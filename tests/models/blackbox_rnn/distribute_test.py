"""A meta-training step under MirroredStrategy (two logical CPUs) equals one device."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.blackbox_rnn import config as config_lib
from models.blackbox_rnn import model as model_lib
from models.blackbox_rnn import train as train_lib
from zoo import distribute

CONFIG = config_lib.BlackboxConfig(horizon=6, hidden_sizes=(16,), memory_heads=1,
                                   pointer=True, meta_batch_size=8)


def setUpModule():
  distribute.configure_logical_cpus(2)  # Once per process, before any op.


class MirroredMetaStepTest(absltest.TestCase):

  def _run(self, strategy, initial_weights):
    with strategy.scope():
      net = model_lib.build_from_config(CONFIG)
      net.set_weights(initial_weights)
      meta_opt = keras.optimizers.Adam(1e-2)
      meta_opt.build(net.trainable_variables)
    step = train_lib.make_train_step(net, meta_opt, CONFIG.family(), CONFIG, strategy)
    outputs = [step(tf.constant(s, tf.int64)) for s in (3, 4)]
    return ([{k: float(v) for k, v in o.items()} for o in outputs],
            [w.numpy() for w in net.weights])

  def test_two_replicas_equal_one_device(self):
    keras.utils.set_random_seed(1)
    initial = [w.numpy() for w in model_lib.build_from_config(CONFIG).weights]
    mirrored = distribute.get_distribution_strategy("mirrored")
    self.assertEqual(mirrored.num_replicas_in_sync, 2)
    one_out, one_weights = self._run(
        distribute.get_distribution_strategy("one_device"), initial)
    two_out, two_weights = self._run(mirrored, initial)
    for a, b in zip(one_out, two_out):
      for key in ("meta_loss", "best_value"):
        self.assertAlmostEqual(a[key], b[key], delta=1e-4 * abs(a[key]) + 1e-6)
    moved = False
    for w0, a, b in zip(initial, one_weights, two_weights):
      # Adam's first steps are about lr * sign(g): float summation order moves a few
      # weights by up to ~0.2% of one step (lr = 1e-2); 1e-4 is 1% of a step.
      np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
      moved |= not np.allclose(w0, a)
    self.assertTrue(moved, "the meta-step did not change the weights")


if __name__ == "__main__":
  absltest.main()
