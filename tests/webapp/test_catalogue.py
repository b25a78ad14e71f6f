"""Every process of the catalogue is deployed and reachable from the UI by the right role in the right place."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.store.models import ProcessVersion
from engine.catalogue.rules import catalog, process_for
from tests.factories import DONGJIE, RENXING, SANTIDIKOU, SHUANGYUAN, STARTER

PLACES = [SHUANGYUAN, RENXING, SANTIDIKOU, DONGJIE]


def test_every_catalogue_process_is_deployed(db):
    wanted = {v["process_id"] for t in catalog().values() for v in t["variants"].values()}
    with db.unit_of_work() as uow:
        s = uow.session
        deployed = set(s.execute(select(ProcessVersion.process_id)).scalars())
    assert wanted <= deployed, sorted(wanted - deployed)


@pytest.mark.parametrize("village", PLACES)
def test_each_place_lodges_every_type_on_its_own_models_route(village, login, db, clock):
    user = login(STARTER[village[:9]])
    menu = user.get("/cases/new").text
    for key, kind in catalog().items():
        if not kind.get("applicable", True):
            assert f'value="{key}"' not in menu
            continue
        assert f'value="{key}"' in menu
        page = user.get(f"/cases/new?assistance_type={key}")
        assert page.status_code == 200
        process_id = process_for(key, village[:6], village[:9], clock.today())
        with db.unit_of_work() as uow:
            s = uow.session
            name = s.execute(select(ProcessVersion.name).where(ProcessVersion.process_id == process_id)
                             .order_by(ProcessVersion.id.desc())).scalars().first()
        assert name in page.text, (key, process_id)


def test_route_depends_on_the_township_model():
    from datetime import date
    on = date(2026, 9, 15)
    assert process_for("minimum_living", "340603", "340603004", on) == "minimum_living_santidikou"
    assert process_for("minimum_living", "340603", "340603001", on) == "minimum_living_national"
    assert process_for("extreme_poverty", "340603", "340603004", on) == "extreme_poverty_national"
    assert process_for("low_income", "320921", "320921100", on) == "low_income_national"
    assert process_for("temporary_assistance", "220302", "220302001", on) == "temporary_assistance_siping"
