"""Few-shot training: a tiny SNAIL and its ProtoNet learn synthetic classes in seconds."""

import dataclasses

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.snail import config as config_lib
from models.snail import episodes
from models.snail import model as model_lib
from models.snail import train as train_lib
from zoo import distribute

CONFIG = config_lib.FewShotConfig(
    way=3, min_shots=1, max_shots=2, image_size=16, embedding_filters=8,
    embedding_blocks=3, blocks=("a16x8", "t8", "a16x8"), batch_episodes=8,
    queries_per_class=2, learning_rate=3e-3, baseline_learning_rate=3e-3)


def _synthetic(num_classes=20, per_class=6, seed=0):
  """Each class a random blob pattern; examples are it plus noise and a shift."""
  rng = np.random.default_rng(seed)
  patterns = (rng.uniform(size=(num_classes, 16, 16)) > 0.7).astype(np.float32)
  images, labels = [], []
  for c in range(num_classes):
    for _ in range(per_class):
      x = np.roll(patterns[c], rng.integers(-1, 2, size=2), axis=(0, 1))
      images.append(np.clip(x + rng.normal(0, 0.2, x.shape), 0, 1))
      labels.append(c)
  return np.stack(images)[..., None].astype(np.float32), np.array(labels)


class TrainTest(absltest.TestCase):

  def test_snail_and_protonet_learn(self):
    keras.utils.set_random_seed(0)
    strategy = distribute.get_distribution_strategy()
    with strategy.scope():
      model = model_lib.build_from_config(CONFIG)
      optimizer, baseline_optimizer = train_lib.make_optimizers(model, CONFIG, 300)
    train = episodes.EpisodeSampler(*_synthetic(seed=0), way=3)
    held_out = episodes.EpisodeSampler(*_synthetic(seed=1), way=3)
    sx, sy, qx, qy = held_out.sample([0, 0], batch=32, shots=2, queries=2)

    def losses():
      return (float(tf.reduce_mean(train_lib.episode_loss(
                  model.episode_logits(sx, sy, qx, training=True), qy))),
              float(tf.reduce_mean(train_lib.episode_loss(
                  model.protonet_logits(sx, sy, qx, training=True), qy))))

    before = losses()
    step = train_lib.make_train_step(model, optimizer, baseline_optimizer, train, CONFIG,
                                     strategy, seed=0)
    for k in range(300):
      metrics = step(tf.constant(k, tf.int64))
    self.assertEqual(set(metrics), {"loss", "accuracy", "protonet_loss",
                                    "protonet_accuracy", "shots"})
    after = losses()
    self.assertLess(after[0], 0.7 * before[0], (before, after))
    self.assertLess(after[1], 0.7 * before[1], (before, after))
    # The step traced once although K changes from step to step.
    self.assertEqual(step.experimental_get_tracing_count(), 1)

  def test_cosine_schedule_decays_both_learning_rates_to_a_tenth(self):
    config = dataclasses.replace(CONFIG, lr_schedule="cosine")
    model = model_lib.build_from_config(config)
    for constant in (False, True):
      optimizers = train_lib.make_optimizers(
          model, CONFIG if constant else config, total_steps=40)
      for opt, rate in zip(optimizers, (config.learning_rate,
                                        config.baseline_learning_rate)):
        self.assertAlmostEqual(float(opt.learning_rate), rate, delta=1e-9)
        opt.iterations.assign(40)
        self.assertAlmostEqual(float(opt.learning_rate), rate if constant else rate / 10,
                               delta=1e-9)
    with self.assertRaisesRegex(ValueError, "lr_schedule must be .*'linear'"):
      dataclasses.replace(CONFIG, lr_schedule="linear")

  def test_evaluator_is_deterministic_and_checks_shots(self):
    model = model_lib.build_from_config(CONFIG)
    evaluator = train_lib.EpisodeEvaluator(
        model, episodes.EpisodeSampler(*_synthetic(), way=3), chunk=10)
    a = evaluator.accuracies(5, 25, shots=2)
    b = evaluator.accuracies(5, 25, shots=2)
    self.assertLen(a["snail"], 25)
    np.testing.assert_array_equal(a["snail"], b["snail"])
    np.testing.assert_array_equal(a["protonet"], b["protonet"])
    with self.assertRaisesRegex(ValueError, r"shots \+ queries \(6 \+ 1\)"):
      evaluator.accuracies(5, 10, shots=6)

  def test_smoke_loss_is_finite(self):
    model = model_lib.build_from_config(CONFIG)
    self.assertTrue(np.isfinite(float(train_lib.smoke_loss(model, CONFIG))))


if __name__ == "__main__":
  absltest.main()
