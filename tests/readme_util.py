"""Reads README.md (a data dependency of the test) for the tests that check the
numbers it quotes."""

import os

from zoo import evaluation


def readme() -> str:
  """README.md's text."""
  here = os.path.dirname(os.path.abspath(__file__))
  with open(os.path.join(os.path.dirname(here), "README.md"), encoding="utf-8") as f:
    return f.read()


def flat() -> str:
  """README.md with every run of whitespace as one space, for sentences that wrap."""
  return " ".join(readme().split())


def table(header_start: str = "", after: str = "") -> tuple:
  """The first README table after the first line containing `after` whose header
  row starts with `header_start`.

  Returns:
    (header cells, {first cell: the other cells}).

  Raises:
    LookupError: no such table.
  """
  lines = readme().splitlines()
  start = 0
  if after:
    start = next((i for i, line in enumerate(lines) if after in line), None)
    if start is None:
      raise LookupError(f"README.md has no line containing {after!r}")
  header = next((i for i in range(start, len(lines))
                 if lines[i].startswith(header_start or "|")), None)
  if header is None:
    raise LookupError(f"README.md has no table starting {header_start!r} after "
                      f"{after!r}")
  split = lambda line: [c.strip() for c in line.strip().strip("|").split("|")]
  rows = {}
  for line in lines[header + 2:]:
    if not line.startswith("|"):
      break
    cells = split(line)
    rows[cells[0]] = cells[1:]
  return split(lines[header]), rows


def like(value, cell: str) -> str:
  """`value` at the number of decimals `cell` has."""
  return f"{value:.{len(cell.partition('.')[2])}f}"


def pm(values, fmt=".2f", sign=False) -> str:
  """"mean ± standard error" of `values`, as the README quotes them."""
  mean, se = (float(x) for x in evaluation.mean_stderr(values))
  return f"{mean:{'+' if sign else ''}{fmt}} ± {se:{fmt}}"


def check_reward_table(test, rows, labels, totals, tuned, paper):
  """A README table of mean total rewards against the rollouts' `totals`.

  Args:
    test: the `absltest.TestCase` that asserts.
    rows: `table(...)[1]`, each row's cells: tuned, mean, s.e., paper, agent - this
      (paired, ± its standard error).
    labels: {method key: row label}; the key "agent" is the agent's row.
    totals: {method key: total rewards `[N]` on the same tasks}.
    tuned: {method key: its tuned-parameter text}; the others show "".
    paper: {method key: the paper's number}; the others show "".
  """
  test.assertCountEqual(rows, labels.values())
  for key, label in labels.items():
    tuned_cell, mean_cell, se_cell, paper_cell, paired_cell = rows[label]
    mean, se = (float(x) for x in evaluation.mean_stderr(totals[key]))
    test.assertEqual(tuned_cell, tuned.get(key, ""), key)
    test.assertEqual((mean_cell, se_cell), (like(mean, mean_cell), like(se, se_cell)),
                     key)
    test.assertEqual(paper_cell and float(paper_cell), paper.get(key, ""), key)
    test.assertEqual(paired_cell, "" if key == "agent"
                     else pm(totals["agent"] - totals[key], sign=True), key)
