"""The rule language: text round trips, token form, canonical form, errors."""

from absl.testing import absltest
from absl.testing import parameterized
import numpy as np

from models.optimizer_search import language
from models.optimizer_search import search

POWERSIGN = "mul(exp(mul(sign_g, sign_m)), g)"


class TextTest(parameterized.TestCase):

  def test_random_rules_round_trip_through_the_text_form(self):
    rng = np.random.default_rng(0)
    for units in (1, 2, 3):
      for tokens in search.random_tokens(rng, [200], units):
        rule = language.rule_from_tokens(tokens, units)
        self.assertEqual(language.parse(language.to_text(rule)), rule)
        text = language.to_text(language.canonical(rule))
        self.assertEqual(language.to_text(language.parse(text)), text)
        self.assertEqual(language.canonical(language.parse(text)),
                         language.canonical(rule))

  def test_nested_rule_parses_to_its_tree(self):
    rule = language.parse(POWERSIGN)
    expected = language.Binary("mul", language.Unary("exp", language.Binary(
        "mul", language.Operand("sign_g"), language.Operand("sign_m"))),
        language.Operand("g"))
    self.assertEqual(rule, expected)
    self.assertEqual(language.to_text(rule), POWERSIGN)

  def test_whitespace_is_ignored(self):
    self.assertEqual(language.parse("  mul( exp(mul(sign_g,sign_m)) ,g ) "),
                     language.parse(POWERSIGN))

  def test_canonical_drops_identity_and_keep(self):
    rule = language.parse("keep(identity(mul(identity(g), sign_m)), exp(g3))")
    self.assertEqual(language.to_text(language.canonical(rule)), "mul(g, sign_m)")

  def test_slots_are_those_the_rule_reads(self):
    self.assertEqual(language.slots_of(language.parse("g")), ())
    self.assertEqual(language.slots_of(language.parse(POWERSIGN)), ("m",))
    self.assertEqual(language.slots_of(language.parse("adam")), ("m", "v"))
    self.assertEqual(language.slots_of(language.parse("add(rmsprop, y)")), ("v", "y"))
    # The right side of keep is never computed, so its slot is not needed.
    self.assertEqual(language.slots_of(language.parse("keep(g, adam)")), ())

  @parameterized.parameters(
      ("mul(foo, g)", "unknown token 'foo'", 5, 3),
      ("mul(g g)", "expected ','", 7, 1),
      ("exp(g, g)", "expected ')'", 6, 1),
      ("add(g,", "found end of rule", 7, 1),
      ("g)", "expected the end of the rule", 2, 1),
      ("mul(g, $)", "unexpected character '$'", 8, 1),
      ("sign", "expected '(' after unary function 'sign'", 5, 1),
  )
  def test_invalid_rule_points_at_the_bad_token(self, text, what, column, width):
    with self.assertRaises(language.RuleSyntaxError) as cm:
      language.parse(text)
    message = str(cm.exception)
    self.assertIn(what, message)
    self.assertIn(f"column {column}", message)
    caret_line = message.splitlines()[-1]
    self.assertEqual(caret_line, "  " + " " * (column - 1) + "^" * width)
    self.assertIn(text, message)

  def test_non_string_is_refused(self):
    with self.assertRaisesRegex(language.RuleSyntaxError, "received: 3"):
      language.parse(3)


class TokenTest(absltest.TestCase):

  def test_powersign_in_tokens(self):
    tokens = (language.tokens_of_unit("sign_g", "sign_m", "identity", "identity", "mul")
              + language.tokens_of_unit("o1", "g", "exp", "identity", "mul"))
    rule = language.canonical(language.rule_from_tokens(tokens, 2))
    self.assertEqual(language.to_text(rule), POWERSIGN)

  def test_vocab_sizes(self):
    self.assertEqual(language.token_vocab_sizes(2),
                     (len(language.OPERANDS) + 1, len(language.UNARY),
                      len(language.BINARY)))

  def test_operand_of_a_later_unit_is_refused(self):
    tokens = language.tokens_of_unit("o1", "g", "identity", "identity", "add") * 2
    with self.assertRaisesRegex(ValueError, "unit 0: operand 1 index 15"):
      language.rule_from_tokens(tokens, 2)

  def test_wrong_length_and_range_are_refused(self):
    with self.assertRaisesRegex(ValueError, "5 \\* num_units = 10"):
      language.rule_from_tokens([0] * 5, 2)
    with self.assertRaisesRegex(ValueError, "function token 3 index 9"):
      language.rule_from_tokens([0, 0, 0, 0, 9], 1)

  def test_random_tokens_are_valid_and_cover_the_choices(self):
    tokens = search.random_tokens(np.random.default_rng(1), [3, 400], 2)
    self.assertEqual(tokens.shape, (3, 400, 10))
    for row in tokens.reshape(-1, 10):
      language.rule_from_tokens(row, 2)
    self.assertEqual(tokens[..., 0].max(), len(language.OPERANDS) - 1)
    self.assertEqual(tokens[..., 5].max(), len(language.OPERANDS))  # o1 in unit 2.


if __name__ == "__main__":
  absltest.main()
