"""MNIST-1D (Greydanus 2020), built procedurally offline, as a TFDS data set."""

from datasets.mnist1d.mnist1d_dataset_builder import Builder
from datasets.mnist1d.mnist1d_dataset_builder import load_arrays
from datasets.mnist1d.mnist1d_dataset_builder import SEQUENCE_LENGTH

__all__ = ["Builder", "SEQUENCE_LENGTH", "load_arrays"]
