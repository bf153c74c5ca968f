"""Settings read by pydantic-settings when a settings file exists: the environment wins over
the TOML file (``$OPSTEAM_CONFIG``, else ``<user config dir>/settings.toml``)."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Annotated

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from opsteam.domain.settings import DEFAULT_ADDRESS_POOL, Settings, settings_file


class _FileSettings(BaseSettings, Settings):
    model_config = SettingsConfigDict(env_prefix="OPSTEAM_", extra="ignore", frozen=True)

    # NoDecode: the comma-separated value reaches the model's own splitting validator.
    address_pool: Annotated[list[IPv4Network], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_ADDRESS_POOL)
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment wins over the settings file."""
        toml = TomlConfigSettingsSource(settings_cls, toml_file=settings_file())
        return (init_settings, env_settings, dotenv_settings, file_secret_settings, toml)


def read_settings() -> Settings:
    return _FileSettings()
