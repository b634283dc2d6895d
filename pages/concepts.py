"""Concepts: where GANs come from, what a GAN is, the game it plays (and a toy GAN playing it,
ui/toy_view.py) and its mathematics, one training iteration, uses and open problems, and what the
source article's code gets wrong, one tab each. Only the open tab is drawn: a new visitor's browser
builds the first, not the whole page (bench.page_speed: 3.5 s to 2.3 s on a busy 2-core host). No
TensorFlow: this page opens at once. Its words are in locales/; the equations are below."""

import streamlit as st

from ui import common, i18n, toy_view
from ui.i18n import names, t

common.use_the_router()

# Mathematics reads the same in every language, so it lives here rather than in the catalogues.
EQUATIONS = {
    "minimax": r"\min_G \max_D V(D, G) = \mathbb{E}_{x \sim p_{\text{data}}}\big[\log D(x)\big]"
               r" + \mathbb{E}_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big]",
    "integral": r"V(D, G) = \int_x \Big( p_{\text{data}}(x) \log D(x) + p_g(x) \log\big(1 - D(x)\big) \Big)\, dx",
    "pointwise": r"\frac{d}{dy}\Big(a \log y + b \log(1 - y)\Big) = \frac{a}{y} - \frac{b}{1 - y} = 0"
                 r"\quad\Longrightarrow\quad y^* = \frac{a}{a + b}",
    "optimum": r"D^*_G(x) = \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)}",
    "jsd": r"\begin{aligned} V(D^*_G, G) &= \mathbb{E}_{x \sim p_{\text{data}}}"
           r"\Big[\log \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)}\Big]"
           r" + \mathbb{E}_{x \sim p_g}\Big[\log \frac{p_g(x)}{p_{\text{data}}(x) + p_g(x)}\Big] \\"
           r" &= -\log 4 + \mathrm{KL}\big(p_{\text{data}} \,\|\, m\big) + \mathrm{KL}\big(p_g \,\|\, m\big) \\"
           r" &= -\log 4 + 2\,\mathrm{JSD}\big(p_{\text{data}} \,\|\, p_g\big) \end{aligned}",
    "d_loss": r"\mathcal{L}_D = -\mathbb{E}_{x}\big[\log D(x)\big] - \mathbb{E}_{z}\big[\log\big(1 - D(G(z))\big)\big]",
    "nonsat": r"\mathcal{L}_G^{\text{minimax}} = \mathbb{E}_z\big[\log(1 - D(G(z)))\big]"
              r"\quad\longrightarrow\quad \mathcal{L}_G^{\text{non-sat}} = -\mathbb{E}_z\big[\log D(G(z))\big]",
    "gradients": r"\frac{\partial}{\partial a} \log\big(1 - \sigma(a)\big) = -\sigma(a) \to 0, \qquad"
                 r"\frac{\partial}{\partial a} \big({-\log \sigma(a)}\big) = -\big(1 - \sigma(a)\big) \to -1"
                 r"\qquad \big(D = \sigma(a) \to 0\big)",
}


def diagram() -> str:
    """The data flow as Graphviz DOT, labelled in the session's language."""
    label = {name: t(f"concepts.flow.{name}") for name in names("concepts.flow")}
    return f"""
digraph GAN {{
  rankdir=LR; bgcolor="transparent";
  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=12, fillcolor="#f3f4f6"];
  edge [fontname="Helvetica", fontsize=10];
  z [label="{label['noise']}", shape=ellipse, fillcolor="#fef3c7"];
  G [label="{label['generator']}", fillcolor="#dbeafe"];
  fake [label="{label['fake']}"];
  real [label="{label['real']}"];
  D [label="{label['discriminator']}", fillcolor="#fee2e2"];
  p [label="{label['verdict']}", shape=ellipse, fillcolor="#fef3c7"];
  z -> G -> fake -> D;
  real -> D;
  D -> p;
  p -> D [label="{label['d_update']}", style=dashed, color="#b91c1c", fontcolor="#b91c1c"];
  p -> G [label="{label['g_update']}", style=dashed, color="#1d4ed8", fontcolor="#1d4ed8"];
}}
"""


def bullets(prefix: str) -> str:
    return "\n".join(f"- {t(f'{prefix}.{name}')}" for name in names(prefix))


SECTIONS = ("idea", "toy", "maths", "uses", "article")  # the page's tabs, in order (concepts.sections.<name>)


def idea() -> None:
    st.header(t("concepts.background.title"))
    st.markdown(t("concepts.background.body"))
    st.markdown(t("concepts.background.plan"))

    st.header(t("concepts.fields.title"))
    for column, field in zip(st.columns(4), ("ai", "ml", "cg", "xr"), strict=True):
        column.container(border=True, height="stretch").markdown(t(f"concepts.fields.{field}"))
    st.markdown(t("concepts.fields.relation"))

    st.header(t("concepts.players.title"))
    left, right = st.columns(2)
    left.markdown(t("concepts.players.generator"))
    right.markdown(t("concepts.players.discriminator"))
    st.markdown(t("concepts.players.game"))

    st.subheader(t("concepts.flow.title"))
    st.graphviz_chart(diagram(), width="stretch")
    st.caption(t("concepts.flow.caption"))
    st.info(t("concepts.sections.then_toy"), icon=":material/arrow_upward:")


def maths() -> None:
    st.header(t("concepts.loop.title"))
    st.markdown("\n".join(f"{i}. {t(f'concepts.loop.steps.{step}')}"
                          for i, step in enumerate(names("concepts.loop.steps"), start=1)))
    st.info(t("concepts.loop.note"))

    st.header(t("concepts.maths.title"))
    for step in ("minimax", "integral", "pointwise", "optimum", "jsd"):  # the argument, a sentence and an equation each
        st.markdown(t(f"concepts.maths.{step}"))
        st.latex(EQUATIONS[step])
    st.markdown(t("concepts.maths.jsd_meaning"))
    st.info(t("concepts.maths.jsd_limit"))
    st.markdown(t("concepts.maths.d_loss"))
    st.latex(EQUATIONS["d_loss"])
    st.markdown(t("concepts.maths.nonsat"))
    st.latex(EQUATIONS["nonsat"])
    st.latex(EQUATIONS["gradients"])
    st.markdown(t("concepts.maths.gradients"))


def uses() -> None:
    st.header(t("concepts.good_bad.title"))
    strengths, failures = st.columns(2)
    strengths.subheader(t("concepts.good_bad.strengths"))
    strengths.markdown(bullets("concepts.good_bad.strength"))
    failures.subheader(t("concepts.good_bad.failures"))
    failures.markdown(bullets("concepts.good_bad.failure"))

    st.header(t("concepts.uses.title"))
    fields = names("concepts.uses.tabs")
    for tab, use in zip(st.tabs([t(f"concepts.uses.tabs.{use}") for use in fields]), fields, strict=True):
        tab.markdown(t(f"concepts.uses.body.{use}"))
    st.caption(t("concepts.uses.note"))

    st.header(t("concepts.future.title"))
    st.markdown(bullets("concepts.future.items"))


def article() -> None:
    st.header(t("concepts.article.title"))
    st.markdown(t("concepts.article.intro"))
    for bug in names("concepts.article.bugs"):
        st.markdown(t("concepts.article.bug", title=t(f"concepts.article.bugs.{bug}.title"),
                      body=t(f"concepts.article.bugs.{bug}.body")))
    st.success(t("concepts.article.fix"))

    st.header(t("concepts.faq.title"))
    for question in names("concepts.faq.items"):
        with st.expander(t(f"concepts.faq.items.{question}.q")):
            st.markdown(t(f"concepts.faq.items.{question}.a"))


DRAW = {"idea": idea, "toy": toy_view.show, "maths": maths, "uses": uses, "article": article}


def open_section():
    """The page's tabs; only the open one is drawn, so a new visitor's browser builds one tab, not
    the whole page. The open tab is kept by name: it survives a language switch (whose labels are new)."""
    labels = [t(f"concepts.sections.{name}") for name in SECTIONS]
    chosen = st.session_state.get("concepts_section", SECTIONS[0])
    tabs = st.tabs(labels, default=labels[SECTIONS.index(chosen)], key=f"concepts_tabs_{i18n.language()}",
                   on_change="rerun")
    name, tab = next(((name, tab) for name, tab in zip(SECTIONS, tabs, strict=True) if tab.open),
                     (chosen, tabs[SECTIONS.index(chosen)]))
    st.session_state.concepts_section = name
    return name, tab


st.title(t("concepts.title"))
st.markdown(t("concepts.intro"))
section, tab = open_section()
with tab:
    DRAW[section]()
st.page_link("pages/train.py", label=t("concepts.next"), icon="🏋️")
