"""The child builder's repairs, its descriptions, and a tiny learning test."""

from absl.testing import absltest
import keras
import numpy as np

from models.nas import child
from models.nas import search_space

L = search_space.LayerSpec


def _arch(*layers):
  return search_space.Architecture(tuple(layers))


def _producer(tensor):
  return tensor._keras_history.operation  # pylint: disable=protected-access


def _layer_input_names(model, name):
  """Names of the layers feeding layer `name` (through concatenation and padding)."""
  def sources(tensor):
    op = _producer(tensor)
    if isinstance(op, (keras.layers.Concatenate, keras.layers.ZeroPadding1D,
                       keras.layers.ZeroPadding2D)):
      inputs = op.input if isinstance(op.input, list) else [op.input]
      return [s for t in inputs for s in sources(t)]
    return [op.name]
  return sources(model.get_layer(name).input)


class ChildBuilderTest(absltest.TestCase):

  def test_chain_has_conv_bn_relu_and_softmax(self):
    model = child.build_child(_arch(L(1, 3, 4), L(1, 5, 8, inputs=(0,))), (40,))
    self.assertEqual(model.output_shape, (None, 10))
    names = [layer.name for layer in model.layers]
    for i in range(2):
      self.assertIn(f"conv{i}", names)
      self.assertIn(f"bn{i}", names)
      self.assertIn(f"relu{i}", names)
    self.assertEqual(model.get_layer("conv1").kernel.shape, (5, 4, 8))
    self.assertEqual(_layer_input_names(model, "conv1"), ["relu0"])
    # No repair needed: only the last layer feeds the classifier.
    self.assertEqual(model.get_layer("softmax").kernel.shape, (40 * 8, 10))

  def test_repair_layer_without_input_takes_the_image(self):
    arch = _arch(L(1, 3, 4), L(1, 3, 8, inputs=()), L(1, 3, 8, inputs=(0, 1)))
    model = child.build_child(arch, (40,))
    self.assertEqual(_layer_input_names(model, "conv1"), ["image"])
    self.assertEqual(child.count_repairs(arch), {"image_inputs": 1,
                                                 "dangling_outputs": 0})
    # conv2 sees L0 and L1 concatenated in depth: 4 + 8 channels.
    self.assertEqual(model.get_layer("conv2").kernel.shape, (3, 12, 8))

  def test_repair_unused_outputs_feed_the_final_layer(self):
    # L0 and L1 feed nobody: they join L2's output before the classifier.
    arch = _arch(L(1, 3, 4), L(1, 3, 8), L(1, 3, 16))
    model = child.build_child(arch, (40,))
    self.assertEqual(child.count_repairs(arch), {"image_inputs": 2,
                                                 "dangling_outputs": 2})
    self.assertEqual(model.get_layer("softmax").kernel.shape, (40 * (4 + 8 + 16), 10))
    self.assertEqual(sorted(_layer_input_names(model, "flatten")),
                     ["relu0", "relu1", "relu2"])

  def test_repair_mismatched_sizes_are_zero_padded(self):
    # L0 halves the length (stride 2); L2 concatenates it with the full-length L1.
    arch = _arch(L(1, 3, 4, stride=2), L(1, 3, 8), L(1, 1, 2, inputs=(0, 1)))
    model = child.build_child(arch, (40,))
    self.assertEqual(model.get_layer("relu0").output.shape, (None, 20, 4))
    pads = [layer for layer in model.layers if isinstance(layer, keras.layers.ZeroPadding1D)]
    self.assertNotEmpty(pads)
    self.assertEqual(model.get_layer("conv2").input.shape, (None, 40, 12))
    # The padding is zeros: the padded half of L0's channels is exactly 0.
    x = np.random.default_rng(0).normal(size=(2, 40)).astype(np.float32)
    padded = keras.Model(model.input, pads[0].output)(x).numpy()
    np.testing.assert_array_equal(padded[:, 20:], 0.0)

  def test_two_dimensional_images(self):
    arch = _arch(L(3, 1, 4), L(5, 3, 8, stride=2, inputs=(0,)), L(1, 1, 4))
    model = child.build_child(arch, (8, 8, 1))
    self.assertEqual(model.get_layer("conv1").kernel.shape, (5, 3, 4, 8))
    self.assertEqual(model.get_layer("relu1").output.shape, (None, 4, 4, 8))
    self.assertEqual(model.output_shape, (None, 10))
    self.assertEqual(arch.describe(),
                     "L0 conv3x1/4 <- image | L1 conv5x3/8 s2 <- L0 | L2 conv1x1/4 <- image")

  def test_errors(self):
    with self.assertRaisesRegex(ValueError, "input_shape must be"):
      child.build_child(_arch(L(1, 3, 4)), (2, 3, 4, 5))
    with self.assertRaisesRegex(ValueError, "no layers"):
      child.build_child(_arch(), (40,))
    with self.assertRaisesRegex(ValueError, r"reward_epochs \(5\) must be <= epochs"):
      child.ChildTraining(epochs=3, reward_epochs=5)


class ChildTrainingTest(absltest.TestCase):

  def test_a_child_learns_and_the_reward_is_the_cubed_best_of_the_last_epochs(self):
    rng = np.random.default_rng(0)
    # Two classes told apart by the sign of a bump at a random position.
    n = 512
    y = rng.integers(0, 2, n).astype(np.int32)
    x = rng.normal(scale=0.3, size=(n, 24)).astype(np.float32)
    pos = rng.integers(4, 20, n)
    x[np.arange(n), pos] += np.where(y == 1, 2.0, -2.0)
    data = {"train": (x[:384], y[:384]), "validation": (x[384:], y[384:])}
    training = child.ChildTraining(epochs=4, batch_size=32, reward_epochs=2)
    result = child.train_child(_arch(L(1, 3, 8), L(1, 3, 8, inputs=(0,))), data,
                               training, seed=0)
    self.assertLen(result["accuracies"], 4)
    self.assertGreater(result["accuracies"][-1], 0.85)
    self.assertAlmostEqual(result["reward"], max(result["accuracies"][-2:]) ** 3, places=6)
    again = child.train_child(_arch(L(1, 3, 8), L(1, 3, 8, inputs=(0,))), data,
                              training, seed=0)
    self.assertEqual(again["accuracies"], result["accuracies"])


if __name__ == "__main__":
  absltest.main()
