"""An MLP classifier on scikit-learn's 8x8 digits (the paper's MNIST MLP, scaled down)."""

import dataclasses

import numpy as np
import tensorflow as tf

from datasets import sklearn_digits
from models.optimizees import base

__all__ = ["DigitsMLP"]


@dataclasses.dataclass(frozen=True)
class DigitsMLP(base.TaskFamily):
  """64 -> hidden -> 10 MLP, cross-entropy on minibatches of the digits train split.

  A task is an initialisation (LeCun-normal weights, zero biases) and a sequence of
  minibatches, both drawn from the task's seed. Andrychowicz et al. used one hidden
  layer of 20 sigmoid units and minibatches of 128 on MNIST.

  Attributes:
    hidden: hidden units.
    activation: "sigmoid" (the paper) or "relu".
    batch_size: examples per minibatch.
    horizon: minibatches drawn per task; steps past it reuse them cyclically.
  """
  hidden: int = 20
  activation: str = "sigmoid"
  batch_size: int = 128
  horizon: int = 100

  name = "digits_mlp"
  salt = 23

  def _data(self):
    x, y = sklearn_digits.load_arrays("train")
    return tf.constant(x), tf.constant(y)

  def sample_one(self, seed):
    s = tf.random.experimental.stateless_split(seed, 3)
    w1 = tf.random.stateless_normal([64, self.hidden], s[0]) / np.sqrt(64.0)
    w2 = tf.random.stateless_normal([self.hidden, 10], s[1]) / np.sqrt(self.hidden)
    n = sklearn_digits.load_arrays("train")[0].shape[0]
    batches = tf.random.stateless_uniform(
        [self.horizon, self.batch_size], s[2], minval=0, maxval=n, dtype=tf.int32)
    params = [w1, tf.zeros([self.hidden]), w2, tf.zeros([10])]
    return {"batches": batches}, params

  def _act(self, z):
    if self.activation == "sigmoid":
      return tf.sigmoid(z)
    if self.activation == "relu":
      return tf.nn.relu(z)
    raise ValueError(f"activation must be 'sigmoid' or 'relu'; received: "
                     f"{self.activation!r}")

  def _logits(self, x, params, per_task_inputs: bool):
    w1, b1, w2, b2 = params
    eq = "bni,bih->bnh" if per_task_inputs else "ni,bih->bnh"
    h = self._act(tf.einsum(eq, x, w1) + b1[:, None, :])
    return tf.einsum("bnh,bho->bno", h, w2) + b2[:, None, :]

  def loss(self, task, params, step):
    x_all, y_all = self._data()
    idx = tf.gather(task["batches"], tf.math.floormod(step, self.horizon), axis=1)
    logits = self._logits(tf.gather(x_all, idx), params, per_task_inputs=True)
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.gather(y_all, idx), logits)
    return tf.reduce_mean(ce, axis=-1)

  def eval_loss(self, task, params):
    """Cross-entropy over the whole train split (what the optimizer minimises)."""
    x_all, y_all = self._data()
    logits = self._logits(x_all, params, per_task_inputs=False)
    labels = tf.broadcast_to(y_all, tf.shape(logits)[:2])
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
    return tf.reduce_mean(ce, axis=-1)
