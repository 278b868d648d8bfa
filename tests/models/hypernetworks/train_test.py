"""Training loops: a short run learns, the compiled steps trace once, a resumed
language-model run continues its record, MNIST loads through TFDS."""

import json
import os

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from models.hypernetworks import config as config_lib
from models.hypernetworks import convnet
from models.hypernetworks import data as data_lib
from models.hypernetworks import lm
from models.hypernetworks import registration
from models.hypernetworks import train_lm
from models.hypernetworks import train_static
from zoo import distribute
from zoo import training


STRATEGY = None


def _strategy():
  global STRATEGY
  if STRATEGY is None:
    STRATEGY = distribute.get_distribution_strategy()
  return STRATEGY


def _context(model_dir, steps=None, seed=0):
  return training.TrainContext(model_dir=model_dir, strategy=_strategy(), seed=seed,
                               train_steps=steps, log=lambda _: None)


def _build(build, config, seed=0):
  """As the CLI does: seeded, inside the strategy's scope."""
  keras.utils.set_random_seed(seed)
  with _strategy().scope():
    return build(config)


class StaticTrainingTest(absltest.TestCase):

  def test_short_run_learns_and_keeps_the_best_weights(self):
    config = config_lib.HyperConvConfig(channels=(16, 16), pool_after=(1, 1),
                                        embedding_size=4, train_steps=120,
                                        validate_every=40, checkpoint_every=60,
                                        log_every=40, learning_rate=1e-2)
    model = _build(convnet.build_convnet, config)
    val = data_lib.load_images("digits", "validation")
    before = train_static.accuracy(model, *val)
    metrics = train_static.train(model, config,
                                 _context(self.create_tempdir().full_path))
    after = train_static.accuracy(model, *val)
    self.assertLess(before, 0.3)
    self.assertGreater(after, 0.85)
    self.assertAlmostEqual(after, metrics["best_validation_accuracy"], places=6)
    self.assertEqual(metrics["train_steps"], 120)

  def test_trainer_reproduces_the_cli_recipe(self):
    """`Trainer.fit` (used by the evaluation) and `train` (the CLI) give the same
    weights from the same seed."""
    config = config_lib.HyperConvConfig(channels=(16, 16), pool_after=(1, 1),
                                        train_steps=30, validate_every=10,
                                        checkpoint_every=30, log_every=30,
                                        batch_norm=True, max_shift=1)
    model = _build(convnet.build_convnet, config, seed=5)
    train_static.train(model, config, _context(self.create_tempdir().full_path, seed=5))
    trainer = train_static.Trainer(config, hyper=True)
    trainer.fit(seed=5, learning_rate=config.learning_rate)
    for a, b in zip(model.weights, trainer.model.weights):
      np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6,
                                 err_msg=a.path)
    self.assertEqual(trainer.step.experimental_get_tracing_count(), 1)

  def test_shifted_images(self):
    images = tf.reshape(tf.range(2 * 16, dtype=tf.float32), [2, 4, 4, 1])
    same = train_static.shift_images(images, tf.constant([0, 0], tf.int64), 0)
    self.assertIs(same, images)
    shifted = train_static.shift_images(images, tf.constant([1, 2], tf.int64), 1).numpy()
    for b in range(2):  # Each output is the input moved by one of the 9 offsets.
      padded = np.pad(images.numpy()[b, :, :, 0], 1)
      self.assertTrue(any(np.array_equal(shifted[b, :, :, 0],
                                         padded[dy:dy + 4, dx:dx + 4])
                          for dy in range(3) for dx in range(3)))


class MnistTest(absltest.TestCase):

  def test_mnist_through_tfds(self):
    with tfds.testing.mock_data(num_examples=64):
      data_lib._mnist.cache_clear()
      images, labels = data_lib.load_images("mnist", "validation")
      self.assertEqual(images.shape[1:], (28, 28, 1))
      self.assertEqual(images.dtype, np.float32)
      self.assertBetween(float(images.max()), 0.0, 1.0)
      self.assertEqual(labels.dtype, np.int32)
      config = registration.MNIST_STATIC
      model = convnet.build_convnet(config)
      self.assertEqual(model(images[:2]).shape, (2, 10))
      trainer = train_static.Trainer(dataclass_replace(config, batch_size=8,
                                                       train_steps=4, validate_every=2),
                                     hyper=True)
      self.assertGreaterEqual(trainer.fit(0, 1e-3)["validation_accuracy"], 0.0)
    data_lib._mnist.cache_clear()
    with self.assertRaisesRegex(ValueError, "dataset=.*'cifar'"):
      data_lib.load_images("cifar", "train")


def dataclass_replace(config, **kwargs):
  import dataclasses  # pylint: disable=g-import-not-at-top
  return dataclasses.replace(config, **kwargs)


class LanguageModelTrainingTest(absltest.TestCase):

  def test_resumed_run_continues_its_record(self):
    config = config_lib.CharLMConfig(units=16, hyper_units=4, embedding_dim=8,
                                     batch_size=8, seq_length=20, train_steps=20,
                                     validate_every=10, checkpoint_every=10,
                                     log_every=10, eval_streams=64, learning_rate=1e-2)
    model_dir = self.create_tempdir().full_path
    model = _build(lm.build_lm, config)
    first = train_lm.train(model, config, _context(model_dir))
    self.assertLen(first["validation_curve"], 2)
    second = train_lm.train(model, config, _context(model_dir, steps=30))
    curve = second["validation_curve"]
    self.assertEqual([p[0] for p in curve], [10, 20, 30])
    self.assertEqual(curve[:2], first["validation_curve"])
    self.assertGreater(curve[2][1], curve[1][1])  # Training time keeps counting.
    self.assertEqual(second["training_wall_time_s"], round(curve[2][1], 1))
    self.assertLess(curve[2][2], curve[0][2] - 0.5)  # It learns.
    with open(os.path.join(model_dir, train_lm.PROGRESS)) as f:
      self.assertEqual(json.load(f)["curve"], curve)
    self.assertEqual(model._zoo_training["train_steps"], 30)


if __name__ == "__main__":
  absltest.main()
