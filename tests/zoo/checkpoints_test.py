"""Tests of the checkpoint store: verified loads, clear refusals, atomic export."""

import json
import os
import shutil

from absl.testing import absltest
import numpy as np

import zoo
from zoo import checkpoints
from zoo import configs

NAME = "l2l_lstm.quadratic10"


class CheckpointStoreTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.root = self.create_tempdir().full_path
    self.store = zoo.CheckpointStore(self.root)
    self.net = zoo.create(NAME, pretrained=False)
    config = configs.config_to_dict(self.net.zoo_config)
    self.folder = self.store.export(NAME, self.net, config, {"seed": 0}, "card\n")

  def _file(self, filename):
    return os.path.join(self.folder, filename)

  def test_round_trip_restores_every_weight(self):
    loaded = zoo.create(NAME, store=self.store)
    for a, b in zip(self.net.weights, loaded.weights):
      np.testing.assert_array_equal(a.numpy(), b.numpy())
    self.assertTrue(any(np.abs(w.numpy()).sum() > 0 for w in loaded.weights))

  def test_manifest_lists_every_file_with_hash(self):
    with open(os.path.join(self.root, checkpoints.MANIFEST_FILE)) as f:
      files = json.load(f)["checkpoints"][NAME]["files"]
    self.assertEqual(sorted(files), ["card.md", "config.json", "metadata.json",
                                     "model.weights.h5"])
    for filename, info in files.items():
      self.assertEqual(info["sha256"], checkpoints.sha256_file(self._file(filename)))

  def test_altered_weights_are_refused_naming_the_file(self):
    path = self._file("model.weights.h5")
    with open(path, "r+b") as f:
      f.seek(os.path.getsize(path) // 2)
      byte = f.read(1)
      f.seek(-1, os.SEEK_CUR)
      f.write(bytes([byte[0] ^ 0xFF]))
    with self.assertRaisesRegex(zoo.CheckpointError,
                                r"model\.weights\.h5 was altered"):
      zoo.create(NAME, store=self.store)

  def test_truncated_file_is_refused(self):
    path = self._file("model.weights.h5")
    with open(path, "r+b") as f:
      f.truncate(os.path.getsize(path) - 100)
    with self.assertRaisesRegex(zoo.CheckpointError,
                                r"model\.weights\.h5 is truncated"):
      zoo.create(NAME, store=self.store)

  def test_missing_and_unlisted_files_are_refused(self):
    shutil.copy(self._file("card.md"), self._file("extra.txt"))
    with self.assertRaisesRegex(zoo.CheckpointError, r"extra\.txt.*not in the manifest"):
      zoo.create(NAME, store=self.store)
    os.remove(self._file("extra.txt"))
    os.remove(self._file("config.json"))
    with self.assertRaisesRegex(zoo.CheckpointError, r"config\.json is missing"):
      zoo.create(NAME, store=self.store)

  def test_weights_that_do_not_fit_name_the_layer(self):
    with self.assertRaisesRegex(zoo.CheckpointError,
                                r"layer 'lstm_0'.*shape \(22, 80\) in the checkpoint "
                                r"but \(10, 32\) in the model"):
      zoo.create(NAME, store=self.store, hidden_sizes=(8, 20))
    with self.assertRaisesRegex(zoo.CheckpointError, r"lstm_1/kernel.*model lacks"):
      zoo.create(NAME, store=self.store, hidden_sizes=(20,))

  def test_write_card_replaces_only_the_card(self):
    weights = checkpoints.sha256_file(self._file("model.weights.h5"))
    self.store.write_card(NAME, "new card\n")
    self.store.verify(NAME)
    with open(self._file("card.md")) as f:
      self.assertEqual(f.read(), "new card\n")
    self.assertEqual(checkpoints.sha256_file(self._file("model.weights.h5")), weights)
    self.assertEqual(self.store.read_json(NAME, "metadata.json"), {
        "seed": 0, "variables": checkpoints.variable_signature(self.net)})
    self.assertEqual(sorted(f for f in os.listdir(self.folder)),
                     ["card.md", "config.json", "metadata.json", "model.weights.h5"])

  def test_write_card_refuses_an_altered_checkpoint(self):
    with open(self._file("metadata.json"), "a") as f:
      f.write(" ")
    with self.assertRaisesRegex(zoo.CheckpointError, r"metadata\.json is longer"):
      self.store.write_card(NAME, "new card\n")
    with open(self._file("card.md")) as f:
      self.assertEqual(f.read(), "card\n")

  def test_unknown_checkpoint_name(self):
    with self.assertRaisesRegex(zoo.CheckpointError, "No shipped checkpoint"):
      self.store.verify("l2l_lstm.digits_mlp")

  def test_export_replaces_atomically_and_leaves_no_temporaries(self):
    other = zoo.create(NAME, pretrained=False)
    self.store.export(NAME, other, configs.config_to_dict(other.zoo_config),
                      {"seed": 1}, "card 2\n")
    self.assertEqual(sorted(f for f in os.listdir(self.root) if f != ".manifest.lock"),
                     ["MANIFEST.json", NAME])
    loaded = zoo.create(NAME, store=self.store)
    np.testing.assert_array_equal(loaded.weights[0].numpy(), other.weights[0].numpy())

  def test_failed_export_keeps_the_old_checkpoint(self):
    class Broken:
      weights = []

      def save_weights(self, path):
        with open(path, "w") as f:
          f.write("partial")
        raise IOError("disk full")

    with self.assertRaisesRegex(IOError, "disk full"):
      self.store.export(NAME, Broken(), {}, {}, "")
    self.assertEqual(sorted(f for f in os.listdir(self.root) if f != ".manifest.lock"),
                     ["MANIFEST.json", NAME])
    zoo.create(NAME, store=self.store)  # Still loads, still verified.


if __name__ == "__main__":
  absltest.main()
