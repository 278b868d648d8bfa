"""Quadratics f(theta) = ||W theta - y||^2 (Andrychowicz et al. 2016, §3.1)."""

import dataclasses

import tensorflow as tf

from models.optimizees import base

__all__ = ["Quadratic"]


@dataclasses.dataclass(frozen=True)
class Quadratic(base.TaskFamily):
  """f(theta) = ||W theta - y||^2 with W, y i.i.d. N(0, 1) (the paper's distribution).

  The authors' code draws W and y from U[0, 1) instead; the paper's text says
  Gaussian, which is what this family samples.

  Attributes:
    dim: dimension of theta (the paper: 10).
    init_std: theta_0 ~ N(0, init_std^2) (the authors' code: 0.01).
    noise_std: standard deviation of the gradient noise (0: deterministic).
    horizon: steps of noise drawn per task (reused cyclically beyond).
  """
  dim: int = 10
  init_std: float = 0.01
  noise_std: float = 0.0
  horizon: int = 200

  name = "quadratic"
  salt = 11

  def sample_one(self, seed):
    s = tf.random.experimental.stateless_split(seed, 3)
    w = tf.random.stateless_normal([self.dim, self.dim], s[0])
    y = tf.random.stateless_normal([self.dim], s[1])
    theta = self.init_std * tf.random.stateless_normal([self.dim], s[2])
    return {"w": w, "y": y}, [theta]

  def objective(self, task, params):
    r = tf.einsum("bij,bj->bi", task["w"], params[0]) - task["y"]
    return tf.reduce_sum(tf.square(r), axis=-1)
