"""The N-way K-shot episode sampler, over arrays and over TFDS `omniglot` (mock data)."""

import collections

from absl.testing import absltest
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from models.snail import episodes


def _arrays(num_classes=12, per_class=6, size=4):
  """Image of class c, example e: constant c + e / 100 (so both can be read back)."""
  labels = np.repeat(np.arange(num_classes), per_class)
  values = labels + np.tile(np.arange(per_class), num_classes) / 100
  images = np.broadcast_to(values[:, None, None, None], (len(labels), size, size, 1))
  order = np.random.default_rng(0).permutation(len(labels))  # Unsorted input.
  return images[order].astype(np.float32), labels[order]


class EpisodeSamplerTest(absltest.TestCase):

  def test_shapes_and_labels(self):
    sampler = episodes.EpisodeSampler(*_arrays(), way=5)
    sx, sy, qx, qy = sampler.sample([1, 2], batch=3, shots=2, queries=2)
    self.assertEqual(sx.shape, (3, 10, 4, 4, 1))
    self.assertEqual(qx.shape, (3, 10, 4, 4, 1))
    for b in range(3):
      self.assertEqual(sorted(sy[b].numpy()), sorted(list(range(5)) * 2))
      np.testing.assert_array_equal(qy[b].numpy(), np.repeat(np.arange(5), 2))

  def test_examples_match_their_labels_and_are_distinct(self):
    sampler = episodes.EpisodeSampler(*_arrays(), way=4)
    sx, sy, qx, qy = sampler.sample([3, 4], batch=8, shots=3, queries=2)
    for b in range(8):
      cls = {}
      examples = []
      for x, y in list(zip(sx[b].numpy(), sy[b].numpy())) + list(
          zip(qx[b].numpy(), qy[b].numpy())):
        value = float(x[0, 0, 0])
        cls.setdefault(int(y), set()).add(int(value))
        examples.append(round(value, 2))
      self.assertTrue(all(len(c) == 1 for c in cls.values()), cls)  # One class a label.
      self.assertLen(set(next(iter(c)) for c in cls.values()), 4)  # Distinct classes.
      self.assertLen(set(examples), len(examples))  # No example twice.

  def test_label_permutation_is_fresh_each_episode(self):
    sampler = episodes.EpisodeSampler(*_arrays(num_classes=5), way=5)
    sx, sy, _, _ = sampler.sample([5, 6], batch=400, shots=1, queries=1)
    # With 5 classes every episode holds all of them; only the labels move.
    seen = collections.Counter()
    perms = set()
    for b in range(400):
      mapping = tuple(int(sx[b, list(sy[b].numpy()).index(n), 0, 0, 0]) for n in range(5))
      perms.add(mapping)
      seen.update((label, c) for label, c in enumerate(mapping))
    self.assertGreater(len(perms), 100)  # Of 120 permutations.
    counts = np.array([seen[(label, c)] for label in range(5) for c in range(5)])
    self.assertGreater(counts.min(), 50)  # Uniform: 80 each in expectation.
    self.assertLess(counts.max(), 115)
    # `class_ids` names the class behind each label (class c's images are c + e/100).
    ids = sampler.class_ids([5, 6], 400).numpy()
    for b in (0, 1, 399):
      self.assertEqual(tuple(ids[b]), tuple(
          int(sx[b, list(sy[b].numpy()).index(n), 0, 0, 0]) for n in range(5)))

  def test_support_order_is_shuffled(self):
    sampler = episodes.EpisodeSampler(*_arrays(), way=5)
    _, sy, _, _ = sampler.sample([7, 8], batch=50, shots=2, queries=1)
    orders = {tuple(y) for y in sy.numpy()}
    self.assertGreater(len(orders), 40)

  def test_stateless_and_compiled(self):
    sampler = episodes.EpisodeSampler(*_arrays(), way=3, rotations=True)
    eager = sampler.sample([9, 1], batch=4, shots=1, queries=1)
    compiled = tf.function(lambda s, k: sampler.sample(s, 4, k, 1))(
        tf.constant([9, 1], tf.int64), tf.constant(1))
    for a, b in zip(eager, compiled):
      np.testing.assert_array_equal(a.numpy(), b.numpy())
    other = sampler.sample([9, 2], batch=4, shots=1, queries=1)
    self.assertFalse(np.array_equal(eager[0].numpy(), other[0].numpy()))

  def test_rotations_are_classes(self):
    images = np.zeros((8, 4, 4, 1), np.float32)
    images[:, 0, 0] = 1.0  # A mark in the top-left corner.
    sampler = episodes.EpisodeSampler(images, np.repeat([0, 1], 4), way=2,
                                      rotations=True)
    self.assertEqual(sampler.num_classes, 8)
    sx, sy, qx, qy = sampler.sample([1, 1], batch=64, shots=2, queries=1)
    corners = set()
    for b in range(64):
      for x, y in zip(qx[b].numpy(), qy[b].numpy()):
        corner = tuple(np.argwhere(x[..., 0] == 1.0)[0])
        support = sx[b].numpy()[sy[b].numpy() == y]
        for s in support:  # Support and query of a class share the rotation.
          self.assertEqual(tuple(np.argwhere(s[..., 0] == 1.0)[0]), corner)
        corners.add(corner)
    self.assertEqual(corners, {(0, 0), (0, 3), (3, 0), (3, 3)})

  def test_errors(self):
    images, labels = _arrays(num_classes=3)
    with self.assertRaisesRegex(ValueError, "way=5 needs 5 classes"):
      episodes.EpisodeSampler(images, labels, way=5)
    sampler = episodes.EpisodeSampler(images, labels, way=3)
    with self.assertRaisesRegex(ValueError, r"shots \+ queries \(6 \+ 1\)"):
      sampler.sample([0, 0], batch=1, shots=6, queries=1)
    with self.assertRaisesRegex(ValueError, "image_size=0"):
      episodes.load_split("omniglot", "train", image_size=0)

  def test_tensor_shots_are_checked_against_the_smallest_class(self):
    # Classes of 4, 6 and 6 examples: K = 4 with one query would take a fifth example
    # of the small class from its neighbour, under the small class's label.
    images, labels = _arrays(num_classes=3)
    keep = ~((labels == 0) & (images[:, 0, 0, 0] % 1 > 0.035))
    sampler = episodes.EpisodeSampler(images[keep], labels[keep], way=3)
    sample = tf.function(lambda k: sampler.sample([0, 0], batch=8, shots=k, queries=1))
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"exceeds the examples of the smallest class \(4\)"):
      sample(tf.constant(4))
    sx, _, _, _ = sample(tf.constant(3))
    self.assertEqual(sx.shape[1], 9)
    # With `max_examples`, the small class is left out instead.
    sampler = episodes.EpisodeSampler(images[keep], labels[keep], way=2, max_examples=5)
    self.assertEqual(sampler.num_base_classes, 2)

  def test_to_model_images_inverts_dark_ink_and_resizes(self):
    page = np.full((2, 105, 105, 3), 255, np.uint8)
    page[:, 40:60, 40:60] = 0  # A black square on white.
    out = episodes.to_model_images(page, 28)
    self.assertEqual(out.shape, (2, 28, 28, 1))
    self.assertAlmostEqual(float(out[0, 0, 0, 0]), 0.0)
    self.assertAlmostEqual(float(out[0, 14, 14, 0]), 1.0)


class TfdsOmniglotTest(absltest.TestCase):
  """`load_split` over TFDS `omniglot`, with mock data (nothing is downloaded)."""

  def test_omniglot_mock(self):
    rng = np.random.default_rng(0)
    labels = np.repeat([3, 17, 900, 1500, 42, 8], 5)

    def fake_as_dataset(builder, *args, **kwargs):
      del builder, args, kwargs
      return tf.data.Dataset.from_tensor_slices({
          "image": rng.integers(0, 2, size=(len(labels), 105, 105, 3)).astype(
              np.uint8) * 255,
          "label": labels.astype(np.int64),
          "alphabet": np.zeros(len(labels), np.int64),
          "alphabet_char_id": np.zeros(len(labels), np.int64),
      })

    with tfds.testing.mock_data(as_dataset_fn=fake_as_dataset):
      images, ids = episodes.load_split("omniglot", "small1", image_size=28)
    self.assertEqual(images.shape, (30, 28, 28, 1))
    self.assertEqual(sorted(set(ids.tolist())), list(range(6)))  # Renumbered 0..C-1.
    np.testing.assert_array_equal(np.bincount(ids), [5] * 6)
    sampler = episodes.EpisodeSampler(images, ids, way=5)
    sx, sy, qx, qy = sampler.sample([0, 1], batch=2, shots=2, queries=3)
    self.assertEqual(sx.shape, (2, 10, 28, 28, 1))
    self.assertEqual(qx.shape, (2, 15, 28, 28, 1))


if __name__ == "__main__":
  absltest.main()
