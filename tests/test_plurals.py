"""English counts take their noun's number ("1 resident", "2 residents") through one mechanism,
the catalogs' `plural` format spec (bot/text); Vietnamese has no plural."""

from __future__ import annotations

import re

import pytest

from bot.text import Catalog, plural

# A count placeholder written bare before a plural noun: "{count} concerns" reads "1 concerns".
BARE_COUNT = re.compile(
    r"\{\w+\} (?:older |failed |answer )?(?:concerns|residents|items|answers|messages|problems|problem\(s\)|minutes|days|photos"
    r"|characters|actions|messages)\b"
)
# Sentences left out of the check (none today; a key goes here only with the reason).
NOT_HERE: set[str] = set()


def test_no_english_sentence_puts_a_bare_count_before_a_plural_noun() -> None:
    catalog = Catalog.load()
    offenders = [
        key for key in sorted(catalog.keys("en"))
        if key not in NOT_HERE and BARE_COUNT.search(catalog.t("en", key))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("key", "values", "one", "many"),
    [
        ("delete.done", {}, "erased from 1 concern,", "erased from 3 concerns,"),
        ("staff.agenda_built", {}, "1 item added", "3 items added"),
        ("staff.import_refused", {"problems": "…"}, "1 problem. Please fix it", "3 problems. Please fix them"),
        ("staff.unanswered", {"codes": "TT-0001"}, "1 concern has no answer", "3 concerns have no answer"),
        ("notice.staff_held", {"id": 1}, "1 answer could not reach residents on Zalo because Zalo's messaging window "
         "had passed. It is kept", "3 answers could not"),
        ("web.agenda.residents", {}, "1 resident", "3 residents"),
    ],
)
def test_an_english_count_agrees_with_its_noun(key: str, values: dict[str, object], one: str, many: str) -> None:
    catalog = Catalog.load()
    counted = next(name for name in ("count", "held") if "{" + name in catalog.t("en", key))
    assert one in catalog.t("en", key, **values, **{counted: 1})
    assert many in catalog.t("en", key, **values, **{counted: 3})
    # The Vietnamese sentence takes the same values and has no plural to choose.
    assert "3" in catalog.t("vi", key, **values, **{counted: 3})


def test_the_rule_is_one_function() -> None:
    assert plural(1, "resident", "residents") == "1 resident"
    assert plural(0, "resident", "residents") == "0 residents"
    assert plural(21, "resident", "residents") == "21 residents"
