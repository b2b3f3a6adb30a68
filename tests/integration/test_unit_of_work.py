"""Unit of work contract against a real PostgreSQL: commit, rollback by default, hooks after commit."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import Engine, text

from iris_resources.db.resources import TransactionResource
from iris_resources.sources.base import SectorSpec


def _sector_codes(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return {row[0] for row in connection.execute(text("SELECT code FROM sectors"))}


def test_committed_work_is_visible_to_other_connections(transaction: TransactionResource, engine: Engine) -> None:
    with transaction.begin() as uow:
        uow.coins.upsert_sectors([SectorSpec("defi", "DeFi")])
        assert _sector_codes(engine) == set()  # not yet visible elsewhere
        uow.commit()
    assert _sector_codes(engine) == {"defi"}


def test_leaving_without_commit_rolls_back(transaction: TransactionResource, engine: Engine) -> None:
    with transaction.begin() as uow:
        uow.coins.upsert_sectors([SectorSpec("defi", "DeFi")])
    assert _sector_codes(engine) == set()


def test_an_exception_rolls_back_and_propagates(transaction: TransactionResource, engine: Engine) -> None:
    with pytest.raises(RuntimeError, match="boom"), transaction.begin() as uow:
        uow.coins.upsert_sectors([SectorSpec("defi", "DeFi")])
        raise RuntimeError("boom")
    assert _sector_codes(engine) == set()


def test_after_commit_hooks_run_only_after_commit(transaction: TransactionResource, engine: Engine) -> None:
    seen: list[set[str]] = []
    with transaction.begin() as uow:
        uow.coins.upsert_sectors([SectorSpec("defi", "DeFi")])
        uow.add_after_commit(lambda: seen.append(_sector_codes(engine)))
        assert seen == []
        uow.commit()
    assert seen == [{"defi"}]  # the hook saw the committed row


def test_hooks_of_a_rolled_back_transaction_never_run(transaction: TransactionResource) -> None:
    ran: list[str] = []
    with transaction.begin() as uow:
        uow.add_after_commit(lambda: ran.append("first"))
        uow.rollback()
        uow.commit()  # nothing pending: the discarded hook must not run
    with transaction.begin() as uow:
        uow.add_after_commit(lambda: ran.append("second"))
    assert ran == []


def test_commit_is_repeatable_and_each_commit_is_durable(transaction: TransactionResource, engine: Engine) -> None:
    with transaction.begin() as uow:
        uow.coins.upsert_sectors([SectorSpec("defi", "DeFi")])
        uow.commit()
        uow.coins.upsert_sectors([SectorSpec("ai", "AI")])
        # leaves without the second commit: only the first survives
    assert _sector_codes(engine) == {"defi"}


def test_persistence_log_records_the_transaction_lifecycle(
    transaction: TransactionResource, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="iris.persistence")
    with transaction.begin() as uow:
        uow.coins.upsert_sectors([SectorSpec("defi", "DeFi")])
        uow.commit()
    with transaction.begin() as uow:
        uow.coins.upsert_sectors([SectorSpec("ai", "AI")])
    events = [getattr(r, "event", None) for r in caplog.records if r.name == "iris.persistence"]
    assert events == ["uow.begin", "repo.upsert_sectors", "uow.commit",
                      "uow.begin", "repo.upsert_sectors", "uow.rollback_uncommitted"]
    upsert = next(r for r in caplog.records if getattr(r, "event", None) == "repo.upsert_sectors")
    assert upsert.persistence["mode"] == "write" and upsert.persistence["count"] == 1  # type: ignore[attr-defined]


def _versions(engine: Engine) -> dict[str, int]:
    from iris_resources.events.versions import read_data_versions

    with engine.connect() as connection:
        return read_data_versions(connection)


def test_a_commit_bumps_the_data_versions_of_what_it_wrote_in_its_transaction(
    transaction: TransactionResource, engine: Engine
) -> None:
    from iris_resources.events.versions import DOMAINS

    before = _versions(engine)
    assert set(before) == set(DOMAINS)  # seeded by the migration
    with transaction.begin() as uow:
        uow.coins.upsert_sectors([SectorSpec("defi", "DeFi")])
        uow.candles  # noqa: B018 - a repository used is a domain bumped (at worst a needless cache miss)
        uow.commit()
        assert _versions(engine)["coins"] > before["coins"]  # visible together with the data
    after = _versions(engine)
    assert {d for d in DOMAINS if after[d] != before[d]} == {"coins", "candles"}
    with transaction.begin() as uow:
        uow.coins.upsert_sectors([SectorSpec("ai", "AI")])  # rolled back: no bump either
    assert _versions(engine) == after
    with transaction.begin() as uow:
        uow.commit()  # no repository used: nothing to bump
    assert _versions(engine) == after


def test_a_repeatable_read_unit_sees_one_snapshot_across_its_statements(
    transaction: TransactionResource, engine: Engine
) -> None:
    with transaction.begin(isolation_level="REPEATABLE READ") as uow:
        assert uow.connection.execute(text("SELECT count(*) FROM sectors")).scalar_one() == 0
        with engine.begin() as other:  # commits while the unit is open
            other.execute(text("INSERT INTO sectors (code, name) VALUES ('defi', 'DeFi')"))
        assert uow.connection.execute(text("SELECT count(*) FROM sectors")).scalar_one() == 0
    with transaction.begin() as uow:  # the default (read committed) sees it
        assert uow.connection.execute(text("SELECT count(*) FROM sectors")).scalar_one() == 1
