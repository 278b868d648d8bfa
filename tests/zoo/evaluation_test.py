"""Tests of zoo.evaluation: statistics, tables, plots."""

import dataclasses
import json
import os
from unittest import mock

from absl.testing import absltest
import numpy as np

from zoo import evaluation


class EvaluationTest(absltest.TestCase):

  def test_mean_stderr(self):
    mean, se = evaluation.mean_stderr([1.0, 2.0, 3.0, 4.0])
    self.assertAlmostEqual(mean, 2.5)
    self.assertAlmostEqual(se, np.std([1, 2, 3, 4], ddof=1) / 2.0)

  def test_paired_stats(self):
    ours = np.array([1.0, 1.0, 5.0, 0.5])
    theirs = np.array([2.0, 0.5, 6.0, 1.0])
    stats = evaluation.paired_stats(ours, theirs)
    self.assertAlmostEqual(stats["win_rate"], 0.75)
    self.assertAlmostEqual(stats["ratio"], 7.5 / 9.5)
    self.assertAlmostEqual(stats["mean_diff"], -0.5)
    with self.assertRaisesRegex(ValueError, "equal shapes"):
      evaluation.paired_stats(ours, theirs[:2])

  def test_best_time_warms_up_once_and_keeps_the_fastest_call(self):
    clock = [0.0]
    durations = iter([100.0, 3.0, 1.0, 2.0])  # The warm-up is slowest and untimed.

    def fake_perf_counter():
      return clock[0]

    def fn():
      clock[0] += next(durations)

    with mock.patch.object(evaluation.time, "perf_counter", fake_perf_counter):
      self.assertEqual(evaluation.best_time(fn, 3), 1.0)
    with self.assertRaisesRegex(ValueError, "repeats"):
      evaluation.best_time(fn, 0)

  def test_format_table_aligns_columns(self):
    text = evaluation.format_table(["name", "value"], [["a", 1.5], ["long name", 10.25]],
                                   title="T")
    lines = text.splitlines()
    self.assertEqual(lines[0], "T")
    self.assertEqual(len({len(line) for line in lines[1:]}), 1)  # Same width everywhere.
    self.assertIn("10.25", lines[-1])

  def test_plot_curves_writes_png(self):
    path = os.path.join(self.create_tempdir().full_path, "sub", "curves.png")
    x = np.arange(5)
    evaluation.plot_curves(path, {"a": (x, x + 1.0, 0.1 * x)}, "t", "x", "y", logy=True)
    with open(path, "rb") as f:
      self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

  def test_report_text_marks_failed_claims(self):
    report = evaluation.Report(
        model="m", tables=["table"], metrics={},
        claims=[evaluation.Claim("c", "x <= 1", "2", False)])
    self.assertIn("NO", report.text())

  def test_claim_outcome_is_a_plain_bool(self):
    claim = evaluation.Claim("c", "x <= 1", "0.5", np.float32(0.5) <= 1)
    self.assertIs(claim.holds, True)
    json.dumps(dataclasses.asdict(claim))  # NumPy booleans would not serialise.


if __name__ == "__main__":
  absltest.main()
