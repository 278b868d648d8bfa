"""The recurrent actor-critic: numerics, step == unroll, hidden-state reset semantics."""

from absl.testing import absltest
import numpy as np
import tensorflow as tf

from models.meta_rl import envs
from models.meta_rl import model
from models.meta_rl import rollout


def _np_sigmoid(x):
  return 1.0 / (1.0 + np.exp(-x))


class GRUTest(absltest.TestCase):

  def test_gru_step_against_numpy(self):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    h = rng.normal(size=(3, 5)).astype(np.float32)
    w = rng.normal(size=(4, 15)).astype(np.float32)
    u = rng.normal(size=(5, 15)).astype(np.float32)
    b = rng.normal(size=(2, 15)).astype(np.float32)
    got = model.gru_step(x, h, w, u, b).numpy()
    xw, hu = x @ w + b[0], h @ u + b[1]
    z = _np_sigmoid(xw[:, :5] + hu[:, :5])
    r = _np_sigmoid(xw[:, 5:10] + hu[:, 5:10])
    n = np.tanh(xw[:, 10:] + r * hu[:, 10:])
    np.testing.assert_allclose(got, z * h + (1 - z) * n, rtol=1e-5, atol=1e-6)

  def test_gru_step_matches_keras_gru_cell(self):
    import keras  # pylint: disable=g-import-not-at-top
    cell = keras.layers.GRUCell(5, reset_after=True)
    x = tf.random.normal([2, 4], seed=1)
    h = tf.random.normal([2, 5], seed=2)
    expected, _ = cell(x, [h])
    kernel, recurrent, bias = cell.weights
    got = model.gru_step(x, h, kernel, recurrent, bias)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


class FeaturesTest(absltest.TestCase):

  def test_no_previous_action_at_the_first_step(self):
    x = model.input_features(tf.zeros([2, 0]), tf.constant([0, 2]),
                             tf.constant([0.0, 1.0]), tf.constant([0.0, 1.0]),
                             tf.constant(0), 3, 10, True)
    np.testing.assert_array_equal(x.numpy(), np.zeros((2, 6)) + [0, 0, 0, 0, 0, 0]
                                  + np.array([[0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 1, 0]]))
    x = model.input_features(tf.zeros([1, 0]), tf.constant([2]), tf.constant([1.0]),
                             tf.constant([1.0]), tf.constant(5), 3, 10, True)
    np.testing.assert_allclose(x.numpy(), [[0, 0, 1, 1, 1, 0.5]])

  def test_reward_input_scale_scales_only_the_reward_input(self):
    net = model.RecurrentActorCritic(3, 0, 10, reward_input_scale=10.0)
    x = net.features(tf.zeros([1, 0]), tf.constant([2]), tf.constant([0.3]),
                     tf.constant([1.0]), tf.constant(5))
    np.testing.assert_allclose(x.numpy(), [[0, 0, 1, 3, 1, 0.5]], rtol=1e-6)
    restored = model.RecurrentActorCritic.from_config(net.get_config())
    self.assertEqual(restored.reward_input_scale, 10.0)

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, "cell must be 'gru' or 'lstm'.*'rnn'"):
      model.RecurrentActorCritic(2, 0, 10, cell="rnn")
    with self.assertRaisesRegex(ValueError, "units must be positive.*units=0"):
      model.RecurrentActorCritic(2, 0, 10, units=0)
    with self.assertRaisesRegex(ValueError, "reward_input_scale must be positive"):
      model.RecurrentActorCritic(2, 0, 10, reward_input_scale=0.0)


class RolloutAgreesWithUnrollTest(absltest.TestCase):

  def _check(self, env, cell):
    net = model.RecurrentActorCritic(env.num_actions, env.obs_dim, env.trial_length,
                                     cell=cell, units=16, embed_units=8)
    task = env.sample_tasks(env.seeds("train", 0, 3))
    record = tf.function(lambda t: rollout.rollout(
        env, model.AgentPolicy(net), t, tf.constant([0, 1])))(task)
    logits, values = net.unroll(net.trial_features(record))
    logp = tf.gather(tf.nn.log_softmax(logits), record["action"], batch_dims=2)
    np.testing.assert_allclose(logp.numpy(), record["logp"].numpy(), atol=1e-5)
    np.testing.assert_allclose(values.numpy(), record["value"].numpy(), atol=1e-5)

  def test_gru_on_mdps(self):
    self._check(envs.TabularMDP(num_episodes=2), "gru")

  def test_lstm_on_bandits(self):
    self._check(envs.BernoulliBandit(num_arms=3, num_pulls=12, episode_length=12),
                "lstm")


class HiddenStateResetTest(absltest.TestCase):
  """RL^2 §2.2: the hidden state is kept across the episodes of a trial, and reset
  only when a new trial (task) starts."""

  def setUp(self):
    super().setUp()
    self.env = envs.TabularMDP(num_episodes=3)
    self.net = model.RecurrentActorCritic(5, 10, self.env.trial_length, units=16)
    task = self.env.sample_tasks(self.env.seeds("train", 0, 2))
    self.record = rollout.rollout(self.env, model.AgentPolicy(self.net), task,
                                  tf.constant([0, 0]))

  def test_memory_crosses_episode_boundaries(self):
    features = self.net.trial_features(self.record).numpy()
    logits, _ = self.net.unroll(tf.constant(features))
    changed = features.copy()
    changed[:, 3, 10 + 5] += 1.0  # a different reward in episode 1, step 3
    logits2, _ = self.net.unroll(tf.constant(changed))
    diff = np.abs(logits2.numpy() - logits.numpy()).max(-1)
    self.assertEqual(diff[:, :3].max(), 0.0)  # the past is unchanged
    # Episode 2 (steps 10..19) starts in state 0 again but remembers episode 1.
    self.assertGreater(diff[:, 10:].min(), 0.0)

  def test_each_trial_starts_from_the_zero_state(self):
    # The same task twice gives the same trial: no state leaks between trials.
    task = self.env.sample_tasks(self.env.seeds("train", 0, 2))
    again = rollout.rollout(self.env, model.AgentPolicy(self.net), task,
                            tf.constant([0, 0]))
    np.testing.assert_array_equal(again["action"].numpy(),
                                  self.record["action"].numpy())
    np.testing.assert_allclose(again["logp"].numpy(), self.record["logp"].numpy())
    state = self.net.initial_state(2)
    self.assertEqual(float(tf.reduce_sum(tf.abs(state))), 0.0)


if __name__ == "__main__":
  absltest.main()
