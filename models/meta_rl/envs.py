"""Batched meta-RL task distributions, stepped inside compiled TF code.

Terms (Duan et al. 2016, §2.2): a *task* is one bandit or MDP drawn from a distribution;
a *trial* is `episodes_per_trial` episodes of `episode_length` steps on one task, over
which an agent keeps its memory; each *episode* starts from the start state. Every
environment here is a frozen dataclass that steps a batch of B tasks at once, so a
whole trial of a whole meta-batch runs in one `tf.while_loop` (see `rollout.py`).

Public API (shapes: B tasks, T = trial_length steps):

  env.seeds(split, start, count) -> int32 [count, 2]
      Stateless seeds of tasks start .. start+count-1 of split "train", "validation"
      or "test" (`models.optimizees.base.task_seeds`: splits never share a task).
  test_seeds(env, seed, count) -> int32 [count, 2]
      The test block picked by `--seed=seed` (tasks seed * TEST_BLOCK + i).
  env.sample_tasks(seeds) -> task
      A dict of tensors with leading axis B; task i depends only on seeds[i], so it
      is the same in a batch of 10 as in a batch of 1000, and every method scored on
      `sample_tasks(seeds)` sees the same tasks *and* the same reward noise.
  env.sample_batch(seed, batch) -> task
      The same distribution drawn vectorised from one seed `[2]` (training batches).
  env.start_episode(batch) -> state [B] int32: the start state (0).
  env.step(task, state, action, t) -> (next_state [B] int32, reward [B] float32, info)
      One step at trial step t (a scalar tensor) for actions [B] int32. `info` holds
      the expected reward of the action ("mean_reward") and task-specific fields.
  env.observe(state) -> float32 [B, obs_dim]: one-hot state (obs_dim 0 for bandits).
  env.episode_done(t) -> bool scalar: whether step t ends an episode.

Every task also carries `policy_u` [B, T] uniforms, which stochastic policies use to
sample their actions (`rollout.sample_action`), so an agent's behaviour on a task does
not depend on the batch it is evaluated in either.

Environments: `BernoulliBandit` (independent arms p_i ~ U[0,1], or Wang et al.'s
dependent two-armed priors), `InformativeArmBandit` (Wang et al. §3.1.3),
`RestlessBandit` (§3.1.4), `TabularMDP` (Duan et al. §4.2), `TwoStepTask` (Wang et al.
§3.2; Daw et al. 2011). Gymnasium versions of the same dynamics: `gym_envs.py`.
"""

import dataclasses

import tensorflow as tf

from models.optimizees import base as optimizees_base

__all__ = [
    "BANDIT_PRIORS",
    "BernoulliBandit",
    "InformativeArmBandit",
    "MetaEnv",
    "RestlessBandit",
    "TEST_BLOCK",
    "TabularMDP",
    "TwoStepTask",
    "make_env",
    "test_seeds",
]

TEST_BLOCK = optimizees_base.TEST_BLOCK

# Wang et al. (2016) §3.1.2: dependent two-armed bandits with p_1 = 1 - p_2, p_1 drawn
# from U[0, 1] ("dependent_uniform") or uniformly from {x, 1 - x}.
BANDIT_PRIORS = {
    "independent": None,
    "dependent_uniform": None,
    "easy": 0.1,
    "medium": 0.25,
    "hard": 0.4,
}


def _fold(seed, i: int):
  return tf.random.experimental.stateless_fold_in(seed, i)


def _uniform(seed, shape):
  return tf.random.stateless_uniform(shape, _fold(seed, 0))


class MetaEnv:
  """Base of the batched environments (see the module docstring for the API)."""

  name = "base"
  salt = 100
  num_actions: int
  obs_dim: int
  episode_length: int
  episodes_per_trial: int

  @property
  def trial_length(self) -> int:
    return self.episode_length * self.episodes_per_trial

  # -- tasks --------------------------------------------------------------------

  def draw(self, seed, batch: int) -> dict:
    """The task-specific tensors of `batch` tasks from one seed `[2]`."""
    raise NotImplementedError

  def sample_batch(self, seed, batch: int) -> dict:
    seed = tf.convert_to_tensor(seed, tf.int32)
    task = self.draw(_fold(seed, 1), batch)
    task["policy_u"] = _uniform(_fold(seed, 2), [batch, self.trial_length])
    return task

  def sample_tasks(self, seeds) -> dict:
    seeds = tf.convert_to_tensor(seeds, tf.int32)
    if seeds.shape.rank != 2 or seeds.shape[-1] != 2:
      raise ValueError(f"seeds must have shape [B, 2]; received: {seeds.shape}")
    one = lambda s: tf.nest.map_structure(lambda x: x[0], self.sample_batch(s, 1))
    spec = tf.nest.map_structure(
        lambda x: tf.TensorSpec(x.shape, x.dtype),
        tf.function(one, autograph=False).get_concrete_function(
            tf.TensorSpec([2], tf.int32)).structured_outputs)
    return tf.map_fn(one, seeds, fn_output_signature=spec, parallel_iterations=32)

  def seeds(self, split: str, start, count: int):
    return optimizees_base.task_seeds(split, start, count, self.salt)

  # -- dynamics -----------------------------------------------------------------

  def start_episode(self, batch):
    return tf.zeros([batch], tf.int32)

  def observe(self, state):
    if not self.obs_dim:
      return tf.zeros([tf.shape(state)[0], 0], tf.float32)
    return tf.one_hot(state, self.obs_dim, dtype=tf.float32)

  def episode_done(self, t):
    return tf.equal(tf.math.floormod(t + 1, self.episode_length), 0)

  def step(self, task, state, action, t):
    raise NotImplementedError


def test_seeds(env: MetaEnv, seed: int, count: int):
  """Seeds `[count, 2]` of the held-out test block `seed` (disjoint for each seed)."""
  if seed < 0:
    raise ValueError(f"seed must be >= 0; received: {seed}")
  if count <= 0 or count > TEST_BLOCK:
    raise ValueError(f"count must be in 1..{TEST_BLOCK}; received: {count}")
  return env.seeds("test", seed * TEST_BLOCK, count)


def _bernoulli(u, p):
  """A reward of 1 with probability p, from the pre-drawn uniform u."""
  return tf.cast(u < p, tf.float32)


@dataclasses.dataclass(frozen=True)
class BernoulliBandit(MetaEnv):
  """k-armed Bernoulli bandits, `num_pulls` pulls per trial.

  Duan et al. §4.1: p_i ~ U[0, 1] independently (`prior="independent"`). Wang et al.
  §3.1.2: two arms with p_2 = 1 - p_1, p_1 ~ U[0, 1] ("dependent_uniform") or drawn
  uniformly from {x, 1 - x} with x = 0.1 ("easy"), 0.25 ("medium"), 0.4 ("hard").

  RL^2 treats each pull as an episode (`episode_length=1`: the done flag is set after
  every pull); Wang et al. use one episode of `num_pulls` pulls (`episode_length =
  num_pulls`). Task fields: "p" [B, k], "u" [B, T] (pull t pays 1 iff u_t < p_a).
  """
  num_arms: int = 5
  num_pulls: int = 100
  prior: str = "independent"
  episode_length: int = 1

  name = "bandit"
  salt = 101
  obs_dim = 0

  def __post_init__(self):
    if self.prior not in BANDIT_PRIORS:
      raise ValueError(f"prior must be one of {sorted(BANDIT_PRIORS)}; received: "
                       f"{self.prior!r}")
    if self.prior != "independent" and self.num_arms != 2:
      raise ValueError(f"prior={self.prior!r} is for two arms; received: "
                       f"num_arms={self.num_arms}")
    if self.num_arms < 2:
      raise ValueError(f"num_arms must be >= 2; received: {self.num_arms}")
    if self.num_pulls < 1 or self.episode_length < 1 or (
        self.num_pulls % self.episode_length):
      raise ValueError(f"num_pulls ({self.num_pulls}) must be a positive multiple of "
                       f"episode_length ({self.episode_length})")

  @property
  def num_actions(self) -> int:
    return self.num_arms

  @property
  def episodes_per_trial(self) -> int:
    return self.num_pulls // self.episode_length

  def draw(self, seed, batch):
    x = _uniform(_fold(seed, 3), [batch, self.num_arms])
    if self.prior == "independent":
      p = x
    elif self.prior == "dependent_uniform":
      p = tf.stack([x[:, 0], 1.0 - x[:, 0]], axis=1)
    else:
      low = BANDIT_PRIORS[self.prior]
      p1 = tf.where(x[:, 0] < 0.5, low, 1.0 - low)
      p = tf.stack([p1, 1.0 - p1], axis=1)
    return {"p": p, "u": _uniform(_fold(seed, 4), [batch, self.num_pulls])}

  def step(self, task, state, action, t):
    p_a = tf.gather(task["p"], action, batch_dims=1)
    reward = _bernoulli(tf.gather(task["u"], t, axis=1), p_a)
    return state, reward, {"mean_reward": p_a,
                           "best_mean": tf.reduce_max(task["p"], axis=1)}


@dataclasses.dataclass(frozen=True)
class InformativeArmBandit(MetaEnv):
  """Wang et al. §3.1.3: 11 deterministic arms, `num_pulls` (5) pulls per episode.

  One of the first ten arms (the target, uniform) pays `target_reward` (5), the other
  nine pay 1, and arm 11 (index 10) pays (target index + 1) / 10, i.e. it tells where
  the target is at a small cost. The Bayes-optimal policy pulls arm 11 first, then the
  target. Task fields: "target" [B] int32.
  """
  num_pulls: int = 5
  target_reward: float = 5.0

  name = "informative_arm"
  salt = 102
  obs_dim = 0
  num_actions = 11
  num_arms = 11
  episodes_per_trial = 1

  def __post_init__(self):
    if self.num_pulls < 2:
      raise ValueError(f"num_pulls must be >= 2; received: {self.num_pulls}")

  @property
  def episode_length(self) -> int:
    return self.num_pulls

  def draw(self, seed, batch):
    target = tf.random.stateless_uniform([batch], _fold(seed, 3), 0, 10, tf.int32)
    return {"target": target}

  def arm_means(self, task):
    """The (deterministic) payoff of every arm, [B, 11]."""
    target = task["target"]
    ones = tf.ones([tf.shape(target)[0], 10])
    arms = tf.where(tf.one_hot(target, 10) > 0, self.target_reward, ones)
    informative = (tf.cast(target, tf.float32) + 1.0) / 10.0
    return tf.concat([arms, informative[:, None]], axis=1)

  def step(self, task, state, action, t):
    means = self.arm_means(task)
    reward = tf.gather(means, action, batch_dims=1)
    return state, reward, {"mean_reward": reward,
                           "best_mean": tf.reduce_max(means, axis=1)}


@dataclasses.dataclass(frozen=True)
class RestlessBandit(MetaEnv):
  """Wang et al. §3.1.4: Bernoulli arms whose p drifts during the episode.

  Each arm's p starts at U[0, 1] and follows a Gaussian random walk with step
  standard deviation `volatility`, reflected at 0 and 1. Task fields: "p" [B, T, k]
  (the path), "u" [B, T].
  """
  num_arms: int = 2
  num_pulls: int = 100
  volatility: float = 0.05

  name = "restless_bandit"
  salt = 103
  obs_dim = 0
  episodes_per_trial = 1

  def __post_init__(self):
    if self.volatility < 0:
      raise ValueError(f"volatility must be >= 0; received: {self.volatility}")
    if self.num_arms < 2 or self.num_pulls < 1:
      raise ValueError(f"num_arms >= 2 and num_pulls >= 1; received: "
                       f"num_arms={self.num_arms}, num_pulls={self.num_pulls}")

  @property
  def num_actions(self) -> int:
    return self.num_arms

  @property
  def episode_length(self) -> int:
    return self.num_pulls

  def draw(self, seed, batch):
    p0 = _uniform(_fold(seed, 3), [batch, 1, self.num_arms])
    steps = self.volatility * tf.random.stateless_normal(
        [batch, self.num_pulls - 1, self.num_arms], _fold(seed, 5))
    walk = p0 + tf.concat([tf.zeros_like(p0), tf.cumsum(steps, axis=1)], axis=1)
    # Folding the free walk into [0, 1] gives the walk reflected at both ends.
    folded = tf.math.floormod(walk, 2.0)
    p = tf.where(folded > 1.0, 2.0 - folded, folded)
    return {"p": p, "u": _uniform(_fold(seed, 4), [batch, self.num_pulls])}

  def step(self, task, state, action, t):
    p_t = tf.gather(task["p"], t, axis=1)
    p_a = tf.gather(p_t, action, batch_dims=1)
    reward = _bernoulli(tf.gather(task["u"], t, axis=1), p_a)
    return state, reward, {"mean_reward": p_a, "best_mean": tf.reduce_max(p_t, axis=1)}


@dataclasses.dataclass(frozen=True)
class TabularMDP(MetaEnv):
  """Random tabular MDPs of Duan et al. §4.2.

  |S| = 10, |A| = 5; mean rewards mu(s, a) ~ N(1, 1), observed rewards
  r ~ N(mu(s, a), 1); transitions P(.|s, a) ~ Dirichlet(1, ..., 1); every episode
  lasts `horizon` (10) steps from state 0; `num_episodes` episodes per trial.
  Task fields: "mu" [B, S, A], "P" [B, S, A, S], "noise" [B, T] (reward noise),
  "u" [B, T] (transition uniforms).
  """
  num_states: int = 10
  num_actions: int = 5
  horizon: int = 10
  num_episodes: int = 10

  name = "mdp"
  salt = 104

  def __post_init__(self):
    for field in ("num_states", "num_actions", "horizon", "num_episodes"):
      if getattr(self, field) < 1:
        raise ValueError(f"{field} must be positive; received: {getattr(self, field)}")

  @property
  def obs_dim(self) -> int:
    return self.num_states

  @property
  def episode_length(self) -> int:
    return self.horizon

  @property
  def episodes_per_trial(self) -> int:
    return self.num_episodes

  def draw(self, seed, batch):
    s, a = self.num_states, self.num_actions
    mu = 1.0 + tf.random.stateless_normal([batch, s, a], _fold(seed, 3))
    # A flat Dirichlet is a normalised vector of Exp(1) variables.
    e = -tf.math.log(1.0 - _uniform(_fold(seed, 4), [batch, s, a, s]))
    transitions = e / tf.reduce_sum(e, axis=-1, keepdims=True)
    t = self.trial_length
    return {"mu": mu, "P": transitions,
            "noise": tf.random.stateless_normal([batch, t], _fold(seed, 5)),
            "u": _uniform(_fold(seed, 6), [batch, t])}

  def step(self, task, state, action, t):
    mean = tf.gather_nd(task["mu"], tf.stack([state, action], 1), batch_dims=1)
    reward = mean + tf.gather(task["noise"], t, axis=1)
    probs = tf.gather_nd(task["P"], tf.stack([state, action], 1), batch_dims=1)
    u = tf.gather(task["u"], t, axis=1)
    # Inverse CDF: s' = #{s : F(s) <= u}, clipped against rounding at the top.
    next_state = tf.reduce_sum(tf.cast(tf.cumsum(probs, axis=1) <= u[:, None], tf.int32),
                               axis=1)
    next_state = tf.minimum(next_state, self.num_states - 1)
    return next_state, reward, {"mean_reward": mean}


@dataclasses.dataclass(frozen=True)
class TwoStepTask(MetaEnv):
  """The two-step task of Wang et al. §3.2 (after Daw et al. 2011).

  Each episode has two steps. Step 1, in state 0: action a in {0, 1} leads to state
  1 + a with the common probability `common_prob` (0.75 in Wang et al. 2016; 0.8 in the
  2018 follow-up) and to the other second-stage state otherwise. Step 2, in state 1 or
  2 (any action): a reward of 1 with probability `high_prob` (0.9) in the currently
  good state and 1 - high_prob in the other; which state is good switches with
  probability `switch_prob` (0.025) after each episode. A trial has `num_episodes`
  episodes (the agent's memory spans them). Task fields: "good" [B, E] (1 or 2),
  "u_transition" [B, E], "u_reward" [B, E].
  """
  num_episodes: int = 100
  common_prob: float = 0.75
  high_prob: float = 0.9
  switch_prob: float = 0.025

  name = "two_step"
  salt = 105
  num_actions = 2
  obs_dim = 3
  episode_length = 2

  def __post_init__(self):
    if self.num_episodes < 1:
      raise ValueError(f"num_episodes must be positive; received: {self.num_episodes}")
    for field in ("common_prob", "high_prob", "switch_prob"):
      value = getattr(self, field)
      if not 0.0 <= value <= 1.0:
        raise ValueError(f"{field} must be in [0, 1]; received: {value}")

  @property
  def episodes_per_trial(self) -> int:
    return self.num_episodes

  def draw(self, seed, batch):
    e = self.num_episodes
    first = tf.cast(_uniform(_fold(seed, 3), [batch, 1]) < 0.5, tf.int32)
    switches = tf.cast(_uniform(_fold(seed, 4), [batch, e - 1]) < self.switch_prob,
                       tf.int32)
    flips = tf.concat([first, switches], axis=1)
    good = 1 + tf.math.floormod(tf.cumsum(flips, axis=1), 2)
    return {"good": good,
            "u_transition": _uniform(_fold(seed, 5), [batch, e]),
            "u_reward": _uniform(_fold(seed, 6), [batch, e])}

  def step(self, task, state, action, t):
    episode = t // 2
    first_stage = tf.equal(tf.math.floormod(t, 2), 0)
    common = tf.gather(task["u_transition"], episode, axis=1) < self.common_prob
    reached = tf.where(common, 1 + action, 2 - action)
    good = tf.gather(task["good"], episode, axis=1)
    p = tf.where(tf.equal(state, good), self.high_prob, 1.0 - self.high_prob)
    paid = _bernoulli(tf.gather(task["u_reward"], episode, axis=1), p)
    next_state = tf.where(first_stage, reached, tf.zeros_like(state))
    reward = tf.where(first_stage, tf.zeros_like(paid), paid)
    mean = tf.where(first_stage, tf.zeros_like(p), p)
    return next_state, reward, {"mean_reward": mean,
                                "common": tf.logical_and(first_stage, common)}


ENVS = {
    "bandit": BernoulliBandit,
    "informative_arm": InformativeArmBandit,
    "restless_bandit": RestlessBandit,
    "mdp": TabularMDP,
    "two_step": TwoStepTask,
}


def make_env(kind: str, **params) -> MetaEnv:
  """The environment `kind` (one of `ENVS`) with `params`, e.g.
  `make_env("bandit", num_arms=5, num_pulls=100)`."""
  if kind not in ENVS:
    raise ValueError(f"env must be one of {sorted(ENVS)}; received: {kind!r}")
  return ENVS[kind](**params)
