"""The mnist1d TFDS builder: offline, deterministic, disjoint splits."""

import random

from absl.testing import absltest
import numpy as np
import tensorflow_datasets as tfds

from datasets import mnist1d
from datasets.mnist1d import mnist1d_dataset_builder as builder_lib


class Mnist1dTest(absltest.TestCase):

  def test_generator_is_deterministic_and_leaves_global_state_alone(self):
    np.random.seed(7)
    random.seed(7)
    first = builder_lib.generate()
    after_np, after_py = np.random.rand(), random.random()
    np.random.seed(7)
    random.seed(7)
    self.assertEqual((np.random.rand(), random.random()), (after_np, after_py))
    second = builder_lib.generate()
    for split in builder_lib.SPLITS:
      np.testing.assert_array_equal(first[split][0], second[split][0])
    sizes = {k: len(v[1]) for k, v in first.items()}
    self.assertEqual(sizes, {"train": 3000, "validation": 1000, "test": 1000})
    # No signal appears in two splits.
    rows = {k: {x.tobytes() for x in v[0]} for k, v in first.items()}
    self.assertEmpty(rows["train"] & rows["validation"])
    self.assertEmpty(rows["train"] & rows["test"])
    self.assertEmpty(rows["validation"] & rows["test"])

  def test_builds_offline_and_loads(self):
    data_dir = self.create_tempdir().full_path
    builder = mnist1d.Builder(data_dir=data_dir)
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    x, y = mnist1d.load_arrays("validation", data_dir=data_dir)
    self.assertEqual(x.shape, (1000, mnist1d.SEQUENCE_LENGTH))
    self.assertEqual(x.dtype, np.float32)
    self.assertEqual(set(np.unique(y)), set(range(10)))
    # TFDS stores the examples in its own order: the same signals, shuffled.
    generated = builder_lib.generate()["validation"][0]
    self.assertEqual(sorted(r.tobytes() for r in x),
                     sorted(r.tobytes() for r in generated))
    with self.assertRaisesRegex(ValueError, "split must be one of"):
      mnist1d.load_arrays("dev", data_dir=data_dir)


if __name__ == "__main__":
  absltest.main()
