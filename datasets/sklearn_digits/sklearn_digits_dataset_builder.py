"""TFDS builder for the 8x8 digits in scikit-learn's wheel (no download).

1,797 grey-scale 8x8 images (intensities 0..16) of the digits 0-9, from the UCI
"Optical Recognition of Handwritten Digits" test set. The builder splits them once,
stratified by class with a fixed seed, into train (60%), validation (20%) and test
(20%), so every method in the zoo sees the same splits.
"""

import functools
from typing import Optional

import numpy as np
import tensorflow_datasets as tfds

from datasets import data_dir as data_dir_lib

__all__ = ["Builder", "load_arrays"]

_SPLIT_FRACTIONS = (("train", 0.6), ("validation", 0.2), ("test", 0.2))
_SPLIT_SEED = 0


def split_indices(labels: np.ndarray) -> dict:
  """Stratified, seeded split of example indices into train / validation / test."""
  rng = np.random.RandomState(_SPLIT_SEED)
  out = {name: [] for name, _ in _SPLIT_FRACTIONS}
  for label in np.unique(labels):
    idx = np.flatnonzero(labels == label)
    rng.shuffle(idx)
    n_train = int(round(len(idx) * _SPLIT_FRACTIONS[0][1]))
    n_val = int(round(len(idx) * _SPLIT_FRACTIONS[1][1]))
    out["train"].extend(idx[:n_train])
    out["validation"].extend(idx[n_train:n_train + n_val])
    out["test"].extend(idx[n_train + n_val:])
  return {k: np.sort(np.asarray(v)) for k, v in out.items()}


class Builder(tfds.core.GeneratorBasedBuilder):
  """scikit-learn's 8x8 digits."""

  name = "sklearn_digits"
  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "Stratified 60/20/20 split with seed 0."}

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description=__doc__,
        features=tfds.features.FeaturesDict({
            "image": tfds.features.Tensor(shape=(8, 8), dtype=np.uint8),
            "label": tfds.features.ClassLabel(num_classes=10),
        }),
        supervised_keys=("image", "label"),
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # Nothing to download: the data is inside scikit-learn's wheel.
    from sklearn import datasets as sk_datasets  # pylint: disable=g-import-not-at-top
    digits = sk_datasets.load_digits()
    images = digits.images.astype(np.uint8)
    labels = digits.target.astype(np.int64)
    return {name: self._generate_examples(images, labels, idx)
            for name, idx in split_indices(labels).items()}

  def _generate_examples(self, images, labels, indices):
    for i in indices:
      yield int(i), {"image": images[i], "label": int(labels[i])}


@functools.lru_cache(maxsize=None)
def _load(split: str, data_dir: str):
  tfds.disable_progress_bar()
  builder = Builder(data_dir=data_dir)
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(try_download_gcs=False))
  data = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1))
  x = data["image"].reshape(-1, 64).astype(np.float32) / 16.0
  return x, data["label"].astype(np.int32)


def load_arrays(split: str, data_dir: Optional[str] = None):
  """(images [n, 64] in [0, 1], labels [n]) of `split`, preparing the data if needed."""
  if split not in dict(_SPLIT_FRACTIONS):
    raise ValueError(f"split must be one of {[s for s, _ in _SPLIT_FRACTIONS]}; "
                     f"received: {split!r}")
  return _load(split, data_dir or data_dir_lib.default_data_dir())
