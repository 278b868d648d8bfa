"""SNAIL's building blocks (Mishra et al. 2017, §3.1): dense, TC and attention blocks.

The math lives in plain functions; the Keras layers hold the weights (created in
`build()`) and call them. Every block is causal: its output at step t depends only on
inputs at steps <= t. Each block has two ways to run:

- `call(x)`: the full causal pass over a sequence `[B, T, C]`;
- `step(x_t, state) -> (y_t, state)`: one step of incremental inference, from a cache
  of past activations (`initial_state`, or the state `call_with_state(x)` returns after a
  full pass over a prefix), at a constant cost per step for the convolutions and a cost
  linear in the steps so far for attention. It gives the same outputs as the full pass.
  `initial_state`'s dense-block caches are TensorArrays, so such a state is used in
  the context (eager, or the one compiled function) that created it.

Paper pseudocode (§3.1):

    DenseBlock(x, R, D):  xf, xg = CausalConv(x, R, D), CausalConv(x, R, D)
                          a = tanh(xf) * sigmoid(xg);  return concat(x, a)
    TCBlock(x, T, D):     for i in 1..ceil(log2 T): x = DenseBlock(x, 2^i, D)
    AttentionBlock(x, K, V): keys, query = affine(x, K), affine(x, K)
                          logits = query keys^T;  probs = CausallyMaskedSoftmax(
                          logits / sqrt(K)) over keys;  return concat(x, probs values)

Warning: with kernel 2 and dilations 2, 4, 8, ... (the paper's `2^i` for i >= 1), a
TC block alone only reaches even offsets into the past; SNAIL's attention blocks mix
every position, so this matters only without them (`TCBlock(dilation_start=0)` gives
1, 2, 4, ... instead).
"""

import math

import keras
import tensorflow as tf

__all__ = [
    "AttentionBlock",
    "CausalConv1x1",
    "DenseBlock",
    "TCBlock",
    "attention_fn",
    "causal_conv",
    "dense_block_fn",
    "tc_dilations",
]


def tc_dilations(seq_len: int, dilation_start: int = 1) -> list:
  """Dilations of a TC block over sequences of length `seq_len` (§3.1): 2^i for
  i = dilation_start .. dilation_start + ceil(log2 seq_len) - 1 (the paper: start 1)."""
  if seq_len < 2:
    raise ValueError(f"seq_len must be >= 2; received: seq_len={seq_len}")
  n = int(math.ceil(math.log2(seq_len)))
  return [2 ** i for i in range(dilation_start, dilation_start + n)]


def _shift(x, dilation: int):
  """x_{t - dilation} along axis 1, zero for t < dilation (causal padding)."""
  padded = tf.pad(x, [[0, 0], [dilation, 0], [0, 0]])
  return padded[:, :tf.shape(x)[1]]


def causal_conv(x, kernel, bias, dilation: int):
  """Causal dilated convolution with kernel size 2 (§3.1, CausalConv).

  y_t = x_{t-R} W_0 + x_t W_1 + b, with x_{t-R} = 0 before the sequence starts.

  Args:
    x: `[B, T, C]`.
    kernel: `[2, C, D]` (tap 0 reads x_{t-R}, tap 1 reads x_t).
    bias: `[D]`.
    dilation: R.
  """
  return (tf.einsum("btc,cd->btd", _shift(x, dilation), kernel[0])
          + tf.einsum("btc,cd->btd", x, kernel[1]) + bias)


def dense_block_fn(x, wf, bf, wg, bg, dilation: int):
  """DenseBlock (§3.1): concat(x, tanh(xf) * sigmoid(xg)), xf/xg causal convs."""
  xf = causal_conv(x, wf, bf, dilation)
  xg = causal_conv(x, wg, bg, dilation)
  return tf.concat([x, tf.tanh(xf) * tf.sigmoid(xg)], axis=-1)


def attention_fn(x, wq, bq, wk, bk, wv, bv, past_keys=None, past_values=None,
                 past_mask=None):
  """AttentionBlock (§3.1): causal soft attention, normalised over the keys.

  Position t attends to positions s <= t: probs[t, s] = softmax_s(q_t . k_s / sqrt(K)).
  With `past_*` (incremental inference) the queries of `x` also see cached keys and
  values (`past_mask[b, s]` false where a cache slot is empty), all of which precede
  `x`.

  Args:
    x: `[B, T, C]`.
    wq, bq, wk, bk: `[C, K]`, `[K]` query and key projections.
    wv, bv: `[C, V]`, `[V]` value projection.

  Returns:
    (concat(x, read) `[B, T, C + V]`, keys `[B, T, K]`, values `[B, T, V]`).
  """
  query = tf.einsum("btc,ck->btk", x, wq) + bq
  keys = tf.einsum("btc,ck->btk", x, wk) + bk
  values = tf.einsum("btc,cv->btv", x, wv) + bv
  t = tf.shape(x)[1]
  causal = tf.linalg.band_part(tf.ones([t, t], tf.bool), -1, 0)[None]  # [1, T, T]: s <= t
  all_keys, all_values = keys, values
  mask = tf.broadcast_to(causal, [tf.shape(x)[0], t, t])
  if past_keys is not None:
    all_keys = tf.concat([past_keys, keys], axis=1)
    all_values = tf.concat([past_values, values], axis=1)
    past = tf.broadcast_to(past_mask[:, None, :], [tf.shape(x)[0], t,
                                                   tf.shape(past_keys)[1]])
    mask = tf.concat([past, mask], axis=2)
  scale = 1.0 / math.sqrt(float(wk.shape[-1]))
  logits = tf.einsum("btk,bsk->bts", query, all_keys) * scale
  logits = tf.where(mask, logits, tf.cast(-1e9, logits.dtype))
  probs = tf.nn.softmax(logits, axis=-1)  # Over the keys s (the last axis).
  read = tf.einsum("bts,bsv->btv", probs, all_values)
  return tf.concat([x, read], axis=-1), keys, values


class DenseBlock(keras.layers.Layer):
  """DenseBlock(R, D): a gated causal convolution whose output is appended to x."""

  def __init__(self, dilation: int, filters: int, **kwargs):
    super().__init__(**kwargs)
    if dilation < 1 or filters < 1:
      raise ValueError(f"dilation and filters must be positive; received: "
                       f"dilation={dilation}, filters={filters}")
    self.dilation = dilation
    self.filters = filters

  def build(self, input_shape):
    # A fresh initializer per weight ("glorot_uniform"): one unseeded Keras 3
    # initializer instance repeats its values, which would start W_f = W_g.
    channels = int(input_shape[-1])
    self.wf = self.add_weight(name="wf", shape=(2, channels, self.filters),
                              initializer="glorot_uniform")
    self.bf = self.add_weight(name="bf", shape=(self.filters,), initializer="zeros")
    self.wg = self.add_weight(name="wg", shape=(2, channels, self.filters),
                              initializer="glorot_uniform")
    self.bg = self.add_weight(name="bg", shape=(self.filters,), initializer="zeros")

  def call(self, x):
    return dense_block_fn(x, self.wf, self.bf, self.wg, self.bg, self.dilation)

  def compute_output_shape(self, input_shape):
    return tuple(input_shape[:-1]) + (int(input_shape[-1]) + self.filters,)

  # Incremental inference has two cache forms. `initial_state` gives a history
  # (TensorArray, t): R zero rows (the causal padding) followed by x_0 .. x_{t-1}; a
  # step reads one row (x_{t-R}) and appends one, so its cost does not grow with R or
  # t (what long step-by-step rollouts use). `call_with_state` gives a window: the
  # last R inputs `[B, R, C]`, oldest first, a plain tensor that can be repeated or
  # differentiated (the few-shot model's queries); a step shifts it by one row.
  def initial_state(self, batch, capacity: int, dtype=tf.float32):
    """The empty history of a sequence of up to `capacity` steps."""
    channels = self.wf.shape[1]
    history = tf.TensorArray(dtype, size=capacity + self.dilation,
                             element_shape=tf.TensorShape([None, channels]))
    history = history.scatter(tf.range(self.dilation),
                              tf.zeros([self.dilation, batch, channels], dtype))
    return history, tf.constant(0, tf.int32)

  def call_with_state(self, x, capacity=None):
    """The full pass over `x` `[B, T, C]` and the window after it (its last R inputs)."""
    del capacity  # The window does not grow.
    padded = tf.pad(x, [[0, 0], [self.dilation, 0], [0, 0]])
    return self(x), padded[:, -self.dilation:]

  def step(self, x_t, state):
    """One step: x_t `[B, C]` -> (y_t `[B, C + D]`, state), from either cache form.

    y_t = concat(x_t, tanh(xf_t) * sigmoid(xg_t)), [xf_t, xg_t] = [x_{t-R}, x_t] W + b
    with both taps and both convolutions in one matrix product (few ops per step).
    """
    if isinstance(state, tuple):
      history, t = state
      past = history.read(t)
      state = (history.write(t + self.dilation, x_t), t + 1)
    else:
      past = state[:, 0]
      state = tf.concat([state[:, 1:], x_t[:, None]], axis=1)
    channels = self.wf.shape[1]
    kernel = tf.concat([tf.reshape(self.wf, [2 * channels, self.filters]),
                        tf.reshape(self.wg, [2 * channels, self.filters])], axis=1)
    both = tf.matmul(tf.concat([past, x_t], axis=1), kernel) + tf.concat(
        [self.bf, self.bg], axis=0)
    xf, xg = tf.split(both, 2, axis=1)
    return tf.concat([x_t, tf.tanh(xf) * tf.sigmoid(xg)], axis=-1), state


class TCBlock(keras.layers.Layer):
  """TCBlock(T, D): DenseBlocks with exponentially growing dilations (§3.1).

  The width grows by D per dense block, D * ceil(log2 T) in all.
  """

  def __init__(self, seq_len: int, filters: int, dilation_start: int = 1, **kwargs):
    super().__init__(**kwargs)
    self.seq_len = seq_len
    self.filters = filters
    self.dilations = tc_dilations(seq_len, dilation_start)
    self.blocks = [DenseBlock(d, filters, name=f"dense_{i}")
                   for i, d in enumerate(self.dilations)]

  def build(self, input_shape):
    shape = tuple(input_shape)
    for block in self.blocks:
      block.build(shape)
      shape = block.compute_output_shape(shape)

  def call(self, x):
    for block in self.blocks:
      x = block(x)
    return x

  def compute_output_shape(self, input_shape):
    return tuple(input_shape[:-1]) + (
        int(input_shape[-1]) + self.filters * len(self.blocks),)

  def initial_state(self, batch, capacity: int, dtype=tf.float32):
    return [b.initial_state(batch, capacity, dtype) for b in self.blocks]

  def call_with_state(self, x, capacity=None):
    states = []
    for block in self.blocks:
      x, state = block.call_with_state(x, capacity)
      states.append(state)
    return x, states

  def step(self, x_t, state):
    new = []
    for block, s in zip(self.blocks, state):
      x_t, s = block.step(x_t, s)
      new.append(s)
    return x_t, new


class AttentionBlock(keras.layers.Layer):
  """AttentionBlock(K, V): causal single-head soft attention appended to x (§3.1).

  `tie_key_query_init`: initialise the key projection equal to the query projection
  (a deviation from the paper: with independent random projections the full SNAIL
  stack stayed at chance here; with tied ones every position first attends to
  itself and to similar inputs). The two projections train independently.
  """

  def __init__(self, key_size: int, value_size: int, tie_key_query_init: bool = True,
               **kwargs):
    super().__init__(**kwargs)
    if key_size < 1 or value_size < 1:
      raise ValueError(f"key_size and value_size must be positive; received: "
                       f"key_size={key_size}, value_size={value_size}")
    self.key_size = key_size
    self.value_size = value_size
    self.tie_key_query_init = tie_key_query_init

  def build(self, input_shape):
    channels = int(input_shape[-1])
    self.wq = self.add_weight(name="wq", shape=(channels, self.key_size),
                              initializer="glorot_uniform")
    self.bq = self.add_weight(name="bq", shape=(self.key_size,), initializer="zeros")
    self.wk = self.add_weight(name="wk", shape=(channels, self.key_size),
                              initializer="glorot_uniform")
    self.bk = self.add_weight(name="bk", shape=(self.key_size,), initializer="zeros")
    self.wv = self.add_weight(name="wv", shape=(channels, self.value_size),
                              initializer="glorot_uniform")
    self.bv = self.add_weight(name="bv", shape=(self.value_size,), initializer="zeros")
    if self.tie_key_query_init:
      self.wk.assign(self.wq)

  def _weights(self):
    return self.wq, self.bq, self.wk, self.bk, self.wv, self.bv

  def call(self, x):
    return attention_fn(x, *self._weights())[0]

  def compute_output_shape(self, input_shape):
    return tuple(input_shape[:-1]) + (int(input_shape[-1]) + self.value_size,)

  # Incremental inference: the state is (keys, values, filled) for `capacity` steps.
  def initial_state(self, batch, capacity: int, dtype=tf.float32):
    return (tf.zeros([batch, capacity, self.key_size], dtype),
            tf.zeros([batch, capacity, self.value_size], dtype),
            tf.zeros([batch, capacity], tf.bool))

  def call_with_state(self, x, capacity):
    """The full pass over `x` `[B, T, C]` and the cache after it, with room for
    `capacity` steps in all (T <= capacity)."""
    y, keys, values = attention_fn(x, *self._weights())
    pad = capacity - tf.shape(x)[1]
    filled = tf.ones(tf.shape(x)[:2], tf.bool)
    return y, (tf.pad(keys, [[0, 0], [0, pad], [0, 0]]),
               tf.pad(values, [[0, 0], [0, pad], [0, 0]]),
               tf.pad(filled, [[0, 0], [0, pad]]))

  def step(self, x_t, state):
    """One step: x_t `[B, C]` -> (y_t `[B, C + V]`, state).

    The step's key and value go to the first empty slot of the cache; its query then
    attends over every filled slot (the past and itself), as the full pass does.
    """
    keys, values, filled = state
    q = tf.matmul(x_t, self.wq) + self.bq
    k = tf.matmul(x_t, self.wk) + self.bk
    v = tf.matmul(x_t, self.wv) + self.bv
    slot = tf.reduce_sum(tf.cast(filled, tf.int32), axis=1)  # [B]
    onehot = tf.one_hot(slot, tf.shape(keys)[1], dtype=keys.dtype)  # [B, capacity]
    keys = keys + onehot[:, :, None] * k[:, None]
    values = values + onehot[:, :, None] * v[:, None]
    filled = tf.logical_or(filled, onehot > 0)
    logits = tf.einsum("bk,bsk->bs", q, keys) * (1.0 / math.sqrt(float(self.key_size)))
    logits = tf.where(filled, logits, tf.cast(-1e9, logits.dtype))
    probs = tf.nn.softmax(logits, axis=-1)  # Over the keys.
    read = tf.einsum("bs,bsv->bv", probs, values)
    return tf.concat([x_t, read], axis=-1), (keys, values, filled)


class CausalConv1x1(keras.layers.Layer):
  """The final 1x1 convolution (per-step affine map) to the outputs."""

  def __init__(self, units: int, **kwargs):
    super().__init__(**kwargs)
    self.units = units

  def build(self, input_shape):
    self.w = self.add_weight(name="w", shape=(int(input_shape[-1]), self.units),
                             initializer="glorot_uniform")
    self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros")

  def call(self, x):
    return tf.einsum("...c,cu->...u", x, self.w) + self.b

  def compute_output_shape(self, input_shape):
    return tuple(input_shape[:-1]) + (self.units,)
