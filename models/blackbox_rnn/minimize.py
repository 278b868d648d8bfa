"""`BlackboxRNN.minimize`: the learned optimizer on any Python callable.

    net = zoo.create("blackbox_rnn.gp2d")
    result = net.minimize(lambda x: (x[0] - 1) ** 2 + x[1] ** 2,
                          bounds=[(-2, 2), (-2, 2)], budget=20)
    result.x, result.fun

The network proposes points in the unit box, mapped linearly onto `bounds`; the
function is called on one point at a time (a NumPy array `[d]`) and must return a
number. A query whose value is NaN or infinite does not stop the run: it is
recorded (`nan_queries`, a warning), and the network is shown the worst finite value
observed so far in its place (0 before any), so it moves away from there.
"""

import dataclasses
import time
import warnings
from typing import Optional

import numpy as np
import tensorflow as tf

__all__ = ["MinimizeResult", "minimize"]


@dataclasses.dataclass
class MinimizeResult:
  """What `minimize` found.

  Attributes:
    x: the best point `[d]` (None if no query returned a finite value).
    fun: its value (NaN if none was finite).
    xs: every queried point `[budget, d]`, in the user's box; ys: their values.
    best_so_far: the running minimum of the finite values `[budget]`.
    nan_queries: indices of the queries whose value was NaN or infinite.
    budget: queries made; horizon: the queries the network was trained for.
    seconds_per_proposal: mean time the network took per proposal (excluding the
      function's own time).
    message: a one-line summary.
  """
  x: Optional[np.ndarray]
  fun: float
  xs: np.ndarray
  ys: np.ndarray
  best_so_far: np.ndarray
  nan_queries: list
  budget: int
  horizon: int
  seconds_per_proposal: float
  message: str

  def __str__(self):
    return (f"MinimizeResult(fun={self.fun:.6g}, x={self.x}, budget={self.budget}, "
            f"nan_queries={self.nan_queries}): {self.message}")


def _check_bounds(net, bounds) -> np.ndarray:
  name = getattr(net, "zoo_name", None)
  model = f"model {name}" if name else "this model"
  try:
    array = np.asarray(bounds, dtype=np.float64)
  except (TypeError, ValueError) as e:
    raise ValueError(f"bounds must be {net.dim} (low, high) pairs of numbers; "
                     f"received: bounds={bounds!r}") from e
  if array.shape == (2,) and net.dim == 1:
    array = array[None]
  if array.ndim != 2 or array.shape[1] != 2:
    raise ValueError(f"bounds must be a sequence of (low, high) pairs, one per "
                     f"dimension, shape ({net.dim}, 2); received shape {array.shape}: "
                     f"bounds={bounds!r}")
  if array.shape[0] != net.dim:
    raise ValueError(
        f"bounds has {array.shape[0]} (low, high) pairs but {model} optimizes "
        f"{net.dim}-d functions: pass {net.dim} pairs, or use a model trained for "
        f"{array.shape[0]}-d functions; received: bounds={bounds!r}")
  if not np.all(np.isfinite(array)):
    raise ValueError(f"bounds must be finite; received: bounds={bounds!r}")
  bad = np.nonzero(array[:, 0] >= array[:, 1])[0]
  if len(bad):
    i = int(bad[0])
    raise ValueError(f"bounds[{i}] must have low < high; received: bounds[{i}]="
                     f"({array[i, 0]:g}, {array[i, 1]:g})")
  return array


def _value(fn, x, index: int) -> float:
  value = fn(x)
  try:
    array = np.asarray(value, dtype=np.float64)
  except (TypeError, ValueError) as e:
    raise TypeError(f"fn must return a number; query {index} at x={x} returned "
                    f"{value!r}") from e
  if array.size != 1:
    raise TypeError(f"fn must return a single number; query {index} at x={x} "
                    f"returned shape {array.shape}: {value!r}")
  return float(array.reshape(()))


def _step_fns(net, capacity: int):
  """Compiled first and next steps for batch 1, traced once per capacity."""
  cache = net.__dict__.setdefault("_zoo_minimize_fns", {})
  if capacity not in cache:
    first = tf.function(lambda: net.step(net.initial_state(1, capacity)))
    step = tf.function(lambda state, x, y: net.step(state, x, y))
    cache[capacity] = (first, step)
  return cache[capacity]


def minimize(net, fn, bounds, budget: Optional[int] = None) -> MinimizeResult:
  """Minimises `fn` over the box `bounds` in `budget` queries with the RNN `net`.

  Args:
    net: a `BlackboxRNN` (e.g. `zoo.create("blackbox_rnn.gp2d")`).
    fn: a Python callable taking a NumPy array `[d]` and returning a number.
    bounds: `d` pairs (low, high), one per dimension of the network.
    budget: queries to make (default: the horizon the network was trained for;
      beyond it the proposals are extrapolation, and a warning says so).

  Returns:
    A `MinimizeResult`.

  Raises:
    ValueError: bounds of the wrong dimension or shape, not finite, or low >= high;
      a budget that is not a positive integer.
    TypeError: `fn` is not callable, or returned something that is not one number.
  """
  if not callable(fn):
    raise TypeError(f"fn must be callable; received: {fn!r}")
  box = _check_bounds(net, bounds)
  budget = net.horizon if budget is None else budget
  if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < 1:
    raise ValueError(f"budget must be a positive integer; received: budget={budget!r}")
  budget = int(budget)
  if budget > net.horizon:
    warnings.warn(f"budget={budget} is beyond the horizon the network was trained for "
                  f"({net.horizon} queries); later proposals are extrapolation.",
                  stacklevel=3)
  low, width = box[:, 0], box[:, 1] - box[:, 0]
  first, step = _step_fns(net, budget)
  xs, ys, nan_queries, seconds = [], [], [], 0.0
  worst = None
  x_unit = y_seen = state = None
  for t in range(budget):
    t0 = time.perf_counter()
    if t == 0:
      x_unit, state = first()
    else:
      x_unit, state = step(state, x_unit, tf.constant([y_seen], tf.float32))
    u = x_unit.numpy()[0].astype(np.float64)
    seconds += time.perf_counter() - t0
    x = np.clip(low + u * width, box[:, 0], box[:, 1])
    y = _value(fn, x, t)
    xs.append(x)
    ys.append(y)
    if np.isfinite(y):
      worst = y if worst is None else max(worst, y)
      y_seen = y
    else:
      nan_queries.append(t)
      y_seen = 0.0 if worst is None else worst
  ys = np.array(ys)
  finite = np.where(np.isfinite(ys), ys, np.inf)
  best_so_far = np.minimum.accumulate(finite)
  best_so_far[np.isinf(best_so_far)] = np.nan
  if nan_queries:
    warnings.warn(f"fn returned a non-finite value at {len(nan_queries)} of {budget} "
                  f"queries ({nan_queries}); the run went on, showing the network the "
                  "worst finite value seen so far in their place.", stacklevel=3)
  if np.all(np.isinf(finite)):
    x_best, fun = None, float("nan")
  else:
    i = int(np.argmin(finite))
    x_best, fun = xs[i], float(ys[i])
  message = (f"{budget} queries, best value {fun:.6g}"
             + (f"; {len(nan_queries)} returned NaN or inf (queries {nan_queries})"
                if nan_queries else ""))
  return MinimizeResult(x=x_best, fun=fun, xs=np.array(xs), ys=ys,
                        best_so_far=best_so_far, nan_queries=nan_queries,
                        budget=budget, horizon=net.horizon,
                        seconds_per_proposal=seconds / budget, message=message)
