"""The seed's voting ensemble and the evaluation report (accuracy, per class, confusion matrix)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inference.evaluation import ensemble

ANGER, HAPPY, PANIC, SADNESS = range(4)


def _probs(*rows: tuple[int, float]) -> np.ndarray:
    """One model's (N, 4) output: for each face, the class it picks and how sure it is."""
    out = np.zeros((len(rows), 4), dtype=np.float32)
    for i, (label, p) in enumerate(rows):
        out[i] = (1.0 - p) / 3
        out[i, label] = p
    return out


def test_three_of_four_agreeing_win_outright_with_the_vote_share() -> None:
    models = [
        _probs((HAPPY, 0.6)),
        _probs((HAPPY, 0.5)),
        _probs((HAPPY, 0.4)),
        _probs((ANGER, 0.99)),
    ]
    labels, confidence, hard = ensemble.vote(models)
    assert labels.tolist() == [HAPPY]  # the very confident dissenter is outvoted
    assert confidence.tolist() == [0.75]
    assert hard.tolist() == [True]


def test_without_three_votes_the_most_confident_model_decides() -> None:
    models = [
        _probs((HAPPY, 0.6), (PANIC, 0.5)),
        _probs((HAPPY, 0.7), (PANIC, 0.5)),
        _probs((SADNESS, 0.9), (ANGER, 0.5)),
        _probs((ANGER, 0.8), (SADNESS, 0.5)),  # second face: every model exactly as sure
    ]
    labels, confidence, hard = ensemble.vote(models)
    # Face 1: 2-1-1, no 3-of-4 majority; sadness at 0.9 beats the two happy votes.
    # Face 2: a tie in confidence goes to the first model.
    assert labels.tolist() == [SADNESS, PANIC]
    np.testing.assert_allclose(confidence, [0.9, 0.5])
    assert hard.tolist() == [False, False]


def test_a_plain_two_of_four_vote_is_available_and_settles_ties_by_probability() -> None:
    models = [
        _probs((HAPPY, 0.6)),
        _probs((HAPPY, 0.5)),
        _probs((SADNESS, 0.9)),
        _probs((SADNESS, 0.4)),
    ]
    labels, confidence, hard = ensemble.vote(models, min_agree=2)
    assert hard.tolist() == [True]
    assert labels.tolist() == [SADNESS]  # 2-2: sadness has the larger summed probability
    assert confidence.tolist() == [0.5]
    with pytest.raises(ValueError, match="min_agree"):
        ensemble.vote(models, min_agree=5)
    with pytest.raises(ValueError, match="no models"):
        ensemble.vote([])


def test_default_agreement_is_three_quarters_of_the_models() -> None:
    assert [ensemble.default_min_agree(n) for n in (1, 2, 3, 4, 5, 8)] == [1, 2, 3, 3, 4, 6]
    two = [_probs((HAPPY, 0.6)), _probs((ANGER, 0.7))]
    labels, _, hard = ensemble.vote(two)
    assert labels.tolist() == [ANGER] and hard.tolist() == [False]


def test_scores_table_and_png(tmp_path: Path) -> None:
    true = [ANGER, ANGER, ANGER, ANGER, HAPPY, HAPPY, PANIC, PANIC]
    pred = [ANGER, ANGER, ANGER, SADNESS, HAPPY, HAPPY, HAPPY, PANIC]
    result = ensemble.scores(true, pred)
    assert result["accuracy"] == 6 / 8
    assert result["per_class"]["anger"] == {"n": 4, "correct": 3, "accuracy": 0.75}
    assert result["per_class"]["panic"]["accuracy"] == 0.5
    assert result["per_class"]["sadness"] == {"n": 0, "correct": 0, "accuracy": None}
    assert result["confusion"][ANGER] == [3, 0, 0, 1]
    assert result["confusion"][PANIC] == [0, 1, 1, 0]

    table = ensemble.confusion_table(result, "## test")
    assert "| anger | 3 | 0 | 0 | 1 | 75.0% |" in table
    assert "| sadness | 0 | 0 | 0 | 0 | — |" in table

    png = ensemble.confusion_png(result, tmp_path / "cm" / "test.png", "test")
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.width > 300 and image.height > 300
