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
    """Tuned Adam's and tuned RMSprop's mean loss@200 on each training family,
    recomputed on the recorded 100 test tasks, equal the recorded means; the HRNN's
    reproduces within the spread of CPU-dependent rounding, and where it is clearly
    better or worse than both baselines (what the first claim counts) it stays so.

    The hand-written rules reproduce to float precision on any CPU. The HRNN's 200
    steps of a learned LSTM update turn the rounding of TensorFlow's CPU kernels
    (chosen by instruction set, e.g. AVX2 or AVX-512) into different trajectories on
    some tasks: on an AVX-512 machine its means came out +1.8% (quadratic), -17.2%
    (rosenbrock), -0.04% (logistic) and -0.7% (softmax2) off the recorded ones, while
    on machines like the recording one they reproduced to 0.1%. So its means are
    checked to 25%, and the per-family comparison with the baselines only where the
    recorded margin exceeds 1% (logistic's is 0.07%, which rounding can flip).
    """
    net = zoo.create(NAME)
    config = net.zoo_config
    recorded = zoo.model_card(NAME).metadata["metrics"]
    for name in config.train_families:
      family = optimizees.get_family(name, horizon=config.eval_steps)
      seeds = family.seeds("test", 0, recorded["num_test_tasks"])
      final = train_lib.optimize(net, family, seeds, config.eval_steps,
                                 config.eval_steps)[-1]
      ours = float(np.mean(final))
      theirs = {}
      # The baselines the claim compares with, at their recorded tuned learning rates.
      for key in ("adam", "rmsprop"):
        theirs[key] = float(np.mean(runner.run_rule(
            family, rules.get_rule(key), seeds.numpy(), [recorded[f"{name}_{key}_lr"]],
            config.eval_steps, config.eval_steps)[-1, 0]))
        self.assertAlmostEqual(theirs[key], recorded[f"{name}_{key}_mean"],
                               delta=1e-3 * abs(recorded[f"{name}_{key}_mean"]) + 1e-6,
                               msg=f"{name} {key}")
      hrnn = recorded[f"{name}_hrnn_mean"]
      self.assertAlmostEqual(ours, hrnn, delta=0.25 * abs(hrnn) + 1e-6, msg=name)
      best = min(theirs.values())
      if abs(hrnn - best) > 0.01 * best:
        self.assertEqual(ours <= best, hrnn <= best, f"{name}: {ours} vs {theirs}")

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
