"""The optimizer network: a small LSTM shared by every coordinate.

Andrychowicz et al. (2016), §2.1 and appendix A: each coordinate i of the optimizee's
parameters has its own LSTM state, but all coordinates share the weights, so one
network optimizes parameters of any number and shape. At step t it reads the
(preprocessed) gradient g_t^i and proposes the update

    theta_{t+1}^i = theta_t^i + output_scale * head(h_t^i).
"""

import math

import keras
import tensorflow as tf

__all__ = ["CoordinateLSTMCell", "CoordinatewiseLSTM", "log_and_sign", "lstm_step"]


def log_and_sign(g, k: float = 5.0, eps: float = 1e-20):
  """The paper's gradient preprocessing (appendix A), with the authors' code's k.

  Maps each gradient coordinate to two inputs of similar scale whatever the
  gradient's magnitude:
    (clamp(log(|g| + eps) / k, min=-1), clamp(g * e^k, -1, 1)).

  Args:
    g: gradients `[N]`.
    k: the paper's p (10); the authors' code uses 5.
  Returns:
    `[N, 2]`.
  """
  log_mag = tf.maximum(tf.math.log(tf.abs(g) + eps) / k, -1.0)
  sign = tf.clip_by_value(g * math.exp(k), -1.0, 1.0)
  return tf.stack([log_mag, sign], axis=-1)


def lstm_step(x, h, c, kernel, bias):
  """One LSTM step, gates (i, f, g, o) from one fused matmul over [x; h]."""
  z = tf.matmul(tf.concat([x, h], axis=-1), kernel) + bias
  i, f, g, o = tf.split(z, 4, axis=-1)
  c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
  h = tf.sigmoid(o) * tf.tanh(c)
  return h, c


@keras.saving.register_keras_serializable(package="metazoo")
class CoordinateLSTMCell(keras.layers.Layer):
  """Holds one LSTM layer's weights; the math is `lstm_step`.

  Glorot-uniform kernel over [x; h], zero bias except the forget gate's, which starts
  at 1 (Jozefowicz et al. 2015), as Keras' own LSTM does.
  """

  def __init__(self, units: int, **kwargs):
    super().__init__(**kwargs)
    self.units = units

  def build(self, input_shape):
    in_dim = int(input_shape[-1])
    self.kernel = self.add_weight(
        name="kernel", shape=(in_dim + self.units, 4 * self.units),
        initializer="glorot_uniform")
    u = self.units
    self.bias = self.add_weight(
        name="bias", shape=(4 * u,),
        initializer=lambda shape, dtype=None: tf.concat(
            [tf.zeros([u]), tf.ones([u]), tf.zeros([2 * u])], 0))

  def call(self, x, h, c):
    return lstm_step(x, h, c, self.kernel, self.bias)

  def get_config(self):
    return dict(super().get_config(), units=self.units)


@keras.saving.register_keras_serializable(package="metazoo")
class CoordinatewiseLSTM(keras.Model):
  """The learned optimizer network m(g; phi) of Andrychowicz et al.

  Call it on a flat vector of gradients (any number of coordinates) and its state:

      net = CoordinatewiseLSTM()
      state = net.initial_state(num_coords)
      update, state = net(grads_flat, state)

  `models.l2l_lstm.lstm_update_fns` wraps this for lists of tensors of any shapes,
  and `models.l2l_lstm.LearnedOptimizer` for `keras.Model.compile`.

  Args:
    hidden_sizes: units of the stacked LSTM layers (paper: two layers of 20).
    preprocess: "log_and_sign" (paper appendix A) or "none" (the raw gradient).
    preprocess_k: LogAndSign's k.
    output_scale: multiplies the linear head's output (the authors' code: 0.01 by
      default, 1 for quadratics; we use 0.1, see the model card).
  """

  def __init__(self, hidden_sizes=(20, 20), preprocess: str = "log_and_sign",
               preprocess_k: float = 5.0, output_scale: float = 0.1,
               name: str = "coordinatewise_lstm", **kwargs):
    super().__init__(name=name, **kwargs)
    if preprocess not in ("log_and_sign", "none"):
      raise ValueError(f"preprocess must be 'log_and_sign' or 'none'; received: "
                       f"{preprocess!r}")
    self.hidden_sizes = tuple(int(h) for h in hidden_sizes)
    self.preprocess = preprocess
    self.preprocess_k = float(preprocess_k)
    self.output_scale = float(output_scale)
    self.cells = [CoordinateLSTMCell(u, name=f"lstm_{i}")
                  for i, u in enumerate(self.hidden_sizes)]
    self.head = keras.layers.Dense(1, name="head")
    self._build_weights()

  def _build_weights(self):
    in_dim = 2 if self.preprocess == "log_and_sign" else 1
    for cell in self.cells:
      cell.build((None, in_dim))
      in_dim = cell.units
    self.head.build((None, in_dim))
    self.built = True

  @property
  def state_size(self) -> int:
    """Floats of state per coordinate."""
    return 2 * sum(self.hidden_sizes)

  def initial_state(self, num_coords, dtype=tf.float32):
    """Zero (h, c) for every layer: a tuple of `[num_coords, units]` pairs."""
    return tuple((tf.zeros([num_coords, u], dtype), tf.zeros([num_coords, u], dtype))
                 for u in self.hidden_sizes)

  def preprocess_grads(self, grads):
    if self.preprocess == "log_and_sign":
      return log_and_sign(grads, self.preprocess_k)
    return grads[:, None]

  def call(self, grads, state):
    """Updates `[N]` and the new state for gradients `[N]` and `state`."""
    x = self.preprocess_grads(grads)
    new_state = []
    for cell, (h, c) in zip(self.cells, state):
      h, c = cell(x, h, c)
      new_state.append((h, c))
      x = h
    update = self.output_scale * tf.squeeze(self.head(x), axis=-1)
    return update, tuple(new_state)

  def get_config(self):
    return dict(super().get_config(), hidden_sizes=list(self.hidden_sizes),
                preprocess=self.preprocess, preprocess_k=self.preprocess_k,
                output_scale=self.output_scale)


def build_from_config(config) -> CoordinatewiseLSTM:
  """The network of an `L2LConfig`."""
  return CoordinatewiseLSTM(hidden_sizes=config.hidden_sizes,
                            preprocess=config.preprocess,
                            preprocess_k=config.preprocess_k,
                            output_scale=config.output_scale)
