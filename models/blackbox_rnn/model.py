"""The RNN optimizer: maps (h_{t-1}, x_{t-1}, y_{t-1}) to (h_t, x_t).

Chen et al. (2016), §2, eq. (1):

    h_t, x_t = RNN_theta(h_{t-1}, x_{t-1}, y_{t-1}),    y_t ~ p(y | f(x_t)).

The network never sees a gradient of f: only the points it queried and the values
it observed. Here the point lives in the unit box [0, 1]^d (a user's box is mapped
onto it), the output goes through a linear head and a sigmoid, so every proposal is
inside the box, and observations enter as features that do not change when f is
shifted or scaled (`observation_features`), so one network serves functions of any
range.

Two controllers, as in the paper: an LSTM, and an LSTM with an external memory read
by content, after the Differentiable Neural Computer that the paper finds better
(§3.1). The memory here is the list of past queries and their standardised values,
written in order; `memory_heads` attention heads read it (Graves et al. 2016's
content-based read weighting: a softmax over key similarities), and the read vector
joins the LSTM's output in the head and its input at the next step. It omits the
DNC's learned writes, usage and temporal links.

Layers: `LSTMCell` (weights; the math is `lstm_step`), `BlackboxRNN` (the model).
`rollout.py` runs it on batches of functions; `minimize.py` on a user's function.
"""

import math

import keras
import tensorflow as tf

__all__ = [
    "BlackboxRNN",
    "LSTMCell",
    "build_from_config",
    "initial_stats",
    "lstm_step",
    "attention_weights",
    "memory_read",
    "num_features",
    "observation_features",
    "update_stats",
]

# Standardised observations are clipped to this many running standard deviations.
FEATURE_CLIP = 5.0
# The pointer's proposals lie within this distance (per coordinate, on the unit box)
# of the point it attends to.
POINTER_RADIUS = 0.25


def lstm_step(x, h, c, kernel, bias):
  """One LSTM step, gates (i, f, g, o) from one fused matmul over [x; h]."""
  z = tf.matmul(tf.concat([x, h], axis=-1), kernel) + bias
  i, f, g, o = tf.split(z, 4, axis=-1)
  c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
  h = tf.sigmoid(o) * tf.tanh(c)
  return h, c


def initial_stats(batch_size, dtype=tf.float32) -> dict:
  """Running statistics of the values observed so far (none yet), per function."""
  zeros = tf.zeros([batch_size], dtype)
  return {"n": zeros, "mean": zeros, "m2": zeros,
          "best": tf.fill([batch_size], tf.constant(float("inf"), dtype))}


def update_stats(stats: dict, y) -> dict:
  """Welford's update of count, mean and sum of squared deviations, and the best."""
  n = stats["n"] + 1.0
  delta = y - stats["mean"]
  mean = stats["mean"] + delta / n
  return {"n": n, "mean": mean, "m2": stats["m2"] + delta * (y - mean),
          "best": tf.minimum(stats["best"], y)}


def _scaler(stats):
  """v -> clip(v / std, +-FEATURE_CLIP) with the observed values' standard deviation
  (0 while their spread is zero); broadcasts over trailing axes of v."""
  std = tf.sqrt(stats["m2"] / tf.maximum(stats["n"], 1.0))
  ok = std > 1e-12 * (1.0 + tf.abs(stats["mean"]))
  safe = tf.where(ok, std, tf.ones_like(std))

  def scale(value):
    extra = len(value.shape) - len(std.shape)
    shape = tf.concat([tf.shape(std), tf.ones([extra], tf.int32)], 0)
    z = value / tf.reshape(safe, shape)
    z = tf.where(tf.reshape(ok, shape), z, tf.zeros_like(z))
    return tf.clip_by_value(z, -FEATURE_CLIP, FEATURE_CLIP)

  return scale


def num_features(dim: int) -> int:
  return dim + 4


def observation_features(stats_before: dict, x, y, horizon: int):
  """The RNN's input for observation (x_{t-1}, y_{t-1}), and the updated statistics.

  The paper feeds (x_{t-1}, y_{t-1}) as they are; its GP samples have a known scale.
  To serve functions of any range we feed, with the running mean and standard
  deviation of the values observed so far (y_{t-1} included):
    - 2 x_{t-1} - 1 (the point, centred on the box),
    - (y_{t-1} - mean) / std (the value, standardised),
    - (y_{t-1} - best before it) / std (< 0 for an improvement; 0 for the first),
    - (best - mean) / std (the incumbent), and
    - (t - 1) / horizon (how much of the budget is spent).
  All are invariant to f -> a f + b with a > 0.

  Args:
    stats_before: statistics of the earlier values (`initial_stats`, `update_stats`).
    x: `[B, d]` in the unit box; y: `[B]`.

  Returns:
    (features `[B, d + 4]`, statistics including y).
  """
  stats = update_stats(stats_before, y)
  scale = _scaler(stats)
  first = tf.equal(stats_before["n"], 0.0)
  best_before = tf.where(first, y, stats_before["best"])  # No gap for the first.
  features = tf.concat([
      2.0 * x - 1.0,
      tf.stack([scale(y - stats["mean"]), scale(y - best_before),
                scale(stats["best"] - stats["mean"]), stats["n"] / float(horizon)],
               axis=-1)], axis=-1)
  return features, stats


def attention_weights(query, keys, mask):
  """Content-based weighting (Graves et al. 2016): softmax_i(q . k_i / sqrt(d_k))
  over the written slots, per head; zero everywhere while nothing is written.

  Args:
    query: `[B, H, K]`; keys: `[B, M, H, K]`; mask: `[B, M]` (1 for written slots).

  Returns:
    `[B, H, M]`.
  """
  logits = tf.einsum("bhk,bmhk->bhm", query, keys) / math.sqrt(query.shape[-1])
  logits += (1.0 - mask[:, None, :]) * -1e9
  return tf.nn.softmax(logits, axis=-1) * mask[:, None, :]


def memory_read(query, keys, values, mask):
  """The heads' reads sum_i w_i v_i, concatenated: `[B, H * V]` for values
  `[B, M, H, V]` (see `attention_weights` for the rest)."""
  read = tf.einsum("bhm,bmhv->bhv", attention_weights(query, keys, mask), values)
  return tf.reshape(read, [tf.shape(read)[0], -1])


@keras.saving.register_keras_serializable(package="metazoo")
class LSTMCell(keras.layers.Layer):
  """Holds one LSTM layer's weights; the math is `lstm_step`.

  Glorot-uniform kernel over [x; h], zero bias except the forget gate's, which starts
  at 1 (Jozefowicz et al. 2015).
  """

  def __init__(self, units: int, **kwargs):
    super().__init__(**kwargs)
    self.units = units

  def build(self, input_shape):
    u = self.units
    self.kernel = self.add_weight(name="kernel", shape=(int(input_shape[-1]) + u, 4 * u),
                                  initializer="glorot_uniform")
    self.bias = self.add_weight(
        name="bias", shape=(4 * u,),
        initializer=lambda shape, dtype=None: tf.concat(
            [tf.zeros([u]), tf.ones([u]), tf.zeros([2 * u])], 0))

  def call(self, x, h, c):
    return lstm_step(x, h, c, self.kernel, self.bias)

  def get_config(self):
    return dict(super().get_config(), units=self.units)


@keras.saving.register_keras_serializable(package="metazoo")
class BlackboxRNN(keras.Model):
  """The learned black-box optimizer of Chen et al. (2016), eq. (1).

      net = zoo.create("blackbox_rnn.gp2d")
      result = net.minimize(fn, bounds=[(-5, 10), (0, 15)], budget=20)

  or one query at a time on the unit box (what `rollout.py` does, batched):

      state = net.initial_state(batch, capacity=T)
      x, state = net.step(state)             # x_1
      x, state = net.step(state, x, y)       # x_2 from (x_1, y_1), ...

  Args:
    dim: the dimension d of the box it optimizes over.
    hidden_sizes: units of the stacked LSTM layers.
    horizon: the number of queries it was trained for (scales the progress input).
    memory_heads: read heads over the query history (0: a plain LSTM).
    memory_key_size: size of each head's keys and values.
  """

  def __init__(self, dim: int = 2, hidden_sizes=(64, 64), horizon: int = 20,
               memory_heads: int = 0, memory_key_size: int = 16,
               pointer: bool = False, name: str = "blackbox_rnn", **kwargs):
    super().__init__(name=name, **kwargs)
    if dim < 1:
      raise ValueError(f"dim must be >= 1; received: dim={dim}")
    if memory_heads < 0:
      raise ValueError(f"memory_heads must be >= 0; received: {memory_heads}")
    if pointer and not memory_heads:
      raise ValueError("pointer=True needs a memory (memory_heads > 0); received: "
                       f"memory_heads={memory_heads}")
    self.dim = int(dim)
    self.hidden_sizes = tuple(int(h) for h in hidden_sizes)
    self.horizon = int(horizon)
    self.memory_heads = int(memory_heads)
    self.memory_key_size = int(memory_key_size)
    self.pointer = bool(pointer)
    self.read_size = self.memory_heads * self.memory_key_size
    self.cells = [LSTMCell(u, name=f"lstm_{i}") for i, u in enumerate(self.hidden_sizes)]
    self.head = keras.layers.Dense(self.dim, name="head")
    in_dim = num_features(self.dim) + self.read_size
    for cell in self.cells:
      cell.build((None, in_dim))
      in_dim = cell.units
    if self.memory_heads:
      slot = self.dim + 2
      size = self.memory_heads * self.memory_key_size
      self.query = keras.layers.Dense(size, name="memory_query")
      self.key = keras.layers.Dense(size, name="memory_key")
      self.value = keras.layers.Dense(size, name="memory_value")
      self.query.build((None, in_dim))
      self.key.build((None, slot))
      self.value.build((None, slot))
    if self.pointer:
      k = self.memory_key_size
      self.pointer_query = keras.layers.Dense(k, name="pointer_query")
      self.pointer_key = keras.layers.Dense(k, name="pointer_key")
      # Outputs: the offset logits (d) and the gate's logit (1).
      self.pointer_head = keras.layers.Dense(self.dim + 1, name="pointer_head")
      self.pointer_query.build((None, in_dim + self.read_size))
      self.pointer_key.build((None, slot))
      self.pointer_head.build((None, in_dim + self.read_size))
    self.head.build((None, in_dim + self.read_size))
    self.built = True

  def initial_state(self, batch_size, capacity: int = 0) -> dict:
    """The state before the first query.

    Args:
      batch_size: functions optimized at once.
      capacity: queries the memory can hold (the budget; 0: the horizon).
    """
    capacity = capacity or self.horizon
    state = {
        "lstm": tuple((tf.zeros([batch_size, u]), tf.zeros([batch_size, u]))
                      for u in self.hidden_sizes),
        "stats": initial_stats(batch_size),
        "read": tf.zeros([batch_size, self.read_size]),
    }
    if self.memory_heads:
      state["memory_x"] = tf.zeros([batch_size, capacity, self.dim])
      state["memory_y"] = tf.zeros([batch_size, capacity])
      state["memory_mask"] = tf.zeros([batch_size, capacity])
    return state

  def _slots(self, state):
    """The memory's slots: each query and its value, standardised with the current
    statistics, `[B, M, d + 2]` (zero where unwritten)."""
    stats = state["stats"]
    scale = _scaler(stats)
    y = state["memory_y"]
    slots = tf.concat([
        2.0 * state["memory_x"] - 1.0,
        scale(y - stats["mean"][:, None])[..., None],
        scale(y - stats["best"][:, None])[..., None]], axis=-1)
    return slots * state["memory_mask"][..., None]

  def _read(self, h, slots, mask):
    """The memory heads' content-based read, keyed by the controller's h."""
    b, m = tf.shape(slots)[0], tf.shape(slots)[1]
    heads, k = self.memory_heads, self.memory_key_size
    query = tf.reshape(self.query(h), [b, heads, k])
    keys = tf.reshape(self.key(slots), [b, m, heads, k])
    values = tf.reshape(self.value(slots), [b, m, heads, k])
    return memory_read(query, keys, values, mask)

  def _pointer(self, features, slots, state, free):
    """Mixes the free proposal with a point near a stored query.

    x_t = (1 - g) x_free + g clip(sum_i a_i x_i + POINTER_RADIUS tanh(delta), 0, 1),
    with a = softmax over written slots of q . k_i (one read head whose read is the
    stored locations), and the gate g and offset delta from the controller; g = 0
    before anything is stored. Both terms lie in the box, so the mix does.
    """
    mask = state["memory_mask"]
    b, m = tf.shape(slots)[0], tf.shape(slots)[1]
    query = tf.reshape(self.pointer_query(features), [b, 1, -1])
    keys = tf.reshape(self.pointer_key(slots), [b, m, 1, -1])
    weights = attention_weights(query, keys, mask)[:, 0]  # a_i `[B, M]`
    anchor = tf.einsum("bm,bmd->bd", weights, state["memory_x"])
    out = self.pointer_head(features)
    near = tf.clip_by_value(anchor + POINTER_RADIUS * tf.tanh(out[:, :self.dim]), 0.0, 1.0)
    gate = tf.sigmoid(out[:, self.dim:]) * tf.cast(
        state["stats"]["n"] > 0, tf.float32)[:, None]
    return (1.0 - gate) * free + gate * near

  def step(self, state: dict, x_prev=None, y_prev=None):
    """One query: x_t `[B, d]` in the unit box, and the new state.

    Args:
      state: from `initial_state` or the previous `step`.
      x_prev, y_prev: the last query `[B, d]` and its value `[B]`; None for the first.
    """
    state = dict(state)
    if x_prev is None:
      batch = tf.shape(state["read"])[0]
      features = tf.zeros([batch, num_features(self.dim)])
    else:
      y_prev = tf.cast(y_prev, tf.float32)
      if self.memory_heads:  # Write (x_{t-1}, y_{t-1}) into slot t-1.
        slot = tf.one_hot(tf.cast(state["stats"]["n"], tf.int32),
                          tf.shape(state["memory_y"])[1])
        state["memory_x"] += slot[..., None] * x_prev[:, None, :]
        state["memory_y"] += slot * y_prev[:, None]
        state["memory_mask"] += slot
      features, state["stats"] = observation_features(
          state["stats"], x_prev, y_prev, self.horizon)
    h, state["lstm"] = self(tf.concat([features, state["read"]], axis=-1),
                            state["lstm"])
    if self.memory_heads:
      slots = self._slots(state)
      state["read"] = self._read(h, slots, state["memory_mask"])
    top = tf.concat([h, state["read"]], axis=-1)
    x = tf.sigmoid(self.head(top))
    if self.pointer:
      x = self._pointer(top, slots, state, x)
    return x, state

  def call(self, inputs, lstm_state):
    """The controller: (output h `[B, units]`, new LSTM state) from its input."""
    new_state = []
    for cell, (h, c) in zip(self.cells, lstm_state):
      h, c = cell(inputs, h, c)
      new_state.append((h, c))
      inputs = h
    return inputs, tuple(new_state)

  def minimize(self, fn, bounds, budget=None, **kwargs):
    """Minimises a Python callable in `budget` queries (see `minimize.minimize`)."""
    from models.blackbox_rnn import minimize as minimize_lib  # pylint: disable=g-import-not-at-top
    return minimize_lib.minimize(self, fn, bounds, budget, **kwargs)

  def get_config(self):
    return dict(super().get_config(), dim=self.dim, hidden_sizes=list(self.hidden_sizes),
                horizon=self.horizon, memory_heads=self.memory_heads,
                memory_key_size=self.memory_key_size, pointer=self.pointer)


def build_from_config(config) -> BlackboxRNN:
  """The network of a `BlackboxConfig`."""
  return BlackboxRNN(dim=config.dim, hidden_sizes=config.hidden_sizes,
                     horizon=config.horizon, memory_heads=config.memory_heads,
                     memory_key_size=config.memory_key_size, pointer=config.pointer)
