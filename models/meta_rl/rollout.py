"""Running step-by-step policies over whole trials, compiled, for a batch of tasks.

A policy is any object with

    policy.initial_state(env, task) -> state (a nest of tensors with leading axis B)
    policy.step(state, inputs, seed) -> (action [B] int32, state, extras {name: [B]})
    policy.extras: the names of the extras it returns (a tuple, may be empty)

where `inputs` is a `StepInputs` (what an RL^2 agent sees at step t: the observation,
the previous action, reward and done flag, the step index and the uniform `u` with
which a stochastic policy samples its action) and `seed` a stateless seed `[2]` for
any other randomness. The agents (`model.py`) and every baseline (`baselines.py`)
implement it, so all of them run in the same compiled loop on the same tasks:

    tasks = env.sample_tasks(envs.test_seeds(env, seed=0, count=1000))
    result = evaluate_policy(env, baselines.Thompson(), tasks)
    result["total_reward"]   # [1000] per-task total reward over the trial

The agent's hidden state is created by `initial_state` once per trial and carried
across the trial's episodes (Duan et al. §2.2: reset per trial, never per episode).
"""

import collections

import numpy as np
import tensorflow as tf

__all__ = [
    "StepInputs",
    "evaluate_policy",
    "rollout",
    "sample_action",
]

StepInputs = collections.namedtuple(
    "StepInputs", ["obs", "prev_action", "prev_reward", "prev_done", "t", "u"])


def sample_action(logits, u):
  """A draw from softmax(logits) `[B, A]` by inverting its CDF at uniforms `u` [B]."""
  cdf = tf.cumsum(tf.nn.softmax(logits), axis=-1)
  action = tf.reduce_sum(tf.cast(cdf < u[:, None], tf.int32), axis=-1)
  return tf.minimum(action, tf.shape(logits)[-1] - 1)


def rollout(env, policy, task, seed):
  """One trial of `policy` on every task of the batch, as one `tf.while_loop`.

  Args:
    env: a `models.meta_rl.envs.MetaEnv`.
    policy: see the module docstring.
    task: a batch of tasks from `env.sample_tasks` / `env.sample_batch`.
    seed: int32 `[2]`, the stateless seed of the policy's own randomness.

  Returns:
    dict of `[B, T]` tensors: "obs" `[B, T, obs_dim]` (what the policy saw at t),
    "state", "action", "reward", "mean_reward" (expected reward of the action),
    "done" (step t ended an episode), plus the policy's extras and, for environments
    that report it, "best_mean" and "common".
  """
  seed = tf.convert_to_tensor(seed, tf.int32)
  batch = tf.shape(task["policy_u"])[0]
  length = env.trial_length
  state = env.start_episode(batch)
  policy_state = policy.initial_state(env, task)
  prev_action = tf.zeros([batch], tf.int32)
  prev_reward = tf.zeros([batch], tf.float32)
  prev_done = tf.zeros([batch], tf.float32)
  names = ["obs", "state", "action", "reward", "mean_reward", "done"]
  info_names = [k for k in ("best_mean", "common") if k in _info_keys(env, task)]
  names += info_names + list(policy.extras)
  arrays = {k: tf.TensorArray(tf.float32, size=length) for k in names}

  def body(t, state, policy_state, prev_action, prev_reward, prev_done, arrays):
    obs = env.observe(state)
    inputs = StepInputs(obs=obs, prev_action=prev_action, prev_reward=prev_reward,
                        prev_done=prev_done, t=t,
                        u=tf.gather(task["policy_u"], t, axis=1))
    action, policy_state, extras = policy.step(
        policy_state, inputs, tf.random.experimental.stateless_fold_in(seed, t))
    next_state, reward, info = env.step(task, state, action, t)
    done = env.episode_done(t)
    values = dict(obs=obs, state=state, action=action, reward=reward,
                  mean_reward=info["mean_reward"],
                  done=tf.zeros_like(reward) + tf.cast(done, tf.float32), **extras)
    values.update({k: info[k] for k in info_names})
    arrays = {k: arrays[k].write(t, tf.cast(values[k], tf.float32)) for k in names}
    next_state = tf.where(done, env.start_episode(batch), next_state)
    return (t + 1, next_state, policy_state, action, reward, values["done"], arrays)

  loop_vars = (tf.constant(0), state, policy_state, prev_action, prev_reward, prev_done,
               arrays)
  *_, arrays = tf.while_loop(lambda t, *_: t < length, body, loop_vars,
                             maximum_iterations=length)
  out = {}
  for k in names:
    stacked = arrays[k].stack()  # [T, B, ...]
    perm = [1, 0] + list(range(2, stacked.shape.rank))
    out[k] = tf.transpose(stacked, perm)
  for k in ("state", "action"):
    out[k] = tf.cast(out[k], tf.int32)
  return out


def _info_keys(env, task):
  batch = 1
  sliced = tf.nest.map_structure(lambda x: x[:batch], task)
  _, _, info = env.step(sliced, env.start_episode(batch), tf.zeros([batch], tf.int32),
                        tf.constant(0))
  return set(info)


def evaluate_policy(env, policy, task, seed: int = 0, batch_size: int = 1000,
                    keep=("action", "reward", "mean_reward")) -> dict:
  """Runs `policy` for one trial on each task; returns NumPy arrays.

  The compiled rollout is cached on the policy object per environment and batch
  size, so evaluating many task blocks does not retrace.

  Args:
    env: the environment the tasks come from.
    policy: a policy (module docstring), e.g. `baselines.Thompson()` or an agent.
    task: tasks from `env.sample_tasks(seeds)` (identical for every method).
    seed: seeds the policy's own randomness (Thompson's posterior draws and the like).
    batch_size: tasks per compiled call.
    keep: which per-step arrays to return besides "total_reward".

  Returns:
    {"total_reward": [N], and each name in `keep`: [N, T]} as NumPy arrays.
  """
  num = int(task["policy_u"].shape[0])
  cache = policy.__dict__.setdefault("_zoo_rollout_fns", {})
  key = (env, min(batch_size, num))
  if key not in cache:
    cache[key] = tf.function(lambda task, seed: rollout(env, policy, task, seed),
                             reduce_retracing=True)
  fn = cache[key]
  parts = collections.defaultdict(list)
  for start in range(0, num, batch_size):
    chunk = tf.nest.map_structure(lambda x: x[start:start + batch_size], task)
    out = fn(chunk, tf.constant([seed, start], tf.int32))
    for k in set(keep) | {"reward"}:
      parts[k].append(out[k].numpy())
  result = {k: np.concatenate(v, axis=0) for k, v in parts.items()}
  result["total_reward"] = result["reward"].sum(axis=1)
  if "reward" not in keep:
    result.pop("reward")
  return result
