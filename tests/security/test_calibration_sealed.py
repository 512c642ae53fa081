"""The learned bias is the person's data: sealed with the key at rest, readable with it."""

from __future__ import annotations

from facelog.learning import Learning
from inference.labels import Emotion
from storage import Repository
from tests.facelog.test_learning import BORDERLINE, correct, person, post

from .conftest import raw_documents


async def test_the_learned_bias_is_sealed_with_the_key(sealed_repo: Repository) -> None:
    learning = Learning(sealed_repo)
    account = await person(sealed_repo, 77)
    for _ in range(3):
        entry = await post(sealed_repo, account, BORDERLINE, Emotion.SADNESS)
        await correct(sealed_repo, learning, account, entry)
    learned = await sealed_repo.get_learned(77)
    assert learned is not None and learned.corrections == 3 and any(learned.bias)

    [raw] = [d for d in await raw_documents(sealed_repo) if "learned" in d]
    assert raw["_id"] == 77 and isinstance(raw["learned"], bytes)
    assert b"bias" not in raw["learned"] and b"corrections" not in raw["learned"]
    assert set(raw) == {"_id", "learned", "updated_at", "reset_at"}  # nothing else in the clear
