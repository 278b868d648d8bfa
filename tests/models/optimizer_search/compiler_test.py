"""Operands, functions, compiled rules: against NumPy and hand-computed steps."""

from absl.testing import absltest
from absl.testing import parameterized
import keras
import numpy as np
import tensorflow as tf

from models.optimizer_search import children
from models.optimizer_search import compiler
from models.optimizer_search import language
from models.optimizer_search import ops
from models.optimizer_search import search

RNG = np.random.default_rng(0)
G = RNG.normal(size=[3, 5]).astype(np.float32)
W = RNG.normal(size=[3, 5]).astype(np.float32)
M0, V0, Y0 = (RNG.normal(size=[3, 5]).astype(np.float32) * s for s in (0.1, 0.0, 0.01))
V0 = np.abs(RNG.normal(size=[3, 5])).astype(np.float32) * 0.01
T = 3.0
M = 0.9 * M0 + 0.1 * G
V = 0.999 * V0 + 0.001 * G**2
Y = 0.999 * Y0 + 0.001 * G**3
M_HAT, V_HAT, Y_HAT = M / (1 - 0.9**T), V / (1 - 0.999**T), Y / (1 - 0.999**T)
EXPECTED_OPERANDS = {
    "g": G, "g2": G**2, "g3": G**3, "m": M_HAT, "v": V_HAT, "y": Y_HAT,
    "sign_g": np.sign(G), "sign_m": np.sign(M), "one": np.ones_like(G),
    "two": 2 * np.ones_like(G), "wd4": 1e-4 * W, "wd3": 1e-3 * W,
    "adam": M_HAT / (np.sqrt(V_HAT) + 1e-8), "rmsprop": G / (np.sqrt(V_HAT) + 1e-8),
}
X = RNG.normal(size=[3, 5]).astype(np.float32)
Z = RNG.normal(size=[3, 5]).astype(np.float32)
DRAW = RNG.uniform(size=[3, 5]).astype(np.float32)


def _slots():
  return ops.update_slots({"m": tf.constant(M0), "v": tf.constant(V0),
                           "y": tf.constant(Y0)}, tf.constant(G))


class OpsTest(parameterized.TestCase):

  def test_every_operand_is_covered(self):
    self.assertEqual(set(EXPECTED_OPERANDS) | {"noise"}, set(language.OPERANDS))

  @parameterized.parameters(*EXPECTED_OPERANDS)
  def test_operand(self, name):
    got = ops.operand(name, tf.constant(G), tf.constant(W), _slots(), tf.constant(T),
                      lambda s: tf.zeros(s))
    np.testing.assert_allclose(got, EXPECTED_OPERANDS[name], rtol=2e-5, atol=1e-7)

  def test_noise_operand_is_scaled_normal(self):
    got = ops.operand("noise", tf.constant(G), tf.constant(W), {}, tf.constant(T),
                      lambda s: tf.fill(s, 2.0))
    np.testing.assert_allclose(got, np.full_like(G, 0.02))

  @parameterized.parameters(
      ("identity", X), ("neg", -X), ("exp", np.exp(X)),
      ("log_abs", np.log(np.abs(X) + 1e-8)), ("sqrt_abs", np.sqrt(np.abs(X))),
      ("clip", np.clip(X, -1e-3, 1e-3)), ("drop", np.where(DRAW >= 0.3, X, 0.0)),
      ("sign", np.sign(X)))
  def test_unary(self, fn, expected):
    got = ops.apply_unary(fn, tf.constant(X), lambda s: tf.constant(DRAW))
    np.testing.assert_allclose(got, expected, rtol=1e-6)

  def test_every_function_is_covered(self):
    self.assertLen(language.UNARY, 8)
    self.assertEqual(set(language.BINARY), {"add", "sub", "mul", "div", "keep"})

  @parameterized.parameters(
      ("add", X + Z), ("sub", X - Z), ("mul", X * Z), ("div", X / (Z + 1e-8)),
      ("keep", X))
  def test_binary(self, fn, expected):
    np.testing.assert_allclose(ops.apply_binary(fn, tf.constant(X), tf.constant(Z)),
                               expected, rtol=1e-6)

  def test_unknown_names_raise(self):
    with self.assertRaisesRegex(ValueError, "Unknown operand 'h'"):
      ops.operand("h", G, W, {}, T, None)
    with self.assertRaisesRegex(ValueError, "Unknown unary function 'cos'"):
      ops.apply_unary("cos", X, None)
    with self.assertRaisesRegex(ValueError, "Unknown binary function 'pow'"):
      ops.apply_binary("pow", X, Z)


class RuleOptimizerTest(absltest.TestCase):

  def _run(self, rule, grads, lr=0.1):
    var = keras.Variable(np.array([0.5, -1.0, 2.0], np.float32))
    opt = compiler.RuleOptimizer(rule, learning_rate=lr)
    opt.build([var])
    for g in grads:
      opt.apply_gradients([(tf.constant(g, tf.float32), var)])
    return var.numpy(), opt

  def test_step_matches_a_hand_computation(self):
    # w <- w - lr * (sign(m_hat) * sqrt|v_hat| + adam / 2) over three steps.
    rule = "add(mul(sign_m, sqrt_abs(v)), div(adam, two))"
    grads = [np.array([0.3, -0.2, 0.1]), np.array([-0.4, -0.1, 0.2]),
             np.array([0.5, 0.3, -0.6])]
    w = np.array([0.5, -1.0, 2.0])
    m = v = np.zeros(3)
    for t, g in enumerate(grads, start=1):
      m = 0.9 * m + 0.1 * g
      v = 0.999 * v + 0.001 * g**2
      m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
      w = w - 0.1 * (np.sign(m) * np.sqrt(v_hat)
                     + m_hat / (np.sqrt(v_hat) + 1e-8) / (2 + 1e-8))
    got, _ = self._run(rule, grads)
    np.testing.assert_allclose(got, w, rtol=1e-5)

  def test_powersign_rule_matches_the_kernel(self):
    grads = [np.array([0.3, -0.2, 0.1]), np.array([-0.4, -0.1, 0.2])]
    got, _ = self._run("mul(exp(mul(sign_g, sign_m)), g)", grads)
    var = tf.Variable(np.array([0.5, -1.0, 2.0], np.float32))
    m = tf.Variable(tf.zeros(3))
    for g in grads:
      tf.raw_ops.ResourceApplyPowerSign(
          var=var.handle, m=m.handle, lr=0.1, logbase=1.0, sign_decay=1.0, beta=0.9,
          grad=tf.constant(g, tf.float32))
    np.testing.assert_allclose(got, var.numpy(), rtol=1e-6)

  def test_optimizer_holds_exactly_the_slots_the_rule_needs(self):
    for rule, slots in (("g", 0), ("mul(sign_g, g)", 0), ("mul(exp(mul(sign_g, sign_m)), g)",
                        1), ("adam", 2), ("add(adam, y)", 3), ("keep(g, adam)", 0)):
      _, opt = self._run(rule, [np.ones(3)])
      # Keras' own variables: the iteration count and the learning rate.
      self.assertLen(opt.variables, 2 + slots, rule)

  def test_weight_decay_reads_the_variable(self):
    got, _ = self._run("wd3", [np.zeros(3)], lr=1.0)
    np.testing.assert_allclose(got, np.array([0.5, -1.0, 2.0]) * (1 - 1e-3), rtol=1e-6)

  def test_invalid_rule_is_refused_with_the_token(self):
    with self.assertRaisesRegex(language.RuleSyntaxError, "unknown token 'gg'"):
      compiler.RuleOptimizer("mul(gg, g)")

  def test_config_round_trip_and_fit(self):
    opt = compiler.RuleOptimizer("mul(exp(mul(sign_g, sign_m)), g)", learning_rate=0.05)
    clone = compiler.RuleOptimizer.from_config(opt.get_config())
    self.assertEqual(language.to_text(clone.rule), language.to_text(opt.rule))
    x = np.random.default_rng(0).normal(size=[64, 3]).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    model = keras.Sequential([keras.Input([3]), keras.layers.Dense(1)])
    model.compile(optimizer=clone, loss="mse")
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    self.assertLess(history.history["loss"][-1], 0.1 * history.history["loss"][0])


class BatchedAndInterpretedTest(absltest.TestCase):

  def test_interpreter_equals_the_compiled_rule(self):
    rng = np.random.default_rng(3)
    tokens = search.random_tokens(rng, [150], 2)
    random_ops = {"noise"}
    keep = [i for i, t in enumerate(tokens) if not (
        language.operands_of(language.canonical(language.rule_from_tokens(t, 2)))
        & random_ops) and "drop" not in search.rule_text(t, 2)]
    tokens = tokens[keep]
    b = len(tokens)
    g = tf.constant(rng.normal(size=[b, 6]).astype(np.float32))
    w = tf.constant(rng.normal(size=[b, 6]).astype(np.float32))
    slots = ops.update_slots({k: tf.constant(0.1 * rng.normal(size=[b, 6]) ** 2, tf.float32)
                              for k in ("m", "v", "y")}, g)
    t = tf.constant(2.0)
    got = children.interpret_tokens(tf.constant(tokens), 2, g, w, slots, t, tf.zeros,
                                   tf.zeros)
    for i, row in enumerate(tokens):
      rule = language.rule_from_tokens(row, 2)
      want = compiler.evaluate_rule(
          rule, lambda n, i=i: ops.operand(n, g[i], w[i], {k: s[i] for k, s in
                                                          slots.items()}, t, None), None)
      np.testing.assert_allclose(got[i], want, rtol=1e-5, atol=1e-6,
                                 err_msg=search.rule_text(row, 2))

  def test_batched_rule_equals_the_keras_optimizer(self):
    rule = "add(mul(sign_m, rmsprop), wd3)"
    batched = compiler.batched_rule(rule)
    init, update = batched.init, batched.update
    params = [tf.constant([[0.5, -1.0, 2.0]])]
    state = init(params)
    var = keras.Variable(np.array([0.5, -1.0, 2.0], np.float32))
    opt = compiler.RuleOptimizer(rule, learning_rate=0.1)
    for g in ([0.3, -0.2, 0.1], [-0.4, -0.1, 0.2], [0.5, 0.3, -0.6]):
      updates, state = update([tf.constant([g])], state, tf.constant([0.1]))
      params = [params[0] + updates[0]]
      opt.apply_gradients([(tf.constant(g), var)])
    np.testing.assert_allclose(params[0][0], var.numpy(), rtol=1e-6)


if __name__ == "__main__":
  absltest.main()
