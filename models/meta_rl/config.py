"""Config of a meta-RL agent, its task distribution, training and evaluation."""

import dataclasses
from typing import Optional

from models.meta_rl import envs

__all__ = ["MetaRLConfig"]

ALGORITHMS = ("ppo", "a2c")
TRAIN_REWARDS = ("sampled", "expected", "bayes_advantage", "task_advantage")
CRITICS = ("recurrent", "counts")


@dataclasses.dataclass(frozen=True)
class MetaRLConfig:
  """One registered variant: environment, agent, learner and claims.

  Environment: `env` (a kind of `envs.ENVS`) and its fields; the task distribution of
  training, validation and test is the same, with disjoint seeds.
  Agent: `cell` "gru" (RL^2) or "lstm" (Wang et al.), `units`, `embed_units`,
  `time_input`, `reward_input_scale` (factor on the reward input only).
  Learner: `algorithm` "ppo" (RL^2; the paper used TRPO) or "a2c" (Wang et al.), over
  whole trials of `batch_size` tasks per step with GAE(gamma, gae_lambda);
  `ppo_epochs` passes over each batch (1 = plain A2C's single update);
  `train_reward` "expected" trains on E[r | action, task] instead of the sampled r;
  "bayes_advantage" (independent two-armed bandits only) on minus each pull's
  expected loss against the Bayes-optimal policy, Q*(b_t, a_t) - max_a Q*(b_t, a):
  privileged information, with the same expected objective up to a constant;
  "task_advantage" (MDPs) on Q*(s_t, a_t) - V*(s_t) of the task's own finite-horizon
  optimum (value iteration on the true MDP) plus the prior's mean reward 1: also
  privileged, also the same objective in expectation up to a constant.
  `critic` "recurrent" (the papers') takes V from the recurrent net's value head;
  "counts" (Bernoulli bandits) from a separate MLP on each arm's success and failure
  counts so far and t / T, the sufficient statistics of the agent's own history
  (nothing about the task), trained alongside the policy and not part of the exported
  agent; the net's own value head is still trained, as an auxiliary loss. During the
  first `critic_warmup_steps` only the value losses train (the policy's loss is off).
  Claims: thresholds checked by `evaluate` (None = reported only).
  """
  # Environment.
  env_kind: str = "bandit"
  num_arms: int = 5
  num_pulls: int = 100
  prior: str = "independent"
  bandit_episode_length: int = 1  # 1: each pull is an episode (RL^2)
  num_episodes: int = 10  # MDP and two-step episodes per trial
  common_prob: float = 0.75  # two-step
  # Agent.
  cell: str = "gru"
  units: int = 128
  embed_units: int = 0
  time_input: bool = True
  reward_input_scale: float = 1.0
  # Learner.
  algorithm: str = "ppo"
  batch_size: int = 256
  train_steps: int = 1000
  learning_rate: float = 3e-3
  lr_schedule: str = "constant"  # or "cosine" (to learning_rate / 10)
  gamma: float = 0.9
  gae_lambda: float = 1.0
  ppo_epochs: int = 3
  ppo_clip: float = 0.2
  value_coef: float = 0.5
  entropy_coef: float = 0.01
  entropy_final: float = 0.0  # linear decay of entropy_coef to this over training
  reward_scale: float = 1.0
  # "sampled": returns from the rewards the agent saw; "expected": from the expected
  # reward of each action under the task (E[r | a, task]; the agent's inputs stay the
  # sampled rewards). Same expected policy gradient, less variance; not in the papers.
  train_reward: str = "sampled"
  grad_clip: float = 1.0  # global norm of the summed gradient (0: none)
  critic: str = "recurrent"
  critic_units: int = 64
  critic_warmup_steps: int = 0
  validate_every: int = 100
  num_validation_tasks: int = 500
  checkpoint_every: int = 100
  log_every: int = 10
  # Evaluation.
  num_test_tasks: int = 1000
  eval_greedy: bool = False
  claim_min_vs_thompson: Optional[float] = None  # mean(agent) - mean(TS) >= this
  claim_max_below_gittins: Optional[float] = None  # mean(Gittins) - mean(agent) <= this
  claim_paper_value: Optional[float] = None  # |mean(agent) - paper| <= tolerance
  claim_paper_tolerance: float = 0.2
  claim_min_probability: Optional[float] = None  # informative arm behaviour
  claim_regret_vs_baselines: bool = False  # regret below Thompson's and UCB1's
  # Expected regret (Bayes optimum + `bayes_excess_regret` on the test tasks) below
  # Thompson's and UCB1's, the paired 95% interval below 0; two independent arms.
  claim_expected_regret: bool = False

  def __post_init__(self):
    if self.algorithm not in ALGORITHMS:
      raise ValueError(f"algorithm must be one of {ALGORITHMS}; received: "
                       f"{self.algorithm!r}")
    if self.algorithm == "a2c" and self.ppo_epochs != 1:
      raise ValueError("algorithm='a2c' makes one update per batch: set ppo_epochs=1 "
                       f"(or algorithm='ppo'); received ppo_epochs={self.ppo_epochs}")
    if self.cell not in ("gru", "lstm"):
      raise ValueError(f"cell must be 'gru' or 'lstm'; received: {self.cell!r}")
    if self.lr_schedule not in ("constant", "cosine"):
      raise ValueError(f"lr_schedule must be 'constant' or 'cosine'; received: "
                       f"{self.lr_schedule!r}")
    if self.train_reward not in TRAIN_REWARDS:
      raise ValueError(f"train_reward must be one of {TRAIN_REWARDS}; received: "
                       f"{self.train_reward!r}")
    if self.critic not in CRITICS:
      raise ValueError(f"critic must be one of {CRITICS}; received: {self.critic!r}")
    if self.critic == "counts" and self.env_kind != "bandit":
      raise ValueError("critic='counts' reads the arms' success / failure counts, so "
                       "it is for env_kind='bandit' (Bernoulli rewards); received "
                       f"env_kind={self.env_kind!r}")
    if self.critic == "recurrent" and (self.critic_units != _CRITIC_UNITS
                                       or self.critic_warmup_steps):
      raise ValueError("critic_units and critic_warmup_steps belong to critic='counts'"
                       f"; received critic={self.critic!r}")
    if self.train_reward == "task_advantage" and self.env_kind != "mdp":
      raise ValueError("train_reward='task_advantage' is for env_kind='mdp' (on "
                       "bandits it is train_reward='expected' less a constant); "
                       f"received env_kind={self.env_kind!r}")
    if (self.train_reward == "bayes_advantage" or self.claim_expected_regret) and not (
        self.env_kind == "bandit" and self.prior == "independent"
        and self.num_arms == 2):
      raise ValueError("train_reward='bayes_advantage' and claim_expected_regret "
                       "need the Bayes-optimal program, which exists for "
                       "independent two-armed bandits only (env_kind='bandit', "
                       "prior='independent', num_arms=2)")
    for name in ("units", "batch_size", "train_steps", "ppo_epochs", "validate_every",
                 "num_validation_tasks", "checkpoint_every", "log_every",
                 "num_test_tasks", "critic_units"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive; received: {getattr(self, name)}")
    if self.num_test_tasks > envs.TEST_BLOCK:
      # Found at evaluation, i.e. after training, were it not checked here.
      raise ValueError(f"num_test_tasks must be at most one test block "
                       f"({envs.TEST_BLOCK}); received: {self.num_test_tasks}")
    for name in ("gamma", "gae_lambda"):
      if not 0.0 <= getattr(self, name) <= 1.0:
        raise ValueError(f"{name} must be in [0, 1]; received: {getattr(self, name)}")
    for name in ("learning_rate", "reward_scale", "reward_input_scale"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be positive; received: {getattr(self, name)}")
    for name in ("critic_warmup_steps", "embed_units", "ppo_clip", "value_coef", "entropy_coef",
                 "entropy_final", "grad_clip"):
      if getattr(self, name) < 0:
        raise ValueError(f"{name} must be >= 0; received: {getattr(self, name)}")
    env = self.env()  # Checks the environment's fields.
    # An environment field the chosen environment does not read is a mistake (e.g.
    # num_arms=3 for the 11-armed informative-arm bandit), not something to ignore;
    # the default, or the environment's own value (num_arms=11 there), is fine.
    unused = {name for name in _ENV_FIELDS if name not in _ENV_FIELDS_USED[self.env_kind]
              and getattr(self, name) not in (_DEFAULTS[name],
                                              getattr(env, name, _DEFAULTS[name]))}
    if unused:
      raise ValueError(
          f"env_kind={self.env_kind!r} does not use {', '.join(sorted(unused))}; it "
          f"reads {', '.join(_ENV_FIELDS_USED[self.env_kind]) or 'none of them'}")

  def env(self) -> envs.MetaEnv:
    """The task distribution of this variant."""
    kind = self.env_kind
    if kind == "bandit":
      return envs.BernoulliBandit(num_arms=self.num_arms, num_pulls=self.num_pulls,
                                  prior=self.prior,
                                  episode_length=self.bandit_episode_length)
    if kind == "informative_arm":
      return envs.InformativeArmBandit(num_pulls=self.num_pulls)
    if kind == "restless_bandit":
      return envs.RestlessBandit(num_arms=self.num_arms, num_pulls=self.num_pulls)
    if kind == "mdp":
      return envs.TabularMDP(num_episodes=self.num_episodes)
    if kind == "two_step":
      return envs.TwoStepTask(num_episodes=self.num_episodes,
                              common_prob=self.common_prob)
    raise ValueError(f"env_kind must be one of {sorted(envs.ENVS)}; received: {kind!r}")


# The environment fields each environment reads (`MetaRLConfig.env`).
_ENV_FIELDS_USED = {
    "bandit": ("num_arms", "num_pulls", "prior", "bandit_episode_length"),
    "informative_arm": ("num_pulls",),
    "restless_bandit": ("num_arms", "num_pulls"),
    "mdp": ("num_episodes",),
    "two_step": ("num_episodes", "common_prob"),
}
_ENV_FIELDS = sorted(set().union(*_ENV_FIELDS_USED.values()))
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(MetaRLConfig)}
_CRITIC_UNITS = _DEFAULTS["critic_units"]
