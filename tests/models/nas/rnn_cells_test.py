"""The recurrent-cell search space and the NAS cell as a Keras 3 RNN cell."""

from absl.testing import absltest
import keras
import numpy as np

from models.nas import rnn_cells


def _sigmoid(x):
  return 1 / (1 + np.exp(-x))


def _relu(x):
  return np.maximum(x, 0)


def _nas_cell_numpy(x, h, c, w_x, w_h, b):
  """The NAS cell of the paper's Figure 8, written out by hand (TF 1's NASCell)."""
  xs = np.split(x @ w_x, 8, axis=-1)
  hs = np.split(h @ w_h + b, 8, axis=-1)
  l1 = [_sigmoid(xs[0] + hs[0]), _relu(xs[1] + hs[1]), _sigmoid(xs[2] + hs[2]),
        _relu(xs[3] * hs[3]), np.tanh(xs[4] + hs[4]), _sigmoid(xs[5] + hs[5]),
        np.tanh(xs[6] + hs[6]), _sigmoid(xs[7] + hs[7])]
  l2_0 = np.tanh(l1[0] * l1[1])
  l2_1 = np.tanh(l1[2] + l1[3])
  l2_2 = np.tanh(l1[4] * l1[5])
  l2_3 = _sigmoid(l1[6] + l1[7])
  l2_0 = np.tanh(l2_0 + c)  # Cell inject.
  new_c = l2_0 * l2_1
  l3_1 = np.tanh(l2_2 + l2_3)
  return np.tanh(new_c * l3_1), new_c


class TreeCellSpecTest(absltest.TestCase):

  def test_tree_numbering(self):
    spec = rnn_cells.NAS_CELL
    self.assertEqual(spec.base, 8)
    self.assertEqual([spec.children(i) for i in range(8, 15)],
                     [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11), (12, 13)])
    self.assertEqual(rnn_cells.TreeCellSpec.random(np.random.default_rng(0), 4)
                     .children(6), (4, 5))
    with self.assertRaisesRegex(ValueError, "is a leaf"):
      spec.children(3)

  def test_actions_round_trip_and_search_space_size(self):
    sizes = rnn_cells.TreeCellSpec.token_sizes(8)
    self.assertLen(sizes, 2 * 15 + 4)
    # 8^15 node choices x 6 * 8 * 6 for the memory wiring: about 10^16 cells.
    self.assertAlmostEqual(np.log10(np.prod([float(s) for s in sizes])), 16.0, places=1)
    rng = np.random.default_rng(1)
    actions = [int(rng.integers(k)) for k in sizes]
    spec = rnn_cells.TreeCellSpec.from_actions(actions)
    self.assertEqual(spec.nodes[0], (rnn_cells.COMBINATIONS[actions[0]],
                                     rnn_cells.ACTIVATIONS[actions[1]]))
    self.assertEqual(spec.cell_index, 8 + actions[-1])
    self.assertIn("inject c at", spec.describe())

  def test_errors(self):
    with self.assertRaisesRegex(ValueError, "takes 34 actions; received 3"):
      rnn_cells.TreeCellSpec.from_actions([0, 0, 0])
    nodes = rnn_cells.NAS_CELL.nodes
    with self.assertRaisesRegex(ValueError, "cell_index must be an inner node"):
      rnn_cells.TreeCellSpec(nodes, 8, ("add", "tanh"), 14)
    with self.assertRaisesRegex(ValueError, "activation in"):
      rnn_cells.TreeCellSpec(nodes, 8, ("add", "swish"), 12)


class NASCellTest(absltest.TestCase):

  def test_nas_cell_matches_the_published_equations(self):
    keras.utils.set_random_seed(0)
    cell = rnn_cells.NASCell(6)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5)).astype(np.float32)
    h = rng.normal(size=(3, 6)).astype(np.float32)
    c = rng.normal(size=(3, 6)).astype(np.float32)
    cell.build((None, 5))
    cell.b.assign(rng.normal(size=cell.b.shape).astype(np.float32))
    out, (h1, c1) = cell(x, [h, c])
    want_h, want_c = _nas_cell_numpy(x, h, c, cell.w_x.numpy(), cell.w_h.numpy(),
                                     cell.b.numpy())
    np.testing.assert_allclose(out.numpy(), want_h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(h1.numpy(), want_h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(c1.numpy(), want_c, rtol=1e-5, atol=1e-5)

  def test_cells_run_in_keras_rnn_and_round_trip_their_config(self):
    spec = rnn_cells.TreeCellSpec.random(np.random.default_rng(3))
    for cell in (rnn_cells.NASCell(8), rnn_cells.TreeCell(8, spec)):
      model = keras.Sequential([keras.Input((7, 4)),
                                keras.layers.RNN(cell, return_sequences=True),
                                keras.layers.Dense(3)])
      y = model(np.ones((2, 7, 4), np.float32))
      self.assertEqual(y.shape, (2, 7, 3))
      self.assertTrue(np.all(np.isfinite(y.numpy())))
      clone = type(cell).from_config(cell.get_config())
      self.assertEqual(clone.spec, cell.spec)
      self.assertEqual(clone.units, 8)


if __name__ == "__main__":
  absltest.main()
