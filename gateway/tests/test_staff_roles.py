"""Staff roles in GATEWAY_STAFF_KEYS: the plain roles and `editor:<account code>`."""

import pytest
from pydantic import ValidationError

from gateway.settings import DEV_STAFF_KEYS, STAFF_ROLES, GatewaySettings
from gateway.staff import StaffKeys, unknown_roles
from servicekit.settings import DEV_EDITOR_KEY, SharedSettings

GOOD_KEY = "k" * 40


@pytest.mark.parametrize(
    ("roles", "unknown"),
    [
        (["registry_admin", "forecaster"], []),
        (["editor:gxhk", "editor:lxdl"], []),
        (["editor:dg_2"], []),
        (["editor:"], ["editor:"]),
        (["editor:GXHK"], ["editor:GXHK"]),
        (["editor:gx hk"], ["editor:gx hk"]),
        (["editor"], ["editor"]),
        (["admin", "editor:gxhk"], ["admin"]),
    ],
)
def test_unknown_roles(roles: list[str], unknown: list[str]) -> None:
    assert unknown_roles(roles, STAFF_ROLES) == unknown


def test_a_key_may_hold_editor_roles_and_they_reach_the_token() -> None:
    settings = GatewaySettings(
        shared=SharedSettings(env="dev"), staff_keys={GOOD_KEY: ["editor:gxhk"]}
    )
    staff = StaffKeys(settings.staff_keys).identify(GOOD_KEY)
    assert staff is not None and staff.roles == ("editor:gxhk",)
    with pytest.raises(ValidationError, match="unknown roles"):
        GatewaySettings(shared=SharedSettings(env="dev"), staff_keys={GOOD_KEY: ["editor"]})


def test_the_development_editor_key_edits_gxhk_and_lxdl_only_in_dev() -> None:
    assert DEV_STAFF_KEYS[DEV_EDITOR_KEY] == ["editor:gxhk", "editor:lxdl"]
    assert GatewaySettings(shared=SharedSettings(env="dev")).staff_keys == DEV_STAFF_KEYS
    with pytest.raises(ValidationError, match="published development value"):
        GatewaySettings(
            shared=SharedSettings(env="prod", internal_token_secret="s" * 40),
            staff_keys={DEV_EDITOR_KEY: ["editor:gxhk"]},
        )
