"""N-way K-shot episodes over any TFDS image-classification data set.

`load_split` reads a split of a TFDS data set with an image and a `label` (the zoo's
`hershey_glyphs`, prepared offline, or e.g. `omniglot` where a user has it; nothing
is downloaded) into grey-scale `[n, S, S, 1]` float arrays in [0, 1] with the ink
bright, labels renumbered 0..C-1. `EpisodeSampler` draws episodes from such arrays
inside a `tf.function`, statelessly: the episodes of (seed, step) are always the
same, so a resumed run sees the data it would have seen.

An episode (§5.1, after Vinyals et al. 2016): N classes drawn without replacement
(with `rotations`, each class and each rotation by a multiple of 90 degrees is a
class of its own, as in Santoro et al. 2016); the labels 0..N-1 are given to the
classes in a random order (a fresh permutation per episode, so a label says nothing
across episodes); K support and Q query examples per class, distinct; the support
set in a random order.
"""

import functools
from typing import Optional

import numpy as np
import tensorflow as tf

__all__ = ["EpisodeSampler", "load_split", "to_model_images"]


def to_model_images(images, image_size: int) -> np.ndarray:
  """uint8 images `[n, H, W, C]` -> float32 `[n, image_size, image_size, 1]` in [0, 1],
  grey, ink bright (images whose mean is above one half, i.e. dark ink on a light
  background as in Omniglot, are inverted)."""
  images = np.asarray(images, np.float32)
  if images.ndim == 3:
    images = images[..., None]
  if images.max() > 1.0:
    images = images / 255.0
  if images.shape[-1] != 1:
    images = images[..., :3].mean(axis=-1, keepdims=True)
  if images.mean() > 0.5:
    images = 1.0 - images
  if images.shape[1:3] != (image_size, image_size):
    images = tf.image.resize(images, (image_size, image_size), method="area").numpy()
  return np.clip(images, 0.0, 1.0).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _load(dataset: str, split: str, image_size: int, data_dir: Optional[str]):
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  if dataset == "hershey_glyphs":
    from datasets import data_dir as data_dir_lib  # pylint: disable=g-import-not-at-top
    from datasets import hershey_glyphs  # pylint: disable=g-import-not-at-top
    tfds.disable_progress_bar()
    builder = hershey_glyphs.Builder(data_dir=data_dir or data_dir_lib.default_data_dir())
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    ds = builder.as_dataset(split=split)
  else:
    ds = tfds.load(dataset, split=split, download=False, data_dir=data_dir)
  images, labels = [], []
  for batch in tfds.as_numpy(ds.batch(2048)):
    images.append(batch["image"])
    labels.append(batch["label"])
  images = np.concatenate(images)
  labels = np.concatenate(labels).astype(np.int64)
  _, labels = np.unique(labels, return_inverse=True)
  images = to_model_images(images, image_size)
  images.setflags(write=False)
  labels = labels.astype(np.int32)
  labels.setflags(write=False)
  return images, labels


def load_split(dataset: str, split: str, image_size: int = 28,
               data_dir: Optional[str] = None):
  """(images `[n, S, S, 1]` float32, labels `[n]` int32 in 0..C-1) of a TFDS split.

  Args:
    dataset: "hershey_glyphs" (prepared here if needed), or a TFDS image
      classification data set with `image` and `label` features, read from
      `data_dir` (never downloaded).
    split: a TFDS split name, e.g. "train" or, for omniglot, "small1".
  """
  if image_size < 1:
    raise ValueError(f"image_size must be positive; received: image_size={image_size}")
  return _load(dataset, split, image_size, data_dir)


def _rotate(images, k):
  """Each image `[M, H, W, 1]` rotated by k[m] * 90 degrees (k in 0..3)."""
  rotations = tf.stack([tf.image.rot90(images, r) for r in range(4)])  # [4, M, H, W, 1]
  return tf.gather(tf.transpose(rotations, [1, 0, 2, 3, 4]), k, batch_dims=1)


class EpisodeSampler:
  """Draws N-way episodes from `(images, labels)` inside compiled code.

      sampler = EpisodeSampler(images, labels, way=5, rotations=True)
      sx, sy, qx, qy = sampler.sample(seed=[0, step], batch=16, shots=1, queries=1)

  Args:
    images: `[n, H, W, 1]` float32.
    labels: `[n]` int in 0..C-1.
    way: N.
    rotations: each class x {0, 90, 180, 270} degrees is a class.
    max_examples: the most support + query examples an episode takes per class;
      classes with fewer examples are left out (at least `way` must remain).
  """

  def __init__(self, images, labels, way: int, rotations: bool = False,
               max_examples: Optional[int] = None):
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels)
    if images.ndim != 4 or len(images) != len(labels):
      raise ValueError(f"images must be [n, H, W, C] with one label each; received "
                       f"images of shape {images.shape} and {len(labels)} labels")
    order = np.argsort(labels, kind="stable")
    classes, starts, counts = np.unique(labels[order], return_index=True,
                                        return_counts=True)
    keep = counts >= (max_examples or 1)
    if keep.sum() < way:
      raise ValueError(
          f"way={way} needs {way} classes with at least {max_examples} examples; the "
          f"data has {int(keep.sum())} (of {len(classes)})")
    self.way = way
    self.rotations = rotations
    self.num_base_classes = int(keep.sum())
    self.num_classes = self.num_base_classes * (4 if rotations else 1)
    self.max_count = int(counts[keep].max())
    self.images = tf.constant(images[order])
    self.starts = tf.constant(starts[keep], tf.int32)
    self.counts = tf.constant(counts[keep], tf.int32)
    self.min_count = int(counts[keep].min())

  def sample(self, seed, batch: int, shots, queries: int):
    """`batch` episodes of `way` classes, `shots` support and `queries` query
    examples per class.

    Args:
      seed: a stateless seed, shape [2] (int).
      shots: K (a Python int or an int32 scalar tensor).

    Returns:
      support_x `[B, N*K, H, W, 1]` (shuffled), support_y `[B, N*K]` int32,
      query_x `[B, N*Q, H, W, 1]` (class-major), query_y `[B, N*Q]` int32.
    """
    if isinstance(shots, int):
      if shots + queries > self.min_count:
        raise ValueError(f"shots + queries ({shots} + {queries}) exceeds the examples "
                         f"of the smallest class ({self.min_count})")
    else:
      # A tensor K (e.g. drawn per training step): the same check in the graph, or a
      # class would borrow its neighbour's examples under its own label.
      tf.debugging.assert_less_equal(
          tf.cast(shots, tf.int32) + queries, self.min_count,
          message=(f"shots + queries exceeds the examples of the smallest class "
                   f"({self.min_count})"))
    n = self.way
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    # N classes per episode; their order is the label permutation.
    u = tf.random.stateless_uniform([batch, self.num_classes], seed=seeds[0])
    classes = tf.argsort(u, axis=1)[:, :n]  # [B, N]
    base = classes % self.num_base_classes
    rotation = classes // self.num_base_classes
    # K + Q distinct examples of each class.
    count = tf.gather(self.counts, base)  # [B, N]
    u = tf.random.stateless_uniform([batch, n, self.max_count], seed=seeds[1])
    u = tf.where(tf.range(self.max_count)[None, None] < count[..., None], u, 2.0)
    picks = tf.argsort(u, axis=-1)[..., :shots + queries]  # [B, N, K + Q]
    index = tf.gather(self.starts, base)[..., None] + picks
    x = tf.gather(self.images, tf.reshape(index, [-1]))
    if self.rotations:
      k = tf.repeat(tf.reshape(rotation, [-1]), shots + queries)
      x = _rotate(x, k)
    x = tf.reshape(x, tf.concat([[batch, n, shots + queries], tf.shape(x)[1:]], 0))
    y = tf.broadcast_to(tf.range(n, dtype=tf.int32)[None, :, None],
                        [batch, n, shots + queries])
    image_shape = tf.shape(x)[3:]
    support_x = tf.reshape(x[:, :, :shots], tf.concat([[batch, n * shots], image_shape], 0))
    support_y = tf.reshape(y[:, :, :shots], [batch, n * shots])
    query_x = tf.reshape(x[:, :, shots:], tf.concat([[batch, n * queries], image_shape], 0))
    query_y = tf.reshape(y[:, :, shots:], [batch, n * queries])
    # The support set in a random order.
    order = tf.argsort(tf.random.stateless_uniform([batch, n * shots], seed=seeds[2]),
                       axis=1)
    support_x = tf.gather(support_x, order, batch_dims=1)
    support_y = tf.gather(support_y, order, batch_dims=1)
    return support_x, support_y, query_x, query_y

  def class_ids(self, seed, batch: int):
    """The (class, rotation) ids `[B, N]` that `sample(seed, batch, ...)` gives labels
    0..N-1 (class id = base class + rotation * num_base_classes)."""
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 3)
    u = tf.random.stateless_uniform([batch, self.num_classes], seed=seeds[0])
    return tf.argsort(u, axis=1)[:, :self.way]
