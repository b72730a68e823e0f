"""Sensors: what each has counted (packets, kernel drops) and when it was last heard from."""
from __future__ import annotations

from fastapi import APIRouter

from api.auth import Viewer
from api.deps import ReadSessionDep
from api.routes import AUTH
from api.schemas import SensorPublic
from appliance.store import queries

router = APIRouter(prefix="/sensors", tags=["inventory"], responses=AUTH)


@router.get("", summary="List sensors with packet and drop counts")
def list_sensors(session: ReadSessionDep, _: Viewer) -> list[SensorPublic]:
    return [SensorPublic.from_row(row) for row in queries.list_sensors(session)]
