"""Gaussian-process functions on the unit box: the training distribution of Chen et al.

Chen et al. (2016), §2.2: the RNN is trained on functions drawn from a GP prior. A
sample must be differentiable along the query sequence for backpropagation through
time, so it is drawn the way the paper suggests, one query at a time from the
posterior given the queries so far:

    y_t = mu_t(x_t) + sigma_t(x_t) * eps_t,    eps_t ~ N(0, 1),

where mu_t, sigma_t are the GP posterior mean and standard deviation given
(x_1, y_1) .. (x_{t-1}, y_{t-1}) (`ExactGPSampler`). With the Cholesky factor L of
the kernel matrix of the queries grown by one row per query, mu_t = ell . eps_{<t} and
sigma_t^2 = k(x_t, x_t) - |ell|^2 with ell = L^{-1} k(X_{<t}, x_t): y_{1..T} = L eps is
then exactly a draw of the GP at the queried points, whatever points are queried.

For evaluation every method must query the same fixed function, which a sequential
sample is not; there each task is a random-Fourier-feature function (Rahimi & Recht
2007) with the same kernel and length scales (`rff_values`, `RFFFunction`):

    f(x) = sqrt(2 / F) sum_j a_j cos(omega_j . x + b_j),

a_j ~ N(0, 1), b_j ~ U[0, 2 pi), omega_j from the kernel's spectral density, whose
covariance is exactly the kernel's (Bochner's theorem) and whose marginals are
Gaussian as F grows. Its global minimum on the box is found by a dense search and
L-BFGS-B (`tasks.gp_tasks`), so regret is measurable.

Each task's kernel, length scales, eps and features come from its own stateless
seed (`models.optimizees.base.task_seeds`), so train / validation / test functions
never coincide and task i is the same in any batch.
"""

import dataclasses
import math

import numpy as np
import tensorflow as tf

from models.optimizees import base as optimizees_base

__all__ = [
    "ExactGPSampler",
    "GPFamily",
    "KERNELS",
    "RFFFunction",
    "kernel_matrix",
    "kernel_of_r2",
    "rff_values",
]

# Stationary kernels with unit signal variance, as functions of the scaled squared
# distance r^2 = sum_i ((x_i - x'_i) / l_i)^2.
KERNELS = ("rbf", "matern32", "matern52")
_MATERN_NU = {"matern32": 1.5, "matern52": 2.5}
DTYPE = tf.float64


def _safe_r(r2):
  # sqrt with a finite gradient at r = 0 (Matern kernels are differentiable there;
  # d sqrt(r2) / d r2 is not).
  return tf.sqrt(tf.maximum(r2, 1e-18))


def kernel_of_r2(name: str, r2):
  """k(r^2) of kernel `name` (unit variance).

    rbf:       exp(-r^2 / 2)
    matern32:  (1 + sqrt(3) r) exp(-sqrt(3) r)
    matern52:  (1 + sqrt(5) r + 5 r^2 / 3) exp(-sqrt(5) r)
  """
  if name == "rbf":
    return tf.exp(-0.5 * r2)
  if name == "matern32":
    r = math.sqrt(3.0) * _safe_r(r2)
    return (1.0 + r) * tf.exp(-r)
  if name == "matern52":
    r = math.sqrt(5.0) * _safe_r(r2)
    return (1.0 + r + r * r / 3.0) * tf.exp(-r)
  raise ValueError(f"kernel must be one of {KERNELS}; received: {name!r}")


def kernel_matrix(kernels, kernel_index, length_scales, x1, x2):
  """k(x1, x2) `[B, n, m]` for points `[B, n, d]`, `[B, m, d]`.

  Args:
    kernels: the kernel names task kernel indices refer to.
    kernel_index: `[B]` int, each task's kernel (an index into `kernels`).
    length_scales: `[B, d]`, the per-dimension length scales l_i.
  """
  diff = (x1[:, :, None, :] - x2[:, None, :, :]) / length_scales[:, None, None, :]
  r2 = tf.reduce_sum(tf.square(diff), axis=-1)
  if len(kernels) == 1:
    return kernel_of_r2(kernels[0], r2)
  out = tf.zeros_like(r2)
  for i, name in enumerate(kernels):
    mask = tf.cast(tf.equal(kernel_index, i), r2.dtype)[:, None, None]
    out += mask * kernel_of_r2(name, r2)
  return out


@dataclasses.dataclass(frozen=True)
class GPFamily:
  """GP functions on [0, 1]^dim: kernel from `kernels`, length scales log-uniform.

  Attributes:
    dim: input dimension d.
    kernels: kernel names, drawn uniformly per task.
    length_scale_min, length_scale_max: each l_i ~ logU[min, max], independently.
    jitter: variance added to the kernel matrix's diagonal in `ExactGPSampler`.
    rff_features: F of the evaluation functions (`rff_values`).
  """
  dim: int = 2
  kernels: tuple = ("rbf", "matern52")
  length_scale_min: float = 0.1
  length_scale_max: float = 0.4
  jitter: float = 1e-6
  rff_features: int = 1024

  salt = 53

  def seeds(self, split: str, start, count: int) -> tf.Tensor:
    return optimizees_base.task_seeds(split, start, count, self.salt)

  def _params_one(self, seed):
    s = tf.random.experimental.stateless_split(seed, 2)
    kernel = tf.random.stateless_uniform([], s[0], 0, len(self.kernels), tf.int32)
    log_ls = tf.random.stateless_uniform(
        [self.dim], s[1], math.log(self.length_scale_min),
        math.log(self.length_scale_max), DTYPE)
    return {"kernel": kernel, "length_scales": tf.exp(log_ls)}

  def _stream(self, seed, index: int):
    # Substreams: 0 kernel and length scales, 1 the exact sampler's eps, 2 the RFF.
    return tf.random.experimental.stateless_split(seed, 3)[index]

  def _map(self, fn, seeds, signature):
    def mapped(seeds):
      return tf.map_fn(fn, seeds, fn_output_signature=signature,
                       parallel_iterations=32)
    if tf.executing_eagerly():  # Eager map_fn runs op by op; compile it.
      return tf.function(mapped, autograph=False)(seeds)
    return mapped(seeds)

  def sample_params(self, seeds):
    """{"kernel": `[B]` int32, "length_scales": `[B, d]` float64} of tasks `seeds`."""
    signature = {"kernel": tf.TensorSpec([], tf.int32),
                 "length_scales": tf.TensorSpec([self.dim], DTYPE)}
    return self._map(lambda s: self._params_one(self._stream(s, 0)), seeds, signature)

  def sample_eps(self, seeds, horizon: int):
    """The exact sampler's eps_1..eps_T `[B, T]` of tasks `seeds`."""
    return self._map(
        lambda s: tf.random.stateless_normal([horizon], self._stream(s, 1), dtype=DTYPE),
        seeds, tf.TensorSpec([horizon], DTYPE))

  def sample_rff(self, seeds):
    """The fixed evaluation function of each task: params plus omega `[B, F, d]`,
    phase `[B, F]`, weight `[B, F]`."""
    f, d = self.rff_features, self.dim

    def one(seed):
      params = self._params_one(self._stream(seed, 0))
      s = tf.random.experimental.stateless_split(self._stream(seed, 2), 4)
      z = tf.random.stateless_normal([f, d], s[0], dtype=DTYPE)
      # Spectral density: N(0, diag(1 / l^2)) for the RBF kernel; for Matern-nu a
      # multivariate Student-t with 2 nu degrees of freedom, z / l * sqrt(2 nu / g),
      # g ~ chi^2_{2 nu} = Gamma(nu, scale 2).
      scale = tf.ones([f], DTYPE)
      for i, name in enumerate(self.kernels):
        if name in _MATERN_NU:
          nu = _MATERN_NU[name]
          g = 2.0 * tf.random.stateless_gamma([f], s[1], alpha=tf.constant(nu, DTYPE),
                                              dtype=DTYPE)
          scale = tf.where(tf.equal(params["kernel"], i), tf.sqrt(2.0 * nu / g), scale)
      omega = z / params["length_scales"][None, :] * scale[:, None]
      phase = tf.random.stateless_uniform([f], s[2], 0.0, 2.0 * math.pi, DTYPE)
      weight = tf.random.stateless_normal([f], s[3], dtype=DTYPE)
      return dict(params, omega=omega, phase=phase, weight=weight)

    signature = {"kernel": tf.TensorSpec([], tf.int32),
                 "length_scales": tf.TensorSpec([d], DTYPE),
                 "omega": tf.TensorSpec([f, d], DTYPE),
                 "phase": tf.TensorSpec([f], DTYPE),
                 "weight": tf.TensorSpec([f], DTYPE)}
    return self._map(one, seeds, signature)

  def exact_sampler(self, params, eps) -> "ExactGPSampler":
    return ExactGPSampler(kernels=self.kernels, params=params, eps=eps,
                          jitter=self.jitter)


class ExactGPSampler:
  """Draws y_t = mu_t(x_t) + sigma_t(x_t) eps_t along a query sequence, batched.

  State: the queries X `[B, t, d]` and the Cholesky factor L `[B, t, t]` of
  K(X, X) + jitter I. `query` grows both by one; everything is differentiable in the
  queried points (the Python loop that calls it is unrolled in the graph).

      sampler = family.exact_sampler(params, eps)
      state = sampler.initial_state()
      for t in range(T):
        y, mu, sigma, state = sampler.query(state, x_t, t)
  """

  def __init__(self, kernels, params, eps, jitter: float):
    self.kernels = tuple(kernels)
    self.kernel = params["kernel"]
    self.length_scales = params["length_scales"]
    self.eps = eps
    self.jitter = jitter

  def initial_state(self):
    b = tf.shape(self.eps)[0]
    d = self.length_scales.shape[-1]
    return (tf.zeros([b, 0, d], DTYPE), tf.zeros([b, 0, 0], DTYPE))

  def posterior(self, state, x):
    """(mu_t, sigma_t, ell) at points x `[B, d]` given the queries in `state`."""
    xs, chol = state
    x = tf.cast(x, DTYPE)
    prior_var = 1.0 + self.jitter
    if xs.shape[1] == 0:
      zero = tf.zeros_like(x[:, 0])
      return zero, math.sqrt(prior_var) + zero, tf.zeros_like(x[:, :0])
    k = kernel_matrix(self.kernels, self.kernel, self.length_scales, xs, x[:, None, :])
    ell = tf.linalg.triangular_solve(chol, k, lower=True)[:, :, 0]  # ell = L^{-1} k
    t = xs.shape[1]
    mu = tf.reduce_sum(ell * self.eps[:, :t], axis=-1)  # mu_t = ell . eps_{<t}
    # sigma_t^2 = k(x, x) + jitter - |ell|^2, floored at the jitter.
    var = tf.maximum(prior_var - tf.reduce_sum(tf.square(ell), axis=-1), self.jitter)
    return mu, tf.sqrt(var), ell

  def query(self, state, x, t: int):
    """Observes the sample at x `[B, d]` (query number t, from 0).

    Returns:
      (y_t `[B]`, mu_t `[B]`, sigma_t `[B]`, new state), float64.
    """
    xs, chol = state
    mu, sigma, ell = self.posterior(state, x)
    y = mu + sigma * self.eps[:, t]
    x = tf.cast(x, DTYPE)
    zeros = tf.zeros_like(xs[:, :, :1])  # [B, t, 1]
    new_row = tf.concat([ell, sigma[:, None]], axis=-1)[:, None, :]
    chol = tf.concat([tf.concat([chol, zeros], axis=-1), new_row], axis=1)
    return y, mu, sigma, (tf.concat([xs, x[:, None, :]], axis=1), chol)


def rff_values(rff, x):
  """f(x) of a batch of RFF functions at points x `[B, n, d]` (or `[B, d]`)."""
  squeeze = len(x.shape) == 2
  x = tf.cast(x, DTYPE)
  if squeeze:
    x = x[:, None, :]
  proj = tf.einsum("bnd,bfd->bnf", x, rff["omega"]) + rff["phase"][:, None, :]
  features = tf.cast(tf.shape(rff["weight"])[-1], DTYPE)
  values = tf.sqrt(2.0 / features) * tf.einsum("bnf,bf->bn", tf.cos(proj),
                                               rff["weight"])
  return values[:, 0] if squeeze else values


class RFFFunction:
  """One RFF function as a NumPy callable on [0, 1]^d (for the baselines and users).

  `f(x)` takes `[d]` (returns a float) or `[n, d]` (returns `[n]`); `f.grad(x)` the
  gradient at `[d]`.
  """

  def __init__(self, omega, phase, weight):
    self.omega = np.asarray(omega, np.float64)
    self.phase = np.asarray(phase, np.float64)
    self.weight = np.asarray(weight, np.float64)
    self.dim = self.omega.shape[1]
    self._scale = math.sqrt(2.0 / self.omega.shape[0])

  @classmethod
  def from_batch(cls, rff, i: int) -> "RFFFunction":
    return cls(rff["omega"][i].numpy(), rff["phase"][i].numpy(),
               rff["weight"][i].numpy())

  def __call__(self, x):
    x = np.asarray(x, np.float64)
    values = self._scale * (np.cos(x.reshape(-1, self.dim) @ self.omega.T + self.phase)
                            @ self.weight)
    return float(values[0]) if x.ndim == 1 else values

  def grad(self, x):
    x = np.asarray(x, np.float64)
    s = np.sin(self.omega @ x + self.phase)
    return -self._scale * ((self.weight * s) @ self.omega)
