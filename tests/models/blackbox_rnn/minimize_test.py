"""`BlackboxRNN.minimize` on Python callables: the box, NaN values, clear errors."""

import math
import warnings

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np

from models.blackbox_rnn import model as model_lib


def _net(dim=2, horizon=8):
  net = model_lib.BlackboxRNN(dim=dim, hidden_sizes=(16,), horizon=horizon,
                              memory_heads=1)
  net.zoo_name = "blackbox_rnn.test"
  return net


class MinimizeTest(absltest.TestCase):

  def test_queries_stay_in_the_users_box(self):
    calls = []

    def fn(x):
      calls.append(np.array(x))
      return float((x[0] - 3.0) ** 2 + x[1])

    bounds = [(-5.0, 10.0), (100.0, 100.5)]
    result = _net().minimize(fn, bounds, budget=8)
    self.assertLen(calls, 8)
    np.testing.assert_array_equal(result.xs, np.array(calls))
    for x in calls:
      self.assertTrue(-5.0 <= x[0] <= 10.0 and 100.0 <= x[1] <= 100.5, x)
    values = [float((x[0] - 3.0) ** 2 + x[1]) for x in calls]
    np.testing.assert_array_equal(result.ys, values)
    self.assertEqual(result.fun, min(values))
    np.testing.assert_array_equal(result.x, calls[int(np.argmin(result.ys))])
    np.testing.assert_allclose(result.best_so_far, np.minimum.accumulate(result.ys))
    self.assertEqual(result.nan_queries, [])
    self.assertGreater(result.seconds_per_proposal, 0.0)
    self.assertIn("8 queries", str(result))

  def test_same_queries_as_the_batched_step(self):
    """minimize() shows the network exactly what `step` on the unit box would."""
    net = _net()
    fn = lambda x: float(np.sin(3 * x[0]) + x[1] ** 2)
    result = net.minimize(fn, [(0.0, 1.0), (0.0, 1.0)], budget=5)
    np.testing.assert_array_equal(result.ys, [fn(x) for x in result.xs])
    state = net.initial_state(1, 5)
    x, state = net.step(state)
    for t in range(5):
      # Each step is fed minimize()'s own history (its queries and their values), so
      # the two agree up to one step's float32 rounding: minimize() runs the step
      # compiled, this loop eagerly, and their kernels may round differently. (Fed
      # its own queries instead, the eager loop drifts: the rounding compounds
      # through the recurrence and the feedback, 5e-4 relative by the fifth query on
      # a loaded 2-core machine.) Feeding the values in the wrong order (4.6e-2) or
      # the queries mirrored (1.8e-3) fails here; a common scale factor on all values
      # does not, by design (the network standardises the values it sees).
      np.testing.assert_allclose(result.xs[t], x.numpy()[0], rtol=1e-4, atol=1e-5,
                                 err_msg=f"query {t}")
      x, state = net.step(state, result.xs[t][None].astype(np.float32),
                          np.array([result.ys[t]], np.float32))

  def test_nan_values_are_reported_and_the_run_goes_on(self):
    def fn(x):
      return float("nan") if x[0] > 0.5 else float(x[0] + x[1])

    net = _net()
    with warnings.catch_warnings(record=True) as caught:
      warnings.simplefilter("always")
      result = net.minimize(fn, [(0.0, 1.0)] * 2, budget=8)
    self.assertLen(result.ys, 8)
    expected = [t for t, y in enumerate(result.ys) if math.isnan(y)]
    self.assertEqual(result.nan_queries, expected)
    if expected:
      self.assertTrue(any("non-finite" in str(w.message) for w in caught))
      self.assertIn("NaN or inf", result.message)
    # A function that is always NaN: every query reported, no best point.
    with warnings.catch_warnings():
      warnings.simplefilter("ignore")
      result = net.minimize(lambda x: float("nan"), [(0.0, 1.0)] * 2, budget=4)
    self.assertEqual(result.nan_queries, [0, 1, 2, 3])
    self.assertIsNone(result.x)
    self.assertTrue(math.isnan(result.fun))
    with warnings.catch_warnings():
      warnings.simplefilter("ignore")
      result = net.minimize(lambda x: -math.inf if x[0] < 0.5 else 1.0,
                            [(0.0, 1.0)] * 2, budget=4)
    self.assertTrue(all(math.isinf(result.ys[t]) for t in result.nan_queries))

  def test_budget_beyond_the_horizon_warns(self):
    with self.assertWarnsRegex(UserWarning, "beyond the horizon"):
      result = _net(horizon=4).minimize(lambda x: float(x.sum()), [(0, 1), (0, 1)],
                                        budget=6)
    self.assertLen(result.ys, 6)

  def test_one_dimensional_bounds_may_be_a_pair(self):
    result = _net(dim=1).minimize(lambda x: float(x[0] ** 2), (-1.0, 1.0), budget=3)
    self.assertEqual(result.xs.shape, (3, 1))


class ErrorsTest(parameterized.TestCase):

  @parameterized.named_parameters(
      ("three_pairs_for_a_2d_model", [(0, 1)] * 3,
       r"bounds has 3 \(low, high\) pairs but model blackbox_rnn.test optimizes "
       r"2-d functions"),
      ("one_pair_for_a_2d_model", [(0, 1)], "bounds has 1 "),
      ("not_pairs", [0, 1, 2], r"shape \(2, 2\); received shape \(3,\)"),
      ("low_above_high", [(0, 1), (2, 1)], r"bounds\[1\] must have low < high"),
      ("infinite", [(0, np.inf), (0, 1)], "bounds must be finite"),
      ("not_numbers", [("a", "b"), (0, 1)], "pairs of numbers"),
  )
  def test_bad_bounds(self, bounds, message):
    with self.assertRaisesRegex(ValueError, message):
      _net().minimize(lambda x: 0.0, bounds)

  @parameterized.parameters(0, -3, 2.5, True, "10")
  def test_bad_budget(self, budget):
    with self.assertRaisesRegex(ValueError, "budget must be a positive integer"):
      _net().minimize(lambda x: 0.0, [(0, 1), (0, 1)], budget=budget)

  def test_not_callable(self):
    with self.assertRaisesRegex(TypeError, "fn must be callable"):
      _net().minimize(3.0, [(0, 1), (0, 1)])

  def test_bad_return_values(self):
    with self.assertRaisesRegex(TypeError, "single number; query 0"):
      _net().minimize(lambda x: x, [(0, 1), (0, 1)])
    with self.assertRaisesRegex(TypeError, "must return a number; query 0"):
      _net().minimize(lambda x: "low", [(0, 1), (0, 1)])


if __name__ == "__main__":
  absltest.main()
