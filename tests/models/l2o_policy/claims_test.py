"""The shipped policy optimizers: recorded numbers reproduce, and the claim comes out
as recorded on a fixed subset of held-out objectives."""

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np

import zoo
from models import optimizees
from models.classic_optimizers import rules
from models.classic_optimizers import runner
from models.l2o_policy import train as train_lib
from models.optimizees import base as optimizees_base
from zoo import evaluation

NAMES = ("l2o_policy.logistic", "l2o_policy.robust_regression")


class PolicyClaimsTest(parameterized.TestCase):

  @parameterized.parameters(*NAMES)
  def test_recorded_means_reproduce(self, name):
    """The policy's and the tuned baselines' mean objective at iteration 100 on the
    recorded 100 test objectives, recomputed from the checkpoint and the recorded
    tuned hyperparameters."""
    net = zoo.create(name)
    config = net.zoo_config
    recorded = zoo.model_card(name).metadata["metrics"]
    family = optimizees.get_family(config.family, horizon=max(config.eval_steps,
                                                              config.horizon))
    seeds = family.seeds("test", 0, recorded["num_test_tasks"])
    steps = config.eval_steps
    policy = train_lib.make_optimize_fn(net, family, steps, steps)(seeds)[-1]
    gd = runner.run_rule(family, rules.sgd(), seeds.numpy(), [recorded["gd_lr"]],
                         steps)[-1, 0]
    momentum = runner.run_rule(family, rules.momentum(recorded["momentum_mu"]),
                               seeds.numpy(), [recorded["momentum_lr"]], steps)[-1, 0]
    for value, key in ((policy, "policy_mean"), (gd, "gd_mean"),
                       (momentum, "momentum_mean")):
      self.assertAlmostEqual(float(np.mean(value)), recorded[key],
                             delta=1e-4 * abs(recorded[key]) + 1e-7, msg=key)

  @parameterized.parameters(*NAMES)
  def test_claim_holds_on_an_unseen_test_block(self, name):
    """Test block 1 (100 objectives no evaluation of the checkpoint has used), with the
    hyperparameters tuned on validation objectives: the policy's mean objective at
    iteration 100 is below tuned GD's and tuned momentum's."""
    net = zoo.create(name)
    config = net.zoo_config
    recorded = zoo.model_card(name).metadata["metrics"]
    family = optimizees.get_family(config.family, horizon=max(config.eval_steps,
                                                              config.horizon))
    seeds = family.seeds("test", optimizees_base.TEST_BLOCK, 100)
    steps = config.eval_steps
    policy = train_lib.make_optimize_fn(net, family, steps, steps)(seeds)[-1]
    gd = runner.run_rule(family, rules.sgd(), seeds.numpy(), [recorded["gd_lr"]],
                         steps)[-1, 0]
    momentum = runner.run_rule(family, rules.momentum(recorded["momentum_mu"]),
                               seeds.numpy(), [recorded["momentum_lr"]], steps)[-1, 0]
    self.assertLess(np.mean(policy), np.mean(gd))
    self.assertLess(np.mean(policy), np.mean(momentum))

  @parameterized.parameters(*NAMES)
  def test_claim_comes_out_as_recorded_on_a_subset(self, name):
    """The whole evaluation (tuning included) on 40 test and 40 validation tasks
    gives the claim's recorded outcome."""
    net = zoo.create(name)
    report = zoo.get_spec(name).evaluate(
        net, net.zoo_config, evaluation.EvalContext(
            output_dir=self.create_tempdir().full_path, num_tasks=40,
            num_validation_tasks=40, log=lambda _: None))
    recorded = {c["statement"]: c["holds"] for c in zoo.model_card(name).metadata["claims"]}
    self.assertLen(report.claims, 1)
    claim = report.claims[0]
    self.assertIn(claim.statement, recorded)
    self.assertEqual(claim.holds, recorded[claim.statement], claim)


if __name__ == "__main__":
  absltest.main()
