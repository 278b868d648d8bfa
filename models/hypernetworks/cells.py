"""Recurrent cells: the HyperLSTM of Ha, Dai & Le (2016) and a layer-normalised LSTM.

Both are ordinary Keras 3 RNN cells (`keras.layers.RNN(HyperLSTMCell(256))`); the math
lives in the module-level functions `lstm_step` and `hyperlstm_step`, the layers only
hold the weights.

Gate order everywhere: (i, g, f, o) = input gate, candidate, forget gate, output gate,
the order of the paper's equations (§3.2).
"""

import keras
import numpy as np
import tensorflow as tf

__all__ = [
    "HyperLSTMCell",
    "LayerNormLSTMCell",
    "hyperlstm_step",
    "layer_norm",
    "lstm_step",
]

FORGET_BIAS = 1.0
LN_EPSILON = 1e-3


def layer_norm(x, gain, bias, groups: int = 1, epsilon: float = LN_EPSILON):
  """Layer normalisation (Ba et al. 2016) of each of `groups` equal slices of the last
  axis: (x - mean) / sqrt(var + epsilon) * gain + bias.

  The LSTMs normalise each gate's pre-activation on its own (groups=4) and the cell
  c_t (groups=1), as in the HyperLSTM paper's appendix A.2.2.

  Args:
    x: `[B, groups * n]`.
    gain, bias: `[groups * n]`.
  """
  shape = tf.shape(x)
  xg = tf.reshape(x, [shape[0], groups, -1])
  mean, var = tf.nn.moments(xg, axes=[-1], keepdims=True)
  xg = (xg - mean) * tf.math.rsqrt(var + epsilon)
  return tf.reshape(xg, shape) * gain + bias


def _lstm_output(gates, c, ln_c=None, candidate_mask=None):
  """c_t and h_t from pre-activations (i, g, f, o) `[B, 4N]` and c_{t-1}.

      c_t = sigmoid(f + 1) * c_{t-1} + sigmoid(i) * drop(tanh(g))
      h_t = sigmoid(o) * tanh(LN(c_t))

  `candidate_mask` (a scaled dropout mask, or None) is the recurrent dropout of
  Semeniuta et al. (2016) that the paper uses: only the candidate is dropped, so the
  memory c_t is never erased by it.
  """
  i, g, f, o = tf.split(gates, 4, axis=-1)
  candidate = tf.tanh(g)
  if candidate_mask is not None:
    candidate = candidate * candidate_mask
  c = tf.sigmoid(f + FORGET_BIAS) * c + tf.sigmoid(i) * candidate
  c_out = c if ln_c is None else layer_norm(c, *ln_c)
  h = tf.sigmoid(o) * tf.tanh(c_out)
  return h, c


def lstm_step(x, h, c, w_x, w_h, b, ln_gates=None, ln_c=None, candidate_mask=None):
  """One step of an LSTM, optionally layer-normalised (Ba et al. 2016, §3.1).

      (i, g, f, o) = LN(W_x x_t) + LN(W_h h_{t-1}) + b      (LN: separately per gate)

  Without layer normalisation the pre-activations are W_x x_t + W_h h_{t-1} + b.
  As in the paper's layer-normalised baselines (and its HyperLSTM, appendix A.2.2),
  the input and recurrent contributions are normalised together:
  LN(W_x x_t + W_h h_{t-1} + b), one normalisation per gate.

  Args:
    x: `[B, D]`; h, c: `[B, N]`.
    w_x: `[D, 4N]`; w_h: `[N, 4N]`; b: `[4N]`.
    ln_gates: (gain, bias) `[4N]` each, or None for no layer normalisation.
    ln_c: (gain, bias) `[N]` each, or None.
    candidate_mask: `[B, N]` scaled dropout mask of the candidate, or None.

  Returns:
    (h_t, c_t).
  """
  gates = tf.matmul(x, w_x) + tf.matmul(h, w_h) + b
  if ln_gates is not None:
    gates = layer_norm(gates, *ln_gates, groups=4)
  return _lstm_output(gates, c, ln_c, candidate_mask)


def _gate_block_diagonal(w):
  """`[4, N_z, N]` per-gate projections as one block-diagonal `[4 N_z, 4 N]` matrix,
  so that z `[B, 4 N_z]` (gate-major) maps to d `[B, 4N]` in a single matmul (on a
  CPU twice as fast as a batched matmul or einsum over the gates)."""
  gates = w.shape[0]
  eye = tf.eye(gates, dtype=w.dtype)[:, None, :, None]  # [4, 1, 4, 1]
  blocks = w[:, :, None, :] * eye  # [4, N_z, 4, N], zero off the diagonal.
  return tf.reshape(blocks, [gates * w.shape[1], gates * w.shape[2]])


def hyperlstm_step(x, h, c, hyper_h, hyper_c, weights, candidate_mask=None):
  """One step of the HyperLSTM (Ha, Dai & Le 2016, §3.2, eq. 8-12).

  The hyper cell, a small LSTM with N_hat units, reads x_hat_t = [x_t; h_{t-1}]:

      h_hat_t = LSTM_hat(x_hat_t, h_hat_{t-1})                              (eq. 8)

  and emits, for each gate y in (i, g, f, o), three embeddings of size N_z

      z_h^y = W_hhat_h^y h_hat_t + b_hhat_h^y,   z_x^y = W_hhat_x^y h_hat_t + b_hhat_x^y,
      z_b^y = W_hhat_b^y h_hat_t                                            (eq. 10)

  that become weight-scaling vectors and a bias of the main LSTM (N units):

      d_h^y = W_hz^y z_h^y,   d_x^y = W_xz^y z_x^y,   b^y = W_bz^y z_b^y + b_0^y  (eq. 11)
      y_t = LN(d_h^y * (W_h^y h_{t-1}) + d_x^y * (W_x^y x_t) + b^y)               (eq. 12)

  Scaling the rows of W_h and W_x by d is the paper's memory-efficient stand-in for
  generating the whole matrices. The main cell then continues as an LSTM
  (`_lstm_output`), with LN on c_t in the layer-normalised variant.

  Args:
    x: `[B, D]`; h, c: `[B, N]`; hyper_h, hyper_c: `[B, N_hat]`.
    weights: a dict with
      "w_x" `[D, 4N]`, "w_h" `[N, 4N]`, "b0" `[4N]` (the main LSTM);
      "hyper_w_x" `[D + N, 4 N_hat]`, "hyper_w_h" `[N_hat, 4 N_hat]`,
      "hyper_b" `[4 N_hat]` (the hyper LSTM);
      "w_zh", "w_zx", "w_zb" `[N_hat, 4 N_z]`, "b_zh", "b_zx" `[4 N_z]`
      (projections of h_hat to the embeddings z, gate-major);
      "w_hz", "w_xz", "w_bz" `[4, N_z, N]` (embeddings to d_h, d_x, b);
      optionally "ln_gates" / "ln_c" (main) and "hyper_ln_gates" / "hyper_ln_c"
      (hyper cell), (gain, bias) pairs, for the layer-normalised variant.
    candidate_mask: `[B, N]` scaled dropout mask of the main cell's candidate.

  Returns:
    (h_t, c_t, h_hat_t, c_hat_t).
  """
  # Eq. 8: the hyper LSTM over x_hat_t = [x_t; h_{t-1}].
  x_hat = tf.concat([x, h], axis=-1)
  hyper_h, hyper_c = lstm_step(
      x_hat, hyper_h, hyper_c, weights["hyper_w_x"], weights["hyper_w_h"],
      weights["hyper_b"], weights.get("hyper_ln_gates"), weights.get("hyper_ln_c"))
  # Eq. 10: z_h, z_x, z_b for the four gates side by side, [B, 4 N_z] each.
  z_h = tf.matmul(hyper_h, weights["w_zh"]) + weights["b_zh"]
  z_x = tf.matmul(hyper_h, weights["w_zx"]) + weights["b_zx"]
  z_b = tf.matmul(hyper_h, weights["w_zb"])
  # Eq. 11: d_h, d_x and the bias, [B, 4N] each.
  d_h = tf.matmul(z_h, _gate_block_diagonal(weights["w_hz"]))
  d_x = tf.matmul(z_x, _gate_block_diagonal(weights["w_xz"]))
  b = tf.matmul(z_b, _gate_block_diagonal(weights["w_bz"])) + weights["b0"]
  # Eq. 12: the main LSTM's pre-activations, rows of W_h and W_x scaled by d.
  gates = d_h * tf.matmul(h, weights["w_h"]) + d_x * tf.matmul(x, weights["w_x"]) + b
  if weights.get("ln_gates") is not None:
    gates = layer_norm(gates, *weights["ln_gates"], groups=4)
  h, c = _lstm_output(gates, c, weights.get("ln_c"), candidate_mask)
  return h, c, hyper_h, hyper_c


def _orthogonal_blocks(blocks: int):
  """An initializer for `[n, blocks * m]` with an orthogonal `[n, m]` block per gate
  (a square orthogonal matrix per gate for the recurrent weights, as in Ha's code)."""
  def init(shape, dtype=None):
    n, total = shape
    ortho = keras.initializers.Orthogonal()
    parts = [ortho((n, total // blocks), dtype=dtype) for _ in range(blocks)]
    return tf.concat(parts, axis=-1)
  return init


def _constant(value):
  return keras.initializers.Constant(value)


class _DropoutMixin:
  """The candidate's dropout mask, one per sequence and example.

  Semeniuta et al. (2016) drop only the candidate, with per-step or per-sequence
  masks; both leave the memory c_t intact. The mask is drawn from a stateless seed
  that the training loop sets before each step (`set_dropout_seed`), folded with the
  replica's id, so a step's masks are a function of the step (resumed runs repeat
  them) and no stateful random op runs under `tf.distribute`. The seed is not a
  weight: it is neither trained nor saved.
  """

  def _build_dropout(self):
    self._dropout_seed = tf.Variable([0, 0], dtype=tf.int64, trainable=False,
                                     name="dropout_seed")

  def set_dropout_seed(self, seed):
    """Seeds the next calls' masks; `seed` is a `[2]` int64 tensor."""
    self._dropout_seed.assign(tf.cast(seed, tf.int64))

  def candidate_mask(self, h, training):
    if not training or not self.recurrent_dropout:
      return None
    keep = 1.0 - self.recurrent_dropout
    seed = self._dropout_seed
    replica = tf.distribute.get_replica_context()
    if replica is not None:
      seed = tf.random.experimental.stateless_fold_in(
          seed, tf.cast(replica.replica_id_in_sync_group, tf.int64))
    uniform = tf.random.stateless_uniform(tf.shape(h), seed=seed)
    return tf.cast(uniform < keep, h.dtype) / keep


@keras.saving.register_keras_serializable(package="metazoo")
class LayerNormLSTMCell(keras.layers.Layer, _DropoutMixin):
  """An LSTM cell, optionally layer-normalised, with recurrent dropout on the candidate.

      rnn = keras.layers.RNN(LayerNormLSTMCell(256, layer_norm=True),
                             return_sequences=True)

  The baseline of the paper's language-model tables (LSTM and LN-LSTM). The math is
  `lstm_step`; initialisation as the HyperLSTM's main cell (orthogonal W_h per gate,
  Glorot-uniform W_x, zero bias; the forget gate adds the constant 1).

  Args:
    units: N.
    layer_norm: normalise each gate's pre-activation and c_t.
    recurrent_dropout: rate of dropout on the candidate (the paper: 0.1).
  """

  def __init__(self, units: int, layer_norm: bool = False,
               recurrent_dropout: float = 0.0, **kwargs):
    super().__init__(**kwargs)
    if units <= 0:
      raise ValueError(f"units must be positive; received: units={units}")
    if not 0.0 <= recurrent_dropout < 1.0:
      raise ValueError(f"recurrent_dropout must be in [0, 1); received: "
                       f"recurrent_dropout={recurrent_dropout}")
    self.units = int(units)
    self.layer_norm = bool(layer_norm)
    self.recurrent_dropout = float(recurrent_dropout)
    self.state_size = [self.units, self.units]
    self.output_size = self.units

  def build(self, input_shape):
    d, n = int(input_shape[-1]), self.units
    self.w_x = self.add_weight(name="w_x", shape=(d, 4 * n),
                               initializer="glorot_uniform")
    self.w_h = self.add_weight(name="w_h", shape=(n, 4 * n),
                               initializer=_orthogonal_blocks(4))
    self.b = self.add_weight(name="b", shape=(4 * n,), initializer="zeros")
    if self.layer_norm:
      self.ln_gates_gain = self.add_weight(name="ln_gates_gain", shape=(4 * n,),
                                           initializer="ones")
      self.ln_gates_bias = self.add_weight(name="ln_gates_bias", shape=(4 * n,),
                                           initializer="zeros")
      self.ln_c_gain = self.add_weight(name="ln_c_gain", shape=(n,), initializer="ones")
      self.ln_c_bias = self.add_weight(name="ln_c_bias", shape=(n,), initializer="zeros")
    self._build_dropout()
    self.built = True

  def get_initial_state(self, batch_size=None):
    return [tf.zeros([batch_size, self.units]), tf.zeros([batch_size, self.units])]

  def call(self, inputs, states, training=False):
    h, c = states
    ln_gates = ln_c = None
    if self.layer_norm:
      ln_gates = (self.ln_gates_gain, self.ln_gates_bias)
      ln_c = (self.ln_c_gain, self.ln_c_bias)
    h, c = lstm_step(inputs, h, c, self.w_x, self.w_h, self.b, ln_gates, ln_c,
                     self.candidate_mask(h, training))
    return h, [h, c]

  def get_config(self):
    return dict(super().get_config(), units=self.units, layer_norm=self.layer_norm,
                recurrent_dropout=self.recurrent_dropout)


@keras.saving.register_keras_serializable(package="metazoo")
class HyperLSTMCell(keras.layers.Layer, _DropoutMixin):
  """The HyperLSTM cell (Ha, Dai & Le 2016, §3.2), usable in `keras.layers.RNN`.

      rnn = keras.layers.RNN(HyperLSTMCell(256, hyper_units=64, embedding_size=4),
                             return_sequences=True)

  A small LSTM (the hyper cell, `hyper_units` = N_hat) reads [x_t; h_{t-1}] and
  generates, at every step and for every gate, the scaling vectors d_h, d_x and the
  bias of the main LSTM (`hyperlstm_step` has the equations). The state is
  [h, c, h_hat, c_hat].

  Initialisation (appendix A.2.3): the projections h_hat -> z_h and h_hat -> z_x have
  weights 0 and bias 1, h_hat -> z_b has weights N(0, 0.01^2); W_hz and W_xz are the
  constant 0.1 / N_z, so d_h = d_x = 0.1 at the start (the 0.1 gain of Cooijmans et
  al.'s recurrent batch norm); W_bz and b_0 are 0; W_h is orthogonal per gate and
  W_x Glorot-uniform (as in the authors' code); the hyper cell is initialised like a
  `LayerNormLSTMCell`.

  Args:
    units: N, the main LSTM's units.
    hyper_units: N_hat, the hyper LSTM's units (paper: 128 for N = 1000).
    embedding_size: N_z (paper: 4 for character models).
    layer_norm: layer-normalise both cells (each gate and c_t).
    recurrent_dropout: rate of dropout on the main cell's candidate (paper: 0.1).
    hyper_scale_init: the initial d_h, d_x (paper: 0.1).
  """

  def __init__(self, units: int, hyper_units: int = 64, embedding_size: int = 4,
               layer_norm: bool = False, recurrent_dropout: float = 0.0,
               hyper_scale_init: float = 0.1, **kwargs):
    super().__init__(**kwargs)
    for key, value in (("units", units), ("hyper_units", hyper_units),
                       ("embedding_size", embedding_size)):
      if value <= 0:
        raise ValueError(f"{key} must be positive; received: {key}={value}")
    if not 0.0 <= recurrent_dropout < 1.0:
      raise ValueError(f"recurrent_dropout must be in [0, 1); received: "
                       f"recurrent_dropout={recurrent_dropout}")
    self.units = int(units)
    self.hyper_units = int(hyper_units)
    self.embedding_size = int(embedding_size)
    self.layer_norm = bool(layer_norm)
    self.recurrent_dropout = float(recurrent_dropout)
    self.hyper_scale_init = float(hyper_scale_init)
    self.state_size = [self.units, self.units, self.hyper_units, self.hyper_units]
    self.output_size = self.units

  def build(self, input_shape):
    d, n, nh, nz = int(input_shape[-1]), self.units, self.hyper_units, \
        self.embedding_size
    add = self.add_weight
    # The main LSTM.
    self.w_x = add(name="w_x", shape=(d, 4 * n), initializer="glorot_uniform")
    self.w_h = add(name="w_h", shape=(n, 4 * n), initializer=_orthogonal_blocks(4))
    self.b0 = add(name="b0", shape=(4 * n,), initializer="zeros")
    # The hyper LSTM over [x; h].
    self.hyper_w_x = add(name="hyper_w_x", shape=(d + n, 4 * nh),
                         initializer="glorot_uniform")
    self.hyper_w_h = add(name="hyper_w_h", shape=(nh, 4 * nh),
                         initializer=_orthogonal_blocks(4))
    self.hyper_b = add(name="hyper_b", shape=(4 * nh,), initializer="zeros")
    # h_hat -> z (eq. 10), four gates side by side.
    self.w_zh = add(name="w_zh", shape=(nh, 4 * nz), initializer="zeros")
    self.b_zh = add(name="b_zh", shape=(4 * nz,), initializer="ones")
    self.w_zx = add(name="w_zx", shape=(nh, 4 * nz), initializer="zeros")
    self.b_zx = add(name="b_zx", shape=(4 * nz,), initializer="ones")
    self.w_zb = add(name="w_zb", shape=(nh, 4 * nz),
                    initializer=keras.initializers.RandomNormal(stddev=0.01))
    # z -> d_h, d_x, b (eq. 11).
    scale = self.hyper_scale_init / nz
    self.w_hz = add(name="w_hz", shape=(4, nz, n), initializer=_constant(scale))
    self.w_xz = add(name="w_xz", shape=(4, nz, n), initializer=_constant(scale))
    self.w_bz = add(name="w_bz", shape=(4, nz, n), initializer="zeros")
    if self.layer_norm:
      for prefix, units in (("", n), ("hyper_", nh)):
        setattr(self, f"{prefix}ln_gates_gain",
                add(name=f"{prefix}ln_gates_gain", shape=(4 * units,),
                    initializer="ones"))
        setattr(self, f"{prefix}ln_gates_bias",
                add(name=f"{prefix}ln_gates_bias", shape=(4 * units,),
                    initializer="zeros"))
        setattr(self, f"{prefix}ln_c_gain",
                add(name=f"{prefix}ln_c_gain", shape=(units,), initializer="ones"))
        setattr(self, f"{prefix}ln_c_bias",
                add(name=f"{prefix}ln_c_bias", shape=(units,), initializer="zeros"))
    self._build_dropout()
    self.built = True

  def step_weights(self) -> dict:
    """The weights as `hyperlstm_step` takes them."""
    names = ("w_x", "w_h", "b0", "hyper_w_x", "hyper_w_h", "hyper_b", "w_zh", "b_zh",
             "w_zx", "b_zx", "w_zb", "w_hz", "w_xz", "w_bz")
    weights = {k: getattr(self, k) for k in names}
    if self.layer_norm:
      for prefix in ("", "hyper_"):
        weights[f"{prefix}ln_gates"] = (getattr(self, f"{prefix}ln_gates_gain"),
                                        getattr(self, f"{prefix}ln_gates_bias"))
        weights[f"{prefix}ln_c"] = (getattr(self, f"{prefix}ln_c_gain"),
                                    getattr(self, f"{prefix}ln_c_bias"))
    return weights

  def get_initial_state(self, batch_size=None):
    return [tf.zeros([batch_size, s]) for s in self.state_size]

  def call(self, inputs, states, training=False):
    h, c, hyper_h, hyper_c = states
    h, c, hyper_h, hyper_c = hyperlstm_step(
        inputs, h, c, hyper_h, hyper_c, self.step_weights(),
        self.candidate_mask(h, training))
    return h, [h, c, hyper_h, hyper_c]

  def get_config(self):
    return dict(super().get_config(), units=self.units, hyper_units=self.hyper_units,
                embedding_size=self.embedding_size, layer_norm=self.layer_norm,
                recurrent_dropout=self.recurrent_dropout,
                hyper_scale_init=self.hyper_scale_init)


def count_params(cell) -> int:
  """Trainable parameters of a built cell."""
  return int(sum(np.prod(v.shape) for v in cell.trainable_weights))
