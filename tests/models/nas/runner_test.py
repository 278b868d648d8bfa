"""The child runner: serial and process-pool training agree; Grappler is restored."""

from absl.testing import absltest
import numpy as np
import tensorflow as tf

from models.nas import config as config_lib
from models.nas import runner as runner_lib

CONFIG = config_lib.NASConfig(child_epochs=1, reward_epochs=1)


def _jobs():
  rng = np.random.default_rng(0)
  return [runner_lib.ChildJob(key=(i,), actions=tuple(CONFIG.space().sample_random(rng, 2)),
                              depth=2, seed=i, epochs=1) for i in range(2)]


class RunnerTest(absltest.TestCase):

  def test_pool_matches_serial_and_grappler_is_restored(self):
    before = tf.config.optimizer.get_experimental_options().get("disable_meta_optimizer",
                                                                 False)
    with runner_lib.ChildRunner(CONFIG, 1) as serial:
      self.assertTrue(tf.config.optimizer.get_experimental_options()[
          "disable_meta_optimizer"])
      serial_results = {job.key: r for job, r in serial.run(_jobs())}
    self.assertEqual(tf.config.optimizer.get_experimental_options().get(
        "disable_meta_optimizer", False), before)
    with runner_lib.ChildRunner(CONFIG, 2) as pool:
      pool_results = {job.key: r for job, r in pool.run(_jobs())}
    self.assertEqual(set(pool_results), {(0,), (1,)})
    for key, result in serial_results.items():
      # One TensorFlow thread in the workers: sums may round differently.
      self.assertAlmostEqual(pool_results[key]["accuracies"][0], result["accuracies"][0],
                             delta=0.02)
      self.assertEqual(pool_results[key]["params"], result["params"])

  def test_bad_process_count(self):
    with self.assertRaisesRegex(ValueError, "processes must be positive; received: 0"):
      runner_lib.ChildRunner(CONFIG, 0)


if __name__ == "__main__":
  absltest.main()
