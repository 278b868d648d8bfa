"""Global-optimization benchmarks with known minima: Branin, Goldstein-Price, Hartmann.

The functions of Chen et al. (2016), §3.2 (their Fig. 6), in the standard forms and
domains of Dixon & Szego (1978) as listed in the Virtual Library of Simulation
Experiments (Surjanovic & Bingham). Each is a vectorised NumPy function of points in
its own box, with its global minimum value and minimizers.

`instances` draws transfer instances: a function composed with a random symmetry of
the unit box (a permutation of the coordinates and reflections x -> 1 - x), which
keeps the minimum value, optionally embedded in more dimensions that it ignores.
Each method is run on the same instances, so a deterministic optimizer (the RNN)
faces a different problem on each.
"""

import dataclasses
import math
from typing import Callable

import numpy as np

__all__ = ["FUNCTIONS", "Instance", "TestFunction", "instances"]


def _branin(x):
  a, b, c = 1.0, 5.1 / (4.0 * math.pi**2), 5.0 / math.pi
  r, s, t = 6.0, 10.0, 1.0 / (8.0 * math.pi)
  x1, x2 = x[..., 0], x[..., 1]
  return a * (x2 - b * x1**2 + c * x1 - r)**2 + s * (1.0 - t) * np.cos(x1) + s


def _goldstein_price(x):
  x1, x2 = x[..., 0], x[..., 1]
  a = 1.0 + (x1 + x2 + 1.0)**2 * (19.0 - 14.0 * x1 + 3.0 * x1**2 - 14.0 * x2
                                   + 6.0 * x1 * x2 + 3.0 * x2**2)
  b = 30.0 + (2.0 * x1 - 3.0 * x2)**2 * (18.0 - 32.0 * x1 + 12.0 * x1**2 + 48.0 * x2
                                         - 36.0 * x1 * x2 + 27.0 * x2**2)
  return a * b


_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H3_A = np.array([[3.0, 10.0, 30.0], [0.1, 10.0, 35.0], [3.0, 10.0, 30.0],
                  [0.1, 10.0, 35.0]])
_H3_P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547],
                         [381, 5743, 8828]])
_H6_A = np.array([[10.0, 3.0, 17.0, 3.5, 1.7, 8.0], [0.05, 10.0, 17.0, 0.1, 8.0, 14.0],
                  [3.0, 3.5, 1.7, 10.0, 17.0, 8.0], [17.0, 8.0, 0.05, 10.0, 0.1, 14.0]])
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                         [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650],
                         [4047, 8828, 8732, 5743, 1091, 381]])


def _hartmann(a, p):
  def fn(x):
    # f(x) = -sum_i alpha_i exp(-sum_j A_ij (x_j - P_ij)^2)
    inner = np.sum(a * (x[..., None, :] - p)**2, axis=-1)
    return -np.sum(_H_ALPHA * np.exp(-inner), axis=-1)
  return fn


@dataclasses.dataclass(frozen=True)
class TestFunction:
  """A benchmark: `fn` on points `[..., d]` of the box `bounds` (`[d, 2]`)."""
  name: str
  fn: Callable
  bounds: tuple
  minimum: float
  minimizers: tuple

  @property
  def dim(self) -> int:
    return len(self.bounds)

  def __call__(self, x):
    return self.fn(np.asarray(x, np.float64))


FUNCTIONS = {
    "branin": TestFunction(
        "branin", _branin, ((-5.0, 10.0), (0.0, 15.0)), 0.39788735772973816,
        ((-math.pi, 12.275), (math.pi, 2.275), (3.0 * math.pi, 2.475))),
    "goldstein_price": TestFunction(
        "goldstein_price", _goldstein_price, ((-2.0, 2.0), (-2.0, 2.0)), 3.0,
        ((0.0, -1.0),)),
    "hartmann3": TestFunction(
        "hartmann3", _hartmann(_H3_A, _H3_P), ((0.0, 1.0),) * 3, -3.8627797873327,
        ((0.114614, 0.555649, 0.852547),)),
    "hartmann6": TestFunction(
        "hartmann6", _hartmann(_H6_A, _H6_P), ((0.0, 1.0),) * 6, -3.3223680114155,
        ((0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573),)),
}


@dataclasses.dataclass(frozen=True)
class Instance:
  """`function` seen through a symmetry of the unit box [0, 1]^dim.

  Unit-box coordinate `axes[j]` (reflected where `flips[j]`) is the function's j-th
  coordinate, mapped onto its own box; the other `dim - function.dim` coordinates
  are ignored. Calling it takes points `[dim]` or `[n, dim]` in the unit box.
  """
  function: TestFunction
  dim: int
  axes: tuple
  flips: tuple

  def to_function_box(self, u):
    u = np.asarray(u, np.float64)[..., list(self.axes)]
    u = np.where(self.flips, 1.0 - u, u)
    low, high = np.asarray(self.function.bounds).T
    return low + u * (high - low)

  def __call__(self, u):
    values = self.function(self.to_function_box(u))
    return float(values) if np.ndim(values) == 0 else values

  @property
  def minimum(self) -> float:
    return self.function.minimum


def instances(function: TestFunction, count: int, seed: int, dim: int = 0) -> list:
  """`count` random box symmetries of `function` in `dim` (>= its own) dimensions.

  Instance k of seed s is drawn from `np.random.default_rng([s, k])`, so it does not
  depend on `count`.
  """
  dim = dim or function.dim
  if dim < function.dim:
    raise ValueError(f"dim must be >= {function.name}'s dimension {function.dim}; "
                     f"received: dim={dim}")
  out = []
  for k in range(count):
    rng = np.random.default_rng([seed, k])
    axes = tuple(int(a) for a in rng.permutation(dim)[:function.dim])
    flips = tuple(bool(f) for f in rng.integers(0, 2, function.dim))
    out.append(Instance(function, dim, axes, flips))
  return out
