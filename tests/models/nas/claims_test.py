"""The shipped controller's claims, re-checked from its search record, and the
recorded retraining re-run on a fixed subset (the top architecture of each arm, its
three recorded seeds)."""

from absl.testing import absltest
import numpy as np

import zoo
from models.nas import evaluate

NAME = "nas.controller_mnist1d"


class ClaimsTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.controller = zoo.create(NAME)
    cls.config = cls.controller.zoo_config
    cls.recorded = zoo.model_card(NAME).metadata["metrics"]

  def test_search_claims_hold_and_match_the_recorded_metrics(self):
    summary = evaluate.search_summary(self.controller, self.config, NAME)
    self.assertEqual(summary["n"], self.recorded["children_per_arm"])
    for claim in summary["claims"]:
      self.assertTrue(claim.holds, str(claim))
    for arm in ("controller", "random"):
      for which in ("first", "last"):
        self.assertAlmostEqual(summary[which][arm],
                               self.recorded[f"{arm}_{which}20_reward"], places=6)

  def test_recorded_retraining_reproduces_within_seed_noise(self):
    # Retraining a child for 20 epochs turns float rounding into seed-level
    # differences, and the rounding depends on the CPU (TensorFlow picks its kernels
    # by instruction set, e.g. AVX2 or AVX-512). On machines like the one that recorded the
    # checkpoint the first seed reproduced to 0.005; on an AVX-512 machine the top-1
    # architectures gave [0.971, 0.979, 0.946] (controller) and [0.932, 0.970, 0.958]
    # (random) against the recorded [0.959, 0.946, 0.967] and [0.973, 0.967, 0.971].
    # So the check is at the level of that noise: the mean over the recorded seeds
    # within 0.04 of the recorded mean (about 3 standard errors of a difference of
    # two 3-seed means at a per-seed spread of 0.015), and no seed below 0.85 (a
    # CNN's level on MNIST-1D: a broken builder or training loop lands far lower).
    config = self.config
    summary = evaluate.search_summary(self.controller, config, NAME)
    tops = {arm: evaluate.top_architectures(summary["rows"][arm], 1)
            for arm in ("controller", "random")}
    tests = evaluate.retrain_top(config, tops, seed=0, log=lambda _: None)
    for arm in ("controller", "random"):
      recorded = [self.recorded[f"{arm}_top1_seed{i}_test_accuracy"]
                  for i in range(config.retrain_seeds)]
      ours = tests[arm][0]
      self.assertLen(ours, len(recorded))
      self.assertGreater(min(ours), 0.85, arm)
      self.assertAlmostEqual(np.mean(ours), np.mean(recorded), delta=0.04,
                             msg=f"{arm}: {ours} against the recorded {recorded}")


if __name__ == "__main__":
  absltest.main()
