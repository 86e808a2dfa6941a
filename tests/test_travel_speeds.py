"""Speed table: shipped defaults with sources, user overrides, bad files, one walking speed."""

from __future__ import annotations

import pytest

from tcmcounty.spatial.coverage import PRESETS
from tcmcounty.spatial.travel._errors import TravelInputError
from tcmcounty.spatial.travel.speeds import load_speeds


def test_every_default_class_names_a_known_source_and_grade() -> None:
    s = load_speeds()
    assert len(s.classes) >= 20
    for c in [*s.classes.values(), s.default]:
        assert c.source in s.sources, c.name
        assert c.grade in ("verified", "derived", "unverified")
    assert "accessmod.atlassian.net" in s.sources["accessmod"]
    assert "JTG B01-2014" in s.sources["jtg_b01"]


def test_walking_speed_is_the_one_of_the_coverage_presets() -> None:
    # One rule, one place: the straight-line walking presets and network walking agree.
    walk_kmh = PRESETS["walk15"][0] / 0.25
    s = load_speeds()
    assert s.off_road["walk"] == pytest.approx(walk_kmh)
    assert s.speed("residential", "walk") == pytest.approx(walk_kmh)


def test_chinese_classes_and_user_overrides(tmp_path) -> None:
    s = load_speeds()
    assert s.speed("县道", "motor") == s.speed("secondary", "motor") == 40
    assert s.speed("乡道", "motor") == 30 and s.speed("motorway", "walk") == 0
    user = tmp_path / "local.toml"
    user.write_text(
        '[classes.secondary]\nmotor = 35\n[classes."机耕路"]\nwalk = 4\nmotor = 8\nsource = "survey"\n'
        'grade = "verified"\n[off_road]\nwalk = 4.0\n',
        encoding="utf-8",
    )
    u = load_speeds(user)
    assert u.speed("县道", "motor") == 35 and u.speed("机耕路", "motor") == 8
    assert u.off_road == {"walk": 4.0, "motor": 4.8}
    assert u.files[-1] == str(user) and u.digest() != s.digest()
    assert u.citation("机耕路") == "survey [verified]"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[classes.x\n", "not a valid TOML"),
        ("[classes.secondary]\nmotor = -5\n", "motor: speed must be a number of km/h >= 0"),
        ('[classes.secondary]\nmotor = "fast"\n', "not 'fast'"),
        ("[classes.new]\nwalk = 3\n", "needs both 'walk' and 'motor'"),
        ("[classes.secondary]\nspeed = 3\n", "unknown key"),
        ('[classes.secondary]\ngrade = "sure"\n', "grade must be one of"),
    ],
)
def test_bad_speed_tables_name_file_and_key(tmp_path, text: str, match: str) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(TravelInputError, match=match) as exc:
        load_speeds(p)
    assert "bad.toml" in str(exc.value)
    with pytest.raises(TravelInputError, match="not found"):
        load_speeds(tmp_path / "missing.toml")
