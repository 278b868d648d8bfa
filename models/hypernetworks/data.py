"""Data of the experiments: digit images and character windows.

Images: scikit-learn's 8x8 digits (`datasets.sklearn_digits`, built offline), or
MNIST through TFDS where a user has prepared it (nothing is downloaded here: the
train split's last 10,000 images are the validation split, as is usual).
Characters: `datasets.pydoc_chars`.
"""

import functools

import numpy as np
import tensorflow as tf

__all__ = ["SPLITS", "char_windows", "load_images"]

SPLITS = ("train", "validation", "test")


@functools.lru_cache(maxsize=None)
def _mnist(split: str, data_dir):
  """MNIST's train split without its last sixth (10,000 images) for "train", that
  sixth for "validation", its test split for "test"."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  ds = tfds.load("mnist", split="test" if split == "test" else "train",
                 as_supervised=True, download=False, data_dir=data_dir)
  batches = list(tfds.as_numpy(ds.batch(10_000)))
  images = np.concatenate([x for x, _ in batches])
  labels = np.concatenate([y for _, y in batches])
  if split != "test":
    cut = len(labels) - len(labels) // 6
    part = slice(0, cut) if split == "train" else slice(cut, None)
    images, labels = images[part], labels[part]
  return images.astype(np.float32) / 255.0, labels.astype(np.int32)


def load_images(dataset: str, split: str, data_dir=None):
  """(images `[n, H, W, 1]` float32 in [0, 1], labels `[n]` int32) of a split.

  Args:
    dataset: "digits" (8x8, offline) or "mnist" (28x28, a prepared TFDS `mnist`).
    split: "train", "validation" or "test".
    data_dir: TFDS data folder (None: the zoo's for digits, TFDS' default for MNIST).
  """
  if split not in SPLITS:
    raise ValueError(f"split must be one of {list(SPLITS)}; received: split={split!r}")
  if dataset == "digits":
    from datasets import sklearn_digits  # pylint: disable=g-import-not-at-top
    x, y = sklearn_digits.load_arrays(split, data_dir=data_dir)
    return x.reshape(-1, 8, 8, 1), y
  if dataset == "mnist":
    return _mnist(split, data_dir)
  raise ValueError(f"dataset must be 'digits' or 'mnist'; received: dataset={dataset!r}")


def char_windows(ids, seed, step, batch: int, length: int):
  """`batch` windows of `length` + 1 consecutive characters at random positions.

  The windows of training step `step` are a pure function of (seed, step), so a
  resumed run sees exactly the data it would have seen.

  Args:
    ids: the split's character ids, a `[n]` int32 tensor.

  Returns:
    `[batch, length + 1]` int32: inputs are `[:, :-1]`, targets `[:, 1:]`.
  """
  n = tf.shape(ids)[0]
  starts = tf.random.stateless_uniform(
      [batch], seed=tf.stack([tf.cast(seed, tf.int64), tf.cast(step, tf.int64)]),
      minval=0, maxval=n - length - 1, dtype=tf.int32)
  offsets = tf.range(length + 1)
  return tf.gather(ids, starts[:, None] + offsets[None, :])
