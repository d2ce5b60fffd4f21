"""The test bed reads the Debian mirror from the machine's own enabled apt sources."""
import pytest

from gpufleet.testbed import TestbedError, fleet_names, parse_apt_sources, pick_debian_mirror

DEB822 = """Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


def test_deb822_picks_archive_not_security():
    files = {"/etc/apt/sources.list.d/debian.sources": DEB822}
    assert pick_debian_mirror(parse_apt_sources(files)) == "http://mirror.example/debian"


def test_disabled_files_are_ignored_like_apt_does():
    files = {
        "/etc/apt/sources.list.d/other.list.disabled-by-farm": "deb https://vendor.example/apt stable main\n",
        "/etc/apt/sources.list.d/node.sources.disabled-by-farm":
            "Types: deb\nURIs: https://node.example/x\nSuites: nodistro\nComponents: main\n",
        "/etc/apt/sources.list.d/debian.sources": DEB822,
    }
    assert pick_debian_mirror(parse_apt_sources(files)) == "http://mirror.example/debian"


def test_enabled_no_stanza_is_skipped():
    text = "Enabled: no\n" + DEB822
    files = {"/etc/apt/sources.list.d/x.sources": text.replace(
        "http://mirror.example/debian\n", "http://old.example/debian\n", 1) +
        "\nTypes: deb\nURIs: http://second.example/debian/\nSuites: trixie\nComponents: main contrib\n"}
    sources = parse_apt_sources(files)
    assert [s["uri"] for s in sources] == ["http://mirror.example/debian-security",
                                           "http://second.example/debian"]
    assert pick_debian_mirror(sources) == "http://second.example/debian"


def test_one_line_format_with_options():
    files = {"/etc/apt/sources.list": "# comment\ndeb-src http://x/debian bookworm main\n"
             "deb [arch=amd64 signed-by=/k.gpg] http://one.example/debian/ bookworm main contrib\n"}
    assert pick_debian_mirror(parse_apt_sources(files)) == "http://one.example/debian"


def test_no_archive_is_a_clear_error():
    with pytest.raises(TestbedError, match="no enabled Debian archive"):
        pick_debian_mirror(parse_apt_sources({"/etc/apt/sources.list": ""}))


def test_fleet_alternates_suites():
    assert fleet_names("h", 3) == [("h-1", "bookworm"), ("h-2", "trixie"), ("h-3", "bookworm")]
