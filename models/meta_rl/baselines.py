"""Hand-designed baselines, as policies for `rollout.rollout` (compiled, batched).

Bernoulli bandits (Duan et al. §4.1; counts start from the Beta(1, 1) prior, as in the
paper):

  RandomPolicy()                 uniform arm
  Greedy()                       arg max of the posterior mean (s + 1) / (n + 2)
  EpsilonGreedy(epsilon)         greedy, or a uniform arm with probability epsilon
  UCB1(c)                        posterior mean + c * sqrt(2 ln N / n_a) (Auer et al.)
  Thompson()                     arg max of a draw from Beta(s + 1, f + 1)
  OptimisticThompson()           arg max of max(draw, posterior mean) (May et al. 2012)
  Gittins(discount, horizon)     arg max of the Gittins index of Beta(s + 1, f + 1)
                                 (`gittins_indices`: calibration by value iteration)
  BayesOptimal(horizon)          two arms only: the Bayes-optimal policy for the
                                 uniform prior and `horizon` pulls, undiscounted
                                 (`bayes_optimal_two_arms`: the finite-horizon DP)
  DependentBayesOptimal()        two arms with p2 = 1 - p1 (Wang et al.'s dependent
                                 bandits): the Bayes-optimal arm, by pooled counts

Tabular MDPs (Duan et al. §4.2; `env` is a `TabularMDP`):

  PSRL()                         posterior sampling (Osband et al. 2013): each episode
                                 acts optimally in an MDP drawn from the posterior
  ModelBasedEpsilonGreedy(eps)   optimal in the posterior-mean MDP, epsilon-random
                                 (eps = 0: Duan et al.'s "greedy")
  ValueIterationOracle()         optimal in the true MDP (an upper reference)

Informative-arm bandit (Wang et al. §3.1.3): `InformativeArmOracle()`.

`bayes_excess_regret(actions, rewards, horizon)` scores any two-armed policy's
rollouts (an agent's too) against the Bayes optimum, pull by pull; `two_arm_counts`
gives the count state before each pull.

Every policy is a small object with `initial_state(env, task)`, `step(state, inputs,
seed)` and `extras = ()`; state is the sufficient statistics (success / failure counts,
transition counts), updated from the previous action and reward in `inputs`.
Tuning: `tune(env, make_policy, grid, tasks)` picks the parameter with the highest mean
total reward on validation tasks.
"""

import functools
import math

import numpy as np
import tensorflow as tf

from models.meta_rl import rollout as rollout_lib

__all__ = [
    "BayesOptimal",
    "DependentBayesOptimal",
    "EpsilonGreedy",
    "Gittins",
    "Greedy",
    "InformativeArmOracle",
    "ModelBasedEpsilonGreedy",
    "OptimisticThompson",
    "PSRL",
    "RandomPolicy",
    "Thompson",
    "UCB1",
    "ValueIterationOracle",
    "bayes_excess_regret",
    "bayes_optimal_two_arms",
    "gittins_indices",
    "tune",
    "two_arm_counts",
    "value_iteration",
]


def _argmax_random_ties(values, seed):
  """arg max over the last axis, ties broken uniformly at random."""
  noise = tf.random.stateless_uniform(tf.shape(values), seed)
  best = tf.reduce_max(values, axis=-1, keepdims=True)
  return tf.argmax(tf.where(values >= best - 1e-9, 1.0 + noise, 0.0), axis=-1,
                   output_type=tf.int32)


class _Policy:
  extras = ()

  def __repr__(self):
    fields = ", ".join(f"{k}={v}" for k, v in sorted(vars(self).items())
                       if not k.startswith("_"))
    return f"{type(self).__name__}({fields})"


class RandomPolicy(_Policy):
  """A uniformly random action (any environment)."""

  def initial_state(self, env, task):
    self._num_actions = env.num_actions
    return tf.zeros_like(task["policy_u"][:, 0], tf.int32)

  def step(self, state, inputs, seed):
    del seed
    num = self._num_actions
    action = tf.minimum(tf.cast(inputs.u * num, tf.int32), num - 1)
    return action, state, {}


class _BetaBernoulli(_Policy):
  """Success / failure counts per arm; subclasses pick the arm from them."""

  def initial_state(self, env, task):
    batch = tf.shape(task["policy_u"])[0]
    zeros = tf.zeros([batch, env.num_actions])
    return (zeros, zeros)  # (successes s, failures f)

  def step(self, state, inputs, seed):
    successes, failures = state
    started = tf.cast(inputs.t > 0, tf.float32)
    pulled = tf.one_hot(inputs.prev_action, tf.shape(successes)[1]) * started
    successes += pulled * inputs.prev_reward[:, None]
    failures += pulled * (1.0 - inputs.prev_reward[:, None])
    action = self.choose(successes, failures, inputs, seed)
    return action, (successes, failures), {}

  def choose(self, successes, failures, inputs, seed):
    raise NotImplementedError


def _posterior_mean(successes, failures):
  return (successes + 1.0) / (successes + failures + 2.0)


class Greedy(_BetaBernoulli):
  """The arm with the highest posterior mean."""

  def choose(self, successes, failures, inputs, seed):
    return _argmax_random_ties(_posterior_mean(successes, failures), seed)


class EpsilonGreedy(_BetaBernoulli):
  """Greedy, except with probability `epsilon` a uniformly random arm."""

  def __init__(self, epsilon: float = 0.1):
    if not 0.0 <= epsilon <= 1.0:
      raise ValueError(f"epsilon must be in [0, 1]; received: {epsilon}")
    self.epsilon = float(epsilon)

  def choose(self, successes, failures, inputs, seed):
    greedy = _argmax_random_ties(_posterior_mean(successes, failures), seed)
    k = tf.shape(successes)[1]
    explore = inputs.u < self.epsilon
    # The same uniform, rescaled, picks the random arm.
    random_arm = tf.minimum(
        tf.cast(inputs.u / max(self.epsilon, 1e-12) * tf.cast(k, tf.float32), tf.int32),
        k - 1)
    return tf.where(explore, random_arm, greedy)


class UCB1(_BetaBernoulli):
  """Auer et al. (2002): posterior mean + c * sqrt(2 ln N / n_a), with the Beta(1, 1)
  pseudo-counts in n_a and N (so no arm needs a forced first pull)."""

  def __init__(self, c: float = 1.0):
    if c < 0:
      raise ValueError(f"c must be >= 0; received: {c}")
    self.c = float(c)

  def choose(self, successes, failures, inputs, seed):
    n = successes + failures + 2.0  # n_a with the prior's two pseudo-pulls
    total = tf.reduce_sum(n, axis=1, keepdims=True)
    bonus = self.c * tf.sqrt(2.0 * tf.math.log(total) / n)
    return _argmax_random_ties(_posterior_mean(successes, failures) + bonus, seed)


def _beta_sample(alpha, beta, seed):
  """Beta(alpha, beta) draws as X / (X + Y), X ~ Gamma(alpha), Y ~ Gamma(beta)."""
  x = tf.random.stateless_gamma(tf.shape(alpha), seed, alpha=alpha)
  y = tf.random.stateless_gamma(tf.shape(beta),
                                tf.random.experimental.stateless_fold_in(seed, 1),
                                alpha=beta)
  return x / (x + y)


class Thompson(_BetaBernoulli):
  """Thompson sampling (Thompson 1933): the arm whose posterior draw is largest."""

  def choose(self, successes, failures, inputs, seed):
    return tf.argmax(_beta_sample(successes + 1.0, failures + 1.0, seed), axis=-1,
                     output_type=tf.int32)


class OptimisticThompson(_BetaBernoulli):
  """Optimistic Thompson sampling (May et al. 2012): draws below the posterior mean
  are raised to it."""

  def choose(self, successes, failures, inputs, seed):
    draw = _beta_sample(successes + 1.0, failures + 1.0, seed)
    return tf.argmax(tf.maximum(draw, _posterior_mean(successes, failures)), axis=-1,
                     output_type=tf.int32)


@functools.lru_cache(maxsize=16)
def gittins_indices(discount: float, depth: int, grid: int = 2001,
                    extra_depth: int = 0) -> np.ndarray:
  """Gittins indices of Beta(s + 1, f + 1) Bernoulli arms, `[depth + 1, depth + 1]`.

  Calibration (Gittins 1979; Katehakis & Veinott 1987): the index of state (s, f) is
  the per-step reward lambda of a known arm at which one is indifferent between that
  arm forever and playing the unknown arm optimally, retiring at any time. For every
  lambda on a grid the optimal-stopping values of all states are computed at once by
  value iteration backwards over the (s, f) lattice,

      V(s, f) = max(lambda / (1 - g),  p + g [p V(s+1, f) + (1 - p) V(s, f+1)]),
      p = (s + 1) / (s + f + 2),

  truncated `extra_depth` pulls beyond `depth` (default: enough that g^extra < 0.01),
  where the arm's mean is taken as known. The index is the lambda where continuing
  stops paying, linearly interpolated between grid points. Entries with s + f > depth
  are NaN.

  Args:
    discount: g in (0, 1). A bandit of n pulls is approximated by g near 1 - 1/n;
      `Gittins` tunes g on validation tasks (Duan et al. report the best of several
      approximations).
    depth: the largest number of pulls s + f that needs an index.
    grid: lambda grid points in [0, 1].
    extra_depth: lattice beyond `depth` (0: chosen from the discount).
  """
  if not 0.0 < discount < 1.0:
    raise ValueError(f"discount must be in (0, 1); received: {discount}")
  if depth < 0:
    raise ValueError(f"depth must be >= 0; received: {depth}")
  g = float(discount)
  if not extra_depth:
    extra_depth = int(math.ceil(math.log(1e-2) / math.log(g)))
  lam = np.linspace(0.0, 1.0, grid)
  stop = lam / (1.0 - g)
  top = depth + extra_depth
  s = np.arange(top + 1)
  p = (s + 1.0) / (top + 2.0)
  value = np.maximum(stop[None, :], p[:, None] / (1.0 - g))  # diagonal s + f = top
  index = np.full((depth + 1, depth + 1), np.nan)
  for m in range(top - 1, -1, -1):
    s = np.arange(m + 1)
    p = ((s + 1.0) / (m + 2.0))[:, None]
    cont = p + g * (p * value[1:m + 2] + (1.0 - p) * value[:m + 1])
    value = np.maximum(stop[None, :], cont)
    if m <= depth:
      gap = cont - stop[None, :]  # decreasing in lambda; the index is its root
      first = np.argmax(gap <= 0.0, axis=1)
      first = np.where(gap[np.arange(m + 1), first] <= 0.0, first, grid - 1)
      lo = np.maximum(first - 1, 0)
      g_lo, g_hi = gap[s, lo], gap[s, first]
      frac = np.where(g_lo > g_hi, g_lo / np.maximum(g_lo - g_hi, 1e-300), 0.0)
      index[s, m - s] = lam[lo] + np.clip(frac, 0.0, 1.0) * (lam[first] - lam[lo])
  return index


class Gittins(_BetaBernoulli):
  """The arm with the largest Gittins index (discount `discount`), looked up in the
  table of `gittins_indices` for up to `horizon` pulls."""

  def __init__(self, discount: float = 0.98, horizon: int = 100):
    self.discount = float(discount)
    self.horizon = int(horizon)
    self._table = tf.constant(
        np.nan_to_num(gittins_indices(self.discount, self.horizon), nan=0.0),
        tf.float32)

  def choose(self, successes, failures, inputs, seed):
    limit = self.horizon
    s = tf.minimum(tf.cast(successes, tf.int32), limit)
    f = tf.minimum(tf.cast(failures, tf.int32), limit - s)
    return _argmax_random_ties(tf.gather_nd(self._table, tf.stack([s, f], -1)), seed)


class _TwoArmed(_BetaBernoulli):
  """A count-based policy defined for two-armed bandits only."""

  def initial_state(self, env, task):
    if env.num_actions != 2:
      raise ValueError(f"{type(self).__name__} is for two-armed bandits; the "
                       f"environment has {env.num_actions} actions")
    return super().initial_state(env, task)


# The largest horizon of the exact two-armed program (its decision table holds one
# byte per count state, C(H + 3, 4) of them: 12 MB at 128).
MAX_BAYES_HORIZON = 128


def count_state_index(s0, f0, s1, f1):
  """The position of the count state (s0, f0, s1, f1) in the packed decision table:
  states ordered by n = s0 + f0 + s1 + f1, then lexicographically by (s0, f0, s1).
  Works on integer NumPy arrays and TF tensors alike (elementwise).

  Before layer n come P(n) = n(n+1)(n+2)(n+3)/24 states; inside it, Te(n+1) -
  Te(n-s0+1) with s0' < s0 (Te(k) = k(k+1)(k+2)/6), then f0 (r + 1) - f0 (f0 - 1)/2
  with f0' < f0 (r = n - s0), then s1.
  """
  n = s0 + f0 + s1 + f1
  tet = lambda k: k * (k + 1) * (k + 2) // 6
  r = n - s0
  return (n * (n + 1) * (n + 2) * (n + 3) // 24 + tet(n + 1) - tet(r + 1)
          + f0 * (r + 1) - f0 * (f0 - 1) // 2 + s1)


@functools.lru_cache(maxsize=2)
def _two_arm_program(horizon: int) -> tuple:
  """The finite-horizon program of `bayes_optimal_two_arms`: (value at the root,
  int8 decisions, float32 advantages Q_0 - Q_1), packed by `count_state_index`."""
  h = int(horizon)
  if not 1 <= h <= MAX_BAYES_HORIZON:
    raise ValueError(f"horizon must be in [1, {MAX_BAYES_HORIZON}]; received: "
                     f"{horizon}")
  signs, gaps = [None] * h, [None] * h
  nxt = np.zeros((h + 1,) * 3)  # V at n + 1, indexed (s0, f0, s1); f1 implied
  for n in range(h - 1, -1, -1):
    s0, f0, s1 = np.meshgrid(*(np.arange(n + 1.0),) * 3, indexing="ij")
    f1 = n - s0 - f0 - s1
    valid = f1 >= 0
    p0 = (s0 + 1.0) / (s0 + f0 + 2.0)
    p1 = (s1 + 1.0) / (s1 + np.maximum(f1, 0.0) + 2.0)
    m = n + 1
    q0 = p0 * (1.0 + nxt[1:m + 1, :m, :m]) + (1.0 - p0) * nxt[:m, 1:m + 1, :m]
    q1 = p1 * (1.0 + nxt[:m, :m, 1:m + 1]) + (1.0 - p1) * nxt[:m, :m, :m]
    value = np.where(valid, np.maximum(q0, q1), 0.0)
    gap = q0 - q1
    sign = np.where(gap > 1e-9, 1, np.where(gap < -1e-9, -1, 0)).astype(np.int8)
    # Boolean indexing reads the cube in C order: (s0, f0, s1) lexicographically,
    # the order of `count_state_index` inside layer n.
    signs[n] = sign[valid]
    gaps[n] = gap[valid].astype(np.float32)
    nxt = value
  return float(nxt[0, 0, 0]), np.concatenate(signs), np.concatenate(gaps)


def bayes_optimal_two_arms(horizon: int) -> tuple:
  """The Bayes-optimal policy of a two-armed Bernoulli bandit, p_a ~ U[0, 1]
  independently, `horizon` pulls, total reward undiscounted.

  The posterior after s_a successes and f_a failures on arm a is Beta(s_a + 1,
  f_a + 1), so the counts are the state. Backwards over n = s0 + f0 + s1 + f1 from
  V = 0 at n = horizon (Bellman 1956; the finite-horizon dynamic program that index
  policies approximate):

      Q_a = p_a (1 + V(.., s_a + 1, ..)) + (1 - p_a) V(.., f_a + 1, ..),
      p_a = (s_a + 1) / (s_a + f_a + 2),   V = max(Q_0, Q_1).

  Returns:
    (value, decision): `value` the expected total reward of optimal play, V at
    (0, 0, 0, 0); `decision` int8 `[C(horizon + 3, 4)]`, one entry per count state
    with n < horizon at `count_state_index(s0, f0, s1, f1)`: +1 where arm 0 is
    strictly better, -1 where arm 1 is, 0 on ties (within 1e-9).
  """
  value, decision, _ = _two_arm_program(horizon)
  return value, decision


def two_arm_counts(actions, rewards) -> tuple:
  """Each arm's (successes, failures) before each pull, `[N, T, 2]` int64 each, from
  the arms pulled and the 0/1 rewards observed `[N, T]`."""
  pulled = np.stack([np.asarray(actions) == 0, np.asarray(actions) == 1], -1)
  won = (np.asarray(rewards) > 0.5)[..., None]
  counts = []
  for outcome in (pulled & won, pulled & ~won):
    outcome = outcome.astype(np.int64)
    counts.append(np.cumsum(outcome, axis=1) - outcome)
  return tuple(counts)


def bayes_excess_regret(actions, rewards, horizon: int,
                        per_pull: bool = False) -> np.ndarray:
  """Per task, how much expected reward each pull gave up against the Bayes-optimal
  policy, summed over the trial: sum_t max_a Q*(b_t, a) - Q*(b_t, a_t), with b_t
  the count state before pull t and Q* the program of `bayes_optimal_two_arms`.

  By the performance-difference identity (Kakade & Langford 2002), for any policy
  run on tasks drawn from the uniform prior the mean of this is an unbiased estimate
  of its expected regret under the prior less the Bayes-optimal policy's
  (`BayesOptimal.expected_regret`); it is zero for that policy. Most of the noise of
  a sampled regret (which arms the tasks happened to have, which rewards came) drops
  out, so it ranks policies on far fewer tasks.

  Args:
    actions: `[N, T]` arms pulled (0 or 1), T <= horizon.
    rewards: `[N, T]` rewards observed (0 or 1).
    horizon: the trial length the program is solved for (the bandit's pulls).
    per_pull: return each pull's term, `[N, T]`, instead of their sum.

  Returns:
    `[N]` (or `[N, T]`) float64, non-negative.
  """
  actions = np.asarray(actions)
  rewards = np.asarray(rewards)
  if actions.ndim != 2 or actions.shape != rewards.shape:
    raise ValueError(f"actions and rewards must both be [N, T]; received: "
                     f"{actions.shape} and {rewards.shape}")
  if actions.shape[1] > horizon:
    raise ValueError(f"{actions.shape[1]} pulls per task, more than the horizon "
                     f"{horizon}")
  if not np.all((actions == 0) | (actions == 1)):
    raise ValueError("bayes_excess_regret is for two arms: actions must be 0 or 1")
  if not np.all((rewards == 0) | (rewards == 1)):
    raise ValueError("bayes_excess_regret needs the observed 0/1 rewards")
  terms = pull_excess(actions, rewards, horizon).numpy().astype(np.float64)
  return terms if per_pull else terms.sum(1)


def pull_excess(actions, rewards, horizon: int):
  """Each pull's max_a Q*(b_t, a) - Q*(b_t, a_t), `[B, T]` float32 from `[B, T]` arms
  (0 or 1) and 0/1 rewards, as TF ops (eager or compiled; inputs not validated). The
  lookup behind `bayes_excess_regret`, and the training signal of
  `train_reward="bayes_advantage"`."""
  arm = tf.cast(actions, tf.int64)
  won = tf.cast(rewards > 0.5, tf.int64)
  counts = [tf.cumsum(outcome, axis=1, exclusive=True) for outcome in (
      (1 - arm) * won, (1 - arm) * (1 - won), arm * won, arm * (1 - won))]
  table = tf.constant(_two_arm_program(horizon)[2])  # Q*_0 - Q*_1
  advantage = tf.gather(table, count_state_index(*counts))
  return tf.nn.relu(tf.where(arm == 0, -advantage, advantage))


class BayesOptimal(_TwoArmed):
  """Two arms: the Bayes-optimal arm for the uniform prior and `horizon` pulls
  (`bayes_optimal_two_arms`), ties broken at random. Its expected regret under the
  prior, `expected_regret`, is the least any policy can have."""

  def __init__(self, horizon: int = 100):
    self.horizon = int(horizon)
    self._decision = tf.constant(bayes_optimal_two_arms(self.horizon)[1])

  @staticmethod
  def expected_total_reward(horizon: int) -> float:
    """The expected total reward of optimal play over `horizon` pulls."""
    return bayes_optimal_two_arms(horizon)[0]

  @staticmethod
  def expected_regret(horizon: int) -> float:
    """Its expected regret: E[max(p0, p1)] = 2/3 per pull for independent uniform
    arms, less the expected reward."""
    return horizon * 2.0 / 3.0 - bayes_optimal_two_arms(horizon)[0]

  def choose(self, successes, failures, inputs, seed):
    s0, f0, s1, f1 = (tf.cast(c, tf.int64) for c in (
        successes[:, 0], failures[:, 0], successes[:, 1], failures[:, 1]))
    # Counts past the horizon (a longer trial than the table's) get a coin toss.
    inside = s0 + f0 + s1 + f1 < self.horizon
    index = tf.where(inside, count_state_index(s0, f0, s1, f1), 0)
    d = tf.where(inside, tf.gather(self._decision, index), tf.zeros([], tf.int8))
    coin = tf.cast(tf.random.stateless_uniform(tf.shape(d), seed) < 0.5, tf.int32)
    return tf.where(d > 0, 0, tf.where(d < 0, 1, coin))


class DependentBayesOptimal(_TwoArmed):
  """Two arms with p2 = 1 - p1: the Bayes-optimal policy for any prior on p1 that is
  symmetric about 1/2 (Wang et al.'s uniform, easy, medium and hard priors).

  A success on arm 1 is a failure on arm 2 and vice versa, so the likelihood of p1
  is p1^a (1 - p1)^b with a = s1 + f2, b = f1 + s2, whichever arm was pulled: both
  arms carry the same information, exploring is worthless, and the optimum is
  myopic, the arm with the higher posterior mean: arm 1 iff a > b for a symmetric
  prior (ties at random).
  """

  def choose(self, successes, failures, inputs, seed):
    a = successes[:, 0] + failures[:, 1]
    b = failures[:, 0] + successes[:, 1]
    return _argmax_random_ties(tf.stack([a, b], -1), seed)

  @staticmethod
  def expected_regret(horizon: int) -> float:
    """Its expected regret under the uniform prior p1 ~ U[0, 1] over `horizon` pulls.

    After n pulls, a is uniform on 0..n whatever the arms (Beta-binomial(n, 1, 1)),
    the chosen arm's posterior mean is (max(a, n - a) + 1) / (n + 2), and
    E[max(p1, 1 - p1)] = 3/4 per pull.
    """
    total = 0.0
    for n in range(int(horizon)):
      a = np.arange(n + 1)
      total += float(np.mean((np.maximum(a, n - a) + 1.0) / (n + 2.0)))
    return 0.75 * horizon - total


class InformativeArmOracle(_Policy):
  """Wang et al. §3.1.3's optimal behaviour: pull arm 11 first, decode the target
  from its payoff, pull the target for the rest of the episode."""

  def initial_state(self, env, task):
    return tf.zeros_like(task["policy_u"][:, 0], tf.int32)

  def step(self, state, inputs, seed):
    del seed
    decoded = tf.cast(tf.round(inputs.prev_reward * 10.0), tf.int32) - 1
    state = tf.where(tf.equal(inputs.t, 1), tf.clip_by_value(decoded, 0, 9), state)
    action = tf.where(tf.equal(inputs.t, 0), tf.fill(tf.shape(state), 10), state)
    return action, state, {}


# -- Tabular MDPs ------------------------------------------------------------------


def value_iteration(mu, transitions, horizon: int):
  """Finite-horizon optimal Q-values `[B, H, S, A]` of MDPs (mu `[B, S, A]`, P `[B, S,
  A, S]`): Q_h = mu + P V_{h+1}, V_h = max_a Q_h, V_H = 0."""
  value = tf.zeros(tf.shape(mu)[:2])
  qs = []
  for _ in range(horizon):
    q = mu + tf.einsum("bsan,bn->bsa", transitions, value)
    qs.append(q)
    value = tf.reduce_max(q, axis=-1)
  return tf.stack(qs[::-1], axis=1)


class _ModelBased(_Policy):
  """Transition counts, reward sums and visit counts of a TabularMDP; a Q-table
  recomputed at the start of each episode (`plan`), acted on greedily."""

  def initial_state(self, env, task):
    self._env = env
    batch = tf.shape(task["policy_u"])[0]
    s, a = env.num_states, env.num_actions
    return {"counts": tf.zeros([batch, s, a, s]), "reward_sum": tf.zeros([batch, s, a]),
            "visits": tf.zeros([batch, s, a]),
            "q": tf.zeros([batch, env.horizon, s, a]),
            "last_state": tf.zeros([batch], tf.int32), "task": task}

  def step(self, state, inputs, seed):
    env = self._env
    s_count, a_count = env.num_states, env.num_actions
    obs_state = tf.argmax(inputs.obs, axis=-1, output_type=tf.int32)
    started = tf.cast(inputs.t > 0, tf.float32)
    sa = (tf.one_hot(state["last_state"], s_count)[:, :, None]
          * tf.one_hot(inputs.prev_action, a_count)[:, None, :]) * started
    # The step that ended an episode is followed by the reset state, not s'.
    observed = sa * (1.0 - inputs.prev_done)[:, None, None]
    state = dict(state)
    state["counts"] += observed[..., None] * tf.one_hot(obs_state, s_count)[:, None,
                                                                           None, :]
    state["reward_sum"] += sa * inputs.prev_reward[:, None, None]
    state["visits"] += sa
    h = tf.math.floormod(inputs.t, env.horizon)
    state["q"] = tf.cond(tf.equal(h, 0), lambda: self.plan(state, seed),
                         lambda: state["q"])
    q = tf.gather_nd(state["q"], tf.stack([tf.fill(tf.shape(obs_state), h), obs_state],
                                          1), batch_dims=1)
    action = self.act(q, inputs, seed)
    state["last_state"] = obs_state
    return action, state, {}

  def act(self, q, inputs, seed):
    return _argmax_random_ties(q, seed)

  def posterior_mean(self, state):
    """The posterior-mean MDP: Dirichlet(1) and N(1, 1) priors, unit reward noise."""
    counts = state["counts"]
    transitions = (counts + 1.0) / tf.reduce_sum(counts + 1.0, axis=-1, keepdims=True)
    mu = (1.0 + state["reward_sum"]) / (1.0 + state["visits"])
    return mu, transitions


class PSRL(_ModelBased):
  """Posterior sampling for RL (Osband, Russo & Van Roy 2013): at each episode's start
  draw an MDP from the posterior (Dirichlet(1 + counts) transitions, N(posterior mean,
  1 / (1 + visits)) mean rewards) and act optimally in it for the episode."""

  def plan(self, state, seed):
    counts = state["counts"]
    draws = tf.random.stateless_gamma(tf.shape(counts), seed, alpha=counts + 1.0)
    transitions = draws / tf.reduce_sum(draws, axis=-1, keepdims=True)
    mu_mean, _ = self.posterior_mean(state)
    noise = tf.random.stateless_normal(tf.shape(mu_mean),
                                       tf.random.experimental.stateless_fold_in(seed, 7))
    mu = mu_mean + noise / tf.sqrt(1.0 + state["visits"])
    return value_iteration(mu, transitions, self._env.horizon)


class ModelBasedEpsilonGreedy(_ModelBased):
  """Optimal in the posterior-mean MDP, with probability `epsilon` a random action
  (epsilon = 0: certainty-equivalent greedy)."""

  def __init__(self, epsilon: float = 0.1):
    if not 0.0 <= epsilon <= 1.0:
      raise ValueError(f"epsilon must be in [0, 1]; received: {epsilon}")
    self.epsilon = float(epsilon)

  def plan(self, state, seed):
    mu, transitions = self.posterior_mean(state)
    return value_iteration(mu, transitions, self._env.horizon)

  def act(self, q, inputs, seed):
    greedy = _argmax_random_ties(q, seed)
    k = tf.shape(q)[1]
    random_action = tf.minimum(
        tf.cast(inputs.u / max(self.epsilon, 1e-12) * tf.cast(k, tf.float32), tf.int32),
        k - 1)
    return tf.where(inputs.u < self.epsilon, random_action, greedy)


class ValueIterationOracle(_ModelBased):
  """Acts optimally in the true MDP (knows mu and P): the upper reference."""

  def plan(self, state, seed):
    task = state["task"]
    return value_iteration(task["mu"], task["P"], self._env.horizon)


def tune(env, make_policy, grid, task, log=None, seed: int = 0) -> tuple:
  """The grid value whose policy has the highest mean total reward on `task`.

  Returns:
    (best value, {value: mean total reward}).
  """
  scores = {}
  for value in grid:
    scores[value] = float(rollout_lib.evaluate_policy(
        env, make_policy(value), task, seed=seed, keep=())["total_reward"].mean())
    if log:
      log(f"    {make_policy(value)!r}: {scores[value]:.3f}")
  best = max(scores, key=scores.get)
  return best, scores
