"""`ecotone analyze …` and the network exports from the command line, and the HTML report on the demo atlas."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import networkx as nx
import pytest

from ecotone.cli import main


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "demo.db"
    assert main(["--db", str(path), "demo", "--format", "json"]) == 0
    return path


@pytest.fixture
def run(demo_db, capsys):
    def call(*args):
        code = main(["--db", str(demo_db), *args])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err
    return call


@pytest.mark.parametrize("command", ["stakeholders", "metrics", "brokerage", "communities", "emerging", "gaps"])
def test_every_analysis_prints_table_json_and_csv(run, command):
    code, out, _ = run("analyze", command)
    assert code == 0 and out.strip()
    code, out, _ = run("analyze", command, "--format", "json")
    result = json.loads(out)
    assert code == 0 and "summary" in result and len(result) >= 2
    code, out, _ = run("analyze", command, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    first = next(k for k in result if k != "summary")
    assert code == 0 and len(rows) == len(result[first])


def test_stakeholders_show_the_parts_of_power_and_the_weights(run):
    code, out, _ = run("analyze", "stakeholders", "--show", "grid")
    header = next(line for line in out.splitlines() if "power authority" in line)  # headers in words
    assert code == 0 and all(f"┃ {c}" in header for c in ("power resources", "power position", "interest", "quadrant"))
    assert "power = 0.5 × authority + 0.25 × resources + 0.25 × position" in out
    code, out, _ = run("analyze", "stakeholders", "--format", "json")
    result = json.loads(out)
    assert result["weights"] == {"authority": 0.5, "resources": 0.25, "position": 0.25}
    assert result["grouping"] == "hub" and result["note"] is None and result["authority"]["regulator"] == 1.0
    tiers = ["manage closely", "keep satisfied", "keep informed", "monitor"]
    order = [tiers.index(r["quadrant"]) for r in result["grid"]]
    assert order == sorted(order)
    code, out, _ = run("analyze", "stakeholders", "--group", "Barcelona Health Hub", "--format", "json")
    assert {r["hub"] for r in json.loads(out)["grid"]} == {"Barcelona Health Hub"}


def test_brokerage_of_one_group_and_rising_actors(run):
    code, out, _ = run("analyze", "brokerage", "--format", "json", "--top", "10000")
    whole = [b for b in json.loads(out)["brokers"] if b["group"] == "Barcelona Health Hub"]
    code, out, _ = run("analyze", "brokerage", "--group", "Barcelona Health Hub", "--top", "5", "--format", "json")
    mine = json.loads(out)
    assert code == 0 and [b["id"] for b in mine["brokers"]] == [b["id"] for b in whole[:5]]
    assert mine["bridges"] and all("Barcelona Health Hub" in (b["hub_a"], b["hub_b"]) for b in mine["bridges"])
    code, _, err = run("analyze", "brokerage", "--groups", "country", "--group", "Narnia")
    assert code == 1 and "no country 'Narnia'" in err
    code, out, _ = run("analyze", "emerging", "--show", "risers")
    assert code == 0 and "growth" in out and "new ties" in out and "relative growth" in out.lower()


def test_metrics_sorted_filtered_and_in_csv(run):
    code, out, _ = run("analyze", "metrics", "--hub", "Barcelona Health Hub", "--sort", "betweenness", "--top", "5",
                       "--format", "json")
    result = json.loads(out)
    actors = result["actors"]
    assert len(actors) == 5 and all(a["hub"] == "Barcelona Health Hub" for a in actors)
    assert [a["betweenness"] for a in actors] == sorted((a["betweenness"] for a in actors), reverse=True)
    assert result["summary"]["sampled"] is False
    code, _, err = run("analyze", "metrics", "--sort", "fame")
    assert code == 1 and "not a metric" in err and "pagerank" in err


def test_brokerage_names_the_bridges_between_barcelona_and_poland(run):
    code, out, _ = run("analyze", "brokerage", "--show", "bridges", "--format", "json")
    bridges = json.loads(out)
    pair = [b for b in bridges if {b["hub_a"], b["hub_b"]} == {"Barcelona Health Hub", "Medical Innovation Institute"}]
    assert pair[0]["name"] == "Medical Innovation Institute" and pair[0]["rank"] == 1
    code, out, _ = run("analyze", "brokerage", "--groups", "helix", "--role", "liaison", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and rows and {"coordinator", "liaison", "z_liaison"} <= set(rows[0])
    code, _, err = run("analyze", "brokerage", "--show", "nothing")
    assert code == 2 and "parts: brokers, roles, bridges" in err
    code, _, err = run("analyze", "brokerage", "--groups", "mood")
    assert code == 1 and "no node attribute 'mood'" in err


def test_stakeholders_with_overrides_and_focus(run, tmp_path):
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("organization,power,interest\nBarcelona Activa,0.1,0.9\n", encoding="utf-8")
    code, out, _ = run("analyze", "stakeholders", "--focus", "Barcelona", "--overrides", str(overrides),
                       "--format", "json")
    grid = json.loads(out)["grid"]
    assert {g["hub"] for g in grid} == {"Barcelona Health Hub"}
    activa = next(g for g in grid if g["name"] == "Barcelona Activa")
    assert (activa["power"], activa["interest"], activa["quadrant"]) == (0.1, 0.9, "keep informed")
    overrides.write_text("organization,power\nBarcelona Activa,lots\n", encoding="utf-8")
    code, out, err = run("analyze", "stakeholders", "--overrides", str(overrides), "--format", "json")
    [problem] = json.loads(out)
    assert code == 1 and problem["file"] == str(overrides) and problem["row"] == 2 and problem["column"] == "power"
    assert "between 0 and 1" in problem["reason"]


def test_gaps_communities_emerging_and_diffusion(run):
    code, out, _ = run("analyze", "gaps", "--format", "json")
    gaps = json.loads(out)
    assert {m["hub"] for m in gaps["missing_roles"]} >= {"Barcelona Health Hub", "Texas Medical Center"}
    assert all(u["evidence"] for u in gaps["unreached"])
    code, out, _ = run("analyze", "communities", "--resolution", "2", "--show", "members", "--format", "csv")
    assert code == 0 and "community" in out.splitlines()[0]
    code, out, _ = run("analyze", "emerging", "--period", "quarter", "--format", "json")
    assert json.loads(out)["summary"]["period"] == "quarter"
    code, out, _ = run("analyze", "diffusion", "--seed-org", "Medical Innovation Institute", "--best", "3",
                       "--runs", "50", "--format", "json")
    result = json.loads(out)
    assert result["summary"]["runs"] == 50 and len(result["best_seeds"]) == 3
    assert result["reached"][0]["name"] == "Medical Innovation Institute"
    code, _, err = run("analyze", "diffusion")
    assert code == 1 and "--seed-org" in err
    code, _, err = run("analyze", "diffusion", "--seed-org", "Nobody Ltd")
    assert code == 1 and "no organisation is named 'Nobody Ltd'" in err
    code, _, err = run("analyze", "metrics", "--hub", "Atlantis")
    assert code == 1 and "no hub is named 'Atlantis'" in err
    code, _, err = run("analyze", "metrics", "--type", "unicorn")
    assert code == 1 and "not a stakeholder type" in err


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.svgs = [], 0

    def handle_starttag(self, tag, attrs):
        self.svgs += tag == "svg"

    def handle_data(self, data):
        self.text.append(data)


def test_report_names_bridges_missing_roles_brokers_and_places_every_actor(run, tmp_path):
    path = tmp_path / "report.html"
    code, out, _ = run("analyze", "report", str(path))
    assert code == 0 and f"wrote {path}" in out
    html = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    text = " ".join(page.text)
    for heading in ("Who is where", "Missing roles", "Power–interest grid", "Top brokers between hubs",
                    "Bridges between hubs", "Communities", "Gaps"):
        assert heading in text
    # The Barcelona–Poland bridge, each hub's missing roles, the top brokers between hubs.
    bridges = html.split("Bridges between hubs", 1)[1].split("<h2>", 1)[0]
    assert ("<td>Barcelona Health Hub</td><td>Medical Innovation Institute</td><td>Medical Innovation Institute</td>"
            in bridges)
    missing = html.split("<h2>Missing roles</h2>", 1)[1].split("<h2>", 1)[0]
    code, out, _ = run("hubs", "--format", "json")
    for hub in json.loads(out):
        assert f"<td>{hub['name']}</td>" in missing
    # Missing roles in words, not the vocabulary's spelling.
    assert "<td>Berlin</td><td class=\"n\">13</td><td>Regulator, Government, Industry association, Corporate</td>" \
        in missing
    brokers = html.split("Top brokers between hubs", 1)[1].split("<h2>", 1)[0]
    assert brokers.index("Medical Innovation Institute") < brokers.index("</svg>")
    # Every SVG chart is well-formed XML; the network and the grids are pictures.
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == page.svgs >= 1
    for svg in svgs:
        ET.fromstring(svg)
    assert html.count('<img src="data:image/png;base64,') == 2
    code, _, _ = run("analyze", "report", str(tmp_path / "bcn.html"), "--focus", "Barcelona Health Hub")
    focused = (tmp_path / "bcn.html").read_text(encoding="utf-8")
    assert code == 0 and "Ecotone network report: Barcelona Health Hub" in focused
    # The power–interest grid places every Barcelona actor (its alternative text counts them).
    grid = focused.split("<h2>Power–interest grid</h2>", 1)[1].split("<h2>", 1)[0]
    alt = re.search(r'<img [^>]*alt="([^"]*)"', grid).group(1)
    code, out, _ = run("orgs", "list", "--hub", "Barcelona Health Hub", "--limit", "500", "--format", "json")
    assert len(json.loads(out)) == 41
    assert alt.startswith("Power–interest grid of Barcelona Health Hub: 41 actors placed by power")


def test_exports_from_the_command_line(run, tmp_path):
    # partnerships only: networkx reads a GEXF network of one kind of tie (the demo's others are directed)
    code, out, _ = run("export", "gexf", str(tmp_path / "map.gexf"), "--hub", "Barcelona", "--hub", "Medical Innovation",
                       "--kind", "partnership", "--color-by", "hub", "--size-by", "betweenness")
    assert code == 0 and "map.gexf" in out
    g = nx.read_gexf(tmp_path / "map.gexf", version="1.3")
    assert {d["hub"] for _, d in g.nodes(data=True)} == {"Barcelona Health Hub", "Medical Innovation Institute"}
    code, out, _ = run("export", "pajek", str(tmp_path / "map.net"), "--kind", "clinical_pilot")
    assert code == 0 and "map_community.clu" in out
    code, out, _ = run("export", "graphml", str(tmp_path / "map.graphml"), "--since", "2024-01-01")
    assert code == 0 and nx.read_graphml(tmp_path / "map.graphml").number_of_edges() > 0
    code, _, err = run("export", "gexf", str(tmp_path / "bad.gexf"), "--size-by", "name")
    assert code == 1 and "cannot size by 'name'" in err and not (tmp_path / "bad.gexf").exists()
