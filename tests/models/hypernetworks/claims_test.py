"""The shipped checkpoints' claims, re-checked, and their recorded metrics reproduced.

Static: the full protocol (3 seeds of each network, about a minute) at `--seed=0`,
whose numbers the checkpoint recorded, and the shipped weights' own accuracy.
Language models: bits per character of the shipped models recomputed on the whole
validation and test splits, the claims' outcomes as recorded, and the equal-wall-time
comparison re-checked on a fixed subset (the validation split's first 20,000
characters) as well.
"""

from absl.testing import absltest

from datasets import pydoc_chars
import zoo
from zoo import evaluation
from models.hypernetworks import lm

STATIC = "hypernetworks.digits_static"
LM = "hypernetworks.pydoc_hyperlstm"


def _evaluate(name, tmp, **kwargs):
  model = zoo.create(name)
  context = evaluation.EvalContext(output_dir=tmp, log=lambda _: None, **kwargs)
  return zoo.get_spec(name).evaluate(model, model.zoo_config, context)


def _close(test, got, want, key, rel=1e-3):
  test.assertAlmostEqual(got, want, delta=rel * abs(want) + 1e-6, msg=key)


class StaticClaimTest(absltest.TestCase):

  def test_claims_hold_and_recorded_metrics_reproduce(self):
    recorded = zoo.model_card(STATIC).metadata["metrics"]
    report = _evaluate(STATIC, self.create_tempdir().full_path, seed=0)
    self.assertLen(report.claims, 2)
    for claim in report.claims:
      self.assertIs(claim.holds, True, claim)  # A plain bool: the metadata is JSON.
    for key in ("hyper_test_accuracy_mean", "plain_test_accuracy_mean",
                "shipped_test_accuracy", "hyper_kernel_params", "plain_kernel_params"):
      _close(self, report.metrics[key], recorded[key], key)
    # The shipped checkpoint is the seed-0 run of the recipe the evaluation retrains.
    self.assertAlmostEqual(report.metrics["shipped_test_accuracy"],
                           report.metrics["hyper_test_accuracies"][0], places=6)


class LanguageModelClaimTest(absltest.TestCase):
  """The HyperLSTM against the LSTM of the same width and the parameter-matched one.

  After the same number of training steps (the paper's setting) the HyperLSTM is
  ahead of both; after the same training wall time (the issue's comparison) the
  outcome is WALL_TIME_BELOW, as the model card states, re-checked here on the whole
  validation split and on a fixed subset.
  """

  BASELINES = ("hypernetworks.pydoc_lstm", "hypernetworks.pydoc_lstm_matched")
  WALL_TIME_BELOW = {"hypernetworks.pydoc_lstm": True,
                     "hypernetworks.pydoc_lstm_matched": False}

  def setUp(self):
    super().setUp()
    self.card = zoo.model_card(LM)
    recorded = self.card.metadata["metrics"]
    if recorded["corpus_sha256"] != pydoc_chars.load_metadata()["corpus_sha256"]:
      self.skipTest("this Python's pydoc topics differ from the corpus the recorded "
                    f"metrics were measured on (Python {recorded['python_version']})")

  def test_claims_and_recorded_metrics_reproduce(self):
    recorded = self.card.metadata["metrics"]
    recorded_claims = {c["statement"]: c["holds"] for c in self.card.metadata["claims"]}
    report = _evaluate(LM, self.create_tempdir().full_path)
    self.assertLen(report.claims, 2 * len(self.BASELINES))
    for claim in report.claims:
      self.assertIsInstance(claim.holds, bool)  # The metadata is JSON.
      self.assertEqual(claim.holds, recorded_claims[claim.statement], claim)
      other = claim.name.split("below_", 1)[1]
      if claim.name.startswith("equal_steps_"):
        self.assertIs(claim.holds, True, claim)
      else:
        self.assertIs(claim.holds, self.WALL_TIME_BELOW[other], claim)
    for key, value in recorded.items():
      if key.endswith("_bpc"):
        _close(self, report.metrics[key], value, key, rel=1e-4)

  def test_wall_time_comparison_on_a_fixed_subset(self):
    subset = pydoc_chars.load_ids("validation")[:20_000]
    ours = lm.bits_per_char(zoo.create(LM), subset)["bpc"]
    for other in self.BASELINES:
      theirs = lm.bits_per_char(zoo.create(other), subset)["bpc"]
      self.assertIs(bool(ours < theirs), self.WALL_TIME_BELOW[other],
                    f"{LM} {ours:.4f} vs {other} {theirs:.4f}")


if __name__ == "__main__":
  absltest.main()
