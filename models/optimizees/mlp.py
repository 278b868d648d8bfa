"""MLP classifiers on real data: the 8x8 digits (offline) and MNIST / Fashion-MNIST
through TFDS where a user has them (Andrychowicz et al. 2016, §3.2, scaled down)."""

import dataclasses
import functools

import numpy as np
import tensorflow as tf

from models.optimizees import base

__all__ = ["DigitsMLP", "MLPFamily", "TFDSMLP"]


class MLPFamily(base.TaskFamily):
  """in -> hidden -> classes MLP, cross-entropy on minibatches of a training set.

  A task is an initialisation (LeCun-normal weights, zero biases) and a sequence of
  `horizon` minibatches, both drawn from the task's seed. The reported objective is
  the cross-entropy over the whole training set.

  Subclasses are frozen dataclasses with fields hidden, activation, batch_size and
  horizon, and implement `arrays() -> (x [n, in] float32, y [n] int32)`.
  """

  num_classes = 10

  def arrays(self):
    raise NotImplementedError

  def _arrays(self):
    # Data sets load eagerly even when first asked for while tracing a tf.function.
    with tf.init_scope():
      return self.arrays()

  def _data(self):
    x, y = self._arrays()
    return tf.constant(x), tf.constant(y)

  def sample_one(self, seed):
    x, _ = self._arrays()
    n, num_in = x.shape
    s = tf.random.experimental.stateless_split(seed, 3)
    w1 = tf.random.stateless_normal([num_in, self.hidden], s[0]) / np.sqrt(num_in)
    w2 = tf.random.stateless_normal([self.hidden, self.num_classes], s[1]) / np.sqrt(
        self.hidden)
    batches = tf.random.stateless_uniform(
        [self.horizon, self.batch_size], s[2], minval=0, maxval=n, dtype=tf.int32)
    params = [w1, tf.zeros([self.hidden]), w2, tf.zeros([self.num_classes])]
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

  def stochastic_objective(self, task, params, step):
    x_all, y_all = self._data()
    idx = tf.gather(task["batches"], tf.math.floormod(step, self.horizon), axis=1)
    logits = self._logits(tf.gather(x_all, idx), params, per_task_inputs=True)
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.gather(y_all, idx), logits)
    return tf.reduce_mean(ce, axis=-1)

  def objective(self, task, params):
    """Cross-entropy over the whole training set (what the optimizer minimises)."""
    x_all, y_all = self._data()
    logits = self._logits(x_all, params, per_task_inputs=False)
    labels = tf.broadcast_to(y_all, tf.shape(logits)[:2])
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
    return tf.reduce_mean(ce, axis=-1)


@dataclasses.dataclass(frozen=True)
class DigitsMLP(MLPFamily):
  """64 -> hidden -> 10 MLP on the train split of scikit-learn's 8x8 digits.

  Andrychowicz et al. used one hidden layer of 20 sigmoid units and minibatches of
  128 on MNIST.
  """
  hidden: int = 20
  activation: str = "sigmoid"
  batch_size: int = 128
  horizon: int = 100

  name = "digits_mlp"
  salt = 23

  def arrays(self):
    from datasets import sklearn_digits  # pylint: disable=g-import-not-at-top
    return sklearn_digits.load_arrays("train")


@functools.lru_cache(maxsize=None)
def _tfds_arrays(dataset: str, max_examples: int):
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  from datasets import data_dir  # pylint: disable=g-import-not-at-top
  try:
    ds = tfds.load(dataset, split="train", data_dir=data_dir.default_data_dir(),
                   download=False)
  except Exception as e:  # tfds raises several types when a data set is absent.
    raise FileNotFoundError(
        f"TFDS data set {dataset!r} is not prepared in {data_dir.default_data_dir()} "
        f"(set METAZOO_DATA_DIR, or prepare it with `tfds build {dataset}` where the "
        f"network allows): {e}") from e
  images, labels = [], []
  for batch in tfds.as_numpy(ds.take(max_examples).batch(1024)):
    images.append(batch["image"].reshape(batch["image"].shape[0], -1))
    labels.append(batch["label"])
  x = np.concatenate(images).astype(np.float32) / 255.0
  return x, np.concatenate(labels).astype(np.int32)


@dataclasses.dataclass(frozen=True)
class TFDSMLP(MLPFamily):
  """An MLP on the train split of a TFDS image data set (`mnist`, `fashion_mnist`).

  Uses the data set only if it is already prepared (nothing is downloaded); the
  first `max_examples` training images make the objective.
  """
  dataset: str = "mnist"
  hidden: int = 20
  activation: str = "sigmoid"
  batch_size: int = 128
  horizon: int = 200
  max_examples: int = 10000

  name = "tfds_mlp"
  salt = 29

  def arrays(self):
    if self.dataset not in ("mnist", "fashion_mnist"):
      raise ValueError(f"dataset must be 'mnist' or 'fashion_mnist'; received: "
                       f"{self.dataset!r}")
    return _tfds_arrays(self.dataset, self.max_examples)
