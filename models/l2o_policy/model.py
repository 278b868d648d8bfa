"""The optimizer of Li & Malik (2016) as a policy: "predicted step descent".

An optimization algorithm is a policy pi(a_t | s_t) whose action a_t is the step
x_{t+1} = x_t + a_t and whose cost is the objective f(x_{t+1}) (§3). The state holds
the last H iterates' objective changes and gradients (§3.3, H = 25):

    s_t = [f(x_t) - f(x_{t-1}), ..., f(x_{t-H+1}) - f(x_{t-H}),
           grad f(x_t), ..., grad f(x_{t-H+1})]

and the policy is a network with one hidden layer of 50 units whose output is the mean
of a Gaussian with a learned, state-independent standard deviation (the exploration
noise); at test time the mean is the step.

Here the policy is applied coordinatewise: coordinate i of the step reads that
coordinate's H gradients and the task's H objective changes (2H inputs), with weights
shared across coordinates, so one policy runs on problems of any dimension. (The paper's
policy reads the full gradient vectors and has a fixed problem dimension.) Histories
start as zeros: before step H the missing iterates read 0.
"""

import keras
import numpy as np
import tensorflow as tf

__all__ = ["PolicyNet", "build_from_config", "features", "flatten", "initial_state",
           "observe", "unflatten"]


def flatten(tensors):
  """[B, ...] tensors -> one [B, n] matrix (the task's parameter vector)."""
  batch = tf.shape(tensors[0])[0]
  return tf.concat([tf.reshape(t, [batch, -1]) for t in tensors], axis=1)


def unflatten(vector, like):
  """Inverse of `flatten`: splits [B, n] into tensors shaped like `like` ([B, ...],
  static shapes past the batch axis)."""
  sizes = [int(np.prod(t.shape[1:])) for t in like]
  parts = tf.split(vector, sizes, axis=1)
  return [tf.reshape(p, tf.concat([tf.shape(p)[:1], t.shape[1:]], 0))
          for p, t in zip(parts, like)]


def initial_state(batch, num_coords, history: int):
  """Zero histories for `batch` tasks of `num_coords` coordinates: the state is
  (grad_history [B, n, H], df_history [B, H], last_f [B], started [B])."""
  return (tf.zeros([batch, num_coords, history]), tf.zeros([batch, history]),
          tf.zeros([batch]), tf.zeros([batch]))


def observe(state, grad, f):
  """Pushes the newest gradient [B, n] and objective [B] into the histories.

  The first objective change of a task (no previous value yet) reads 0.
  """
  grad_hist, df_hist, last_f, started = state
  df = tf.where(started > 0, f - last_f, tf.zeros_like(f))
  grad_hist = tf.concat([grad[..., None], grad_hist[..., :-1]], axis=-1)
  df_hist = tf.concat([df[:, None], df_hist[:, :-1]], axis=-1)
  return (grad_hist, df_hist, f, tf.ones_like(started))


def features(state):
  """Per-coordinate policy inputs [B, n, 2H]: the coordinate's gradients, newest
  first, then the task's objective changes, newest first."""
  grad_hist, df_hist, _, _ = state
  n = tf.shape(grad_hist)[1]
  dfs = tf.tile(df_hist[:, None, :], tf.stack([1, n, 1]))
  return tf.concat([grad_hist, dfs], axis=-1)


@keras.saving.register_keras_serializable(package="metazoo")
class PolicyNet(keras.Model):
  """The step policy: 2H inputs -> `hidden_units` (tanh) -> mean step, plus a learned
  log standard deviation of the Gaussian exploration.

  Inputs and output are normalised by fixed scales (non-trainable weights, saved with
  the model): gradients by `grad_scale`, objective changes by `df_scale`, and the output
  is multiplied by `step_scale`. Training sets them once, from the RMS of the
  imitation teacher's trajectories, so the network works with numbers of order one.

  Args:
    history: H, the iterates the state remembers.
    hidden_units: width of the hidden layer (50 in the paper).
    init_log_std: initial log standard deviation of the exploration noise (in units
      of `step_scale`).
    min_log_std: floor of the log standard deviation.
  """

  def __init__(self, history: int = 25, hidden_units: int = 50, init_log_std: float = -2.0,
               min_log_std: float = -5.0, **kwargs):
    super().__init__(**kwargs)
    self.history = history
    self.hidden_units = hidden_units
    self.init_log_std = init_log_std
    self.min_log_std = min_log_std

  def build(self, input_shape=None):
    del input_shape
    if self.built:
      return
    h = self.history
    self.w1 = self.add_weight(shape=(2 * h, self.hidden_units), name="w1",
                              initializer="glorot_uniform")
    self.b1 = self.add_weight(shape=(self.hidden_units,), name="b1", initializer="zeros")
    # A small output layer: the initial policy takes small steps.
    self.w2 = self.add_weight(shape=(self.hidden_units, 1), name="w2",
                              initializer=keras.initializers.RandomNormal(stddev=1e-2))
    self.b2 = self.add_weight(shape=(1,), name="b2", initializer="zeros")
    self.log_std = self.add_weight(
        shape=(), name="log_std", initializer=keras.initializers.Constant(self.init_log_std))
    self.scales = self.add_weight(shape=(3,), name="scales", initializer="ones",
                                  trainable=False)  # grad, df, step
    self.built = True

  def set_scales(self, grad_scale: float, df_scale: float, step_scale: float):
    for name, value in (("grad_scale", grad_scale), ("df_scale", df_scale),
                        ("step_scale", step_scale)):
      if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be finite and positive; received: {value}")
    self.scales.assign([grad_scale, df_scale, step_scale])

  def call(self, inputs):
    """Mean step [...] for features [..., 2H]."""
    h = self.history
    scaled = tf.concat([inputs[..., :h] / self.scales[0], inputs[..., h:] / self.scales[1]],
                       axis=-1)
    hidden = tf.tanh(tf.einsum("...i,ij->...j", scaled, self.w1) + self.b1)
    out = tf.einsum("...i,ij->...j", hidden, self.w2) + self.b2
    return self.scales[2] * out[..., 0]

  def effective_log_std(self):
    """log std of the exploration, in the step's units, its scale-free part floored
    at `min_log_std` (exploration never vanishes entirely)."""
    return (tf.maximum(tf.convert_to_tensor(self.log_std), self.min_log_std)
            + tf.math.log(self.scales[2]))

  def std(self):
    return tf.exp(self.effective_log_std())

  def log_prob(self, mean, action):
    """Log density [...] of actions [..., n] under N(mean, std^2), summed over the
    coordinates (the task's joint action)."""
    log_std = self.effective_log_std()
    z = (action - mean) * tf.exp(-log_std)
    per = -0.5 * tf.square(z) - log_std - 0.5 * tf.math.log(2.0 * np.pi)
    return tf.reduce_sum(per, axis=-1)

  def get_config(self):
    return dict(super().get_config(), history=self.history,
                hidden_units=self.hidden_units, init_log_std=self.init_log_std,
                min_log_std=self.min_log_std)


def build_from_config(config) -> PolicyNet:
  net = PolicyNet(history=config.history, hidden_units=config.hidden_units,
                  init_log_std=config.init_log_std, min_log_std=config.min_log_std,
                  name="policy")
  net.build()
  return net
