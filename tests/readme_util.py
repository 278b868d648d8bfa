"""Reads README.md (a data dependency of the test) for the tests that check the
numbers it quotes."""

import os


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
                 if lines[i].startswith("|") and lines[i].startswith(
                     header_start or "|")), None)
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
