"""Problem families by name, for configs and flags."""

from models.optimizees import digits_mlp
from models.optimizees import quadratic

__all__ = ["FAMILIES", "get_family"]

FAMILIES = {
    "quadratic": quadratic.Quadratic,
    "digits_mlp": digits_mlp.DigitsMLP,
}


def get_family(name: str, **kwargs):
  """The family `name` (see `FAMILIES`) built with `kwargs`."""
  if name not in FAMILIES:
    raise ValueError(f"Unknown problem family {name!r}; valid: {sorted(FAMILIES)}")
  return FAMILIES[name](**kwargs)
