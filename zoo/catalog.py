"""The explicit list of method packages whose variants the zoo registers.

Adding a method: write `models/<method>/registration.py` (one `zoo.register` call
per variant), import it here, and add the package to `//zoo:catalog`'s deps.
"""


def load_all():
  """Imports every method's registration module (each registers its variants)."""
  # pylint: disable=g-import-not-at-top,unused-import
  from models.l2l_lstm import registration as _l2l_lstm  # noqa: F401
  from models.hrnn import registration as _hrnn  # noqa: F401
  from models.l2o_policy import registration as _l2o_policy  # noqa: F401
  from models.blackbox_rnn import registration as _blackbox_rnn  # noqa: F401
  from models.hypernetworks import registration as _hypernetworks  # noqa: F401
  from models.nas import registration as _nas  # noqa: F401
  from models.optimizer_search import registration as _optimizer_search  # noqa: F401
  from models.meta_rl import registration as _meta_rl  # noqa: F401
  from models.snail import registration as _snail  # noqa: F401
