"""SNAIL as a meta-RL agent on Bernoulli bandits (Mishra et al. 2017, §5.2).

The agent reads, at each pull t, the one-hot previous action and the previous reward
(`models.meta_rl.model.input_features`, without a time input) through a linear layer
of 32 units, and two causal stacks: the policy TC(T, 32), TC(T, 32), Attn(32, 32) ->
logits, and the value TC(T, 16), TC(T, 16), Attn(16, 16) -> V (§5.2, "Architecture
for bandits and MDPs"), with T the trial length.

It has the interface of `models.meta_rl.model.RecurrentActorCritic`, so the meta-RL
package's compiled rollouts, PPO learner and tuned baselines run it unchanged:
`step` acts one pull at a time from a cache of past activations (constant cost per
pull for the convolutions), `unroll` recomputes a whole trial in one causal pass (what
the learner differentiates); both give the same outputs.
"""

import dataclasses

import keras
import tensorflow as tf

from models.meta_rl import config as meta_config
from models.meta_rl import model as meta_model
from models.snail import config as config_lib
from models.snail import layers
from models.snail import model as model_lib

__all__ = ["SnailActorCritic", "SnailBanditConfig", "build_from_config"]


@dataclasses.dataclass(frozen=True)
class SnailBanditConfig(meta_config.MetaRLConfig):
  """A `MetaRLConfig` (environment, PPO learner, claims) with SNAIL's architecture.

  `input_units`: the linear input layer; `policy_blocks` / `value_blocks`: the two
  stacks (`config.parse_block` syntax). The recurrent fields (`cell`, `units`,
  `embed_units`, `time_input`) are not used by this agent; `reward_input_scale` must
  stay 1, and the environment independent Bernoulli bandits.
  """
  input_units: int = 32
  policy_blocks: tuple[str, ...] = ("t32", "t32", "a32x32")
  value_blocks: tuple[str, ...] = ("t16", "t16", "a16x16")
  tie_key_query_init: bool = False

  def __post_init__(self):
    super().__post_init__()
    if self.input_units <= 0:
      raise ValueError(f"input_units must be positive; received: {self.input_units}")
    if self.env_kind != "bandit" or self.prior != "independent":
      raise ValueError("SNAIL's bandit agent is trained and evaluated on independent "
                       "Bernoulli bandits (Mishra et al. Table 3): env_kind='bandit', "
                       f"prior='independent'; received env_kind={self.env_kind!r}, "
                       f"prior={self.prior!r}")
    if self.reward_input_scale != 1.0:
      raise ValueError("reward_input_scale is not used by the SNAIL agent (its input "
                       "layer sees the raw reward); received: "
                       f"{self.reward_input_scale}")
    for name in ("policy_blocks", "value_blocks"):
      if not getattr(self, name):
        raise ValueError(f"{name} must name at least one block; received: ()")
      for b in getattr(self, name):
        config_lib.parse_block(b)


class SnailActorCritic(keras.Model):
  """Linear(input_units) -> policy stack -> logits; -> value stack -> V (§5.2).

      net = SnailActorCritic(num_actions=5, obs_dim=0, trial_length=100)
      state = net.initial_state(batch)
      logits, value, state = net.step(x, state)        # one pull, cached
      logits, values = net.unroll(x_seq)               # a whole trial, in parallel
  """

  def __init__(self, num_actions: int, obs_dim: int, trial_length: int,
               input_units: int = 32, policy_blocks=("t32", "t32", "a32x32"),
               value_blocks=("t16", "t16", "a16x16"), tie_key_query_init: bool = False,
               name: str = "snail_actor_critic", **kwargs):
    super().__init__(name=name, **kwargs)
    for arg, value in (("num_actions", num_actions), ("trial_length", trial_length),
                       ("input_units", input_units)):
      if value < 1:
        raise ValueError(f"{arg} must be positive; received: {arg}={value}")
    self.num_actions = int(num_actions)
    self.obs_dim = int(obs_dim)
    self.trial_length = int(trial_length)
    self.time_input = False
    self.input_dim = self.obs_dim + self.num_actions + 2
    seq_len = max(2, self.trial_length)
    self.embed = layers.CausalConv1x1(input_units, name="input")
    self.policy_stack = model_lib.SnailStack(
        [config_lib.parse_block(b) for b in policy_blocks], seq_len,
        tie_key_query_init=tie_key_query_init, name="policy")
    self.value_stack = model_lib.SnailStack(
        [config_lib.parse_block(b) for b in value_blocks], seq_len,
        tie_key_query_init=tie_key_query_init, name="value")
    self.policy_head = layers.CausalConv1x1(self.num_actions, name="policy_head")
    self.value_head = layers.CausalConv1x1(1, name="value_head")
    shape = (None, None, self.input_dim)
    self.embed.build(shape)
    shape = (None, None, input_units)
    self.policy_stack.build(shape)
    self.value_stack.build(shape)
    self.policy_head.build(self.policy_stack.compute_output_shape(shape))
    self.value_head.build(self.value_stack.compute_output_shape(shape))
    # Small initial logits: the first policy is close to uniform.
    self.policy_head.w.assign(self.policy_head.w * 0.01)
    self.built = True

  def initial_state(self, batch):
    """Empty caches for a trial of `trial_length` steps."""
    return (self.policy_stack.initial_state(batch, self.trial_length),
            self.value_stack.initial_state(batch, self.trial_length))

  def step(self, x, state):
    """(logits `[B, A]`, value `[B]`, state) for one step's inputs `[B, input_dim]`."""
    h = self.embed(x)
    p, policy_state = self.policy_stack.step(h, state[0])
    v, value_state = self.value_stack.step(h, state[1])
    return (self.policy_head(p), tf.squeeze(self.value_head(v), -1),
            (policy_state, value_state))

  def unroll(self, x_seq, state=None):
    """(logits `[B, T, A]`, values `[B, T]`) of whole trials `[B, T, input_dim]` in
    one causal pass (`state` must be None: trials start empty)."""
    if state is not None:
      raise ValueError("SnailActorCritic.unroll starts every trial from an empty "
                       "cache; received a state")
    h = self.embed(x_seq)
    logits = self.policy_head(self.policy_stack(h))
    values = tf.squeeze(self.value_head(self.value_stack(h)), -1)
    return logits, values

  def call(self, x_seq):
    return self.unroll(x_seq)

  def features(self, obs, prev_action, prev_reward, prev_done, t):
    return meta_model.input_features(obs, prev_action, prev_reward, prev_done, t,
                                     self.num_actions, self.trial_length, False)

  def trial_features(self, record):
    """Inputs `[B, T, input_dim]` rebuilt from a rollout record (shifted by one)."""
    return meta_model.RecurrentActorCritic.trial_features(self, record)


def build_from_config(config: SnailBanditConfig) -> SnailActorCritic:
  env = config.env()
  return SnailActorCritic(
      num_actions=env.num_actions, obs_dim=env.obs_dim, trial_length=env.trial_length,
      input_units=config.input_units, policy_blocks=config.policy_blocks,
      value_blocks=config.value_blocks, tie_key_query_init=config.tie_key_query_init)
