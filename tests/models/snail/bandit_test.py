"""The SNAIL bandit agent: cached acting equals the full pass; the PPO learner runs it."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.meta_rl import model as meta_model
from models.meta_rl import rollout
from models.meta_rl import train as meta_train
from models.snail import bandit
from zoo import distribute

TINY = bandit.SnailBanditConfig(num_arms=3, num_pulls=12, batch_size=128,
                                policy_blocks=("t8", "a8x8"), value_blocks=("t4", "a4x4"),
                                learning_rate=3e-3, ppo_epochs=3, entropy_coef=0.0)


class BanditAgentTest(absltest.TestCase):

  def test_rollout_records_match_the_full_causal_pass(self):
    net = bandit.build_from_config(TINY)
    env = TINY.env()
    task = env.sample_batch(tf.constant([3, 4]), 6)
    record = rollout.rollout(env, meta_model.AgentPolicy(net), task, tf.constant([3, 4]))
    logits, values = net.unroll(net.trial_features(record))
    logp = tf.gather(tf.nn.log_softmax(logits), record["action"], batch_dims=2)
    np.testing.assert_allclose(logp.numpy(), record["logp"].numpy(), atol=1e-5)
    np.testing.assert_allclose(values.numpy(), record["value"].numpy(), atol=1e-5)

  def test_later_rewards_do_not_change_earlier_outputs(self):
    net = bandit.build_from_config(TINY)
    x = np.random.default_rng(0).uniform(size=(2, 12, net.input_dim)).astype(np.float32)
    changed = x.copy()
    changed[:, 7:, -2] = 5.0  # The reward input of steps >= 7.
    a, b = net.unroll(x)[0].numpy(), net.unroll(changed)[0].numpy()
    np.testing.assert_allclose(a[:, :7], b[:, :7], atol=1e-5)
    self.assertGreater(np.abs(a[:, 7:] - b[:, 7:]).max(), 1e-4)

  def test_ppo_learns_three_armed_bandits(self):
    keras.utils.set_random_seed(0)
    strategy = distribute.get_distribution_strategy()
    with strategy.scope():
      net = bandit.build_from_config(TINY)
      optimizer = keras.optimizers.Adam(TINY.learning_rate)
      optimizer.build(net.trainable_variables)
    step = meta_train.make_train_step(net, optimizer, TINY, strategy, seed=0)
    env = TINY.env()
    tasks = env.sample_tasks(env.seeds("validation", 0, 300))
    policy = meta_model.AgentPolicy(net)
    before = rollout.evaluate_policy(env, policy, tasks, keep=())["total_reward"].mean()
    for k in range(40):
      step(tf.constant(k, tf.int64))
    after = rollout.evaluate_policy(env, policy, tasks, keep=())["total_reward"].mean()
    # Random play earns 6 of 12 in expectation. 40 steps raise the mean by about 0.65
    # here; the mean over the same 300 tasks moves by about 0.1 by chance.
    self.assertGreater(after, before + 0.4, (before, after))

  def test_errors_name_the_argument(self):
    with self.assertRaisesRegex(ValueError, "input_units must be positive"):
      bandit.SnailBanditConfig(input_units=0)
    with self.assertRaisesRegex(ValueError, "'q3'"):
      bandit.SnailBanditConfig(policy_blocks=("t8", "q3"))
    with self.assertRaisesRegex(ValueError, "received env_kind='mdp'"):
      bandit.SnailBanditConfig(env_kind="mdp")
    with self.assertRaisesRegex(ValueError, "prior='easy'"):
      bandit.SnailBanditConfig(num_arms=2, prior="easy")
    with self.assertRaisesRegex(ValueError, "reward_input_scale is not used"):
      bandit.SnailBanditConfig(reward_input_scale=10.0)
    net = bandit.build_from_config(TINY)
    with self.assertRaisesRegex(ValueError, "empty cache"):
      net.unroll(tf.zeros([1, 3, net.input_dim]), state=net.initial_state(1))


if __name__ == "__main__":
  absltest.main()
