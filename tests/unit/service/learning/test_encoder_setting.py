"""MODQ_ENCODER: which sentence encoder the site adapter reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.encoder import MINILM, STATIC, EncoderError, get_encoder
from service.learning.retrain import encoder_name, retrain_with_records
from service.settings import Encoder, Settings, SettingsError


@pytest.mark.parametrize(
    ("value", "setting", "name"),
    [
        (None, Encoder.STATIC, STATIC),
        ("static", Encoder.STATIC, STATIC),
        ("minilm", Encoder.MINILM, MINILM),
        ("none", Encoder.NONE, None),
    ],
)
def test_the_setting_names_an_encoder(value: str | None, setting: Encoder, name: str) -> None:
    settings = Settings.from_env({} if value is None else {"MODQ_ENCODER": value})
    assert settings.encoder is setting
    assert encoder_name(settings.encoder) == name


def test_an_unknown_encoder_setting_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="MODQ_ENCODER"):
        Settings.from_env({"MODQ_ENCODER": "bert"})


def test_a_retrain_with_an_encoder_not_built_stops_before_reading_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODQ_DATA_DIR", str(tmp_path))
    get_encoder.cache_clear()
    settings = Settings.from_env({"MODQ_ENCODER": "minilm", "MODQ_DATA_DIR": str(tmp_path)})
    try:
        with pytest.raises(EncoderError, match="make encoder-minilm"):
            retrain_with_records(settings, [], [tmp_path / "no-such-data"])
    finally:
        get_encoder.cache_clear()
