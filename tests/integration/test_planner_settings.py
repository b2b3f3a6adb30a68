"""A statement's planner settings hold inside the block only; the transaction's own values come back."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from iris_resources.db.planner import planner_settings

SHOW = text("SELECT current_setting('enable_nestloop'), current_setting('work_mem')")


def test_settings_apply_inside_the_block_and_are_restored_after(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL work_mem = '8MB'"))
        with planner_settings(connection, (("enable_nestloop", "off"), ("work_mem", "64MB"))):
            inside = connection.execute(SHOW).one()
        after = connection.execute(SHOW).one()
    assert tuple(inside) == ("off", "64MB")
    assert tuple(after) == ("on", "8MB")


def test_a_failing_block_leaves_nothing_behind_once_rolled_back(engine: Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as connection, planner_settings(
            connection, (("enable_nestloop", "off"),)):
        raise RuntimeError("the statement failed")
    with engine.connect() as connection:
        assert connection.execute(SHOW).one()[0] == "on"
