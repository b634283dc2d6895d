"""The Concepts page: the game, its equations, the training loop, the article's bugs and a FAQ,
rendered without TensorFlow."""

import json
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")


SECTION_TABS = ["The idea", "▶ Toy GAN", "Training step and mathematics", "Strengths, uses, future",
                "The article's code · FAQ"]


def open_concepts(section: str | None = None) -> AppTest:
    """The Concepts page as a new visitor opens it, or with one of its tabs (SECTIONS) open."""
    at = AppTest.from_file(APP, default_timeout=60)
    if section:
        at.session_state["concepts_section"] = section
    at.run()
    at.switch_page("pages/concepts.py")
    return at.run()


def texts(at: AppTest) -> str:
    return "\n".join(block.value for block in [*at.markdown, *at.header, *at.latex])


def test_a_new_visitor_gets_the_first_tab_and_only_its_content_is_drawn():
    at = open_concepts()
    assert not at.exception and at.title[0].value == "How a GAN learns"
    assert [tab.label for tab in at.tabs] == SECTION_TABS
    assert "The two players" in [h.value for h in at.header]
    assert at.get("graphviz_chart") and not at.latex and not at.get("echarts_chart") and not at.button
    assert any("**▶ Toy GAN**" in box.value for box in at.info)  # the way on, at the end of the tab
    assert "Mode collapse" not in texts(at) and "`Reshape`" not in texts(at)


def test_each_tab_draws_its_own_part_of_the_page_and_no_other():
    parts = {"toy": "Try it: a GAN you can watch", "maths": r"\min_G \max_D V(D, G)",
             "uses": "Mode collapse", "article": "`Reshape`"}
    for section, mark in parts.items():
        at = open_concepts(section)
        assert not at.exception and mark in texts(at), section
        assert [other for other, text in parts.items() if other != section and text in texts(at)] == []
        assert not at.get("graphviz_chart")


def test_the_open_tab_is_kept_across_a_rerun_and_a_language_switch():
    at = open_concepts("maths")
    at.run()
    assert at.latex and at.session_state["concepts_section"] == "maths"
    at.sidebar.segmented_control(key="lang").set_value("zh").run()
    assert not at.exception and at.title[0].value == "GAN 是怎样学习的"
    assert at.latex and at.session_state["concepts_section"] == "maths"


def test_concepts_page_renders_the_equations_and_the_loop():
    at = open_concepts("maths")
    assert not at.exception
    latex = "\n".join(block.value for block in at.latex)
    assert r"\min_G \max_D V(D, G)" in latex
    assert r"-\mathbb{E}_z\big[\log D(G(z))\big]" in latex  # the non-saturating loss
    text = "\n".join(block.value for block in at.markdown)
    for n in range(1, 7):
        assert f"\n{n}. **" in f"\n{text}"


def test_concepts_page_weighs_strengths_and_failures_and_lists_uses():
    at = open_concepts("uses")
    text = "\n".join(block.value for block in at.markdown)
    assert "Mode collapse" in text and "Vanishing gradients" in text and "Instability" in text
    inner = [tab.label for tab in at.tabs if tab.label not in SECTION_TABS]
    assert inner == ["Art", "Images", "Video", "Music and audio", "Text"]


def test_concepts_page_explains_the_article_bugs_and_answers_questions():
    at = open_concepts("article")
    text = "\n".join(block.value for block in at.markdown)
    for bug in ("`Reshape`", "`Flatten` straight after a `Dense`", "never compiled", "never frozen"):
        assert bug in text
    assert any("generator.trainable_variables" in block.value for block in at.success)
    assert len(at.expander) >= 5
    assert "What loss values mean the GAN is good?" in [e.label for e in at.expander]


def test_concepts_page_draws_the_data_flow():
    at = open_concepts()
    (chart,) = at.get("graphviz_chart")
    assert "digraph" in chart.proto.spec
    assert "Generator G" in chart.proto.spec and "Discriminator D" in chart.proto.spec


def test_concepts_page_does_not_load_tensorflow():
    # A fresh interpreter: this test process may already hold TensorFlow from other tests.
    script = (
        "import json, sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({APP!r}, default_timeout=60)\n"
        "at.session_state['concepts_section'] = 'maths'\n"
        "at.run(); at.switch_page('pages/concepts.py'); at.run()\n"
        "print(json.dumps({'exception': bool(at.exception), 'latex': len(at.latex),\n"
        "                  'loaded': sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"exception": False, "latex": report["latex"], "loaded": []}
    assert report["latex"] >= 4
