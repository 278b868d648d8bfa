"""The 8x8 handwritten digits that scikit-learn ships, as a TFDS data set."""

from datasets.sklearn_digits.sklearn_digits_dataset_builder import Builder
from datasets.sklearn_digits.sklearn_digits_dataset_builder import load_arrays

__all__ = ["Builder", "load_arrays"]
