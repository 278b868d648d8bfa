"""GP functions: kernels, the exact sequential sampler, RFF functions, seeds, minima."""

import math

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from models.blackbox_rnn import gp
from models.blackbox_rnn import tasks as tasks_lib


def _np_kernel(name, x1, x2, ls):
  r2 = (((x1[:, None, :] - x2[None, :, :]) / ls) ** 2).sum(-1)
  r = np.sqrt(r2)
  if name == "rbf":
    return np.exp(-0.5 * r2)
  if name == "matern32":
    return (1 + math.sqrt(3) * r) * np.exp(-math.sqrt(3) * r)
  return (1 + math.sqrt(5) * r + 5 * r2 / 3) * np.exp(-math.sqrt(5) * r)


# Fixed query points, two of them nearly equal (a badly conditioned kernel matrix).
POINTS = np.array([[0.1, 0.2], [0.15, 0.25], [0.5, 0.5], [0.9, 0.1], [0.1, 0.2001],
                   [0.3, 0.8]])


def _whitened_covariance(samples, cov):
  """Covariance of L^-1 y for y with covariance `cov` = L L^T; I if it is right."""
  chol = np.linalg.cholesky(cov)
  white = np.linalg.solve(chol, samples.T).T
  return np.cov(white.T, bias=True)


class KernelTest(parameterized.TestCase):

  @parameterized.parameters(*gp.KERNELS)
  def test_matches_numpy(self, name):
    rng = np.random.RandomState(0)
    x1, x2 = rng.rand(1, 5, 3), rng.rand(1, 4, 3)
    ls = np.array([[0.2, 0.5, 1.0]])
    index = tf.constant([gp.KERNELS.index(name)])
    k = gp.kernel_matrix(gp.KERNELS, index, tf.constant(ls), tf.constant(x1),
                         tf.constant(x2)).numpy()
    np.testing.assert_allclose(k[0], _np_kernel(name, x1[0], x2[0], ls[0]), rtol=1e-10)

  def test_each_task_uses_its_own_kernel(self):
    x = tf.constant(np.tile(POINTS[None, :3], (2, 1, 1)))
    ls = tf.fill([2, 2], tf.constant(0.3, tf.float64))
    k = gp.kernel_matrix(("rbf", "matern32"), tf.constant([1, 0]), ls, x, x).numpy()
    np.testing.assert_allclose(k[0], _np_kernel("matern32", POINTS[:3], POINTS[:3], 0.3))
    np.testing.assert_allclose(k[1], _np_kernel("rbf", POINTS[:3], POINTS[:3], 0.3))

  def test_gradient_is_finite_at_zero_distance(self):
    x = tf.Variable(POINTS[None, :1])
    with tf.GradientTape() as tape:
      k = gp.kernel_matrix(("matern52",), tf.constant([0]),
                           tf.constant([[0.3, 0.3]], tf.float64), x, x)
    self.assertTrue(np.all(np.isfinite(tape.gradient(k, x).numpy())))

  def test_unknown_kernel(self):
    with self.assertRaisesRegex(ValueError, "received: 'periodic'"):
      gp.kernel_of_r2("periodic", tf.constant(1.0))


def _sample_exact(family, n, points, split="train"):
  seeds = family.seeds(split, 0, n)
  params = family.sample_params(seeds)
  sampler = family.exact_sampler(params, family.sample_eps(seeds, len(points)))
  state = sampler.initial_state()
  ys = []
  for t, point in enumerate(points):
    y, _, _, state = sampler.query(state, tf.constant(np.tile(point, (n, 1))), t)
    ys.append(y.numpy())
  return np.stack(ys, 1)


class ExactSamplerTest(parameterized.TestCase):

  @parameterized.parameters("rbf", "matern52")
  def test_samples_have_the_kernels_covariance(self, kernel):
    """y at fixed points, drawn one query at a time, is N(0, K + jitter I): whitened
    by K's Cholesky factor its covariance is I (each entry within 5 standard errors,
    about 5 / sqrt(n))."""
    family = gp.GPFamily(dim=2, kernels=(kernel,), length_scale_min=0.2,
                         length_scale_max=0.2)
    n = 20000
    ys = _sample_exact(family, n, POINTS)
    cov = _np_kernel(kernel, POINTS, POINTS, 0.2)
    self.assertLess(np.abs(ys.mean(0)).max(), 5.0 / math.sqrt(n))
    white = _whitened_covariance(ys, cov + family.jitter * np.eye(len(POINTS)))
    np.testing.assert_allclose(white, np.eye(len(POINTS)), atol=5.0 * math.sqrt(2.0 / n))
    # And directly: the nearly repeated point repeats the value.
    np.testing.assert_allclose(ys[:, 4], ys[:, 0], atol=0.01)

  def test_posterior_matches_numpy(self):
    family = gp.GPFamily(dim=2, kernels=("rbf",))
    seeds = family.seeds("train", 0, 1)
    params = family.sample_params(seeds)
    eps = family.sample_eps(seeds, 4)
    sampler = family.exact_sampler(params, eps)
    state = sampler.initial_state()
    ys = []
    for t in range(3):
      y, _, _, state = sampler.query(state, tf.constant(POINTS[t:t + 1]), t)
      ys.append(float(y[0]))
    mu, sigma, _ = sampler.posterior(state, tf.constant(POINTS[3:4]))
    ls = params["length_scales"].numpy()[0]
    k = _np_kernel("rbf", POINTS[:3], POINTS[:3], ls) + family.jitter * np.eye(3)
    k_star = _np_kernel("rbf", POINTS[:3], POINTS[3:4], ls)[:, 0]
    mu_np = k_star @ np.linalg.solve(k, ys)
    var_np = 1 + family.jitter - k_star @ np.linalg.solve(k, k_star)
    self.assertAlmostEqual(float(mu[0]), mu_np, places=8)
    self.assertAlmostEqual(float(sigma[0]), math.sqrt(var_np), places=8)

  def test_values_are_differentiable_along_the_sequence(self):
    """dy_t / dx_t and dy_t / dx_{t-1} from the tape match finite differences."""
    family = gp.GPFamily(dim=2, kernels=("matern52",))
    seeds = family.seeds("train", 3, 1)
    params = family.sample_params(seeds)
    eps = family.sample_eps(seeds, 2)

    def second_value(x0, x1):
      sampler = family.exact_sampler(params, eps)
      _, _, _, state = sampler.query(sampler.initial_state(), x0, 0)
      return sampler.query(state, x1, 1)[0]

    x0 = tf.Variable([[0.3, 0.4]], dtype=tf.float64)
    x1 = tf.Variable([[0.35, 0.5]], dtype=tf.float64)
    with tf.GradientTape() as tape:
      y = second_value(x0, x1)
    g0, g1 = (g.numpy()[0] for g in tape.gradient(y, [x0, x1]))
    for var, grad in ((x0, g0), (x1, g1)):
      for j in range(2):
        delta = np.zeros([1, 2])
        delta[0, j] = 1e-6
        plus = dict(x0=x0.numpy(), x1=x1.numpy())
        minus = dict(plus)
        key = "x0" if var is x0 else "x1"
        plus[key] = plus[key] + delta
        minus[key] = minus[key] - delta
        numeric = (float(second_value(**plus)[0]) - float(second_value(**minus)[0])) / 2e-6
        self.assertAlmostEqual(grad[j], numeric, delta=1e-5 * (1 + abs(numeric)))


class RFFTest(parameterized.TestCase):

  @parameterized.parameters("rbf", "matern52", "matern32")
  def test_functions_have_the_kernels_covariance(self, kernel):
    family = gp.GPFamily(dim=2, kernels=(kernel,), length_scale_min=0.2,
                         length_scale_max=0.2, rff_features=512)
    n = 8000
    rff = family.sample_rff(family.seeds("test", 0, n))
    values = gp.rff_values(rff, tf.constant(np.tile(POINTS[None], (n, 1, 1)))).numpy()
    cov = _np_kernel(kernel, POINTS, POINTS, 0.2)
    emp = np.cov(values.T, bias=True)
    np.testing.assert_allclose(emp, cov, atol=5.0 * math.sqrt(2.0 / n))

  def test_numpy_function_and_gradient(self):
    family = gp.GPFamily(dim=3, kernels=("rbf",), rff_features=64)
    rff = family.sample_rff(family.seeds("test", 0, 2))
    x = np.random.RandomState(0).rand(2, 5, 3)
    batched = gp.rff_values(rff, tf.constant(x)).numpy()
    fn = gp.RFFFunction.from_batch(rff, 1)
    np.testing.assert_allclose(fn(x[1]), batched[1], rtol=1e-12)
    self.assertIsInstance(fn(x[1, 0]), float)
    for j in range(3):
      step = np.eye(3)[j] * 1e-6
      numeric = (fn(x[1, 0] + step) - fn(x[1, 0] - step)) / 2e-6
      self.assertAlmostEqual(fn.grad(x[1, 0])[j], numeric, delta=1e-5)


class SeedsTest(absltest.TestCase):

  def test_splits_are_disjoint_and_tasks_do_not_depend_on_their_batch(self):
    family = gp.GPFamily(dim=2)
    eps = {s: family.sample_eps(family.seeds(s, 0, 64), 3).numpy()
           for s in ("train", "validation", "test")}
    keys = {s: {v.tobytes() for v in e} for s, e in eps.items()}
    self.assertEmpty(keys["train"] & keys["validation"])
    self.assertEmpty(keys["train"] & keys["test"])
    self.assertEmpty(keys["validation"] & keys["test"])
    alone = family.sample_rff(family.seeds("test", 5, 1))
    batch = family.sample_rff(family.seeds("test", 0, 8))
    for key in alone:
      np.testing.assert_array_equal(alone[key][0].numpy(), batch[key][5].numpy())

  def test_length_scales_and_kernels_follow_the_prior(self):
    family = gp.GPFamily(dim=3, kernels=("rbf", "matern52"), length_scale_min=0.1,
                         length_scale_max=0.4)
    params = family.sample_params(family.seeds("train", 0, 4000))
    ls = params["length_scales"].numpy()
    self.assertTrue(np.all((ls >= 0.1) & (ls <= 0.4)))
    # log-uniform: the median is the geometric mean of the bounds.
    self.assertAlmostEqual(np.median(ls), 0.2, delta=0.01)
    self.assertAlmostEqual(params["kernel"].numpy().mean(), 0.5, delta=0.03)


class TasksTest(absltest.TestCase):

  def test_minima_are_below_a_dense_random_search(self):
    family = gp.GPFamily(dim=2)
    tasks = tasks_lib.gp_tasks(family, "test", 0, 4)
    points = np.random.RandomState(0).rand(20000, 2)
    for i in range(4):
      fn = tasks.function(i)
      self.assertLessEqual(tasks.minima[i], fn(points).min() + 1e-9)
      self.assertAlmostEqual(fn(tasks.argmins[i]), tasks.minima[i], places=9)
      self.assertTrue(np.all((tasks.argmins[i] >= 0) & (tasks.argmins[i] <= 1)))
    regret = tasks.regret(np.array([[0.0, np.nan, -10.0]] * 4))
    self.assertTrue(np.all(regret[:, 2] == 0.0))
    np.testing.assert_allclose(regret[:, 1], -tasks.minima)
    self.assertEqual(tasks.lower_minima(np.full([4, 1], -10.0)), 4)
    np.testing.assert_allclose(tasks.minima, -10.0)


if __name__ == "__main__":
  absltest.main()
