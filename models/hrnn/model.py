"""The hierarchical RNN optimizer of Wichrowska et al. (2017), §3.

Three levels of GRUs, batched over tasks:

- a parameter GRU (10 units) per coordinate, reading features of that coordinate's
  gradient history; its gates get an extra bias from the tensor and global GRUs;
- a tensor GRU (20 units) per parameter tensor, reading the mean over the tensor's
  coordinates of their new states and features; its gates get a bias from the global
  GRU;
- a global GRU (20 units) per task, reading the mean of the tensor states.

Features of a coordinate (§3.2): gradient averages a_i at `num_scales` timescales
(the first decay beta_1 is produced by the RNN, each next one is sqrt of the previous,
i.e. twice the timescale), each divided by its own running RMS ("dynamic input
scaling"), the log mean-square of each scale relative to the mean over scales
("relative log gradient magnitude"), and the coordinate's log learning rate relative
to its tensor's mean.

Output (§3.3): a direction d (a projection of the parameter state, normalised to unit
RMS over its tensor) times a per-coordinate learning rate exp(log_lr), where log_lr
is changed additively by the RNN each step, with momentum; the decays of the
gradient averages and of the RMS are RNN outputs too ("learnable decays").

Optional lookahead (§3.4, "attention and Nesterov momentum"; `use_lookahead=True`):
the RNN also proposes an offset a = -exp(log_lr + attention_offset) * d_a, with d_a a
second normalised direction read from the parameter state, and the next gradient is
taken at the attended point theta + a instead of at theta (with d_a along the
momentum, this is Nesterov's lookahead). The state then carries the offsets
("lookahead", one per tensor); `lookahead_point(params, state)` gives the point to
differentiate at.
"""

import math

import keras
import tensorflow as tf

__all__ = ["HierarchicalRNN", "bias_gru_step", "coordinate_features"]


def bias_gru_step(x, h, kernel, bias, extra_bias=None):
  """One GRU step whose three pre-activations (reset, update, candidate) get an extra
  additive bias (how a higher level of the hierarchy steers a lower one).

      r = sigmoid([x, h] W_r + b_r + e_r),  z = sigmoid([x, h] W_z + b_z + e_z)
      c = tanh([x, r * h] W_c + b_c + e_c),  h' = z * h + (1 - z) * c

  Args:
    x: inputs [..., d]; h: state [..., u]; kernel: [d + u, 3u]; bias: [3u];
    extra_bias: broadcastable to [..., 3u], or None.
  """
  units = h.shape[-1]
  pre = bias if extra_bias is None else bias + extra_bias
  gates = tf.sigmoid(tf.einsum("...i,ij->...j", tf.concat([x, h], -1),
                               kernel[:, :2 * units]) + pre[..., :2 * units])
  r, z = tf.split(gates, 2, axis=-1)
  c = tf.tanh(tf.einsum("...i,ij->...j", tf.concat([x, r * h], -1),
                        kernel[:, 2 * units:]) + pre[..., 2 * units:])
  return z * h + (1.0 - z) * c


def coordinate_features(grad, accum, ms, inp_decay, scl_decay, log_lr):
  """The parameter GRU's inputs for one tensor, and the updated running averages.

  Args:
    grad: [B, n] gradients; accum, ms: [B, n, K] gradient averages and their mean
      squares; inp_decay, scl_decay: [B, n] decays from the last step; log_lr: [B, n].

  Returns:
    (features [B, n, 2K + 1], new accum, new ms).
  """
  num_scales = accum.shape[-1]
  decays = [inp_decay]
  for _ in range(num_scales - 1):
    decays.append(tf.sqrt(decays[-1]))  # Each scale on twice the timescale.
  beta = tf.stack(decays, axis=-1)
  accum = beta * accum + (1.0 - beta) * grad[..., None]
  gamma = scl_decay[..., None]
  ms = gamma * ms + (1.0 - gamma) * tf.square(accum)
  scaled = accum * tf.math.rsqrt(ms + 1e-16)  # Dynamic input scaling.
  log_ms = tf.math.log(ms + 1e-16)
  relative_log_ms = log_ms - tf.reduce_mean(log_ms, axis=-1, keepdims=True)
  relative_lr = log_lr - tf.reduce_mean(log_lr, axis=-1, keepdims=True)
  features = tf.concat([scaled, relative_log_ms, relative_lr[..., None]], axis=-1)
  return features, accum, ms


def _straight_through_clip(x, low, high):
  """Clips the value but lets the gradient of the unclipped value through."""
  return x + tf.stop_gradient(tf.clip_by_value(x, low, high) - x)


class _BiasGRU(keras.layers.Layer):
  """Holds a GRU's weights: normal(0, 0.5 / sqrt(fan_in)) kernel, gate biases 2.2
  (the update gate starts at sigmoid(2.2) ~ 0.9: keep the state), as in the
  authors' code."""

  def __init__(self, units, input_dim, **kwargs):
    super().__init__(**kwargs)
    self.units = units
    self.input_dim = input_dim

  def build(self, input_shape=None):
    fan_in = self.input_dim + self.units
    self.kernel = self.add_weight(
        name="kernel", shape=(fan_in, 3 * self.units),
        initializer=keras.initializers.RandomNormal(stddev=0.5 / math.sqrt(fan_in)))
    u = self.units
    self.bias = self.add_weight(
        name="bias", shape=(3 * u,),
        initializer=lambda shape, dtype=None: tf.concat(
            [tf.fill([2 * u], 2.2), tf.zeros([u])], 0))

  def call(self, x, h, extra_bias=None):
    return bias_gru_step(x, h, self.kernel, self.bias, extra_bias)


def _readout(name, units, stddev):
  return keras.layers.Dense(
      units, name=name, kernel_initializer=keras.initializers.RandomNormal(
          stddev=stddev))


@keras.saving.register_keras_serializable(package="metazoo")
class HierarchicalRNN(keras.Model):
  """The optimizer network. Use it through `models.hrnn.hrnn_update_fns` (pure
  functions over task batches) or `models.hrnn.HRNNOptimizer` (a Keras optimizer).

  Args:
    param_units, tensor_units, global_units: GRU sizes (paper: 10, 20, 20).
    num_scales: gradient timescales (the authors' code: 4).
    init_lr_min, init_lr_max: initial learning rates are log-uniform in this range.
    max_log_lr: upper clip of the log learning rate.
    use_lookahead: propose an attended point for the next gradient (§3.4).
  """

  def __init__(self, param_units=10, tensor_units=20, global_units=20, num_scales=4,
               init_lr_min=1e-6, init_lr_max=1e-2, max_log_lr=33.0, use_lookahead=False,
               name="hierarchical_rnn", **kwargs):
    super().__init__(name=name, **kwargs)
    self.param_units = int(param_units)
    self.tensor_units = int(tensor_units)
    self.global_units = int(global_units)
    self.num_scales = int(num_scales)
    self.init_lr_min = float(init_lr_min)
    self.init_lr_max = float(init_lr_max)
    self.max_log_lr = float(max_log_lr)
    self.use_lookahead = bool(use_lookahead)
    p, t, g, k = self.param_units, self.tensor_units, self.global_units, self.num_scales
    features = 2 * k + 1
    self.param_gru = _BiasGRU(p, features, name="param_gru")
    self.tensor_gru = _BiasGRU(t, p + features, name="tensor_gru")
    self.global_gru = _BiasGRU(g, t, name="global_gru")
    # Biases a higher level adds to a lower level's gates (the code's affine scale 0.5).
    self.tensor_to_param = _readout("tensor_to_param", 3 * p, 0.5 / math.sqrt(t))
    self.global_to_param = _readout("global_to_param", 3 * p, 0.5 / math.sqrt(g))
    self.global_to_tensor = _readout("global_to_tensor", 3 * t, 0.5 / math.sqrt(g))
    # Readouts of the parameter state (the code's readout scale 0.5 / sqrt(units)).
    self.readouts = _readout("readouts", 3, 0.5 / math.sqrt(p))  # direction, decays
    self.lr_readout = keras.layers.Dense(1, name="lr_readout",
                                         kernel_initializer="zeros")
    if self.use_lookahead:
      self.attention_readout = _readout("attention_readout", 1, 0.5 / math.sqrt(p))
    self._build_weights()

  def _build_weights(self):
    p, t, g = self.param_units, self.tensor_units, self.global_units
    for gru in (self.param_gru, self.tensor_gru, self.global_gru):
      gru.build()
    self.tensor_to_param.build((None, t))
    self.global_to_param.build((None, g))
    self.global_to_tensor.build((None, g))
    self.readouts.build((None, p))
    self.lr_readout.build((None, p))
    if self.use_lookahead:
      self.attention_readout.build((None, p))
      # The attended point starts close to theta: exp(-2) ~ 0.14 of a step.
      self.attention_offset = self.add_weight(
          name="attention_offset", shape=(), initializer=keras.initializers.Constant(-2.0))
    # Decay readout biases: sigmoid(3.2) ~ 0.96 for the RMS, sigmoid(2.2) ~ 0.9 for the
    # gradient averages.
    self.readout_bias = self.add_weight(
        name="readout_bias", shape=(3,),
        initializer=lambda shape, dtype=None: tf.constant([0.0, 3.2, 2.2]))
    self.lr_momentum_logit = self.add_weight(
        name="lr_momentum_logit", shape=(), initializer=keras.initializers.Constant(3.2))
    self.step_offset = self.add_weight(
        name="step_offset", shape=(), initializer=keras.initializers.Constant(-1.0))
    uniform = keras.initializers.RandomUniform(-1.0, 1.0)
    self.init_param_state = self.add_weight(name="init_param_state", shape=(p,),
                                            initializer=uniform)
    self.init_tensor_state = self.add_weight(name="init_tensor_state", shape=(t,),
                                             initializer=uniform)
    self.init_global_state = self.add_weight(name="init_global_state", shape=(g,),
                                             initializer=uniform)
    self.built = True

  # State.

  def initial_state(self, params, seed=(0, 0)):
    """The optimizer state for parameters `[B, ...]` (B tasks).

    The initial log learning rates are log-uniform in [init_lr_min, init_lr_max]:
    half of the log from a per-coordinate draw, half from a per-tensor offset, so
    tensors start at different mean rates (the authors' code). The draw depends on
    the coordinate, not on the task, so every task (and every slice of a batch) starts
    alike.
    """
    batch = tf.shape(params[0])[0]
    lo, hi = math.log(self.init_lr_min) / 2, math.log(self.init_lr_max) / 2
    seeds = tf.random.experimental.stateless_split(tf.constant(seed, tf.int32),
                                                   2 * len(params))
    tensors = []
    for j, p in enumerate(params):
      n = tf.reduce_prod(tf.shape(p)[1:])
      zeros = tf.zeros([batch, n])
      log_lr = (tf.random.stateless_uniform([1, n], seeds[2 * j], lo, hi)
                + tf.random.stateless_uniform([1, 1], seeds[2 * j + 1], lo, hi))
      log_lr = tf.broadcast_to(log_lr, [batch, n])
      tensors.append({
          "h": tf.broadcast_to(self.init_param_state, [batch, n, self.param_units]),
          "accum": tf.zeros([batch, n, self.num_scales]),
          "ms": tf.zeros([batch, n, self.num_scales]),
          "inp_decay": zeros,
          "scl_decay": zeros,
          "log_lr": log_lr,
          "h_tensor": tf.broadcast_to(self.init_tensor_state,
                                      [batch, self.tensor_units]),
      })
    state = {"tensors": tensors,
             "global": tf.broadcast_to(self.init_global_state, [batch, self.global_units])}
    if self.use_lookahead:
      state["lookahead"] = [tf.zeros_like(p) for p in params]
    return state

  def lookahead_point(self, params, state):
    """Where the next gradient is taken: theta + the proposed offset (theta itself
    without the lookahead)."""
    if "lookahead" not in state:
      return params
    return [p + a for p, a in zip(params, state["lookahead"])]

  # One step.

  def call(self, grads, state):
    """Updates `[B, ...]` (to add to the parameters) and the new state.

    Args:
      grads: list of gradients `[B, ...]`, one per parameter tensor.
      state: from `initial_state` or the last call.
    """
    h_global = state["global"]
    param_bias_global = self.global_to_param(h_global)[:, None, :]
    tensor_bias = self.global_to_tensor(h_global)
    momentum = tf.sigmoid(self.lr_momentum_logit)
    updates, new_tensors, lookahead = [], [], []
    for grad, st in zip(grads, state["tensors"]):
      g = tf.reshape(grad, [tf.shape(grad)[0], -1])
      x, accum, ms = coordinate_features(g, st["accum"], st["ms"], st["inp_decay"],
                                         st["scl_decay"], st["log_lr"])
      bias = self.tensor_to_param(st["h_tensor"])[:, None, :] + param_bias_global
      h = self.param_gru(x, st["h"], bias)
      tensor_input = tf.reduce_mean(tf.concat([h, x], axis=-1), axis=1)
      h_tensor = self.tensor_gru(tensor_input, st["h_tensor"], tensor_bias)
      out = self.readouts(h) + self.readout_bias  # [B, n, 3]
      direction = out[..., 0]
      direction *= tf.math.rsqrt(
          tf.reduce_mean(tf.square(direction), axis=1, keepdims=True) + 1e-16)
      step_log_lr = st["log_lr"] + self.lr_readout(h)[..., 0]
      step_log_lr = _straight_through_clip(step_log_lr, -33.0, self.max_log_lr)
      new_log_lr = momentum * st["log_lr"] + (1.0 - momentum) * step_log_lr
      step = -tf.exp(step_log_lr + self.step_offset) * direction
      updates.append(tf.reshape(step, tf.shape(grad)))
      if self.use_lookahead:
        att = self.attention_readout(h)[..., 0]
        att *= tf.math.rsqrt(tf.reduce_mean(tf.square(att), axis=1, keepdims=True) + 1e-16)
        offset = -tf.exp(step_log_lr + self.step_offset + self.attention_offset) * att
        lookahead.append(tf.reshape(offset, tf.shape(grad)))
      new_tensors.append({
          "h": h, "accum": accum, "ms": ms,
          "inp_decay": tf.sigmoid(out[..., 2]), "scl_decay": tf.sigmoid(out[..., 1]),
          "log_lr": new_log_lr, "h_tensor": h_tensor})
    global_input = tf.reduce_mean(tf.stack([t["h_tensor"] for t in new_tensors], 0), 0)
    new_global = self.global_gru(global_input, h_global)
    new_state = {"tensors": new_tensors, "global": new_global}
    if self.use_lookahead:
      new_state["lookahead"] = lookahead
    return updates, new_state

  def get_config(self):
    return dict(super().get_config(), param_units=self.param_units,
                tensor_units=self.tensor_units, global_units=self.global_units,
                num_scales=self.num_scales, init_lr_min=self.init_lr_min,
                init_lr_max=self.init_lr_max, max_log_lr=self.max_log_lr,
                use_lookahead=self.use_lookahead)


def build_from_config(config) -> HierarchicalRNN:
  return HierarchicalRNN(
      param_units=config.param_units, tensor_units=config.tensor_units,
      global_units=config.global_units, num_scales=config.num_scales,
      init_lr_min=config.init_lr_min, init_lr_max=config.init_lr_max,
      max_log_lr=config.max_log_lr, use_lookahead=config.use_lookahead)

