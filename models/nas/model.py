"""Builds the controller of a `NASConfig`."""

from models.nas import controller as controller_lib

__all__ = ["build_from_config"]


def build_from_config(config) -> controller_lib.Controller:
  """The (untrained) controller over `config`'s search space."""
  return controller_lib.Controller(
      token_sizes=[len(choices) for _, choices in config.space().tokens],
      max_layers=config.max_layers, units=config.controller_units,
      lstm_layers=config.controller_layers, record_capacity=config.record_capacity)
