"""The controller: shapes, valid samples, log-probabilities, and a PPO learning test."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.optimizer_search import config as config_lib
from models.optimizer_search import controller
from models.optimizer_search import language
from models.optimizer_search import train

TARGET = np.array(language.tokens_of_unit("sign_g", "sign_m", "identity", "identity", "mul")
                  + language.tokens_of_unit("o1", "g", "exp", "identity", "mul"), np.int32)


def _model(strategy=None, **kwargs):
  config = config_lib.SearchConfig(**kwargs)
  keras.utils.set_random_seed(0)
  with (strategy or tf.distribute.get_strategy()).scope():
    return controller.build_from_config(config), config


class ControllerTest(absltest.TestCase):

  def test_sample_shapes_and_log_probabilities(self):
    model, _ = _model(num_controllers=3, num_units=2)
    tokens, logp = model.sample(5, tf.constant([1, 2]))
    self.assertEqual(tokens.shape, (3, 5, 10))
    self.assertEqual(tokens.dtype, tf.int32)
    again, entropy = model(tokens)
    np.testing.assert_allclose(again, logp, rtol=1e-5)
    self.assertEqual(entropy.shape, (3, 5))
    # Zero heads: every valid choice is equally likely at first.
    ops = len(language.OPERANDS)
    uniform = -(2 * np.log(ops) + 2 * np.log(ops + 1) + 4 * np.log(8) + 2 * np.log(5))
    np.testing.assert_allclose(logp, np.full([3, 5], uniform), rtol=1e-5)
    self.assertEqual(model.greedy().shape, (3, 10))

  def test_samples_are_valid_rules(self):
    model, _ = _model(num_units=3)
    tokens, _ = model.sample(200, tf.constant([0, 7]))
    tokens = tokens.numpy().reshape(-1, 15)
    for row in tokens:
      language.rule_from_tokens(row, 3)  # Raises on an operand of a later unit.
    self.assertEqual(tokens[:, 10].max(), len(language.OPERANDS) + 1)  # o2 in unit 3.

  def test_sampling_is_a_function_of_the_seed(self):
    model, _ = _model()
    a, _ = model.sample(4, tf.constant([3, 4]))
    b, _ = model.sample(4, tf.constant([3, 4]))
    c, _ = model.sample(4, tf.constant([3, 5]))
    np.testing.assert_array_equal(a, b)
    self.assertFalse(np.array_equal(a, c))

  def test_ppo_loss_clips(self):
    loss = train.ppo_loss(tf.math.log(tf.constant([2.0, 0.5, 2.0])), tf.zeros(3),
                          tf.zeros(3), tf.constant([1.0, -1.0, -1.0]), 0.2, 0.0)
    # rho = 2 with A > 0 is clipped to 1.2; rho = 0.5 with A < 0 to 0.8; rho = 2 with
    # A < 0 is not (the pessimistic side).
    np.testing.assert_allclose(loss, [-1.2, 0.8, 2.0], rtol=1e-6)

  def test_short_ppo_run_raises_the_probability_of_a_rewarded_rule(self):
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    model, config = _model(strategy, num_controllers=2, samples_per_step=64,
                           learning_rate=0.02, entropy_weight=0.0)
    with strategy.scope():
      optimizer = keras.optimizers.Adam(config.learning_rate)
      optimizer.build(model.trainable_variables)
    step = train.make_ppo_step(model, optimizer, config, strategy)
    target = np.broadcast_to(TARGET, [2, 1, 10])
    before = model(target)[0].numpy()
    baseline = np.zeros(2)
    for i in range(12):
      tokens, logp = model.sample(64, tf.constant([0, i]))
      # Reward: the fraction of the target's tokens a sample gets right.
      reward = (tokens.numpy() == TARGET).mean(axis=-1)
      baseline = reward.mean(axis=1) if i == 0 else 0.8 * baseline + 0.2 * reward.mean(1)
      step(tokens, tf.constant(reward - baseline[:, None], tf.float32), logp)
    after = model(target)[0].numpy()
    self.assertTrue(np.all(after > before + 5.0), f"log p {before} -> {after}")



class ConfigTest(absltest.TestCase):

  def test_bad_values_are_named(self):
    for kwargs, message in (
        ({"samples_per_step": 0}, "samples_per_step must be positive; received: 0"),
        ({"ppo_clip": 1.5}, "ppo_clip must be in \\(0, 1\\); received: 1.5"),
        ({"child_learning_rates": (0.1, -1.0)}, "child_learning_rates must be positive"),
        ({"child_sizes": (64, 10, 5)}, "sizes must run from 64 inputs to 10 classes"),
        ({"heldout_activation": "gelu"}, "activation must be .* received: 'gelu'"),
        ({"claim_min_seeds_improved": 4}, "claim_min_seeds_improved must be in \\[1, "
                                          "num_controllers=3\\]; received: 4")):
      with self.assertRaisesRegex(ValueError, message):
        config_lib.SearchConfig(**kwargs)

if __name__ == "__main__":
  absltest.main()
