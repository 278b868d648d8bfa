"""The explicit list of method packages whose variants the zoo registers.

Adding a method: write `models/<method>/registration.py` (one `zoo.register` call
per variant), import it here, and add the package to `//zoo:catalog`'s deps.
"""


def load_all():
  """Imports every method's registration module (each registers its variants)."""
  # pylint: disable=g-import-not-at-top,unused-import
  from models.l2l_lstm import registration as _l2l_lstm  # noqa: F401
