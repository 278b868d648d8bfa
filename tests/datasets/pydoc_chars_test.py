"""The pydoc_chars TFDS builder: offline, contiguous blocks, recorded Python version."""

import platform

from absl.testing import absltest
import numpy as np
import tensorflow_datasets as tfds

from datasets import pydoc_chars
from datasets.pydoc_chars import pydoc_chars_dataset_builder as builder_lib


class PydocCharsTest(absltest.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.data_dir = absltest.get_default_test_tmpdir() + "/pydoc_chars_data"
    cls.builder = pydoc_chars.Builder(data_dir=cls.data_dir)
    cls.builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False))

  def test_records_the_python_version_and_corpus(self):
    metadata = pydoc_chars.load_metadata(self.data_dir)
    self.assertEqual(metadata["python_version"], platform.python_version())
    self.assertEqual(self.builder.builder_config.name,
                     "python" + platform.python_version())
    self.assertIn(platform.python_version(), self.builder.info.description)
    text = builder_lib.corpus_text()
    self.assertEqual(metadata["corpus_chars"], len(text))
    self.assertGreater(len(text), 100_000)

  def test_splits_are_the_blocks_of_the_corpus_in_order(self):
    ids = {s: pydoc_chars.load_ids(s, self.data_dir) for s in builder_lib.SPLITS}
    corpus = pydoc_chars.encode(builder_lib.corpus_text())
    self.assertEqual(sum(len(v) for v in ids.values()), len(corpus))
    block = builder_lib.BLOCK_CHARS
    blocks = [corpus[s:s + block] for s in range(0, len(corpus), block)]
    for split in ids:
      expected = np.concatenate([b for k, b in enumerate(blocks)
                                 if builder_lib.split_of_block(k) == split])
      np.testing.assert_array_equal(ids[split], expected)
    self.assertBetween(len(ids["validation"]) / len(corpus), 0.08, 0.12)
    self.assertEqual(ids["train"].dtype, np.int32)

  def test_vocabulary_round_trip(self):
    text = "def f(x):\n    return 'a' \u201cquoted\u201d \u00df"
    ids = pydoc_chars.encode(text)
    self.assertEqual(pydoc_chars.decode(ids),
                     "def f(x):\n    return 'a' \"quoted\" ?")
    self.assertTrue(np.all(ids < pydoc_chars.VOCAB_SIZE))
    self.assertEqual(pydoc_chars.VOCAB_SIZE, 97)
    with self.assertRaisesRegex(ValueError, "received: 97"):
      pydoc_chars.decode([97])

  def test_bad_split(self):
    with self.assertRaisesRegex(ValueError, "split must be one of.*'dev'"):
      pydoc_chars.load_ids("dev", self.data_dir)


if __name__ == "__main__":
  absltest.main()
