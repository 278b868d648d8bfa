"""The shipped HRNN checkpoint: its recorded numbers reproduce, and the evaluation's
claims come out the same on a fixed subset of held-out tasks."""

import dataclasses

from absl.testing import absltest
import numpy as np

import zoo
from models import optimizees
from models.classic_optimizers import rules
from models.classic_optimizers import runner
from models.hrnn import train as train_lib
from zoo import evaluation

NAME = "hrnn.mixture4"


class HRNNClaimsTest(absltest.TestCase):

  def test_recorded_family_means_reproduce(self):
    """The HRNN's, tuned Adam's and tuned RMSprop's mean loss@200 on each training
    family, recomputed on the recorded 100 test tasks, equal the recorded means (what
    the first claim compares)."""
    net = zoo.create(NAME)
    config = net.zoo_config
    recorded = zoo.model_card(NAME).metadata["metrics"]
    for name in config.train_families:
      family = optimizees.get_family(name, horizon=config.eval_steps)
      seeds = family.seeds("test", 0, recorded["num_test_tasks"])
      final = train_lib.optimize(net, family, seeds, config.eval_steps,
                                 config.eval_steps)[-1]
      self.assertAlmostEqual(float(np.mean(final)), recorded[f"{name}_hrnn_mean"],
                             delta=1e-3 * abs(recorded[f"{name}_hrnn_mean"]) + 1e-6,
                             msg=name)
      # The baselines the claim compares with, at their recorded tuned learning rates.
      for key in ("adam", "rmsprop"):
        theirs = runner.run_rule(family, rules.get_rule(key), seeds.numpy(),
                                 [recorded[f"{name}_{key}_lr"]], config.eval_steps,
                                 config.eval_steps)[-1, 0]
        self.assertAlmostEqual(float(np.mean(theirs)), recorded[f"{name}_{key}_mean"],
                               delta=1e-3 * abs(recorded[f"{name}_{key}_mean"]) + 1e-6,
                               msg=f"{name} {key}")

  def test_claims_come_out_as_recorded_on_a_subset(self):
    """Both claims (training families only, 30 test tasks) are what the full
    evaluation recorded, whether they hold or not."""
    net = zoo.create(NAME)
    config = dataclasses.replace(net.zoo_config,
                                 eval_families=net.zoo_config.train_families)
    report = zoo.get_spec(NAME).evaluate(
        net, config, evaluation.EvalContext(
            output_dir=self.create_tempdir().full_path, num_tasks=30,
            num_validation_tasks=30, log=lambda _: None))
    recorded = {c["statement"]: c["holds"]
                for c in zoo.model_card(NAME).metadata["claims"]}
    self.assertLen(report.claims, 2)
    for claim in report.claims:
      self.assertIn(claim.statement, recorded)
      self.assertEqual(claim.holds, recorded[claim.statement], claim)


if __name__ == "__main__":
  absltest.main()
