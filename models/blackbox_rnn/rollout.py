"""The optimization loop of the RNN on a batch of functions, and the paper's losses.

Chen et al. (2016), §2.1: the RNN proposes x_t, the function answers y_t, and the
pair is the RNN's next input; over a horizon of T queries the meta-losses are

    L_sum = sum_t f(x_t)
    L_OI  = sum_t min(f(x_t) - min_{i<t} f(x_i), 0)             (observed improvement)
    L_EI  = -sum_t EI(x_t | y_{1:t-1})                          (expected improvement)

with EI under the GP posterior of the training function (`gp.ExactGPSampler`
provides mu_t and sigma_t at every query). The loop is a Python loop, unrolled into
the graph (T is at most a few dozen), so gradients flow through every proposal,
every observation and the RNN's state: backpropagation through time.
"""

import math

import tensorflow as tf

from models.blackbox_rnn import gp

__all__ = [
    "expected_improvement",
    "meta_loss",
    "rollout",
    "rollout_exact_gp",
    "rollout_rff",
]


def rollout(net, query_fn, query_state, batch_size: int, horizon: int):
  """Runs the RNN for `horizon` queries on a batch of functions.

  Args:
    net: a `BlackboxRNN`.
    query_fn: `query_fn(query_state, x [B, d], t) -> (y [B], extra, query_state)`;
      t counts from 0, `extra` is any nest (stacked over t in the result).
    query_state: the initial state of `query_fn`.

  Returns:
    (xs `[B, T, d]` in the unit box, ys `[B, T]`, extras stacked on axis 1).
  """
  state = net.initial_state(batch_size, horizon)
  xs, ys, extras = [], [], []
  for t in range(horizon):
    x, state = net.step(state, *((xs[-1], ys[-1]) if t else ()))
    y, extra, query_state = query_fn(query_state, x, t)
    xs.append(x)
    ys.append(y)
    extras.append(extra)
  stacked = tf.nest.map_structure(lambda *e: tf.stack(e, axis=1), *extras)
  return tf.stack(xs, axis=1), tf.stack(ys, axis=1), stacked


def rollout_exact_gp(net, family: gp.GPFamily, params, eps, horizon: int):
  """The RNN on exact GP samples (training). Returns (xs, ys, mus, sigmas), the last
  three `[B, T]` float64: the values and the posterior before each query."""
  sampler = family.exact_sampler(params, eps)

  def query(state, x, t):
    y, mu, sigma, state = sampler.query(state, x, t)
    return y, (mu, sigma), state

  xs, ys, (mus, sigmas) = rollout(net, query, sampler.initial_state(),
                                  tf.shape(eps)[0], horizon)
  return xs, ys, mus, sigmas


def rollout_rff(net, rff, horizon: int):
  """The RNN on fixed RFF functions (evaluation). Returns (xs, ys `[B, T]` float64)."""
  def query(state, x, t):
    del t
    return gp.rff_values(rff, x), (), state

  xs, ys, _ = rollout(net, query, (), tf.shape(rff["weight"])[0], horizon)
  return xs, ys


def _normal_cdf(z):
  return 0.5 * (1.0 + tf.math.erf(z / math.sqrt(2.0)))


def expected_improvement(mu, sigma, best):
  """EI(x) = E[max(best - f(x), 0)] for f(x) ~ N(mu, sigma^2) (minimisation):
  (best - mu) Phi(z) + sigma phi(z), z = (best - mu) / sigma (Mockus 1978)."""
  z = (best - mu) / sigma
  pdf = tf.exp(-0.5 * tf.square(z)) / math.sqrt(2.0 * math.pi)
  return (best - mu) * _normal_cdf(z) + sigma * pdf


def incumbents(ys):
  """min_{i<t} y_i `[B, T - 1]` for t = 2..T: the best value before each query."""
  best = [ys[:, 0]]
  for t in range(1, ys.shape[1] - 1):
    best.append(tf.minimum(best[-1], ys[:, t]))
  return tf.stack(best, axis=1)


def meta_loss(kind: str, ys, mus=None, sigmas=None):
  """Per-function meta-loss `[B]` over a horizon (Chen et al. 2016, §2.1).

  Args:
    kind: "sum", "oi" or "ei".
    ys: `[B, T]` observed values; mus, sigmas: `[B, T]` the GP posterior at each
      query given the earlier ones (needed by "ei").

  The first query has no incumbent, so OI and EI sum over t = 2..T. L_OI is
  differentiated as written: its sum telescopes to min_t y_t - y_1, and y_1 does not
  depend on the RNN (the prior at x_1 is the same everywhere), so its gradient is
  that of the best value found.
  """
  if kind == "sum":
    return tf.reduce_sum(ys, axis=1)
  best_before = incumbents(ys)
  if kind == "oi":
    return tf.reduce_sum(tf.minimum(ys[:, 1:] - best_before, 0.0), axis=1)
  if kind == "ei":
    return -tf.reduce_sum(expected_improvement(mus[:, 1:], sigmas[:, 1:], best_before),
                          axis=1)
  raise ValueError(f"kind must be 'sum', 'oi' or 'ei'; received: {kind!r}")
