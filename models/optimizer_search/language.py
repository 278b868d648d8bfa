"""The update-rule language of Neural Optimizer Search (Bello et al. 2017, §3.1).

A rule is an expression tree; the parameter update is

    w <- w - lambda * rule,   rule = b(u1(op1), u2(op2))        (§3.1, eq. 1)

where op1, op2 are operands (`OPERANDS`), u1, u2 unary functions (`UNARY`) and b a
binary function (`BINARY`). Rules nest: in the controller's token form (Fig. 2), the
operands of unit k may be the outputs o_1..o_{k-1} of earlier units, and the last
unit's output is the rule.

Text form: an operand name, `unary(expr)` or `binary(expr, expr)`, e.g. PowerSign is
`mul(exp(mul(sign_g, sign_m)), g)`. `canonical` drops identities and the ignored
right side of `keep`, so equal rules print equally; the cache of scored rules is
keyed by that text.

Warning: the paper's operand list also has the cyclical learning rate and two more
weight-decay scales, and its unary list several clip / drop rates; we keep one of
each (the set below), which makes the search space smaller.
"""

import dataclasses
import re
from typing import Union

__all__ = [
    "BINARY",
    "Binary",
    "Node",
    "OPERANDS",
    "Operand",
    "RuleSyntaxError",
    "SLOTS",
    "UNARY",
    "Unary",
    "canonical",
    "operands_of",
    "parse",
    "rule_from_tokens",
    "slots_of",
    "to_text",
    "token_vocab_sizes",
]

# Operand -> description (§3.1; m, v, y are the paper's m_hat, v_hat, y_hat).
OPERANDS = {
    "g": "the gradient g",
    "g2": "g^2",
    "g3": "g^3",
    "m": "m_hat: running average of g (beta_1 = 0.9), bias-corrected",
    "v": "v_hat: running average of g^2 (beta_2 = 0.999), bias-corrected",
    "y": "y_hat: running average of g^3 (beta_3 = 0.999), bias-corrected",
    "sign_g": "sign(g)",
    "sign_m": "sign(m_hat)",
    "one": "the constant 1",
    "two": "the constant 2",
    "noise": "epsilon ~ N(0, 0.01^2), fresh each step",
    "wd4": "weight decay 1e-4 * w",
    "wd3": "weight decay 1e-3 * w",
    "adam": "the Adam step m_hat / (sqrt(v_hat) + 1e-8)",
    "rmsprop": "the RMSProp step g / (sqrt(v_hat) + 1e-8)",
}
UNARY = {
    "identity": "x",
    "neg": "-x",
    "exp": "e^x",
    "log_abs": "log(|x| + 1e-8)",
    "sqrt_abs": "sqrt(|x|)",
    "clip": "clip(x, -1e-3, 1e-3)",
    "drop": "x with probability 0.7, else 0 (drop(x, 0.3))",
    "sign": "sign(x)",
}
BINARY = {
    "add": "x + y",
    "sub": "x - y",
    "mul": "x * y",
    "div": "x / (y + 1e-8)",
    "keep": "x (keep left)",
}
# The running averages each operand reads (the optimizer slots a rule needs).
SLOTS = {"m": ("m",), "v": ("v",), "y": ("y",), "sign_m": ("m",),
         "adam": ("m", "v"), "rmsprop": ("v",)}
_OPERAND_LIST = tuple(OPERANDS)
_UNARY_LIST = tuple(UNARY)
_BINARY_LIST = tuple(BINARY)


class RuleSyntaxError(ValueError):
  """A rule text that does not parse, with a caret under the bad token."""


@dataclasses.dataclass(frozen=True)
class Operand:
  name: str


@dataclasses.dataclass(frozen=True)
class Unary:
  fn: str
  x: "Node"


@dataclasses.dataclass(frozen=True)
class Binary:
  fn: str
  x: "Node"
  y: "Node"


Node = Union[Operand, Unary, Binary]


def to_text(node: Node) -> str:
  """The text form of a rule (as written: identities and `keep` are printed)."""
  if isinstance(node, Operand):
    return node.name
  if isinstance(node, Unary):
    return f"{node.fn}({to_text(node.x)})"
  return f"{node.fn}({to_text(node.x)}, {to_text(node.y)})"


def canonical(node: Node) -> Node:
  """The same rule without identity(x) -> x and keep(x, y) -> x."""
  if isinstance(node, Operand):
    return node
  if isinstance(node, Unary):
    x = canonical(node.x)
    return x if node.fn == "identity" else Unary(node.fn, x)
  x = canonical(node.x)
  if node.fn == "keep":
    return x
  return Binary(node.fn, x, canonical(node.y))


def operands_of(node: Node) -> set:
  if isinstance(node, Operand):
    return {node.name}
  if isinstance(node, Unary):
    return operands_of(node.x)
  return operands_of(node.x) | operands_of(node.y)


def slots_of(node: Node) -> tuple:
  """The running averages (of "m", "v", "y") that the canonical rule reads, sorted."""
  names = operands_of(canonical(node))
  return tuple(sorted({s for name in names for s in SLOTS.get(name, ())}))


_TOKEN_RE = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|(.))")


def _tokens(text: str):
  """(kind, value, column) tokens of `text`; kind is "name", "(", ")", ",", "end"."""
  out = []
  pos = 0
  while pos < len(text):
    match = _TOKEN_RE.match(text, pos)
    if match.group(0).strip() == "":
      break
    if match.group(1):
      out.append(("name", match.group(1), match.start(1)))
    elif match.group(2) in "(),":
      out.append((match.group(2), match.group(2), match.start(2)))
    else:
      _fail(text, match.start(2), 1, f"unexpected character {match.group(2)!r}")
    pos = match.end()
  out.append(("end", "", len(text)))
  return out


def _fail(text, column, width, what):
  caret = " " * column + "^" * max(1, width)
  raise RuleSyntaxError(f"Invalid rule: {what} at column {column + 1}:\n  {text}\n  {caret}")


def parse(text: str) -> Node:
  """Parses the text form back into a rule.

  Raises:
    RuleSyntaxError: naming the bad token and its column, with a caret under it.
  """
  if not isinstance(text, str):
    raise RuleSyntaxError(f"A rule is a string; received: {text!r}")
  tokens = _tokens(text)
  pos = 0

  def expect(kind, what):
    nonlocal pos
    tok = tokens[pos]
    if tok[0] != kind:
      shown = "end of rule" if tok[0] == "end" else f"{tok[1]!r}"
      _fail(text, tok[2], len(tok[1]), f"expected {what}, found {shown}")
    pos += 1
    return tok

  def expr():
    nonlocal pos
    tok = tokens[pos]
    if tok[0] != "name":
      shown = "end of rule" if tok[0] == "end" else f"{tok[1]!r}"
      _fail(text, tok[2], len(tok[1]), f"expected an operand or function, found {shown}")
    name = tok[1]
    pos += 1
    if name in OPERANDS:
      return Operand(name)
    if name in UNARY:
      expect("(", f"'(' after unary function {name!r}")
      x = expr()
      expect(")", f"')' closing {name}(...) (a unary function takes one argument)")
      return Unary(name, x)
    if name in BINARY:
      expect("(", f"'(' after binary function {name!r}")
      x = expr()
      expect(",", f"',' in {name}(x, y) (a binary function takes two arguments)")
      y = expr()
      expect(")", f"')' closing {name}(x, y)")
      return Binary(name, x, y)
    _fail(text, tok[2], len(name),
          f"unknown token {name!r} (operands: {', '.join(OPERANDS)}; unary: "
          f"{', '.join(UNARY)}; binary: {', '.join(BINARY)})")

  node = expr()
  expect("end", "the end of the rule")
  return node


def token_vocab_sizes(num_units: int) -> tuple:
  """(operand choices, unary choices, binary choices) of the token form: operands are
  `OPERANDS` followed by the unit outputs o_1..o_{num_units-1}."""
  return len(_OPERAND_LIST) + num_units - 1, len(_UNARY_LIST), len(_BINARY_LIST)


def rule_from_tokens(tokens, num_units: int) -> Node:
  """The rule of a controller's token sequence (Fig. 2 of the paper).

  Args:
    tokens: `5 * num_units` integers; unit k reads (op1, op2, u1, u2, b). An operand
      index `len(OPERANDS) + j` is the output o_{j+1} of unit j (j < k).
    num_units: units in the sequence; the last one's output is the rule.

  Raises:
    ValueError: a token out of range or an operand that refers to a later unit.
  """
  tokens = [int(t) for t in tokens]
  if len(tokens) != 5 * num_units:
    raise ValueError(f"tokens must have 5 * num_units = {5 * num_units} entries; "
                     f"received {len(tokens)}")
  num_ops = len(_OPERAND_LIST)
  outputs = []
  for k in range(num_units):
    op1, op2, u1, u2, b = tokens[5 * k:5 * k + 5]
    args = []
    for i, op in enumerate((op1, op2)):
      if not 0 <= op < num_ops + k:
        raise ValueError(f"unit {k}: operand {i + 1} index {op} is out of range "
                         f"[0, {num_ops + k}) (units may read earlier outputs only)")
      args.append(Operand(_OPERAND_LIST[op]) if op < num_ops else outputs[op - num_ops])
    for i, (u, size) in enumerate(((u1, len(_UNARY_LIST)), (u2, len(_UNARY_LIST)),
                                   (b, len(_BINARY_LIST)))):
      if not 0 <= u < size:
        raise ValueError(f"unit {k}: function token {i + 1} index {u} is out of range "
                         f"[0, {size})")
    outputs.append(Binary(_BINARY_LIST[b], Unary(_UNARY_LIST[u1], args[0]),
                          Unary(_UNARY_LIST[u2], args[1])))
  return outputs[-1]


def tokens_of_unit(op1: str, op2: str, u1: str, u2: str, b: str) -> list:
  """The five tokens of one unit from names (an operand may be "o1", "o2", ...)."""
  def op_index(name):
    if name in OPERANDS:
      return _OPERAND_LIST.index(name)
    if re.fullmatch(r"o[1-9][0-9]*", name):
      return len(_OPERAND_LIST) + int(name[1:]) - 1
    raise ValueError(f"Unknown operand {name!r}")
  return [op_index(op1), op_index(op2), _UNARY_LIST.index(u1), _UNARY_LIST.index(u2),
          _BINARY_LIST.index(b)]
