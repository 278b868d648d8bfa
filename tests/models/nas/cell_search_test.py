"""The recurrent-cell search demonstration: its controller and a tiny search."""

from absl.testing import absltest
import keras
import numpy as np

from models.nas import cell_search
from models.nas import rnn_cells


class SequenceControllerTest(absltest.TestCase):

  def test_log_probs_of_samples_match_rescoring(self):
    keras.utils.set_random_seed(0)
    net = cell_search.SequenceController(rnn_cells.TreeCellSpec.token_sizes(4))
    actions, log_p, entropy = net.sample(5, [0, 1])
    self.assertEqual(actions.shape, (5, 2 * 7 + 4))
    rescored, entropy2 = net(actions)
    np.testing.assert_allclose(log_p.numpy(), rescored.numpy(), atol=1e-5)
    np.testing.assert_allclose(entropy.numpy(), entropy2.numpy(), atol=1e-5)
    for row in actions.numpy():
      rnn_cells.TreeCellSpec.from_actions(row, base=4)  # Every sample decodes.


class CellSearchTest(absltest.TestCase):

  def test_tiny_search_runs_both_arms_and_reports(self):
    rng = np.random.default_rng(0)
    ids = np.tile(np.arange(6, dtype=np.int32), 200) + rng.integers(0, 2, 1200)
    config = cell_search.CellSearchConfig(
        base=4, units=4, embedding=4, sequence_length=8, batch_size=8, train_steps=3,
        validation_windows=4, steps=2, children=2)
    out = cell_search.run_cell_search(config, seed=0,
                                      output_dir=self.create_tempdir().full_path,
                                      log=lambda _: None, corpus=(ids, ids, 8))
    self.assertLen(out["rewards"]["controller"], 4)
    self.assertLen(out["rewards"]["random"], 4)
    self.assertTrue(all(r >= 0 for r in out["rewards"]["random"]))
    self.assertIn("controller reward", out["tables"][0])
    self.assertIn("NASCell", out["tables"][2])
    self.assertIn("LSTM", out["tables"][2])
    self.assertIn("test bpc", out["tables"][2])

  def test_a_cell_lm_learns(self):
    ids = np.tile(np.arange(5, dtype=np.int32), 400)  # A period-5 sequence.
    config = cell_search.CellSearchConfig(units=16, embedding=8, sequence_length=10,
                                          batch_size=16, train_steps=120)
    result = cell_search.train_cell_lm(rnn_cells.NAS_CELL, ids, ids, config, seed=0,
                                       vocab_size=5)
    self.assertLess(result["perplexity"], 2.0)  # Chance is 5.

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, "base must be a power of 2"):
      cell_search.CellSearchConfig(base=6)
    with self.assertRaisesRegex(ValueError, "steps must be positive"):
      cell_search.CellSearchConfig(steps=0)


if __name__ == "__main__":
  absltest.main()
