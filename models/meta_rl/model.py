"""The recurrent actor-critic of RL^2 (GRU) and of Wang et al. (LSTM).

Duan et al. (2016), §2.3 and Fig. 1: at step t the agent reads the observation s_t,
the previous action a_{t-1}, reward r_{t-1} and termination flag d_{t-1}, embeds them,
updates a GRU whose hidden state h is kept across all episodes of a trial (reset only
when a new task is drawn), and outputs pi(a_t | h_t) and a baseline V(h_t).

Wang et al. (2016), §2 and Fig. 1: an LSTM reads the previous reward, the one-hot
previous action and the time step (bandits), and outputs the policy and the value.

Both are `RecurrentActorCritic(cell="gru" | "lstm")`. The math is in plain functions
(`gru_step`, `models.l2l_lstm.model.lstm_step`); the layers only hold weights. The
network is used two ways:

  * step by step inside the compiled rollout, through `AgentPolicy` (the policy
    interface of `rollout.py`);
  * over whole recorded trials at once (`unroll`), which is how PPO / A2C recompute
    log-probabilities and values with gradients.
"""

import keras
import tensorflow as tf

from models.l2l_lstm import model as l2l_model
from models.meta_rl import rollout as rollout_lib

__all__ = [
    "AgentPolicy",
    "CountCritic",
    "RecurrentActorCritic",
    "build_critic",
    "build_from_config",
    "count_features",
    "gru_step",
    "input_features",
]


def gru_step(x, h, kernel, recurrent_kernel, bias):
  """One GRU step (Cho et al. 2014), gates (z, r, n), reset applied after the matmul
  (as cuDNN and Keras' default `reset_after=True`):

      z = sigmoid(x W_z + h U_z + b_z),  r = sigmoid(x W_r + h U_r + b_r),
      n = tanh(x W_n + b_n + r * (h U_n + b'_n)),  h' = z * h + (1 - z) * n.

  `bias` is `[2, 3 units]`: input and recurrent biases.
  """
  xz, xr, xn = tf.split(tf.matmul(x, kernel) + bias[0], 3, axis=-1)
  hz, hr, hn = tf.split(tf.matmul(h, recurrent_kernel) + bias[1], 3, axis=-1)
  z = tf.sigmoid(xz + hz)
  r = tf.sigmoid(xr + hr)
  n = tf.tanh(xn + r * hn)
  return z * h + (1.0 - z) * n


def input_features(obs, prev_action, prev_reward, prev_done, t, num_actions: int,
                   trial_length: int, time_input: bool, reward_input_scale: float = 1.0):
  """The agent's input x_t = [s_t, onehot(a_{t-1}), c r_{t-1}, d_{t-1}(, t / T)].

  At t = 0 there is no previous action: its one-hot is all zeros. Works on `[B, ...]`
  (one step, scalar t) and `[B, T, ...]` (whole trials, t `[T]`).
  `reward_input_scale` c multiplies the reward input only, not the learner's rewards.
  """
  started = tf.cast(t > 0, tf.float32)
  action = tf.one_hot(prev_action, num_actions) * started[..., None]
  parts = [obs, action, reward_input_scale * prev_reward[..., None],
           prev_done[..., None]]
  if time_input:
    parts.append(tf.zeros_like(prev_reward)[..., None]
                 + tf.cast(t, tf.float32)[..., None] / float(trial_length))
  return tf.concat(parts, axis=-1)


@keras.saving.register_keras_serializable(package="metazoo")
class RecurrentActorCritic(keras.Model):
  """Embedding -> GRU or LSTM -> (policy logits, value).

      net = RecurrentActorCritic(num_actions=5, obs_dim=0, trial_length=100)
      state = net.initial_state(batch)
      logits, value, state = net.step(x, state)       # x from `input_features`
      logits, values = net.unroll(x_seq)              # [B, T, A], [B, T]

  Args:
    num_actions: |A|.
    obs_dim: size of the observation (one-hot state; 0 for bandits).
    trial_length: T, for the optional time input t / T.
    cell: "gru" (RL^2) or "lstm" (Wang et al.).
    units: recurrent units (RL^2: 256; Wang et al.'s replication: 48).
    embed_units: a ReLU embedding layer before the cell (0: none).
    time_input: append t / T to the input (Wang et al.'s bandit input).
    reward_input_scale: factor on the previous reward in the input (1: the papers'
      input); a larger one lets the first layer tell close reward values apart.
  """

  def __init__(self, num_actions: int, obs_dim: int, trial_length: int,
               cell: str = "gru", units: int = 128, embed_units: int = 0,
               time_input: bool = True, reward_input_scale: float = 1.0,
               name: str = "recurrent_actor_critic",
               **kwargs):
    super().__init__(name=name, **kwargs)
    if cell not in ("gru", "lstm"):
      raise ValueError(f"cell must be 'gru' or 'lstm'; received: {cell!r}")
    for arg, value in (("num_actions", num_actions), ("units", units),
                       ("trial_length", trial_length)):
      if value < 1:
        raise ValueError(f"{arg} must be positive; received: {arg}={value}")
    self.num_actions = int(num_actions)
    self.obs_dim = int(obs_dim)
    self.trial_length = int(trial_length)
    self.cell = cell
    self.units = int(units)
    self.embed_units = int(embed_units)
    self.time_input = bool(time_input)
    if not reward_input_scale > 0:
      raise ValueError(f"reward_input_scale must be positive; received: "
                       f"{reward_input_scale}")
    self.reward_input_scale = float(reward_input_scale)
    self.input_dim = self.obs_dim + self.num_actions + 2 + int(self.time_input)
    self.embed = (keras.layers.Dense(self.embed_units, activation="relu", name="embed")
                  if self.embed_units else None)
    self.policy_head = keras.layers.Dense(self.num_actions, name="policy",
                                          kernel_initializer=keras.initializers.
                                          VarianceScaling(0.01))
    self.value_head = keras.layers.Dense(1, name="value")
    self._build_weights()

  def _build_weights(self):
    width = self.input_dim
    if self.embed is not None:
      self.embed.build((None, width))
      width = self.embed_units
    u = self.units
    if self.cell == "gru":
      self.kernel = self.add_weight(name="gru_kernel", shape=(width, 3 * u),
                                    initializer="glorot_uniform")
      self.recurrent_kernel = self.add_weight(name="gru_recurrent_kernel",
                                              shape=(u, 3 * u), initializer="orthogonal")
      self.bias = self.add_weight(name="gru_bias", shape=(2, 3 * u), initializer="zeros")
    else:
      self.kernel = self.add_weight(name="lstm_kernel", shape=(width + u, 4 * u),
                                    initializer="glorot_uniform")
      # Forget-gate bias 1 (Jozefowicz et al. 2015), as Keras' LSTM.
      self.bias = self.add_weight(
          name="lstm_bias", shape=(4 * u,),
          initializer=lambda shape, dtype=None: tf.concat(
              [tf.zeros([u]), tf.ones([u]), tf.zeros([2 * u])], 0))
    self.policy_head.build((None, u))
    self.value_head.build((None, u))
    self.built = True

  def initial_state(self, batch):
    """The zero state at the start of a trial: `h` (GRU) or `(h, c)` (LSTM)."""
    zeros = tf.zeros([batch, self.units])
    return zeros if self.cell == "gru" else (zeros, zeros)

  def step(self, x, state):
    """(logits `[B, A]`, value `[B]`, new state) for inputs `[B, input_dim]`."""
    if self.embed is not None:
      x = self.embed(x)
    if self.cell == "gru":
      h = gru_step(x, state, self.kernel, self.recurrent_kernel, self.bias)
      state = h
    else:
      h, c = l2l_model.lstm_step(x, state[0], state[1], self.kernel, self.bias)
      state = (h, c)
    return self.policy_head(h), tf.squeeze(self.value_head(h), -1), state

  def unroll(self, x_seq, state=None):
    """(logits `[B, T, A]`, values `[B, T]`) over whole trials `[B, T, input_dim]`,
    from the zero state (or `state`)."""
    batch = tf.shape(x_seq)[0]
    if state is None:
      state = self.initial_state(batch)
    time_major = tf.transpose(x_seq, [1, 0, 2])

    def scan_fn(carry, x):
      _, _, state = carry
      return self.step(x, state)

    init = (tf.zeros([batch, self.num_actions]), tf.zeros([batch]), state)
    logits, values, _ = tf.scan(scan_fn, time_major, initializer=init)
    return tf.transpose(logits, [1, 0, 2]), tf.transpose(values)

  def call(self, x_seq):
    return self.unroll(x_seq)

  def features(self, obs, prev_action, prev_reward, prev_done, t):
    return input_features(obs, prev_action, prev_reward, prev_done, t,
                          self.num_actions, self.trial_length, self.time_input,
                          self.reward_input_scale)

  def trial_features(self, record):
    """Inputs `[B, T, input_dim]` rebuilt from a rollout record (shifted by one)."""
    shift = lambda x: tf.concat([tf.zeros_like(x[:, :1]), x[:, :-1]], axis=1)
    t = tf.range(tf.shape(record["reward"])[1])
    return self.features(record["obs"], shift(record["action"]),
                         shift(record["reward"]), shift(record["done"]), t)

  def get_config(self):
    return dict(super().get_config(), num_actions=self.num_actions,
                obs_dim=self.obs_dim, trial_length=self.trial_length, cell=self.cell,
                units=self.units, embed_units=self.embed_units,
                time_input=self.time_input,
                reward_input_scale=self.reward_input_scale)


class AgentPolicy:
  """A `RecurrentActorCritic` as a rollout policy (see `rollout.py`).

  Samples a_t from pi(.|h_t) with the task's pre-drawn uniform (or takes the arg max
  if `greedy`), and records log pi(a_t|h_t) and V(h_t) for the learner. The hidden
  state is created at the trial's start and never reset inside it.
  """

  extras = ("logp", "value")

  def __init__(self, net: RecurrentActorCritic, greedy: bool = False):
    self.net = net
    self.greedy = bool(greedy)

  def initial_state(self, env, task):
    del env
    return self.net.initial_state(tf.shape(task["policy_u"])[0])

  def step(self, state, inputs, seed):
    del seed
    x = self.net.features(inputs.obs, inputs.prev_action, inputs.prev_reward,
                          inputs.prev_done, inputs.t)
    logits, value, state = self.net.step(x, state)
    if self.greedy:
      action = tf.argmax(logits, axis=-1, output_type=tf.int32)
    else:
      action = rollout_lib.sample_action(logits, inputs.u)
    logp = tf.gather(tf.nn.log_softmax(logits), action, batch_dims=1)
    return action, state, {"logp": logp, "value": value}

  def __repr__(self):
    return f"AgentPolicy({self.net.name}, greedy={self.greedy})"


def count_features(action, reward, num_arms: int, trial_length: int):
  """Each arm's successes and failures before step t, and t, all over T: `[B, T, 2A+1]`.

  From the actions `[B, T]` and the 0/1 rewards `[B, T]` of a Bernoulli-bandit trial,
  i.e. from the agent's own history; with independent arms these counts and t are the
  sufficient statistics of the Bayesian belief state.
  """
  chosen = tf.one_hot(tf.cast(action, tf.int32), num_arms)
  reward = tf.cast(reward, tf.float32)[..., None]
  counts = tf.cumsum(tf.concat([chosen * reward, chosen * (1.0 - reward)], -1),
                     axis=1, exclusive=True)
  steps = tf.shape(action)[1]
  t = tf.zeros_like(counts[..., :1]) + tf.cast(tf.range(steps), tf.float32)[:, None]
  return tf.concat([counts, t], -1) / float(trial_length)


@keras.saving.register_keras_serializable(package="metazoo")
class CountCritic(keras.Model):
  """V(counts, t): an MLP on `count_features`, `[B, T, 2A+1] -> [B, T]`.

  A critic for Bernoulli bandits that is given what the agent's history tells about
  the task (the counts) as a vector, instead of having to count through a recurrent
  state. Used by the learner only; the agent acts without it.
  """

  def __init__(self, num_arms: int, trial_length: int, units: int = 64,
               name: str = "count_critic", **kwargs):
    super().__init__(name=name, **kwargs)
    self.num_arms = int(num_arms)
    self.trial_length = int(trial_length)
    self.units = int(units)
    self.hidden = [keras.layers.Dense(self.units, activation="relu", name=f"hidden_{i}")
                   for i in range(2)]
    self.out = keras.layers.Dense(1, name="value")
    width = 2 * self.num_arms + 1
    for layer in self.hidden:
      layer.build((None, width))
      width = self.units
    self.out.build((None, width))
    self.built = True

  def call(self, features):
    x = features
    for layer in self.hidden:
      x = layer(x)
    return tf.squeeze(self.out(x), -1)

  def values(self, record):
    """V at every step of a rollout record `[B, T]`."""
    return self(count_features(record["action"], record["reward"], self.num_arms,
                               self.trial_length))

  def get_config(self):
    return dict(super().get_config(), num_arms=self.num_arms,
                trial_length=self.trial_length, units=self.units)


def build_critic(config):
  """The separate critic of `config.critic` ("counts"), or None ("recurrent")."""
  if config.critic == "recurrent":
    return None
  env = config.env()
  return CountCritic(num_arms=env.num_actions, trial_length=env.trial_length,
                     units=config.critic_units)


def build_from_config(config) -> RecurrentActorCritic:
  """The agent of a `MetaRLConfig`, sized for its environment."""
  env = config.env()
  return RecurrentActorCritic(
      num_actions=env.num_actions, obs_dim=env.obs_dim, trial_length=env.trial_length,
      cell=config.cell, units=config.units, embed_units=config.embed_units,
      time_input=config.time_input, reward_input_scale=config.reward_input_scale)
