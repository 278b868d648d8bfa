"""The children's data sets: digits as images, CIFAR-10 through (mocked) TFDS."""

from absl.testing import absltest
import numpy as np
import tensorflow_datasets as tfds

from models.nas import child
from models.nas import config as config_lib
from models.nas import data as data_lib


class DataTest(absltest.TestCase):

  def test_digits_are_8x8_images_and_build_2d_children(self):
    data = data_lib.load("digits")
    x, y = data["train"]
    self.assertEqual(x.shape[1:], (8, 8, 1))
    self.assertEqual(set(np.unique(y)), set(range(10)))
    config = config_lib.NASConfig(dataset="digits", filter_heights=(1, 3))
    arch = config.space().decode([1, 1, 0, 0, 1, 1, 1], 2)
    model = child.build_child(arch, x.shape[1:])
    self.assertEqual(model(x[:2]).shape, (2, 10))

  def test_cifar10_through_tfds_mock_data(self):
    with tfds.testing.mock_data(num_examples=12):
      data = data_lib._cifar10(num_validation=4)  # pylint: disable=protected-access
    self.assertEqual(data["train"][0].shape, (8, 32, 32, 3))
    self.assertEqual(data["validation"][0].shape, (4, 32, 32, 3))
    self.assertEqual(data["test"][0].shape, (12, 32, 32, 3))
    # Standardised with the training images' statistics.
    self.assertAlmostEqual(float(np.concatenate(
        [data["train"][0], data["validation"][0]]).mean()), 0.0, places=4)

  def test_errors(self):
    with self.assertRaisesRegex(ValueError, "dataset must be"):
      data_lib.load("mnist")
    with self.assertRaisesRegex(ValueError, "mnist1d signals are 1-D"):
      config_lib.NASConfig(dataset="mnist1d", filter_heights=(1, 3))
    with self.assertRaisesRegex(FileNotFoundError, "never downloads it"):
      data_lib._cifar10(data_dir=self.create_tempdir().full_path)  # pylint: disable=protected-access
    with self.assertRaisesRegex(ValueError, "initial_layers"):
      config_lib.NASConfig(initial_layers=5, max_layers=4)


if __name__ == "__main__":
  absltest.main()
