"""Tests of the registry and `zoo.create`'s errors."""

from absl.testing import absltest

import zoo
from zoo import registry


class RegistryTest(absltest.TestCase):

  def test_list_models_filters_with_wildcards(self):
    names = zoo.list_models("l2l_lstm.*")
    self.assertIn("l2l_lstm.quadratic10", names)
    self.assertTrue(all(n.startswith("l2l_lstm.") for n in names))
    self.assertEqual(zoo.list_models("no_such_method.*"), [])

  def test_unknown_name_lists_closest(self):
    with self.assertRaises(zoo.UnknownModelError) as cm:
      zoo.create("l2l_lstm.quadratic1", pretrained=False)
    message = str(cm.exception)
    self.assertIn("Unknown model 'l2l_lstm.quadratic1'", message)
    self.assertIn("l2l_lstm.quadratic10", message)

  def test_unknown_override_names_valid_keys(self):
    with self.assertRaisesRegex(zoo.ConfigError,
                                r"Unknown config key\(s\) \['hiden_sizes'\].*"
                                r"hidden_sizes"):
      zoo.create("l2l_lstm.quadratic10", pretrained=False, hiden_sizes=(4,))

  def test_bad_override_value(self):
    with self.assertRaisesRegex(zoo.ConfigError, "preprocess"):
      zoo.create("l2l_lstm.quadratic10", pretrained=False, preprocess="tanh")

  def test_overrides_reach_the_model(self):
    net = zoo.create("l2l_lstm.quadratic10", pretrained=False, hidden_sizes=(7,))
    self.assertEqual(net.hidden_sizes, (7,))
    self.assertEqual(net.zoo_config.hidden_sizes, (7,))

  def test_duplicate_and_malformed_registration_raise(self):
    spec = zoo.get_spec("l2l_lstm.quadratic10")
    with self.assertRaisesRegex(ValueError, "already registered"):
      registry.register(spec)
    with self.assertRaisesRegex(ValueError, "method.variant"):
      registry.register(registry.ModelSpec(
          name="NoDot", config=spec.config, build=spec.build, train=spec.train,
          evaluate=spec.evaluate, paper="", summary=""))

  def test_model_card_has_paper_config_and_claim(self):
    card = zoo.model_card("l2l_lstm.quadratic10")
    self.assertIn("1606.04474", card.paper)
    self.assertEqual(card.config["hidden_sizes"], [20, 20])
    text = card.text()
    self.assertIn("Deviations from the paper", text)
    self.assertIn("0.8 x", text)


if __name__ == "__main__":
  absltest.main()
