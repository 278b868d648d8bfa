"""Held-out GP functions with their global minima, for validation and test.

Every method is run on the same fixed functions (`gp.GPFamily.sample_rff`), and
scored by the regret of its best value so far: min_{i<=t} f(x_i) - min_x f(x).
"""

import dataclasses

import numpy as np
from scipy import optimize as sp_optimize
from scipy.stats import qmc
import tensorflow as tf
import threadpoolctl

from models.blackbox_rnn import gp
from models.optimizees import base as optimizees_base

__all__ = ["GPTasks", "best_so_far", "gp_tasks", "test_block_start"]


def best_so_far(ys):
  """Running minimum along the last axis (NaN ignored)."""
  ys = np.where(np.isnan(ys), np.inf, np.asarray(ys, np.float64))
  return np.minimum.accumulate(ys, axis=-1)


def test_block_start(seed: int) -> int:
  """The first test task of `--seed=seed` (blocks never overlap)."""
  return seed * optimizees_base.TEST_BLOCK


@dataclasses.dataclass
class GPTasks:
  """A batch of fixed GP functions on [0, 1]^d and their minima.

  Attributes:
    rff: the batched RFF parameters (TensorFlow tensors, for the RNN's rollout).
    minima: `[B]` min_x f(x) on the box; argmins: `[B, d]`.
    kernels: `[B]` kernel names; length_scales: `[B, d]`.
  """
  rff: dict
  minima: np.ndarray
  argmins: np.ndarray
  kernels: list
  length_scales: np.ndarray

  def __len__(self):
    return len(self.minima)

  def function(self, i: int) -> gp.RFFFunction:
    return gp.RFFFunction.from_batch(self.rff, i)

  def subset(self, indices) -> "GPTasks":
    idx = np.asarray(indices)
    return GPTasks(rff={k: tf.gather(v, idx) for k, v in self.rff.items()},
                   minima=self.minima[idx], argmins=self.argmins[idx],
                   kernels=[self.kernels[i] for i in idx],
                   length_scales=self.length_scales[idx])

  def regret(self, ys):
    """Best-so-far regret `[B, T]` of observed values `[B, T]` (>= 0)."""
    return np.maximum(best_so_far(ys) - self.minima[:, None], 0.0)

  def lower_minima(self, *ys_list) -> int:
    """Lowers each minimum to the best value in `ys_list` (`[B, T]` each) where one
    is lower; returns how many were lowered (the search missed them)."""
    found = np.min([best_so_far(ys)[:, -1] for ys in ys_list], axis=0)
    lower = found < self.minima
    self.minima = np.where(lower, found, self.minima)
    return int(lower.sum())


def _candidates(dim: int) -> np.ndarray:
  if dim <= 2:
    axes = np.linspace(0.0, 1.0, 64)
    return np.stack(np.meshgrid(*([axes] * dim), indexing="ij"), -1).reshape(-1, dim)
  return qmc.Sobol(dim, scramble=True, seed=0).random_base2(13)


def _minimize(fn: gp.RFFFunction, candidates, values, num_starts: int):
  best_x, best_f = candidates[np.argmin(values)], float(values.min())
  for i in np.argsort(values)[:num_starts]:
    res = sp_optimize.minimize(fn, candidates[i], jac=fn.grad, method="L-BFGS-B",
                               bounds=[(0.0, 1.0)] * fn.dim)
    if res.fun < best_f:
      best_x, best_f = np.clip(res.x, 0.0, 1.0), float(res.fun)
  return best_x, best_f


def gp_tasks(family: gp.GPFamily, split: str, start: int, count: int,
             num_starts: int = 8) -> GPTasks:
  """Tasks `start .. start+count-1` of `split`, with their minima.

  The minimum of each function is found by a dense search (a 64^d grid up to 2-d,
  2^13 scrambled Sobol points above) whose best `num_starts` points start L-BFGS-B
  with the analytic gradient, inside the box. The smallest length scale the 2-d
  family uses (0.1) spans about 6 grid cells. Evaluations also lower a minimum to
  the best value any method found, if one found lower (`GPTasks.lower_minima`).
  """
  rff = family.sample_rff(family.seeds(split, start, count))
  cand = _candidates(family.dim)
  values = _rff_values_numpy(rff, cand)
  minima, argmins = [], []
  # One BLAS thread: L-BFGS-B's matrices are tiny, and a multi-threaded BLAS made it
  # many times slower on a busy machine (as in `baselines.gp_ei`).
  with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
    for i in range(count):
      x, f = _minimize(gp.RFFFunction.from_batch(rff, i), cand, values[i], num_starts)
      minima.append(f)
      argmins.append(x)
  kernels = [family.kernels[k] for k in rff["kernel"].numpy()]
  return GPTasks(rff=rff, minima=np.array(minima), argmins=np.array(argmins),
                 kernels=kernels, length_scales=rff["length_scales"].numpy())


@tf.function(reduce_retracing=True)
def _values_chunk(rff, x):
  return gp.rff_values(rff, x)


def _rff_values_numpy(rff, points):
  """f_b(points) `[B, N]` of every function, in chunks of about 2^25 cosines."""
  b, features = (int(n) for n in rff["weight"].shape)
  chunk = max(16, 2**25 // (b * features))
  out = []
  for i in range(0, len(points), chunk):
    part = tf.constant(np.broadcast_to(points[i:i + chunk], (b,) + points[i:i + chunk]
                                       .shape))
    out.append(_values_chunk(rff, part).numpy())
  return np.concatenate(out, axis=1) if out else np.zeros([b, 0])

