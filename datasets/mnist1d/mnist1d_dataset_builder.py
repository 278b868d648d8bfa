"""TFDS builder for MNIST-1D, generated from the `mnist1d` package's templates.

MNIST-1D (Greydanus 2020, "Scaling down deep learning") turns ten hand-drawn 1-D
templates into 40-sample signals with random padding, translation, scaling, shear
and correlated plus i.i.d. noise. Architectures separate widely on it (the author's
logistic regression 32%, MLP 68%, CNN 94% test accuracy), which is what architecture
search needs, at a fraction of MNIST's cost.

Only the package's procedural generator (`make_dataset`, with its published default
arguments: 5,000 examples, seed 42) is called; its `get_dataset` would download a
pickle and is never used. The generator's first 4,000 examples are its training set
and the last 1,000 its test set; we hold out the last 1,000 of the training set as a
validation split, so train / validation / test = 3,000 / 1,000 / 1,000.
"""

import functools
import random
from typing import Optional

import numpy as np
import tensorflow_datasets as tfds

from datasets import data_dir as data_dir_lib

__all__ = ["Builder", "SEQUENCE_LENGTH", "generate", "load_arrays"]

SEQUENCE_LENGTH = 40
SPLITS = ("train", "validation", "test")
_NUM_VALIDATION = 1000


def generate() -> dict:
  """{split: (x [n, 40] float32, y [n] int64)} from `mnist1d`'s generator.

  The generator seeds NumPy's and Python's global random state; both are restored.
  """
  from mnist1d import data as mnist1d_data  # pylint: disable=g-import-not-at-top
  np_state, py_state = np.random.get_state(), random.getstate()
  try:
    data = mnist1d_data.make_dataset(mnist1d_data.get_dataset_args())
  finally:
    np.random.set_state(np_state)
    random.setstate(py_state)
  x, y = data["x"].astype(np.float32), data["y"].astype(np.int64)
  n_train = len(y) - _NUM_VALIDATION
  return {
      "train": (x[:n_train], y[:n_train]),
      "validation": (x[n_train:], y[n_train:]),
      "test": (data["x_test"].astype(np.float32), data["y_test"].astype(np.int64)),
  }


class Builder(tfds.core.GeneratorBasedBuilder):
  """MNIST-1D with a validation split."""

  name = "mnist1d"
  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "mnist1d 0.0.2 defaults (seed 42); 3000/1000/1000 split."}

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description=__doc__,
        features=tfds.features.FeaturesDict({
            "signal": tfds.features.Tensor(shape=(SEQUENCE_LENGTH,), dtype=np.float32),
            "label": tfds.features.ClassLabel(num_classes=10),
        }),
        supervised_keys=("signal", "label"),
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # Nothing to download: the data is generated.
    return {name: self._generate_examples(*arrays)
            for name, arrays in generate().items()}

  def _generate_examples(self, x, y):
    for i in range(len(y)):
      yield i, {"signal": x[i], "label": int(y[i])}


@functools.lru_cache(maxsize=None)
def _load(split: str, data_dir: str):
  tfds.disable_progress_bar()
  builder = Builder(data_dir=data_dir)
  builder.download_and_prepare(
      download_config=tfds.download.DownloadConfig(try_download_gcs=False))
  data = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1))
  return data["signal"].astype(np.float32), data["label"].astype(np.int32)


def load_arrays(split: str, data_dir: Optional[str] = None):
  """(signals [n, 40], labels [n]) of `split`, preparing the data if needed."""
  if split not in SPLITS:
    raise ValueError(f"split must be one of {list(SPLITS)}; received: {split!r}")
  return _load(split, data_dir or data_dir_lib.default_data_dir())
