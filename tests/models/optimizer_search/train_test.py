"""The search loop: cache, worker pool, resuming, and the record it keeps."""

import json
import os

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.optimizer_search import config as config_lib
from models.optimizer_search import controller
from models.optimizer_search import search
from models.optimizer_search import train
from zoo import training

TINY = dict(num_controllers=2, num_units=1, samples_per_step=4, train_steps=3, ppo_epochs=2,
            child_sizes=(64, 8, 10),
            child_steps=5, child_learning_rates=(0.01, 0.1), validate_every=2,
            checkpoint_every=1, log_every=1)


def _train(model_dir, steps, **overrides):
  config = config_lib.SearchConfig(**dict(TINY, **overrides))
  keras.utils.set_random_seed(0)
  strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
  with strategy.scope():
    model = controller.build_from_config(config)
  context = training.TrainContext(model_dir=model_dir, strategy=strategy, seed=3,
                                  train_steps=steps, log=lambda _: None)
  return model, train.train(model, config, context)


class ScorerTest(absltest.TestCase):

  def test_each_distinct_rule_is_trained_once_and_the_pool_agrees(self):
    config = config_lib.SearchConfig(**TINY)
    runner = train.child_runner(config)
    tokens = search.random_tokens(np.random.default_rng(0), [6], 1)
    tokens = np.concatenate([tokens, tokens[:2]])  # Two repeats.
    serial = search.Scorer(runner, 1, num_workers=1)
    rewards, hits = serial.score(tokens)
    self.assertEqual(serial.child_runs, 6)
    self.assertEqual(hits, 2)
    np.testing.assert_array_equal(rewards[6:], rewards[:2])
    again, hits = serial.score(tokens[:3])
    self.assertEqual((serial.child_runs, hits), (6, 3))
    pooled = search.Scorer(runner, 1, num_workers=3)
    np.testing.assert_allclose(pooled.score(tokens)[0], rewards, atol=1e-6)
    pooled.close()
    # The same rule scores the same wherever it sits in a batch.
    np.testing.assert_allclose(runner.rewards(tokens[::-1])[::-1], rewards, atol=1e-6)

  def test_cache_saves_and_loads(self):
    path = os.path.join(self.create_tempdir().full_path, "cache.json")
    cache = search.RewardCache(path)
    cache.rewards["g"] = 0.5
    cache.save()
    self.assertEqual(search.RewardCache(path).rewards, {"g": 0.5})

  def test_bad_worker_count(self):
    with self.assertRaisesRegex(ValueError, "num_workers must be >= 1; received: 0"):
      search.Scorer(None, 1, num_workers=0)


class TrainTest(absltest.TestCase):

  def test_resumed_search_equals_an_uninterrupted_one(self):
    straight, result = _train(self.create_tempdir().full_path, 3)
    self.assertEqual(result["train_steps"], 3)
    folder = self.create_tempdir().full_path
    _train(folder, 2)
    resumed, result = _train(folder, 3)
    self.assertEqual(result["steps_this_run"], 1)
    for a, b in zip(straight.weights, resumed.weights):
      np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6,
                                 err_msg=a.path)
    self.assertEqual(float(resumed.num_logged.numpy()), 12.0)
    rewards = resumed.log_rewards.numpy()
    self.assertTrue(np.all((rewards >= 0) & (rewards <= 1)))
    self.assertGreater(rewards.std(), 0.0)  # Rules differ in what they score.
    with open(os.path.join(folder, train.CACHE_FILE)) as f:
      cache = json.load(f)
    tokens = np.rint(resumed.log_tokens.numpy()).astype(np.int32)
    for s in range(2):
      for i in range(12):
        self.assertAlmostEqual(cache[search.rule_text(tokens[s, i], 1)], rewards[s, i], 6)

  def test_more_steps_than_the_record_holds_is_refused(self):
    with self.assertRaisesRegex(ValueError, "train_steps=5 needs a record"):
      _train(self.create_tempdir().full_path, 5)


if __name__ == "__main__":
  absltest.main()
