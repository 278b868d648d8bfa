"""PowerSign and AddSign (Bello et al. 2017, §5) as Keras 3 optimizers, with decays.

The two rules the search of the paper found and TF 1 released (`tf.contrib.opt`):

    m_t = beta m_{t-1} + (1 - beta) g
    PowerSign:  w <- w - lr * base^(d(t) sign(g) sign(m_t)) * g
    AddSign:    w <- w - lr * (alpha + d(t) sign(g) sign(m_t)) * g

where d(t) is the sign decay: constant 1, or `linear_sign_decay`,
`cosine_sign_decay`, `restart_sign_decay` of §5 (the internal decays that take the
sign term to 0 by the end of training). `linear_cosine_decay` is the paper's
learning-rate schedule. Each step equals TensorFlow's `ResourceApplyPowerSign` /
`ResourceApplyAddSign` kernels (the tests check it).

    from models.optimizer_search import PowerSign, linear_sign_decay
    model.compile(optimizer=PowerSign(0.1, sign_decay=linear_sign_decay(10000)), ...)
"""

import math

import keras
import tensorflow as tf

__all__ = [
    "AddSign",
    "LinearCosineDecay",
    "PowerSign",
    "SignDecay",
    "cosine_sign_decay",
    "linear_cosine_decay",
    "linear_sign_decay",
    "restart_sign_decay",
]


def _check_positive(name, value):
  if value <= 0:
    raise ValueError(f"{name} must be positive; received: {name}={value}")


@keras.saving.register_keras_serializable(package="metazoo")
class SignDecay:
  """d(t) of a sign decay (§5): `kind` is "linear", "cosine" or "restart".

  linear:  d = 1 - min(t, T) / T
  cosine:  d = 0.5 (1 + cos(pi * 2 * num_periods * min(t, T) / T))
  restart: d = 0.5 (1 + cos(pi * ((num_periods * min(t, T)) mod T) / T))
  With `zero_after`, cosine and restart are 0 once 2 * num_periods * t / T (cosine) or
  num_periods * t / T (restart) reaches it, as in `tf.contrib.opt.sign_decay`.
  """

  def __init__(self, kind: str, decay_steps: int, num_periods: float = 0.5,
               zero_after=None):
    if kind not in ("linear", "cosine", "restart"):
      raise ValueError(f"kind must be 'linear', 'cosine' or 'restart'; received: {kind!r}")
    _check_positive("decay_steps", decay_steps)
    _check_positive("num_periods", num_periods)
    self.kind, self.decay_steps = kind, decay_steps
    self.num_periods, self.zero_after = num_periods, zero_after

  def __call__(self, step):
    steps = float(self.decay_steps)
    t = tf.minimum(tf.cast(step, tf.float32), steps)
    if self.kind == "linear":
      return (steps - t) / steps
    if self.kind == "cosine":
      fraction = 2.0 * self.num_periods * t / steps
      decayed = 0.5 * (1.0 + tf.cos(math.pi * fraction))
      if self.zero_after is not None:
        decayed = tf.where(fraction >= 2.0 * self.zero_after, 0.0, decayed)
      return decayed
    fraction = tf.math.floormod(self.num_periods * t, steps) / steps
    decayed = 0.5 * (1.0 + tf.cos(math.pi * fraction))
    if self.zero_after is not None:
      decayed = tf.where(self.num_periods * t / steps >= self.zero_after, 0.0, decayed)
    return decayed

  def get_config(self):
    return {"kind": self.kind, "decay_steps": self.decay_steps,
            "num_periods": self.num_periods, "zero_after": self.zero_after}

  @classmethod
  def from_config(cls, config):
    return cls(**config)


def linear_sign_decay(decay_steps: int) -> SignDecay:
  """d(t) = 1 - min(t, T) / T (the paper's linear decay)."""
  return SignDecay("linear", decay_steps)


def cosine_sign_decay(decay_steps: int, num_periods: float = 0.5,
                      zero_after=None) -> SignDecay:
  """Cosine decay of the sign term (half a period by default: 1 -> 0 over T)."""
  return SignDecay("cosine", decay_steps, num_periods, zero_after)


def restart_sign_decay(decay_steps: int, num_periods: float = 1.0,
                       zero_after=None) -> SignDecay:
  """Cosine decay that restarts `num_periods` times over T (cyclical, §5)."""
  return SignDecay("restart", decay_steps, num_periods, zero_after)


@keras.saving.register_keras_serializable(package="metazoo")
class LinearCosineDecay(keras.optimizers.schedules.LearningRateSchedule):
  """The linear cosine learning-rate decay of §5 (`tf.train.linear_cosine_decay`):

      lr(t) = lr0 * ((alpha + (T - t') / T) * 0.5 (1 + cos(2 pi p t' / T)) + beta),
      t' = min(t, T), p = num_periods.
  """

  def __init__(self, initial_learning_rate, decay_steps: int, num_periods: float = 0.5,
               alpha: float = 0.0, beta: float = 0.001):
    _check_positive("decay_steps", decay_steps)
    self.initial_learning_rate = initial_learning_rate
    self.decay_steps, self.num_periods = decay_steps, num_periods
    self.alpha, self.beta = alpha, beta

  def __call__(self, step):
    steps = float(self.decay_steps)
    t = tf.minimum(tf.cast(step, tf.float32), steps)
    linear = (steps - t) / steps
    cosine = 0.5 * (1.0 + tf.cos(math.pi * 2.0 * self.num_periods * t / steps))
    return self.initial_learning_rate * ((self.alpha + linear) * cosine + self.beta)

  def get_config(self):
    return {"initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps, "num_periods": self.num_periods,
            "alpha": self.alpha, "beta": self.beta}


def linear_cosine_decay(initial_learning_rate, decay_steps: int, num_periods: float = 0.5,
                        alpha: float = 0.0, beta: float = 0.001) -> LinearCosineDecay:
  return LinearCosineDecay(initial_learning_rate, decay_steps, num_periods, alpha, beta)


def powersign_step(w, m, g, lr, log_base, sign_decay, beta):
  """(new w, new m) of one PowerSign step (the math of `PowerSign`)."""
  m = beta * m + (1.0 - beta) * g
  return w - lr * tf.exp(log_base * sign_decay * tf.sign(g) * tf.sign(m)) * g, m


def addsign_step(w, m, g, lr, alpha, sign_decay, beta):
  """(new w, new m) of one AddSign step (the math of `AddSign`)."""
  m = beta * m + (1.0 - beta) * g
  return w - lr * (alpha + sign_decay * tf.sign(g) * tf.sign(m)) * g, m


class _SignOptimizer(keras.optimizers.Optimizer):
  """The shared part: the moving average m and the sign decay d(t)."""

  def __init__(self, learning_rate, beta, sign_decay, name, **kwargs):
    super().__init__(learning_rate=learning_rate, name=name, **kwargs)
    if not 0 <= beta < 1:
      raise ValueError(f"beta must be in [0, 1); received: beta={beta}")
    if isinstance(sign_decay, dict):
      sign_decay = SignDecay.from_config(sign_decay)
    if not (callable(sign_decay) or isinstance(sign_decay, (int, float))):
      raise ValueError(f"sign_decay must be a number or a SignDecay; received: "
                       f"{sign_decay!r}")
    self.beta = beta
    self.sign_decay = sign_decay

  def build(self, var_list):
    if self.built:
      return
    super().build(var_list)
    self._m = [self.add_variable_from_reference(v, name="m") for v in var_list]

  def _decay(self, dtype):
    if callable(self.sign_decay):
      return tf.cast(self.sign_decay(self.iterations), dtype)
    return tf.cast(self.sign_decay, dtype)

  def get_config(self):
    decay = self.sign_decay
    return dict(super().get_config(), beta=self.beta,
                sign_decay=decay.get_config() if isinstance(decay, SignDecay) else decay)


@keras.saving.register_keras_serializable(package="metazoo")
class PowerSign(_SignOptimizer):
  """PowerSign: w <- w - lr * base^(d(t) sign(g) sign(m)) * g (Bello et al. §5).

  Args:
    learning_rate: float or schedule (e.g. `linear_cosine_decay`); the paper's 0.1.
    base: the base of the power (e by default; 2 is the other released choice).
    beta: decay of the moving average m of the gradients.
    sign_decay: d(t): a number or a `SignDecay` (linear / cosine / restart).
  """

  def __init__(self, learning_rate=0.1, base=math.e, beta=0.9, sign_decay=1.0,
               name="powersign", **kwargs):
    super().__init__(learning_rate, beta, sign_decay, name, **kwargs)
    _check_positive("base", base)
    self.base = base

  def update_step(self, gradient, variable, learning_rate):
    dtype = variable.dtype
    m = self._m[self._get_variable_index(variable)]
    new_w, new_m = powersign_step(
        variable, m, tf.cast(gradient, dtype), tf.cast(learning_rate, dtype),
        math.log(self.base), self._decay(dtype), self.beta)
    self.assign(m, new_m)
    self.assign(variable, new_w)

  def get_config(self):
    return dict(super().get_config(), base=self.base)


@keras.saving.register_keras_serializable(package="metazoo")
class AddSign(_SignOptimizer):
  """AddSign: w <- w - lr * (alpha + d(t) sign(g) sign(m)) * g (Bello et al. §5).

  Args:
    learning_rate: float or schedule; the paper's 0.1.
    alpha: the constant added to the sign agreement (1 by default).
    beta: decay of the moving average m of the gradients.
    sign_decay: d(t): a number or a `SignDecay` (linear / cosine / restart).
  """

  def __init__(self, learning_rate=0.1, alpha=1.0, beta=0.9, sign_decay=1.0,
               name="addsign", **kwargs):
    super().__init__(learning_rate, beta, sign_decay, name, **kwargs)
    self.alpha = alpha

  def update_step(self, gradient, variable, learning_rate):
    dtype = variable.dtype
    m = self._m[self._get_variable_index(variable)]
    new_w, new_m = addsign_step(
        variable, m, tf.cast(gradient, dtype), tf.cast(learning_rate, dtype),
        self.alpha, self._decay(dtype), self.beta)
    self.assign(m, new_m)
    self.assign(variable, new_w)

  def get_config(self):
    return dict(super().get_config(), alpha=self.alpha)
