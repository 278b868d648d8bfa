"""The benchmarks hit their known minima, and their instances keep them."""

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
from scipy import optimize as sp_optimize

from models.blackbox_rnn import test_functions

NAMES = sorted(test_functions.FUNCTIONS)


class TestFunctionsTest(parameterized.TestCase):

  @parameterized.parameters(*NAMES)
  def test_known_minimizers_give_the_known_minimum(self, name):
    fn = test_functions.FUNCTIONS[name]
    for x in fn.minimizers:
      self.assertAlmostEqual(float(fn(np.array(x))), fn.minimum, delta=1e-4)

  @parameterized.parameters(*NAMES)
  def test_nothing_in_the_box_is_lower(self, name):
    """Neither a dense random search nor L-BFGS-B from its best points (nor from the
    minimizers) goes below the minimum."""
    fn = test_functions.FUNCTIONS[name]
    low, high = np.array(fn.bounds).T
    points = low + (high - low) * np.random.RandomState(0).rand(200000, fn.dim)
    values = fn(points)
    self.assertGreater(values.min(), fn.minimum - 1e-9)
    starts = list(points[np.argsort(values)[:5]]) + [np.array(x) for x in fn.minimizers]
    for start in starts:
      res = sp_optimize.minimize(fn, start, method="L-BFGS-B", bounds=fn.bounds)
      self.assertGreater(res.fun, fn.minimum - 1e-6)
    # The best local search lands on the minimum: the listed minimum is attained.
    best = min(sp_optimize.minimize(fn, s, method="L-BFGS-B", bounds=fn.bounds).fun
               for s in starts)
    self.assertAlmostEqual(best, fn.minimum, delta=1e-6)

  def test_hand_values(self):
    fns = test_functions.FUNCTIONS
    # Goldstein-Price at the origin: (1 + 1 * 19) * (30 + 0) = 600.
    self.assertAlmostEqual(float(fns["goldstein_price"](np.zeros(2))), 600.0)
    # Branin at (0, 0): (-6)^2 + 10 (1 - 1 / (8 pi)) + 10.
    expected = 36.0 + 10.0 * (1.0 - 1.0 / (8.0 * np.pi)) + 10.0
    self.assertAlmostEqual(float(fns["branin"](np.zeros(2))), expected)

  def test_vectorised(self):
    fn = test_functions.FUNCTIONS["hartmann6"]
    x = np.random.RandomState(1).rand(7, 6)
    np.testing.assert_allclose(fn(x), [float(fn(p)) for p in x])


class InstancesTest(parameterized.TestCase):

  @parameterized.parameters(("branin", 0), ("hartmann3", 6), ("goldstein_price", 6))
  def test_symmetries_keep_the_minimum(self, name, dim):
    fn = test_functions.FUNCTIONS[name]
    instances = test_functions.instances(fn, 8, seed=3, dim=dim)
    # Different instances (a 2-d function has only 8 symmetries of the square).
    self.assertGreaterEqual(len({(i.axes, i.flips) for i in instances}), 4)
    low, high = np.array(fn.bounds).T
    for inst in instances:
      self.assertEqual(inst.dim, dim or fn.dim)
      # Map the minimizer into the unit box through the inverse symmetry.
      x = (np.array(fn.minimizers[0]) - low) / (high - low)
      x = np.where(inst.flips, 1.0 - x, x)
      u = np.full(inst.dim, 0.3)
      u[list(inst.axes)] = x
      self.assertAlmostEqual(inst(u), fn.minimum, delta=1e-4)
      # Unused coordinates do not matter.
      v = u.copy()
      unused = [a for a in range(inst.dim) if a not in inst.axes]
      v[unused] = 0.9
      self.assertEqual(inst(u), inst(v))

  def test_instances_do_not_depend_on_count(self):
    fn = test_functions.FUNCTIONS["hartmann6"]
    self.assertEqual(test_functions.instances(fn, 3, 0)[2],
                     test_functions.instances(fn, 10, 0)[2])

  def test_too_few_dimensions(self):
    with self.assertRaisesRegex(ValueError, "received: dim=2"):
      test_functions.instances(test_functions.FUNCTIONS["hartmann3"], 2, 0, dim=2)


if __name__ == "__main__":
  absltest.main()
