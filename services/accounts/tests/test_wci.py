"""The WCI formulas against the reference's check values and values computed independently."""

import pytest

from accounts.wci import wci_v2, wci_v13, wci_v14_2

ZERO_V14 = dict.fromkeys(
    ("R", "Z", "L", "RE", "d", "n", "Rt", "Zt", "Lt", "REt", "Rmax", "Zmax", "Lmax", "REmax"), 0
)


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        # reference/socialsec-and-accounts.md, and gsdata's own v2.0 worked example
        ({"R": 10000, "n": 100, "Rmax": 300, "Z": 4000, "Zmax": 60}, 411.4875),
        ({"R": 0, "n": 0, "Rmax": 0, "Z": 0, "Zmax": 0}, 0.0),
        # one article read once: (0.8 * (0.40 + 0.45 + 0.15) * ln 2)^2 * 10
        ({"R": 1, "n": 1, "Rmax": 1, "Z": 0, "Zmax": 0}, 3.0749),
    ],
)
def test_wci_v2(inputs: dict[str, float], expected: float) -> None:
    assert wci_v2(**inputs) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        # reference/socialsec-and-accounts.md: 荔香大朗's 2014-12-18 figures over a week
        (
            {"R": 13075, "Z": 40, "d": 7, "n": 7, "Rt": 13075, "Zt": 40, "Rmax": 5000, "Zmax": 15},
            505.5974,
        ),
        (dict.fromkeys(("R", "Z", "d", "n", "Rt", "Zt", "Rmax", "Zmax"), 0), 0.0),
        # the same single article as a day ranking: d = n = 1, so O = A = H = P
        # = .85 ln 13076 + .15 ln 401 = 8.955848, WCI = 8.955848^2 * 10
        (
            {"R": 13075, "Z": 40, "d": 1, "n": 1, "Rt": 13075, "Zt": 40, "Rmax": 13075, "Zmax": 40},
            802.0721,
        ),
    ],
)
def test_wci_v13(inputs: dict[str, float], expected: float) -> None:
    assert wci_v13(**inputs) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        # Expected values computed independently with `bc -l` from gsdata's published formula.
        (
            {
                "R": 13075, "Z": 20, "L": 40, "RE": 300, "d": 7, "n": 7,
                "Rt": 13075, "Zt": 20, "Lt": 40, "REt": 300,
                "Rmax": 5000, "Zmax": 8, "Lmax": 15, "REmax": 120,
            },
            559.8329,
        ),
        (
            {
                "R": 90000, "Z": 150, "L": 420, "RE": 2600, "d": 30, "n": 45,
                "Rt": 60000, "Zt": 100, "Lt": 300, "REt": 1800,
                "Rmax": 100001, "Zmax": 40, "Lmax": 90, "REmax": 700,
            },
            667.1963,
        ),
        (ZERO_V14, 0.0),
    ],
)  # fmt: skip
def test_wci_v14_2(inputs: dict[str, float], expected: float) -> None:
    assert wci_v14_2(**inputs) == pytest.approx(expected, abs=1e-4)


def test_v14_2_weighs_reads_wows_likes_and_shares_as_gsdata_publishes() -> None:
    # Reads alone: O = A = H = P = 0.70 ln(R+1), and the first-level weights add up to 1.
    one_day = ZERO_V14 | {"R": 99, "d": 1, "n": 1, "Rt": 99, "Rmax": 99}
    part = 0.70 * 4.605170185988092  # 0.70 ln 100
    assert wci_v14_2(**one_day) == pytest.approx(part**2 * 1.2 * 10)
    # 在看 (Z) counts more than likes (L): 9% against 6%.
    wow = wci_v14_2(**one_day | {"Z": 10, "Zt": 10, "Zmax": 10})
    like = wci_v14_2(**one_day | {"L": 10, "Lt": 10, "Lmax": 10})
    assert wow > like > wci_v14_2(**one_day)


@pytest.mark.parametrize("formula", [wci_v2, wci_v13, wci_v14_2])
def test_no_division_by_zero_without_articles_or_days(formula) -> None:  # type: ignore[no-untyped-def]
    names = formula.__code__.co_varnames[: formula.__code__.co_kwonlyargcount]
    assert formula(**dict.fromkeys(names, 0)) == 0.0
