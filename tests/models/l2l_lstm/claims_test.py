"""The shipped checkpoints' claims, re-checked on fixed subsets of held-out tasks.

The full protocol is `bazel run //zoo:main -- --mode=evaluate --model=...`; here the
same code runs on fewer tasks, and the numbers recorded in the checkpoint's metadata
are recomputed with the full protocol where that is cheap.
"""

from absl.testing import absltest

import zoo
from zoo import evaluation


def _evaluate(name, tmp, **kwargs):
  net = zoo.create(name)
  context = evaluation.EvalContext(output_dir=tmp, log=lambda _: None, **kwargs)
  return zoo.get_spec(name).evaluate(net, net.zoo_config, context)


class QuadraticClaimTest(absltest.TestCase):

  def test_claim_holds_on_subsets_of_held_out_tasks(self):
    for seed in (0, 1):
      report = _evaluate("l2l_lstm.quadratic10", self.create_tempdir().full_path,
                         seed=seed, num_tasks=50, num_validation_tasks=50)
      self.assertLen(report.claims, 2)
      for claim in report.claims:
        self.assertTrue(claim.holds, f"seed {seed}: {claim}")

  def test_recorded_metrics_reproduce(self):
    card = zoo.model_card("l2l_lstm.quadratic10")
    recorded = card.metadata["metrics"]
    report = _evaluate("l2l_lstm.quadratic10", self.create_tempdir().full_path)
    for key in ("lstm_final_loss_mean", "adam_final_loss_mean", "ratio_vs_adam",
                "win_rate_vs_adam", "adam_learning_rate"):
      self.assertAlmostEqual(report.metrics[key], recorded[key],
                             delta=1e-3 * abs(recorded[key]) + 1e-6, msg=key)


class DigitsClaimTest(absltest.TestCase):

  def test_recorded_metrics_reproduce(self):
    """No claim is made for the MLP; the recorded comparison must still be what the
    shipped weights do under the full protocol (100 test tasks, about a minute)."""
    recorded = zoo.model_card("l2l_lstm.digits_mlp").metadata["metrics"]
    report = _evaluate("l2l_lstm.digits_mlp", self.create_tempdir().full_path)
    for key in ("lstm_final_loss_mean", "adam_final_loss_mean", "ratio_vs_adam",
                "win_rate_vs_adam", "adam_learning_rate", "nesterov_final_loss_mean"):
      self.assertAlmostEqual(report.metrics[key], recorded[key],
                             delta=1e-3 * abs(recorded[key]) + 1e-6, msg=key)


if __name__ == "__main__":
  absltest.main()
