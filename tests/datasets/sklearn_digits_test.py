"""The sklearn_digits TFDS builder: offline, complete, stratified, deterministic."""

from absl.testing import absltest
import numpy as np
import tensorflow_datasets as tfds

from datasets import sklearn_digits
from datasets.sklearn_digits import sklearn_digits_dataset_builder as builder_lib


class SklearnDigitsTest(absltest.TestCase):

  def test_splits_are_disjoint_complete_and_stratified(self):
    labels = np.repeat(np.arange(10), 20)
    splits = builder_lib.split_indices(labels)
    union = np.concatenate(list(splits.values()))
    self.assertEqual(sorted(union), list(range(200)))
    for name, fraction in (("train", 0.6), ("validation", 0.2), ("test", 0.2)):
      counts = np.bincount(labels[splits[name]], minlength=10)
      np.testing.assert_array_equal(counts, np.full(10, int(20 * fraction)))

  def test_builds_offline_and_loads(self):
    data_dir = self.create_tempdir().full_path
    builder = sklearn_digits.Builder(data_dir=data_dir)
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    sizes = {k: v.num_examples for k, v in builder.info.splits.items()}
    self.assertEqual(sum(sizes.values()), 1797)
    x, y = sklearn_digits.load_arrays("test", data_dir=data_dir)
    self.assertEqual(x.shape, (sizes["test"], 64))
    self.assertEqual(x.dtype, np.float32)
    self.assertBetween(float(x.max()), 0.9, 1.0)
    self.assertEqual(set(np.unique(y)), set(range(10)))
    x2, _ = sklearn_digits.load_arrays("test", data_dir=data_dir)
    np.testing.assert_array_equal(x, x2)
    with self.assertRaisesRegex(ValueError, "split must be one of"):
      sklearn_digits.load_arrays("dev", data_dir=data_dir)


if __name__ == "__main__":
  absltest.main()
