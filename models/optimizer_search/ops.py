"""What each operand, unary and binary function of the language computes.

Bello et al. (2017), §3.1. One definition serves the Keras optimizer compiled from a
rule (`compiler.py`) and the vectorised child runs of the search (`children.py`), so
the two agree by construction; the tests compare both with NumPy.
"""

import tensorflow as tf

__all__ = [
    "BETA_1", "BETA_2", "BETA_3", "DIV_DELTA", "DROP_RATE", "CLIP", "EPSILON",
    "LOG_EPS", "NOISE_STD", "apply_binary", "apply_unary", "operand", "update_slots",
]

BETA_1, BETA_2, BETA_3 = 0.9, 0.999, 0.999  # m_hat, v_hat, y_hat decay rates.
EPSILON = 1e-8  # In the Adam / RMSProp operands: x / (sqrt(v_hat) + eps).
DIV_DELTA = 1e-8  # div(x, y) = x / (y + delta).
LOG_EPS = 1e-8  # log_abs(x) = log(|x| + eps), finite at 0.
CLIP = 1e-3  # clip(x) = clip(x, -1e-3, 1e-3).
DROP_RATE = 0.3  # drop(x, 0.3).
NOISE_STD = 0.01  # The noise operand, N(0, 0.01^2).
_DECAY = {"m": BETA_1, "v": BETA_2, "y": BETA_3}


def update_slots(slots: dict, g):
  """The running averages after one more gradient: s <- beta s + (1 - beta) g^k."""
  power = {"m": 1, "v": 2, "y": 3}
  return {k: _DECAY[k] * s + (1.0 - _DECAY[k]) * g**power[k] for k, s in slots.items()}


def _hat(slots, key, t):
  """Bias correction s / (1 - beta^t), t >= 1 the step count including this step."""
  return slots[key] / (1.0 - tf.pow(_DECAY[key], t))


def operand(name: str, g, w, slots: dict, t, noise):
  """The operand `name` (see `language.OPERANDS`).

  Args:
    g, w: gradient and variable (same shape).
    slots: the running averages after this step's gradient ("m", "v", "y" as needed).
    t: float step count including this step (>= 1).
    noise: `noise(shape) -> N(0, 1)` samples.
  """
  if name == "g":
    return g
  if name == "g2":
    return tf.square(g)
  if name == "g3":
    return g * g * g
  if name in ("m", "v", "y"):
    return _hat(slots, name, t)
  if name == "sign_g":
    return tf.sign(g)
  if name == "sign_m":
    return tf.sign(slots["m"])  # The bias correction does not change the sign.
  if name == "one":
    return tf.ones_like(g)
  if name == "two":
    return 2.0 * tf.ones_like(g)
  if name == "noise":
    return NOISE_STD * noise(tf.shape(g))
  if name == "wd4":
    return 1e-4 * w
  if name == "wd3":
    return 1e-3 * w
  if name == "adam":
    return _hat(slots, "m", t) / (tf.sqrt(_hat(slots, "v", t)) + EPSILON)
  if name == "rmsprop":
    return g / (tf.sqrt(_hat(slots, "v", t)) + EPSILON)
  raise ValueError(f"Unknown operand {name!r}")


def apply_unary(fn: str, x, uniform):
  """u(x) for the unary function `fn`; `uniform(shape)` draws U[0, 1) for drop."""
  if fn == "identity":
    return x
  if fn == "neg":
    return -x
  if fn == "exp":
    return tf.exp(x)
  if fn == "log_abs":
    return tf.math.log(tf.abs(x) + LOG_EPS)
  if fn == "sqrt_abs":
    return tf.sqrt(tf.abs(x))
  if fn == "clip":
    return tf.clip_by_value(x, -CLIP, CLIP)
  if fn == "drop":
    return tf.where(uniform(tf.shape(x)) >= DROP_RATE, x, tf.zeros_like(x))
  if fn == "sign":
    return tf.sign(x)
  raise ValueError(f"Unknown unary function {fn!r}")


def apply_binary(fn: str, x, y):
  """b(x, y) for the binary function `fn`."""
  if fn == "add":
    return x + y
  if fn == "sub":
    return x - y
  if fn == "mul":
    return x * y
  if fn == "div":
    return x / (y + DIV_DELTA)
  if fn == "keep":
    return x
  raise ValueError(f"Unknown binary function {fn!r}")
