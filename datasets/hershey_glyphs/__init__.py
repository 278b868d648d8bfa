"""Omniglot-like glyphs drawn from the Hershey stroke fonts, built offline."""

from datasets.hershey_glyphs.hershey_glyphs_dataset_builder import Builder
from datasets.hershey_glyphs.hershey_glyphs_dataset_builder import DRAWERS
from datasets.hershey_glyphs.hershey_glyphs_dataset_builder import IMAGE_SIZE
from datasets.hershey_glyphs.hershey_glyphs_dataset_builder import render
from datasets.hershey_glyphs.hershey_glyphs_dataset_builder import SPLITS
from datasets.hershey_glyphs.hershey_glyphs_dataset_builder import split_of_alphabet

__all__ = ["Builder", "DRAWERS", "IMAGE_SIZE", "SPLITS", "render", "split_of_alphabet"]
