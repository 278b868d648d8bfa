"""One suite over every registered model: build, gradients, configs, checkpoints."""

import json
import os

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
import tensorflow as tf

import zoo
from zoo import configs

NAMES = zoo.list_models()


class AllModelsTest(parameterized.TestCase):

  def test_registry_is_not_empty(self):
    self.assertNotEmpty(NAMES)

  @parameterized.parameters(*NAMES)
  def test_every_weight_gets_a_finite_gradient(self, name):
    spec = zoo.get_spec(name)
    self.assertIsNotNone(spec.smoke_loss, f"{name} registers no smoke_loss")
    model = zoo.create(name, pretrained=False)
    with tf.GradientTape() as tape:
      loss = spec.smoke_loss(model, model.zoo_config)
    self.assertTrue(np.isfinite(float(loss)))
    grads = tape.gradient(loss, model.trainable_variables)
    self.assertNotEmpty(grads)
    for var, grad in zip(model.trainable_variables, grads):
      self.assertIsNotNone(grad, f"{name}: no gradient for {var.path}")
      # Dense: an embedding's gradient is IndexedSlices.
      self.assertTrue(np.all(np.isfinite(tf.convert_to_tensor(grad).numpy())), var.path)

  @parameterized.parameters(*NAMES)
  def test_config_round_trips_through_json(self, name):
    config = zoo.get_spec(name).config
    data = json.loads(configs.config_to_json(config))
    self.assertEqual(configs.config_from_dict(type(config), data), config)

  @parameterized.parameters(*NAMES)
  def test_export_and_reload(self, name):
    store = zoo.CheckpointStore(self.create_tempdir().full_path)
    model = zoo.create(name, pretrained=False)
    store.export(name, model, configs.config_to_dict(model.zoo_config), {}, "card\n")
    loaded = zoo.create(name, store=store)
    for a, b in zip(model.weights, loaded.weights):
      np.testing.assert_array_equal(a.numpy(), b.numpy())

  @parameterized.parameters(*NAMES)
  def test_shipped_checkpoint_verifies_and_loads(self, name):
    if not zoo.CheckpointStore().has(name):
      self.skipTest(f"{name} has no shipped checkpoint")
    model = zoo.create(name)
    card = zoo.model_card(name)
    self.assertTrue(card.pretrained)
    for key in ("command", "seed", "steps", "wall_time_s", "versions", "metrics"):
      self.assertIn(key, card.metadata)
    self.assertIn("zoo:main", card.metadata["command"])
    self.assertTrue(all(np.all(np.isfinite(w.numpy())) for w in model.weights))

  @parameterized.parameters(*NAMES)
  def test_shipped_card_is_current(self, name):
    # The card shipped beside the weights is the one the registration and the
    # checkpoint's metadata produce now: a changed claim, deviation or config field
    # must be written out (`--mode=card --model=NAME`), not left stale.
    store = zoo.CheckpointStore()
    if not store.has(name):
      self.skipTest(f"{name} has no shipped checkpoint")
    with open(os.path.join(store.path(name), "card.md"), encoding="utf-8") as f:
      shipped = f.read()
    self.assertEqual(shipped, zoo.model_card(name).text(),
                     f"{name}: card.md is stale; rewrite it with --mode=card "
                     f"--model={name}")


if __name__ == "__main__":
  absltest.main()
