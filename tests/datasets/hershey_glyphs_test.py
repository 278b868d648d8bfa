"""The Hershey glyphs TFDS builder: classes, alphabet splits, drawers, offline build."""

from unittest import mock

from absl.testing import absltest
import numpy as np
import tensorflow_datasets as tfds

from datasets import hershey_glyphs
from datasets.hershey_glyphs import hershey_glyphs_dataset_builder as builder_lib


class CatalogueTest(absltest.TestCase):

  def test_classes_are_distinct_and_split_by_alphabet(self):
    glyphs = builder_lib.glyph_catalogue()
    self.assertLen(glyphs, 1115)
    counts = {s: 0 for s in builder_lib.SPLITS}
    alphabets = {s: set() for s in builder_lib.SPLITS}
    keys = set()
    for alphabet, _, strokes in glyphs:
      split = builder_lib.split_of_alphabet(alphabet)
      counts[split] += 1
      alphabets[split].add(alphabet)
      keys.add(tuple(tuple(np.round(p * 20).astype(int).ravel()) for p in strokes))
      points = np.concatenate(strokes)
      self.assertAlmostEqual(float((points.max(0) - points.min(0)).max()), 1.0)
    self.assertLen(keys, len(glyphs))  # No shape twice.
    self.assertEqual(counts, {"train": 791, "validation": 96, "test": 228})
    self.assertEqual(alphabets["test"], set(builder_lib.TEST_ALPHABETS))
    self.assertEqual(alphabets["validation"], set(builder_lib.VALIDATION_ALPHABETS))
    self.assertEmpty(alphabets["train"] & (alphabets["test"] | alphabets["validation"]))

  def test_render_is_seeded_and_drawers_differ(self):
    strokes = builder_lib.glyph_catalogue()[0][2]
    a = hershey_glyphs.render(strokes, np.random.default_rng([0, 1]))
    b = hershey_glyphs.render(strokes, np.random.default_rng([0, 1]))
    c = hershey_glyphs.render(strokes, np.random.default_rng([0, 2]))
    np.testing.assert_array_equal(a, b)
    self.assertFalse(np.array_equal(a, c))
    self.assertEqual(a.shape, (28, 28))
    self.assertEqual(a.dtype, np.uint8)
    self.assertEqual(int(a.max()), 255)

  def test_undistorted_line_is_where_it_should_be(self):
    line = (np.array([[0.0, 0.5], [1.0, 0.5]]),)  # Horizontal, full width.
    image = hershey_glyphs.render(line, np.random.default_rng(0), distort=False)
    rows = np.nonzero(image.max(axis=1) > 200)[0]
    self.assertTrue(set(rows) <= {13, 14})  # Centred: y = 14 +- half the width.
    cols = np.nonzero(image[14] > 200)[0]
    self.assertBetween(int(cols.min()), 2, 4)  # Spans 0.8 of the 28 pixels.
    self.assertBetween(int(cols.max()), 23, 25)


class BuilderTest(absltest.TestCase):
  """The TFDS build itself, on the first three glyphs of each split (seconds)."""

  def test_build_offline(self):
    full = builder_lib.glyph_catalogue()
    subset = []
    for split in builder_lib.SPLITS:
      subset += [g for g in full if builder_lib.split_of_alphabet(g[0]) == split][:3]
    with mock.patch.object(builder_lib, "glyph_catalogue", lambda: tuple(subset)):
      builder = hershey_glyphs.Builder(data_dir=self.create_tempdir().full_path)
      builder.download_and_prepare(
          download_config=tfds.download.DownloadConfig(try_download_gcs=False))
      for split in builder_lib.SPLITS:
        data = tfds.as_numpy(builder.as_dataset(split=split, batch_size=-1))
        self.assertEqual(data["image"].shape, (3 * hershey_glyphs.DRAWERS, 28, 28, 1))
        self.assertEqual(sorted(set(data["drawer"].tolist())),
                         list(range(hershey_glyphs.DRAWERS)))
        names = builder.info.features["alphabet"].names
        for alphabet in set(data["alphabet"].tolist()):
          self.assertEqual(builder_lib.split_of_alphabet(names[alphabet]), split)
        # The stored image is the drawer's rendering.
        label, drawer = int(data["label"][0]), int(data["drawer"][0])
        np.testing.assert_array_equal(
            data["image"][0, ..., 0],
            hershey_glyphs.render(subset[label][2],
                                  np.random.default_rng([label, drawer])))
      self.assertEqual(builder.info.supervised_keys, ("image", "label"))


if __name__ == "__main__":
  absltest.main()
