"""The search space's token encoding, descriptions and random proposals."""

from absl.testing import absltest
import numpy as np

from models.nas import search_space


class SearchSpaceTest(absltest.TestCase):

  def test_tokens_follow_the_choices(self):
    space = search_space.SearchSpace(strides=(1, 2, 3))
    self.assertEqual([n for n, _ in space.tokens],
                     ["filter_height", "filter_width", "num_filters", "stride"])
    one_d = search_space.SearchSpace(filter_heights=(), num_filters=(4, 8))
    self.assertEqual([n for n, _ in one_d.tokens], ["filter_width", "num_filters"])
    # 3 layers: 3 x 2 tokens and 0 + 1 + 2 skip bits.
    self.assertEqual(one_d.num_actions(3), 9)

  def test_decode_encode_round_trip(self):
    space = search_space.SearchSpace(strides=(1, 2))
    rng = np.random.default_rng(0)
    for depth in (1, 2, 5):
      for _ in range(20):
        actions = space.sample_random(rng, depth)
        self.assertLen(actions, space.num_actions(depth))
        arch = space.decode(actions, depth)
        self.assertLen(arch.layers, depth)
        self.assertEqual(space.encode(arch), actions)

  def test_decode_reads_tokens_and_skips(self):
    space = search_space.SearchSpace(filter_heights=(), num_filters=(4, 8, 16, 32))
    # L0: width 3, 16 filters; L1: width 7, 4 filters, input L0;
    # L2: width 1, 32 filters, inputs none (the image).
    arch = space.decode([1, 2, 3, 0, 1, 0, 3, 0, 0], 3)
    self.assertEqual(arch.layers[0], search_space.LayerSpec(1, 3, 16, 1, ()))
    self.assertEqual(arch.layers[1], search_space.LayerSpec(1, 7, 4, 1, (0,)))
    self.assertEqual(arch.layers[2], search_space.LayerSpec(1, 1, 32, 1, ()))
    self.assertEqual(arch.describe(rank=1),
                     "L0 conv3/16 <- image | L1 conv7/4 <- L0 | L2 conv1/32 <- image")
    two_d = search_space.SearchSpace(strides=(1, 2)).decode([0, 1, 2, 1], 1)
    self.assertEqual(two_d.describe(), "L0 conv1x3/48 s2 <- image")

  def test_random_skip_probability(self):
    space = search_space.SearchSpace(filter_heights=())
    rng = np.random.default_rng(1)
    bits = [space.decode(space.sample_random(rng, 4, 0.25), 4) for _ in range(400)]
    fraction = np.mean([len(a.layers[3].inputs) / 3 for a in bits])
    self.assertBetween(fraction, 0.2, 0.3)

  def test_errors_name_the_argument(self):
    space = search_space.SearchSpace(filter_heights=())
    with self.assertRaisesRegex(ValueError, "needs 9 actions; received 3"):
      space.decode([0, 0, 0], 3)
    with self.assertRaisesRegex(ValueError, r"num_filters of layer 0\) must be in"):
      space.decode([0, 9], 1)
    with self.assertRaisesRegex(ValueError, "num_filters must be positive"):
      search_space.SearchSpace(num_filters=(0, 8))
    with self.assertRaisesRegex(ValueError, "is not one of"):
      space.encode(search_space.Architecture((search_space.LayerSpec(1, 2, 4),)))


if __name__ == "__main__":
  absltest.main()
