"""The ledger write keeps stored rows that are unchanged and replaces exactly the rest."""

from __future__ import annotations

import polars as pl

from iris_resources.portfolio.repository import _changed_rows

SCHEMA = {"sequence": pl.Int64, "price": pl.Float64, "reason": pl.String}


def _frame(*rows: tuple[int, float | None, str | None]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=SCHEMA, orient="row")


def test_only_changed_missing_and_new_rows_are_rewritten() -> None:
    stored = _frame((1, 10.0, "signal"), (2, 11.0, None), (3, 12.0, "stop_loss"), (4, 13.0, "signal"))
    rows = _frame((1, 10.0, "signal"), (2, 11.0, None), (3, 12.5, "stop_loss"), (5, 14.0, "signal"))
    stale, fresh = _changed_rows(stored, rows, "sequence")
    assert sorted(stale) == [3, 4]
    assert fresh.sort("sequence").get_column("sequence").to_list() == [3, 5]
    # applying the diff gives exactly the new rows
    kept = stored.filter(~pl.col("sequence").is_in(stale))
    assert pl.concat([kept, fresh]).sort("sequence").equals(rows)


def test_an_identical_rerun_writes_nothing_and_an_empty_table_gets_everything() -> None:
    rows = _frame((1, 10.0, "signal"), (2, None, None))
    assert _changed_rows(rows, rows, "sequence")[0] == [] and _changed_rows(rows, rows, "sequence")[1].is_empty()
    stale, fresh = _changed_rows(rows.clear(), rows, "sequence")
    assert stale == [] and fresh.equals(rows)
    stale, fresh = _changed_rows(rows, rows.clear(), "sequence")
    assert sorted(stale) == [1, 2] and fresh.is_empty()
