from fastapi.testclient import TestClient

from sandbox.main import create_app
from sandbox.settings import SandboxSettings
from servicekit.settings import SharedSettings


def test_sandbox_is_alive_and_ready() -> None:
    app = create_app(SandboxSettings(shared=SharedSettings(env="dev")))
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").status_code == 200
        assert client.get("/nothing-here").headers["content-type"] == "application/problem+json"
