"""The Gymnasium wrappers replay the compiled environments exactly."""

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from models.meta_rl import baselines
from models.meta_rl import envs
from models.meta_rl import gym_envs
from models.meta_rl import rollout

ENVS = {
    "bandit": envs.BernoulliBandit(num_arms=5, num_pulls=10),
    "wang_bandit": envs.BernoulliBandit(num_arms=2, num_pulls=20, episode_length=20),
    "informative": envs.InformativeArmBandit(),
    "restless": envs.RestlessBandit(num_pulls=20),
    "mdp": envs.TabularMDP(num_episodes=3),
    "two_step": envs.TwoStepTask(num_episodes=10),
}


class GymMetaEnvTest(parameterized.TestCase):

  @parameterized.named_parameters(*ENVS.items())
  def test_same_trial_as_the_compiled_rollout(self, env):
    tasks = env.sample_tasks(env.seeds("validation", 0, 3))
    record = tf.function(lambda t: rollout.rollout(
        env, baselines.RandomPolicy(), t, tf.constant([0, 0])))(tasks)
    gym_env = gym_envs.GymMetaEnv(env, split="validation")
    for i in range(3):
      obs, info = gym_env.reset(options={"new_task": True} if i else None)
      self.assertEqual(info["task_index"], i)
      rewards, states = [], []
      for t in range(env.trial_length):
        states.append(obs)
        obs, reward, terminated, truncated, info = gym_env.step(
            int(record["action"][i, t]))
        rewards.append(reward)
        self.assertFalse(truncated)
        self.assertEqual(terminated, bool(record["done"][i, t]))
        if terminated and not info["trial_done"]:
          obs, _ = gym_env.reset()
      self.assertTrue(info["trial_done"])
      np.testing.assert_allclose(rewards, record["reward"][i].numpy(), rtol=1e-5,
                                 atol=1e-5)
      np.testing.assert_array_equal(states, record["state"][i].numpy())

  def test_pre_drawn_tasks_are_the_seeded_ones(self):
    env = ENVS["mdp"]
    tasks = env.sample_tasks(env.seeds("validation", 0, 4))
    given = gym_envs.GymMetaEnv(env, tasks=tasks)
    drawn = gym_envs.GymMetaEnv(env, split="validation")
    for i in (0, 3):
      given.reset(options={"task_index": i})
      drawn.reset(options={"task_index": i})
      for key in given.task:
        np.testing.assert_array_equal(given.task[key], drawn.task[key])
    with self.assertRaisesRegex(ValueError, "task_index must be in 0..3.*received: 4"):
      given.reset(options={"task_index": 4})

  def test_errors(self):
    gym_env = gym_envs.GymMetaEnv(ENVS["mdp"])
    with self.assertRaisesRegex(RuntimeError, "step\\(\\) before reset"):
      gym_env.step(0)
    gym_env.reset(seed=0)
    with self.assertRaisesRegex(ValueError, "action must be in 0..4; received: 7"):
      gym_env.step(7)
    gym_env.step(0)
    with self.assertRaisesRegex(RuntimeError, "middle of an episode"):
      gym_env.reset()
    with self.assertRaisesRegex(ValueError, "reset options .*'task'"):
      gym_env.reset(options={"task": 3})
    with self.assertRaisesRegex(ValueError, "split must be .*'dev'"):
      gym_envs.GymMetaEnv(ENVS["mdp"], split="dev")

  def test_reset_keeps_the_task_until_the_trial_ends(self):
    gym_env = gym_envs.GymMetaEnv(ENVS["mdp"])
    _, info = gym_env.reset()
    for episode in range(3):
      for _ in range(10):
        _, _, terminated, _, step_info = gym_env.step(0)
      self.assertTrue(terminated)
      self.assertEqual(step_info["trial_done"], episode == 2)
      _, info = gym_env.reset()
      self.assertEqual(info["task_index"], 0 if episode < 2 else 1)
    _, info = gym_env.reset(options={"task_index": 7})
    self.assertEqual(info["task_index"], 7)


if __name__ == "__main__":
  absltest.main()
