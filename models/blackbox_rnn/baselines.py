"""The baselines at the same query budget: random search, Sobol, GP-EI.

All three minimise a NumPy function on the unit box [0, 1]^d in `budget` queries and
return the queried points and values.

- Random search: i.i.d. uniform points.
- Quasi-random search: a scrambled Sobol sequence (`scipy.stats.qmc.Sobol`).
- Bayesian optimization with expected improvement (Mockus 1978; Jones et al. 1998),
  the family of Spearmint, which Chen et al. (2016) compare with: scikit-learn's
  `GaussianProcessRegressor` (a constant times a Matern-5/2 or RBF kernel with one
  length scale per dimension, hyper-parameters refitted by maximum marginal
  likelihood before every proposal, with restarts), after a scrambled-Sobol initial
  design. The acquisition function is maximised over the box by scoring 1000 d
  uniform candidates and perturbations of the observed points, then refining the
  best five in four rounds of shrinking Gaussian perturbations (each round one
  batched prediction; gradient-based refinement with finite differences cost 10x
  more per proposal for the same regret on validation functions). The kernel and the initial design's size are tuned
  on validation functions (`tune_gp_ei`).
"""

import dataclasses
import time
import warnings

import numpy as np
from scipy import stats as sp_stats
from scipy.stats import qmc
from sklearn import exceptions as sk_exceptions
from sklearn import gaussian_process
from sklearn.gaussian_process import kernels as sk_kernels
import threadpoolctl

__all__ = ["GPEISettings", "Trace", "gp_ei", "random_search", "sobol_search"]


@dataclasses.dataclass
class Trace:
  """What a run queried: points `[T, d]`, values `[T]`, and the seconds each
  model-based proposal took (empty for random and Sobol)."""
  xs: np.ndarray
  ys: np.ndarray
  proposal_seconds: list = dataclasses.field(default_factory=list)


def _evaluate(fn, xs):
  return np.array([float(fn(x)) for x in xs])


def random_search(fn, dim: int, budget: int, seed: int) -> Trace:
  """`budget` i.i.d. uniform points of the box."""
  xs = np.random.default_rng(seed).uniform(size=(budget, dim))
  return Trace(xs, _evaluate(fn, xs))


def _sobol(dim: int, n: int, seed: int) -> np.ndarray:
  with warnings.catch_warnings():  # Balance needs powers of 2; prefixes are fine.
    warnings.simplefilter("ignore", category=UserWarning)
    return qmc.Sobol(dim, scramble=True, seed=seed).random(n)


def sobol_search(fn, dim: int, budget: int, seed: int) -> Trace:
  """The first `budget` points of a scrambled Sobol sequence (Owen scrambling)."""
  xs = _sobol(dim, budget, seed)
  return Trace(xs, _evaluate(fn, xs))


@dataclasses.dataclass(frozen=True)
class GPEISettings:
  """GP-EI's choices.

  Attributes:
    kernel: "matern52", "matern32" or "rbf" (times a constant).
    initial_points: scrambled Sobol points before the first GP proposal.
    length_scale_bounds: bounds of the ML-II length scales (on the unit box).
    restarts: extra ML-II optimiser restarts from random hyper-parameters.
    candidates_per_dim: uniform candidates per dimension for the acquisition search.
    local_starts: best candidates refined in each local round.
    local_rounds: rounds of local refinement.
  """
  kernel: str = "matern52"
  initial_points: int = 1
  length_scale_bounds: tuple = (1e-2, 1e1)
  restarts: int = 2
  candidates_per_dim: int = 1000
  local_starts: int = 5
  local_rounds: int = 4

  def label(self) -> str:
    return f"{self.kernel}, {self.initial_points} initial"


def _kernel(settings: GPEISettings, dim: int):
  low, high = settings.length_scale_bounds
  if settings.kernel == "rbf":
    base = sk_kernels.RBF(length_scale=np.full(dim, 0.3), length_scale_bounds=(low, high))
  else:
    nu = {"matern52": 2.5, "matern32": 1.5}[settings.kernel]
    base = sk_kernels.Matern(length_scale=np.full(dim, 0.3),
                             length_scale_bounds=(low, high), nu=nu)
  return sk_kernels.ConstantKernel(1.0, (1e-3, 1e3)) * base


def expected_improvement(mu, sigma, best):
  """EI for minimisation, (best - mu) Phi(z) + sigma phi(z), z = (best - mu) / sigma."""
  sigma = np.maximum(sigma, 1e-12)
  z = (best - mu) / sigma
  return (best - mu) * sp_stats.norm.cdf(z) + sigma * sp_stats.norm.pdf(z)


def _propose(gpr, xs, ys, dim, settings, rng):
  """argmax EI over the box: uniform candidates, then rounds of local refinement.

  Every round is one batched `predict`: `candidates_per_dim * d` uniform points and
  Gaussian perturbations of the observed points (scale 0.05); then `local_rounds`
  rounds of perturbations of the best `local_starts` points with a scale shrinking
  by 4x per round (0.05 .. 0.05 / 4^rounds), clipped to the box.
  """
  with warnings.catch_warnings():
    # ML-II often ends at a bound on a handful of points; that is expected here.
    warnings.simplefilter("ignore", category=sk_exceptions.ConvergenceWarning)
    gpr.fit(xs, ys)
  best = ys.min()

  def neg_ei(x):
    mu, sigma = gpr.predict(x, return_std=True)
    return -expected_improvement(mu, sigma, best)

  per_point = settings.candidates_per_dim * dim // 20
  cand = np.concatenate([
      rng.uniform(size=(settings.candidates_per_dim * dim, dim)),
      np.clip(np.repeat(xs, max(1, per_point // len(xs)), axis=0)
              + 0.05 * rng.standard_normal((max(1, per_point // len(xs)) * len(xs), dim)),
              0.0, 1.0)])
  scores = neg_ei(cand)
  scale = 0.05
  for _ in range(settings.local_rounds):
    top = cand[np.argsort(scores)[:settings.local_starts]]
    local = np.clip(np.repeat(top, 10 * dim, axis=0)
                    + scale * rng.standard_normal((len(top) * 10 * dim, dim)), 0.0, 1.0)
    cand = np.concatenate([top, local])
    scores = np.concatenate([scores[np.argsort(scores)[:settings.local_starts]],
                             neg_ei(local)])
    scale /= 4.0
  return cand[np.argmin(scores)]


def gp_ei(fn, dim: int, budget: int, seed: int,
          settings: GPEISettings = GPEISettings()) -> Trace:
  """Bayesian optimization with expected improvement on a scikit-learn GP.

  A query that returns a non-finite value is kept in the trace but left out of the
  GP's data. BLAS runs on one thread (`threadpoolctl`, a scikit-learn dependency):
  its matrices are at most horizon x horizon, and a multi-threaded BLAS made each
  proposal 5-15x slower on a busy 2-core machine.
  """
  with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
    return _gp_ei(fn, dim, budget, seed, settings)


def _gp_ei(fn, dim, budget, seed, settings):
  n_init = min(settings.initial_points, budget)
  xs = list(_sobol(dim, n_init, seed))
  ys = [float(fn(x)) for x in xs]
  rng = np.random.default_rng([seed, 1])
  seconds = []
  for t in range(n_init, budget):
    t0 = time.perf_counter()
    data_x, data_y = np.array(xs), np.array(ys)
    finite = np.isfinite(data_y)
    if finite.sum() == 0:
      x = rng.uniform(size=dim)
    else:
      gpr = gaussian_process.GaussianProcessRegressor(
          kernel=_kernel(settings, dim), alpha=1e-8, normalize_y=True,
          n_restarts_optimizer=settings.restarts, random_state=seed * 1000 + t)
      x = _propose(gpr, data_x[finite], data_y[finite], dim, settings, rng)
    seconds.append(time.perf_counter() - t0)
    xs.append(x)
    ys.append(float(fn(x)))
  return Trace(np.array(xs).reshape(-1, dim), np.array(ys), seconds)
