"""The shipped controller's claims, re-checked from its search record, and the
recorded retraining reproduced on a fixed subset (the top architecture of each arm,
first seed)."""

import dataclasses

from absl.testing import absltest

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

  def test_recorded_retraining_reproduces(self):
    config = self.config
    summary = evaluate.search_summary(self.controller, config, NAME)
    tops = {arm: evaluate.top_architectures(summary["rows"][arm], 1)
            for arm in ("controller", "random")}
    one_seed = dataclasses.replace(config, retrain_seeds=1)
    tests = evaluate.retrain_top(one_seed, tops, seed=0, log=lambda _: None)
    for arm in ("controller", "random"):
      self.assertAlmostEqual(tests[arm][0][0],
                             self.recorded[f"{arm}_top1_seed0_test_accuracy"],
                             delta=0.005, msg=arm)


if __name__ == "__main__":
  absltest.main()
