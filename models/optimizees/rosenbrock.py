"""Rosenbrock functions in 2 or n dimensions (Wichrowska et al. 2017's problem set)."""

import dataclasses

import tensorflow as tf

from models.optimizees import base

__all__ = ["Rosenbrock"]


@dataclasses.dataclass(frozen=True)
class Rosenbrock(base.TaskFamily):
  """f(x) = sum_i b (x_{i+1} - x_i^2)^2 + (a - x_i)^2, minimum 0 at x = (a, a^2, ...).

  A task draws a ~ U(0.5, 1.5), b ~ U(20, 100) and a start x_0 ~ U(-2, 2)^dim, so
  the narrow curved valley varies in position and steepness.

  Attributes:
    dim: 2 (the classic) or more (the chained n-d form).
    noise_std: gradient noise (0: deterministic).
    horizon: steps of noise drawn per task.
  """
  dim: int = 2
  noise_std: float = 0.0
  horizon: int = 200

  name = "rosenbrock"
  salt = 31

  def sample_one(self, seed):
    s = tf.random.experimental.stateless_split(seed, 3)
    a = tf.random.stateless_uniform([], s[0], 0.5, 1.5)
    b = tf.random.stateless_uniform([], s[1], 20.0, 100.0)
    x = tf.random.stateless_uniform([self.dim], s[2], -2.0, 2.0)
    return {"a": a, "b": b}, [x]

  def objective(self, task, params):
    x = params[0]
    a = task["a"][:, None]
    b = task["b"][:, None]
    valley = b * tf.square(x[:, 1:] - tf.square(x[:, :-1]))
    return tf.reduce_sum(valley + tf.square(a - x[:, :-1]), axis=-1)
