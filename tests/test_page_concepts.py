"""The Concepts page: the game, its equations, the training loop, the article's bugs and a FAQ,
rendered without TensorFlow."""

import json
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")


def open_concepts() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/concepts.py")
    return at.run()


def test_concepts_page_renders_the_equations_and_the_loop():
    at = open_concepts()
    assert not at.exception
    assert at.title[0].value == "How a GAN learns"
    latex = "\n".join(block.value for block in at.latex)
    assert r"\min_G \max_D V(D, G)" in latex
    assert r"-\mathbb{E}_z\big[\log D(G(z))\big]" in latex  # the non-saturating loss
    text = "\n".join(block.value for block in at.markdown)
    for n in range(1, 7):
        assert f"\n{n}. **" in f"\n{text}"
    assert "Mode collapse" in text and "Vanishing gradients" in text and "Instability" in text


def test_concepts_page_explains_the_article_bugs_and_answers_questions():
    at = open_concepts()
    text = "\n".join(block.value for block in at.markdown)
    for bug in ("`Reshape`", "`Flatten` straight after a `Dense`", "never compiled", "never frozen"):
        assert bug in text
    assert any("generator.trainable_variables" in block.value for block in at.success)
    assert len(at.expander) >= 5
    assert "What loss values mean the GAN is good?" in [e.label for e in at.expander]
    assert [tab.label for tab in at.tabs] == ["Art", "Images", "Video", "Music and audio", "Text"]


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
        "at.run(); at.switch_page('pages/concepts.py'); at.run()\n"
        "print(json.dumps({'exception': bool(at.exception), 'latex': len(at.latex),\n"
        "                  'loaded': sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"exception": False, "latex": report["latex"], "loaded": []}
    assert report["latex"] >= 4
