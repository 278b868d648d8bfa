"""Small synthetic regression and classification problems (Li & Malik 2016, §4;
Wichrowska et al. 2017's 2-class softmax regression).

Each task is its own data set of `num_points` points, drawn from the task's seed, and
the objective is the full-batch loss over it.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from models.optimizees import base

__all__ = ["LogisticRegression", "RobustRegression", "SoftmaxRegression"]


def _two_gaussians(seed, dim: int, num_points: int):
  """Points of two classes, each from a Gaussian with a random mean and covariance.

  Returns (x [num_points, dim], labels [num_points] in {0, 1}), half of each class.
  """
  s = tf.random.experimental.stateless_split(seed, 4)
  means = tf.random.stateless_normal([2, dim], s[0])
  factors = tf.random.stateless_normal([2, dim, dim], s[1]) / np.sqrt(dim)
  z = tf.random.stateless_normal([num_points, dim], s[2])
  labels = tf.cast(tf.range(num_points) % 2, tf.int32)
  x = tf.gather(means, labels) + tf.einsum("nij,nj->ni", tf.gather(factors, labels), z)
  return x, labels


@dataclasses.dataclass(frozen=True)
class LogisticRegression(base.TaskFamily):
  """L2-regularised logistic regression on two Gaussian classes (convex).

  f(w, b) = mean_n log(1 + exp(-s_n (w.x_n + b))) + l2 / 2 ||w||^2, s_n = +-1.
  Parameters start at N(0, 1).
  """
  dim: int = 3
  num_points: int = 100
  l2: float = 5e-4
  noise_std: float = 0.0
  horizon: int = 200

  name = "logistic"
  salt = 41

  def sample_one(self, seed):
    s = tf.random.experimental.stateless_split(seed, 2)
    x, labels = _two_gaussians(s[0], self.dim, self.num_points)
    init = tf.random.stateless_normal([self.dim + 1], s[1])
    return {"x": x, "y": tf.cast(labels, tf.float32)}, [init[:-1], init[-1:]]

  def objective(self, task, params):
    w, b = params
    logits = tf.einsum("bnd,bd->bn", task["x"], w) + b
    ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=task["y"], logits=logits)
    return tf.reduce_mean(ce, axis=-1) + 0.5 * self.l2 * tf.reduce_sum(tf.square(w), -1)


@dataclasses.dataclass(frozen=True)
class RobustRegression(base.TaskFamily):
  """Linear regression with the Geman-McClure loss (non-convex).

  f(w, b) = mean_n rho(y_n - w.x_n - b), rho(r) = r^2 / (c^2 + r^2).
  The inputs come from four Gaussian clusters with random means and covariances; the
  targets from a random linear map plus N(0, 0.25^2) noise, with 10% of them
  replaced by outliers ~ N(0, 5^2). Parameters start at N(0, 1).
  """
  dim: int = 3
  num_points: int = 100
  c: float = 1.0
  noise_std: float = 0.0
  horizon: int = 200

  name = "robust_regression"
  salt = 43

  def sample_one(self, seed):
    s = tf.random.experimental.stateless_split(seed, 8)
    cluster = tf.range(self.num_points) % 4
    means = 2.0 * tf.random.stateless_normal([4, self.dim], s[0])
    factors = tf.random.stateless_normal([4, self.dim, self.dim], s[1]) / np.sqrt(self.dim)
    z = tf.random.stateless_normal([self.num_points, self.dim], s[2])
    x = tf.gather(means, cluster) + tf.einsum("nij,nj->ni", tf.gather(factors, cluster), z)
    w_true = tf.random.stateless_normal([self.dim], s[3])
    b_true = tf.random.stateless_normal([], s[4])
    y = tf.linalg.matvec(x, w_true) + b_true + 0.25 * tf.random.stateless_normal(
        [self.num_points], s[5])
    outlier = tf.random.stateless_uniform([self.num_points], s[6]) < 0.1
    y = tf.where(outlier, 5.0 * tf.random.stateless_normal([self.num_points], s[7]), y)
    init = tf.random.stateless_normal([self.dim + 1], tf.random.experimental.
                                      stateless_fold_in(seed, 9))
    return {"x": x, "y": y}, [init[:-1], init[-1:]]

  def objective(self, task, params):
    w, b = params
    r = task["y"] - tf.einsum("bnd,bd->bn", task["x"], w) - b
    r2 = tf.square(r)
    return tf.reduce_mean(r2 / (self.c ** 2 + r2), axis=-1)


@dataclasses.dataclass(frozen=True)
class SoftmaxRegression(base.TaskFamily):
  """Softmax regression (a d x k weight matrix and k biases) on two Gaussian classes.

  Wichrowska et al. include 2-class softmax regression among their training
  problems; it is logistic regression with a redundant parameterisation, which
  makes the optimum a flat valley. Weights start at N(0, 1/d), biases at 0.
  """
  dim: int = 10
  num_points: int = 100
  num_classes: int = 2
  noise_std: float = 0.0
  horizon: int = 200

  name = "softmax2"
  salt = 47

  def sample_one(self, seed):
    s = tf.random.experimental.stateless_split(seed, 2)
    x, labels = _two_gaussians(s[0], self.dim, self.num_points)
    w = tf.random.stateless_normal([self.dim, self.num_classes], s[1]) / np.sqrt(self.dim)
    return {"x": x, "y": labels}, [w, tf.zeros([self.num_classes])]

  def objective(self, task, params):
    w, b = params
    logits = tf.einsum("bnd,bdk->bnk", task["x"], w) + b[:, None, :]
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(task["y"], logits)
    return tf.reduce_mean(ce, axis=-1)
