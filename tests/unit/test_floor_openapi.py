"""The floor's contract is in the OpenAPI document: its paths, response models, 403 and 422."""

from __future__ import annotations

from pathlib import Path

from console.server.app import create_app
from console.server.routes.floor import XLSX
from console.server.settings import ServerSettings


def test_the_floors_paths_models_and_errors_are_documented(tmp_path: Path) -> None:
    spec = create_app(ServerSettings(database=str(tmp_path / "c.db"))).openapi()
    paths = spec["paths"]

    def schema(path: str, method: str, status: str) -> str:
        content = paths[path][method]["responses"][status]["content"]["application/json"]
        return content["schema"]["$ref"].rsplit("/", 1)[-1]

    assert schema("/v1/desk/state", "put", "200") == "DeskState"
    assert schema("/v1/desk/state", "get", "200") == "DeskState"
    assert schema("/v1/floor", "get", "200") == "Floor"
    assert schema("/v1/floor/agents/{agent_id}/calls", "get", "200") == "AgentDay"
    body = paths["/v1/desk/state"]["put"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/DeskStateIn")
    for path, method, statuses in (
        ("/v1/desk/state", "put", ("401", "403", "422")),
        ("/v1/floor", "get", ("401", "403", "422")),
        ("/v1/floor/agents/{agent_id}/calls", "get", ("401", "403", "404", "422")),
    ):
        for status in statuses:
            assert schema(path, method, status) == "ApiError", (path, status)
    export = paths["/v1/floor/calls/export"]["get"]["responses"]
    assert {"text/csv; charset=utf-8", XLSX} <= set(export["200"]["content"])
    assert all(schema("/v1/floor/calls/export", "get", s) == "ApiError" for s in ("403", "422"))
    parameters = {
        p["name"] for p in paths["/v1/floor/agents/{agent_id}/calls"]["get"]["parameters"]
    }
    assert {"agent_id", "date", "include_caller"} <= parameters
    models = spec["components"]["schemas"]
    assert set(models["AgentState"]["enum"]) == {
        "ready", "on_call", "after_call_work", "away", "signed_out",
    }  # fmt: skip
    assert "unreachable" in models["FloorState"]["enum"]
    # The places reserved for the callback queue's and the messages' figures.
    assert {"callbacks", "messages"} <= set(models["Floor"]["properties"])
    assert "missed_calls" in models["FloorHour"]["properties"]
    # The drill-down names services in both languages, like the floor's agents.
    assert {"service_name", "service_name_en"} <= set(models["AgentDayCall"]["properties"])
    assert {"service_name", "service_name_en"} <= set(models["CallBooking"]["properties"])
