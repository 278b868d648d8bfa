"""Reading real-Omniglot zip files, on small fakes with the same layout, and the
official-runs scoring on a model that cannot fail (the real files are not needed)."""

import io
import os
import zipfile

from absl.testing import absltest
import keras
import numpy as np
from PIL import Image

from models.snail import config as config_lib
from models.snail import evaluate
from models.snail import model as model_lib
from models.snail import omniglot_files


def _png(value: int) -> bytes:
  """A 105 x 105 white page with a dark block whose texture encodes `value`.

  The texture, not the position, tells the values apart: the encoder ends in global
  pooling, so blocks that differ only by a shift can embed identically.
  """
  page = np.full((105, 105), 255, np.uint8)
  texture = np.random.default_rng(value).integers(0, 128, (45, 45))
  page[30:75, 30:75] = texture.astype(np.uint8)
  buf = io.BytesIO()
  Image.fromarray(page).save(buf, format="PNG")
  return buf.getvalue()


def _write_small_sets(folder):
  for k, name in enumerate(omniglot_files.SMALL_SETS):
    with zipfile.ZipFile(os.path.join(folder, name), "w") as z:
      root = name[:-4]
      for alphabet in ("Alpha", "Beta"):
        for char in (1, 2):
          for drawer in range(1, 4):
            z.writestr(f"{root}/{alphabet}_{k}/character{char:02d}/"
                       f"0{char}_{drawer:02d}.png", _png(char + drawer))


def _write_runs(folder, num_runs=20):
  with zipfile.ZipFile(os.path.join(folder, "all_runs.zip"), "w") as z:
    for r in range(1, num_runs + 1):
      lines = []
      for i in range(1, 21):
        j = (i * 7) % 20 + 1
        z.writestr(f"run{r:02d}/test/item{i:02d}.png", _png(j))
        z.writestr(f"run{r:02d}/training/class{j:02d}.png", _png(j))
        lines.append(f"run{r:02d}/test/item{i:02d}.png run{r:02d}/training/class{j:02d}.png")
      z.writestr(f"run{r:02d}/class_labels.txt", "\n".join(lines) + "\n")


class OmniglotFilesTest(absltest.TestCase):

  def test_small_sets(self):
    folder = self.create_tempdir().full_path
    _write_small_sets(folder)
    images, labels, alphabets = omniglot_files.load_small_sets(folder, 28)
    self.assertEqual(images.shape, (24, 28, 28, 1))
    np.testing.assert_array_equal(np.bincount(labels), [3] * 8)  # 2 sets x 2 x 2 chars.
    self.assertEqual(sorted(set(alphabets)), ["Alpha_0", "Alpha_1", "Beta_0", "Beta_1"])
    self.assertLess(float(images.mean()), 0.5)  # Inverted: ink bright on dark.

  def test_official_runs_answers(self):
    folder = self.create_tempdir().full_path
    _write_runs(folder)
    runs = omniglot_files.load_official_runs(folder, 28)
    self.assertLen(runs, 20)
    train, test, answer = runs[0]
    self.assertEqual(train.shape, (20, 28, 28, 1))
    # Each test image is a copy of its answer's training image.
    for i in range(20):
      np.testing.assert_allclose(test[i], train[answer[i]], atol=1e-6)

  def test_official_runs_scoring(self):
    folder = self.create_tempdir().full_path
    _write_runs(folder)
    runs = omniglot_files.load_official_runs(folder, 28)
    keras.utils.set_random_seed(0)
    config = config_lib.FewShotConfig(way=20, max_shots=1, embedding_filters=4,
                                      blocks=("a8x4", "t4"))
    model = model_lib.build_from_config(config)
    acc = evaluate.official_runs_accuracy(model, runs, seed=0)
    self.assertLen(acc["snail"], 20)
    # Nearest prototype of an identical copy is exact, whatever the encoder.
    np.testing.assert_array_equal(acc["protonet"], np.ones(20))
    with self.assertRaisesRegex(ValueError, "5-way"):
      evaluate.official_runs_accuracy(
          model_lib.build_from_config(config_lib.FewShotConfig(
              way=5, embedding_filters=4, blocks=("t4",))), runs, seed=0)

  def test_missing_files_are_named(self):
    folder = self.create_tempdir().full_path
    with self.assertRaisesRegex(FileNotFoundError, "images_background_small1.zip"):
      omniglot_files.load_small_sets(folder)
    with self.assertRaisesRegex(FileNotFoundError, "all_runs.zip"):
      omniglot_files.load_official_runs(folder)


if __name__ == "__main__":
  absltest.main()
