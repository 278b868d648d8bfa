"""A meta-training step under MirroredStrategy (two logical CPUs) equals one device."""

from unittest import mock

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.l2l_lstm import config as config_lib
from models.l2l_lstm import model as model_lib
from models.l2l_lstm import train as train_lib
from zoo import distribute


def setUpModule():
  distribute.configure_logical_cpus(2)  # Once per process, before any op.


class StrategyFactoryTest(absltest.TestCase):

  def test_strategies(self):
    self.assertIsInstance(distribute.get_distribution_strategy("one_device"),
                          tf.distribute.OneDeviceStrategy)
    mirrored = distribute.get_distribution_strategy("mirrored")
    self.assertEqual(mirrored.num_replicas_in_sync, 2)
    with self.assertRaisesRegex(ValueError, "Unknown distribution_strategy 'gpu'"):
      distribute.get_distribution_strategy("gpu")
    with self.assertRaisesRegex(ValueError, "num_gpus=1 but this machine has 0"):
      distribute.get_distribution_strategy("mirrored", num_gpus=1)
    with self.assertRaisesRegex(ValueError, "TF_CONFIG"):
      distribute.get_distribution_strategy("multi_worker_mirrored")

  def test_tpu_path_connects_and_initialises(self):
    """No TPU here: the resolver and TPU system calls are mocked, the wiring is real."""
    with mock.patch.object(tf.distribute.cluster_resolver, "TPUClusterResolver") as res, \
        mock.patch.object(tf.config, "experimental_connect_to_cluster") as connect, \
        mock.patch.object(tf.tpu.experimental, "initialize_tpu_system") as init, \
        mock.patch.object(tf.distribute, "TPUStrategy") as tpu_strategy:
      strategy = distribute.get_distribution_strategy("tpu", tpu_address="grpc://t:8470")
    res.assert_called_once_with(tpu="grpc://t:8470")
    connect.assert_called_once_with(res.return_value)
    init.assert_called_once_with(res.return_value)
    tpu_strategy.assert_called_once_with(res.return_value)
    self.assertIs(strategy, tpu_strategy.return_value)

  def test_single_process_is_chief(self):
    self.assertTrue(distribute.is_chief(distribute.get_distribution_strategy()))
    self.assertEqual(distribute.worker_model_dir("/m"), "/m")


class MirroredMetaStepTest(absltest.TestCase):

  def _run(self, strategy, initial_weights):
    config = config_lib.L2LConfig(meta_batch_size=8, optimization_steps=20,
                                  unroll_length=10)
    with strategy.scope():
      net = model_lib.build_from_config(config)
      net.set_weights(initial_weights)
      # SGD, not Adam: Adam would blow a float32 rounding difference in a near-zero
      # summed gradient up to an update difference of up to lr x 1e-3.
      meta_opt = keras.optimizers.SGD(1e-3)
      meta_opt.build(net.trainable_variables)
    step = train_lib.make_train_step(net, meta_opt, config.family(), config, strategy)
    outputs = [step(tf.constant(s, tf.int64)) for s in (3, 4)]
    return ([{k: float(v) for k, v in o.items()} for o in outputs],
            [w.numpy() for w in net.weights])

  def test_two_replicas_equal_one_device(self):
    keras.utils.set_random_seed(1)
    initial = [w.numpy() for w in model_lib.build_from_config(
        config_lib.L2LConfig()).weights]
    mirrored = distribute.get_distribution_strategy("mirrored")
    self.assertEqual(mirrored.num_replicas_in_sync, 2)
    one_out, one_weights = self._run(
        distribute.get_distribution_strategy("one_device"), initial)
    two_out, two_weights = self._run(mirrored, initial)
    for a, b in zip(one_out, two_out):
      self.assertAlmostEqual(a["meta_loss"], b["meta_loss"], delta=1e-4 * a["meta_loss"])
      self.assertAlmostEqual(a["final_loss"], b["final_loss"],
                             delta=1e-4 * a["final_loss"])
    moved = False
    for w0, a, b in zip(initial, one_weights, two_weights):
      np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
      moved |= not np.allclose(w0, a)
    self.assertTrue(moved, "the meta-step did not change the weights")


if __name__ == "__main__":
  absltest.main()
