"""The shipped checkpoint's claims, re-checked on held-out GP functions.

The full protocol is `bazel run //zoo:main -- --mode=evaluate --model=blackbox_rnn.gp2d`
(GP-EI tuned on validation functions and run on 100 test functions, about 15 minutes
on 2 cores); here:
- the claim against random and Sobol search on two test blocks that the recorded
  evaluation did not use (`--seed=1`, `--seed=2`), 100 functions each;
- the speed claim against GP-EI (with the tuned settings recorded in the metadata),
  timed in this process;
- the recorded median and mean regrets of the RNN, random and Sobol search on the
  recorded block (`--seed=0`), recomputed exactly.
The paper's parity with GP-EI does not reproduce at this scale (the evaluation
reports that claim as not holding; see the model card), so it is not asserted here.
"""

from absl.testing import absltest
import numpy as np

import zoo
from models.blackbox_rnn import baselines
from models.blackbox_rnn import evaluate as evaluate_lib

NAME = "blackbox_rnn.gp2d"


def _recorded():
  return zoo.model_card(NAME).metadata


def _gp_ei_settings(metrics):
  return baselines.GPEISettings(kernel=metrics["gp_ei_kernel"],
                                initial_points=metrics["gp_ei_initial_points"])


class GP2DClaimsTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.net = zoo.create(NAME)
    cls.config = cls.net.zoo_config
    cls.metrics = _recorded()["metrics"]
    cls.settings = _gp_ei_settings(cls.metrics)

  def _final_medians(self, seed, num_tasks, methods):
    result = evaluate_lib.run_gp_comparison(self.net, self.config, seed, num_tasks,
                                            self.settings, methods=methods)
    return result, {k: v[:, -1] for k, v in result["regret"].items()}

  def test_below_random_and_sobol_on_unseen_test_blocks(self):
    for seed in (1, 2):
      _, final = self._final_medians(seed, 100, ("random", "sobol"))
      med = {k: float(np.median(v)) for k, v in final.items()}
      for baseline in ("random", "sobol"):
        self.assertLess(med["rnn"], med[baseline], f"seed {seed}: {med}")

  def test_proposals_faster_than_gp_ei(self):
    result = evaluate_lib.run_gp_comparison(self.net, self.config, 3, 4, self.settings,
                                            methods=("gp_ei",))
    gp_seconds = float(np.mean(result["seconds"]["gp_ei"]))
    rnn_seconds = evaluate_lib.time_rnn_proposals(self.net, result["tasks"], 4)
    speedup = gp_seconds / rnn_seconds
    self.assertGreaterEqual(speedup, self.config.claim_min_speedup_vs_gp_ei,
                            f"GP-EI {gp_seconds:.4g} s, RNN {rnn_seconds:.4g} s")

  def test_recorded_regrets_reproduce(self):
    # Every recorded minimum came from the dense search (no method found lower), so
    # the RNN's, random's and Sobol's regrets do not depend on GP-EI's runs.
    self.assertEqual(self.metrics["minima_lowered_by_a_method"], 0)
    _, final = self._final_medians(0, self.metrics["num_test_tasks"],
                                   ("random", "sobol"))
    for method in ("rnn", "random", "sobol"):
      for stat, value in (("median", np.median(final[method])),
                          ("mean", np.mean(final[method]))):
        recorded = self.metrics[f"{method}_{stat}_regret"]
        self.assertAlmostEqual(float(value), recorded, delta=1e-3 * recorded + 1e-6,
                               msg=f"{method}_{stat}_regret")


if __name__ == "__main__":
  absltest.main()
