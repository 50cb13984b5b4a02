"""Settings read from the environment (``ECOTONE_*``) with the defaults a fresh install runs on."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "database_url"]


class Settings(BaseSettings):
    """Ecotone's settings; each one can be set with an ``ECOTONE_`` environment variable.

    Examples
    --------
    >>> Settings(database_url="sqlite:///atlas.db").database_url
    'sqlite:///atlas.db'
    """

    model_config = SettingsConfigDict(env_prefix="ECOTONE_")

    #: SQLAlchemy URL of the atlas (``ECOTONE_DATABASE_URL``); a plain path means an SQLite file.
    database_url: str = "sqlite:///ecotone.db"


def database_url(value: str | None = None) -> str:
    """The database URL to use: ``value`` if given (a URL, or a path to an SQLite file), else the settings'.

    Examples
    --------
    >>> database_url("hub.db")
    'sqlite:///hub.db'
    >>> database_url("postgresql+psycopg://postgres@127.0.0.1/test")
    'postgresql+psycopg://postgres@127.0.0.1/test'
    """
    raw = value or Settings().database_url
    if "://" not in raw:
        return f"sqlite:///{raw}"
    if raw.startswith("postgresql://"):
        # The bare scheme would pick psycopg2, which Ecotone does not install; psycopg 3 is the driver.
        return "postgresql+psycopg://" + raw.removeprefix("postgresql://")
    return raw
