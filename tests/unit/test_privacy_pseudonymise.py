"""Pseudonymisation by keyed hash: stable, keyed, joinable, and refusing weak keys."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import pytest

from catalog.privacy import PseudonymisationError, pseudonymise, screen

KEY = b"committee-secret-key-0001"


def test_values_become_their_hmac_sha256_and_other_columns_stay():
    frame = pl.DataFrame({"beneficiaire": ["Jean Dupont", None, "Jean Dupont"], "montant": [100, 200, 300]})
    result = pseudonymise(frame, ["beneficiaire"], KEY)
    expected = hmac.new(KEY, b"Jean Dupont", hashlib.sha256).hexdigest()
    assert result["beneficiaire"].to_list() == [expected, None, expected]
    assert result["montant"].to_list() == [100, 200, 300]
    assert result.columns == frame.columns


def test_pseudonyms_are_stable_across_runs_and_frames_so_pooled_data_still_joins():
    first = pseudonymise(pl.DataFrame({"agent": ["a", "b"]}), ["agent"], KEY)
    second = pseudonymise(pl.DataFrame({"agent": ["b", "c", "a"]}), ["agent"], KEY)
    joined = first.with_row_index().join(second.with_row_index("other"), on="agent")
    assert joined.sort("index")["other"].to_list() == [2, 0]


def test_another_key_gives_other_pseudonyms():
    frame = pl.DataFrame({"agent": ["Jean Dupont"]})
    assert pseudonymise(frame, ["agent"], KEY).item() != pseudonymise(frame, ["agent"], KEY[::-1]).item()


def test_numbers_are_hashed_as_their_text():
    frame = pl.DataFrame({"secu": [295109912611193], "texte": ["295109912611193"]})
    result = pseudonymise(frame, ["secu", "texte"], KEY)
    assert result["secu"].item() == result["texte"].item()
    assert result.schema["secu"] == pl.String


def test_a_pseudonymised_column_no_longer_screens_as_personal():
    frame = pl.DataFrame({"nom_prenom": ["Jean Dupont", "Marie Curie"], "mail": ["jean.dupont@gmail.com"] * 2})
    assert {f.kind for f in screen(frame)} == {"name", "email"}
    assert screen(pseudonymise(frame, ["nom_prenom", "mail"], KEY)) == []


def test_a_short_key_is_refused():
    with pytest.raises(PseudonymisationError, match="key of 8 bytes: at least 16"):
        pseudonymise(pl.DataFrame({"a": ["x"]}), ["a"], b"12345678")


def test_an_unknown_column_is_refused_by_name():
    with pytest.raises(PseudonymisationError, match="not in the data: nom"):
        pseudonymise(pl.DataFrame({"a": ["x"]}), ["a", "nom"], KEY)
