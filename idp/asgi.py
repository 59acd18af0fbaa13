"""ASGI entry point for uvicorn workers: settings from the environment (IDP_*)."""

from starlette.applications import Starlette

from idp.app import create_app
from idp.settings import Settings


def app_factory() -> Starlette:
    return create_app(Settings.from_env())
