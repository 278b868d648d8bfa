"""Real Omniglot (Lake et al. 2015) from its distributed zip files, for evaluation.

Reads, from a folder a user points to (`--omniglot_dir`), without unpacking:

- `images_background_small1.zip`, `images_background_small2.zip`: the two small
  background sets (alphabet / characterNN / drawer images, 20 per character);
- `all_runs.zip`: the 20 official 20-way one-shot runs (run01..run20, each 20
  training images, 20 test images and `class_labels.txt` pairing them).

Images are 105 x 105, dark ink on white; `episodes.to_model_images` turns them into
the models' input (28 x 28, ink bright). Nothing here is used by training.
"""

import io
import os
import zipfile

import numpy as np

from models.snail import episodes

__all__ = ["SMALL_SETS", "load_official_runs", "load_small_sets"]

SMALL_SETS = ("images_background_small1.zip", "images_background_small2.zip")
RUNS_FILE = "all_runs.zip"


def _png(data: bytes) -> np.ndarray:
  from PIL import Image  # pylint: disable=g-import-not-at-top
  return np.asarray(Image.open(io.BytesIO(data)).convert("L"), np.uint8)


def _check(folder: str, name: str) -> str:
  path = os.path.join(folder, name)
  if not os.path.isfile(path):
    raise FileNotFoundError(f"omniglot_dir={folder!r} has no {name}")
  return path


def load_small_sets(folder: str, image_size: int = 28):
  """(images `[n, S, S, 1]` float32, labels `[n]` int32, alphabets `[n]` str) of the
  characters of both small background sets (each character a class)."""
  images, labels, alphabets = [], [], []
  classes = {}
  for name in SMALL_SETS:
    with zipfile.ZipFile(_check(folder, name)) as z:
      for item in sorted(z.namelist()):
        parts = item.split("/")
        if not item.endswith(".png") or len(parts) < 4:
          continue
        key = (name, parts[-3], parts[-2])  # (set, alphabet, character)
        labels.append(classes.setdefault(key, len(classes)))
        alphabets.append(parts[-3])
        images.append(_png(z.read(item)))
  x = episodes.to_model_images(np.stack(images), image_size)
  return x, np.asarray(labels, np.int32), np.asarray(alphabets)


def load_official_runs(folder: str, image_size: int = 28) -> list:
  """The 20 runs: [(training `[20, S, S, 1]`, test `[20, S, S, 1]`, answer `[20]`)],
  answer[i] the index of the training image of test image i's class."""
  runs = []
  with zipfile.ZipFile(_check(folder, RUNS_FILE)) as z:
    names = set(z.namelist())
    for r in range(1, 21):
      run = f"run{r:02d}"
      labels_file = f"{run}/class_labels.txt"
      if labels_file not in names:
        raise FileNotFoundError(f"{RUNS_FILE} has no {labels_file}")
      pairs = [line.split() for line in z.read(labels_file).decode().splitlines()
               if line.strip()]
      train_names = sorted({t for _, t in pairs})
      index = {t: i for i, t in enumerate(train_names)}
      train = np.stack([_png(z.read(t)) for t in train_names])
      test = np.stack([_png(z.read(q)) for q, _ in pairs])
      answer = np.array([index[t] for _, t in pairs], np.int32)
      runs.append((episodes.to_model_images(train, image_size),
                   episodes.to_model_images(test, image_size), answer))
  return runs
