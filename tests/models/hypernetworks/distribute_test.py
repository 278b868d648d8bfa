"""Training steps under MirroredStrategy (two logical CPUs) equal one device."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from datasets import pydoc_chars
from models.hypernetworks import config as config_lib
from models.hypernetworks import convnet
from models.hypernetworks import data as data_lib
from models.hypernetworks import lm
from models.hypernetworks import train_lm
from models.hypernetworks import train_static
from zoo import distribute


STRATEGIES = {}


def setUpModule():
  distribute.configure_logical_cpus(2)  # Once per process, before any op.
  # One of each for the whole module: collectives of a second MirroredStrategy in the
  # same process can collide with the first one's.
  STRATEGIES["one_device"] = distribute.get_distribution_strategy("one_device")
  STRATEGIES["mirrored"] = distribute.get_distribution_strategy("mirrored")


def _steps(strategy, build, make_step, weights, steps=2):
  with strategy.scope():
    model = build()
    model.set_weights(weights)
    # SGD, not Adam: Adam would blow a float32 rounding difference in a near-zero
    # summed gradient up to an update difference of up to lr x 1e-3.
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build(model.trainable_variables)
  step = make_step(model, optimizer, strategy)
  outs = [step(tf.constant(3, tf.int64), tf.constant(k, tf.int64)) for k in range(steps)]
  return [float(o["loss"]) for o in outs], [w.numpy() for w in model.weights]


class MirroredTest(absltest.TestCase):

  def _compare(self, build, make_step):
    keras.utils.set_random_seed(0)
    weights = build().get_weights()
    one = _steps(STRATEGIES["one_device"], build, make_step, weights)
    two_devices = STRATEGIES["mirrored"]
    self.assertEqual(two_devices.num_replicas_in_sync, 2)
    two = _steps(two_devices, build, make_step, weights)
    np.testing.assert_allclose(one[0], two[0], rtol=1e-5)
    for a, b in zip(one[1], two[1]):
      np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    self.assertFalse(np.allclose(one[1][1], weights[1]))  # The steps changed weights.

  def test_hyperlstm_step(self):
    """Gradients are all-reduced before clipping (the clip is active here)."""
    config = config_lib.CharLMConfig(units=16, hyper_units=8, embedding_dim=8,
                                     batch_size=8, seq_length=12, grad_clip=0.05,
                                     recurrent_dropout=0.0, layer_norm=True)
    ids = pydoc_chars.encode("Static and dynamic hypernetworks. " * 20).astype(np.int32)
    self._compare(lambda: lm.build_lm(config),
                  lambda m, o, s: train_lm.make_train_step(m, o, ids, config, s))

  def test_hyper_convnet_step(self):
    self._convnet(batch_norm=False)

  def test_hyper_convnet_batch_norm_step(self):
    """Batch statistics are the global batch's, not each replica's half."""
    self._convnet(batch_norm=True)

  def _convnet(self, batch_norm):
    config = config_lib.HyperConvConfig(channels=(16, 32), pool_after=(1, 1),
                                        batch_size=16, max_shift=1,
                                        batch_norm=batch_norm)
    images, labels = data_lib.load_images("digits", "train")
    self._compare(lambda: convnet.build_convnet(config),
                  lambda m, o, s: train_static.make_train_step(
                      m, o, images, labels, config.batch_size, s, config.max_shift))


if __name__ == "__main__":
  absltest.main()
