"""TFDS builder of an Omniglot-like few-shot data set drawn from the Hershey fonts.

The `Hershey-Fonts` package carries 32 stroke fonts. Each distinct glyph (printable
ASCII code points 33-126 of every font, normalised to its bounding box; a glyph
already seen in an earlier font, or a shape identical to one, is skipped) is a class;
its font is its alphabet. Each class is "drawn" by `DRAWERS` drawers, each with
its own random distortion (seeded by class and drawer): an affine map (rotation,
shear, scale and shift), an offset per stroke, jitter per vertex and a stroke width,
rasterised anti-aliased at 28 x 28 (ink 255 on 0, as Omniglot inverted).

Splits are by alphabet, as Omniglot's background / evaluation sets are, so similar
letters of one font never appear on both sides: `TEST_ALPHABETS` (Greek fonts,
Japanese, music; 228 classes), `VALIDATION_ALPHABETS` (meteorology, symbolic,
markers; 96 classes) and the rest for training (791 classes). Rotations by multiples
of 90 degrees as extra classes are applied by the episode sampler
(`models.snail.episodes`), not stored.
"""

import functools

import numpy as np
import tensorflow_datasets as tfds

__all__ = [
    "Builder",
    "DRAWERS",
    "IMAGE_SIZE",
    "SPLITS",
    "TEST_ALPHABETS",
    "VALIDATION_ALPHABETS",
    "glyph_catalogue",
    "render",
    "split_of_alphabet",
]

IMAGE_SIZE = 28
DRAWERS = 20
SPLITS = ("train", "validation", "test")
TEST_ALPHABETS = ("greek", "greekc", "greeks", "japanese", "music")
VALIDATION_ALPHABETS = ("markers", "meteorology", "symbolic")
_GRID = 20  # Shapes are compared on a 20 x 20 grid when deduplicating.


def split_of_alphabet(alphabet: str) -> str:
  if alphabet in TEST_ALPHABETS:
    return "test"
  if alphabet in VALIDATION_ALPHABETS:
    return "validation"
  return "train"


@functools.lru_cache(maxsize=None)
def glyph_catalogue() -> tuple:
  """((alphabet, character, strokes), ...): every distinct glyph, in font order.

  Strokes are polylines (float arrays `[n, 2]`, y down) normalised so the glyph's
  bounding box has its longer side 1 and starts at (0, 0).
  """
  from HersheyFonts import HersheyFonts  # pylint: disable=g-import-not-at-top
  fonts = HersheyFonts()
  seen = set()
  glyphs = []
  for alphabet in fonts.default_font_names:
    fonts.load_default_font(alphabet)
    for code in range(33, 127):
      strokes = [np.asarray(p, np.float64) for p in fonts.strokes_for_text(chr(code))]
      if not strokes:
        continue
      points = np.concatenate(strokes)
      low = points.min(axis=0)
      span = float((points.max(axis=0) - low).max())
      if span <= 0:
        continue
      normalised = tuple((p - low) / span for p in strokes)
      key = tuple(tuple(np.round(p * _GRID).astype(int).ravel()) for p in normalised)
      if key in seen:
        continue
      seen.add(key)
      glyphs.append((alphabet, chr(code), normalised))
  return tuple(glyphs)


def alphabets() -> list:
  """The fonts that contribute at least one class, in font order."""
  names = []
  for alphabet, _, _ in glyph_catalogue():
    if alphabet not in names:
      names.append(alphabet)
  return names


def _segment_distance(points, a, b):
  """Distance from each of `points` `[P, 2]` to the nearest segment (a_i, b_i)."""
  ab = b - a  # [S, 2]
  ap = points[:, None, :] - a[None]  # [P, S, 2]
  length2 = np.maximum(np.sum(ab * ab, axis=-1), 1e-12)
  t = np.clip(np.sum(ap * ab[None], axis=-1) / length2, 0.0, 1.0)
  nearest = a[None] + t[..., None] * ab[None]
  return np.sqrt(np.min(np.sum((points[:, None, :] - nearest) ** 2, axis=-1), axis=1))


def render(strokes, rng: np.random.Generator, size: int = IMAGE_SIZE,
           distort: bool = True) -> np.ndarray:
  """One drawing `[size, size]` uint8 of normalised `strokes`, distorted by `rng`.

  The drawer's distortion: rotation U(-0.2, 0.2) rad, shear U(-0.25, 0.25), scales
  U(0.7, 1.0) per axis of a box of 0.8 * size, shift U(-1.5, 1.5) px, an offset
  N(0, 0.5 px) per stroke, jitter N(0, 0.45 px) per vertex, width U(1.0, 2.2) px.
  """
  box = 0.8 * size
  if distort:
    angle = rng.uniform(-0.2, 0.2)
    shear = rng.uniform(-0.25, 0.25)
    scale = rng.uniform(0.7, 1.0, size=2) * box
    shift = rng.uniform(-1.5, 1.5, size=2)
    width = rng.uniform(1.0, 2.2)
  else:
    angle = shear = 0.0
    scale = np.array([box, box])
    shift = np.zeros(2)
    width = 1.6
  rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
  affine = rot @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag(scale)
  points = np.concatenate(strokes)
  centre = (points.min(axis=0) + points.max(axis=0)) / 2
  a_list, b_list = [], []
  for stroke in strokes:
    p = (stroke - centre) @ affine.T + size / 2 + shift
    if distort:
      p = p + rng.normal(0, 0.5, size=2) + rng.normal(0, 0.45, size=p.shape)
    if len(p) == 1:
      p = np.concatenate([p, p])
    a_list.append(p[:-1])
    b_list.append(p[1:])
  a, b = np.concatenate(a_list), np.concatenate(b_list)
  grid = np.arange(size) + 0.5
  pixels = np.stack(np.meshgrid(grid, grid, indexing="xy"), axis=-1).reshape(-1, 2)
  ink = np.clip(width / 2 + 0.5 - _segment_distance(pixels, a, b), 0.0, 1.0)
  return np.round(255 * ink.reshape(size, size)).astype(np.uint8)


class Builder(tfds.core.GeneratorBasedBuilder):
  """Hershey glyphs drawn by 20 distorting drawers; classes split by alphabet."""

  name = "hershey_glyphs"
  VERSION = tfds.core.Version("1.0.0")
  RELEASE_NOTES = {"1.0.0": "28x28, 20 drawers per glyph, split by alphabet."}

  def _info(self) -> tfds.core.DatasetInfo:
    return tfds.core.DatasetInfo(
        builder=self,
        description=__doc__,
        features=tfds.features.FeaturesDict({
            "image": tfds.features.Image(shape=(IMAGE_SIZE, IMAGE_SIZE, 1)),
            "label": tfds.features.ClassLabel(num_classes=len(glyph_catalogue())),
            "alphabet": tfds.features.ClassLabel(names=alphabets()),
            "character": tfds.features.Text(),
            "drawer": np.int32,
        }),
        supervised_keys=("image", "label"),
    )

  def _split_generators(self, dl_manager):
    del dl_manager  # Nothing to download: the fonts come with the package.
    return {split: self._generate_examples(split) for split in SPLITS}

  def _generate_examples(self, split):
    for label, (alphabet, char, strokes) in enumerate(glyph_catalogue()):
      if split_of_alphabet(alphabet) != split:
        continue
      for drawer in range(DRAWERS):
        rng = np.random.default_rng([label, drawer])
        yield f"{label}_{drawer}", {
            "image": render(strokes, rng)[..., None],
            "label": label,
            "alphabet": alphabet,
            "character": char,
            "drawer": drawer,
        }
