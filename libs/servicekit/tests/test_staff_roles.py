"""`require_staff`: a staff token holding one of the roles a route accepts."""

import pytest

from servicekit.errors import Forbidden
from servicekit.identity import Identity, require_staff

CASES = [
    # (kind, held roles, accepted roles, allowed)
    ("staff", {"registry_admin"}, ("registry_admin",), True),
    ("staff", {"forecaster"}, ("registry_admin",), False),
    ("staff", {"editor:gxhk"}, ("registry_admin", "editor:gxhk"), True),
    ("staff", {"registry_admin"}, ("registry_admin", "editor:gxhk"), True),
    ("staff", {"editor:lxdl"}, ("registry_admin", "editor:gxhk"), False),
    ("staff", set(), ("registry_admin", "editor:gxhk"), False),
    ("citizen", {"registry_admin", "editor:gxhk"}, ("registry_admin", "editor:gxhk"), False),
    ("service", {"editor:gxhk"}, ("registry_admin", "editor:gxhk"), False),
]


@pytest.mark.parametrize(("kind", "held", "accepted", "allowed"), CASES)
def test_require_staff(kind: str, held: set[str], accepted: tuple[str, ...], allowed: bool) -> None:
    identity = Identity(subject="s-1", roles=frozenset(held), kind=kind)
    if allowed:
        assert require_staff(identity, *accepted) is identity
    else:
        with pytest.raises(Forbidden) as refused:
            require_staff(identity, *accepted)
        if kind == "staff":  # staff are told which roles would do
            assert refused.value.detail == f"需要 {' 或 '.join(accepted)} 角色。"
        else:
            assert refused.value.detail == "此接口仅供工作人员使用。"
