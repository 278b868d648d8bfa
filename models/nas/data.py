"""The data sets children are trained on, as {split: (x, y)} NumPy arrays.

mnist1d and the 8x8 digits are built offline by the zoo's TFDS builders. CIFAR-10
comes through TFDS `cifar10` where the user has it prepared (nothing is downloaded
here); like the paper (§4.1) its last 5,000 training images are the validation split.
"""

import functools

import numpy as np

__all__ = ["load"]


@functools.lru_cache(maxsize=None)
def load(dataset: str) -> dict:
  """{"train" | "validation" | "test": (x float32, y int32)} of `dataset`."""
  if dataset == "mnist1d":
    from datasets import mnist1d  # pylint: disable=g-import-not-at-top
    return {s: mnist1d.load_arrays(s) for s in ("train", "validation", "test")}
  if dataset == "digits":
    from datasets import sklearn_digits  # pylint: disable=g-import-not-at-top
    out = {}
    for split in ("train", "validation", "test"):
      x, y = sklearn_digits.load_arrays(split)
      out[split] = (x.reshape(-1, 8, 8, 1), y)
    return out
  if dataset == "cifar10":
    return _cifar10()
  raise ValueError(f"dataset must be mnist1d, digits or cifar10; received: {dataset!r}")


def _cifar10(num_validation: int = 5000, data_dir=None) -> dict:
  """CIFAR-10 from a prepared TFDS `cifar10` (never downloaded), standardised with the
  training images' per-channel mean and deviation; validation = the last
  `num_validation` training images."""
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  out = {}
  for split in ("train", "test"):
    try:
      examples = list(tfds.as_numpy(tfds.load("cifar10", split=split,
                                              data_dir=data_dir, download=False)))
    except (AssertionError, FileNotFoundError, tfds.core.DatasetNotFoundError) as e:
      raise FileNotFoundError(
          "dataset=cifar10 needs TFDS 'cifar10' already prepared in the TFDS data dir "
          "(this code never downloads it; prepare it with `tfds build cifar10` where "
          f"a download is allowed): {e}") from e
    out[split] = (np.stack([e["image"] for e in examples]).astype(np.float32) / 255.0,
                  np.array([e["label"] for e in examples], np.int32))
  mean = out["train"][0].mean(axis=(0, 1, 2))
  std = out["train"][0].std(axis=(0, 1, 2))
  x, y = out["train"]
  x, x_test = (x - mean) / std, (out["test"][0] - mean) / std
  return {"train": (x[:-num_validation], y[:-num_validation]),
          "validation": (x[-num_validation:], y[-num_validation:]),
          "test": (x_test, out["test"][1])}
