"""The zoo's meta-RL environments as Gymnasium environments, for users' own agents.

`GymMetaEnv(env)` wraps any `envs.MetaEnv` (bandits, tabular MDPs, the two-step task)
one task at a time, with the same tasks (drawn by the same seeded sampler, reward
noise included) and the same dynamics re-implemented in NumPy, so an agent written
for Gymnasium scores exactly what it would in the compiled rollout.

Meta-episode API (Duan et al. §2.2): a trial is `episodes_per_trial` episodes on one
task. `step` returns `terminated=True` at the end of each episode and
`info["trial_done"]` at the end of the trial; then

    obs, info = env.reset()                            # the next episode, same task
    obs, info = env.reset(options={"new_task": True})  # draw the next task
    obs, info = env.reset(options={"task_index": 7})   # task 7 of the split

`reset()` draws a new task by itself when there is none yet or the trial is over.
Tasks come from `split` ("train", "validation" or "test") in order, task i being
`env.sample_tasks(env.seeds(split, i, 1))`. Observations are the state index
(`Discrete(num_states)`; a single state for bandits); the previous action, reward
and done flag, which RL^2 feeds its policy, are what the agent already has.

    import gymnasium as gym
    from models.meta_rl import envs, gym_envs
    env = gym_envs.GymMetaEnv(envs.BernoulliBandit(num_arms=5, num_pulls=10))
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
"""

from typing import Optional

import gymnasium as gym
import numpy as np

from models.meta_rl import envs

__all__ = ["GymMetaEnv"]


def _bandit_step(env, task, state, action, t):
  p = task["p"][t] if task["p"].ndim == 2 else task["p"]  # restless: p[t, arm]
  mean = float(p[action])
  return 0, float(task["u"][t] < p[action]), mean


def _informative_step(env, task, state, action, t):
  target = int(task["target"])
  if action == 10:
    reward = (target + 1) / 10.0
  else:
    reward = env.target_reward if action == target else 1.0
  return 0, float(reward), float(reward)


def _mdp_step(env, task, state, action, t):
  mean = float(task["mu"][state, action])
  cdf = np.cumsum(task["P"][state, action])
  next_state = min(int(np.sum(cdf <= task["u"][t])), env.num_states - 1)
  return next_state, mean + float(task["noise"][t]), mean


def _two_step_step(env, task, state, action, t):
  episode = t // 2
  if t % 2 == 0:
    common = task["u_transition"][episode] < env.common_prob
    return (1 + action) if common else (2 - action), 0.0, 0.0
  p = env.high_prob if state == task["good"][episode] else 1.0 - env.high_prob
  return 0, float(task["u_reward"][episode] < p), float(p)


_STEPS = {
    envs.BernoulliBandit: _bandit_step,
    envs.RestlessBandit: _bandit_step,
    envs.InformativeArmBandit: _informative_step,
    envs.TabularMDP: _mdp_step,
    envs.TwoStepTask: _two_step_step,
}


class GymMetaEnv(gym.Env):
  """One task of `env` at a time behind the Gymnasium API (see the module docstring).

  Args:
    env: a zoo environment, e.g. `envs.TabularMDP(num_episodes=10)`.
    split: which seeded tasks `reset` draws ("train", "validation", "test").
    first_task: the index of the first task drawn.
    tasks: optional, a batch already drawn with `env.sample_tasks(seeds)`; task i is
      then its row i (no sampling at reset, e.g. for timing the stepping alone).
  """

  metadata = {"render_modes": []}

  def __init__(self, env: envs.MetaEnv, split: str = "train", first_task: int = 0,
               tasks=None):
    if type(env) not in _STEPS:
      raise ValueError(f"env must be one of {[c.__name__ for c in _STEPS]}; received: "
                       f"{type(env).__name__}")
    if split not in ("train", "validation", "test"):
      raise ValueError(f"split must be 'train', 'validation' or 'test'; received: "
                       f"{split!r}")
    self.env = env
    self.split = split
    self._tasks = (None if tasks is None else
                   {k: np.asarray(v) for k, v in tasks.items()})
    self._step_fn = _STEPS[type(env)]
    self.action_space = gym.spaces.Discrete(env.num_actions)
    self.observation_space = gym.spaces.Discrete(max(env.obs_dim, 1))
    self._next_task = int(first_task)
    self.task = None
    self.task_index = None
    self._t = 0
    self._state = 0
    self._episode_over = True

  def _draw(self, index: int):
    if self._tasks is not None:
      count = len(self._tasks["policy_u"])
      if not 0 <= index < count:
        raise ValueError(f"task_index must be in 0..{count - 1} for the given tasks; "
                         f"received: {index}")
      self.task = {k: v[index] for k, v in self._tasks.items()}
    else:
      task = self.env.sample_tasks(self.env.seeds(self.split, index, 1))
      self.task = {k: v.numpy()[0] for k, v in task.items()}
    self.task_index = index
    self._next_task = index + 1
    self._t = 0

  def reset(self, *, seed: Optional[int] = None, options: Optional[dict] = None):
    super().reset(seed=seed)
    options = dict(options or {})
    unknown = set(options) - {"new_task", "task_index"}
    if unknown:
      raise ValueError(f"reset options are 'new_task' and 'task_index'; received: "
                       f"{sorted(unknown)}")
    if "task_index" in options:
      self._draw(int(options["task_index"]))
    elif (options.get("new_task") or self.task is None
          or self._t >= self.env.trial_length):
      self._draw(self._next_task)
    elif not self._episode_over:
      raise RuntimeError("reset() in the middle of an episode of the same task: "
                         "finish the episode, or pass options={'new_task': True}")
    self._state = 0
    self._episode_over = False
    return self._state, self._info()

  def _info(self, **extra):
    return dict(task_index=self.task_index, t=self._t,
                episode=self._t // self.env.episode_length, **extra)

  def step(self, action):
    if self.task is None or self._episode_over:
      raise RuntimeError("step() before reset(): call reset() to start an episode")
    action = int(action)
    if not 0 <= action < self.env.num_actions:
      raise ValueError(f"action must be in 0..{self.env.num_actions - 1}; received: "
                       f"{action}")
    next_state, reward, mean = self._step_fn(self.env, self.task, self._state, action,
                                             self._t)
    self._t += 1
    terminated = self._t % self.env.episode_length == 0
    trial_done = self._t >= self.env.trial_length
    self._state = 0 if terminated else int(next_state)
    self._episode_over = terminated
    return self._state, reward, terminated, False, self._info(
        trial_done=trial_done, mean_reward=mean, reached=int(next_state))
