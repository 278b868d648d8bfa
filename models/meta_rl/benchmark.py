r"""Environment steps per second: the compiled batched rollout against Gymnasium.

    bazel run //models/meta_rl:benchmark -- --env=bandit --tasks=256

Both sides run the same recurrent agent (`RecurrentActorCritic`, the RL^2 GRU) in the
loop on the same tasks:

  compiled: `rollout.rollout`, one `tf.function` stepping all tasks at once for a whole
    trial (what training and evaluation use);
  gymnasium: `gym_envs.GymMetaEnv` instances (NumPy dynamics) stepped one by one
    through the Gymnasium API, the policy evaluated batched over all of them at each
    step by a compiled `tf.function` (the usual vectorised-environment pattern).

Tasks are drawn once, outside the timed part, for both.

It prints steps per second for both and their ratio, all measured in this process.
"""


from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

from models.meta_rl import envs
from models.meta_rl import gym_envs
from models.meta_rl import model as model_lib
from models.meta_rl import rollout
from zoo import evaluation

FLAGS = flags.FLAGS
flags.DEFINE_enum("env", "bandit", ["bandit", "mdp", "two_step"], "Environment.")
flags.DEFINE_integer("tasks", 256, "Tasks stepped together.", lower_bound=1)
flags.DEFINE_integer("repeats", 3, "Timed trials of each side; the best is reported.",
                     lower_bound=1)

_ENVS = {"bandit": lambda: envs.BernoulliBandit(num_arms=5, num_pulls=100),
         "mdp": lambda: envs.TabularMDP(num_episodes=10),
         "two_step": lambda: envs.TwoStepTask(num_episodes=100)}


def compiled_rate(env, net, tasks, repeats: int) -> float:
  fn = tf.function(lambda t, s: rollout.rollout(env, model_lib.AgentPolicy(net), t, s))
  seconds = evaluation.best_time(
      lambda: fn(tasks, tf.constant([0, 0]))["reward"].numpy(), repeats)
  return int(tasks["policy_u"].shape[0]) * env.trial_length / seconds


def gymnasium_rate(env, net, tasks, repeats: int) -> float:
  num_tasks = int(tasks["policy_u"].shape[0])
  # The same pre-drawn tasks as the compiled side: the timing covers stepping only.
  gyms = [gym_envs.GymMetaEnv(env, tasks=tasks) for _ in range(num_tasks)]
  policy_u = tasks["policy_u"].numpy()

  @tf.function
  def act(state, obs, prev_action, prev_reward, prev_done, t, u):
    x = net.features(obs, prev_action, prev_reward, prev_done, t)
    logits, _, state = net.step(x, state)
    return rollout.sample_action(logits, u), state

  def run():
    state = net.initial_state(num_tasks)
    obs = np.zeros(num_tasks, np.int64)
    for i, g in enumerate(gyms):
      obs[i], _ = g.reset(options={"task_index": i})
    prev_action = np.zeros(num_tasks, np.int32)
    prev_reward = np.zeros(num_tasks, np.float32)
    prev_done = np.zeros(num_tasks, np.float32)
    for t in range(env.trial_length):
      onehot = (np.eye(env.obs_dim, dtype=np.float32)[obs] if env.obs_dim
                else np.zeros((num_tasks, 0), np.float32))
      action, state = act(state, onehot, prev_action, prev_reward, prev_done,
                          tf.constant(t), policy_u[:, t])
      action = action.numpy()
      for i, g in enumerate(gyms):
        obs[i], prev_reward[i], terminated, _, info = g.step(action[i])
        prev_done[i] = float(terminated)
        if terminated and not info["trial_done"]:
          obs[i], _ = g.reset()
      prev_action = action.astype(np.int32)

  return num_tasks * env.trial_length / evaluation.best_time(run, repeats)


def main(argv):
  del argv
  env = _ENVS[FLAGS.env]()
  net = model_lib.RecurrentActorCritic(env.num_actions, env.obs_dim, env.trial_length,
                                       cell="gru", units=128)
  tasks = env.sample_tasks(env.seeds("validation", 0, FLAGS.tasks))
  fast = compiled_rate(env, net, tasks, FLAGS.repeats)
  slow = gymnasium_rate(env, net, tasks, FLAGS.repeats)
  print(f"{FLAGS.env}: {FLAGS.tasks} tasks x {env.trial_length} steps, GRU-128 policy "
        "in the loop")
  print(f"  compiled batched rollout: {fast:,.0f} env steps/s")
  print(f"  Gymnasium, stepped per env: {slow:,.0f} env steps/s")
  print(f"  ratio compiled / Gymnasium: {fast / slow:.1f}x")


if __name__ == "__main__":
  app.run(main)
