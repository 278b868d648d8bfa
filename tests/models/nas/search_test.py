"""A short search: it logs every child, trains the controller, and resumes."""

import json
import os

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.nas import config as config_lib
from models.nas import data as data_lib
from models.nas import model as model_lib
from models.nas import runner as runner_lib
from models.nas import search
from zoo import training


def _small_data(dataset):
  del dataset
  rng = np.random.default_rng(0)
  n = 240
  y = rng.integers(0, 3, n).astype(np.int32)
  x = rng.normal(scale=0.5, size=(n, 16)).astype(np.float32)
  x[np.arange(n), 4 + 4 * y] += 2.0
  return {"train": (x[:160], y[:160]), "validation": (x[160:], y[160:]),
          "test": (x[160:], y[160:])}


CONFIG = config_lib.NASConfig(
    children_per_step=2, train_steps=3, initial_layers=1, grow_every=2, max_layers=2,
    child_epochs=2, reward_epochs=1, child_batch_size=32, record_capacity=8)


class _Interrupt(Exception):
  pass


class SearchTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.enter_context(absltest.mock.patch.object(data_lib, "load", _small_data))
    self.trained = []
    original = runner_lib._run_job  # pylint: disable=protected-access

    def counting(args):
      self.trained.append(args[1].key + (args[1].actions,))
      if self.fail_after is not None and len(self.trained) > self.fail_after:
        raise _Interrupt()
      return original(args)

    self.fail_after = None
    self.enter_context(absltest.mock.patch.object(runner_lib, "_run_job", counting))

  def _train(self, model_dir, steps=None):
    keras.utils.set_random_seed(0)
    controller = model_lib.build_from_config(CONFIG)
    context = training.TrainContext(model_dir=model_dir,
                                    strategy=tf.distribute.get_strategy(), seed=3,
                                    train_steps=steps, log=lambda _: None)
    return controller, search.train(controller, CONFIG, context)

  def test_search_logs_every_child_and_follows_the_depth_schedule(self):
    model_dir = self.create_tempdir().full_path
    controller, metrics = self._train(model_dir)
    self.assertEqual(metrics["children_per_arm"], 6)
    with open(os.path.join(model_dir, search.LOG_FILE)) as f:
      entries = [json.loads(line) for line in f]
    self.assertLen(entries, 12)
    for arm in search.ARMS:
      rows = controller.record.read(search.ARMS.index(arm))
      self.assertEqual([d for _, d, _ in rows], [1, 1, 2, 2, 2, 2])
      logged = sorted((e for e in entries if e["arm"] == arm), key=lambda e: e["index"])
      # The record keeps float32.
      np.testing.assert_allclose([e["reward"] for e in logged], [r for _, _, r in rows],
                                 rtol=1e-6)
      self.assertEqual([e["actions"] for e in logged], [a for a, _, _ in rows])
    self.assertTrue(os.listdir(os.path.join(model_dir, "children")))  # TensorBoard.
    # REINFORCE moved the controller away from its initial weights.
    keras.utils.set_random_seed(0)
    fresh = model_lib.build_from_config(CONFIG)
    moved = [not np.allclose(a.numpy(), b.numpy())
             for a, b in zip(controller.trainable_variables, fresh.trainable_variables)]
    self.assertTrue(any(moved))

  def test_an_interrupted_search_resumes_without_retraining_finished_children(self):
    reference_dir = self.create_tempdir().full_path
    reference, _ = self._train(reference_dir)
    self.trained.clear()

    model_dir = self.create_tempdir().full_path
    # Killed in the middle of step 2 (after its first 2 children of 4).
    self.fail_after = 4 + 4 + 2
    with self.assertRaises(_Interrupt):
      self._train(model_dir)
    finished = list(self.trained[:-1])
    self.trained.clear()
    self.fail_after = None
    resumed, metrics = self._train(model_dir)
    self.assertEqual(metrics["steps_this_run"], 1)
    # Only the two children of step 2 that had not finished are trained again.
    self.assertLen(self.trained, 2)
    self.assertEmpty(set(self.trained) & set(finished))
    for a in range(2):
      self.assertEqual(resumed.record.read(a), reference.record.read(a))
    for x, y in zip(resumed.trainable_variables, reference.trainable_variables):
      np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-5, atol=1e-6)

  def test_capacity_error(self):
    with self.assertRaisesRegex(ValueError, "exceed record_capacity=8"):
      self._train(self.create_tempdir().full_path, steps=5)


if __name__ == "__main__":
  absltest.main()
