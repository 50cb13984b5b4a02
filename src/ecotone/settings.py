"""Settings read from the environment (``ECOTONE_*``) with the defaults a fresh install runs on."""

from __future__ import annotations

from typing import Literal

from pydantic import NonNegativeInt, PositiveFloat, PositiveInt, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "SettingsError", "database_url"]


class SettingsError(ValueError):
    """A setting (an ``ECOTONE_`` environment variable) holds a value Ecotone cannot use."""


class Settings(BaseSettings):
    """Ecotone's settings; each one can be set with an ``ECOTONE_`` environment variable.

    Examples
    --------
    >>> Settings(database_url="sqlite:///atlas.db").database_url
    'sqlite:///atlas.db'
    """

    model_config = SettingsConfigDict(env_prefix="ECOTONE_")

    def __init__(self, **values) -> None:
        """Read the settings; a value that cannot be used is refused in words, by its variable's name.

        >>> try:
        ...     Settings(jobs="bogus")  # as ECOTONE_JOBS=bogus would
        ... except SettingsError as exc:
        ...     print(exc)
        ECOTONE_JOBS='bogus' cannot be used: Input should be 'auto', 'in-process' or 'queue' (the settings are listed in docs/cli.md)
        """
        try:
            super().__init__(**values)
        except ValidationError as exc:
            said = "; ".join(f"ECOTONE_{'_'.join(map(str, e['loc'])).upper()}={e['input']!r} cannot be used: {e['msg']}"
                             for e in exc.errors())
            raise SettingsError(f"{said} (the settings are listed in docs/cli.md)") from None

    #: SQLAlchemy URL of the atlas (``ECOTONE_DATABASE_URL``); a plain path means an SQLite file.
    database_url: str = "sqlite:///ecotone.db"
    #: Host names the web server answers to, comma-separated (``ECOTONE_TRUSTED_HOSTS``): a request naming any
    #: other host in its ``Host`` header is refused, which defeats DNS rebinding. Loopback only by default; add the
    #: name a hub's users type (``*.example.org`` matches its subdomains, ``*`` turns the check off).
    trusted_hosts: str = "127.0.0.1,localhost,[::1]"
    #: The largest request body the API reads, in bytes, uploads aside (``ECOTONE_MAX_BODY_BYTES``; 1 MiB).
    max_body_bytes: PositiveInt = 1_048_576
    #: The largest upload (imports, event workbooks, ratings), in bytes (``ECOTONE_MAX_UPLOAD_BYTES``; 200 MiB).
    max_upload_bytes: PositiveInt = 209_715_200
    #: How many actors the map draws one by one before it opens on a summary of its hubs, when no hub is asked
    #: for (``ECOTONE_MAP_HUB_THRESHOLD``; 50,000: software WebGL on two cores stays usable up to there).
    map_hub_threshold: NonNegativeInt = 50_000
    #: The cost of hashing a password (``ECOTONE_PASSWORD_HASH_COST``): ``standard`` is Argon2id with the
    #: parameters pwdlib recommends; ``minimal`` is Argon2id at its smallest time and memory, for test suites
    #: that create thousands of accounts, never for real accounts (a stolen table would be cheap to crack).
    password_hash_cost: Literal["standard", "minimal"] = "standard"
    #: Where background jobs run (``ECOTONE_JOBS``): ``auto`` queues them for ``ecotone worker`` on PostgreSQL and
    #: runs them in the web process on SQLite; ``in-process`` runs them in the web process on either; ``queue``
    #: always queues them (PostgreSQL only).
    jobs: Literal["auto", "in-process", "queue"] = "auto"
    #: Threads of a web process running jobs when they run in process (``ECOTONE_JOB_THREADS``).
    job_threads: PositiveInt = 2
    #: The most jobs one account may have queued or running at once (``ECOTONE_JOB_LIMIT``).
    job_limit: PositiveInt = 4
    #: The most simulated run-years one account may have queued or running at once (``ECOTONE_JOB_RUN_YEARS``):
    #: one simulation takes at most 1,000,000 (about a gigabyte while it runs).
    job_run_years: PositiveInt = 2_000_000
    #: How long finished jobs, their results and files are kept, in hours (``ECOTONE_JOB_KEEP_HOURS``).
    job_keep_hours: PositiveInt = 168
    #: Seconds without a sign of life after which a running job's worker is taken for dead and the job is run
    #: again by another (``ECOTONE_JOB_STALLED_AFTER``).
    job_stalled_after: PositiveInt = 30
    #: Seconds a write to an SQLite atlas waits for another writer (an import, another web worker) to finish
    #: before it gives up (``ECOTONE_SQLITE_BUSY_TIMEOUT``): SQLite retries the lock with a growing pause meanwhile;
    #: an API request that still finds the atlas busy is answered 503 with ``Retry-After``, nothing written.
    sqlite_busy_timeout: PositiveFloat = 10.0


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
